// tests/e2e/admin.test.js - the console's unanswered questions and teaching
// (issue 15) on the real server with listen.workers 2: an admin logs in; a
// question the bot misses (written for this test) appears in
// /api/v1/admin/unanswered, grouped with its near duplicate, PII masked,
// with the candidates the bot considered; taught to a procedure, the same
// question over the WebSocket is answered with that procedure on many
// connections spread over both worker processes, with no restart; deleted,
// it is not understood again. A conflicting phrase is refused (409), bad
// input is 400, no session 401, an officer or a missing CSRF token 403.
// The index is built off the event loop (teach_build.h): while a phrase is
// taught, a citizen on the same single-worker server is still answered
// quickly; concurrent teaches on both workers end with every phrase known
// on both.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const { startServer, tempDir, Client, stateQuery, SLOW, untilWorkers } = require('./lib/server');
const { addAccount, apiLogin } = require('./lib/console');

const PW = 'mật-khẩu-quản-trị-1';
const OFFSET_MS = 7 * 3600 * 1000; // Asia/Ho_Chi_Minh, the default report.timezone
// A death told by a euphemism, in southern speech: the bot declines it today.
const MISS = 'ông ngoại tui về với ông bà rồi, giấy tờ lo sao';
const MISS_NEAR = 'ông ngoại tui về với ông bà rồi, giấy tờ lo sao ạ';
const MISS_PII = 'ông ngoại tui về với ông bà rồi, giấy tờ lo sao 0912345678';
const CONNECTIONS = 12;

let srv, dir, admin, officer;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const localDate = (ms, days = 0) => new Date(ms + OFFSET_MS + days * 86400000).toISOString().slice(0, 10);
const range = () => `from=${localDate(Date.now(), -1)}&to=${localDate(Date.now(), 1)}`;

const add = (user, role) => addAccount(dir, user, role, PW);
const login = (username) => apiLogin(srv.url, username, PW);

function api(method, p, who, body, extra = {}) {
  const headers = { ...extra };
  if (who) headers.cookie = who.cookie;
  if (who && method !== 'GET') headers['x-csrf-token'] = who.csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(srv.url + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

// GET /metrics on a new connection each time, so the kernel picks a worker afresh.
function getFresh(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
  });
}

// Messages in on the web channel, per worker pid.
async function webMessagesByWorker() {
  const seen = new Map();
  for (let i = 0; i < 80 && seen.size < 2; i++) {
    const body = await getFresh(srv.url + '/metrics');
    const pid = Number(/^motcua_worker_pid (\d+)$/m.exec(body)[1]);
    const m = /^motcua_messages_in_total\{channel="web"\} (\d+)$/m.exec(body);
    seen.set(pid, m ? Number(m[1]) : 0);
  }
  assert.equal(seen.size, 2, 'both workers answered /metrics');
  return seen;
}

// Says text on n new connections (each a new session); the replies.
async function sayOnMany(text, n) {
  const clients = [];
  for (let i = 0; i < n; i++) clients.push(await Client.connect(srv.wsUrl));
  const replies = await Promise.all(clients.map(async (c) => {
    const w = await c.hello(null);
    assert.equal(w.type, 'welcome');
    return c.say(text);
  }));
  await Promise.all(clients.map((c) => c.close()));
  return replies;
}

// A worker that did not build the phrase's index itself learns it from the
// revision, building off its loop: its answers change within a build's time.
async function untilEvery(text, ok, what) {
  const end = Date.now() + 5000 * SLOW;
  let replies;
  for (;;) {
    replies = await sayOnBothWorkers(text);
    if (replies.every(ok) || Date.now() > end) break;
    await sleep(100);
  }
  for (const rep of replies) assert.ok(ok(rep), what + ': ' + JSON.stringify(rep.understanding));
  return replies;
}

// The replies of batches of new connections until both workers have answered
// some: the kernel spreads SO_REUSEPORT connections by a hash of their ports,
// so one batch of 12 lands on one worker about once in 2,048 (seen under
// ASan), and a worker that never takes a connection still fails after 6.
async function sayOnBothWorkers(text) {
  const before = await webMessagesByWorker();
  const replies = [];
  let idle = [];
  for (let batch = 0; batch < 6; batch++) {
    replies.push(...(await sayOnMany(text, CONNECTIONS)));
    const afterCounts = await webMessagesByWorker();
    idle = [...afterCounts].filter(([pid, n]) => !(n > (before.get(pid) || 0))).map(([pid]) => pid);
    if (idle.length === 0) return replies;
  }
  assert.fail(`worker ${idle.join(', ')} answered none of ${replies.length} connections`);
}

before(async () => {
  dir = tempDir();
  await add('lan.nt', 'admin');
  await add('minh.tv', 'officer');
  srv = await startServer({ dir, env: { MOTCUA_LISTEN_WORKERS: '2' } });
  await untilWorkers(srv, 2);
  admin = await login('lan.nt');
  officer = await login('minh.tv');
});
after(async () => { if (srv) await srv.stop(); });

test('the console page: login form, sections, report link', async () => {
  const r = await fetch(srv.url + '/admin');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/html/);
  const html = await r.text();
  for (const id of ['unanswered', 'teach', 'office', 'notes', 'feedback'])
    assert.match(html, new RegExp(`<section[^>]* id="${id}"`), `section #${id}`);
  assert.match(html, /href="\/admin\/bao-cao"/);
  assert.match(html, /<script src="\/admin\.js"/);
  assert.equal((await fetch(srv.url + '/admin.js')).status, 200);
  assert.equal((await fetch(srv.url + '/admin.css')).status, 200);
});

test('a missed question appears in unanswered, grouped, masked, with candidates', async () => {
  const replies = await sayOnMany(MISS, 1);
  // missed: not answered with a label (none, or a "did you mean" the unanswered list counts too)
  assert.notEqual(replies[0].understanding.decision, 'match', JSON.stringify(replies[0].understanding));
  assert.notEqual(replies[0].procedure, 'khai-tu');
  await sayOnMany(MISS_NEAR, 1);
  await sayOnMany(MISS_PII, 1);
  const r = await api('GET', '/api/v1/admin/unanswered?' + range(), admin);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('access-control-allow-origin'), null);
  const j = await r.json();
  assert.equal(j.timezone, 'Asia/Ho_Chi_Minh');
  assert.ok(j.low_confidence > 0.5 && j.low_confidence < 1, 'low_confidence ' + j.low_confidence);
  const g = j.groups.find((x) => x.examples.some((e) => e.text === MISS));
  assert.ok(g, 'the missed question is listed: ' + JSON.stringify(j.groups.map((x) => x.text)));
  assert.equal(g.count, 3, 'the question, its near duplicate and the masked one form one group');
  assert.equal(g.decisions.none + g.decisions.clarify + g.decisions.match, 3);
  assert.ok(g.decisions.none + g.decisions.clarify >= 2, JSON.stringify(g.decisions));
  assert.equal(g.examples.length, 3);
  assert.ok(g.examples.every((e) => !/0912345678/.test(e.text)), 'the phone number is masked');
  assert.ok(g.examples.some((e) => /^ông ngoại tui về với ông bà rồi, giấy tờ lo sao \*+78$/.test(e.text)),
    JSON.stringify(g.examples.map((e) => e.text)));
  assert.match(g.text, /\*+78$/, 'a group is shown by its newest message');
  assert.ok(Array.isArray(g.candidates) && g.candidates.length > 0, 'the candidates the bot considered');
  assert.deepEqual(g.examples.find((e) => e.text === MISS).candidates, replies[0].understanding.candidates);
  assert.ok(g.candidates.every((c) => typeof c.label === 'string' && typeof c.confidence === 'number'));
  // a question the bot answers surely is not listed
  const sure = await sayOnMany('đăng ký khai sinh cho con cần giấy tờ gì', 1);
  assert.equal(sure[0].understanding.decision, 'match');
  const j2 = await (await api('GET', '/api/v1/admin/unanswered?' + range(), admin)).json();
  assert.ok(!j2.groups.some((x) => x.text === 'đăng ký khai sinh cho con cần giấy tờ gì'));
});

test('taught, the question is answered at once on both workers; listed, exported, audited', async () => {
  const r = await api('POST', '/api/v1/admin/phrases', admin, { text: MISS, label: 'khai-tu' });
  const j = await r.json();
  assert.equal(r.status, 201, JSON.stringify(j));
  assert.equal(j.label, 'khai-tu');
  assert.equal(j.officer, 'lan.nt');
  const replies = await untilEvery(MISS, (rep) => rep.understanding.label === 'khai-tu', 'taught');
  for (const rep of replies) {
    assert.equal(rep.type, 'reply');
    assert.equal(rep.understanding.label, 'khai-tu', JSON.stringify(rep.understanding));
    assert.equal(rep.understanding.decision, 'match');
    assert.equal(rep.procedure, 'khai-tu');
  }
  const list = await (await api('GET', '/api/v1/admin/phrases', admin)).json();
  assert.equal(list.phrases.length, 1);
  assert.deepEqual({ ...list.phrases[0], created: 0 },
    { id: j.id, text: MISS, label: 'khai-tu', name: list.phrases[0].name, officer: 'lan.nt', created: 0 });
  assert.ok(list.phrases[0].name.length > 0);
  assert.ok(Math.abs(list.phrases[0].created * 1000 - Date.now()) < 60000);
  const tsv = await api('GET', '/api/v1/admin/phrases.tsv', admin);
  assert.equal(tsv.status, 200);
  assert.match(tsv.headers.get('content-type'), /^text\/tab-separated-values/);
  const lines = (await tsv.text()).split('\n').filter((l) => l && !l.startsWith('#'));
  assert.deepEqual(lines, ['khai-tu\t' + MISS]);
  const audit = stateQuery(dir, "SELECT username || ' ' || action || ' ' || detail FROM audit WHERE action = 'teach'");
  assert.equal(audit, `lan.nt teach phrase=${j.id} label=khai-tu`);
});

test('a conflicting phrase is refused with the reason (409)', async () => {
  // near a data phrase of another procedure (data/intents/voices.tsv, khai-sinh)
  let r = await api('POST', '/api/v1/admin/phrases', admin,
    { text: 'con e mới đẻ đc 10 ngày, giờ lm giấy tờ cho bé ở xã hay lên huyện', label: 'ket-hon' });
  let j = await r.json();
  assert.equal(r.status, 409, JSON.stringify(j));
  assert.equal(j.error, 'conflict');
  assert.equal(j.reason, 'near_other');
  assert.equal(j.conflict.label, 'khai-sinh');
  assert.match(j.message, /khai-sinh/);
  // the taught phrase itself, under another label
  r = await api('POST', '/api/v1/admin/phrases', admin, { text: MISS, label: 'thuong-tru' });
  j = await r.json();
  assert.equal(r.status, 409);
  assert.equal(j.reason, 'near_other');
  assert.equal(j.conflict.text, MISS);
  // the same phrase again under its own label
  r = await api('POST', '/api/v1/admin/phrases', admin, { text: MISS.toUpperCase(), label: 'khai-tu' });
  j = await r.json();
  assert.equal(r.status, 409);
  assert.equal(j.reason, 'duplicate');
  const list = await (await api('GET', '/api/v1/admin/phrases', admin)).json();
  assert.equal(list.phrases.length, 1, 'nothing refused was stored');
});

test('bad input is 400, naming the problem', async () => {
  const cases = [
    [{ text: '', label: 'khai-tu' }, 'empty_text'],
    [{ text: '  ?! ', label: 'khai-tu' }, 'empty_text'],
    [{ text: 'làm giấy tờ cho cái ao cá', label: 'khong-co-thu-tuc-nay' }, 'unknown_label'],
    [{ text: 'làm giấy tờ cho cái ao cá', label: '' }, 'unknown_label'],
    [{ text: 'á'.repeat(257), label: 'khai-tu' }, 'too_long'],
    [{ text: 'hai\tcột', label: 'khai-tu' }, 'bad_text'],
    [{ text: 'thiếu nhãn' }, 'bad_json'],
  ];
  for (const [body, code] of cases) {
    const r = await api('POST', '/api/v1/admin/phrases', admin, body);
    const j = await r.json();
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(j.error, code, JSON.stringify(body));
    assert.ok(j.message.length > 0);
  }
  const q = [['', 'missing_date'], ['from=2026-02-30&to=2026-03-01', 'bad_date'],
    ['from=2026-03-02&to=2026-03-01', 'reversed_range'], ['from=2016-01-01&to=2026-01-01', 'range_too_long']];
  for (const [query, code] of q) {
    const r = await api('GET', '/api/v1/admin/unanswered?' + query, admin);
    assert.equal(r.status, 400, query);
    assert.equal((await r.json()).error, code, query);
  }
  const r = await api('POST', '/api/v1/admin/phrases', admin, undefined, { 'content-type': 'text/plain' });
  assert.equal(r.status, 415);
});

test('401 without a session, 403 for an officer or without the CSRF token, 405', async () => {
  for (const p of ['/api/v1/admin/unanswered?' + range(), '/api/v1/admin/phrases', '/api/v1/admin/phrases.tsv']) {
    const r = await api('GET', p, null);
    assert.equal(r.status, 401, p);
    assert.equal((await r.json()).error, 'unauthorized');
    const o = await api('GET', p, officer);
    assert.equal(o.status, 403, p);
    assert.equal((await o.json()).error, 'forbidden');
  }
  let r = await api('POST', '/api/v1/admin/phrases', officer, { text: 'làm giấy tờ cho cái ao cá', label: 'khai-tu' });
  assert.equal(r.status, 403);
  r = await api('POST', '/api/v1/admin/phrases', { cookie: admin.cookie, csrf: '' }, { text: 'làm giấy tờ cho cái ao cá', label: 'khai-tu' });
  assert.equal(r.status, 403);
  assert.equal((await r.json()).error, 'csrf');
  r = await api('DELETE', '/api/v1/admin/phrases/1', { cookie: admin.cookie, csrf: 'f'.repeat(64) });
  assert.equal(r.status, 403);
  r = await api('DELETE', '/api/v1/admin/phrases/1', null);
  assert.equal(r.status, 401);
  r = await api('PUT', '/api/v1/admin/phrases', admin);
  assert.equal(r.status, 405);
  r = await api('DELETE', '/api/v1/admin/unanswered', admin);
  assert.equal(r.status, 405);
  r = await api('DELETE', '/api/v1/procedures/khai-tu', admin);
  assert.equal(r.status, 405, 'DELETE elsewhere stays refused');
  const list = await (await api('GET', '/api/v1/admin/phrases', admin)).json();
  assert.equal(list.phrases.length, 1, 'nothing was deleted');
});

test('deleted, the question is not understood again, on both workers', async () => {
  const list = await (await api('GET', '/api/v1/admin/phrases', admin)).json();
  const id = list.phrases[0].id;
  let r = await api('DELETE', '/api/v1/admin/phrases/' + id, admin);
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { deleted: id, label: 'khai-tu' });
  const replies = await untilEvery(MISS, (rep) => rep.understanding.label !== 'khai-tu', 'deleted');
  for (const rep of replies) {
    assert.notEqual(rep.understanding.label, 'khai-tu', JSON.stringify(rep.understanding));
    assert.notEqual(rep.understanding.decision, 'match'); // missed again: none or "did you mean"
  }
  r = await api('DELETE', '/api/v1/admin/phrases/' + id, admin);
  assert.equal(r.status, 404);
  assert.equal((await r.json()).error, 'unknown_phrase');
  r = await api('DELETE', '/api/v1/admin/phrases/abc', admin);
  assert.equal(r.status, 404);
  const audit = stateQuery(dir, "SELECT username || ' ' || action || ' ' || detail FROM audit WHERE action = 'unteach'");
  assert.equal(audit, `lan.nt unteach phrase=${id} label=khai-tu`);
  assert.equal((await (await api('GET', '/api/v1/admin/phrases', admin)).json()).phrases.length, 0);
});

test('in the browser: an officer is turned away, the admin finds the question and teaches it', async () => {
  const { launch } = require('./lib/browser');
  const b = await launch({ viewport: { width: 1366, height: 768 } });
  try {
    const { page } = b;
    // the other sections' files listen for this event (docs/admin.md)
    await page.addInitScript(() => {
      document.addEventListener('motcua-admin-ready', (e) => { window.readyEvent = typeof e.detail.api; });
    });
    await page.goto(srv.url + '/admin');
    await page.fill('#a-user', 'minh.tv');
    await page.fill('#a-pass', PW);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#v-denied:not([hidden])');
    assert.match(await page.textContent('#v-denied'), /không phải tài khoản quản trị/);
    await page.click('#a-denied-logout');
    await page.waitForSelector('#v-login:not([hidden])');
    await page.fill('#a-user', 'lan.nt');
    await page.fill('#a-pass', PW);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#v-work:not([hidden])');
    await page.waitForFunction(() => window.readyEvent === 'function');
    const group = page.locator('#u-list > li', { hasText: MISS }).first();
    await group.waitFor();
    assert.match(await group.textContent(), /Hỏi \d+ lần/);
    if (process.env.MOTCUA_ADMIN_SHOT) await page.screenshot({ path: process.env.MOTCUA_ADMIN_SHOT });
    await group.locator('button', { hasText: 'Dạy câu này' }).click();
    assert.equal(await page.inputValue('#t-text'), await group.locator('.a-group-text').textContent());
    await page.fill('#t-text', MISS);
    await page.selectOption('#t-label', 'khai-tu');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#t-msg.a-ok');
    assert.match(await page.textContent('#t-msg'), /Đã dạy/);
    await page.waitForSelector('#t-rows tr');
    assert.match(await page.textContent('#t-rows'), /ông ngoại tui/);
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
  await untilEvery(MISS, (rep) => rep.understanding.label === 'khai-tu', 'taught in the browser');
  const list = await (await api('GET', '/api/v1/admin/phrases', admin)).json();
  assert.equal(list.phrases.length, 1);
});

// Phrases the bot misses today, each taught to a procedure (written for this test).
const MORE = [
  ['con tui lọt lòng hôm bữa, giấy má tính sao', 'khai-sinh'],
  ['hai đứa tui tính về ở với nhau cho đàng hoàng, lên xã làm gì', 'ket-hon'],
  ['bà nội tui đi theo ông bà tổ tiên rồi, cần lo giấy gì', 'khai-tu'],
];

// A kept-alive connection to each worker (found by the pid /metrics tells), so
// two requests surely run on both at once.
async function agentPerWorker() {
  const byPid = new Map();
  for (let i = 0; i < 40 && byPid.size < 2; i++) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const r = await request(agent, 'GET', '/metrics');
    const pid = Number(/^motcua_worker_pid (\d+)$/m.exec(r.body)[1]);
    if (byPid.has(pid)) agent.destroy(); else byPid.set(pid, agent);
  }
  assert.equal(byPid.size, 2, 'a connection to each worker');
  return [...byPid.values()];
}

function request(agent, method, p, who, body) {
  return new Promise((resolve, reject) => {
    const headers = {};
    if (who) Object.assign(headers, { cookie: who.cookie, 'x-csrf-token': who.csrf });
    if (body !== undefined) headers['content-type'] = 'application/json';
    const req = http.request(srv.url + p, { method, agent, headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

test('concurrent teaches on both workers: every phrase known on both', async () => {
  for (const [text, label] of MORE.slice(0, 2)) { // missed before: the test sees the teaching
    const [rep] = await sayOnMany(text, 1);
    assert.notEqual(rep.understanding.label, label, text);
  }
  const agents = await agentPerWorker();
  try {
    // one on each worker at once: each checks against the phrases before the other's, the
    // second stored skips a revision, so its worker builds once more (teach_build.h)
    const rs = await Promise.all(MORE.slice(0, 2).map(([text, label], i) =>
      request(agents[i], 'POST', '/api/v1/admin/phrases', admin, { text, label })));
    for (const r of rs) assert.equal(r.status, 201, r.body);
    for (const [text, label] of [[MISS, 'khai-tu'], ...MORE.slice(0, 2)])
      await untilEvery(text, (rep) => rep.understanding.label === label, text);
    const r = await request(agents[1], 'POST', '/api/v1/admin/phrases', admin, { text: MORE[2][0], label: MORE[2][1] });
    assert.equal(r.status, 201, r.body);
  } finally {
    for (const a of agents) a.destroy();
  }
  const list = await (await api('GET', '/api/v1/admin/phrases', admin)).json();
  assert.equal(list.phrases.length, 1 + MORE.length);
  for (const [text, label] of [[MISS, 'khai-tu'], ...MORE])
    await untilEvery(text, (rep) => rep.understanding.label === label, text);
});

test('a citizen is answered quickly while a phrase is taught (the build is off the loop)', async () => {
  const d = tempDir();
  await addAccount(d, 'lan.nt', 'admin', PW);
  const one = await startServer({ dir: d });
  try {
    const who = await apiLogin(one.url, 'lan.nt', PW);
    const c = await Client.connect(one.wsUrl);
    assert.equal((await c.hello(null)).type, 'welcome');
    await c.say('đăng ký khai sinh cần gì'); // warm: the first turn opens what it needs
    let teaching = true;
    let worst = 0;
    let turns = 0;
    const chat = (async () => {
      while (teaching) {
        const t0 = Date.now();
        const rep = await c.say('đăng ký khai sinh cần gì');
        assert.equal(rep.type, 'reply');
        worst = Math.max(worst, Date.now() - t0);
        turns++;
      }
    })();
    await sleep(50);
    const t0 = Date.now();
    const r = await fetch(one.url + '/api/v1/admin/phrases', {
      method: 'POST',
      headers: { cookie: who.cookie, 'x-csrf-token': who.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ text: MISS, label: 'khai-tu' }),
    });
    const took = Date.now() - t0;
    assert.equal(r.status, 201, await r.text());
    teaching = false;
    await chat;
    console.log(`# teach took ${took} ms; citizen turns during it: ${turns}, longest ${worst} ms`);
    assert.ok(worst < 200 * SLOW, `a turn waited ${worst} ms while the phrase was taught (${took} ms)`);
    const rep = await c.say(MISS); // taught: answered with it from the 201
    assert.equal(rep.understanding.label, 'khai-tu', JSON.stringify(rep.understanding));
    await c.close();
  } finally {
    await one.stop();
  }
});
