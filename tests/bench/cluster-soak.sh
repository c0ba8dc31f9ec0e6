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
# RSS per instance is printed a minute after the rolling restart and 5 s
# before the load ends, each with the calls the instance held then (a
# restarted instance fills up again as calls reconnect); rss.tsv in the
# work folder has every instance's RSS and calls every 10 s.
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

load_begin=$(date +%s)

# RSS of each instance (KiB) a minute after its (re)start and at the end
# of the load, each with the calls it held then; every 10 s to rss.tsv
rss () { awk '/^VmRSS/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
calls_held () {
  curl -s "http://127.0.0.1:$1/metrics" 2>/dev/null | awk '$1 == "gst_genesys_calls" { print $2 }'
}
# An instance whose calls stay the same, not 0, for 60 s while the load
# runs (calls come and go every few seconds) is stuck: every thread's
# stack goes to stall-iN.txt, once.
rss_watch () {
  local i p c
  declare -a last same
  while sleep 10; do
    for i in $(seq "$instances"); do
      p=$(cat "$work/pid.$i" 2>/dev/null)
      c=$(calls_held "${health[$i]}")
      printf '%s\ti%s\t%s\t%s\n' "$(($(date +%s) - load_begin))" "$i" "$(rss "$p")" "$c" >>"$work/rss.tsv"
      if [ -n "$c" ] && [ "$c" != 0 ] && [ "$c" = "${last[$i]:-}" ]; then
        same[$i]=$((${same[$i]:-0} + 1))
      else
        same[$i]=0
      fi
      last[$i]=$c
      if [ "${same[$i]}" -ge 6 ] && [ ! -f "$work/stall-i$i.txt" ]; then
        echo "STALL: i$i has held $c calls for 60 s; its threads' stacks are in $work/stall-i$i.txt" >&2
        gdb -p "$p" -batch -ex 'thread apply all bt' >"$work/stall-i$i.txt" 2>&1
      fi
    done
  done
}
for i in $(seq "$instances"); do echo "${pid[$i]}" >"$work/pid.$i"; done
rss_watch &
watcher=$!
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
  echo "${pid[$i]}" >"$work/pid.$i"
  for k in $(seq 100); do ready "${health[$i]}" && break; sleep 0.1; done
  t2=$(date +%s.%N)
  echo "restart i$i: drained and exited ($status) in $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s, ready again after $(awk "BEGIN { printf \"%.1f\", $t2 - $t1 }") s"
done
restart_end=$(date +%s.%N)
echo "rolling restart of $instances instances: $(awk "BEGIN { printf \"%.1f\", $restart_end - $restart_begin }") s"
sleep 60
declare -a rss_start rss_end calls_start calls_end
for i in $(seq "$instances"); do
  rss_start[$i]=$(rss "${pid[$i]}")
  calls_start[$i]=$(calls_held "${health[$i]}")
done
# the end: 5 s before the load's calls end
left=$((load_begin + minutes * 60 - 5 - $(date +%s)))
[ "$left" -gt 0 ] && sleep "$left"
for i in $(seq "$instances"); do
  rss_end[$i]=$(rss "${pid[$i]}")
  calls_end[$i]=$(calls_held "${health[$i]}")
done
wait "$load"
kill "$watcher" 2>/dev/null
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
# A restarted instance fills up again over minutes as calls reconnect, so
# RSS is also compared at equal load: from the first sample of rss.tsv, a
# minute or more after the rolling restart, in which the instance held
# the calls it held at the end (within 5 %, at least 2), to the end.
since=$(awk "BEGIN { printf \"%d\", $restart_end - $load_begin + 60 }")
for i in $(seq "$instances"); do
  echo "RSS i$i: ${rss_start[$i]:-?} KiB (${calls_start[$i]:-?} calls) a minute after its restart, ${rss_end[$i]:-?} KiB (${calls_end[$i]:-?} calls) 5 s before the load ended"
  awk -v i="i$i" -v since="$since" -v r1="${rss_end[$i]:-0}" -v c1="${calls_end[$i]:-0}" '
    $2 == i && $1 >= since && $4 != "" && !found {
      d = $4 - c1; if (d < 0) d = -d
      tol = c1 * 0.05; if (tol < 2) tol = 2
      if (d <= tol) { found = 1; t0 = $1; r0 = $3; c0 = $4 }
    }
    END {
      if (found && r0 > 0 && r1 > 0)
        printf "RSS i%s at equal load: %d KiB (%d calls) at %d s, %d KiB (%d calls) at the end: growth %.1f %%\n", substr(i, 2), r0, c0, t0, r1, c1, (r1 - r0) * 100 / r0
      else
        printf "RSS i%s at equal load: no sample after the restart held %d calls\n", substr(i, 2), c1
    }' "$work/rss.tsv"
done

# GLib criticals and warnings of the instances (none is expected)
for i in $(seq "$instances"); do
  n=$(grep -c -- '-CRITICAL \*\*\|-WARNING \*\*' "$work/i$i.log")
  [ "$n" != 0 ] && echo "i$i: $n GLib critical(s) or warning(s), first: $(grep -m1 -- '-CRITICAL \*\*\|-WARNING \*\*' "$work/i$i.log")"
done
for f in "$work"/stall-i*.txt; do
  [ -f "$f" ] && echo "STALL: an instance held the same calls for 60 s; its threads' stacks: $f (KEEP=DIR keeps it)"
done

WORK=$work TOP=$top CRASHES=$crashes node --input-type=module -e '
  import fs from "node:fs";
  import { execFileSync } from "node:child_process";
  const w = process.env.WORK;
  const r = JSON.parse(fs.readFileSync(`${w}/load.json`, "utf8"));
  console.log(`crashes: ${process.env.CRASHES}`);
  console.log(`calls: ${r.callsCompleted} completed, ${r.callsFailed} ended unexpectedly, of ${r.callsStarted} started; ${r.disconnects} ended by a server disconnect`);
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
