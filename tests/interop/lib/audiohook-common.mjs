// SPDX-License-Identifier: LGPL-2.1-or-later
// Shared helpers for the independent AudioHook v2 peers (client and server simulators).
// Written from shared/docs/audiohook-protocol.md (shared protocol notes) only; it shares no code
// with the C implementation under gst/.
//
// Contents: Duration strings (sec. 3.4), UUID checks (sec. 2.1), G.711 mu-law (sec. 3.1),
// a small RFC 8941 structured-field parser/serializer and the HTTP message signature base
// (sec. 1.4).

import crypto from 'node:crypto';

export const PROTOCOL_VERSION = '2';
export const SAMPLE_RATE = 8000;
export const NS_PER_SECOND = 1_000_000_000n;
export const NS_PER_SAMPLE = NS_PER_SECOND / BigInt(SAMPLE_RATE); // 125000 ns at 8 kHz
export const NULL_UUID = '00000000-0000-0000-0000-000000000000';

// ---------------------------------------------------------------------------------------------
// UUIDs (sec. 2.1: RFC 4122 form, version nibble 1-5, or the null UUID)

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(s) {
  return typeof s === 'string' && (s === NULL_UUID || UUID_RE.test(s));
}

// ---------------------------------------------------------------------------------------------
// Duration strings (sec. 3.4): ^PT(?:\d*\.)?\d+S$, parsed to integer nanoseconds (BigInt).

const DURATION_RE = /^PT(?:(\d*)\.)?(\d+)S$/;

/** Parse a Duration string to BigInt nanoseconds; returns null when invalid. */
export function parseDuration(s) {
  if (typeof s !== 'string') return null;
  const m = DURATION_RE.exec(s);
  if (!m) return null;
  let intPart;
  let fracPart;
  if (m[1] === undefined) {
    intPart = m[2];
    fracPart = '';
  } else {
    intPart = m[1] === '' ? '0' : m[1];
    fracPart = m[2];
  }
  let ns = BigInt(intPart) * NS_PER_SECOND;
  if (fracPart.length > 0) {
    // Round half up to whole nanoseconds when more than 9 fractional digits are given.
    const nine = (fracPart + '000000000').slice(0, 9);
    ns += BigInt(nine);
    if (fracPart.length > 9 && fracPart.charCodeAt(9) >= 0x35 /* '5' */) ns += 1n;
  }
  return ns;
}

/** Format BigInt nanoseconds (>= 0) as the shortest exact Duration string. */
export function formatDurationNs(ns) {
  if (typeof ns !== 'bigint') ns = BigInt(ns);
  if (ns < 0n) throw new RangeError('negative duration');
  const sec = ns / NS_PER_SECOND;
  const frac = ns % NS_PER_SECOND;
  if (frac === 0n) return `PT${sec}S`;
  const fracStr = frac.toString().padStart(9, '0').replace(/0+$/, '');
  return `PT${sec}.${fracStr}S`;
}

export function samplesToNs(samples) {
  return BigInt(samples) * NS_PER_SAMPLE;
}

export function formatSamples(samples) {
  return formatDurationNs(samplesToNs(samples));
}

/** Nanoseconds to a sample count at 8 kHz, rounded to the nearest sample. */
export function nsToSamples(ns) {
  return Number((ns + NS_PER_SAMPLE / 2n) / NS_PER_SAMPLE);
}

export function nsToMs(ns) {
  return Number(ns) / 1e6;
}

// ---------------------------------------------------------------------------------------------
// G.711 mu-law (ITU-T G.711, the classic Sun/CCITT reference algorithm)

const MULAW_BIAS = 0x84;
const MULAW_CLIP = 32635;

export function linearToMulaw(sample) {
  let s = Math.max(-32768, Math.min(32767, Math.round(sample)));
  let sign = 0;
  if (s < 0) {
    sign = 0x80;
    s = -s;
  }
  if (s > MULAW_CLIP) s = MULAW_CLIP;
  s += MULAW_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

export function mulawToLinear(byte) {
  const u = ~byte & 0xff;
  const sign = u & 0x80;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + MULAW_BIAS) << exponent) - MULAW_BIAS;
  return sign ? -magnitude : magnitude;
}

export const MULAW_DECODE_TABLE = Int16Array.from({ length: 256 }, (_, i) => mulawToLinear(i));

// ---------------------------------------------------------------------------------------------
// RFC 8941 structured fields: the subset needed for Signature-Input / Signature dictionaries.
// Bare items are represented as { type, value } so they can be re-serialized exactly.

export class SfParseError extends Error {}

class SfParser {
  constructor(text) {
    this.s = text;
    this.i = 0;
  }
  fail(msg) {
    throw new SfParseError(`${msg} at offset ${this.i}`);
  }
  skipSp() {
    while (this.s[this.i] === ' ') this.i++;
  }
  skipOws() {
    while (this.s[this.i] === ' ' || this.s[this.i] === '\t') this.i++;
  }
  eof() {
    return this.i >= this.s.length;
  }
  parseKey() {
    const c = this.s[this.i];
    if (!c || !/[a-z*]/.test(c)) this.fail('expected key');
    const start = this.i;
    while (this.i < this.s.length && /[a-z0-9_\-.*]/.test(this.s[this.i])) this.i++;
    return this.s.slice(start, this.i);
  }
  parseBareItem() {
    const c = this.s[this.i];
    if (c === '"') return this.parseString();
    if (c === ':') return this.parseBytes();
    if (c === '?') return this.parseBoolean();
    if (c === '-' || (c >= '0' && c <= '9')) return this.parseNumber();
    if (c && /[A-Za-z*]/.test(c)) return this.parseToken();
    return this.fail('unexpected character in bare item');
  }
  parseString() {
    this.i++; // opening quote
    let out = '';
    for (;;) {
      if (this.eof()) this.fail('unterminated string');
      const c = this.s[this.i++];
      if (c === '\\') {
        const n = this.s[this.i++];
        if (n !== '"' && n !== '\\') this.fail('bad escape in string');
        out += n;
      } else if (c === '"') {
        return { type: 'string', value: out };
      } else {
        const code = c.charCodeAt(0);
        if (code < 0x20 || code > 0x7e) this.fail('non-printable character in string');
        out += c;
      }
    }
  }
  parseBytes() {
    this.i++;
    const end = this.s.indexOf(':', this.i);
    if (end < 0) this.fail('unterminated byte sequence');
    const b64 = this.s.slice(this.i, end);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) this.fail('bad base64 in byte sequence');
    this.i = end + 1;
    return { type: 'bytes', value: Buffer.from(b64, 'base64') };
  }
  parseBoolean() {
    this.i++;
    const c = this.s[this.i++];
    if (c === '1') return { type: 'boolean', value: true };
    if (c === '0') return { type: 'boolean', value: false };
    return this.fail('bad boolean');
  }
  parseNumber() {
    const m = /^-?\d{1,15}(?:\.\d{1,3})?/.exec(this.s.slice(this.i));
    if (!m) this.fail('bad number');
    this.i += m[0].length;
    if (m[0].includes('.')) return { type: 'decimal', value: Number(m[0]) };
    return { type: 'integer', value: Number(m[0]) };
  }
  parseToken() {
    const start = this.i;
    while (this.i < this.s.length && /[A-Za-z0-9!#$%&'*+\-.^_`|~:/]/.test(this.s[this.i])) this.i++;
    return { type: 'token', value: this.s.slice(start, this.i) };
  }
  parseParams() {
    const params = [];
    while (this.s[this.i] === ';') {
      this.i++;
      this.skipSp();
      const key = this.parseKey();
      let value = { type: 'boolean', value: true };
      if (this.s[this.i] === '=') {
        this.i++;
        value = this.parseBareItem();
      }
      const existing = params.findIndex((p) => p.key === key);
      if (existing >= 0) params.splice(existing, 1);
      params.push({ key, value });
    }
    return params;
  }
  parseItemOrInnerList() {
    if (this.s[this.i] === '(') {
      this.i++;
      const items = [];
      for (;;) {
        this.skipSp();
        if (this.s[this.i] === ')') {
          this.i++;
          return { innerList: items, params: this.parseParams() };
        }
        const item = this.parseBareItem();
        items.push({ item, params: this.parseParams() });
        const c = this.s[this.i];
        if (c !== ' ' && c !== ')') this.fail('expected space or ) in inner list');
      }
    }
    const item = this.parseBareItem();
    return { item, params: this.parseParams() };
  }
  parseDictionary() {
    const dict = new Map();
    this.skipSp();
    if (this.eof()) return dict;
    for (;;) {
      const key = this.parseKey();
      let member;
      if (this.s[this.i] === '=') {
        this.i++;
        member = this.parseItemOrInnerList();
      } else {
        member = { item: { type: 'boolean', value: true }, params: this.parseParams() };
      }
      dict.delete(key);
      dict.set(key, member);
      this.skipOws();
      if (this.eof()) return dict;
      if (this.s[this.i] !== ',') this.fail('expected , between dictionary members');
      this.i++;
      this.skipOws();
      if (this.eof()) this.fail('trailing comma in dictionary');
    }
  }
}

/** Parse an RFC 8941 dictionary header value; throws SfParseError. */
export function parseSfDictionary(text) {
  const p = new SfParser(String(text).trim());
  return p.parseDictionary();
}

export function serializeBareItem(item) {
  switch (item.type) {
    case 'string':
      return `"${item.value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    case 'token':
      return item.value;
    case 'integer':
      return String(item.value);
    case 'decimal': {
      const s = (Math.round(item.value * 1000) / 1000).toFixed(3).replace(/0{1,2}$/, '');
      return s;
    }
    case 'boolean':
      return item.value ? '?1' : '?0';
    case 'bytes':
      return `:${item.value.toString('base64')}:`;
    default:
      throw new Error(`cannot serialize item of type ${item.type}`);
  }
}

export function serializeParams(params) {
  return params
    .map(({ key, value }) =>
      value.type === 'boolean' && value.value === true ? `;${key}` : `;${key}=${serializeBareItem(value)}`,
    )
    .join('');
}

export function serializeInnerList(member) {
  const items = member.innerList.map((e) => serializeBareItem(e.item) + serializeParams(e.params)).join(' ');
  return `(${items})${serializeParams(member.params)}`;
}

// ---------------------------------------------------------------------------------------------
// HTTP message signatures (sec. 1.4)

/** Component order emitted by the reference client. */
export const SIGNED_COMPONENTS = [
  '@request-target',
  '@authority',
  'audiohook-organization-id',
  'audiohook-session-id',
  'audiohook-correlation-id',
  'x-api-key',
];

/** Header value canonicalisation for signature components: trim, collapse obs-fold. */
export function canonicalHeaderValue(v) {
  if (Array.isArray(v)) v = v.map((x) => canonicalHeaderValue(x)).join(', ');
  return String(v).replace(/\r?\n[ \t]+/g, ' ').trim();
}

/**
 * Build the signature base.
 * @param {string[]} components  component identifiers in signing order
 * @param {(name:string)=>string|undefined} valueOf  value lookup for each component
 * @param {string} signatureParams  serialized inner list with parameters (what follows "sig1=")
 * @returns {string} the base (lines joined by LF, no trailing LF)
 */
export function buildSignatureBase(components, valueOf, signatureParams) {
  const lines = [];
  for (const name of components) {
    const value = valueOf(name);
    if (value === undefined || value === null) throw new Error(`signature component ${name} has no value`);
    lines.push(`"${name}": ${value}`);
  }
  lines.push(`"@signature-params": ${signatureParams}`);
  return lines.join('\n');
}

/** Serialize the signature parameters inner list the way the reference client does. */
export function serializeSignatureParams(components, { keyid, nonce, alg, created, expires }) {
  const member = {
    innerList: components.map((c) => ({ item: { type: 'string', value: c }, params: [] })),
    params: [],
  };
  if (keyid !== undefined) member.params.push({ key: 'keyid', value: { type: 'string', value: keyid } });
  if (nonce !== undefined) member.params.push({ key: 'nonce', value: { type: 'string', value: nonce } });
  if (alg !== undefined) member.params.push({ key: 'alg', value: { type: 'string', value: alg } });
  if (created !== undefined) member.params.push({ key: 'created', value: { type: 'integer', value: created } });
  if (expires !== undefined) member.params.push({ key: 'expires', value: { type: 'integer', value: expires } });
  return serializeInnerList(member);
}

export function hmacSha256(key, data) {
  return crypto.createHmac('sha256', key).update(data, 'utf8').digest();
}

/**
 * Decode a client secret as configured in Genesys: base64 text -> raw key bytes.
 * Returns null for invalid base64.
 */
export function decodeClientSecret(secret) {
  const s = String(secret).trim();
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s)) return null;
  const key = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (s.length > 0 && key.length === 0) return null;
  return key;
}

// ---------------------------------------------------------------------------------------------
// misc

export function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function isNonNegInt(v) {
  return Number.isSafeInteger(v) && v >= 0;
}

export const MEDIA_FORMATS = new Set(['PCMU', 'L16']);
export const CHANNEL_NAMES = new Set(['external', 'internal']);

/** Validate a media entry (sec. 2.4 / 3.1); returns an error string or null. */
export function checkMediaEntry(m) {
  if (!isPlainObject(m)) return 'media entry is not an object';
  if (m.type !== 'audio') return `media type ${JSON.stringify(m.type)} is not "audio"`;
  if (!MEDIA_FORMATS.has(m.format)) return `media format ${JSON.stringify(m.format)} is not PCMU or L16`;
  if (m.rate !== SAMPLE_RATE) return `media rate ${JSON.stringify(m.rate)} is not 8000`;
  if (!Array.isArray(m.channels) || m.channels.length < 1 || m.channels.length > 2)
    return 'media channels must be an array of 1 or 2 entries';
  for (const c of m.channels) if (!CHANNEL_NAMES.has(c)) return `unknown channel ${JSON.stringify(c)}`;
  if (m.channels.length === 2 && m.channels[0] === m.channels[1]) return 'media channels repeat a channel';
  return null;
}

export function sameMedia(a, b) {
  return (
    a.type === b.type &&
    a.format === b.format &&
    a.rate === b.rate &&
    Array.isArray(a.channels) &&
    Array.isArray(b.channels) &&
    a.channels.length === b.channels.length &&
    a.channels.every((c, i) => c === b.channels[i])
  );
}

export function bytesPerSample(format) {
  return format === 'L16' ? 2 : 1;
}

export function timestamp() {
  return new Date().toISOString();
}

/** Shallow-redact anything that looks like a secret before logging/reporting options. */
export function redactOptions(opts, secretKeys = ['client-secret', 'clientSecret', 'api-key', 'apiKey']) {
  const out = {};
  for (const [k, v] of Object.entries(opts)) {
    if (v === undefined) continue;
    out[k] = secretKeys.includes(k) ? (v ? '<redacted>' : '') : v;
  }
  return out;
}
