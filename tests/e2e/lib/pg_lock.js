// tests/e2e/lib/pg_lock.js - on the PostgreSQL pass (tests/e2e-pg.sh), a lock a test holds on a
// server's own database, to keep a reader thread's query waiting (gateway/offload.h) while the
// test looks at the event loop; and that database's name and URL (as tests/e2e/lib/server.js
// pgUrlFor names it from the server's state file).
'use strict';
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const path = require('node:path');
const { execFileSync, spawn } = require('node:child_process');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The database of the server whose state folder is dir.
const dbName = (dir) => 'e2e_' + crypto.createHash('sha1')
  .update(path.resolve(path.join(dir, 'state.db'))).digest('hex').slice(0, 20);
const dbUrl = (dir) => process.env.MOTCUA_TEST_PG_URL.replace(/^(postgresql:\/\/[^/]*\/)[^?]*/, `$1${dbName(dir)}`);

// psql; url defaults to the cluster's first database.
const psql = (sql, url = process.env.MOTCUA_TEST_PG_URL) => execFileSync('psql',
  ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url], { input: sql, encoding: 'utf8' }).trim();

// Holds ACCESS EXCLUSIVE on the officers' sessions of dir's database until release(): every
// console request's first query, its cookie check, waits for it (the turn table would do for
// the report, but a server's retention purge at start may hold it).
async function lockSessions(dir) {
  const p = spawn('psql', ['-X', '-q', '-d', dbUrl(dir)], { stdio: ['pipe', 'ignore', 'inherit'] });
  const exited = new Promise((resolve) => p.on('exit', resolve));
  p.stdin.write('BEGIN; LOCK TABLE officer_session IN ACCESS EXCLUSIVE MODE;\n');
  const granted = "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'officer_session' AND l.mode = 'AccessExclusiveLock' AND l.granted";
  for (let i = 0; i < 100 && psql(granted, dbUrl(dir)) !== '1'; i++) await sleep(50);
  assert.equal(psql(granted, dbUrl(dir)), '1', 'the test holds the lock');
  let done = null;
  return { release: () => (done ||= (p.stdin.end('COMMIT;\n'), exited)) };
}

// Cookie checks of dir's database waiting for that lock (a reader thread's).
const lockWaits = (dir) => Number(psql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'SELECT%officer_session%'", dbUrl(dir)));

// Waits until n cookie checks wait for the lock (5 s at most); returns how many do.
async function untilLockWaits(dir, n) {
  for (let i = 0; i < 100 && lockWaits(dir) < n; i++) await sleep(50);
  return lockWaits(dir);
}

module.exports = { sleep, dbName, dbUrl, psql, lockSessions, lockWaits, untilLockWaits };
