#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// A deliberately broken AudioHook server, used by selftest.sh to prove that
// audiohook-client.mjs notices server protocol violations. The misbehaviour is chosen per
// connection by the query string: ws://127.0.0.1:PORT/any?mode=MODE
//
//   bad-media       opened selects a media entry that was not offered
//   bad-seq         the first pong skips a server seq number
//   pong-clientseq  pongs carry a wrong clientseq (non-fatal for the client)
//   position-field  pongs carry a "position" member (non-fatal)
//   no-pong         never answers ping (client: 408 after 5 s)
//   no-closed       never answers close (client: 408 after 10 s)
//   audio-back      sends a binary frame after opened (client: 415, non-fatal)
//
// Prints "LISTENING <port>"; on SIGTERM writes { sessions: [{ mode, received: [...] }] } to
// the file named by --report and exits 0.

import http from 'node:http';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';

const { values: o } = parseArgs({ options: { port: { type: 'string', default: '0' }, report: { type: 'string' } } });
const sessions = [];
const server = http.createServer();
const wss = new WebSocketServer({ server, perMessageDeflate: false });

wss.on('connection', (ws, req) => {
  const mode = new URL(req.url, 'http://localhost').searchParams.get('mode') ?? 'bad-media';
  const id = req.headers['audiohook-session-id'];
  const rec = { mode, id, received: [] };
  sessions.push(rec);
  let seq = 0;
  let lastClientSeq = 0;
  const send = (type, parameters, extra = {}) => {
    seq += 1;
    ws.send(JSON.stringify({ version: '2', id, type, seq, clientseq: lastClientSeq, parameters, ...extra }));
  };
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const msg = JSON.parse(data.toString());
    lastClientSeq = msg.seq;
    rec.received.push({ type: msg.type, seq: msg.seq, parameters: msg.parameters });
    switch (msg.type) {
      case 'open': {
        const offered = msg.parameters.media;
        const media = mode === 'bad-media' ? [{ type: 'audio', format: 'L16', channels: ['external', 'internal'], rate: 8000 }] : [offered[0]];
        send('opened', { media, startPaused: false });
        if (mode === 'audio-back') ws.send(Buffer.alloc(160, 0xff), { binary: true });
        break;
      }
      case 'ping':
        if (mode === 'no-pong') break;
        if (mode === 'bad-seq' && seq === 1) seq += 1; // skip one number
        if (mode === 'pong-clientseq') send('pong', {}, { clientseq: msg.seq - 1 });
        else if (mode === 'position-field') send('pong', {}, { position: 'PT0S' });
        else send('pong', {});
        break;
      case 'close':
        if (mode !== 'no-closed') send('closed', {});
        break;
      default:
        break;
    }
  });
});

const shutdown = () => {
  if (o.report) fs.writeFileSync(o.report, `${JSON.stringify({ sessions }, null, 2)}\n`);
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
server.listen(Number(o.port), '127.0.0.1', () => process.stdout.write(`LISTENING ${server.address().port}\n`));
