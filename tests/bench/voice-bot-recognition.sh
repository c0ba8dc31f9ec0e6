#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# What pocketsphinx makes of telephone speech with the voice bot's grammar
# (build/pipelines/voice-bot --write-grammar): 20 phrases spoken by
# espeak-ng, taken to 8 kHz and through mu-law and back as on a call, with
# 1 s of silence before and after, recognised offline (gst-launch-1.0, as
# fast as it goes) two ways: upsampled to 16 kHz by audioresample
# (band-limited: 4-8 kHz empty) and by zero-stuffing as the bot does
# (audioconvert mix-matrix to a silent second channel, capssetter to 16 kHz
# mono: the 0-4 kHz band mirrored into 4-8 kHz). Prints each phrase's final
# hypothesis both ways, then per way: intents right (the bot's rule: the
# first of billing/support/agent, else digits, else none) and the word
# error rate against the grammar words of the phrase.
#
#   tests/bench/voice-bot-recognition.sh [BUILDDIR]      # about 40 s
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../../build}" && pwd)
export GST_PLUGIN_PATH="$build/gst/genesys"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
"$build/pipelines/voice-bot" --write-grammar "$tmp/intents.fsg"

phrases="billing
support
agent
billing please
I need help with billing
technical support
I want to talk to an agent
agent please
a question about my billing
support for my phone
zero
five
nine
one two three
four five six
seven eight nine
two zero one
my account number is five five two
eight
six one"

upsample_resample="audioresample ! audio/x-raw,format=S16LE,rate=16000,channels=1"
upsample_zero="audioconvert mix-matrix=<<(float)1.0>,<(float)0.0>> ! audio/x-raw,format=S16LE,rate=8000,channels=2 ! capssetter replace=true caps=audio/x-raw,format=S16LE,layout=interleaved,rate=16000,channels=1"

# hear WAV UPSAMPLE: the final hypothesis
hear () {
  # shellcheck disable=SC2086 # the upsampling is a list of elements
  gst-launch-1.0 -m filesrc location="$1" ! wavparse ! audioconvert ! $2 ! \
    pocketsphinx fsg="$tmp/intents.fsg" ! fakesink 2>/dev/null |
    sed -n 's/.*final=(boolean)true.*hypothesis=(string)\(.*\);$/\1/p' |
    sed 's/^"//; s/"$//; s/\\//g' | tail -1
}

printf '%-36s %-28s %-28s\n' phrase audioresample zero-stuffing
n=0
: >"$tmp/rows"
echo "$phrases" | while read -r text; do
  n=$((n + 1))
  espeak-ng -w "$tmp/22k.wav" "$text" 2>/dev/null
  gst-launch-1.0 -q filesrc location="$tmp/22k.wav" ! wavparse ! audioconvert ! \
    audioresample ! audio/x-raw,format=S16LE,rate=8000,channels=1 ! mulawenc ! mulawdec ! \
    wavenc ! filesink location="$tmp/8k.wav"
  python3 - "$tmp/8k.wav" "$tmp/p.wav" <<'EOF'
import sys, wave
src = wave.open(sys.argv[1])
frames = src.readframes(src.getnframes())
dst = wave.open(sys.argv[2], "wb")
dst.setparams(src.getparams())
dst.writeframes(b"\0\0" * 8000 + frames + b"\0\0" * 8000)
dst.close()
EOF
  a=$(hear "$tmp/p.wav" "$upsample_resample")
  z=$(hear "$tmp/p.wav" "$upsample_zero")
  printf '%-36s %-28s %-28s\n' "\"$text\"" "\"$a\"" "\"$z\""
  printf '%s|%s|%s\n' "$text" "$a" "$z" >>"$tmp/rows"
done

python3 - "$tmp/rows" <<'EOF'
import sys
KEYS = ["billing", "support", "agent"]
DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
def intent(words):
    for w in words:
        if w in KEYS:
            return w
    return "digits" if any(w in DIGITS for w in words) else "none"
def edits(ref, hyp):
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
    return d[len(hyp)]
rows = [l.rstrip("\n").split("|") for l in open(sys.argv[1])]
for name, col in (("audioresample", 1), ("zero-stuffing", 2)):
    right = errors = words = 0
    for r in rows:
        ref = [w for w in r[0].lower().split() if w in KEYS + DIGITS]
        hyp = r[col].split()
        right += intent(ref) == intent(hyp)
        errors += edits(ref, hyp)
        words += len(ref)
    print("%-14s intents right %2d of %d, word error rate %.0f %% (%d errors in %d grammar words)"
          % (name, right, len(rows), 100.0 * errors / words, errors, words))
EOF
