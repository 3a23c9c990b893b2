// tests/e2e/officer.test.js - officer accounts end to end (issue 14, first
// part): `motcua officer` with the password on stdin, login with the session
// cookie's flags, /me, CSRF on logout, wrong password, a disabled account,
// the per-username and per-address back-off, and the audit rows.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { startServer, run, tempDir, stateQuery } = require('./lib/server');

const PW = 'mật-khẩu-đủ-dài-1';
let srv, dir;

function stateEnv(d) {
  return { MOTCUA_DATA_STATE_DB: path.join(d, 'state.db') };
}

async function add(d, user, role, pw = PW, extra = []) {
  return run(['officer', 'add', user, '--name', 'Nguyễn Thị Lan', '--role', role, ...extra],
    { env: stateEnv(d), input: pw === null ? undefined : pw + '\n' });
}

function login(s, username, password, headers = {}) {
  return fetch(s.url + '/api/v1/officer/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ username, password }),
  });
}

function cookieOf(r) {
  const m = /^motcua_officer=([0-9a-f]{64});/.exec(r.headers.get('set-cookie') || '');
  assert.ok(m, 'a 256-bit session cookie: ' + r.headers.get('set-cookie'));
  return 'motcua_officer=' + m[1];
}

function audit(d) {
  return stateQuery(d, 'SELECT username, action, coalesce(detail, \'\') FROM audit ORDER BY id') + '\n';
}

before(async () => {
  dir = tempDir();
  assert.equal((await add(dir, 'lan.nt', 'admin', PW, ['--unit', '00008'])).code, 0);
  assert.equal((await add(dir, 'minh.tv', 'officer')).code, 0);
  srv = await startServer({ dir });
});
after(async () => { if (srv) await srv.stop(); });

test('officer CLI: add, list without hashes, bad usage exits 2 naming the problem', async () => {
  const d = tempDir();
  let r = await add(d, 'a.b', 'officer', 'ngắn');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /shorter than 10 characters/);
  // usage errors exit before reading stdin: no input, no EPIPE
  r = await add(d, 'a.b', 'chief', null);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--role must be officer or admin/);
  r = await add(d, 'Bad Name', 'officer', null);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /USERNAME/);
  r = await run(['officer', 'add', 'a.b', '--role', 'officer'], { env: stateEnv(d) });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /missing --name/);
  assert.equal((await add(d, 'a.b', 'officer')).code, 0);
  r = await add(d, 'a.b', 'officer');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /already an officer "a.b"/);
  r = await run(['officer', 'passwd', 'a.b'], { env: stateEnv(d), input: 'moi-mat-khau-dai\n' });
  assert.equal(r.code, 0, r.stderr);
  r = await run(['officer', 'disable', 'nobody'], { env: stateEnv(d) });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no officer "nobody"/);
  r = await run(['officer', 'frobnicate'], { env: stateEnv(d) });
  assert.equal(r.code, 2);
  r = await run(['officer', 'list'], { env: stateEnv(d) });
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^a\.b\tofficer\t-\tactive\t\d{4}-\d\d-\d\d\tNguyễn Thị Lan$/m);
  assert.doesNotMatch(r.stdout + r.stderr, /scrypt|\$/);
  r = await run(['officer', 'list'], { env: stateEnv(dir) });
  assert.match(r.stdout, /^lan\.nt\tadmin\t00008\tactive/m);
});

test('login: 200, cookie HttpOnly SameSite=Strict Path=/, Secure only behind https; me; logout needs CSRF', async () => {
  let r = await login(srv, 'lan.nt', PW);
  assert.equal(r.status, 200);
  const body = await r.json();
  assert.match(body.csrf_token, /^[0-9a-f]{64}$/);
  assert.deepEqual(body.officer, { username: 'lan.nt', name: 'Nguyễn Thị Lan', role: 'admin', unit: '00008' });
  const sc = r.headers.get('set-cookie');
  assert.match(sc, /; HttpOnly/);
  assert.match(sc, /; SameSite=Strict/);
  assert.match(sc, /; Path=\//);
  assert.match(sc, /; Max-Age=43200/); // officer.session_hours 12
  assert.doesNotMatch(sc, /Secure/);
  assert.equal(r.headers.get('access-control-allow-origin'), null);
  const cookie = cookieOf(r);

  r = await login(srv, 'lan.nt', PW, { 'x-forwarded-proto': 'https' });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('set-cookie'), /; Secure/);

  r = await fetch(srv.url + '/api/v1/officer/me', { headers: { cookie } });
  assert.equal(r.status, 200);
  const me = await r.json();
  assert.equal(me.officer.username, 'lan.nt');
  assert.equal(me.csrf_token, body.csrf_token);
  r = await fetch(srv.url + '/api/v1/officer/me');
  assert.equal(r.status, 401);
  r = await fetch(srv.url + '/api/v1/officer/me', { headers: { cookie: 'motcua_officer=' + 'a'.repeat(64) } });
  assert.equal(r.status, 401);

  const logout = (headers) => fetch(srv.url + '/api/v1/officer/logout', { method: 'POST', headers });
  r = await logout({ cookie });
  assert.equal(r.status, 403);
  assert.equal((await r.json()).error, 'csrf');
  r = await logout({ cookie, 'x-csrf-token': 'b'.repeat(64) });
  assert.equal(r.status, 403);
  r = await logout({ 'x-csrf-token': body.csrf_token });
  assert.equal(r.status, 401);
  r = await logout({ cookie, 'x-csrf-token': body.csrf_token });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('set-cookie'), /^motcua_officer=; Max-Age=0;/);
  r = await fetch(srv.url + '/api/v1/officer/me', { headers: { cookie } });
  assert.equal(r.status, 401, 'the session ended with the logout');
});

test('wrong password, unknown user and disabled account: the same 401; disable ends sessions', async () => {
  let r = await login(srv, 'minh.tv', PW + 'x');
  assert.equal(r.status, 401);
  const wrong = await r.json();
  assert.equal(wrong.error, 'bad_credentials');
  r = await login(srv, 'khong.co', PW);
  assert.equal(r.status, 401);
  assert.deepEqual(await r.json(), wrong);
  r = await login(srv, 'minh.tv', PW);
  assert.equal(r.status, 200);
  const cookie = cookieOf(r);
  const d = await run(['officer', 'disable', 'minh.tv'], { env: stateEnv(dir) });
  assert.equal(d.code, 0, d.stderr);
  r = await fetch(srv.url + '/api/v1/officer/me', { headers: { cookie } });
  assert.equal(r.status, 401, 'disabling ends the open session');
  r = await login(srv, 'minh.tv', PW);
  assert.equal(r.status, 401);
  assert.deepEqual(await r.json(), wrong);
  r = await fetch(srv.url + '/api/v1/officer/login',
    { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":1}' });
  assert.equal(r.status, 400);
  // a cross-site form can post text/plain without a preflight: login takes JSON only
  r = await fetch(srv.url + '/api/v1/officer/login', {
    method: 'POST', headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ username: 'lan.nt', password: PW }),
  });
  assert.equal(r.status, 415);
  const log = audit(dir);
  assert.match(log, /^lan\.nt\|login\|$/m);
  assert.match(log, /^lan\.nt\|logout\|$/m);
  assert.match(log, /^minh\.tv\|login_failed\|$/m);
  assert.match(log, /^minh\.tv\|login_failed\|disabled$/m);
  assert.match(log, /^minh\.tv\|officer_disable\|cli$/m);
  assert.doesNotMatch(log + srv.logs(), new RegExp(PW), 'the password is never stored or logged');
});

test('back-off: 5 failures of one username lock it (429, Retry-After), 20 of one address lock it', async () => {
  const d = tempDir();
  assert.equal((await add(d, 'lan.nt', 'officer')).code, 0);
  assert.equal((await add(d, 'hoa.pt', 'officer')).code, 0);
  const s = await startServer({ dir: d });
  try {
    for (let i = 0; i < 5; i++) assert.equal((await login(s, 'lan.nt', 'sai-mat-khau-' + i)).status, 401);
    let r = await login(s, 'lan.nt', PW);
    assert.equal(r.status, 429, 'locked even with the right password');
    const wait = Number(r.headers.get('retry-after'));
    assert.ok(wait >= 29 && wait <= 30, 'Retry-After 30 s (29 if a second turned): ' + wait);
    assert.equal((await r.json()).error, 'too_many_attempts');
    r = await login(s, 'hoa.pt', PW);
    assert.equal(r.status, 200, 'another username from the same address still logs in');
    // 14 more failures under other names: 20 from this address
    for (let i = 0; i < 15; i++) assert.equal((await login(s, 'khach' + i, 'sai-mat-khau')).status, 401);
    r = await login(s, 'hoa.pt', PW);
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get('retry-after')) >= 29);
  } finally {
    await s.stop();
  }
});
