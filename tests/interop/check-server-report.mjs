// SPDX-License-Identifier: LGPL-2.1-or-later
// Checks the report of audiohook-server.mjs after a genesyssink run.
//   node check-server-report.mjs REPORT.json KEY=VALUE ...
// Keys: sessions=N (at least N), samples=N (final timeline, in samples, of
// the last session), close=REASON (of the last session), chained=1 (every
// session continues the one before), discarded=N (at least N spans in all),
// rejected=N (refused upgrades), stereo=1 (stereo media chosen).
// Always checked: no seq/serverseq/id violation, no position mismatch.
// Prints one line; exit 0 when everything holds.
import { readFileSync } from 'node:fs';
import { parseDuration, nsToSamples } from './lib/audiohook-common.mjs';

const [file, ...expects] = process.argv.slice(2);
const r = JSON.parse(readFileSync(file, 'utf8'));
const want = Object.fromEntries(expects.map((e) => e.split('=')));
const sessions = r.sessions || [];
const last = sessions[sessions.length - 1];
const problems = [];

for (const s of sessions) {
  if (s.seqViolations) problems.push(`session ${s.id}: ${s.seqViolations} seq violations`);
  if (s.positionMismatches) problems.push(`session ${s.id}: ${s.positionMismatches} position mismatches`);
  if ((s.violations || []).length) problems.push(`session ${s.id}: ${JSON.stringify(s.violations[0])}`);
}
if (want.sessions && sessions.length < Number(want.sessions))
  problems.push(`${sessions.length} sessions, expected at least ${want.sessions}`);
if (want.rejected !== undefined && (r.rejectedUpgrades?.length ?? r.rejectedUpgrades) != Number(want.rejected))
  problems.push(`rejected upgrades: ${JSON.stringify(r.rejectedUpgrades)}, expected ${want.rejected}`);
const finalT = last ? Number(nsToSamples(parseDuration(last.finalT))) : 0;
if (want.samples && finalT !== Number(want.samples))
  problems.push(`final timeline ${finalT} samples, expected ${want.samples}`);
if (want.close && last?.closeReason !== want.close)
  problems.push(`last close reason ${last?.closeReason}, expected ${want.close}`);
if (want.chained)
  sessions.slice(1).forEach((s, i) => {
    const prev = sessions[i];
    if (!s.continuedSessions || s.continuedSessions[0]?.id !== prev.id)
      problems.push(`session ${i + 1} does not continue ${prev.id}`);
  });
const spans = sessions.reduce((n, s) => n + (s.discardedSpans || []).length, 0);
if (want.discarded && spans < Number(want.discarded))
  problems.push(`${spans} discarded spans, expected at least ${want.discarded}`);
if (want.stereo && !(last?.media?.[0]?.channels?.length === 2 || last?.media?.channels?.length === 2))
  problems.push(`media ${JSON.stringify(last?.media)}, expected stereo`);

console.log(`${sessions.length} session(s), final timeline ${finalT} samples, ` +
  `${spans} discarded span(s)` + (problems.length ? `: ${problems.join('; ')}` : ''));
process.exit(problems.length ? 1 : 0);
