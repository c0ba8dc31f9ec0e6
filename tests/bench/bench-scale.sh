#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Scale benchmark: N concurrent AudioHook sessions (tests/bench/ah-load.mjs, one
# Node process) against gst-genesys-serve with `genesyssrc ! fakesink`, and
# against a plain Node `ws` server (tests/bench/ws-plain-server.mjs). Prints one
# table row per server and N. A benchmark: it prints numbers, it does not pass
# or fail.
#
#   tests/bench/bench-scale.sh [BUILD_DIR] [N...]
#
# BUILD_DIR: the meson build dir with tools/gst-genesys-serve and gst/genesys
# (default: build). N: session counts (default 100 500 1000).
# Environment:
#   DURATION=60     seconds of the steady window per run
#   SERVERS="serve node"   which servers; "element" = N genesyssrc elements
#                   (keep-listening, one session each) in one gst-launch-1.0
#                   process, the stand-in when gst-genesys-serve is not built
#   PIN=1           server on CPU 0, load generator on CPU 1 (taskset); 0: no pinning
#   RAMP=           seconds over which sessions start (default max(3, N/200))
#   PACING=own      own: each session sends on its own timer with a random
#                   phase (frames arrive spread out, as from Genesys media
#                   servers); tick: every session from one shared 10 ms tick
#                   (frames arrive in clumps of about N/20)
#   TEMPLATE='genesyssrc ! fakesink'   the pipeline gst-genesys-serve runs per session
#   THREADS=        gst-genesys-serve --threads (loop threads; default: its own,
#                   one per processor it may run on, at most 8). Several values, e.g.
#                   THREADS="1 4", run serve once per value (rows serve/T)
#   SERVE_ARGS=     more gst-genesys-serve options, word-split, e.g.
#                   SERVE_ARGS=--push-mode=thread
#   KEEP=DIR        keep the logs and JSON reports there
#
# Columns:
#   cpu/frame  server CPU time (utime+stime of all its threads, /proc/PID/stat,
#              10 ms ticks) over the steady window / audio frames the clients
#              sent in that window (all sessions open, none starting or closing;
#              equal to the frames the server received there when none is lost,
#              give or take the few in flight at the window's edges)
#   rss/sess   (largest server RSS sampled each second in the window - its RSS
#              before the first client connected) / N
#   pong       JSON ping -> pong latency over the whole run as the clients see
#              it: p50 / p99 / max (includes the load generator's own event loop
#              delay, printed as "gen lag p99"); "steady": the pings sent in the
#              steady window only (no session starting or ending)
#   late       pongs more than 5 s late (or never answered)
#   lost       frames sent - frames the server counted, over the whole run.
#              Sent = 3200-byte frames handed to ws.send() on an open session
#              before its close. Counted: plain server = binary messages
#              received; gst-genesys-serve = the frames/s of its stats lines
#              times their intervals, summed (to about a frame: it prints no
#              total); element = the samples each session covered (position
#              at close from genesys-session-closed) / 1600.
#   ok         sessions that completed open ... close/closed, of N
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-build}
[ $# -gt 0 ] && shift
case "$build" in /*) ;; *) build="$top/$build" ;; esac
counts=("$@")
[ ${#counts[@]} -eq 0 ] && counts=(100 500 1000)
DURATION=${DURATION:-60}
PIN=${PIN:-1}
TEMPLATE=${TEMPLATE:-genesyssrc ! fakesink}
serve_bin="$build/tools/gst-genesys-serve"
if [ -z "${SERVERS:-}" ]; then
  if [ -x "$serve_bin" ]; then SERVERS="serve node"; else
    echo "note: $serve_bin not built; using the element stand-in (N genesyssrc in one gst-launch-1.0)" >&2
    SERVERS="element node"
  fi
fi
export GST_PLUGIN_PATH="$build/gst/genesys${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

. "$here/bench-common.sh"
bench_setup || exit 1

work=${KEEP:-$(mktemp -d)}
mkdir -p "$work"
[ -z "${KEEP:-}" ] && trap 'rm -rf "$work"' EXIT

srv_cpu=() gen_cpu=()
if [ "$PIN" = 1 ] && command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  srv_cpu=(taskset -c 0) gen_cpu=(taskset -c 1)
fi

run_one () {
  local server=$1 n=$2 threads=${3:-} port pid log="$work/$1${3:-}-$2.log" rep="$work/$1${3:-}-$2.json" received=""
  local label=$server${threads:+/$threads}
  port=$(free_port)
  case $server in
    node)
      "${srv_cpu[@]}" node "$here/ws-plain-server.mjs" --port "$port" --path /ws --stats-interval 1 >"$log" 2>&1 &
      ;;
    serve)
      # line-buffered, each line stamped with its arrival time (see serve_frames)
      "${srv_cpu[@]}" stdbuf -oL "$serve_bin" --port "$port" --path /ws --max-sessions $((n + 16)) \
        ${threads:+--threads "$threads"} ${SERVE_ARGS:-} --stats-interval 1 -- "$TEMPLATE" > >(stamp >"$log") 2>&1 &
      ;;
    element)
      local args=() i
      for i in $(seq "$n"); do
        args+=(genesyssrc "port=$port" address=127.0.0.1 path=/ws keep-listening=true ! fakesink async=false)
      done
      "${srv_cpu[@]}" gst-launch-1.0 -m "${args[@]}" >"$log" 2>&1 &
      ;;
  esac
  pid=$!
  if ! wait_port "$port" "$pid"; then
    echo "$server N=$n: the server did not start; log:" >&2
    tail -20 "$log" >&2
    kill "$pid" 2>/dev/null
    return
  fi
  sleep 2 # idle RSS after start-up
  "${gen_cpu[@]}" node "$here/ah-load.mjs" --url "ws://127.0.0.1:$port/ws" --clients "$n" \
    --duration "$DURATION" ${RAMP:+--ramp "$RAMP"} --pacing "${PACING:-own}" --server-pid "$pid" --report "$rep" \
    --progress 0 >/dev/null 2>"$work/$server$threads-$n.load.log"
  sleep 1
  stop_pid "$pid" 2>/dev/null
  case $server in
    node) received=$(sed -n 's/^TOTALS //p' "$log" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(s?JSON.parse(s).frames:""))') ;;
    element) received=$(grep -o 'genesys-session-closed.*probe=(boolean)false, duration=(guint64)[0-9]*' "$log" |
               sed 's/.*duration=(guint64)//' | awk '{s += $1} END {printf "%d", s / 200000000}') ;;
    serve) received=$(serve_frames "$log") ;;
  esac
  SERVER=$label RECEIVED=$received REP=$rep node --input-type=module -e '
    import fs from "node:fs";
    const r = JSON.parse(fs.readFileSync(process.env.REP, "utf8"));
    const s = r.server, rec = process.env.RECEIVED;
    const cpu = s.cpuSecondsSteady !== null && r.framesSentSteady ? (s.cpuSecondsSteady * 1e6 / r.framesSentSteady).toFixed(1) : "-";
    const rss = s.rssSteadyMaxKiB !== null && s.rssIdleKiB !== null ? ((s.rssSteadyMaxKiB - s.rssIdleKiB) / r.clients).toFixed(1) : "-";
    const f = (x) => (x === null ? "-" : x.toFixed(1));
    const lost = rec === "" ? "?" : String(r.framesSent - Number(rec));
    console.log([process.env.SERVER.padEnd(7), String(r.clients).padStart(5), cpu.padStart(10), rss.padStart(9),
      `${f(r.pongMs.p50)}/${f(r.pongMs.p99)}/${f(r.pongMs.max)}`.padStart(20),
      `${f(r.pongMsSteady.p99)}/${f(r.pongMsSteady.max)}`.padStart(13), String(r.latePongs).padStart(5),
      String(r.framesSent).padStart(9), lost.padStart(6), `${r.closedOk}/${r.clients}`.padStart(10),
      String(r.loadgenLoopLagMs.p99).padStart(11)].join(" "));
    if (r.failures.length) console.error(`  ${process.env.SERVER} N=${r.clients}: ${r.failures.slice(0, 5).join("; ")}`);
  '
}

# Prefixes each line with the time it arrived (seconds).
stamp () {
  local l
  while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done
}

# Frames gst-genesys-serve received over the run, from its stats lines: each
# frames/s times the time since the previous line (the intervals of
# g_timeout_add_seconds vary), summed and rounded; good to about a frame.
serve_frames () {
  grep 'frames/s=' "$1" | sed 's/^\([0-9.]*\) .*frames\/s=\([0-9.]*\).*/\1 \2/' |
    awk 'NR > 1 {s += $2 * ($1 - t)} {t = $1} END {printf "%d", s + 0.5}'
}

echo "# bench-scale: ${DURATION} s steady window, 3200-byte stereo PCMU frames every 200 ms per session, ping every 5 s, pacing ${PACING:-own}"
echo "# $(nproc) cores; pinning: ${srv_cpu[*]:-none} (server) / ${gen_cpu[*]:-none} (load generator); $(date -u +%Y-%m-%dT%H:%MZ)"
echo "server      N  cpu/frame  rss/sess      pong p50/p99/max  steady p99/max  late      sent   lost         ok gen lag p99"
echo "            us/frame       KiB              ms (whole run)       ms                                                 ms"
for n in "${counts[@]}"; do
  for server in $SERVERS; do
    if [ "$server" = serve ] && [ -n "${THREADS:-}" ]; then
      for t in $THREADS; do run_one serve "$n" "$t"; done
    else
      run_one "$server" "$n"
    fi
  done
done
[ -n "${KEEP:-}" ] && echo "# logs and reports in $work"
