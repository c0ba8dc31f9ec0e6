#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// Independent AudioHook v2 server (test peer for AudioHook clients, e.g. our sink element).
// Written from shared/docs/audiohook-protocol.md only: it shares no code with gst/.
//
//   node audiohook-server.mjs --port 0 [options]
//
// Prints "LISTENING <port>" on stdout once bound. Serves any number of sequential or
// concurrent sessions. On SIGTERM/SIGINT it writes the --report JSON and exits 0.
// Run with --help for the option list.

import { parseArgs } from 'node:util';
import http from 'node:http';
import fs from 'node:fs';
import crypto from 'node:crypto';
import { WebSocketServer } from 'ws';
import * as ah from './lib/audiohook-common.mjs';

const USAGE = `Usage: node audiohook-server.mjs --port N [options]

Listening
  --port N                TCP port (0 = any free port; the bound port is printed as "LISTENING <port>")
  --host ADDR             bind address (default 127.0.0.1)
  --path P                WebSocket path (default /api/v1/audiohook/ws; "*" accepts any path)
  --max-payload BYTES     largest accepted WebSocket message (default 65536, like the reference server)

Authentication (sec. 1.4 / 1.5; failures answer 401 before the upgrade)
  --api-key K             required X-API-KEY (default: env AUDIOHOOK_API_KEY, else any key is accepted)
  --client-secret S       base64 client secret: signatures required and verified
                          (default: env AUDIOHOOK_CLIENT_SECRET; empty = unsigned requests accepted). Never printed.
  --authority HOST[:PORT] expected @authority (default: the Host header)

Session behaviour
  --start-paused          opened.startPaused = true; resume is sent --resume-after-ms after opened
  --discard-to-ms N       opened.discardTo = N ms
  --pause-at-ms N         send pause when the timeline T reaches N ms ...
  --resume-after-ms N     ... and resume N ms (wall time) later (default 1000)
  --disconnect-after-ms N send disconnect {reason:"completed"} N ms after opened
  --event-every-ms N      send a transcript event every N ms while the session is active
  --drop-every-ms N       destroy each connection's TCP socket N ms after it was accepted (no close frame -> 1006)
  --strict                on a client protocol violation send disconnect {reason:"error"} (reference server);
                          default: count and report only

Output
  --report FILE           JSON report written on SIGTERM/SIGINT
  --verbose               log every message
  --quiet                 log only problems
  --help                  this text
`;

class UsageError extends Error {}

function parseOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string', default: '0' },
        host: { type: 'string', default: '127.0.0.1' },
        path: { type: 'string', default: '/api/v1/audiohook/ws' },
        'max-payload': { type: 'string', default: '65536' },
        'api-key': { type: 'string' },
        'client-secret': { type: 'string' },
        authority: { type: 'string' },
        'start-paused': { type: 'boolean', default: false },
        'discard-to-ms': { type: 'string' },
        'pause-at-ms': { type: 'string' },
        'resume-after-ms': { type: 'string' },
        'disconnect-after-ms': { type: 'string' },
        'event-every-ms': { type: 'string' },
        'drop-every-ms': { type: 'string' },
        strict: { type: 'boolean', default: false },
        report: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    throw new UsageError(e.message);
  }
  const v = parsed.values;
  if (v.help) return { help: true };
  const num = (name, min = 0, max = 2 ** 31) => {
    if (v[name] === undefined) return undefined;
    const x = Number(v[name]);
    if (!Number.isInteger(x) || x < min || x > max) throw new UsageError(`--${name} ${JSON.stringify(v[name])}: expected an integer in [${min}, ${max}]`);
    return x;
  };
  const o = {
    port: num('port', 0, 65535),
    host: v.host,
    path: v.path,
    maxPayload: num('max-payload', 1),
    apiKey: v['api-key'] ?? process.env.AUDIOHOOK_API_KEY ?? '',
    clientSecret: v['client-secret'] ?? process.env.AUDIOHOOK_CLIENT_SECRET ?? '',
    authority: v.authority,
    startPaused: v['start-paused'],
    discardToMs: num('discard-to-ms'),
    pauseAtMs: num('pause-at-ms'),
    resumeAfterMs: num('resume-after-ms') ?? 1000,
    disconnectAfterMs: num('disconnect-after-ms'),
    eventEveryMs: num('event-every-ms', 10),
    dropEveryMs: num('drop-every-ms', 1),
    strict: v.strict,
    report: v.report,
    verbose: v.verbose,
    quiet: v.quiet,
  };
  if (o.path !== '*' && !o.path.startsWith('/')) throw new UsageError('--path must start with "/" (or be "*")');
  if (o.clientSecret !== '') {
    o.key = ah.decodeClientSecret(o.clientSecret);
    if (!o.key || o.key.length === 0) throw new UsageError('--client-secret is not valid base64');
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Logging

let opts;
const t0 = performance.now();
function log(msg) {
  if (!opts.quiet) process.stderr.write(`[server +${Math.round(performance.now() - t0)}ms] ${msg}\n`);
}
function warn(msg) {
  process.stderr.write(`[server +${Math.round(performance.now() - t0)}ms] WARNING: ${msg}\n`);
}

// ---------------------------------------------------------------------------------------------
// Signature verification (sec. 1.4 "Verification")

const ALLOWED_SIG_PARAMS = new Set(['keyid', 'nonce', 'alg', 'created', 'expires']);
const SKEW_S = 3;
const MAX_AGE_S = 10;
const seenNonces = new Map(); // nonce -> unix time after which it may be forgotten

function rememberNonce(nonce, now) {
  for (const [n, until] of seenNonces) if (until < now) seenNonces.delete(n);
  if (seenNonces.has(nonce)) return false;
  seenNonces.set(nonce, now + 2 * (MAX_AGE_S + SKEW_S) + 60);
  return true;
}

/** Returns { ok: true, signed } or { ok: false, reason }. Never includes secret material. */
function authenticate(req) {
  const h = req.headers;
  const apiKey = typeof h['x-api-key'] === 'string' ? h['x-api-key'].trim() : undefined;
  let keyKnown = true;
  if (opts.apiKey !== '') {
    if (apiKey === undefined) return { ok: false, reason: 'X-API-KEY header missing' };
    const a = Buffer.from(apiKey);
    const b = Buffer.from(opts.apiKey);
    keyKnown = a.length === b.length && crypto.timingSafeEqual(a, b);
  }
  const hasSig = h['signature-input'] !== undefined || h.signature !== undefined;
  if (!opts.key) {
    // No secret configured: unsigned requests are accepted (rule 6); a signature is ignored.
    if (!keyKnown) return { ok: false, reason: 'unknown API key' };
    return { ok: true, signed: false, signatureIgnored: hasSig };
  }
  if (!hasSig) return { ok: false, reason: 'request is not signed but a client secret is configured' };
  if (apiKey === undefined) return { ok: false, reason: 'X-API-KEY header missing' };
  if (h['signature-input'] === undefined || h.signature === undefined) return { ok: false, reason: 'Signature-Input or Signature header missing' };

  let inputs;
  let sigs;
  try {
    inputs = ah.parseSfDictionary(h['signature-input']);
    sigs = ah.parseSfDictionary(h.signature);
  } catch (e) {
    return { ok: false, reason: `malformed signature header: ${e.message}` };
  }
  const label = [...inputs.keys()].find((k) => sigs.has(k));
  if (label === undefined) return { ok: false, reason: 'no signature label present in both Signature-Input and Signature' };
  const member = inputs.get(label);
  const sigMember = sigs.get(label);
  if (!member.innerList) return { ok: false, reason: `Signature-Input ${label} is not an inner list` };
  if (!sigMember.item || sigMember.item.type !== 'bytes') return { ok: false, reason: `Signature ${label} is not a byte sequence` };

  // Parameters (rule 1, 2)
  const params = {};
  for (const { key, value } of member.params) {
    if (!ALLOWED_SIG_PARAMS.has(key)) return { ok: false, reason: `unknown signature parameter ${key}` };
    params[key] = value;
  }
  if (!params.keyid || params.keyid.type !== 'string') return { ok: false, reason: 'keyid missing' };
  if (params.keyid.value !== apiKey) return { ok: false, reason: 'keyid does not equal X-API-KEY' };
  if (!params.nonce || params.nonce.type !== 'string' || params.nonce.value.length < 22) return { ok: false, reason: 'nonce missing or shorter than 22 characters' };
  if (params.alg && (params.alg.type !== 'string' || params.alg.value !== 'hmac-sha256')) return { ok: false, reason: 'alg is not "hmac-sha256"' };
  if (!params.created || params.created.type !== 'integer') return { ok: false, reason: 'created missing' };
  if (params.expires && params.expires.type !== 'integer') return { ok: false, reason: 'expires is not an integer' };

  // Components (rule 3)
  const components = [];
  for (const { item, params: cp } of member.innerList) {
    if (item.type !== 'string') return { ok: false, reason: 'component identifier is not a string' };
    if (cp.length) return { ok: false, reason: `component ${item.value} has parameters (unsupported)` };
    if (item.value === '@signature-params') return { ok: false, reason: '@signature-params must not be covered' };
    if (components.includes(item.value)) return { ok: false, reason: `component ${item.value} listed twice` };
    components.push(item.value);
  }
  for (const c of ah.SIGNED_COMPONENTS) if (!components.includes(c)) return { ok: false, reason: `component ${c} not covered` };

  // Timing (rule 4)
  const now = Math.floor(Date.now() / 1000);
  const created = params.created.value;
  if (created > now + SKEW_S) return { ok: false, reason: `created ${created} is in the future (now ${now})` };
  if (params.expires && params.expires.value < now + SKEW_S) return { ok: false, reason: `signature expired (expires ${params.expires.value}, now ${now})` };
  if (created + MAX_AGE_S < now + SKEW_S) return { ok: false, reason: `signature too old (created ${created}, now ${now})` };

  // Base, in the received order
  const valueOf = (name) => {
    if (name === '@request-target') return req.url;
    if (name === '@authority') return (opts.authority ?? h.host ?? '').toLowerCase();
    if (name.startsWith('@')) return undefined;
    const raw = req.headersDistinct?.[name] ?? h[name];
    return raw === undefined ? undefined : ah.canonicalHeaderValue(raw);
  };
  let base;
  try {
    base = ah.buildSignatureBase(components, valueOf, ah.serializeInnerList(member));
  } catch (e) {
    return { ok: false, reason: e.message };
  }
  // Rule 5: unknown key -> compute with a random key; constant-time compare.
  const key = keyKnown ? opts.key : crypto.randomBytes(32);
  const mac = ah.hmacSha256(key, base);
  const got = sigMember.item.value;
  const same = got.length === mac.length ? crypto.timingSafeEqual(got, mac) : (crypto.timingSafeEqual(mac, mac), false);
  if (!keyKnown) return { ok: false, reason: 'unknown API key' };
  if (!same) return { ok: false, reason: 'signature mismatch' };
  if (!rememberNonce(params.nonce.value, now)) return { ok: false, reason: 'nonce replayed' };
  return { ok: true, signed: true };
}

// ---------------------------------------------------------------------------------------------
// Sessions

const sessions = [];
const rejectedUpgrades = [];
const MAX_DETAILS = 20;

class ServerSession {
  constructor(ws, req, auth) {
    this.ws = ws;
    const h = req.headers;
    this.id = h['audiohook-session-id'];
    this.correlationId = h['audiohook-correlation-id'] ?? null;
    this.organizationIdHeader = h['audiohook-organization-id'] ?? null;
    this.requestTarget = req.url;
    this.remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    this.userAgent = h['user-agent'] ?? null;
    this.signed = auth.signed;
    this.signatureIgnored = Boolean(auth.signatureIgnored);
    this.t0 = performance.now();
    this.connectedAt = new Date().toISOString();
    this.state = 'PREPARING';
    this.signaledError = false;

    this.lastClientSeq = 0;
    this.serverSeq = 0;
    this.lastServerseqSeen = 0;
    this.T = 0; // timeline in samples (sec. 4.1)
    this.maxFrameSamples = 0;
    this.media = null;
    this.open = null;
    this.probe = false;
    this.continuedSessions = null;

    this.bytes = 0;
    this.frames = 0;
    this.emptyFrames = 0;
    this.samples = 0;
    this.discardedSpans = [];
    this.lastClientPosition = null;
    this.seqViolations = 0;
    this.serverseqViolations = 0;
    this.idMismatches = 0;
    this.envelopeErrors = 0;
    this.positionChecks = 0;
    this.positionMismatches = 0;
    this.positionMismatchDetails = [];
    this.spanPositionConvention = { afterSpan: 0, beforeSpan: 0 };
    this.spanStartMismatches = 0;
    this.audioInWrongState = 0;
    this.partialSampleFrames = 0;
    this.duplicatePaused = 0;
    this.messageCounts = {};
    this.pings = 0;
    this.rttsMs = [];
    this.clientErrors = [];
    this.updates = [];
    this.dtmf = [];
    this.violations = [];
    this.sent = {};
    this.closeReason = null;
    this.closedSent = false;
    this.duplicateCloses = 0;
    this.wsClose = null;
    this.dropped = false;
    this.pauseSent = false;
    this.timers = new Set();
    this.channelStats = null;
  }

  ms() {
    return Math.round(performance.now() - this.t0);
  }
  tag() {
    return `session ${String(this.id).slice(0, 8)}`;
  }
  log(msg) {
    log(`${this.tag()}: ${msg}`);
  }

  timer(fn, ms) {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
    return t;
  }

  clearTimers() {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.eventInterval) clearInterval(this.eventInterval);
    this.eventInterval = null;
  }

  violation(kind, message) {
    if (this.violations.length < 200) this.violations.push({ atMs: this.ms(), kind, message });
    warn(`${this.tag()}: client violation (${kind}): ${message}`);
    if (opts.strict) this.signalError(`Client Error: ${message}`);
  }

  signalError(info) {
    if (this.signaledError || this.closedSent || this.state === 'CLOSED') return;
    this.signaledError = true;
    this.send('disconnect', { reason: 'error', info });
  }

  send(type, parameters) {
    if (this.ws.readyState !== this.ws.OPEN) return false;
    this.serverSeq += 1;
    const msg = { version: ah.PROTOCOL_VERSION, id: this.id, type, seq: this.serverSeq, clientseq: this.lastClientSeq, parameters };
    const text = JSON.stringify(msg);
    if (opts.verbose) this.log(`-> ${text}`);
    this.sent[type] = (this.sent[type] ?? 0) + 1;
    this.ws.send(text);
    return true;
  }

  start() {
    this.log(`connected from ${this.remote} ${this.requestTarget} (${this.signed ? 'signed' : 'unsigned'})`);
    this.ws.on('message', (data, isBinary) => {
      try {
        if (isBinary) this.onAudio(data);
        else this.onText(data.toString('utf8'));
      } catch (e) {
        warn(`${this.tag()}: internal error: ${e.stack}`);
      }
    });
    this.ws.on('close', (code, reason) => this.onSocketClose(code, reason.toString()));
    this.ws.on('error', (err) => {
      this.socketError = err.message;
      warn(`${this.tag()}: WebSocket error: ${err.message}`);
    });
    if (opts.dropEveryMs !== undefined) {
      this.timer(() => {
        if (this.ws.readyState === this.ws.OPEN) {
          this.log(`dropping the TCP connection (--drop-every-ms ${opts.dropEveryMs})`);
          this.dropped = true;
          this.ws._socket.destroy();
        }
      }, opts.dropEveryMs);
    }
  }

  // ---- audio ---------------------------------------------------------------------------------

  onAudio(buf) {
    this.bytes += buf.length;
    if (buf.length === 0) {
      this.emptyFrames += 1;
      return;
    }
    this.frames += 1;
    if (!this.media) {
      this.violation('audio-without-media', `binary frame of ${buf.length} bytes ${this.open ? 'but no media was negotiated' : 'before open/opened'}`);
      this.audioInWrongState += 1;
      return;
    }
    if (this.state !== 'ACTIVE') {
      this.audioInWrongState += 1;
      this.violation('audio-in-state', `binary frame of ${buf.length} bytes in state ${this.state}`);
    }
    const bps = ah.bytesPerSample(this.media.format);
    const frameBytes = bps * this.media.channels.length;
    if (buf.length % frameBytes !== 0) {
      this.partialSampleFrames += 1;
      this.violation('partial-sample-frame', `binary frame of ${buf.length} bytes is not a multiple of ${frameBytes}`);
    }
    const n = Math.floor(buf.length / frameBytes);
    this.samples += n;
    this.T += n;
    this.maxFrameSamples = Math.max(this.maxFrameSamples, n);
    this.accumulateStats(buf, n, bps);

    if (opts.pauseAtMs !== undefined && !this.pauseSent && this.state === 'ACTIVE' && this.T * 1000 >= opts.pauseAtMs * ah.SAMPLE_RATE) {
      this.pauseSent = true;
      this.log(`sending pause at T=${ah.formatSamples(this.T)}`);
      this.send('pause', {});
      this.timer(() => {
        if (this.state === 'CLOSED' || this.state === 'CLOSING') return;
        this.log('sending resume');
        this.send('resume', {});
      }, opts.resumeAfterMs);
    }
  }

  accumulateStats(buf, n, bps) {
    const chs = this.media.channels.length;
    if (!this.channelStats) this.channelStats = this.media.channels.map((c) => ({ channel: c, samples: 0, sumSq: 0, crossings: 0, last: 0 }));
    for (let c = 0; c < chs; c++) {
      const st = this.channelStats[c];
      for (let i = 0; i < n; i++) {
        const off = (i * chs + c) * bps;
        const s = bps === 1 ? ah.MULAW_DECODE_TABLE[buf[off]] : buf.readInt16LE(off);
        st.sumSq += s * s;
        const sign = s > 0 ? 1 : s < 0 ? -1 : 0;
        if (sign !== 0) {
          if (st.last !== 0 && sign !== st.last) st.crossings += 1;
          st.last = sign;
        }
      }
      st.samples += n;
    }
  }

  // ---- text ----------------------------------------------------------------------------------

  onText(text) {
    if (opts.verbose) this.log(`<- ${text.length > 2000 ? `${text.slice(0, 2000)}...` : text}`);
    if (text.length > 65535) {
      this.envelopeErrors += 1;
      this.violation('too-large', `text message of ${text.length} characters`);
      return this.signalError('Client Error: text message too large');
    }
    let msg;
    try {
      msg = JSON.parse(text);
    } catch (e) {
      this.envelopeErrors += 1;
      this.violation('json', `message is not valid JSON: ${e.message}`);
      return this.signalError('Client Error: malformed JSON');
    }
    if (!ah.isPlainObject(msg) || typeof msg.type !== 'string') {
      this.envelopeErrors += 1;
      this.violation('envelope', 'message is not an object with a string type');
      return this.signalError('Client Error: not a client message');
    }
    const type = msg.type;
    this.messageCounts[type] = (this.messageCounts[type] ?? 0) + 1;

    // Envelope (sec. 2.1)
    const problems = [];
    if (msg.version !== ah.PROTOCOL_VERSION) problems.push(`version ${JSON.stringify(msg.version)} is not "2"`);
    if (!ah.isPlainObject(msg.parameters)) problems.push('parameters missing or not an object');
    if (!Number.isSafeInteger(msg.serverseq) || msg.serverseq < 0) problems.push(`serverseq ${JSON.stringify(msg.serverseq)} is not an integer >= 0`);
    if ('clientseq' in msg) problems.push('client message carries clientseq');
    const posNs = ah.parseDuration(msg.position);
    if (posNs === null) problems.push(`position ${JSON.stringify(msg.position)} is not a Duration`);
    if (problems.length) {
      this.envelopeErrors += 1;
      this.violation('envelope', `${type} seq ${msg.seq}: ${problems.join('; ')}`);
    }
    if (msg.id !== this.id) {
      this.idMismatches += 1;
      this.violation('id', `${type} id ${JSON.stringify(msg.id)} differs from the session id ${this.id}`);
    }
    // seq (sec. 2.2)
    if (!Number.isSafeInteger(msg.seq) || msg.seq !== this.lastClientSeq + 1) {
      this.seqViolations += 1;
      this.violation('seq', `${type} seq ${JSON.stringify(msg.seq)} where ${this.lastClientSeq + 1} was expected`);
    }
    if (Number.isSafeInteger(msg.seq)) this.lastClientSeq = msg.seq;
    if (Number.isSafeInteger(msg.serverseq)) {
      if (msg.serverseq > this.serverSeq) {
        this.serverseqViolations += 1;
        this.violation('serverseq', `${type} serverseq ${msg.serverseq} is larger than the last server seq sent (${this.serverSeq})`);
      } else if (msg.serverseq < this.lastServerseqSeen) {
        this.serverseqViolations += 1;
        this.violation('serverseq', `${type} serverseq went backwards (${msg.serverseq} after ${this.lastServerseqSeen})`);
      } else {
        this.lastServerseqSeen = msg.serverseq;
      }
    }
    const p = ah.isPlainObject(msg.parameters) ? msg.parameters : {};

    // ping is answered before anything else (sec. 2.2)
    if (type === 'ping') {
      this.pings += 1;
      this.send('pong', {});
      if (p.rtt !== undefined) {
        const rtt = ah.parseDuration(p.rtt);
        if (rtt === null) this.violation('params', `ping rtt ${JSON.stringify(p.rtt)} is not a Duration`);
        else if (this.rttsMs.length < 1000) this.rttsMs.push(ah.nsToMs(rtt));
      }
    }

    // Timeline effects of discarded / resumed (sec. 4.1)
    const tBefore = this.T;
    if (type === 'discarded' || type === 'resumed') this.applySpan(type, p, tBefore);

    // position check
    if (posNs !== null) {
      this.lastClientPosition = msg.position;
      if (type === 'open') {
        if (posNs > 0n) {
          this.T = ah.nsToSamples(posNs);
          this.log(`open at position ${msg.position}: timeline continues from there`);
        }
      } else {
        this.checkPosition(type, msg.seq, posNs, tBefore);
      }
    }

    switch (type) {
      case 'open':
        return this.onOpen(msg, p);
      case 'ping':
        return;
      case 'close':
        return this.onClose(p);
      case 'paused':
        if (this.state === 'ACTIVE') {
          this.state = 'PAUSED';
          this.log(`paused at T=${ah.formatSamples(this.T)}`);
        } else if (this.state === 'PAUSED') this.duplicatePaused += 1;
        else this.violation('state', `paused in state ${this.state} (ignored)`);
        return;
      case 'resumed':
        if (this.state === 'PAUSED') {
          this.state = 'ACTIVE';
          this.log(`resumed, T=${ah.formatSamples(this.T)}`);
        } else if (this.state !== 'ACTIVE') this.violation('state', `resumed in state ${this.state} (ignored)`);
        return;
      case 'discarded':
        return;
      case 'update':
        if (this.state !== 'ACTIVE' && this.state !== 'PAUSED') this.violation('state', `update in state ${this.state}`);
        this.updates.push(p);
        return;
      case 'error':
        this.clientErrors.push({ atMs: this.ms(), code: p.code, message: p.message, retryAfter: p.retryAfter });
        this.log(`client error ${p.code}: ${p.message}`);
        if (!Number.isInteger(p.code) || p.code < 400 || p.code > 9999 || typeof p.message !== 'string')
          this.violation('params', 'error parameters need an integer code 400..9999 and a string message');
        return;
      case 'dtmf':
        this.dtmf.push(p.digit);
        return;
      case 'playback_started':
      case 'playback_completed':
        return;
      default:
        this.violation('type', `unknown client message type ${JSON.stringify(type)}`);
    }
  }

  applySpan(type, p, tBefore) {
    const start = ah.parseDuration(p.start);
    const discarded = ah.parseDuration(p.discarded);
    if (start === null || discarded === null) {
      this.violation('params', `${type} start/discarded ${JSON.stringify(p.start)}/${JSON.stringify(p.discarded)} are not Durations`);
      return;
    }
    const n = ah.nsToSamples(discarded);
    this.T += n;
    const startSamples = ah.nsToSamples(start);
    if (startSamples !== tBefore) this.spanStartMismatches += 1; // diagnostic only (sec. 4.2)
    this.discardedSpans.push({ kind: type, start: p.start, discarded: p.discarded, tBefore: ah.formatSamples(tBefore), atMs: this.ms() });
  }

  checkPosition(type, seq, posNs, tBefore) {
    this.positionChecks += 1;
    const tol = BigInt(this.maxFrameSamples) * ah.NS_PER_SAMPLE;
    const near = (tSamples) => {
      const d = posNs - ah.samplesToNs(tSamples);
      return (d < 0n ? -d : d) <= tol;
    };
    if (near(this.T)) {
      if (type === 'discarded' || type === 'resumed') this.spanPositionConvention.afterSpan += 1;
      return;
    }
    if ((type === 'discarded' || type === 'resumed') && near(tBefore)) {
      this.spanPositionConvention.beforeSpan += 1;
      return;
    }
    this.positionMismatches += 1;
    const detail = { type, seq, position: ah.formatDurationNs(posNs), T: ah.formatSamples(this.T), toleranceSamples: this.maxFrameSamples };
    if (this.positionMismatchDetails.length < MAX_DETAILS) this.positionMismatchDetails.push(detail);
    warn(`${this.tag()}: position mismatch: ${type} seq ${seq} position ${detail.position}, server T ${detail.T}`);
  }

  onOpen(msg, p) {
    if (this.state !== 'PREPARING') return this.violation('state', `open in state ${this.state} (ignored)`);
    this.state = 'OPENING';
    this.open = { seq: msg.seq, position: msg.position, parameters: p };
    const problems = [];
    if (!ah.isUuid(p.organizationId)) problems.push('organizationId is not a UUID');
    if (!ah.isUuid(p.conversationId)) problems.push('conversationId is not a UUID');
    const part = p.participant;
    if (!ah.isPlainObject(part)) problems.push('participant is missing');
    else {
      if (!ah.isUuid(part.id)) problems.push('participant.id is not a UUID');
      for (const k of ['ani', 'aniName', 'dnis']) if (typeof part[k] !== 'string') problems.push(`participant.${k} is not a string`);
    }
    if (!Array.isArray(p.media) || p.media.length === 0) problems.push('media is missing or empty');
    else
      p.media.forEach((m, i) => {
        const err = ah.checkMediaEntry(m);
        if (err) problems.push(`media[${i}]: ${err}`);
      });
    if (p.language !== undefined && (typeof p.language !== 'string' || !/^[a-z]{2,3}-[A-Za-z]{2,3}$/.test(p.language)))
      problems.push(`language ${JSON.stringify(p.language)} is not a language tag`);
    if (p.continuedSessions !== undefined) {
      if (!Array.isArray(p.continuedSessions)) problems.push('continuedSessions is not an array');
      else
        for (const c of p.continuedSessions)
          if (!ah.isPlainObject(c) || !ah.isUuid(c.id) || !ah.isNonNegInt(c.serverseq) || !ah.isNonNegInt(c.clientseq))
            problems.push(`continuedSessions entry ${JSON.stringify(c)} is not {id, serverseq, clientseq}`);
      this.continuedSessions = p.continuedSessions;
    }
    if (problems.length) {
      this.violation('open', problems.join('; '));
      this.signaledError = true;
      this.send('disconnect', { reason: 'error', info: `Client Error: invalid open: ${problems.join('; ')}` });
      return;
    }
    if (this.organizationIdHeader !== p.organizationId) {
      this.violation('open', `organizationId ${p.organizationId} differs from the Audiohook-Organization-Id header ${this.organizationIdHeader}`);
      this.signaledError = true;
      this.send('disconnect', { reason: 'unauthorized', info: 'organizationId does not match the Audiohook-Organization-Id header' });
      return;
    }
    this.probe = p.conversationId === ah.NULL_UUID && part.id === ah.NULL_UUID;
    const chosen = p.media.find((m) => m.channels.length === 2) ?? p.media[0];
    this.media = chosen;
    const params = { media: [chosen], startPaused: opts.startPaused };
    if (opts.discardToMs && ah.samplesToNs(this.T) < BigInt(opts.discardToMs) * 1_000_000n)
      params.discardTo = ah.formatDurationNs(BigInt(opts.discardToMs) * 1_000_000n);
    if (p.supportedLanguages === true) params.supportedLanguages = ['en-US', 'de-DE'];
    this.send('opened', params);
    this.state = 'ACTIVE';
    this.log(
      `opened: media ${chosen.format} [${chosen.channels.join(',')}]${this.probe ? ' (probe)' : ''}${
        this.continuedSessions ? `, continues ${this.continuedSessions.map((c) => c.id).join(',')}` : ''
      }`,
    );
    if (opts.startPaused) {
      this.timer(() => {
        if (this.state === 'CLOSED' || this.state === 'CLOSING') return;
        this.log('sending resume (after startPaused)');
        this.send('resume', {});
      }, opts.resumeAfterMs);
    }
    if (opts.disconnectAfterMs !== undefined) {
      this.timer(() => {
        if (this.state === 'ACTIVE' || this.state === 'PAUSED') {
          this.log('sending disconnect (completed)');
          this.send('disconnect', { reason: 'completed', info: 'interop server: --disconnect-after-ms' });
        }
      }, opts.disconnectAfterMs);
    }
    if (opts.eventEveryMs !== undefined) {
      this.eventInterval = setInterval(() => this.sendTranscript(), opts.eventEveryMs);
      this.eventInterval.unref();
    }
  }

  sendTranscript() {
    if (this.state !== 'ACTIVE' && this.state !== 'PAUSED') return;
    const offset = Math.max(0, this.T - ah.SAMPLE_RATE);
    this.send('event', {
      entities: [
        {
          type: 'transcript',
          data: {
            id: crypto.randomUUID(),
            channelId: 0,
            isFinal: true,
            offset: ah.formatSamples(offset),
            duration: ah.formatSamples(this.T - offset),
            alternatives: [{ confidence: 0.9, interpretations: [{ type: 'display', transcript: `interop transcript at ${ah.formatSamples(this.T)}` }] }],
          },
        },
      ],
    });
  }

  onClose(p) {
    if (this.closedSent) {
      this.duplicateCloses += 1;
      return;
    }
    if (!['end', 'error', 'disconnect', 'reconnect'].includes(p.reason)) this.violation('params', `close reason ${JSON.stringify(p.reason)} is not end|error|disconnect|reconnect`);
    this.closeReason = p.reason ?? null;
    this.state = 'CLOSING';
    if (this.eventInterval) clearInterval(this.eventInterval);
    this.eventInterval = null;
    this.send('closed', {});
    this.closedSent = true;
    this.state = 'CLOSED';
    this.log(`close (${p.reason}) -> closed; T=${ah.formatSamples(this.T)}, ${this.bytes} bytes`);
    // The client closes the socket; our idle timer only guards against a client that does not.
    this.timer(() => {
      if (this.ws.readyState === this.ws.OPEN) {
        this.log('client did not close the WebSocket 30 s after closed; closing it');
        this.ws.close(1000, 'idle after closed');
      }
    }, 30000);
  }

  onSocketClose(code, reason) {
    this.wsClose = { code, reason };
    this.clearTimers();
    if (!this.closedSent && !this.dropped) this.log(`WebSocket closed (code ${code}) without a close transaction`);
    else if (opts.verbose) this.log(`WebSocket closed (code ${code})`);
    this.finalState = this.state;
    this.state = this.closedSent ? 'FINALIZED' : 'DISCONNECTED';
  }

  report() {
    return {
      id: this.id,
      correlationId: this.correlationId,
      organizationIdHeader: this.organizationIdHeader,
      organizationId: this.open?.parameters.organizationId ?? null,
      conversationId: this.open?.parameters.conversationId ?? null,
      participant: this.open?.parameters.participant ?? null,
      language: this.open?.parameters.language ?? null,
      probe: this.probe,
      requestTarget: this.requestTarget,
      signed: this.signed,
      signatureIgnored: this.signatureIgnored,
      userAgent: this.userAgent,
      connectedAt: this.connectedAt,
      durationMs: this.ms(),
      state: this.state,
      continuedSessions: this.continuedSessions,
      offeredMedia: this.open?.parameters.media ?? null,
      media: this.media,
      openPosition: this.open?.position ?? null,
      bytes: this.bytes,
      frames: this.frames,
      emptyFrames: this.emptyFrames,
      samples: this.samples,
      maxFrameSamples: this.maxFrameSamples,
      discardedSpans: this.discardedSpans,
      finalTSamples: this.T,
      finalT: ah.formatSamples(this.T),
      lastClientPosition: this.lastClientPosition,
      lastClientSeq: this.lastClientSeq,
      lastServerSeq: this.serverSeq,
      seqViolations: this.seqViolations,
      serverseqViolations: this.serverseqViolations,
      idMismatches: this.idMismatches,
      envelopeErrors: this.envelopeErrors,
      positionChecks: this.positionChecks,
      positionMismatches: this.positionMismatches,
      positionMismatchDetails: this.positionMismatchDetails,
      spanPositionConvention: this.spanPositionConvention,
      spanStartMismatches: this.spanStartMismatches,
      audioInWrongState: this.audioInWrongState,
      partialSampleFrames: this.partialSampleFrames,
      duplicatePaused: this.duplicatePaused,
      duplicateCloses: this.duplicateCloses,
      messageCounts: this.messageCounts,
      sentCounts: this.sent,
      pings: this.pings,
      rttsMs: this.rttsMs,
      clientErrors: this.clientErrors,
      updates: this.updates,
      dtmf: this.dtmf,
      violations: this.violations,
      channelStats: this.channelStats
        ? this.channelStats.map((s) => ({
            channel: s.channel,
            samples: s.samples,
            rms: s.samples ? Math.round(Math.sqrt(s.sumSq / s.samples)) : 0,
            zeroCrossingHz: s.samples ? Math.round((s.crossings * ah.SAMPLE_RATE) / (2 * s.samples)) : 0,
          }))
        : null,
      closeReason: this.closeReason ?? (this.dropped ? 'dropped-by-server' : null),
      closedSent: this.closedSent,
      dropped: this.dropped,
      wsClose: this.wsClose,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP / upgrade handling

function rejectUpgrade(socket, status, text, reason, req) {
  rejectedUpgrades.push({
    atMs: Math.round(performance.now() - t0),
    status,
    reason,
    sessionId: req.headers['audiohook-session-id'] ?? null,
    requestTarget: req.url,
  });
  warn(`refusing upgrade ${req.url}: ${status} ${text} (${reason})`);
  if (socket.destroyed) return;
  const body = `${text}: ${reason}\n`;
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  setTimeout(() => socket.destroy(), 100).unref();
}

function main() {
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`audiohook-server: ${e.message}\n(see --help)\n`);
      process.exit(2);
    }
    throw e;
  }
  if (opts.help) {
    process.stdout.write(USAGE);
    return;
  }

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: opts.maxPayload });
  const server = http.createServer((req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket', Connection: 'Upgrade' });
    res.end('AudioHook endpoint: WebSocket upgrade required\n');
  });

  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {});
    const started = performance.now();
    let pathname;
    try {
      pathname = new URL(req.url, 'http://localhost').pathname;
    } catch {
      return rejectUpgrade(socket, 400, 'Bad Request', 'unparsable request target', req);
    }
    if (opts.path !== '*' && pathname !== opts.path) return rejectUpgrade(socket, 404, 'Not Found', `path ${pathname} is not ${opts.path}`, req);
    const sid = req.headers['audiohook-session-id'];
    if (!ah.isUuid(sid)) return rejectUpgrade(socket, 400, 'Bad Request', 'Audiohook-Session-Id header missing or not a UUID', req);
    let auth;
    try {
      auth = authenticate(req);
    } catch (e) {
      auth = { ok: false, reason: `verifier error: ${e.message}` };
    }
    if (!auth.ok) {
      // Answer no sooner than 500 ms after verification started (timing side channel, rule 5).
      const wait = Math.max(0, 500 - (performance.now() - started));
      setTimeout(() => rejectUpgrade(socket, 401, 'Unauthorized', auth.reason, req), wait).unref();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const s = new ServerSession(ws, req, auth);
      sessions.push(s);
      s.start();
    });
  });

  let reported = false;
  const shutdown = (sig) => {
    if (reported) return;
    reported = true;
    const rep = {
      tool: 'audiohook-server.mjs',
      signal: sig,
      port: server.address()?.port ?? null,
      path: opts.path,
      options: ah.redactOptions({
        apiKey: opts.apiKey,
        clientSecret: opts.clientSecret,
        authority: opts.authority,
        startPaused: opts.startPaused,
        discardToMs: opts.discardToMs,
        pauseAtMs: opts.pauseAtMs,
        resumeAfterMs: opts.resumeAfterMs,
        disconnectAfterMs: opts.disconnectAfterMs,
        eventEveryMs: opts.eventEveryMs,
        dropEveryMs: opts.dropEveryMs,
        strict: opts.strict,
        maxPayload: opts.maxPayload,
      }),
      rejectedUpgrades,
      sessions: sessions.map((s) => s.report()),
    };
    if (opts.report) {
      const tmp = `${opts.report}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, `${JSON.stringify(rep, null, 2)}\n`);
      fs.renameSync(tmp, opts.report);
    }
    log(`${sig}: ${sessions.length} session(s), ${rejectedUpgrades.length} refused upgrade(s)${opts.report ? `, report written to ${opts.report}` : ''}`);
    process.exit(0);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  server.on('error', (e) => {
    process.stderr.write(`audiohook-server: ${e.message}\n`);
    process.exit(1);
  });
  server.listen(opts.port, opts.host, () => {
    const { port } = server.address();
    process.stdout.write(`LISTENING ${port}\n`);
    log(
      `listening on ${opts.host}:${port} path ${opts.path}; api key ${opts.apiKey ? 'required' : 'not checked'}, signatures ${opts.key ? 'required' : 'not required'}`,
    );
  });
}

main();
