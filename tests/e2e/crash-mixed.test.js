// tests/e2e/crash-mixed.test.js - SIGKILL under mixed WebSocket and webhook
// load (issue 17). One server with Messenger and Zalo enabled against the
// local fake Graph and Zalo OA servers (lib/fake_platform.js) is killed four
// times while WebSocket clients send turns and webhook senders post signed
// deliveries, and restarted on the same state database each time. A
// delivery answered 2xx is acknowledged; one that was not (5xx, a reset
// connection) is delivered again to the next life of the server, as Meta and
// Zalo redeliver, and now and then an acknowledged one is delivered again
// too. Each webhook event comes from its own citizen, so every event can be
// followed to its session's turn records and to the sends the fake received.
// Afterwards, with the server up until the outbox drained:
// - every WebSocket reply a client received has its user and bot turn records;
// - every acknowledged event was processed exactly once (one user and one bot
//   turn in its citizen's session) and answered on the fake platform: every
//   message of that one answer was sent, and nothing that is not of it (a
//   second processing would be a second answer);
// - a text sent twice to a citizen (at-least-once delivery: sent, then killed
//   before "sent" was committed) is a duplicate: counted, reported with
//   t.diagnostic, at most one per acknowledged event, and one text is sent at
//   most once per life of the server (no resend loop);
// - no outbox row is left unsent, and PRAGMA integrity_check is ok.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { execFile, execFileSync } = require('node:child_process');
const { startServer, Client, tempDir } = require('./lib/server');
const { drive, TEXTS } = require('./lib/drive');
const { startFake } = require('./lib/fake_platform');

const ROUNDS = 4;
const WS_CLIENTS = 4;
const MESSENGER_SENDERS = 3;
const ZALO_SENDERS = 3;
const REDELIVER_ACKED = 0.1; // share of acknowledged deliveries the "platform" sends again
const APP_SECRET = 'crash-app-secret';
const ZALO_APP = '1234567890';
const ZALO_OA_SECRET = 'crash-oa-secret';
const ID_KEY = 'crash-privacy-id-key'; // privacy.id_key: the test can compute the stored user keys
const DRAIN_MS = 20000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quote = (s) => `'${String(s).replace(/'/g, "''")}'`;

function sqliteAsync(db, script) {
  return new Promise((resolve, reject) => execFile('sqlite3', ['-batch', db], (e, out) => (e ? reject(e) : resolve(out.trim())))
    .stdin.end('.timeout 5000\n' + script));
}
function sqliteJson(db, script) {
  const out = execFileSync('sqlite3', ['-batch', '-json', db], { input: script, encoding: 'utf8', maxBuffer: 64 << 20 }).trim();
  return out ? JSON.parse(out) : [];
}
// What the store keeps for a platform user id (store_privacy_user_key):
// "h:" + HMAC-SHA256(SHA-256(privacy.id_key), channel "\n" user) in hex.
const idKey = crypto.createHash('sha256').update(ID_KEY).digest();
const userKey = (channel, user) => 'h:' + crypto.createHmac('sha256', idKey).update(`${channel}\n${user}`).digest('hex');

// ---- webhook deliveries: each event from its own citizen -------------------
let seq = 0;
const events = [];     // {channel, user, acked}
function messengerDelivery() {
  const evs = Array.from({ length: 1 + (seq % 3) }, () => {
    const ev = { channel: 'messenger', user: `psid-${++seq}`, acked: false };
    events.push(ev);
    return ev;
  });
  const body = JSON.stringify({ object: 'page', entry: [{ id: 'PAGE', time: Date.now(), messaging: evs.map((e) => (
    { sender: { id: e.user }, recipient: { id: 'PAGE' }, timestamp: Date.now(), message: { mid: 'm_' + e.user, text: TEXTS[seq % TEXTS.length] } })) }] });
  const sig = 'sha256=' + crypto.createHmac('sha256', APP_SECRET).update(body).digest('hex');
  return { path: '/webhooks/messenger', body, headers: { 'x-hub-signature-256': sig }, events: evs };
}
function zaloDelivery() {
  const ev = { channel: 'zalo', user: String(7000000000 + ++seq), acked: false };
  events.push(ev);
  const ts = String(Date.now());
  const body = JSON.stringify({ app_id: ZALO_APP, user_id_by_app: 'u' + ev.user, event_name: 'user_send_text', timestamp: ts,
    sender: { id: ev.user }, recipient: { id: '579745863508352884' }, message: { msg_id: 'z' + ev.user, text: TEXTS[seq % TEXTS.length] } });
  const sig = 'mac=' + crypto.createHash('sha256').update(ZALO_APP + body + ts + ZALO_OA_SECRET).digest('hex');
  return { path: '/webhooks/zalo', body, headers: { 'x-zevent-signature': sig }, events: [ev] };
}

const stats = { deliveries: 0, posts: 0, unacked: 0, cutByKill: 0, redeliveredAcked: 0, refused: [] };
const again = []; // deliveries to post again (not acknowledged, or chosen for a second delivery)

// One POST; true when acknowledged (2xx). A reset or 5xx means "deliver again".
async function post(srv, d) {
  stats.posts++;
  let r;
  try {
    r = await fetch(srv.url + d.path, { method: 'POST', body: d.body, signal: AbortSignal.timeout(5000),
      headers: { 'content-type': 'application/json', ...d.headers } });
    await r.arrayBuffer();
  } catch {
    return false;
  }
  if (r.status >= 200 && r.status < 300) {
    for (const e of d.events) e.acked = true;
    return true;
  }
  if (r.status < 500) stats.refused.push(`${d.path} ${r.status}`); // a platform would not redeliver: a failure
  return false;
}

// Posts deliveries one after another while life.up: first the ones waiting
// for redelivery, then new ones.
async function sender(srv, life, make) {
  while (life.up) {
    const old = again.shift();
    const d = old || make();
    if (!old) stats.deliveries++;
    if (!(await post(srv, d))) {
      stats[life.up ? 'unacked' : 'cutByKill']++; // delivered again either way
      again.push(d);
    } else if (!old && Math.random() < REDELIVER_ACKED) {
      stats.redeliveredAcked++;
      again.push(d);
    }
  }
}

test('SIGKILL under mixed WebSocket + webhook load, four times: nothing acknowledged is lost', async (t) => {
  try {
    execFileSync('sqlite3', ['-version']);
  } catch {
    assert.fail('the sqlite3 command is missing: run make deps (APT_PKGS has sqlite3)');
  }
  const graph = await startFake({ status: 200, body: { recipient_id: 'x', message_id: 'mid.ok' } });
  const zalo = await startFake({ status: 200, body: { error: 0, message: 'Success', data: { message_id: 'z' } } });
  const dir = tempDir('motcua-crash-mixed-');
  const db = path.join(dir, 'state.db');
  const env = {
    MOTCUA_LISTEN_MAX_PER_IP: '64', MOTCUA_PRIVACY_ID_KEY: ID_KEY,
    MOTCUA_MESSENGER_APP_SECRET: APP_SECRET, MOTCUA_MESSENGER_VERIFY_TOKEN: 'verify',
    MOTCUA_MESSENGER_PAGE_TOKEN: 'PAGE-TOKEN', MOTCUA_MESSENGER_GRAPH_URL: graph.url + '/v25.0',
    MOTCUA_ZALO_APP_ID: ZALO_APP, MOTCUA_ZALO_OA_SECRET: ZALO_OA_SECRET,
    MOTCUA_ZALO_ACCESS_TOKEN: 'zalo-token-1', MOTCUA_ZALO_REFRESH_TOKEN: 'refresh-1',
    MOTCUA_ZALO_APP_SECRET: 'zalo-app-secret', MOTCUA_ZALO_API_URL: zalo.url,
    MOTCUA_ZALO_OAUTH_URL: zalo.url + '/v4/oa/access_token',
  };
  const tokens = new Array(WS_CLIENTS).fill(null);
  const received = [];
  let wsErrors = 0, dedup = 0; // dedup: events the server recognised as delivered before

  for (let round = 0; round < ROUNDS; round++) {
    const srv = await startServer({ dir, env });
    const life = { up: true };
    const clients = [];
    for (let k = 0; k < WS_CLIENTS; k++) {
      const c = await Client.connect(srv.wsUrl);
      const w = await c.hello(tokens[k]);
      assert.equal(w.type, 'welcome');
      if (tokens[k]) assert.equal(w.session, tokens[k], `round ${round} client ${k}: session lost`);
      tokens[k] = w.session;
      clients.push(c);
    }
    const runs = [
      ...clients.map((c, k) => drive(c, k, round, tokens[k], received)),
      ...Array.from({ length: MESSENGER_SENDERS }, () => sender(srv, life, messengerDelivery)),
      ...Array.from({ length: ZALO_SENDERS }, () => sender(srv, life, zaloDelivery)),
    ];
    await sleep(400 + Math.floor(Math.random() * 400));
    life.up = false; // no new POST starts; the ones in flight meet the kill
    await srv.stop('SIGKILL');
    dedup += (srv.logs().match(/event=webhook\.duplicate/g) || []).length;
    for (const n of await Promise.all(runs)) wsErrors += n || 0;
  }
  assert.equal(wsErrors, 0, 'no error frame while the server ran');
  assert.ok(received.length >= ROUNDS * WS_CLIENTS, `only ${received.length} WebSocket replies: no load`);
  assert.ok(events.length >= ROUNDS * (MESSENGER_SENDERS + ZALO_SENDERS), `only ${events.length} webhook events: no load`);

  // The last life: what was never acknowledged is delivered again (bounded),
  // then the server stays up until every outbox row is sent.
  const srv = await startServer({ dir, env });
  for (let tries = 0; again.length && tries < 5; tries++) {
    for (const d of again.splice(0)) if (!(await post(srv, d))) again.push(d);
  }
  assert.equal(again.length, 0, `${again.length} deliveries never acknowledged by the last server`);
  assert.deepEqual(stats.refused, [], 'no delivery refused with a 4xx');
  const deadline = Date.now() + DRAIN_MS;
  let pending = '';
  while ((pending = await sqliteAsync(db, "SELECT count(*) FROM outbox WHERE state = 'queued';")) !== '0' && Date.now() < deadline) await sleep(100);
  assert.equal(pending, '0', `outbox not drained in ${DRAIN_MS} ms`);
  await srv.stop();
  dedup += (srv.logs().match(/event=webhook\.duplicate/g) || []).length;

  // WebSocket: every reply received has one user and one bot record with its id.
  const want = received.map((r) => `(${quote(r.token)}, ${quote(r.id)})`);
  const wsMissing = sqliteJson(db, [
    'CREATE TEMP TABLE want (token TEXT, msg_id TEXT);',
    ...Array.from({ length: Math.ceil(want.length / 500) }, (_, i) => `INSERT INTO want VALUES ${want.slice(i * 500, (i + 1) * 500).join(', ')};`),
    "SELECT w.msg_id AS id FROM want w WHERE " +
      "(SELECT count(*) FROM turn t JOIN session s ON s.id = t.session_id WHERE s.token = w.token AND t.msg_id = w.msg_id AND t.role = 'bot') <> 1 OR " +
      "(SELECT count(*) FROM turn t JOIN session s ON s.id = t.session_id WHERE s.token = w.token AND t.msg_id = w.msg_id AND t.role = 'user') <> 1;",
  ].join('\n'));
  assert.deepEqual(wsMissing.map((r) => r.id), [], 'WebSocket replies received but not recorded');

  // Webhooks: per event, its citizen's turn records (sent outbox rows are
  // purged at once, so the bot turn is the record of the one answer given).
  const turns = new Map(); // "channel user_key" -> {user: n, bot: n, answer}
  for (const r of sqliteJson(db, 'SELECT s.channel AS channel, s.user_key AS k, t.role AS role, t.text AS text ' +
    'FROM turn t JOIN session s ON s.id = t.session_id WHERE s.user_key IS NOT NULL ORDER BY t.id;')) {
    const k = `${r.channel} ${r.k}`;
    if (!turns.has(k)) turns.set(k, { user: 0, bot: 0, answer: null });
    const c = turns.get(k);
    c[r.role]++;
    if (r.role === 'bot') c.answer = JSON.parse(r.text);
  }
  const queued = Number(sqliteJson(db, "SELECT count(*) AS n FROM outbox WHERE state <> 'sent';")[0].n);
  const sent = new Map(); // "channel user" -> message texts the fake received, in order
  const note = (channel, user, body) => {
    const k = `${channel} ${user}`;
    if (!sent.has(k)) sent.set(k, []);
    sent.get(k).push(body);
  };
  for (const q of graph.requests) if (q.url.startsWith('/v25.0/me/messages')) note('messenger', q.json.recipient.id, q.json.message.text);
  for (const q of zalo.requests) if (q.url === '/v3.0/oa/message/cs') note('zalo', q.json.recipient.user_id, q.json.message.text);

  const problems = [];
  if (queued) problems.push(`${queued} outbox rows not sent`);
  let duplicates = 0, sends = 0, most = 0;
  for (const e of events) {
    const k = `${e.channel} ${e.user}`;
    const c = turns.get(`${e.channel} ${userKey(e.channel, e.user)}`) || { user: 0, bot: 0, answer: null };
    const got = sent.get(k) || [];
    sends += got.length;
    duplicates += got.length - new Set(got).size;
    const times = new Map();
    for (const s of got) times.set(s, (times.get(s) || 0) + 1);
    most = Math.max(most, ...times.values(), 0);
    if (!e.acked) problems.push(`${k}: never acknowledged`);
    if (c.user !== 1 || c.bot !== 1) problems.push(`${k}: processed ${c.user} times (${c.bot} answers recorded)`);
    if (!c.answer || !got.length) {
      if (!got.length) problems.push(`${k}: acknowledged, nothing sent to the platform`);
      continue;
    }
    // what rendering the one answer can send: parts of its messages, and the
    // options line (Zalo) or the text quick replies hang on (Messenger)
    const texts = c.answer.messages.map((m) => m.text).filter(Boolean);
    const qr = c.answer.quick_replies || [];
    const options = 'Gõ số để chọn:' + qr.map((q, i) => `\n${i + 1}. ${q.title}`).join('');
    const ofAnswer = (s) => texts.some((x) => x.includes(s)) || s === options || s === 'Bạn chọn một mục dưới đây:';
    for (const s of new Set(got)) if (!ofAnswer(s)) problems.push(`${k}: sent a text not of its one answer: ${s.slice(0, 100)}`);
    for (const x of texts) if (!got.some((s) => x.startsWith(s))) problems.push(`${k}: a message of its answer never sent: ${x.slice(0, 100)}`);
    if (e.channel === 'zalo' && qr.length && !got.includes(options)) problems.push(`${k}: its numbered options never sent`);
  }
  const wrote = new Set(events.map((e) => `${e.channel} ${e.user}`));
  for (const k of sent.keys()) if (!wrote.has(k)) problems.push(`${k}: sends to nobody who wrote`);
  const acked = events.filter((e) => e.acked).length;
  t.diagnostic(`kills ${ROUNDS}; WebSocket replies received ${received.length}, all recorded`);
  t.diagnostic(`webhook events ${events.length} (acked ${acked}) in ${stats.deliveries} deliveries; ${stats.posts} POSTs, ` +
    `${stats.unacked} refused while up, ${stats.cutByKill} cut by a kill, ${stats.redeliveredAcked} acked ones delivered again; ` +
    `${dedup} events recognised as seen`);
  t.diagnostic(`platform sends ${sends}; duplicate sends after a crash ${duplicates} (at-least-once, bound ${acked}); ` +
    `one text sent at most ${most} times (bound ${ROUNDS + 1} lives)`);
  assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems with webhook events`);
  assert.ok(duplicates <= acked, `${duplicates} duplicate sends for ${acked} acknowledged events`);
  assert.ok(most <= ROUNDS + 1, `one text sent ${most} times in ${ROUNDS + 1} lives of the server: a resend loop`);
  assert.equal(execFileSync('sqlite3', ['-batch', db], { input: 'PRAGMA integrity_check;', encoding: 'utf8' }).trim(), 'ok');
  await graph.close();
  await zalo.close();
  fs.rmSync(dir, { recursive: true, force: true }); // kept when a check failed, to look into
});
