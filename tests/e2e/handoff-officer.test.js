// tests/e2e/handoff-officer.test.js - the officer side of the human handoff
// (issue 14) against the real server: the officer HTTP API (list, claim and
// its race, transcript, messages, release, close), the officer WebSocket
// (/officer/ws), delivery of an officer's message to the citizen's
// WebSocket and to Messenger through a fake Graph API (RESPONSE, then the
// HUMAN_AGENT tag after 24 h, refused after 7 days), and the access checks
// (no cookie 401, no CSRF 403, wrong password and disabled account 401).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const path = require('node:path');
const WebSocket = require('ws');
const { startServer, run, Client, tempDir, stateQuery } = require('./lib/server');
const { startFake } = require('./lib/fake_platform');
const { officerSocket: consoleSocket } = require('./lib/console');

const PW = 'mật-khẩu-đủ-dài-1';
const APP_SECRET = 'test-app-secret';
const API = '/api/v1/officer/';
let srv, dir, graph;

function db() { return path.join(dir, 'state.db'); }
function sql(statement) {
  return stateQuery(db(), statement) + '\n';
}

async function add(user, role, name, extra = []) {
  const r = await run(['officer', 'add', user, '--name', name, '--role', role, ...extra],
    { env: { MOTCUA_DATA_STATE_DB: db() }, input: PW + '\n' });
  assert.equal(r.code, 0, r.stderr);
}

function login(username, password = PW) {
  return fetch(srv.url + API + 'login', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
}

// A logged-in officer: cookie, CSRF token and small helpers.
async function officer(username) {
  const r = await login(username);
  assert.equal(r.status, 200);
  const m = /^motcua_officer=([0-9a-f]{64});/.exec(r.headers.get('set-cookie') || '');
  assert.ok(m);
  const o = { username, cookie: 'motcua_officer=' + m[1], csrf: (await r.json()).csrf_token };
  o.get = async (p) => {
    const res = await fetch(srv.url + API + p, { headers: { cookie: o.cookie } });
    return { status: res.status, body: await res.json() };
  };
  o.post = async (p, body, headers = {}) => {
    const res = await fetch(srv.url + API + p, {
      method: 'POST',
      headers: { cookie: o.cookie, 'x-csrf-token': o.csrf, 'content-type': 'application/json', ...headers },
      body: body === undefined ? '' : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  return o;
}

const officerSocket = (cookie) => consoleSocket(srv.url, cookie);

// The next frame of c for which pred holds (others are skipped).
async function until(c, pred, ms = 5000) {
  const end = Date.now() + ms;
  for (;;) {
    const f = await c.next(Math.max(1, end - Date.now()));
    if (pred(f)) return f;
  }
}

function messengerEvent(psid, text, mid, payload) {
  const message = { mid, text, ...(payload ? { quick_reply: { payload } } : {}) };
  return { object: 'page', entry: [{ id: 'PAGE', time: Date.now(), messaging: [
    { sender: { id: psid }, recipient: { id: 'PAGE' }, timestamp: Date.now(), message }] }] };
}
async function postMessenger(obj) {
  const body = JSON.stringify(obj);
  const sig = 'sha256=' + crypto.createHmac('sha256', APP_SECRET).update(body).digest('hex');
  const r = await fetch(srv.url + '/webhooks/messenger', { method: 'POST', body,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': sig } });
  assert.equal(r.status, 200);
}

before(async () => {
  dir = tempDir();
  await add('lan.nt', 'admin', 'Nguyễn Thị Lan', ['--unit', '00008']);
  await add('minh.tv', 'officer', 'Trần Văn Minh');
  await add('hoa.pt', 'officer', 'Phạm Thị Hoa');
  await add('nghi.viec', 'officer', 'Người Nghỉ Việc');
  await add('xa.khac', 'officer', 'Lê Văn Khác', ['--unit', '00011']);
  assert.equal((await run(['officer', 'disable', 'nghi.viec'], { env: { MOTCUA_DATA_STATE_DB: db() } })).code, 0);
  graph = await startFake();
  srv = await startServer({ dir, env: {
    MOTCUA_MESSENGER_APP_SECRET: APP_SECRET, MOTCUA_MESSENGER_VERIFY_TOKEN: 'v',
    MOTCUA_MESSENGER_PAGE_TOKEN: 'PAGE-TOKEN', MOTCUA_MESSENGER_GRAPH_URL: graph.url + '/v25.0',
  } });
});
after(async () => {
  if (srv) await srv.stop();
  if (graph) await graph.close();
});

test('access: no cookie 401, no CSRF 403, wrong password and disabled account 401, /officer/ws refused', async () => {
  let r = await fetch(srv.url + API + 'conversations');
  assert.equal(r.status, 401);
  assert.equal((await r.json()).error, 'unauthorized');
  r = await fetch(srv.url + API + 'conversations/1/claim', { method: 'POST', headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 401);
  assert.equal((await login('minh.tv', 'sai-mat-khau-roi')).status, 401);
  const disabled = await login('nghi.viec');
  assert.equal(disabled.status, 401);
  assert.equal((await disabled.json()).error, 'bad_credentials');

  const m = await officer('minh.tv');
  const noCsrf = await m.post('conversations/1/claim', {}, { 'x-csrf-token': '' });
  assert.equal(noCsrf.status, 403);
  assert.equal(noCsrf.body.error, 'csrf');
  assert.equal((await m.get('conversations?state=nonsense')).status, 400);
  assert.equal((await m.post('conversations/999999/claim')).status, 404);
  assert.equal((await m.get('conversations/abc')).status, 404);

  const anon = officerSocket(null);
  await assert.rejects(anon.opened);
  const forged = officerSocket('motcua_officer=' + 'a'.repeat(64));
  await assert.rejects(forged.opened);
  const other = new WebSocket(srv.url.replace('http', 'ws') + '/officer/ws',
    { headers: { cookie: m.cookie, origin: 'https://evil.example' } });
  await assert.rejects(new Promise((resolve, reject) => { other.on('open', resolve); other.on('error', reject); }));
  // the server still answers
  assert.equal((await fetch(srv.url + '/healthz')).status, 200);
});

test('web: pending pushed live, a race of two claims, messages both ways, the bot silent, release', async () => {
  const minh = await officer('minh.tv');
  const hoa = await officer('hoa.pt');
  const live = officerSocket(minh.cookie);
  await live.opened;

  const citizen = await Client.connect(srv.wsUrl);
  const hello0 = await citizen.hello();
  let f = await citizen.tap('handoff:request');
  assert.equal(f.type, 'reply');
  assert.equal(f.handoff?.state, 'pending', JSON.stringify(f));

  const pending = await until(live, (x) => x.type === 'pending');
  const id = pending.conversation.id;
  assert.equal(pending.conversation.state, 'pending');
  assert.equal(pending.conversation.channel, 'web');
  let list = await minh.get('conversations?state=pending');
  assert.equal(list.status, 200);
  assert.ok(list.body.conversations.some((c) => c.id === id), JSON.stringify(list.body));

  // two officers race: exactly one wins
  const [a, b] = await Promise.all([minh.post(`conversations/${id}/claim`), hoa.post(`conversations/${id}/claim`)]);
  assert.deepEqual([a.status, b.status].sort(), [200, 409], JSON.stringify([a.body, b.body]));
  const [winner, loser] = a.status === 200 ? [minh, hoa] : [hoa, minh];
  const won = a.status === 200 ? a : b;
  assert.equal(won.body.conversation.state, 'officer');
  assert.equal(won.body.conversation.officer, winner.username);
  const state = await until(live, (x) => x.type === 'state' && x.conversation_id === id);
  assert.equal(state.state, 'officer');
  assert.equal(state.officer, winner.username);
  f = await until(citizen, (x) => x.type === 'handoff');
  assert.equal(f.state, 'officer');

  // the officer's message reaches the citizen's WebSocket
  let r = await winner.post(`conversations/${id}/messages`, { text: 'Chào bạn, tôi là cán bộ xã. Bạn cần hỗ trợ gì?' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.message.from, 'officer');
  f = await until(citizen, (x) => x.type === 'reply');
  assert.equal(f.from, 'officer');
  assert.equal(f.reply_to, undefined);
  assert.equal(f.messages[0].text, 'Chào bạn, tôi là cán bộ xã. Bạn cần hỗ trợ gì?');
  assert.ok(f.officer?.name);

  // the loser may not write; bad bodies are refused
  assert.equal((await loser.post(`conversations/${id}/messages`, { text: 'xin chào' })).status, 409);
  assert.equal((await winner.post(`conversations/${id}/messages`, { text: '   ' })).status, 400);
  assert.equal((await winner.post(`conversations/${id}/messages`, { text: 'a'.repeat(2049) })).status, 413);
  assert.equal((await winner.post(`conversations/${id}/messages`, { nope: 1 })).status, 400);
  const rawBad = await fetch(srv.url + API + `conversations/${id}/messages`, { method: 'POST',
    headers: { cookie: winner.cookie, 'x-csrf-token': winner.csrf, 'content-type': 'application/json' },
    body: Buffer.from([0x7b, 0x22, 0x74, 0x65, 0x78, 0x74, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]) });
  assert.equal(rawBad.status, 400);

  // a guide's checklist shared from the assistant reaches the citizen too
  r = await winner.post(`conversations/${id}/messages`, { share: { procedure: 'khai-sinh', part: 'checklist' } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  f = await until(citizen, (x) => x.type === 'reply');
  assert.equal(f.from, 'officer');
  assert.equal(f.messages[0].text, r.body.message.text);
  assert.ok(r.body.message.text.length > 20);
  assert.equal((await winner.post(`conversations/${id}/messages`, { share: { procedure: 'khong-co', part: 'card' } })).status, 404);
  assert.equal((await winner.post(`conversations/${id}/messages`, { share: { procedure: 'khai-sinh', part: 'x' } })).status, 400);
  assert.equal((await winner.post(`conversations/${id}/messages`, { text: 'a', share: { procedure: 'khai-sinh', part: 'card' } })).status, 400);

  // the bot stays silent: the citizen's message is delivered to the officer
  citizen.send({ type: 'message', text: 'Tôi muốn hỏi về giấy khai sinh cho con 0912345678', id: 'c1' });
  f = await until(citizen, (x) => x.reply_to === 'c1' || x.type === 'reply');
  assert.deepEqual(f, { type: 'delivered', reply_to: 'c1' });
  const msg = await until(live, (x) => x.type === 'message' && x.message.from === 'citizen');
  assert.equal(msg.conversation_id, id);
  assert.doesNotMatch(msg.message.text, /0912345678/); // masked, as in the turn records

  // a reload while the officer helps: the welcome's history has the
  // officer's messages (with the name) and the citizen's (masked), in order
  const again = await Client.connect(srv.wsUrl);
  const w = await again.hello(hello0.session);
  assert.equal(w.type, 'welcome');
  assert.equal(w.handoff?.state, 'officer', JSON.stringify(w.handoff));
  const roles = w.history.map((h) => h.role);
  const firstOfficer = roles.indexOf('officer');
  assert.ok(firstOfficer > 0, roles.join(','));
  assert.equal(w.history[firstOfficer].text, 'Chào bạn, tôi là cán bộ xã. Bạn cần hỗ trợ gì?');
  assert.ok(w.history[firstOfficer].officer?.name, JSON.stringify(w.history[firstOfficer]));
  const lastItem = w.history[w.history.length - 1];
  assert.equal(lastItem.role, 'user');
  assert.match(lastItem.text, /khai sinh/);
  assert.doesNotMatch(lastItem.text, /0912345678/);
  await again.close();

  // the transcript: the bot's turn before the officer's message, the
  // citizen's handoff message (masked) last, by time (stamped in ms)
  const t = await winner.get(`conversations/${id}`);
  assert.equal(t.status, 200);
  const from = t.body.transcript.map((x) => x.from);
  assert.ok(from.indexOf('bot') >= 0 && from.indexOf('bot') < from.indexOf('officer'), from.join(','));
  assert.ok(t.body.transcript.some((x) => x.from === 'citizen' && /khai sinh/.test(x.text) &&
    !/0912345678/.test(x.text)), JSON.stringify(t.body.transcript));
  assert.equal(from[from.length - 1], 'citizen', from.join(','));
  const ts = t.body.transcript.map((x) => x.ts);
  assert.deepEqual(ts, [...ts].sort((x, y) => x - y));

  // release: the bot answers again
  assert.equal((await loser.post(`conversations/${id}/release`)).status, 409);
  r = await winner.post(`conversations/${id}/release`);
  assert.equal(r.status, 200);
  assert.equal(r.body.conversation.state, 'bot');
  f = await until(citizen, (x) => x.type === 'handoff');
  assert.equal(f.state, 'bot');
  f = await citizen.say('lam lai cccd bi mat', 'c2');
  assert.equal(f.type, 'reply');
  assert.equal(f.reply_to, 'c2');
  assert.notEqual(f.from, 'officer');

  // every action is in the audit log with the conversation, never the text
  const audit = sql(`SELECT username, action, conversation FROM audit WHERE action IN ('claim','message','release') ORDER BY id`);
  assert.match(audit, new RegExp(`${winner.username}\\|claim\\|${id}\\n${winner.username}\\|message\\|${id}\\n${winner.username}\\|release\\|${id}`));
  assert.match(sql(`SELECT action, detail FROM audit WHERE action = 'share'`), /^share\|khai-sinh\/checklist$/m);
  assert.doesNotMatch(sql('SELECT * FROM audit'), /cán bộ xã/);
  await citizen.close();
  live.ws.close();
});

test('Messenger: the officer reply reaches the Graph API, HUMAN_AGENT after 24 h, refused after 7 days', async () => {
  const lan = await officer('lan.nt');
  const psid = 'PSID-HANDOFF-1';
  await postMessenger(messengerEvent(psid, 'Gặp cán bộ', 'mid-h-1', 'handoff:request'));
  await graph.until((reqs) => reqs.some((q) => q.json?.recipient?.id === psid));
  const list = await lan.get('conversations?state=pending');
  const conv = list.body.conversations.find((c) => c.channel === 'messenger');
  assert.ok(conv, JSON.stringify(list.body));
  const id = conv.id;
  assert.equal((await lan.post(`conversations/${id}/claim`)).status, 200);

  const sentTo = () => graph.requests.filter((q) => q.json?.recipient?.id === psid);
  const arrived = async (re) => {
    await graph.until(() => sentTo().some((q) => re.test(q.json.message?.text || '')));
    return sentTo().find((q) => re.test(q.json.message?.text || '')).json;
  };
  // the claim is told to the citizen, with the officer's name
  await arrived(/Nguyễn Thị Lan/);
  let r = await lan.post(`conversations/${id}/messages`, { text: 'Chào bạn, cán bộ xã đây.' });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  let q = await arrived(/^Chào bạn, cán bộ xã đây\.$/);
  assert.equal(q.messaging_type, 'RESPONSE');
  assert.equal(q.tag, undefined);

  // the citizen's last message 30 hours ago: the HUMAN_AGENT tag
  sql(`UPDATE handoff SET last_citizen_ms = ${Date.now() - 30 * 3600e3} WHERE session_id = ${id}`);
  r = await lan.post(`conversations/${id}/messages`, { text: 'Xin lỗi vì trả lời muộn.' });
  assert.equal(r.status, 200);
  q = await arrived(/^Xin lỗi vì trả lời muộn\.$/);
  assert.equal(q.messaging_type, 'MESSAGE_TAG');
  assert.equal(q.tag, 'HUMAN_AGENT');

  // 8 days: Messenger allows nothing more
  sql(`UPDATE handoff SET last_citizen_ms = ${Date.now() - 8 * 86400e3} WHERE session_id = ${id}`);
  r = await lan.post(`conversations/${id}/messages`, { text: 'Bạn còn ở đó không?' });
  assert.equal(r.status, 409);
  assert.equal(r.body.error, 'window_closed');
  const t = await lan.get(`conversations/${id}`);
  assert.ok(!t.body.transcript.some((x) => x.text === 'Bạn còn ở đó không?'), 'a refused message is not stored');

  // close: the citizen is told (window open again)
  sql(`UPDATE handoff SET last_citizen_ms = ${Date.now() - 3600e3} WHERE session_id = ${id}`);
  const sentBefore = sentTo().length;
  r = await lan.post(`conversations/${id}/close`);
  assert.equal(r.status, 200);
  assert.equal(r.body.conversation.state, 'closed');
  await graph.until(() => sentTo().length > sentBefore);
  assert.equal(sentTo().at(-1).json.messaging_type, 'RESPONSE');
  assert.ok(!sentTo().some((q) => q.json.message?.text === 'Bạn còn ở đó không?'));
  assert.equal((await lan.get('conversations?state=closed')).body.conversations.some((c) => c.id === id), true);
});

test('units: an officer of another unit neither lists nor opens a conversation of this one', async () => {
  const other = await officer('xa.khac');
  const minh = await officer('minh.tv');
  const closed = (await minh.get('conversations?state=closed')).body.conversations;
  assert.ok(closed.length > 0);
  const id = closed[0].id;
  // unknown locality: every officer sees it
  assert.equal((await other.get(`conversations/${id}`)).status, 200);
  sql(`UPDATE handoff SET locality = '00008' WHERE session_id = ${id}`);
  const r = await other.get(`conversations/${id}`);
  assert.equal(r.status, 403);
  assert.equal(r.body.error, 'other_unit');
  assert.ok(!(await other.get('conversations?state=closed')).body.conversations.some((c) => c.id === id));
  // no unit, or admin: sees it
  assert.ok((await minh.get('conversations?state=closed')).body.conversations.some((c) => c.id === id));
  assert.equal((await (await officer('lan.nt')).get(`conversations/${id}`)).status, 200);
});
