#!/usr/bin/env node
// tests/nearmiss/score.js ASK_JSONL SET.tsv [--min-decline X] - scores the
// near-miss set (tests/nearmiss/README.md): questions close to a covered
// procedure but about something else. SET.tsv lines are
//   text<TAB>expected<TAB>voice
// where expected is "none" (no procedure of ours and none of the portal's
// list), a portal code ("1.000253": the question is about that procedure) or
// a catalogue id (it is exactly what that guide covers). ASK_JSONL is
// `motcua ask --batch` on the texts, one line each, in order.
//
// A line is OUT OF COVERAGE when its expected subject has no guide: "none",
// or a portal code no guide names. It is handled right when the bot declines
// (decision "none" without a known procedure, or the officer meta intent
// "gap-can-bo": the citizen is handed to a person, not to a guide) or names
// the known procedure ("known" = that code). Every other answer - a guide ("match"), a choice of
// guides ("clarify") or another known procedure - is wrong: the citizen is
// sent to a neighbour.
// A line is IN COVERAGE when its expected subject has a guide (a catalogue id,
// or a code in a guide's portal_codes): right when the decision is "match"
// with that guide.
// Prints both figures (and the misses with NEARMISS_SHOW=1); "TARGET NOT MET"
// when --target is given and the out-of-coverage figure is below it; exit 3
// when --min-decline is given and the figure is below it, 2 on bad input.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const args = process.argv.slice(2);
let minDecline = null;
let target = null;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--min-decline') minDecline = Number(args[++i]);
  else if (args[i] === '--target') target = Number(args[++i]);
  else files.push(args[i]);
}
if (files.length !== 2 || (minDecline !== null && !(minDecline >= 0 && minDecline <= 1))) {
  console.error('usage: score.js ASK_JSONL SET.tsv [--min-decline X] [--target X]');
  process.exit(2);
}

// code -> guide id, from the guides themselves
const guideOf = new Map();
const ids = new Set();
for (const f of fs.readdirSync(path.join(ROOT, 'data', 'procedures'))) {
  if (!f.endsWith('.json')) continue;
  const g = JSON.parse(fs.readFileSync(path.join(ROOT, 'data', 'procedures', f), 'utf8'));
  ids.add(g.id);
  for (const c of g.portal_codes || []) if (!guideOf.has(c)) guideOf.set(c, g.id);
}

const lines = fs.readFileSync(files[1], 'utf8').split('\n')
  .filter((l) => l.trim() && !l.startsWith('#'))
  .map((l, i) => {
    const [text, expected, voice] = l.split('\t');
    if (!text || !expected) { console.error(`${files[1]}:${i + 1}: needs text<TAB>expected`); process.exit(2); }
    if (expected !== 'none' && !/^\d\.\d{6,9}$/.test(expected) && !ids.has(expected)) {
      console.error(`${files[1]}:${i + 1}: expected "${expected}" is not none, a portal code or a guide id`);
      process.exit(2);
    }
    return { text, expected, voice: voice || '-' };
  });
const answers = fs.readFileSync(files[0], 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
if (answers.length !== lines.length) {
  console.error(`${files[0]}: ${answers.length} answers for ${lines.length} lines`);
  process.exit(2);
}

const out = { n: 0, right: 0, misses: [] };
const inn = { n: 0, right: 0, misses: [] };
lines.forEach((l, i) => {
  const a = answers[i];
  const guide = ids.has(l.expected) ? l.expected : guideOf.get(l.expected);
  const said = a.decision === 'match' ? a.label : a.known ? 'known:' + a.known : a.decision;
  if (guide) {
    inn.n++;
    if (a.decision === 'match' && a.label === guide) inn.right++;
    else inn.misses.push(`${l.text}\t${guide}\t${said}`);
  } else {
    out.n++;
    // "gặp cán bộ" (the officer meta intent) declines too: no guide, a person
    const declined = (a.decision === 'none' && !a.known) ||
      (a.decision === 'match' && a.label === 'gap-can-bo' && !a.known);
    const ok = declined || (a.known && a.known === l.expected);
    if (ok) out.right++;
    else out.misses.push(`${l.text}\t${l.expected}\t${said}`);
  }
});
const pct = (x) => (x.n ? x.right / x.n : 0).toFixed(3);
console.log(`${path.basename(files[1])}: out of coverage declined or named ${pct(out)} (${out.right}/${out.n}); ` +
  `in coverage answered with the guide ${pct(inn)} (${inn.right}/${inn.n})`);
if (process.env.NEARMISS_SHOW === '1') {
  for (const m of out.misses) console.log('  out-miss\t' + m);
  for (const m of inn.misses) console.log('  in-miss\t' + m);
}
if (target !== null && out.n && out.right / out.n < target) console.log(`  TARGET NOT MET (target ${target})`);
if (minDecline !== null && out.n && out.right / out.n < minDecline) {
  console.log(`  below the target ${minDecline}`);
  process.exit(3);
}
