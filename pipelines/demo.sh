#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Self-contained demo, no Genesys org needed. genesyssink plays Genesys
# Cloud: it streams a spoken WAV, signed with an API key and client secret,
# through a proxy that cuts the connection every 2 s without a close frame
# (the "1006 every few seconds" of production), into genesyssrc, which
# records the call. The sink reconnects with continuedSessions and reports
# the audio lost in each outage as discarded; the source continues the same
# timeline and fills the lost spans with silence of exactly their length.
# Ends with a one-line report: sessions, drops, discarded ms, drift.
#
#   pipelines/demo.sh [OUTDIR]      (default: ./demo-out)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$top/demo-out}" && cd "${1:-$top/demo-out}" && pwd)
build="$top/build"

"$top/.ci/install-deps"
[ -f "$build/build.ninja" ] || meson setup "$build" "$top" >/dev/null
ninja -C "$build" >/dev/null
(cd "$top/tests/interop" && npm ci --no-audit --no-fund --loglevel=error)
export GST_PLUGIN_PATH="$build/gst/genesys"

# A spoken prompt, at the 8 kHz of the telephone network.
espeak-ng -w "$out/speech-22k.wav" \
  "Thank you for calling. This call travels from Genesys Cloud into a GStreamer pipeline. The connection drops every two seconds, and every millisecond is still accounted for, so nothing drifts and nothing arrives late." \
  2>/dev/null
gst-launch-1.0 -q filesrc location="$out/speech-22k.wav" ! wavparse ! audioconvert ! \
  audioresample ! audio/x-raw,format=S16LE,rate=8000,channels=1 ! \
  wavenc ! filesink location="$out/speech.wav"
rm -f "$out/speech-22k.wav"

key=$(head -c 24 /dev/urandom | base64)
secret=$(head -c 32 /dev/urandom | base64)
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')

# The receiving side: records whatever the session brings, gaps as silence.
gst-launch-1.0 -m genesyssrc address=127.0.0.1 port="$port" api-key="$key" \
  client-secret="$secret" gap-mode=silence session-timeout=10000000000 \
  ! audio/x-mulaw ! mulawdec ! wavenc ! filesink location="$out/call.wav" \
  >"$out/receiver.log" 2>&1 &
receiver=$!

# The network in between: a drop every 2 s.
node "$top/tests/interop/drop-proxy.mjs" --target "127.0.0.1:$port" \
  --drop-every-ms 2000 >"$out/proxy.log" &
proxy=$!
i=0
until grep -q LISTENING "$out/proxy.log" 2>/dev/null; do
  i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.05
done
proxy_port=$(sed -n 's/^LISTENING //p' "$out/proxy.log")
sleep 0.5

echo "streaming $out/speech.wav through a proxy that drops the connection every 2 s"
gst-launch-1.0 -m filesrc location="$out/speech.wav" ! wavparse ! audioconvert ! \
  audio/x-raw,rate=8000,channels=1 ! mulawenc ! \
  genesyssink uri="ws://127.0.0.1:$proxy_port/api/v1/audiohook/ws" \
  api-key="$key" client-secret="$secret" >"$out/sender.log" 2>&1
wait $receiver
kill -TERM $proxy 2>/dev/null
wait $proxy 2>/dev/null || true

frames () {
  python3 -c 'import sys, wave; print(wave.open(sys.argv[1]).getnframes())' "$1"
}
sent=$(frames "$out/speech.wav")
got=$(frames "$out/call.wav")
sessions=$(grep -c "genesys-session-opened," "$out/receiver.log" || true)
drops=$(sed -n 's/^DROPS //p' "$out/proxy.log")
discarded_ns=$(grep -o "genesys-discarded, [^;]*" "$out/receiver.log" | \
  sed -n 's/.*duration=(guint64)\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s + 0}')
echo "sessions $sessions, drops ${drops:-0}, discarded $((discarded_ns / 1000000)) ms, drift $((got - sent)) samples ($sent sent, $got recorded)"
echo "recording: $out/call.wav"
