// tests/e2e/teach-busy.test.js - the builder of taught phrases (gateway/admin/teach_build.h)
// at its limits, on the real server. Builds are made slow with the test-only
// MOTCUA_TEST_TEACH_DELAY_MS (each build waits that long before it starts; never set in a
// deployment), so the test catches the builder busy rather than racing a half-second build:
//   - teach_busy: with one teach building and TEACH_BUILD_WAITERS_MAX (8) waiting, the ones
//     beyond are refused at once with 503 teach_busy and Retry-After, never left hanging; every
//     accepted one is answered (one 201, the same phrase again 409), and the server goes on;
//   - SIGTERM while a teach builds: the build finishes within the drain and its 201 is
//     written; a teach or a reload arriving during the drain is answered 503 shutting_down at
//     once, nothing stored or built; the process exits 0 within its grace;
//   - a build that outlives the grace: answered 503 shutting_down, never silence.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { startServer, tempDir, stateQuery, SLOW } = require('./lib/server');
const { addAccount, apiLogin } = require('./lib/console');

const PW = 'mật-khẩu-dạy-câu-1';
const TOKEN = 'teach-busy-admin-token';
const WAITERS_MAX = 8; // teach_build.h TEACH_BUILD_WAITERS_MAX
const MISS = 'ông ngoại tui về với ông bà rồi, giấy tờ lo sao'; // admin.test.js: missed today
const MISS2 = 'bà nội tui mới mất hôm qua, nhà tui phải làm giấy gì';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function serverWithAdmin(env) {
  const dir = tempDir();
  await addAccount(dir, 'lan.nt', 'admin', PW);
  const srv = await startServer({ dir, env });
  return { srv, dir, admin: await apiLogin(srv.url, 'lan.nt', PW) };
}

// A POST of body to url through agent (node:http, so a test chooses the connection; none: a
// connection of its own); resolves { status, headers, json }, or { error } when the connection
// ended without an answer.
function post(url, headers, body, agent) {
  return new Promise((resolve) => {
    const req = http.request(url, {
      method: 'POST', agent: agent || false,
      headers: {
        ...headers, 'content-length': Buffer.byteLength(body), ...(agent ? {} : { connection: 'close' }),
      },
    }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode, headers: res.headers, json: JSON.parse(data) });
        } catch (e) {
          resolve({ error: 'body: ' + e.message + ': ' + data });
        }
      });
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('error', (e) => resolve({ error: e.message }));
    req.end(body);
  });
}

// POST /api/v1/admin/phrases as who (post()).
function teach(srv, who, text, agent) {
  return post(srv.url + '/api/v1/admin/phrases',
    { cookie: who.cookie, 'x-csrf-token': who.csrf, 'content-type': 'application/json' },
    JSON.stringify({ text, label: 'khai-tu' }), agent);
}

test('teaches beyond the waiting list get 503 teach_busy at once; the others are answered', async () => {
  const { srv, admin } = await serverWithAdmin({ MOTCUA_TEST_TEACH_DELAY_MS: String(400 * SLOW) });
  try {
    const t0 = Date.now();
    const got = await Promise.all(Array.from({ length: 12 }, () =>
      teach(srv, admin, MISS).then((r) => ({ ...r, ms: Date.now() - t0 }))));
    const statuses = got.map((g) => g.status || g.error).join(' ');
    const busy = got.filter((g) => g.status === 503);
    const created = got.filter((g) => g.status === 201);
    const conflict = got.filter((g) => g.status === 409);
    assert.equal(busy.length + created.length + conflict.length, 12, statuses);
    assert.equal(created.length, 1, `the first is taught: ${statuses}`);
    assert.ok(created.length + conflict.length <= 1 + WAITERS_MAX, `at most one building and ${WAITERS_MAX} waiting: ${statuses}`);
    assert.ok(busy.length >= 1, `twelve at once while one builds: the rest are refused: ${statuses}`);
    for (const b of busy) {
      assert.equal(b.json.error, 'teach_busy');
      assert.equal(b.headers['retry-after'], '1');
      assert.ok(b.ms < 400 * SLOW, `refused at once, not after a build (${b.ms} ms)`);
    }
    for (const c of conflict) assert.equal(c.json.reason, 'duplicate', JSON.stringify(c.json));
    console.log(`# teach_busy: ${created.length} taught, ${conflict.length} duplicate, ${busy.length} busy ` +
      `(busy answered in ${busy.map((b) => b.ms).join(' ')} ms)`);
    // the builder is not stuck: another phrase is taught, and the server is ready
    const again = await teach(srv, admin, MISS2);
    assert.equal(again.status, 201, JSON.stringify(again));
    assert.equal((await fetch(srv.url + '/readyz')).status, 200);
  } finally {
    await srv.stop();
  }
});

test('SIGTERM while a teach builds: it is answered, a teach in the drain gets 503, exit in time', async () => {
  const GRACE_MS = 3000; // shutdown.grace_ms, the default
  const { srv, dir, admin } = await serverWithAdmin({
    MOTCUA_TEST_TEACH_DELAY_MS: String(1000 * SLOW), MOTCUA_ADMIN_TOKEN: TOKEN,
  });
  // connections opened before the stop (the draining server accepts no new one)
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const agent2 = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (const a of [agent, agent2]) {
      await new Promise((resolve, reject) => http.get(srv.url + '/healthz', { agent: a }, (res) => {
        res.resume();
        res.on('end', resolve);
      }).on('error', reject));
    }
    const first = teach(srv, admin, MISS);
    await sleep(200 * SLOW); // taken by the builder, waiting its delay
    const t0 = Date.now();
    srv.proc.kill('SIGTERM');
    await sleep(100);
    const late = await teach(srv, admin, MISS2, agent); // the drain: still building the first
    assert.equal(late.status, 503, JSON.stringify(late));
    assert.equal(late.json.error, 'shutting_down');
    assert.ok(Date.now() - t0 < 1000 * SLOW, 'refused at once, not after the build');
    const reload = await post(srv.url + '/admin/reload', { authorization: `Bearer ${TOKEN}` }, '', agent2);
    assert.equal(reload.status, 503, JSON.stringify(reload)); // no build would be swapped in
    assert.equal(reload.json.error, 'shutting_down');
    const answer = await first;
    assert.equal(answer.status, 201, `the teach building at the stop is answered: ${JSON.stringify(answer)}`);
    const { code } = await srv.exited;
    const ms = Date.now() - t0;
    console.log(`# SIGTERM during a teach: 201 after ${ms} ms of drain, the late teach 503`);
    assert.equal(code, 0);
    assert.ok(ms < GRACE_MS + 2000 * SLOW, `exited after ${ms} ms`);
    const rows = stateQuery(dir, 'SELECT text FROM taught_phrase ORDER BY id');
    assert.equal(rows, MISS, 'the first stored, the late one not');
  } finally {
    agent.destroy();
    agent2.destroy();
    await srv.stop();
  }
});

test('a teach still building when the grace ends is answered 503 shutting_down', async () => {
  const { srv, admin } = await serverWithAdmin({
    MOTCUA_TEST_TEACH_DELAY_MS: String(2000 * SLOW), MOTCUA_SHUTDOWN_GRACE_MS: '300',
  });
  try {
    const first = teach(srv, admin, MISS);
    await sleep(200 * SLOW);
    const t0 = Date.now();
    srv.proc.kill('SIGTERM');
    const answer = await first;
    assert.equal(answer.status, 503, JSON.stringify(answer));
    assert.equal(answer.json.error, 'shutting_down');
    const { code } = await srv.exited;
    assert.equal(code, 0);
    // the build is waited for (a thread is never abandoned): its delay, then the exit
    assert.ok(Date.now() - t0 < 2000 * SLOW + 3000, `exited after ${Date.now() - t0} ms`);
  } finally {
    await srv.stop();
  }
});
