// tests/e2e/guides.test.js - issue 19, the printable guides (/thu-tuc): an unknown guide is a
// whole Vietnamese 404 page (the JSON API keeps its JSON 404s), the guide search /thu-tuc?q=...
// finds guides from a question typed without diacritics, with and without JavaScript, and a
// guide page carries the commune's office block and a QR code of its own address.
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { startServer, run, ROOT } = require('./lib/server');
const { launch } = require('./lib/browser');

const T = { timeout: 40000 };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const PUBLIC = 'https://motcua.phuong-ngoc-ha.example';
const OFFICE = JSON.parse(fs.readFileSync(path.join(ROOT, 'data', 'offices', '00008.json'), 'utf8'));

let srv; // the commune 00008, with site.public_url
let bare; // no commune, no public URL
before(async () => {
  srv = await startServer({ env: { MOTCUA_LOCALITY_DEFAULT: '00008', MOTCUA_SITE_PUBLIC_URL: PUBLIC + '/' } });
  bare = await startServer();
});
after(async () => {
  if (srv) await srv.stop();
  if (bare) await bare.stop();
});

// The body as bytes and text: throws if it is not valid UTF-8 (a body cut mid-character) or
// shorter or longer than its content-length.
async function wholeHtml(r) {
  const bytes = new Uint8Array(await r.arrayBuffer());
  assert.equal(Number(r.headers.get('content-length')), bytes.length, 'content-length is the body');
  const html = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  assert.match(html, /^<!doctype html>\n<html lang="vi"><head><meta charset="utf-8">/);
  assert.match(html, /<\/main><\/body><\/html>\n$/, 'the page ends with its closing tags');
  for (const tag of ['html', 'head', 'title', 'body', 'main', 'h1', 'p', 'a', 'form', 'label', 'ol', 'li', 'dl', 'section', 'figure']) {
    const open = (html.match(new RegExp(`<${tag}[\\s>]`, 'g')) || []).length;
    const close = (html.match(new RegExp(`</${tag}>`, 'g')) || []).length;
    assert.equal(open, close, `<${tag}> opened ${open} times, closed ${close}`);
  }
  return html;
}
// GET with a Host header of our choosing (fetch always sends the URL's own).
function getWithHost(url, host) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}
const links = (html) => [...html.matchAll(/<ol class="results"[^>]*>(.*?)<\/ol>/g)]
  .flatMap((m) => [...m[1].matchAll(/href="\/thu-tuc\/([a-z0-9-]+)"/g)].map((x) => x[1]));

describe('the 404 page of an unknown guide', () => {
  test('is whole, valid UTF-8, in Vietnamese with lang="vi", with the search box; HEAD agrees', T, async () => {
    for (const s of [srv, bare]) {
      for (const p of ['/thu-tuc/khong-co', '/thu-tuc/Khong_Co', '/thu-tuc/khai-sinh/them', '/thu-tucxyz']) {
        const r = await fetch(s.url + p);
        assert.equal(r.status, 404, p);
        assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8', p);
        const html = await wholeHtml(r);
        assert.ok(html.includes('<h1>Không tìm thấy trang này</h1>'), html);
        assert.ok(html.includes('<p>Không có thủ tục này. <a href="/thu-tuc">Danh sách thủ tục</a></p>'), html);
        assert.match(html, /<form class="search[^"]*" role="search" action="\/thu-tuc" method="get">/);
        const h = await fetch(s.url + p, { method: 'HEAD' });
        assert.equal(h.status, 404);
        assert.equal(h.headers.get('content-length'), r.headers.get('content-length'));
      }
    }
    // the commune's name heads the page when the deployment has one
    assert.match(await (await fetch(srv.url + '/thu-tuc/khong-co')).text(), /<p class="commune">Phường Ngọc Hà<\/p>/);
  });

  test('the JSON API keeps JSON 404s', async () => {
    for (const [p, code] of [['/api/v1/procedures/khong-co', 'unknown_procedure'], ['/api/v1/nothing', 'not_found'],
      ['/api/v1/portal/9.999999', 'unknown_portal_code']]) {
      const r = await fetch(srv.url + p);
      assert.equal(r.status, 404, p);
      assert.match(r.headers.get('content-type'), /^application\/json/, p);
      assert.equal((await r.json()).error, code, p);
    }
  });
});

describe('the guide search /thu-tuc?q=', () => {
  test('a question typed without diacritics finds its guide first', T, async () => {
    for (const [q, id] of [['dk khai sinh cho be', 'khai-sinh'], ['dang ky tam tru', 'tam-tru'],
      ['lam lai can cuoc bi mat', 'can-cuoc'], ['khai tử', 'khai-tu'], ['ket hon', 'ket-hon']]) {
      const r = await fetch(srv.url + '/thu-tuc?q=' + encodeURIComponent(q));
      assert.equal(r.status, 200, q);
      const html = await wholeHtml(r);
      assert.equal(links(html)[0], id, `${q}: ${links(html)}`);
      assert.ok(links(html).length <= 8, q);
      // the box shows the query again, escaped
      assert.ok(html.includes(`value="${q}"`), q);
      assert.ok(html.includes(`<h1>Kết quả tìm: “${q}”</h1>`), q);
    }
    // the form's own encoding (+ for a space) and /thu-tuc/ work the same
    const html = await wholeHtml(await fetch(srv.url + '/thu-tuc/?q=dang+ky+khai+sinh'));
    assert.equal(links(html)[0], 'khai-sinh');
  });

  test('nothing found, an empty, an over-long, a broken and a hostile query', T, async () => {
    let r = await fetch(srv.url + '/thu-tuc?q=' + encodeURIComponent('thời tiết hôm nay thế nào'));
    assert.equal(r.status, 200);
    let html = await wholeHtml(r);
    assert.deepEqual(links(html), []);
    assert.match(html, /Không tìm thấy thủ tục nào phù hợp.*<a href="\/thu-tuc">danh sách tất cả thủ tục<\/a>/);
    for (const q of ['', '%20%20', '+']) {
      r = await fetch(srv.url + '/thu-tuc?q=' + q);
      assert.equal(r.status, 200, q);
      html = await wholeHtml(r);
      assert.match(html, /Hãy gõ tên thủ tục hoặc câu hỏi/, q);
      assert.ok(html.includes('value=""'), q);
    }
    r = await fetch(srv.url + '/thu-tuc?q=' + encodeURIComponent('khai sinh '.repeat(60)));
    assert.equal(r.status, 400);
    html = await wholeHtml(r);
    assert.match(html, /<p class="empty" role="alert">Câu tìm kiếm dài quá\. Hãy gõ ngắn hơn \(tối đa 120 ký tự\)/);
    r = await fetch(srv.url + '/thu-tuc?q=%FF%FEkhai');
    assert.equal(r.status, 400);
    assert.match(await wholeHtml(r), /Không đọc được câu tìm kiếm/);
    r = await fetch(srv.url + '/thu-tuc?q=' + encodeURIComponent('"><script>alert(1)</script>'));
    assert.equal(r.status, 200);
    html = await wholeHtml(r);
    assert.ok(!html.includes('<script'), 'the query is escaped');
    assert.ok(html.includes('value="&quot;&gt;&lt;script&gt;'), html.slice(0, 2000));
    // a q on a guide's own page is not a search
    r = await fetch(srv.url + '/thu-tuc/khai-sinh?q=tam+tru');
    assert.equal(r.status, 200);
    assert.match(await r.text(), /<h1>Đăng ký khai sinh<\/h1>/);
    assert.equal((await fetch(srv.url + '/healthz')).status, 200, 'the server still answers');
  });

  for (const js of [true, false]) {
    test(`in the browser ${js ? 'with' : 'without'} JavaScript: type, press Enter, follow the result`, T, async () => {
      const b = await launch({ ...PHONE, javaScriptEnabled: js });
      try {
        const { page } = b;
        // the browser really runs (or not) scripts: the demo page's widget appears only with them
        // (widget.js is deferred: it has run once the page has loaded)
        await page.goto(srv.url + '/');
        assert.equal(await page.locator('motcua-widget').count(), js ? 1 : 0, 'JavaScript ' + (js ? 'on' : 'off'));
        await page.goto(srv.url + '/thu-tuc/khai-sinh');
        await page.getByLabel('Tìm thủ tục').fill('dang ky tam tru cho nguoi thue nha');
        await Promise.all([page.waitForURL(/\/thu-tuc\?q=/), page.keyboard.press('Enter')]);
        assert.equal(new URL(page.url()).searchParams.get('q'), 'dang ky tam tru cho nguoi thue nha');
        const first = page.locator('ol.results li a').first();
        assert.equal(await first.textContent(), 'Đăng ký tạm trú');
        await Promise.all([page.waitForURL(/\/thu-tuc\/tam-tru$/), first.click()]);
        assert.equal(await page.locator('h1').textContent(), 'Đăng ký tạm trú');
        // the search box is the first stop of the keyboard on a guide page
        await page.keyboard.press('Tab');
        assert.equal(await page.evaluate(() => document.activeElement.id), 'q');
        assert.deepEqual(b.errors, []);
      } finally {
        await b.close();
      }
    });
  }
});

describe('a guide page: the office block and the QR code', () => {
  test('the commune\'s office: name, address, hours, the hotline in place of an unknown phone; marks kept', T, async () => {
    const html = await wholeHtml(await fetch(srv.url + '/thu-tuc/khai-sinh'));
    const m = /<section class="office" aria-labelledby="office-h">(.*?)<\/section>/.exec(html);
    assert.ok(m, 'an office block');
    const block = m[1];
    assert.ok(block.includes('<h2 id="office-h">Nơi tiếp nhận hồ sơ</h2>'));
    assert.ok(block.includes(`<p class="office-name">${OFFICE.office_name}</p>`), block);
    assert.ok(block.includes(`<dt>Địa chỉ</dt><dd>${OFFICE.address.text} <span class="verify">(đang chờ cán bộ xác minh)</span></dd>`), block);
    assert.ok(block.includes(`<dt>Giờ làm việc</dt><dd>${OFFICE.hours.text} <span class="verify">`), block);
    assert.equal(OFFICE.phone.text, null);
    assert.ok(block.includes(`<dt>Đường dây hỗ trợ</dt><dd>${OFFICE.hotline.text}</dd>`), block);
    // before the steps, where a citizen reads where to go
    assert.ok(html.indexOf('class="office"') < html.indexOf('Các bước thực hiện'));
    // no commune configured: no office block, the page all the same
    const plain = await wholeHtml(await fetch(bare.url + '/thu-tuc/khai-sinh'));
    assert.ok(!plain.includes('class="office"'));
    assert.match(plain, /<h1>Đăng ký khai sinh<\/h1>/);
  });

  test('a QR code of the page\'s own absolute address: site.public_url, else the Host', T, async () => {
    const qrOf = (html) => /<figure class="qr">(<svg[^]*?<\/svg>)\n?<figcaption>Quét mã để mở trang này trên điện thoại:<br><span class="url">([^<]*)<\/span><\/figcaption><\/figure>/.exec(html);
    let html = await wholeHtml(await fetch(srv.url + '/thu-tuc/khai-sinh'));
    let m = qrOf(html);
    assert.ok(m, 'a QR figure');
    assert.equal(m[2], PUBLIC + '/thu-tuc/khai-sinh', 'public_url without its trailing slash, then the path');
    // the same code as the QR API makes for that page (both encode the same text)
    const api = await (await fetch(srv.url + '/api/v1/qr?path=/thu-tuc/khai-sinh')).text();
    assert.equal(m[1], api.trim());
    // a forged Host does not change the code when the public address is set
    const forged = await getWithHost(srv.url + '/thu-tuc/khai-sinh', 'evil.example');
    assert.equal(qrOf(forged.body)[2], PUBLIC + '/thu-tuc/khai-sinh');
    assert.equal(qrOf(forged.body)[1], m[1]);
    // another guide, another code
    const other = qrOf(await (await fetch(srv.url + '/thu-tuc/tam-tru')).text());
    assert.equal(other[2], PUBLIC + '/thu-tuc/tam-tru');
    assert.notEqual(other[1], m[1]);
    // no public URL: the address the browser used
    html = await wholeHtml(await fetch(bare.url + '/thu-tuc/khai-sinh'));
    m = qrOf(html);
    assert.equal(m[2], bare.url + '/thu-tuc/khai-sinh');
    // behind a proxy that forwards the Host, that is the address (with https when it says so)
    assert.equal(qrOf((await getWithHost(bare.url + '/thu-tuc/khai-sinh', 'xa.example:8443')).body)[2],
      'http://xa.example:8443/thu-tuc/khai-sinh');
    const bad = await getWithHost(bare.url + '/thu-tuc/khai-sinh', 'a"b<c');
    assert.equal(bad.status, 200, 'a Host that is no host name: the page without a QR');
    assert.ok(!bad.body.includes('<figure class="qr">'));
    assert.match(bad.body, /<h1>Đăng ký khai sinh<\/h1>/);
    // the index and the search page have no QR (a guide's page does)
    assert.ok(!(await (await fetch(srv.url + '/thu-tuc')).text()).includes('<figure class="qr">'));
  });

  test('a bad site.public_url stops the start, naming the key', async () => {
    const r = await run(['serve'], { env: { MOTCUA_SITE_PUBLIC_URL: 'javascript:alert(1)', MOTCUA_LISTEN_PORT: '0' } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /site\.public_url/);
  });
});
