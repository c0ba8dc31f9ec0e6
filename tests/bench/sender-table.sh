#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Senders are not clocks: how much of what an AudioHook client sent ends up
# in the file. A benchmark: it prints two tables, nothing passes or fails.
#
# 1. 20 s calls of 200 ms frames, mono PCMU, signed: a sender clock 5000 ppm
#    slow, 5000 ppm fast, each frame 0-120 ms late (jitter), a 3 s frozen
#    pause (resumed with discarded PT0S), and fast + jitter + frozen pause
#    together; each into `gst-launch-1.0 -e genesyssrc ! filesink` and into
#    gst-genesys-serve (`genesyssrc ! filesink`), default element settings
#    (gap-mode=gap-event: gaps write nothing). Samples sent (the client's
#    report) and samples in the file. The calls of a mode run at once.
# 2. a 40 s stereo call paced by a plain setInterval: bytes sent, bytes in
#    the file, and the gaps the element reported (standalone: genesys-gap
#    and genesys-late bus messages, gst-launch-1.0 -m; serve: the gaps= of
#    its last stats line).
#
#   tests/bench/sender-table.sh [BUILDDIR]     # about 1.5 minutes
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
interop=$top/tests/interop
build=${1:-$top/build}
build=$(cd "$build" && pwd)
[ -d "$interop/node_modules/ws" ] || (cd "$interop" && npm ci --no-audit --no-fund --loglevel=error) >&2
tmp=$(mktemp -d)

KEY=SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh
SECRET=TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=
SRC_FLAGS=-m
SERVE_FLAGS="--stats-interval 1"

# shellcheck source-path=SCRIPTDIR source=../interop/lib/sender-run.sh
. "$interop/lib/sender-run.sh"
trap 'kill_started; rm -rf "$tmp"' EXIT INT TERM

MONO="--tone 440 --offers external --seconds 20 --frame-ms 200"
cat >"$tmp/senders" <<EOF
clock 5000 ppm slow|--drift-ppm 5000
clock 5000 ppm fast|--drift-ppm -5000
each frame 0-120 ms late|--jitter-ms 120 --seed 1
3 s frozen pause|--pause-at 8 --resume-after 3 --frozen-pause
fast + jitter + frozen pause|--drift-ppm -5000 --jitter-ms 120 --seed 2 --pause-at 8 --resume-after 3 --frozen-pause
EOF

# samples DIR: sample frames in DIR/out.raw (bytes / channels)
samples () {
  ch=$(report "$1" .channels)
  [ "$ch" -gt 0 ] 2>/dev/null || ch=1
  echo $(($(size "$1/out.raw") / ch))
}

# note DIR: why a row may not count (client or pipeline not clean)
note () {
  c=$(cat "$1/client.rc" 2>/dev/null || echo "?")
  g=$(cat "$1/gst.rc" 2>/dev/null || echo "?")
  [ "$c" = 0 ] && [ "$g" = 0 ] || echo " (client exit $c, $2 exit $g)"
}

# Standalone, the senders at once.
n=0
while IFS='|' read -r name args; do
  n=$((n + 1))
  port=$(free_port)
  # shellcheck disable=SC2086
  standalone "$tmp/s$n" "$port" $MONO $args &
done <"$tmp/senders"
wait

# Serve, the senders at once.
if serve_start "$tmp/serve"; then
  n=0
  dirs=
  calls=
  while IFS='|' read -r name args; do
    n=$((n + 1))
    dirs="$dirs $tmp/v$n"
    # shellcheck disable=SC2086
    serve_call "$tmp/v$n" $MONO $args &
    calls="$calls $!"
  done <"$tmp/senders"
  # shellcheck disable=SC2086
  wait $calls
  # shellcheck disable=SC2086
  serve_stop $dirs || echo "gst-genesys-serve did not drain" >&2
else
  echo "gst-genesys-serve did not start" >&2
fi

echo "20 s of 200 ms frames, mono PCMU, signed; genesyssrc default settings"
echo
printf '%-30s | %-10s | %12s | %19s\n' sender mode "samples sent" "samples in the file"
printf '%-30s-|-%-10s-|-%12s-|-%19s\n' "" "" "" "" | tr ' ' -
n=0
while IFS='|' read -r name args; do
  n=$((n + 1))
  for m in s v; do
    d=$tmp/$m$n
    if [ $m = s ]; then mode=standalone what=pipeline; else mode=serve what=serve; fi
    printf '%-30s | %-10s | %12s | %19s%s\n' "$name" $mode "$(report "$d" .samplesSent)" \
      "$(samples "$d")" "$(note "$d" $what)"
  done
done <"$tmp/senders"

# 2. A 40 s stereo call paced by setInterval, standalone and serve at once.
STEREO="--tone 440 --stereo --offers stereo --seconds 40 --frame-ms 200 --pace setinterval"
serve_ok=0
serve_start "$tmp/serve2" && serve_ok=1
port=$(free_port)
# shellcheck disable=SC2086
standalone "$tmp/st" "$port" $STEREO &
spid=$!
# shellcheck disable=SC2086
[ $serve_ok = 1 ] && serve_call "$tmp/vt" $STEREO
wait $spid
[ $serve_ok = 1 ] && { serve_stop "$tmp/vt" || echo "gst-genesys-serve did not drain" >&2; }

echo
echo "40 s stereo PCMU call (external 440 Hz, internal 880 Hz) paced by setInterval(200)"
echo
printf '%-10s | %10s | %17s | %s\n' mode "bytes sent" "bytes in the file" "gaps reported"
printf '%-10s-|-%10s-|-%17s-|-%s\n' "" "" "" "-------------" | tr ' ' -
gaps=$(grep -c 'genesys-gap' "$tmp/st/gst.log" 2>/dev/null)
late=$(grep -c 'genesys-late' "$tmp/st/gst.log" 2>/dev/null)
printf '%-10s | %10s | %17s | %s\n' standalone "$(report "$tmp/st" .bytesSent)" "$(size "$tmp/st/out.raw")" \
  "${gaps:-0} genesys-gap, ${late:-0} genesys-late$(note "$tmp/st" pipeline)"
sgaps=$(sed -n 's/^stats: .* gaps=\([0-9]*\) .*/\1/p' "$tmp/serve2/serve.log" 2>/dev/null | tail -1)
printf '%-10s | %10s | %17s | %s\n' serve "$(report "$tmp/vt" .bytesSent)" "$(size "$tmp/vt/out.raw")" \
  "gaps=${sgaps:-?} (stats)$(note "$tmp/vt" serve)"
echo
echo "setInterval lateness at the end: standalone $(report "$tmp/st" .sender.lastLatenessMs) ms," \
  "serve $(report "$tmp/vt" .sender.lastLatenessMs) ms"
