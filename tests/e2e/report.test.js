// tests/e2e/report.test.js - the weekly report end to end (issue 15): known
// turns sent over the WebSocket on the web and kiosk channels, an admin made
// with `motcua officer add` (password on stdin) logs in, and every figure of
// GET /api/v1/reports (json, csv, xlsx) equals what the test sent and what
// the bot answered to each turn; 401 without a session, 403 for an officer,
// 400 for bad dates and formats; the page /admin/bao-cao with its SVG charts.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { startServer, run, tempDir, Client, stateQuery, PG } = require('./lib/server');
const { addAccount, apiLogin } = require('./lib/console');
const { sleep, dbName, psql: psqlOn, lockSessions, untilLockWaits } = require('./lib/pg_lock');

const PW = 'mật-khẩu-báo-cáo-1';
const OFFSET_MS = 7 * 3600 * 1000; // Asia/Ho_Chi_Minh, the default report.timezone
let srv, dir, admin, officer;

const localDate = (ms, days = 0) => new Date(ms + OFFSET_MS + days * 86400000).toISOString().slice(0, 10);
const localHour = (ms) => new Date(ms + OFFSET_MS).getUTCHours();

const add = (user, role) => addAccount(dir, user, role, PW);
const login = async (username) => (await apiLogin(srv.url, username, PW)).cookie;

const hasTable = (name) => stateQuery(dir, PG ? `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '${name}'`
  : `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '${name}'`) === '1';

const get = (p, cookie) => fetch(srv.url + p, { headers: cookie ? { cookie } : {} });

// What the test sent, and what it expects the report to say.
const sent = {
  messages: 0, sessions: new Set(), channels: {}, decisions: { match: 0, clarify: 0, none: 0, buttons: 0 },
  procedures: {}, started: new Set(), completed: new Set(), hours: new Set(), first: 0, last: 0,
};

function record(session, channel, reply, typed) {
  sent.messages++;
  sent.sessions.add(session);
  const ch = (sent.channels[channel] ||= { sessions: new Set(), messages: 0 });
  ch.sessions.add(session);
  ch.messages++;
  if (!typed) sent.decisions.buttons++;
  else sent.decisions[reply.understanding.decision]++;
  if (reply.procedure) (sent.procedures[reply.procedure] ||= new Set()).add(session);
  const pair = session + ' ' + reply.procedure;
  if (reply.procedure && (reply.question || reply.checklist)) sent.started.add(pair);
  if (reply.procedure && reply.checklist) sent.completed.add(pair);
}

async function conversation(channel, steps) {
  const c = await Client.connect(srv.wsUrl);
  const w = await c.hello(null, channel);
  for (const s of steps) {
    const reply = s.say !== undefined ? await c.say(s.say) : await c.tap(s.tap);
    assert.equal(reply.type, 'reply', JSON.stringify(reply));
    record(w.session, channel, reply, s.say !== undefined);
    if (s.untilChecklist) { // answer "Có" until the pre-check ends with its checklist
      let r = reply;
      for (let i = 0; i < 30 && !r.checklist; i++) {
        r = await c.tap('ans:yes');
        record(w.session, channel, r, false);
      }
      assert.ok(r.checklist, 'the pre-check ended with a checklist');
    }
  }
  await c.close();
}

before(async () => {
  dir = tempDir();
  await add('lan.nt', 'admin');
  await add('minh.tv', 'officer');
  // PostgreSQL: one reader thread (the default) and one report waiting for it (offload.h)
  srv = await startServer({ dir, env: { MOTCUA_DATA_STATE_READ_QUEUE: '1' } });
  sent.first = Date.now();
  await conversation('web', [{ say: 'dang ky khai sinh can giay to gi' }, { tap: 'check:khai-sinh', untilChecklist: true }]);
  await conversation('web', [{ say: 'thủ tục đăng ký kết hôn' }, { tap: 'check:ket-hon' }, { say: 'qwxz plok trrr' }]);
  await conversation('kiosk', [{ say: 'làm lại căn cước bị mất' }, { say: 'xin chào' }]);
  sent.last = Date.now();
  admin = await login('lan.nt');
  officer = await login('minh.tv');
});
after(async () => { if (srv) await srv.stop(); });

// The local days the turns were sent on (one, unless the test ran over midnight).
const range = () => ({ from: localDate(sent.first, -1), to: localDate(sent.last, 1) });

test('json: every figure equals the turns sent', async () => {
  const { from, to } = range();
  const r = await get(`/api/v1/reports?from=${from}&to=${to}`, admin);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  assert.equal(r.headers.get('access-control-allow-origin'), null);
  const j = await r.json();
  assert.equal(j.from, from);
  assert.equal(j.to, to);
  assert.equal(j.conversations, sent.sessions.size);
  assert.equal(j.messages_in, sent.messages);
  assert.equal(j.conversations, 3);
  const byChannel = {};
  for (const [ch, v] of Object.entries(sent.channels)) byChannel[ch] = { conversations: v.sessions.size, messages_in: v.messages };
  assert.deepEqual(j.by_channel, byChannel);
  const days = [];
  for (let d = from; d <= to; d = localDate(Date.parse(d + 'T00:00:00Z') - OFFSET_MS, 1)) days.push(d);
  assert.deepEqual(j.by_day.map((d) => d.date), days); // the day before, the day(s) sent, the day after
  assert.equal(j.by_day.reduce((n, d) => n + d.messages_in, 0), sent.messages);
  if (localDate(sent.first) === localDate(sent.last)) {
    assert.deepEqual(j.by_day[1], { date: localDate(sent.first), conversations: 3, messages_in: sent.messages });
    assert.deepEqual([j.by_day[0].messages_in, j.by_day[2].messages_in], [0, 0]);
  }
  const top = Object.entries(sent.procedures).map(([id, s]) => ({ id, count: s.size }))
    .sort((a, b) => b.count - a.count || (a.id < b.id ? -1 : 1));
  assert.deepEqual(j.top_procedures.map(({ id, count }) => ({ id, count })), top);
  assert.ok(j.top_procedures.every((p) => typeof p.name === 'string' && p.name.length > 0));
  assert.deepEqual(j.decisions, sent.decisions);
  assert.ok(sent.decisions.none >= 1 && sent.decisions.match >= 2 && sent.decisions.buttons >= 2);
  assert.deepEqual(j.prechecks, { started: sent.started.size, completed: sent.completed.size });
  assert.deepEqual([sent.started.size, sent.completed.size], [2, 1]);
  assert.equal(j.handoffs_available, hasTable('handoff')); // migration 6 (issue 14) adds it
  assert.deepEqual(j.handoffs, { requested: 0, answered: 0, median_wait_s: 0 });
  assert.equal(j.feedback_available, hasTable('feedback'));
  assert.deepEqual(j.feedback, { up: 0, down: 0 });
  assert.equal(j.busiest_hours.reduce((n, h) => n + h.messages_in, 0), sent.messages);
  const hours = new Set([localHour(sent.first), localHour(sent.last)]);
  assert.ok(j.busiest_hours.every((h) => hours.has(h.hour)), JSON.stringify(j.busiest_hours));
  for (let i = 1; i < j.busiest_hours.length; i++)
    assert.ok(j.busiest_hours[i - 1].messages_in >= j.busiest_hours[i].messages_in);
});

test('csv: the same figures, one file of sections', async () => {
  const { from, to } = range();
  const r = await get(`/api/v1/reports?from=${from}&to=${to}&format=csv`, admin);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/csv/);
  assert.equal(r.headers.get('content-disposition'), `attachment; filename="bao-cao-${from}-${to}.csv"`);
  const text = await r.text(); // fetch drops the BOM when it decodes
  const sections = {};
  for (const block of text.split('\r\n\r\n')) {
    const lines = block.split('\r\n').filter(Boolean);
    if (lines.length) sections[lines[0].replace(/^\uFEFF?# /, '')] = lines.slice(2).map((l) => l.split(','));
  }
  const overview = Object.fromEntries(sections.overview.map((f) => [f[0], f[2]]));
  assert.equal(Number(overview.conversations), 3);
  assert.equal(Number(overview.messages_in), sent.messages);
  assert.equal(Number(overview['decisions.none']), sent.decisions.none);
  assert.equal(Number(overview['prechecks.completed']), 1);
  assert.equal(sections.by_day.length, Math.round((Date.parse(to) - Date.parse(from)) / 86400000) + 1);
  assert.equal(sections.by_day.reduce((n, d) => n + Number(d[2]), 0), sent.messages);
  assert.deepEqual(sections.by_channel.map((f) => f[0]).sort(), Object.keys(sent.channels).sort());
  assert.equal(sections.top_procedures.length, Object.keys(sent.procedures).length);
  const buf = Buffer.from(await (await get(`/api/v1/reports?from=${from}&to=${to}&format=csv`, admin)).arrayBuffer());
  assert.deepEqual([...buf.subarray(0, 3)], [0xef, 0xbb, 0xbf]); // a BOM, so Excel reads UTF-8
});

test('xlsx: a valid zip workbook with the four sheets', async () => {
  const { from, to } = range();
  const r = await get(`/api/v1/reports?from=${from}&to=${to}&format=xlsx`, admin);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  assert.match(r.headers.get('content-disposition'), /filename="bao-cao-.*\.xlsx"/);
  const file = path.join(tempDir(), 'r.xlsx');
  fs.writeFileSync(file, Buffer.from(await r.arrayBuffer()));
  const out = JSON.parse(execFileSync('python3', ['-c', String.raw`
import json, re, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
wb = z.read('xl/workbook.xml').decode()
names = re.findall(r'<sheet name="([^"]+)"', wb)
strings = re.findall(r'<t[^>]*>([^<]*)</t>', z.read('xl/sharedStrings.xml').decode())
def cells(n):
    x = z.read('xl/worksheets/sheet%d.xml' % n).decode()
    out = {}
    for ref, attrs, v in re.findall(r'<c r="([A-Z]+[0-9]+)"([^>]*)><v>([^<]*)</v>', x):
        out[ref] = strings[int(v)] if ' t="s"' in attrs else float(v)
    return out
chart = re.findall(r'<c:f>([^<]*)</c:f>', z.read('xl/charts/chart1.xml').decode())
print(json.dumps({"names": names, "overview": cells(1), "days": cells(2), "chart": chart}))
`, file], { encoding: 'utf8' }));
  assert.deepEqual(out.names, ['Tổng quan', 'Theo ngày', 'Thủ tục', 'Giờ cao điểm']);
  assert.equal(out.overview.A4, 'Cuộc hội thoại');
  assert.equal(out.overview.B4, 3);
  assert.equal(out.overview.A5, 'Tin nhắn của người dân');
  assert.equal(out.overview.B5, sent.messages);
  assert.equal(out.days.A2, from);
  const n = Object.keys(out.days).filter((k) => /^A\d+$/.test(k)).length - 1; // days, not the header
  assert.deepEqual(out.chart, [`'Theo ngày'!$A$2:$A$${n + 1}`, `'Theo ngày'!$C$2:$C$${n + 1}`]);
  const msgs = Object.entries(out.days).filter(([k]) => /^C\d+$/.test(k) && k !== 'C1');
  assert.equal(msgs.reduce((sum, [, v]) => sum + v, 0), sent.messages);
});

test('access: 401 without a session, 403 for an officer, 405 for POST', async () => {
  const { from, to } = range();
  let r = await get(`/api/v1/reports?from=${from}&to=${to}`);
  assert.equal(r.status, 401);
  assert.equal((await r.json()).error, 'unauthorized');
  r = await get(`/api/v1/reports?from=${from}&to=${to}`, 'motcua_officer=' + 'a'.repeat(64));
  assert.equal(r.status, 401);
  r = await get(`/api/v1/reports?from=${from}&to=${to}`, officer);
  assert.equal(r.status, 403);
  assert.equal((await r.json()).error, 'forbidden');
  r = await get('/admin/bao-cao');
  assert.equal(r.status, 401);
  assert.match(r.headers.get('content-type'), /^text\/html/);
  assert.match(await r.text(), /đăng nhập/);
  r = await get('/admin/bao-cao', officer);
  assert.equal(r.status, 403);
  assert.doesNotMatch(await r.text(), /<svg/);
  r = await fetch(srv.url + `/api/v1/reports?from=${from}&to=${to}`, { method: 'POST', headers: { cookie: admin } });
  assert.equal(r.status, 405);
});

test('bad input: 400 naming the problem', async () => {
  const cases = [
    ['', 'missing_date', /from/],
    ['?from=2026-12-01', 'missing_date', /to/],
    ['?from=2026-13-01&to=2026-12-07', 'bad_date', /from/],
    ['?from=2026-12-01&to=07/12/2026', 'bad_date', /to/],
    ['?from=2026-12-07&to=2026-12-01', 'reversed_range', /after/],
    ['?from=2016-01-01&to=2026-01-01', 'range_too_long', /at most 366/],
    ['?from=2026-12-01&to=2026-12-07&format=pdf', 'bad_format', /json, csv or xlsx/],
  ];
  for (const [q, code, msg] of cases) {
    const r = await get('/api/v1/reports' + q, admin);
    assert.equal(r.status, 400, q);
    const j = await r.json();
    assert.equal(j.error, code, q);
    assert.match(j.message, msg, q);
  }
  const r = await get('/admin/bao-cao?from=2026-12-07&to=2026-12-01', admin);
  assert.equal(r.status, 400);
  assert.match(await r.text(), /class="err"[^>]*>from: 2026-12-07 is after to: 2026-12-01/);
  assert.equal((await get('/healthz')).status, 200); // the server still answers
});

test('page: Vietnamese, SVG charts, print layout, no script', async () => {
  const { from, to } = range();
  let r = await get(`/admin/bao-cao?from=${from}&to=${to}`, admin);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/html; charset=utf-8/);
  const html = await r.text();
  assert.match(html, /<html lang="vi">/);
  assert.match(html, /<h1>Báo cáo tuần<\/h1>/);
  assert.equal((html.match(/<svg /g) || []).length, 4); // per day, per channel, procedures, hours
  assert.match(html, /Tin nhắn theo ngày/);
  assert.match(html, /Giờ cao điểm/);
  assert.match(html, /@media print/);
  assert.match(html, /<form method="get" action="\/admin\/bao-cao">/);
  assert.match(html, new RegExp(`<b>3</b><span>cuộc hội thoại</span>`));
  assert.match(html, new RegExp(`<b>${sent.messages}</b><span>tin nhắn của người dân</span>`));
  assert.match(html, /format=xlsx/);
  assert.doesNotMatch(html, /<script|https?:\/\/(?!127)/);
  r = await get('/admin/bao-cao', admin); // no dates: the last seven days
  assert.equal(r.status, 200);
  assert.match(await r.text(), new RegExp(`value="${localDate(Date.now(), -6)}"`));
});

// ---- PostgreSQL: the report built by a reader thread (gateway/offload.h) -----------------

// (a test skipped counts as failed in tests/node-test.sh: these are only declared on PostgreSQL)
const pgTest = PG ? test : () => {};
const sqliteTest = PG ? () => {} : test;

sqliteTest('SQLite reads on the loop: no reader thread', async () => {
  assert.doesNotMatch(srv.logs(), /event=offload\.start/);
  const { from, to } = range();
  assert.equal((await get(`/api/v1/reports?from=${from}&to=${to}`, admin)).status, 200);
});

pgTest('PostgreSQL: the report off the loop: /healthz answered while it waits, a full queue 503 busy, a client gone dropped', async () => {
  // the figures through the reader thread: the tests above (on SQLite the same tests read on the loop)
  const { from, to } = range();
  const q = `/api/v1/reports?from=${from}&to=${to}`;
  assert.match(srv.logs(), /event=offload\.start readers=1 queue=1/);
  const lock = await lockSessions(dir);
  try {
    const gone = new AbortController();
    const first = fetch(srv.url + q, { headers: { cookie: admin }, signal: gone.signal });
    assert.equal(await untilLockWaits(dir, 1), 1, 'the reader thread waits for the lock');
    // the loop is not waiting with it
    const t0 = Date.now();
    const h = await fetch(srv.url + '/healthz', { signal: AbortSignal.timeout(3000) });
    assert.equal(h.status, 200);
    assert.ok(Date.now() - t0 < 1000, `/healthz took ${Date.now() - t0} ms`);
    // one more waits for the reader; the next is refused at once
    const second = fetch(srv.url + q, { headers: { cookie: admin } });
    await sleep(200);
    const third = await fetch(srv.url + q, { headers: { cookie: admin }, signal: AbortSignal.timeout(3000) });
    assert.equal(third.status, 503);
    assert.equal(third.headers.get('retry-after'), '1');
    assert.equal((await third.json()).error, 'busy');
    gone.abort(); // the client of the report being built goes away: its answer is dropped
    await assert.rejects(first);
    await sleep(300);
    await lock.release();
    const r = await second;
    assert.equal(r.status, 200);
    assert.equal((await r.json()).messages_in, sent.messages);
  } finally { await lock.release(); }
  assert.match(srv.logs(), /event=offload\.cancelled state=running path=\/api\/v1\/reports/);
  assert.equal((await get(q, admin)).status, 200);
});

pgTest('PostgreSQL: the database unreachable: the report 503 at once, then served again', async () => {
  const { from, to } = range();
  const q = `/api/v1/reports?from=${from}&to=${to}`;
  const name = dbName(dir);
  assert.equal((await get(q, admin)).status, 200); // the reader's connection is open
  psqlOn(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false; SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '${name}';`);
  try {
    const t0 = Date.now();
    const r = await fetch(srv.url + q, { headers: { cookie: admin }, signal: AbortSignal.timeout(8000) });
    assert.equal(r.status, 503);
    assert.equal((await r.json()).error, 'internal');
    assert.ok(Date.now() - t0 < 5000, `answered after ${Date.now() - t0} ms`);
    assert.equal((await get('/healthz')).status, 200);
  } finally { psqlOn(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true;`); }
  let status = 0;
  for (let i = 0; i < 40 && status !== 200; i++) { // the reader reconnects (at most every second)
    await sleep(250);
    status = (await get(q, admin)).status;
  }
  assert.equal(status, 200);
});

test('report.timezone: an unknown zone stops the start with exit 2 naming the key', async () => {
  const r = await run(['serve'], { env: { MOTCUA_REPORT_TIMEZONE: 'Mars/Olympus', MOTCUA_DATA_STATE_DB: path.join(tempDir(), 's.db') } });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /report\.timezone: unknown zone/);
});
