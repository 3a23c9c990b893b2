// tests/e2e/offline-browser.test.js - issue 19, in headless Debian Chromium (playwright-core):
// the widget is honest when the network or the server fails (reply timeout with "Thử lại", the
// browser's offline event, a launcher with the commune's phone and hours when the server is down
// at page load), and the kiosk serves the elderly (a 3-step text size, pinch zoom allowed, no
// tel: links).
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { startServer, ROOT } = require('./lib/server');
const { launch } = require('./lib/browser');

const T = { timeout: 40000 };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const KIOSK_VIEW = { viewport: { width: 1280, height: 900 }, hasTouch: true };
// widget.js and the parts it loads (docs/widget.md, "Files"), as a browser cache would hold them
const WIDGET_FILES = ['widget.js', 'widget-net.js', 'widget-render.js', 'widget-conv.js'];
const WIDGET_JS = Object.fromEntries(WIDGET_FILES.map((f) => [f, fs.readFileSync(path.join(ROOT, 'channels', 'web', f))]));
const HOURS = '7:30–17:00, thứ Hai đến thứ Sáu';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { if (srv) await srv.stop(); });

function shadowText(page, selector) {
  return page.evaluate((sel) => {
    const n = document.querySelector('motcua-widget').shadowRoot.querySelector(sel);
    return n ? n.textContent : null;
  }, selector);
}
function hostPage(attrs) {
  return '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Xã Tân Phú</title></head>' +
    `<body><h1>Xã Tân Phú</h1><script src="/widget.js" ${attrs}></script></body></html>`;
}
// A loopback port nobody listens on: the server is "down".
async function deadPort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('widget: honest when offline', () => {
  test('a stalled server: the question says no reply came, "Thử lại" reconnects and gets it', T, async () => {
    const b = await launch(PHONE);
    try {
      const { page } = b;
      let sockets = 0;
      // the server welcomes, then never answers on the first connection; the second answers
      await page.routeWebSocket(/\/ws$/, (ws) => {
        const n = ++sockets;
        ws.onMessage((raw) => {
          const f = JSON.parse(raw);
          if (f.type === 'hello') {
            ws.send(JSON.stringify({ type: 'welcome', protocol: 1, session: 'a'.repeat(32), history: [], resumed: n > 1, settings: {} }));
          } else if (n > 1) {
            ws.send(JSON.stringify({ type: 'reply', reply_to: f.id, messages: [{ text: 'Bạn cần tờ khai và giấy chứng sinh.' }], quick_replies: [] }));
          }
        });
      });
      await page.route(srv.url + '/', (r) => r.fulfill({ contentType: 'text/html; charset=utf-8', body: hostPage('data-reply-timeout="2"') }));
      await page.goto(srv.url + '/');
      await page.locator('.mc-launcher').click();
      await page.locator('.mc-input').fill('làm giấy khai sinh');
      await page.locator('.mc-input').press('Enter');
      assert.equal(await shadowText(page, '.mc-user .mc-state'), 'Đang gửi…');
      const late = page.locator('.mc-late');
      await late.waitFor({ state: 'visible', timeout: 5000 });
      assert.match(await late.textContent(), /Chưa nhận được trả lời/);
      assert.equal(await late.getAttribute('role'), 'alert');
      const retry = page.getByRole('button', { name: 'Thử lại', exact: true });
      await retry.focus();
      await page.keyboard.press('Enter');
      await page.locator('.mc-bot:not(.mc-local) .mc-bubble', { hasText: 'giấy chứng sinh' }).waitFor();
      assert.equal(sockets, 2, '"Thử lại" dropped the stalled socket and opened a new one');
      assert.equal(await page.locator('.mc-late').count(), 0);
      assert.equal(await page.locator('.mc-user.mc-pending').count(), 0);
      assert.deepEqual(b.errors, []);
    } finally { await b.close(); }
  });

  test('the browser goes offline: "Mất kết nối mạng", then it recovers', T, async () => {
    const b = await launch(PHONE);
    try {
      const { page, context } = b;
      await page.goto(srv.url + '/');
      await page.locator('.mc-launcher').click();
      await page.waitForFunction(() => window.Motcua.widget.chat.ready);
      const conn = page.locator('.mc-conn');
      assert.equal(await conn.isVisible(), false);
      await context.setOffline(true);
      await conn.waitFor({ state: 'visible', timeout: 3000 });
      assert.match(await conn.textContent(), /Mất kết nối mạng/);
      await context.setOffline(false);
      await conn.waitFor({ state: 'hidden', timeout: 8000 });
      await page.waitForFunction(() => window.Motcua.widget.chat.ready);
      await page.locator('.mc-input').fill('chứng thực bản sao');
      await page.locator('.mc-input').press('Enter');
      await page.locator('.mc-bot:not(.mc-local)').first().waitFor({ timeout: 8000 });
      assert.deepEqual(b.errors, []);
    } finally { await b.close(); }
  });

  test('the server is down at page load: the launcher still shows, with the phone and hours', T, async () => {
    const b = await launch(PHONE);
    try {
      const { page } = b;
      const port = await deadPort();
      const origin = `http://127.0.0.1:${port}`;
      // the page and the widget's scripts come from caches; widget.css stalls; /ws and the API are refused
      await page.route(origin + '/', (r) => r.fulfill({ contentType: 'text/html; charset=utf-8',
        body: hostPage(`data-phone="0243 825 1234" data-hours="${HOURS}"`) }));
      for (const f of WIDGET_FILES) {
        await page.route(origin + '/' + f, (r) => r.fulfill({ contentType: 'text/javascript; charset=utf-8', body: WIDGET_JS[f] }));
      }
      await page.route(/\/widget\.css/, () => { /* never answered */ });
      await page.goto(origin + '/', { waitUntil: 'domcontentloaded' }); // load waits for the stalled CSS
      const launcher = page.locator('.mc-launcher');
      await launcher.waitFor({ state: 'visible', timeout: 8000 });
      const box = await launcher.boundingBox();
      assert.ok(box && box.height >= 44 && box.width >= 44, 'a launcher large enough to tap: ' + JSON.stringify(box));
      await launcher.click();
      const conn = page.locator('.mc-conn');
      await conn.waitFor({ state: 'visible', timeout: 8000 });
      assert.match(await conn.textContent(), /Mất kết nối/);
      const contact = page.locator('.mc-contact');
      assert.match(await contact.textContent(), /Bạn có thể gọi 0243 825 1234 \(7:30–17:00, thứ Hai đến thứ Sáu\)/);
      assert.equal(await contact.locator('a').getAttribute('href'), 'tel:02438251234');
      assert.deepEqual(b.errors, []);
    } finally { await b.close(); }
  });
});

describe('kiosk: for the elderly', () => {
  test('text size in 3 steps by keyboard, kept on reload, reset when the kiosk idles', T, async () => {
    const b = await launch(KIOSK_VIEW);
    try {
      const { page } = b;
      await page.goto(srv.url + '/kiosk?idle=3&countdown=1');
      const lead = page.locator('.k-lead');
      const size = () => lead.evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
      const normal = await size();
      // Tab from the top of the page reaches the control
      let tabs = 0;
      while (tabs < 10 && !(await page.evaluate(() => document.activeElement.classList.contains('k-sizebtn')))) {
        await page.keyboard.press('Tab');
        tabs++;
      }
      assert.equal(await page.evaluate(() => document.activeElement.getAttribute('data-size')), 'normal');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      const large = await size();
      assert.ok(large > normal * 1.1, `large ${large} > normal ${normal}`);
      assert.equal(await page.locator('.k-sizebtn[data-size="large"]').getAttribute('aria-pressed'), 'true');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Space');
      const xlarge = await size();
      assert.ok(xlarge > large * 1.1, `very large ${xlarge} > large ${large}`);
      for (const btn of await page.locator('.k-sizebtn').all()) {
        const bb = await btn.boundingBox();
        assert.ok(bb.height >= 48 && bb.width >= 48, 'size buttons large enough: ' + JSON.stringify(bb));
      }
      await page.reload();
      assert.equal(await size(), xlarge, 'kept for the session of the visit');
      // nobody touches it: the countdown, the wipe, and the usual size for the next person
      await page.locator('#k-idle').waitFor({ state: 'visible', timeout: 8000 });
      await page.locator('#k-idle').waitFor({ state: 'hidden', timeout: 5000 });
      assert.equal(await size(), normal);
      assert.equal(await page.locator('.k-sizebtn[data-size="normal"]').getAttribute('aria-pressed'), 'true');
      assert.deepEqual(b.errors, []);
    } finally { await b.close(); }
  });

  test('pinch zoom allowed; phone numbers are text, never tel: links', T, async () => {
    const b = await launch(KIOSK_VIEW);
    try {
      const { page } = b;
      await page.routeWebSocket(/\/ws$/, (ws) => {
        ws.onMessage((raw) => {
          const f = JSON.parse(raw);
          if (f.type === 'hello') {
            ws.send(JSON.stringify({ type: 'welcome', protocol: 1, session: 'b'.repeat(32), history: [], resumed: false, settings: {} }));
            return;
          }
          ws.send(JSON.stringify({ type: 'reply', reply_to: f.id, messages: [{ text: 'Bạn hỏi cán bộ tại quầy số 2.' }], quick_replies: [],
            officer: { hotline: '024 3825 1234', office_name: 'Bộ phận một cửa' } }));
        });
      });
      await page.goto(srv.url + '/kiosk');
      const vp = await page.locator('meta[name="viewport"]').getAttribute('content');
      assert.doesNotMatch(vp, /user-scalable\s*=\s*(no|0)/i);
      assert.doesNotMatch(vp, /maximum-scale/i);
      await page.locator('#k-ask').click();
      await page.locator('#k-input').fill('số điện thoại');
      await page.locator('.k-send').click();
      const note = page.locator('#k-log .mc-officer');
      await note.waitFor();
      assert.match(await note.textContent(), /024 3825 1234/);
      assert.equal(await page.locator('a[href^="tel:"]').count(), 0);
      assert.deepEqual(b.errors, []);
    } finally { await b.close(); }
  });
});
