#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// One AudioHook call over several WebSocket sessions, each to a URL of its
// own: the first opens the call, each next one continues the previous
// (continuedSessions, positions going on), after the previous one dropped
// without a close frame, or closed with reason "reconnect". Frames are PCMU
// mono, 200 ms, frame i filled with the byte 16 + i % 200, sent in real time.
//
//   node continue-across.mjs --leg URL:FRAMES[:drop|reconnect|end|silent] ... [--report FILE]
//     [--repeat-close URL] [--ping] [--gap-ms MS] [--times FILE] [--silent-hold-ms MS]
//
// silent: after its frames the leg's connection goes half-open, as behind
// a proxy that lost one direction: the frames that fall due (one per 200 ms)
// are lost, the server's disconnect (its idle timeout) still arrives, and
// the client notices the end only --silent-hold-ms (default 3000) later,
// the server not at all; the next leg continues at the position reached.
// report.lost lists the lost frames as [first, end) ranges.
// --dtmf: a dtmf message (digit 5) in the middle of each leg.
// Every leg's report lists the types of the server's messages (pongs
// left out) in .messages; report.seqErrors counts server messages whose
// seq is not the previous one + 1 or whose clientseq is ahead of ours.
// --times: FILE gets the wall-clock time (ms, fractional) each frame was
// handed to the socket, a JSON array indexed by frame.
// --gap-ms: the client waits MS between a leg's end and the next leg's
// connect; positions go on where the previous leg ended.
// --ping: a ping every 5 frames (1 s); every ping must get its pong
// (clientseq = the ping's seq) before the leg ends: report.pings, .pongs,
// .pongMaxMs.
// The last leg ends the call with close "end". --repeat-close then opens
// one more session on URL continuing the closed one and sends close again
// (a client that missed `closed`): the server must answer without media.
// The report: {callId, sessions, frames, samples, legs:[{url, session,
// opened, media, frames}], repeat: {media, closed}}. Exit 0 when every leg
// was opened with media (the repeat without) and the end was closed.

import { parseArgs } from 'node:util';
import fs from 'node:fs';
import crypto from 'node:crypto';
import WebSocket from 'ws';
import * as ah from './lib/audiohook-common.mjs';

const { values } = parseArgs({
  options: {
    leg: { type: 'string', multiple: true },
    report: { type: 'string' },
    'repeat-close': { type: 'string' },
    ping: { type: 'boolean' },
    'gap-ms': { type: 'string' },
    times: { type: 'string' },
    dtmf: { type: 'boolean' },
    'silent-hold-ms': { type: 'string', default: '3000' },
  },
});
const FRAME = 1600;
const legs = (values.leg ?? []).map((l) => {
  const m = /^(.*):(\d+)(?::(drop|reconnect|end|silent))?$/.exec(l);
  if (!m) { console.error(`bad --leg ${l}`); process.exit(2); }
  return { url: m[1], frames: Number(m[2]), how: m[3] ?? 'drop' };
});
if (!legs.length) { console.error('no --leg'); process.exit(2); }
legs[legs.length - 1].how = 'end';

const conversationId = crypto.randomUUID();
const orgId = crypto.randomUUID();
let frame = 0;
let previous = null; // {id, serverseq, clientseq}
const report = { callId: null, legs: [], frames: 0, samples: 0, pings: 0, pongs: 0, pongMaxMs: 0, seqErrors: 0, lost: [] };

const sendTimes = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function session(url, continued) {
  const id = crypto.randomUUID();
  const ws = new WebSocket(url, { headers: { 'Audiohook-Organization-Id': orgId, 'Audiohook-Session-Id': id,
    'Audiohook-Correlation-Id': crypto.randomUUID(), 'X-API-KEY': 'continue-across' } });
  const s = { id, ws, seq: 0, serverseq: 0, queue: [], waiters: [], pings: new Map(), messages: [] };
  ws.on('message', (data, binary) => {
    if (binary) return;
    const msg = JSON.parse(data.toString());
    if (msg.seq !== s.serverseq + 1 || msg.clientseq > s.seq) report.seqErrors += 1;
    s.serverseq = msg.seq;
    if (msg.type !== 'pong') s.messages.push(msg.type);
    if (msg.type === 'pong') {
      const sent = s.pings.get(msg.clientseq);
      if (sent !== undefined) {
        s.pings.delete(msg.clientseq);
        report.pongs += 1;
        report.pongMaxMs = Math.max(report.pongMaxMs, Date.now() - sent);
      }
      return;
    }
    const w = s.waiters.findIndex((x) => x.type === msg.type);
    if (w >= 0) s.waiters.splice(w, 1)[0].resolve(msg); else s.queue.push(msg);
  });
  s.expect = (type, ms = 10000) => {
    const i = s.queue.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(s.queue.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${type} within ${ms} ms on ${url}`)), ms);
      s.waiters.push({ type, resolve: (m) => { clearTimeout(t); resolve(m); } });
    });
  };
  s.send = (type, parameters) => {
    s.seq += 1;
    ws.send(JSON.stringify({ version: '2', id, type, seq: s.seq, serverseq: s.serverseq,
      position: ah.formatSamples(frame * FRAME), parameters }));
  };
  s.opened = new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
  s.continued = continued;
  return s;
}

async function open(url) {
  const s = session(url, previous);
  await s.opened;
  const params = {
    organizationId: orgId, conversationId,
    participant: { id: crypto.randomUUID(), ani: '+15550001111', aniName: 'Caller', dnis: '+15550002222' },
    media: [{ type: 'audio', format: 'PCMU', channels: ['external'], rate: 8000 }],
    language: 'en-US',
  };
  if (previous) params.continuedSessions = [previous];
  s.send('open', params);
  const opened = await s.expect('opened');
  return { s, media: opened.parameters.media.length };
}

for (const leg of legs) {
  if (previous && values['gap-ms']) await sleep(Number(values['gap-ms']));
  const { s, media } = await open(leg.url);
  report.callId ??= s.id;
  const entry = { url: leg.url, session: s.id, media, frames: leg.frames };
  report.legs.push(entry);
  const start = Date.now();
  for (let i = 0; i < leg.frames; i++) {
    if (values.ping && i % 5 === 0 && leg.frames - i >= 5) {
      s.send('ping', {});
      s.pings.set(s.seq, Date.now());
      report.pings += 1;
    }
    if (values.dtmf && i === Math.floor(leg.frames / 2)) s.send('dtmf', { digit: '5' });
    s.ws.send(Buffer.alloc(FRAME, 16 + (frame % 200)));
    sendTimes.push(performance.timeOrigin + performance.now());
    frame += 1;
    const due = start + (i + 1) * 200;
    await sleep(Math.max(0, due - Date.now()));
  }
  previous = { id: s.id, serverseq: s.serverseq, clientseq: s.seq };
  if (leg.how === 'silent') {
    const first = frame;
    let disconnect = null;
    s.expect('disconnect', 60000).then((m) => { disconnect = m; }, () => { disconnect = false; });
    const lose = async (until) => {
      for (let due = Date.now() + 200; !until(); due += 200) {
        await sleep(Math.max(0, due - Date.now()));
        frame += 1;
      }
    };
    await lose(() => disconnect !== null);
    entry.disconnect = disconnect ? disconnect.parameters : null;
    const holdEnd = Date.now() + Number(values['silent-hold-ms']);
    await lose(() => Date.now() >= holdEnd);
    report.lost.push([first, frame]);
    s.ws._socket.destroy();
  } else if (leg.how === 'drop') {
    s.ws._socket.destroy(); // no close frame, no FIN handshake by the protocol
  } else {
    s.send('close', { reason: leg.how });
    await s.expect('closed');
    previous.serverseq = s.serverseq;
    previous.clientseq = s.seq;
    s.ws.close();
  }
  entry.ended = leg.how;
  entry.messages = s.messages;
}
report.frames = frame;
report.samples = frame * FRAME;
let ok = report.legs.every((l) => l.media === 1) && report.pongs === report.pings && report.seqErrors === 0;
if (values['repeat-close']) {
  const { s, media } = await open(values['repeat-close']);
  s.send('close', { reason: 'end' });
  const closed = await s.expect('closed').then(() => true, () => false);
  s.ws.close();
  report.repeat = { session: s.id, media, closed };
  ok = ok && media === 0 && closed;
}
if (values.times) fs.writeFileSync(values.times, JSON.stringify(sendTimes));
if (values.report) fs.writeFileSync(values.report, JSON.stringify(report, null, 1));
console.log(JSON.stringify(report));
process.exit(ok ? 0 : 1);
