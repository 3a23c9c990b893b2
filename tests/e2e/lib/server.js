// tests/e2e/lib/server.js - starts the real `motcua serve` on an ephemeral
// 127.0.0.1 port with temporary databases, and small clients for it.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const WebSocket = require('ws');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = process.env.MOTCUA_BIN || path.join(ROOT, 'build', 'motcua');
const DB = process.env.MOTCUA_DB || path.join(ROOT, 'build', 'motcua.db');
const START_TIMEOUT_MS = 10000;

function tempDir(prefix = 'motcua-') {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// Starts a server; resolves {port, url, proc, dir, logs(), stop(signal)}.
// opts.env adds MOTCUA_* settings; opts.dir reuses a state folder (restart).
function startServer(opts = {}) {
  const dir = opts.dir || tempDir();
  const env = {
    PATH: process.env.PATH,
    MOTCUA_LISTEN_HOST: '127.0.0.1',
    MOTCUA_LISTEN_PORT: '0',
    MOTCUA_DATA_KNOWLEDGE_DB: DB,
    MOTCUA_DATA_STATE_DB: path.join(dir, 'state.db'),
    MOTCUA_DATA_WEB_ROOT: path.join(ROOT, 'channels', 'web'),
    ...(opts.env || {}),
  };
  const proc = spawn(BIN, ['serve', ...(opts.args || [])], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
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
        resolve({
          port, dir, proc, exited,
          url: `http://127.0.0.1:${port}`,
          wsUrl: `ws://127.0.0.1:${port}/ws`,
          logs: () => stderr,
          async stop(signal = 'SIGTERM') {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
            const killer = setTimeout(() => proc.kill('SIGKILL'), 8000);
            const r = await exited;
            clearTimeout(killer);
            return r;
          },
        });
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

// Runs the binary to completion; resolves {code, stdout, stderr}.
function run(args, opts = {}) {
  return new Promise((resolve) => {
    const p = spawn(BIN, args, { env: { PATH: process.env.PATH, ...(opts.env || {}) } });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    if (opts.input !== undefined) p.stdin.end(opts.input); else p.stdin.end();
    const killer = setTimeout(() => p.kill('SIGKILL'), opts.timeout || 20000);
    p.on('exit', (code) => { clearTimeout(killer); resolve({ code, stdout, stderr }); });
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
  next(timeoutMs = 5000) {
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

module.exports = { startServer, run, Client, tempDir, ROOT, BIN, DB };
