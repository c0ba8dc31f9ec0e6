#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Self-test of the independent AudioHook peers: runs audiohook-client.mjs against
# audiohook-server.mjs (and against deliberately broken peers) on 127.0.0.1 with port 0,
# then checks the JSON reports with lib/selftest-check.mjs.
# Last line of output: "N passed, N failed". Exit status non-zero on any failure.
# Set KEEP=1 to keep the work directory with all reports and logs.
set -u
here=$(cd "$(dirname "$0")" && pwd)
cd "$here" || exit 1

if ! command -v node >/dev/null 2>&1; then
  echo "selftest: node is not installed"
  echo "0 passed, 1 failed"
  exit 1
fi
if [ ! -f node_modules/ws/package.json ]; then
  if ! npm ci --no-audit --no-fund --loglevel=error >/dev/null; then
    echo "selftest: npm ci failed"
    echo "0 passed, 1 failed"
    exit 1
  fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/audiohook-interop.XXXXXX")
server_pids=()
client_pids=()
cleanup() {
  for p in "${client_pids[@]}" "${server_pids[@]}"; do
    kill "$p" 2>/dev/null
  done
  if [ "${KEEP:-0}" = 1 ]; then
    echo "selftest: reports kept in $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# start_server NAME SCRIPT [ARGS...]   -> sets PORT_<NAME>
start_server() {
  local name=$1 script=$2
  shift 2
  node "$script" --port 0 --report "$work/$name.server.json" "$@" >"$work/$name.server.out" 2>"$work/$name.server.log" &
  local pid=$!
  server_pids+=("$pid")
  echo "$pid" >"$work/$name.server.pid"
  local i port=""
  for i in $(seq 100); do
    port=$(awk '/^LISTENING /{print $2; exit}' "$work/$name.server.out" 2>/dev/null)
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if [ -z "$port" ]; then
    echo "selftest: server $name did not start:" >&2
    cat "$work/$name.server.log" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
  printf -v "PORT_$name" '%s' "$port"
}

# client NAME SERVER PATH [ARGS...]  (background; exit status goes to NAME.rc)
client() {
  local name=$1 server=$2 path=$3
  shift 3
  local portvar="PORT_$server"
  (
    node audiohook-client.mjs --url "ws://127.0.0.1:${!portvar}$path" --report "$work/$name.client.json" "$@" \
      >"$work/$name.client.out" 2>"$work/$name.client.log"
    echo $? >"$work/$name.rc"
  ) &
  client_pids+=("$!")
}

wait_clients() {
  local p
  for p in "${client_pids[@]}"; do wait "$p" 2>/dev/null; done
  client_pids=()
}

WS=/api/v1/audiohook/ws
# Secrets for this run only (random; passed through the environment, never printed).
secret=$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64"))')
wrong_secret=$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64"))')
api_key=interopKey-$RANDOM$RANDOM

node lib/selftest-check.mjs make-wav "$work/mono300.wav" 1 2.5 300 || { echo "0 passed, 1 failed"; exit 1; }
node lib/selftest-check.mjs make-wav "$work/stereo.wav" 2 2 400 1200 || { echo "0 passed, 1 failed"; exit 1; }

start_server A audiohook-server.mjs
AUDIOHOOK_API_KEY=$api_key AUDIOHOOK_CLIENT_SECRET=$secret start_server B audiohook-server.mjs
start_server C audiohook-server.mjs --discard-to-ms 700 --pause-at-ms 1000 --resume-after-ms 800
start_server D audiohook-server.mjs --start-paused --resume-after-ms 700
start_server E audiohook-server.mjs --drop-every-ms 1500
start_server F audiohook-server.mjs --disconnect-after-ms 1200 --event-every-ms 300
start_server M lib/misbehaving-server.mjs

# Wave 1: everything concurrently (several concurrent sessions per server).
client normal       A $WS --seconds 3 --supported-languages
client stereo_rev   A $WS --seconds 2 --stereo --reverse-channels --tone 500 \
                          --continued-session 6f0a3c59-4b8e-4f5e-9d37-2f1f7c0c1a11:3:7
client mono_wav     A $WS --wav "$work/mono300.wav" --offers external,internal --frame-ms 100 --empty-frame
client stereo_wav   A $WS --wav "$work/stereo.wav" --offers internal,stereo
client pause        A $WS --seconds 4 --pause-at 1 --resume-after 1
client discard      A $WS --seconds 3 --discard-at 1 --discard-ms 600
client probe        A $WS --probe
AUDIOHOOK_CLIENT_SECRET=$secret client signed B $WS --api-key "$api_key" --seconds 2
AUDIOHOOK_CLIENT_SECRET=$wrong_secret client bad_secret B $WS --api-key "$api_key" --seconds 1 --expect-status 401
client unsigned     B $WS --api-key "$api_key" --seconds 1 --expect-status 401
AUDIOHOOK_CLIENT_SECRET=$secret client wrong_key B $WS --api-key wrongKey --seconds 1 --expect-status 401
client wrong_path   A /not/the/path --seconds 1 --expect-status 404
client server_pause C $WS --seconds 4
client start_paused D $WS --seconds 3
client drop         E $WS --seconds 5
client disconnect   F $WS --seconds 5
for mode in bad-media bad-seq pong-clientseq position-field no-pong no-closed audio-back; do
  secs=2
  [ "$mode" = no-pong ] && secs=8
  client "m_${mode//-/_}" M "/ws?mode=$mode" --seconds $secs
done
( AUDIOHOOK_API_KEY=$api_key AUDIOHOOK_CLIENT_SECRET=$secret node lib/signature-probe.mjs "ws://127.0.0.1:${PORT_B}$WS" \
    >"$work/sigprobe.out" 2>"$work/sigprobe.log"; echo $? >"$work/sigprobe.rc" ) &
client_pids+=("$!")
node lib/misbehaving-client.mjs "ws://127.0.0.1:${PORT_A}$WS" >"$work/badclient.out" 2>"$work/badclient.log"
echo $? >"$work/badclient.rc"
node audiohook-client.mjs --self-test >"$work/selftest_vector.out" 2>&1
echo $? >"$work/selftest_vector.rc"
node audiohook-client.mjs --url "ws://127.0.0.1:${PORT_A}$WS" --frame-ms abc >/dev/null 2>"$work/usage.log"
echo $? >"$work/usage.rc"
wait_clients

# Wave 2: sequential sessions on the same server.
client seq1 A $WS --seconds 0.6 --offers internal
wait_clients
client seq2 A $WS --probe --reverse-channels
wait_clients

for name in A B C D E F M; do
  pid=$(cat "$work/$name.server.pid")
  kill -TERM "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  echo $? >"$work/$name.server.rc"
done
server_pids=()

SELFTEST_SECRET=$secret node lib/selftest-check.mjs check "$work"
