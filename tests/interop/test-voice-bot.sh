#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The voice bot (build/pipelines/voice-bot: espeak speaks, pocketsphinx
# listens) against its simulator over real sockets: the simulated caller
# (genesyssink dialing the bot, genesyssrc recording the bot audio) says
# espeak-ng speech at 8 kHz; the bot must recognise it, answer, and end the
# session with the intent in the disconnect's outputVariables, which the
# caller's genesyssink reports. Each case requires both programs to end by
# themselves.
# Last line: "N passed, N failed[, N skipped]".
#
#   tests/interop/test-voice-bot.sh BUILDDIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
build=$(cd "$build" && pwd)
export GST_PLUGIN_PATH="$build/gst/genesys"
bot="$build/pipelines/voice-bot"
tmp=$(mktemp -d)
bot_pid=0
trap '[ $bot_pid -ne 0 ] && kill -INT $bot_pid 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
passed=0
failed=0
skipped=0

result () {
  name=$1 rc=$2 detail=$3
  if [ "$rc" = 0 ]; then
    passed=$((passed + 1))
    echo "ok - $name: $detail"
  else
    failed=$((failed + 1))
    echo "not ok - $name: $detail"
    grep -v '^-\|^\[NAME\]\|^Current configuration\|^$' "$tmp/bot.log" | tail -4 | sed 's/^/    bot: /'
    tail -3 "$tmp/caller.log" | sed 's/^/    caller: /'
  fi
}

line () {
  line="$passed passed, $failed failed"
  [ $skipped -gt 0 ] && line="$line, $skipped skipped"
  echo "$line"
}

if [ ! -x "$bot" ] || ! gst-inspect-1.0 pocketsphinx >/dev/null 2>&1 \
    || ! gst-inspect-1.0 espeak >/dev/null 2>&1 || ! command -v espeak-ng >/dev/null; then
  echo "skip - voice bot: needs $bot (-Dexamples), gstreamer1.0-pocketsphinx, pocketsphinx-en-us, gstreamer1.0-espeak, espeak-ng"
  skipped=$((skipped + 1))
  line
  exit 0
fi

free_port () {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# say FILE TEXT: espeak-ng at 8 kHz mono S16
say () {
  espeak-ng -w "$tmp/say-22k.wav" "$2" 2>/dev/null
  gst-launch-1.0 -q filesrc location="$tmp/say-22k.wav" ! wavparse ! audioconvert ! \
    audioresample ! audio/x-raw,format=S16LE,rate=8000,channels=1 ! \
    wavenc ! filesink location="$tmp/$1"
}

# call WAV SAY-AFTER: the bot on a free port, the simulated caller saying
# WAV; sets crc, brc and the bot's and caller's result lines
call () {
  port=$(free_port)
  "$bot" --port "$port" --timeout 60 >"$tmp/bot.out" 2>"$tmp/bot.log" &
  bot_pid=$!
  i=0
  until grep -q listening "$tmp/bot.log" 2>/dev/null; do
    i=$((i + 1))
    { [ $i -gt 200 ] || ! kill -0 $bot_pid 2>/dev/null; } && break
    sleep 0.05
  done
  crc=0
  "$bot" --simulate --port "$port" --say "$tmp/$1" --say-after "$2" \
    --record "$tmp/heard.wav" --timeout 60 >"$tmp/caller.out" 2>"$tmp/caller.log" || crc=$?
  brc=0
  i=0
  while kill -0 $bot_pid 2>/dev/null && [ $i -lt 50 ]; do
    i=$((i + 1))
    sleep 0.1
  done
  if kill -0 $bot_pid 2>/dev/null; then
    kill -INT $bot_pid
    brc=99
  fi
  wait $bot_pid || brc=$?
  bot_pid=0
}

# b KEY / c KEY: a value from the bot's or the caller's result line
b () { sed -n "s/.* $1=\([^ ]*\).*/\1/p; s/^bot: $1=\([^ ]*\).*/\1/p" "$tmp/bot.out"; }
c () { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$tmp/caller.out"; }
hyp () { sed -n 's/.* hypothesis="\([^"]*\)".*/\1/p' "$1"; }

# positive: a number above 0
positive () {
  python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > 0 else 1)" "${1:--1}" 2>/dev/null
}

say billing.wav "billing"
say digits.wav "one two three"
python3 -c "import wave; w = wave.open('$tmp/silence.wav', 'wb'); w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000); w.writeframes(b'\0\0' * 8000); w.close()"

# ---- 1. "billing" after the greeting: recognised, answered, returned
call billing.wav -1
rc=0
[ $crc -eq 0 ] && [ $brc -eq 0 ] || rc=1
[ "$(b intent)" = billing ] && [ "$(c intent)" = billing ] && [ "$(c disconnect)" = completed ] || rc=1
[ "$(b barge-ins)" = 0 ] || rc=1
positive "$(b latency-ms)" && positive "$(c reply-after)" || rc=1
result "\"billing\" after the greeting -> outputVariables intent=billing" $rc \
  "heard \"$(hyp "$tmp/bot.out")\", outputVariables intent=$(c intent) hypothesis=\"$(hyp "$tmp/caller.out")\", disconnect $(c disconnect); end of speech $(b end-of-speech) s -> final result $(b recognised-ms) ms -> answer sent $(b latency-ms) ms; caller heard it $(c reply-after) s after speaking; caller $crc, bot $brc"

# ---- 2. "billing" 1.5 s into the greeting: barge-in, then the same
call billing.wav 1.5
rc=0
[ $crc -eq 0 ] && [ $brc -eq 0 ] || rc=1
[ "$(b intent)" = billing ] && [ "$(c intent)" = billing ] && [ "$(c disconnect)" = completed ] || rc=1
[ "$(b barge-ins)" -ge 1 ] 2>/dev/null && positive "$(b flushed)" && positive "$(c client-flushed)" || rc=1
positive "$(b latency-ms)" || rc=1
result "caller talks over the greeting: barge-in" $rc \
  "$(b barge-ins) barge-in(s), greeting dropped $(b flushed) s in the bot + $(c client-flushed) s at the caller, intent=$(c intent), answer sent $(b latency-ms) ms after the end of speech; caller $crc, bot $brc"

# ---- 3. digits: "one two three" -> intent=digits
call digits.wav -1
rc=0
[ $crc -eq 0 ] && [ $brc -eq 0 ] || rc=1
[ "$(b intent)" = digits ] && [ "$(b digits)" = 123 ] && [ "$(c intent)" = digits ] || rc=1
result "\"one two three\" -> intent=digits 123" $rc \
  "heard \"$(hyp "$tmp/bot.out")\", digits $(b digits), outputVariables intent=$(c intent); answer sent $(b latency-ms) ms after the end of speech; caller $crc, bot $brc"

# ---- 4. a caller who says nothing: asked again twice, then intent=none
call silence.wav -1
rc=0
[ $crc -eq 0 ] && [ $brc -eq 0 ] || rc=1
[ "$(b no-input)" = 3 ] && [ "$(b intent)" = none ] && [ "$(c intent)" = none ] && [ "$(c disconnect)" = completed ] || rc=1
result "a silent caller: asked again, then intent=none" $rc \
  "$(b no-input) times no input, outputVariables intent=$(c intent), disconnect $(c disconnect); caller $crc, bot $brc"

line
[ $failed -eq 0 ]
