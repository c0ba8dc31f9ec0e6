#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// Sends hand-made signed upgrade requests to audiohook-server.mjs to exercise its signature
// verifier (sec. 1.4): component order taken from Signature-Input, nonce replay, freshness,
// coverage and parameter rules. Usage (secret and key from the environment, never printed):
//   AUDIOHOOK_API_KEY=K AUDIOHOOK_CLIENT_SECRET=S node signature-probe.mjs ws://127.0.0.1:PORT/PATH
// Prints a JSON array [{ case, status, sessionId }] on stdout.

import http from 'node:http';
import crypto from 'node:crypto';
import * as ah from './audiohook-common.mjs';

const url = new URL(process.argv[2]);
const apiKey = process.env.AUDIOHOOK_API_KEY;
const key = ah.decodeClientSecret(process.env.AUDIOHOOK_CLIENT_SECRET ?? '');
if (!apiKey || !key || key.length === 0) {
  process.stderr.write('signature-probe: AUDIOHOOK_API_KEY and AUDIOHOOK_CLIENT_SECRET must be set\n');
  process.exit(2);
}

function headersFor({ components = ah.SIGNED_COMPONENTS, nonce = crypto.randomBytes(18).toString('base64'), createdOffset = 0, extraParam = false }) {
  const h = {
    'audiohook-organization-id': crypto.randomUUID(),
    'audiohook-session-id': crypto.randomUUID(),
    'audiohook-correlation-id': crypto.randomUUID(),
    'x-api-key': apiKey,
  };
  const created = Math.floor(Date.now() / 1000) + createdOffset;
  let params = ah.serializeSignatureParams(components, { keyid: apiKey, nonce, alg: 'hmac-sha256', created, expires: created + 10 });
  if (extraParam) params += ';tag="x"';
  const valueOf = (n) => (n === '@request-target' ? url.pathname + url.search : n === '@authority' ? url.host : h[n]);
  const mac = ah.hmacSha256(key, ah.buildSignatureBase(components, valueOf, params));
  return { ...h, 'signature-input': `sig1=${params}`, signature: `sig1=:${mac.toString('base64')}:` };
}

function attempt(name, headers) {
  return new Promise((resolve) => {
    const req = http.request({
      host: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      headers: {
        Host: url.host,
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    const done = (status) => resolve({ case: name, status, sessionId: headers['audiohook-session-id'] });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      done(res.statusCode);
    });
    req.on('response', (res) => {
      res.resume();
      done(res.statusCode);
    });
    req.on('error', (e) => done(`error: ${e.message}`));
    req.end();
  });
}

const reordered = [...ah.SIGNED_COMPONENTS].reverse();
const replayed = headersFor({});
const results = [];
results.push(await attempt('reordered-components', headersFor({ components: reordered })));
results.push(await attempt('first-use', replayed));
results.push(
  ...(await Promise.all([
    attempt('replayed-nonce', replayed),
    attempt('too-old', headersFor({ createdOffset: -20 })),
    attempt('future', headersFor({ createdOffset: 30 })),
    attempt('missing-component', headersFor({ components: ah.SIGNED_COMPONENTS.slice(0, 5) })),
    attempt('unknown-parameter', headersFor({ extraParam: true })),
    attempt('short-nonce', headersFor({ nonce: 'c2hvcnQ=' })),
  ])),
);
process.stdout.write(`${JSON.stringify(results)}\n`);
