// SPDX-License-Identifier: LGPL-2.1-or-later
// Checks what a GStreamer element wrote (raw interleaved PCMU) against what
// an AudioHook peer sent: the number of sample frames, and for each channel
// the tone it carries (estimated from zero crossings), so the channel order
// is verified end to end.
//
//   node check-output.mjs FILE CHANNELS EXPECTED_FRAMES [HZ_CH0 [HZ_CH1]]
//
// Prints one line; exit 0 when everything matches (tones within 3 %).
import { readFileSync } from 'node:fs';
import { mulawToLinear } from './lib/audiohook-common.mjs';

const [file, channelsArg, framesArg, ...hz] = process.argv.slice(2);
const channels = Number(channelsArg);
const expectedFrames = Number(framesArg);
const data = readFileSync(file);
const frames = Math.floor(data.length / channels);
const problems = [];

if (data.length % channels !== 0)
  problems.push(`${data.length} bytes is not a whole number of ${channels}-channel frames`);
if (frames !== expectedFrames)
  problems.push(`${frames} sample frames, expected ${expectedFrames}`);

const measured = [];
for (let c = 0; c < channels; c++) {
  let crossings = 0, voiced = 0, prev = 0;
  for (let i = 0; i < frames; i++) {
    const v = mulawToLinear(data[i * channels + c]);
    if (Math.abs(v) > 64) voiced++;
    if ((prev < 0 && v >= 0) || (prev >= 0 && v < 0)) crossings++;
    prev = v;
  }
  // Silence (gaps) has no crossings worth counting: scale to voiced time.
  const freq = voiced > 0 ? (crossings / 2) / (voiced / 8000) : 0;
  measured.push(Math.round(freq));
  if (hz[c] !== undefined) {
    const want = Number(hz[c]);
    if (Math.abs(freq - want) > want * 0.03)
      problems.push(`channel ${c}: ${Math.round(freq)} Hz, expected ${want} Hz`);
  }
}

console.log(`${frames} frames, channel tones ${measured.join('/')} Hz` +
  (problems.length ? `: ${problems.join('; ')}` : ''));
process.exit(problems.length ? 1 : 0);
