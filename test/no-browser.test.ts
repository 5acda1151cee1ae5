/**
 * When no browser can open, or the tab stops (#30 items 2 and 3): the doctor says so at once and
 * goes on by pasting at a terminal, or ends the sign-ins as incomplete without one — never a
 * silent wait of --login-timeout per sign-in.
 */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { runAppsSuite } from '../src/doctor/suites/apps.js';
import { HttpClient } from '../src/http/client.js';
import { probeAuthorization } from '../src/login/auto.js';
import { noBrowserHere } from '../src/login/opener.js';
import { BIN, runCli } from './helpers/cli.js';
import { hasTmux, Terminal } from './helpers/tmux.js';
import { NOT_APPLICABLE_TO_SANDBOX } from './helpers/report-schema.js';

const ONE_SIGN_IN = fileURLToPath(new URL('./helpers/one-sign-in-browser.mjs', import.meta.url));
const newHttp = () => new HttpClient({ timeoutMs: 5000, maxBytes: 1 << 20, userAgent: 'test' });

/**
 * The person at a browser on another machine: answers yes to the extra sign-ins, opens the last
 * URL printed whenever the doctor says where the browser ends, signs in there (`user` is that
 * browser) and pastes the address it ended on.
 */
function pastingPerson(user: HttpClient, stdin: PassThrough): { printed: string[]; say: (line: string) => void } {
  const printed: string[] = [];
  let lastUrl: string | undefined;
  let pending = Promise.resolve();
  const say = (line: string) => {
    printed.push(line);
    const shown = /(?:If it does not open, visit|Open this URL in a browser):\n\s+(\S+)/.exec(line);
    if (shown) lastUrl = shown[1];
    if (/more sign-ins .* continue\? \[y\/N\]/.test(line)) pending = pending.then(() => { stdin.write('y\n'); });
    if (/ends on/.test(line)) {
      const url = new URL(lastUrl!);
      pending = pending.then(async () => {
        const p = await probeAuthorization(user, url, url.searchParams.get('redirect_uri')!);
        if (p.kind !== 'redirect') throw new Error(`could not sign in: ${JSON.stringify(p)}`);
        stdin.write(`${p.location.href}\n`);
      });
    }
  };
  return { printed, say };
}

let sb: Sandbox;
beforeAll(async () => { sb = await startSandbox(); });
afterAll(async () => { await sb.close(); });

let term: Terminal | undefined;
afterEach(() => { term?.kill(); term = undefined; });

describe('noBrowserHere', () => {
  it('Linux without a display: none; with one, or on macOS: maybe', () => {
    expect(noBrowserHere({ PATH: '/usr/bin' }, 'linux')).toMatch(/no display \(DISPLAY and WAYLAND_DISPLAY are unset/);
    expect(noBrowserHere({ DISPLAY: ':0' }, 'linux')).toBeUndefined();
    expect(noBrowserHere({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toBeUndefined();
    expect(noBrowserHere({}, 'darwin')).toBeUndefined();
  });
  it('a GPT_OAUTH_BROWSER that is not a program on this machine', () => {
    expect(noBrowserHere({ GPT_OAUTH_BROWSER: '/nonexistent/browser --new-tab', DISPLAY: ':0' }, 'linux')).toMatch(/GPT_OAUTH_BROWSER names "\/nonexistent\/browser", which is not a program/);
    expect(noBrowserHere({ GPT_OAUTH_BROWSER: 'no-such-browser-here', PATH: '/usr/bin:/bin' }, 'linux')).toMatch(/not a program/);
    // A program that exists is tried even without a display (a headless browser script).
    expect(noBrowserHere({ GPT_OAUTH_BROWSER: 'true', PATH: '/usr/bin:/bin' }, 'linux')).toBeUndefined();
  });
});

describe.skipIf(!hasTmux)('no display, at a terminal', () => {
  it('says so within seconds and asks for the paste, instead of waiting for a browser', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-nodisplay-'));
    term = new Terminal(`env -u DISPLAY -u WAYLAND_DISPLAY -u GPT_OAUTH_BROWSER -u CI -u GPT_OAUTH_NO_INPUT TERM=xterm-256color '${process.execPath}' '${BIN}' doctor ${sb.mcpUrl}; sleep 30`, dir);
    const screen = await term.waitFor(/Paste the full URL the browser ended on/, 8_000);
    expect(screen).toMatch(/No browser can open here: no display \(DISPLAY and WAYLAND_DISPLAY are unset/);
    expect(screen).toMatch(/\(login: manual\)/);
    // The URL once, not a wait for a tab that never opens.
    expect(screen.match(/Open this URL in a browser/g)).toHaveLength(1);
    expect(screen).not.toMatch(/waiting for the sign-in in your browser/);
  });
});

describe('the browser opener fails', () => {
  it('without a terminal: incomplete at once (exit 3), naming --login auto|command and GPT_OAUTH_BROWSER', async () => {
    const started = Date.now();
    const r = await runCli(['doctor', sb.mcpUrl, '--login', 'browser', '--login-timeout', '60'], { env: { GPT_OAUTH_BROWSER: 'false' }, timeoutMs: 30_000 });
    expect(r.code).toBe(3);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.stdout).toMatch(/no browser could be opened: GPT_OAUTH_BROWSER \(false\) exited with 1/);
    expect(r.stdout).toMatch(/\? ChatGPT: incomplete — \d+ of \d+ checks could not run: .*no browser could be opened.* — use --login auto .* or --login command .*, or set GPT_OAUTH_BROWSER/);
    expect(r.stdout).not.toMatch(/ChatGPT would fail/);
  });

  it('without a terminal, a GPT_OAUTH_BROWSER that does not exist: the same, at once', async () => {
    const r = await runCli(['doctor', sb.mcpUrl, '--login', 'browser', '--login-timeout', '60'], { env: { GPT_OAUTH_BROWSER: '/nonexistent/browser' }, timeoutMs: 30_000 });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/no browser could be opened: GPT_OAUTH_BROWSER names "\/nonexistent\/browser", which is not a program on this machine/);
  });

  it('at a terminal: says so and every sign-in goes on by pasting; the run completes', async () => {
    const stdin = new PassThrough();
    const http = newHttp();
    const user = newHttp(); // the person's browser on another machine
    const { printed, say } = pastingPerson(user, stdin);
    try {
      const report = await runAppsSuite({ mcpUrl: sb.mcpUrl, http, login: 'browser', say, stdin, interactive: true, env: { ...process.env, GPT_OAUTH_BROWSER: 'false' }, loginTimeoutMs: 60_000 });
      expect(printed.filter((l) => /^No browser can open here: GPT_OAUTH_BROWSER \(false\) exited with 1\. Sign in by pasting/.test(l))).toHaveLength(1);
      // The first URL was printed once, above; the paste does not print it again.
      expect(printed.find((l) => l.startsWith('The browser ends on'))).toMatch(/^The browser ends on http:\/\/127\.0\.0\.1:\d+\/callback\/[\w-]+\?code=…\.$/);
      // dcr.connector-callback must end on ChatGPT's own redirect URI: a loopback chain skips it, as
      // with a browser that opened.
      expect(report.checks.filter((c) => c.status !== 'pass' && !NOT_APPLICABLE_TO_SANDBOX.includes(c.id) && c.id !== 'dcr.connector-callback').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
    } finally {
      await Promise.all([http.close(), user.close()]);
    }
  }, 60_000);
});

/**
 * A stand-in for the person's own browser reaching the doctor's listener through an SSH tunnel:
 * follows redirects and the listener's refresh pages (as a tab does) until the last page.
 */
async function tunnelBrowser(start: string): Promise<number> {
  let url = start;
  let callbacks = 0;
  const jar = new Map<string, Map<string, string>>(); // origin → cookie name → value
  for (let hops = 0; hops < 400; hops++) {
    const origin = new URL(url).origin;
    const cookies = jar.get(origin) ?? new Map<string, string>();
    jar.set(origin, cookies);
    const res = await fetch(url, { redirect: 'manual', headers: cookies.size ? { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {} });
    for (const c of res.headers.getSetCookie()) { const [pair] = c.split(';'); const i = pair!.indexOf('='); cookies.set(pair!.slice(0, i).trim(), pair!.slice(i + 1).trim()); }
    const text = await res.text();
    const path = new URL(url).pathname;
    if (path === '/done') return callbacks;
    if (path.startsWith('/callback/')) callbacks++;
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) { url = new URL(location, url).href; continue; }
    const refresh = /<meta http-equiv="refresh" content="\d+;url=([^"]+)">/.exec(text);
    if (refresh) { url = new URL(refresh[1]!.replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c))), url).href; continue; }
    throw new Error(`the tab stopped at ${url}: ${res.status}`);
  }
  throw new Error('too many hops');
}

describe('the paste flow\'s short link (no browser can open here)', () => {
  const noDisplay = { DISPLAY: '', WAYLAND_DISPLAY: '', WSL_DISTRO_NAME: '', SSH_CONNECTION: '', SSH_CLIENT: '', GPT_OAUTH_BROWSER: 'false' };

  it.skipIf(process.platform !== 'linux')('in an SSH session: a short loopback link beside the full URL; a browser that reaches it through a tunnel completes every sign-in with no paste', async () => {
    const stdin = new PassThrough();
    const http = newHttp();
    const printed: string[] = [];
    let tab: Promise<number> | undefined;
    const say = (line: string) => {
      printed.push(line);
      if (/more sign-ins .* continue\? \[y\/N\]/.test(line)) stdin.write('y\n');
      const short = /Shorter, from your own browser through an SSH tunnel \(ssh -L (\d+):127\.0\.0\.1:(\d+) <this host>\): (http:\/\/127\.0\.0\.1:(\d+)\/s\/[\w-]+) — the sign-in then completes by itself/.exec(line);
      if (short && !tab) {
        expect(short[1]).toBe(short[4]);
        tab = tunnelBrowser(short[3]!);
      }
    };
    try {
      const report = await runAppsSuite({ mcpUrl: sb.mcpUrl, http, login: 'browser', say, stdin, interactive: true, env: { ...process.env, ...noDisplay, SSH_CONNECTION: '192.0.2.7 50122 192.0.2.1 22' }, loginTimeoutMs: 30_000 });
      // The full URL was printed too (the person's browser may not reach the tunnel), once.
      expect(printed.filter((l) => /If it does not open, visit:\n\s+http:\/\/127\.0\.0\.1:\d+\/\S*\?client_id=/.test(l))).toHaveLength(1);
      expect(printed.filter((l) => /^No browser can open here: .*\nShorter, from your own browser through an SSH tunnel/s.test(l))).toHaveLength(1);
      // One paste prompt (the first sign-in's, withdrawn when the tab answered), no further URL to open.
      expect(printed.filter((l) => /Paste the full URL/.test(l))).toHaveLength(1);
      expect(printed.filter((l) => /Open this URL in a browser/.test(l))).toEqual([]);
      expect(printed.filter((l) => /The sign-in came back through the short link; no paste needed/.test(l))).toHaveLength(1);
      expect(report.checks.filter((c) => c.status !== 'pass' && !NOT_APPLICABLE_TO_SANDBOX.includes(c.id) && c.id !== 'dcr.connector-callback').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
      expect(await tab).toBeGreaterThan(3);
    } finally {
      await http.close();
    }
  }, 60_000);

  it.skipIf(process.platform !== 'linux')('in a container or console (no display, no SSH): only the full URL, since nothing there can reach the listener', async () => {
    const stdin = new PassThrough();
    const http = newHttp();
    const user = newHttp();
    const { printed, say } = pastingPerson(user, stdin);
    try {
      await runAppsSuite({ mcpUrl: sb.mcpUrl, http, login: 'browser', say, stdin, interactive: true, env: { ...process.env, ...noDisplay }, loginTimeoutMs: 30_000, selection: { only: ['authz.state'] } });
      expect(printed.join('\n')).not.toMatch(/Shorter|\/s\//);
      expect(printed.filter((l) => /Paste the full URL/.test(l)).length).toBeGreaterThan(0);
    } finally {
      await Promise.all([http.close(), user.close()]);
    }
  }, 60_000);
});

describe('a tab that stops after the first sign-in', () => {
  it('without a terminal: the run ends within one --login-timeout (plus a few seconds), incomplete, saying the tab gave no answer', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'gpt-oauth-tab-')), 'log');
    const started = Date.now();
    const r = await runCli(['doctor', sb.mcpUrl, '--login', 'browser', '--login-timeout', '5'], { env: { GPT_OAUTH_BROWSER: `${process.execPath} ${ONE_SIGN_IN}`, BROWSER_LOG: log }, timeoutMs: 45_000 });
    const ms = Date.now() - started;
    expect(r.code).toBe(3);
    // The first sign-in happened; the second waited 5 s for the tab; the other 11 were not tried.
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/no answer from the browser tab in 5 s — was it closed\?/);
    expect(r.stdout).not.toMatch(/ChatGPT would fail/);
    expect(ms).toBeLessThan(5_000 + 5_000);
  }, 60_000);

  it('at a terminal: offers to open it again once; after that the remaining sign-ins end at once', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'gpt-oauth-tab-')), 'log');
    const stdin = new PassThrough();
    const http = newHttp();
    const printed: string[] = [];
    const say = (line: string) => {
      printed.push(line);
      if (/was it closed\? Open the browser at this sign-in .* again\? \[Y\/n\]/.test(line)) stdin.write('y\n');
    };
    const started = Date.now();
    try {
      const report = await runAppsSuite({ mcpUrl: sb.mcpUrl, http, login: 'browser', say, stdin, interactive: true, env: { ...process.env, GPT_OAUTH_BROWSER: `${process.execPath} ${ONE_SIGN_IN}`, BROWSER_LOG: log }, loginTimeoutMs: 3_000 });
      // Opened for the first sign-in, and once more at the one that got no answer.
      const opened = readFileSync(log, 'utf8').trim().split('\n');
      expect(opened).toHaveLength(2);
      expect(printed.filter((l) => /Open the browser at this sign-in/.test(l))).toHaveLength(1);
      expect(report.verdict.chatgpt).toBe('incomplete');
      const notTried = report.checks.filter((c) => /not tried: an earlier sign-in .* got no answer from the browser tab in 3 s/.test(c.detail));
      expect(notTried.length).toBeGreaterThan(0);
      // Two waits of 3 s after the reopen's sign-in, not one per remaining sign-in.
      expect(Date.now() - started).toBeLessThan(3 * 3_000 + 8_000);
      expect(existsSync(log)).toBe(true);
    } finally {
      await http.close();
    }
  }, 60_000);
});
