// tests/e2e/webhooks-commit.test.js - a webhook's acknowledgement waits for its commit
// without blocking the event loop (issue 18, gateway/http_hold.h). On PostgreSQL the
// loop sends its group COMMIT without waiting: the platform's 200 must still come only once
// the delivery's turn is committed, and a commit that fails must answer 500 (the platform
// delivers again) rather than 200. A commit is made slow, or made to fail, by a constraint
// trigger deferred to COMMIT on seen_event (the de-duplication row every delivery writes),
// which SQLite has no equivalent of: these tests run on PostgreSQL only, on a throwaway
// cluster of their own (tests/lib/pg.sh, as cluster.test.js), in the normal pass; SQLite
// commits synchronously before the 200, as webhooks.test.js covers.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { startServer } = require('./lib/server');
const { startPg } = require('./lib/pg');
const { startFake } = require('./lib/fake_platform');

const APP_SECRET = 'test-app-secret';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const SLOW_S = 1.5; // seconds the deferred trigger holds each COMMIT

let pg; // { url, proc, sql }
before(async () => { pg = await startPg(); });
after(async () => { if (pg) await pg.stop(); });

function env(fake) {
  return {
    MOTCUA_DATA_STATE_URL: pg.url,
    MOTCUA_MESSENGER_APP_SECRET: APP_SECRET, MOTCUA_MESSENGER_VERIFY_TOKEN: 'v',
    MOTCUA_MESSENGER_PAGE_TOKEN: 'PAGE-TOKEN', MOTCUA_MESSENGER_GRAPH_URL: fake.url + '/v25.0',
  };
}
let mid = 0;
function event(psid, text) {
  mid++;
  return { object: 'page', entry: [{ id: 'PAGE', time: Date.now(), messaging: [
    { sender: { id: psid }, recipient: { id: 'PAGE' }, timestamp: Date.now(), message: { mid: 'mc_' + mid + '_' + psid, text } }] }] };
}
function post(srv, obj) {
  const body = JSON.stringify(obj);
  return fetch(srv.url + '/webhooks/messenger', { method: 'POST', body, headers: { 'content-type': 'application/json',
    'x-hub-signature-256': 'sha256=' + crypto.createHmac('sha256', APP_SECRET).update(body).digest('hex') } });
}
// the replies sent to psid (a node on the same database may also send what an earlier test queued)
const sends = (reqs, psid) => reqs.filter((r) => r.url.startsWith('/v25.0/me/messages') && r.json.recipient.id === psid);
// the delivery's rows committed, as another connection sees them: its seen event, its turn
const count = (psid, text) => Number(pg.sql(`SELECT (SELECT count(*) FROM seen_event WHERE event_id LIKE '%${psid}') ` +
  `+ (SELECT count(*) FROM turn WHERE role = 'user' AND text = '${text}')`)) / 2;
const SLOW_TEXT = 'làm giấy khai sinh cần gì';
const FAIL_TEXT = 'đăng ký tạm trú';

// A constraint trigger on seen_event deferred to COMMIT running body (PL/pgSQL).
function deferred(name, body) {
  pg.sql(`CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN ${body} RETURN NULL; END$$; ` +
    `CREATE CONSTRAINT TRIGGER ${name} AFTER INSERT ON seen_event DEFERRABLE INITIALLY DEFERRED ` +
    `FOR EACH ROW EXECUTE FUNCTION ${name}();`);
}

test('PostgreSQL: a webhook is answered 200 only once its turn is committed, and the loop serves meanwhile', async () => {
  const fake = await startFake({ status: 200, body: { recipient_id: 'x', message_id: 'ok' } });
  const srv = await startServer({ env: env(fake) });
  try {
    deferred('test_slow_commit', `PERFORM pg_sleep(${SLOW_S});`);
    const t0 = Date.now();
    const pending = post(srv, event('psid-slow', SLOW_TEXT)).then((r) => {
      // at the moment the 200 arrives, another connection sees the turn committed
      const seen = count('psid-slow', SLOW_TEXT);
      return { status: r.status, ms: Date.now() - t0, seen };
    });
    await sleep(300);
    const h0 = Date.now();
    assert.equal((await fetch(srv.url + '/healthz')).status, 200);
    const healthMs = Date.now() - h0;
    const res = await pending;
    assert.equal(res.status, 200);
    assert.ok(res.ms >= SLOW_S * 1000 - 100, `the 200 came after ${res.ms} ms, before the ${SLOW_S} s commit ended`);
    assert.equal(res.seen, 1, 'the turn is committed when the 200 arrives');
    // the COMMIT is in flight, not waited for: the loop answered /healthz meanwhile
    assert.ok(healthMs < 700, `/healthz took ${healthMs} ms during the slow commit`);
    await fake.until((q) => sends(q, 'psid-slow').length >= 1);
    pg.sql('DROP TRIGGER test_slow_commit ON seen_event;');
  } finally { await srv.stop(); await fake.close(); }
});

test('PostgreSQL: a webhook whose commit fails is answered 500, and its redelivery 200 once', async () => {
  const fake = await startFake({ status: 200, body: { recipient_id: 'x', message_id: 'ok' } });
  const srv = await startServer({ env: env(fake) });
  try {
    deferred('test_failed_commit', "RAISE EXCEPTION 'disk full at commit';");
    const ev = event('psid-fail', FAIL_TEXT);
    let r = await post(srv, ev);
    assert.equal(r.status, 500);
    assert.equal((await r.json()).error, 'internal');
    assert.equal(count('psid-fail', FAIL_TEXT), 0, 'nothing of the failed delivery is committed');
    assert.match(srv.logs(), /event=webhook\.failed/);
    await sleep(500);
    assert.equal(sends(fake.requests, 'psid-fail').length, 0, 'no reply sent for a delivery that was not committed');
    pg.sql('DROP TRIGGER test_failed_commit ON seen_event;');
    r = await post(srv, ev); // the platform delivers again
    assert.equal(r.status, 200);
    assert.equal(count('psid-fail', FAIL_TEXT), 1);
    await fake.until((q) => sends(q, 'psid-fail').length >= 1);
    r = await post(srv, ev); // and again: already seen, no second reply
    assert.equal(r.status, 200);
    await sleep(800);
    const out = sends(fake.requests, 'psid-fail');
    assert.equal(new Set(out.map((x) => x.body)).size, out.length, 'each reply sent once');
  } finally { await srv.stop(); await fake.close(); }
});
