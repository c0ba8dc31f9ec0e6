#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// Helper for selftest.sh.
//   node selftest-check.mjs make-wav FILE CHANNELS SECONDS HZ [HZ2]   write a 16-bit 8 kHz test WAV
//   node selftest-check.mjs check DIR                                 check the reports in DIR
// "check" prints one line per check and ends with "N passed, N failed"; exit 1 on failure.

import fs from 'node:fs';
import path from 'node:path';

function makeWav(file, channels, seconds, f1, f2) {
  const rate = 8000;
  const n = Math.round(seconds * rate);
  const data = Buffer.alloc(n * channels * 2);
  for (let i = 0; i < n; i++) {
    data.writeInt16LE(Math.round(12000 * Math.sin((2 * Math.PI * f1 * i) / rate)), i * channels * 2);
    if (channels === 2) data.writeInt16LE(Math.round(12000 * Math.sin((2 * Math.PI * f2 * i) / rate)), i * 4 + 2);
  }
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  fs.writeFileSync(file, Buffer.concat([h, data]));
}

function check(dir) {
  let passed = 0;
  let failed = 0;
  const failedScenarios = new Set();
  const readJson = (f) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    } catch {
      return null;
    }
  };
  const readText = (f) => {
    try {
      return fs.readFileSync(path.join(dir, f), 'utf8');
    } catch {
      return '';
    }
  };
  const rc = (name) => {
    const t = readText(`${name}.rc`).trim();
    return t === '' ? null : Number(t);
  };
  const servers = {};
  for (const s of ['A', 'B', 'C', 'D', 'E', 'F', 'M']) servers[s] = readJson(`${s}.server.json`);
  const session = (server, id) => servers[server]?.sessions?.find((x) => x.id === id) ?? null;

  let scenario = '';
  const perScenario = new Map();
  const verbose = process.env.VERBOSE === '1';
  const ok = (name, cond, detail = '') => {
    const good = Boolean(cond);
    if (good) passed++;
    else {
      failed++;
      failedScenarios.add(scenario);
    }
    if (!perScenario.has(scenario)) perScenario.set(scenario, { n: 0, lines: [] });
    const rec = perScenario.get(scenario);
    rec.n += 1;
    const line = `${good ? 'ok  ' : 'FAIL'}   ${scenario}: ${name}${good ? '' : ` -- ${typeof detail === 'function' ? detail() : detail}`}`;
    if (!good || verbose) rec.lines.push(line);
    return good;
  };
  const near = (a, b, tol) => typeof a === 'number' && Math.abs(a - b) <= tol;
  const J = (x) => JSON.stringify(x);

  /** Common checks for a client session that should have completed cleanly against one of our servers. */
  const cleanSession = (name, server, { seconds, channels, bytesPerFrameSample = channels?.length } = {}) => {
    scenario = name;
    const c = readJson(`${name}.client.json`);
    if (!ok('client report written', c, 'missing')) return {};
    ok('client exit status 0', rc(name) === 0, `exit ${rc(name)}; violations ${J(c.violations)}`);
    ok('client report says clean', c.clean === true, () => J(c.violations));
    ok('no violations seen by the client', c.violations.length === 0, () => J(c.violations));
    ok('close end -> closed', c.closeReasonSent === 'end' && c.closedReceived && c.closeResult === 'closed', `${c.closeReasonSent} -> ${c.closeResult}`);
    ok('WebSocket closed normally (1000)', c.wsClose?.code === 1000, J(c.wsClose));
    if (channels) ok(`opened media channels ${J(channels)}`, J(c.openedMedia?.[0]?.channels) === J(channels), J(c.openedMedia));
    const s = session(server, c.sessionId);
    if (!ok('server has the session', s, `session ${c.sessionId} not in server ${server} report`)) return { c };
    ok('server bytes == client bytes', s.bytes === c.bytesSent, `${s.bytes} vs ${c.bytesSent}`);
    ok('server samples == client samples', s.samples === c.samplesSent, `${s.samples} vs ${c.samplesSent}`);
    if (channels) ok('bytes == samples x channels', c.bytesSent === c.samplesSent * bytesPerFrameSample, `${c.bytesSent} vs ${c.samplesSent}`);
    ok('server final T == client final position', s.finalT === c.finalPosition && s.finalTSamples === c.finalPositionSamples, `${s.finalT} vs ${c.finalPosition}`);
    ok('server last client position == client final position', s.lastClientPosition === c.finalPosition, `${s.lastClientPosition} vs ${c.finalPosition}`);
    if (seconds !== undefined) ok(`final position PT${seconds}S`, c.finalPosition === `PT${seconds}S`, c.finalPosition);
    ok('position = sent + discarded + paused', c.finalPositionSamples === c.samplesSent + c.discardedSamples + c.pausedSamples, J([c.finalPositionSamples, c.samplesSent, c.discardedSamples, c.pausedSamples]));
    ok('no seq/serverseq/id/envelope violations at the server', s.seqViolations + s.serverseqViolations + s.idMismatches + s.envelopeErrors === 0, J([s.seqViolations, s.serverseqViolations, s.idMismatches, s.envelopeErrors, s.violations]));
    ok('no position mismatches at the server', s.positionMismatches === 0 && s.positionChecks > 0, J(s.positionMismatchDetails));
    ok('no server-side violations', s.violations.length === 0, J(s.violations));
    ok('server close reason end, closed sent', s.closeReason === 'end' && s.closedSent, `${s.closeReason} ${s.closedSent}`);
    return { c, s };
  };
  const pongsOk = (c) => {
    ok('every ping answered', c.pingsSent >= 1 && c.pongsReceived === c.pingsSent, `${c.pongsReceived}/${c.pingsSent}`);
    ok('pong latencies recorded, all < 5000 ms', c.pongLatenciesMs.length === c.pongsReceived && c.pongLatenciesMs.every((x) => x >= 0 && x < 5000), J(c.pongLatenciesMs));
  };
  const toneHz = (s, channel) => s?.channelStats?.find((x) => x.channel === channel)?.zeroCrossingHz;

  // ---- against audiohook-server.mjs ----------------------------------------------------------
  {
    const { c, s } = cleanSession('normal', 'A', { seconds: 3, channels: ['external', 'internal'] });
    if (c && s) {
      ok('3 s stereo = 48000 bytes in 15 frames of 3200', c.bytesSent === 48000 && c.framesSent === 15, `${c.bytesSent} bytes / ${c.framesSent} frames`);
      pongsOk(c);
      ok('server saw the ping rtt', s.rttsMs.length >= 1, J(s.rttsMs));
      ok('supportedLanguages returned when asked', Array.isArray(c.openedParameters?.supportedLanguages), J(c.openedParameters));
      ok('opened.startPaused false', c.openedParameters?.startPaused === false, J(c.openedParameters));
      ok('both channels carry the 440 Hz tone', near(toneHz(s, 'external'), 440, 15) && near(toneHz(s, 'internal'), 440, 15), J(s.channelStats));
      ok('not a probe', s.probe === false && c.probe === false);
      ok('server saw org/session/correlation headers', s.organizationIdHeader === c.organizationId && s.correlationId === c.correlationId && s.organizationId === c.organizationId);
    }
  }
  {
    const { c, s } = cleanSession('stereo_rev', 'A', { seconds: 2, channels: ['internal', 'external'] });
    if (c && s) {
      ok('offered stereo is reversed', J(c.offeredMedia[0].channels) === J(['internal', 'external']), J(c.offeredMedia));
      ok('interleaving follows negotiated order (external 500 Hz, internal 1000 Hz)', near(toneHz(s, 'external'), 500, 15) && near(toneHz(s, 'internal'), 1000, 25), J(s.channelStats));
      ok('server recorded continuedSessions', J(s.continuedSessions) === J([{ id: '6f0a3c59-4b8e-4f5e-9d37-2f1f7c0c1a11', serverseq: 3, clientseq: 7 }]), J(s.continuedSessions));
    }
  }
  {
    const { c, s } = cleanSession('mono_wav', 'A', { seconds: 2.5, channels: ['external'] });
    if (c && s) {
      ok('mono 2.5 s in 100 ms frames = 25 x 800 bytes', c.framesSent === 25 && c.bytesSent === 20000, `${c.framesSent} frames, ${c.bytesSent} bytes`);
      ok('server picked the first offer when no stereo offered', J(s.media?.channels) === J(['external']), J(s.media));
      ok('WAV content arrives (300 Hz)', near(toneHz(s, 'external'), 300, 10), J(s.channelStats));
      ok('zero-length frame accepted and counted', c.emptyFramesSent === 1 && s.emptyFrames === 1, `${c.emptyFramesSent} / ${s.emptyFrames}`);
    }
  }
  {
    const { c, s } = cleanSession('stereo_wav', 'A', { seconds: 2, channels: ['external', 'internal'] });
    if (c && s) {
      ok('server prefers the stereo offer even when not first', J(s.offeredMedia?.[0]?.channels) === J(['internal']));
      ok('stereo WAV: left -> external 400 Hz, right -> internal 1200 Hz', near(toneHz(s, 'external'), 400, 12) && near(toneHz(s, 'internal'), 1200, 30), J(s.channelStats));
    }
  }
  {
    const { c, s } = cleanSession('pause', 'A', { seconds: 4, channels: ['external', 'internal'] });
    if (c && s) {
      ok('client pause reported as resumed {PT1S, PT1S}', J(c.pauses) === J([{ initiator: 'client', start: 'PT1S', discarded: 'PT1S' }]), J(c.pauses));
      ok('3 s of audio sent, 1 s paused', c.samplesSent === 24000 && c.pausedSamples === 8000, `${c.samplesSent} / ${c.pausedSamples}`);
      ok('server recorded the resumed span', s.discardedSpans.length === 1 && s.discardedSpans[0].kind === 'resumed' && s.discardedSpans[0].start === 'PT1S' && s.discardedSpans[0].discarded === 'PT1S', J(s.discardedSpans));
      ok('server saw paused then resumed', s.messageCounts.paused === 1 && s.messageCounts.resumed === 1, J(s.messageCounts));
      ok('no audio while paused', s.audioInWrongState === 0);
    }
  }
  {
    const { c, s } = cleanSession('discard', 'A', { seconds: 3, channels: ['external', 'internal'] });
    if (c && s) {
      ok('client discarded span {PT1S, PT0.6S}', J(c.discardedSpans) === J([{ why: 'client', start: 'PT1S', discarded: 'PT0.6S' }]), J(c.discardedSpans));
      ok('2.4 s sent, 0.6 s discarded', c.samplesSent === 19200 && c.discardedSamples === 4800);
      ok('server recorded the discarded span', s.discardedSpans.length === 1 && s.discardedSpans[0].kind === 'discarded' && s.discardedSpans[0].discarded === 'PT0.6S', J(s.discardedSpans));
    }
  }
  {
    const { c, s } = cleanSession('probe', 'A', { seconds: 0 });
    if (c && s) {
      ok('probe sends no audio', c.framesSent === 0 && s.bytes === 0);
      ok('server recognised the probe (null UUIDs)', s.probe === true && s.conversationId === '00000000-0000-0000-0000-000000000000');
    }
  }
  {
    const { c, s } = cleanSession('seq1', 'A', { seconds: 0.6, channels: ['internal'] });
    if (c && s) ok('mono internal carries the tone', near(toneHz(s, 'internal'), 440, 20), J(s.channelStats));
    scenario = 'seq2';
    cleanSession('seq2', 'A', { seconds: 0 });
    scenario = 'server A';
    const a = servers.A;
    ok('server A report written, exit 0', a && rc('A.server') === 0, `rc ${rc('A.server')}`);
    if (a) {
      ok('server A served 10 sessions (concurrent + sequential)', a.sessions.length === 10, a.sessions.length);
      ok('server A refused the wrong path with 404', a.rejectedUpgrades.some((r) => r.status === 404));
      const ids = new Set(a.sessions.map((x) => x.id));
      ok('session ids distinct', ids.size === a.sessions.length);
    }
  }

  // ---- authentication -------------------------------------------------------------------------
  {
    const { c, s } = cleanSession('signed', 'B', { seconds: 2 });
    if (c && s) ok('session was signed and verified', c.signed === true && s.signed === true);
    const b = servers.B;
    for (const [name, reason] of [
      ['bad_secret', 'signature mismatch'],
      ['unsigned', 'not signed'],
      ['wrong_key', 'unknown API key'],
    ]) {
      scenario = name;
      const cr = readJson(`${name}.client.json`);
      if (!ok('client report written', cr)) continue;
      ok('client exit status 0 (refusal expected)', rc(name) === 0, `exit ${rc(name)}`);
      ok('upgrade refused with HTTP 401', cr.httpStatus === 401 && cr.closeResult === 'upgrade-refused', `${cr.httpStatus} ${cr.closeResult}`);
      const r = b?.rejectedUpgrades?.find((x) => x.sessionId === cr.sessionId);
      ok(`server refused it: ${reason}`, r && r.status === 401 && r.reason.includes(reason), J(r));
      ok('server did not open a session for it', !session('B', cr.sessionId));
      ok('refusal answered after >= 500 ms', cr.durationMs >= 490, cr.durationMs);
    }
    scenario = 'signature_rules';
    let probe = [];
    try {
      probe = JSON.parse(readText('sigprobe.out'));
    } catch {
      /* reported below */
    }
    ok('signature probe ran', rc('sigprobe') === 0 && probe.length === 8, readText('sigprobe.log') || readText('sigprobe.out'));
    const expect = {
      'reordered-components': [101],
      'first-use': [101],
      'replayed-nonce': [401, 'nonce replayed'],
      'too-old': [401, /too old|expired/],
      future: [401, 'in the future'],
      'missing-component': [401, 'not covered'],
      'unknown-parameter': [401, 'unknown signature parameter'],
      'short-nonce': [401, 'nonce missing or shorter'],
    };
    for (const r of probe) {
      const [status, reason] = expect[r.case] ?? [];
      const rej = b?.rejectedUpgrades?.find((x) => x.sessionId === r.sessionId);
      // (first-use and replayed-nonce share a session id, so a 101 is judged by its status alone)
      if (status === 101) ok(`${r.case}: accepted (101)`, r.status === 101, J([r, rej]));
      else ok(`${r.case}: refused 401 (${reason})`, r.status === 401 && rej && (reason instanceof RegExp ? reason.test(rej.reason) : rej.reason.includes(reason)), J([r, rej]));
    }
    scenario = 'wrong_path';
    const wp = readJson('wrong_path.client.json');
    ok('HTTP 404 for an unknown path', wp?.httpStatus === 404 && rc('wrong_path') === 0, J(wp?.httpStatus));
    scenario = 'secrets';
    let leaked = false;
    for (const f of fs.readdirSync(dir)) {
      if (!/\.(json|log|out)$/.test(f)) continue;
      const t = readText(f);
      if (process.env.SELFTEST_SECRET && t.includes(process.env.SELFTEST_SECRET)) leaked = true;
    }
    ok('client secret appears in no report or log', !leaked);
  }

  // ---- server-driven behaviour ----------------------------------------------------------------
  {
    const { c, s } = cleanSession('server_pause', 'C', { seconds: 4 });
    if (c && s) {
      ok('discardTo PT0.7S honoured on the 200 ms grid (PT0.6S)', c.openedParameters?.discardTo === 'PT0.7S' && J(c.discardedSpans) === J([{ why: 'discardTo', start: 'PT0S', discarded: 'PT0.6S' }]), J(c.discardedSpans));
      const p = c.pauses[0];
      ok('server pause (at T=1 s, +timer slack) -> paused -> resume -> resumed', c.pauses.length === 1 && p.initiator === 'server' && ['PT1S', 'PT1.2S', 'PT1.4S', 'PT1.6S'].includes(p.start) && /^PT(0\.[2-9]|1(\.\d+)?|2)S$/.test(p.discarded), J(c.pauses));
      ok('server saw the discarded and resumed spans', s.discardedSpans.length === 2, J(s.discardedSpans));
      ok('server sent pause and resume once', s.sentCounts.pause === 1 && s.sentCounts.resume === 1, J(s.sentCounts));
      ok('no audio while paused', s.audioInWrongState === 0);
    }
  }
  {
    const { c, s } = cleanSession('start_paused', 'D', { seconds: 3 });
    if (c && s) {
      ok('opened.startPaused true', c.openedParameters?.startPaused === true);
      ok('first client message after open is paused', s.messageCounts.paused === 1 && c.pauses[0]?.start === 'PT0S' && c.pauses[0]?.initiator === 'server', J(c.pauses));
      ok('no audio before resume', s.audioInWrongState === 0);
      ok('gap of 0.2..2.0 s reported (resume after 0.7 s)', c.pausedSamples >= 1600 && c.pausedSamples <= 16000, c.pausedSamples);
    }
  }
  {
    scenario = 'disconnect';
    const c = readJson('disconnect.client.json');
    if (ok('client report written', c)) {
      ok('client exit status 0 (disconnect completed is clean)', rc('disconnect') === 0 && c.clean, J(c.violations));
      ok('disconnect completed -> close disconnect -> closed', c.disconnect?.reason === 'completed' && c.closeReasonSent === 'disconnect' && c.closeResult === 'closed', J([c.disconnect, c.closeReasonSent, c.closeResult]));
      ok('events received', c.eventEntities >= 2 && c.serverMessageCounts.event >= 2, J(c.serverMessageCounts));
      const s = session('F', c.sessionId);
      ok('server close reason disconnect, T == client position', s?.closeReason === 'disconnect' && s.finalT === c.finalPosition, J([s?.closeReason, s?.finalT, c.finalPosition]));
      ok('stopped early (about 1.2 s of 5)', c.finalPositionSamples < 20000, c.finalPosition);
    }
  }
  {
    scenario = 'drop';
    const c = readJson('drop.client.json');
    if (ok('client report written', c)) {
      ok('client exit status 1 (session did not finish)', rc('drop') === 1, `exit ${rc('drop')}`);
      ok('client saw 1006, connection lost', c.wsClose?.code === 1006 && c.closeResult === 'connection-lost' && !c.closedReceived, J([c.wsClose, c.closeResult]));
      const s = session('E', c.sessionId);
      ok('server dropped it', s?.dropped === true && s.closeReason === 'dropped-by-server' && s.wsClose?.code === 1006, J(s && [s.dropped, s.closeReason, s.wsClose]));
      ok('server received no more than the client sent (frames in flight are lost)', s && s.bytes <= c.bytesSent, `${s?.bytes} vs ${c.bytesSent}`);
    }
  }

  // ---- client against a broken server ---------------------------------------------------------
  const m = servers.M;
  const mSession = (c) => m?.sessions?.find((x) => x.id === c.sessionId);
  const broken = (name, { code, fatal, closeReason, closeResult }) => {
    scenario = name;
    const c = readJson(`${name}.client.json`);
    if (!ok('client report written', c)) return;
    ok('client exit status 1', rc(name) === 1, `exit ${rc(name)}`);
    ok(`violation ${code}${fatal ? ' (fatal)' : ''} recorded`, c.violations.some((v) => v.code === code && v.fatal === fatal), J(c.violations));
    ok(`close ${closeReason} -> ${closeResult}`, c.closeReasonSent === closeReason && c.closeResult === closeResult, `${c.closeReasonSent} -> ${c.closeResult}`);
    const ms = mSession(c);
    if (fatal && code !== 408) {
      const types = ms?.received.map((x) => x.type) ?? [];
      const iErr = types.indexOf('error');
      ok(`error ${code} sent, then close(error)`, iErr >= 0 && ms.received[iErr].parameters.code === code && types[iErr + 1] === 'close' && ms.received[iErr + 1].parameters.reason === 'error', J(ms?.received));
    }
    return { c, ms };
  };
  broken('m_bad_media', { code: 400, fatal: true, closeReason: 'error', closeResult: 'closed' });
  broken('m_bad_seq', { code: 500, fatal: true, closeReason: 'error', closeResult: 'closed' });
  {
    const r = broken('m_pong_clientseq', { code: 400, fatal: false, closeReason: 'end', closeResult: 'closed' });
    if (r?.ms) ok('error 400 reported to the server, session ran to the end', r.ms.received.some((x) => x.type === 'error' && x.parameters.code === 400) && r.c.finalPosition === 'PT2S');
  }
  broken('m_position_field', { code: 400, fatal: false, closeReason: 'end', closeResult: 'closed' });
  {
    const r = broken('m_no_pong', { code: 408, fatal: true, closeReason: 'error', closeResult: 'closed' });
    if (r?.c) ok('pong timeout after ~5 s (first ping at 1 s)', r.c.violations.find((v) => v.code === 408)?.atMs >= 5900, J(r.c.violations));
    if (r?.ms) ok('error 408 "Timeout waiting for pong" sent', r.ms.received.some((x) => x.type === 'error' && x.parameters.code === 408 && /pong/i.test(x.parameters.message)));
  }
  {
    const r = broken('m_no_closed', { code: 408, fatal: false, closeReason: 'end', closeResult: 'timeout' });
    if (r?.c) ok('closed timeout after 10 s', r.c.durationMs >= 2000 + 10000 - 500, r.c.durationMs);
  }
  broken('m_audio_back', { code: 415, fatal: false, closeReason: 'end', closeResult: 'closed' });

  // ---- server against a broken client ---------------------------------------------------------
  scenario = 'bad_client';
  {
    const id = readText('badclient.out').trim();
    const s = session('A', id);
    ok('misbehaving client finished', rc('badclient') === 0, readText('badclient.log'));
    if (ok('server has its session', s, id)) {
      ok('1 seq violation', s.seqViolations === 1, s.seqViolations);
      ok('1 serverseq violation', s.serverseqViolations === 1, s.serverseqViolations);
      ok('1 id mismatch', s.idMismatches === 1, s.idMismatches);
      ok('1 position mismatch (PT5S vs PT0.2S)', s.positionMismatches === 1 && s.positionMismatchDetails[0]?.position === 'PT5S', J(s.positionMismatchDetails));
      ok('1 audio frame while paused', s.audioInWrongState === 1, s.audioInWrongState);
      ok('1 partial sample frame', s.partialSampleFrames === 1, s.partialSampleFrames);
      ok('timeline T = 0.2 + 0.02 + 1 + 1 sample', s.finalT === 'PT1.220125S', s.finalT);
      ok('still answered close with closed', s.closedSent && s.closeReason === 'end');
    }
  }

  // ---- misc -----------------------------------------------------------------------------------
  scenario = 'self-test';
  ok('signature test vector and codec checks pass (--self-test)', rc('selftest_vector') === 0 && /0 failed/.test(readText('selftest_vector.out')), readText('selftest_vector.out'));
  scenario = 'usage';
  ok('bad option value exits 2 with a message', rc('usage') === 2 && /frame-ms/.test(readText('usage.log')), readText('usage.log'));
  scenario = 'servers';
  for (const s of ['A', 'B', 'C', 'D', 'E', 'F', 'M']) ok(`server ${s} exited 0 on SIGTERM and wrote its report`, rc(`${s}.server`) === 0 && servers[s], `rc ${rc(`${s}.server`)}`);

  for (const [name, rec] of perScenario) {
    const bad = failedScenarios.has(name);
    process.stdout.write(`${bad ? 'FAIL' : 'ok  '} ${name} (${rec.n} checks)\n`);
    for (const l of rec.lines) process.stdout.write(`       ${l}\n`);
  }
  for (const name of failedScenarios) {
    for (const f of [`${name}.client.log`, `${name}.server.log`]) {
      const t = readText(f).trim();
      if (t) process.stdout.write(`---- ${f} (last lines)\n${t.split('\n').slice(-15).join('\n')}\n`);
    }
  }
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'make-wav') {
  const [file, ch, secs, f1, f2] = args;
  makeWav(file, Number(ch), Number(secs), Number(f1), Number(f2 ?? f1));
} else if (cmd === 'check') {
  process.exitCode = check(args[0]);
} else {
  process.stderr.write('usage: selftest-check.mjs make-wav FILE CH SECONDS HZ [HZ2] | check DIR\n');
  process.exitCode = 2;
}
