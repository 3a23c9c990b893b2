// tests/e2e/webhooks.test.js - Messenger and Zalo bridges against local
// fake Graph and Zalo servers that record what they receive (issue 6), and
// answer as the platforms document (issue 17: errors, batching, follow
// events, the single-use refresh token; see lib/fake_platform.js).
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const path = require('node:path');
const { startServer, tempDir, stateRows, stateQuery, PG, Client, waitFor, SLOW } = require('./lib/server');
const { startFake, graphError, zaloError, startZaloOAuth, zaloFollow } = require('./lib/fake_platform');

const APP_SECRET = 'test-app-secret';
const VERIFY = 'verify-me';
const PAGE_TOKEN = 'PAGE-TOKEN-123';
const ZALO_APP = '1234567890';
const ZALO_OA_SECRET = 'oa-secret-xyz';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function messengerEnv(fake) {
  return {
    MOTCUA_MESSENGER_APP_SECRET: APP_SECRET, MOTCUA_MESSENGER_VERIFY_TOKEN: VERIFY,
    MOTCUA_MESSENGER_PAGE_TOKEN: PAGE_TOKEN, MOTCUA_MESSENGER_GRAPH_URL: fake.url + '/v25.0',
  };
}
function zaloEnv(fake, oauth) {
  return {
    MOTCUA_ZALO_APP_ID: ZALO_APP, MOTCUA_ZALO_OA_SECRET: ZALO_OA_SECRET,
    MOTCUA_ZALO_ACCESS_TOKEN: 'zalo-token-1', MOTCUA_ZALO_REFRESH_TOKEN: 'refresh-1',
    MOTCUA_ZALO_APP_SECRET: 'zalo-app-secret', MOTCUA_ZALO_API_URL: fake.url,
    MOTCUA_ZALO_OAUTH_URL: (oauth || fake).url + '/v4/oa/access_token',
  };
}

let mid = 0;
function messengerEvent(psid, text, extra = {}) {
  mid++;
  return { object: 'page', entry: [{ id: 'PAGE', time: Date.now(), messaging: [
    { sender: { id: psid }, recipient: { id: 'PAGE' }, timestamp: Date.now(), message: { mid: 'm_' + mid + '_' + psid, text, ...extra } }] }] };
}
function sign(body) {
  return 'sha256=' + crypto.createHmac('sha256', APP_SECRET).update(body).digest('hex');
}
async function postMessenger(srv, obj, signature) {
  const body = typeof obj === 'string' ? obj : JSON.stringify(obj);
  return fetch(srv.url + '/webhooks/messenger', { method: 'POST', body,
    headers: { 'content-type': 'application/json', ...(signature !== null ? { 'x-hub-signature-256': signature ?? sign(body) } : {}) } });
}
let zmsg = 0;
function zaloEvent(user, eventName, text, extra = {}) {
  zmsg++;
  return { app_id: ZALO_APP, user_id_by_app: 'u' + user, event_name: eventName, timestamp: String(Date.now()),
    sender: { id: user }, recipient: { id: '579745863508352884' },
    message: text === undefined ? undefined : { msg_id: 'zmsg' + zmsg, text }, ...extra };
}
function zsign(body, ts) {
  return 'mac=' + crypto.createHash('sha256').update(ZALO_APP + body + ts + ZALO_OA_SECRET).digest('hex');
}
async function postZalo(srv, obj, signature) {
  const body = JSON.stringify(obj);
  return fetch(srv.url + '/webhooks/zalo', { method: 'POST', body,
    headers: { 'content-type': 'application/json', ...(signature !== null ? { 'x-zevent-signature': signature ?? zsign(body, obj.timestamp) } : {}) } });
}
const sends = (reqs) => reqs.filter((r) => r.url.startsWith('/v25.0/me/messages'));
const zsends = (reqs) => reqs.filter((r) => r.url === '/v3.0/oa/message/cs');

test('Messenger: disabled without secrets', async () => {
  const srv = await startServer();
  try {
    let r = await fetch(srv.url + `/webhooks/messenger?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1`);
    assert.equal(r.status, 404);
    r = await postMessenger(srv, messengerEvent('1', 'hi'));
    assert.equal(r.status, 404);
    r = await postZalo(srv, zaloEvent('1', 'user_send_text', 'hi'));
    assert.equal(r.status, 404);
  } finally { await srv.stop(); }
});

test('Messenger: verification, signatures, one reply per event, de-duplication', async () => {
  const fake = await startFake({ status: 200, body: { recipient_id: 'x', message_id: 'mid.1' } });
  const srv = await startServer({ env: messengerEnv(fake) });
  try {
    let r = await fetch(srv.url + `/webhooks/messenger?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=1158201444`);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), '1158201444');
    r = await fetch(srv.url + `/webhooks/messenger?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1`);
    assert.equal(r.status, 403);
    r = await fetch(srv.url + `/webhooks/messenger?hub.mode=unsubscribe&hub.verify_token=${VERIFY}&hub.challenge=1`);
    assert.equal(r.status, 403);

    // forged and missing signatures: 403 and nothing sent
    const ev = messengerEvent('psid-forged', 'đăng ký khai sinh');
    r = await postMessenger(srv, ev, 'sha256=' + '0'.repeat(64));
    assert.equal(r.status, 403);
    r = await postMessenger(srv, ev, null);
    assert.equal(r.status, 403);
    const bodyText = JSON.stringify(ev);
    r = await postMessenger(srv, bodyText + ' ', sign(bodyText)); // body changed after signing
    assert.equal(r.status, 403);

    // a signed message: exactly one correct reply
    const good = messengerEvent('psid-1', 'cho em hỏi làm giấy khai sinh cho con cần gì');
    r = await postMessenger(srv, good);
    assert.equal(r.status, 200);
    await fake.until((q) => sends(q).length >= 1);
    await sleep(600);
    const out = sends(fake.requests);
    assert.ok(out.every((q) => q.json.recipient.id === 'psid-1'));
    assert.equal(out[0].url, `/v25.0/me/messages?access_token=${PAGE_TOKEN}`);
    const last = out[out.length - 1].json;
    assert.equal(last.messaging_type, 'RESPONSE');
    assert.ok(out.every((q) => [...q.json.message.text].length <= 2000));
    assert.ok(out.map((q) => q.json.message.text).join(' ').includes('khai sinh'));
    assert.ok(last.message.quick_replies.length >= 1 && last.message.quick_replies.length <= 13);
    for (const q of last.message.quick_replies) {
      assert.equal(q.content_type, 'text');
      assert.ok([...q.title].length <= 20, q.title);
      assert.ok(q.payload);
    }
    assert.ok(!fake.requests.some((q) => q.json?.recipient?.id === 'psid-forged'));
    const n = sends(fake.requests).length;

    // the same event delivered again: no second reply
    r = await postMessenger(srv, good);
    assert.equal(r.status, 200);
    // echoes, delivery and read receipts: nothing to answer
    r = await postMessenger(srv, { object: 'page', entry: [{ messaging: [
      { sender: { id: 'PAGE' }, recipient: { id: 'psid-1' }, message: { mid: 'echo1', text: 'x', is_echo: true } },
      { sender: { id: 'psid-1' }, recipient: { id: 'PAGE' }, delivery: { mids: ['a'], watermark: 1 } },
      { sender: { id: 'psid-1' }, recipient: { id: 'PAGE' }, read: { watermark: 1 } }] }] });
    assert.equal(r.status, 200);
    await sleep(1200);
    assert.equal(sends(fake.requests).length, n);

    // a quick-reply tap is a postback and continues the same conversation
    r = await postMessenger(srv, messengerEvent('psid-1', 'Giấy tờ cần chuẩn bị', { quick_reply: { payload: 'docs:khai-sinh' } }));
    assert.equal(r.status, 200);
    await fake.until((q) => sends(q).length > n);
    // malformed bodies that are signed are rejected without a crash
    r = await postMessenger(srv, '{"object":"user"}');
    assert.equal(r.status, 400);
    r = await postMessenger(srv, 'not json');
    assert.equal(r.status, 400);
    assert.equal((await fetch(srv.url + '/healthz')).status, 200);
  } finally { await srv.stop(); await fake.close(); }
});

test('Messenger: 500 twice then 200 delivers once and keeps order', async () => {
  const fake = await startFake({ status: 200, body: { message_id: 'ok' } });
  fake.script.push(graphError(2, 500, 'An unexpected error has occurred. Please retry your request later.'), { status: 503, body: 'down' });
  const srv = await startServer({ env: messengerEnv(fake) });
  try {
    let r = await postMessenger(srv, messengerEvent('psid-order', 'đăng ký tạm trú'));
    assert.equal(r.status, 200);
    r = await postMessenger(srv, messengerEvent('psid-order', 'cảm ơn'));
    assert.equal(r.status, 200);
    await fake.until((q) => sends(q).filter((x) => x.answered === 200).length >= 2, 20000);
    await sleep(500);
    const ok = sends(fake.requests).filter((x) => x.answered === 200).map((x) => x.json.message.text);
    const failed = sends(fake.requests).filter((x) => x.answered !== 200);
    assert.equal(failed.length, 2);
    // the failed body was the first reply; it was delivered exactly once, before the second
    assert.equal(failed[0].body, failed[1].body);
    assert.equal(ok.filter((t) => t === failed[0].json.message.text).length, 1);
    assert.equal(ok[0], failed[0].json.message.text);
    const metrics = await (await fetch(srv.url + '/metrics')).text();
    assert.match(metrics, /motcua_outbox_total\{result="retry"\} 2/);
  } finally { await srv.stop(); await fake.close(); }
});

test('Messenger: replies queued when the server is killed are sent after restart', async () => {
  const down = await startFake({ status: 503, body: 'unavailable' });
  const dir = tempDir();
  const lease = { MOTCUA_OUTBOX_LEASE_SECONDS: '15' }; // the least lease: the PostgreSQL pass waits 15 s, not 30
  let srv = await startServer({ dir, env: { ...messengerEnv(down), ...lease } });
  const r = await postMessenger(srv, messengerEvent('psid-restart', 'làm lại căn cước bị mất'));
  assert.equal(r.status, 200);
  await down.until((q) => sends(q).length >= 1);
  await srv.stop('SIGKILL');
  await down.close();
  const up = await startFake({ status: 200, body: { message_id: 'ok' } });
  srv = await startServer({ dir, env: { ...messengerEnv(up), ...lease } });
  try {
    // the SQLite file is one machine's: the dead process's claim is void at once. On
    // PostgreSQL (make test-e2e-pg) a claim the killed server made before its retry was
    // committed holds until its lease ends (outbox.lease_seconds, here 15 s: another
    // machine's node may be alive), then the row is sent
    await up.until((q) => sends(q).length >= 1, PG ? 15000 + 15000 : 15000);
    assert.equal(sends(up.requests)[0].json.recipient.id, 'psid-restart');
  } finally { await srv.stop(); await up.close(); }
});

test('Zalo: signatures, replies, duplicates, follow, images and echoes', async () => {
  const fake = await startFake({ status: 200, body: { error: 0, message: 'Success', data: { message_id: 'x' } } });
  const srv = await startServer({ env: zaloEnv(fake) });
  try {
    const user = '2512523625412515';
    let ev = zaloEvent(user, 'user_send_text', 'đăng ký kết hôn cần giấy tờ gì');
    let r = await postZalo(srv, ev, 'mac=' + 'a'.repeat(64));
    assert.equal(r.status, 403);
    r = await postZalo(srv, ev, null);
    assert.equal(r.status, 403);
    r = await postZalo(srv, ev);
    assert.equal(r.status, 200);
    await fake.until((q) => zsends(q).length >= 1);
    await sleep(500);
    const first = zsends(fake.requests);
    assert.equal(first[0].headers.access_token, 'zalo-token-1');
    assert.ok(first.every((q) => q.json.recipient.user_id === user));
    assert.ok(first.map((q) => q.json.message.text).join(' ').toLowerCase().includes('kết hôn'));
    const withButtons = first.find((q) => q.json.message.attachment);
    assert.ok(withButtons, 'quick replies rendered as buttons');
    const buttons = withButtons.json.message.attachment.payload.buttons;
    for (const b of buttons) {
      assert.equal(b.type, 'oa.query.show');
      assert.equal(b.payload, b.title); // the title comes back as the citizen's text
    }
    assert.match(withButtons.json.message.text, /^Gõ số để chọn:\n1\. /);
    const n = zsends(fake.requests).length;

    r = await postZalo(srv, ev); // redelivered
    assert.equal(r.status, 200);
    r = await postZalo(srv, zaloEvent('579745863508352884', 'oa_send_text', 'echo', { sender: { id: '579745863508352884' }, recipient: { id: user } }));
    assert.equal(r.status, 200);
    await sleep(1000);
    assert.equal(zsends(fake.requests).length, n);

    // typing "1" picks the first numbered option
    r = await postZalo(srv, zaloEvent(user, 'user_send_text', '1'));
    assert.equal(r.status, 200);
    await fake.until((q) => zsends(q).length > n);
    await sleep(300);
    // tapping a button of the latest reply sends its title back as text: it is
    // taken as that option's payload, not understood as free text
    const latest = zsends(fake.requests).slice(n).reverse().find((q) => q.json.message.attachment);
    assert.ok(latest, 'the answer to "1" offers options too');
    const tapTitle = latest.json.message.attachment.payload.buttons[0].title;
    const n2 = zsends(fake.requests).length;
    r = await postZalo(srv, zaloEvent(user, 'user_send_text', tapTitle));
    assert.equal(r.status, 200);
    await fake.until((q) => zsends(q).length > n2);
    await sleep(300);
    const lastUser = stateRows(srv, "select text, label from turn where role='user' order by id desc limit 2");
    assert.deepEqual(lastUser.map((x) => x[1]), [null, null]); // "1" and the tap: both payloads
    for (const [text] of lastUser) assert.match(text, /^[a-z]+(:[a-z0-9:-]+)?$/);
    const m = zsends(fake.requests).length;

    r = await postZalo(srv, zaloEvent('777', 'user_send_image', undefined, { message: { msg_id: 'img1', attachments: [{ type: 'image', payload: { url: 'x' } }] } }));
    assert.equal(r.status, 200);
    await fake.until((q) => zsends(q).length > m);
    assert.match(zsends(fake.requests).at(-1).json.message.text, /chỉ đọc được tin nhắn chữ/);

    // as Zalo sends it: follower.id, no sender (issue 17: the greeting never fired)
    r = await postZalo(srv, zaloFollow(ZALO_APP, '888'));
    assert.equal(r.status, 200);
    await fake.until((q) => zsends(q).some((x) => x.json.recipient.user_id === '888'));

    r = await postZalo(srv, { hello: 1, timestamp: '1' });
    assert.equal(r.status, 400);
  } finally { await srv.stop(); await fake.close(); }
});

test('Zalo: expired token is refreshed and the reply retried; closed window is not retried', async () => {
  const fake = await startFake({ status: 200, body: { error: 0 } });
  fake.script.push({ status: 200, body: { error: -216, message: 'Access token is invalid' } });
  const oauth = await startFake({ status: 200, body: { access_token: 'zalo-token-2', refresh_token: 'refresh-2', expires_in: '90000' } });
  const srv = await startServer({ env: zaloEnv(fake, oauth) });
  try {
    let r = await postZalo(srv, zaloEvent('1001', 'user_send_text', 'xin chào'));
    assert.equal(r.status, 200);
    await fake.until((q) => zsends(q).filter((x) => x.answered === 200 && x.headers.access_token === 'zalo-token-2').length >= 1, 15000);
    assert.equal(oauth.requests.length, 1);
    assert.equal(oauth.requests[0].headers.secret_key, 'zalo-app-secret');
    assert.match(oauth.requests[0].body, /grant_type=refresh_token/);
    assert.match(oauth.requests[0].body, /refresh_token=refresh-1/);
    assert.equal(zsends(fake.requests)[0].headers.access_token, 'zalo-token-1');

    // the citizen's reply window is closed: logged, given up, not retried
    const before = zsends(fake.requests).length;
    fake.defaultResponse = { status: 200, body: { error: -230, message: 'User has not interacted in 7 days' } };
    r = await postZalo(srv, zaloEvent('1002', 'user_send_text', 'cảm ơn'));
    assert.equal(r.status, 200);
    await fake.until((q) => zsends(q).length > before);
    await sleep(2500);
    const tries = zsends(fake.requests).slice(before).filter((x) => x.json.recipient.user_id === '1002');
    const distinct = new Set(tries.map((x) => x.body));
    assert.equal(tries.length, distinct.size, 'no body was sent twice');
    const metrics = await (await fetch(srv.url + '/metrics')).text();
    assert.match(metrics, /motcua_outbox_total\{result="failed"\} [1-9]/);
  } finally { await srv.stop(); await fake.close(); await oauth.close(); }
});

// Runs one SELECT on the server's state, whichever the back-end (lib/server.js); the rows.
function sql(db, statement) {
  return stateRows(db, statement);
}
// Makes the state database refuse EVENT (INSERT, UPDATE) on TABLE, as a full disk would,
// with a trigger NAME; unblock() drops it. The trigger's SQL is the back-end's own. On
// PostgreSQL an outbox UPDATE refused is the outcome's only (UPDATE OF state, attempts): a
// claim the database refuses there is not sent (another node may hold the row), where the
// SQLite file's single sender sends it anyway (store_outbox_due).
function block(db, name, event, table) {
  if (PG) {
    const ev = table === 'outbox' && event === 'UPDATE' ? 'UPDATE OF state, attempts' : event;
    stateQuery(db, "CREATE OR REPLACE FUNCTION test_disk_full() RETURNS trigger LANGUAGE plpgsql AS " +
      `$$BEGIN RAISE EXCEPTION 'disk full'; END$$; CREATE TRIGGER ${name} BEFORE ${ev} ON ${table} ` +
      'FOR EACH ROW EXECUTE FUNCTION test_disk_full();');
  } else {
    stateQuery(db, `CREATE TRIGGER ${name} BEFORE ${event} ON ${table} BEGIN SELECT RAISE(ABORT, 'disk full'); END;`);
  }
}
function unblock(db, name, table) {
  stateQuery(db, PG ? `DROP TRIGGER ${name} ON ${table};` : `DROP TRIGGER ${name};`);
}
async function untilLog(srv, re, ms = 15000) {
  const t0 = Date.now();
  while (!re.test(srv.logs())) {
    if (Date.now() - t0 > ms) throw new Error(`no log line ${re} within ${ms} ms:\n${srv.logs().slice(-3000)}`);
    await sleep(100);
  }
}

test('Zalo: a refreshed token that cannot be saved is kept in memory, logged and saved later', async () => {
  const fake = await startFake({ status: 200, body: { error: 0 } });
  fake.script.push({ status: 200, body: { error: -216, message: 'Access token is invalid' } });
  const oauth = await startFake({ status: 200, body: { access_token: 'zalo-token-2', refresh_token: 'refresh-2', expires_in: '90000' } });
  const srv = await startServer({ env: zaloEnv(fake, oauth) });
  const db = path.join(srv.dir, 'state.db');
  try {
    // the state database refuses the write, as a full disk would
    block(db, 'block_token', 'INSERT', 'chan_token');
    const r = await postZalo(srv, zaloEvent('1201', 'user_send_text', 'xin chào'));
    assert.equal(r.status, 200);
    await fake.until((q) => zsends(q).some((x) => x.answered === 200 && x.headers.access_token === 'zalo-token-2'), 15000);
    await untilLog(srv, /level=error event=outbox\.token_save_failed channel=zalo/);
    assert.deepEqual(sql(db, "SELECT count(*) FROM chan_token"), [[0]], 'nothing was written yet');
    // the disk recovers: the next pump saves the tokens it kept
    unblock(db, 'block_token', 'chan_token');
    await untilLog(srv, /event=outbox\.token_saved channel=zalo/);
    assert.deepEqual(sql(db, "SELECT access_token, refresh_token FROM chan_token WHERE channel = 'zalo'"),
      [['zalo-token-2', 'refresh-2']]);
    assert.equal(oauth.requests.length, 1, 'the single-use refresh token was spent once');
  } finally { await srv.stop(); await fake.close(); await oauth.close(); }
});

test('Messenger: a reply that cannot be delivered is given up after outbox.give_up_seconds', async () => {
  const down = await startFake({ status: 503, body: 'unavailable' });
  const srv = await startServer({ env: { ...messengerEnv(down), MOTCUA_OUTBOX_GIVE_UP_SECONDS: '10' } });
  try {
    const r = await postMessenger(srv, messengerEvent('psid-giveup', 'xin chào'));
    assert.equal(r.status, 200);
    let metrics = '';
    const t0 = Date.now();
    while (Date.now() - t0 < 40000) {
      metrics = await (await fetch(srv.url + '/metrics')).text();
      if (/motcua_outbox_total\{result="failed"\} [1-9]/.test(metrics)) break;
      await sleep(500);
    }
    assert.match(metrics, /motcua_outbox_total\{result="failed"\} [1-9]/);
    assert.ok(Date.now() - t0 >= 9000, 'not given up before its time');
    const tries = sends(down.requests).length;
    assert.ok(tries >= 3 && tries <= 8, 'bounded retries with back-off: ' + tries);
    assert.match(srv.logs(), /event=outbox\.give_up channel=messenger/);
    await sleep(2500);
    assert.equal(sends(down.requests).length, tries); // nothing more after giving up
  } finally { await srv.stop(); await down.close(); }
});

// ---- issue 17: the outbox against documented platform behaviour -------------

const readyz = async (srv) => (await fetch(srv.url + '/readyz')).status;
async function until(pred, ms, what) {
  const t0 = Date.now();
  while (!(await pred())) {
    if (Date.now() - t0 > ms) throw new Error('timed out: ' + what);
    await sleep(100);
  }
}
const metric = async (srv, re) => Number(((await (await fetch(srv.url + '/metrics')).text()).match(re) || [])[1]);

test('Messenger: a batched delivery of 120 events answers every one (none dropped after 32)', async () => {
  const fake = await startFake({ status: 200, body: { recipient_id: 'x', message_id: 'ok' } });
  const srv = await startServer({ env: messengerEnv(fake) });
  try {
    // Meta batches many entries and up to 1000 messaging events in one POST
    const entry = [0, 1, 2].map((e) => ({ id: 'PAGE', time: Date.now(), messaging: Array.from({ length: 40 }, (_, k) => (
      { sender: { id: `psid-b${e}-${k}` }, recipient: { id: 'PAGE' }, timestamp: Date.now(), message: { mid: `m_batch_${e}_${k}`, text: 'xin chào' } })) }));
    const r = await postMessenger(srv, { object: 'page', entry });
    assert.equal(r.status, 200);
    await fake.until((q) => new Set(sends(q).map((x) => x.json.recipient.id)).size >= 120, 30000);
  } finally { await srv.stop(); await fake.close(); }
});

test('Messenger: a delivery larger than 64 KiB is taken whole (a 413 would be redelivered forever)', async () => {
  const fake = await startFake({ status: 200, body: { recipient_id: 'x', message_id: 'ok' } });
  const srv = await startServer({ env: messengerEnv(fake) });
  try {
    const pad = ' cho tôi hỏi thủ tục'.repeat(6);
    const entry = [{ id: 'PAGE', time: Date.now(), messaging: Array.from({ length: 400 }, (_, k) => (
      { sender: { id: `psid-big-${k}` }, recipient: { id: 'PAGE' }, timestamp: Date.now(), message: { mid: `m_big_${k}`, text: 'xin chào' + pad } })) }];
    const body = JSON.stringify({ object: 'page', entry });
    assert.ok(Buffer.byteLength(body) > 64 * 1024, `body is ${Buffer.byteLength(body)} bytes`);
    const r = await postMessenger(srv, { object: 'page', entry });
    assert.equal(r.status, 200);
    await fake.until((q) => new Set(sends(q).map((x) => x.json.recipient.id)).size >= 400, 60000);
    // the JSON API keeps its 64 KiB limit
    const big = await fetch(srv.url + '/api/v1/ask', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'a'.repeat(70 * 1024) }) });
    assert.equal(big.status, 413);
  } finally { await srv.stop(); await fake.close(); }
});

test('Messenger: Graph errors with a retryable code in a 4xx are retried; others are final', async () => {
  const fake = await startFake({ status: 200, body: { recipient_id: 'x', message_id: 'ok' } });
  fake.script.push(graphError(613, 400, 'Calls to this api have exceeded the rate limit.'), graphError(1200, 400, 'Temporary send message failure.'));
  const srv = await startServer({ env: messengerEnv(fake) });
  try {
    let r = await postMessenger(srv, messengerEvent('psid-613', 'xin chào'));
    assert.equal(r.status, 200);
    await fake.until((q) => sends(q).some((x) => x.answered === 200), 15000);
    const first = sends(fake.requests)[0].body;
    assert.deepEqual(sends(fake.requests).filter((x) => x.body === first).map((x) => x.answered), [400, 400, 200]);
    // 551 "This person isn't available right now": not retried
    await sleep(1500);
    const n = sends(fake.requests).length;
    fake.defaultResponse = graphError(551, 400, 'This person is not available right now.');
    r = await postMessenger(srv, messengerEvent('psid-551', 'cảm ơn'));
    assert.equal(r.status, 200);
    await fake.until((q) => sends(q).length > n);
    await sleep(2500);
    const tries = sends(fake.requests).slice(n);
    assert.equal(tries.length, new Set(tries.map((x) => x.body)).size, 'no body sent twice');
  } finally { await srv.stop(); await fake.close(); }
});

test('Outbox: a state database that refuses the outcome causes no resend storm; /readyz 503 until it heals', async () => {
  const fake = await startFake({ status: 200, body: { recipient_id: 'x', message_id: 'ok' } });
  const srv = await startServer({ env: messengerEnv(fake) });
  const db = path.join(srv.dir, 'state.db');
  try {
    assert.equal(await readyz(srv), 200);
    block(db, 'block_outbox', 'UPDATE', 'outbox');
    for (let i = 0; i < 8; i++) assert.equal((await postMessenger(srv, messengerEvent('psid-disk' + i, 'xin chào'))).status, 200);
    await fake.until((q) => new Set(sends(q).map((x) => x.json.recipient.id)).size >= 8, 10000);
    await sleep(3000);
    const out = sends(fake.requests);
    const distinct = new Set(out.map((x) => x.body)).size;
    assert.equal(out.length, distinct, `each reply sent once, not resent (${out.length} sends of ${distinct} replies)`);
    assert.equal(await readyz(srv), 503);
    assert.match(srv.logs(), /level=error event=outbox\.state_write_failed/);
    assert.ok(await metric(srv, /motcua_state_write_failures_total (\d+)/) >= 1);
    assert.equal(await metric(srv, /motcua_state_unwritable (\d+)/), 1);
    unblock(db, 'block_outbox', 'outbox');
    await until(async () => (await readyz(srv)) === 200, 40000, '/readyz back to 200');
    assert.deepEqual(sql(db, "SELECT count(*) FROM outbox WHERE state = 'queued'"), [[0]]);
    assert.equal(sends(fake.requests).length, distinct, 'nothing resent once the outcome was written');
  } finally { await srv.stop(); await fake.close(); }
});

test('Outbox: a platform that is down gets backed-off probes, not a storm (8 replies, 3 s)', async () => {
  const down = await startFake({ status: 503, body: 'unavailable' });
  const srv = await startServer({ env: messengerEnv(down) });
  const db = path.join(srv.dir, 'state.db');
  try {
    // the worst case of the report: the platform down and the disk full
    block(db, 'block_outbox', 'UPDATE', 'outbox');
    const t0 = Date.now();
    for (let i = 0; i < 8; i++) assert.equal((await postMessenger(srv, messengerEvent('psid-down' + i, 'xin chào'))).status, 200);
    await sleep(3000 - (Date.now() - t0));
    const n = sends(down.requests).length;
    assert.ok(n >= 1 && n < 10, `${n} sends in 3 s`);
    assert.ok(await metric(srv, /motcua_outbox_circuit_open_total (\d+)/) >= 1);
  } finally { await srv.stop(); await down.close(); }
});

test('Zalo: -216 with a spent refresh token counts attempts and backs off (no resend loop)', async () => {
  const fake = await startFake(zaloError(-216, 'Access token is invalid'));
  const oauth = await startZaloOAuth('refresh-already-spent'); // the configured refresh-1 was used before
  const srv = await startServer({ env: zaloEnv(fake, oauth) });
  try {
    for (const u of ['2001', '2002', '2003']) assert.equal((await postZalo(srv, zaloEvent(u, 'user_send_text', 'xin chào'))).status, 200);
    await sleep(5000);
    const n = zsends(fake.requests).length;
    assert.ok(n >= 3 && n <= 15, `${n} sends in 5 s`);
    assert.ok(oauth.requests.length <= 2, `${oauth.requests.length} refresh requests`);
    assert.ok(await metric(srv, /motcua_outbox_total\{result="retry"\} (\d+)/) >= 3, 'attempts counted');
  } finally { await srv.stop(); await fake.close(); await oauth.close(); }
});

test('Zalo: an error code outside the temporary ones is final: the citizen\'s next answer still goes', async () => {
  const fake = await startFake();
  let poisoned = null; // the first body ever sent is refused with -201 each time
  fake.answer = (rec) => {
    poisoned ??= rec.body;
    return rec.body === poisoned ? zaloError(-201, 'Invalid parameter') : zaloError(0, 'Success');
  };
  const srv = await startServer({ env: zaloEnv(fake) });
  try {
    assert.equal((await postZalo(srv, zaloEvent('3001', 'user_send_text', 'đăng ký khai sinh'))).status, 200);
    await fake.until((q) => zsends(q).length >= 1);
    await sleep(500);
    const n = zsends(fake.requests).length;
    assert.equal((await postZalo(srv, zaloEvent('3001', 'user_send_text', 'cảm ơn'))).status, 200);
    // before the fix the refused reply was retried for an hour and everything
    // after it waited: nothing but the poisoned body was ever sent
    await fake.until((q) => zsends(q).some((x) => x.body !== poisoned), 6000);
    assert.equal(zsends(fake.requests).filter((x) => x.body === poisoned).length, 1, 'the refused reply was not retried');
  } finally { await srv.stop(); await fake.close(); }
});

test('Zalo: the token is refreshed before it expires', async () => {
  const fake = await startFake(zaloError(0, 'Success'));
  fake.script.push(zaloError(-216, 'Access token is invalid')); // the configured token's age is unknown
  const oauth = await startZaloOAuth('refresh-1', '4'); // tokens that live 4 s
  const srv = await startServer({ env: zaloEnv(fake, oauth) });
  try {
    assert.equal((await postZalo(srv, zaloEvent('4001', 'user_send_text', 'xin chào'))).status, 200);
    await oauth.until((q) => q.length >= 1, 10000);
    await oauth.until((q) => q.length >= 2, 10000); // no -216 in between: refreshed early
    assert.ok(oauth.issued.length >= 2);
    assert.match(oauth.requests[1].body, /refresh_token=refresh-2/, 'the new refresh token, used once');
  } finally { await srv.stop(); await fake.close(); await oauth.close(); }
});

test('Zalo: a newly configured token wins over the stored one after a re-authorisation', async () => {
  const fake = await startFake(zaloError(0, 'Success'));
  fake.script.push(zaloError(-216, 'Access token is invalid'));
  const oauth = await startZaloOAuth('refresh-1');
  const dir = tempDir();
  let srv = await startServer({ dir, env: zaloEnv(fake, oauth) });
  try {
    assert.equal((await postZalo(srv, zaloEvent('5001', 'user_send_text', 'xin chào'))).status, 200);
    await fake.until((q) => zsends(q).some((x) => x.headers.access_token === 'zalo-token-2' && x.answered === 200), 15000);
    await srv.stop();
    // same configuration: the refreshed, stored token is the newer one
    srv = await startServer({ dir, env: zaloEnv(fake, oauth) });
    let n = zsends(fake.requests).length;
    assert.equal((await postZalo(srv, zaloEvent('5001', 'user_send_text', 'cảm ơn'))).status, 200);
    await fake.until((q) => zsends(q).length > n);
    assert.equal(zsends(fake.requests)[n].headers.access_token, 'zalo-token-2');
    await srv.stop();
    // the operator re-authorised the OA and configured the new pair
    srv = await startServer({ dir, env: { ...zaloEnv(fake, oauth), MOTCUA_ZALO_ACCESS_TOKEN: 'zalo-token-new', MOTCUA_ZALO_REFRESH_TOKEN: 'refresh-new' } });
    n = zsends(fake.requests).length;
    assert.equal((await postZalo(srv, zaloEvent('5001', 'user_send_text', 'thủ tục kết hôn'))).status, 200);
    await fake.until((q) => zsends(q).length > n);
    assert.equal(zsends(fake.requests)[n].headers.access_token, 'zalo-token-new');
  } finally { await srv.stop(); await fake.close(); await oauth.close(); }
});

// Round trips to the state database the loop waits for per webhook event (issue 18,
// docs/scaling.md "Webhook events: round trips"): a returning citizen's message on Messenger
// and on Zalo (typed text: its numbered options are read too), and a redelivered event. On
// PostgreSQL the reads before the turn (de-duplication key, session, handoff state, options)
// go in one round trip; the turn's save (its session's row locked by those reads: it cannot
// miss), the outbox rows and options go with the COMMIT, which the loop does not wait for.
// SQLite has no round trips.
test('Webhooks: round trips the loop waits for per event (PostgreSQL: 1, a duplicate 1, a first event 1, a new WebSocket session 0, a resumed one 0)', async (t) => {
  const fake = await startFake({ status: 200, body: { recipient_id: 'x', message_id: 'ok', error: 0, data: { message_id: 'x' } } });
  const srv = await startServer({ env: { ...messengerEnv(fake), ...zaloEnv(fake) } });
  const rt = () => metric(srv, /^motcua_webhook_round_trips_total (\d+)$/m);
  const events = () => metric(srv, /^motcua_webhook_events_total (\d+)$/m);
  const N = 10;
  try {
    // while the node listens (its phrase revision then not read before each message)
    if (PG) await waitFor(() => /event=notify\.listening/.test(srv.logs()), 10000 * SLOW, 'LISTEN');
    // first contact creates each session (docs/scaling.md "A session's first read"): on
    // PostgreSQL in the same round trip as the reads, with an id the node holds (2 before)
    const first = async (post) => {
      const r0 = await rt(), e0 = await events();
      assert.equal((await post()).status, 200);
      assert.equal((await events()) - e0, 1);
      return (await rt()) - r0;
    };
    const firstM = await first(() => postMessenger(srv, messengerEvent('rt-m', 'xin chào')));
    const firstZ = await first(() => postZalo(srv, zaloEvent('rt-z', 'user_send_text', 'xin chào')));
    // a WebSocket hello without a token: a new session, its row queued in the batch (PostgreSQL:
    // no round trip waited for; 1 before); the welcome still waits for the commit. Then the same
    // token resumed (its reads, the session, its history, the handoff's messages and state, sent
    // together on the store's read connection, not waited for: 0 on PostgreSQL, 1 before, 4
    // before that)
    const ws = await Client.connect(srv.wsUrl);
    const welcome = await ws.hello();
    assert.equal(welcome.type, 'welcome');
    assert.equal(welcome.resumed, false);
    assert.equal((await ws.say('khai sinh cần gì')).type, 'reply'); // the session is stored
    await ws.close();
    const ws2 = await Client.connect(srv.wsUrl);
    const back = await ws2.hello(welcome.session);
    assert.equal(back.resumed, true);
    assert.equal(back.history.length, 2);
    await ws2.close();
    const hello = (resumed) => Number((srv.logs().match(new RegExp(`event=ws\\.hello .*resumed=${resumed} round_trips=(\\d+)`)) || [])[1]);
    const helloNew = hello(0), helloResumed = hello(1);
    console.log(`first contact round trips: messenger=${firstM} zalo=${firstZ} ws_hello_new=${helloNew} ws_hello_resumed=${helloResumed} backend=${PG ? 'postgresql' : 'sqlite'}`);
    if (!PG) {
      assert.deepEqual([firstM, firstZ, helloNew, helloResumed], [0, 0, 0, 0]);
    } else {
      // a resumed hello: its reads on the store's read connection, not waited for (1 before,
      // 4 before that: docs/scaling.md "Reads off the loop")
      assert.ok(firstM <= 1 && firstZ <= 1 && helloNew === 0 && helloResumed === 0, `${firstM} ${firstZ} ${helloNew} ${helloResumed}`);
    }
    const perEvent = async (post) => {
      const r0 = await rt(), e0 = await events();
      for (let i = 0; i < N; i++) assert.equal((await post(i)).status, 200);
      const r1 = await rt(), e1 = await events();
      assert.equal(e1 - e0, N);
      return (r1 - r0) / N;
    };
    const questions = ['khai sinh cần gì', 'lệ phí bao nhiêu', 'đăng ký kết hôn', 'làm lại cccd', 'hộ kinh doanh'];
    const messenger = await perEvent((i) => postMessenger(srv, messengerEvent('rt-m', questions[i % 5])));
    const zalo = await perEvent((i) => postZalo(srv, zaloEvent('rt-z', 'user_send_text', questions[i % 5])));
    const again = messengerEvent('rt-m', 'thủ tục khai sinh');
    assert.equal((await postMessenger(srv, again)).status, 200);
    const duplicate = await perEvent(() => postMessenger(srv, again));
    t.diagnostic(`round trips per event: messenger ${messenger}, zalo ${zalo}, duplicate ${duplicate} (${PG ? 'postgresql' : 'sqlite'})`);
    console.log(`webhook round trips per event: messenger=${messenger} zalo=${zalo} duplicate=${duplicate} backend=${PG ? 'postgresql' : 'sqlite'}`);
    if (!PG) {
      assert.deepEqual([messenger, zalo, duplicate], [0, 0, 0]);
    } else {
      // 5.1, 8.1 and 1 before the reads went together and the writes with the COMMIT; 2, 2
      // and 1 before the save was queued
      assert.ok(messenger > 0 && messenger <= 1 && zalo <= 1 && duplicate <= 1, `${messenger} ${zalo} ${duplicate}`);
    }
  } finally { await srv.stop(); await fake.close(); }
});
