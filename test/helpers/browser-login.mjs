#!/usr/bin/env node
// Stand-in for the user's browser in `--login browser` tests (GPT_OAUTH_BROWSER). Before signing
// in it plays an attacker: it calls the doctor's loopback callback with a wrong state and with a
// wrong Host header. Then it drives headless Chromium through the real sign-in page.
// Observations are appended as JSON lines to $BROWSER_LOG.
import { appendFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const url = process.argv[2];
const log = (o) => appendFileSync(process.env.BROWSER_LOG, `${JSON.stringify(o)}\n`);
const redirect = new URL(new URL(url).searchParams.get('redirect_uri'));

const forged = new URL(redirect);
forged.searchParams.set('code', 'attacker-code');
forged.searchParams.set('state', 'attacker-state');
const wrongState = await fetch(forged);
const wrongHost = await fetch(new URL(`http://localhost:${redirect.port}${redirect.pathname}?state=x`)).catch(() => ({ status: 'refused' }));
log({ event: 'probe', redirectHost: redirect.hostname, wrongState: wrongState.status, wrongHost: wrongHost.status });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  await page.goto(url);
  let clicked = false;
  const button = page.locator('#sign-in');
  if (await button.count()) {
    clicked = true;
    await button.click();
  }
  await page.waitForURL((u) => u.origin === redirect.origin, { timeout: 15_000, waitUntil: 'commit' });
  await page.waitForLoadState('domcontentloaded').catch(() => undefined);
  log({ event: 'done', clicked, text: (await page.textContent('body').catch(() => ''))?.trim() });
} catch (err) {
  log({ event: 'error', message: String(err) });
} finally {
  await browser.close();
}
