// tests/e2e/share.test.js - issue 19, "nothing to take away on the web or phone", against the
// real server: a reply's checklist carries share_url (/p/<token>, 128 random bits in base64url),
// the page is Vietnamese HTML with the items, the office, its QR and the "Lưu ảnh" picture
// (a real PNG drawn by Pango/cairo), the same checklist keeps its page, unknown and expired
// tokens are 404 (a page in Vietnamese; JSON for the picture), expired pages are purged by
// retention, a forgotten session takes its pages along, the kiosk gets none, site.public_url
// makes the absolute link; and the page on a 390x844 phone in headless Chromium.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { walkToChecklist } = require('./lib/precheck');
const { startServer, tempDir, Client, stateQuery, PG } = require('./lib/server');
const { launch } = require('./lib/browser');
const crypto = require('node:crypto');
const { startFake } = require('./lib/fake_platform');

const TOKEN = /^\/p\/[A-Za-z0-9_-]{22}$/; // 16 random bytes, base64url without padding
let srv, dir;
const sql = (q) => stateQuery(dir, q);
// now in Unix seconds, in the back-end's SQL (the PostgreSQL pass, make test-e2e-pg)
const NOW = PG ? 'extract(epoch FROM now())::bigint' : "strftime('%s','now')";
const html = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

before(async () => {
  dir = tempDir('motcua-share-');
  srv = await startServer({ dir });
});
after(async () => { if (srv) await srv.stop(); });

// Walks the pre-check of a birth registration to its checklist; resolves [client, reply, welcome].
async function precheck(url, channel = 'web') {
  const c = await Client.connect(url);
  const w = await c.hello(null, channel);
  const r = await walkToChecklist(c);
  assert.ok(r.checklist, 'the pre-check ended with its checklist');
  return [c, r, w];
}

let shared; // [client, reply, welcome] of the first pre-check

test('a checklist reply carries share_url; the page is Vietnamese HTML with the items, office, QR and picture link', async () => {
  shared = await precheck(srv.wsUrl);
  const [, r] = shared;
  const url = r.checklist.share_url;
  assert.match(url, TOKEN);
  assert.equal(r.checklist.share_link, undefined, 'no absolute link without site.public_url');
  const res = await fetch(srv.url + url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html; charset=utf-8/);
  const body = await res.text();
  assert.match(body, /<html lang="vi">/);
  assert.ok(body.includes(html(r.checklist.title)), 'the procedure title');
  for (const it of r.checklist.items) assert.ok(body.includes(html(it.name)), 'item ' + it.name);
  assert.match(body, /Còn thiếu: |Chưa rõ: |Đã có: /);
  assert.ok(body.includes(`<a class="sh-btn" download="danh-sach-ho-so.png" href="${url}.png">Lưu ảnh</a>`));
  assert.ok(body.includes('Chia sẻ qua Zalo'));
  assert.ok(body.includes('<svg'), 'the QR of the page (loopback Host)');
  assert.ok(body.includes(`http://127.0.0.1:${srv.port}${url}`), 'the QR says its URL');
  assert.ok(!/<script>/.test(body), 'no inline script: share.js only');
});

test('the picture is a real PNG, 1080 px wide, as tall as its content', async () => {
  const url = shared[1].checklist.share_url;
  const res = await fetch(srv.url + url + '.png');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/png');
  const b = Buffer.from(await res.arrayBuffer());
  assert.deepEqual([...b.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(b.subarray(12, 16).toString(), 'IHDR');
  const width = b.readUInt32BE(16), height = b.readUInt32BE(20);
  assert.equal(width, 1080);
  assert.ok(height > 900 && height <= 9000, 'height ' + height);
  assert.ok(b.length > 20000 && b.length < 4 * 1024 * 1024, 'size ' + b.length);
});

// Pictures are drawn off the event loop (gateway/share_render.h), one at a time, at most 8
// waiting: while nine different pictures are drawn (~65 ms each), /healthz is answered at once
// (before: after all of them, ~750 ms), the requests beyond the queue get 503 busy with
// Retry-After (before: every one drawn on the loop), and a picture asked for again comes from the
// cache, the same bytes.
test('pictures are drawn off the loop: other requests go on, the queue is bounded, repeats are cached', { timeout: 60000 }, async () => {
  const urls = [];
  for (let i = 0; i < 12; i++) {
    const [c, r] = await precheck(srv.wsUrl);
    await c.close();
    urls.push(r.checklist.share_url + '.png');
  }
  const t0 = Date.now();
  const pics = urls.map((u) => fetch(srv.url + u).then(async (res) => ({
    status: res.status, retry: res.headers.get('retry-after'), body: Buffer.from(await res.arrayBuffer()), at: Date.now() - t0,
  })));
  await new Promise((r) => setTimeout(r, 30));
  const h0 = Date.now();
  const health = await fetch(srv.url + '/healthz');
  const healthMs = Date.now() - h0;
  assert.equal(health.status, 200);
  const got = await Promise.all(pics);
  const ok = got.filter((g) => g.status === 200);
  const busy = got.filter((g) => g.status === 503);
  const seen = got.map((g) => g.status + '@' + g.at).join(' ');
  assert.ok(ok.length >= 9, `one drawing and eight waiting are served: ${seen}`);
  assert.ok(busy.length >= 1, `twelve at once: those beyond the queue are refused: ${seen}`);
  for (const b of busy) assert.equal(b.retry, '2');
  const lastPicture = Math.max(...ok.map((g) => g.at));
  assert.ok(healthMs < lastPicture / 2, `/healthz took ${healthMs} ms while the pictures were drawn (${seen})`);
  // asked again: the cache's bytes (the eight most recent fit)
  const again = await fetch(srv.url + urls[urls.length - 1]);
  if (got[got.length - 1].status === 200) {
    assert.equal(again.status, 200);
    assert.ok(Buffer.from(await again.arrayBuffer()).equals(got[got.length - 1].body), 'the same picture');
  }
});

test('the same checklist keeps its page; another session gets another token', async () => {
  const [c, r] = shared;
  c.send({ type: 'postback', payload: 'checklist', id: 'again' });
  const again = await c.nextReply();
  assert.equal(again.checklist.share_url, r.checklist.share_url);
  const [c2, r2] = await precheck(srv.wsUrl);
  assert.match(r2.checklist.share_url, TOKEN);
  assert.notEqual(r2.checklist.share_url, r.checklist.share_url);
  await c2.close();
});

test('unknown or malformed tokens: a 404 page in Vietnamese, 404 JSON for the picture', async () => {
  for (const p of ['/p/AAAAAAAAAAAAAAAAAAAAAA', '/p/short', '/p/', '/p/%27%20OR%201=1']) {
    const res = await fetch(srv.url + p);
    assert.equal(res.status, 404, p);
    assert.match(res.headers.get('content-type'), /^text\/html/);
    const body = await res.text();
    assert.match(body, /<html lang="vi">/);
    assert.ok(body.includes('Không tìm thấy danh sách hồ sơ này'));
  }
  const png = await fetch(srv.url + '/p/AAAAAAAAAAAAAAAAAAAAAA.png');
  assert.equal(png.status, 404);
  assert.match(png.headers.get('content-type'), /^application\/json/);
  assert.equal((await png.json()).error, 'not_found');
  const post = await fetch(srv.url + shared[1].checklist.share_url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
  assert.equal(post.status, 405);
});

test('the kiosk gets no page (a shared screen prints instead)', async () => {
  const [c, r] = await precheck(srv.wsUrl, 'kiosk');
  assert.equal(r.checklist.share_url, undefined);
  await c.close();
});

test('a forgotten session takes its pages along', async () => {
  const [c, r, w] = await precheck(srv.wsUrl);
  const url = r.checklist.share_url;
  const token = url.slice(3);
  const sid = sql(`SELECT id FROM session WHERE token = '${w.session}'`);
  assert.equal(sql(`SELECT count(*) FROM share WHERE session_id = ${sid}`), '1');
  c.send({ type: 'forget' });
  assert.deepEqual(await c.nextReply(), { type: 'forgotten' });
  assert.equal(sql(`SELECT count(*) FROM share WHERE token = '${token}'`), '0');
  assert.equal((await fetch(srv.url + url)).status, 404);
  assert.equal((await fetch(srv.url + url + '.png')).status, 404);
});

test('an expired page is 404 at once and purged by retention at the next start', async () => {
  const url = shared[1].checklist.share_url;
  const token = url.slice(3);
  sql(`UPDATE share SET expires = ${NOW} - 1 WHERE token = '${token}'`);
  assert.equal((await fetch(srv.url + url)).status, 404);
  assert.equal((await fetch(srv.url + url + '.png')).status, 404);
  await shared[0].close();
  await srv.stop();
  srv = await startServer({ dir });
  // the purge's rows are visible to another client as soon as its commit lands, a moment before
  // the server, back from that commit, logs it: wait for both
  const purged = () => sql(`SELECT count(*) FROM share WHERE token = '${token}'`) === '0' &&
    /event=privacy\.purge rows=\d+/.test(srv.logs());
  for (let i = 0; i < 50 && !purged(); i++) await new Promise((res) => setTimeout(res, 100));
  assert.equal(sql(`SELECT count(*) FROM share WHERE token = '${token}'`), '0', 'purged');
  assert.match(srv.logs(), /event=privacy\.purge rows=\d+/);
});

test('site.public_url makes the absolute link and the QR; share.ttl_days sets the expiry; the office block', async () => {
  const d2 = tempDir('motcua-share2-');
  const s2 = await startServer({ dir: d2, env: { MOTCUA_SITE_PUBLIC_URL: 'https://motcua.example.gov.vn/', MOTCUA_SHARE_TTL_DAYS: '7',
    MOTCUA_LOCALITY_DEFAULT: '00008' } });
  try {
    const [c, r] = await precheck(s2.wsUrl);
    assert.equal(r.checklist.share_link, 'https://motcua.example.gov.vn' + r.checklist.share_url);
    const body = await (await fetch(s2.url + r.checklist.share_url)).text();
    assert.ok(body.includes('https://motcua.example.gov.vn' + r.checklist.share_url));
    assert.ok(body.includes('hết hạn sau 7 ngày'));
    // the commune's office, and what no official has confirmed marked as on the guide pages
    assert.ok(body.includes('Trung tâm phục vụ hành chính công phường Ngọc Hà'), 'the office block');
    assert.match(body, /25 Liễu Giai[^<]*<span class="verify">\(đang chờ cán bộ xác minh\)<\/span>/);
    assert.match(body, /Hướng dẫn (này chưa được cán bộ rà soát|được cán bộ rà soát ngày \d{4}-\d\d-\d\d)/);
    const left = Number(stateQuery(d2, `SELECT expires - ${NOW} FROM share`));
    assert.ok(left > 6.9 * 86400 && left <= 7 * 86400, 'expires in 7 days: ' + left);
    await c.close();
  } finally {
    await s2.stop();
  }
});

test('Messenger: the checklist comes with its page\'s absolute link as a message of its own', { timeout: 40000 }, async () => {
  const SECRET = 'fb-share-secret';
  const fake = await startFake({ status: 200, body: { recipient_id: 'x', message_id: 'mid.1' } });
  const d3 = tempDir('motcua-share3-');
  const s3 = await startServer({ dir: d3, env: {
    MOTCUA_MESSENGER_APP_SECRET: SECRET, MOTCUA_MESSENGER_VERIFY_TOKEN: 'v', MOTCUA_MESSENGER_PAGE_TOKEN: 'PAGE',
    MOTCUA_MESSENGER_GRAPH_URL: fake.url + '/v25.0', MOTCUA_SITE_PUBLIC_URL: 'https://motcua.example.gov.vn' } });
  let mid = 0;
  // one event; resolves the texts sent back, once the message carrying the quick replies came
  const send = async (message) => {
    const body = JSON.stringify({ object: 'page', entry: [{ id: 'PAGE', time: Date.now(), messaging: [
      { sender: { id: '135792468' }, recipient: { id: 'PAGE' }, timestamp: Date.now(), message: { mid: 'm_sh_' + ++mid, ...message } }] }] });
    const before = fake.requests.length;
    const r = await fetch(s3.url + '/webhooks/messenger', { method: 'POST', body,
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=' + crypto.createHmac('sha256', SECRET).update(body).digest('hex') } });
    assert.equal(r.status, 200);
    await fake.until((q) => q.slice(before).some((x) => x.json && x.json.message && x.json.message.quick_replies));
    return fake.requests.slice(before).filter((q) => q.url.startsWith('/v25.0/me/messages')).map((q) => q.json.message);
  };
  try {
    let msgs = await send({ text: 'làm giấy khai sinh cho con' });
    const check = msgs.flatMap((m) => m.quick_replies || []).find((q) => q.payload.startsWith('check:'));
    assert.ok(check, 'the pre-check is offered');
    msgs = await send({ text: check.title, quick_reply: { payload: check.payload } });
    let link;
    for (let i = 0; i < 30 && !link; i++) {
      link = msgs.map((m) => m.text).find((t) => t.includes('/p/'));
      if (link) break;
      const ans = msgs.flatMap((m) => m.quick_replies || []).find((q) => q.payload === 'ans:yes');
      assert.ok(ans, 'a pre-check question: ' + JSON.stringify(msgs));
      msgs = await send({ text: ans.title, quick_reply: { payload: ans.payload } });
    }
    assert.match(link, /^Lưu danh sách hồ sơ của bạn .*: https:\/\/motcua\.example\.gov\.vn\/p\/[A-Za-z0-9_-]{22}$/);
    const res = await fetch(s3.url + link.slice(link.indexOf('/p/')));
    assert.equal(res.status, 200, 'the link opens the page');
  } finally {
    await s3.stop();
    await fake.close();
  }
});

test('browser: the page on a 390x844 phone: large type, no sideways scroll, share falls back to copying', { timeout: 40000 }, async () => {
  const [c, r] = await precheck(srv.wsUrl);
  await c.close();
  const b = await launch({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  try {
    const { page } = b;
    const res = await page.goto(srv.url + r.checklist.share_url);
    assert.equal(res.status(), 200);
    const m = await page.evaluate(() => ({
      lang: document.documentElement.lang,
      sw: document.documentElement.scrollWidth,
      font: parseFloat(getComputedStyle(document.querySelector('.sh-name')).fontSize),
      items: document.querySelectorAll('ul.sh-items li').length,
      qr: !!document.querySelector('.sh-qr svg'),
      download: document.querySelector('a[download]').getAttribute('href'),
      h1: document.querySelector('h1').textContent,
    }));
    assert.equal(m.lang, 'vi');
    assert.ok(m.sw <= 390, 'no sideways scroll: ' + m.sw);
    assert.ok(m.font >= 18, 'large type: ' + m.font);
    assert.equal(m.items, r.checklist.items.length);
    assert.ok(m.qr);
    assert.equal(m.download, r.checklist.share_url + '.png');
    assert.equal(m.h1, r.checklist.title);
    await page.evaluate(() => { delete Navigator.prototype.share; navigator.share = undefined; });
    await page.getByRole('button', { name: 'Chia sẻ qua Zalo' }).click();
    await page.waitForFunction(() => document.querySelector('.sh-status').textContent.length > 0);
    assert.match(await page.textContent('.sh-status'), /Zalo/);
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.isVisible('.sh-actions'), false, 'the buttons are not printed');
    assert.deepEqual(b.errors, []);
  } finally {
    await b.close();
  }
});
