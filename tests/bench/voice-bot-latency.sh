#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The voice bot's turn latency and what it recognises: one bot
# (build/pipelines/voice-bot --keep-listening) takes N calls of its
# simulator, one after another on 127.0.0.1; in each the caller says one
# phrase (espeak-ng, 8 kHz, taken in turn from the list below) after the
# greeting. Per call, from the bot: the end of the caller's speech (last
# caller buffer above the energy threshold) -> the recogniser's final
# result -> the answer's first bytes sent by genesyssink; from the caller:
# the end of its speech -> the first bot speech it hears. Prints each call,
# then p50/p99 (with 10 calls, p99 is the slowest) and the intents right.
#
#   tests/bench/voice-bot-latency.sh [BUILDDIR] [CALLS] [FRAME_MS]
#   (default build, 10 calls, the bot's genesyssink frame-duration 200 ms)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
calls=${2:-10}
frame_ms=${3:-200}
export GST_PLUGIN_PATH="$build/gst/genesys"
bot="$build/pipelines/voice-bot"
tmp=$(mktemp -d)
pid=0
trap '[ $pid -ne 0 ] && kill -INT $pid 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM

# phrase|expected intent
phrases="billing|billing
support|support
agent|agent
one two three|digits
I need help with billing|billing"

n=0
echo "$phrases" | while IFS='|' read -r text _; do
  n=$((n + 1))
  espeak-ng -w "$tmp/22k.wav" "$text" 2>/dev/null
  gst-launch-1.0 -q filesrc location="$tmp/22k.wav" ! wavparse ! audioconvert ! \
    audioresample ! audio/x-raw,format=S16LE,rate=8000,channels=1 ! \
    wavenc ! filesink location="$tmp/phrase$n.wav"
done
count=$(echo "$phrases" | wc -l)

port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
"$bot" --port "$port" --keep-listening --timeout 0 --frame-ms "$frame_ms" >"$tmp/bot.out" 2>"$tmp/bot.log" &
pid=$!
i=0
until grep -q listening "$tmp/bot.log" 2>/dev/null; do
  i=$((i + 1))
  [ $i -gt 200 ] && { cat "$tmp/bot.log" >&2; exit 1; }
  sleep 0.05
done

printf '%-26s %-8s %-26s %8s %8s %8s %8s\n' phrase expected heard intent "eos->fin" "eos->snd" "caller"
c=0
: >"$tmp/rows"
while [ $c -lt "$calls" ]; do
  k=$((c % count + 1))
  text=$(echo "$phrases" | sed -n "${k}p" | cut -d'|' -f1)
  want=$(echo "$phrases" | sed -n "${k}p" | cut -d'|' -f2)
  "$bot" --simulate --port "$port" --say "$tmp/phrase$k.wav" --record "$tmp/heard.wav" \
    --timeout 40 >"$tmp/caller.out" 2>"$tmp/caller.log" || true
  c=$((c + 1))
  # the bot's line for this session
  i=0
  while [ "$(grep -c '^bot:' "$tmp/bot.out")" -lt $c ] && [ $i -lt 50 ]; do
    i=$((i + 1)); sleep 0.1
  done
  line=$(grep '^bot:' "$tmp/bot.out" | sed -n "${c}p")
  get () { echo "$line" | sed -n "s/.* $1=\([^ ]*\).*/\1/p; s/^bot: $1=\([^ ]*\).*/\1/p"; }
  heard=$(echo "$line" | sed -n 's/.* hypothesis="\([^"]*\)".*/\1/p')
  got=$(get intent)
  fin=$(get recognised-ms | cut -d, -f1)
  snd=$(get latency-ms | cut -d, -f1)
  reply=$(sed -n 's/.* reply-after=\([^ ]*\).*/\1/p' "$tmp/caller.out")
  rms=$(python3 -c "import sys; v=float(sys.argv[1]); print('%.0f' % (v * 1000) if v > 0 else 'none')" "${reply:--1}")
  printf '%-26s %-8s %-26s %8s %8s %8s %8s\n' "\"$text\"" "$want" "\"$heard\"" "$got" "${fin:-none}" "${snd:-none}" "$rms"
  echo "$want $got ${fin:-none} ${snd:-none} $rms" >>"$tmp/rows"
done
kill -INT $pid
wait $pid || true
pid=0

python3 - "$tmp/rows" <<'EOF'
import sys
rows = [l.split() for l in open(sys.argv[1])]
def pct(vals, p):
    vals = sorted(vals)
    if not vals:
        return float('nan')
    k = max(0, min(len(vals) - 1, int(round(p / 100.0 * len(vals) + 0.5)) - 1))
    return vals[k]
def col(i):
    return [float(r[i]) for r in rows if r[i] != 'none']
right = sum(1 for r in rows if r[0] == r[1])
for name, i in (('end of speech -> final result', 2),
                ('end of speech -> answer sent (bot)', 3),
                ('end of speech -> answer heard (caller)', 4)):
    v = col(i)
    print('%-40s p50 %5.0f ms  p99 %5.0f ms  (%d turns)' % (name, pct(v, 50), pct(v, 99), len(v)))
print('intents right: %d of %d calls' % (right, len(rows)))
EOF
