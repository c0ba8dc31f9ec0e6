#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A voice bot that listens and speaks (build/pipelines/voice-bot): it greets
# the caller with espeak, recognises "billing", "support", "agent" or digits
# with pocketsphinx, answers with speech and ends the session with the
# intent as an output variable ({"intent": "billing"}).
#
# Serving Genesys Cloud (Audio Connector), until SIGINT or SIGTERM:
#   pipelines/voice-bot.sh --port P --api-key K --client-secret S \
#     [--tls-cert F --tls-key F] [--address A]      (default address 0.0.0.0)
#
# Against the built-in simulator (no Genesys org needed): the simulated
# caller says "billing" (espeak-ng, 8 kHz) once the greeting has ended, or
# with --barge-in 1.5 s into the greeting, over it. Ends with one line: what
# was recognised, the turn's latency, the barge-in, how the call ended.
#   pipelines/voice-bot.sh [--barge-in] [OUTDIR]    (default: ./demo-out)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)

serve () {
  port="" key="" secret="" cert="" tlskey="" address=0.0.0.0
  while [ $# -gt 0 ]; do
    case "$1" in
      --port) port=$2 ;;
      --api-key) key=$2 ;;
      --client-secret) secret=$2 ;;
      --tls-cert) cert=$2 ;;
      --tls-key) tlskey=$2 ;;
      --address) address=$2 ;;
      *) echo "voice-bot.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift 2
  done
  if [ -z "$port" ] || [ -z "$key" ] || [ -z "$secret" ]; then
    echo "usage: voice-bot.sh --port P --api-key K --client-secret S [--tls-cert F --tls-key F]" >&2
    exit 2
  fi
  . "$top/pipelines/common.sh"
  setup
  set -- --port "$port" --address "$address" --api-key "$key" \
    --client-secret "$secret" --keep-listening --timeout 0
  [ -n "$cert" ] && set -- "$@" --tls-cert "$cert"
  [ -n "$tlskey" ] && set -- "$@" --tls-key "$tlskey"
  # the bot itself gets SIGINT/SIGTERM and ends the open session's pipeline
  exec "$build/pipelines/voice-bot" "$@"
}

case "${1:-}" in
  --port|--api-key|--client-secret|--tls-cert|--tls-key|--address)
    serve "$@" ;;
esac

say_after=-1
if [ "${1:-}" = --barge-in ]; then
  say_after=1.5
  shift
fi
out=$(mkdir -p "${1:-$top/demo-out}" && cd "${1:-$top/demo-out}" && pwd)
. "$top/pipelines/common.sh"
setup
bot="$build/pipelines/voice-bot"

# What the caller says, at the 8 kHz of the telephone network.
say voice-billing.wav "billing"

port=$(free_port)
"$bot" --port "$port" >"$out/voice-bot.out" 2>"$out/voice-bot.log" &
pid=$!
wait_for $pid "$out/voice-bot.log" "listening" || {
  echo "voice bot: FAILED, the bot did not start" >&2; exit 1; }

if [ "$say_after" = -1 ]; then
  echo "calling the voice bot on port $port; the caller says \"billing\" after the greeting"
else
  echo "calling the voice bot on port $port; the caller says \"billing\" $say_after s into the greeting"
fi
caller_rc=0
"$bot" --simulate --port "$port" --say "$out/voice-billing.wav" \
  --say-after "$say_after" --record "$out/voice-heard.wav" \
  >"$out/voice-caller.out" 2>"$out/voice-caller.log" || caller_rc=$?
bot_rc=0
wait $pid || bot_rc=$?
if [ $caller_rc -ne 0 ] || [ $bot_rc -ne 0 ]; then
  cat "$out/voice-bot.log" "$out/voice-caller.log" >&2
  echo "voice bot: FAILED (bot exit $bot_rc, caller exit $caller_rc)" >&2; exit 1
fi

hyp=$(sed -n 's/.* hypothesis="\([^"]*\)".*/\1/p' "$out/voice-bot.out")
intent=$(field "$out/voice-bot.out" intent)
eos=$(field "$out/voice-bot.out" end-of-speech)
latency=$(field "$out/voice-bot.out" latency-ms)
recognised=$(field "$out/voice-bot.out" recognised-ms)
barge_ins=$(field "$out/voice-bot.out" barge-ins)
flushed=$(field "$out/voice-bot.out" flushed)
said_at=$(field "$out/voice-caller.out" said-at)
reply=$(field "$out/voice-caller.out" reply-after)
client_flushed=$(field "$out/voice-caller.out" client-flushed)
reason=$(field "$out/voice-caller.out" disconnect)
out_intent=$(field "$out/voice-caller.out" intent)

printf 'voice bot: the caller said "billing" at %.1f s, recognised "%s" (intent %s); end of speech at %s s -> final result %s ms -> answer sent %s ms; the caller heard it %.0f ms after speaking; %s barge-in(s), dropped %.1f s in the bot + %.1f s at the caller; disconnect %s with intent=%s\n' \
  "${said_at:-0}" "$hyp" "$intent" "${eos:-none}" "${recognised:-none}" "${latency:-none}" \
  "$(python3 -c "print(float('${reply:-0}') * 1000)")" "${barge_ins:-0}" "${flushed:-0}" \
  "$(python3 -c "print(max(0.0, float('${client_flushed:--1}')))")" "$reason" "$out_intent"
echo "recording: $out/voice-heard.wav; logs: $out/voice-bot.log, $out/voice-caller.log"
# Green: "billing" recognised and returned in outputVariables, the answer
# was timed and heard; with --barge-in the greeting was cut short.
ok=1
[ "$intent" = billing ] && [ "$out_intent" = billing ] && [ "$reason" = completed ] || ok=0
[ "${latency:-none}" != none ] && python3 -c "import sys; sys.exit(0 if float('${reply:--1}') > 0 else 1)" || ok=0
if [ "$say_after" != -1 ]; then
  [ "${barge_ins:-0}" -ge 1 ] && python3 -c "import sys; sys.exit(0 if float('${client_flushed:--1}') > 0 else 1)" || ok=0
fi
[ $ok = 1 ] || { echo "voice bot: FAILED" >&2; exit 1; }
