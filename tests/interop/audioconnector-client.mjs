#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// Independent Genesys-like Audio Connector client (voice-bot flavour of AudioHook v2).
// Written from shared/docs/audiohook-protocol.md only ("sec." numbers refer to it); it shares
// no code with gst/. It streams caller audio, plays the bot's audio back in real time (a playout
// model), and checks what the server sends against the limits of sec. 1.6, 2.6, 2.7 and 5.4.
//
//   node audioconnector-client.mjs --url ws://127.0.0.1:9000/api/v1/audiohook/ws [options]
//   node audioconnector-client.mjs --self-test
//
// Exit status: 0 = clean session and no violation, 1 = violations or session incomplete,
// 2 = usage or input error.

import { parseArgs } from 'node:util';
import fs from 'node:fs';
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket, { WebSocketServer } from 'ws';
import * as ah from './lib/audiohook-common.mjs';

const USAGE = `Usage: node audioconnector-client.mjs --url ws://HOST:PORT/PATH [options]
       node audioconnector-client.mjs --self-test

Connection
  --url URL                 server WebSocket URL (ws:// or wss://)
  --api-key K               X-API-KEY (default: env AUDIOHOOK_API_KEY, else "interop-test-key")
  --client-secret S         base64 client secret; signs the upgrade (sec. 1.4). Never printed.
  --input-var K=V           open.parameters.inputVariables entry (repeatable)

Caller audio (one offer: PCMU 8000 ["external"], 200 ms frames in real time)
  --tone HZ                 sine tone (default 440)
  --wav FILE                16-bit PCM WAV, 8000 Hz (first channel is used) instead of a tone
  --seconds N               caller media seconds (default 5)
  --tail N                  mu-law silence streamed after the media (default 0)
  --wait-idle N             then send no audio and wait until the bot's playout has been idle
                            for N seconds (default 1.5) ...
  --max-wait N              ... but at most N seconds (default 30); then close {reason:"end"}
  --frame-ms MS             caller frame length (default 200)
  --dtmf LIST               digits at stream seconds, e.g. "1@2.0,#@3.5"

Bot audio checks (violations make the exit status 1)
  --max-bytes N             largest allowed binary message (default 64000)
  --rate R --burst B        token bucket of the client's binary limit (default 5/s, 25)
  --bucket-tolerance T      tokens of scheduling jitter forgiven (default 0.05)
  --max-lead-ms MS          audio buffered ahead of playout, at most (default 1000) ...
  --lead-tolerance-ms MS    ... plus this (default 100)
  --rate-limit-after N      send error {code:429, retryAfter} after the Nth bot message
  --retry-after DUR         its retryAfter (default PT2S); no bot audio may arrive in that window
                            (one message within --in-flight-ms of the 429 is forgiven)
  --retry-tolerance-ms MS   the window is shortened by this (default 100)
  --in-flight-ms MS         (default 100)
  --expect-barge-in         a barge_in event must arrive; after it at most one binary message
                            may arrive within --barge-in-window-ms (default 500)
  --close-on-disconnect     answer the server's disconnect with close {reason:"disconnect"}
  --expect-disconnect       a disconnect must arrive
  --dry-grace-ms MS         playback_completed once the playout has been dry this long (default 0)

Output
  --record FILE             the played bot audio on the session's wall-clock timeline, silence
                            where nothing played (.wav: 16-bit PCM WAV, else raw PCMU)
  --report FILE             JSON report
  --verbose | --quiet
`;

class UsageError extends Error {}

const PCMU_SILENCE = 0xff;
const AUDIBLE = 500; // |linear sample| above this counts as audible (echo delay measurement)

// ---------------------------------------------------------------------------------------------
// options

function parseOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        'api-key': { type: 'string' },
        'client-secret': { type: 'string' },
        'input-var': { type: 'string', multiple: true, default: [] },
        tone: { type: 'string', default: '440' },
        wav: { type: 'string' },
        seconds: { type: 'string', default: '5' },
        tail: { type: 'string', default: '0' },
        'wait-idle': { type: 'string', default: '1.5' },
        'max-wait': { type: 'string', default: '30' },
        'frame-ms': { type: 'string', default: '200' },
        dtmf: { type: 'string' },
        'max-bytes': { type: 'string', default: '64000' },
        rate: { type: 'string', default: '5' },
        burst: { type: 'string', default: '25' },
        'bucket-tolerance': { type: 'string', default: '0.05' },
        'max-lead-ms': { type: 'string', default: '1000' },
        'lead-tolerance-ms': { type: 'string', default: '100' },
        'rate-limit-after': { type: 'string' },
        'retry-after': { type: 'string', default: 'PT2S' },
        'retry-tolerance-ms': { type: 'string', default: '100' },
        'in-flight-ms': { type: 'string', default: '100' },
        'expect-barge-in': { type: 'boolean', default: false },
        'barge-in-window-ms': { type: 'string', default: '500' },
        'close-on-disconnect': { type: 'boolean', default: false },
        'expect-disconnect': { type: 'boolean', default: false },
        'dry-grace-ms': { type: 'string', default: '0' },
        record: { type: 'string' },
        report: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        'self-test': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    throw new UsageError(e.message);
  }
  const v = parsed.values;
  if (v.help || v['self-test']) return { help: v.help, selfTest: v['self-test'] };
  const num = (name, { min = 0, max = Infinity, integer = false } = {}) => {
    if (v[name] === undefined) return undefined;
    const x = Number(v[name]);
    if (!Number.isFinite(x) || x < min || x > max || (integer && !Number.isInteger(x)))
      throw new UsageError(`--${name} ${JSON.stringify(v[name])}: expected ${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`);
    return x;
  };
  if (!v.url) throw new UsageError('--url is required');
  let url;
  try {
    url = new URL(v.url);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(v.url)} is not a URL`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new UsageError('--url must be ws:// or wss://');

  const inputVariables = {};
  for (const kv of v['input-var']) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UsageError(`--input-var ${JSON.stringify(kv)}: expected K=V`);
    inputVariables[kv.slice(0, i)] = kv.slice(i + 1);
  }
  if (Object.keys(inputVariables).length === 0) inputVariables.caller = 'interop-test';

  const dtmf = [];
  if (v.dtmf) {
    for (const item of v.dtmf.split(',')) {
      const m = /^\s*([0-9*#A-D])@(\d+(?:\.\d+)?)\s*$/.exec(item);
      if (!m) throw new UsageError(`--dtmf item ${JSON.stringify(item)}: expected DIGIT@SECONDS`);
      dtmf.push({ digit: m[1], atSamples: Math.round(Number(m[2]) * ah.SAMPLE_RATE), sent: false });
    }
    dtmf.sort((a, b) => a.atSamples - b.atSamples);
  }
  const retryAfterNs = ah.parseDuration(v['retry-after']);
  if (retryAfterNs === null) throw new UsageError(`--retry-after ${JSON.stringify(v['retry-after'])} is not a Duration (PT2S)`);

  return {
    url,
    apiKey: v['api-key'] ?? process.env.AUDIOHOOK_API_KEY ?? 'interop-test-key',
    clientSecret: v['client-secret'] ?? process.env.AUDIOHOOK_CLIENT_SECRET ?? '',
    inputVariables,
    tone: num('tone', { min: 1, max: 3999 }),
    wav: v.wav,
    seconds: num('seconds', { max: 86400 }),
    tail: num('tail', { max: 86400 }),
    waitIdleMs: num('wait-idle', { max: 3600 }) * 1000,
    maxWaitMs: num('max-wait', { max: 86400 }) * 1000,
    frameMs: num('frame-ms', { min: 5, max: 2000 }),
    dtmf,
    maxBytes: num('max-bytes', { min: 1, integer: true }),
    rate: num('rate', { min: 0.001 }),
    burst: num('burst', { min: 1 }),
    bucketTolerance: num('bucket-tolerance'),
    maxLeadMs: num('max-lead-ms'),
    leadToleranceMs: num('lead-tolerance-ms'),
    rateLimitAfter: num('rate-limit-after', { min: 1, integer: true }),
    retryAfter: v['retry-after'],
    retryAfterMs: Number(retryAfterNs) / 1e6,
    retryToleranceMs: num('retry-tolerance-ms'),
    inFlightMs: num('in-flight-ms'),
    expectBargeIn: v['expect-barge-in'],
    bargeInWindowMs: num('barge-in-window-ms'),
    closeOnDisconnect: v['close-on-disconnect'],
    expectDisconnect: v['expect-disconnect'],
    dryGraceMs: num('dry-grace-ms'),
    record: v.record,
    report: v.report,
    verbose: v.verbose,
    quiet: v.quiet,
  };
}

// ---------------------------------------------------------------------------------------------
// caller audio: PCMU bytes by absolute sample number

function loadWavMono(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE')
    throw new UsageError(`${file}: not a RIFF/WAVE file`);
  let off = 12;
  let fmt = null;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    let size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (body + size > buf.length) size = buf.length - body;
    if (id === 'fmt ') {
      fmt = { format: buf.readUInt16LE(body), channels: buf.readUInt16LE(body + 2), rate: buf.readUInt32LE(body + 4), bits: buf.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (!fmt) throw new UsageError(`${file}: data before fmt`);
      if (fmt.format !== 1 || fmt.bits !== 16 || fmt.rate !== 8000)
        throw new UsageError(`${file}: need 16-bit PCM at 8000 Hz (got format ${fmt.format}, ${fmt.bits} bits, ${fmt.rate} Hz)`);
      const n = Math.floor(size / (2 * fmt.channels));
      const out = Buffer.alloc(n);
      for (let i = 0; i < n; i++) out[i] = ah.linearToMulaw(buf.readInt16LE(body + i * 2 * fmt.channels));
      return out;
    }
    off = body + size + (size & 1);
  }
  throw new UsageError(`${file}: no data chunk`);
}

class CallerAudio {
  constructor(opts) {
    this.mediaSamples = Math.round(opts.seconds * ah.SAMPLE_RATE);
    if (opts.wav) {
      this.pcmu = loadWavMono(opts.wav);
      this.mediaSamples = Math.min(this.mediaSamples, this.pcmu.length);
      this.description = `WAV ${opts.wav}`;
    } else {
      this.tone = opts.tone;
      this.description = `tone ${opts.tone} Hz`;
    }
    this.totalSamples = this.mediaSamples + Math.round(opts.tail * ah.SAMPLE_RATE);
  }
  byteAt(n) {
    if (n >= this.mediaSamples) return PCMU_SILENCE;
    if (this.pcmu) return this.pcmu[n];
    return ah.linearToMulaw(16000 * Math.sin((2 * Math.PI * this.tone * n) / ah.SAMPLE_RATE));
  }
  frame(start, count) {
    const b = Buffer.alloc(count);
    for (let i = 0; i < count; i++) b[i] = this.byteAt(start + i);
    return b;
  }
}

// ---------------------------------------------------------------------------------------------
// signing (sec. 1.4), same construction as the reference client

function signHeaders(url, headers, apiKey, secret) {
  const key = ah.decodeClientSecret(secret);
  if (!key) throw new UsageError('--client-secret is not base64');
  const created = Math.floor(Date.now() / 1000);
  const params = ah.serializeSignatureParams(ah.SIGNED_COMPONENTS, {
    keyid: apiKey,
    nonce: crypto.randomBytes(18).toString('base64'),
    alg: 'hmac-sha256',
    created,
    expires: created + 30,
  });
  const valueOf = (name) => {
    if (name === '@request-target') return url.pathname + url.search;
    if (name === '@authority') return url.host.toLowerCase();
    return ah.canonicalHeaderValue(headers[name]);
  };
  const mac = ah.hmacSha256(key, ah.buildSignatureBase(ah.SIGNED_COMPONENTS, valueOf, params));
  headers['signature-input'] = `sig1=${params}`;
  headers.signature = `sig1=:${mac.toString('base64')}:`;
}

// ---------------------------------------------------------------------------------------------
// the session

const now = () => performance.now(); // ms, monotonic
const PING_FIRST_MS = 1000;
const PING_INTERVAL_MS = 5000;
const OPEN_TIMEOUT_MS = 5000;
const CLOSE_TIMEOUT_MS = 10000;
const SERVER_TYPES = new Set(['opened', 'closed', 'pong', 'pause', 'resume', 'disconnect', 'reconnect', 'event', 'updated', 'error']);
const DISCONNECT_REASONS = new Set(['completed', 'unauthorized', 'error']);

class Session {
  constructor(opts, audio) {
    this.o = opts;
    this.audio = audio;
    this.sessionId = crypto.randomUUID();
    this.offer = { type: 'audio', format: 'PCMU', channels: ['external'], rate: 8000 };
    this.state = 'CONNECTING';
    this.seq = 0;
    this.serverseq = 0;
    this.violations = [];
    this.warnings = [];
    this.timers = new Set();
    // caller stream
    this.samplesSent = 0; // audio on the wire
    this.positionSamples = 0; // sent + reported paused spans (sec. 3.4)
    this.framesSent = 0;
    this.paused = false;
    this.pauseStart = 0;
    this.streamT0 = 0;
    this.callerFirstAudibleMs = null;
    // ping
    this.pingOutstanding = null;
    this.pingsSent = 0;
    this.pongs = 0;
    this.rttMs = null;
    // bot audio
    this.bucket = opts.burst;
    this.bucketAt = null;
    this.minBucket = opts.burst;
    this.binaries = []; // arrival times (ms since connect)
    this.sizes = []; // the first 1000 message sizes
    this.botBytes = 0;
    this.maxMsgBytes = 0;
    this.minMsgBytes = null;
    this.zeroLength = 0;
    this.playEnd = 0; // wall ms at which the queued playout ends
    this.playing = false;
    this.dryTimer = null;
    this.playbackStarted = 0;
    this.playbackCompleted = 0;
    this.underruns = 0;
    this.maxLeadMs = 0;
    this.maxLeadAt = null;
    this.chunks = []; // { startMs (wall), buf } what is played
    this.botFirstAudibleMs = null;
    this.binariesAfterClose = 0;
    // text
    this.texts = []; // arrival times
    this.events = [];
    // 429
    this.rl = null;
    // barge-in
    this.bargeIn = null;
    // disconnect
    this.disconnect = null;
    this.closeReasonSent = null;
    this.closedReceived = false;
  }

  // ---- bookkeeping ------------------------------------------------------------------------
  t() {
    return this.t0 === undefined ? 0 : now() - this.t0;
  }
  log(msg) {
    if (this.o.verbose) process.stderr.write(`[${(this.t() / 1000).toFixed(3)}] ${msg}\n`);
  }
  info(msg) {
    if (!this.o.quiet) process.stderr.write(`[${(this.t() / 1000).toFixed(3)}] ${msg}\n`);
  }
  violation(kind, msg) {
    this.violations.push({ atMs: Math.round(this.t()), kind, message: msg });
    if (this.violations.length <= 50) process.stderr.write(`[${(this.t() / 1000).toFixed(3)}] VIOLATION ${kind}: ${msg}\n`);
  }
  warn(msg) {
    this.warnings.push({ atMs: Math.round(this.t()), message: msg });
    this.info(`warning: ${msg}`);
  }
  timer(fn, ms) {
    const h = setTimeout(() => {
      this.timers.delete(h);
      fn();
    }, Math.max(0, ms));
    this.timers.add(h);
    return h;
  }
  clear(h) {
    if (h) {
      clearTimeout(h);
      this.timers.delete(h);
    }
    return null;
  }

  // ---- connection --------------------------------------------------------------------------
  start() {
    const headers = {
      'audiohook-organization-id': (this.orgId = crypto.randomUUID()),
      'audiohook-session-id': this.sessionId,
      'audiohook-correlation-id': crypto.randomUUID(),
      'x-api-key': this.o.apiKey,
      'user-agent': 'audioconnector-interop-client',
    };
    if (this.o.clientSecret) signHeaders(this.o.url, headers, this.o.apiKey, this.o.clientSecret);
    this.t0 = now();
    this.ws = new WebSocket(this.o.url, { headers, maxPayload: 16 * 1024 * 1024, perMessageDeflate: false });
    this.ws.on('open', () => this.onOpen());
    this.ws.on('message', (data, isBinary) => (isBinary ? this.onBinary(data) : this.onText(data)));
    this.ws.on('unexpected-response', (_req, res) => {
      this.violation('connect', `upgrade refused: HTTP ${res.statusCode}`);
      this.finish();
    });
    this.ws.on('error', (e) => {
      if (this.state !== 'DONE') this.violation('connect', `WebSocket error: ${e.message}`);
    });
    this.ws.on('close', (code, reason) => {
      this.log(`socket closed ${code} ${reason}`);
      if (this.state !== 'CLOSED' && this.state !== 'DONE')
        this.violation('session', `connection closed (${code}) in state ${this.state}, before closed`);
      this.finish();
    });
  }

  send(type, parameters = {}) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.seq += 1;
    const msg = {
      version: ah.PROTOCOL_VERSION,
      id: this.sessionId,
      type,
      seq: this.seq,
      serverseq: this.serverseq,
      position: ah.formatSamples(this.positionSamples),
      parameters,
    };
    this.log(`-> ${JSON.stringify(msg)}`);
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  onOpen() {
    this.state = 'OPENING';
    this.send('open', {
      organizationId: this.orgId,
      conversationId: crypto.randomUUID(),
      participant: { id: crypto.randomUUID(), ani: '+15551230001', aniName: 'Interop Caller', dnis: '+15551230002' },
      media: [this.offer],
      language: 'en-US',
      inputVariables: this.o.inputVariables,
    });
    this.openTimer = this.timer(() => {
      this.violation('timeout', 'no opened within 5 s');
      this.send('error', { code: 408, message: 'Timeout waiting for opened' });
      this.startClose('error');
    }, OPEN_TIMEOUT_MS);
  }

  // ---- text from the server ----------------------------------------------------------------
  onText(data) {
    const at = this.t();
    this.texts.push(at);
    let msg;
    try {
      msg = JSON.parse(data.toString('utf8'));
    } catch {
      this.violation('message', 'text message is not JSON');
      return;
    }
    this.log(`<- ${JSON.stringify(msg)}`);
    if (!ah.isPlainObject(msg)) return this.violation('message', 'text message is not a JSON object');
    if (msg.version !== '2') this.violation('message', `version ${JSON.stringify(msg.version)} is not "2"`);
    if (msg.id !== this.sessionId) this.violation('message', `id ${msg.id} is not the session id`);
    if (!SERVER_TYPES.has(msg.type)) this.violation('message', `unknown server message type ${JSON.stringify(msg.type)}`);
    if (!Number.isSafeInteger(msg.seq) || msg.seq !== this.serverseq + 1)
      this.violation('seq', `${msg.type}: seq ${msg.seq}, expected ${this.serverseq + 1}`);
    if (Number.isSafeInteger(msg.seq)) this.serverseq = msg.seq;
    if (!Number.isSafeInteger(msg.clientseq) || msg.clientseq < 0 || msg.clientseq > this.seq)
      this.violation('seq', `${msg.type}: clientseq ${msg.clientseq} (client seq is ${this.seq})`);
    if (!ah.isPlainObject(msg.parameters)) this.violation('message', `${msg.type}: parameters is not an object`);
    if ('position' in msg) this.violation('message', `${msg.type}: a server message carries position`);
    if (this.closedReceived) this.violation('session', `${msg.type} after closed`);
    const p = ah.isPlainObject(msg.parameters) ? msg.parameters : {};
    switch (msg.type) {
      case 'opened':
        return this.onOpened(p);
      case 'pong':
        return this.onPong(msg);
      case 'closed':
        return this.onClosed();
      case 'event':
        return this.onEvent(p, at);
      case 'disconnect':
        return this.onDisconnect(p, at);
      case 'pause':
        return this.onPause();
      case 'resume':
        return this.onResume();
      default:
        this.info(`${msg.type} received: ${JSON.stringify(p)}`);
    }
  }

  onOpened(p) {
    if (this.state !== 'OPENING') return this.violation('state', `opened in state ${this.state}`);
    this.openTimer = this.clear(this.openTimer);
    const media = p.media;
    if (!Array.isArray(media) || media.length > 1) {
      this.violation('opened', 'media must be an array of at most one entry');
    } else if (media.length === 1 && !ah.sameMedia(media[0], this.offer)) {
      this.violation('opened', `media ${JSON.stringify(media[0])} was not offered`);
    }
    this.media = Array.isArray(media) && media.length === 1 ? media[0] : null;
    this.bytesPerFrame = this.media ? ah.bytesPerSample(this.media.format) * this.media.channels.length : 1;
    this.state = 'OPEN';
    this.openedAt = this.t();
    this.pingTimer = this.timer(() => this.sendPing(), PING_FIRST_MS);
    if (!this.media) {
      this.warn('opened with no media: no caller audio is streamed');
      this.startWaitIdle();
      return;
    }
    this.streamT0 = now();
    this.sendFrame();
  }

  // ---- caller audio ------------------------------------------------------------------------
  sendFrame() {
    this.frameTimer = null;
    if (this.state !== 'OPEN') return;
    const frameSamples = Math.round((this.o.frameMs * ah.SAMPLE_RATE) / 1000);
    if (this.paused) {
      this.pausedSkip += frameSamples;
    } else {
      const count = Math.min(frameSamples, this.audio.totalSamples - this.samplesSent);
      if (count <= 0) return this.startWaitIdle();
      const frame = this.audio.frame(this.samplesSent, count);
      if (this.callerFirstAudibleMs === null) {
        for (let i = 0; i < count; i++) {
          if (Math.abs(ah.MULAW_DECODE_TABLE[frame[i]]) > AUDIBLE) {
            this.callerFirstAudibleMs = this.t() + (i * 1000) / ah.SAMPLE_RATE;
            break;
          }
        }
      }
      this.ws.send(frame);
      this.samplesSent += count;
      this.positionSamples += count;
      this.framesSent += 1;
      for (const d of this.o.dtmf) {
        if (!d.sent && this.positionSamples >= d.atSamples) {
          d.sent = true;
          this.send('dtmf', { digit: d.digit });
          this.info(`dtmf ${d.digit} at ${ah.formatSamples(this.positionSamples)}`);
        }
      }
    }
    this.frameIndex = (this.frameIndex ?? 0) + 1;
    this.frameTimer = this.timer(() => this.sendFrame(), this.streamT0 + this.frameIndex * this.o.frameMs - now());
  }

  startWaitIdle() {
    if (this.state !== 'OPEN' || this.waitStarted !== undefined) return;
    this.waitStarted = this.t();
    this.log('caller audio done; waiting for the bot to go idle');
    const check = () => {
      if (this.state !== 'OPEN') return;
      // a 429 hold counts as busy: the bot is expected to resume after it
      const holdEnd = this.rl ? this.rl.sentAt + this.o.retryAfterMs : 0;
      const idleFor = this.playing ? 0 : this.t() - Math.max(this.lastBinaryAt ?? 0, this.waitStarted, this.lastPlayEndT ?? 0, holdEnd);
      if (idleFor >= this.o.waitIdleMs) return this.startClose('end');
      if (this.t() - this.waitStarted >= this.o.maxWaitMs) {
        this.warn(`bot audio still playing after --max-wait ${this.o.maxWaitMs / 1000} s`);
        return this.startClose('end');
      }
      this.timer(check, 50);
    };
    check();
  }

  onPause() {
    if (this.state !== 'OPEN') return;
    if (!this.paused) {
      this.paused = true;
      this.pausedSkip = 0;
      this.pauseStartSamples = this.positionSamples;
    }
    this.send('paused');
  }

  onResume() {
    if (this.state !== 'OPEN') return;
    if (!this.paused) return this.send('resumed', { start: ah.formatSamples(this.positionSamples), discarded: 'PT0S' });
    this.paused = false;
    this.positionSamples += this.pausedSkip;
    this.send('resumed', { start: ah.formatSamples(this.pauseStartSamples), discarded: ah.formatSamples(this.pausedSkip) });
  }

  // ---- ping --------------------------------------------------------------------------------
  sendPing() {
    this.pingTimer = null;
    if (this.state !== 'OPEN') return;
    if (this.pingOutstanding) {
      this.violation('timeout', 'no pong within 5 s');
      this.send('error', { code: 408, message: 'Timeout waiting for pong' });
      return this.startClose('error');
    }
    const params = this.rttMs === null ? {} : { rtt: ah.formatDurationNs(BigInt(Math.round(this.rttMs * 1e6))) };
    if (!this.send('ping', params)) return;
    this.pingsSent += 1;
    this.pingOutstanding = { seq: this.seq, at: now() };
    this.pingTimer = this.timer(() => this.sendPing(), PING_INTERVAL_MS);
  }

  onPong(msg) {
    if (!this.pingOutstanding) return this.violation('pong', 'pong without an outstanding ping');
    if (msg.clientseq !== this.pingOutstanding.seq)
      this.violation('pong', `pong clientseq ${msg.clientseq} is not the ping's seq ${this.pingOutstanding.seq}`);
    this.rttMs = now() - this.pingOutstanding.at;
    this.pingOutstanding = null;
    this.pongs += 1;
    if (this.pongs === 1 && this.state === 'OPEN') {
      // as the reference client: a second ping right away, so the server gets an rtt
      this.pingTimer = this.clear(this.pingTimer);
      this.sendPing();
    }
  }

  // ---- bot audio ---------------------------------------------------------------------------
  onBinary(data) {
    const at = this.t();
    const wall = now();
    const n = data.length;
    this.binaries.push(at);
    if (this.sizes.length < 1000) this.sizes.push(n);
    const index = this.binaries.length;
    this.lastBinaryAt = at;
    if (this.closedReceived) this.violation('session', 'binary message after closed');
    else if (this.closeReasonSent) this.binariesAfterClose += 1;
    if (this.state === 'OPENING' || this.state === 'CONNECTING') this.violation('state', 'binary message before opened');
    if (this.state === 'OPEN' && !this.media) this.violation('state', 'binary message but opened selected no media');

    // size (sec. 1.6) and whole samples (sec. 3.2)
    if (n > this.o.maxBytes) this.violation('size', `message ${index}: ${n} bytes > ${this.o.maxBytes}`);
    if (n % (this.bytesPerFrame ?? 1) !== 0) this.violation('size', `message ${index}: ${n} bytes is not whole sample frames of ${this.bytesPerFrame}`);
    if (n === 0) this.zeroLength += 1;
    this.botBytes += n;
    this.maxMsgBytes = Math.max(this.maxMsgBytes, n);
    this.minMsgBytes = this.minMsgBytes === null ? n : Math.min(this.minMsgBytes, n);

    // token bucket (sec. 5.4); starts full when the socket opens
    if (this.bucketAt === null) this.bucketAt = 0;
    this.bucket = Math.min(this.o.burst, this.bucket + ((at - this.bucketAt) / 1000) * this.o.rate) - 1;
    this.bucketAt = at;
    this.minBucket = Math.min(this.minBucket, this.bucket);
    if (this.bucket < -this.o.bucketTolerance) {
      this.violation('rate', `message ${index}: token bucket ${this.o.rate}/s burst ${this.o.burst} exceeded (${this.bucket.toFixed(3)} tokens)`);
      this.bucket = 0;
    }

    // 429 hold (sec. 5.4)
    if (this.rl) {
      const since = at - this.rl.sentAt;
      if (this.rl.firstAfterMs === null) this.rl.firstAfterMs = since;
      if (since <= this.o.inFlightMs) {
        this.rl.inFlight += 1;
        if (this.rl.inFlight > 1) this.violation('retry-after', `message ${index}: ${this.rl.inFlight} messages in flight after the 429`);
      } else if (since < this.o.retryAfterMs - this.o.retryToleranceMs) {
        this.rl.inWindow += 1;
        this.violation('retry-after', `message ${index}: ${since.toFixed(0)} ms after the 429 (retryAfter ${this.o.retryAfter})`);
      } else if (this.rl.resumedAfterMs === null) {
        this.rl.resumedAfterMs = since;
      }
    }
    if (this.o.rateLimitAfter && !this.rl && index >= this.o.rateLimitAfter) {
      this.send('error', { code: 429, message: 'Too many requests', retryAfter: this.o.retryAfter });
      this.rl = { afterMessage: index, sentAt: this.t(), firstAfterMs: null, inFlight: 0, inWindow: 0, resumedAfterMs: null };
      this.info(`429 sent after message ${index} (retryAfter ${this.o.retryAfter})`);
    }

    // barge-in: what still arrives right after the event
    if (this.bargeIn) {
      const since = at - this.bargeIn.atMs;
      if (this.bargeIn.firstBinaryAfterMs === null) this.bargeIn.firstBinaryAfterMs = since;
      if (since <= this.o.bargeInWindowMs) {
        this.bargeIn.binariesInWindow += 1;
        if (this.bargeIn.binariesInWindow > 1)
          this.violation('barge-in', `message ${index}: ${this.bargeIn.binariesInWindow} messages within ${this.o.bargeInWindowMs} ms after barge_in`);
      }
    }

    // playout model: plays in real time, starting when audio arrives while idle
    if (n === 0 || this.state === 'CLOSED' || this.state === 'DONE') return;
    const durMs = ((n / (this.bytesPerFrame ?? 1)) * 1000) / ah.SAMPLE_RATE;
    const leadBefore = Math.max(0, this.playEnd - wall);
    let startWall;
    if (!this.playing) {
      this.playing = true;
      this.playbackStarted += 1;
      this.send('playback_started');
      startWall = wall;
    } else if (leadBefore === 0) {
      this.underruns += 1; // dry, but within --dry-grace-ms: no events
      startWall = wall;
    } else {
      startWall = this.playEnd;
    }
    this.playEnd = startWall + durMs;
    this.chunks.push({ startMs: startWall - this.t0, buf: Buffer.from(data) });
    if (this.botFirstAudibleMs === null) {
      for (let i = 0; i < n; i++) {
        if (Math.abs(ah.MULAW_DECODE_TABLE[data[i]]) > AUDIBLE) {
          this.botFirstAudibleMs = startWall - this.t0 + (i * 1000) / ah.SAMPLE_RATE;
          break;
        }
      }
    }
    const lead = this.playEnd - wall;
    if (lead > this.maxLeadMs) {
      this.maxLeadMs = lead;
      this.maxLeadAt = { message: index, atMs: Math.round(at) };
    }
    const allowed = Math.max(this.o.maxLeadMs, durMs) + this.o.leadToleranceMs;
    if (lead > allowed)
      this.violation('lead', `message ${index}: ${lead.toFixed(0)} ms buffered ahead of playout > ${this.o.maxLeadMs} + ${this.o.leadToleranceMs} ms`);
    this.armDryTimer();
  }

  armDryTimer() {
    this.dryTimer = this.clear(this.dryTimer);
    this.dryTimer = this.timer(() => {
      this.dryTimer = null;
      if (!this.playing) return;
      if (now() < this.playEnd + this.o.dryGraceMs - 0.5) return this.armDryTimer();
      this.playing = false;
      this.lastPlayEndT = this.playEnd - this.t0;
      this.playbackCompleted += 1;
      this.send('playback_completed');
    }, this.playEnd + this.o.dryGraceMs - now());
  }

  // ---- events / disconnect -----------------------------------------------------------------
  onEvent(p, at) {
    if (!Array.isArray(p.entities)) return this.violation('event', 'event without an entities array');
    for (const e of p.entities) {
      if (!ah.isPlainObject(e) || typeof e.type !== 'string' || !('data' in e)) {
        this.violation('event', `entity ${JSON.stringify(e)} is not {type, data}`);
        continue;
      }
      this.events.push({ atMs: Math.round(at), type: e.type, data: e.data });
      this.info(`event ${e.type} ${JSON.stringify(e.data)}`);
      if (e.type === 'barge_in') this.onBargeIn(at);
    }
  }

  onBargeIn(at) {
    const wall = now();
    const droppedMs = this.playing ? Math.max(0, this.playEnd - wall) : 0;
    // drop what is queued: cut the recording at this instant
    const cut = wall - this.t0;
    for (const c of this.chunks) {
      const endMs = c.startMs + (c.buf.length * 1000) / ah.SAMPLE_RATE;
      if (endMs > cut) c.buf = c.buf.subarray(0, Math.max(0, Math.floor(((cut - c.startMs) * ah.SAMPLE_RATE) / 1000)));
    }
    if (!this.bargeIn) this.bargeIn = { atMs: Math.round(at), droppedMs: Math.round(droppedMs), firstBinaryAfterMs: null, binariesInWindow: 0, count: 0 };
    this.bargeIn.count += 1;
    this.bargeIn.atMs = at;
    this.bargeIn.binariesInWindow = 0;
    if (this.playing) {
      this.playEnd = wall;
      this.playing = false;
      this.lastPlayEndT = at;
      this.dryTimer = this.clear(this.dryTimer);
      this.playbackCompleted += 1;
      this.send('playback_completed');
    }
  }

  onDisconnect(p, at) {
    if (this.disconnect) this.warn('a second disconnect');
    const d = {
      atMs: Math.round(at),
      reason: p.reason,
      info: p.info,
      outputVariables: p.outputVariables,
      leadAtArrivalMs: Math.round(this.playing ? Math.max(0, this.playEnd - now()) : 0),
    };
    if (!DISCONNECT_REASONS.has(p.reason)) this.violation('disconnect', `reason ${JSON.stringify(p.reason)} is not completed|unauthorized|error`);
    if ('info' in p && typeof p.info !== 'string') this.violation('disconnect', 'info is not a string');
    if ('outputVariables' in p) {
      if (!ah.isPlainObject(p.outputVariables)) this.violation('disconnect', 'outputVariables is not an object');
      else for (const [k, v] of Object.entries(p.outputVariables)) if (typeof v !== 'string') this.violation('disconnect', `outputVariables.${k} is not a string`);
    }
    if (this.closeReasonSent) this.warn('disconnect after close');
    this.disconnect ??= d;
    this.info(`disconnect ${JSON.stringify(p)} (lead at arrival ${d.leadAtArrivalMs} ms)`);
    if (this.o.closeOnDisconnect && this.state === 'OPEN') this.startClose('disconnect');
  }

  // ---- close -------------------------------------------------------------------------------
  startClose(reason) {
    if (this.state !== 'OPEN' && this.state !== 'OPENING') return;
    this.state = 'CLOSING';
    this.frameTimer = this.clear(this.frameTimer);
    this.pingTimer = this.clear(this.pingTimer);
    this.closeReasonSent = reason;
    this.send('close', { reason });
    this.closeTimer = this.timer(() => {
      this.violation('timeout', 'no closed within 10 s');
      this.dropSocket();
    }, CLOSE_TIMEOUT_MS);
  }

  onClosed() {
    if (this.state !== 'CLOSING') this.violation('state', `closed in state ${this.state} (no close was sent)`);
    this.closedReceived = true;
    this.state = 'CLOSED';
    this.closeTimer = this.clear(this.closeTimer);
    this.ws.close(1000);
    this.timer(() => this.dropSocket(), 2000);
  }

  dropSocket() {
    if (this.ws && this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
    this.finish();
  }

  finish() {
    if (this.state === 'DONE') return;
    if (this.state !== 'CLOSED') this.state = 'FAILED';
    const ok = this.state === 'CLOSED';
    this.state = 'DONE';
    for (const h of this.timers) clearTimeout(h);
    this.timers.clear();
    if (!ok && !this.violations.some((v) => v.kind === 'session' || v.kind === 'connect' || v.kind === 'timeout'))
      this.violation('session', 'the session did not end with closed');
    if (this.o.expectBargeIn && !this.bargeIn) this.violation('barge-in', 'no barge_in event arrived');
    if (this.o.expectDisconnect && !this.disconnect) this.violation('disconnect', 'no disconnect arrived');
    if (this.o.rateLimitAfter && !this.rl) this.violation('retry-after', `fewer than ${this.o.rateLimitAfter} bot messages: no 429 was sent`);
    if (this.o.rateLimitAfter && this.rl && this.rl.resumedAfterMs === null) this.warn('no bot audio after the retryAfter window');
    for (const d of this.o.dtmf) if (!d.sent) this.warn(`dtmf ${d.digit} not sent (stream too short)`);
    const rep = this.report();
    if (this.o.record) writeRecording(this.o.record, this.chunks);
    if (this.o.report) writeJsonAtomic(this.o.report, rep);
    const s = rep.botAudio;
    process.stderr.write(
      `${rep.violations.length === 0 ? 'CLEAN' : 'NOT CLEAN'}: caller ${rep.caller.seconds} s; bot ${s.bytes} bytes in ${s.messages} messages, ` +
        `max ${s.maxMessageBytes} bytes, max ${s.maxMessagesIn1s} msgs/1 s, max lead ${s.maxLeadMs} ms, ` +
        `playback ${rep.playback.startedSent}/${rep.playback.completedSent}, echo delay ${rep.echo.delayMs ?? '-'} ms, ` +
        `${rep.violations.length} violation(s), close ${rep.close.reasonSent ?? '-'} -> ${rep.close.closed ? 'closed' : '-'}\n`,
    );
    process.exitCode = rep.violations.length === 0 ? 0 : 1;
  }

  report() {
    const maxIn = (arr, windowMs) => {
      let best = 0;
      let j = 0;
      for (let i = 0; i < arr.length; i++) {
        while (arr[i] - arr[j] >= windowMs) j++;
        best = Math.max(best, i - j + 1);
      }
      return best;
    };
    const r2 = (x) => (x === null || x === undefined ? null : Math.round(x));
    const playedSamples = this.chunks.reduce((a, c) => a + c.buf.length, 0);
    return {
      sessionId: this.sessionId,
      media: this.media ?? null,
      inputVariables: this.o.inputVariables,
      caller: {
        source: this.audio.description,
        seconds: this.samplesSent / ah.SAMPLE_RATE,
        frames: this.framesSent,
        bytes: this.samplesSent,
        finalPosition: ah.formatSamples(this.positionSamples),
        dtmfSent: this.o.dtmf.filter((d) => d.sent).map((d) => d.digit),
      },
      pings: { sent: this.pingsSent, pongs: this.pongs, lastRttMs: this.rttMs },
      botAudio: {
        bytes: this.botBytes,
        seconds: this.botBytes / (this.bytesPerFrame ?? 1) / ah.SAMPLE_RATE,
        messages: this.binaries.length,
        maxMessageBytes: this.maxMsgBytes,
        minMessageBytes: this.minMsgBytes,
        zeroLengthMessages: this.zeroLength,
        maxMessagesIn1s: maxIn(this.binaries, 1000),
        partialMessages: this.sizes.filter((x) => x < this.maxMsgBytes).length,
        minBucketTokens: Math.round(this.minBucket * 1000) / 1000,
        maxLeadMs: r2(this.maxLeadMs),
        maxLeadAt: this.maxLeadAt,
        firstMessageAtMs: r2(this.binaries[0]),
        lastMessageAtMs: r2(this.binaries[this.binaries.length - 1]),
        afterClose: this.binariesAfterClose,
        playedSeconds: playedSamples / ah.SAMPLE_RATE,
      },
      messages: this.binaries.slice(0, 1000).map((t, i) => [Math.round(t), this.sizes[i]]),
      textFromServer: { messages: this.texts.length, maxIn1s: maxIn(this.texts, 1000) },
      playback: { startedSent: this.playbackStarted, completedSent: this.playbackCompleted, underruns: this.underruns },
      echo: {
        callerFirstAudibleMs: r2(this.callerFirstAudibleMs),
        botFirstAudibleMs: r2(this.botFirstAudibleMs),
        delayMs: this.callerFirstAudibleMs !== null && this.botFirstAudibleMs !== null ? r2(this.botFirstAudibleMs - this.callerFirstAudibleMs) : null,
        botToneHz: toneHz(this.chunks),
      },
      rateLimit: this.rl
        ? { afterMessage: this.rl.afterMessage, retryAfter: this.o.retryAfter, sentAtMs: r2(this.rl.sentAt), inFlight: this.rl.inFlight, inWindow: this.rl.inWindow, firstBinaryAfterMs: r2(this.rl.firstAfterMs), resumedAfterMs: r2(this.rl.resumedAfterMs) }
        : null,
      bargeIn: this.bargeIn ? { ...this.bargeIn, atMs: r2(this.bargeIn.atMs), firstBinaryAfterMs: r2(this.bargeIn.firstBinaryAfterMs) } : null,
      events: this.events,
      disconnect: this.disconnect ?? null,
      close: { reasonSent: this.closeReasonSent, closed: this.closedReceived },
      limits: { maxBytes: this.o.maxBytes, rate: this.o.rate, burst: this.o.burst, bucketTolerance: this.o.bucketTolerance, maxLeadMs: this.o.maxLeadMs, leadToleranceMs: this.o.leadToleranceMs },
      warnings: this.warnings,
      violations: this.violations,
    };
  }
}

// zero-crossing frequency of the audible played audio (a cheap "is it the echoed tone" check)
function toneHz(chunks) {
  let crossings = 0;
  let samples = 0;
  for (const c of chunks) {
    let prev = null;
    for (let i = 0; i < c.buf.length; i++) {
      const x = ah.MULAW_DECODE_TABLE[c.buf[i]];
      if (Math.abs(x) < AUDIBLE && (prev === null || Math.abs(prev) < AUDIBLE)) {
        prev = x;
        continue;
      }
      samples += 1;
      if (prev !== null && (prev < 0) !== (x < 0)) crossings += 1;
      prev = x;
    }
  }
  return samples < 800 ? null : Math.round((crossings / 2) * (ah.SAMPLE_RATE / samples));
}

function writeRecording(file, chunks) {
  let total = 0;
  for (const c of chunks) total = Math.max(total, Math.max(0, Math.round((c.startMs * ah.SAMPLE_RATE) / 1000)) + c.buf.length);
  const pcmu = Buffer.alloc(total, PCMU_SILENCE);
  for (const c of chunks) c.buf.copy(pcmu, Math.max(0, Math.round((c.startMs * ah.SAMPLE_RATE) / 1000)));
  if (!file.toLowerCase().endsWith('.wav')) return fs.writeFileSync(file, pcmu);
  const out = Buffer.alloc(44 + total * 2);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + total * 2, 4);
  out.write('WAVEfmt ', 8, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(8000, 24);
  out.writeUInt32LE(16000, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(total * 2, 40);
  for (let i = 0; i < total; i++) out.writeInt16LE(ah.MULAW_DECODE_TABLE[pcmu[i]], 44 + i * 2);
  fs.writeFileSync(file, out);
}

function writeJsonAtomic(file, obj) {
  const tmp = `${file}.tmp${process.pid}`;
  fs.writeFileSync(tmp, `${JSON.stringify(obj, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

// ---------------------------------------------------------------------------------------------
// self-test: a scripted fake server per scenario, this program as the client (child process)

const SELF = fileURLToPath(import.meta.url);

function fakeServer(script) {
  return new Promise((resolve) => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    const got = { types: [], dtmf: [], close: null, error429: null };
    wss.on('connection', (ws) => {
      let seq = 0;
      let clientseq = 0;
      let id = null;
      const send = (type, parameters = {}) => ws.send(JSON.stringify({ version: '2', id, type, seq: ++seq, clientseq, parameters }));
      const ctx = { ws, send, got, pcmu: (ms) => Buffer.alloc((ms * 8000) / 1000, 0x80 /* loud, audible */) };
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const m = JSON.parse(data.toString());
        clientseq = m.seq;
        id = m.id;
        got.types.push(m.type);
        if (m.type === 'open') {
          got.open = m.parameters;
          send('opened', { media: [m.parameters.media[0]], startPaused: false });
          script.onOpened?.(ctx);
        } else if (m.type === 'ping') send('pong');
        else if (m.type === 'close') {
          got.close = m.parameters.reason;
          send('closed');
        } else if (m.type === 'dtmf') got.dtmf.push({ digit: m.parameters.digit, position: m.position });
        else if (m.type === 'error' && m.parameters.code === 429) {
          got.error429 = m.parameters;
          script.on429?.(ctx);
        }
      });
    });
    wss.on('listening', () => resolve({ wss, got, port: wss.address().port }));
  });
}

function runClient(port, args) {
  return new Promise((resolve) => {
    const report = `${process.env.TMPDIR ?? '/tmp'}/ac-selftest-${process.pid}-${port}.json`;
    const child = spawn(process.execPath, [SELF, '--url', `ws://127.0.0.1:${port}/ws`, '--quiet', '--report', report, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      let rep = null;
      try {
        rep = JSON.parse(fs.readFileSync(report, 'utf8'));
        fs.unlinkSync(report);
      } catch {
        /* no report */
      }
      resolve({ code, rep, err });
    });
  });
}

// send COUNT messages of MS each, one every EVERY ms (0: all at once)
function paced(ctx, count, ms, every, then) {
  let i = 0;
  const tick = () => {
    if (ctx.ws.readyState !== WebSocket.OPEN) return;
    if (i >= count) return then?.();
    ctx.ws.send(ctx.pcmu(ms));
    i += 1;
    if (every === 0) tick();
    else setTimeout(tick, every);
  };
  tick();
}

async function runSelfTest() {
  const kinds = (rep) => (rep ? rep.violations.map((v) => v.kind) : ['no report']);
  const scenarios = [
    {
      name: 'well-paced bot audio: clean, playback events, lead <= 1 s',
      args: ['--seconds', '1', '--wait-idle', '0.5'],
      script: { onOpened: (ctx) => paced(ctx, 5, 200, 0, () => setTimeout(() => paced(ctx, 5, 200, 200), 200)) },
      check: ({ code, rep }, got) =>
        code === 0 && rep.botAudio.messages === 10 && rep.playback.startedSent === 1 && rep.playback.completedSent === 1 &&
        got.types.includes('playback_started') && got.types.includes('playback_completed') && rep.botAudio.maxLeadMs <= 1100 &&
        got.open.media.length === 1 && got.open.media[0].channels.join() === 'external' && got.open.inputVariables.caller === 'interop-test',
    },
    {
      name: 'message above 64000 bytes is a violation',
      args: ['--seconds', '0.4', '--wait-idle', '0.2', '--max-lead-ms', '100000'],
      script: { onOpened: (ctx) => paced(ctx, 1, 8001, 0) },
      check: ({ code, rep }) => code === 1 && kinds(rep).includes('size') && rep.botAudio.maxMessageBytes === 64008,
    },
    {
      name: '30 messages at once exceed the bucket (5/s, 25)',
      args: ['--seconds', '0.4', '--wait-idle', '0.2'],
      script: { onOpened: (ctx) => paced(ctx, 30, 1, 0) },
      check: ({ code, rep }) => code === 1 && kinds(rep).filter((k) => k === 'rate').length === 5 && !kinds(rep).includes('lead'),
    },
    {
      name: '2 s sent at once exceeds max-lead',
      args: ['--seconds', '0.4', '--wait-idle', '0.2'],
      script: { onOpened: (ctx) => paced(ctx, 10, 200, 0) },
      check: ({ code, rep }) => code === 1 && kinds(rep).every((k) => k === 'lead') && rep.botAudio.maxLeadMs >= 1900,
    },
    {
      name: '429 obeyed: clean',
      args: ['--seconds', '0.4', '--wait-idle', '0.3', '--rate-limit-after', '3', '--retry-after', 'PT1S'],
      script: { onOpened: (ctx) => paced(ctx, 3, 200, 100), on429: (ctx) => setTimeout(() => paced(ctx, 3, 200, 200), 1000) },
      check: ({ code, rep }, got) => code === 0 && got.error429?.retryAfter === 'PT1S' && rep.rateLimit.inWindow === 0 && rep.rateLimit.resumedAfterMs >= 900,
    },
    {
      name: '429 ignored: violations',
      args: ['--seconds', '0.4', '--wait-idle', '0.3', '--rate-limit-after', '3', '--retry-after', 'PT1S'],
      script: { onOpened: (ctx) => paced(ctx, 8, 200, 200) },
      check: ({ code, rep }) => code === 1 && rep.rateLimit.inWindow >= 3,
    },
    {
      name: 'barge-in: one message in flight allowed, queue dropped',
      args: ['--seconds', '0.4', '--wait-idle', '0.3', '--expect-barge-in'],
      script: {
        onOpened: (ctx) =>
          paced(ctx, 5, 200, 0, () =>
            setTimeout(() => {
              ctx.send('event', { entities: [{ type: 'barge_in', data: {} }] });
              ctx.ws.send(ctx.pcmu(200));
            }, 300),
          ),
      },
      check: ({ code, rep }) => code === 0 && rep.bargeIn.droppedMs >= 500 && rep.bargeIn.binariesInWindow === 1 && rep.botAudio.playedSeconds < 0.7,
    },
    {
      name: 'barge-in: audio still flowing after it is a violation',
      args: ['--seconds', '0.4', '--wait-idle', '0.3', '--expect-barge-in'],
      script: {
        onOpened: (ctx) =>
          paced(ctx, 2, 200, 0, () => {
            ctx.send('event', { entities: [{ type: 'barge_in', data: {} }] });
            paced(ctx, 3, 200, 0);
          }),
      },
      check: ({ code, rep }) => code === 1 && kinds(rep).includes('barge-in'),
    },
    {
      name: 'disconnect: close {reason:"disconnect"}, outputVariables reported',
      args: ['--seconds', '10', '--close-on-disconnect', '--expect-disconnect'],
      script: { onOpened: (ctx) => setTimeout(() => ctx.send('disconnect', { reason: 'completed', info: 'done', outputVariables: { result: 'ok' } }), 500) },
      check: ({ code, rep }, got) => code === 0 && got.close === 'disconnect' && rep.disconnect.outputVariables.result === 'ok' && rep.disconnect.info === 'done',
    },
    {
      name: 'dtmf digits in order at their positions',
      args: ['--seconds', '1.2', '--wait-idle', '0.1', '--dtmf', '1@0.2,#@0.8'],
      script: {},
      check: ({ code }, got) => code === 0 && got.dtmf.map((d) => `${d.digit}@${d.position}`).join() === '1@PT0.2S,#@PT0.8S',
    },
  ];
  const results = await Promise.all(
    scenarios.map(async (s) => {
      const { wss, got, port } = await fakeServer(s.script);
      const res = await runClient(port, s.args);
      wss.close();
      let ok = false;
      try {
        ok = !!res.rep && !!s.check(res, got);
      } catch {
        ok = false;
      }
      return { name: s.name, ok, detail: `exit ${res.code}, violations ${JSON.stringify(kinds(res.rep))}${process.env.AC_SELFTEST_VERBOSE ? `\n${JSON.stringify(res.rep)}\n${JSON.stringify(got)}` : ''}` };
    }),
  );
  let failed = 0;
  for (const r of results) {
    if (!r.ok) failed++;
    process.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.ok ? '' : `: ${r.detail}`}\n`);
  }
  process.stdout.write(`self-test: ${results.length - failed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  let opts;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`audioconnector-client: ${e.message}\n(see --help)\n`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
  if (opts.help) return process.stdout.write(USAGE);
  if (opts.selfTest) {
    process.exitCode = await runSelfTest();
    return;
  }
  let audio;
  try {
    audio = new CallerAudio(opts);
  } catch (e) {
    process.stderr.write(`audioconnector-client: ${e.message}\n`);
    process.exitCode = 2;
    return;
  }
  const session = new Session(opts, audio);
  const onSignal = () => {
    session.warn('interrupted');
    if (session.state === 'OPEN' || session.state === 'OPENING') session.startClose('end');
    else session.dropSocket();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  session.start();
}

main();
