#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A prompt player voice bot against the built-in simulator (no Genesys org
# needed): the bot (build/pipelines/prompt-player) answers with a welcome
# prompt; the simulated caller presses a key 2 s into the call; the bot
# barges in on its own prompt, says goodbye and ends the session with the
# key as an output variable. The caller's side records what it heard.
# Ends with one line: when the key came, how much of the welcome the
# barge-in dropped, what the caller heard of each prompt, how it ended.
#
#   pipelines/prompt-player.sh [OUTDIR]      (default: ./demo-out)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$top/demo-out}" && cd "${1:-$top/demo-out}" && pwd)
digit=5
. "$top/pipelines/common.sh"
setup
player="$build/pipelines/prompt-player"

# The two prompts, at the 8 kHz of the telephone network.
say prompt-welcome.wav "Welcome to the prompt player. This message is rather long, so that you have plenty of time to press a key on your phone. Press any key to skip it, or stay on the line and listen to the whole of it."
say prompt-goodbye.wav "You pressed $digit. Goodbye."

port=$(free_port)

"$player" --port "$port" --welcome "$out/prompt-welcome.wav" \
  --goodbye "$out/prompt-goodbye.wav" >"$out/prompt-bot.out" 2>"$out/prompt-bot.log" &
bot=$!
wait_for $bot "$out/prompt-bot.log" "listening" || {
  echo "prompt player: FAILED, the bot did not start" >&2; exit 1; }

echo "calling the prompt player on port $port; the caller presses $digit after 2 s"
caller_rc=0
"$player" --simulate --port "$port" --digit "$digit" --dtmf-after 2 \
  --record "$out/prompt-heard.wav" >"$out/prompt-caller.out" \
  2>"$out/prompt-caller.log" || caller_rc=$?
bot_rc=0
wait $bot || bot_rc=$?
if [ $caller_rc -ne 0 ] || [ $bot_rc -ne 0 ]; then
  cat "$out/prompt-bot.log" "$out/prompt-caller.log" >&2
  echo "prompt player: FAILED (bot exit $bot_rc, caller exit $caller_rc)" >&2; exit 1
fi

dtmf_at=$(field "$out/prompt-bot.out" dtmf-at)
flushed=$(field "$out/prompt-bot.out" flushed)
got_digit=$(field "$out/prompt-bot.out" digit)
client_flushed=$(field "$out/prompt-caller.out" client-flushed)
reason=$(field "$out/prompt-caller.out" disconnect)
out_digit=$(field "$out/prompt-caller.out" digit)

# What the caller heard: the start of the welcome, then the whole goodbye.
heard="$out/prompt-heard.wav"
wavmatch locate "$out/prompt-welcome.wav" "$heard" --head 1
w_at=$(matched lag)
wavmatch locate "$out/prompt-goodbye.wav" "$heard" --after "${w_at:-0}"
g_at=$(matched lag)
wavmatch cover "$out/prompt-welcome.wav" "$heard" "${w_at:-0}" --until "${g_at:-0}" --prefix 1
w_heard=$(matched heard); w_len=$(matched of)
wavmatch cover "$out/prompt-goodbye.wav" "$heard" "${g_at:-0}"
g_heard=$(matched heard); g_len=$(matched of)

printf 'prompt player: DTMF %s at %.1f s, barge-in dropped %.1f s of the welcome in the bot + %.1f s at the caller, heard %.1f s of welcome + %.1f s of goodbye, disconnect %s with digit=%s\n' \
  "$got_digit" "${dtmf_at:-0}" "${flushed:-0}" "${client_flushed:-0}" "${w_heard:-0}" "${g_heard:-0}" "$reason" "$out_digit"
echo "recording: $heard (welcome $w_len s, goodbye $g_len s; goodbye heard from $g_at s)"
# Green: the key arrived, the welcome was cut short, all of the goodbye
# was heard, and the session ended as the bot said.
python3 -c 'import sys; wh, wl, gh, gl = map(float, sys.argv[1:5]); sys.exit(0 if 0.5 < wh < wl - 1 and gh >= 0.9 * gl and sys.argv[5] == sys.argv[6] == sys.argv[7] and sys.argv[8] == "completed" else 1)' \
  "${w_heard:-0}" "${w_len:-0}" "${g_heard:-0}" "${g_len:-1}" "$digit" "$got_digit" "$out_digit" "$reason" || {
  echo "prompt player: FAILED" >&2; exit 1; }
