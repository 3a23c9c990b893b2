// tests/e2e/speech.test.js - issue 19: kiosk answers read aloud (kiosk.speech, gateway/speech.h)
// and said for someone standing in the centre, against the real server. Speech needs Debian's
// espeak-ng (`make test-deps` installs it); without it the speech tests say so and skip.
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const { startServer, Client, SLOW } = require('./lib/server');

const T = { timeout: 30000 };
let espeak = true;
try {
  execFileSync('espeak-ng', ['--version'], { stdio: 'ignore' });
} catch (e) {
  espeak = false;
}
const NO_ESPEAK = espeak ? false : 'espeak-ng is not installed (make test-deps installs it)';

// GET url until it is made (503 not_ready while espeak-ng runs); resolves the last response.
async function fetchMade(url) {
  const end = Date.now() + 10000 * SLOW;
  for (;;) {
    const r = await fetch(url);
    if (r.status !== 503 || Date.now() > end) return r;
    assert.equal(r.headers.get('retry-after'), '1');
    await r.arrayBuffer();
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe('kiosk speech on', { skip: NO_ESPEAK }, () => {
  let srv;
  before(async () => {
    srv = await startServer({ env: { MOTCUA_KIOSK_SPEECH: '1', MOTCUA_LOCALITY_DEFAULT: '00008' } });
  });
  after(async () => { if (srv) await srv.stop(); });

  test('a kiosk reply carries audio, served as audio/wav with a RIFF header', T, async () => {
    const c = await Client.connect(srv.wsUrl);
    await c.hello(null, 'kiosk');
    const r = await c.say('đăng ký khai sinh cần giấy tờ gì', 'm1');
    assert.equal(r.type, 'reply');
    assert.match(r.audio || '', /^\/audio\/[0-9a-f]{32}\.wav$/, JSON.stringify(r).slice(0, 300));
    const res = await fetchMade(srv.url + r.audio);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'audio/wav');
    const body = Buffer.from(await res.arrayBuffer());
    assert.ok(body.length > 1000, 'more than a header: ' + body.length);
    assert.equal(body.subarray(0, 4).toString('latin1'), 'RIFF');
    assert.equal(body.subarray(8, 12).toString('latin1'), 'WAVE');
    // the same answer again: the same file, no second synthesis needed
    const again = await c.say('đăng ký khai sinh cần giấy tờ gì', 'm2');
    assert.equal(again.audio, r.audio);
    // a resent message id gets the same reply, audio included
    const resent = await c.say('đăng ký khai sinh cần giấy tờ gì', 'm1');
    assert.equal(resent.audio, r.audio);
    await c.close();
    assert.match(srv.logs(), /event=speech\.made id=[0-9a-f]{32}/);
  });

  test('the web widget gets no audio', T, async () => {
    const c = await Client.connect(srv.wsUrl);
    await c.hello(null, 'web');
    const r = await c.say('đăng ký khai sinh cần giấy tờ gì');
    assert.equal(r.type, 'reply');
    assert.equal(r.audio, undefined);
    await c.close();
  });

  test('unknown and malformed ids: 404 JSON; other methods 405', T, async () => {
    for (const p of ['/audio/' + '0'.repeat(32) + '.wav', '/audio/../state.db', '/audio/ABC.wav',
      '/audio/' + '0'.repeat(31) + 'g.wav', '/audio/' + '0'.repeat(32) + '.txt',
      '/audio/' + '0'.repeat(33) + '.wav', '/audio/']) {
      const res = await fetch(srv.url + p);
      assert.equal(res.status, 404, p);
      assert.match(res.headers.get('content-type'), /^application\/json/, p);
      const j = await res.json();
      assert.equal(j.error, p === '/audio/' || p.includes('..') ? j.error : 'unknown_audio', p);
      assert.equal(typeof j.message, 'string', p);
    }
    const res = await fetch(srv.url + '/audio/' + '0'.repeat(32) + '.wav', { method: 'POST', body: '{}' });
    assert.equal(res.status, 405);
    assert.equal((await fetch(srv.url + '/healthz')).status, 200, 'server still answers');
  });

  test('on the kiosk the centre is "here", never "go to the centre"', T, async () => {
    const c = await Client.connect(srv.wsUrl);
    await c.hello(null, 'kiosk');
    // "gặp cán bộ" last: with handoff on, what follows goes to the officers
    const said = [];
    for (const q of ['nộp hồ sơ ở đâu', 'khai sinh nộp ở đâu', 'gặp cán bộ']) {
      const r = await c.say(q);
      const text = r.messages.map((m) => m.text).join('\n');
      said.push(text);
      assert.doesNotMatch(text, /(đến|tới) (Trung tâm|trung tâm|Bộ phận)|bạn đến Trung tâm/, q + ': ' + text);
      assert.doesNotMatch(text, /nộp tại Trung tâm phục vụ hành chính công của (Phường|Xã|phường|xã)/, q + ': ' + text);
      assert.match(text, /tại đây/, q + ': ' + text);
    }
    if (process.env.MOTCUA_SHOW) console.log(said.join('\n---\n'));
    await c.close();
    // the same questions on the web still give the way to the centre
    const w = await Client.connect(srv.wsUrl);
    await w.hello(null, 'web');
    const wr = await w.say('khai sinh nộp ở đâu');
    assert.match(wr.messages.map((m) => m.text).join('\n'), /bạn đến/);
    await w.close();
  });
});

describe('kiosk speech off (the default)', () => {
  let srv;
  before(async () => { srv = await startServer(); });
  after(async () => { if (srv) await srv.stop(); });

  test('no audio field, and /audio/ answers 404 JSON', T, async () => {
    const c = await Client.connect(srv.wsUrl);
    await c.hello(null, 'kiosk');
    const r = await c.say('đăng ký khai sinh cần giấy tờ gì');
    assert.equal(r.type, 'reply');
    assert.equal(r.audio, undefined);
    await c.close();
    const res = await fetch(srv.url + '/audio/' + 'a'.repeat(32) + '.wav');
    assert.equal(res.status, 404);
    assert.equal((await res.json()).error, 'speech_off');
  });
});
