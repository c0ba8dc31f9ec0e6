#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The fault soak through a cluster: INSTANCES gst-genesys-serve instances
# sharing Debian's redis-server as their registry, Debian's haproxy in
# front (round robin per connection, health checks on /ready), the fault
# proxy (tests/bench/fault-proxy.mjs) in front of HAProxy, SESSIONS calls
# from ah-load.mjs --soak (which obeys `reconnect`), and a rolling restart
# of every instance (drain, exit, start again) a third into the run. Each
# instance records its part of each call (genesyssrc gap-mode=silence !
# filesink, {session-id}-{segment}-{start-position}.raw); at the end
# gst-genesys-join joins every call and its length is compared with the
# call's timeline. Prints numbers; it does not pass or fail.
#
#   tests/bench/cluster-soak.sh [BUILD_DIR] [MINUTES] [SESSIONS] [INSTANCES]
#
# Defaults: build, 10 minutes, 200 sessions, 3 instances. SEED and
# MEAN_FAULT_MS as for soak.sh; IDLE_TIMEOUT=SECONDS is the instances'
# --idle-timeout (default 60); KEEP=DIR keeps logs, reports and recordings.
# RELAY=1 (the default when gst-genesys-serve has --relay-key) gives the
# instances a relay key: a continuation whose call's owner is up is relayed
# to it instead of moving; RELAY=0 moves every call as before.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-build}
case "$build" in /*) ;; *) build="$top/$build" ;; esac
minutes=${2:-10}
sessions=${3:-200}
instances=${4:-3}
SEED=${SEED:-1}
MEAN_FAULT_MS=${MEAN_FAULT_MS:-30000}
serve_bin="$build/tools/gst-genesys-serve"
export GST_PLUGIN_PATH="$build/gst/genesys"
. "$here/bench-common.sh"
bench_setup || exit 1
for p in redis-server haproxy; do
  command -v $p >/dev/null || { echo "$p is not installed (.ci/install-deps)" >&2; exit 1; }
done

work=${KEEP:-$(mktemp -d)}
mkdir -p "$work/calls" "$work/redis"
cleanup () {
  [ -f "$work/haproxy.pid" ] && kill "$(cat "$work/haproxy.pid")" 2>/dev/null
  kill $(jobs -p) 2>/dev/null
  [ -z "${KEEP:-}" ] && rm -rf "$work"
}
trap cleanup EXIT

rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$work/redis" \
  >"$work/redis.log" 2>&1 &
template="genesyssrc gap-mode=silence ! filesink location=$work/calls/{session-id}-{segment}-{start-position}.raw"
relay_args=()
if [ "${RELAY:-1}" = 1 ] && "$serve_bin" --help 2>&1 | grep -q -- '--relay-key'; then
  printf 'soak:%s\n' "$(head -c 32 /dev/urandom | base64)" >"$work/relay.key"
  relay_args=(--relay-key "$work/relay.key")
fi
# relays made so far by instances that were restarted: sessions, hop
# sessions, fallbacks
relayed=(0 0 0)
count_relays () {
  local m k v
  m=$(curl -s "http://127.0.0.1:$1/metrics" 2>/dev/null)
  k=0
  for f in sessions_relayed relay_hops relay_fallbacks; do
    v=$(echo "$m" | awk -v f="gst_genesys_${f}_total" '$1 == f { print $2 }')
    relayed[$k]=$((relayed[k] + ${v:-0}))
    k=$((k + 1))
  done
}

declare -a port health pid
start_instance () {
  local i=$1
  "$serve_bin" --address 127.0.0.1 --port "${port[$i]}" --health-port "${health[$i]}" \
    --registry "redis://127.0.0.1:$rport" --instance "i$i" --drain-timeout 60 "${relay_args[@]}" \
    --idle-timeout "${IDLE_TIMEOUT:-60}" \
    --max-sessions $((sessions * 2 + 16)) -- "$template" >>"$work/i$i.log" 2>&1 &
  pid[$i]=$!
  wait_port "${health[$i]}" "${pid[$i]}" 600
}
ready () {
  (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET /ready HTTP/1.0\r\n\r\n' >&3 && head -c 12 <&3 | grep -q 200) 2>/dev/null
}
for i in $(seq "$instances"); do
  port[$i]=$(free_port)
  health[$i]=$(free_port)
  start_instance "$i" || { echo "instance i$i did not start" >&2; tail -5 "$work/i$i.log" >&2; exit 1; }
done

front=$(free_port)
{
  printf 'global\n  maxconn 4000\ndefaults\n  mode http\n  timeout connect 2s\n'
  printf '  timeout client 30s\n  timeout server 30s\n  timeout tunnel 1h\n'
  printf 'frontend audiohook\n  bind 127.0.0.1:%s\n  default_backend serve\n' "$front"
  printf 'backend serve\n  balance roundrobin\n  option httpchk GET /ready\n'
  printf '  http-check expect status 200\n'
  for i in $(seq "$instances"); do
    printf '  server i%s 127.0.0.1:%s check port %s inter 500 fall 1 rise 2\n' "$i" "${port[$i]}" "${health[$i]}"
  done
} >"$work/haproxy.cfg"
haproxy -f "$work/haproxy.cfg" -D -p "$work/haproxy.pid" || exit 1
sleep 2

node "$here/fault-proxy.mjs" --target "127.0.0.1:$front" --seed "$SEED" --mean-fault-ms "$MEAN_FAULT_MS" \
  >"$work/proxy.out" &
proxy=$!
for i in $(seq 50); do grep -q LISTENING "$work/proxy.out" && break; sleep 0.1; done
pport=$(sed -n 's/^LISTENING //p' "$work/proxy.out")

echo "# cluster soak: $minutes min, $sessions sessions, $instances instances behind haproxy, proxy seed $SEED, rolling restart at $((minutes * 20)) s"
node "$here/ah-load.mjs" --soak --url "ws://127.0.0.1:$pport/api/v1/audiohook/ws" --clients "$sessions" \
  --duration $((minutes * 60)) --seed "$SEED" --report "$work/load.json" --progress 60 \
  >/dev/null 2>"$work/load.log" &
load=$!

# RSS of each instance (KiB) a minute after its (re)start and at the end
rss () { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
sleep $((minutes * 20))
restart_begin=$(date +%s.%N)
for i in $(seq "$instances"); do
  t0=$(date +%s.%N)
  kill -TERM "${pid[$i]}"
  # what it relayed: /metrics answers while it drains
  sleep 0.5
  count_relays "${health[$i]}"
  wait "${pid[$i]}"
  status=$?
  t1=$(date +%s.%N)
  start_instance "$i"
  for k in $(seq 100); do ready "${health[$i]}" && break; sleep 0.1; done
  t2=$(date +%s.%N)
  echo "restart i$i: drained and exited ($status) in $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s, ready again after $(awk "BEGIN { printf \"%.1f\", $t2 - $t1 }") s"
done
restart_end=$(date +%s.%N)
echo "rolling restart of $instances instances: $(awk "BEGIN { printf \"%.1f\", $restart_end - $restart_begin }") s"
sleep 60
declare -a rss_start
for i in $(seq "$instances"); do rss_start[$i]=$(rss "${pid[$i]}"); done
wait "$load"
declare -a rss_end
for i in $(seq "$instances"); do rss_end[$i]=$(rss "${pid[$i]}"); done
kill -TERM "$proxy" 2>/dev/null
for i in $(seq "$instances"); do count_relays "${health[$i]}"; done
[ ${#relay_args[@]} -gt 0 ] && echo "relays: ${relayed[0]} sessions relayed, ${relayed[1]} hop sessions, ${relayed[2]} fell back to a move"
# what the instances asked of Redis, per call started
redis-cli -p "$rport" info commandstats >"$work/redis-commands.txt" 2>/dev/null
crashes=0
for i in $(seq "$instances"); do
  kill -0 "${pid[$i]}" 2>/dev/null || crashes=$((crashes + 1))
  stop_pid "${pid[$i]}" 700 >/dev/null 2>&1
done
for i in $(seq "$instances"); do
  echo "RSS i$i: ${rss_start[$i]:-?} KiB a minute after its restart, ${rss_end[$i]:-?} KiB at the end"
done

WORK=$work TOP=$top CRASHES=$crashes node --input-type=module -e '
  import fs from "node:fs";
  import { execFileSync } from "node:child_process";
  const w = process.env.WORK;
  const r = JSON.parse(fs.readFileSync(`${w}/load.json`, "utf8"));
  console.log(`crashes: ${process.env.CRASHES}`);
  console.log(`calls: ${r.callsCompleted} completed, ${r.callsFailed} ended unexpectedly, of ${r.callsStarted} started`);
  console.log(`connections: ${r.connects} made, ${r.connectionsLost} failed and replaced, ${r.moved} moved on reconnect, ${r.continuedOpens} opens continued a session, refused ${JSON.stringify(r.refusals)}`);
  console.log(`audio: ${r.framesSent} frames sent; pongs ${r.pongs}/${r.pingsSent}, late ${r.latePongs}, p50/p99/max ${r.pongMs.p50}/${r.pongMs.p99}/${r.pongMs.max} ms`);
  let match = 0, differ = [], segments = 0;
  for (const c of r.calls ?? []) {
    if (!c.id) continue;
    const out = `${w}/joined.raw`;
    let log = "";
    try {
      log = execFileSync("python3", [`${process.env.TOP}/tools/gst-genesys-join`, "--bytes-per-sample", "2",
        `${w}/calls/{session-id}-{segment}-{start-position}.raw`, c.id, out]).toString();
    } catch { differ.push(`${c.id.slice(0, 8)}: no recording`); continue; }
    segments += (log.match(/^segment /gm) ?? []).length;
    const n = fs.statSync(out).size / 2;
    if (n === c.samples) match++; else differ.push(`${c.id.slice(0, 8)}: ${n} vs ${c.samples}${c.ok ? "" : " (failed)"}`);
  }
  console.log(`joined: ${match} of ${(r.calls ?? []).length} calls equal their timeline to the sample (${segments} segments)` +
    (differ.length ? `; ${differ.length} differ, e.g. ${differ.slice(0, 4).join("; ")}` : ""));
  try {
    const cs = fs.readFileSync(`${w}/redis-commands.txt`, "utf8").split("\n")
      .map((l) => /^cmdstat_(\w+):calls=(\d+)/.exec(l)).filter(Boolean).filter((m) => !["info", "ping", "select"].includes(m[1]));
    const total = cs.reduce((a, m) => a + Number(m[2]), 0);
    console.log(`redis: ${total} commands (${cs.map((m) => `${m[1]} ${m[2]}`).join(", ")}), ${(total / Math.max(1, r.callsStarted)).toFixed(1)} per call started (heartbeats included)`);
  } catch {}
  if (r.failures.length) console.log(`first failures: ${r.failures.slice(0, 6).join("; ")}`);
'
[ -n "${KEEP:-}" ] && echo "# logs, reports and recordings in $work"
