// tests/e2e/crash.test.js - a reply the citizen received is never lost to a
// crash (issue 13). Several WebSocket clients send turns while the server is
// killed with SIGKILL mid-load, five times, restarting on the same state
// database each time. Afterwards every reply a client received has its two
// turn records (user and bot, with its message id) in the database, every
// welcome a client received resumes, the file passes PRAGMA integrity_check,
// and a message resent after the restarts gets the same reply, not a second
// turn. The database is read with the sqlite3 command (make deps installs it).
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { startServer, Client, tempDir } = require('./lib/server');
const { drive } = require('./lib/drive'); // the load: one client sends turns until cut off

const CLIENTS = 8;
const ROUNDS = 5;

function sqlite(db, script) {
  return execFileSync('sqlite3', ['-batch', db], { input: script, encoding: 'utf8' }).trim();
}

const quote = (s) => `'${String(s).replace(/'/g, "''")}'`;

test('SIGKILL under load, five times: every reply received is stored, resends answered once', async () => {
  try {
    execFileSync('sqlite3', ['-version']);
  } catch {
    assert.fail('the sqlite3 command is missing: run make deps (APT_PKGS has sqlite3)');
  }
  const dir = tempDir('motcua-crash-');
  const env = { MOTCUA_LISTEN_MAX_PER_IP: String(CLIENTS + 10) };
  const tokens = new Array(CLIENTS).fill(null); // a token is kept once its welcome arrived
  const received = [];
  let errors = 0;

  for (let round = 0; round < ROUNDS; round++) {
    const srv = await startServer({ dir, env });
    const clients = [];
    for (let k = 0; k < CLIENTS; k++) {
      const c = await Client.connect(srv.wsUrl);
      const w = await c.hello(tokens[k]);
      assert.equal(w.type, 'welcome');
      if (tokens[k]) {
        // a welcome received in an earlier life of the server was durable
        assert.equal(w.session, tokens[k], `round ${round} client ${k}: session lost`);
        assert.equal(w.resumed, true, `round ${round} client ${k}: not resumed`);
      }
      tokens[k] = w.session;
      clients.push(c);
    }
    const runs = clients.map((c, k) => drive(c, k, round, tokens[k], received));
    await new Promise((res) => setTimeout(res, 300 + Math.floor(Math.random() * 400)));
    await srv.stop('SIGKILL'); // mid-load: turns in flight on every connection
    for (const n of await Promise.all(runs)) errors += n;
  }
  assert.equal(errors, 0, 'no error frame while the server ran');
  assert.ok(received.length >= ROUNDS * CLIENTS, `only ${received.length} replies: no load`);

  // After the last kill: a resend of a received message gets the same reply.
  const srv = await startServer({ dir, env });
  const last = received[received.length - 1];
  const c = await Client.connect(srv.wsUrl);
  const w = await c.hello(last.token);
  assert.equal(w.resumed, true);
  const again = await c.say(last.text, last.id);
  assert.equal(again.type, 'reply');
  assert.equal(again.reply_to, last.id);
  assert.deepEqual(again.messages, last.messages);
  await c.close();
  await srv.stop();

  const db = path.join(dir, 'state.db');
  const want = received.map((r) => `(${quote(r.token)}, ${quote(r.id)})`);
  const sql = [
    'CREATE TEMP TABLE want (token TEXT, msg_id TEXT);',
    ...Array.from({ length: Math.ceil(want.length / 500) }, (_, i) =>
      `INSERT INTO want VALUES ${want.slice(i * 500, (i + 1) * 500).join(', ')};`),
    // every received reply: exactly one user and one bot record with its id
    "SELECT 'missing ' || w.msg_id FROM want w WHERE " +
      "(SELECT count(*) FROM turn t JOIN session s ON s.id = t.session_id " +
      " WHERE s.token = w.token AND t.msg_id = w.msg_id AND t.role = 'bot') <> 1 OR " +
      "(SELECT count(*) FROM turn t JOIN session s ON s.id = t.session_id " +
      " WHERE s.token = w.token AND t.msg_id = w.msg_id AND t.role = 'user') <> 1;",
    "SELECT 'checked ' || count(*) FROM want;",
  ].join('\n');
  const out = sqlite(db, sql);
  assert.equal(out, `checked ${received.length}`, out.split('\n').slice(0, 10).join('\n'));
  assert.equal(sqlite(db, 'PRAGMA integrity_check;'), 'ok');
});
