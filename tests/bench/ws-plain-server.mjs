#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// The baseline for bench-scale.sh: the AudioHook server people write today on
// Node + npm `ws`, doing the least a server must. It parses every JSON message,
// answers open (with the first stereo offer, else the first offer), ping and
// close, and counts the audio frames and bytes it receives. No auth, no
// timeline, no output.
//
//   node ws-plain-server.mjs [--port 9000] [--host 127.0.0.1] [--path /ws] [--stats-interval 1]
//
// Prints "LISTENING <port>" once bound, a stats line per interval, and on
// SIGTERM/SIGINT "TOTALS {json}" (frames, bytes, sessions opened/closed, pings)
// before it exits.
import { parseArgs } from 'node:util';
import { ws } from './bench-common.mjs';

const { WebSocketServer } = ws;

const { values: v } = parseArgs({
  options: {
    port: { type: 'string', default: '9000' },
    host: { type: 'string', default: '127.0.0.1' },
    path: { type: 'string', default: '/ws' },
    'stats-interval': { type: 'string', default: '1' },
  },
});

const totals = { frames: 0, bytes: 0, sessionsOpened: 0, sessionsClosed: 0, pings: 0, active: 0, badJson: 0 };
let framesLast = 0;

const wss = new WebSocketServer({
  host: v.host,
  port: Number(v.port),
  path: v.path,
  perMessageDeflate: false,
  maxPayload: 65536,
  clientTracking: false,
});

wss.on('connection', (ws, req) => {
  const id = req.headers['audiohook-session-id'] ?? '00000000-0000-0000-0000-000000000000';
  let seq = 0;
  let clientSeq = 0;
  let opened = false;
  totals.active++;
  const reply = (type, parameters) => {
    seq++;
    ws.send(JSON.stringify({ version: '2', id, type, seq, clientseq: clientSeq, parameters }));
  };
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      totals.frames++;
      totals.bytes += data.length;
      return;
    }
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      totals.badJson++;
      return;
    }
    if (Number.isInteger(msg.seq)) clientSeq = msg.seq;
    switch (msg.type) {
      case 'open': {
        const offers = Array.isArray(msg.parameters?.media) ? msg.parameters.media : [];
        const pick = offers.find((m) => m.channels?.length === 2) ?? offers[0];
        opened = true;
        totals.sessionsOpened++;
        reply('opened', { media: pick ? [pick] : [], startPaused: false });
        break;
      }
      case 'ping':
        totals.pings++;
        reply('pong', {});
        break;
      case 'close':
        if (opened) totals.sessionsClosed++;
        opened = false;
        reply('closed', {});
        break;
      default:
        break;
    }
  });
  ws.on('error', () => {});
  ws.on('close', () => {
    totals.active--;
  });
});

wss.on('listening', () => {
  process.stdout.write(`LISTENING ${wss.address().port}\n`);
});

const interval = Number(v['stats-interval']);
if (interval > 0) {
  setInterval(() => {
    const fps = (totals.frames - framesLast) / interval;
    framesLast = totals.frames;
    process.stdout.write(`stats active=${totals.active} frames=${totals.frames} frames/s=${fps.toFixed(0)} opened=${totals.sessionsOpened} closed=${totals.sessionsClosed}\n`);
  }, interval * 1000).unref();
}

const stop = () => {
  process.stdout.write(`TOTALS ${JSON.stringify(totals)}\n`);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
