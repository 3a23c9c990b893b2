// tests/e2e/lib/browser.js - headless Debian Chromium through playwright-core, each launch with
// a fresh user-data-dir (no state shared between tests) and no background network traffic.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.MOTCUA_CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
  '--disable-dev-shm-usage', '--font-render-hinting=none'];

// Resolves {context, page, dir, close()}. opts: viewport, isMobile, hasTouch, deviceScaleFactor,
// javaScriptEnabled (false: the page as a browser without JavaScript sees it).
async function launch(opts = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'motcua-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: opts.viewport || { width: 1280, height: 800 },
    isMobile: !!opts.isMobile,
    hasTouch: !!opts.hasTouch,
    deviceScaleFactor: opts.deviceScaleFactor || 1,
    locale: 'vi-VN',
    javaScriptEnabled: opts.javaScriptEnabled !== false,
    timeout: 20000,
  });
  context.setDefaultTimeout(opts.timeout || 8000);
  const page = context.pages()[0] || await context.newPage();
  // strings, not Error objects: a failed deepEqual(errors, []) then prints what went wrong
  // (an Error's fields are not enumerable and show as an empty diff in the TAP report)
  const errors = [];
  page.on('pageerror', (e) => errors.push('pageerror: ' + (e && e.stack ? e.stack : String(e))));
  // widget.js reports errors thrown in its event handlers with console.error('motcua:', …)
  page.on('console', (m) => { if (m.type() === 'error' && /motcua/.test(m.text())) errors.push('console.error: ' + m.text()); });
  if (process.env.MOTCUA_BROWSER_LOG) page.on('console', (m) => console.log('[browser]', m.type(), m.text()));
  return {
    context, page, dir, errors,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { launch, CHROMIUM, ARGS };
