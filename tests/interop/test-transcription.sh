#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Transcription Connector interop: pipelines/transcription-connector.sh
# (gst-genesys-serve, genesystranscript on Debian's pocketsphinx) against the
# independent Node client (audiohook-client.mjs), which streams an
# espeak-ng sentence as PCMU at 8 kHz, signed. The client must receive final
# transcripts whose offsets lie inside the spoken span (found from the
# samples), every event before `closed`, numbered in sequence; the connector
# must end on SIGTERM. What pocketsphinx heard is printed, not judged: the
# engine's accuracy on 8 kHz telephone audio is its own.
# Last line: "N passed, N failed[, N skipped]".
#
#   tests/interop/test-transcription.sh BUILDDIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-$top/build}
build=$(cd "$build" && pwd)
tmp=$(mktemp -d)
tc_pid=0
# (never kill 0: that is the whole process group)
trap '[ "$tc_pid" -gt 0 ] && kill -TERM "$tc_pid" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
passed=0
failed=0
KEY=SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh
SECRET=TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=

if ! gst-inspect-1.0 pocketsphinx >/dev/null 2>&1; then
  echo "skip - no pocketsphinx element (gstreamer1.0-pocketsphinx, pocketsphinx-en-us)"
  echo "0 passed, 0 failed, 1 skipped"
  exit 0
fi

result () {
  if [ "$2" = 0 ]; then
    passed=$((passed + 1))
    echo "ok - $1: $3"
  else
    failed=$((failed + 1))
    echo "not ok - $1: $3"
    tail -3 "$tmp/peer.log" 2>/dev/null | sed 's/^/    peer: /'
    grep -v '^-\|^$\|^INFO\|^Current configuration' "$tmp/tc.log" 2>/dev/null | tail -4 | sed 's/^/    connector: /'
  fi
}

free_port () {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# The sentence, 8 kHz S16 mono, with 1 s of silence before and 2 s after.
espeak-ng -w "$tmp/say-22k.wav" "please connect me to the billing department" 2>/dev/null
gst-launch-1.0 -q filesrc location="$tmp/say-22k.wav" ! wavparse ! audioconvert ! audioresample ! \
  audio/x-raw,format=S16LE,rate=8000,channels=1 ! wavenc ! filesink location="$tmp/say-8k.wav"
# span START END (seconds) where the padded file's samples are not silence
span=$(python3 - "$tmp/say-8k.wav" "$tmp/call.wav" <<'PY'
import struct, sys, wave
src = wave.open(sys.argv[1])
rate = src.getframerate()
data = b"\0\0" * rate + src.readframes(src.getnframes()) + b"\0\0" * 2 * rate
dst = wave.open(sys.argv[2], "wb")
dst.setnchannels(1); dst.setsampwidth(2); dst.setframerate(rate)
dst.writeframes(data)
dst.close()
s = struct.unpack("<%dh" % (len(data) // 2), data)
loud = [i for i, v in enumerate(s) if abs(v) > 300]
print(loud[0] / rate, (loud[-1] + 1) / rate)
PY
)
start=${span% *}
end=${span#* }

# ---- the connector, signed calls
port=$(free_port)
GST_GENESYS_BUILD_DIR="$build" "$top/pipelines/transcription-connector.sh" --port "$port" --api-key "$KEY" --client-secret "$SECRET" \
  >"$tmp/tc.log" 2>&1 &
tc_pid=$!
i=0
while ! node -e "require('net').connect($port,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))" 2>/dev/null; do
  i=$((i + 1))
  [ $i -gt 200 ] && break
  sleep 0.05
done

node "$here/audiohook-client.mjs" --url "ws://127.0.0.1:$port/api/v1/audiohook/ws" \
  --api-key "$KEY" --client-secret "$SECRET" --wav "$tmp/call.wav" --offers external \
  --report "$tmp/report.json" --quiet 2>"$tmp/peer.log"
crc=$?

# Every final transcript's offset inside [START, END]; its end at most 0.3 s
# past END (the recogniser's end of speech is known to a buffer or so);
# events in sequence (the client checks each seq), all before closed.
out=$(node - "$tmp/report.json" "$start" "$end" <<'JS'
const r = require(process.argv[2]);
const start = Number(process.argv[3]), end = Number(process.argv[4]);
const sec = (d) => Number(/^PT([0-9.]+)S$/.exec(d)[1]);
const problems = [];
let finals = 0, partials = 0, seq = 0, closedSeq = 0, heard = [];
for (const m of r.serverEvents) {
  // pongs are not in the report: the client checks every seq itself
  if (m.seq <= seq) problems.push(`seq ${m.seq} after ${seq}`);
  seq = m.seq;
  if (m.type === 'closed') closedSeq = m.seq;
  if (m.type !== 'event') continue;
  if (closedSeq) problems.push(`event seq ${m.seq} after closed`);
  for (const e of m.parameters.entities) {
    if (e.type !== 'transcript') continue;
    const d = e.data, alt = d.alternatives[0];
    if (d.channelId !== 0) problems.push(`channelId ${d.channelId}`);
    if (!(alt.confidence >= 0 && alt.confidence <= 1)) problems.push(`confidence ${alt.confidence}`);
    if (!alt.languages || alt.languages[0] !== 'en-US') problems.push('language not en-US');
    if (!d.isFinal) { partials++; continue; }
    finals++;
    const off = sec(d.offset), dur = sec(d.duration);
    heard.push(`"${alt.interpretations[0].transcript}" at ${off}+${dur} s`);
    if (off < start || off > end) problems.push(`final offset ${off} s outside ${start}..${end} s`);
    if (off + dur > end + 0.3) problems.push(`final ends at ${off + dur} s, speech at ${end} s`);
  }
}
if (r.violations.length) problems.push(`${r.violations.length} protocol violation(s)`);
if (finals === 0) problems.push('no final transcript');
if (!closedSeq) problems.push('no closed');
console.log(`${problems.length ? 'FAIL ' + problems.join('; ') + ': ' : ''}${finals} final, ${partials} partial; spoken ${start}..${end} s; heard ${heard.join(', ')}`);
JS
)
rc=0
[ $crc -eq 0 ] || rc=1
case "$out" in FAIL*) rc=1 ;; esac
result "espeak sentence, final transcripts inside the spoken span" $rc "client $crc, $out"

# ---- SIGTERM: the connector drains and ends
kill -TERM $tc_pid
i=0
while kill -0 $tc_pid 2>/dev/null && [ $i -lt 200 ]; do
  i=$((i + 1))
  sleep 0.05
done
if kill -0 $tc_pid 2>/dev/null; then
  result "SIGTERM ends the connector" 1 "still running after 10 s"
else
  wait $tc_pid
  trc=$?
  tc_pid=0
  result "SIGTERM ends the connector" $trc "exit status $trc"
fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
