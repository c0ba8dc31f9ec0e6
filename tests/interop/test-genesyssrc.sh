#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# genesyssrc (in gst-launch-1.0) against the independent Node AudioHook
# client. Each case starts a pipeline, runs one client session against it
# and checks both sides: the client saw a clean session, the pipeline wrote
# exactly the timeline (audio + gaps as silence) with external on channel 0.
# Last line: "N passed, N failed".
#
#   tests/interop/test-genesyssrc.sh BUILDDIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
build=$(cd "$build" && pwd)
export GST_PLUGIN_PATH="$build/gst/genesys"
tmp=$(mktemp -d)
trap 'kill $gst_pid 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
passed=0
failed=0
gst_pid=0

KEY=SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh
SECRET=TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=

free_port () {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# start_src PROPS... : a pipeline writing raw PCMU to $tmp/out.raw
start_src () {
  port=$(free_port)
  rm -f "$tmp/out.raw"
  gst-launch-1.0 ${launch_opts:--q} genesyssrc address=127.0.0.1 port="$port" gap-mode=silence "$@" \
    ! audio/x-mulaw ! filesink location="$tmp/out.raw" >"$tmp/gst.log" 2>&1 &
  gst_pid=$!
  # wait until it listens
  i=0
  while ! node -e "require('net').connect($port,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 100 ] && break
    sleep 0.05
  done
  url="ws://127.0.0.1:$port/api/v1/audiohook/ws"
}

# wait_src SECONDS: the pipeline must end by itself (EOS after close)
wait_src () {
  i=0
  while kill -0 "$gst_pid" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt $(($1 * 20)) ]; then
      kill "$gst_pid" 2>/dev/null
      wait "$gst_pid" 2>/dev/null
      return 1
    fi
    sleep 0.05
  done
  wait "$gst_pid"
}

stop_src () {
  kill -INT "$gst_pid" 2>/dev/null
  wait "$gst_pid" 2>/dev/null
  return 0
}

result () {
  name=$1
  shift
  if [ "$1" = 0 ]; then
    passed=$((passed + 1))
    echo "ok - $name${2:+: $2}"
  else
    failed=$((failed + 1))
    echo "not ok - $name${2:+: $2}"
    sed 's/^/    gst: /' "$tmp/gst.log" | tail -5
  fi
}

client () {
  node "$here/audiohook-client.mjs" --url "$url" --report "$tmp/report.json" --quiet "$@"
}

report () {
  node -e "const r=require('$tmp/report.json');console.log(r$1)"
}

# check_session NAME CHANNELS HZ0 [HZ1] -- client args
check_session () {
  name=$1 channels=$2 hz0=$3 hz1=$4
  shift 5
  client "$@"
  crc=$?
  wait_src 10
  grc=$?
  frames=$(report .finalPositionSamples)
  detail=$(node "$here/check-output.mjs" "$tmp/out.raw" "$channels" "$frames" $hz0 $hz1)
  orc=$?
  rc=0
  [ $crc -eq 0 ] && [ $grc -eq 0 ] && [ $orc -eq 0 ] || rc=1
  result "$name" $rc "client $crc, pipeline $grc, $detail"
}

start_src
check_session "mono tone" 1 440 "" -- --tone 440 --offers external --seconds 2

start_src
check_session "stereo, external first" 2 440 880 -- --tone 440 --stereo --seconds 2

start_src
check_session "stereo, internal first on the wire" 2 440 880 -- --tone 440 --stereo \
  --reverse-channels --offers stereo --seconds 2

start_src api-key=$KEY client-secret=$SECRET
check_session "signed request" 2 440 880 -- --tone 440 --stereo --seconds 1 \
  --api-key $KEY --client-secret $SECRET

start_src
check_session "client pause: the gap is exact" 2 440 880 -- --tone 440 --stereo --seconds 3 \
  --pause-at 1 --resume-after 0.6

start_src
check_session "client discard: the gap is exact" 1 440 "" -- --tone 440 --offers external \
  --seconds 3 --discard-at 1 --discard-ms 400

start_src
check_session "100 ms frames" 1 440 "" -- --tone 440 --offers external --seconds 2 --frame-ms 100

start_src
check_session "empty frame accepted" 1 440 "" -- --tone 440 --offers external --seconds 1 --empty-frame

# Refusals keep the pipeline running for the next caller.
start_src api-key=$KEY client-secret=$SECRET
client --tone 440 --seconds 1 --api-key $KEY \
  --client-secret b3RoZXIgc2VjcmV0IG9mIDMyIGJ5dGVzIGxvbmcuLi4= --expect-status 401
rc=$?
kill -0 "$gst_pid" 2>/dev/null || rc=1
result "wrong secret: 401, still listening" $rc
client --tone 440 --seconds 1 --expect-status 401
rc=$?
result "unsigned: 401" $rc
stop_src

# A probe opens and closes, and starts no stream: the pipeline goes on.
start_src
client --probe
rc=$?
sleep 0.3
kill -0 "$gst_pid" 2>/dev/null || rc=1
[ -s "$tmp/out.raw" ] && rc=1
result "connection probe: answered, no media, no EOS" $rc
stop_src

# keep-listening: two calls, one output, nothing lost
start_src keep-listening=true
client --tone 440 --offers external --seconds 1
rc1=$?
client --tone 440 --offers external --seconds 1
rc2=$?
stop_src
bytes=$(stat -c %s "$tmp/out.raw" 2>/dev/null || echo 0)
rc=0
[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ "$bytes" -ge 16000 ] || rc=1
result "keep-listening: two sessions in one stream" $rc "$bytes bytes"

# supportedLanguages: asked, the opened lists what the element was given
# (an empty list when none)
for langs in "" "<en-US,de-DE>"; do
  if [ -n "$langs" ]; then start_src "supported-languages=$langs"; else start_src; fi
  client --supported-languages --tone 440 --offers external --seconds 1
  crc=$?
  got=$(report '.openedParameters.supportedLanguages.join(",")')
  stop_src
  want=$(echo "$langs" | tr -d '<>')
  rc=0
  [ $crc -eq 0 ] && [ "$got" = "$want" ] || rc=1
  result "supportedLanguages asked, set to \"$want\": opened lists \"$got\"" $rc
done

# Audio Connector: Genesys appends the Connector ID to the base path; the
# element serves the base path and names the rest on the bus
launch_opts=-m start_src path=/api/v1/audioconnector
url="ws://127.0.0.1:$port/api/v1/audioconnector/my-bot-7"
client --tone 440 --offers external --seconds 1
crc=$?
wait_src 10
grc=$?
rc=0
[ $crc -eq 0 ] && [ $grc -eq 0 ] && grep -q 'connector-id=(string)my-bot-7' "$tmp/gst.log" || rc=1
result "connector id: /api/v1/audioconnector/my-bot-7 reaches path=/api/v1/audioconnector" $rc

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
