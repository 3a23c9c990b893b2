// tests/e2e/cluster-notify.test.js - issue 18, cross-node events: two gateway nodes on one
// throwaway PostgreSQL cluster (tests/lib/pg.sh: initdb in a temporary folder, a Unix socket
// there, stopped by PID), all on loopback. What one node commits, the other learns through
// LISTEN/NOTIFY at once instead of at its next poll (FEED_POLL_MS and the gateway's tick, both
// 250 ms):
//   - a citizen's message on node B reaches an officer's WebSocket on node A in well under the
//     poll period (measured, median and worst bounded);
//   - a phrase taught on node A is built into node B's index at once, with no turn on B, and
//     answers there;
//   - the commune's office data changed on node A is applied on node B at once, with no turn
//     there, and B answers with it;
//   - POST /admin/reload?all=1 on one node reloads both (the asking node once), a plain one
//     only itself, a bad value is 400;
//   - the listening connections killed (pg_terminate_backend): both nodes fall back on the
//     poll, reconnect by themselves, and events are pushed at once again; a reload of all
//     nodes asked while they are down still reloads the other node, once (the durable
//     reload revision);
//   - while listening, an idle node's fallback polls read only every NOTIFY_IDLE_POLL_MS (a
//     few reads in seconds, counted by motcua_state_poll_reads_total); with its listener
//     killed and kept from reconnecting they read every 250 ms again, and a citizen's
//     message still reaches the officer within a poll period.
//   - a handoff node A has not heard of (no feed event) still takes the citizen's next message on
//     A: the bot's save, conditional on no live handoff, misses and the turn runs again from the
//     state read; a claim and a release on B reach A's citizen, and the bot answers again
//     (docs/scaling.md, "The handoff state not read").
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { startServer, run, Client, tempDir, SLOW, waitFor: waitUntil } = require('./lib/server');
const waitFor = (pred, ms, what) => waitUntil(pred, ms, what, { poll: 5 });
const { apiLogin, officerSocket: consoleSocket } = require('./lib/console');
const { startPg } = require('./lib/pg');
const { execFileSync } = require('node:child_process');

const POLL_MS = 250; // gateway/feed.h FEED_POLL_MS and gw.c GW_TICK_US: the fallback's period
const IDLE_POLL_MS = 5000; // gateway/notify.h NOTIFY_IDLE_POLL_MS: the same polls while listening
const PUSH_MEDIAN_MS = 60 * SLOW; // a pushed event, typically; a polled one averages POLL_MS / 2
const PUSH_WORST_MS = 150 * SLOW; // every pushed event; the poll's worst case is POLL_MS
const PW = 'mật-khẩu-cụm-nút-1';
const TOKEN = 'cluster-notify-admin-token';
const MISS = 'ông ngoại tui về với ông bà rồi, giấy tờ lo sao'; // admin.test.js: missed today
const T = { timeout: 120000 };
let pg; // { url, proc }
const nodes = [];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const sql = (q) => pg.sql(q);

const count = (n, re) => (n.logs().match(re) || []).length;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const officerSocket = (n, cookie) => consoleSocket(n.url, cookie);
async function until(c, pred, ms = 5000 * SLOW) {
  const end = Date.now() + ms;
  for (;;) {
    const f = await c.next(Math.max(1, end - Date.now()));
    if (pred(f)) return f;
  }
}
function api(n, method, p, who, body) {
  const headers = { cookie: who.cookie };
  if (method !== 'GET') headers['x-csrf-token'] = who.csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(n.url + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

before(async () => {
  pg = await startPg();
  const dir = tempDir();
  for (const [user, role] of [['lan.nt', 'admin'], ['minh.tv', 'officer']]) {
    const r = await run(['officer', 'add', user, '--name', 'Cán bộ ' + user, '--role', role],
      { env: { MOTCUA_DATA_STATE_URL: pg.url, MOTCUA_DATA_STATE_DB: path.join(dir, 'unused.db') }, input: PW + '\n' });
    assert.equal(r.code, 0, r.stderr);
  }
  for (let i = 0; i < 2; i++) {
    nodes.push(await startServer({ env: { MOTCUA_DATA_STATE_URL: pg.url, MOTCUA_ADMIN_TOKEN: TOKEN } }));
  }
  for (const n of nodes) await waitFor(() => count(n, /event=notify\.listening/g) >= 1, 10000 * SLOW, 'LISTEN');
});
after(async () => {
  for (const n of nodes) await n.stop().catch(() => {});
  if (pg) await pg.stop();
});

// A citizen on node B handed to an officer on node A; resolves what the next tests need.
let handed; // { citizen, live, id }
async function handOver() {
  if (handed) return handed;
  const [a, b] = nodes;
  const minh = await apiLogin(a.url, 'minh.tv', PW);
  const live = officerSocket(a, minh.cookie);
  await live.opened;
  const citizen = await Client.connect(b.wsUrl);
  await citizen.hello();
  await citizen.tap('handoff:request');
  const pending = await until(live, (x) => x.type === 'pending');
  const id = pending.conversation.id;
  const r = await api(a, 'POST', `/api/v1/officer/conversations/${id}/claim`, minh);
  assert.equal(r.status, 200);
  const f = await until(citizen, (x) => x.type === 'handoff'); // A's claim, pushed to B's citizen
  assert.equal(f.state, 'officer');
  handed = { citizen, live, id };
  return handed;
}

// Sends one citizen message on node B; resolves the ms until A's officer socket had it.
async function citizenToOfficer(h, tag) {
  const t0 = performance.now();
  h.citizen.send({ type: 'message', text: 'Cho tôi hỏi thêm ' + tag, id: tag });
  const m = await until(h.live, (x) => x.type === 'message' && x.message.from === 'citizen', 5000 * SLOW);
  const ms = performance.now() - t0;
  assert.equal(m.conversation_id, h.id);
  assert.match(m.message.text, new RegExp(tag));
  await until(h.citizen, (x) => x.reply_to === tag); // "delivered"
  return ms;
}

test('a citizen message on node B reaches an officer WebSocket on node A at once', T, async () => {
  const h = await handOver();
  const ms = [];
  for (let i = 0; i < 10; i++) {
    await sleep(Math.random() * POLL_MS); // at every phase of the poll's timer
    ms.push(await citizenToOfficer(h, 'q' + i));
  }
  const med = median(ms), worst = Math.max(...ms);
  console.log(`# feed B->A latency ms: median=${med.toFixed(1)} worst=${worst.toFixed(1)} ` +
    `all=[${ms.map((x) => x.toFixed(1)).join(' ')}] (poll period ${POLL_MS} ms)`);
  assert.ok(med < PUSH_MEDIAN_MS, `median ${med.toFixed(1)} ms, not well under the ${POLL_MS} ms poll`);
  assert.ok(worst < PUSH_WORST_MS, `worst ${worst.toFixed(1)} ms, not under the ${POLL_MS} ms poll`);
});

test('a phrase taught on node A takes effect on node B at once, without a turn there', T, async () => {
  const [a, b] = nodes;
  const admin = await apiLogin(a.url, 'lan.nt', PW);
  const lat = [];
  let id = null;
  const rebuilt = async (seen) => {
    await waitFor(() => count(b, /event=teach\.refresh rev=/g) > seen, 5000 * SLOW, 'node B rebuilding');
    const line = b.logs().match(/ts=(\S+) level=info event=teach\.refresh rev=\d+ build_ms=([\d.]+)/g).pop();
    const [, ts, build] = /ts=(\S+) .* build_ms=([\d.]+)/.exec(line);
    return Date.parse(ts) - Number(build); // when B started rebuilding
  };
  // taught four times (forgotten in between): each revision rebuilt on B by itself
  for (let i = 0; i < 4; i++) {
    if (id !== null) { // forgotten: not timed (A answers after its own rebuild, long after its commit)
      const seen = count(b, /event=teach\.refresh rev=/g);
      assert.equal((await api(a, 'DELETE', `/api/v1/admin/phrases/${id}`, admin)).status, 200);
      await rebuilt(seen);
    }
    await sleep(Math.random() * POLL_MS);
    const seen = count(b, /event=teach\.refresh rev=/g);
    const r = await api(a, 'POST', '/api/v1/admin/phrases', admin, { text: MISS, label: 'khai-tu' });
    const t0 = Date.now(); // A answers right after its commit: the notification leaves then
    assert.equal(r.status, 201, await r.clone().text());
    id = (await r.json()).id;
    lat.push((await rebuilt(seen)) - t0);
  }
  const worst = Math.max(...lat);
  console.log(`# teach A->B: B starts rebuilding ms after A's answer: [${lat.join(' ')}] (poll period ${POLL_MS} ms)`);
  assert.ok(worst < PUSH_WORST_MS - 50, `worst ${worst} ms: B waited for its poll`);
  const c = await Client.connect(b.wsUrl);
  await c.hello();
  const reply = await c.say(MISS, 'taught-1');
  assert.equal(reply.procedure, 'khai-tu', 'node B answers with what node A taught');
  await c.close();
});

test("the commune's office data changed on node A is applied on node B at once", T, async () => {
  const [a, b] = nodes;
  const admin = await apiLogin(a.url, 'lan.nt', PW);
  const applied = () => count(b, /event=office\.apply rev=/g);
  const lat = [];
  let phone;
  for (let i = 0; i < 5; i++) {
    await sleep(Math.random() * POLL_MS); // at every phase of B's poll
    const seen = applied();
    phone = `0243 800 ${String(100 + i)}`;
    const r = await api(a, 'PUT', '/api/v1/admin/office/00008', admin, { phone });
    const t0 = Date.now(); // A answers after its commit: the notification left then
    assert.equal(r.status, 200, await r.clone().text());
    await waitFor(() => applied() > seen, 5000 * SLOW, 'node B applying the office data');
    const line = b.logs().match(/ts=(\S+) level=info event=office\.apply rev=\d+/g).pop();
    lat.push(Date.parse(/ts=(\S+)/.exec(line)[1]) - t0);
  }
  const worst = Math.max(...lat);
  console.log(`# office A->B: B applied ms after A's answer: [${lat.join(' ')}] (poll period ${POLL_MS} ms)`);
  assert.ok(worst < PUSH_WORST_MS - 50, `worst ${worst} ms: B waited for its poll`);
  const c = await Client.connect(b.wsUrl);
  await c.hello();
  const reply = await c.say('giờ làm việc', 'office-1');
  assert.ok(reply.messages.some((m) => m.text.includes(phone)), 'node B answers with the new phone');
  await c.close();
});

test('POST /admin/reload?all=1 on one node reloads both; without it, only that node', T, async () => {
  const [a, b] = nodes;
  const reloads = (n) => count(n, /event=kb\.reload path=/g);
  const post = (n, q) => fetch(n.url + '/admin/reload' + q, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
  let ra = reloads(a), rb = reloads(b);
  let r = await post(a, '?all=1');
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { reloaded: true });
  await waitFor(() => reloads(b) > rb, 10000 * SLOW, 'node B reloading');
  await sleep(1000);
  assert.equal(reloads(a), ra + 1, 'the asking node reloads once (its own notification ignored)');
  assert.equal(reloads(b), rb + 1);
  assert.match(b.logs(), /event=kb\.reload by=notification/);

  ra = reloads(a); rb = reloads(b);
  r = await post(b, '');
  assert.equal(r.status, 200);
  await sleep(1000);
  assert.equal(reloads(b), rb + 1);
  assert.equal(reloads(a), ra, 'a plain reload is this node only');

  r = await post(a, '?all=yes');
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error, 'bad_query');
  const c = await Client.connect(a.wsUrl); // still serving
  await c.hello();
  assert.equal((await c.say('đăng ký khai sinh', 'after-reload')).procedure, 'khai-sinh');
  await c.close();
});

test('listening connections killed: the poll carries on, they reconnect, pushes resume', T, async () => {
  const h = await handOver();
  const [a, b] = nodes;
  const downs = nodes.map((n) => count(n, /event=notify\.down/g));
  const ups = nodes.map((n) => count(n, /event=notify\.listening/g));
  assert.equal(sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'motcua-listen'"), '2');
  assert.equal(sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'motcua-listen'"), '2');
  // committed while nobody listens: no notification reaches A, its poll (or catch-up) does
  const slow = await citizenToOfficer(h, 'down1');
  assert.ok(slow < 2 * POLL_MS + 1000 * SLOW, `${slow} ms`);
  for (const [i, n] of [a, b].entries()) {
    await waitFor(() => count(n, /event=notify\.down/g) > downs[i], 5000 * SLOW, 'notify.down');
    await waitFor(() => count(n, /event=notify\.listening/g) > ups[i], 10000 * SLOW, 'reconnection');
  }
  assert.equal(sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'motcua-listen'"), '2');
  const ms = [];
  for (let i = 0; i < 5; i++) {
    await sleep(Math.random() * POLL_MS);
    ms.push(await citizenToOfficer(h, 'up' + i));
  }
  console.log(`# after reconnection, feed B->A ms: [${ms.map((x) => x.toFixed(1)).join(' ')}]`);
  assert.ok(Math.max(...ms) < PUSH_WORST_MS, 'pushed at once again');
  await h.citizen.close();
  h.live.ws.close();
});

// A reload of all nodes asked while the other node's LISTEN is down (its notification lost):
// the reload revision, bumped with the notification, is read by that node while it is not
// listening (its poll) or when LISTEN takes effect again (its catch-up): it reloads, once.
test('?all=1 asked while the listeners are down still reloads the other node, once', T, async () => {
  const [a, b] = nodes;
  const reloads = (n) => count(n, /event=kb\.reload path=/g);
  const ups = nodes.map((n) => count(n, /event=notify\.listening/g));
  const downs = nodes.map((n) => count(n, /event=notify\.down/g));
  const ra = reloads(a), rb = reloads(b);
  assert.equal(sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'motcua-listen'"), '2');
  for (const [i, n] of [a, b].entries()) {
    await waitFor(() => count(n, /event=notify\.down/g) > downs[i], 5000 * SLOW, 'notify.down');
  }
  const r = await fetch(a.url + '/admin/reload?all=1', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(r.status, 200);
  await waitFor(() => reloads(b) > rb, 20000 * SLOW, 'node B reloading without the notification');
  for (const [i, n] of [a, b].entries()) {
    await waitFor(() => count(n, /event=notify\.listening/g) > ups[i], 20000 * SLOW, 'reconnection');
  }
  await sleep(1000); // a second reload, if any, would come with the poll or the catch-up
  assert.equal(reloads(b), rb + 1, 'node B reloads once');
  assert.equal(reloads(a), ra + 1, 'the asking node reloads once, for its request');
  const how = /event=kb\.reload by=(poll|catch_up) rev=\d+/.exec(b.logs());
  assert.ok(how, 'node B reloaded for the revision it missed');
  console.log(`# missed reload: node B reloaded by=${how[1]}`);
  const c = await Client.connect(b.wsUrl); // still serving
  await c.hello();
  assert.equal((await c.say('đăng ký khai sinh', 'after-missed-reload')).procedure, 'khai-sinh');
  await c.close();
});

// The fallback polls' reads of one node (gateway/metrics.h state_poll_reads; one worker a node).
async function pollReads(n) {
  const body = await (await fetch(n.url + '/metrics')).text();
  const m = /^motcua_state_poll_reads_total (\d+)$/m.exec(body);
  assert.ok(m, 'motcua_state_poll_reads_total in /metrics');
  return Number(m[1]);
}

// The database's own switch, from another database: while it is off no new connection to it
// is accepted (superusers included), so a killed listener stays down; open ones serve on.
const postgresSql = (q) => execFileSync('psql', ['-h', pg.host, '-U', 'motcua', '-d', 'postgres', '-Atc', q],
  { encoding: 'utf8' }).trim();
const allowConnections = (on) => postgresSql(`ALTER DATABASE motcua ALLOW_CONNECTIONS ${on}`);

test('idle and listening, the polls read seldom; with LISTEN down, every 250 ms again', T, async () => {
  const WINDOW_MS = 6000; // longer than IDLE_POLL_MS: the safety net reads at least once
  // listening and idle: three polls (the feed, the office data's and the phrases' revisions)
  // once every IDLE_POLL_MS, against 3 * WINDOW_MS / POLL_MS = 72 reads at 250 ms
  const r0 = await Promise.all(nodes.map(pollReads));
  await sleep(WINDOW_MS);
  const idle = (await Promise.all(nodes.map(pollReads))).map((x, i) => x - r0[i]);
  const most = 3 * (Math.ceil(WINDOW_MS / IDLE_POLL_MS) + 1);
  console.log(`# idle and listening, poll reads in ${WINDOW_MS} ms: [${idle.join(' ')}] ` +
    `(at most ${most}; ${3 * WINDOW_MS / POLL_MS} at ${POLL_MS} ms)`);
  for (const x of idle) {
    assert.ok(x <= most, `${x} poll reads in ${WINDOW_MS} ms while listening`);
    assert.ok(x >= 3, `${x} poll reads in ${WINDOW_MS} ms: the safety net did not read`);
  }

  handed = null; // the last test closed its sockets
  const h = await handOver();
  const downs = nodes.map((n) => count(n, /event=notify\.down/g));
  const ups = nodes.map((n) => count(n, /event=notify\.listening/g));
  const ms = [];
  let down, elapsed;
  allowConnections(false);
  try {
    assert.equal(postgresSql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'motcua-listen'"), '2');
    for (const [i, n] of nodes.entries()) {
      await waitFor(() => count(n, /event=notify\.down/g) > downs[i], 5000 * SLOW, 'notify.down');
    }
    const d0 = await Promise.all(nodes.map(pollReads));
    const t0 = Date.now();
    for (let i = 0; i < 4; i++) {
      await sleep(Math.random() * POLL_MS); // at every phase of the poll's timer
      ms.push(await citizenToOfficer(h, 'polled' + i));
    }
    elapsed = Date.now() - t0;
    down = (await Promise.all(nodes.map(pollReads))).map((x, i) => x - d0[i]);
    assert.deepEqual(nodes.map((n) => count(n, /event=notify\.listening/g)), ups, 'LISTEN stayed down');
  } finally {
    allowConnections(true);
  }
  console.log(`# listener down: poll reads in ${elapsed} ms: [${down.join(' ')}]; ` +
    `feed B->A ms: [${ms.map((x) => x.toFixed(1)).join(' ')}]`);
  // four polls a period (the feed, the office data, the phrases, the reload revision)
  for (const x of down) assert.ok(x >= 2 * elapsed / POLL_MS, `${x} poll reads in ${elapsed} ms, listener down`);
  assert.ok(Math.max(...ms) < POLL_MS + 250 * SLOW, `worst ${Math.max(...ms).toFixed(1)} ms: not the 250 ms poll`);
  for (const [i, n] of nodes.entries()) {
    await waitFor(() => count(n, /event=notify\.listening/g) > ups[i], 30000 * SLOW, 'reconnection');
  }
  const again = await citizenToOfficer(h, 'pushed-again');
  assert.ok(again < PUSH_WORST_MS, `${again} ms: pushed at once again`);
  await h.citizen.close();
  h.live.ws.close();
});

// The handoff state not read (docs/scaling.md): node A keeps with the citizen's session that no
// handoff is live and saves the bot's turn only while none is (the queued save's condition). A
// handoff A has not heard of (written straight into the table: no feed row, no notification, so
// nothing tells A) must still take the next message: the save misses, the turn runs again with
// the state read, the message goes to the officer. Last in the file: the officers' sockets of
// the tests above would see this conversation's messages.
test('a handoff node A has not heard of takes the next message there; released, the bot answers', T, async () => {
  const [a, b] = nodes;
  const minh = await apiLogin(b.url, 'minh.tv', PW);
  const citizen = await Client.connect(a.wsUrl);
  const w = await citizen.hello();
  const answer = async (text, id) => {
    citizen.send({ type: 'message', text, id });
    return until(citizen, (x) => x.reply_to === id);
  };
  const recorded = (sid, id) => [sql(`SELECT count(*) FROM turn WHERE session_id = ${sid} AND msg_id = '${id}' AND role = 'bot'`),
    sql(`SELECT count(*) FROM handoff_message WHERE session_id = ${sid} AND msg_id = '${id}'`)];
  assert.equal((await answer('cho hỏi đăng ký khai sinh', 'k-0')).type, 'reply'); // A: with the bot
  const sid = sql(`SELECT id FROM session WHERE token = '${w.session}'`);
  const reruns = count(a, /event=turn\.rerun/g);
  sql(`INSERT INTO handoff (session_id, state, channel, waiting_since, updated) VALUES (${sid}, 'pending', 'web', 1, 1)`);
  let r = await answer('cán bộ ơi, cho tôi hỏi thêm', 'k-1');
  assert.equal(r.type, 'delivered', `for the officer, not the bot: ${JSON.stringify(r)}`);
  await waitFor(() => count(a, /event=turn\.rerun/g) === reruns + 1, 5000 * SLOW, 'the save missed and the turn ran again');
  assert.deepEqual(recorded(sid, 'k-1'), ['0', '1'], 'a handoff message, no turn');
  // claimed on B while the citizen writes on A: the officer's either way
  const [c] = await Promise.all([api(b, 'POST', `/api/v1/officer/conversations/${sid}/claim`, minh),
    answer('tôi cần giấy tờ gì', 'k-2').then((x) => { r = x; })]);
  assert.equal(c.status, 200);
  assert.equal(r.type, 'delivered');
  assert.deepEqual(recorded(sid, 'k-2'), ['0', '1']);
  assert.equal((await until(citizen, (x) => x.type === 'handoff')).state, 'officer'); // B's claim, pushed on A
  assert.equal((await api(b, 'POST', `/api/v1/officer/conversations/${sid}/release`, minh)).status, 200);
  assert.equal((await until(citizen, (x) => x.type === 'handoff')).state, 'bot');
  for (const id of ['k-3', 'k-4']) {
    r = await answer('lệ phí bao nhiêu', id);
    assert.equal(r.type, 'reply', `the bot's again: ${JSON.stringify(r)}`);
    assert.deepEqual(recorded(sid, id), ['1', '0']);
  }
  // a second tab on B asks for a person while the first writes on A, round after round: each
  // message is the bot's (saved before the request) or the officer's, never both nor neither
  const tab = await Client.connect(b.wsUrl);
  await tab.hello(w.session);
  const seen = { reply: 0, delivered: 0 };
  for (let i = 0; i < 8; i++) {
    const id = `race-${i}`;
    const [, m] = await Promise.all([tab.tap('handoff:request'), answer('mất bao lâu', id)]);
    seen[m.type]++;
    assert.deepEqual(recorded(sid, id), m.type === 'reply' ? ['1', '0'] : ['0', '1'], `${id}: ${m.type}`);
    await tab.tap('handoff:cancel');
  }
  console.log(`# request on B racing a message on A: ${JSON.stringify(seen)}, ` +
    `saves missed on A: ${count(a, /event=turn\.rerun/g) - reruns - 1}`);
  // a request for a person when A has not read the state: its save, which writes the request
  // too, is conditional on no live handoff (docs/scaling.md "Turns that write something
  // else"): it misses, writes nothing, and the turn runs again from the state read; the
  // conversation is the officer's, the bot does not answer
  await sleep(POLL_MS); // the last cancel's event has reached A (it makes A read again)
  assert.equal((await answer('cần giấy tờ gì', 'k-5')).type, 'reply'); // A: with the bot again
  sql(`UPDATE handoff SET state = 'pending' WHERE session_id = ${sid}`); // again no feed row
  const [turns, missed] = [sql(`SELECT count(*) FROM turn WHERE session_id = ${sid}`), count(a, /event=turn\.rerun/g)];
  r = await citizen.tap('handoff:request');
  assert.equal(r.type, 'delivered', `not the bot's: ${JSON.stringify(r)}`);
  assert.equal(sql(`SELECT count(*) FROM turn WHERE session_id = ${sid}`), turns, 'no turn recorded');
  await waitFor(() => count(a, /event=turn\.rerun/g) === missed + 1, 5000 * SLOW, 'missed, then run again from the state read');
  // a cancel tapped while A knows nothing live is saved without reading the state (the idle
  // cancel), its save conditional on no live handoff: a request A has not heard of makes it
  // miss, and run again from the state read it cancels that request, with that request's text
  r = await citizen.tap('handoff:cancel'); // the request above: A has read it
  assert.match(r.messages[0].text, /Đã huỷ yêu cầu gặp cán bộ/);
  await sleep(POLL_MS); // the cancel's event has reached A
  assert.equal((await answer('lệ phí bao nhiêu', 'k-6')).type, 'reply'); // A: with the bot, known
  sql(`UPDATE handoff SET state = 'pending', waiting_since = 1 WHERE session_id = ${sid}`); // no feed row
  const missedCancel = count(a, /event=turn\.rerun/g);
  r = await citizen.tap('handoff:cancel');
  assert.match(r.messages[0].text, /Đã huỷ yêu cầu gặp cán bộ/, `the request A had not heard of: ${JSON.stringify(r)}`);
  assert.notEqual(sql(`SELECT state FROM handoff WHERE session_id = ${sid}`), 'pending', 'the request cancelled');
  await waitFor(() => count(a, /event=turn\.rerun/g) === missedCancel + 1, 5000 * SLOW, 'the idle cancel missed, then ran again');
  await tab.close();
  await citizen.close();
});
