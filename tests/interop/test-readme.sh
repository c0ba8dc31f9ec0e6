#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs the pipelines of README.md's first example block as written (they
# listen on port 9000): the recorder with a signed Node client calling in,
# then the echo bot with the third pipeline playing the recording into it.
#   tests/interop/test-readme.sh [BUILDDIR]
# Ends with "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
builddir=${1:-build}
case "$builddir" in /*) ;; *) builddir="$top/$builddir" ;; esac
export GST_PLUGIN_PATH="$builddir/gst/genesys"
passed=0
failed=0
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
cd "$tmp"

# the block's commands, continuation lines joined: export, recorder, bot, sink
python3 - "$top/README.md" > commands <<'PY'
import re, sys
text = open(sys.argv[1]).read()
block = re.search(r"```\n(# the integration.s credentials.*?)```", text, re.S).group(1)
lines = [l for l in block.replace("\\\n", "").splitlines() if l.strip() and not l.startswith("#")]
print("\n".join(re.sub(r"\s+", " ", l).strip() for l in lines))
PY
sed -n 1p commands | grep -q '^export ' || { echo "README block not found"; echo "0 passed, 1 failed"; exit 1; }

result () {
  if [ "$2" = 0 ]; then passed=$((passed + 1)); echo "ok - $1${3:+: $3}"
  else failed=$((failed + 1)); echo "not ok - $1${3:+: $3}"; tail -5 gst.log 2>/dev/null | sed 's/^/    /'; fi
}

wait_port () {
  i=0
  while ! node -e "require('net').connect(9000,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 200 ] && return 1; sleep 0.05
  done
}

# wait_pid PID SECONDS: the pipeline ends by itself
wait_pid () {
  i=0
  while kill -0 "$1" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt $(($2 * 20)) ] && { kill "$1"; wait "$1"; return 1; }; sleep 0.05
  done
  wait "$1"
}

eval "$(sed -n 1p commands)"
[ -n "$API_KEY" ] && [ -n "$CLIENT_SECRET" ]
result "the credentials line sets API_KEY and CLIENT_SECRET" $?

# the recorder, and a signed call of 2 s
sh -c "$(sed -n 2p commands)" >gst.log 2>&1 &
rec=$!
wait_port
node "$here/audiohook-client.mjs" --url ws://127.0.0.1:9000/api/v1/audiohook/ws \
  --api-key "$API_KEY" --client-secret "$CLIENT_SECRET" --tone 440 --seconds 2 --quiet
crc=$?
wait_pid $rec 10
grc=$?
size=$(stat -c %s call.wav 2>/dev/null || echo 0)
# 2 s of stereo S16 at 8 kHz, and the WAV header
rc=0
[ $crc -eq 0 ] && [ $grc -eq 0 ] && [ "$size" -ge 64044 ] || rc=1
result "recorder: a signed call becomes call.wav" $rc "client $crc, pipeline $grc, $size bytes"

# the echo bot, and the third pipeline playing call.wav into it
sh -c "$(sed -n 3p commands)" >gst.log 2>&1 &
bot=$!
wait_port
sh -c "$(sed -n 4p commands)" >sink.log 2>&1
src=$?
wait_pid $bot 10
brc=$?
rc=0
[ $src -eq 0 ] && [ $brc -eq 0 ] || rc=1
grep -q ERROR sink.log gst.log && rc=1
result "echo bot answers the genesyssink playing call.wav" $rc "sink $src, bot $brc"

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
