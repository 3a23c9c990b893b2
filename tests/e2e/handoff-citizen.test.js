// tests/e2e/handoff-citizen.test.js - the citizen's side of a handoff to an
// officer (issue 14) with the real server and a WebSocket client: asking for
// an officer queues the conversation; while it waits or an officer holds it
// the bot is silent and each message is answered `delivered` (a resend once,
// stored once, masked; a resend of a message the bot answered before gets
// that answer again, not delivered); an officer's claim and message written by another
// process (the sqlite3 CLI, as another worker would), and through the officer
// API with two workers, reach the citizen through the feed; cancel, and a
// release or close by the officer, give the bot back; a reconnect's welcome
// says who has the conversation; handoff.enabled false keeps the old answer.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const crypto = require('node:crypto');
const { startServer, run, Client, tempDir, stateQuery, PG, untilWorkers } = require('./lib/server');
const { startFake } = require('./lib/fake_platform');

let srv, dir;

function sql(q) {
  return stateQuery(dir, q);
}

function sessionId(token) {
  return Number(sql(`SELECT id FROM session WHERE token = '${token}'`));
}

// What another process does when an officer claims and writes (store.h:
// the change and its feed row in one transaction; on PostgreSQL, another node holding the
// feed's advisory lock as gateway/store/store_pg_handoff.c does).
const BEGIN = PG ? 'BEGIN; SELECT pg_advisory_xact_lock(1836020853, 6);' : 'BEGIN IMMEDIATE;';
// and, as that node's feed INSERT does, the notification that wakes the others at once (the
// fallback poll reads only every few seconds while they listen: docs/scaling.md)
const END = PG ? "SELECT pg_notify('motcua_feed', ''); COMMIT;" : 'COMMIT;';
function officerClaimsAndWrites(sid, text) {
  const now = Date.now();
  sql(`${BEGIN}
    UPDATE handoff SET state = 'officer', officer = 'lan.nt', updated = ${Math.floor(now / 1000)}
      WHERE session_id = ${sid} AND state = 'pending';
    INSERT INTO feed (kind, session_id, message_id, officer, ts_ms) VALUES ('claimed', ${sid}, 0, 'lan.nt', ${now});
    INSERT INTO handoff_message (session_id, sender, officer, text, ts_ms) VALUES (${sid}, 'officer', 'lan.nt', '${text}', ${now});
    INSERT INTO feed (kind, session_id, message_id, officer, ts_ms)
      VALUES ('message', ${sid}, (SELECT max(id) FROM handoff_message WHERE session_id = ${sid}), 'lan.nt', ${now});
    ${END}`);
}

function officerCloses(sid) {
  const now = Date.now();
  sql(`${BEGIN}
    UPDATE handoff SET state = 'closed', updated = ${Math.floor(now / 1000)} WHERE session_id = ${sid};
    INSERT INTO feed (kind, session_id, message_id, officer, ts_ms) VALUES ('closed', ${sid}, 0, 'lan.nt', ${now});
    ${END}`);
}

// No frame arrives within ms (the bot stays silent).
async function silent(c, ms = 600) {
  await assert.rejects(c.next(ms), /no frame within/);
}

async function askOfficer(c, id) {
  const r = await c.say('cho tôi gặp cán bộ', id);
  assert.equal(r.type, 'reply');
  assert.deepEqual(r.handoff, { state: 'pending' });
  assert.match(r.messages[0].text, /đã chuyển câu hỏi của bạn đến cán bộ/);
  assert.ok(r.messages.some((m) => m.text.includes('1800 1096')), 'the hotline is still given');
  assert.ok(r.quick_replies.some((q) => q.payload === 'handoff:cancel'), JSON.stringify(r.quick_replies));
  return r;
}

before(async () => {
  dir = tempDir();
  const add = await run(['officer', 'add', 'lan.nt', '--name', 'Nguyễn Thị Lan', '--role', 'officer'],
    { env: { MOTCUA_DATA_STATE_DB: path.join(dir, 'state.db') }, input: 'mật-khẩu-đủ-dài-1\n' });
  assert.equal(add.code, 0, add.stderr);
  srv = await startServer({ dir });
});
after(async () => { if (srv) await srv.stop(); });

test('ask for an officer, silence with delivered, a resend once, the officer through the feed, cancel', async () => {
  const c = await Client.connect(srv.wsUrl);
  const w = await c.hello();
  const sid = sessionId(w.session);
  await c.say('làm giấy khai sinh cho con', 'k1');
  await askOfficer(c, 'h1');
  assert.equal(sql(`SELECT state || '|' || channel || '|' || procedure FROM handoff WHERE session_id = ${sid}`),
    'pending|web|khai-sinh');

  let f = await c.say('con tôi sinh ở bệnh viện, số của tôi 0912345678', 'm1');
  assert.deepEqual(f, { type: 'delivered', reply_to: 'm1' });
  await silent(c);
  f = await c.say('con tôi sinh ở bệnh viện, số của tôi 0912345678', 'm1'); // a resend after a reconnect
  assert.deepEqual(f, { type: 'delivered', reply_to: 'm1' });
  await silent(c, 300);
  assert.equal(sql(`SELECT count(*) FROM handoff_message WHERE session_id = ${sid} AND msg_id = 'm1'`), '1');
  // a resend of a message the bot answered before the request: its answer again, not delivered
  f = await c.say('làm giấy khai sinh cho con', 'k1');
  assert.equal(f.type, 'reply', JSON.stringify(f));
  assert.equal(f.reply_to, 'k1');
  assert.equal(f.procedure, 'khai-sinh');
  assert.equal(sql(`SELECT count(*) FROM handoff_message WHERE session_id = ${sid} AND msg_id = 'k1'`), '0');
  assert.equal(sql(`SELECT count(*) FROM turn WHERE session_id = ${sid} AND msg_id = 'k1'`), '2');
  const stored = sql(`SELECT text FROM handoff_message WHERE session_id = ${sid} AND sender = 'citizen'`);
  assert.ok(!stored.includes('0912345678'), 'the phone number is masked: ' + stored);
  assert.ok(stored.includes('bệnh viện'), stored);
  f = await c.tap('proc:khai-sinh'); // a button while waiting: still no bot answer
  assert.equal(f.type, 'delivered');

  officerClaimsAndWrites(sid, 'Chào bạn, tôi là cán bộ tư pháp, tôi xem giúp bạn.');
  f = await c.next(3000);
  assert.equal(f.type, 'handoff');
  assert.equal(f.state, 'officer');
  assert.deepEqual(f.officer, { name: 'Nguyễn Thị Lan' });
  assert.match(f.messages[0].text, /Nguyễn Thị Lan đang hỗ trợ bạn/);
  f = await c.next(3000);
  assert.deepEqual(f, { type: 'reply', from: 'officer', officer: { name: 'Nguyễn Thị Lan' },
    messages: [{ text: 'Chào bạn, tôi là cán bộ tư pháp, tôi xem giúp bạn.' }] });
  f = await c.say('cảm ơn cán bộ', 'm2'); // held by an officer: still no bot answer
  assert.deepEqual(f, { type: 'delivered', reply_to: 'm2' });

  f = await c.tap('handoff:cancel');
  assert.equal(f.type, 'reply');
  assert.deepEqual(f.handoff, { state: 'bot' });
  assert.match(f.messages[0].text, /kết thúc trò chuyện với cán bộ/);
  assert.equal(sql(`SELECT state FROM handoff WHERE session_id = ${sid}`), 'bot');
  assert.equal(sql(`SELECT kind FROM feed WHERE session_id = ${sid} ORDER BY id DESC LIMIT 1`), 'cancelled');
  f = await c.say('lệ phí bao nhiêu', 'm3'); // the bot answers again, in the same topic
  assert.equal(f.type, 'reply');
  assert.equal(f.reply_to, 'm3');
  assert.equal(f.procedure, 'khai-sinh');
  await c.close();
});

test('typed "hủy" cancels a waiting request; a close by the officer gives the bot back', async () => {
  const c = await Client.connect(srv.wsUrl);
  const w = await c.hello();
  const sid = sessionId(w.session);
  await askOfficer(c, 'a1');
  let f = await c.say('Hủy', 'a2');
  assert.equal(f.type, 'reply');
  assert.deepEqual(f.handoff, { state: 'bot' });
  assert.match(f.messages[0].text, /huỷ yêu cầu gặp cán bộ/);

  await askOfficer(c, 'a3'); // again: from "bot"
  officerClaimsAndWrites(sid, 'Bạn cần hỏi gì ạ?');
  assert.equal((await c.next(3000)).type, 'handoff');
  assert.equal((await c.next(3000)).from, 'officer');
  officerCloses(sid);
  f = await c.next(3000);
  assert.equal(f.type, 'handoff');
  assert.equal(f.state, 'closed');
  assert.equal(f.officer, null);
  f = await c.say('đăng ký tạm trú', 'a4'); // "closed" is the bot's again
  assert.equal(f.type, 'reply');
  assert.equal(f.procedure, 'tam-tru');
  await c.close();
});

test('a second tab and a reconnect: the welcome says who has the conversation, every tab hears the officer', async () => {
  const a = await Client.connect(srv.wsUrl);
  const w = await a.hello();
  assert.equal(w.handoff, undefined); // a new conversation is the bot's
  const sid = sessionId(w.session);
  await askOfficer(a, 'b1');
  const b = await Client.connect(srv.wsUrl);
  const wb = await b.hello(w.session);
  assert.equal(wb.type, 'welcome');
  assert.deepEqual(wb.handoff, { state: 'pending', officer: null });
  officerClaimsAndWrites(sid, 'Chào bạn!');
  for (const c of [a, b]) {
    assert.equal((await c.next(3000)).type, 'handoff');
    assert.equal((await c.next(3000)).messages[0].text, 'Chào bạn!');
  }
  await b.close();
  const again = await Client.connect(srv.wsUrl);
  const wc = await again.hello(w.session);
  assert.deepEqual(wc.handoff, { state: 'officer', officer: { name: 'Nguyễn Thị Lan' } });
  await again.close();
  await a.close();
});

test('two workers: an officer claims, writes and releases through the officer API; the citizen hears each', async () => {
  const d = tempDir();
  const add = await run(['officer', 'add', 'lan.nt', '--name', 'Nguyễn Thị Lan', '--role', 'officer'],
    { env: { MOTCUA_DATA_STATE_DB: path.join(d, 'state.db') }, input: 'mật-khẩu-đủ-dài-1\n' });
  assert.equal(add.code, 0, add.stderr);
  const two = await startServer({ dir: d, env: { MOTCUA_LISTEN_WORKERS: '2' } });
  try {
    await untilWorkers(two, 2);
    const c = await Client.connect(two.wsUrl);
    await c.hello();
    await askOfficer(c, 'w1');
    const lr = await fetch(two.url + '/api/v1/officer/login', { method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'lan.nt', password: 'mật-khẩu-đủ-dài-1' }) });
    assert.equal(lr.status, 200);
    const h = { cookie: lr.headers.get('set-cookie').split(';')[0], 'x-csrf-token': (await lr.json()).csrf_token,
      'content-type': 'application/json' };
    const list = await (await fetch(two.url + '/api/v1/officer/conversations?state=pending', { headers: h })).json();
    assert.equal(list.conversations.length, 1);
    const base = `${two.url}/api/v1/officer/conversations/${list.conversations[0].id}`;
    assert.equal((await fetch(base + '/claim', { method: 'POST', headers: h, body: '{}' })).status, 200);
    assert.equal((await fetch(base + '/messages', { method: 'POST', headers: h,
      body: JSON.stringify({ text: 'Chào bạn, tôi đã xem câu hỏi.' }) })).status, 200);
    let f = await c.next(3000);
    assert.equal(f.type, 'handoff');
    assert.equal(f.state, 'officer');
    f = await c.next(3000);
    assert.deepEqual(f, { type: 'reply', from: 'officer', officer: { name: 'Nguyễn Thị Lan' },
      messages: [{ text: 'Chào bạn, tôi đã xem câu hỏi.' }] });
    assert.equal((await fetch(base + '/release', { method: 'POST', headers: h, body: '{}' })).status, 200);
    f = await c.next(3000);
    assert.equal(f.type, 'handoff');
    assert.equal(f.state, 'bot');
    f = await c.say('làm căn cước', 'w2');
    assert.equal(f.type, 'reply');
    assert.equal(f.procedure, 'can-cuoc');
    await c.close();
  } finally {
    await two.stop();
  }
});

test('Messenger: the request is answered in the channel, later messages reach the officer in silence', async () => {
  const fake = await startFake({ status: 200, body: { recipient_id: 'x', message_id: 'mid' } });
  const d = tempDir();
  const secret = 'app-secret-handoff';
  const m = await startServer({ dir: d, env: { MOTCUA_MESSENGER_APP_SECRET: secret,
    MOTCUA_MESSENGER_VERIFY_TOKEN: 'v', MOTCUA_MESSENGER_PAGE_TOKEN: 'PT', MOTCUA_MESSENGER_GRAPH_URL: fake.url + '/v25.0' } });
  const sends = () => fake.requests.filter((r) => r.url.startsWith('/v25.0/me/messages'));
  const db = (q) => stateQuery(d, q);
  let n = 0;
  const post = async (text, extra = {}) => {
    const body = JSON.stringify({ object: 'page', entry: [{ id: 'PAGE', time: Date.now(), messaging: [{ sender: { id: 'psid-h' },
      recipient: { id: 'PAGE' }, timestamp: Date.now(), message: { mid: 'mh' + (++n), text, ...extra } }] }] });
    const r = await fetch(m.url + '/webhooks/messenger', { method: 'POST', body, headers: { 'content-type': 'application/json',
      'x-hub-signature-256': 'sha256=' + crypto.createHmac('sha256', secret).update(body).digest('hex') } });
    assert.equal(r.status, 200);
  };
  try {
    await post('cho tôi gặp cán bộ');
    await fake.until((q) => q.filter((r) => r.url.startsWith('/v25.0/me/messages')).length >= 1);
    await new Promise((r) => setTimeout(r, 600));
    assert.match(sends().map((q) => q.json.message.text).join(' '), /đã chuyển câu hỏi của bạn đến cán bộ/);
    assert.equal(db("SELECT state || '|' || channel || '|' || user_key FROM handoff"), 'pending|messenger|psid-h');
    const before = sends().length;
    await post('số cccd của tôi là 001099012345');
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal(sends().length, before, 'the bot stays silent');
    const stored = db("SELECT text FROM handoff_message WHERE sender = 'citizen'");
    assert.ok(stored.includes('số cccd') && !stored.includes('001099012345'), stored);
    await post('Quay lại trợ lý', { quick_reply: { payload: 'handoff:cancel' } });
    await fake.until((q) => q.filter((r) => r.url.startsWith('/v25.0/me/messages')).length > before);
    assert.equal(db('SELECT state FROM handoff'), 'bot');
  } finally {
    await m.stop();
    await fake.close();
  }
});

test('handoff.enabled false (motcua.json): the officer answer as before, nothing queued, the bot goes on', async () => {
  const d = tempDir();
  const conf = path.join(d, 'motcua.json');
  require('node:fs').writeFileSync(conf, JSON.stringify({ handoff: { enabled: false } }));
  const old = await startServer({ dir: d, args: ['--config', conf] });
  try {
    const c = await Client.connect(old.wsUrl);
    await c.hello();
    let r = await c.say('cho tôi gặp cán bộ', 'o1');
    assert.equal(r.type, 'reply');
    assert.equal(r.handoff, undefined);
    assert.match(r.messages.map((m) => m.text).join(' '), /Tôi là trợ lý tự động/);
    r = await c.say('làm giấy khai sinh', 'o2');
    assert.equal(r.type, 'reply');
    assert.equal(r.procedure, 'khai-sinh');
    await c.close();
    assert.equal(stateQuery(d, 'SELECT count(*) FROM handoff'), '0');
  } finally {
    await old.stop();
  }
});
