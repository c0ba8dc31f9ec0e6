#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// Independent Genesys-like AudioHook v2 client simulator (monitor / transcription flavour).
// Written from shared/docs/audiohook-protocol.md only: it shares no code with gst/.
//
//   node audiohook-client.mjs --url ws://127.0.0.1:9000/api/v1/audiohook/ws [options]
//   node audiohook-client.mjs --self-test
//
// Run with --help for the option list. Exit status: 0 = the session ran cleanly,
// 1 = protocol violations / session not completed, 2 = usage or input error.

import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import WebSocket from 'ws';
import * as ah from './lib/audiohook-common.mjs';

const USAGE = `Usage: node audiohook-client.mjs --url ws://HOST:PORT/PATH [options]
       node audiohook-client.mjs --self-test

Connection / authentication
  --url URL               AudioHook server WebSocket URL (ws:// or wss://)
  --api-key K             X-API-KEY header (default: env AUDIOHOOK_API_KEY, else "interop-test-key")
  --client-secret S       base64 client secret; when non-empty the upgrade is signed (sec. 1.4)
                          (default: env AUDIOHOOK_CLIENT_SECRET). Never printed.
  --org-id UUID           organization id (default: random UUID)
  --expect-status N       the upgrade is expected to be refused with HTTP status N (exit 0 if so)

Audio source (PCMU 8000 Hz is always what goes on the wire)
  --wav FILE              16-bit PCM WAV, 8000 Hz, mono or stereo (stereo: left=external, right=internal)
  --tone HZ               sine tone (default 440 Hz when no --wav)
  --tone2 HZ              tone of the internal channel with --stereo (default 2 x --tone)
  --seconds N             media duration in seconds (tone default 5; caps a WAV)
  --stereo                distinct content per channel (tone: external=--tone, internal=--tone2;
                          WAV: requires a 2-channel file)
  --frame-ms MS           audio frame length, paced in real time (default 200)
  --empty-frame           send one zero-length binary frame right after opened

Sender models (when frames leave; positions always count the samples exactly)
  --pace clock|setinterval  clock (default): frame N is due at N x frame-ms after the first one,
                          timer lateness does not add up; setinterval: a plain setInterval(frame-ms),
                          one frame per tick, no correction (Node timers run late: lateness adds up)
  --drift-ppm N           the sender's clock runs N ppm off: a frame every frame-ms x (1 + N/1e6) ms
                          of real time (positive: slow sender, frames come later and later)
  --late-timer-ms MAX     each interval is frame-ms + U(0, MAX) ms, never shorter: lateness adds up
                          (a model of a late timer, deterministic with --seed; not with setinterval)
  --jitter-ms MAX         each frame leaves 0..MAX ms late (uniform), never before the previous one
  --stall-at SEC          the frame that starts at stream time SEC (frame periods since the first
                          frame) and every frame due in the next --stall-ms ...
  --stall-ms MS           ... (default 1000) are held, then sent at once (a burst); positions unchanged
  --seed N                seed of --jitter-ms and --late-timer-ms (default 1)
  --frozen-pause          pauses (--pause-at and server pause) freeze the position and the media
                          source, as a WAV-fed client does: resumed {start: P, discarded: "PT0S"},
                          the audio goes on from P (default: the position advances during the pause
                          and resumed reports the paused span as discarded)

Offers (open.parameters.media)
  --offers LIST           comma list of stereo,external,internal (default stereo,external,internal)
  --reverse-channels      stereo offer is ["internal","external"] instead of ["external","internal"]
  --language TAG          open.parameters.language (default en-US; "" to omit)
  --supported-languages   ask the server for supportedLanguages
  --continued-session ID:SERVERSEQ:CLIENTSEQ   add a continuedSessions entry (repeatable)

Session behaviour
  --probe                 connection probe: null conversation/participant UUIDs, close right after opened
  --pause-at SEC          client-initiated pause when the stream reaches SEC ...
  --resume-after SEC      ... lasting SEC of wall time (default 1), then resumed {start, discarded}
  --discard-at SEC        skip audio when the stream reaches SEC ...
  --discard-ms MS         ... for MS of wall time (default 400), then send discarded {start, discarded}
  --accept-audio          accept binary frames from the server (count them) instead of error 415

Output
  --report FILE           write a JSON report of the session
  --dump FILE             write every audio byte sent, in order (raw PCMU as on the wire)
  --verbose               log every message
  --quiet                 log only problems
  --help                  this text
`;

// ---------------------------------------------------------------------------------------------
// Self-test (signature test vector of sec. 1.4 plus codec/duration sanity checks)

function runSelfTest() {
  const results = [];
  const check = (name, ok, detail = '') => results.push({ name, ok, detail });

  const vector = {
    url: 'wss://audiohook.example.com/api/v1/voicebiometrics/ws',
    organizationId: 'd7934305-0972-4844-938e-9060eef73d05',
    sessionId: '30b0e395-84d3-4570-ac13-9a62d8f514c0',
    correlationId: 'e160e428-53e2-487c-977d-96989bf5c99d',
    apiKey: 'SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh',
    secret: 'TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=',
    nonce: 'VGhpc0lzQVVuaXF1ZU5vbmNl',
    created: 1641013200,
    expires: 3282026430,
  };
  const key = ah.decodeClientSecret(vector.secret);
  check('secret decodes to 32 bytes', key && key.length === 32 && key.toString('latin1') === 'MySuperSecretKeyTellNo-1!2@3#4$5');
  const signed = signRequest({
    url: new URL(vector.url),
    headers: {
      'audiohook-organization-id': vector.organizationId,
      'audiohook-session-id': vector.sessionId,
      'audiohook-correlation-id': vector.correlationId,
      'x-api-key': vector.apiKey,
    },
    apiKey: vector.apiKey,
    key,
    nonce: vector.nonce,
    created: vector.created,
    expires: vector.expires,
  });
  const expected = 'sig1=:NZBwyBHRRyRoeLqy1IzOa9VYBuI8TgMFt2GRDkDuJh4=:';
  check('signature test vector', signed.signature === expected, `got ${signed.signature}, expected ${expected}`);
  check(
    'Signature-Input syntax',
    signed.signatureInput ===
      'sig1=("@request-target" "@authority" "audiohook-organization-id" "audiohook-session-id" "audiohook-correlation-id" "x-api-key");keyid="SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh";nonce="VGhpc0lzQVVuaXF1ZU5vbmNl";alg="hmac-sha256";created=1641013200;expires=3282026430',
    signed.signatureInput,
  );
  // Round trip through the structured-field parser (what a verifier does).
  const dict = ah.parseSfDictionary(signed.signatureInput);
  check('Signature-Input re-serializes identically', `sig1=${ah.serializeInnerList(dict.get('sig1'))}` === signed.signatureInput);

  // Fresh nonce shape: 18 random bytes -> 24 base64 chars.
  check('nonce is 24 base64 chars', crypto.randomBytes(18).toString('base64').length === 24);

  // mu-law
  check('mu-law encode 0 -> 0xFF', ah.linearToMulaw(0) === 0xff);
  check('mu-law decode 0xFF -> 0', ah.mulawToLinear(0xff) === 0);
  check('mu-law full scale', ah.linearToMulaw(32767) === 0x80 && ah.linearToMulaw(-32768) === 0x00);
  let maxErr = 0;
  for (let s = -32000; s <= 32000; s += 7) {
    const back = ah.mulawToLinear(ah.linearToMulaw(s));
    maxErr = Math.max(maxErr, Math.abs(back - s) / Math.max(64, Math.abs(s)));
  }
  check('mu-law round trip error < 7%', maxErr < 0.07, `max relative error ${maxErr}`);

  // Durations
  const durCases = [
    ['PT0S', 0n],
    ['PT12.345S', 12_345_000_000n],
    ['PT0.000125S', 125_000n],
    ['PT.5S', 500_000_000n],
  ];
  for (const [s, ns] of durCases) check(`parse ${s}`, ah.parseDuration(s) === ns);
  for (const bad of ['P1S', 'PT1M', 'PT-1S', 'PT1e3S', '1S', 'PT1.S']) check(`reject ${bad}`, ah.parseDuration(bad) === null);
  check('format 1600 samples', ah.formatSamples(1600) === 'PT0.2S');
  check('format 1 sample', ah.formatSamples(1) === 'PT0.000125S');
  check('format 0', ah.formatSamples(0) === 'PT0S');

  // Sender models (the departure plans, without a socket)
  const plan = (opts, n, nominals) => {
    const p = new SenderPacer({ frameMs: 200, ...opts });
    return Array.from({ length: n }, (_, i) => p.depart(nominals ? nominals[i] : p.nominal()));
  };
  const clock = plan({}, 101);
  check('clock: frame 100 due at 20 s', clock[100] === 20000 && clock[1] === 200, `${clock[100]}`);
  check('drift +5000 ppm: frame 100 at 20.1 s', Math.abs(plan({ driftPpm: 5000 }, 101)[100] - 20100) < 1e-6);
  check('drift -5000 ppm: frame 100 at 19.9 s', Math.abs(plan({ driftPpm: -5000 }, 101)[100] - 19900) < 1e-6);
  const jit = plan({ jitterMs: 120, seed: 7 }, 500);
  const inOrder = (a) => a.every((t, i) => i === 0 || t >= a[i - 1]);
  check(
    'jitter: 0..MAX late or right after the previous frame, in order',
    inOrder(jit) && jit.every((t, i) => (t >= i * 200 && t <= i * 200 + 120) || t === jit[i - 1]) && jit.some((t, i) => t > i * 200 + 60),
  );
  check('jitter: the same seed gives the same plan', plan({ jitterMs: 120, seed: 7 }, 500).every((t, i) => t === jit[i]));
  check('jitter: another seed gives another plan', plan({ jitterMs: 120, seed: 8 }, 500).some((t, i) => t !== jit[i]));
  check('jitter: a frame that would overtake leaves right after the previous one', plan({ jitterMs: 500, seed: 3 }, 50, Array.from({ length: 50 }, (_, i) => i * 10)).every((t, i, a) => i === 0 || t >= a[i - 1]));
  const lt = plan({ lateTimerMs: 50, seed: 5 }, 200);
  const gaps = lt.slice(1).map((t, i) => t - lt[i]);
  check('late timer: every interval in [F, F + MAX]', gaps.every((g) => g >= 200 && g <= 250) && lt[199] > 199 * 200 + 1000, `last ${lt[199]}`);
  check('late timer: deterministic with the seed', plan({ lateTimerMs: 50, seed: 5 }, 200).every((t, i) => t === lt[i]));
  const st = plan({ stallTick: 10, stallMs: 2000 }, 30);
  check(
    'stall: frames 10..20 leave together 2 s after frame 10 was due, then on time',
    st[9] === 1800 && st.slice(10, 21).every((t) => t === 4000) && st[21] === 4200,
    st.join(','),
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
// Signing (sec. 1.4)

function signRequest({ url, headers, apiKey, key, nonce, created, expires }) {
  const components = ah.SIGNED_COMPONENTS;
  const params = ah.serializeSignatureParams(components, {
    keyid: apiKey,
    nonce,
    alg: 'hmac-sha256',
    created,
    expires,
  });
  const valueOf = (name) => {
    if (name === '@request-target') return url.pathname + url.search;
    if (name === '@authority') return url.host.toLowerCase();
    return ah.canonicalHeaderValue(headers[name]);
  };
  const base = ah.buildSignatureBase(components, valueOf, params);
  const mac = ah.hmacSha256(key, base);
  return { signatureInput: `sig1=${params}`, signature: `sig1=:${mac.toString('base64')}:` };
}

// ---------------------------------------------------------------------------------------------
// Audio sources: per-channel 16-bit samples, indexed by absolute media sample number.

class ToneSource {
  constructor(freqExternal, freqInternal, totalSamples) {
    this.freq = { external: freqExternal, internal: freqInternal };
    this.totalSamples = totalSamples;
    this.description = freqExternal === freqInternal ? `tone ${freqExternal} Hz` : `tone external ${freqExternal} Hz / internal ${freqInternal} Hz`;
  }
  sample(channel, n) {
    return Math.round(16000 * Math.sin((2 * Math.PI * this.freq[channel] * n) / ah.SAMPLE_RATE));
  }
}

class WavSource {
  constructor(file, wantStereo, maxSamples) {
    const buf = fs.readFileSync(file);
    const fail = (msg) => {
      throw new UsageError(`${file}: ${msg}`);
    };
    if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE')
      fail('not a RIFF/WAVE file');
    let off = 12;
    let fmt = null;
    let data = null;
    while (off + 8 <= buf.length) {
      const id = buf.toString('ascii', off, off + 4);
      let size = buf.readUInt32LE(off + 4);
      const body = off + 8;
      if (body + size > buf.length) size = buf.length - body; // truncated / streamed WAV
      if (id === 'fmt ') {
        if (size < 16) fail('fmt chunk too short');
        fmt = {
          format: buf.readUInt16LE(body),
          channels: buf.readUInt16LE(body + 2),
          rate: buf.readUInt32LE(body + 4),
          bits: buf.readUInt16LE(body + 14),
        };
        if (fmt.format === 0xfffe && size >= 26) fmt.format = buf.readUInt16LE(body + 24); // WAVE_FORMAT_EXTENSIBLE
      } else if (id === 'data') {
        data = buf.subarray(body, body + size);
      }
      off = body + size + (size & 1);
    }
    if (!fmt) fail('no fmt chunk');
    if (!data) fail('no data chunk');
    if (fmt.format !== 1) fail(`unsupported WAV format tag ${fmt.format} (need 16-bit PCM)`);
    if (fmt.bits !== 16) fail(`unsupported ${fmt.bits}-bit samples (need 16-bit PCM)`);
    if (fmt.rate !== ah.SAMPLE_RATE) fail(`sample rate ${fmt.rate} Hz is not 8000 Hz`);
    if (fmt.channels !== 1 && fmt.channels !== 2) fail(`${fmt.channels} channels (need 1 or 2)`);
    if (wantStereo && fmt.channels !== 2) fail('--stereo needs a 2-channel WAV');
    const frames = Math.floor(data.length / (2 * fmt.channels));
    const n = Math.min(frames, maxSamples ?? frames);
    this.external = new Int16Array(n);
    this.internal = new Int16Array(n);
    for (let i = 0; i < n; i++) {
      const p = i * 2 * fmt.channels;
      this.external[i] = data.readInt16LE(p);
      this.internal[i] = fmt.channels === 2 ? data.readInt16LE(p + 2) : this.external[i];
    }
    this.totalSamples = n;
    this.description = `${path.basename(file)} (${fmt.channels} ch, ${(n / ah.SAMPLE_RATE).toFixed(3)} s)`;
  }
  sample(channel, n) {
    return n < this.totalSamples ? this[channel][n] : 0;
  }
}

/** Encode `count` sample frames starting at media sample `start` as interleaved PCMU. */
function encodeFrame(source, start, count, channels) {
  const out = Buffer.allocUnsafe(count * channels.length);
  let o = 0;
  for (let i = 0; i < count; i++) {
    for (const ch of channels) out[o++] = ah.linearToMulaw(source.sample(ch, start + i));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sender models: when each frame leaves (what it carries is decided when it leaves).

/** mulberry32: a small seeded PRNG returning numbers in [0, 1). */
function mulberry32(seed) {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Plans frame departures in ms after the first frame. `nominal()` gives the next tick of the
 * self-correcting pacers (clock: i x period; late timer: the previous tick + period + U(0, MAX));
 * a setInterval pacer passes its own tick times instead. `depart(nominal)` then adds the jitter,
 * holds the frames of a stall and keeps the order.
 */
class SenderPacer {
  constructor({ frameMs, driftPpm = 0, lateTimerMs = 0, jitterMs = 0, stallTick = null, stallMs = 0, seed = 1 }) {
    this.period = frameMs * (1 + driftPpm / 1e6);
    this.lateTimerMs = lateTimerMs;
    this.jitterMs = jitterMs;
    this.rand = mulberry32(seed * 2654435761);
    this.stall = stallTick === null ? null : { tick: stallTick, ms: stallMs, end: null };
    this.index = 0; // frames planned so far
    this.lastNominal = null;
    this.lastDeparture = -Infinity;
  }

  nominal() {
    if (this.lastNominal === null) return 0;
    if (this.lateTimerMs > 0) return this.lastNominal + this.period + this.rand() * this.lateTimerMs;
    return this.index * this.period;
  }

  depart(nominal) {
    this.lastNominal = nominal;
    let t = nominal;
    if (this.jitterMs > 0) t += this.rand() * this.jitterMs;
    if (this.stall && this.index >= this.stall.tick) {
      if (this.stall.end === null) this.stall.end = nominal + this.stall.ms;
      if (nominal < this.stall.end) t = Math.max(t, this.stall.end);
    }
    t = Math.max(t, this.lastDeparture);
    this.lastDeparture = t;
    this.index += 1;
    return t;
  }
}

// ---------------------------------------------------------------------------------------------
// Options

class UsageError extends Error {}

function parseOptions(argv) {
  // `--drift-ppm -5000`: a negative number is the option's value, not an option.
  const args = [];
  for (let i = 0; i < argv.length; i++) {
    if (/^--[a-z0-9-]+$/.test(argv[i]) && i + 1 < argv.length && /^-[0-9.]/.test(argv[i + 1])) args.push(`${argv[i]}=${argv[++i]}`);
    else args.push(argv[i]);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        'api-key': { type: 'string' },
        'client-secret': { type: 'string' },
        'org-id': { type: 'string' },
        'expect-status': { type: 'string' },
        wav: { type: 'string' },
        tone: { type: 'string' },
        tone2: { type: 'string' },
        seconds: { type: 'string' },
        stereo: { type: 'boolean', default: false },
        'frame-ms': { type: 'string', default: '200' },
        'empty-frame': { type: 'boolean', default: false },
        offers: { type: 'string', default: 'stereo,external,internal' },
        'reverse-channels': { type: 'boolean', default: false },
        language: { type: 'string', default: 'en-US' },
        'supported-languages': { type: 'boolean', default: false },
        'continued-session': { type: 'string', multiple: true, default: [] },
        probe: { type: 'boolean', default: false },
        'pause-at': { type: 'string' },
        'resume-after': { type: 'string' },
        'discard-at': { type: 'string' },
        'discard-ms': { type: 'string' },
        'accept-audio': { type: 'boolean', default: false },
        pace: { type: 'string', default: 'clock' },
        'drift-ppm': { type: 'string' },
        'late-timer-ms': { type: 'string' },
        'jitter-ms': { type: 'string' },
        'stall-at': { type: 'string' },
        'stall-ms': { type: 'string' },
        seed: { type: 'string', default: '1' },
        'frozen-pause': { type: 'boolean', default: false },
        dump: { type: 'string' },
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
  if (v.help || v['self-test']) return v;

  const num = (name, { min = -Infinity, max = Infinity, integer = false } = {}) => {
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

  const o = {
    url,
    apiKey: v['api-key'] ?? process.env.AUDIOHOOK_API_KEY ?? 'interop-test-key',
    clientSecret: v['client-secret'] ?? process.env.AUDIOHOOK_CLIENT_SECRET ?? '',
    orgId: v['org-id'] ?? crypto.randomUUID(),
    expectStatus: num('expect-status', { min: 100, max: 599, integer: true }),
    wav: v.wav,
    tone: num('tone', { min: 1, max: 3999 }),
    tone2: num('tone2', { min: 1, max: 3999 }),
    seconds: num('seconds', { min: 0, max: 86400 }),
    stereo: v.stereo,
    frameMs: num('frame-ms', { min: 5, max: 2000 }),
    emptyFrame: v['empty-frame'],
    reverseChannels: v['reverse-channels'],
    language: v.language,
    supportedLanguages: v['supported-languages'],
    probe: v.probe,
    pauseAt: num('pause-at', { min: 0 }),
    resumeAfter: num('resume-after', { min: 0 }),
    discardAt: num('discard-at', { min: 0 }),
    discardMs: num('discard-ms', { min: 0 }),
    acceptAudio: v['accept-audio'],
    pace: v.pace,
    driftPpm: num('drift-ppm', { min: -100000, max: 100000 }) ?? 0,
    lateTimerMs: num('late-timer-ms', { min: 0, max: 10000 }) ?? 0,
    jitterMs: num('jitter-ms', { min: 0, max: 60000 }) ?? 0,
    stallAt: num('stall-at', { min: 0 }),
    stallMs: num('stall-ms', { min: 0, max: 600000 }),
    seed: num('seed', { min: 0, max: 2 ** 32 - 1, integer: true }),
    frozenPause: v['frozen-pause'],
    dump: v.dump,
    report: v.report,
    verbose: v.verbose,
    quiet: v.quiet,
  };
  if (!ah.isUuid(o.orgId)) throw new UsageError(`--org-id ${JSON.stringify(o.orgId)} is not a UUID`);
  if (o.apiKey !== '' && !/^[A-Za-z0-9+/_-]+={0,2}$/.test(o.apiKey)) throw new UsageError('--api-key contains characters outside [A-Za-z0-9+/_-=]');
  if (o.clientSecret !== '') {
    o.key = ah.decodeClientSecret(o.clientSecret);
    if (!o.key || o.key.length === 0) throw new UsageError('--client-secret is not valid base64');
  }
  if (o.wav && (o.tone !== undefined || o.tone2 !== undefined)) throw new UsageError('--wav and --tone are mutually exclusive');
  if (!Number.isInteger((ah.SAMPLE_RATE * o.frameMs) / 1000)) throw new UsageError('--frame-ms must be a multiple of 0.125 ms');
  o.frameSamples = (ah.SAMPLE_RATE * o.frameMs) / 1000;
  if (o.resumeAfter !== undefined && o.pauseAt === undefined) throw new UsageError('--resume-after needs --pause-at');
  if (o.discardMs !== undefined && o.discardAt === undefined) throw new UsageError('--discard-ms needs --discard-at');
  if (o.pace !== 'clock' && o.pace !== 'setinterval') throw new UsageError(`--pace ${JSON.stringify(o.pace)}: use clock or setinterval`);
  if (o.pace === 'setinterval' && o.lateTimerMs > 0) throw new UsageError('--late-timer-ms is a pacing of its own: not with --pace setinterval');
  if (o.stallMs !== undefined && o.stallAt === undefined) throw new UsageError('--stall-ms needs --stall-at');
  if (o.language !== '' && !/^[a-z]{2,3}-[A-Za-z]{2,3}$/.test(o.language))
    throw new UsageError(`--language ${JSON.stringify(o.language)} does not match ^[a-z]{2,3}-[A-Za-z]{2,3}$`);

  const stereoChannels = o.reverseChannels ? ['internal', 'external'] : ['external', 'internal'];
  const offers = [];
  for (const tok of v.offers.split(',').map((s) => s.trim()).filter(Boolean)) {
    let channels;
    if (tok === 'stereo') channels = stereoChannels;
    else if (tok === 'external' || tok === 'internal') channels = [tok];
    else throw new UsageError(`--offers: unknown entry ${JSON.stringify(tok)} (use stereo, external, internal)`);
    offers.push({ type: 'audio', format: 'PCMU', channels: [...channels], rate: ah.SAMPLE_RATE });
  }
  if (offers.length === 0) throw new UsageError('--offers must name at least one media offer');
  o.offers = offers;

  o.continuedSessions = v['continued-session'].map((s) => {
    const m = /^([^:]+):(\d+):(\d+)$/.exec(s);
    if (!m || !ah.isUuid(m[1])) throw new UsageError(`--continued-session ${JSON.stringify(s)}: expected UUID:SERVERSEQ:CLIENTSEQ`);
    return { id: m[1], serverseq: Number(m[2]), clientseq: Number(m[3]) };
  });
  return o;
}

// ---------------------------------------------------------------------------------------------
// Client session

const PING_FIRST_MS = 1000;
const PING_INTERVAL_MS = 5000;
const PONG_TIMEOUT_MS = 5000;
const OPEN_TIMEOUT_MS = 5000;
const CLOSE_TIMEOUT_MS = 10000;
const MAX_TEXT_CHARS = 65535;
const MAX_RECORDED_MESSAGES = 500;

class ClientSession {
  constructor(opts, source) {
    this.o = opts;
    this.source = source;
    this.totalSamples = source.totalSamples;
    this.sessionId = crypto.randomUUID();
    this.correlationId = crypto.randomUUID();
    this.conversationId = opts.probe ? ah.NULL_UUID : crypto.randomUUID();
    this.participantId = opts.probe ? ah.NULL_UUID : crypto.randomUUID();
    this.t0 = performance.now();

    this.state = 'CONNECTING';
    this.seq = 0; // last client seq sent
    this.serverSeq = 0; // last server seq received
    this.lastClientseqSeen = 0;
    this.media = null; // negotiated entry or null (no audio)

    // Timeline (samples). position = reported: sent + reported discarded + reported paused.
    this.position = 0;
    this.samplesSent = 0;
    this.discardedSamples = 0;
    this.pausedSamples = 0;
    this.pendingAudio = [];
    this.pendingAudioSamples = 0;
    this.pendingPause = 0; // paused samples not yet reported by resumed
    this.pendingDiscard = 0; // discarded samples not yet reported
    this.idleSamples = 0; // wall time elapsed while no media was negotiated
    this.serverPaused = false;
    this.clientPaused = false;
    this.pauseStart = 0;
    this.clientPause =
      opts.pauseAt !== undefined
        ? { at: Math.round(opts.pauseAt * ah.SAMPLE_RATE), len: Math.round((opts.resumeAfter ?? 1) * ah.SAMPLE_RATE), state: 'pending', remaining: 0 }
        : null;
    this.discardSim =
      opts.discardAt !== undefined
        ? { at: Math.round(opts.discardAt * ah.SAMPLE_RATE), len: Math.round(((opts.discardMs ?? 400) * ah.SAMPLE_RATE) / 1000), state: 'pending', remaining: 0, start: 0 }
        : null;

    // Sender model (see SenderPacer); lateness = departure - (first frame + N x frame-ms).
    this.pacer = null;
    this.departures = []; // planned departures (ms after the first frame), in order
    this.draining = false;
    this.intervalTimer = null;
    this.tickIndex = 0;
    this.maxLatenessMs = 0;
    this.lastLatenessMs = 0;
    this.largestBurst = 0; // most frames sent within 1 ms
    this.burstFrames = 0;
    this.lastTickAt = -Infinity;
    this.dumpFd = null;
    this.dumpBytes = 0;

    this.framesSent = 0;
    this.bytesSent = 0;
    this.emptyFramesSent = 0;
    this.serverAudioBytes = 0;
    this.sentError415 = false;

    this.pingOutstanding = null; // { seq, sentNs }
    this.pingsSent = 0;
    this.pongsReceived = 0;
    this.pongLatenciesMs = [];
    this.lastRttNs = null;
    this.pingTimer = null;
    this.pongTimer = null;

    this.timers = new Set();
    this.violations = [];
    this.serverMessageCounts = {};
    this.serverMessages = [];
    this.eventEntities = 0;
    this.discardedSpans = [];
    this.pauses = [];
    this.disconnect = null;
    this.reconnectRequests = [];
    this.opened = null;
    this.closeReasonSent = null;
    this.closedReceived = false;
    this.closeResult = null;
    this.httpStatus = null;
    this.httpBody = null;
    this.wsClose = null;
    this.socketError = null;
    this.finished = false;
  }

  // ---- logging / bookkeeping ---------------------------------------------------------------

  ms() {
    return Math.round(performance.now() - this.t0);
  }

  log(msg) {
    if (!this.o.quiet) process.stderr.write(`[client ${this.sessionId.slice(0, 8)} +${this.ms()}ms] ${msg}\n`);
  }

  warn(msg) {
    process.stderr.write(`[client ${this.sessionId.slice(0, 8)} +${this.ms()}ms] WARNING: ${msg}\n`);
  }

  debug(msg) {
    if (this.o.verbose) this.log(msg);
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

  clearTimer(t) {
    if (t) {
      clearTimeout(t);
      this.timers.delete(t);
    }
    return null;
  }

  /**
   * Record a protocol violation by the server. Fatal ones make the client send `error` and
   * close with reason "error" (the reference client's reaction); non-fatal ones are reported
   * with an `error` message when `report` is set, and the session goes on.
   */
  violation(code, message, { fatal = false, report = fatal } = {}) {
    this.violations.push({ atMs: this.ms(), code, message, fatal });
    this.warn(`protocol violation (${code}${fatal ? ', fatal' : ''}): ${message}`);
    if (this.state === 'OPENING' || this.state === 'OPEN' || (this.state === 'CLOSING' && !fatal)) {
      if (report) this.sendMessage('error', { code, message: message.slice(0, 1000) });
    }
    if (fatal) {
      if (this.state === 'OPENING' || this.state === 'OPEN') this.startClose('error');
      else if (this.state === 'CLOSING') this.dropSocket();
    }
  }

  // ---- connection --------------------------------------------------------------------------

  start() {
    const u = this.o.url;
    const headers = {
      Host: u.host,
      'User-Agent': 'GenesysCloud-AudioHook-Client (gst-genesys interop simulator)',
      'Audiohook-Organization-Id': this.o.orgId,
      'Audiohook-Session-Id': this.sessionId,
      'Audiohook-Correlation-Id': this.correlationId,
    };
    if (this.o.apiKey !== '') headers['X-API-KEY'] = this.o.apiKey;
    if (this.o.key) {
      const created = Math.floor(Date.now() / 1000);
      const signed = signRequest({
        url: u,
        headers: {
          'audiohook-organization-id': this.o.orgId,
          'audiohook-session-id': this.sessionId,
          'audiohook-correlation-id': this.correlationId,
          'x-api-key': this.o.apiKey,
        },
        apiKey: this.o.apiKey,
        key: this.o.key,
        nonce: crypto.randomBytes(18).toString('base64'),
        created,
        expires: created + 10,
      });
      headers['Signature-Input'] = signed.signatureInput;
      headers.Signature = signed.signature;
    }
    this.signed = Boolean(this.o.key);
    this.log(
      `connecting to ${u.origin}${u.pathname}${u.search} (session ${this.sessionId}, ${this.signed ? 'signed' : 'unsigned'}, source ${this.source.description}${this.o.probe ? ', probe' : ''})`,
    );

    const ws = new WebSocket(u, {
      headers,
      perMessageDeflate: false,
      handshakeTimeout: 10000,
      maxPayload: 16 * 1024 * 1024,
      followRedirects: false,
    });
    this.ws = ws;
    ws.on('unexpected-response', (req, res) => {
      this.httpStatus = res.statusCode;
      const chunks = [];
      let len = 0;
      res.on('data', (c) => {
        if (len < 2048) chunks.push(c);
        len += c.length;
      });
      const done = () => {
        this.httpBody = Buffer.concat(chunks).toString('utf8').slice(0, 2048);
        req.destroy();
        this.onUpgradeRefused();
      };
      res.on('end', done);
      res.on('error', done);
      res.on('close', () => {
        if (this.httpBody === null) done();
      });
    });
    ws.on('upgrade', (res) => {
      this.httpStatus = res.statusCode;
    });
    ws.on('open', () => this.onOpen());
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('error', (err) => {
      if (this.httpStatus !== null && this.state === 'CONNECTING') return; // refused upgrade, handled above
      this.socketError = err.message;
      this.warn(`WebSocket error: ${err.message}`);
    });
    ws.on('close', (code, reason) => this.onSocketClose(code, reason.toString()));

    // Watchdog: the whole session must finish within media time + generous slack.
    // Sender models stretch it: a slow clock, late timers, a stall, a frozen pause.
    const o = this.o;
    const mediaMs = (this.totalSamples / ah.SAMPLE_RATE) * 1000;
    const frames = Math.ceil(mediaMs / o.frameMs);
    const senderMs =
      mediaMs * Math.max(0, o.driftPpm / 1e6) +
      frames * o.lateTimerMs +
      o.jitterMs +
      (o.stallAt !== undefined ? (o.stallMs ?? 1000) : 0) +
      (o.pace === 'setinterval' ? mediaMs * 0.1 : 0) +
      (o.frozenPause && o.pauseAt !== undefined ? (o.resumeAfter ?? 1) * 1000 * 1.1 : 0);
    const limitMs = mediaMs + senderMs + OPEN_TIMEOUT_MS + CLOSE_TIMEOUT_MS + 30000;
    this.timer(() => {
      this.violation(408, `session did not finish within ${Math.round(limitMs / 1000)} s`, { fatal: false });
      this.dropSocket();
    }, limitMs);
  }

  onUpgradeRefused() {
    if (this.state !== 'CONNECTING') return;
    this.state = 'DISCONNECTED';
    this.closeResult = 'upgrade-refused';
    if (this.o.expectStatus === this.httpStatus) this.log(`upgrade refused with HTTP ${this.httpStatus}, as expected`);
    else this.warn(`upgrade refused: HTTP ${this.httpStatus}${this.httpBody ? ` (${this.httpBody.trim().slice(0, 200)})` : ''}`);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.finish();
  }

  onOpen() {
    if (this.o.expectStatus !== undefined) {
      this.violation(0, `upgrade succeeded (HTTP 101) but HTTP ${this.o.expectStatus} was expected`);
      this.state = 'DISCONNECTED';
      this.ws.close(1000, 'unexpected upgrade');
      return;
    }
    this.log('WebSocket open, sending open');
    this.state = 'OPENING';
    const parameters = {
      organizationId: this.o.orgId,
      conversationId: this.conversationId,
      participant: this.o.probe
        ? { id: this.participantId, ani: '', aniName: '', dnis: '' }
        : { id: this.participantId, ani: '+13175550123', aniName: 'Interop Caller', dnis: '+13175550199' },
      media: this.o.offers,
    };
    if (this.o.language) parameters.language = this.o.language;
    if (this.o.supportedLanguages) parameters.supportedLanguages = true;
    if (this.o.continuedSessions.length) parameters.continuedSessions = this.o.continuedSessions;
    this.sendMessage('open', parameters);
    this.openTimer = this.timer(() => {
      if (this.state === 'OPENING') this.violation(408, `no opened within ${OPEN_TIMEOUT_MS / 1000} s after open`, { fatal: true });
    }, OPEN_TIMEOUT_MS);
  }

  sendMessage(type, parameters) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.flushAudio(); // audio before the message, so its position covers it
    this.seq += 1;
    const msg = {
      version: ah.PROTOCOL_VERSION,
      id: this.sessionId,
      type,
      seq: this.seq,
      serverseq: this.serverSeq,
      position: ah.formatSamples(this.position),
      parameters,
    };
    const text = JSON.stringify(msg);
    this.debug(`-> ${text}`);
    this.ws.send(text);
    return true;
  }

  // ---- audio pacing ------------------------------------------------------------------------

  mediaTime() {
    return this.position + this.pendingAudioSamples + this.pendingPause + this.pendingDiscard;
  }

  isPaused() {
    return this.serverPaused || this.clientPaused;
  }

  flushAudio() {
    if (this.pendingAudioSamples === 0) return;
    const frame = this.pendingAudio.length === 1 ? this.pendingAudio[0] : Buffer.concat(this.pendingAudio);
    const samples = this.pendingAudioSamples;
    this.pendingAudio = [];
    this.pendingAudioSamples = 0;
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(frame, { binary: true });
    if (this.dumpFd !== null) {
      fs.writeSync(this.dumpFd, frame);
      this.dumpBytes += frame.length;
    }
    this.framesSent += 1;
    this.bytesSent += frame.length;
    this.samplesSent += samples;
    this.position += samples;
  }

  startStreaming() {
    const o = this.o;
    this.tickIndex = 0;
    this.tickT0 = performance.now();
    this.pacer = new SenderPacer({
      frameMs: o.frameMs,
      driftPpm: o.driftPpm,
      lateTimerMs: o.lateTimerMs,
      jitterMs: o.jitterMs,
      stallTick: o.stallAt === undefined ? null : Math.ceil((o.stallAt * ah.SAMPLE_RATE) / o.frameSamples),
      stallMs: o.stallMs ?? 1000,
      seed: o.seed ?? 1,
    });
    this.planTick(0); // the first frame right after opened
    if (o.pace === 'setinterval') {
      // What many simulators do: one frame per tick of a plain interval timer, which Node
      // re-arms from when the late callback ran.
      this.intervalTimer = setInterval(() => {
        if (this.state === 'OPEN') this.planTick(performance.now() - this.tickT0);
      }, this.pacer.period);
      this.intervalTimer.unref();
    }
  }

  /** Plan the next frame's departure from its nominal time (ms after the first frame). */
  planTick(nominal) {
    this.departures.push(this.pacer.depart(nominal));
    this.armTick();
  }

  armTick() {
    if (this.state !== 'OPEN' || this.tickTimer || this.draining || this.departures.length === 0) return;
    const wait = this.tickT0 + this.departures[0] - performance.now();
    this.tickTimer = this.timer(() => {
      this.tickTimer = null;
      // Every frame that is due goes now, in order (a burst after a stall).
      this.draining = true;
      while (this.state === 'OPEN' && this.departures.length && this.tickT0 + this.departures[0] <= performance.now() + 0.5) {
        this.departures.shift();
        this.tick();
      }
      this.draining = false;
      this.armTick();
    }, Math.max(0, wait));
  }

  afterTick() {
    if (this.o.pace !== 'setinterval') this.planTick(this.pacer.nominal());
  }

  stopPacing() {
    this.tickTimer = this.clearTimer(this.tickTimer);
    if (this.intervalTimer) clearInterval(this.intervalTimer);
    this.intervalTimer = null;
    this.departures = [];
  }

  /** One frame period of the sender's clock: consume `frameSamples` of budget. */
  tick() {
    if (this.state !== 'OPEN') return;
    const now = performance.now();
    const lateness = now - (this.tickT0 + this.tickIndex * this.o.frameMs);
    this.lastLatenessMs = lateness;
    this.maxLatenessMs = Math.max(this.maxLatenessMs, lateness);
    this.burstFrames = now - this.lastTickAt < 1 ? this.burstFrames + 1 : 1;
    this.largestBurst = Math.max(this.largestBurst, this.burstFrames);
    this.lastTickAt = now;
    this.tickIndex += 1;
    let budget = this.o.frameSamples;

    if (!this.media) {
      // No audio negotiated (opened.media = []): let wall time run, send nothing.
      this.idleSamples += budget;
      if (this.idleSamples >= this.totalSamples) return this.startClose('end');
      return this.afterTick();
    }

    while (budget > 0 && this.state === 'OPEN') {
      const remainingMedia = this.totalSamples - this.mediaTime();
      if (remainingMedia <= 0) break;

      // Client-initiated pause/discard triggers (only while audio flows).
      if (!this.isPaused() && this.discardSim?.state !== 'active') {
        if (this.clientPause?.state === 'pending' && this.mediaTime() >= this.clientPause.at) {
          this.beginClientPause();
          continue;
        }
        if (this.discardSim?.state === 'pending' && this.mediaTime() >= this.discardSim.at) {
          this.flushAudio();
          this.discardSim.state = 'active';
          this.discardSim.remaining = this.discardSim.len;
          this.discardSim.start = this.position;
          this.log(`client discard starts at ${ah.formatSamples(this.position)} for ${ah.formatSamples(this.discardSim.len)}`);
          continue;
        }
      }

      if (this.isPaused()) {
        // Advancing pause: the position runs on (reported as discarded by resumed).
        // Frozen pause: only the sender's clock runs; position and media source stand still.
        const frozen = this.o.frozenPause;
        let n = frozen ? budget : Math.min(budget, remainingMedia);
        if (this.clientPaused) n = Math.min(n, this.clientPause.remaining);
        if (!frozen) this.pendingPause += n;
        budget -= n;
        if (this.clientPaused) {
          this.clientPause.remaining -= n;
          if (this.clientPause.remaining <= 0) this.endClientPause();
        }
        continue;
      }

      if (this.discardSim?.state === 'active') {
        const n = Math.min(budget, remainingMedia, this.discardSim.remaining);
        this.pendingDiscard += n;
        this.discardSim.remaining -= n;
        budget -= n;
        if (this.discardSim.remaining <= 0) this.finishDiscard();
        continue;
      }

      // Audio: up to the next trigger boundary.
      let n = Math.min(budget, remainingMedia);
      const mt = this.mediaTime();
      if (this.clientPause?.state === 'pending' && this.clientPause.at > mt) n = Math.min(n, this.clientPause.at - mt);
      if (this.discardSim?.state === 'pending' && this.discardSim.at > mt) n = Math.min(n, this.discardSim.at - mt);
      this.pendingAudio.push(encodeFrame(this.source, mt, n, this.media.channels));
      this.pendingAudioSamples += n;
      budget -= n;
    }
    this.flushAudio();
    if (this.state !== 'OPEN') return;
    if (this.totalSamples - this.mediaTime() <= 0) return this.startClose('end');
    this.afterTick();
  }

  enterPaused() {
    // Called when the stream goes from playing to paused.
    this.flushAudio();
    if (this.discardSim?.state === 'active') this.finishDiscard();
    this.pauseStart = this.position;
    this.pendingPause = 0;
    this.sendMessage('paused', {});
  }

  beginClientPause() {
    const wasPaused = this.isPaused();
    this.clientPause.state = 'active';
    this.clientPause.remaining = this.clientPause.len;
    this.clientPaused = true;
    this.log(`client-initiated pause at ${ah.formatSamples(this.mediaTime())} for ${ah.formatSamples(this.clientPause.len)}`);
    if (!wasPaused) this.enterPaused();
  }

  endClientPause() {
    this.clientPause.state = 'done';
    this.clientPaused = false;
    if (this.serverPaused) this.log('client pause over, still paused by the server');
    else this.sendResumed('client');
  }

  sendResumed(initiator) {
    const start = this.pauseStart;
    const gap = this.pendingPause;
    this.pendingPause = 0;
    this.position += gap;
    this.pausedSamples += gap;
    this.pauses.push({ initiator, start: ah.formatSamples(start), discarded: ah.formatSamples(gap) });
    this.log(`resumed: start ${ah.formatSamples(start)}, discarded ${ah.formatSamples(gap)}`);
    this.sendMessage('resumed', { start: ah.formatSamples(start), discarded: ah.formatSamples(gap) });
  }

  finishDiscard() {
    const start = this.discardSim.start;
    const len = this.pendingDiscard;
    this.discardSim.state = 'done';
    this.pendingDiscard = 0;
    if (len === 0) return;
    this.sendDiscarded(start, len, 'client');
  }

  sendDiscarded(start, len, why) {
    this.position += len;
    this.discardedSamples += len;
    this.discardedSpans.push({ why, start: ah.formatSamples(start), discarded: ah.formatSamples(len) });
    this.log(`discarded: start ${ah.formatSamples(start)}, discarded ${ah.formatSamples(len)} (${why})`);
    this.sendMessage('discarded', { start: ah.formatSamples(start), discarded: ah.formatSamples(len) });
  }

  // ---- ping / pong -------------------------------------------------------------------------

  sendPing() {
    // No new pings once close is sent (a pong could otherwise cross `closed`); a ping that is
    // already outstanding is still answered before `closed`, and its 5 s timer keeps running.
    if (this.state !== 'OPEN') return;
    if (this.pingOutstanding) return; // the pong timer handles a missing pong
    const params = {};
    if (this.lastRttNs !== null) params.rtt = ah.formatDurationNs(this.lastRttNs);
    if (!this.sendMessage('ping', params)) return;
    this.pingsSent += 1;
    this.pingOutstanding = { seq: this.seq, sentNs: process.hrtime.bigint() };
    this.pongTimer = this.timer(() => {
      this.pongTimer = null;
      if (this.pingOutstanding) {
        this.pingOutstanding = null;
        this.stopPings();
        this.violation(408, 'Timeout waiting for pong', { fatal: true });
      }
    }, PONG_TIMEOUT_MS);
  }

  stopPings() {
    this.pingTimer = this.clearTimer(this.pingTimer);
    if (this.pingInterval) {
      clearInterval(this.pingInterval);
      this.pingInterval = null;
    }
    this.pongTimer = this.clearTimer(this.pongTimer);
  }

  onPong(msg) {
    if (!this.pingOutstanding) {
      this.violation(409, `pong (seq ${msg.seq}) without an outstanding ping`, { report: true });
      return;
    }
    const ping = this.pingOutstanding;
    this.pingOutstanding = null;
    this.pongTimer = this.clearTimer(this.pongTimer);
    const rtt = process.hrtime.bigint() - ping.sentNs;
    this.lastRttNs = rtt;
    this.pongsReceived += 1;
    this.pongLatenciesMs.push(Math.round(ah.nsToMs(rtt) * 1000) / 1000);
    if (msg.clientseq !== ping.seq)
      this.violation(400, `pong clientseq ${msg.clientseq} does not match ping seq ${ping.seq}`, { report: true });
    if (this.pongsReceived === 1 && !this.pingInterval && this.state === 'OPEN') {
      // Reference client behaviour: a second ping right away (so the server gets an rtt),
      // then one every 5 s.
      this.sendPing();
      this.pingInterval = setInterval(() => this.sendPing(), PING_INTERVAL_MS);
      this.pingInterval.unref();
    }
  }

  // ---- incoming ----------------------------------------------------------------------------

  onMessage(data, isBinary) {
    if (isBinary) {
      this.serverAudioBytes += data.length;
      if (!this.o.acceptAudio && !this.sentError415) {
        this.sentError415 = true;
        this.violation(415, `binary frame of ${data.length} bytes from the server (monitor client accepts no audio)`, { report: true });
      }
      return;
    }
    const text = data.toString('utf8');
    this.debug(`<- ${text.length > 2000 ? `${text.slice(0, 2000)}...` : text}`);
    if (text.length > MAX_TEXT_CHARS) return this.violation(413, `text message of ${text.length} characters exceeds ${MAX_TEXT_CHARS}`, { fatal: true });
    let msg;
    try {
      msg = JSON.parse(text);
    } catch (e) {
      return this.violation(400, `server message is not valid JSON: ${e.message}`, { fatal: true });
    }
    if (!ah.isPlainObject(msg)) return this.violation(400, 'server message is not a JSON object', { fatal: true });

    // Envelope (sec. 2.1)
    const problems = [];
    if (msg.version !== ah.PROTOCOL_VERSION) problems.push(`version ${JSON.stringify(msg.version)} is not the string "2"`);
    if (msg.id !== this.sessionId) problems.push(`id ${JSON.stringify(msg.id)} is not the session id ${this.sessionId}`);
    if (typeof msg.type !== 'string' || msg.type === '') problems.push('type is not a non-empty string');
    if (!Number.isSafeInteger(msg.seq) || msg.seq < 1) problems.push(`seq ${JSON.stringify(msg.seq)} is not an integer >= 1`);
    if (!Number.isSafeInteger(msg.clientseq) || msg.clientseq < 0) problems.push(`clientseq ${JSON.stringify(msg.clientseq)} is not an integer >= 0`);
    if (!ah.isPlainObject(msg.parameters)) problems.push('parameters is missing or not an object');
    if (problems.length) return this.violation(400, `invalid ${msg.type ?? 'server'} message: ${problems.join('; ')}`, { fatal: true });

    this.serverMessageCounts[msg.type] = (this.serverMessageCounts[msg.type] ?? 0) + 1;
    if (msg.type !== 'pong' && this.serverMessages.length < MAX_RECORDED_MESSAGES)
      this.serverMessages.push({ atMs: this.ms(), type: msg.type, seq: msg.seq, clientseq: msg.clientseq, parameters: msg.parameters });

    // Sequence bookkeeping (sec. 2.2)
    if (msg.seq !== this.serverSeq + 1) {
      const expected = this.serverSeq + 1;
      this.serverSeq = msg.seq;
      return this.violation(500, `server seq ${msg.seq} where ${expected} was expected`, { fatal: true });
    }
    this.serverSeq = msg.seq;
    if (msg.clientseq > this.seq)
      return this.violation(400, `clientseq ${msg.clientseq} is larger than the last client seq sent (${this.seq})`, { fatal: true });
    if (msg.clientseq < this.lastClientseqSeen)
      return this.violation(400, `clientseq went backwards (${msg.clientseq} after ${this.lastClientseqSeen})`, { fatal: true });
    this.lastClientseqSeen = msg.clientseq;
    if ('position' in msg) this.violation(400, `server ${msg.type} message carries a position member (client->server only)`);
    if ('serverseq' in msg) this.violation(400, `server ${msg.type} message carries a serverseq member (client->server only)`);

    if (this.state === 'CLOSED' || this.state === 'DISCONNECTED')
      return this.violation(409, `${msg.type} received after closed`);

    switch (msg.type) {
      case 'opened':
        return this.onOpened(msg);
      case 'pong':
        return this.onPong(msg);
      case 'closed':
        return this.onClosed(msg);
      case 'pause':
        return this.onPause(msg);
      case 'resume':
        return this.onResume(msg);
      case 'disconnect':
        return this.onDisconnect(msg);
      case 'reconnect':
        this.reconnectRequests.push({ atMs: this.ms(), parameters: msg.parameters });
        this.log(`server asks to reconnect${msg.parameters.info ? ` (${msg.parameters.info})` : ''}; ignored (sec. 4.5)`);
        if (this.state === 'OPENING') this.violation(409, 'reconnect before opened');
        return;
      case 'event':
        return this.onEvent(msg);
      case 'updated':
        return;
      default:
        return this.violation(400, `unknown server message type ${JSON.stringify(msg.type)}`, { report: true });
    }
  }

  onOpened(msg) {
    if (this.state !== 'OPENING') return this.violation(409, `opened received in state ${this.state}`, { fatal: this.state === 'OPEN' });
    this.openTimer = this.clearTimer(this.openTimer);
    const p = msg.parameters;
    const problems = [];
    if (msg.clientseq !== 1) problems.push(`clientseq ${msg.clientseq} is not 1 (the open's seq)`);
    if (!Array.isArray(p.media)) problems.push('parameters.media is missing or not an array');
    else if (p.media.length > 1) problems.push(`parameters.media has ${p.media.length} entries (0 or 1 allowed)`);
    else if (p.media.length === 1) {
      const err = ah.checkMediaEntry(p.media[0]);
      if (err) problems.push(`parameters.media[0]: ${err}`);
      else if (!this.o.offers.some((off) => ah.sameMedia(off, p.media[0])))
        problems.push(`parameters.media[0] ${JSON.stringify(p.media[0])} is not one of the offers`);
    }
    if ('startPaused' in p && typeof p.startPaused !== 'boolean') problems.push('parameters.startPaused is not a boolean');
    let discardTo = null;
    if ('discardTo' in p) {
      discardTo = ah.parseDuration(p.discardTo);
      if (discardTo === null) problems.push(`parameters.discardTo ${JSON.stringify(p.discardTo)} is not a Duration`);
    }
    if ('supportedLanguages' in p && !(Array.isArray(p.supportedLanguages) && p.supportedLanguages.every((x) => typeof x === 'string')))
      problems.push('parameters.supportedLanguages is not an array of strings');
    // Genesys's compliance checks want the member whenever the open asked
    if (this.o.supportedLanguages && !('supportedLanguages' in p))
      problems.push('the open asked for supportedLanguages; opened has none');
    if (problems.length) return this.violation(400, `invalid opened: ${problems.join('; ')}`, { fatal: true });

    this.opened = { atMs: this.ms(), parameters: p };
    this.media = p.media.length ? p.media[0] : null;
    this.state = 'OPEN';
    this.log(`opened: media ${this.media ? `${this.media.format} [${this.media.channels.join(',')}]` : 'none'}${p.startPaused ? ', startPaused' : ''}${discardTo !== null ? `, discardTo ${p.discardTo}` : ''}`);

    if (this.o.emptyFrame && this.media) {
      this.ws.send(Buffer.alloc(0), { binary: true });
      this.emptyFramesSent += 1;
    }
    if (this.o.probe) return this.startClose('end');

    if (discardTo !== null && this.media) {
      // Skip forward on the frame grid (sec. 4.4).
      const target = Math.floor(ah.nsToSamples(discardTo) / this.o.frameSamples) * this.o.frameSamples;
      const skip = Math.min(target, this.totalSamples) - this.position;
      if (skip > 0) this.sendDiscarded(this.position, skip, 'discardTo');
    }
    if (p.startPaused === true && this.media) {
      this.serverPaused = true;
      this.log('starting paused (startPaused)');
      this.enterPaused();
    }
    this.pingTimer = this.timer(() => {
      this.pingTimer = null;
      this.sendPing();
    }, PING_FIRST_MS);
    this.startStreaming();
  }

  onPause() {
    if (this.state === 'CLOSING') return; // no audio anymore
    if (this.state !== 'OPEN') return this.violation(409, `pause received in state ${this.state}`, { report: true });
    if (!this.media) return;
    if (this.isPaused()) {
      this.serverPaused = true;
      this.sendMessage('paused', {}); // re-confirm (sec. 4.3)
      return;
    }
    this.serverPaused = true;
    this.log('server pause');
    this.enterPaused();
  }

  onResume() {
    if (this.state === 'CLOSING') return;
    if (this.state !== 'OPEN') return this.violation(409, `resume received in state ${this.state}`, { report: true });
    if (!this.media) return;
    if (this.serverPaused) {
      this.serverPaused = false;
      if (this.clientPaused) {
        this.log('server resume while client-initiated pause is active: still paused');
        this.sendMessage('paused', {});
      } else {
        this.sendResumed('server');
      }
    } else if (this.clientPaused) {
      this.sendMessage('paused', {});
    } else {
      // Not paused: re-confirm with an empty gap.
      this.sendMessage('resumed', { start: ah.formatSamples(this.position), discarded: 'PT0S' });
    }
  }

  onDisconnect(msg) {
    const p = msg.parameters;
    this.disconnect = { atMs: this.ms(), reason: p.reason, info: p.info, outputVariables: p.outputVariables };
    this.log(`server disconnect: reason ${JSON.stringify(p.reason)}${p.info ? `, info ${JSON.stringify(p.info)}` : ''}`);
    if (!['completed', 'unauthorized', 'error'].includes(p.reason))
      this.violation(400, `disconnect reason ${JSON.stringify(p.reason)} is not completed|unauthorized|error`, { report: true });
    if (this.state === 'CLOSING') return this.violation(409, 'disconnect received after close was sent');
    this.startClose('disconnect');
  }

  onEvent(msg) {
    if (this.state === 'OPENING') this.violation(409, 'event received before opened', { report: true });
    const ents = msg.parameters.entities;
    if (!Array.isArray(ents) || !ents.every((e) => ah.isPlainObject(e) && typeof e.type === 'string' && 'data' in e))
      return this.violation(400, 'event parameters.entities is not an array of {type, data}', { report: true });
    this.eventEntities += ents.length;
  }

  // ---- closing -----------------------------------------------------------------------------

  startClose(reason) {
    if (this.state !== 'OPEN' && this.state !== 'OPENING') return;
    this.stopPacing();
    this.openTimer = this.clearTimer(this.openTimer);
    if (reason === 'end') {
      this.flushAudio();
      if (this.discardSim?.state === 'active') this.finishDiscard();
    } else {
      this.pendingAudio = [];
      this.pendingAudioSamples = 0;
    }
    this.closeReasonSent = reason;
    this.log(`close (reason ${reason}) at position ${ah.formatSamples(this.position)}`);
    this.sendMessage('close', { reason });
    this.state = 'CLOSING';
    this.closeTimer = this.timer(() => {
      if (this.state !== 'CLOSING') return;
      this.closeResult = 'timeout';
      this.violation(408, `no closed within ${CLOSE_TIMEOUT_MS / 1000} s after close`, { report: true });
      this.dropSocket();
    }, CLOSE_TIMEOUT_MS);
  }

  onClosed() {
    if (this.state !== 'CLOSING') return this.violation(409, `closed received in state ${this.state} (no close was sent)`, { fatal: true });
    this.closeTimer = this.clearTimer(this.closeTimer);
    this.closedReceived = true;
    this.closeResult = 'closed';
    this.state = 'CLOSED';
    this.stopPings();
    this.log('closed received, closing the WebSocket');
    this.ws.close(1000);
    this.timer(() => this.ws.terminate(), 3000);
  }

  dropSocket() {
    this.state = this.state === 'CONNECTING' ? 'CONNECTING' : 'CLOSED';
    this.stopPings();
    if (!this.ws) return;
    try {
      this.ws.close(1000);
    } catch {
      /* ignore */
    }
    this.timer(() => this.ws.terminate(), 1000);
  }

  onSocketClose(code, reason) {
    this.wsClose = { code, reason };
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.tickTimer = null;
    this.stopPacing();
    this.stopPings();
    if (this.state === 'CONNECTING' && this.httpStatus === null) {
      this.closeResult = 'connect-failed';
      this.warn(`could not connect: ${this.socketError ?? `socket closed (${code})`}`);
    } else if (this.state !== 'CLOSED' && this.state !== 'DISCONNECTED' && this.state !== 'CONNECTING') {
      this.closeResult = this.closeResult ?? 'connection-lost';
      this.violations.push({
        atMs: this.ms(),
        code: 0,
        message: `WebSocket connection ended in state ${this.state} (code ${code}${reason ? `, ${reason}` : ''}) before the close transaction completed`,
        fatal: true,
      });
      this.warn(`connection lost in state ${this.state} (WebSocket code ${code})`);
    }
    this.state = 'DISCONNECTED';
    this.finish();
  }

  // ---- result ------------------------------------------------------------------------------

  clean() {
    if (this.o.expectStatus !== undefined) return this.httpStatus === this.o.expectStatus && this.violations.length === 0;
    return (
      this.violations.length === 0 &&
      this.opened !== null &&
      this.closedReceived &&
      (this.disconnect === null || this.disconnect.reason === 'completed')
    );
  }

  report() {
    return {
      tool: 'audiohook-client.mjs',
      url: `${this.o.url.origin}${this.o.url.pathname}${this.o.url.search}`,
      sessionId: this.sessionId,
      correlationId: this.correlationId,
      organizationId: this.o.orgId,
      conversationId: this.conversationId,
      probe: this.o.probe,
      signed: Boolean(this.signed),
      httpStatus: this.httpStatus,
      httpBody: this.httpStatus !== 101 ? this.httpBody : undefined,
      source: this.source.description,
      frameMs: this.o.frameMs,
      offeredMedia: this.o.offers,
      openedMedia: this.opened ? this.opened.parameters.media : null,
      openedParameters: this.opened ? this.opened.parameters : null,
      framesSent: this.framesSent,
      emptyFramesSent: this.emptyFramesSent,
      bytesSent: this.bytesSent,
      samplesSent: this.samplesSent, // sample frames (per channel) of audio sent
      channels: this.media ? this.media.channels.length : 0,
      dump: this.o.dump ? { file: this.o.dump, bytes: this.dumpBytes } : null,
      sender: {
        pace: this.o.pace,
        driftPpm: this.o.driftPpm,
        lateTimerMs: this.o.lateTimerMs,
        jitterMs: this.o.jitterMs,
        stallAt: this.o.stallAt ?? null,
        stallMs: this.o.stallAt !== undefined ? (this.o.stallMs ?? 1000) : null,
        seed: this.o.seed ?? 1,
        frozenPause: this.o.frozenPause,
        ticks: this.tickIndex,
        maxLatenessMs: Math.round(this.maxLatenessMs * 1000) / 1000,
        lastLatenessMs: Math.round(this.lastLatenessMs * 1000) / 1000,
        largestBurst: this.largestBurst,
      },
      discardedSamples: this.discardedSamples,
      pausedSamples: this.pausedSamples,
      unreportedPausedSamples: this.pendingPause,
      finalPositionSamples: this.position,
      finalPosition: ah.formatSamples(this.position),
      discardedSpans: this.discardedSpans,
      pauses: this.pauses,
      pingsSent: this.pingsSent,
      pongsReceived: this.pongsReceived,
      pongLatenciesMs: this.pongLatenciesMs,
      serverAudioBytes: this.serverAudioBytes,
      serverMessageCounts: this.serverMessageCounts,
      serverEvents: this.serverMessages,
      eventEntities: this.eventEntities,
      disconnect: this.disconnect,
      reconnectRequests: this.reconnectRequests,
      violations: this.violations,
      closeReasonSent: this.closeReasonSent,
      closedReceived: this.closedReceived,
      closeResult: this.closeResult,
      wsClose: this.wsClose,
      socketError: this.socketError,
      interrupted: Boolean(this.interrupted),
      clean: this.clean(),
      durationMs: this.ms(),
    };
  }

  finish() {
    if (this.finished) return;
    this.finished = true;
    if (this.dumpFd !== null) {
      fs.closeSync(this.dumpFd);
      this.dumpFd = null;
    }
    const rep = this.report();
    if (this.o.report) writeJsonAtomic(this.o.report, rep);
    const summary = `${rep.clean ? 'CLEAN' : 'NOT CLEAN'}: ${this.framesSent} frames, ${this.bytesSent} bytes, position ${rep.finalPosition}, ${this.pongsReceived}/${this.pingsSent} pongs, ${this.violations.length} violation(s), close ${this.closeReasonSent ?? '-'} -> ${this.closeResult ?? '-'}`;
    if (rep.clean) this.log(summary);
    else process.stderr.write(`[client ${this.sessionId.slice(0, 8)}] ${summary}\n`);
    process.exitCode = rep.clean ? 0 : 1;
  }
}

function writeJsonAtomic(file, obj) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(obj, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

// ---------------------------------------------------------------------------------------------

function main() {
  let opts;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`audiohook-client: ${e.message}\n(see --help)\n`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
  if (opts.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (opts['self-test']) {
    process.exitCode = runSelfTest();
    return;
  }
  let source;
  try {
    const maxSamples = opts.seconds !== undefined ? Math.round(opts.seconds * ah.SAMPLE_RATE) : undefined;
    if (opts.wav) source = new WavSource(opts.wav, opts.stereo, maxSamples);
    else {
      const f = opts.tone ?? 440;
      const f2 = opts.stereo ? (opts.tone2 ?? Math.min(2 * f, 3999)) : f;
      source = new ToneSource(f, f2, maxSamples ?? 5 * ah.SAMPLE_RATE);
    }
  } catch (e) {
    process.stderr.write(`audiohook-client: ${e.message}\n`);
    process.exitCode = 2;
    return;
  }
  const session = new ClientSession(opts, source);
  if (opts.dump) {
    try {
      session.dumpFd = fs.openSync(opts.dump, 'w');
    } catch (e) {
      process.stderr.write(`audiohook-client: --dump: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
  }
  const onSignal = () => {
    session.warn('interrupted');
    session.interrupted = true;
    if (session.state === 'OPEN' || session.state === 'OPENING') session.startClose('end');
    else session.dropSocket();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  session.start();
}

main();
