#!/usr/bin/env node
// A --login-command without a browser, for servers that approve without a page (the sandbox):
// follows GPT_OAUTH_AUTHORIZE_URL's redirects and the listener's refresh pages with cookies, as a
// tab does. As the chain's command (GPT_OAUTH_REDIRECT_URI is the listener's /done) it walks every
// sign-in of the run and exits at /done; for a sign-in that ends on another redirect URI (ChatGPT's
// own) it prints the address it would land on, without loading it, and exits.
const done = process.env.GPT_OAUTH_REDIRECT_URI;
let url = new URL(process.env.GPT_OAUTH_AUTHORIZE_URL);
const jar = new Map(); // origin → cookie name → value
for (let hop = 0; hop < 1000; hop++) {
  if (url.href === done) process.exit(0);
  if (!done.endsWith('/done') && url.href.startsWith(done)) { console.log(url.href); process.exit(0); }
  const cookies = jar.get(url.origin) ?? new Map();
  jar.set(url.origin, cookies);
  const res = await fetch(url, { redirect: 'manual', headers: cookies.size ? { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {} });
  for (const c of res.headers.getSetCookie()) { const [pair] = c.split(';'); const i = pair.indexOf('='); cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim()); }
  const text = await res.text();
  const location = res.headers.get('location');
  if (res.status >= 300 && res.status < 400 && location) { url = new URL(location, url); continue; }
  const refresh = /<meta http-equiv="refresh" content="\d+;url=([^"]+)">/.exec(text);
  if (refresh) { url = new URL(refresh[1].replace(/&#(\d+);/g, (_, c) => String.fromCharCode(Number(c))), url); continue; }
  console.error(`stopped at ${url.href}: ${res.status}`);
  process.exit(1);
}
process.exit(1);
