// tests/e2e/reload.test.js - reload under load drops no connection and no
// turn (issue 13, "Done when"). Ten WebSocket clients send turns in lockstep
// (each message with an id, at least 50 per client) while the test reloads
// the knowledge base again and again, by POST /admin/reload and by SIGHUP,
// spread over the run. Afterwards: no connection was closed by the server,
// every message got exactly one reply (type reply, reply_to its id) and no
// error frame, the replies after each reload still name the right procedure,
// /readyz, polled throughout, always answered 200, and the log shows every
// reload. Once with one process, once with two workers (SIGHUP to the master).
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const WebSocket = require('ws');
const { startServer, SLOW, waitFor, untilWorkers } = require('./lib/server');

const TOKEN = 'r3load-t0ken';
const CLIENTS = 10;
const MIN_TURNS = 50; // per client
const MAX_TURNS = 3000; // per client: the load ends by itself even if reloads hang
const RELOADS = 3; // of each kind
const REPLY_TIMEOUT_MS = 5000 * SLOW;
// a wait, not a speed target: a reload builds the index off the loop in 0.5-2 s alone; with two
// workers under this load and the 2-core machine busy (the PostgreSQL pass) 4 s was seen short
const RELOAD_LOG_TIMEOUT_MS = 10000 * SLOW;
const GAP_MS = 150; // load between two reloads
// Known questions that name the same procedure whatever came before in the session.
const QUESTIONS = [
  ['đăng ký tạm trú', 'tam-tru'],
  ['cho em hỏi làm giấy khai sinh cho bé thế nào', 'khai-sinh'],
  ['làm giấy chứng tử', 'khai-tu'],
  ['chứng thực bản sao', 'chung-thuc-ban-sao'],
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const reloadCount = (logs) => (logs.match(/event=kb\.reload path=/g) || []).length;


// GET on a new connection (no keep-alive: with workers the kernel picks one
// afresh); resolves the status, or 0 when the request failed or took > 2 s.
function getStatus(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, headers: { connection: 'close' }, timeout: 2000 * SLOW }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
  });
}

// One lockstep client: hello, then a message, its reply, the next message...
// until stop() was asked for and at least MIN_TURNS were answered. Every
// frame is kept; a close by the server is recorded, never thrown.
class LoadClient {
  constructor(url, n) {
    this.n = n;
    this.ws = new WebSocket(url);
    this.frames = []; // every frame received, in order
    this.sent = []; // {id, expect, seq}
    this.replies = new Map(); // id -> replies received for it
    this.errors = []; // error frames and protocol surprises
    this.closedBy = null; // {code, reason} once closed
    this.stopAsked = false;
    this.waiter = null;
    this.ws.on('message', (data) => {
      let f;
      try {
        f = JSON.parse(data.toString());
      } catch {
        this.errors.push('not JSON: ' + data.toString().slice(0, 200));
        return;
      }
      this.frames.push(f);
      if (f.type === 'typing') return;
      if (f.type === 'reply' && typeof f.reply_to === 'string') {
        const list = this.replies.get(f.reply_to) || [];
        list.push(f);
        this.replies.set(f.reply_to, list);
      } else if (f.type !== 'welcome') {
        this.errors.push(JSON.stringify(f).slice(0, 300));
      }
      const w = this.waiter;
      this.waiter = null;
      if (w) w();
    });
    this.ws.on('close', (code, reason) => {
      this.closedBy = { code, reason: reason.toString() };
      const w = this.waiter;
      this.waiter = null;
      if (w) w();
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.on('open', resolve);
      this.ws.on('error', reject);
    });
  }

  // Resolves once a frame satisfying pred arrived (true) or the time ran out
  // or the connection closed (false).
  async until(pred, ms) {
    const end = Date.now() + ms;
    while (!pred()) {
      if (this.closedBy || Date.now() >= end) return false;
      await new Promise((resolve) => {
        const t = setTimeout(() => { this.waiter = null; resolve(); }, end - Date.now());
        this.waiter = () => { clearTimeout(t); resolve(); };
      });
    }
    return true;
  }

  async run(progress) {
    await this.opened;
    this.ws.send(JSON.stringify({ type: 'hello', session: null, channel: 'web' }));
    if (!(await this.until(() => this.frames.some((f) => f.type === 'welcome'), REPLY_TIMEOUT_MS))) {
      this.errors.push('no welcome');
      return;
    }
    for (let i = 0; i < MAX_TURNS && !(this.stopAsked && i >= MIN_TURNS); i++) {
      const [text, expect] = QUESTIONS[(i + this.n) % QUESTIONS.length];
      const id = `c${this.n}-m${i}`;
      const seq = progress.reloads; // reloads finished before this message was sent
      this.sent.push({ id, expect, seq });
      this.ws.send(JSON.stringify({ type: 'message', text, id }));
      if (!(await this.until(() => this.replies.has(id), REPLY_TIMEOUT_MS))) {
        this.errors.push(`no reply to ${id}` + (this.closedBy ? ` (closed ${this.closedBy.code})` : ''));
        return;
      }
      progress.turns++;
    }
  }
}

// Loads the server at srv with CLIENTS lockstep clients while reloading it
// RELOADS times by POST /admin/reload and RELOADS times by SIGHUP (to the
// process the test started: the master when there are workers), each reload
// waited for in the log (perSighup kb.reload lines for a SIGHUP) and each
// followed by more load. Then checks everything the file's header promises.
async function reloadUnderLoad(srv, perSighup) {
  const progress = { turns: 0, reloads: 0 };
  const clients = [];
  for (let i = 0; i < CLIENTS; i++) clients.push(new LoadClient(srv.wsUrl, i));
  await Promise.all(clients.map((c) => c.opened));

  // /readyz throughout, one request after another
  const ready = { statuses: [], stop: false };
  const poller = (async () => {
    while (!ready.stop) {
      ready.statuses.push(await getStatus(srv.url + '/readyz'));
      await sleep(10);
    }
  })();

  // fails at once, naming the client, when a connection closed or a frame went wrong
  const healthy = () => {
    for (const c of clients) {
      assert.equal(c.closedBy, null, `client ${c.n} was closed by the server: ${JSON.stringify(c.closedBy)}`);
      assert.deepEqual(c.errors, [], `client ${c.n}: error frames or missing replies`);
    }
    return true;
  };
  const runs = clients.map((c) => c.run(progress));
  const reloadLog = []; // {how, turnsBefore, turnsAfter}
  const initialReloads = reloadCount(srv.logs());
  let expected = initialReloads;
  try {
    await waitFor(() => healthy() && progress.turns >= CLIENTS * 5, 10000, 'the load to start');
    for (let k = 0; k < 2 * RELOADS; k++) {
      const how = k % 2 === 0 ? 'admin' : 'sighup';
      const turnsBefore = progress.turns;
      if (how === 'admin') {
        const r = await fetch(srv.url + '/admin/reload', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
        assert.equal(r.status, 200, 'POST /admin/reload');
        assert.deepEqual(await r.json(), { reloaded: true });
        expected += 1;
      } else {
        srv.proc.kill('SIGHUP');
        expected += perSighup;
      }
      await waitFor(() => reloadCount(srv.logs()) >= expected, RELOAD_LOG_TIMEOUT_MS, `${how} reload #${k + 1} in the log`);
      progress.reloads++;
      // more turns answered after this reload before the next one
      const after = progress.turns;
      await waitFor(() => healthy() && progress.turns >= after + CLIENTS * 2, REPLY_TIMEOUT_MS, `turns after reload #${k + 1}`);
      await sleep(GAP_MS);
      reloadLog.push({ how, turnsBefore, turnsAfter: progress.turns });
    }
  } finally {
    for (const c of clients) c.stopAsked = true;
    await Promise.all(runs);
    ready.stop = true;
    await poller;
  }

  // a late second reply or a late error would show up here
  await sleep(300);
  for (const c of clients) {
    assert.equal(c.closedBy, null, `client ${c.n} was closed by the server: ${JSON.stringify(c.closedBy)}`);
    assert.deepEqual(c.errors, [], `client ${c.n}: error frames or missing replies`);
    assert.ok(c.sent.length >= MIN_TURNS, `client ${c.n} sent ${c.sent.length} messages`);
    const ids = new Set(c.sent.map((s) => s.id));
    for (const id of c.replies.keys()) assert.ok(ids.has(id), `client ${c.n}: reply to unknown id ${id}`);
    for (const s of c.sent) {
      const got = c.replies.get(s.id) || [];
      assert.equal(got.length, 1, `client ${c.n}: ${got.length} replies to ${s.id}`);
      assert.equal(got[0].type, 'reply');
      assert.equal(got[0].procedure, s.expect, `client ${c.n}: ${s.id} (after ${s.seq} reloads)`);
    }
  }
  // the load ran through every reload: turns answered both before and after each
  assert.equal(reloadLog.length, 2 * RELOADS);
  const lastSeq = Math.max(...clients.flatMap((c) => c.sent.map((s) => s.seq)));
  assert.equal(lastSeq, 2 * RELOADS, 'messages were sent after the last reload');
  for (let k = 0; k <= 2 * RELOADS; k++) {
    const n = clients.reduce((a, c) => a + c.sent.filter((s) => s.seq === k).length, 0);
    assert.ok(n >= CLIENTS, `only ${n} messages sent between reload ${k} and ${k + 1}`);
  }
  // /readyz: polled all along, never anything but 200
  assert.ok(ready.statuses.length >= 10, `/readyz polled ${ready.statuses.length} times`);
  const bad = ready.statuses.filter((s) => s !== 200);
  assert.deepEqual(bad, [], `/readyz not 200 ${bad.length} of ${ready.statuses.length} times`);
  // the log shows every reload, none failed, no worker ended
  const logs = srv.logs();
  // exactly: one per POST (a POST with "content-length: 0" was once routed twice), perSighup per SIGHUP
  assert.equal(reloadCount(logs) - initialReloads, RELOADS * (1 + perSighup), 'kb.reload lines');
  assert.doesNotMatch(logs, /event=kb\.reload (error|source)=/, 'a reload failed');
  assert.doesNotMatch(logs, /event=worker\.(exit|restart)/, 'a worker ended');
  // every connection still open and served: one more turn each, then close
  for (const c of clients) {
    c.stopAsked = false;
    const id = `c${c.n}-last`;
    c.ws.send(JSON.stringify({ type: 'message', text: QUESTIONS[0][0], id }));
    assert.ok(await c.until(() => c.replies.has(id), REPLY_TIMEOUT_MS), `client ${c.n}: last reply`);
    assert.equal(c.replies.get(id)[0].procedure, QUESTIONS[0][1]);
  }
  await Promise.all(clients.map((c) => {
    const closed = new Promise((resolve) => (c.closedBy ? resolve() : c.ws.once('close', resolve)));
    c.ws.close();
    return closed;
  }));
  return { turns: progress.turns, readyz: ready.statuses.length };
}

test('reload under load, one process: no connection and no turn dropped', async (t) => {
  const srv = await startServer({ env: { MOTCUA_ADMIN_TOKEN: TOKEN } });
  try {
    const r = await reloadUnderLoad(srv, 1);
    t.diagnostic(`${r.turns} turns, /readyz polled ${r.readyz} times`);
    assert.ok(r.turns >= CLIENTS * MIN_TURNS);
  } finally {
    await srv.stop();
  }
});

test('reload under load, two workers, SIGHUP to the master: no connection and no turn dropped', async (t) => {
  const srv = await startServer({ env: { MOTCUA_ADMIN_TOKEN: TOKEN, MOTCUA_LISTEN_WORKERS: '2' } });
  try {
    await untilWorkers(srv, 2);
    const r = await reloadUnderLoad(srv, 2);
    t.diagnostic(`${r.turns} turns, /readyz polled ${r.readyz} times`);
    assert.ok(r.turns >= CLIENTS * MIN_TURNS);
    assert.match(srv.logs(), /event=master\.reload workers=2/);
  } finally {
    await srv.stop();
  }
});

// POST /admin/reload builds the index off the event loop, like SIGHUP, and
// answers once the new knowledge is in use: while it builds (about half a
// second for ~200 guides), other requests are answered at once. Before, the
// build ran on the loop and every client waited for it.
test('POST /admin/reload answers after the swap without holding other requests', async () => {
  const srv = await startServer({ env: { MOTCUA_ADMIN_TOKEN: TOKEN } });
  try {
    const post = () => {
      const t0 = Date.now();
      return fetch(srv.url + '/admin/reload', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })
        .then(async (r) => ({ status: r.status, body: await r.json(), ms: Date.now() - t0, at: Date.now() }));
    };
    const before = reloadCount(srv.logs());
    const reloads = [post(), post()]; // the second comes while the first builds: both answered
    await sleep(30);
    const health = [];
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now();
      assert.equal(await getStatus(srv.url + '/healthz'), 200);
      health.push({ ms: Date.now() - t0, at: Date.now() });
    }
    const done = await Promise.all(reloads);
    for (const d of done) {
      assert.equal(d.status, 200);
      assert.deepEqual(d.body, { reloaded: true });
    }
    const firstAnswer = Math.min(...done.map((d) => d.at));
    assert.ok(health[0].at < firstAnswer,
      `/healthz waited for the reload (healthz ${health[0].ms} ms, reloads ${done.map((d) => d.ms).join(', ')} ms)`);
    assert.ok(reloadCount(srv.logs()) >= before + 2, 'each POST had a build of its own after it came');
    assert.match(srv.logs(), /event=kb\.reload path=.* background=1/);
    // and the loop serves turns with the new knowledge
    let r = await fetch(srv.url + '/api/v1/ask', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'đăng ký tạm trú' }),
    });
    assert.equal(r.status, 200);
    assert.equal((await r.json()).label, 'tam-tru');
    // a request that goes away while it waits is dropped, and the server goes on
    const ac = new AbortController();
    const gone = fetch(srv.url + '/admin/reload', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, signal: ac.signal })
      .catch(() => 'aborted');
    await sleep(20);
    ac.abort();
    assert.equal(await gone, 'aborted');
    r = await post();
    assert.equal(r.status, 200);
  } finally {
    await srv.stop();
  }
});

// At most RELOAD_WAITERS_MAX (8) requests wait for the next build: with one build running, the
// ninth beyond it is refused at once with 503 reload_busy (JSON), never left hanging; every
// accepted one is answered 200 once the build after it is in use.
test('POST /admin/reload: the ones beyond the waiting list get 503 reload_busy', async () => {
  const srv = await startServer({ env: { MOTCUA_ADMIN_TOKEN: TOKEN } });
  try {
    const post = () => fetch(srv.url + '/admin/reload', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, connection: 'close' } })
      .then(async (r) => ({ status: r.status, body: await r.json() }));
    const got = await Promise.all(Array.from({ length: 12 }, post));
    const busy = got.filter((g) => g.status === 503);
    const ok = got.filter((g) => g.status === 200);
    assert.equal(ok.length + busy.length, 12, JSON.stringify(got.map((g) => g.status)));
    assert.ok(ok.length >= 9, `the running build's request and 8 waiting are answered: ${got.map((g) => g.status)}`);
    assert.ok(busy.length >= 1, `twelve at once while one builds: the rest are refused: ${got.map((g) => g.status)}`);
    for (const b of busy) assert.equal(b.body.error, 'reload_busy');
    assert.equal((await fetch(srv.url + '/readyz')).status, 200);
  } finally {
    await srv.stop();
  }
});
