// tests/e2e/gateway.test.js - the real server over real HTTP and WebSocket:
// health, metrics, static files, protocol v1, hostile frames, shutdown and
// configuration errors (issue 2).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startServer, run, Client, tempDir, stateRows, PG } = require('./lib/server');

let srv;
before(async () => { srv = await startServer(); });
after(async () => { if (srv) await srv.stop(); });

async function still_answers() {
  const r = await fetch(srv.url + '/healthz');
  assert.equal(r.status, 200);
}

test('health, readiness and metrics', async () => {
  let r = await fetch(srv.url + '/healthz');
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { status: 'ok' });
  r = await fetch(srv.url + '/readyz');
  assert.equal(r.status, 200);
  r = await fetch(srv.url + '/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain/);
  const body = await r.text();
  assert.match(body, /^motcua_ws_connections \d+$/m);
  assert.match(body, /^motcua_messages_in_total\{channel="web"\} \d+$/m);
  assert.match(body, /^motcua_errors_total\{reason="bad_frame"\} \d+$/m);
});

// motcua_turn_seconds: one observation per turn, cumulative buckets ending
// in +Inf = _count, and a _sum of the server time.
function turnHistogram(body) {
  const buckets = [...body.matchAll(/^motcua_turn_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)]
    .map((m) => ({ le: m[1], n: Number(m[2]) }));
  const count = body.match(/^motcua_turn_seconds_count (\d+)$/m);
  const sum = body.match(/^motcua_turn_seconds_sum ([0-9.]+)$/m);
  assert.match(body, /^# TYPE motcua_turn_seconds histogram$/m);
  assert.ok(count && sum, 'histogram _count and _sum');
  return { buckets, count: Number(count[1]), sum: Number(sum[1]) };
}

test('metrics: turn-latency histogram counts every turn', async () => {
  const s = await startServer();
  try {
    const before = turnHistogram(await (await fetch(s.url + '/metrics')).text());
    assert.equal(before.count, 0);
    const c = await Client.connect(s.wsUrl);
    await c.hello();
    for (const t of ['đăng ký khai sinh cần gì', 'lệ phí bao nhiêu', 'cảm ơn'])
      assert.equal((await c.say(t)).type, 'reply');
    await c.close();
    const body = await (await fetch(s.url + '/metrics')).text();
    const h = turnHistogram(body);
    assert.equal(h.count, 3);
    // motcua_state_seconds: the store's share of those turns, and the group commits
    const st = (name, op) => Number(body.match(new RegExp(`^motcua_state_seconds_${name}\\{op="${op}"\\} ([0-9.]+)$`, 'm'))[1]);
    assert.match(body, /^# TYPE motcua_state_seconds summary$/m);
    assert.equal(st('count', 'turn'), 3);
    assert.ok(st('sum', 'turn') > 0 && st('sum', 'turn') < h.sum, `state ${st('sum', 'turn')} of ${h.sum} s`);
    assert.ok(st('count', 'commit') >= 1 && st('sum', 'commit') > 0, 'each turn was committed');
    assert.ok(h.sum > 0 && h.sum < 3, `sum ${h.sum}`);
    assert.ok(h.buckets.length >= 2);
    assert.equal(h.buckets[h.buckets.length - 1].le, '+Inf');
    assert.equal(h.buckets[h.buckets.length - 1].n, h.count);
    for (let i = 1; i < h.buckets.length; i++) {
      assert.ok(Number(h.buckets[i].le) > Number(h.buckets[i - 1].le) || h.buckets[i].le === '+Inf');
      assert.ok(h.buckets[i].n >= h.buckets[i - 1].n, 'cumulative buckets');
    }
    assert.equal(h.buckets.find((b) => b.le === '1').n, 3); // a turn here takes far less than 1 s
  } finally {
    await s.stop();
  }
});

test('static widget files and JSON errors for unknown paths', async () => {
  let r = await fetch(srv.url + '/');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /text\/html/);
  r = await fetch(srv.url + '/widget.js');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /javascript/);
  for (const p of ['/nope.html', '/../etc/passwd', '/%2e%2e/etc/passwd', '/.git/config']) {
    r = await fetch(srv.url + p);
    assert.equal(r.status, 404, p);
    assert.equal((await r.json()).error, 'not_found', p);
  }
  r = await fetch(srv.url + '/api/v1/nothing');
  assert.equal(r.status, 404);
  r = await fetch(srv.url + '/healthz', { method: 'POST', body: '{}' });
  assert.equal(r.status, 405);
  r = await fetch(srv.url + '/healthz', { method: 'DELETE' });
  assert.equal(r.status, 405);
});

test('procedures API: list, one guide, unknown id', async () => {
  let r = await fetch(srv.url + '/api/v1/procedures');
  assert.equal(r.status, 200);
  const list = await r.json();
  assert.ok(list.length >= 2);
  assert.ok(list.every((p) => p.id && p.name && p.domain));
  r = await fetch(srv.url + '/api/v1/procedures/khai-sinh');
  assert.equal(r.status, 200);
  const g = await r.json();
  for (const k of ['id', 'name', 'domain', 'agency', 'where', 'steps', 'documents', 'processing_time',
    'fee', 'result', 'legal_basis', 'portal_codes', 'return_reasons', 'faq', 'reviewed', 'verify'])
    assert.ok(k in g, 'missing ' + k);
  assert.equal(g.steps[0].n, 1);
  r = await fetch(srv.url + '/api/v1/procedures/khong-co');
  assert.equal(r.status, 404);
  assert.equal((await r.json()).error, 'unknown_procedure');
  r = await fetch(srv.url + '/api/v1/procedures/..%2f..%2fetc');
  assert.equal(r.status, 404);
});

test('POST /api/v1/ask: answer shape and bad bodies', async () => {
  let r = await fetch(srv.url + '/api/v1/ask', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'đăng ký khai sinh cho con cần giấy tờ gì' }) });
  assert.equal(r.status, 200);
  const a = await r.json();
  assert.equal(a.label, 'khai-sinh');
  assert.ok(a.confidence > 0 && a.confidence <= 1);
  assert.ok(Array.isArray(a.candidates) && a.candidates.length <= 3);
  assert.equal(typeof a.normalized, 'string');
  for (const [body, status] of [['not json', 400], ['[1,2]', 400], ['{"text": 5}', 400], ['{}', 400],
    [JSON.stringify({ text: 'a'.repeat(3000) }), 413], [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 400],
    ['x'.repeat(100 * 1024), 413]]) {
    r = await fetch(srv.url + '/api/v1/ask', { method: 'POST', body });
    assert.equal(r.status, status, String(body).slice(0, 30));
    assert.ok((await r.json()).error);
  }
  await still_answers();
});

test('WebSocket: hello, welcome, message, exactly one reply', async () => {
  const c = await Client.connect(srv.wsUrl);
  const w = await c.hello();
  assert.equal(w.type, 'welcome');
  assert.match(w.session, /^[0-9a-f]{32}$/);
  assert.deepEqual(w.history, []);
  const r = await c.say('cho em hỏi làm giấy khai sinh cho bé thế nào', 'm1');
  assert.equal(r.type, 'reply');
  assert.equal(r.reply_to, 'm1');
  assert.ok(r.messages.length >= 1 && typeof r.messages[0].text === 'string');
  assert.equal(r.understanding.label, 'khai-sinh');
  assert.equal(r.procedure, 'khai-sinh');
  assert.ok(Array.isArray(r.quick_replies));
  for (const q of r.quick_replies) assert.ok([...q.title].length <= 20, q.title);
  await assert.rejects(c.next(300)); // nothing more than one reply
  await c.close();
});

test('WebSocket: session token is reused across reconnects with history', async () => {
  let c = await Client.connect(srv.wsUrl);
  const w = await c.hello();
  await c.say('đăng ký tạm trú cần gì');
  await c.close();
  c = await Client.connect(srv.wsUrl);
  const w2 = await c.hello(w.session);
  assert.equal(w2.session, w.session);
  assert.equal(w2.resumed, true);
  assert.equal(w2.history.length, 2);
  assert.equal(w2.history[0].role, 'user');
  assert.equal(w2.history[1].role, 'bot');
  // a resent message id gets the same answer, not a second turn
  const r1 = await c.say('làm căn cước', 'dup-1');
  const r2 = await c.say('làm căn cước', 'dup-1');
  assert.deepEqual(r2.messages, r1.messages);
  await c.close();
  c = await Client.connect(srv.wsUrl);
  const w3 = await c.hello(w.session);
  assert.equal(w3.history.length, 4);
  // unknown or malformed tokens start a new session instead of failing
  const c2 = await Client.connect(srv.wsUrl);
  const w4 = await c2.hello('0'.repeat(32));
  assert.notEqual(w4.session, '0'.repeat(32));
  await c.close();
  await c2.close();
});

// On PostgreSQL a resumed hello's reads are not waited for: the connection is parked until they
// arrive (docs/scaling.md "Reads off the loop"). Frames sent meanwhile are kept and handled in
// their order after the welcome (a second hello among them parks again); a connection closed
// while parked frees everything. SQLite reads waiting: the same frames in the same order.
test('WebSocket: frames right after a resumed hello come after its welcome, in order; a close while parked', async () => {
  let c = await Client.connect(srv.wsUrl);
  const w = await c.hello();
  await c.say('đăng ký tạm trú cần gì');
  await c.close();
  c = await Client.connect(srv.wsUrl);
  c.send({ type: 'hello', session: w.session, channel: 'web' });
  c.send({ type: 'message', text: 'làm căn cước', id: 'park-1' });
  c.send('{not json');
  c.ws.send(Buffer.from('nhị phân'), { binary: true }); // refused before it is parsed...
  c.ws.send('x'.repeat(17 * 1024)); // ...as is one over 16 KiB: both answered in their place
  c.send({ type: 'hello', session: w.session, channel: 'web' });
  c.send({ type: 'message', text: 'đăng ký kết hôn', id: 'park-2' });
  const got = [];
  for (let i = 0; i < 7; i++) got.push(await c.nextReply());
  assert.deepEqual(got.map((f) => [f.type, f.reply_to || f.code || null]),
    [['welcome', null], ['reply', 'park-1'], ['error', 'bad_json'], ['error', 'bad_json'],
      ['error', 'too_large'], ['welcome', null], ['reply', 'park-2']]);
  assert.equal(got[0].session, w.session);
  assert.equal(got[0].resumed, true);
  assert.equal(got[0].history.length, 2);
  assert.equal(got[5].history.length, 4); // the second hello sees the first message's turn
  await c.close();
  // closed while its hello's reads are out, again and again: nothing leaks or crashes, the
  // session is still resumed by the next connection
  const logs0 = srv.logs().length;
  for (let i = 0; i < 10; i++) {
    const d = await Client.connect(srv.wsUrl);
    d.send({ type: 'hello', session: w.session, channel: 'web' });
    d.ws.terminate();
  }
  c = await Client.connect(srv.wsUrl);
  const back = await c.hello(w.session);
  assert.equal(back.session, w.session);
  assert.equal(back.history.length, 6);
  await c.close();
  await still_answers();
  const cancelled = (srv.logs().slice(logs0).match(/event=ws\.hello_cancelled/g) || []).length;
  if (PG) assert.ok(cancelled >= 1, `closed while parked: ${cancelled} of 10`);
  else assert.equal(cancelled, 0); // SQLite never parks
});

test('WebSocket: malformed frames get error frames and the connection survives', async () => {
  const c = await Client.connect(srv.wsUrl);
  let f = await c.tap('x').catch(() => null);
  assert.equal(f.type, 'error');
  assert.equal(f.code, 'hello_required');
  await c.hello();
  const cases = [
    ['not json at all', 'bad_json'],
    ['[1,2,3]', 'bad_json'],
    [JSON.stringify({ type: 'dance' }), 'bad_type'],
    [JSON.stringify({ text: 'no type' }), 'missing_field'],
    [JSON.stringify({ type: 'message' }), 'missing_field'],
    [JSON.stringify({ type: 'message', text: 42 }), 'bad_field'],
    [JSON.stringify({ type: 'message', text: '   ' }), 'empty'],
    [JSON.stringify({ type: 'message', text: 'a'.repeat(2049) }), 'too_long'],
  ];
  for (const [frame, code] of cases) {
    c.send(frame);
    f = await c.nextReply();
    assert.equal(f.type, 'error', frame.slice(0, 30));
    assert.equal(f.code, code, frame.slice(0, 30));
    assert.ok(f.message);
  }
  c.sendRaw(Buffer.concat([Buffer.from('{"type":"message","text":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]));
  f = await c.nextReply();
  assert.equal(f.code, 'invalid_utf8');
  c.send(JSON.stringify({ type: 'message', text: 'x'.repeat(1024 * 1024) }));
  f = await c.nextReply(10000);
  assert.equal(f.code, 'too_large');
  // after all of that, the same connection still answers
  const r = await c.say('thủ tục đăng ký kết hôn');
  assert.equal(r.type, 'reply');
  await c.close();
  await still_answers();
});

test('WebSocket only on /ws', async () => {
  const c = new Client(srv.url.replace('http', 'ws') + '/other');
  await assert.rejects(c.opened);
});

test('per-address connection cap', async () => {
  const s = await startServer({ env: { MOTCUA_LISTEN_MAX_PER_IP: '2' } });
  try {
    const a = await Client.connect(s.wsUrl);
    const b = await Client.connect(s.wsUrl);
    const c = new Client(s.wsUrl);
    const closed = await Promise.race([c.closed, c.opened.then(() => c.closed)]);
    assert.equal(closed.code, 1008);
    await a.close();
    const d = await Client.connect(s.wsUrl); // a slot was freed
    await d.hello();
    await b.close();
    await d.close();
  } finally {
    await s.stop();
  }
});

test('SIGTERM: WebSockets closed with 1001, exit 0 within 5 s', async () => {
  const s = await startServer();
  const c = await Client.connect(s.wsUrl);
  await c.hello();
  const t0 = Date.now();
  s.proc.kill('SIGTERM');
  const closed = await c.closed;
  assert.equal(closed.code, 1001);
  const { code } = await s.exited;
  assert.equal(code, 0);
  assert.ok(Date.now() - t0 < 5000, 'took ' + (Date.now() - t0) + ' ms');
});

test('bad configuration exits 2 naming the key', async () => {
  let r = await run(['serve'], { env: { MOTCUA_LISTEN_PORT: 'abc' } });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /listen\.port/);
  r = await run(['serve'], { env: { MOTCUA_LISTEN_PORT: '70000' } });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /listen\.port.*out of range/);
  r = await run(['serve'], { env: { MOTCUA_LISTEN_PROT: '1' } });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /MOTCUA_LISTEN_PROT: unknown key/);
  const dir = tempDir();
  const cfg = path.join(dir, 'motcua.json');
  fs.writeFileSync(cfg, JSON.stringify({ listen: { port: 8080, hots: 'x' } }));
  r = await run(['serve', '--config', cfg]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /listen\.hots: unknown key/);
  fs.writeFileSync(cfg, JSON.stringify({ listen: { port: '8080' } }));
  r = await run(['serve', '--config', cfg]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /listen\.port: expected a whole number/);
  fs.writeFileSync(cfg, '{"listen": ');
  r = await run(['serve', '--config', cfg]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /motcua\.json:1/);
  r = await run(['serve', '--config', path.join(dir, 'missing.json')]);
  assert.equal(r.code, 2);
  r = await run(['serve'], { env: { MOTCUA_LOCALITY_DEFAULT: '99999', MOTCUA_DATA_KNOWLEDGE_DB: require('./lib/server').DB,
    MOTCUA_DATA_STATE_DB: path.join(dir, 's.db'), MOTCUA_LISTEN_PORT: '0' } });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /locality\.default: "99999" is not a ward code/);
  r = await run(['serve', '--bogus']);
  assert.equal(r.code, 2);
  r = await run(['frobnicate']);
  assert.equal(r.code, 2);
  for (const cmd of ['serve', 'import', 'ask', 'eval', 'verify-report']) {
    r = await run([cmd, '--help']);
    assert.equal(r.code, 0, cmd);
    assert.match(r.stdout, /usage: motcua/, cmd);
  }
});

test('secrets never reach the log', async () => {
  const secret = 'S3cr3t-app-secret-value';
  const s = await startServer({ env: { MOTCUA_MESSENGER_APP_SECRET: secret, MOTCUA_ADMIN_TOKEN: secret } });
  const c = await Client.connect(s.wsUrl);
  await c.hello();
  await c.say('số điện thoại của tôi là 0912345678, căn cước 001203004005');
  await c.close();
  await s.stop();
  assert.ok(!s.logs().includes(secret));
  assert.ok(!s.logs().includes('0912345678'));
  // the conversation record keeps the turn, with the numbers masked
  const rows = stateRows(s, 'select role,text,label,decision,latency_us,user_hash,channel from turn');
  const user = rows.find((r) => r[0] === 'user');
  assert.ok(user, 'user turn recorded');
  assert.ok(!rows.some((r) => String(r[1]).includes('0912345678') || String(r[1]).includes('001203004005')));
  assert.match(user[1], /\*{8}78/);
  assert.ok(user[2] && user[3] && user[4] >= 0 && /^[0-9a-f]{16}$/.test(user[5]) && user[6] === 'web');
});

test('reload the knowledge base without dropping connections', async () => {
  const s = await startServer({ env: { MOTCUA_ADMIN_TOKEN: 'adm1n-t0ken' } });
  try {
    const c = await Client.connect(s.wsUrl);
    await c.hello();
    let r = await fetch(s.url + '/admin/reload', { method: 'POST' });
    assert.equal(r.status, 401);
    r = await fetch(s.url + '/admin/reload', { method: 'POST', headers: { authorization: 'Bearer wrong' } });
    assert.equal(r.status, 401);
    r = await fetch(s.url + '/admin/reload', { method: 'POST', headers: { authorization: 'Bearer adm1n-t0ken' } });
    assert.equal(r.status, 200);
    s.proc.kill('SIGHUP');
    await new Promise((res) => setTimeout(res, 300));
    assert.match(s.logs(), /event=kb\.reload path=/);
    const reply = await c.say('đăng ký tạm trú'); // same connection still served
    assert.equal(reply.type, 'reply');
    assert.equal(reply.procedure, 'tam-tru'); // from the new snapshot's guides
    await c.close();
    r = await fetch(srv.url + '/admin/reload', { method: 'POST' }); // no token configured
    assert.equal(r.status, 404);
  } finally {
    await s.stop();
  }
});

// The parsed state is kept in memory while the WebSocket is open (issue 13): an idle gap on the
// same open connection must still reset it, not only a reconnect.
test('idle timeout resets the conversation of a connection that stayed open', async () => {
  const s = await startServer({ env: { MOTCUA_SESSION_IDLE_TIMEOUT: '5' } });
  try {
    const c = await Client.connect(s.wsUrl);
    await c.hello();
    let r = await c.say('đăng ký tạm trú');
    assert.equal(r.procedure, 'tam-tru');
    r = await c.tap('steps:tam-tru');
    assert.equal(r.procedure, 'tam-tru');
    await new Promise((res) => setTimeout(res, 6500)); // longer than the idle timeout
    r = await c.say('bước tiếp');
    assert.equal(r.procedure, null); // the old flow is gone, though the connection never closed
    await c.close();
  } finally {
    await s.stop();
  }
});

test('idle timeout starts a new conversation but keeps the history', async () => {
  const s = await startServer({ env: { MOTCUA_SESSION_IDLE_TIMEOUT: '5' } });
  try {
    let c = await Client.connect(s.wsUrl);
    const w = await c.hello();
    let r = await c.say('đăng ký tạm trú');
    assert.equal(r.procedure, 'tam-tru');
    r = await c.tap('steps:tam-tru');
    assert.equal(r.procedure, 'tam-tru');
    await c.close();
    await new Promise((res) => setTimeout(res, 6500)); // longer than the idle timeout
    c = await Client.connect(s.wsUrl);
    const w2 = await c.hello(w.session);
    assert.equal(w2.session, w.session);
    assert.equal(w2.history.length, 4); // history kept
    r = await c.say('bước tiếp');
    assert.equal(r.procedure, null); // the old flow is gone: no procedure in context
    await c.close();
  } finally {
    await s.stop();
  }
});
