#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// AudioHook load generator: N Genesys-like clients in one Node process, for the
// scale benchmark (bench-scale.sh) and the fault soak (soak.sh). Independent of
// gst/: written from shared/docs/audiohook-protocol.md, on npm `ws` (installed by
// `npm ci` in tests/interop).
//
//   node ah-load.mjs --url ws://127.0.0.1:9000/ws --clients 1000 --duration 60 \
//        [--server-pid PID] [--report out.json]
//   node ah-load.mjs --soak --url ws://127.0.0.1:9100/ws --clients 200 --duration 600 ...
//
// Every client: upgrade headers as a Genesys client sends them (org, session and
// correlation ids, X-API-KEY), `open` offering stereo PCMU 8 kHz (plus the two
// mono offers), then 3200-byte stereo PCMU frames every 200 ms in real time and a
// protocol `ping` every 5 s (the first one 1 s after `opened`), timing each
// `pong`. Starts are spread over --ramp seconds.
//
// Bench mode (default): every client streams until the same wall-clock end, then
// sends `close` and waits for `closed`. The steady window starts --settle seconds
// after the last client got `opened` and ends when the clients start closing;
// with --server-pid the server's CPU time (/proc/PID/stat utime+stime, all
// threads) and RSS (/proc/PID/status VmRSS) are sampled at its edges, and RSS
// once before the first client connects (idle) and every second during it.
//
// Soak mode (--soak): each client is a series of calls of random length
// (--call-min..--call-max s). When a connection fails (closed without `closed`,
// an error, or a pong more than --pong-timeout-ms late) the client drops it and
// reconnects with a new session id whose `open` carries continuedSessions
// [{id, serverseq, clientseq}] of the previous session and the position reached
// so far; the audio that fell due while it was disconnected (or could not be
// written: more than --max-buffered bytes queued) is reported with one
// `discarded` {start, discarded} right after `opened`. So the timeline of every
// call is covered: audio sent + spans reported discarded + audio lost in flight
// (the server sees the jump of the continued session's open position).
//
// Output: a progress line on stderr every --progress s, and a JSON summary on
// stdout (and in --report FILE).
//
// A server `reconnect` (a draining instance) is obeyed in soak mode: the
// session closes with reason "reconnect" and the call goes on at once on a
// new connection that continues it (through a balancer: another instance);
// the audio that fell due meanwhile is reported discarded. --ignore-reconnect
// only logs it, as the Genesys reference client does.

import { parseArgs } from 'node:util';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ws as WsPackage, mulberry32 } from './bench-common.mjs';
import { SAMPLE_RATE as RATE, linearToMulaw, formatSamples as fmtSamples } from '../interop/lib/audiohook-common.mjs';

const WebSocket = WsPackage;

const { values: v } = parseArgs({
  options: {
    url: { type: 'string' },
    clients: { type: 'string', default: '100' },
    duration: { type: 'string', default: '60' },
    ramp: { type: 'string' },
    settle: { type: 'string', default: '3' },
    'frame-ms': { type: 'string', default: '200' },
    pacing: { type: 'string', default: 'own' },
    'ping-ms': { type: 'string', default: '5000' },
    'first-ping-ms': { type: 'string', default: '1000' },
    'pong-timeout-ms': { type: 'string', default: '5000' },
    'ignore-reconnect': { type: 'boolean', default: false },
    'max-buffered': { type: 'string', default: '65536' },
    'api-key': { type: 'string', default: 'load-test-key' },
    'server-pid': { type: 'string' },
    soak: { type: 'boolean', default: false },
    'call-min': { type: 'string', default: '60' },
    'call-max': { type: 'string', default: '240' },
    seed: { type: 'string', default: '1' },
    progress: { type: 'string', default: '10' },
    report: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (v.help || !v.url) {
  process.stderr.write('usage: node ah-load.mjs --url ws://HOST:PORT/PATH [--clients N] [--duration S] [--ramp S]\n' +
    '  [--settle S] [--server-pid PID] [--soak --call-min S --call-max S --seed N] [--report FILE] [--progress S]\n' +
    '  [--pacing own|tick]  own (default): every session on its own timer, random phase, as Genesys media\n' +
    '                       servers send; tick: all sessions from one shared 10 ms tick (frames arrive in clumps)\n');
  process.exit(v.help ? 0 : 2);
}
const URL_ = new URL(v.url);
const N = Number(v.clients);
const DURATION_MS = Number(v.duration) * 1000;
const RAMP_MS = (v.ramp !== undefined ? Number(v.ramp) : Math.max(3, N / 200)) * 1000;
const SETTLE_MS = Number(v.settle) * 1000;
const FRAME_MS = Number(v['frame-ms']);
const FRAME_SAMPLES = (RATE * FRAME_MS) / 1000;
const FRAME_BYTES = FRAME_SAMPLES * 2; // stereo PCMU
const PING_MS = Number(v['ping-ms']);
const FIRST_PING_MS = Number(v['first-ping-ms']);
const PONG_TIMEOUT_MS = Number(v['pong-timeout-ms']);
const MAX_BUFFERED = Number(v['max-buffered']);
const SERVER_PID = v['server-pid'] ? Number(v['server-pid']) : null;
const SOAK = v.soak;
const CALL_MIN_MS = Number(v['call-min']) * 1000;
const CALL_MAX_MS = Number(v['call-max']) * 1000;
const OPEN_TIMEOUT_MS = 5000;
const CLOSE_TIMEOUT_MS = 10000;
const PACING = v.pacing;
if (PACING !== 'own' && PACING !== 'tick') {
  process.stderr.write(`--pacing: "${PACING}" is neither own nor tick\n`);
  process.exit(2);
}
const TICK_MS = 10;
const SLOTS = Math.max(1, Math.round(FRAME_MS / TICK_MS));

// deterministic randomness (call lengths, backoff jitter)
const rng = mulberry32(Number(v.seed) * 2654435761);
// the sessions' phases (--pacing own), apart so call lengths stay as they were
const phaseRng = mulberry32(Number(v.seed) * 2246822519 + 1);

// ---- one shared audio frame: a stereo PCMU tone (external 440 Hz, internal 880 Hz) ----
const FRAME = Buffer.alloc(FRAME_BYTES);
// Offset tones, far from zero: no sample encodes to mu-law silence (0xFF, 0x7F), so
// silence in a recording of this audio is a gap (soak.sh counts it that way).
for (let i = 0; i < FRAME_SAMPLES; i++) {
  FRAME[2 * i] = linearToMulaw(Math.round(9000 + 5000 * Math.sin((2 * Math.PI * 440 * i) / RATE)));
  FRAME[2 * i + 1] = linearToMulaw(Math.round(-9000 + 5000 * Math.sin((2 * Math.PI * 880 * i) / RATE)));
}
const OFFERS = [
  { type: 'audio', format: 'PCMU', channels: ['external', 'internal'], rate: RATE },
  { type: 'audio', format: 'PCMU', channels: ['external'], rate: RATE },
  { type: 'audio', format: 'PCMU', channels: ['internal'], rate: RATE },
];
const ORG_ID = crypto.randomUUID();

// ---- /proc sampling of the server under test ----
function procCpuTicks(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
  } catch {
    return null;
  }
}
function procRssKiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

// ---- statistics ----
const stats = {
  connects: 0,
  upgradeFailures: 0,
  opened: 0,
  framesSent: 0,
  samplesSent: 0,
  framesSkipped: 0, // fell due while not connected or the socket was backed up
  samplesDiscardedReported: 0,
  pingsSent: 0,
  pongs: 0,
  latePongs: 0,
  latencies: [],
  latenciesSteady: [],
  closedOk: 0,
  closeTimeouts: 0,
  openTimeouts: 0,
  connectionsLost: 0,
  moved: 0, // sessions closed with reason reconnect for a server's reconnect
  reconnects: 0,
  continuedOpens: 0,
  disconnects: 0,
  refusals: {},
  violations: 0,
  callsStarted: 0,
  callsCompleted: 0,
  callsFailed: 0,
  timelineSamplesCompleted: 0, // sum of final positions of completed calls
  timelineSamplesFailed: 0, // last position reached by failed calls
};
const failures = [];
const callRecords = []; // soak: {id: the call's first session id, samples: its final position, ok}
function note(list, what) {
  if (list.length < 50) list.push(what);
}

const T0 = performance.now();
const now = () => performance.now() - T0;
let steady = { begin: null, end: null };
let phase = 'ramp';

// ---- the shared timing wheel: slot k holds the clients whose frames fall due at k*TICK_MS mod FRAME_MS ----
const wheel = Array.from({ length: SLOTS }, () => new Set());
function slotOf(t) {
  return Math.floor(t / TICK_MS) % SLOTS;
}

class Client {
  constructor(index) {
    this.index = index;
    this.ws = null;
    this.state = 'IDLE';
    this.slot = -1;
    this.timer = null;
    this.call = null;
  }

  // --pacing own: wake when the next frame falls due, on a timer of this
  // session's own (which, like a media server's, may run late)
  schedule() {
    const c = this.call;
    if (!c || c.start === null) return;
    const next = c.start + c.framesDue * FRAME_MS;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.onSlot(now());
      if (this.call === c) this.schedule();
    }, Math.max(0, next - now()));
  }

  // a call: one timeline, possibly over several sessions
  startCall(lengthMs) {
    stats.callsStarted++;
    this.call = {
      startedAt: now(),
      conversationId: crypto.randomUUID(),
      participantId: crypto.randomUUID(),
      start: null, // time of the first opened: the timeline's origin
      endAt: null,
      lengthMs,
      position: 0, // samples covered by what was sent or reported
      pendingDiscard: 0,
      framesDue: 0,
      prev: null, // {id, serverseq, clientseq}
      attempts: 0,
      firstFailAt: null,
    };
    this.connect();
  }

  connect() {
    const c = this.call;
    this.sessionId = crypto.randomUUID();
    this.seq = 0;
    this.serverSeq = 0;
    this.ping = null;
    this.nextPingAt = 0;
    this.state = 'CONNECTING';
    this.connectAt = now();
    stats.connects++;
    const ws = new WebSocket(URL_, {
      headers: {
        'User-Agent': 'GenesysCloud-AudioHook-Client (gst-genesys load generator)',
        'Audiohook-Organization-Id': ORG_ID,
        'Audiohook-Session-Id': this.sessionId,
        'Audiohook-Correlation-Id': crypto.randomUUID(),
        'X-API-KEY': v['api-key'],
      },
      perMessageDeflate: false,
      handshakeTimeout: 10000,
      followRedirects: false,
      // an all-zero masking key: ws then skips the XOR (less client CPU); allowed by RFC 6455
      generateMask: (m) => m.fill(0),
    });
    this.ws = ws;
    ws.on('unexpected-response', (req, res) => {
      stats.upgradeFailures++;
      stats.refusals[res.statusCode] = (stats.refusals[res.statusCode] ?? 0) + 1;
      req.destroy();
      this.lost(`upgrade refused: HTTP ${res.statusCode}`, ws);
    });
    ws.on('open', () => this.onOpen(ws));
    ws.on('message', (data, isBinary) => {
      if (ws === this.ws) this.onMessage(data, isBinary);
    });
    ws.on('error', (err) => this.lost(`socket error: ${err.message}`, ws));
    ws.on('close', (code) => this.onSocketClose(ws, code));
  }

  send(type, parameters) {
    this.seq += 1;
    this.ws.send(
      JSON.stringify({ version: '2', id: this.sessionId, type, seq: this.seq, serverseq: this.serverSeq, position: fmtSamples(this.call.position), parameters }),
    );
  }

  onOpen(ws) {
    if (ws !== this.ws) return;
    this.state = 'OPENING';
    this.openSentAt = now();
    const c = this.call;
    const parameters = {
      organizationId: ORG_ID,
      conversationId: c.conversationId,
      participant: { id: c.participantId, ani: '+13175550123', aniName: 'Load Test', dnis: '+13175550199' },
      media: OFFERS,
      language: 'en-US',
    };
    if (c.prev) {
      parameters.continuedSessions = [c.prev];
      stats.continuedOpens++;
    }
    this.send('open', parameters);
  }

  onMessage(data, isBinary) {
    if (isBinary) return;
    let msg;
    try {
      msg = JSON.parse(data.toString());
    } catch {
      stats.violations++;
      return;
    }
    if (typeof msg.seq === 'number') {
      if (msg.seq !== this.serverSeq + 1) stats.violations++;
      this.serverSeq = msg.seq;
    }
    switch (msg.type) {
      case 'opened':
        return this.onOpened(msg);
      case 'pong':
        return this.onPong(msg);
      case 'closed':
        return this.onClosed();
      case 'reconnect':
        if (SOAK && !v['ignore-reconnect'] && this.state === 'OPEN') {
          this.moving = true;
          this.startClose('reconnect');
        }
        return;
      case 'disconnect':
        stats.disconnects++;
        note(failures, `client ${this.index}: server disconnect ${JSON.stringify(msg.parameters)} at ${(now() / 1000).toFixed(1)} s, session ${this.sessionId} of call ${this.call?.firstSessionId} (connected ${((now() - this.connectAt) / 1000).toFixed(1)} s before)`);
        if (this.state === 'OPEN') {
          this.endReason = 'disconnect';
          this.startClose('disconnect');
        }
        return;
      default:
        return;
    }
  }

  onOpened(msg) {
    if (this.state !== 'OPENING') return;
    const media = msg.parameters?.media;
    // closing a call on a new connection: the server may answer without media
    const closing = this.reconnectToClose || phase === 'closing';
    const stereo = Array.isArray(media) && media.length === 1 && media[0].channels?.length === 2;
    if (!stereo && !(closing && Array.isArray(media) && media.length === 0)) {
      stats.violations++;
      note(failures, `client ${this.index}: opened without the stereo offer: ${JSON.stringify(media)}`);
    }
    this.state = 'OPEN';
    stats.opened++;
    const t = now();
    const c = this.call;
    c.attempts = 0;
    c.firstFailAt = null;
    if (c.start === null) {
      c.firstSessionId = this.sessionId;
      c.endAt = null;
      if (PACING === 'tick') {
        // the timeline starts now; frames fall due on this client's wheel slot
        c.start = Math.ceil(t / TICK_MS) * TICK_MS;
        this.slot = slotOf(c.start);
        wheel[this.slot].add(this);
      } else {
        // the timeline starts now, its frames on a phase of their own
        c.start = t + phaseRng() * FRAME_MS;
        this.schedule();
      }
      c.endAt = SOAK ? c.start + c.lengthMs : null;
    }
    if (c.pendingDiscard > 0) {
      this.send('discarded', { start: fmtSamples(c.position), discarded: fmtSamples(c.pendingDiscard) });
      stats.samplesDiscardedReported += c.pendingDiscard;
      c.position += c.pendingDiscard;
      c.pendingDiscard = 0;
    }
    this.nextPingAt = t + FIRST_PING_MS;
    if (!SOAK) maybeSteady();
    if (this.reconnectToClose || phase === 'closing') {
      // reconnected after the call's end: the frames that fell due are discarded, then close
      this.reconnectToClose = false;
      const end = Math.min(c.endAt ?? t, t);
      const endDue = Math.floor((end - c.start) / FRAME_MS);
      while (c.framesDue < endDue) {
        c.framesDue++;
        stats.framesSkipped++;
        c.pendingDiscard += FRAME_SAMPLES;
      }
      this.endReason = 'end';
      this.startClose('end');
    }
  }

  onPong(msg) {
    if (!this.ping) {
      stats.violations++;
      return;
    }
    if (typeof msg.clientseq === 'number' && msg.clientseq < this.ping.seq && this.ping.since < this.ping.at) {
      // the answer to an earlier ping, late (counted when the next was
      // due): the connection lives; the current ping is still out
      this.ping.since = this.ping.at;
      return;
    }
    const lat = now() - this.ping.at;
    stats.pongs++;
    stats.latencies.push(lat);
    if (this.ping.steady) stats.latenciesSteady.push(lat);
    if (lat > PONG_TIMEOUT_MS) stats.latePongs++;
    if (msg.clientseq !== this.ping.seq) stats.violations++;
    this.ping = null;
  }

  sendPing(t) {
    // the previous one still unanswered when the next is due: late; the
    // pong timeout still counts from the oldest unanswered ping (since)
    const since = this.ping ? this.ping.since : null;
    if (this.ping) stats.latePongs++;
    this.send('ping', {});
    stats.pingsSent++;
    const at = now();
    this.ping = { seq: this.seq, at, since: since ?? at, steady: phase === 'steady' };
    this.nextPingAt = t + PING_MS;
  }

  // called every FRAME_MS by the wheel (possibly late: then catch up)
  onSlot(t) {
    const c = this.call;
    if (!c || c.start === null) return;
    if (this.state === 'CLOSING') {
      if (t - this.closeAt > CLOSE_TIMEOUT_MS) {
        stats.closeTimeouts++;
        // soak: a dead connection while closing; close again on a continued session
        if (SOAK) return this.lost(`no closed within ${CLOSE_TIMEOUT_MS / 1000} s`, this.ws);
        note(failures, `client ${this.index}: no closed within ${CLOSE_TIMEOUT_MS / 1000} s`);
        this.endCall(false);
      }
      return;
    }
    if (this.state === 'DONE') return;
    const due = Math.floor((t - c.start) / FRAME_MS) + 1;
    const endDue = c.endAt !== null ? Math.floor((c.endAt - c.start) / FRAME_MS) : Infinity;
    const target = Math.min(due, endDue);
    while (c.framesDue < target) {
      c.framesDue++;
      if (this.state === 'OPEN' && this.ws.bufferedAmount <= MAX_BUFFERED) {
        this.ws.send(FRAME);
        stats.framesSent++;
        stats.samplesSent += FRAME_SAMPLES;
        c.position += FRAME_SAMPLES;
      } else {
        stats.framesSkipped++;
        c.pendingDiscard += FRAME_SAMPLES;
      }
    }
    if (this.state === 'OPEN') {
      if (this.ping && SOAK && now() - this.ping.since > PONG_TIMEOUT_MS) {
        stats.latePongs++;
        this.ping = null;
        this.lost(`no pong within ${PONG_TIMEOUT_MS} ms`, this.ws);
        return;
      }
      if (c.framesDue >= endDue) {
        this.endReason = 'end';
        this.startClose('end');
        return;
      }
      if (t >= this.nextPingAt) this.sendPing(t);
    } else if (this.state === 'OPENING' && t - this.openSentAt > OPEN_TIMEOUT_MS) {
      stats.openTimeouts++;
      this.lost('no opened within 5 s', this.ws);
    }
  }

  startClose(reason) {
    const c = this.call;
    if (c.pendingDiscard > 0) {
      this.send('discarded', { start: fmtSamples(c.position), discarded: fmtSamples(c.pendingDiscard) });
      stats.samplesDiscardedReported += c.pendingDiscard;
      c.position += c.pendingDiscard;
      c.pendingDiscard = 0;
    }
    this.send('close', { reason });
    this.state = 'CLOSING';
    this.closeAt = now();
  }

  onClosed() {
    if (this.state !== 'CLOSING') {
      stats.violations++;
      return;
    }
    if (this.moving) {
      // the call goes on at once on a new connection, continuing this one
      this.moving = false;
      stats.moved++;
      this.lost('moved on reconnect', this.ws, true);
      return;
    }
    stats.closedOk++;
    this.endCall(this.endReason === 'end');
  }

  endCall(ok) {
    const c = this.call;
    this.state = 'DONE';
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.removeAllListeners('close');
      ws.on('close', () => {});
      try {
        ws.close(1000);
      } catch {
        /* ignore */
      }
      setTimeout(() => ws.terminate(), 2000).unref();
    }
    if (this.slot >= 0) wheel[this.slot].delete(this);
    this.slot = -1;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (SOAK) callRecords.push({ id: c.firstSessionId ?? null, samples: c.position, ok });
    if (ok) {
      stats.callsCompleted++;
      stats.timelineSamplesCompleted += c.position;
    } else {
      stats.callsFailed++;
      stats.timelineSamplesFailed += c.position;
    }
    this.call = null;
    if (SOAK && phase !== 'closing' && phase !== 'done') {
      // the next call on this line, after a short pause
      setTimeout(() => {
        if (phase === 'closing' || phase === 'done') return;
        this.startCall(CALL_MIN_MS + rng() * (CALL_MAX_MS - CALL_MIN_MS));
      }, 200 + rng() * 2000).unref();
    }
    checkDone();
  }

  // the connection failed (or was judged dead): forget it; reconnect with continuation (soak)
  lost(why, ws, moved = false) {
    if (ws !== this.ws || this.state === 'DONE' || this.state === 'RETRY') return;
    const wasClosing = this.state === 'CLOSING' && !moved;
    const c = this.call;
    this.moving = false;
    if (this.state === 'OPEN' || this.state === 'OPENING' || this.state === 'CLOSING') {
      if (!moved) stats.connectionsLost++;
      // the session to continue: the last one that was opened
      if (this.state !== 'OPENING') c.prev = { id: this.sessionId, serverseq: this.serverSeq, clientseq: this.seq };
    }
    this.ws = null;
    ws.removeAllListeners('close');
    ws.on('close', () => {});
    ws.on('error', () => {});
    ws.terminate();
    this.ping = null;
    if (!SOAK) {
      note(failures, `client ${this.index}: ${why}`);
      this.endCall(false);
      return;
    }
    if (c.firstFailAt === null) c.firstFailAt = now();
    if (now() - c.firstFailAt > 60000) {
      note(failures, `client ${this.index}: gave up reconnecting after 60 s (${why})`);
      this.endCall(false);
      return;
    }
    if (wasClosing) this.endReason = this.endReason ?? 'end';
    this.state = 'RETRY';
    const delay = moved ? 0 : Math.min(2000, 100 * 2 ** c.attempts) * (0.5 + rng() * 0.5);
    c.attempts++;
    stats.reconnects++;
    setTimeout(() => {
      if (this.state !== 'RETRY') return;
      if (wasClosing || (c.endAt !== null && now() >= c.endAt)) this.reconnectToClose = true;
      this.connect();
    }, delay).unref();
  }

  onSocketClose(ws, code) {
    if (ws !== this.ws) return;
    if (this.state === 'CLOSING' && SOAK) return this.lost(`socket closed (${code}) before closed`, ws);
    this.lost(`socket closed (${code}) in state ${this.state}`, ws);
  }
}

const clients = Array.from({ length: N }, (_, i) => new Client(i));

// ---- server sampling ----
const server = { ticksIdle: null, rssIdle: null, ticksBegin: null, ticksEnd: null, rssSamples: [], rssSteadyMax: null, rssAt: {} };
if (SERVER_PID) {
  server.rssIdle = procRssKiB(SERVER_PID);
  server.ticksIdle = procCpuTicks(SERVER_PID);
}
let framesAtBegin = 0;
let framesAtEnd = 0;
let allOpenedAt = null;

function maybeSteady(force = false) {
  if (allOpenedAt === null && (stats.opened >= N || force)) {
    allOpenedAt = now();
    setTimeout(() => {
      if (phase !== 'ramp') return;
      phase = 'steady';
      steady.begin = now();
      framesAtBegin = stats.framesSent;
      if (SERVER_PID) {
        server.ticksBegin = procCpuTicks(SERVER_PID);
        server.rssBegin = procRssKiB(SERVER_PID);
      }
      process.stderr.write(`[load] steady window begins at ${(steady.begin / 1000).toFixed(1)} s (${N} sessions open)\n`);
      setTimeout(() => beginClosing(), DURATION_MS).unref();
    }, SETTLE_MS).unref();
  }
}

function beginClosing() {
  if (phase === 'closing' || phase === 'done') return;
  if (phase === 'steady') {
    steady.end = now();
    framesAtEnd = stats.framesSent;
    if (SERVER_PID) {
      server.ticksEnd = procCpuTicks(SERVER_PID);
      server.rssEnd = procRssKiB(SERVER_PID);
    }
  }
  phase = 'closing';
  const t = now();
  for (const c of clients) {
    if (c.call && c.call.start !== null && (c.state === 'OPEN' || c.state === 'OPENING')) {
      c.call.endAt = Math.min(c.call.endAt ?? Infinity, t);
    } else if (c.call && c.call.start === null && c.state !== 'DONE') {
      // never opened: a failure in the bench; in the soak, a call that was just starting
      if (c.ws) c.ws.terminate();
      c.ws = null;
      if (SOAK && now() - c.call.startedAt < 15000) {
        stats.callsStarted--;
        stats.callsAbortedAtEnd = (stats.callsAbortedAtEnd ?? 0) + 1;
        c.state = 'DONE';
        c.call = null;
        continue;
      }
      note(failures, `client ${c.index}: never opened (state ${c.state})`);
      c.endCall(false);
    } else if (c.call && c.state === 'RETRY') {
      c.call.endAt = Math.min(c.call.endAt ?? Infinity, t);
    }
  }
  // whatever has not finished 20 s later is counted as failed
  setTimeout(() => {
    for (const c of clients) if (c.call) {
      note(failures, `client ${c.index}: still in state ${c.state} 20 s after the end`);
      c.endCall(false);
    }
    finish();
  }, 20000).unref();
  checkDone();
}

function checkDone() {
  if (phase === 'closing' && clients.every((c) => c.call === null)) finish();
}

// ---- the one shared tick ----
let lastSlotTime = Math.floor(now() / TICK_MS) * TICK_MS;
const tick = setInterval(() => {
  const t = now();
  const upto = Math.floor(t / TICK_MS) * TICK_MS;
  // visit every slot whose time came since the last tick (all of them if the loop was very late)
  let steps = Math.min(SLOTS, Math.round((upto - lastSlotTime) / TICK_MS));
  for (let k = 1; k <= steps; k++) {
    const slot = slotOf(lastSlotTime + k * TICK_MS);
    for (const c of wheel[slot]) c.onSlot(t);
  }
  lastSlotTime = upto;
  if (SERVER_PID && phase === 'steady' && t - lastRssSample >= 1000) {
    lastRssSample = t;
    const r = procRssKiB(SERVER_PID);
    if (r !== null) server.rssSteadyMax = Math.max(server.rssSteadyMax ?? 0, r);
  }
}, TICK_MS);
let lastRssSample = 0;

// soak: RSS every second, kept with its time
let rssTimer = null;
if (SERVER_PID && SOAK) {
  rssTimer = setInterval(() => {
    const r = procRssKiB(SERVER_PID);
    const cpu = procCpuTicks(SERVER_PID);
    server.rssSamples.push([Math.round(now() / 1000), r, cpu]);
    if (r === null) {
      note(failures, `server process ${SERVER_PID} is gone at ${(now() / 1000).toFixed(0)} s`);
      server.gone = server.gone ?? Math.round(now() / 1000);
    }
  }, 1000);
}

const eld = monitorEventLoopDelay({ resolution: 1 });
eld.enable();

// ---- start: spread over the ramp ----
for (let i = 0; i < N; i++) {
  const c = clients[i];
  setTimeout(() => {
    if (phase !== 'ramp' && !SOAK) return;
    c.startCall(SOAK ? CALL_MIN_MS + rng() * (CALL_MAX_MS - CALL_MIN_MS) : Infinity);
  }, (RAMP_MS * i) / N);
}
if (SOAK) {
  phase = 'steady';
  steady.begin = 0;
  setTimeout(() => beginClosing(), DURATION_MS).unref();
} else {
  // if not every client opened by then, measure anyway with those that did
  setTimeout(() => {
    if (allOpenedAt === null) {
      process.stderr.write(`[load] only ${stats.opened}/${N} sessions opened after the ramp + 15 s; measuring anyway\n`);
      stats.notAllOpened = true;
      maybeSteady(true);
    }
  }, RAMP_MS + 15000).unref();
}

const progressMs = Number(v.progress) * 1000;
const progress = progressMs > 0 ? setInterval(() => {
  const open = clients.filter((c) => c.state === 'OPEN').length;
  const rss = SERVER_PID ? procRssKiB(SERVER_PID) : null;
  process.stderr.write(
    `[load ${(now() / 1000).toFixed(0)} s] ${phase}: open ${open}/${N}, frames ${stats.framesSent}, pongs ${stats.pongs}/${stats.pingsSent}, late ${stats.latePongs}, lost conns ${stats.connectionsLost}, calls ${stats.callsCompleted}+${stats.callsFailed}/${stats.callsStarted}${rss !== null ? `, server RSS ${rss} KiB` : ''}, loop lag p99 ${(eld.percentile(99) / 1e6).toFixed(1)} ms\n`,
  );
}, progressMs) : null;

function pct(arr, p) {
  if (arr.length === 0) return null;
  const s = Float64Array.from(arr).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

let finished = false;
function finish() {
  if (finished) return;
  finished = true;
  phase = 'done';
  clearInterval(tick);
  if (progress) clearInterval(progress);
  if (rssTimer) clearInterval(rssTimer);
  eld.disable();
  const round = (x) => (x === null ? null : Math.round(x * 100) / 100);
  const clkTck = 100;
  const out = {
    tool: 'ah-load.mjs',
    mode: SOAK ? 'soak' : 'bench',
    clients: N,
    pacing: PACING,
    frameBytes: FRAME_BYTES,
    frameSamples: FRAME_SAMPLES,
    runSeconds: round(now() / 1000),
    steadySeconds: steady.begin !== null && steady.end !== null ? round((steady.end - steady.begin) / 1000) : null,
    framesSentSteady: framesAtEnd - framesAtBegin,
    ...Object.fromEntries(Object.entries(stats).filter(([k]) => !k.startsWith('latencies'))),
    pongMs: {
      p50: round(pct(stats.latencies, 50)),
      p99: round(pct(stats.latencies, 99)),
      max: round(pct(stats.latencies, 100)),
    },
    pongMsSteady: {
      n: stats.latenciesSteady.length,
      p50: round(pct(stats.latenciesSteady, 50)),
      p99: round(pct(stats.latenciesSteady, 99)),
      max: round(pct(stats.latenciesSteady, 100)),
    },
    loadgenLoopLagMs: { p50: round(eld.percentile(50) / 1e6), p99: round(eld.percentile(99) / 1e6), max: round(eld.max / 1e6) },
    failures,
    calls: SOAK ? callRecords : undefined,
    server: SERVER_PID
      ? {
          pid: SERVER_PID,
          rssIdleKiB: server.rssIdle,
          rssSteadyMaxKiB: server.rssSteadyMax,
          rssSteadyEndKiB: server.rssEnd ?? null,
          cpuSecondsSteady: server.ticksBegin !== null && server.ticksEnd !== null ? (server.ticksEnd - server.ticksBegin) / clkTck : null,
          cpuSecondsTotal: server.ticksIdle !== null ? ((procCpuTicks(SERVER_PID) ?? server.ticksIdle) - server.ticksIdle) / clkTck : null,
          rssSamples: SOAK ? server.rssSamples : undefined,
          goneAt: server.gone ?? null,
        }
      : null,
  };
  const text = JSON.stringify(out);
  if (v.report) fs.writeFileSync(v.report, `${text}\n`);
  process.stdout.write(`${text}\n`);
  setTimeout(() => process.exit(0), 100);
}

process.on('SIGINT', () => beginClosing());
process.on('SIGTERM', () => beginClosing());
