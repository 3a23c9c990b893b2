// tests/e2e/lib/fake_platform.js - a local stand-in for the Facebook Graph
// API or the Zalo OA API on 127.0.0.1: records every request, answers from a
// script of responses (then a default). The answers it is given should be
// what the platforms document (docs/channels.md, "Sources"): Graph errors are
// HTTP 4xx/5xx with {"error":{"code":n,...}} (graphError), Zalo errors are
// HTTP 200 with {"error":n,"message":...} (zaloError), Zalo's refresh token is
// single-use (startZaloOAuth), and a follow event has follower.id and no
// sender (zaloFollow). A fake the test did not close (a
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
      const rec = { method: req.method, url: req.url, headers: req.headers, body, at: Date.now() };
      try { rec.json = JSON.parse(body); } catch (_) { rec.json = null; }
      const r = fake.script.length ? fake.script.shift()
        : fake.answer ? fake.answer(rec) : fake.defaultResponse;
      rec.answered = r.status;
      fake.requests.push(rec);
      const text = typeof r.body === 'string' ? r.body : JSON.stringify(r.body || {});
      // a slow platform: r.delayMs holds the answer (the request is recorded at once; its
      // sender may be gone by the time the answer is written: rec.answeredAt stays unset, and
      // rec.closedAt says when the sender closed)
      const answer = () => {
        if (res.destroyed || res.socket === null) return;
        rec.answeredAt = Date.now();
        res.writeHead(r.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      res.on('close', () => { if (rec.answeredAt === undefined) rec.closedAt = Date.now(); }); // the sender gave up
      if (r.delayMs) setTimeout(answer, r.delayMs).unref(); else answer();
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

// A Graph API error as Meta documents it: HTTP status (400 for most codes)
// and a JSON body with error.code.
function graphError(code, status = 400, message = 'error') {
  return { status, body: { error: { message: `(#${code}) ${message}`, type: 'OAuthException', code, fbtrace_id: 'AbCdEf' } } };
}
// A Zalo OA API error: HTTP 200, the code in "error".
function zaloError(code, message = 'error') {
  return { status: 200, body: { error: code, message } };
}
// Zalo's OAuth endpoint: a refresh token works once; each use returns a new
// pair ({access_token, refresh_token, expires_in: "90000"} by default), a
// spent or unknown one gets {"error": -14014 ...} (HTTP 200, like the API).
async function startZaloOAuth(firstRefresh, expiresIn = '90000') {
  const fake = await startFake();
  const valid = new Set([firstRefresh]);
  let n = 1;
  fake.issued = [];
  fake.defaultResponse = null;
  const answer = (req) => {
    const rt = new URLSearchParams(req.body).get('refresh_token');
    if (!valid.has(rt)) return { status: 200, body: { error: -14014, error_name: 'Invalid parameter', error_description: 'Invalid refresh token' } };
    valid.delete(rt);
    n++;
    const pair = { access_token: 'zalo-token-' + n, refresh_token: 'refresh-' + n, expires_in: fake.expiresIn };
    valid.add(pair.refresh_token);
    fake.issued.push(pair);
    return { status: 200, body: pair };
  };
  fake.expiresIn = expiresIn;
  fake.answer = answer;
  return fake;
}
// Zalo's follow event: the citizen is follower.id; there is no sender.
function zaloFollow(appId, user) {
  return { app_id: appId, oa_id: '579745863508352884', event_name: 'follow', source: 'oa_profile',
    timestamp: String(Date.now()), follower: { id: user }, user_id_by_app: 'app-' + user };
}

module.exports = { startFake, graphError, zaloError, startZaloOAuth, zaloFollow };
