// tests/e2e/feedback-browser.test.js - the widget's 👍/👎 in headless Debian Chromium against
// the real server (issue 15): the 👍 of an answer is reached with the keyboard alone, has an
// accessible name, and its vote reaches the weekly report; a changed vote (👎) replaces it;
// the vote is shown again after a reload; the end of a pre-check asks "Có giúp được bạn
// không?" with two named buttons.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { startServer, run, tempDir } = require('./lib/server');
const { launch } = require('./lib/browser');

const T = { timeout: 60000 };
const PW = 'mật-khẩu-trình-duyệt-1';
const OFFSET_MS = 7 * 3600 * 1000;
const today = (days = 0) => new Date(Date.now() + OFFSET_MS + days * 86400000).toISOString().slice(0, 10);
const BOT = '.mc-bot:not(.mc-local)';
let srv, dir, cookie;

before(async () => {
  dir = tempDir('motcua-feedback-browser-');
  const r = await run(['officer', 'add', 'admin.br', '--name', 'Quản trị', '--role', 'admin'],
    { env: { MOTCUA_DATA_STATE_DB: path.join(dir, 'state.db') }, input: PW + '\n' });
  assert.equal(r.code, 0, r.stderr);
  srv = await startServer({ dir });
  const l = await fetch(srv.url + '/api/v1/officer/login', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin.br', password: PW }),
  });
  assert.equal(l.status, 200);
  cookie = /^(motcua_officer=[0-9a-f]{64});/.exec(l.headers.get('set-cookie'))[1];
});
after(async () => { if (srv) await srv.stop(); });

async function feedbackFigures() {
  const r = await fetch(`${srv.url}/api/v1/reports?from=${today(-1)}&to=${today(1)}`, { headers: { cookie } });
  assert.equal(r.status, 200);
  return (await r.json()).feedback;
}
function shadowEval(page, fn, arg) {
  return page.evaluate(([src, a]) => {
    const root = document.querySelector('motcua-widget').shadowRoot;
    return new Function('root', 'arg', 'return (' + src + ')(root, arg)')(root, a);
  }, [fn.toString(), arg]);
}
const count = (page, sel) => shadowEval(page, (root, s) => root.querySelectorAll(s).length, sel);
async function waitCount(page, sel, n) {
  await page.waitForFunction(([s, k]) => document.querySelector('motcua-widget').shadowRoot.querySelectorAll(s).length >= k, [sel, n], { timeout: 8000 });
}
async function ask(page, text) {
  const before = await count(page, BOT);
  await page.locator('.mc-input').fill(text);
  await page.locator('.mc-input').press('Enter');
  await waitCount(page, BOT, before + 1);
}
const active = (page) => shadowEval(page, (root) => {
  const a = root.activeElement;
  return a ? { cls: a.className, label: a.getAttribute('aria-label'), reply: a.closest('.mc-fb') && a.closest('.mc-fb').getAttribute('data-answer') } : null;
});

test('the 👍 of an answer: keyboard reachable, named, and its vote reaches the report', T, async () => {
  const b = await launch();
  try {
    const { page } = b;
    await page.goto(srv.url + '/');
    await page.locator('.mc-launcher').click();
    await page.locator('.mc-panel').waitFor({ state: 'visible' });
    await ask(page, 'đăng ký tạm trú cần giấy tờ gì');
    const id = await shadowEval(page, (root) => [...root.querySelectorAll('.mc-fb')].pop().getAttribute('data-answer'));
    assert.ok(id, 'the answer has feedback buttons for its message id');
    assert.deepEqual(await feedbackFigures(), { up: 0, down: 0 });
    // from the input, Shift+Tab walks back through the quick replies to the 👍 of the answer
    await page.locator('.mc-input').focus();
    let a = null;
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Shift+Tab');
      a = await active(page);
      if (a && /mc-fb-up/.test(a.cls)) break;
    }
    assert.ok(a && /mc-fb-up/.test(a.cls), 'the 👍 button is reachable with the keyboard');
    assert.equal(a.reply, id);
    // its accessible name, as assistive technology reads it
    const up = page.getByRole('button', { name: 'Câu trả lời này hữu ích' }).last();
    assert.equal(await up.getAttribute('aria-pressed'), 'false');
    await page.keyboard.press('Enter');
    await page.locator('.mc-fb-status', { hasText: 'Cảm ơn bạn đã góp ý!' }).last().waitFor();
    assert.equal(await up.getAttribute('aria-pressed'), 'true');
    assert.deepEqual(await feedbackFigures(), { up: 1, down: 0 });
    // changing one's mind replaces the vote
    await page.getByRole('button', { name: 'Câu trả lời này chưa hữu ích' }).last().click();
    // the button is pressed at the click ("Đang gửi…"); the thanks come with the server's ack,
    // once the vote is stored: only then may the report count it
    await page.waitForFunction(() => [...document.querySelector('motcua-widget').shadowRoot.querySelectorAll('.mc-fb')]
      .some((b) => b.querySelector('.mc-fb-down').getAttribute('aria-pressed') === 'true' &&
        b.querySelector('.mc-fb-status').textContent === 'Cảm ơn bạn đã góp ý!'));
    assert.deepEqual(await feedbackFigures(), { up: 0, down: 1 });
    // after a reload the answer comes back from the history with the vote shown
    await page.reload();
    await page.locator('.mc-panel').waitFor({ state: 'visible' });
    await waitCount(page, `.mc-fb[data-answer="${id}"] .mc-fb-down[aria-pressed="true"]`, 1);
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

test('the end of a pre-check asks "Có giúp được bạn không?" with Có / Không', T, async () => {
  const b = await launch();
  try {
    const { page } = b;
    await page.goto(srv.url + '/');
    await page.locator('.mc-launcher').click();
    await page.locator('.mc-panel').waitFor({ state: 'visible' });
    await ask(page, 'làm giấy khai sinh cho con');
    const tap = async (sel) => {
      const before = await count(page, BOT);
      await page.locator(sel).last().click();
      await waitCount(page, BOT, before + 1);
    };
    await tap('.mc-chip[data-payload^="check:"]');
    for (let i = 0; i < 30 && !(await count(page, '.mc-checklist')); i++) await tap('.mc-chip[data-payload="ans:yes"]');
    assert.equal(await count(page, '.mc-checklist'), 1);
    const q = page.locator('.mc-fb-ask');
    assert.equal(await q.locator('.mc-fb-q').textContent(), 'Có giúp được bạn không?');
    assert.equal(await q.getAttribute('aria-label'), 'Có giúp được bạn không?');
    const before = await feedbackFigures();
    await page.getByRole('group', { name: 'Có giúp được bạn không?' }).getByRole('button', { name: 'Có' }).click();
    await q.locator('.mc-fb-status', { hasText: 'Cảm ơn' }).waitFor();
    assert.deepEqual(await feedbackFigures(), { up: before.up + 1, down: before.down });
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});

// The console's part (channels/web/admin-feedback.js) on a stand-in for helper F's /admin page:
// the section, /dom.js, window.motcuaAdmin.api and the motcua-admin-ready event as admin.html
// and admin.js provide them.
test('admin-feedback.js renders the votes into <section id="feedback">', T, async () => {
  const b = await launch();
  try {
    const { page, context } = b;
    await context.addCookies([{ name: 'motcua_officer', value: cookie.split('=')[1], url: srv.url }]);
    await page.goto(srv.url + '/healthz'); // same origin, no page of its own in the way
    await page.evaluate(async () => {
      document.documentElement.innerHTML = '<head><title>t</title></head><body><main><section id="feedback"></section></main></body>';
      window.motcuaAdmin = {
        csrf: '',
        async api(method, p) {
          const r = await fetch(p, { method });
          const j = await r.json();
          if (!r.ok) throw new Error(j.message);
          return j;
        },
      };
      for (const src of ['/dom.js', '/admin-feedback.js']) { // in admin.html's order
        await new Promise((resolve, reject) => {
          const s = document.createElement('script');
          s.src = src;
          s.onload = resolve;
          s.onerror = reject;
          document.head.appendChild(s);
        });
      }
      document.dispatchEvent(new Event('motcua-admin-ready'));
    });
    const total = page.locator('#feedback .fb-total');
    await total.waitFor();
    const figures = await feedbackFigures();
    assert.equal(await total.textContent(), `👍 Hữu ích: ${figures.up} · 👎 Chưa hữu ích: ${figures.down} (50 % hữu ích)`);
    assert.equal(await page.getByRole('heading', { name: 'Ý kiến người dân' }).count(), 1);
    const down = page.locator('#feedback .fb-down');
    assert.equal(await down.count(), figures.down);
    assert.match(await down.first().locator('.fb-q').textContent(), /đăng ký tạm trú cần giấy tờ gì/);
    assert.match(await down.first().locator('.fb-meta').textContent(), /Trang web/);
    assert.ok(await page.getByRole('row', { name: /Đăng ký tạm trú|tam-tru/ }).count() >= 1);
    // a reversed range: the server's message, read out
    await page.getByLabel('Từ ngày').fill('2026-03-02');
    await page.getByLabel('Đến ngày').fill('2026-03-01');
    await page.getByRole('button', { name: 'Xem đánh giá' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.textContent(), /Không tải được đánh giá: from: 2026-03-02 is after to: 2026-03-01/);
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});
