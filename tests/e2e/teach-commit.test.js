// tests/e2e/teach-commit.test.js - a taught or deleted phrase is answered from its commit's
// result without blocking the event loop (issue 18, gateway/admin/teach_build.h). On
// PostgreSQL the loop sends its group COMMIT without waiting: a teach's 201 must still come
// only once the phrase is committed and this worker's index with it is in use, a DELETE's 200
// once the delete is committed and an index without it is in use, and a commit that fails must
// answer 500 with nothing changed, neither stored nor understood. A commit is made slow, or
// made to fail, by a constraint trigger deferred to COMMIT on taught_phrase (no other request
// writes it), as officer-commit.test.js does on audit: PostgreSQL only, on a throwaway cluster
// of its own (tests/lib/pg.sh), in the normal pass; SQLite commits synchronously before the
// answer, as admin.test.js covers.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, run, Client, SLOW } = require('./lib/server');
const { startPg } = require('./lib/pg');

const PW = 'mật-khẩu-dạy-câu-2';
const SLOW_S = 1.5; // seconds the deferred trigger holds each COMMIT that wrote taught_phrase
const MISS = 'ông ngoại tui về với ông bà rồi, giấy tờ lo sao'; // admin.test.js: missed today
const MISS2 = 'bà nội tui mới mất hôm qua, nhà tui phải làm giấy gì';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let pg, srv, admin, citizen;
before(async () => {
  pg = await startPg();
  const env = { MOTCUA_DATA_STATE_URL: pg.url };
  const r = await run(['officer', 'add', 'lan.nt', '--name', 'Cán bộ lan.nt', '--role', 'admin'], { env, input: PW + '\n' });
  assert.equal(r.code, 0, r.stderr);
  srv = await startServer({ env }); // one worker: the index the answers promise is this one's
  const l = await fetch(srv.url + '/api/v1/officer/login', { method: 'POST',
    headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'lan.nt', password: PW }) });
  assert.equal(l.status, 200);
  admin = { cookie: /^(motcua_officer=[0-9a-f]{64});/.exec(l.headers.get('set-cookie'))[1], csrf: (await l.json()).csrf_token };
  citizen = await Client.connect(srv.wsUrl);
  await citizen.hello();
});
after(async () => {
  if (citizen) citizen.close();
  if (srv) await srv.stop();
  if (pg) await pg.stop();
});

// A constraint trigger on taught_phrase (insert and delete) deferred to COMMIT running body.
function deferred(name, body) {
  pg.sql(`CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN ${body} RETURN NULL; END$$; ` +
    `CREATE CONSTRAINT TRIGGER ${name} AFTER INSERT OR DELETE ON taught_phrase DEFERRABLE INITIALLY DEFERRED ` +
    `FOR EACH ROW EXECUTE FUNCTION ${name}();`);
}
const count = (q) => Number(pg.sql(q));
const stored = (text) => count(`SELECT count(*) FROM taught_phrase WHERE text = '${text}'`);

// method on /api/v1/admin/phrases[/id] as the admin; resolves { status, json, ms } (ms since t0).
function phrases(method, t0, { id, body, signal } = {}) {
  return fetch(srv.url + '/api/v1/admin/phrases' + (id ? '/' + id : ''), { method, signal,
    headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body) })
    .then(async (r) => ({ status: r.status, json: await r.json(), ms: Date.now() - t0 }));
}
// Resolves the ms since t0 at which a COMMIT is seen held by the slow trigger.
async function commitHeld(t0) {
  for (let i = 0; i < 400; i++) {
    if (count("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'") > 0) return Date.now() - t0;
    await sleep(20);
  }
  assert.fail('no COMMIT was held by the trigger');
}
// The label the citizen's message text is understood as.
async function understood(text) {
  const rep = await citizen.say(text);
  assert.equal(rep.type, 'reply', JSON.stringify(rep));
  return rep.understanding.label;
}

test('PostgreSQL: a teach and a delete answered only once committed and in use; the loop serves meanwhile', async () => {
  assert.notEqual(await understood(MISS), 'khai-tu', 'missed before it is taught');
  deferred('test_slow_commit', `PERFORM pg_sleep(${SLOW_S});`);
  try {
    // the teach: built, written, its COMMIT held; /healthz and a turn are served during it
    let t0 = Date.now();
    const taught = phrases('POST', t0, { body: { text: MISS, label: 'khai-tu' } })
      .then((r) => ({ ...r, rows: stored(MISS) }));
    let held = await commitHeld(t0);
    const h0 = Date.now();
    assert.equal((await fetch(srv.url + '/healthz')).status, 200);
    const healthMs = Date.now() - h0;
    const during = citizen.say(MISS); // understood now, while the phrase may yet be rolled back
    let turnSeenMs = -1;
    for (let i = 0; i < 60 && turnSeenMs < 0; i++) {
      if (count(`SELECT count(*) FROM turn WHERE role = 'user' AND text = '${MISS}'`) > 1) turnSeenMs = Date.now() - t0;
      else await sleep(25);
    }
    const t = await taught;
    assert.equal(t.status, 201, JSON.stringify(t.json));
    assert.equal(t.json.label, 'khai-tu');
    assert.ok(t.ms >= held + SLOW_S * 1000 - 300, `the 201 came at ${t.ms} ms, the COMMIT held from ${held} ms for ${SLOW_S} s`);
    assert.equal(t.rows, 1, 'the phrase is committed when its 201 arrives');
    assert.ok(healthMs < 700, `/healthz took ${healthMs} ms during the slow commit`);
    assert.ok(turnSeenMs >= 0 && turnSeenMs < t.ms, `the turn committed at ${turnSeenMs} ms, the teach answered at ${t.ms} ms`);
    const d = await during;
    assert.equal(d.type, 'reply');
    assert.notEqual(d.understanding.label, 'khai-tu', 'a turn during the commit is not understood with the phrase');
    assert.equal(await understood(MISS), 'khai-tu', 'in use on this worker from the 201');

    // the delete: 200 once committed and rebuilt without it; /healthz served during it
    t0 = Date.now();
    const deleted = phrases('DELETE', t0, { id: t.json.id }).then((r) => ({ ...r, rows: stored(MISS) }));
    held = await commitHeld(t0);
    const h1 = Date.now();
    assert.equal((await fetch(srv.url + '/healthz')).status, 200);
    const health1Ms = Date.now() - h1;
    const del = await deleted;
    assert.equal(del.status, 200, JSON.stringify(del.json));
    assert.deepEqual(del.json, { deleted: t.json.id, label: 'khai-tu' });
    assert.ok(del.ms >= held + SLOW_S * 1000 - 300, `the 200 came at ${del.ms} ms, the COMMIT held from ${held} ms`);
    assert.equal(del.rows, 0, 'the delete is committed when its 200 arrives');
    assert.ok(health1Ms < 700, `/healthz took ${health1Ms} ms during the slow commit`);
    assert.notEqual(await understood(MISS), 'khai-tu', 'out of use from the 200');

    // a client that hangs up while its teach's commit is awaited: the phrase is saved and in
    // use all the same, and the server goes on
    t0 = Date.now();
    const ac = new AbortController();
    const gone = phrases('POST', t0, { body: { text: MISS2, label: 'khai-tu' }, signal: ac.signal });
    await commitHeld(t0);
    ac.abort();
    await assert.rejects(gone);
    for (let i = 0; i < 100 && stored(MISS2) === 0; i++) await sleep(50);
    assert.equal(stored(MISS2), 1, 'committed without its client');
    let label;
    for (let i = 0; i < 20 * SLOW && (label = await understood(MISS2)) !== 'khai-tu'; i++) await sleep(100);
    assert.equal(label, 'khai-tu', 'in use on this worker once committed');
  } finally {
    pg.sql('DROP TRIGGER test_slow_commit ON taught_phrase;');
  }
  assert.equal((await fetch(srv.url + '/healthz')).status, 200);
});

test('PostgreSQL: a teach or delete whose commit fails answers 500; nothing stored, nothing understood', async () => {
  const TEXT = MISS; // taught and deleted above: missed again
  if (stored(MISS2) === 0) { // the test above did not get that far: taught here, for the DELETE
    const r = await phrases('POST', Date.now(), { body: { text: MISS2, label: 'khai-tu' } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
  }
  const kept = Number(pg.sql(`SELECT id FROM taught_phrase WHERE text = '${MISS2}'`));
  assert.ok(kept > 0);
  assert.notEqual(await understood(TEXT), 'khai-tu', 'missed before it is taught');
  deferred('test_failed_commit', "RAISE EXCEPTION 'disk full at commit';");
  try {
    let r = await phrases('POST', Date.now(), { body: { text: TEXT, label: 'khai-tu' } });
    assert.equal(r.status, 500, JSON.stringify(r.json));
    assert.equal(r.json.error, 'internal');
    assert.equal(stored(TEXT), 0, 'not stored');
    assert.notEqual(await understood(TEXT), 'khai-tu', 'not in use: the index without it stays');

    r = await phrases('DELETE', Date.now(), { id: kept });
    assert.equal(r.status, 500, JSON.stringify(r.json));
    assert.equal(r.json.error, 'internal');
    assert.equal(stored(MISS2), 1, 'not deleted');
    assert.equal(await understood(MISS2), 'khai-tu', 'still in use');
  } finally {
    pg.sql('DROP TRIGGER test_failed_commit ON taught_phrase;');
  }
  // the admin tries again: saved, in use at once; the builder was not left waiting
  const r = await phrases('POST', Date.now(), { body: { text: TEXT, label: 'khai-tu' } });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  assert.equal(stored(TEXT), 1);
  assert.equal(await understood(TEXT), 'khai-tu');
});

test('PostgreSQL: SIGTERM while a teach waits for its commit: answered 201 within the drain', async () => {
  const TEXT = 'ông cố tui mất tuần trước, giờ phải làm giấy gì';
  deferred('test_slow_commit', `PERFORM pg_sleep(${SLOW_S});`);
  try {
    const t0 = Date.now();
    const taught = phrases('POST', t0, { body: { text: TEXT, label: 'khai-tu' } });
    const held = await commitHeld(t0);
    srv.proc.kill('SIGTERM');
    const t = await taught;
    assert.equal(t.status, 201, JSON.stringify(t.json));
    assert.ok(t.ms >= held + SLOW_S * 1000 - 300, `the 201 came at ${t.ms} ms`);
    assert.equal(stored(TEXT), 1);
    const { code } = await srv.exited;
    assert.equal(code, 0);
  } finally {
    pg.sql('DROP TRIGGER test_slow_commit ON taught_phrase;');
    citizen.close();
    citizen = null;
    await srv.stop();
    srv = null;
  }
});
