// tests/e2e/axe.test.js - issue 19: axe-core (tests/package.json, injected into the page) on every
// page a citizen or an official opens, in headless Debian Chromium, in the state people see it
// (the widget open with an answer, the kiosk in portrait with an answer): no violation of impact
// critical or serious. A failure prints each rule, its impact, its help URL and the elements.
//
// To check another page, add an entry to PAGES:
//   { name, path: '/x' | async (srv) => '/x', view?: a viewport (default PHONE),
//     ready?: async (page, srv) => { … bring the page to the state to check … } }
// `srv` is the shared server (commune 00008, so pages show the commune's data).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startServer, Client } = require('./lib/server');
const { launch } = require('./lib/browser');

const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
// MOTCUA_AXE_IMPACTS=critical,serious,moderate,minor lists the lesser ones too (not the gate)
const FAIL_IMPACTS = (process.env.MOTCUA_AXE_IMPACTS || 'critical,serious').split(',');
const T = { timeout: 40000 };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const DESKTOP = { viewport: { width: 1280, height: 800 } };
const KIOSK_PORTRAIT = { viewport: { width: 1080, height: 1920 }, hasTouch: true };

// The widget's panel open and one answer in it (its UI is in an open shadow root, which axe
// checks too; Playwright's CSS locators pierce it).
async function widgetWithAnswer(page) {
  await page.locator('.mc-launcher').click();
  await page.locator('.mc-panel').waitFor({ state: 'visible' });
  await page.locator('.mc-input').fill('làm giấy khai sinh cho con cần gì');
  await page.locator('.mc-input').press('Enter');
  await page.locator('.mc-bot:not(.mc-local) .mc-bubble').first().waitFor();
  await page.locator('.mc-card').first().waitFor();
}

// The kiosk: a domain tile, then a procedure, then its answer with its "Nghe" button.
async function kioskWithAnswer(page) {
  await page.locator('[data-domain="ho-tich"]').click();
  await page.locator('#v-domain').waitFor({ state: 'visible' });
  await page.locator('.k-proc[data-procedure="khai-sinh"]').click();
  await page.locator('#k-log .mc-bot:not(.mc-local) .mc-card').first().waitFor();
  await page.locator('.k-listen').first().waitFor(); // kiosk.speech: the answer's "Nghe"
}

const PAGES = [
  { name: 'demo page with the widget open and an answer (phone)', path: '/', ready: widgetWithAnswer },
  { name: 'demo page with the widget open and an answer (desktop)', path: '/', view: DESKTOP, ready: widgetWithAnswer },
  { name: 'kiosk, portrait, with an answer', path: '/kiosk', view: KIOSK_PORTRAIT, ready: kioskWithAnswer },
  { name: 'guide index', path: '/thu-tuc' },
  { name: 'guide page', path: '/thu-tuc/khai-sinh' },
  { name: 'guide page (desktop)', path: '/thu-tuc/bien-dong-dat-dai', view: DESKTOP },
  { name: 'guide search with results', path: '/thu-tuc?q=dang+ky+tam+tru' },
  { name: 'guide search, nothing found', path: '/thu-tuc?q=thoi+tiet' },
  { name: 'guide search, query too long', path: '/thu-tuc?q=' + 'khai+sinh+'.repeat(60) },
  { name: '404 page of an unknown guide', path: '/thu-tuc/khong-co' },
  { name: 'a citizen\'s checklist page', path: checklistPage, ready: (page) => page.locator('figure, svg').first().waitFor() },
  { name: 'officer login page', path: '/officer', ready: (page) => page.locator('#o-user').waitFor({ state: 'visible' }) },
  { name: 'admin login page', path: '/admin', ready: (page) => page.locator('#a-user').waitFor({ state: 'visible' }) },
];

let srv;
// A citizen's own checklist page (/p/<token>): the birth registration's pre-check walked to its
// checklist over a WebSocket, as the widget does; resolves the page's path.
async function checklistPage(s) {
  const c = await Client.connect(s.wsUrl);
  await c.hello();
  let r = await c.say('làm giấy khai sinh cho con', 'a0');
  c.send({ type: 'postback', payload: 'check:' + r.procedure, id: 'a1' });
  r = await c.nextReply();
  for (let i = 0; i < 30 && !r.checklist; i++) {
    c.send({ type: 'postback', payload: i % 2 ? 'ans:no' : 'ans:yes', id: 'a' + (i + 2) });
    r = await c.nextReply();
  }
  await c.close();
  assert.ok(r.checklist && r.checklist.share_url, 'the pre-check ended with a checklist page');
  return r.checklist.share_url;
}

// kiosk.speech on: the kiosk's answers carry "Nghe" and its voice settings (espeak-ng is in
// `make deps`), so the kiosk entry checks them too
before(async () => { srv = await startServer({ env: { MOTCUA_LOCALITY_DEFAULT: '00008', MOTCUA_KIOSK_SPEECH: '1' } }); });
after(async () => { if (srv) await srv.stop(); });

// Runs axe in page; resolves the violations of FAIL_IMPACTS, each {id, impact, help, helpUrl, nodes}.
async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ content: AXE });
  const res = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return res.violations.filter((v) => FAIL_IMPACTS.includes(v.impact));
}

function report(violations) {
  return violations.map((v) => `  ${v.impact} ${v.id}: ${v.help} (${v.helpUrl})\n` +
    v.nodes.slice(0, 5).map((n) => `    ${JSON.stringify(n.target)} ${n.failureSummary.replace(/\s+/g, ' ')}`).join('\n')).join('\n');
}

for (const p of PAGES) {
  test(`axe: ${p.name}: no critical or serious violation`, T, async () => {
    const b = await launch(p.view || PHONE);
    try {
      const { page } = b;
      const where = typeof p.path === 'function' ? await p.path(srv) : p.path;
      await page.goto(srv.url + where);
      if (p.ready) await p.ready(page, srv);
      const violations = await axeViolations(page);
      if (violations.length) console.log(`axe: ${p.name} (${where}):\n${report(violations)}`);
      assert.deepEqual(violations.map((v) => `${v.impact} ${v.id}`), [], `${p.name}: rules that fail:\n${report(violations)}`);
      assert.deepEqual(b.errors, []);
    } finally {
      await b.close();
    }
  });
}

module.exports = { PAGES };
