#!/usr/bin/env node
// Stand-in for the user's browser in `--login browser` tests (GPT_OAUTH_BROWSER). Before signing
// in it plays an attacker: it calls the doctor's loopback callback with a wrong state and with a
// wrong Host header. Then it drives headless Chromium through the real sign-in page.
// Observations are appended as JSON lines to $BROWSER_LOG.
import { appendFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const url = process.argv[2];
const log = (o) => appendFileSync(process.env.BROWSER_LOG, `${JSON.stringify({ ...o, t: Date.now() })}\n`);
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
  // The doctor's listener sends the tab from each sign-in to the next and ends it on /done:
  // follow along, doing what a person would on each page (sign in, allow), and count it.
  const doneUrl = `${redirect.origin}/done`;
  const actions = { signIn: 0, consent: 0 };
  // Navigations the browser gave up on (too many redirects, a refused connection): a person would
  // see an error page there.
  const failures = [];
  page.on('requestfailed', (r) => r.isNavigationRequest() && failures.push(`${r.failure()?.errorText} ${r.url().slice(0, 100)}`));
  if (process.env.BROWSER_TRACE) {
    page.on('request', (r) => r.isNavigationRequest() && log({ event: 'request', url: r.url().slice(0, 100) }));
    page.on('response', (r) => r.request().isNavigationRequest() && log({ event: 'response', url: r.url().slice(0, 100), status: r.status() }));
  }
  await page.goto(url);
  const deadline = Date.now() + 120_000;
  // A person acts once on a page: the button is found, counted and clicked inside one document
  // (one evaluate), so a tab that has already moved on is never counted for the page it left, and
  // a page already acted on (its navigation not yet committed) is waited on, not clicked again.
  let acted = '';
  while (!page.url().startsWith(doneUrl) && Date.now() < deadline) {
    await page.waitForLoadState('domcontentloaded').catch(() => undefined);
    const here = page.url();
    if (process.env.BROWSER_TRACE) log({ event: 'page', url: here.slice(0, 120), title: await page.title().catch(() => '') });
    const did = await page.evaluate((acted) => {
      if (location.href === acted) return { href: location.href };
      for (const [id, kind] of [['sign-in', 'signIn'], ['approve', 'consent']]) {
        const button = document.getElementById(id);
        if (button && button.offsetParent !== null) { button.click(); return { href: location.href, kind }; }
      }
      return { href: location.href };
    }, acted).catch(() => undefined);
    if (did?.kind) { acted = did.href; actions[did.kind]++; }
    await page.waitForURL((u) => u.href !== (did?.href ?? here), { timeout: 2000, waitUntil: 'commit' }).catch(() => undefined);
  }
  await page.waitForLoadState('domcontentloaded').catch(() => undefined);
  log({ event: 'done', clicked: actions.signIn > 0, actions, failures, url: page.url(), text: (await page.textContent('body').catch(() => ''))?.trim() });
} catch (err) {
  log({ event: 'error', message: String(err) });
} finally {
  await browser.close();
}
