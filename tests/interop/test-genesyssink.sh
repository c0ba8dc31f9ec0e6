#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# genesyssink (in gst-launch-1.0) against the independent Node AudioHook
# server. Each case streams 4 s of audio (32000 samples at 8 kHz) and checks
# the server's report: sessions, timeline length, continuations, discarded
# spans, close reason, and no protocol violation on any message.
# Last line: "N passed, N failed".
#
#   tests/interop/test-genesyssink.sh BUILDDIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
build=$(cd "$build" && pwd)
export GST_PLUGIN_PATH="$build/gst/genesys"
tmp=$(mktemp -d)
srv_pid=0
trap 'kill $srv_pid 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
passed=0
failed=0

KEY=SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh
SECRET=TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=

start_server () {
  rm -f "$tmp/report.json" "$tmp/server.out"
  node "$here/audiohook-server.mjs" --port 0 --report "$tmp/report.json" "$@" \
    >"$tmp/server.out" 2>"$tmp/server.log" &
  srv_pid=$!
  i=0
  until grep -q LISTENING "$tmp/server.out" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 100 ] && break
    sleep 0.05
  done
  port=$(sed -n 's/^LISTENING //p' "$tmp/server.out")
  uri="ws://127.0.0.1:$port/api/v1/audiohook/ws"
}

stop_server () {
  kill -TERM "$srv_pid" 2>/dev/null
  wait "$srv_pid" 2>/dev/null
}

# send CHANNELS SINK-PROPERTIES...: 4 s of a tone, paced by the clock
send () {
  channels=$1
  shift
  timeout 60 gst-launch-1.0 -q audiotestsrc num-buffers=50 samplesperbuffer=640 \
    freq=440 ! audio/x-raw,rate=8000,channels="$channels" ! mulawenc ! \
    genesyssink uri="$uri" "$@" >"$tmp/gst.log" 2>&1
}

result () {
  name=$1 rc=$2 detail=$3
  if [ "$rc" = 0 ]; then
    passed=$((passed + 1))
    echo "ok - $name: $detail"
  else
    failed=$((failed + 1))
    echo "not ok - $name: $detail"
    tail -3 "$tmp/gst.log" | sed 's/^/    gst: /'
    tail -3 "$tmp/server.log" | sed 's/^/    server: /'
  fi
}

check () {
  name=$1 grc=$2
  shift 2
  stop_server
  detail=$(node "$here/check-server-report.mjs" "$tmp/report.json" "$@")
  rc=$?
  [ "$grc" = 0 ] || rc=1
  result "$name" $rc "pipeline $grc, $detail"
}

start_server
send 1
check "mono" $? sessions=1 samples=32000 close=end

start_server
send 2
check "stereo" $? sessions=1 samples=32000 close=end stereo=1

start_server --api-key $KEY --client-secret $SECRET
send 1 api-key=$KEY client-secret=$SECRET
check "signed" $? sessions=1 samples=32000 close=end

start_server --api-key $KEY --client-secret $SECRET
send 1 api-key=$KEY client-secret=b3RoZXIgc2VjcmV0IG9mIDMyIGJ5dGVzIGxvbmcuLi4=
grc=$?
stop_server
detail=$(node "$here/check-server-report.mjs" "$tmp/report.json" rejected=1)
rc=$?
[ $grc -ne 0 ] || rc=1
grep -q "401" "$tmp/gst.log" || rc=1
result "wrong secret: one 401, no retry, element error" $rc "pipeline exit $grc, $detail"

start_server --drop-every-ms 1100
send 1
check "drop every 1.1 s: continued sessions, exact timeline" $? sessions=3 \
  samples=32000 close=end chained=1

start_server --start-paused --resume-after-ms 700
send 1
check "start paused, then resumed" $? sessions=1 samples=32000 close=end

start_server --discard-to-ms 1000
send 1
check "discardTo" $? sessions=1 samples=32000 close=end discarded=1

start_server --pause-at-ms 1000 --resume-after-ms 500
send 1
check "server pause and resume" $? sessions=1 samples=32000 close=end

start_server --disconnect-after-ms 1500
send 1
check "server disconnect ends the stream" $? sessions=1 close=disconnect

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
