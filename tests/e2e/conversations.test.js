// tests/e2e/conversations.test.js - runs every scripted conversation in
// tests/e2e/conversations/*.json over a real WebSocket against the real
// server (issue 5). A script is
//   {"name": "...", "env"?: {MOTCUA_*: ...}, "turns": [turn, ...]}
// and a turn is one of
//   {"say": "text", "expect": {...}}          a typed message
//   {"tap": "payload", "expect": {...}}       a quick-reply postback
//   {"restart_server": true}                  stop the server, start a new one on the same
//                                             state folder, hello again with the same token
//   {"reconnect": true}                       close the socket, hello again with the token
// Expectations (every key is checked; an unknown key fails the script):
//   procedure (id|null), understanding_label, card (id), no_card,
//   step (n), step_total, no_step, question_doc, question_kind, question_n, no_question,
//   quick_replies_include [titles], quick_replies_exclude [titles], quick_replies_min (n),
//   payloads_include [payloads], payloads_exclude [payloads],
//   text_includes [strings], text_excludes [strings], text_matches (regexp source),
//   checklist {procedure, complete, ready:[ids], missing:[ids], unknown:[ids], not_needed:[ids]}
//     (each listed status must hold exactly those ids), no_checklist,
//   locality (code), no_locality, officer (true|false), officer_hotline, officer_office_includes.
// Every reply is also checked against the reply contract: at most 13 quick
// replies, titles of 1..20 characters, payloads a Zalo text can carry.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startServer, Client } = require('./lib/server');

const DIR = path.join(__dirname, 'conversations');
const FILES = fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
// The committed list of scripts: deleting (or adding) a script without
// editing MANIFEST fails the count gate at the end of this file.
const MANIFEST = fs.readFileSync(path.join(DIR, 'MANIFEST'), 'utf8').split('\n')
  .map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const passed = new Set(); // scripts whose every turn passed
const PAYLOAD_RE = /^(next|prev|cancel|restart|checklist|[a-z][a-z0-9-]*:[a-z0-9:-]+)$/;
const STATUSES = ['ready', 'missing', 'unknown', 'not_needed'];

let shared;
before(async () => { shared = await startServer(); });
after(async () => { if (shared) await shared.stop(); });

function text_of(r) {
  return r.messages.map((m) => m.text).join('\n');
}

function check_contract(r, where) {
  assert.equal(r.type, 'reply', `${where}: expected a reply frame, got ${JSON.stringify(r)}`);
  assert.ok(Array.isArray(r.messages) && r.messages.length >= 1, `${where}: no message`);
  for (const m of r.messages) assert.ok(typeof m.text === 'string' && m.text.length > 0, `${where}: empty message`);
  assert.ok(Array.isArray(r.quick_replies), `${where}: quick_replies missing`);
  assert.ok(r.quick_replies.length <= 13, `${where}: ${r.quick_replies.length} quick replies`);
  const seen = new Set();
  for (const q of r.quick_replies) {
    const n = [...q.title].length;
    assert.ok(n >= 1 && n <= 20, `${where}: title "${q.title}" has ${n} characters`);
    assert.match(q.payload, PAYLOAD_RE, `${where}: payload "${q.payload}"`);
    assert.ok(!seen.has(q.payload), `${where}: payload "${q.payload}" offered twice`);
    seen.add(q.payload);
  }
  assert.ok('procedure' in r, `${where}: procedure missing`);
  if (r.card) for (const k of ['id', 'title', 'where', 'time', 'fee', 'online', 'url'])
    assert.equal(typeof r.card[k], 'string', `${where}: card.${k}`);
  if (r.card) assert.equal(r.card.url, `/thu-tuc/${r.card.id}`, `${where}: card.url`);
  if (r.step) assert.ok(r.step.n >= 1 && r.step.n <= r.step.total && r.step.text, `${where}: step ${JSON.stringify(r.step)}`);
  if (r.question) {
    assert.ok(['document', 'condition'].includes(r.question.kind), `${where}: question.kind`);
    assert.ok(r.question.n >= 1 && r.question.n <= r.question.total, `${where}: question.n`);
  }
  if (r.checklist) {
    assert.equal(r.checklist.url, `/thu-tuc/${r.checklist.procedure}`, `${where}: checklist.url`);
    for (const it of r.checklist.items) assert.ok(STATUSES.includes(it.status), `${where}: status ${it.status}`);
    assert.ok(Array.isArray(r.checklist.return_reasons), `${where}: return_reasons`);
  }
}

const CHECKS = {
  procedure: (r, v) => assert.equal(r.procedure, v),
  understanding_label: (r, v) => assert.equal(r.understanding && r.understanding.label, v),
  card: (r, v) => assert.equal(r.card && r.card.id, v, 'card'),
  no_card: (r) => assert.equal(r.card, undefined, 'unexpected card'),
  step: (r, v) => assert.equal(r.step && r.step.n, v, `step is ${JSON.stringify(r.step)}`),
  step_total: (r, v) => assert.equal(r.step && r.step.total, v),
  no_step: (r) => assert.equal(r.step, undefined, 'unexpected step'),
  question_doc: (r, v) => assert.equal(r.question && r.question.doc, v, `question is ${JSON.stringify(r.question)}`),
  question_kind: (r, v) => assert.equal(r.question && r.question.kind, v),
  question_n: (r, v) => assert.equal(r.question && r.question.n, v),
  no_question: (r) => assert.equal(r.question, undefined, `unexpected question ${JSON.stringify(r.question)}`),
  quick_replies_include: (r, v) => {
    const titles = r.quick_replies.map((q) => q.title);
    for (const t of v) assert.ok(titles.includes(t), `quick reply "${t}" not in ${JSON.stringify(titles)}`);
  },
  quick_replies_exclude: (r, v) => {
    const titles = r.quick_replies.map((q) => q.title);
    for (const t of v) assert.ok(!titles.includes(t), `quick reply "${t}" should not be offered`);
  },
  quick_replies_min: (r, v) => assert.ok(r.quick_replies.length >= v, `${r.quick_replies.length} quick replies`),
  payloads_include: (r, v) => {
    const p = r.quick_replies.map((q) => q.payload);
    for (const x of v) assert.ok(p.includes(x), `payload "${x}" not in ${JSON.stringify(p)}`);
  },
  payloads_exclude: (r, v) => {
    const p = r.quick_replies.map((q) => q.payload);
    for (const x of v) assert.ok(!p.includes(x), `payload "${x}" should not be offered`);
  },
  text_includes: (r, v) => {
    const t = text_of(r);
    for (const s of v) assert.ok(t.includes(s), `text lacks "${s}":\n${t}`);
  },
  text_excludes: (r, v) => {
    const t = text_of(r);
    for (const s of v) assert.ok(!t.includes(s), `text has "${s}":\n${t}`);
  },
  text_matches: (r, v) => assert.match(text_of(r), new RegExp(v)),
  checklist: (r, v) => {
    assert.ok(r.checklist, 'no checklist');
    if ('procedure' in v) assert.equal(r.checklist.procedure, v.procedure);
    if ('complete' in v) assert.equal(r.checklist.complete, v.complete, 'checklist.complete');
    for (const s of STATUSES) {
      if (!(s in v)) continue;
      const got = r.checklist.items.filter((i) => i.status === s).map((i) => i.id).sort();
      assert.deepEqual(got, [...v[s]].sort(), `checklist ${s}`);
    }
    for (const k of Object.keys(v))
      assert.ok(['procedure', 'complete', ...STATUSES].includes(k), `unknown checklist key ${k}`);
  },
  no_checklist: (r) => assert.equal(r.checklist, undefined, 'unexpected checklist'),
  locality: (r, v) => assert.equal(r.locality && r.locality.code, v, `locality is ${JSON.stringify(r.locality)}`),
  no_locality: (r) => assert.equal(r.locality, undefined),
  officer: (r, v) => assert.equal(!!r.officer, v, `officer is ${JSON.stringify(r.officer)}`),
  officer_hotline: (r, v) => assert.equal(r.officer && r.officer.hotline, v),
  officer_office_includes: (r, v) => assert.ok(r.officer && (r.officer.office_name || '').includes(v), JSON.stringify(r.officer)),
};

for (const file of FILES) {
  const script = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8'));
  test(`conversation ${file}: ${script.name}`, async () => {
    const own = script.env || script.turns.some((t) => t.restart_server);
    let srv = own ? await startServer({ env: script.env }) : shared;
    let c;
    try {
      c = await Client.connect(srv.wsUrl);
      const w = await c.hello();
      assert.equal(w.type, 'welcome');
      const token = w.session;
      for (const [i, turn] of script.turns.entries()) {
        const where = `${file} turn ${i + 1} (${turn.say ? 'say "' + turn.say + '"' : turn.tap ? 'tap ' + turn.tap : Object.keys(turn)[0]})`;
        if (turn.restart_server || turn.reconnect) {
          await c.close();
          if (turn.restart_server) {
            await srv.stop();
            srv = await startServer({ dir: srv.dir, env: script.env });
          }
          c = await Client.connect(srv.wsUrl);
          const w2 = await c.hello(token);
          assert.equal(w2.session, token, `${where}: a new session was started`);
          assert.equal(w2.resumed, true, `${where}: not resumed`);
          continue;
        }
        assert.ok(turn.say !== undefined || turn.tap !== undefined, `${where}: a turn needs say or tap`);
        const r = turn.say !== undefined ? await c.say(turn.say) : await c.tap(turn.tap);
        check_contract(r, where);
        for (const [k, v] of Object.entries(turn.expect || {})) {
          assert.ok(CHECKS[k], `${where}: unknown expectation "${k}"`);
          try {
            CHECKS[k](r, v);
          } catch (e) {
            e.message = `${where}: ${k}: ${e.message}`;
            throw e;
          }
        }
      }
    } finally {
      if (c) await c.close();
      if (srv !== shared) await srv.stop();
    }
    passed.add(file);
  });
}

test('every script in MANIFEST is in the folder, ran and passed; no other script', () => {
  const listed = [...new Set(MANIFEST)].sort();
  assert.equal(listed.length, MANIFEST.length, 'MANIFEST names a script twice');
  const missing = listed.filter((f) => !FILES.includes(f));
  const unlisted = FILES.filter((f) => !listed.includes(f));
  assert.deepEqual(missing, [], `scripts in MANIFEST but not in ${DIR}`);
  assert.deepEqual(unlisted, [], `scripts in ${DIR} but not in MANIFEST`);
  const notPassed = listed.filter((f) => !passed.has(f));
  assert.deepEqual(notPassed, [], 'scripts that did not run to the end and pass');
  assert.equal(passed.size, MANIFEST.length, `${passed.size} of ${MANIFEST.length} scripts passed`);
  // a script removed together with its MANIFEST line still fails here
  assert.ok(MANIFEST.length >= 31, `MANIFEST lists ${MANIFEST.length} scripts, fewer than 31: a script was removed`);
});
