// tests/e2e/limits.test.js - limits that hold under abuse, and the proxy (issue 17, High 2 and
// 3, Medium 9, the Low HTTP items), against the real server with raw sockets. Loopback has all
// of 127/8, so "another address" is a client bound to 127.0.0.2 or 127.0.0.3.
//  - 200 connections from one address trickling request bodies do not starve a client from
//    another address (answered within 1 s); the trickling ones get 408 JSON after
//    listen.body_timeout_seconds; the per-IP cap counts HTTP connections too.
//  - Behind a trusted proxy (127.0.0.1), 1,000 citizens with distinct X-Forwarded-For each get
//    a WebSocket while listen.max_per_ip is 2; one citizen's third is refused; an untrusted
//    peer's X-Forwarded-For is ignored.
//  - A WebSocket client that sends without reading is closed at listen.max_queued_bytes, and
//    the server's memory stays bounded.
//  - session.messages_per_minute answers rate_limited, politely, in Vietnamese.
//  - A chunked request body is answered 411 JSON at once instead of hanging; a request head that
//    trickles in is closed after listen.header_timeout_seconds.
//  - Behind a trusted proxy the officers' login back-off is per forwarded address; a bad
//    listen.trusted_proxies entry stops the start (exit 2); serve --help lists every limit.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const fs = require('node:fs');
const crypto = require('node:crypto');
const WebSocket = require('ws');
const { startServer, Client, run } = require('./lib/server');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One raw HTTP exchange from localAddress; resolves {status, headers, body, ms} or rejects on
// timeout. Reads until the server closes or the response (with content-length) is complete.
function rawRequest(port, text, { localAddress = '127.0.0.1', timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const s = net.connect({ port, host: '127.0.0.1', localAddress });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`no answer within ${timeoutMs} ms`)); }, timeoutMs);
    const done = () => {
      const str = buf.toString('utf8');
      const i = str.indexOf('\r\n\r\n');
      if (i < 0) return false;
      const head = str.slice(0, i);
      const m = /content-length:\s*(\d+)/i.exec(head);
      const body = str.slice(i + 4);
      if (m && Buffer.byteLength(body) < Number(m[1])) return false;
      clearTimeout(timer);
      s.destroy();
      resolve({ status: Number(head.split(' ')[1]), head, body, ms: Date.now() - t0 });
      return true;
    };
    s.on('data', (d) => { buf = Buffer.concat([buf, d]); done(); });
    s.on('error', () => {});
    s.on('close', () => { if (!done()) { clearTimeout(timer); reject(new Error('closed without an answer: ' + buf.toString())); } });
    s.write(text);
  });
}

async function metrics(port) {
  const r = await rawRequest(port, 'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', { localAddress: '127.0.0.2' });
  return r.body;
}
const metric = (text, name) => {
  const m = new RegExp('^' + name.replace(/[{}"]/g, (c) => '\\' + c) + ' (\\d+)$', 'm').exec(text);
  return m ? Number(m[1]) : NaN;
};

test('200 slow bodies from one address: another address is served within 1 s; 408 JSON after the body timeout', async () => {
  const srv = await startServer({ env: { MOTCUA_LISTEN_BODY_TIMEOUT_SECONDS: '2' } });
  const slow = [];
  const answers = [];
  let drip;
  try {
    for (let i = 0; i < 200; i++) {
      const s = net.connect({ port: srv.port, host: '127.0.0.1', localAddress: '127.0.0.1' });
      s.on('error', () => {});
      let got = '';
      s.on('data', (d) => (got += d));
      s.on('close', () => answers.push(got));
      s.write('POST /api/v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
      slow.push(s);
    }
    drip = setInterval(() => { for (const s of slow) if (!s.destroyed) s.write(' '); }, 300);
    await sleep(500);
    for (let k = 0; k < 3; k++) {
      const r = await rawRequest(srv.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
        { localAddress: '127.0.0.2', timeoutMs: 1000 });
      assert.equal(r.status, 200);
      assert.ok(r.ms < 1000, `answered in ${r.ms} ms`);
    }
    // the trickling bodies are answered 408 (JSON) and closed after 2 s
    const end = Date.now() + 6000;
    while (Date.now() < end && answers.length < 200) await sleep(100);
    assert.equal(answers.length, 200, 'every slow connection was closed');
    const timedOut = answers.filter((a) => /^HTTP\/1\.1 408/.test(a));
    assert.ok(timedOut.length >= 1, 'some were answered 408');
    assert.match(timedOut[0], /\{"error":"body_timeout","message":"[^"]+"\}/);
    // over the per-IP cap (64, counting HTTP connections): a few are told why, the rest closed
    assert.ok(answers.some((a) => /^HTTP\/1\.1 429/.test(a) && /"error":"too_many_connections"/.test(a)));
    const m = await metrics(srv.port);
    assert.ok(metric(m, 'motcua_limit_hits_total{limit="per_ip"}') >= 100, m);
    assert.equal(metric(m, 'motcua_limit_hits_total{limit="body_timeout"}'), timedOut.length);
  } finally {
    clearInterval(drip);
    for (const s of slow) s.destroy();
    await srv.stop();
  }
});

// Opens a WebSocket from localAddress with the given X-Forwarded-For; resolves 'open' or the
// close code when refused.
function wsOpen(port, xff, localAddress = '127.0.0.1') {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { localAddress, headers: xff ? { 'x-forwarded-for': xff } : {} });
    let opened = false;
    ws.on('open', () => { opened = true; setTimeout(() => resolve({ ws, state: ws.readyState === WebSocket.OPEN ? 'open' : 'closed' }), 150); });
    ws.on('close', (code) => { if (!opened) resolve({ ws, state: 'refused', code }); });
    ws.on('error', () => { if (!opened) resolve({ ws, state: 'refused' }); });
  });
}

test('behind a trusted proxy: 1,000 citizens each get a WebSocket while max_per_ip is 2; untrusted X-Forwarded-For is ignored', async () => {
  const srv = await startServer({ env: { MOTCUA_LISTEN_TRUSTED_PROXIES: '127.0.0.1', MOTCUA_LISTEN_MAX_PER_IP: '2' } });
  const all = [];
  try {
    for (let batch = 0; batch < 10; batch++) {
      const rs = await Promise.all(Array.from({ length: 100 }, (_, i) => wsOpen(srv.port, `203.0.113.9, 10.${batch}.${i}.7`)));
      all.push(...rs);
    }
    const open = all.filter((r) => r.state === 'open').length;
    assert.equal(open, 1000, 'every citizen got a WebSocket');
    // the cap still holds per citizen: a third from one forwarded address is refused
    const same = [];
    for (let i = 0; i < 3; i++) same.push(await wsOpen(srv.port, '198.51.100.1'));
    all.push(...same);
    assert.deepEqual(same.map((r) => r.state), ['open', 'open', 'closed']);
    // a peer that is not a proxy: its X-Forwarded-For is its own invention
    const untrusted = [];
    for (let i = 0; i < 3; i++) untrusted.push(await wsOpen(srv.port, `10.99.0.${i}`, '127.0.0.3'));
    all.push(...untrusted);
    assert.equal(untrusted.filter((r) => r.state === 'open').length, 2);
    assert.match(srv.logs(), /event=conn\.reject peer=127\.0\.0\.3 reason=per_ip_limit/);
    assert.match(srv.logs(), /event=conn\.reject peer=198\.51\.100\.1 reason=per_ip_limit via=proxy/);
    const m = await metrics(srv.port);
    assert.ok(metric(m, 'motcua_ws_connections') >= 1004, m);
  } finally {
    for (const r of all) r.ws.terminate();
    await srv.stop();
  }
});

// A WebSocket client frame (text, masked as RFC 6455 requires).
function wsFrame(text) {
  const p = Buffer.from(text);
  const mask = crypto.randomBytes(4);
  let head;
  if (p.length < 126) head = Buffer.from([0x81, 0x80 | p.length]);
  else { head = Buffer.alloc(4); head[0] = 0x81; head[1] = 0x80 | 126; head.writeUInt16BE(p.length, 2); }
  const body = Buffer.alloc(p.length);
  for (let i = 0; i < p.length; i++) body[i] = p[i] ^ mask[i % 4];
  return Buffer.concat([head, mask, body]);
}

const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

test('a client that sends without reading is closed at max_queued_bytes; memory stays bounded', async () => {
  const srv = await startServer({ env: { MOTCUA_LISTEN_MAX_QUEUED_BYTES: '262144', MOTCUA_SESSION_MESSAGES_PER_MINUTE: '0', MOTCUA_LISTEN_MAX_PER_IP: '100' } });
  const socks = [];
  try {
    // a session with a long history, so each welcome is large
    const c = await Client.connect(srv.wsUrl);
    const w = await c.hello();
    for (let i = 0; i < 25; i++) await c.say(i % 2 ? 'làm giấy khai sinh cần gì' : 'đăng ký thường trú ở đâu');
    await c.close();
    const hello = wsFrame(JSON.stringify({ type: 'hello', session: w.session }));
    const rss0 = rssKiB(srv.proc.pid);
    for (let k = 0; k < 10; k++) {
      const s = net.connect({ port: srv.port, host: '127.0.0.1' });
      s.on('error', () => {});
      socks.push(s);
      s.write(`GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      s.pause(); // never read: the kernel buffers fill, then the server's queue
    }
    await sleep(200);
    const many = Buffer.concat(Array.from({ length: 50 }, () => hello));
    const end = Date.now() + 20000;
    let closed = 0;
    while (Date.now() < end) {
      for (const s of socks) if (!s.destroyed && s.writableLength < 1 << 20) s.write(many);
      closed = metric(await metrics(srv.port), 'motcua_limit_hits_total{limit="queued_bytes"}');
      if (closed >= 10) break;
      await sleep(100);
    }
    assert.equal(closed, 10, 'each slow reader was closed');
    assert.match(srv.logs(), /event=ws\.slow_reader /);
    const grew = rssKiB(srv.proc.pid) - rss0;
    assert.ok(grew < 64 * 1024, `server RSS grew ${grew} KiB`);
  } finally {
    for (const s of socks) s.destroy();
    await srv.stop();
  }
});

test('session.messages_per_minute: a burst beyond it is answered rate_limited, politely', async () => {
  const srv = await startServer({ env: { MOTCUA_SESSION_MESSAGES_PER_MINUTE: '5' } });
  try {
    const c = await Client.connect(srv.wsUrl);
    await c.hello();
    for (let i = 0; i < 10; i++) c.send({ type: 'message', text: 'khai sinh', id: `m${i}` });
    const frames = [];
    for (let i = 0; i < 10; i++) frames.push(await c.nextReply());
    const limited = frames.filter((f) => f.type === 'error' && f.code === 'rate_limited');
    assert.equal(limited.length, 5, JSON.stringify(frames.map((f) => f.code || f.type)));
    assert.equal(frames.filter((f) => f.type === 'reply').length, 5);
    assert.equal(limited[0].reply_to, 'm5');
    assert.match(limited[0].message, /Bạn gửi hơi nhanh/);
    const m = await metrics(srv.port);
    assert.equal(metric(m, 'motcua_limit_hits_total{limit="rate"}'), 5);
    await c.close();
  } finally {
    await srv.stop();
  }
});

test('a chunked request body is answered 411 JSON at once', async () => {
  const srv = await startServer();
  try {
    const r = await rawRequest(srv.port, 'POST /api/v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"te"\r\n',
      { timeoutMs: 3000 });
    assert.equal(r.status, 411);
    assert.equal(JSON.parse(r.body).error, 'length_required');
  } finally {
    await srv.stop();
  }
});

// POST /api/v1/officer/login as a proxy would send it; resolves the status.
function login(port, xff, username) {
  const body = JSON.stringify({ username, password: 'sai-mat-khau' });
  return rawRequest(port, `POST /api/v1/officer/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Forwarded-For: ${xff}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    { timeoutMs: 5000 }).then((r) => r.status);
}

test('behind a trusted proxy the officers\' login back-off counts each forwarded address apart', async () => {
  const srv = await startServer({ env: { MOTCUA_LISTEN_TRUSTED_PROXIES: '127.0.0.1' } });
  try {
    let status = 0;
    for (let i = 0; i < 30 && status !== 429; i++) status = await login(srv.port, '198.51.100.7', `khach${i}`);
    assert.equal(status, 429, 'one address guessing many names is held back');
    assert.equal(await login(srv.port, '198.51.100.8', 'khac'), 401, 'another citizen behind the same proxy is not');
    assert.match(srv.logs(), /event=officer\.login_failed user=khach0 peer=198\.51\.100\.7/);
  } finally {
    await srv.stop();
  }
});

test('a connection that never finishes its request head is closed after header_timeout_seconds', async () => {
  const srv = await startServer({ env: { MOTCUA_LISTEN_HEADER_TIMEOUT_SECONDS: '1' } });
  try {
    const s = net.connect({ port: srv.port, host: '127.0.0.1', localAddress: '127.0.0.2' });
    s.on('error', () => {});
    const closed = new Promise((r) => s.on('close', r));
    const t0 = Date.now();
    s.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    const tick = setInterval(() => s.write('a'), 200); // trickling header bytes do not extend it
    await Promise.race([closed, sleep(5000)]);
    clearInterval(tick);
    assert.ok(s.destroyed || s.closed, 'closed');
    assert.ok(Date.now() - t0 < 3000, `closed after ${Date.now() - t0} ms`);
    assert.equal(metric(await metrics(srv.port), 'motcua_limit_hits_total{limit="header_timeout"}'), 1);
  } finally {
    await srv.stop();
  }
});

test('a bad listen.trusted_proxies entry stops the start with exit 2, naming it', async () => {
  await assert.rejects(startServer({ env: { MOTCUA_LISTEN_TRUSTED_PROXIES: '127.0.0.1, nginx-proxy' } }),
    (e) => e.code === 2 && /listen\.trusted_proxies: "nginx-proxy" is not an IPv4\/IPv6 address or CIDR/.test(e.stderr));
});

test('serve --help lists every limit', async () => {
  const r = await run(['serve', '--help']);
  assert.equal(r.code, 0);
  for (const k of ['listen.max_per_ip', 'listen.trusted_proxies', 'listen.header_timeout_seconds',
    'listen.body_timeout_seconds', 'listen.max_queued_bytes', 'session.messages_per_minute']) assert.match(r.stdout, new RegExp(k.replace('.', '\\.')), k);
});
