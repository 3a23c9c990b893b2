// tests/e2e/deploy.test.js - what a commune's IT person meets first (issue 19):
// the server started from another folder finds its pages beside the binary,
// says where it serves them from, fails readiness when they are missing, and
// its /metrics passes `promtool check metrics` (Debian's prometheus package,
// installed by `make test-deps`), with follow-ups answered from the
// conversation counted as decision="context", not "none".
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, Client, ROOT, BIN, DB, tempDir, assertNoSanitizerReport } = require('./lib/server');

test('started from /tmp with the relative default web root: the pages are served', async () => {
  // data.web_root "channels/web" is the default; /tmp has no channels/web
  const srv = await startServer({ cwd: os.tmpdir(), env: { MOTCUA_DATA_WEB_ROOT: 'channels/web' } });
  try {
    for (const p of ['/', '/widget.js', '/widget-net.js', '/widget-render.js', '/widget-conv.js', '/kiosk']) {
      const r = await fetch(srv.url + p);
      assert.equal(r.status, 200, `GET ${p} from cwd ${os.tmpdir()}`);
      await r.arrayBuffer();
    }
    const r = await fetch(srv.url + '/readyz');
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'ready' });
    const web = path.join(ROOT, 'channels', 'web');
    // the log says where the pages come from, as one key=value line
    assert.match(srv.logs(), new RegExp(`event=paths\\.resolved key=data\\.web_root path=${web} from=repo`));
    assert.match(srv.logs(), new RegExp(`level=info event=server\\.ready url=http://127\\.0\\.0\\.1:${srv.port} web_root=${web}\\n`));
  } finally {
    await srv.stop();
  }
});

test('a missing web root: /readyz 503 naming it, and a warning at start', async () => {
  const srv = await startServer({ cwd: os.tmpdir(), env: { MOTCUA_DATA_WEB_ROOT: 'no-such-web-root' } });
  try {
    const r = await fetch(srv.url + '/readyz');
    assert.equal(r.status, 503);
    const j = await r.json();
    assert.equal(j.error, 'web_root_missing');
    assert.match(j.message, /data\.web_root/);
    assert.equal((await fetch(srv.url + '/healthz')).status, 200, 'alive, not ready');
    assert.match(srv.logs(), /level=warn event=paths\.missing key=data\.web_root path=no-such-web-root/);
    assert.match(srv.logs(), /level=warn event=server\.ready url=\S+ web_root=no-such-web-root pages=missing readyz=503/);
  } finally {
    await srv.stop();
  }
});

function metric(body, series) {
  const line = body.split('\n').find((l) => l.startsWith(series + ' '));
  assert.ok(line, `${series} in /metrics`);
  return Number(line.slice(series.length + 1));
}

test('/metrics passes promtool check metrics; a follow-up from context is not "none"', async () => {
  const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  assert.ok(!promtool.error, 'promtool is not installed: `make test-deps` installs Debian\'s prometheus package');
  const srv = await startServer();
  try {
    // understanding alone says "none" for a follow-up such as "mất bao lâu"; the conversation
    // answers it from the procedure in context. Which phrasing understanding places out of
    // scope changes as it is tuned: the first of these that it does is the one checked.
    const tally = { match: 0, clarify: 0, none: 0 };
    let followed = null;
    for (const q of ['mất bao lâu', 'bao lâu thì xong', 'thế còn gì nữa', 'lệ phí thế nào']) {
      const c = await Client.connect(srv.wsUrl);
      await c.hello();
      const first = await c.say('đăng ký khai sinh');
      assert.equal(first.procedure, 'khai-sinh');
      const next = await c.say(q);
      await c.close();
      for (const r of [first, next]) tally[r.understanding.decision]++;
      if (next.understanding.decision === 'none') {
        assert.equal(next.procedure, 'khai-sinh', `"${q}" stays with the procedure in context`);
        followed = q;
        break;
      }
    }
    assert.ok(followed, 'no follow-up that understanding alone places out of scope');
    const c = await Client.connect(srv.wsUrl);
    await c.hello();
    const lost = await c.say('xyzzy qwerty plugh'); // not understood at all: "none"
    assert.equal(lost.understanding.decision, 'none');
    tally.none++;
    await c.close();

    const body = await (await fetch(srv.url + '/metrics')).text();
    const check = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    assert.equal(check.status, 0, `promtool check metrics:\n${check.stdout}${check.stderr}`);
    const got = (d) => metric(body, `motcua_understanding_total{decision="${d}"}`);
    assert.equal(got('match'), tally.match);
    assert.equal(got('clarify'), tally.clarify);
    assert.equal(got('context'), 1, `"${followed}" answered from context is counted as context`);
    assert.equal(got('none'), tally.none - 1, 'only what was not understood is none');
    assert.match(body, /^# TYPE motcua_understanding_seconds summary$/m);
    assert.equal(metric(body, 'motcua_understanding_seconds_count'), tally.match + tally.clarify + tally.none);
  } finally {
    await srv.stop();
  }
});

// `make run` in a terminal: the URL to open on stdout (util-linux `script` gives the
// server a terminal), the logs on stderr unchanged.
test('in a terminal the server prints the address to open when ready', async () => {
  const dir = tempDir();
  const env = {
    PATH: process.env.PATH, MOTCUA_LISTEN_HOST: '127.0.0.1', MOTCUA_LISTEN_PORT: '0',
    MOTCUA_LISTEN_WORKERS: '1', MOTCUA_DATA_KNOWLEDGE_DB: DB, MOTCUA_DATA_STATE_DB: path.join(dir, 'state.db'),
  };
  for (const k of ['ASAN_OPTIONS', 'LSAN_OPTIONS', 'UBSAN_OPTIONS']) if (process.env[k]) env[k] = process.env[k];
  // stderr to a file: what reaches the terminal is stdout alone
  const errFile = path.join(dir, 'stderr.log');
  const tty = spawn('script', ['-qec', `exec '${BIN}' serve 2>'${errFile}'`, '/dev/null'],
    { env, cwd: os.tmpdir(), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise((resolve) => tty.on('exit', resolve));
  tty.stdout.on('data', (d) => (out += d));
  // the server's own pid, from its log: killing `script` would leave it running (a closed
  // terminal is a SIGHUP, which the server reads as "reload")
  const serverPid = () => {
    const m = fs.existsSync(errFile) && /event=server\.listen \S+ port=\d+ pid=(\d+)/.exec(fs.readFileSync(errFile, 'utf8'));
    return m ? Number(m[1]) : null;
  };
  try {
    const deadline = Date.now() + 10000;
    while (!/motcua: open http:\/\/127\.0\.0\.1:\d+\r?\n/.test(out) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const m = /motcua: open (http:\/\/127\.0\.0\.1:(\d+))\r?\n/.exec(out);
    assert.ok(m, `no "motcua: open" line on the terminal:\n${out}`);
    assert.doesNotMatch(out, /event=/, 'the logs stay on stderr');
    const r = await fetch(m[1] + '/');
    assert.equal(r.status, 200, 'what it says to open is served');
    await r.arrayBuffer();
    const log = fs.readFileSync(errFile, 'utf8');
    assert.match(log, new RegExp(`event=server\\.ready url=${m[1]} web_root=`));
    process.kill(serverPid(), 'SIGTERM');
    assert.equal(await exited, 0, 'the server stopped cleanly on SIGTERM');
    assertNoSanitizerReport(fs.readFileSync(errFile, 'utf8'), 'motcua serve in a terminal');
  } finally {
    if (tty.exitCode === null) {
      const pid = serverPid();
      if (pid) process.kill(pid, 'SIGKILL');
      tty.kill('SIGKILL');
    }
  }
});

// `make run` installs what serving needs and nothing of the tests' (issue 19: ~600 MB of
// chromium, valgrind, clang-format... just to try the server).
test('make deps is what running needs; the test tools are make test-deps', () => {
  const pkgs = (target) => {
    const r = spawnSync('make', ['-s', '-n', target], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const m = /for p in ([^;]*); do/.exec(r.stdout);
    assert.ok(m, `make -n ${target}: no package list in\n${r.stdout}`);
    return m[1].trim().split(/\s+/);
  };
  const run = pkgs('deps'), tests = pkgs('test-deps');
  for (const p of ['libwebsockets-dev', 'libpcre2-dev', 'libsqlite3-dev', 'libjansson-dev', 'libicu-dev',
    'libssl-dev', 'libqrencode-dev', 'libxlsxwriter-dev', 'sqlite3'])
    assert.ok(run.includes(p), `make deps installs ${p}`);
  for (const p of ['chromium', 'valgrind', 'clang-format', 'libcmocka-dev', 'prometheus', 'python3-yaml']) {
    assert.ok(!run.includes(p), `make deps must not install ${p}`);
    assert.ok(tests.includes(p), `make test-deps installs ${p}`);
  }
  const mk = fs.readFileSync(path.join(ROOT, 'Makefile'), 'utf8');
  const prereq = (t) => mk.match(new RegExp(`^${t}:(.*)$`, 'm'))[1].trim().split(/\s+/);
  assert.ok(prereq('run').includes('deps') && !prereq('run').includes('test-deps'), 'run: deps only');
  assert.ok(prereq('test').includes('deps') && prereq('test').includes('test-deps'), 'test: both');
});
