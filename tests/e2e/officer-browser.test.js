// tests/e2e/officer-browser.test.js - the handoff in two headless Chromium pages against the
// real server: a citizen's widget asks for an officer, the officer's /officer page (account
// made by `motcua officer add`, password on stdin) sees it arrive live and plays its tone,
// claims it, both write, the officer shares a checklist from the assistant, releases, and the
// bot answers the citizen again. Then the workspace alone, keyboard only: the assistant search
// and the desk check with its printable result.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, tempDir } = require('./lib/server');
const { launch } = require('./lib/browser');
const F = require('./lib/officer_flow');

const T = { timeout: 60000 };
let srv, dir;
const browsers = [];

before(async () => {
  dir = tempDir();
  await F.addOfficer(dir, 'lan.nt', 'Nguyễn Thị Lan');
  srv = await startServer({ dir });
});
after(async () => {
  for (const b of browsers) await b.close();
  if (srv) await srv.stop();
});

async function open(opts) {
  const b = await launch(opts);
  browsers.push(b);
  return b;
}

test('handoff: ask for an officer, live queue, claim, two-way messages, share, release, bot again', T, async () => {
  const officer = await open(F.OFFICE);
  const citizen = await open();
  const o = officer.page, c = citizen.page;

  await F.officerLogin(o, srv.url, 'lan.nt');
  await F.officerLive(o);
  assert.equal(await o.locator('#o-list .o-item').count(), 0);

  await F.citizenOpen(c, srv.url);
  await F.citizenAsk(c, 'làm giấy khai sinh cho con cần gì');
  assert.equal(await F.handoffState(c), 'bot');
  assert.ok(await c.locator('.mc-handoff-ask').isVisible(), 'the "Gặp cán bộ" button is visible');
  await c.locator('.mc-handoff-ask').click();
  await F.waitHandoff(c, 'pending');
  assert.ok(await c.locator('.mc-handoff-cancel').isVisible(), 'the way back to the bot while pending');

  // arrives live (no reload, before any 15 s poll) and plays the tone
  await o.locator('#o-list .o-item').first().waitFor({ timeout: 5000 });
  assert.match(await o.locator('#o-list .o-item').first().textContent(), /Website/);
  assert.match(await o.locator('#o-list .o-item .o-wait').first().textContent(), /^chờ /);
  await o.waitForFunction(() => Number(document.body.getAttribute('data-beeps') || 0) >= 1);

  await o.locator('#o-list .o-item').first().click();
  await o.locator('#o-transcript .o-from-citizen').first().waitFor();
  assert.match(await o.locator('#o-transcript').textContent(), /khai sinh/);
  await o.locator('#o-claim').click();
  await o.locator('#o-reply-text:enabled').waitFor();
  await F.waitHandoff(c, 'officer');
  assert.match(await c.locator('.mc-handoff-text').textContent(), /Cán bộ Nguyễn Thị Lan đang hỗ trợ bạn/);

  // officer -> citizen, shown apart from the bot's answers
  await o.locator('#o-reply-text').fill('Chào anh/chị, tôi là cán bộ một cửa. Anh/chị cần hỗ trợ gì thêm?');
  await o.locator('#o-reply-text').press('Enter');
  await F.waitCount(c, '.mc-officer-msg', 1);
  assert.match(await c.locator('.mc-officer-msg .mc-officer-name').first().textContent(), /Cán bộ Nguyễn Thị Lan đang hỗ trợ bạn/);
  assert.match(await c.locator('.mc-officer-msg .mc-bubble').first().textContent(), /tôi là cán bộ một cửa/);

  // citizen -> officer: "delivered", no bot answer, live in the officer's transcript
  const bots = await F.countIn(c, F.BOT);
  await F.citizenTell(c, 'Bé nhà tôi sinh ở nhà, không có giấy chứng sinh thì sao ạ?');
  assert.match(await c.locator('.mc-user.mc-delivered .mc-state').last().textContent(), /Đã chuyển đến cán bộ/);
  await o.locator('#o-transcript .o-from-citizen', { hasText: 'không có giấy chứng sinh' }).waitFor({ timeout: 5000 });
  assert.equal(await F.countIn(c, F.BOT), bots, 'the bot stays silent while an officer holds it');

  // the assistant: search, then share the checklist into the conversation
  await o.locator('#o-q').fill('khai sinh');
  await o.locator('#o-q').press('Enter');
  await o.locator('#o-guide-name', { hasText: 'Đăng ký khai sinh' }).waitFor();
  await o.locator('[data-share="checklist"]:enabled').click();
  await F.waitCount(c, '.mc-officer-msg', 2);
  const shared = await c.locator('.mc-officer-msg .mc-bubble').last().textContent();
  assert.match(shared, /Giấy tờ cần chuẩn bị \(Đăng ký khai sinh\)/);
  assert.match(shared, /Hồ sơ hay bị trả lại vì/);

  // release: the citizen is told, and the bot answers again
  await o.locator('#o-release').click();
  await F.waitHandoff(c, 'bot');
  assert.ok(await c.locator('.mc-handoff-ask').isVisible());
  await F.citizenAsk(c, 'lệ phí làm giấy khai sinh bao nhiêu');
  assert.match(await c.locator(F.BOT).last().textContent(), /[Ll]ệ phí/);
  assert.deepEqual(officer.errors, []);
  assert.deepEqual(citizen.errors, []);
});

test('workspace, keyboard only: search, guide with verify marks, desk check, printable', T, async () => {
  const officer = await open(F.OFFICE);
  const o = officer.page;
  await F.officerLogin(o, srv.url, 'lan.nt');
  await o.keyboard.press('Alt+3');
  assert.equal(await o.evaluate(() => document.activeElement.id), 'o-q');
  await o.keyboard.type('dk ks cho be can j');
  await o.keyboard.press('Enter');
  await o.locator('#o-guide-name', { hasText: 'Đăng ký khai sinh' }).waitFor();
  const body = await o.locator('#o-guide-body').textContent();
  assert.match(body, /Căn cứ pháp lý/);
  assert.match(body, /Luật Hộ tịch/);
  assert.match(body, /chưa xác nhận/, 'the unconfirmed fee is marked');
  // 1366×768: the columns scroll inside, the page itself never does
  const [h, vh] = await o.evaluate(() => [document.scrollingElement.scrollHeight, innerHeight]);
  assert.ok(h <= vh, `the page scrolls: ${h} > ${vh}`);
  // nothing to share into without a held conversation
  assert.equal(await o.locator('[data-share]:enabled').count(), 0);

  // desk: tick the first paper with the keyboard, check, read what is missing and why
  await o.keyboard.press('Alt+4');
  assert.equal(await o.evaluate(() => document.activeElement.type), 'checkbox');
  await o.keyboard.press('Space');
  await o.keyboard.press('Enter'); // submits the desk form
  await o.locator('#o-desk-result .o-bad-text').waitFor();
  const res = await o.locator('#o-desk-result').textContent();
  assert.match(res, /còn thiếu \d+ giấy tờ bắt buộc/);
  assert.match(res, /Bắt buộc với mọi hồ sơ/);
  assert.match(res, /Đã có/);
  // the print view holds the result, and only it is shown on paper
  await o.emulateMedia({ media: 'print' });
  assert.ok(await o.locator('#o-print').isVisible());
  assert.ok(!(await o.locator('#v-work').isVisible()));
  assert.match(await o.locator('#o-print h1').textContent(), /Phiếu kiểm tra hồ sơ: Đăng ký khai sinh/);
  await o.emulateMedia({ media: 'screen' });

  // every control reached by Tab shows a focus ring
  await o.locator('#o-q').focus();
  await o.keyboard.press('Tab');
  const ring = await o.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(ring, 'none');
  assert.deepEqual(officer.errors, []);
});

test('workspace: a wrong password is refused on the page', T, async () => {
  const officer = await open(F.OFFICE);
  const o = officer.page;
  await o.goto(srv.url + '/officer');
  await o.locator('#o-user').fill('lan.nt');
  await o.locator('#o-pass').fill('sai-mat-khau-123');
  await o.locator('#o-pass').press('Enter');
  await o.locator('#o-login-err:visible').waitFor();
  assert.match(await o.locator('#o-login-err').textContent(), /Sai tên đăng nhập hoặc mật khẩu/);
  assert.ok(!(await o.locator('#v-work').isVisible()));
});

// The assistant's endpoints behind the page: the officer session, CSRF on POST, clear errors.
test('assistant API: session, CSRF, search, view, desk check, bad input', T, async () => {
  const base = srv.url + '/api/v1/officer/';
  let r = await fetch(base + 'assistant?q=khai%20sinh');
  assert.equal(r.status, 401);
  r = await fetch(base + 'login', { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'lan.nt', password: F.PW }) });
  assert.equal(r.status, 200);
  const { csrf_token: csrf } = await r.json();
  const cookie = /^(motcua_officer=[0-9a-f]{64});/.exec(r.headers.get('set-cookie'))[1];
  const get = (p) => fetch(base + p, { headers: { cookie } });
  const post = (p, body, token = csrf) => fetch(base + p, { method: 'POST',
    headers: { cookie, 'content-type': 'application/json', ...(token ? { 'x-csrf-token': token } : {}) },
    body: JSON.stringify(body) });

  r = await get('assistant?q=' + encodeURIComponent('dk ks cho be can j'));
  assert.equal(r.status, 200);
  let j = await r.json();
  assert.equal(j.results[0].procedure, 'khai-sinh');
  assert.equal(j.understanding.label, 'khai-sinh');
  assert.equal(j.guide.id, 'khai-sinh');
  assert.equal(r.headers.get('access-control-allow-origin'), null, 'same origin only');
  assert.equal((await get('assistant')).status, 400);
  assert.equal((await get('assistant?q=' + 'a'.repeat(2100))).status, 413);

  r = await get('assistant/procedures/khai-sinh');
  j = await r.json();
  assert.equal(r.status, 200);
  assert.ok(j.legal_basis.length > 0 && j.checklist.length > 0 && j.steps.length > 0);
  assert.ok(j.verify.includes('fee') && j.fee_verify === true);
  assert.equal((await get('assistant/procedures/khong-co')).status, 404);

  const have = j.checklist.filter((c) => c.required).map((c) => c.key);
  r = await post('assistant/check', { procedure: 'khai-sinh', have });
  assert.equal(r.status, 200);
  j = await r.json();
  assert.equal(j.complete, true);
  assert.ok(j.missing.every((m) => !m.required));
  assert.equal((await post('assistant/check', { procedure: 'khai-sinh', have }, null)).status, 403);
  assert.equal((await post('assistant/check', { procedure: 'khai-sinh', have }, 'f'.repeat(64))).status, 403);
  assert.equal((await post('assistant/check', { procedure: 'khai-sinh', have: ['so-ho-khau'] })).status, 400);
  assert.equal((await post('assistant/check', { procedure: 'khai-sinh', have: 'x' })).status, 400);
  assert.equal((await post('assistant/check', { procedure: 'khong-co', have: [] })).status, 404);
  assert.equal((await post('assistant/check', ['not', 'an', 'object'])).status, 400);
  assert.equal((await fetch(base + 'assistant/check', { headers: { cookie } })).status, 405);
  // the server still answers
  assert.equal((await get('assistant/procedures/ket-hon')).status, 200);
});

// The kiosk has the same "Gặp cán bộ" and the way back, and reaches the officers' queue.
test('kiosk: "Gặp cán bộ", pending, back to the bot', T, async () => {
  const kiosk = await open({ viewport: { width: 1080, height: 1920 } });
  const k = kiosk.page;
  await k.goto(srv.url + '/kiosk');
  await k.locator('#k-ask').click();
  await k.locator('#v-chat').waitFor({ state: 'visible' });
  await k.locator('.k-handoff-ask').click();
  await k.locator('.k-handoff[data-state="pending"]').waitFor();
  assert.match(await k.locator('.k-handoff-text').textContent(), /chuyển đến cán bộ/);
  await k.locator('.k-handoff-cancel').click();
  await k.locator('.k-handoff[data-state="bot"]').waitFor();
  assert.ok(await k.locator('.k-handoff-ask').isVisible());
  assert.deepEqual(kiosk.errors, []);
});
