// tests/e2e/kiosk-speech-browser.test.js - issue 19, the kiosk in headless Debian Chromium at a
// portrait 1080×1920 and a landscape 1920×1080 screen, against the real server with
// kiosk.speech on and an office whose counters an admin set in the console's API: every answer
// has a "Nghe" button that plays its audio (the <audio> element's src and readyState), with
// volume and speed settings; the lower half of the home screen lists the most-asked procedures
// and the counters; the header and the printout name the commune's office; the answers never
// send the citizen standing there "to the centre"; the demo page shows the hours the bot says.
// The speech parts need espeak-ng (`make test-deps`); without it they skip, saying so.
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { startServer, run, tempDir } = require('./lib/server');
const { launch } = require('./lib/browser');

const T = { timeout: 60000 };
const PW = 'mật-khẩu-ki-ốt-1';
const PORTRAIT = { viewport: { width: 1080, height: 1920 }, hasTouch: true };
const LANDSCAPE = { viewport: { width: 1920, height: 1080 }, hasTouch: true };
const OFFICE = 'Trung tâm phục vụ hành chính công phường Ngọc Hà';
const COUNTERS = [
  { number: '1', name: 'Hộ tịch, chứng thực', domains: ['ho-tich', 'chung-thuc'] },
  { number: '2', name: 'Đất đai, xây dựng', domains: ['dat-dai', 'xay-dung'] },
];
let espeak = true;
try {
  execFileSync('espeak-ng', ['--version'], { stdio: 'ignore' });
} catch (e) {
  espeak = false;
}
const NO_ESPEAK = espeak ? false : 'espeak-ng is not installed (make test-deps installs it)';

let srv, dir;
before(async () => {
  dir = tempDir('motcua-kiosk-speech-');
  const r = await run(['officer', 'add', 'quan.tri', '--name', 'Quản trị', '--role', 'admin'],
    { env: { MOTCUA_DATA_STATE_DB: path.join(dir, 'state.db') }, input: PW + '\n' });
  assert.equal(r.code, 0, r.stderr);
  srv = await startServer({ dir, env: { MOTCUA_KIOSK_SPEECH: espeak ? '1' : '0', MOTCUA_LOCALITY_DEFAULT: '00008' } });
  const login = await fetch(srv.url + '/api/v1/officer/login', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'quan.tri', password: PW }),
  });
  assert.equal(login.status, 200);
  const csrf = (await login.json()).csrf_token;
  const cookie = /^(motcua_officer=[0-9a-f]{64});/.exec(login.headers.get('set-cookie'))[1];
  const put = await fetch(srv.url + '/api/v1/admin/office/00008', {
    method: 'PUT', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf },
    body: JSON.stringify({ counters: COUNTERS }),
  });
  assert.equal(put.status, 200, await put.text());
  const bad = await fetch(srv.url + '/api/v1/admin/office/00008', {
    method: 'PUT', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf },
    body: JSON.stringify({ counters: [{ number: '1 <b>', name: 'x' }] }),
  });
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).field, 'counters');
});
after(async () => { if (srv) await srv.stop(); });

// Types text into the kiosk and resolves the locator of the answer.
async function ask(page, text) {
  const answers = '#k-log .mc-bot:not(.mc-local)';
  const n = await page.locator(answers).count();
  await page.fill('#k-input', text);
  await page.click('.k-send');
  await page.waitForFunction(([sel, k]) => document.querySelectorAll(sel).length > k, [answers, n]);
  return page.locator(answers).nth(n);
}

async function openChat(page) {
  await page.click('#k-ask');
  await page.waitForSelector('#v-chat:not([hidden])');
}

test('GET /api/v1/commune: the office, its hours, counters and the most-asked procedures', T, async () => {
  const c = await (await fetch(srv.url + '/api/v1/commune')).json();
  assert.equal(c.office_name, OFFICE);
  assert.ok(c.hours && c.hours.length > 10, JSON.stringify(c));
  assert.deepEqual(c.counters, COUNTERS);
  assert.ok(Array.isArray(c.popular) && c.popular.length >= 4, JSON.stringify(c.popular));
  for (const p of c.popular) assert.match(p.id, /^[a-z0-9-]+$/);
});

describe('kiosk portrait 1080×1920', () => {
  test('header names the office; the lower half shows most-asked procedures and counters', T, async () => {
    const b = await launch(PORTRAIT);
    try {
      const { page } = b;
      await page.goto(srv.url + '/kiosk');
      await page.waitForFunction(() => document.querySelectorAll('#k-popular .k-pop').length >= 4);
      assert.equal(await page.textContent('#k-office'), OFFICE);
      assert.match(await page.textContent('#k-office-sub'), /Giờ làm việc: /);
      const pops = page.locator('#k-popular .k-pop');
      const box = await pops.first().boundingBox();
      assert.ok(box.y > 1920 / 2, 'most-asked buttons in the lower half: y=' + box.y);
      assert.ok(box.height >= 60, 'large buttons: ' + box.height);
      const counters = await page.locator('#k-counters .k-counter').allTextContents();
      assert.deepEqual(counters, ['Quầy 1Hộ tịch, chứng thực', 'Quầy 2Đất đai, xây dựng']);
      assert.match(await page.textContent('#k-hours'), /^Giờ làm việc: /);
      const cbox = await page.locator('#k-counters').boundingBox();
      assert.ok(cbox.y + cbox.height <= 1920, 'counters on screen');
      // a most-asked procedure opens its answer, keyboard first
      await pops.first().focus();
      await page.keyboard.press('Enter');
      await page.waitForSelector('#v-chat:not([hidden]) #k-log .mc-bot');
      assert.deepEqual(b.errors, []);
    } finally {
      await b.close();
    }
  });

  test('"Nghe" on every answer plays its audio; volume and speed apply; no "go to the centre"', { ...T, skip: NO_ESPEAK }, async () => {
    const b = await launch(PORTRAIT);
    try {
      const { page } = b;
      await page.goto(srv.url + '/kiosk');
      await openChat(page);
      const a1 = await ask(page, 'khai sinh nộp ở đâu');
      const a2 = await ask(page, 'nộp hồ sơ ở đâu');
      for (const a of [a1, a2]) assert.equal(await a.locator('.k-listen').count(), 1);
      assert.equal(await page.isVisible('#k-voice'), true);
      const log = await page.textContent('#k-log');
      assert.doesNotMatch(log, /(đến|tới) Trung tâm|bạn đến Trung tâm|nộp tại Trung tâm phục vụ hành chính công của [PpXx]/);
      assert.match(log, /quầy số 1 \(Hộ tịch, chứng thực\)/);
      // slower, quieter, by keyboard
      await page.focus('.k-voicebtn[data-rate="0.8"]');
      await page.keyboard.press('Enter');
      await page.focus('.k-voicebtn[data-volume="0.4"]');
      await page.keyboard.press('Space');
      const listen = a1.locator('.k-listen');
      await listen.focus();
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => {
        const au = document.getElementById('k-audio');
        return au.readyState >= 2 && /\/audio\/[0-9a-f]{32}\.wav$/.test(au.currentSrc);
      }, null, { timeout: 15000 });
      const st = await page.evaluate(() => {
        const au = document.getElementById('k-audio');
        return { rate: au.playbackRate, volume: au.volume, duration: au.duration, error: au.error && au.error.code };
      });
      assert.equal(st.error, null);
      assert.equal(st.rate, 0.8);
      assert.equal(st.volume, 0.4);
      assert.ok(st.duration > 0.5, 'some seconds of speech: ' + st.duration);
      assert.equal(await listen.getAttribute('aria-pressed'), 'true');
      // the second press stops it
      await listen.click();
      assert.equal(await page.evaluate(() => document.getElementById('k-audio').paused), true);
      assert.equal(await listen.getAttribute('aria-pressed'), 'false');
      assert.deepEqual(b.errors, []);
    } finally {
      await b.close();
    }
  });

  test('the printout carries the office, its hours and counters', T, async () => {
    const b = await launch(PORTRAIT);
    try {
      const { page } = b;
      await page.addInitScript(() => { window.print = () => { window.__printed = (window.__printed || 0) + 1; }; });
      await page.goto(srv.url + '/kiosk');
      await page.waitForFunction(() => document.querySelectorAll('#k-popular .k-pop').length > 0);
      await page.evaluate(() => window.MotcuaKiosk.printChecklist({ procedure: 'khai-sinh', title: 'Đăng ký khai sinh', items: [], complete: false }, 'a4'));
      await page.waitForFunction(() => window.__printed === 1);
      const head = await page.textContent('#k-print .kp-head');
      assert.match(head, new RegExp(OFFICE));
      assert.match(head, /Giờ làm việc: /);
      assert.match(head, /Quầy 1: Hộ tịch, chứng thực; Quầy 2: Đất đai, xây dựng/);
    } finally {
      await b.close();
    }
  });
});

describe('kiosk landscape 1920×1080', () => {
  test('"Nghe" present and playing; most-asked and counters shown under the tiles', { ...T, skip: NO_ESPEAK }, async () => {
    const b = await launch(LANDSCAPE);
    try {
      const { page } = b;
      await page.goto(srv.url + '/kiosk');
      await page.waitForFunction(() => document.querySelectorAll('#k-popular .k-pop').length >= 4);
      assert.equal(await page.isVisible('#k-counters'), true);
      const pbox = await page.locator('.k-popular').boundingBox();
      const dbox = await page.locator('.k-desk').boundingBox();
      assert.ok(Math.abs(pbox.y - dbox.y) < 2, 'side by side');
      await openChat(page);
      const a = await ask(page, 'gặp cán bộ');
      assert.doesNotMatch(await a.textContent(), /(đến|tới) Trung tâm/);
      await a.locator('.k-listen').click();
      await page.waitForFunction(() => document.getElementById('k-audio').readyState >= 2, null, { timeout: 15000 });
      assert.match(await page.evaluate(() => document.getElementById('k-audio').src), /\/audio\/[0-9a-f]{32}\.wav$/);
      assert.deepEqual(b.errors, []);
    } finally {
      await b.close();
    }
  });
});

test('the demo page states the hours the bot says (from the office data, not hard-coded)', T, async () => {
  const c = await (await fetch(srv.url + '/api/v1/commune')).json();
  const b = await launch();
  try {
    const { page } = b;
    await page.goto(srv.url + '/');
    await page.waitForFunction(() => /Giờ làm việc: .*\d/.test(document.getElementById('d-hours').textContent));
    const shown = await page.textContent('#d-hours');
    assert.ok(shown.includes(c.hours), shown + ' vs ' + c.hours);
    assert.doesNotMatch(shown, /8:00–11:30 và 13:30–17:00/); // the old hard-coded hours
  } finally {
    await b.close();
  }
});

describe('kiosk with speech off', () => {
  let off;
  before(async () => { off = await startServer({ env: { MOTCUA_LOCALITY_DEFAULT: '00008' } }); });
  after(async () => { if (off) await off.stop(); });
  test('no "Nghe" button, no voice settings', T, async () => {
    const b = await launch(PORTRAIT);
    try {
      const { page } = b;
      await page.goto(off.url + '/kiosk');
      await openChat(page);
      const a = await ask(page, 'khai sinh cần giấy tờ gì');
      assert.equal(await a.locator('.k-listen').count(), 0);
      assert.equal(await page.isVisible('#k-voice'), false);
    } finally {
      await b.close();
    }
  });
});
