#!/usr/bin/env node
// tests/eval-conv.js - the conversation evaluation (issue 12).
//
//   node tests/eval-conv.js [options] FILE.jsonl...
//
// Plays every conversation of the given JSONL files over a real WebSocket
// (hello, then one `message` per turn, waiting for its `reply`) and scores
// each turn on the keys its `expect` names. The file format and the exact
// meaning of every key are in tests/conversations/README.md.
//
// Options:
//   --bin PATH        motcua binary to start (default build/motcua, or $MOTCUA_BIN)
//   --db PATH         knowledge database for it (default build/motcua.db, or $MOTCUA_DB)
//   --url ws://H:P/ws play against a running server instead of starting one
//   --timeout-ms N    per-turn timeout (default 5000); a timeout fails the turn
//                     and every later turn of that conversation (never a hang)
//   --min-turns R     exit 1 when the share of turns passed is below R (0..1)
//   --min-convs R     exit 1 when the share of conversations passed end to end is below R
//   --verbose         print every failing turn (text, expected, got)
//   --check           only validate the files (exit 0 or 2), play nothing
// Exit: 0 ok, 1 below a --min-* target or runtime failure, 2 bad usage or a
// malformed file (the message names file:line and the problem).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DATA = path.join(ROOT, 'data');
const CLASSES = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'greet', 'oos', 'base'];
const KEYS = ['label', 'topic', 'asks', 'locality', 'units', 'clarify', 'none'];
const MIN_TURNS = 3, MAX_TURNS = 7; /* per conversation, the format of tests/conversations/ */
const TEXT_MAX = 2048; /* bytes; the WebSocket protocol's limit for one message */
const NEEDLE_MAX = 90; /* characters; a longer first sentence is cut to its first clause */
const CLAUSE_MIN = 30; /* characters; the shortest clause accepted as a needle */

class Malformed extends Error {}

function usage(msg) {
  process.stderr.write(`eval-conv: ${msg}\nusage: node tests/eval-conv.js [--bin P] [--db P] [--url ws://…] ` +
    '[--timeout-ms N] [--min-turns R] [--min-convs R] [--verbose] [--check] FILE.jsonl...\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { files: [], timeoutMs: 5000, verbose: false, check: false };
  const num = (a, v, lo, hi) => {
    const n = Number(v);
    if (v === undefined || v === '' || !Number.isFinite(n) || n < lo || n > hi) usage(`${a} needs a number in ${lo}..${hi}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--bin') o.bin = argv[++i];
    else if (a === '--db') o.db = argv[++i];
    else if (a === '--url') o.url = argv[++i];
    else if (a === '--timeout-ms') o.timeoutMs = num(a, argv[++i], 100, 120000);
    else if (a === '--min-turns') o.minTurns = num(a, argv[++i], 0, 1);
    else if (a === '--min-convs') o.minConvs = num(a, argv[++i], 0, 1);
    else if (a === '--verbose' || a === '-v') o.verbose = true;
    else if (a === '--check') o.check = true;
    else if (a === '--help' || a === '-h') usage('help');
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else o.files.push(a);
  }
  for (const k of ['bin', 'db', 'url']) if (k in o && !o[k]) usage(`--${k} needs a value`);
  if (o.url && !/^wss?:\/\/[^/]+\/ws$/.test(o.url)) usage('--url must look like ws://127.0.0.1:8080/ws');
  if (!o.files.length) usage('no conversation file given');
  return o;
}

// ---- text folding -------------------------------------------------------
// NFC, lower case, every run of non-letters/digits one space, and the tone
// mark of each word moved to its end so "hòa" and "hoà" fold alike.
const TONES = /[\u0300\u0301\u0303\u0309\u0323]/g;
function fold(s) {
  return String(s).normalize('NFD').toLowerCase()
    .split(/[^\p{L}\p{N}\p{M}]+/u).filter(Boolean)
    .map((w) => { const t = w.match(TONES); return (w.replace(TONES, '') + (t ? t.join('') : '')).normalize('NFC'); })
    .join(' ');
}
const contains = (hay, needle) => (' ' + fold(hay) + ' ').includes(' ' + fold(needle) + ' ');

// The needle of a guide text: its first sentence; if that is longer than
// NEEDLE_MAX characters, its first clause of at least CLAUSE_MIN characters
// (a clause ends before , ; : ( – —); failing that, its first 60 characters
// cut after a whole word.
function needle(text) {
  let s = String(text).trim();
  const m = /[.!?…](\s+)\S/u.exec(s);
  if (m) s = s.slice(0, m.index + 1);
  s = s.replace(/[.!?…:;,\s]+$/u, '');
  const ch = [...s];
  if (ch.length <= NEEDLE_MAX) return s;
  for (let i = CLAUSE_MIN; i < Math.min(ch.length, NEEDLE_MAX); i++)
    if (',;:(–—'.includes(ch[i])) return ch.slice(0, i).join('').trim();
  const cut = ch.slice(0, 60).join('');
  return cut.slice(0, cut.lastIndexOf(' ')).trim();
}

// ---- reference data -----------------------------------------------------
function loadCatalogue() {
  const lines = fs.readFileSync(path.join(DATA, 'catalogue.tsv'), 'utf8').split('\n').slice(1);
  const procs = new Set(), metas = new Set();
  for (const l of lines) {
    const [id, kind] = l.split('\t');
    if (!id) continue;
    (kind === 'procedure' ? procs : metas).add(id);
  }
  return { procs, metas };
}

function loadUnits() {
  const lines = fs.readFileSync(path.join(DATA, 'units', 'units-current.csv'), 'utf8').split('\n').slice(1);
  const byCode = new Map(), byName = new Map();
  for (const l of lines) {
    if (!l.trim()) continue;
    const [, province, code, name] = l.replace(/\r$/, '').normalize('NFC').split(',');
    const u = { code, name, province };
    byCode.set(code, u);
    const k = fold(name);
    byName.set(k, [...(byName.get(k) || []), u]);
  }
  return { byCode, byName };
}

// The guide file itself, only to check doc:/step:/faq: references before
// playing; the texts compared are always the served guide's.
function localGuide(id, ref) {
  if (!ref.local.has(id)) ref.local.set(id, JSON.parse(fs.readFileSync(path.join(DATA, 'procedures', `${id}.json`), 'utf8')));
  return ref.local.get(id);
}

// ---- file validation ----------------------------------------------------
const ASK_ONE = '(fee|processing_time|where|result|legal|documents|steps|online|who|exemptions|return|step:[1-9][0-9]?|doc:[a-z0-9-]+|faq:[1-9])';
const ASK_RE = new RegExp(`^${ASK_ONE}(\\|${ASK_ONE})*$`); /* "faq:5|where": either answers the ask */

function validateExpect(e, ref, where) {
  if (!e || typeof e !== 'object' || Array.isArray(e)) throw new Malformed(`${where}: expect must be an object`);
  const keys = Object.keys(e);
  if (!keys.length) throw new Malformed(`${where}: expect names no key (a turn must be scored on something)`);
  for (const k of keys) if (!KEYS.includes(k)) throw new Malformed(`${where}: unknown key "${k}" (known: ${KEYS.join(', ')})`);
  const isId = (v) => ref.cat.procs.has(v) || ref.cat.metas.has(v);
  if ('label' in e && !(typeof e.label === 'string' && (isId(e.label) || e.label === 'none')))
    throw new Malformed(`${where}: label "${e.label}" is not a catalogue id or "none"`);
  if ('topic' in e && e.topic !== null && !ref.cat.procs.has(e.topic))
    throw new Malformed(`${where}: topic "${e.topic}" is not a procedure id of data/catalogue.tsv (or null)`);
  if ('asks' in e) {
    if (!Array.isArray(e.asks) || !e.asks.length) throw new Malformed(`${where}: asks must be a non-empty array`);
    for (const a of e.asks) if (typeof a !== 'string' || !ASK_RE.test(a)) throw new Malformed(`${where}: unknown ask "${a}"`);
    if (typeof e.topic !== 'string') throw new Malformed(`${where}: asks needs a topic (the guide the fields come from)`);
    const g = localGuide(e.topic, ref);
    for (const a of e.asks.flatMap((x) => x.split('|'))) {
      const [k, arg] = a.split(':');
      if (k === 'doc' && !g.documents.some((d) => d.id === arg)) throw new Malformed(`${where}: ${a}: no such document in data/procedures/${e.topic}.json`);
      if (k === 'step' && Number(arg) > g.steps.length) throw new Malformed(`${where}: ${a}: ${e.topic} has ${g.steps.length} steps`);
      if (k === 'faq' && Number(arg) > g.faq.length) throw new Malformed(`${where}: ${a}: ${e.topic} has ${g.faq.length} faq entries`);
    }
  }
  const unit = (v, k) => {
    if (typeof v !== 'string') throw new Malformed(`${where}: ${k} must be a ward code or name`);
    if (/^\d{5}$/.test(v)) {
      if (!ref.units.byCode.has(v)) throw new Malformed(`${where}: ${k}: no current unit with code ${v}`);
      return ref.units.byCode.get(v);
    }
    const l = ref.units.byName.get(fold(v)) || [];
    if (l.length !== 1) throw new Malformed(`${where}: ${k}: "${v}" names ${l.length} current units; give the ward code`);
    return l[0];
  };
  if ('locality' in e) e.locality = unit(e.locality, 'locality').code;
  if ('units' in e) {
    if (!Array.isArray(e.units) || e.units.length < 2) throw new Malformed(`${where}: units must list at least 2 units`);
    e.units = e.units.map((u) => unit(u, 'units').code);
  }
  if ('clarify' in e) {
    if (!Array.isArray(e.clarify) || e.clarify.length < 2) throw new Malformed(`${where}: clarify must list at least 2 procedure ids`);
    for (const id of e.clarify) if (!ref.cat.procs.has(id)) throw new Malformed(`${where}: clarify: "${id}" is not a procedure id`);
  }
  if ('none' in e && e.none !== true) throw new Malformed(`${where}: none must be true`);
}

function loadFile(file, ref, seenIds) {
  let raw;
  try { raw = fs.readFileSync(file, 'utf8'); } catch (err) { throw new Malformed(`${file}: cannot read: ${err.message}`); }
  const convs = [];
  raw.split('\n').forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    if (!line.trim()) return;
    let c;
    try { c = JSON.parse(line); } catch (err) { throw new Malformed(`${where}: not JSON: ${err.message}`); }
    if (!c || typeof c !== 'object' || Array.isArray(c)) throw new Malformed(`${where}: a line must be one JSON object`);
    for (const k of Object.keys(c)) if (!['id', 'class', 'style', 'turns', 'note'].includes(k)) throw new Malformed(`${where}: unknown field "${k}"`);
    if (typeof c.id !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(c.id)) throw new Malformed(`${where}: id must be a slug`);
    if (seenIds.has(c.id)) throw new Malformed(`${where}: id "${c.id}" already used at ${seenIds.get(c.id)}`);
    seenIds.set(c.id, where);
    if (!CLASSES.includes(c.class)) throw new Malformed(`${where}: class "${c.class}" is not one of ${CLASSES.join(' ')}`);
    if (typeof c.style !== 'string' || !c.style) throw new Malformed(`${where}: style must be a non-empty string`);
    if (!Array.isArray(c.turns) || c.turns.length < MIN_TURNS || c.turns.length > MAX_TURNS)
      throw new Malformed(`${where}: turns must be an array of ${MIN_TURNS}..${MAX_TURNS} turns`);
    c.turns.forEach((t, j) => {
      const tw = `${where}: turn ${j + 1}`;
      if (!t || typeof t !== 'object') throw new Malformed(`${tw}: must be an object`);
      for (const k of Object.keys(t)) if (!['text', 'expect'].includes(k)) throw new Malformed(`${tw}: unknown field "${k}"`);
      if (typeof t.text !== 'string' || !t.text.trim()) throw new Malformed(`${tw}: text must be a non-empty string`);
      if (Buffer.byteLength(t.text) > TEXT_MAX) throw new Malformed(`${tw}: text longer than ${TEXT_MAX} bytes`);
      validateExpect(t.expect, ref, tw);
    });
    convs.push({ ...c, file: path.basename(file), line: i + 1 });
  });
  if (!convs.length) throw new Malformed(`${file}: no conversation`);
  return convs;
}

// ---- guides and expected texts -------------------------------------------
async function getGuide(httpBase, id, cache) {
  if (!cache.has(id)) {
    const r = await fetch(`${httpBase}/api/v1/procedures/${id}`, { signal: AbortSignal.timeout(5000) });
    if (!r.ok) throw new Error(`GET /api/v1/procedures/${id}: HTTP ${r.status}`);
    cache.set(id, await r.json());
  }
  return cache.get(id);
}

// Returns {what, needles[], any}: the reply must contain every needle (or,
// with any, at least one).
function askNeedles(g, ask) {
  const txt = (v) => (v && typeof v === 'object' ? v.text : v);
  const docName = (d) => {
    const bare = d.name.replace(/\s*\([^()]*\)\s*$/u, '');
    return needle([...bare].length >= 15 ? bare : d.name);
  };
  const [k, arg] = ask.split(':');
  switch (k) {
    case 'fee': return { needles: [needle(txt(g.fee))] };
    case 'processing_time': return { needles: [needle(txt(g.processing_time))] };
    case 'where': return { needles: [needle(txt(g.where))] };
    case 'result': return { needles: [needle(g.result)] };
    case 'online': return { needles: [needle(txt(g.online))] };
    case 'exemptions': return { needles: [needle((g.fee_detail || {}).exemptions || '')] };
    case 'who': return { needles: [needle(g.who_may_submit[0].who)] };
    case 'return': return { needles: [needle(g.return_reasons[0])] };
    case 'legal': {
      const nums = [];
      for (const l of g.legal_basis) for (const m of l.matchAll(/\d+(?:\.\d+)?\/\d{4}\/[\p{L}\d-]+/gu)) nums.push(m[0]);
      return nums.length ? { needles: nums, any: true } : { needles: g.legal_basis.map(needle), any: true };
    }
    case 'documents': return { needles: [docName(g.documents.find((d) => !d.when) || g.documents[0])] };
    case 'doc': {
      const d = g.documents.find((x) => x.id === arg);
      if (!d) throw new Malformed(`no document "${arg}" in guide ${g.id}`);
      return { needles: [docName(d)] };
    }
    case 'steps': case 'step': {
      const n = arg ? Number(arg) : 1;
      const s = g.steps[n - 1];
      if (s === undefined) throw new Malformed(`guide ${g.id} has no step ${n}`);
      return { needles: [needle(typeof s === 'string' ? s : s.text)] };
    }
    case 'faq': {
      const f = g.faq[Number(arg) - 1];
      if (!f) throw new Malformed(`guide ${g.id} has no faq ${arg}`);
      return { needles: [needle(f.a)] };
    }
  }
  throw new Malformed(`unknown ask ${ask}`);
}

// ---- scoring ------------------------------------------------------------
function replyText(r) {
  const parts = (r.messages || []).map((m) => m.text);
  if (r.card) for (const k of ['title', 'where', 'time', 'fee', 'online']) if (r.card[k]) parts.push(r.card[k]);
  if (r.step && r.step.text) parts.push(r.step.text);
  return parts.join('\n');
}

function shortName(s) { return s.replace(/^(Thành phố|Tỉnh)\s+/u, ''); }

// Each check returns null (pass) or the reason it failed.
async function scoreTurn(r, e, ctx) {
  const text = replyText(r);
  const label = r.understanding ? r.understanding.label : null;
  const payloads = (r.quick_replies || []).map((q) => q.payload);
  const out = {};
  if ('label' in e) out.label = label === e.label ? null : `label ${label}`;
  if ('topic' in e) out.topic = r.procedure === e.topic ? null : `procedure ${r.procedure}`;
  if ('asks' in e) {
    const g = await getGuide(ctx.httpBase, e.topic, ctx.guides);
    const miss = [];
    for (const a of e.asks) {
      const alts = a.split('|').map((x) => askNeedles(g, x));
      const ok = alts.some((n) => (n.any ? n.needles.some((x) => contains(text, x)) : n.needles.every((x) => contains(text, x))));
      if (!ok) miss.push(`${a} (${alts.map((n) => '"' + n.needles.slice(0, 3).join('" | "') + '"').join(' or ')})`);
    }
    out.asks = miss.length ? `missing ${miss.join('; ')}` : null;
  }
  if ('locality' in e) {
    const u = ctx.ref.units.byCode.get(e.locality);
    if (!contains(text, u.name)) out.locality = `"${u.name}" not named`;
    else if (r.locality) out.locality = r.locality.code === u.code ? null : `locality block ${r.locality.code} ${r.locality.name} (${r.locality.province})`;
    else out.locality = contains(text, shortName(u.province)) ? null : `no locality block and province "${u.province}" not named`;
  }
  if ('units' in e) {
    const miss = e.units.filter((c) => {
      const u = ctx.ref.units.byCode.get(c);
      return !payloads.includes(`unit:${c}`) && !(contains(text, u.name) && contains(text, shortName(u.province)));
    });
    out.units = miss.length ? `not offered: ${miss.join(', ')}` : null;
  }
  if ('clarify' in e) {
    const miss = [];
    for (const id of e.clarify) {
      const byPayload = payloads.some((p) => new RegExp(`^[a-z]+:${id}(:|$)`).test(p));
      let byText = false;
      if (!byPayload) {
        const g = await getGuide(ctx.httpBase, id, ctx.guides);
        byText = contains(text, g.name) || contains(text, g.short_name);
      }
      if (!byPayload && !byText) miss.push(id);
    }
    const guessed = r.card ? `answered with the card of ${r.card.id}` : r.step ? 'answered with a step' : null;
    out.clarify = miss.length ? `not offered: ${miss.join(', ')}${guessed ? '; ' + guessed : ''}` : guessed;
  }
  if ('none' in e) {
    const inScope = label && label !== 'none';
    const answered = r.card ? `card ${r.card.id}` : r.step ? 'a step' : r.question ? 'a question' : r.checklist ? 'a checklist' : null;
    out.none = inScope ? `understood as ${label}` : answered ? `answered with ${answered}` : null;
  }
  return out;
}

// ---- playing ------------------------------------------------------------
async function play(conv, ctx) {
  const { Client } = ctx.lib;
  const results = [];
  let c, dead = null;
  const withTimeout = (p, what) => Promise.race([p, new Promise((_, rej) =>
    setTimeout(() => rej(new Error(`${what}: no answer within ${ctx.timeoutMs} ms`)), ctx.timeoutMs))]);
  try {
    c = await withTimeout(Client.connect(ctx.wsUrl), 'connect');
    const w = await withTimeout(c.hello(), 'hello');
    if (w.type !== 'welcome') dead = `hello answered ${JSON.stringify(w).slice(0, 200)}`;
  } catch (err) { dead = err.message; }
  for (const [i, t] of conv.turns.entries()) {
    const res = { n: i + 1, text: t.text, expect: t.expect, fails: {}, got: null };
    if (dead) {
      for (const k of Object.keys(t.expect)) res.fails[k] = `not played: ${dead}`;
    } else {
      try {
        const id = `${conv.id}-${i + 1}`.slice(0, 64);
        c.send({ type: 'message', text: t.text, id });
        const r = await c.nextReply(ctx.timeoutMs);
        if (r.type !== 'reply') {
          for (const k of Object.keys(t.expect)) res.fails[k] = `${r.type} frame ${r.code || ''} ${r.message || ''}`;
        } else {
          res.got = r;
          const s = await scoreTurn(r, t.expect, ctx);
          for (const [k, v] of Object.entries(s)) if (v) res.fails[k] = v;
        }
      } catch (err) {
        if (err instanceof Malformed) throw new Malformed(`${conv.file}:${conv.line}: turn ${i + 1}: ${err.message}`);
        dead = `turn ${i + 1}: ${err.message}`;
        for (const k of Object.keys(t.expect)) res.fails[k] = err.message;
      }
    }
    results.push(res);
  }
  if (c) { try { c.ws.terminate(); } catch (_) { /* already closed */ } }
  return results;
}

// ---- report -------------------------------------------------------------
const pct = (a, b) => (b ? (100 * a / b).toFixed(1).padStart(5) + '%' : '    -');
function tally() { return { turns: 0, tp: 0, convs: 0, cp: 0, keys: {} }; }
function add(t, res) {
  t.convs++;
  let all = true;
  for (const r of res) {
    t.turns++;
    const ok = !Object.keys(r.fails).length;
    if (ok) t.tp++; else all = false;
    for (const k of Object.keys(r.expect)) {
      t.keys[k] = t.keys[k] || [0, 0];
      t.keys[k][1]++;
      if (!(k in r.fails)) t.keys[k][0]++;
    }
  }
  if (all) t.cp++;
}
function line(name, t) {
  const keys = KEYS.filter((k) => t.keys[k]).map((k) => `${k} ${t.keys[k][0]}/${t.keys[k][1]}`).join(', ');
  return `${name.padEnd(16)} turns ${String(t.tp).padStart(4)}/${String(t.turns).padEnd(4)} ${pct(t.tp, t.turns)}   ` +
    `convs ${String(t.cp).padStart(3)}/${String(t.convs).padEnd(3)} ${pct(t.cp, t.convs)}   ${keys}`;
}

function describeGot(r) {
  if (!r) return '(no reply)';
  const q = (r.quick_replies || []).map((x) => x.payload).join(' ');
  const u = r.understanding ? `${r.understanding.label} ${r.understanding.confidence}` : 'null';
  const loc = r.locality ? ` locality=${r.locality.code} ${r.locality.name}` : '';
  const t = replyText(r).replace(/\s+/g, ' ');
  return `label=${u} procedure=${r.procedure}${r.card ? ' card=' + r.card.id : ''}${r.step ? ' step=' + r.step.n : ''}${loc}\n` +
    `        text: ${t.length > 300 ? t.slice(0, 300) + '…' : t}\n        quick: ${q || '-'}`;
}

// tests/e2e/lib/server.js registers a node:test after() hook that stops every
// server it started; outside the test runner that hook would start a TAP
// report on stdout, so while it loads its after() is a no-op: this program
// stops its one server itself.
function loadServerLib() {
  const Module = require('node:module');
  const load = Module._load;
  Module._load = function (req, ...rest) {
    const m = load.call(this, req, ...rest);
    return req === 'node:test' ? { ...m, after() {} } : m;
  };
  try { return require('./e2e/lib/server'); } finally { Module._load = load; }
}

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  const ref = { cat: loadCatalogue(), units: loadUnits(), local: new Map() };
  const convs = [], seen = new Map();
  try {
    for (const f of opt.files) convs.push(...loadFile(f, ref, seen));
  } catch (err) {
    if (err instanceof Malformed) { process.stderr.write(`eval-conv: ${err.message}\n`); process.exit(2); }
    throw err;
  }
  if (opt.check) {
    process.stdout.write(`eval-conv: ${convs.length} conversations, ${convs.reduce((n, c) => n + c.turns.length, 0)} turns: well-formed\n`);
    return 0;
  }
  if (opt.bin) process.env.MOTCUA_BIN = path.resolve(opt.bin);
  if (opt.db) process.env.MOTCUA_DB = path.resolve(opt.db);
  const lib = loadServerLib(); /* reads MOTCUA_BIN/MOTCUA_DB when loaded */
  let srv = null, wsUrl = opt.url;
  if (!wsUrl) {
    if (!fs.existsSync(lib.BIN)) usage(`no binary ${lib.BIN} (build it, or give --bin)`);
    if (!fs.existsSync(lib.DB)) usage(`no knowledge database ${lib.DB} (build it, or give --db)`);
    srv = await lib.startServer();
    wsUrl = srv.wsUrl;
  }
  const httpBase = wsUrl.replace(/^ws/, 'http').replace(/\/ws$/, '');
  const ctx = { lib, ref, wsUrl, httpBase, guides: new Map(), timeoutMs: opt.timeoutMs };
  const total = tally(), byFile = new Map(), byClass = new Map(), failures = [];
  let code = 0;
  try {
    for (const conv of convs) {
      const res = await play(conv, ctx);
      add(total, res);
      if (!byFile.has(conv.file)) byFile.set(conv.file, tally());
      add(byFile.get(conv.file), res);
      if (!byClass.has(conv.class)) byClass.set(conv.class, tally());
      add(byClass.get(conv.class), res);
      for (const r of res) if (Object.keys(r.fails).length) failures.push({ conv, r });
    }
  } catch (err) {
    if (err instanceof Malformed) { process.stderr.write(`eval-conv: ${err.message}\n`); code = 2; }
    else { process.stderr.write(`eval-conv: ${err.stack || err}\n`); code = 1; }
  } finally {
    if (srv) await srv.stop();
  }
  if (code) return code;

  const out = [];
  out.push(`conversation evaluation: ${opt.files.join(' ')}`);
  out.push('per key (turns that name the key):');
  for (const k of KEYS) if (total.keys[k]) out.push(`  ${k.padEnd(9)} ${String(total.keys[k][0]).padStart(4)}/${String(total.keys[k][1]).padEnd(4)} ${pct(...total.keys[k])}`);
  out.push('per file:');
  for (const [f, t] of byFile) out.push('  ' + line(f, t));
  out.push('per class:');
  for (const c of CLASSES) if (byClass.has(c)) out.push('  ' + line(c, byClass.get(c)));
  if (opt.verbose && failures.length) {
    out.push(`failing turns (${failures.length}):`);
    for (const { conv, r } of failures) {
      out.push(`  ${conv.file}:${conv.line} ${conv.id} [${conv.class}/${conv.style}] turn ${r.n}: "${r.text}"`);
      out.push(`        expected ${JSON.stringify(r.expect)}`);
      for (const [k, why] of Object.entries(r.fails)) out.push(`        ✗ ${k}: ${why}`);
      out.push('        got ' + describeGot(r.got));
    }
  }
  out.push(line('TOTAL', total));
  out.push(`turns passed ${total.tp}/${total.turns} (${pct(total.tp, total.turns).trim()}), ` +
    `conversations passed end to end ${total.cp}/${total.convs} (${pct(total.cp, total.convs).trim()})`);
  const below = [];
  if (opt.minTurns !== undefined && total.tp < opt.minTurns * total.turns) below.push(`turns below ${opt.minTurns}`);
  if (opt.minConvs !== undefined && total.cp < opt.minConvs * total.convs) below.push(`conversations below ${opt.minConvs}`);
  if (below.length) out.push(`eval-conv: FAIL: ${below.join(', ')}`);
  process.stdout.write(out.join('\n') + '\n');
  return below.length ? 1 : 0;
}

if (require.main === module) {
  main().then((c) => process.exit(c), (err) => { process.stderr.write(`eval-conv: ${err.stack || err}\n`); process.exit(1); });
}
module.exports = { fold, needle, askNeedles, contains };
