#!/usr/bin/env node
// tools/officer-screenshots.js - the pictures of docs/officer.md (docs/img/officer-*.png), taken
// at 1366×768 from the real server with the same steps as tests/e2e/officer-browser.test.js:
//   make BUILD=build all && node tools/officer-screenshots.js
// Uses MOTCUA_BIN / MOTCUA_DB like the tests (default build/motcua, build/motcua.db); starts its
// own server on an ephemeral port with a temporary state database and officer account.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { startServer, tempDir, ROOT } = require('../tests/e2e/lib/server');
const { launch } = require('../tests/e2e/lib/browser');
const F = require('../tests/e2e/lib/officer_flow');

const OUT = process.env.MOTCUA_SHOTS_DIR || path.join(ROOT, 'docs', 'img');

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const dir = tempDir();
  await F.addOfficer(dir, 'lan.nt', 'Nguyễn Thị Lan');
  const srv = await startServer({ dir });
  const officer = await launch(F.OFFICE);
  const citizen = await launch(F.OFFICE);
  const o = officer.page, c = citizen.page;
  const shot = async (page, name) => {
    await page.screenshot({ path: path.join(OUT, name) });
    console.log('wrote', path.relative(ROOT, path.join(OUT, name)));
  };
  try {
    await o.goto(srv.url + '/officer');
    await o.locator('#o-user').waitFor();
    await o.locator('#o-user').fill('lan.nt');
    await shot(o, 'officer-login.png');
    await o.locator('#o-pass').fill(F.PW);
    await o.locator('#o-pass').press('Enter');
    await o.locator('#v-work').waitFor({ state: 'visible' });
    await F.officerLive(o);

    await F.citizenOpen(c, srv.url);
    await F.citizenAsk(c, 'làm giấy khai sinh cho con cần gì');
    await c.locator('.mc-handoff-ask').click();
    await F.waitHandoff(c, 'pending');
    await o.locator('#o-list .o-item').first().waitFor();
    await shot(o, 'officer-queue.png');

    await o.locator('#o-list .o-item').first().click();
    await o.locator('#o-transcript .o-from-citizen').first().waitFor();
    await o.locator('#o-claim').click();
    await o.locator('#o-reply-text:enabled').waitFor();
    await F.waitHandoff(c, 'officer');
    await o.locator('#o-reply-text').fill('Chào anh/chị, tôi là cán bộ một cửa phường. Anh/chị cần hỗ trợ gì thêm ạ?');
    await o.locator('#o-reply-text').press('Enter');
    await F.waitCount(c, '.mc-officer-msg', 1);
    await F.citizenTell(c, 'Bé nhà tôi sinh ở nhà, không có giấy chứng sinh thì làm thế nào ạ?');
    await o.locator('#o-transcript .o-from-citizen', { hasText: 'không có giấy chứng sinh' }).waitFor();
    await o.locator('#o-q').fill('khai sinh');
    await o.locator('#o-q').press('Enter');
    await o.locator('#o-guide-name', { hasText: 'Đăng ký khai sinh' }).waitFor();
    await shot(o, 'officer-conversation.png');

    await o.locator('[data-share="checklist"]:enabled').click();
    await F.waitCount(c, '.mc-officer-msg', 2);
    await o.locator('#o-reply-text').fill('Trường hợp sinh ở nhà, anh/chị nhờ người làm chứng viết giấy xác nhận, hoặc viết giấy cam đoan về việc sinh theo mẫu tại Trung tâm.');
    await o.locator('#o-reply-text').press('Enter');
    await F.waitCount(c, '.mc-officer-msg', 3);
    await shot(c, 'officer-citizen-widget.png');

    // desk check: tick the papers brought, check, show the result
    const boxes = o.locator('#o-desk-items input');
    await boxes.nth(0).check();
    await boxes.nth(2).check();
    await o.locator('#o-desk-form button[type="submit"]').click();
    await o.locator('#o-desk-result p').first().waitFor();
    await o.evaluate(() => { /* scroll the assistant column only, not the page */
      const a = document.getElementById('o-assist'), d = document.getElementById('o-desk');
      a.scrollTop += d.getBoundingClientRect().top - a.getBoundingClientRect().top;
    });
    const page = await o.evaluate(() => [document.scrollingElement.scrollHeight, innerHeight]);
    if (page[0] > page[1]) throw new Error('the workspace scrolls at 1366×768: ' + page);
    await shot(o, 'officer-desk-check.png');
    await o.emulateMedia({ media: 'print' });
    await shot(o, 'officer-desk-print.png');
    await o.emulateMedia({ media: 'screen' });

    await o.locator('#o-release').click();
    await F.waitHandoff(c, 'bot');
    await F.citizenAsk(c, 'lệ phí làm giấy khai sinh bao nhiêu');
    await shot(c, 'officer-back-to-bot.png');
  } finally {
    await officer.close();
    await citizen.close();
    await srv.stop();
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
