// tests/e2e/bench_smoke.test.js - the WebSocket benchmark's tools still work (make bench-ws):
// the C load generator against the C echo server and against `motcua serve`, its checks of the
// answers, its loopback-only rule and its idle mode. A smoke test, not a benchmark: no figure is
// compared with a target. Uses $BUILD/bench-ws/* when they are newer than their sources, else
// builds them with cc into a temporary folder; a build that fails fails the test.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer } = require('./lib/server');

const ROOT = path.resolve(__dirname, '..', '..');
const BUILD_DIR = path.dirname(process.env.MOTCUA_BIN || path.join(ROOT, 'build', 'motcua'));
const WARN = ['-std=c11', '-D_POSIX_C_SOURCE=200809L', '-D_DEFAULT_SOURCE', '-Wall', '-Wextra',
  '-Werror', '-Wpedantic', '-O2'];

// The binary for bench/NAME.c: the Makefile's one if it is up to date, else a fresh build.
let tmp = null;
// What each tool is built from besides bench/NAME.c and the protocol (the Makefile's rules).
const EXTRA = { ws_loadgen: ['ws_text'] };
function tool(name) {
  const units = [name, 'ws_proto', ...(EXTRA[name] || [])];
  const srcs = units.map((u) => path.join(ROOT, 'bench', `${u}.c`));
  const headers = units.slice(1).map((u) => path.join(ROOT, 'bench', `${u}.h`));
  const built = path.join(BUILD_DIR, 'bench-ws', name);
  const newest = Math.max(...[...srcs, ...headers].map((f) => fs.statSync(f).mtimeMs));
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= newest) return built;
  tmp = tmp || fs.mkdtempSync(path.join(os.tmpdir(), 'motcua-bench-smoke-'));
  const out = path.join(tmp, name);
  execFileSync('cc', [...WARN, '-o', out, ...srcs, '-lcrypto'], { stdio: ['ignore', 'ignore', 'pipe'] });
  return out;
}
const GEN = tool('ws_loadgen');
const ECHO = tool('ws_echo');

// Runs the generator; resolves {code, stdout, stderr, r} where r holds the key=value figures.
function gen(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(GEN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const killer = setTimeout(() => p.kill('SIGKILL'), 8000);
    p.on('close', (code, signal) => {
      clearTimeout(killer);
      if (signal) return reject(new Error(`ws_loadgen killed by ${signal}: ${stderr}`));
      const r = {};
      for (const m of stdout.matchAll(/(\w+)=(\S+)/g)) r[m[1]] = Number(m[2]);
      resolve({ code, stdout, stderr, r });
    });
  });
}

// Starts the C echo server on a free port; resolves {port, proc, stop()}.
function startEcho() {
  return new Promise((resolve, reject) => {
    const proc = spawn(ECHO, ['--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error('ws_echo did not start')); }, 3000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /port=(\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      const exited = new Promise((res) => proc.on('exit', (code) => res(code)));
      resolve({ port: Number(m[1]), proc, stop: () => { proc.kill('SIGTERM'); return exited; } });
    });
  });
}

let echo;
test.before(async () => { echo = await startEcho(); });
test.after(async () => {
  if (echo) assert.equal(await echo.stop(), 0, 'ws_echo exits 0 on SIGTERM');
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the generator measures the C echo server: every message answered, figures in order', async () => {
  const texts = path.join(os.tmpdir(), `motcua-bench-texts-${process.pid}.tsv`);
  fs.writeFileSync(texts, 'một câu "có" ngoặc\\ và tab\tnhãn\nhai\tx\n\nba dòng\n');
  try {
    const { code, stderr, r } = await gen(['--mode', 'echo', '--port', String(echo.port),
      '--conns', '20', '--msgs', '50', '--texts', texts, '--timeout', '5']);
    assert.equal(code, 0, stderr);
    assert.equal(r.ready, 20);
    assert.equal(r.messages, 1000);
    assert.equal(r.errors, 0);
    assert.ok(r.rate > 0 && r.seconds > 0);
    assert.ok(r.p50_ms > 0 && r.p50_ms <= r.p90_ms && r.p90_ms <= r.p99_ms && r.p99_ms <= r.max_ms);
  } finally {
    fs.rmSync(texts, { force: true });
  }
});

test('the generator runs full turns on motcua: hello, then each message waits for its reply', async () => {
  const srv = await startServer({ env: { MOTCUA_LISTEN_MAX_PER_IP: '100' } });
  try {
    const { code, stderr, r } = await gen(['--port', String(srv.port), '--conns', '4',
      '--msgs', '5', '--timeout', '6']);
    assert.equal(code, 0, stderr);
    assert.equal(r.ready, 4);
    assert.equal(r.messages, 20);
    assert.equal(r.errors, 0, stderr);
    assert.equal((srv.logs().match(/event=turn /g) || []).length, 20, 'one turn per message');
  } finally {
    await srv.stop();
  }
});

test('a wrong answer is an error: echo mode against motcua gets "welcome", not its hello', async () => {
  const srv = await startServer();
  try {
    const { code, r } = await gen(['--mode', 'echo', '--port', String(srv.port), '--conns', '2',
      '--msgs', '1', '--timeout', '3']);
    assert.equal(code, 1);
    assert.equal(r.ready, 0);
    assert.equal(r.err_answer, 2);
  } finally {
    await srv.stop();
  }
});

test('--port2 sends every second connection to a second server (bench-ws: two nodes)', async () => {
  const echo2 = await startEcho();
  let stopped = false;
  try {
    let { code, stderr, r } = await gen(['--mode', 'echo', '--port', String(echo.port),
      '--port2', String(echo2.port), '--conns', '10', '--msgs', '20', '--timeout', '5']);
    assert.equal(code, 0, stderr);
    assert.equal(r.ready, 10);
    assert.equal(r.messages, 200);
    assert.equal(await echo2.stop(), 0);
    stopped = true;
    // the second server gone: exactly its half of the connections fails
    ({ code, r } = await gen(['--mode', 'echo', '--port', String(echo.port),
      '--port2', String(echo2.port), '--conns', '10', '--msgs', '20', '--timeout', '5']));
    assert.notEqual(code, 0);
    assert.equal(r.ready, 5);
    assert.equal(r.messages, 100);
  } finally {
    if (!stopped) await echo2.stop();
  }
});

test('only loopback: another address is refused before any connection', async () => {
  const { code, stderr } = await gen(['--host', '192.0.2.1', '--port', '80']);
  assert.equal(code, 2);
  assert.match(stderr, /only loopback/);
});

test('idle mode holds the connections open and reads the server RSS', async () => {
  const { code, stderr, r } = await gen(['--mode', 'echo', '--port', String(echo.port),
    '--conns', '200', '--idle', '--pid', String(echo.proc.pid), '--settle', '0.2', '--timeout', '5']);
  assert.equal(code, 0, stderr);
  assert.equal(r.open, 200);
  assert.ok(r.rss_before_kb > 0 && r.rss_after_kb > 0);
  assert.ok(Number.isFinite(r.bytes_per_conn));
});
