// tests/e2e/lib/pg.js - a throwaway PostgreSQL cluster of a test's own (issue 18: the cluster
// tests run two nodes on one database): tests/lib/pg.sh (initdb in a temporary folder, the
// server on a Unix socket there, stopped by its PID from a trap) holds the cluster while its
// stdin is open. startPg() resolves once the server answers, with
//   url          the libpq URL of its database (postgresql://motcua@/motcua?host=DIR)
//   host         DIR, the socket's folder (pg_ctl.opts is there too: see tests/lib/pg.sh)
//   proc         pg.sh's process
//   stop()       closes stdin: pg.sh's trap stops the server; SIGTERM after 20 s
//   sql(q)       psql's unaligned, tuples-only answer, trimmed (one value: a string)
//   rows(q)      the answer as rows of fields (split on \x1f, so JSON bodies stay whole)
'use strict';
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..', '..', '..');
const START_MS = 60000; // initdb and the first start on a busy 2-core machine
const STOP_MS = 20000;

function psql(host, args) {
  return execFileSync('psql', ['-h', host, '-U', 'motcua', '-d', 'motcua', ...args], { encoding: 'utf8' });
}

function startPg() {
  return new Promise((resolve, reject) => {
    const proc = spawn('bash', [path.join(ROOT, 'tests/lib/pg.sh'), 'bash', '-c', 'echo "URL $MOTCUA_TEST_PG_URL"; read -r _'],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    const t = setTimeout(() => { proc.kill('SIGTERM'); reject(new Error('PostgreSQL did not start: ' + err)); }, START_MS);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /URL (\S+)/.exec(out);
      if (!m) return;
      clearTimeout(t);
      const url = m[1];
      const host = /[?&]host=([^&]+)/.exec(url)[1];
      resolve({
        url, host, proc,
        stop: () => new Promise((done) => {
          proc.removeAllListeners('exit');
          if (proc.exitCode !== null || proc.signalCode !== null) { done(); return; }
          proc.on('exit', done);
          proc.stdin.end('\n'); // `read` returns, pg.sh's trap stops the server by PID
          setTimeout(() => proc.kill('SIGTERM'), STOP_MS).unref();
        }),
        sql: (q) => psql(host, ['-Atc', q]).trim(),
        rows: (q) => psql(host, ['-AtF', '\x1f', '-c', q])
          .split('\n').filter((l) => l !== '').map((l) => l.split('\x1f')),
      });
    });
    proc.stderr.on('data', (d) => (err += d));
    proc.on('exit', (code) => { clearTimeout(t); reject(new Error(`pg.sh exited ${code}: ${err}`)); });
  });
}

module.exports = { startPg };
