#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// A fault-injecting TCP proxy for the soak (soak.sh): forwards 127.0.0.1:LISTEN
// to TARGET and, on every connection, injects faults at random times:
//
//   drop       both sockets destroyed (half of them reset), no WebSocket close frame
//   stall      nothing is forwarded in either direction for 0..--stall-max-ms, then
//              everything continues (TCP back-pressure holds the data meanwhile)
//   half-open  one direction (chosen at random) silently stops: its bytes are read
//              and thrown away, and neither peer is told; when either peer closes,
//              the other one is not told either. After --half-open-hold-ms the
//              proxy destroys both sockets (as a dead peer's TCP finally would).
//   slow-read  for 1..5 s the proxy reads one direction at --slow-rate bytes/s
//              only (the sender's buffers fill up), then full speed again
//
// The time to the next fault on a connection is exponential with mean
// --mean-fault-ms, drawn with the connection's fault types and parameters from
// a PRNG seeded with (--seed, connection number): the same seed gives every
// n-th connection the same fault schedule (which connection is the n-th depends
// on the clients' timing). --first-fault-after-ms keeps the start of each
// connection (the upgrade and open) clean, so every fault hits a running session.
//
//   node fault-proxy.mjs --target 127.0.0.1:9000 [--listen 0] [--seed 1]
//        [--mean-fault-ms 30000] [--stall-max-ms 3000] [--slow-rate 2000]
//        [--half-open-hold-ms 60000] [--weights drop=3,stall=3,half-open=2,slow-read=2]
//
// Prints "LISTENING <port>"; on SIGTERM/SIGINT prints "FAULTS {json}" (counts
// per fault type, connections) and exits.
import net from 'node:net';
import { parseArgs } from 'node:util';
import { mulberry32 } from './bench-common.mjs';

const { values: v } = parseArgs({
  options: {
    target: { type: 'string', default: '127.0.0.1:9000' },
    listen: { type: 'string', default: '0' },
    seed: { type: 'string', default: '1' },
    'mean-fault-ms': { type: 'string', default: '30000' },
    'first-fault-after-ms': { type: 'string', default: '1500' },
    'stall-max-ms': { type: 'string', default: '3000' },
    'slow-rate': { type: 'string', default: '2000' },
    'half-open-hold-ms': { type: 'string', default: '60000' },
    weights: { type: 'string', default: 'drop=3,stall=3,half-open=2,slow-read=2' },
  },
});
const [host, port] = v.target.split(':');
const SEED = Number(v.seed);
const MEAN = Number(v['mean-fault-ms']);
const FIRST = Number(v['first-fault-after-ms']);
const STALL_MAX = Number(v['stall-max-ms']);
const SLOW_RATE = Number(v['slow-rate']);
const HOLD = Number(v['half-open-hold-ms']);
const weights = Object.fromEntries(v.weights.split(',').map((kv) => kv.split('=')).map(([k, w]) => [k, Number(w)]));
const TYPES = Object.keys(weights).filter((k) => weights[k] > 0);
const WSUM = TYPES.reduce((a, k) => a + weights[k], 0);

const counts = { connections: 0, drop: 0, reset: 0, stall: 0, 'half-open': 0, 'slow-read': 0, stallMsTotal: 0 };
let connIndex = 0;

// One direction of a link: src -> dst, with a queue used while stalled or slowed.
class Pipe {
  constructor(link, src, dst) {
    this.link = link;
    this.src = src;
    this.dst = dst;
    this.queue = [];
    this.queued = 0;
    this.blackhole = false;
    this.stalled = false;
    this.rate = Infinity; // bytes per second
    this.timer = null;
    src.on('data', (d) => this.onData(d));
  }
  onData(d) {
    if (this.blackhole || this.link.dead) return;
    if (!this.stalled && this.rate === Infinity && this.queued === 0) {
      if (!this.dst.write(d)) {
        this.src.pause();
        this.dst.once('drain', () => this.src.resume());
      }
      return;
    }
    this.queue.push(d);
    this.queued += d.length;
    // let TCP push back: at once when reading slowly, else beyond 256 KiB
    if (this.queued > (this.rate === Infinity ? 256 * 1024 : 4096)) this.src.pause();
    this.schedule();
  }
  schedule() {
    if (this.timer || this.stalled || this.link.dead) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, this.rate === Infinity ? 0 : 100);
  }
  pump() {
    if (this.stalled || this.link.dead || this.blackhole) return;
    let budget = this.rate === Infinity ? Infinity : Math.max(1, Math.round(this.rate / 10));
    while (this.queue.length && budget > 0) {
      let d = this.queue[0];
      if (d.length > budget) {
        this.queue[0] = d.subarray(budget);
        d = d.subarray(0, budget);
      } else this.queue.shift();
      this.queued -= d.length;
      budget -= d.length;
      this.dst.write(d);
    }
    if (this.queued <= (this.rate === Infinity ? 64 * 1024 : 2048)) this.src.resume();
    if (this.queue.length) this.schedule();
  }
  setStalled(on) {
    this.stalled = on;
    if (on) {
      this.src.pause();
    } else {
      this.src.resume();
      this.schedule();
    }
  }
  setRate(r) {
    this.rate = r;
    this.schedule();
  }
}

class Link {
  constructor(client) {
    this.n = connIndex++;
    counts.connections++;
    this.rng = mulberry32((SEED * 1000003) ^ (this.n * 2654435761));
    this.client = client;
    this.dead = false;
    this.halfOpen = false;
    this.upstream = net.connect(Number(port), host);
    for (const s of [client, this.upstream]) {
      s.setNoDelay(true);
      s.on('error', () => this.kill(false));
      s.on('close', () => this.onPeerClose(s));
    }
    this.c2s = new Pipe(this, client, this.upstream);
    this.s2c = new Pipe(this, this.upstream, client);
    this.timer = null;
    this.next(FIRST);
  }
  next(extra = 0) {
    if (this.dead || this.halfOpen) return;
    const wait = extra + -Math.log(1 - this.rng()) * MEAN;
    this.timer = setTimeout(() => this.fault(), wait);
  }
  pick() {
    let r = this.rng() * WSUM;
    for (const k of TYPES) {
      r -= weights[k];
      if (r < 0) return k;
    }
    return TYPES[TYPES.length - 1];
  }
  fault() {
    this.timer = null;
    if (this.dead) return;
    const type = this.pick();
    counts[type]++;
    switch (type) {
      case 'drop': {
        const reset = this.rng() < 0.5;
        if (reset) counts.reset++;
        this.kill(reset);
        return;
      }
      case 'stall': {
        const ms = Math.round(this.rng() * STALL_MAX);
        counts.stallMsTotal += ms;
        this.c2s.setStalled(true);
        this.s2c.setStalled(true);
        setTimeout(() => {
          if (this.dead) return;
          this.c2s.setStalled(false);
          this.s2c.setStalled(false);
          this.next();
        }, ms);
        return;
      }
      case 'half-open': {
        const pipe = this.rng() < 0.5 ? this.c2s : this.s2c;
        pipe.blackhole = true;
        pipe.queue = [];
        pipe.queued = 0;
        pipe.src.resume();
        this.halfOpen = true;
        setTimeout(() => this.kill(false), HOLD);
        return;
      }
      case 'slow-read': {
        const pipe = this.rng() < 0.5 ? this.c2s : this.s2c;
        const ms = 1000 + Math.round(this.rng() * 4000);
        pipe.setRate(SLOW_RATE);
        setTimeout(() => {
          if (this.dead) return;
          pipe.setRate(Infinity);
          this.next();
        }, ms);
        return;
      }
      default:
        this.next();
    }
  }
  onPeerClose(s) {
    if (this.dead) return;
    if (this.halfOpen) {
      // the other side is not told; the hold timer ends it
      s.destroy();
      return;
    }
    // an ordinary close: pass it on once the data in flight is written
    const other = s === this.client ? this.upstream : this.client;
    const pipe = s === this.client ? this.c2s : this.s2c;
    const finish = () => {
      this.dead = true;
      if (this.timer) clearTimeout(this.timer);
      other.end();
      setTimeout(() => other.destroy(), 1000).unref();
    };
    if (pipe.queued === 0 || pipe.blackhole) finish();
    else {
      pipe.stalled = false;
      pipe.rate = Infinity;
      pipe.pump();
      finish();
    }
  }
  kill(reset) {
    if (this.dead) return;
    this.dead = true;
    if (this.timer) clearTimeout(this.timer);
    for (const s of [this.client, this.upstream]) {
      if (reset && typeof s.resetAndDestroy === 'function' && s.readyState !== 'opening') s.resetAndDestroy();
      else s.destroy();
    }
  }
}

const server = net.createServer((client) => new Link(client));
server.listen(Number(v.listen), '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
const stop = () => {
  process.stdout.write(`FAULTS ${JSON.stringify(counts)}\n`);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
