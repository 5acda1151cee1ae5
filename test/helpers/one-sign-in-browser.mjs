#!/usr/bin/env node
// Stand-in for a browser tab that is closed after one sign-in (GPT_OAUTH_BROWSER): it follows the
// authorization's redirects (with cookies, as a browser would) to the doctor's loopback callback,
// delivers the code, and goes away without waiting for the next step. Each launch appends a line
// to $BROWSER_LOG.
import { appendFileSync } from 'node:fs';

let url = new URL(process.argv[2]);
if (process.env.BROWSER_LOG) appendFileSync(process.env.BROWSER_LOG, `${url.href}\n`);
const cookies = new Map();
for (let hop = 0; hop < 12; hop++) {
  if (url.hostname === '127.0.0.1' && url.pathname.startsWith('/callback/')) {
    // The listener holds this answer until the next sign-in exists: the tab is closed before.
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 300);
    await fetch(url, { redirect: 'manual', signal: ctl.signal }).catch(() => undefined);
    process.exit(0);
  }
  const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
  }
  const loc = res.headers.get('location');
  if (!loc) process.exit(0); // a page: a tab that stops here
  url = new URL(loc, url);
}
process.exit(0);
