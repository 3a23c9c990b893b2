// tests/e2e/purge-commit.test.js - the retention purge (gateway/privacy.c) does not hold the
// event loop for its commit on PostgreSQL (issue 18, docs/scaling.md "What still waits"). Its
// step runs from a timer on a serving node (1 s after start, then every minute, every 50 ms
// while old rows remain), writes in the open batch, and the pass's group COMMIT carries it,
// sent without waiting like every batch's: it answers nobody, so nothing is held for it. Here
// its COMMIT is made slow by a constraint trigger deferred to COMMIT on the deletion of a turn
// record (only the purge deletes one here), and /healthz must keep answering while that COMMIT
// is in flight. PostgreSQL only, on a throwaway cluster of its own (tests/lib/pg.sh), in the
// normal pass; SQLite commits every pass synchronously, as privacy.test.js covers.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, SLOW } = require('./lib/server');
const { startPg } = require('./lib/pg');

const SLOW_S = 2; // seconds the deferred trigger holds the purge's COMMIT
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let pg, srv;
before(async () => {
  pg = await startPg();
});
after(async () => {
  if (srv) await srv.stop();
  if (pg) await pg.stop();
});

test('PostgreSQL: the retention purge commits with the loop\'s COMMIT, not waited for', async () => {
  const env = { MOTCUA_DATA_STATE_URL: pg.url };
  srv = await startServer({ env }); // the schema
  await srv.stop();
  srv = null;
  const old = Math.floor(Date.now() / 1000) - 200 * 86400; // past privacy.retention_days (180)
  pg.sql(`INSERT INTO session (token, channel, created, last_seen) VALUES ('${'c'.repeat(32)}', 'web', ${old}, ${old});
    INSERT INTO turn (session_id, ts, channel, role, text) VALUES
      ((SELECT id FROM session WHERE token = '${'c'.repeat(32)}'), ${old}, 'web', 'user', 'purge-me');
    CREATE FUNCTION test_slow_purge() RETURNS trigger LANGUAGE plpgsql AS
      $$BEGIN PERFORM pg_sleep(${SLOW_S}); RETURN NULL; END$$;
    CREATE CONSTRAINT TRIGGER test_slow_purge AFTER DELETE ON turn DEFERRABLE INITIALLY DEFERRED
      FOR EACH ROW EXECUTE FUNCTION test_slow_purge();`);
  const left = () => Number(pg.sql("SELECT count(*) FROM turn WHERE text = 'purge-me'"));
  srv = await startServer({ env });
  const end = Date.now() + 10000 * SLOW;
  while (!/event=privacy\.purge rows=/.test(srv.logs())) { // the step done, its COMMIT sent
    assert.ok(Date.now() < end, 'no purge step: ' + srv.logs());
    await sleep(10);
  }
  const t0 = Date.now();
  const health = []; // ms of each /healthz while the purge's COMMIT is in flight
  let committedMs = -1;
  while (committedMs < 0 && Date.now() < end) {
    const h0 = Date.now();
    assert.equal((await fetch(srv.url + '/healthz')).status, 200);
    health.push(Date.now() - h0);
    if (left() === 0) committedMs = Date.now() - t0;
  }
  console.log(`# purge COMMIT landed after ${committedMs} ms; /healthz meanwhile (${health.length}): ` +
    `worst ${Math.max(...health)} ms`);
  assert.ok(committedMs >= SLOW_S * 1000 - 300, `the purge was committed after ${committedMs} ms, not slowed`);
  assert.ok(health.length >= 5, `${health.length} /healthz answered during the ${SLOW_S} s commit`);
  assert.ok(Math.max(...health) < 700, `/healthz took ${Math.max(...health)} ms: the loop waited for the purge`);
  assert.equal(Number(pg.sql(`SELECT count(*) FROM session WHERE token = '${'c'.repeat(32)}'`)), 0);
});
