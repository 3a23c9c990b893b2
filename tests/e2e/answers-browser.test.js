// tests/e2e/answers-browser.test.js - issue 19, "Walls of text on a phone", in headless Debian
// Chromium (playwright-core) at a 390×844 phone viewport against the real server (commune
// 00070): the common documents first and the conditional ones folded behind "Trường hợp đặc
// biệt (N)"; "Xem tất cả" steps one at a time; "Nơi nộp" said once; URLs in answers are real
// links (rel=noopener) and phone numbers tel: links in the widget but text on the kiosk; the
// widget's title is the commune office's own name from the office data.
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { launch } = require('./lib/browser');

const T = { timeout: 40000 };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const KIOSK_VIEW = { viewport: { width: 1280, height: 900 }, hasTouch: true };
const BOT = '.mc-bot:not(.mc-local)';

let srv;
before(async () => { srv = await startServer({ env: { MOTCUA_LOCALITY_DEFAULT: '00070' } }); });
after(async () => { if (srv) await srv.stop(); });

function botCount(page) {
  return page.evaluate((sel) => document.querySelector('motcua-widget').shadowRoot.querySelectorAll(sel).length, BOT);
}
async function waitBots(page, n) {
  await page.waitForFunction(([sel, k]) => {
    const h = document.querySelector('motcua-widget');
    return h && h.shadowRoot.querySelectorAll(sel).length >= k;
  }, [BOT, n], { timeout: 8000 });
}
async function openWidget(page) {
  await page.goto(srv.url + '/');
  await page.locator('.mc-launcher').click();
  await page.locator('.mc-input').waitFor();
}
async function ask(page, text) {
  const n = await botCount(page);
  await page.locator('.mc-input').fill(text);
  await page.locator('.mc-input').press('Enter');
  await waitBots(page, n + 1);
  return page.locator(BOT).last();
}
async function tapChip(page, title) {
  const n = await botCount(page);
  await page.locator('.mc-chip', { hasText: title }).last().click();
  await waitBots(page, n + 1);
  return page.locator(BOT).last();
}
// The text a person sees of a locator (hidden parts left out).
function seen(loc) {
  return loc.evaluate((n) => n.innerText);
}

// Scripted frames of the reply contract for the [fixture] tests (the real server is not asked).
async function routeReply(page, reply) {
  await page.routeWebSocket(/\/ws$/, (ws) => {
    ws.onMessage((raw) => {
      const f = JSON.parse(raw);
      if (f.type === 'hello') {
        ws.send(JSON.stringify({ type: 'welcome', protocol: 1, session: 'e'.repeat(32), history: [], resumed: false, settings: { kiosk_idle_seconds: 120 } }));
        return;
      }
      ws.send(JSON.stringify({ type: 'reply', reply_to: f.id, messages: [], quick_replies: [], procedure: null, understanding: null, ...reply }));
    });
  });
}
const LINK_REPLY = {
  messages: [{ text: 'Nộp trực tuyến tại https://dichvucong.gov.vn/p/home/dvc-trang-chu.html, hỏi thêm 0243 825 1234. ' +
    'Không mở javascript:alert(1) hay <a href="https://evil.example">đây</a>.' }],
};

describe('short answers on a phone', () => {
  test('[engine] documents: the common ones first, the conditional ones folded with their count', T, async () => {
    const guide = await (await fetch(srv.url + '/api/v1/procedures/khai-sinh')).json();
    const special = guide.documents.filter((d) => d.when).length;
    const common = guide.documents.length - special;
    assert.ok(special > 0 && common > 0, 'the guide has both kinds');
    const b = await launch(PHONE);
    try {
      const { page } = b;
      await openWidget(page);
      const bot = await ask(page, 'dk khai sinh cho be can giay to gi');
      const docs = bot.locator('.mc-docs');
      await docs.waitFor();
      // the list takes the place of its text twin: before "Chọn "Kiểm tra hồ sơ"…", not after it
      const order = await bot.evaluate((n) => [...n.children].map((c) => (c.classList.contains('mc-docs') ? 'docs' : c.textContent.slice(0, 5))));
      assert.ok(order.indexOf('docs') >= 0 && order.indexOf('docs') < order.indexOf('Chọn '), JSON.stringify(order));
      assert.equal(await docs.locator('.mc-docs-common > li').count(), common);
      const fold = bot.getByRole('button', { name: `Trường hợp đặc biệt (${special})` });
      assert.equal(await fold.getAttribute('aria-expanded'), 'false');
      const rare = docs.locator('.mc-docs-special');
      assert.equal(await rare.isVisible(), false, 'the conditional ones are folded');
      const text = await seen(bot);
      assert.doesNotMatch(text, /chỉ cần nếu/, 'no conditional paper shown before the button');
      assert.doesNotMatch(text, /mang thai hộ/);
      // by keyboard: focus the button, Enter unfolds, Space folds again
      await fold.focus();
      await page.keyboard.press('Enter');
      assert.equal(await fold.getAttribute('aria-expanded'), 'true');
      assert.equal(await rare.isVisible(), true);
      assert.equal(await rare.locator('li').count(), special);
      assert.match(await seen(rare), /mang thai hộ/);
      assert.match(await seen(rare), /Chỉ cần nếu/);
      await page.keyboard.press('Space');
      assert.equal(await fold.getAttribute('aria-expanded'), 'false');
      // after a reload the answer comes back from the history folded the same way
      await page.reload();
      const again = page.locator(BOT).last();
      await again.locator('.mc-docs').waitFor();
      assert.equal(await again.getByRole('button', { name: `Trường hợp đặc biệt (${special})` }).getAttribute('aria-expanded'), 'false');
      assert.equal(await again.locator('.mc-docs-common > li').count(), common);
      assert.deepEqual(b.errors, []);
    } finally { await b.close(); }
  });

  test('[engine] "Xem tất cả" steps: one step at a time, Bước tiếp / Bước trước, and all', T, async () => {
    const b = await launch(PHONE);
    try {
      const { page } = b;
      await openWidget(page);
      await ask(page, 'các bước làm khai sinh');
      const bot = await tapChip(page, 'Xem tất cả');
      const pager = bot.locator('.mc-steps');
      await pager.waitFor();
      const total = (await (await fetch(srv.url + '/api/v1/procedures/khai-sinh')).json()).steps.length;
      assert.equal(await pager.locator('.mc-steps-n').textContent(), `Bước 1/${total}`);
      assert.equal(await pager.locator('.mc-steps-list > li:visible').count(), 1, 'one step shown');
      const box = await bot.boundingBox();
      assert.ok(box.height < 600, 'the answer fits on the phone: ' + box.height);
      const next = pager.getByRole('button', { name: 'Bước tiếp' });
      const prev = pager.getByRole('button', { name: 'Bước trước' });
      assert.equal(await prev.isDisabled(), true);
      await next.focus();
      await page.keyboard.press('Enter');
      assert.equal(await pager.locator('.mc-steps-n').textContent(), `Bước 2/${total}`);
      assert.equal(await pager.locator('.mc-steps-list > li:visible').count(), 1);
      await prev.focus();
      await page.keyboard.press('Enter');
      assert.equal(await pager.locator('.mc-steps-n').textContent(), `Bước 1/${total}`);
      const all = pager.getByRole('button', { name: /Xem tất cả \d+ bước/ });
      assert.equal(await all.getAttribute('aria-expanded'), 'false');
      await all.focus();
      await page.keyboard.press('Enter');
      assert.equal(await all.getAttribute('aria-expanded'), 'true');
      assert.equal(await pager.locator('.mc-steps-list > li:visible').count(), total);
      assert.deepEqual(b.errors, []);
    } finally { await b.close(); }
  });

  test('[engine] "Nơi nộp" is said once, not in the bubble and again in the card', T, async () => {
    const b = await launch(PHONE);
    try {
      const { page } = b;
      await openWidget(page);
      const bot = await ask(page, 'khai sinh nop o dau');
      await bot.locator('.mc-card').waitFor();
      const text = await seen(bot);
      assert.equal(text.split('Nơi nộp').length - 1, 1, text);
      assert.match(text, /Thời gian/, 'the rest of the card stays');
      assert.deepEqual(b.errors, []);
    } finally { await b.close(); }
  });

  test('[fixture] a URL is a real link (rel=noopener), a phone a tel: link, HTML stays text', T, async () => {
    const b = await launch(PHONE);
    try {
      const { page, context } = b;
      await routeReply(page, LINK_REPLY);
      await context.route('https://dichvucong.gov.vn/**', (r) => r.fulfill({ contentType: 'text/html', body: '<title>DVC</title>ok' }));
      await openWidget(page);
      const bot = await ask(page, 'nộp trực tuyến ở đâu');
      const a = bot.locator('.mc-bubble a[href^="https://dichvucong"]');
      assert.equal(await a.count(), 1);
      assert.equal(await a.getAttribute('href'), 'https://dichvucong.gov.vn/p/home/dvc-trang-chu.html');
      assert.equal(await a.textContent(), 'https://dichvucong.gov.vn/p/home/dvc-trang-chu.html (mở trong thẻ mới)',
        'the comma after it is not part of it; screen readers hear that it opens a new tab');
      assert.match(await a.getAttribute('rel'), /\bnoopener\b/);
      assert.equal(await a.getAttribute('target'), '_blank');
      const [popup] = await Promise.all([context.waitForEvent('page'), a.click()]);
      await popup.waitForURL(/^https:\/\/dichvucong\.gov\.vn\//); // answered by the route above, offline
      assert.equal(await popup.evaluate(() => window.opener), null, 'noopener: the page cannot reach the widget');
      await popup.close();
      assert.equal(await bot.locator('a[href^="javascript:"]').count(), 0);
      // HTML in the text is not parsed: the tag stays visible text; only its bare URL is linked
      assert.equal(await bot.locator('a', { hasText: 'đây' }).count(), 0, 'no link made from the <a> tag');
      assert.match(await seen(bot), /<a href="https:\/\/evil\.example/);
      assert.equal(await bot.locator('a[href="tel:02438251234"]').count(), 1);
      assert.deepEqual(b.errors, []);
    } finally { await b.close(); }
  });

  test('[fixture] on the kiosk the phone number in an answer stays text', T, async () => {
    const b = await launch(KIOSK_VIEW);
    try {
      const { page } = b;
      await routeReply(page, LINK_REPLY);
      await page.goto(srv.url + '/kiosk');
      await page.locator('#k-ask').click();
      await page.locator('#k-input').fill('nộp trực tuyến');
      await page.locator('#k-input').press('Enter');
      const bot = page.locator('#k-log .mc-bot:not(.mc-local)').last();
      await bot.waitFor();
      assert.match(await bot.textContent(), /0243 825 1234/);
      assert.equal(await page.locator('#k-log a[href^="tel:"]').count(), 0);
      assert.equal(await page.locator('#k-log a[href^="https://dichvucong"]').count(), 0, 'no new tabs on a kiosk');
      assert.match(await bot.textContent(), /https:\/\/dichvucong\.gov\.vn/);
      assert.deepEqual(b.errors, []);
    } finally { await b.close(); }
  });

  test('[engine] the widget\'s title is the commune office\'s own name, from the office data', T, async () => {
    const commune = await (await fetch(srv.url + '/api/v1/commune')).json();
    assert.equal(commune.office_name, 'Trung tâm phục vụ hành chính công phường Hoàn Kiếm');
    const b = await launch(PHONE);
    try {
      const { page } = b;
      await openWidget(page);
      const title = page.locator('#mc-title');
      await page.waitForFunction(() => /Hoàn Kiếm/.test(document.querySelector('motcua-widget').shadowRoot.querySelector('#mc-title').textContent));
      assert.equal(await title.textContent(), commune.office_name);
      assert.equal(await page.getByRole('dialog').getAttribute('aria-labelledby'), 'mc-title');
      assert.deepEqual(b.errors, []);
    } finally { await b.close(); }
  });

  test('[engine] without a commune the title is data-title, the generic one', T, async () => {
    const plain = await startServer(); // no locality.default: /api/v1/commune has nulls
    const b = await launch(PHONE);
    try {
      const { page } = b;
      const commune = await (await fetch(plain.url + '/api/v1/commune')).json();
      assert.equal(commune.office_name, null);
      const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/commune'));
      await page.goto(plain.url + '/');
      await answered;
      await page.locator('.mc-launcher').click();
      assert.equal(await page.locator('#mc-title').textContent(), 'Hỏi đáp thủ tục hành chính');
      assert.deepEqual(b.errors, []);
    } finally { await b.close(); await plain.stop(); }
  });
});
