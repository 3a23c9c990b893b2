// tests/e2e/lib/server.js - starts the real `motcua serve` on an ephemeral
// 127.0.0.1 port with temporary databases, and small clients for it.
//
// Every server's end is checked (issue 11): stop() waits for the exit and
// throws unless the server exited 0 (or by the SIGKILL the test asked for)
// and its stderr has no sanitizer report (ASan, LSan, UBSan). A file that
// loads this module also gets an after() hook that stops and checks every
// server still running and checks those that ended without stop(), so a
// leak report from any server fails the file under `make test-asan`.
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after } = require('node:test');
const WebSocket = require('ws');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = process.env.MOTCUA_BIN || path.join(ROOT, 'build', 'motcua');
const DB = process.env.MOTCUA_DB || path.join(ROOT, 'build', 'motcua.db');
// A sanitized server (make test-asan sets ASAN_OPTIONS) runs several times slower: the
// correctness checks stay, the time limits of timing-bound tests stretch by this factor
// (the normal run keeps them as written).
const SLOW = process.env.ASAN_OPTIONS !== undefined ? 4 : 1;
const START_TIMEOUT_MS = 10000 * SLOW;

// Polls pred until it holds; fails naming what after ms (and detail(), when given).
async function waitFor(pred, ms, what, { poll = 20, detail } = {}) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}` + (detail ? '\n' + detail() : ''));
    await new Promise((r) => setTimeout(r, poll));
  }
}

// With listen.workers = n, every worker listens once the master logs master.ready:
// before it, the kernel gives every connection to the workers already up.
const untilWorkers = (srv, n) => waitFor(() => new RegExp(`event=master\\.ready workers=${n}\\b`).test(srv.logs()),
  START_TIMEOUT_MS, `master.ready workers=${n}`, { poll: 50 });

function tempDir(prefix = 'motcua-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// What a sanitizer prints when it finds something (ASan, LSan, UBSan).
const SANITIZER_RE = /ERROR: AddressSanitizer|LeakSanitizer|runtime error:|ERROR: UndefinedBehaviorSanitizer/;
// The sanitizer settings `make test-asan` sets reach the servers and commands.
const SANITIZER_ENV = ['ASAN_OPTIONS', 'LSAN_OPTIONS', 'UBSAN_OPTIONS', 'ASAN_SYMBOLIZER_PATH'];

function baseEnv() {
  const env = { PATH: process.env.PATH };
  for (const k of SANITIZER_ENV) if (process.env[k] !== undefined) env[k] = process.env[k];
  return env;
}

// Throws if stderr holds a sanitizer report; `what` names the process.
function assertNoSanitizerReport(stderr, what) {
  const m = SANITIZER_RE.exec(stderr);
  if (!m) return;
  const from = Math.max(0, stderr.lastIndexOf('\n', Math.max(0, m.index - 1)));
  throw new Error(`${what}: sanitizer report in stderr:\n${stderr.slice(from, from + 6000)}`);
}

// Throws unless the exit {code, signal} is the expected one: 0, or the
// signal itself when the test killed with SIGKILL on purpose.
function assertCleanExit(r, expectSignal, what, stderr) {
  assertNoSanitizerReport(stderr, what);
  const ok = expectSignal ? r.signal === expectSignal : r.code === 0 && r.signal === null;
  if (!ok) {
    const want = expectSignal ? `signal ${expectSignal}` : 'exit 0';
    throw new Error(`${what}: expected ${want}, got exit ${r.code} signal ${r.signal}:\n${stderr.slice(-4000)}`);
  }
}

const servers = new Set(); // every server started by this process, until checked

// Stops (if running) and checks every server not yet checked; throws the
// first failure after all have ended.
async function checkAllServers() {
  const errors = [];
  for (const s of [...servers]) {
    try {
      await s.stop();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length) throw errors.length === 1 ? errors[0] : new AggregateError(errors, errors.map((e) => e.message).join('\n---\n'));
}

after(async () => {
  try {
    await checkAllServers();
  } finally {
    // Something left open (a socket, a fake platform, a browser) would keep
    // this file's process alive forever; end it as a failure instead.
    setTimeout(() => {
      console.error('tests/e2e/lib/server.js: the test process did not end 30 s after its tests; open:',
        process.getActiveResourcesInfo ? process.getActiveResourcesInfo().join(', ') : '?');
      process.exit(1);
    }, 30000).unref();
  }
});
// Last resort (a file that crashed): no server outlives the test process.
process.on('exit', () => {
  for (const s of servers) if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
});

// ---- the PostgreSQL pass (make test-e2e-pg, issue 18): tests/lib/pg.sh sets
// MOTCUA_TEST_PG_URL; every state file a test names (a server's dir/state.db, or the
// MOTCUA_DATA_STATE_DB it gives a command) then maps to its own database on that cluster,
// named from the file's path, so a restart with opts.dir, or an `officer add` on the same
// file, reaches the same database. A test that sets MOTCUA_DATA_STATE_URL itself keeps it.
const PG_URL = process.env.MOTCUA_TEST_PG_URL || '';
const PG = PG_URL !== '';
const pgCreated = new Set();

// psql on the test cluster; `url` is a whole postgresql:// URL (default: the cluster's
// first database). Unaligned, no headers, '|' between columns: the sqlite3 CLI's list mode.
function psql(sql, url = PG_URL) {
  return execFileSync('psql', ['-X', '-q', '-A', '-t', '-F', '|', '-v', 'ON_ERROR_STOP=1', '-d', url],
    { input: sql, encoding: 'utf8', maxBuffer: 64 << 20 }).trim();
}

// The URL of the database standing for the SQLite file `file`, created on first use.
function pgUrlFor(file) {
  const name = 'e2e_' + crypto.createHash('sha1').update(path.resolve(file)).digest('hex').slice(0, 20);
  if (!pgCreated.has(name)) {
    if (psql(`SELECT 1 FROM pg_database WHERE datname = '${name}'`) !== '1') psql(`CREATE DATABASE ${name}`);
    pgCreated.add(name);
  }
  return PG_URL.replace(/^(postgresql:\/\/[^/]*\/)[^?]*/, `$1${name}`);
}

// On the PostgreSQL pass, adds MOTCUA_DATA_STATE_URL for env's state file (unless set).
function withPgState(env) {
  if (!PG || env.MOTCUA_DATA_STATE_URL !== undefined || !env.MOTCUA_DATA_STATE_DB) return env;
  return { ...env, MOTCUA_DATA_STATE_URL: pgUrlFor(env.MOTCUA_DATA_STATE_DB) };
}

// Runs SQL on a server's state, whichever the back-end: `where` is a server from
// startServer(), its state folder, or a state file's path. Returns the rows as the
// sqlite3 CLI prints them (columns joined by '|', one row a line, trimmed). The SQL
// must mean the same on both engines (no sqlite_master, rowid or strftime).
function stateQuery(where, sql) {
  const file = typeof where === 'string' ? (where.endsWith('.db') ? where : path.join(where, 'state.db'))
    : path.join(where.dir, 'state.db');
  if (PG) return psql(sql, pgUrlFor(file));
  return execFileSync('sqlite3', ['-batch', '-cmd', '.timeout 5000', file], { input: sql, encoding: 'utf8', maxBuffer: 64 << 20 }).trim();
}

// The rows of one SELECT on a server's state (`where` as for stateQuery), each an array of
// its column values as JSON gives them (numbers, strings, null), whichever the back-end.
function stateRows(where, sql) {
  const file = typeof where === 'string' ? (where.endsWith('.db') ? where : path.join(where, 'state.db'))
    : path.join(where.dir, 'state.db');
  let out;
  if (PG) out = psql(`SELECT coalesce(json_agg(to_json(q)), '[]') FROM (${sql.replace(/;\s*$/, '')}) q`, pgUrlFor(file));
  else out = execFileSync('sqlite3', ['-batch', '-json', '-cmd', '.timeout 5000', file], { input: sql, encoding: 'utf8', maxBuffer: 64 << 20 }).trim();
  return JSON.parse(out || '[]').map((r) => Object.values(r));
}

// Starts a server; resolves {port, url, proc, dir, logs(), stop(signal)}.
// opts.env adds MOTCUA_* settings; opts.dir reuses a state folder (restart);
// opts.cwd is the working folder (default: the test's).
function startServer(opts = {}) {
  const dir = opts.dir || tempDir();
  const env = withPgState({
    ...baseEnv(),
    MOTCUA_LISTEN_HOST: '127.0.0.1',
    MOTCUA_LISTEN_PORT: '0',
    MOTCUA_DATA_KNOWLEDGE_DB: DB,
    MOTCUA_DATA_STATE_DB: path.join(dir, 'state.db'),
    MOTCUA_DATA_WEB_ROOT: path.join(ROOT, 'channels', 'web'),
    MOTCUA_LISTEN_WORKERS: '1', // one process unless a test asks for more (workers.test.js)
    // load and crash tests send far faster than a person: the rate limit is off unless a test
    // sets it (limits.test.js)
    MOTCUA_SESSION_MESSAGES_PER_MINUTE: '0',
    ...(opts.env || {}),
  });
  const proc = spawn(BIN, ['serve', ...(opts.args || [])], { env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const stderrDone = new Promise((resolve) => proc.stderr.on('close', resolve)); // the whole report read
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error('server did not start in time:\n' + stderr));
    }, START_TIMEOUT_MS);
    proc.stderr.on('data', (d) => {
      stderr += d.toString();
      const m = /event=server\.listen host=\S+ port=(\d+)/.exec(stderr);
      if (m && !proc.started) {
        proc.started = true;
        clearTimeout(timer);
        const port = Number(m[1]);
        let checked = null; // the first stop()'s promise: later calls give the same result
        const srv = {
          port, dir, proc, exited,
          url: `http://127.0.0.1:${port}`,
          wsUrl: `ws://127.0.0.1:${port}/ws`,
          logs: () => stderr,
          // Ends the server (SIGTERM, or the given signal) and resolves
          // {code, signal}; rejects if it did not exit 0 (or by the SIGKILL
          // asked for), needed a SIGKILL after 8 s, or reported a sanitizer
          // error. A server that already ended is only checked.
          stop(signal = 'SIGTERM') {
            if (!checked) {
              checked = (async () => {
                const running = proc.exitCode === null && proc.signalCode === null;
                if (running) proc.kill(signal);
                const killer = setTimeout(() => proc.kill('SIGKILL'), 8000);
                const r = await exited;
                clearTimeout(killer);
                servers.delete(srv);
                await stderrDone;
                assertCleanExit(r, running && signal === 'SIGKILL' ? 'SIGKILL' : null, `motcua serve (port ${port})`, stderr);
                return r;
              })();
            }
            return checked;
          },
        };
        servers.add(srv);
        resolve(srv);
      }
    });
    exited.then(({ code }) => {
      if (!proc.started) {
        clearTimeout(timer);
        reject(Object.assign(new Error(`server exited with ${code}:\n${stderr}`), { code, stderr }));
      }
    });
  });
}

// Runs the binary to completion; resolves {code, stdout, stderr}. Rejects
// if it had to be killed (opts.timeout, 20 s) or reported a sanitizer error.
function run(args, opts = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(BIN, args, { env: withPgState({ ...baseEnv(), ...(opts.env || {}) }) });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    if (opts.input !== undefined) p.stdin.end(opts.input); else p.stdin.end();
    const killer = setTimeout(() => p.kill('SIGKILL'), opts.timeout || 20000);
    // 'close', not 'exit': every byte of stdout and stderr has been read
    p.on('close', (code, signal) => {
      clearTimeout(killer);
      try {
        const what = `motcua ${args.join(' ')}`;
        assertNoSanitizerReport(stderr, what);
        if (signal) throw new Error(`${what}: killed by ${signal}:\n${stderr.slice(-4000)}`);
      } catch (e) {
        reject(e);
        return;
      }
      resolve({ code, stdout, stderr });
    });
  });
}

// A WebSocket client that queues incoming frames so tests can await them.
class Client {
  constructor(url) {
    this.ws = new WebSocket(url);
    this.frames = [];
    this.waiters = [];
    this.closed = new Promise((resolve) => this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('message', (data) => {
      const f = JSON.parse(data.toString());
      const w = this.waiters.shift();
      if (w) w.resolve(f); else this.frames.push(f);
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.on('open', resolve);
      this.ws.on('error', reject);
    });
  }
  static async connect(url) {
    const c = new Client(url);
    await c.opened;
    return c;
  }
  next(timeoutMs = 5000 * SLOW) {
    if (this.frames.length) return Promise.resolve(this.frames.shift());
    return new Promise((resolve, reject) => {
      const w = { resolve: (f) => { clearTimeout(t); resolve(f); } };
      const t = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error('no frame within ' + timeoutMs + ' ms'));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }
  // Next frame that is not a typing indicator.
  async nextReply(timeoutMs) {
    for (;;) {
      const f = await this.next(timeoutMs);
      if (f.type !== 'typing') return f;
    }
  }
  send(obj) { this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)); }
  sendRaw(buf, binary = false) { this.ws.send(buf, { binary }); }
  async hello(session = null, channel = 'web') {
    this.send({ type: 'hello', session, channel });
    return this.nextReply();
  }
  async say(text, id) {
    this.send(id ? { type: 'message', text, id } : { type: 'message', text });
    return this.nextReply();
  }
  async tap(payload) {
    this.send({ type: 'postback', payload });
    return this.nextReply();
  }
  close() { this.ws.close(); return this.closed; }
}

module.exports = { startServer, waitFor, untilWorkers, run, Client, tempDir, checkAllServers, assertNoSanitizerReport, stateQuery, stateRows, PG, ROOT, BIN, DB, SLOW };
