#!/bin/sh
# Self-contained demo, no Genesys org needed: an independent AudioHook
# client (Node, tests/interop) plays Genesys Cloud and streams a spoken WAV,
# signed with an API key and client secret, into genesyssrc, which records
# the call. The client pauses for a moment mid-call; the recording keeps
# the true timeline (the pause is silence of exactly its length).
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
  "Thank you for calling. This call is streamed from Genesys Cloud into a GStreamer pipeline, with every millisecond accounted for." \
  2>/dev/null
gst-launch-1.0 -q filesrc location="$out/speech-22k.wav" ! wavparse ! audioconvert ! \
  audioresample ! audio/x-raw,format=S16LE,rate=8000,channels=1 ! \
  wavenc ! filesink location="$out/speech.wav"
rm -f "$out/speech-22k.wav"

key=$(head -c 24 /dev/urandom | base64)
secret=$(head -c 32 /dev/urandom | base64)
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')

echo "genesyssrc listening on 127.0.0.1:$port (signed requests only)"
"$top/pipelines/record-call.sh" "$out/call.wav" "$port" address=127.0.0.1 \
  api-key="$key" client-secret="$secret" gap-mode=silence \
  >"$out/pipeline.log" 2>&1 &
pipeline=$!
sleep 1

echo "client streaming $out/speech.wav (pause of 0.8 s at 2 s)"
node "$top/tests/interop/audiohook-client.mjs" \
  --url "ws://127.0.0.1:$port/api/v1/audiohook/ws" \
  --api-key "$key" --client-secret "$secret" --offers external \
  --wav "$out/speech.wav" --pause-at 2 --resume-after 0.8 \
  --report "$out/client-report.json" --quiet
wait $pipeline

node -e '
const r = require(process.argv[1]);
const fs = require("fs");
const wav = fs.statSync(process.argv[2]).size - 44;
const lat = r.pongLatenciesMs;
console.log(`session ${r.sessionId}: ${r.framesSent} frames sent, ` +
  `${(r.pausedSamples / 8).toFixed(1)} ms paused, timeline ${r.finalPosition}; ` +
  `recorded ${(wav / 2 / 8000).toFixed(3)} s of audio (${wav / 2} samples, ` +
  `${wav / 2 === r.finalPositionSamples ? "exactly the timeline" : "MISMATCH"}); ` +
  `pong latency max ${Math.max(...lat).toFixed(2)} ms`);
' "$out/client-report.json" "$out/call.wav"
echo "recording: $out/call.wav"
