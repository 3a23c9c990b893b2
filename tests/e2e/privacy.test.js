// tests/e2e/privacy.test.js - citizens' personal data (issue 17, docs/privacy.md)
// against the real server: what reaches the turn records is masked; the
// WebSocket frame {"type":"forget"} deletes everything of the session (every
// table of the state database is searched for it afterwards) and is answered
// {"type":"forgotten"} before the server closes; "xoá dữ liệu của tôi" on
// Messenger does the same and is confirmed; Messenger user ids are stored as
// keyed hashes; retention purges old records at start and an expired session
// token no longer resumes its conversation.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const path = require('node:path');
const { startServer, tempDir, Client, stateQuery, PG } = require('./lib/server');
const { startFake } = require('./lib/fake_platform');

const APP_SECRET = 'fb-app-secret-privacy';
let srv, dir, fake;
const sql = (q) => stateQuery(dir, q);
const env = () => ({
  MOTCUA_MESSENGER_APP_SECRET: APP_SECRET, MOTCUA_MESSENGER_VERIFY_TOKEN: 'v',
  MOTCUA_MESSENGER_PAGE_TOKEN: 'PAGE', MOTCUA_MESSENGER_GRAPH_URL: fake.url + '/v25.0',
});

before(async () => {
  dir = tempDir('motcua-privacy-');
  fake = await startFake({ status: 200, body: { recipient_id: 'x', message_id: 'mid.1' } });
  srv = await startServer({ dir, env: env() });
});
after(async () => {
  if (srv) await srv.stop();
  if (fake) await fake.close();
});

// Every row of every table of the state database that mentions the session:
// its id in a session_id or conversation column (or the session row), its
// token or the marker text anywhere.
function traces(sid, token, marker) {
  const found = [];
  // the catalogue differs by back-end (the PostgreSQL pass, make test-e2e-pg); the rest is plain SQL
  const tables = sql(PG ? "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
    : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").split('\n');
  assert.ok(tables.length >= 10, 'the tables of the state database');
  for (const t of tables) {
    const cols = sql(PG ? `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '${t}'`
      : `SELECT name FROM pragma_table_info('${t}')`).split('\n');
    const conds = [];
    for (const c of cols) {
      conds.push(`CAST("${c}" AS TEXT) = '${token}'`, `CAST("${c}" AS TEXT) LIKE '%${marker}%'`);
      if (c === 'session_id' || c === 'conversation' || (t === 'session' && c === 'id'))
        conds.push(`CAST("${c}" AS TEXT) = '${sid}'`);
    }
    const n = Number(sql(`SELECT count(*) FROM "${t}" WHERE ${conds.join(' OR ')}`));
    if (n) found.push(`${t}: ${n}`);
  }
  return found;
}

test('turn records are masked: glued numbers, addresses and names never reach the database', async () => {
  const c = await Client.connect(srv.wsUrl);
  await c.hello();
  await c.say('sdt0912345678, tôi tên là Nguyễn Văn An, ở số 12 ngõ 34 phố Huế, cccd001203004567');
  const rows = sql("SELECT text FROM turn WHERE role = 'user'");
  assert.ok(rows.includes('sdt********78'), rows);
  for (const clear of ['0912345678', '001203004567', 'Nguyễn Văn An', 'số 12 ngõ 34'])
    assert.ok(!rows.includes(clear), `${clear} in ${rows}`);
  await c.close();
});

test('turn records are masked: spoken numbers, accounts, passports, disguised e-mails, villages', async () => {
  const c = await Client.connect(srv.wsUrl);
  await c.hello();
  await c.say('so cua bac la khong chin mot hai ba bon nam sau bay tam, stk 1903 5678 9012 techcombank');
  await c.say('hộ chiếu C1234567, mail nguyenvana at gmail dot com, em ở thôn 7 xã Tân Lập');
  await c.say('lệ phí 50.000 đồng theo Nghị định 123/2015/NĐ-CP, mã 1.001193, hotline 1900 1234');
  const rows = sql("SELECT text FROM turn WHERE role = 'user'");
  for (const clear of ['khong chin mot hai', '1903 5678', 'C1234567', 'nguyenvana', 'thôn 7'])
    assert.ok(!rows.includes(clear), `${clear} in ${rows}`);
  assert.ok(rows.includes('lệ phí 50.000 đồng theo Nghị định 123/2015/NĐ-CP, mã 1.001193, hotline 1900 1234'), rows);
  await c.close();
});

test('WebSocket forget: every row of the session is deleted, "forgotten" comes before the close', async () => {
  const marker = 'dauvet' + crypto.randomBytes(4).toString('hex');
  const otherMarker = 'khac' + crypto.randomBytes(4).toString('hex');
  const other = await Client.connect(srv.wsUrl);
  await other.hello();
  await other.say('đăng ký khai sinh ' + otherMarker);

  const c = await Client.connect(srv.wsUrl);
  const w = await c.hello();
  await c.say('làm giấy khai sinh cho con ' + marker);
  await c.say('gặp cán bộ'); // a handoff row and its messages
  c.send({ type: 'message', text: 'em chờ ạ ' + marker, id: 'm-wait' });
  await c.nextReply();
  const sid = sql(`SELECT id FROM session WHERE token = '${w.session}'`);
  assert.match(sid, /^\d+$/);
  const before = traces(sid, w.session, marker);
  for (const t of ['session', 'turn', 'handoff', 'handoff_message'])
    assert.ok(before.some((f) => f.startsWith(t + ':')), `${t} holds the session before: ${before}`);
  const otherTurns = sql(`SELECT count(*) FROM turn`);

  c.send({ type: 'forget' });
  const f = await c.nextReply();
  assert.deepEqual(f, { type: 'forgotten' });
  const closed = await c.closed;
  assert.ok(closed.code === 1001 || closed.code === 1000, 'closed by the server: ' + closed.code);
  assert.deepEqual(traces(sid, w.session, marker), [], 'no row mentions the forgotten session');
  assert.ok(Number(sql('SELECT count(*) FROM turn')) < Number(otherTurns));
  assert.ok(Number(sql(`SELECT count(*) FROM turn WHERE text LIKE '%${otherMarker}%'`)) > 0, 'another session stays');

  // the token resumes nothing now
  const again = await Client.connect(srv.wsUrl);
  const w2 = await again.hello(w.session);
  assert.notEqual(w2.session, w.session);
  assert.deepEqual(w2.history, []);
  again.send({ type: 'forget', id: 'x' });
  assert.equal((await again.nextReply()).type, 'forgotten');
  await again.closed;
  await other.close();
});

test('typing "xoá dữ liệu của tôi" on the web erases the session too', async () => {
  const c = await Client.connect(srv.wsUrl);
  const w = await c.hello();
  await c.say('lệ phí khai sinh bao nhiêu');
  const sid = sql(`SELECT id FROM session WHERE token = '${w.session}'`);
  assert.ok(Number(sql(`SELECT count(*) FROM turn WHERE session_id = ${sid}`)) > 0);
  c.send({ type: 'message', text: 'Xóa dữ liệu của tôi.', id: 'f1' });
  assert.deepEqual(await c.nextReply(), { type: 'forgotten' });
  await c.closed;
  assert.equal(sql(`SELECT count(*) FROM turn WHERE session_id = ${sid}`), '0');
  assert.equal(sql(`SELECT count(*) FROM session WHERE id = ${sid}`), '0');
});

test('forget before hello is an error frame on an open connection', async () => {
  const c = await Client.connect(srv.wsUrl);
  c.send({ type: 'forget' });
  const e = await c.nextReply();
  assert.equal(e.type, 'error');
  assert.equal(e.code, 'hello_required');
  await c.close();
});

function sign(body) {
  return 'sha256=' + crypto.createHmac('sha256', APP_SECRET).update(body).digest('hex');
}
let mid = 0;
async function messenger(psid, text) {
  const body = JSON.stringify({ object: 'page', entry: [{ id: 'PAGE', time: Date.now(), messaging: [
    { sender: { id: psid }, recipient: { id: 'PAGE' }, timestamp: Date.now(), message: { mid: 'm_pv_' + ++mid, text } }] }] });
  const before = fake.requests.length;
  const r = await fetch(srv.url + '/webhooks/messenger', { method: 'POST', body,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': sign(body) } });
  assert.equal(r.status, 200);
  await fake.until((q) => q.length > before);
  await new Promise((res) => setTimeout(res, 400));
  return fake.requests.slice(before).filter((q) => q.url.startsWith('/v25.0/me/messages'))
    .map((q) => q.json.message.text);
}

test('Messenger: the id is stored as a keyed hash; "xoa du lieu cua toi" erases and is confirmed', async () => {
  const psid = '2468013579' + crypto.randomInt(1e6);
  await messenger(psid, 'làm giấy khai sinh cho con');
  const key = sql('SELECT key FROM privacy_key');
  assert.match(key, /^[0-9a-f]{64}$/);
  const hk = 'h:' + crypto.createHmac('sha256', Buffer.from(key, 'hex')).update('messenger\n' + psid).digest('hex');
  const sid = sql(`SELECT id FROM session WHERE channel = 'messenger' AND user_key = '${hk}'`);
  assert.match(sid, /^\d+$/, 'the session is found by the keyed hash');
  assert.equal(sql(`SELECT count(*) FROM session WHERE user_key LIKE '%${psid}%'`), '0');
  assert.equal(sql(`SELECT count(*) FROM turn WHERE user_hash LIKE '%${psid}%'`), '0');

  const texts = await messenger(psid, 'Xoá dữ liệu của tôi!');
  assert.ok(texts.some((t) => /Đã xoá toàn bộ dữ liệu/.test(t)), texts.join(' / '));
  assert.equal(sql(`SELECT count(*) FROM session WHERE id = ${sid} OR user_key = '${hk}'`), '0');
  assert.equal(sql(`SELECT count(*) FROM turn WHERE session_id = ${sid}`), '0');
  const texts2 = await messenger(psid, 'xoa du lieu cua toi');
  assert.ok(texts2.some((t) => /Đã xoá toàn bộ dữ liệu/.test(t)), 'again, with nothing left: ' + texts2);
});

test('retention: records older than privacy.retention_days go at start; an old token resumes nothing', async () => {
  const now = Math.floor(Date.now() / 1000), day = 86400;
  const old = now - 200 * day, recent = now - day;
  await srv.stop();
  srv = null;
  sql(`
    INSERT INTO session (token, channel, created, last_seen) VALUES ('${'a'.repeat(32)}', 'web', ${old}, ${old});
    INSERT INTO turn (session_id, ts, channel, role, text) VALUES ((SELECT id FROM session WHERE token = '${'a'.repeat(32)}'), ${old}, 'web', 'user', 'cu-qua-han');
    INSERT INTO session (token, channel, created, last_seen) VALUES ('${'b'.repeat(32)}', 'web', ${now - 400 * day}, ${recent});
    INSERT INTO turn (session_id, ts, channel, role, text) VALUES ((SELECT id FROM session WHERE token = '${'b'.repeat(32)}'), ${recent}, 'web', 'user', 'con-moi');
    INSERT INTO seen_event VALUES ('messenger', 'old-event', ${old});
    INSERT INTO seen_event VALUES ('messenger', 'new-event', ${recent});`);
  srv = await startServer({ dir, env: env() });
  let left;
  for (let i = 0; i < 50; i++) {
    left = [`session WHERE token = '${'a'.repeat(32)}'`, "turn WHERE text = 'cu-qua-han'", "seen_event WHERE event_id = 'old-event'",
      `session WHERE token = '${'b'.repeat(32)}'`].map((w) => sql('SELECT count(*) FROM ' + w)).join('');
    if (left === '0000') break;
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.equal(left, '0000', 'old session, turn, event key, and the 400-day token');
  assert.equal(sql("SELECT count(*) FROM turn WHERE text = 'con-moi'"), '1', 'recent records stay');
  assert.equal(sql("SELECT count(*) FROM seen_event WHERE event_id = 'new-event'"), '1');
  const c = await Client.connect(srv.wsUrl);
  const w = await c.hello('b'.repeat(32));
  assert.notEqual(w.session, 'b'.repeat(32), 'the expired token opens a new conversation');
  assert.deepEqual(w.history, []);
  await c.close();
});

test('Zalo: numbered options kept under the hashed id; "xóa dữ liệu của tôi" erases them and confirms', async () => {
  const ZALO_APP = 'zapp-privacy', ZALO_OA_SECRET = 'zoa-secret-privacy';
  const zfake = await startFake({ status: 200, body: { error: 0, message: 'Success', data: { message_id: 'x' } } });
  const zdir = tempDir('motcua-privacy-zalo-');
  const zsrv = await startServer({ dir: zdir, env: {
    MOTCUA_ZALO_APP_ID: ZALO_APP, MOTCUA_ZALO_OA_SECRET: ZALO_OA_SECRET,
    MOTCUA_ZALO_ACCESS_TOKEN: 'zalo-token-1', MOTCUA_ZALO_REFRESH_TOKEN: 'refresh-1',
    MOTCUA_ZALO_APP_SECRET: 'zalo-app-secret', MOTCUA_ZALO_API_URL: zfake.url,
    MOTCUA_ZALO_OAUTH_URL: zfake.url + '/v4/oa/access_token',
  } });
  const zsql = (q) => stateQuery(zdir, q);
  const zsends = () => zfake.requests.filter((r) => r.url === '/v3.0/oa/message/cs');
  let n = 0;
  const say = async (user, text) => {
    const obj = { app_id: ZALO_APP, user_id_by_app: 'u' + user, event_name: 'user_send_text', timestamp: String(Date.now()),
      sender: { id: user }, recipient: { id: '579745863508352884' }, message: { msg_id: 'zpv' + ++n, text } };
    const body = JSON.stringify(obj);
    const mac = 'mac=' + crypto.createHash('sha256').update(ZALO_APP + body + obj.timestamp + ZALO_OA_SECRET).digest('hex');
    const before = zsends().length;
    const r = await fetch(zsrv.url + '/webhooks/zalo', { method: 'POST', body,
      headers: { 'content-type': 'application/json', 'x-zevent-signature': mac } });
    assert.equal(r.status, 200);
    await zfake.until(() => zsends().length > before);
    await new Promise((res) => setTimeout(res, 400));
    return zsends().slice(before).map((q) => q.json.message.text);
  };
  try {
    const user = '8812345678901234';
    await say(user, 'đăng ký kết hôn cần giấy tờ gì');
    assert.equal(zsql('SELECT count(*) FROM chan_options'), '1', 'the numbered options of the reply');
    assert.match(zsql('SELECT user_key FROM chan_options'), /^h:[0-9a-f]{64}$/);
    assert.equal(zsql(`SELECT count(*) FROM session WHERE user_key LIKE '%${user}%'`), '0');
    const texts = await say(user, 'xóa dữ liệu của tôi');
    assert.ok(texts.some((t) => /Đã xoá toàn bộ dữ liệu/.test(t)), texts.join(' / '));
    assert.equal(zsql("SELECT count(*) FROM session WHERE channel = 'zalo'"), '0');
    assert.equal(zsql('SELECT count(*) FROM chan_options'), '0');
    assert.equal(zsql('SELECT count(*) FROM turn'), '0');
  } finally {
    await zsrv.stop();
    await zfake.close();
  }
});
