// tests/e2e/cluster.test.js - issue 18: two gateway nodes on one PostgreSQL state, alone and
// behind nginx with the cluster's own configuration (packaging/nginx/cluster.conf), all on
// loopback: a throwaway PostgreSQL cluster (tests/lib/pg.sh: initdb in a temporary folder, a
// Unix socket there, stopped by PID) and nginx (Debian nginx-light, `make test-deps`) started and
// stopped by the test.
//   - a WebSocket conversation alternating between the nodes keeps its context;
//   - a message resent with its id is answered from the record on either node, by a node whose
//     copy of the session is stale too, however many answers ago, and never run twice;
//   - a Messenger conversation whose webhooks alternate between the nodes keeps one
//     conversation, each event answered once (de-duplication is global: a redelivery to the
//     other node is not answered again);
//   - through nginx, reconnecting clients land on both nodes and keep their conversations;
//   - a node SIGKILLed under load: its clients reconnect through nginx to the other node and
//     resend what was not answered; every message is answered, every acknowledged turn is in
//     the database once, and no queued reply is lost or sent twice.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const { startServer, Client, tempDir, ROOT, SLOW } = require('./lib/server');
const { startFake } = require('./lib/fake_platform');
const { startPg } = require('./lib/pg');

const APP_SECRET = 'cluster-app-secret';
const T = { timeout: 120000 };
let pg; // { url, dir, proc }
let fake; // Graph API fake shared by the nodes
const nodes = [];
let ngx; // { port, proc }

const sql = (q) => pg.sql(q);

function nodeEnv() {
  return {
    MOTCUA_DATA_STATE_URL: pg.url,
    MOTCUA_MESSENGER_APP_SECRET: APP_SECRET, MOTCUA_MESSENGER_VERIFY_TOKEN: 'verify',
    MOTCUA_MESSENGER_PAGE_TOKEN: 'PAGE-TOKEN', MOTCUA_MESSENGER_GRAPH_URL: fake.url + '/v25.0',
    MOTCUA_LISTEN_TRUSTED_PROXIES: '127.0.0.1',
  };
}

// ---- nginx with packaging/nginx/cluster.conf, its upstream pointed at our two nodes
async function startNginx(a, b) {
  const dir = tempDir('motcua-nginx-');
  const port = await freePort();
  const conf = fs.readFileSync(path.join(ROOT, 'packaging/nginx/cluster.conf'), 'utf8')
    .replace('server motcua-a:8080', `server 127.0.0.1:${a.port}`)
    .replace('server motcua-b:8080', `server 127.0.0.1:${b.port}`)
    .replace('listen 8080;', `listen 127.0.0.1:${port};`);
  assert.ok(conf.includes(`127.0.0.1:${a.port}`) && conf.includes(`127.0.0.1:${b.port}`), 'the upstream was rewritten');
  fs.writeFileSync(path.join(dir, 'nginx.conf'), conf);
  for (const d of ['body', 'proxy']) fs.mkdirSync(path.join(dir, d));
  const proc = spawn('/usr/sbin/nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g',
    `daemon off; master_process on; pid ${dir}/nginx.pid; error_log stderr warn; ` +
    `user ${process.getuid() === 0 ? 'nobody nogroup' : process.env.USER || 'nobody'};`],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.status === 200) return { port, proc, url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws`, logs: () => err };
    } catch (_) { /* not yet */ }
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  throw new Error('nginx did not start: ' + err);
}
function freePort() {
  return new Promise((resolve) => {
    const s = require('node:net').createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

before(async () => {
  pg = await startPg();
  fake = await startFake({ status: 200, body: { recipient_id: 'x', message_id: 'm' } });
  nodes.push(await startServer({ env: nodeEnv() }));
  nodes.push(await startServer({ env: nodeEnv() }));
  ngx = await startNginx(nodes[0], nodes[1]);
});
after(async () => {
  if (ngx) { ngx.proc.kill('SIGQUIT'); await new Promise((r) => { ngx.proc.on('exit', r); setTimeout(r, 5000).unref(); }); }
  for (const n of nodes) await n.stop().catch(() => {});
  if (fake) await fake.close();
  if (pg) await pg.stop();
});

test('a WebSocket conversation alternating between the nodes keeps its context', T, async () => {
  const [a, b] = nodes;
  let c = await Client.connect(a.wsUrl);
  const w = await c.hello();
  let r = await c.say('cho hỏi đăng ký khai sinh cho con', 'x1');
  assert.equal(r.procedure, 'khai-sinh');
  await c.close();
  c = await Client.connect(b.wsUrl);
  const w2 = await c.hello(w.session);
  assert.equal(w2.session, w.session, 'node B resumes the session node A made');
  assert.ok(w2.history.length >= 2, 'with its history');
  r = await c.say('cần giấy tờ gì', 'x2');
  assert.equal(r.procedure, 'khai-sinh', 'a bare follow-up on node B is about the procedure asked on node A');
  await c.close();
  c = await Client.connect(a.wsUrl);
  await c.hello(w.session);
  r = await c.say('lệ phí bao nhiêu', 'x3');
  assert.equal(r.procedure, 'khai-sinh');
  // a message resent to the other node with the same id is answered from the record, not run again
  await c.close();
  c = await Client.connect(b.wsUrl);
  await c.hello(w.session);
  const again = await c.say('lệ phí bao nhiêu', 'x3');
  assert.deepEqual(again.messages, r.messages);
  await c.close();
  assert.equal(sql(`SELECT count(*) FROM turn t JOIN session s ON s.id = t.session_id WHERE s.token = '${w.session}' AND t.role = 'user'`), '3');
});

// The resend key is checked by the turn's save (no SELECT of its own before the turn): a message
// resent with its id is answered from the record whether the node holds the session current in
// memory, holds a copy the other node has moved past, or resumed it, and however old the answer.
test('a resend is answered from the record on either node, however old, never run twice', T, async () => {
  const [a, b] = nodes;
  const texts = ['cho hỏi đăng ký khai sinh cho con', 'cần giấy tờ gì', 'lệ phí bao nhiêu',
    'nộp ở đâu', 'đăng ký tạm trú', 'thời gian bao lâu'];
  const OLD = 12; // answers before the resent ones: more than a client keeps unanswered (20 frames)
  let cA = await Client.connect(a.wsUrl);
  const w = await cA.hello();
  const first = [];
  for (let i = 0; i < OLD; i++) first.push(await cA.say(texts[i % texts.length], 'r' + i));
  const cB = await Client.connect(b.wsUrl);
  await cB.hello(w.session); // node B reads the session now...
  const late = await cA.say('cấp lại căn cước', 'r-late'); // ...and node A moves past B's copy
  // resent to B: B's stale copy misses the compare-and-swap and the save finds the answer
  let again = await cB.say('cấp lại căn cước', 'r-late');
  assert.deepEqual(again.messages, late.messages);
  // the oldest, OLD answers ago, on B (which answered nothing of this session)
  again = await cB.say(texts[0], 'r0');
  assert.deepEqual(again.messages, first[0].messages);
  await cB.close();
  // on A, the node that answered it, after a reconnect; then on A's session as held in memory
  await cA.close();
  cA = await Client.connect(a.wsUrl);
  await cA.hello(w.session);
  again = await cA.say(texts[1], 'r1');
  assert.deepEqual(again.messages, first[1].messages);
  again = await cA.say('cấp lại căn cước', 'r-late');
  assert.deepEqual(again.messages, late.messages);
  const next = await cA.say('cần giấy tờ gì', 'r-next'); // and the conversation goes on
  assert.ok(next.messages.length > 0);
  await cA.close();
  const turns = sql(`SELECT count(*) FROM turn t JOIN session s ON s.id = t.session_id WHERE s.token = '${w.session}' AND t.role = 'user'`);
  assert.equal(turns, String(OLD + 2), 'every resend answered from the record, none run again');
  const late2 = sql(`SELECT count(*) FROM turn t JOIN session s ON s.id = t.session_id WHERE s.token = '${w.session}' AND t.msg_id = 'r-late'`);
  assert.equal(late2, '2', 'r-late recorded once (its message and its answer)');
});

function messenger(user, mid, text) {
  const body = JSON.stringify({ object: 'page', entry: [{ id: 'PAGE', time: Date.now(), messaging: [
    { sender: { id: user }, recipient: { id: 'PAGE' }, timestamp: Date.now(), message: { mid, text } }] }] });
  const sig = 'sha256=' + crypto.createHmac('sha256', APP_SECRET).update(body).digest('hex');
  return { body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sig } };
}
async function deliver(node, d) {
  const r = await fetch(node.url + '/webhooks/messenger', { method: 'POST', body: d.body, headers: d.headers });
  assert.equal(r.status, 200);
}
const sentTo = (user) => fake.requests.filter((q) => q.json && q.json.recipient && q.json.recipient.id === user);

test('a Messenger conversation whose webhooks alternate between the nodes is one conversation', T, async () => {
  const [a, b] = nodes;
  const user = 'psid-cluster-1';
  await deliver(a, messenger(user, 'mid-1', 'cho hỏi đăng ký khai sinh cho con'));
  await fake.until(() => sentTo(user).length >= 1, 15000 * SLOW);
  const first = sentTo(user).length;
  await deliver(b, messenger(user, 'mid-2', 'cần giấy tờ gì'));
  await fake.until(() => sentTo(user).length > first, 15000 * SLOW);
  const texts = sentTo(user).map((q) => (q.json.message && q.json.message.text) || '').join('\n');
  assert.match(texts, /[Kk]hai sinh/);
  // a platform redelivery of mid-2 to node A is not answered again: de-duplication is global
  // (counted once every message of the answers so far has left the outbox: a row sent stays,
  // state 'sent', until the retention purge deletes it, so only the others count)
  const unsent = "SELECT count(*) FROM outbox WHERE state <> 'sent'";
  for (let i = 0; i < 100 && sql(unsent) !== '0'; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(sql(unsent), '0', 'the outbox drained');
  const before = sentTo(user).length;
  await deliver(a, messenger(user, 'mid-2', 'cần giấy tờ gì'));
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(sentTo(user).length, before, 'no second answer to a redelivered event');
  assert.equal(sql(`SELECT count(*) FROM turn WHERE role = 'user' AND session_id IN (SELECT id FROM session WHERE channel = 'messenger')`), '2');
});

test('through nginx, reconnecting clients land on both nodes and keep their conversations', T, async () => {
  const turnsOn = (n) => (n.logs().match(/event=turn channel=/g) || []).length;
  const before = nodes.map(turnsOn);
  for (let i = 0; i < 6; i++) {
    let c = await Client.connect(ngx.wsUrl);
    const w = await c.hello();
    let r = await c.say('đăng ký tạm trú', 'n' + i + 'a');
    assert.equal(r.procedure, 'tam-tru');
    await c.close();
    c = await Client.connect(ngx.wsUrl);
    await c.hello(w.session);
    r = await c.say('nộp ở đâu', 'n' + i + 'b');
    assert.equal(r.procedure, 'tam-tru', 'the follow-up keeps its procedure on whichever node it lands');
    await c.close();
  }
  const after = nodes.map(turnsOn);
  assert.ok(after[0] > before[0] && after[1] > before[1], `both nodes served turns: ${before} -> ${after}`);
});

test('a node SIGKILLed under load: its clients go on through nginx, nothing lost or repeated', T, async () => {
  const CLIENTS = 6, PER = 30, KILL_AT = 40;
  const answered = new Map(); // id -> count of replies
  let sent = 0, killed = null;
  async function client(k) {
    let c = await Client.connect(ngx.wsUrl);
    const w = await c.hello();
    for (let i = 0; i < PER; i++) {
      const id = `k${k}-${i}`;
      for (let attempt = 0; ; attempt++) {
        try {
          c.send({ type: 'message', text: i % 2 ? 'cần giấy tờ gì' : 'đăng ký khai sinh', id });
          if (++sent === KILL_AT && !killed) killed = nodes[0].stop('SIGKILL');
          const r = await c.nextReply(4000 * SLOW);
          assert.equal(r.type, 'reply', JSON.stringify(r));
          answered.set(r.reply_to, (answered.get(r.reply_to) || 0) + 1);
          break;
        } catch (e) {
          assert.ok(attempt < 5, `client ${k}: ${id} never answered: ${e.message}`);
          try { c.ws.terminate(); } catch (_) { /* gone */ }
          await new Promise((r) => setTimeout(r, 300));
          c = await Client.connect(ngx.wsUrl); // nginx leaves the dead node out
          await c.hello(w.session); // and resends the same id: answered once
        }
      }
    }
    await c.close();
    return w.session;
  }
  const sessions = await Promise.all(Array.from({ length: CLIENTS }, (_, k) => client(k)));
  assert.ok(killed, 'the node was killed mid-load');
  for (let k = 0; k < CLIENTS; k++)
    for (let i = 0; i < PER; i++) assert.ok(answered.get(`k${k}-${i}`) >= 1, `k${k}-${i} answered`);
  for (const s of sessions) {
    const n = sql(`SELECT count(*) FROM turn t JOIN session s ON s.id = t.session_id WHERE s.token = '${s}' AND t.role = 'user'`);
    assert.equal(n, String(PER), `session ${s}: each acknowledged message recorded once`);
  }
  await killed;
  nodes[0] = await startServer({ env: nodeEnv() }); // the cluster back to two for after()
});

// PostgreSQL stopped under load and started again: the nodes say so on /readyz (503
// state_unreachable), the turns that could not be committed come back to their clients as
// errors (never as answers that are not recorded), and once the database is back the nodes
// reconnect by themselves, /readyz is 200 again and the clients' resent messages are answered;
// every message a client saw answered is in the database exactly once.
test('PostgreSQL restarted under load: not ready, then back, no acknowledged turn lost', T, async (t) => {
  const dir = /[?&]host=([^&]+)/.exec(pg.url)[1];
  const ctl = (...args) => execFileSync('runuser', ['-u', 'nobody', '--', '/usr/lib/postgresql/15/bin/pg_ctl', '-D', path.join(dir, 'data'), ...args], { stdio: 'ignore' });
  const ready = async (n) => (await fetch(n.url + '/readyz').catch(() => ({ status: 0 }))).status;
  const CLIENTS = 4, PER = 24, STOP_AT = 20;
  let sent = 0, stopped = null, errors = 0;
  const seenDown = new Set();
  const answered = new Map();
  async function client(k) {
    const node = nodes[k % 2];
    const c = await Client.connect(node.wsUrl);
    const w = await c.hello();
    for (let i = 0; i < PER; i++) {
      const id = `pg${k}-${i}`;
      for (let attempt = 0; ; attempt++) {
        c.send({ type: 'message', text: i % 2 ? 'cần giấy tờ gì' : 'đăng ký kết hôn', id });
        if (++sent === STOP_AT && !stopped) {
          stopped = (async () => {
            ctl('-m', 'fast', '-w', 'stop');
            for (let t = 0; t < 50 && seenDown.size < 2; t++) {
              for (const n of nodes) if ((await ready(n)) === 503) seenDown.add(n.port);
              await new Promise((r) => setTimeout(r, 100));
            }
            ctl('-l', path.join(dir, 'server.log'), '-w', '-o', fs.readFileSync(path.join(dir, 'pg_ctl.opts'), 'utf8').trim(), 'start');
          })();
        }
        const r = await c.nextReply(8000 * SLOW);
        if (r.type === 'reply') { answered.set(r.reply_to, (answered.get(r.reply_to) || 0) + 1); break; }
        errors++;
        assert.equal(r.type, 'error', JSON.stringify(r));
        assert.ok(attempt < 60, `client ${k}: ${id} never answered after the database came back`);
        await new Promise((res) => setTimeout(res, 250)); // then resend the same id
      }
    }
    await c.close();
    return w.session;
  }
  const sessions = await Promise.all(Array.from({ length: CLIENTS }, (_, k) => client(k)));
  await stopped;
  assert.equal(seenDown.size, 2, 'both nodes said not ready while the database was down');
  for (const n of nodes) {
    let st = 0;
    for (let t = 0; t < 50 && st !== 200; t++) { st = await ready(n); if (st !== 200) await new Promise((r) => setTimeout(r, 200)); }
    assert.equal(st, 200, `node ${n.port} ready again`);
    assert.match(n.logs(), /event=state\.reconnected/);
  }
  t.diagnostic(`error frames while the database was down: ${errors}`);
  for (const s of sessions) {
    const n = sql(`SELECT count(*) FROM turn t JOIN session s ON s.id = t.session_id WHERE s.token = '${s}' AND t.role = 'user'`);
    assert.equal(n, String(PER), `session ${s}: each answered message recorded once`);
  }
});
