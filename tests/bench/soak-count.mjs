#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// Counts, for soak.sh, the samples genesyssrc output during a soak: audio and gaps.
//
//   node soak-count.mjs --files DIR
// DIR holds one raw stereo PCMU file per call (gst-genesys-serve's template
// `genesyssrc gap-mode=silence ! filesink location=DIR/{session-id}.raw`). The
// soak's audio never encodes to mu-law silence, so silence samples (0xFF or
// 0x7F in both channels) are gaps and every other sample is audio. Prints
// {delivered, gap, files: {name: [delivered, gap]}}.
//
//   gst-launch-1.0 -m -v ... | node soak-count.mjs --gst-log
// reads the output of gst-launch-1.0 running genesyssrcK ! fakesinkK branches
// (fakesink silent=false; the element stand-in) and counts over all branches:
// audio = offset_end - offset of every buffer that reached a fakesink, except
// GAP-flagged ones (silence standing for a gap: genesyssrc outputs gaps before
// its first buffer that way), and gaps = the genesys-gap messages. A
// keep-listening element that starts an unrelated session places it where its
// audio arrives, and outputs the idle time since its last session as a gap: that
// gap (the first one after a genesys-session-opened without
// continued-session-id, before any audio) is counted apart (idleGap), as it is
// not part of any call's timeline. Continuations that find the session they
// continue still connected, or that another element takes, are counted too.
// Prints one JSON line at the end of its input.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

const RATE = 8000;
const per = new Map();
const get = (k) => {
  let s = per.get(k);
  if (!s) per.set(k, (s = { fresh: false }));
  return s;
};
const out = { delivered: 0, buffers: 0, silenceBuffers: 0, gap: 0, gaps: 0, idleGap: 0, idleGaps: 0, opened: 0, continued: 0, closed: 0, lost: 0, continuedWhileOldOpen: 0, continuedOnOtherElement: 0, warnings: 0, errors: 0 };
const live = new Map(); // session id -> element, from opened to closed/lost
const owner = new Map(); // session id -> element that had it
const nsToSamples = (ns) => Math.round((Number(ns) * RATE) / 1e9);

if (process.argv[2] === '--files') {
  const dir = process.argv[3];
  const files = {};
  let delivered = 0;
  let gap = 0;
  for (const name of fs.readdirSync(dir)) {
    const b = fs.readFileSync(path.join(dir, name));
    let g = 0;
    for (let i = 0; i + 1 < b.length; i += 2) {
      const x = b[i] & 0x7f;
      if (x === 0x7f && (b[i + 1] & 0x7f) === 0x7f) g++;
    }
    const d = (b.length >> 1) - g;
    files[name] = [d, g];
    delivered += d;
    gap += g;
  }
  process.stdout.write(`${JSON.stringify({ delivered, gap, idleGap: 0, files })}\n`);
  process.exit(0);
}
if (process.argv[2] !== '--gst-log') {
  process.stderr.write('usage: node soak-count.mjs --files DIR | --gst-log < gst-launch-output\n');
  process.exit(2);
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  let m;
  if ((m = /^\/GstPipeline:pipeline0\/GstFakeSink:fakesink(\d+): last-message = chain .*offset: (\d+), offset_end: (\d+), flags: ([0-9a-f]+)/.exec(line))) {
    const s = get(m[1]);
    // GAP-flagged buffers are silence standing for a gap (already counted from its genesys-gap)
    if (parseInt(m[4], 16) & 0x800) {
      out.silenceBuffers++;
      return;
    }
    s.fresh = false;
    out.delivered += Number(m[3]) - Number(m[2]);
    out.buffers++;
    return;
  }
  if (!line.startsWith('Got message')) return;
  if ((m = /from element "genesyssrc(\d+)" \(element\): genesys-(gap|session-opened|session-closed|session-lost)(.*)/.exec(line))) {
    const s = get(m[1]);
    switch (m[2]) {
      case 'gap': {
        const d = nsToSamples(/duration=\(guint64\)(\d+)/.exec(m[3])[1]);
        if (s.fresh) {
          out.idleGap += d;
          out.idleGaps++;
        } else {
          out.gap += d;
          out.gaps++;
        }
        s.fresh = false;
        return;
      }
      case 'session-opened': {
        out.opened++;
        const id = /session-id=\(string\)([0-9a-f-]+)/.exec(m[3])?.[1];
        const cont = /continued-session-id=\(string\)([0-9a-f-]+)/.exec(m[3])?.[1];
        if (id) live.set(id, m[1]);
        if (cont) {
          out.continued++;
          // the session it continues still has a connection on the server (a half-open one)
          if (live.has(cont)) out.continuedWhileOldOpen++;
          if (owner.has(cont) && owner.get(cont) !== m[1]) out.continuedOnOtherElement++;
          s.fresh = false;
        } else s.fresh = true;
        if (id) owner.set(id, m[1]);
        return;
      }
      case 'session-closed':
      case 'session-lost': {
        out[m[2] === 'session-closed' ? 'closed' : 'lost']++;
        const id = /session-id=\(string\)([0-9a-f-]+)/.exec(m[3])?.[1];
        if (id) live.delete(id);
        return;
      }
      default:
        return;
    }
  }
  if (/\(warning\)/.test(line)) out.warnings++;
  if (/\(error\)/.test(line)) out.errors++;
});
rl.on('close', () => process.stdout.write(`${JSON.stringify(out)}\n`));
