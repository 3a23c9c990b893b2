// tests/e2e/bench_smoke.test.js - the WebSocket benchmark's tools still work (make bench-ws):
// the C load generator against the C echo server and against `motcua serve`, its checks of the
// answers, its loopback-only rule and its idle mode; the latency relay of bench-ws-latency. A smoke test, not a benchmark: no figure is
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
const EXTRA = { ws_loadgen: ['ws_loadgen_conn', 'ws_text'] };
const ALONE = new Set(['lat_relay']); // no WebSocket: bench/NAME.c only
function tool(name) {
  const units = ALONE.has(name) ? [name] : [name, 'ws_proto', ...(EXTRA[name] || [])];
  const srcs = units.map((u) => path.join(ROOT, 'bench', `${u}.c`));
  const headers = units.slice(1).map((u) => path.join(ROOT, 'bench', `${u}.h`));
  const built = path.join(BUILD_DIR, 'bench-ws', name);
  const newest = Math.max(...[...srcs, ...headers].map((f) => fs.statSync(f).mtimeMs));
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= newest) return built;
  tmp = tmp || fs.mkdtempSync(path.join(os.tmpdir(), 'motcua-bench-smoke-'));
  const out = path.join(tmp, name);
  execFileSync('cc', [...WARN, '-o', out, ...srcs, ...(ALONE.has(name) ? [] : ['-lcrypto'])], { stdio: ['ignore', 'ignore', 'pipe'] });
  return out;
}
const GEN = tool('ws_loadgen');
const ECHO = tool('ws_echo');
const RELAY = tool('lat_relay');

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

test('the latency relay forwards bytes both ways, in order, each way delayed', async () => {
  const net = require('node:net');
  const DELAY_MS = 40;
  const target = net.createServer((s) => s.pipe(s)); // a TCP echo: what the relay stands before
  await new Promise((r) => target.listen(0, '127.0.0.1', r));
  const relay = spawn(RELAY, ['--port', '0', '--to', String(target.address().port),
    '--delay-us', String(DELAY_MS * 1000)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  relay.stdout.on('data', (d) => (out += d));
  const exited = new Promise((res) => relay.on('exit', (code) => res(code)));
  let sock = null;
  try {
    const port = await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('lat_relay did not start')), 3000);
      relay.stdout.on('data', () => {
        const m = /port=(\d+)/.exec(out);
        if (m) { clearTimeout(t); resolve(Number(m[1])); }
      });
    });
    sock = net.connect(port, '127.0.0.1');
    await new Promise((r, j) => { sock.once('connect', r); sock.once('error', j); });
    let got = Buffer.alloc(0);
    sock.on('data', (d) => (got = Buffer.concat([got, d])));
    const until = (n) => new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`relay: ${got.length} of ${n} bytes`)), 1500);
      const check = () => { if (got.length >= n) { clearTimeout(t); sock.off('data', check); resolve(); } };
      sock.on('data', check);
      check();
    });
    // a small message: there and back, each way delayed
    const t0 = process.hrtime.bigint();
    sock.write('ping');
    await until(4);
    const rttMs = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.equal(got.toString(), 'ping');
    assert.ok(rttMs >= 2 * DELAY_MS - 1, `round trip ${rttMs} ms, below 2 x ${DELAY_MS} ms`);
    assert.ok(rttMs < 2 * DELAY_MS + 400, `round trip ${rttMs} ms`);
    // more than the relay's 256 KiB queue a way: it pushes back, and loses or reorders nothing
    const big = Buffer.alloc(600 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 10)) & 0xff;
    sock.write(big);
    await until(4 + big.length);
    assert.ok(got.subarray(4).equals(big), 'the bytes came back in order');
    // the client's end travels through: the echo ends too, and the relay closes the pair
    const ended = new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the end did not come back through the relay')), 1500);
      sock.once('end', () => { clearTimeout(t); resolve(); });
    });
    sock.end();
    await ended;
  } finally {
    sock?.destroy();
    relay.kill('SIGTERM');
    assert.equal(await exited, 0, 'lat_relay exits 0 on SIGTERM');
    target.close();
  }
  assert.match(out, /relay conns=1 bytes_up=614404 bytes_down=614404/);
});

test('bench-ws-latency refuses a bad setting with exit 2, naming it, before it starts anything', () => {
  const script = path.join(ROOT, 'bench', 'bench_latency.sh');
  const cases = [['RTT_MS', 'abc'], ['WEBHOOK_RTT_MS', '5000'], ['NODES', '3'], ['HANDOFF', 'on'],
    ['CONNS', '0'], ['DURATION', '2s'], ['ROUNDS', '-1'], ['WORKERS', '0'], ['WEBHOOK_RATE', 'x']];
  for (const [key, value] of cases) {
    const env = { ...process.env, [key]: value };
    delete env.LAT_PG_PORT;
    let code = 0;
    let stderr = '';
    try {
      execFileSync('bash', [script], { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 10000 });
    } catch (e) {
      code = e.status;
      stderr = String(e.stderr);
    }
    assert.equal(code, 2, `${key}=${value}: exit ${code}, stderr ${stderr}`);
    assert.match(stderr, new RegExp(`${key}`), `${key}=${value}`);
  }
});
