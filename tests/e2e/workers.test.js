// tests/e2e/workers.test.js - listen.workers 2 (issue 13, "All cores"): a
// master process and two workers sharing the port with SO_REUSEPORT. Both
// workers answer; a session reconnected again and again (landing on either
// worker) resumes with its whole history; several connections to one session
// at once on both workers get one reply per message and leave every turn
// recorded; a resend after a reconnect is answered once; a worker killed
// with SIGKILL is restarted; SIGHUP reloads every worker; SIGTERM stops all
// of them within 5 s with exit 0.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');
const { startServer, Client, stateQuery, waitFor, untilWorkers } = require('./lib/server');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// GET on a new connection each time (no keep-alive), so the kernel picks a worker afresh.
function getFresh(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
  });
}


const listenPids = (logs) => [...logs.matchAll(/event=server\.listen host=\S+ port=\d+ pid=(\d+)/g)].map((m) => Number(m[1]));
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('two workers: both serve, sessions and resends hold across them, signals reach all', async () => {
  const srv = await startServer({ env: { MOTCUA_LISTEN_WORKERS: '2' } });
  await untilWorkers(srv, 2);
  const pids = listenPids(srv.logs());
  assert.equal(new Set(pids).size, 2, 'two worker pids in the log:\n' + srv.logs());
  assert.ok(!pids.includes(srv.proc.pid), 'the master does not serve');

  // both workers answer: fresh connections are spread by the kernel
  const seen = new Set();
  for (let i = 0; i < 60 && seen.size < 2; i++) {
    const r = await getFresh(srv.url + '/metrics');
    assert.equal(r.status, 200);
    const m = /^motcua_worker_pid (\d+)$/m.exec(r.body);
    assert.ok(m, 'motcua_worker_pid in /metrics');
    seen.add(Number(m[1]));
  }
  assert.deepEqual([...seen].sort(), [...pids].sort(), 'both workers answered /metrics');

  // one session, reconnected 12 times: every welcome resumes with the whole history
  let c = await Client.connect(srv.wsUrl);
  const w0 = await c.hello(null);
  assert.equal(w0.type, 'welcome');
  const token = w0.session;
  let r = await c.say('đăng ký khai sinh cho con cần giấy tờ gì', 'm0');
  assert.equal(r.type, 'reply');
  const first = r;
  await c.close();
  for (let i = 1; i <= 12; i++) {
    c = await Client.connect(srv.wsUrl);
    const w = await c.hello(token);
    assert.equal(w.type, 'welcome');
    assert.equal(w.session, token);
    assert.equal(w.resumed, true);
    assert.equal(w.history.length, 2 * i, `history after ${i} turns`);
    r = await c.say(i % 2 ? 'lệ phí bao nhiêu' : 'xin chào', `m${i}`);
    assert.equal(r.type, 'reply', JSON.stringify(r));
    assert.equal(r.reply_to, `m${i}`);
    await c.close();
  }

  // a resend after a reconnect gets the same reply, not a second turn
  c = await Client.connect(srv.wsUrl);
  await c.hello(token);
  r = await c.say('đăng ký khai sinh cho con cần giấy tờ gì', 'm0');
  assert.equal(r.type, 'reply');
  assert.deepEqual(r.messages, first.messages);
  await c.close();
  c = await Client.connect(srv.wsUrl);
  const wAfter = await c.hello(token);
  assert.equal(wAfter.history.length, 2 * 13, 'the resend added no turn');
  assert.equal(wAfter.history.filter((h) => h.msg_id === 'm0').length, 2, 'm0: one user and one bot record');
  await c.close();

  // six connections to one session at once, on both workers: one reply per
  // message, every turn stored exactly once, in pairs
  const w2 = await (await Client.connect(srv.wsUrl)).hello(null);
  const shared = w2.session;
  const conns = await Promise.all(Array.from({ length: 6 }, () => Client.connect(srv.wsUrl)));
  for (const k of conns) assert.equal((await k.hello(shared)).resumed, true);
  await Promise.all(conns.map(async (k, j) => {
    for (let i = 0; i < 5; i++) {
      const id = `p${j}-${i}`;
      const rr = await k.say(i % 2 ? 'dk tam tru can j ad' : 'lam lai cccd bi mat', id);
      assert.equal(rr.type, 'reply', JSON.stringify(rr));
      assert.equal(rr.reply_to, id);
    }
  }));
  await Promise.all(conns.map((k) => k.close()));
  const rows = stateQuery(srv, `SELECT role || ' ' || msg_id FROM turn WHERE session_id = (SELECT id FROM session WHERE token = '${shared}') ORDER BY id;`)
    .split('\n');
  assert.equal(rows.length, 60, 'thirty turns, two records each');
  for (let i = 0; i < rows.length; i += 2) {
    const id = rows[i].split(' ')[1];
    assert.deepEqual([rows[i], rows[i + 1]], [`user ${id}`, `bot ${id}`], 'records of one turn are adjacent');
  }
  assert.equal(new Set(rows.map((x) => x.split(' ')[1])).size, 30, 'no turn stored twice');
  const version = stateQuery(srv, `SELECT version FROM session WHERE token = '${shared}';`);
  assert.equal(version, '30', 'the session row saw thirty turns');

  // a worker that dies is restarted, and the server keeps answering
  const victim = pids[0];
  process.kill(victim, 'SIGKILL');
  await waitFor(() => listenPids(srv.logs()).length >= 3, 10000, 'a restarted worker');
  assert.match(srv.logs(), new RegExp(`event=worker\\.exit slot=\\d+ pid=${victim} status=1 signal=9`));
  assert.equal((await getFresh(srv.url + '/healthz')).status, 200);

  // SIGHUP reaches every worker: each reloads the knowledge base
  const before = (srv.logs().match(/event=kb\.reload path=/g) || []).length;
  srv.proc.kill('SIGHUP');
  await waitFor(() => (srv.logs().match(/event=kb\.reload path=/g) || []).length >= before + 2, 10000, 'two kb.reload');

  // SIGTERM: the master and every worker end within 5 s, exit 0
  const workers = listenPids(srv.logs()).filter(alive);
  assert.equal(workers.length, 2);
  const t0 = Date.now();
  const res = await srv.stop();
  assert.equal(res.code, 0);
  assert.ok(Date.now() - t0 < 5000, `stopped in ${Date.now() - t0} ms`);
  for (const p of workers) assert.ok(!alive(p), `worker ${p} ended`);
});

test('a worker that cannot start stops the master with its status', async () => {
  await assert.rejects(
    startServer({ env: { MOTCUA_LISTEN_WORKERS: '2', MOTCUA_LOCALITY_DEFAULT: '99999' } }),
    (e) => e.code === 2 && /locality\.default/.test(e.stderr),
  );
});
