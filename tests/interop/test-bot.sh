#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Voice-bot (Audio Connector) interop: genesyssrc + genesyssink session-name=
# in gst-launch-1.0 against the independent Node Audio Connector client
# (audioconnector-client.mjs). The client streams caller audio, plays the
# bot's audio in real time, sends playback_started/completed, and counts
# violations: message > 64000 bytes, rate above a 5/s burst 25 token bucket,
# more than max-lead (+100 ms) buffered ahead of playout, audio during a 429
# retryAfter. Each case also requires the pipeline to end by itself.
#
# Not covered here: barge-in and disconnect need the sink's action signals,
# which gst-launch-1.0 cannot emit (the element tests in tests/check cover
# them; the client supports --expect-barge-in and --close-on-disconnect).
# Last line: "N passed, N failed[, N skipped]".
#
#   tests/interop/test-bot.sh BUILDDIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
build=$(cd "$build" && pwd)
export GST_PLUGIN_PATH="$build/gst/genesys"
tmp=$(mktemp -d)
gst_pid=0
trap 'kill -INT $gst_pid 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
passed=0
failed=0
skipped=0

free_port () {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# start_gst [-m] CHAIN...: gst-launch-1.0 with genesyssrc on a free port; the
# caller's chain comes first, "$@" is appended (a second chain or the rest).
start_gst () {
  port=$(free_port)
  rm -f "$tmp/report.json"
  # shellcheck disable=SC2086 # gst_flags is a list of flags
  gst-launch-1.0 $gst_flags genesyssrc address=127.0.0.1 port="$port" session-name=b \
    media-preference=external "$@" >"$tmp/gst.log" 2>&1 &
  gst_pid=$!
  i=0
  while ! node -e "require('net').connect($port,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))" 2>/dev/null; do
    i=$((i + 1))
    [ $i -gt 100 ] && break
    sleep 0.05
  done
  url="ws://127.0.0.1:$port/api/v1/audiohook/ws"
}

# wait_gst SECONDS: the pipeline must end by itself (the session's close)
wait_gst () {
  i=0
  while kill -0 "$gst_pid" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -gt $(($1 * 20)) ]; then
      kill -INT "$gst_pid" 2>/dev/null
      sleep 1
      kill "$gst_pid" 2>/dev/null
      wait "$gst_pid" 2>/dev/null
      return 1
    fi
    sleep 0.05
  done
  wait "$gst_pid"
}

peer () {
  node "$here/audioconnector-client.mjs" --url "$url" --report "$tmp/report.json" --quiet "$@" \
    2>"$tmp/peer.log"
}

# r EXPR: a value from the client's report, e.g. r .botAudio.bytes
r () {
  node -e "const r=require('$tmp/report.json');const v=r$1;console.log(typeof v==='object'?JSON.stringify(v):v)" 2>/dev/null
}

# within VALUE LOW HIGH
within () {
  [ -n "$1" ] && [ "$1" != null ] && [ "$1" != undefined ] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}

show_logs () {
  tail -3 "$tmp/peer.log" | sed 's/^/    peer: /'
  sed 's/\x1b\[[0-9;]*m//g' "$tmp/gst.log" | tail -4 | sed 's/^/    gst: /'
}

result () {
  name=$1 rc=$2 detail=$3
  if [ "$rc" = 0 ]; then
    passed=$((passed + 1))
    echo "ok - $name: $detail"
  else
    failed=$((failed + 1))
    echo "not ok - $name: $detail"
    show_logs
  fi
}


# numbers every bot case prints
summary () {
  echo "$(r .botAudio.bytes) bytes in $(r .botAudio.messages) msgs, max $(r .botAudio.maxMessageBytes) bytes," \
    "max $(r .botAudio.maxMessagesIn1s) msgs/1 s, max lead $(r .botAudio.maxLeadMs) ms," \
    "playback $(r .playback.startedSent)/$(r .playback.completedSent), violations $(r .violations.length)"
}

gst_flags=-q

# ---- 0. the peer's own checks against scripted misbehaving servers
out=$(node "$here/audioconnector-client.mjs" --self-test 2>&1)
rc=$?
result "client self-test" $rc "$(echo "$out" | tail -1)"
[ "$rc" -eq 0 ] || echo "$out" | grep FAIL | sed 's/^/    /'

# Prompts: 12 s and 4 s, 16-bit 8 kHz WAV
gst-launch-1.0 -q audiotestsrc num-buffers=96 samplesperbuffer=1000 freq=300 ! \
  audio/x-raw,rate=8000,channels=1,format=S16LE ! wavenc ! filesink location="$tmp/prompt12.wav"
gst-launch-1.0 -q audiotestsrc num-buffers=32 samplesperbuffer=1000 freq=300 ! \
  audio/x-raw,rate=8000,channels=1,format=S16LE ! wavenc ! filesink location="$tmp/prompt4.wav"

# prompt_chain WAV SINK-PROPERTIES...: the bot's second chain
prompt_chain () {
  wav=$1
  shift
  echo "! fakesink filesrc location=$wav ! wavparse ! audioconvert ! audioresample !" \
    "audio/x-raw,rate=8000,channels=1 ! mulawenc ! genesyssink session-name=b $*"
}

# ---- 1. echo bot: caller audio played back 1 s later
start_gst ! queue ! genesyssink session-name=b ts-offset=1000000000
peer --tone 440 --seconds 5 --tail 1
crc=$?
wait_gst 15
grc=$?
caller=$(r .caller.bytes)
bot=$(r .botAudio.bytes)
delay=$(r .echo.delayMs)
hz=$(r .echo.botToneHz)
rc=0
[ $crc -eq 0 ] && [ $grc -eq 0 ] || rc=1
within "$bot" $((caller - 9600)) $((caller + 1600)) || rc=1
within "$delay" 900 1500 || rc=1
within "$hz" 420 460 || rc=1
[ "$(r .playback.startedSent)" -ge 1 ] 2>/dev/null && [ "$(r .playback.completedSent)" -ge 1 ] || rc=1
result "echo bot (ts-offset 1 s)" $rc "caller $caller bytes, bot $(summary), echo delay $delay ms, echoed tone $hz Hz, client $crc, pipeline $grc"

# prompt_case NAME WAV SECONDS PEER-ARGS -- SINK-PROPERTIES: the whole prompt must arrive
prompt_case () {
  name=$1 wav=$2 secs=$3 pargs=$4
  shift 5
  # shellcheck disable=SC2046
  start_gst $(prompt_chain "$wav" "$@")
  # shellcheck disable=SC2086
  peer --tone 440 --seconds 1 --max-wait 60 $pargs
  crc=$?
  wait_gst 20
  grc=$?
  bytes=$(r .botAudio.bytes)
  rc=0
  [ $crc -eq 0 ] && [ $grc -eq 0 ] || rc=1
  within "$bytes" $((secs * 8000 - 1600)) $((secs * 8000 + 1600)) || rc=1
  detail="$(summary), client $crc, pipeline $grc"
}

# ---- 2. a 12 s prompt: whole, <= 64000 bytes a message, within the bucket, lead <= 1.1 s
prompt_case "prompt" "$tmp/prompt12.wav" 12 "" --
[ "$(r .playback.startedSent)" = 1 ] && [ "$(r .playback.completedSent)" = 1 ] || rc=1
result "12 s prompt" $rc "$detail"
msgs=$(r .botAudio.messages)
rc=0
within "$msgs" 60 61 || rc=1
result "12 s prompt in 256 ms buffers: coalesced into 1600-byte messages" $rc \
  "$msgs msgs, $(r .botAudio.partialMessages) partial, min tokens $(r .botAudio.minBucketTokens)"

# ---- 3. 429 after the 8th message: nothing for retryAfter (2 s), then the rest
prompt_case "429" "$tmp/prompt12.wav" 12 "--rate-limit-after 8 --retry-after PT2S" --
inwin=$(r .rateLimit.inWindow)
resumed=$(r .rateLimit.resumedAfterMs)
[ "$inwin" = 0 ] && within "$resumed" 1900 3000 || rc=1
result "429 retryAfter PT2S honoured" $rc "$detail, in window $inwin, resumed after $resumed ms"

# ---- 4. a tighter bucket than real time needs: never exceeded
prompt_case "bucket" "$tmp/prompt4.wav" 4 "--rate 2 --burst 3" -- message-rate=2 message-burst=3
result "message-rate=2 message-burst=3 against a 2/s burst 3 bucket" $rc "$detail, min tokens $(r .botAudio.minBucketTokens)"

# ---- 5. 9 s frames: no message above 64000 bytes
prompt_case "cap" "$tmp/prompt12.wav" 12 "--wait-idle 12 --max-lead-ms 20000" -- \
  frame-duration=9000000000 max-lead=20000000000
[ "$(r .botAudio.maxMessageBytes)" = 64000 ] || rc=1
result "frame-duration 9 s is capped at 64000 bytes" $rc "$detail"

# ---- 6. DTMF: bus message genesys-dtmf and the downstream GstGenesysDTMF event
gst_flags="-m -v"
start_gst ! fakesink silent=false
peer --tone 440 --seconds 3 --wait-idle 0.2 --dtmf '1@0.4,#@1.0,*@1.6,9@2.2'
crc=$?
wait_gst 15
grc=$?
gst_flags=-q
got=$(sed -n 's/.*genesys-dtmf, digit=(string)"\{0,1\}\\\{0,1\}\(.\)"\{0,1\}, position=(guint64)\([0-9]*\).*/\1@\2/p' "$tmp/gst.log" | tr '\n' ' ')
events=$(grep -c 'GstGenesysDTMF' "$tmp/gst.log")
rc=0
[ $crc -eq 0 ] && [ $grc -eq 0 ] || rc=1
[ "$got" = "1@400000000 #@1000000000 *@1600000000 9@2200000000 " ] || rc=1
[ "$events" -ge 4 ] || rc=1
result "DTMF 1 # * 9" $rc "bus: ${got}; $events GstGenesysDTMF event line(s); client $crc, pipeline $grc"

# ---- 7. the caller hangs up 3 s into a 12 s prompt: the pipeline must end
# shellcheck disable=SC2046
start_gst $(prompt_chain "$tmp/prompt12.wav")
peer --tone 440 --seconds 1 --max-wait 2
crc=$?
wait_gst 10
grc=$?
rc=0
[ $crc -eq 0 ] && [ $grc -eq 0 ] || rc=1
result "caller hangs up mid-prompt: the pipeline ends" $rc "client $crc, pipeline $grc (1: still running 10 s after the close)"

# ---- 8. frame-duration above max-lead: the prompt still plays without gaps
# (a frame longer than max-lead goes out when the client's playout is dry:
# 100 ms of dryness are forgiven)
prompt_case "linger" "$tmp/prompt4.wav" 4 "--max-lead-ms 2000 --wait-idle 4 --dry-grace-ms 100" -- \
  frame-duration=2000000000
span=$(node -e "const r=require('$tmp/report.json');console.log(r.botAudio.lastMessageAtMs-r.botAudio.firstMessageAtMs)" 2>/dev/null)
[ "$(r .playback.startedSent)" = 1 ] && within "$(r .botAudio.messages)" 1 3 && within "$span" 0 4000 || rc=1
result "frame-duration 2 s > max-lead 1 s: no playback gap" $rc "$detail, first to last message $span ms"

line="$passed passed, $failed failed"
[ $skipped -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ $failed -eq 0 ]
