#!/usr/bin/env node
// A `--login command` for CI: signs in on a hosted login page with headless Chromium and prints
// the final redirect URL, without loading it (so ChatGPT's callback is never contacted).
//
//   npm install playwright-core          # and a Chromium: apt-get install chromium, or CHROMIUM_PATH
//   GPT_OAUTH_TEST_USERNAME=ci@example.com GPT_OAUTH_TEST_PASSWORD=… \
//   npx gpt-oauth-cli doctor https://api.example.com/mcp --login command \
//       --login-command "node examples/login-command.mjs"
//
// The doctor sets GPT_OAUTH_AUTHORIZE_URL and GPT_OAUTH_REDIRECT_URI. Selectors can be tuned
// with GPT_OAUTH_USERNAME_SELECTOR, GPT_OAUTH_PASSWORD_SELECTOR and GPT_OAUTH_SUBMIT_SELECTOR;
// the defaults fit most hosted pages (Auth0, Clerk, Stytch, Keycloak) and consent screens.
import { chromium } from 'playwright-core';

const authorizeUrl = process.env.GPT_OAUTH_AUTHORIZE_URL;
const redirectUri = process.env.GPT_OAUTH_REDIRECT_URI;
if (!authorizeUrl || !redirectUri) {
  console.error('run me through gpt-oauth doctor --login command');
  process.exit(2);
}
const sel = {
  username: process.env.GPT_OAUTH_USERNAME_SELECTOR ?? 'input[type=email], input[name=username], input[name=email], input[name=identifier]',
  password: process.env.GPT_OAUTH_PASSWORD_SELECTOR ?? 'input[type=password]',
  submit: process.env.GPT_OAUTH_SUBMIT_SELECTOR ?? 'button[type=submit], input[type=submit], button[name=action][value=accept], #sign-in',
};
const target = new URL(redirectUri);
const isRedirect = (u) => { const x = new URL(u); return x.origin === target.origin && x.pathname === target.pathname; };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  let finalUrl;
  const done = new Promise((resolve) => {
    // Catch the redirect to ChatGPT's callback and answer it locally instead of loading it.
    page.route('**/*', (route) => {
      const url = route.request().url();
      if (isRedirect(url)) { finalUrl = url; resolve(); return route.fulfill({ status: 200, body: 'ok' }); }
      return route.continue();
    });
    // Redirects the browser follows by itself are not always routed: watch every request too
    // (the doctor's own last page may load; ChatGPT's callback is caught by the route above).
    page.on('request', (req) => { if (!finalUrl && isRedirect(req.url())) { finalUrl = req.url(); resolve(); } });
  });
  await page.goto(authorizeUrl).catch(() => undefined);
  // Fill and submit whatever form is shown (login, consent) until the browser reaches
  // GPT_OAUTH_REDIRECT_URI. With a client the doctor registered, that is the end of a chain: the
  // doctor's loopback listener sends the browser from each sign-in to the next, so one browser
  // (and usually one login) serves the whole run.
  const deadline = Date.now() + Number(process.env.GPT_OAUTH_COMMAND_TIMEOUT_MS ?? 300_000);
  while (!finalUrl && Date.now() < deadline) {
    await page.waitForLoadState('domcontentloaded').catch(() => undefined);
    if (finalUrl) break;
    const user = page.locator(sel.username).first();
    if (process.env.GPT_OAUTH_TEST_USERNAME && await user.isVisible().catch(() => false)) await user.fill(process.env.GPT_OAUTH_TEST_USERNAME);
    const pass = page.locator(sel.password).first();
    if (process.env.GPT_OAUTH_TEST_PASSWORD && await pass.isVisible().catch(() => false)) await pass.fill(process.env.GPT_OAUTH_TEST_PASSWORD);
    const submit = page.locator(sel.submit).first();
    const navigated = page.waitForEvent('framenavigated', { timeout: 5000 }).catch(() => undefined);
    if (await submit.isVisible().catch(() => false)) await submit.click({ timeout: 5000, noWaitAfter: true }).catch(() => undefined);
    await Promise.race([done, navigated]);
  }
  if (!finalUrl) throw new Error(`never reached ${redirectUri}; last page: ${page.url()}`);
  process.stdout.write(`${finalUrl}\n`);
} catch (err) {
  console.error(String(err));
  process.exitCode = 1;
} finally {
  // Closing can wait on requests to the intercepted host; do not let it hold the doctor up.
  await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 1000))]);
  process.exit();
}
