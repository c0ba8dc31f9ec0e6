#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A voice bot that echoes the caller one second late, against the built-in
# simulator (no Genesys org needed).
#
# The bot is a single gst-launch line: genesyssrc accepts the Audio
# Connector session, genesyssink with the same session-name sends its
# input back on that session as bot audio; ts-offset delays it by 1 s.
# The simulator plays Genesys Cloud: genesyssink dials the bot and streams
# a spoken prompt (espeak-ng), and the genesyssrc paired with it records
# the bot audio the caller hears. Ends with one line: how much of the
# prompt came back, and with what delay (cross-correlation of the two WAVs).
#
#   pipelines/echo-bot.sh [OUTDIR]      (default: ./demo-out)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$top/demo-out}" && cd "${1:-$top/demo-out}" && pwd)
. "$top/pipelines/common.sh"
setup

# What the caller says, at 8 kHz; the prompt streamed has 2 s of silence
# appended, so the call lasts until the echo of the last words is back.
say echo-spoken.wav "Hello, this is the caller speaking. Everything I say comes back to me one second later, through a voice bot built from a single G Streamer pipeline."
python3 - "$out/echo-spoken.wav" "$out/echo-prompt.wav" <<'EOF'
import sys, wave
src = wave.open(sys.argv[1])
frames = src.readframes(src.getnframes())
dst = wave.open(sys.argv[2], "wb")
dst.setparams(src.getparams())
dst.writeframes(frames + b"\0\0" * 2 * src.getframerate())
dst.close()
EOF

port=$(free_port)

# The bot: caller audio in, the same audio out 1 s later. Audio that comes
# later than its latency (a burst after a reconnect) is dropped, not echoed
# late: drop-on-latency.
gst-launch-1.0 -m genesyssrc port="$port" address=127.0.0.1 session-name=bot drop-on-latency=true \
  ! queue ! genesyssink session-name=bot ts-offset=1000000000 \
  >"$out/echo-bot.log" 2>&1 &
bot=$!
wait_for $bot "$out/echo-bot.log" "does not need PREROLL" || {
  echo "echo bot: FAILED, the bot pipeline did not start" >&2; exit 1; }

# The simulator: the caller speaks and records what the bot plays back.
# audiorate writes the silence before the first echo too, so the recording
# starts when the call does; the recording branch must not hold the
# pipeline's start (async=false), the bot has nothing to say before the
# caller's audio flows.
echo "calling the echo bot on port $port with $out/echo-spoken.wav"
gst-launch-1.0 -m filesrc location="$out/echo-prompt.wav" ! wavparse ! audioconvert ! \
  audio/x-raw,rate=8000,channels=1 ! mulawenc ! \
  genesyssink uri="ws://127.0.0.1:$port/api/v1/audiohook/ws" session-name=caller \
  wait-for-connection=true \
  genesyssrc mode=client session-name=caller gap-mode=silence ! mulawdec ! \
  audiorate ! wavenc ! filesink async=false location="$out/echo-heard.wav" \
  >"$out/echo-caller.log" 2>&1 || {
  cat "$out/echo-caller.log" >&2; kill $bot 2>/dev/null || true
  echo "echo bot: FAILED, the simulator pipeline failed" >&2; exit 1
}
# The bot's stream ends with the session; the echo still queued when the
# caller hangs up has nowhere to go.
i=0
while kill -0 $bot 2>/dev/null && [ $i -lt 50 ]; do
  i=$((i + 1)); sleep 0.1
done
if kill -0 $bot 2>/dev/null; then
  kill -INT $bot 2>/dev/null || true
  echo "echo bot: FAILED, the bot pipeline did not end with the session" >&2
  exit 1
fi
wait $bot || { cat "$out/echo-bot.log" >&2; echo "echo bot: FAILED, the bot pipeline failed" >&2; exit 1; }

wavmatch locate "$out/echo-spoken.wav" "$out/echo-heard.wav"
delay=$(matched lag); score=$(matched score)
wavmatch cover "$out/echo-spoken.wav" "$out/echo-heard.wav" "${delay:-0}"
heard=$(matched heard); spoken=$(matched of)
printf 'echo bot: heard %.1f s of %.1f s spoken, echo delay %.2f s\n' \
  "${heard:-0}" "${spoken:-0}" "${delay:-0}"
echo "recordings: $out/echo-spoken.wav, $out/echo-heard.wav (match score $score)"
# Green: nearly all of it came back, recognisably, about 1 s late.
python3 -c 'import sys; h, s, d, r = map(float, sys.argv[1:]); sys.exit(0 if h >= 0.9 * s and r >= 0.8 and 1.0 <= d <= 2.0 else 1)' \
  "${heard:-0}" "${spoken:-1}" "${delay:-0}" "${score:-0}" || {
  echo "echo bot: FAILED (expected at least 90% heard, about 1 s late)" >&2; exit 1; }
