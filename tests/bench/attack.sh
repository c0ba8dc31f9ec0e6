#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Hostile clients against gst-genesys-serve, one attack at a time, each for
# SECONDS (default 20) while a real, signed client opens and pings beside it:
#   gst-genesys-serve --api-key K --client-secret S --max-sessions 50 -- 'genesyssrc ! fakesink'
# One row per attack: the server's peak RSS and open descriptors (sampled
# every 100 ms from /proc), its CPU over the attack, how long until the
# attacker was cut off, and the real client's open and pong latencies
# (median / max). The server is restarted between attacks; above 2 GB of
# RSS it is killed and the row says so. A benchmark: it exits 0 when it ran.
#   tests/bench/attack.sh [BUILDDIR] [SECONDS] [ATTACK...]
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/bench/bench-common.sh"
builddir=${1:-build}
case "$builddir" in /*) ;; *) builddir="$top/$builddir" ;; esac
secs=${2:-20}
shift 2 2>/dev/null || shift $#
attacks=${*:-discarded body slowloris fragments deflate pings silent burst replay burstclose}
key=attack-key
secret=$(head -c 32 /dev/urandom | base64)
export GST_PLUGIN_PATH="$builddir/gst/genesys"
bench_setup

printf '%-11s %9s %5s %6s %10s %13s %13s  %s\n' attack "peak RSS" fds cpu "cut off" "open ms" "pong ms" detail
for attack in $attacks; do
  port=$(free_port)
  "$builddir/tools/gst-genesys-serve" --address 127.0.0.1 --port "$port" --api-key "$key" \
    --client-secret "$secret" --max-sessions 50 -- 'genesyssrc ! fakesink' >/dev/null 2>&1 &
  pid=$!
  wait_port "$port" "$pid" || { echo "$attack: serve did not start"; continue; }
  ticks0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  t0=$(date +%s.%N)
  out=$(mktemp)
  node "$top/tests/bench/attack.mjs" --port "$port" --api-key "$key" --client-secret "$secret" \
    --attack "$attack" --seconds "$secs" >"$out" 2>/dev/null &
  node_pid=$!
  peak=0 fds=0 killed=""
  while kill -0 "$node_pid" 2>/dev/null; do
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    n=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
    [ "${rss:-0}" -gt "$peak" ] && peak=$rss
    [ "$n" -gt "$fds" ] && fds=$n
    if [ "${rss:-0}" -gt 2097152 ]; then kill -KILL "$pid"; killed="killed at 2 GB"; break; fi
    sleep 0.1
  done
  wait "$node_pid" 2>/dev/null
  t1=$(date +%s.%N)
  ticks1=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo "$ticks0")
  cpu=$(awk -v a="$ticks0" -v b="$ticks1" -v t0="$t0" -v t1="$t1" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.0f%%", 100 * (b - a) / hz / (t1 - t0) }')
  [ -z "$killed" ] && stop_pid "$pid" 50 >/dev/null 2>&1
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8") || "{}");
    const med = (a) => a && a.length ? a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)] : "-";
    const max = (a) => a && a.length ? Math.max(...a) : "-";
    const [attack, peak, fds, cpu, killed] = process.argv.slice(2);
    const cut = r.cutOffMs === null || r.cutOffMs === undefined ? (killed || "not cut off") : `${(r.cutOffMs / 1000).toFixed(1)} s`;
    console.log(`${attack.padEnd(11)} ${(peak / 1024).toFixed(1).padStart(6)} MB ${fds.padStart(5)} ${cpu.padStart(6)} ${cut.padStart(10)} ` +
      `${(med(r.openMs) + " / " + max(r.openMs)).padStart(13)} ${(med(r.pongMs) + " / " + max(r.pongMs)).padStart(13)}  ` +
      `${r.detail || "(no result)"}${r.refused ? `; real client refused ${r.refused}x` : ""}`);
  ' "$out" "$attack" "$peak" "$fds" "$cpu" "$killed" 2>/dev/null || echo "$attack: no result"
  rm -f "$out"
done
exit 0
