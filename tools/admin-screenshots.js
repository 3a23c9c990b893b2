#!/usr/bin/env node
// tools/admin-screenshots.js - the pictures of the console's staff docs (docs/admin.md,
// docs/admin-office.md, docs/admin-feedback.md, docs/reports.md: docs/img/admin-*.png), taken at
// 1366×768 from the real server with the steps of tests/e2e/console-browser.test.js:
//   make BUILD=build all && node tools/admin-screenshots.js
// Uses MOTCUA_BIN / MOTCUA_DB like the tests (default build/motcua, build/motcua.db); starts its
// own server on an ephemeral port with a temporary state database, an admin account made with
// `motcua officer add`, and the commune 00008; citizens' questions are sent through the widget of
// the demo page first, so the pictures show real lists and figures. The 👍/👎 need a colour emoji
// font (Debian: fonts-noto-color-emoji), or they show as empty boxes.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { startServer, tempDir, ROOT } = require('../tests/e2e/lib/server');
const { launch } = require('../tests/e2e/lib/browser');
const F = require('../tests/e2e/lib/officer_flow');

const OUT = process.env.MOTCUA_SHOTS_DIR || path.join(ROOT, 'docs', 'img');
const MISS = 'nhà có người đi tù về muốn đi làm lại cần giấy gì';
// Citizens' questions (each in a conversation of its own): a 👍 or 👎 on the answer when set.
const CITIZENS = [
  { say: 'làm giấy khai sinh cho con cần những gì', vote: 'up' },
  { say: MISS },
  { say: 'nhà có người mới ra tù cần giấy gì để xin việc' },
  { say: 'đăng ký tạm trú cho sinh viên thuê trọ', vote: 'down' },
  { say: 'giờ làm việc', vote: 'up' },
  { say: 'qwxz plok trrr' },
];

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const dir = tempDir();
  await F.addOfficer(dir, 'hoa.pt', 'Phạm Thị Hoa', 'admin');
  const srv = await startServer({ dir, env: { MOTCUA_LOCALITY_DEFAULT: '00008' } });
  const admin = await launch(F.OFFICE);
  const a = admin.page;
  const shot = async (page, name) => {
    await page.screenshot({ path: path.join(OUT, name) });
    console.log('wrote', path.relative(ROOT, path.join(OUT, name)));
  };
  // Alt+N: the section at the top of the console's main column
  const section = async (key, id) => {
    await a.keyboard.press('Alt+' + key);
    await a.waitForFunction((s) => document.activeElement && document.activeElement.id === s, id);
    // the console's header stays in the picture: once the taught phrases' table is shown, its
    // visually hidden "Xoá" header (.a-sr, absolute) makes the page itself scroll a little
    await a.evaluate(() => { document.scrollingElement.scrollTop = 0; });
  };
  try {
    for (const q of CITIZENS) {
      const citizen = await launch(F.OFFICE);
      const c = citizen.page;
      await F.citizenOpen(c, srv.url);
      await F.citizenAsk(c, q.say);
      if (q.vote) {
        await c.locator(F.BOT).last().locator('.mc-fb-' + q.vote).click();
        await c.locator('.mc-fb-status', { hasText: 'Cảm ơn bạn đã góp ý!' }).last().waitFor();
      }
      await citizen.close();
    }

    await a.goto(srv.url + '/admin');
    await a.locator('#a-user').waitFor({ state: 'visible' });
    await a.locator('#a-user').fill('hoa.pt');
    await a.locator('#a-pass').fill(F.PW);
    await shot(a, 'admin-login.png');
    await a.locator('#a-pass').press('Enter');
    await a.locator('#v-work').waitFor({ state: 'visible' });
    // the office and notes sections fail on the first login of a page (admin-office.js starts
    // before the login: see tests/e2e/console-browser.test.js); the open session loads them all
    await a.reload();
    await a.locator('#v-work').waitFor({ state: 'visible' });
    await a.locator('#ao-hours').waitFor();

    const group = a.locator('#u-list > li', { hasText: MISS }).first();
    await group.waitFor();
    await a.locator('#u-list > li details summary').first().click(); // "Các câu hỏi gần nhất"
    await section(1, 'unanswered');
    await shot(a, 'admin-unanswered.png');

    await group.getByRole('button', { name: 'Dạy câu này' }).click();
    await a.selectOption('#t-label', 'ly-lich-tu-phap');
    await a.locator('#t-text').press('Enter');
    await a.locator('#t-msg.a-ok').waitFor();
    await a.locator('#t-rows tr', { hasText: MISS }).waitFor();
    await section(2, 'teach');
    await shot(a, 'admin-teach.png');

    await section(3, 'office');
    await a.locator('#ao-hours').waitFor();
    await a.locator('#ao-hours').fill('Thứ Hai đến thứ Sáu: 8:00–12:00 và 13:00–17:00; sáng thứ Bảy: 8:00–12:00');
    await a.getByRole('button', { name: 'Lưu thay đổi' }).click();
    await a.getByText('Đã lưu. Trợ lý dùng thông tin mới ngay.').waitFor();
    await a.evaluate(() => { /* the hours' field at the top of the column */
      const m = document.getElementById('a-main'), f = document.querySelector('#office .ao-field[data-field="hours"]');
      m.scrollTop += f.getBoundingClientRect().top - m.getBoundingClientRect().top - 16;
    });
    await shot(a, 'admin-office.png');

    await section(4, 'notes');
    await a.locator('#an-proc').selectOption('khai-sinh');
    await a.locator('#an-comment').waitFor();
    await a.locator('#an-field').selectOption('fee');
    await a.locator('#an-comment').fill('Đã đối chiếu với Nghị quyết của HĐND tỉnh: miễn lệ phí khi đăng ký đúng hạn.');
    await section(4, 'notes');
    await shot(a, 'admin-notes.png');
    await a.getByRole('button', { name: 'Đúng — xác nhận' }).click();
    await a.locator('#notes li[data-status="confirmed"]').waitFor();

    await section(5, 'feedback');
    await a.getByText('Những câu trả lời bị 👎 gần đây').waitFor();
    await shot(a, 'admin-feedback.png');

    await a.goto(srv.url + '/admin/bao-cao');
    await a.locator('.tiles').waitFor();
    await shot(a, 'admin-report.png');
    await a.emulateMedia({ media: 'print' });
    await shot(a, 'admin-report-print.png');
    await a.emulateMedia({ media: 'screen' });
    if (admin.errors.length) throw admin.errors[0];
  } finally {
    await admin.close();
    await srv.stop();
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
