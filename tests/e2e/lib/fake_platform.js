// tests/e2e/lib/fake_platform.js - a local stand-in for the Facebook Graph
// API or the Zalo OA API on 127.0.0.1: records every request, answers from a
// script of responses (then a default). A fake the test did not close (a
// failed assertion skipped its close()) is closed after the file's tests, so
// the test process can end instead of hanging on a listening socket.
'use strict';
const http = require('node:http');
const { after } = require('node:test');

const open = new Set(); // fakes not closed yet
after(() => Promise.all([...open].map((f) => f.close())));

async function startFake(defaultResponse = { status: 200, body: { ok: true } }) {
  const fake = {
    requests: [],
    script: [],          // responses used first, in order
    defaultResponse,
    waiters: [],
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const rec = { method: req.method, url: req.url, headers: req.headers, body };
      try { rec.json = JSON.parse(body); } catch (_) { rec.json = null; }
      const r = fake.script.length ? fake.script.shift() : fake.defaultResponse;
      rec.answered = r.status;
      fake.requests.push(rec);
      const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body || {});
      res.writeHead(r.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      fake.waiters = fake.waiters.filter((w) => !w());
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.port = server.address().port;
  fake.url = `http://127.0.0.1:${fake.port}`;
  fake.close = () => new Promise((resolve) => {
    open.delete(fake);
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
  open.add(fake);
  // Resolves when pred(requests) holds, rejects after timeoutMs.
  fake.until = (pred, timeoutMs = 10000) => new Promise((resolve, reject) => {
    const check = () => { if (pred(fake.requests)) { clearTimeout(t); resolve(fake.requests); return true; } return false; };
    const t = setTimeout(() => { fake.waiters = fake.waiters.filter((w) => w !== check); reject(new Error(`fake: condition not met in ${timeoutMs} ms; got ${fake.requests.length} requests`)); }, timeoutMs);
    if (!check()) fake.waiters.push(check);
  });
  return fake;
}

module.exports = { startFake };
