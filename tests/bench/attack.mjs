// gst-genesys
// Copyright (C) 2026 gst-genesys developers
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// One hostile-client attack against an AudioHook endpoint, with a real,
// correctly signed client measured beside it. Prints one JSON line:
//   {attack, cutOffMs, detail, openMs: [...], pongMs: [...]}
// cutOffMs: how long until the server ended the attacker (null: it did not
// within the time). Used by attack.sh, which also samples the server.
//   node attack.mjs --port P --api-key K --client-secret S --attack NAME [--seconds N]

import net from 'node:net';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import * as ah from '../interop/lib/audiohook-common.mjs';

const require = createRequire(new URL('../interop/package.json', import.meta.url));
const WebSocket = require('ws');

const { values: o } = parseArgs({
  options: {
    port: { type: 'string' },
    path: { type: 'string', default: '/api/v1/audiohook/ws' },
    'api-key': { type: 'string' },
    'client-secret': { type: 'string' },
    attack: { type: 'string' },
    seconds: { type: 'string', default: '20' },
  },
});
const PORT = Number(o.port);
const SECONDS = Number(o.seconds);
const ORG = 'd7934305-0972-4844-938e-9060eef73d05';
const now = () => Number(process.hrtime.bigint() / 1000000n);

// Signed upgrade headers for a new session (sec. 1.4 of the protocol notes).
function signedHeaders(path = o.path) {
  const url = new URL(`ws://127.0.0.1:${PORT}${path}`);
  const headers = {
    'audiohook-organization-id': ORG,
    'audiohook-session-id': crypto.randomUUID(),
    'audiohook-correlation-id': crypto.randomUUID(),
    'x-api-key': o['api-key'],
  };
  const created = Math.floor(Date.now() / 1000);
  const params = ah.serializeSignatureParams(ah.SIGNED_COMPONENTS, {
    keyid: o['api-key'], nonce: crypto.randomBytes(18).toString('base64'),
    alg: 'hmac-sha256', created, expires: created + 10,
  });
  const valueOf = (name) => (name === '@request-target' ? url.pathname + url.search
    : name === '@authority' ? url.host : ah.canonicalHeaderValue(headers[name]));
  const mac = ah.hmacSha256(ah.decodeClientSecret(o['client-secret']),
    ah.buildSignatureBase(ah.SIGNED_COMPONENTS, valueOf, params));
  headers['signature-input'] = `sig1=${params}`;
  headers.signature = `sig1=:${mac.toString('base64')}:`;
  return headers;
}

function message(id, type, seq, serverseq, position, parameters) {
  return JSON.stringify({ version: '2', id, type, seq, serverseq, position, parameters });
}

function openParams() {
  const conv = crypto.randomUUID();
  return {
    organizationId: ORG, conversationId: conv,
    participant: { id: conv, ani: '+15551234567', aniName: 'A', dnis: '+15557654321' },
    media: [{ type: 'audio', format: 'PCMU', channels: ['external'], rate: 8000 }],
  };
}

// A raw upgrade request (signed unless @unsigned) with @extra header lines.
function rawRequest({ extra = '', unsigned = false } = {}) {
  const h = unsigned ? { 'audiohook-session-id': crypto.randomUUID() } : signedHeaders();
  const lines = Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  const text = `GET ${o.path} HTTP/1.1\r\nHost: 127.0.0.1:${PORT}\r\nUpgrade: websocket\r\n`
    + 'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
    + `Sec-WebSocket-Version: 13\r\n${lines}${extra}\r\n`;
  return { text, sid: h['audiohook-session-id'] };
}

// A masked client frame.
function frame(opcode, payload, fin = true) {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | len])
    : len <= 0xffff ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, len >> 8, len & 0xff])
      : Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 127]),
        (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(len)); return b; })()]);
  return Buffer.concat([head, Buffer.from([0, 0, 0, 0]), payload]); // zero mask
}

// A raw connection upgraded (101 read); resolves with the socket.
function rawUpgraded(extra) {
  return new Promise((resolve, reject) => {
    const req = rawRequest({ extra });
    const s = net.connect(PORT, '127.0.0.1', () => s.write(req.text));
    let head = '';
    const onData = (d) => {
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) {
        s.off('data', onData);
        if (head.startsWith('HTTP/1.1 101')) resolve({ s, head, sid: req.sid });
        else reject(new Error(head.split('\r\n')[0]));
      }
    };
    s.on('data', onData);
    s.on('error', reject);
  });
}

// ---- the real client: opens, pings every 200 ms, closes; again until the end ----

async function realClient(until, result) {
  while (now() < until) {
    await new Promise((resolve) => {
      const t0 = now();
      const h = signedHeaders();
      const ws = new WebSocket(`ws://127.0.0.1:${PORT}${o.path}`, { headers: h });
      const sid = h['audiohook-session-id'];
      let seq = 0, timer, pingAt;
      const done = () => { clearInterval(timer); try { ws.close(); } catch { /* gone */ } resolve(); };
      ws.on('open', () => ws.send(message(sid, 'open', ++seq, 0, 'PT0S', openParams())));
      ws.on('message', (data, binary) => {
        if (binary) return;
        const m = JSON.parse(data.toString());
        if (m.type === 'opened') {
          result.openMs.push(now() - t0);
          let n = 0;
          timer = setInterval(() => {
            if (++n > 5) { ws.send(message(sid, 'close', ++seq, m.seq, 'PT0S', { reason: 'end' })); clearInterval(timer); return; }
            pingAt = now();
            ws.send(message(sid, 'ping', ++seq, m.seq, 'PT0S', {}));
          }, 200);
        } else if (m.type === 'pong') {
          result.pongMs.push(now() - pingAt);
        } else if (m.type === 'closed') {
          done();
        }
      });
      ws.on('unexpected-response', (req, res) => { result.refused = (result.refused || 0) + 1; done(); });
      ws.on('error', () => done());
      ws.on('close', () => done());
      setTimeout(done, 5000);
    });
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---- the attacks: each resolves with {cutOffMs, detail} ----

function endedAfter(s, t0) {
  return new Promise((resolve) => {
    const end = () => resolve(now() - t0);
    s.on('close', end);
    s.on('error', () => {});
  });
}

const attacks = {
  // F1: after open, a discarded of 31 years
  async discarded() {
    const t0 = now();
    const h = signedHeaders();
    const sid = h['audiohook-session-id'];
    const ws = new WebSocket(`ws://127.0.0.1:${PORT}${o.path}`, { headers: h });
    return new Promise((resolve) => {
      ws.on('open', () => ws.send(message(sid, 'open', 1, 0, 'PT0S', openParams())));
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString());
        if (m.type === 'opened')
          ws.send(message(sid, 'discarded', 2, 1, 'PT999999999S', { start: 'PT0S', discarded: 'PT999999999S' }));
        if (m.type === 'disconnect') resolve({ cutOffMs: now() - t0, detail: `disconnect ${m.parameters.reason}` });
      });
      ws.on('close', () => resolve({ cutOffMs: now() - t0, detail: 'closed' }));
      ws.on('error', () => {});
    });
  },
  // F2: an unauthenticated upgrade announcing and streaming a 200 MB body
  async body() {
    const t0 = now();
    const s = net.connect(PORT, '127.0.0.1');
    const chunk = Buffer.alloc(65536, 0x41);
    let sent = 0, stop = false;
    s.on('connect', () => {
      s.write(rawRequest({ unsigned: true, extra: 'Content-Length: 209715200\r\n' }).text);
      const pump = () => { while (!stop && sent < 209715200 && s.write(chunk)) sent += chunk.length; };
      s.on('drain', pump);
      pump();
    });
    const ms = await Promise.race([endedAfter(s, t0), new Promise((r) => setTimeout(() => r(null), SECONDS * 1000))]);
    stop = true;
    s.destroy();
    return { cutOffMs: ms, detail: `${(sent / 1048576).toFixed(1)} MiB written` };
  },
  // F3: 500 connections sending a header line every 10 s, and 500 silent
  async slowloris() {
    const t0 = now();
    const socks = [];
    for (let i = 0; i < 1000; i++) {
      const s = net.connect(PORT, '127.0.0.1');
      s.on('error', () => {});
      if (i % 2 === 0) s.on('connect', () => s.write(`GET ${o.path} HTTP/1.1\r\n`));
      socks.push(s);
    }
    const timer = setInterval(() => socks.forEach((s, i) => { if (i % 2 === 0 && !s.destroyed) s.write('X-a: b\r\n'); }), 10000);
    const ends = await Promise.all(socks.map((s) => Promise.race([endedAfter(s, t0),
      new Promise((r) => setTimeout(() => r(null), SECONDS * 1000))])));
    clearInterval(timer);
    socks.forEach((s) => s.destroy());
    const open = ends.filter((e) => e === null).length;
    return { cutOffMs: open ? null : Math.max(...ends), detail: `${1000 - open} of 1000 closed` };
  },
  // F4: a text message that never ends
  async fragments() {
    const t0 = now();
    const { s } = await rawUpgraded();
    const payload = Buffer.alloc(65536, 0x61);
    let sent = 0, first = true, stop = false, code = null;
    s.on('data', (d) => { if (d[0] === 0x88 && d.length >= 4) code = d.readUInt16BE(2); });
    const pump = () => {
      while (!stop && sent < 1024 * 1048576 && s.write(frame(first ? 1 : 0, payload, false))) { first = false; sent += payload.length; }
    };
    s.on('drain', pump);
    pump();
    const ms = await Promise.race([endedAfter(s, t0), new Promise((r) => setTimeout(() => r(null), SECONDS * 1000))]);
    stop = true;
    s.destroy();
    return { cutOffMs: ms, detail: `${(sent / 1048576).toFixed(1)} MiB sent${code ? `, close ${code}` : ''}` };
  },
  // F5: permessage-deflate offered, then a compressed frame (RSV1)
  async deflate() {
    const t0 = now();
    const { s, head } = await rawUpgraded('Sec-WebSocket-Extensions: permessage-deflate\r\n');
    const accepted = /sec-websocket-extensions/i.test(head);
    const zeros = (await import('node:zlib')).deflateRawSync(Buffer.alloc(64 * 1048576));
    const f = frame(1, zeros);
    f[0] |= 0x40; // RSV1
    s.write(f);
    const ms = await Promise.race([endedAfter(s, t0), new Promise((r) => setTimeout(() => r(null), SECONDS * 1000))]);
    s.destroy();
    return { cutOffMs: ms, detail: `extension ${accepted ? 'accepted' : 'declined'}, ${zeros.length} bytes inflating to 64 MiB` };
  },
  // F6: never reads, pings as fast as it can
  async pings() {
    const t0 = now();
    const { s } = await rawUpgraded();
    s.pause();
    const ping = frame(9, Buffer.alloc(125, 0x70));
    let n = 0, stop = false;
    const pump = () => { while (!stop && s.write(ping)) n++; };
    s.on('drain', pump);
    pump();
    const ms = await Promise.race([endedAfter(s, t0), new Promise((r) => setTimeout(() => r(null), SECONDS * 1000))]);
    stop = true;
    s.destroy();
    return { cutOffMs: ms, detail: `${n} pings written` };
  },
  // F7: 25 upgrades that never open and 25 that open and go silent
  async silent() {
    const t0 = now();
    const list = [];
    for (let i = 0; i < 50; i++) {
      const h = signedHeaders();
      const sid = h['audiohook-session-id'];
      const ws = new WebSocket(`ws://127.0.0.1:${PORT}${o.path}`, { headers: h });
      if (i % 2) ws.on('open', () => ws.send(message(sid, 'open', 1, 0, 'PT0S', openParams())));
      ws.on('error', () => {});
      list.push(new Promise((r) => { ws.on('close', () => r(now() - t0)); setTimeout(() => { r(null); ws.terminate(); }, SECONDS * 1000); }));
    }
    const ends = await Promise.all(list);
    const open = ends.filter((e) => e === null).length;
    return { cutOffMs: open ? null : Math.max(...ends), detail: `${50 - open} of 50 ended` };
  },
  // F8: 50 valid upgrades at once
  async burst() {
    const times = await Promise.all(Array.from({ length: 50 }, () => new Promise((r) => {
      const t0 = now();
      const ws = new WebSocket(`ws://127.0.0.1:${PORT}${o.path}`, { headers: signedHeaders() });
      ws.on('open', () => { r(now() - t0); ws.terminate(); });
      ws.on('unexpected-response', (req, res) => r(-res.statusCode));
      ws.on('error', () => r(-1));
    })));
    const ok = times.filter((t) => t >= 0).sort((a, b) => a - b);
    const q = (p) => ok[Math.min(ok.length - 1, Math.floor(p * ok.length))];
    return { cutOffMs: null, detail: `${ok.length} upgraded (p50 ${q(0.5)} ms, p90 ${q(0.9)} ms), ${times.filter((t) => t === -401).length} got 401` };
  },
  // F9 (small): the same signed request twice
  async replay() {
    const h = signedHeaders();
    const once = () => new Promise((r) => {
      const ws = new WebSocket(`ws://127.0.0.1:${PORT}${o.path}`, { headers: h });
      ws.on('open', () => { r(101); ws.terminate(); });
      ws.on('unexpected-response', (req, res) => r(res.statusCode));
      ws.on('error', () => r(0));
    });
    const a = await once();
    const b = await once();
    return { cutOffMs: null, detail: `first ${a}, replay ${b}` };
  },
  // I1: close, audio and ping in one write: anything after closed?
  async burstclose() {
    const { s, sid } = await rawUpgraded();
    return new Promise((resolve) => {
      let text = '', opened = false;
      s.on('data', (d) => {
        text += d.toString('latin1');
        if (!opened && text.includes('"opened"')) {
          opened = true;
          s.write(Buffer.concat([frame(1, Buffer.from(message(sid, 'close', 2, 1, 'PT0S', { reason: 'end' }))),
            frame(2, Buffer.alloc(1600, 0xff)), frame(1, Buffer.from(message(sid, 'ping', 3, 1, 'PT0S', {})))]));
          setTimeout(() => {
            const after = text.split('"closed"')[1] || '';
            resolve({ cutOffMs: null, detail: after.includes('"pong"') ? 'pong after closed' : 'nothing after closed' });
            s.destroy();
          }, 1000);
        }
      });
      s.write(frame(1, Buffer.from(message(sid, 'open', 1, 0, 'PT0S', openParams()))));
    });
  },
};

const result = { attack: o.attack, openMs: [], pongMs: [] };
const until = now() + SECONDS * 1000;
const client = realClient(until, result);
// an attack the server never answers ends with the time given
const r = await Promise.race([attacks[o.attack](),
  new Promise((resolve) => setTimeout(() => resolve({ cutOffMs: null, detail: 'no answer from the server' }),
    (SECONDS + 5) * 1000))]);
Object.assign(result, r);
await client;
console.log(JSON.stringify(result));
process.exit(0);
