#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Senders are not clocks: the independent Node client with sender models
# (setInterval pacing, a clock off by +-5000 ppm, jitter, a stall then a
# burst, a frozen-position pause) into genesyssrc with its DEFAULT settings
# (gap-mode=gap-event: gaps write nothing), mono PCMU, signed upgrades. Every
# audio byte the client sent must be in the file, in order, and nothing else:
# the recording equals the client's --dump byte for byte. Each case runs
# standalone (gst-launch-1.0 -e genesyssrc ! filesink) and under
# gst-genesys-serve (one recording per call); the cases of a mode run in
# parallel (about 25 s each). Last line: "N passed, N failed".
#
#   tests/interop/test-timeline.sh BUILDDIR
set -u
interop=$(cd "$(dirname "$0")" && pwd)
build=${1:-$interop/../../build}
build=$(cd "$build" && pwd)
tmp=$(mktemp -d)
passed=0
failed=0

KEY=SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh
SECRET=TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=
CALL="--tone 440 --offers external --seconds 20 --frame-ms 200"

# shellcheck source-path=SCRIPTDIR source=lib/sender-run.sh
. "$interop/lib/sender-run.sh"
trap 'kill_started; rm -rf "$tmp"' EXIT INT TERM

# NAME|client options (on top of $CALL)
cat >"$tmp/cases" <<EOF
setInterval pacing, 3 s frozen pause|--pace setinterval --pause-at 8 --resume-after 3 --frozen-pause
clock 5000 ppm slow|--drift-ppm 5000
clock 5000 ppm fast|--drift-ppm -5000
each frame 0-120 ms late|--jitter-ms 120 --seed 1
2 s stall, then a burst|--stall-at 8 --stall-ms 2000
5000 ppm fast + jitter + 3 s frozen pause|--drift-ppm -5000 --jitter-ms 120 --seed 2 --pause-at 8 --resume-after 3 --frozen-pause
EOF

result () {
  if [ "$2" = 0 ]; then
    passed=$((passed + 1))
    echo "ok - $1${3:+: $3}"
  else
    failed=$((failed + 1))
    echo "not ok - $1${3:+: $3}"
  fi
}

# check DIR NAME WHAT ARGS: clean session, pipeline/serve ended well, the same bytes
check () {
  d=$1
  crc=$(cat "$d/client.rc" 2>/dev/null || echo "?")
  grc=$(cat "$d/gst.rc" 2>/dev/null || echo "?")
  detail=$(same_bytes "$d/sent.raw" "$d/out.raw" 8000)
  brc=$?
  # the report and the dump agree (mono: a byte per sample), and a frozen
  # pause was one: resumed with discarded PT0S
  [ "$(report "$d" .samplesSent)" = "$(size "$d/sent.raw")" ] || brc=1
  case $4 in
  *--frozen-pause*) [ "$(report "$d" ".pauses.map(p=>p.discarded).join()")" = PT0S ] || brc=1 ;;
  esac
  rc=0
  [ "$crc" = 0 ] && [ "$grc" = 0 ] && [ $brc -eq 0 ] || rc=1
  result "$2" $rc "client $crc, $3 $grc, $detail"
  if [ $rc -ne 0 ]; then
    tail -3 "$d/client.log" 2>/dev/null | sed 's/^/    client: /'
    tail -3 "$d/gst.log" 2>/dev/null | sed 's/^/    gst: /'
  fi
}

# The comparator itself: one byte missing, extra or changed is a failure.
mkdir "$tmp/cmp"
head -c 16000 /dev/urandom >"$tmp/cmp/sent"
cp "$tmp/cmp/sent" "$tmp/cmp/same"
head -c 15999 "$tmp/cmp/sent" >"$tmp/cmp/short"
{ cat "$tmp/cmp/sent"; printf x; } >"$tmp/cmp/long"
node -e "const fs=require('fs');const b=fs.readFileSync('$tmp/cmp/sent');b[8000]^=1;fs.writeFileSync('$tmp/cmp/changed',b)"
node -e "const fs=require('fs');const b=fs.readFileSync('$tmp/cmp/sent');fs.writeFileSync('$tmp/cmp/hole',Buffer.concat([b.subarray(0,8000),b.subarray(8001)]))"
rc=0
same_bytes "$tmp/cmp/sent" "$tmp/cmp/same" >/dev/null || rc=1
for f in short long changed hole missing; do
  same_bytes "$tmp/cmp/sent" "$tmp/cmp/$f" >/dev/null && rc=1
done
result "comparator: the same bytes pass; a byte missing, extra or changed fails" $rc

# Standalone: one gst-launch-1.0 per case, all at once.
n=0
while IFS='|' read -r name args; do
  n=$((n + 1))
  port=$(free_port)
  # shellcheck disable=SC2086
  standalone "$tmp/s$n" "$port" $CALL $args &
done <"$tmp/cases"
wait
n=0
while IFS='|' read -r name args; do
  n=$((n + 1))
  check "$tmp/s$n" "standalone: $name" pipeline "$args"
done <"$tmp/cases"

# gst-genesys-serve: one server, the calls at once.
if serve_start "$tmp/serve"; then
  n=0
  dirs=
  calls=
  while IFS='|' read -r name args; do
    n=$((n + 1))
    dirs="$dirs $tmp/v$n"
    # shellcheck disable=SC2086
    serve_call "$tmp/v$n" $CALL $args &
    calls="$calls $!"
  done <"$tmp/cases"
  # shellcheck disable=SC2086
  wait $calls
  # shellcheck disable=SC2086
  serve_stop $dirs || sed 's/^/    serve: /' "$tmp/serve/serve.log" | tail -5
fi
n=0
while IFS='|' read -r name args; do
  n=$((n + 1))
  mkdir -p "$tmp/v$n"
  check "$tmp/v$n" "serve: $name" serve "$args"
done <"$tmp/cases"

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
