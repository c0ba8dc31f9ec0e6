#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// A deliberately broken AudioHook client, used by selftest.sh to prove that
// audiohook-server.mjs counts client violations (seq, serverseq, id, position, audio while
// paused, partial sample frames). Usage: node misbehaving-client.mjs URL
// Prints the session id on stdout; exits 0 once the server answered close with closed.

import crypto from 'node:crypto';
import WebSocket from 'ws';

const url = process.argv[2];
const id = crypto.randomUUID();
const org = crypto.randomUUID();
const ws = new WebSocket(url, {
  perMessageDeflate: false,
  headers: { 'Audiohook-Organization-Id': org, 'Audiohook-Session-Id': id, 'Audiohook-Correlation-Id': crypto.randomUUID(), 'X-API-KEY': 'misbehaving' },
});
let serverseq = 0;
const send = (type, seq, position, parameters = {}, over = {}) =>
  ws.send(JSON.stringify({ version: '2', id, type, seq, serverseq, position, parameters, ...over }));
const fail = (msg) => {
  process.stderr.write(`misbehaving-client: ${msg}\n`);
  process.exit(1);
};
setTimeout(() => fail('timeout'), 10000).unref();

ws.on('open', () => {
  process.stdout.write(`${id}\n`);
  send('open', 1, 'PT0S', {
    organizationId: org,
    conversationId: crypto.randomUUID(),
    participant: { id: crypto.randomUUID(), ani: '', aniName: '', dnis: '' },
    media: [{ type: 'audio', format: 'PCMU', channels: ['external', 'internal'], rate: 8000 }],
  });
});
ws.on('message', (data, isBinary) => {
  if (isBinary) return;
  const msg = JSON.parse(data.toString());
  serverseq = msg.seq;
  if (msg.type === 'opened') {
    ws.send(Buffer.alloc(3200, 0xff)); // 1600 samples, T = 0.2 s
    send('ping', 2, 'PT0.2S'); // fine
    send('ping', 4, 'PT0.2S'); // seq skips 3                  -> seqViolations 1
    send('ping', 5, 'PT0.2S', {}, { serverseq: 99 }); //          -> serverseqViolations 1
    send('ping', 6, 'PT5S'); // position far from T              -> positionMismatches 1
    send('ping', 7, 'PT0.2S', {}, { id: crypto.randomUUID() }); // -> idMismatches 1
    send('paused', 8, 'PT0.2S');
    ws.send(Buffer.alloc(320, 0xff)); // audio while paused        -> audioInWrongState 1 (T = 0.22 s)
    send('resumed', 9, 'PT1.22S', { start: 'PT0.22S', discarded: 'PT1S' }); // T = 1.22 s
    ws.send(Buffer.alloc(3, 0xff)); // not whole stereo samples     -> partialSampleFrames 1 (T + 1)
    send('close', 10, 'PT1.220125S', { reason: 'end' });
  } else if (msg.type === 'closed') {
    ws.close(1000);
  }
});
ws.on('close', () => process.exit(0));
ws.on('error', (e) => fail(e.message));
