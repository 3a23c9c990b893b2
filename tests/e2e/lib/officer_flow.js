// tests/e2e/lib/officer_flow.js - the steps of a handoff in two Chromium pages (the citizen's
// widget and the officer's /officer workspace), shared by tests/e2e/officer-browser.test.js
// and tools/officer-screenshots.js so the pictures in docs/officer.md show what is tested.
'use strict';
const path = require('node:path');
const { run } = require('./server');

const PW = 'mật-khẩu-đủ-dài-1';
const OFFICE = { viewport: { width: 1366, height: 768 } };

// `motcua officer add` with the password on stdin (as a commune's administrator does it).
async function addOfficer(dir, user, name, role = 'officer', pw = PW) {
  const r = await run(['officer', 'add', user, '--name', name, '--role', role],
    { env: { MOTCUA_DATA_STATE_DB: path.join(dir, 'state.db') }, input: pw + '\n' });
  if (r.code !== 0) throw new Error('officer add failed: ' + r.stderr);
}

async function officerLogin(page, url, user, pw = PW) {
  await page.goto(url + '/officer');
  await page.locator('#o-user').waitFor({ state: 'visible' });
  await page.locator('#o-user').fill(user);
  await page.locator('#o-pass').fill(pw);
  await page.locator('#o-pass').press('Enter');
  await page.locator('#v-work').waitFor({ state: 'visible' });
}

// Waits until the officer page says its socket is live.
async function officerLive(page) {
  await page.locator('#o-conn.o-ok').waitFor({ timeout: 8000 });
}

const BOT = '.mc-bot:not(.mc-local)';

async function citizenOpen(page, url) {
  await page.goto(url + '/');
  await page.locator('.mc-launcher').click();
  await page.locator('.mc-panel').waitFor({ state: 'visible' });
}

function countIn(page, selector) {
  return page.evaluate((sel) => document.querySelector('motcua-widget').shadowRoot.querySelectorAll(sel).length, selector);
}
async function waitCount(page, selector, n, timeout = 8000) {
  await page.waitForFunction(([sel, k]) => {
    const h = document.querySelector('motcua-widget');
    return h && h.shadowRoot.querySelectorAll(sel).length >= k;
  }, [selector, n], { timeout });
}
// The citizen types text and Enter; resolves once a bot answer more is on screen.
async function citizenAsk(page, text) {
  const before = await countIn(page, BOT);
  await page.locator('.mc-input').fill(text);
  await page.locator('.mc-input').press('Enter');
  await waitCount(page, BOT, before + 1);
}
// The citizen types text while an officer has the conversation: no bot answer, "delivered".
async function citizenTell(page, text) {
  const before = await countIn(page, '.mc-user.mc-delivered');
  await page.locator('.mc-input').fill(text);
  await page.locator('.mc-input').press('Enter');
  await waitCount(page, '.mc-user.mc-delivered', before + 1);
}
function handoffState(page) {
  return page.evaluate(() => document.querySelector('motcua-widget').shadowRoot.querySelector('.mc-handoff').getAttribute('data-state'));
}
async function waitHandoff(page, state, timeout = 8000) {
  await page.waitForFunction((s) => {
    const h = document.querySelector('motcua-widget');
    const b = h && h.shadowRoot.querySelector('.mc-handoff');
    return b && b.getAttribute('data-state') === s;
  }, state, { timeout });
}

module.exports = {
  PW, OFFICE, BOT, addOfficer, officerLogin, officerLive, citizenOpen, citizenAsk, citizenTell,
  countIn, waitCount, handoffState, waitHandoff,
};
