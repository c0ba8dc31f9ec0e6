#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fault soak: SESSIONS AudioHook calls at a time (tests/bench/ah-load.mjs --soak)
# through a fault-injecting proxy (tests/bench/fault-proxy.mjs: drops without
# close frames, 0-3 s stalls, half-open connections, slow reads) into
# gst-genesys-serve, which records each call (genesyssrc gap-mode=silence !
# filesink) so its audio and gaps can be counted. Calls last
# 60-240 s, then the line starts a new call; a failed connection is replaced by
# a new session that continues the old one (continuedSessions, discarded).
# Prints numbers; it does not pass or fail.
#
#   tests/bench/soak.sh [BUILD_DIR] [MINUTES] [SESSIONS] [--valgrind]
#
# Defaults: build, 10 minutes, 200 sessions. --valgrind runs the server under
# valgrind memcheck (use a short run: soak.sh build 1 20 --valgrind). A build dir
# configured with -Db_sanitize=address is detected and its reports collected.
# Environment:
#   SERVER=serve|element   default serve when BUILD_DIR/tools/gst-genesys-serve
#              exists; element = SESSIONS*5/4+4 genesyssrc keep-listening
#              elements, each into a fakesink, in one gst-launch-1.0 process
#   SEED=1     the proxy's and the calls' seed
#   MEAN_FAULT_MS=30000   mean time between faults on one connection
#   TEMPLATE=  serve's pipeline; default: genesyssrc gap-mode=silence !
#              filesink, one raw file per call in a temporary folder, from
#              which the audio and gap samples are counted (the soak's audio
#              never encodes to mu-law silence), then deleted. Another
#              template skips the timeline check.
#   SRC_PROPS= more genesyssrc properties for the default template, e.g.
#              latency=500000000
#   KEEP=DIR   keep logs and reports there
#
# What it prints:
#   crashes            the server process died before it was told to stop, or
#                      ended on a signal of its own (SEGV, ABRT, ...)
#   calls              completed (close -> closed with reason end) and ended
#                      unexpectedly (a server disconnect, no `closed`, or no
#                      session could be opened for 60 s)
#   timeline           samples genesyssrc output (audio + gaps) against the
#                      sum of the calls' timelines (the final position of each
#                      call: every 200 ms frame that fell due, sent or reported
#                      discarded); these must match
#   RSS                of the server at minute 1 and at the last minute, growth
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
valgrind=0
pos=()
for a in "$@"; do
  case $a in
    --valgrind) valgrind=1 ;;
    *) pos+=("$a") ;;
  esac
done
build=${pos[0]:-build}
case "$build" in /*) ;; *) build="$top/$build" ;; esac
minutes=${pos[1]:-10}
sessions=${pos[2]:-200}
SEED=${SEED:-1}
MEAN_FAULT_MS=${MEAN_FAULT_MS:-30000}
serve_bin="$build/tools/gst-genesys-serve"
if [ -z "${SERVER:-}" ]; then
  if [ -x "$serve_bin" ]; then SERVER=serve; else
    echo "note: $serve_bin not built; using the element stand-in (genesyssrc keep-listening elements in one gst-launch-1.0)" >&2
    SERVER=element
  fi
fi
export GST_PLUGIN_PATH="$build/gst/genesys${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
. "$here/bench-common.sh"
bench_setup || exit 1
ulimit -c 0

work=${KEEP:-$(mktemp -d)}
mkdir -p "$work"
[ -z "${KEEP:-}" ] && trap 'rm -rf "$work"' EXIT

# the checker in front of the server: valgrind, or ASan when the build has it
pre=()
asan=0
lib="$build/gst/genesys/libgstgenesys.so"
if [ "$valgrind" = 1 ]; then
  supp=()
  for f in /usr/share/glib-2.0/valgrind/glib.supp; do
    [ -f "$f" ] && supp+=("--suppressions=$f")
  done
  pre=(valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite
       --num-callers=30 "${supp[@]}" "--log-file=$work/valgrind.%p.log")
  export G_SLICE=always-malloc G_DEBUG=gc-friendly
elif ldd "$lib" 2>/dev/null | grep -q libasan || { [ "$SERVER" = serve ] && ldd "$serve_bin" 2>/dev/null | grep -q libasan; }; then
  asan=1
  export ASAN_OPTIONS="detect_leaks=1:fast_unwind_on_malloc=0:log_path=$work/asan:abort_on_error=0"
  # scan plugins in this process: the scanner helper is not built with ASan
  export GST_REGISTRY_FORK=no GST_REGISTRY="$work/registry.bin"
  if [ "$SERVER" = element ]; then export LD_PRELOAD="$(gcc -print-file-name=libasan.so)"; fi
fi

port=$(free_port)
log="$work/server.log"
counts="$work/counts.json"
case $SERVER in
  serve)
    mkdir -p "$work/calls"
    template=${TEMPLATE:-"genesyssrc gap-mode=silence ${SRC_PROPS:-} ! filesink location=$work/calls/{session-id}.raw"}
    "${pre[@]}" "$serve_bin" --port "$port" --path /ws --max-sessions $((sessions * 2 + 16)) --stats-interval 1 \
      -- "$template" >"$log" 2>&1 &
    pid=$!
    ;;
  element)
    args=()
    for i in $(seq $((sessions * 5 / 4 + 4))); do
      args+=(genesyssrc "port=$port" address=127.0.0.1 path=/ws keep-listening=true ! fakesink silent=false async=false)
    done
    mkfifo "$work/gst.fifo"
    if [ -n "${KEEP:-}" ]; then
      tee "$work/gst.out" <"$work/gst.fifo" | node "$here/soak-count.mjs" --gst-log >"$counts" &
    else
      node "$here/soak-count.mjs" --gst-log <"$work/gst.fifo" >"$counts" &
    fi
    counter=$!
    "${pre[@]}" gst-launch-1.0 -m -v "${args[@]}" >"$work/gst.fifo" 2>"$log" &
    pid=$!
    unset LD_PRELOAD
    ;;
esac
if ! wait_port "$port" "$pid" 600; then
  echo "the server did not start; log:" >&2
  tail -20 "$log" >&2
  exit 1
fi
sleep 2

proxy_out="$work/proxy.out"
node "$here/fault-proxy.mjs" --target "127.0.0.1:$port" --seed "$SEED" --mean-fault-ms "$MEAN_FAULT_MS" >"$proxy_out" &
proxy=$!
for i in $(seq 50); do grep -q LISTENING "$proxy_out" && break; sleep 0.1; done
pport=$(sed -n 's/^LISTENING //p' "$proxy_out")

echo "# soak: $minutes min, $sessions sessions, server $SERVER$([ "$valgrind" = 1 ] && echo ' under valgrind')$([ "$asan" = 1 ] && echo ' (ASan build)'), proxy seed $SEED, mean fault interval ${MEAN_FAULT_MS} ms"
# a stall watch: when serve's stats show no audio for 5 s in a row while
# at least half the sessions are open, every thread's stack goes to $work/stall.txt
# (gdb, once), and the summary says so
stall_watch () {
  command -v gdb >/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    [ -f "$work/stalled" ] && continue
    # (not while the clients close their calls at the end: then their
    # sessions go)
    open=$(grep '^stats' "$log" | tail -n 1 | sed -n 's/^stats: sessions=\([0-9]*\).*/\1/p')
    if [ "$(grep '^stats' "$log" | tail -n 5 | grep -c 'frames/s=0.0 ')" = 5 ] \
        && [ "$(grep -c '^stats' "$log")" -gt 30 ] && [ "${open:-0}" -ge $((sessions / 2)) ] \
        && [ ! -f "$work/load.json" ]; then
      touch "$work/stalled"
      gdb -p "$pid" -batch -ex 'thread apply all bt' >"$work/stall.txt" 2>&1
    fi
  done
}
if [ "$SERVER" = serve ]; then stall_watch & watcher=$!; fi
node "$here/ah-load.mjs" --soak --url "ws://127.0.0.1:$pport/ws" --clients "$sessions" --duration $((minutes * 60)) \
  --seed "$SEED" --server-pid "$pid" --report "$work/load.json" --progress 60 >/dev/null 2>"$work/load.log"

alive=1
kill -0 "$pid" 2>/dev/null || alive=0
kill -TERM "$proxy" 2>/dev/null
wait "$proxy" 2>/dev/null
sleep 1
stop_pid "$pid" 600
status=$?
[ "$SERVER" = element ] && wait "$counter"

# serve: each call's recording: audio and gap (silence) samples
if [ "$SERVER" = serve ]; then
  if [ -z "${TEMPLATE:-}" ]; then node "$here/soak-count.mjs" --files "$work/calls" >"$counts"; fi
  rm -rf "$work/calls"
fi

ALIVE=$alive STATUS=$status WORK=$work VALGRIND=$valgrind ASAN=$asan MINUTES=$minutes node --input-type=module -e '
  import fs from "node:fs";
  const w = process.env.WORK;
  const r = JSON.parse(fs.readFileSync(`${w}/load.json`, "utf8"));
  let c = {};
  try { c = JSON.parse(fs.readFileSync(`${w}/counts.json`, "utf8")); } catch {}
  let faults = {};
  try { faults = JSON.parse(fs.readFileSync(`${w}/proxy.out`, "utf8").split("\n").find((l) => l.startsWith("FAULTS ")).slice(7)); } catch {}
  const status = Number(process.env.STATUS);
  const signalled = status > 128 && status !== 130 && status !== 143;
  const crashes = (process.env.ALIVE === "1" ? 0 : 1) + (signalled && process.env.ALIVE === "1" ? 1 : 0);
  console.log(`crashes: ${crashes} (server exit status ${status}${process.env.ALIVE === "1" ? "" : ", it died during the run"})`);
  console.log(`calls: ${r.callsCompleted} completed, ${r.callsFailed} ended unexpectedly, of ${r.callsStarted} started`);
  console.log(`connections: ${r.connects} made, ${r.connectionsLost} failed and replaced (${r.continuedOpens} opens continued a session), ${r.upgradeFailures} upgrades refused ${JSON.stringify(r.refusals)}, ${r.disconnects} server disconnects, ${r.openTimeouts} open timeouts, ${r.closeTimeouts} close timeouts`);
  console.log(`faults injected: ${JSON.stringify(faults)}`);
  console.log(`audio: ${r.framesSent} frames sent, ${r.framesSkipped} frames discarded (reported: ${r.samplesDiscardedReported} samples); pongs ${r.pongs}/${r.pingsSent}, late ${r.latePongs}, p50/p99/max ${r.pongMs.p50}/${r.pongMs.p99}/${r.pongMs.max} ms`);
  const timeline = r.timelineSamplesCompleted + r.timelineSamplesFailed;
  if (c.delivered != null && c.gap != null) {
    const out = c.delivered + c.gap;
    console.log(`timeline: delivered ${c.delivered} + gap ${c.gap} = ${out} samples output; calls cover ${timeline} samples (completed ${r.timelineSamplesCompleted}, failed ${r.timelineSamplesFailed}); difference ${out - timeline} samples (${((out - timeline) / 8000).toFixed(3)} s)` +
      (c.idleGap ? `; not counted: ${c.idleGap} samples of idle time between calls on one element (${c.idleGaps} gaps)` : ""));
    if (c.files && r.calls) {
      // per call: the recording named after its first session against its timeline
      let match = 0, differ = [], missing = 0;
      for (const call of r.calls) {
        const f = c.files[`${call.id}.raw`];
        if (!f) { missing++; continue; }
        if (f[0] + f[1] === call.samples) match++;
        else differ.push(`${call.id.slice(0, 8)}: ${f[0]}+${f[1]} vs ${call.samples}${call.ok ? "" : " (failed)"}`);
      }
      const ids = new Set(r.calls.map((call) => `${call.id}.raw`));
      const extra = Object.entries(c.files).filter(([name]) => !ids.has(name));
      const extraSamples = extra.reduce((a, [, f]) => a + f[0] + f[1], 0);
      console.log(`per call: ${match} recordings match the timeline of their call, ${differ.length} differ, ${missing} calls without a recording` +
        (differ.length ? ` (e.g. ${differ.slice(0, 4).join("; ")})` : "") +
        `; ${extra.length} recordings of no call of the clients (a continuation the server made a call of its own), ${extraSamples} samples`);
    }
    if (c.opened != null) console.log(`server sessions: ${c.opened} opened (${c.continued} continuations, ${c.continuedWhileOldOpen} of them while the old session still had its connection, ${c.continuedOnOtherElement} served by another element than the old one), ${c.closed} closed, ${c.lost} lost; ${c.warnings} warnings, ${c.errors} errors on the bus`);
  } else {
    console.log(`timeline: calls cover ${timeline} samples; the server printed no sample totals (${c.line ?? "no stats line"})`);
  }
  const rs = r.server.rssSamples ?? [];
  const at = (sec) => { let best = null; for (const s of rs) if (s[1] !== null && s[0] <= sec) best = s; return best; };
  const m1 = at(60), mN = at(Number(process.env.MINUTES) * 60);
  if (m1 && mN && mN[0] > m1[0]) console.log(`RSS: ${m1[1]} KiB at ${m1[0]} s, ${mN[1]} KiB at ${mN[0]} s: growth ${(((mN[1] - m1[1]) / m1[1]) * 100).toFixed(1)} %`);
  else if (mN) console.log(`RSS: ${mN[1]} KiB at ${mN[0]} s`);
  if (r.failures.length) console.log(`first failures: ${r.failures.slice(0, 8).join("; ")}`);
'
if [ -f "$work/stalled" ]; then
  echo "STALL: no audio for 5 s while the clients sent; the threads' stacks are in $work/stall.txt (run with KEEP=DIR to keep them)"
fi
[ -n "${watcher:-}" ] && kill "$watcher" 2>/dev/null
if [ "$valgrind" = 1 ]; then
  for f in "$work"/valgrind.*.log; do
    # (a child that exec'd another program, such as the plugin scanner, has no summary)
    grep -q 'ERROR SUMMARY' "$f" 2>/dev/null || continue
    echo "valgrind ($(basename "$f")): $(grep -m1 'ERROR SUMMARY' "$f" | sed 's/^==[0-9]*== //')"
    grep -E 'definitely lost:|indirectly lost:|possibly lost:' "$f" | sed 's/^==[0-9]*== /  /'
  done
fi
if [ "$asan" = 1 ]; then
  n=$(cat "$work"/asan.* 2>/dev/null | grep -c '^==[0-9]*==ERROR')
  echo "ASan: $n reports$(cat "$work"/asan.* 2>/dev/null | grep -m3 -E 'SUMMARY' | sed 's/^/; /' | tr -d '\n')"
  # the first frames of each report, the allocator's own left out
  cat "$work"/asan.* 2>/dev/null | grep -E '^(Direct|Indirect) leak|^    #[0-9]+ ' |
    grep -v -E 'asan_|libsanitizer|in g_malloc |in g_malloc0 |in g_slice_alloc' | head -20 | sed 's/^/  /'

fi
[ -n "${KEEP:-}" ] && echo "# logs and reports in $work"
exit 0
