// tests/e2e/lib/console.js - the two steps every test of the officials' API starts with:
// an account made as a commune's administrator makes it (`motcua officer add`, the password on
// stdin) and a login through POST /api/v1/officer/login, answering the session cookie and the
// CSRF token the console sends back; and the officers' WebSocket, read like a citizen's.
'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');
const WebSocket = require('ws');
const { run, Client } = require('./server');

// Adds officer `user` (name "Cán bộ <user>") with role to the state database in dir.
async function addAccount(dir, user, role, pw) {
  const r = await run(['officer', 'add', user, '--name', 'Cán bộ ' + user, '--role', role],
    { env: { MOTCUA_DATA_STATE_DB: path.join(dir, 'state.db') }, input: pw + '\n' });
  assert.equal(r.code, 0, r.stderr);
}

// Logs user in on the server at url; resolves { cookie: 'motcua_officer=…', csrf }.
async function apiLogin(url, username, pw) {
  const r = await fetch(url + '/api/v1/officer/login', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: pw }),
  });
  assert.equal(r.status, 200);
  const j = await r.json();
  return { cookie: /^(motcua_officer=[0-9a-f]{64});/.exec(r.headers.get('set-cookie'))[1], csrf: j.csrf_token };
}

// An /officer/ws client on the server at url with a login cookie (none: the server's refusal
// is what the test reads); frames queued and read with next() like a citizen's Client.
function officerSocket(url, cookie) {
  const c = Object.create(Client.prototype);
  c.ws = new WebSocket(url.replace('http', 'ws') + '/officer/ws', cookie ? { headers: { cookie } } : {});
  c.frames = [];
  c.waiters = [];
  c.closed = new Promise((resolve) => c.ws.on('close', (code) => resolve({ code })));
  c.ws.on('message', (data) => {
    const f = JSON.parse(data.toString());
    const w = c.waiters.shift();
    if (w) w.resolve(f); else c.frames.push(f);
  });
  c.opened = new Promise((resolve, reject) => { c.ws.on('open', resolve); c.ws.on('error', reject); });
  return c;
}

module.exports = { addAccount, apiLogin, officerSocket };
