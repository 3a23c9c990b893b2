// tests/e2e/officer-commit.test.js - an officer's action is answered from its commit's result
// without blocking the event loop (issue 18, gateway/http_hold.h). On PostgreSQL the loop
// sends its group COMMIT without waiting: a login, a claim or a reply must still be answered
// 200 only once it is committed, the citizen must see an officer's reply only once it is
// committed, and a commit that fails must answer 500 (no cookie for a login) with nothing
// pushed to the citizen. A commit is made slow, or made to fail, by a constraint trigger
// deferred to COMMIT on audit (the row every officer action writes, and no citizen turn),
// as webhooks-commit.test.js does on seen_event: PostgreSQL only, on a throwaway cluster of
// its own (tests/lib/pg.sh), in the normal pass; SQLite commits synchronously before the
// answer, as handoff-officer.test.js covers.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, run, Client } = require('./lib/server');
const { startPg } = require('./lib/pg');

const PW = 'mật-khẩu-đủ-dài-1';
const API = '/api/v1/officer/';
const SLOW_S = 1.5; // seconds the deferred trigger holds each COMMIT that wrote an audit row
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let pg, srv;
before(async () => {
  pg = await startPg();
  const env = { MOTCUA_DATA_STATE_URL: pg.url };
  for (const [user, role] of [['minh.tv', 'officer'], ['lan.nt', 'admin']]) {
    const r = await run(['officer', 'add', user, '--name', 'Cán bộ ' + user, '--role', role], { env, input: PW + '\n' });
    assert.equal(r.code, 0, r.stderr);
  }
  srv = await startServer({ env });
});
after(async () => {
  if (srv) await srv.stop();
  if (pg) await pg.stop();
});

// A constraint trigger on audit deferred to COMMIT running body (PL/pgSQL).
function deferred(name, body) {
  pg.sql(`CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN ${body} RETURN NULL; END$$; ` +
    `CREATE CONSTRAINT TRIGGER ${name} AFTER INSERT ON audit DEFERRABLE INITIALLY DEFERRED ` +
    `FOR EACH ROW EXECUTE FUNCTION ${name}();`);
}
const count = (q) => Number(pg.sql(q));

function login(username) {
  return fetch(srv.url + API + 'login', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PW }) });
}
async function officer(username) {
  const r = await login(username);
  assert.equal(r.status, 200);
  const m = /^motcua_officer=([0-9a-f]{64});/.exec(r.headers.get('set-cookie') || '');
  assert.ok(m);
  const o = { cookie: 'motcua_officer=' + m[1], csrf: (await r.json()).csrf_token };
  o.post = (p, body) => fetch(srv.url + API + p, { method: 'POST',
    headers: { cookie: o.cookie, 'x-csrf-token': o.csrf, 'content-type': 'application/json' },
    body: body === undefined ? '' : JSON.stringify(body) });
  return o;
}
// A web citizen who asked for an officer: its client and the conversation's id.
async function handedOff() {
  const c = await Client.connect(srv.wsUrl);
  const hello = await c.hello();
  const f = await c.tap('handoff:request');
  assert.equal(f.handoff?.state, 'pending', JSON.stringify(f));
  const id = Number(pg.sql(`SELECT id FROM session WHERE token = '${hello.session}'`));
  assert.ok(id > 0, JSON.stringify(hello));
  return { c, id };
}
// The frames a client receives from now on, each with the ms since t0 it arrived at.
function record(c, t0) {
  const got = [];
  c.ws.on('message', (d) => got.push({ f: JSON.parse(d.toString()), ms: Date.now() - t0 }));
  return got;
}

test('PostgreSQL: claim, reply and login answered only once committed; the loop serves meanwhile', async () => {
  const minh = await officer('minh.tv');
  const a = await handedOff();
  const b = await Client.connect(srv.wsUrl); // another citizen, chatting meanwhile
  await b.hello();
  deferred('test_slow_commit', `PERFORM pg_sleep(${SLOW_S});`);
  try {
    // the claim: 200 after the commit, /healthz and b's turn served during it
    let t0 = Date.now();
    const claim = minh.post(`conversations/${a.id}/claim`).then(async (r) => ({ status: r.status, ms: Date.now() - t0,
      state: pg.sql(`SELECT state FROM handoff WHERE session_id = ${a.id}`), body: await r.json() }));
    await sleep(300);
    const h0 = Date.now();
    assert.equal((await fetch(srv.url + '/healthz')).status, 200);
    const healthMs = Date.now() - h0;
    const said = b.say('làm giấy khai sinh cần gì');
    let turnSeenMs = -1;
    for (let i = 0; i < 40 && turnSeenMs < 0; i++) {
      if (count("SELECT count(*) FROM turn WHERE role = 'user' AND text = 'làm giấy khai sinh cần gì'") > 0) turnSeenMs = Date.now() - t0;
      else await sleep(25);
    }
    const c = await claim;
    assert.equal(c.status, 200, JSON.stringify(c.body));
    assert.equal(c.body.conversation.state, 'officer');
    assert.ok(c.ms >= SLOW_S * 1000 - 100, `the claim's 200 came after ${c.ms} ms, before the ${SLOW_S} s commit ended`);
    assert.equal(c.state, 'officer', 'the claim is committed when its 200 arrives');
    assert.ok(healthMs < 700, `/healthz took ${healthMs} ms during the slow commit`);
    assert.ok(turnSeenMs >= 0 && turnSeenMs < c.ms, `b's turn committed at ${turnSeenMs} ms, the claim answered at ${c.ms} ms`);
    assert.equal((await said).type, 'reply');

    // the reply: 200 after its commit, and the citizen sees it only then
    const text = 'Chào bạn, tôi là cán bộ xã.';
    t0 = Date.now();
    const frames = record(a.c, t0);
    const m = await minh.post(`conversations/${a.id}/messages`, { text }).then(async (r) => ({ status: r.status,
      ms: Date.now() - t0, rows: count(`SELECT count(*) FROM handoff_message WHERE session_id = ${a.id} AND text = '${text}'`),
      body: await r.json() }));
    assert.equal(m.status, 200, JSON.stringify(m.body));
    assert.ok(m.ms >= SLOW_S * 1000 - 100, `the reply's 200 came after ${m.ms} ms`);
    assert.equal(m.rows, 1, 'the reply is committed when its 200 arrives');
    for (let i = 0; i < 100 && !frames.some((x) => x.f.from === 'officer'); i++) await sleep(20);
    const seen = frames.find((x) => x.f.from === 'officer');
    assert.ok(seen, 'the citizen got the reply: ' + JSON.stringify(frames));
    assert.equal(seen.f.messages[0].text, text);
    assert.ok(seen.ms >= SLOW_S * 1000 - 100, `the citizen saw the reply after ${seen.ms} ms, before its commit`);

    // the login: its cookie only once the session is committed
    t0 = Date.now();
    const l = await login('lan.nt');
    const ms = Date.now() - t0;
    assert.equal(l.status, 200);
    assert.ok(ms >= SLOW_S * 1000 - 100, `the login's 200 came after ${ms} ms`);
    const m2 = /^motcua_officer=([0-9a-f]{64});/.exec(l.headers.get('set-cookie') || '');
    assert.ok(m2, 'the login sets its cookie');
    const me = await fetch(srv.url + API + 'me', { headers: { cookie: 'motcua_officer=' + m2[1] } });
    assert.equal(me.status, 200);
  } finally {
    pg.sql('DROP TRIGGER test_slow_commit ON audit;');
    a.c.close();
    b.close();
  }
});

test('PostgreSQL: an officer action whose commit fails answers 500, pushes nothing, sets no cookie', async () => {
  const minh = await officer('minh.tv');
  const a = await handedOff();
  const r0 = await minh.post(`conversations/${a.id}/claim`);
  assert.equal(r0.status, 200);
  for (let f = await a.c.next(); f.type !== 'handoff'; f = await a.c.next()); // "an officer took it"
  const sessions = count('SELECT count(*) FROM officer_session');
  deferred('test_failed_commit', "RAISE EXCEPTION 'disk full at commit';");
  const frames = record(a.c, Date.now());
  try {
    let r = await minh.post(`conversations/${a.id}/messages`, { text: 'Tin này không được lưu.' });
    assert.equal(r.status, 500);
    assert.equal((await r.json()).error, 'internal');
    assert.equal(count(`SELECT count(*) FROM handoff_message WHERE text = 'Tin này không được lưu.'`), 0);

    r = await login('lan.nt');
    assert.equal(r.status, 500);
    assert.equal(r.headers.get('set-cookie'), null, 'no cookie for a session that was not saved');
    assert.equal((await r.json()).error, 'internal');
    assert.equal(count('SELECT count(*) FROM officer_session'), sessions);

    r = await minh.post(`conversations/${a.id}/release`);
    assert.equal(r.status, 500);
    assert.equal(pg.sql(`SELECT state FROM handoff WHERE session_id = ${a.id}`), 'officer');
    await sleep(800);
    assert.deepEqual(frames.map((x) => x.f), [], 'nothing pushed to the citizen for what was not committed');
  } finally {
    pg.sql('DROP TRIGGER test_failed_commit ON audit;');
  }
  // the officer tries again: saved, and the citizen gets it
  const r = await minh.post(`conversations/${a.id}/messages`, { text: 'Tin này được lưu.' });
  assert.equal(r.status, 200);
  for (let i = 0; i < 100 && !frames.some((x) => x.f.from === 'officer'); i++) await sleep(20);
  assert.deepEqual(frames.filter((x) => x.f.from === 'officer').map((x) => x.f.messages[0].text), ['Tin này được lưu.']);
  assert.equal((await fetch(srv.url + '/healthz')).status, 200);
  a.c.close();
});

test("PostgreSQL: the console's writes (a guide note) answered once committed, 500 when the commit fails", async () => {
  const lan = await officer('lan.nt'); // an admin
  const note = (status) => fetch(srv.url + '/api/v1/admin/notes', { method: 'POST',
    headers: { cookie: lan.cookie, 'x-csrf-token': lan.csrf, 'content-type': 'application/json' },
    body: JSON.stringify({ procedure: 'khai-sinh', field: 'fee', status, ...(status === 'wrong' ? { comment: 'x' } : {}) }) });
  const notes = () => count("SELECT count(*) FROM guide_note WHERE procedure = 'khai-sinh'");
  const before = notes();
  deferred('test_slow_commit', `PERFORM pg_sleep(${SLOW_S});`);
  try {
    const t0 = Date.now();
    const r = await note('confirmed');
    const ms = Date.now() - t0;
    assert.equal(r.status, 201);
    assert.ok(ms >= SLOW_S * 1000 - 100, `the note's 201 came after ${ms} ms`);
    assert.equal(notes(), before + 1, 'the note is committed when its 201 arrives');
    // a client that hangs up while its answer is held: forgotten, the commit still lands
    const ac = new AbortController();
    const gone = fetch(srv.url + '/api/v1/admin/notes', { method: 'POST', signal: ac.signal,
      headers: { cookie: lan.cookie, 'x-csrf-token': lan.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ procedure: 'khai-sinh', field: 'fee', status: 'confirmed' }) });
    await sleep(300);
    ac.abort();
    await assert.rejects(gone);
    await sleep(SLOW_S * 1000);
    assert.equal(notes(), before + 2);
    assert.equal((await fetch(srv.url + '/healthz')).status, 200);
  } finally { pg.sql('DROP TRIGGER test_slow_commit ON audit;'); }
  deferred('test_failed_commit', "RAISE EXCEPTION 'disk full at commit';");
  try {
    const r = await note('wrong');
    assert.equal(r.status, 500);
    assert.equal((await r.json()).error, 'internal');
    assert.equal(notes(), before + 2, 'the failed note is not stored');
  } finally { pg.sql('DROP TRIGGER test_failed_commit ON audit;'); }
});
