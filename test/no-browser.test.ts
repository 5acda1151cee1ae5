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
import { exitCodeFrom, hasTmux, Terminal } from './helpers/tmux.js';
import { NOT_APPLICABLE_TO_SANDBOX } from './helpers/report-schema.js';
import { startToy } from './helpers/toy-server.js';

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

describe('stateKinship: another sign-in\'s state, or a changed form of the one sent', () => {
  it('tells a transformation (cut, rewritten, re-encoded) from a state that shares nothing', async () => {
    const { longState, stateKinship } = await import('../src/oauth/pkce.js');
    const sent = longState();
    expect(stateKinship(sent, sent)).toBe('same');
    expect(stateKinship(sent, sent.slice(0, 255))).toBe('cut');
    expect(stateKinship(sent, sent.replace(/~/g, '_'))).toBe('changed');
    expect(stateKinship(sent, sent.replace(/~/g, '%7E'))).toBe('changed');
    expect(stateKinship(sent, sent.toUpperCase())).toBe('changed');
    // An earlier sign-in's state has the same form and length, and nothing else in common.
    expect(stateKinship(sent, longState())).toBe('foreign');
    expect(stateKinship(sent, 'wrong')).toBe('foreign');
    expect(stateKinship(sent, '')).toBe('foreign');
    // A prefix too short to carry anything of the random part is no evidence of the sign-in.
    expect(stateKinship(sent, sent.slice(0, 20))).toBe('foreign');
  });
});

/**
 * `--login manual` where the person pastes `pastes` in turn (a function: the address of a real
 * sign-in at the URL the doctor printed), then nothing more when `end` is set.
 */
async function manualPastes(mcpUrl: string, pastes: (string | ((signIn: () => Promise<string>) => Promise<string>))[], o: { only?: string[]; end?: boolean; extraSignIns?: boolean } = {}) {
  const stdin = new PassThrough();
  const http = newHttp();
  const user = newHttp(); // the person's browser
  const printed: string[] = [];
  let url: URL | undefined;
  const signIn = async () => {
    const p = await probeAuthorization(user, url!, url!.searchParams.get('redirect_uri')!);
    if (p.kind !== 'redirect') throw new Error(`could not sign in: ${JSON.stringify(p)}`);
    return p.location.href;
  };
  let pending = Promise.resolve();
  const say = (line: string) => {
    printed.push(line);
    const shown = /Open this URL in a browser:\n\s+(\S+)/.exec(line);
    if (shown) url = new URL(shown[1]!);
    if (/^(Paste the full URL|That address is from another sign-in|That is not a URL|That address carries no code)/.test(line)) {
      const next = pastes.shift();
      pending = pending.then(async () => {
        if (next === undefined) { if (o.end) stdin.end(); return; }
        stdin.write(`${typeof next === 'string' ? next : await next(signIn)}\n`);
      });
    }
  };
  try {
    const report = await runAppsSuite({ mcpUrl, http, login: 'manual', say, stdin, extraSignIns: o.extraSignIns ?? false, selection: { only: o.only ?? ['token.exchange'] } });
    return { report, printed };
  } finally {
    await Promise.all([http.close(), user.close()]);
  }
}

describe('--login manual: an address from another sign-in is refused, never judged as the server\'s', () => {
  const by = (r: { checks: { id: string }[] }, id: string) => r.checks.find((c) => c.id === id) as { status: string; detail: string; incomplete?: boolean; fix?: string };

  it('a made-up state and a stale address (an earlier sign-in\'s) are refused with the reason and asked for again; the real one passes', async () => {
    // The stale address: the final URL of an earlier sign-in against the same server.
    let stale = '';
    await manualPastes(sb.mcpUrl, [async (signIn) => (stale = await signIn())], { only: ['authz.state'] });
    expect(new URL(stale).searchParams.get('code')).toBeTruthy();
    const { report, printed } = await manualPastes(sb.mcpUrl, [
      'https://chatgpt.com/connector_platform_oauth_redirect?code=abc&state=wrong',
      stale,
      (signIn) => signIn(),
    ], { only: ['authz.state', 'token.exchange'] });
    const refusals = printed.filter((l) => l.startsWith('That address is from another sign-in: its state is not the one this sign-in sent'));
    expect(refusals.map((l) => /\(try (\d) of 3\)/.exec(l)?.[1])).toEqual(['2', '3']);
    expect(by(report, 'authz.state')).toMatchObject({ status: 'pass' });
    expect(by(report, 'token.exchange')).toMatchObject({ status: 'pass' });
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
  });

  it('an address that is no redirect back at all (the printed URL, the sign-in page) is refused and asked for again, never judged', async () => {
    const { report, printed } = await manualPastes(sb.mcpUrl, [
      'https://chatgpt.com/connector_platform_oauth_redirect',
      `${sb.origin}/auth?client_id=x`,
      (signIn) => signIn(),
    ], { only: ['authz.state', 'token.exchange'] });
    const refusals = printed.filter((l) => l.startsWith('That address carries no code, no error and no state'));
    expect(refusals.map((l) => /\(try (\d) of 3\)/.exec(l)?.[1])).toEqual(['2', '3']);
    expect(by(report, 'authz.state')).toMatchObject({ status: 'pass' });
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
  });

  it('a stale address and then no more input: the sign-in is incomplete, not a server fault', async () => {
    let stale = '';
    await manualPastes(sb.mcpUrl, [async (signIn) => (stale = await signIn())], { only: ['authz.state'] });
    const { report } = await manualPastes(sb.mcpUrl, [stale], { end: true, only: ['authz.state'] });
    expect(by(report, 'authz.state')).toMatchObject({ status: 'skip', incomplete: true, detail: expect.stringMatching(/the pasted address came from another sign-in .*the input ended before another was pasted/) });
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(report.verdict.chatgpt).toBe('incomplete');
  });

  it('input that ends (Ctrl-D, a closed pipe): this sign-in and every later one are incomplete at once, said as such (no wait, no "the doctor itself failed")', async () => {
    const { report, printed } = await manualPastes(sb.mcpUrl, [], { end: true, extraSignIns: true, only: ['authz.state', 'dcr.connector-callback'] });
    expect(by(report, 'authz.state')).toMatchObject({ status: 'skip', incomplete: true, detail: 'the doctor could not sign in: the input ended before the address the browser ended on was pasted' });
    expect(by(report, 'dcr.connector-callback')).toMatchObject({ status: 'skip', incomplete: true, detail: 'the doctor could not sign in: the input has ended, so no address can be pasted for this sign-in' });
    expect(printed.filter((l) => /Open this URL/.test(l))).toHaveLength(1);
  });

  it.skipIf(!hasTmux)('the built CLI at a terminal, as reported: an old address is refused and asked for again; input ends: exit 3 (incomplete), no "Return state byte-for-byte"', async () => {
    let stale = '';
    await manualPastes(sb.mcpUrl, [async (signIn) => (stale = await signIn())], { only: ['authz.state'] });
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-stale-'));
    const exitFile = join(dir, 'exit');
    term = new Terminal(`env -u CI -u GPT_OAUTH_NO_INPUT NO_COLOR=1 TERM=xterm-256color '${process.execPath}' '${BIN}' doctor ${sb.mcpUrl} --login manual --no-extra-sign-ins; echo $? > '${exitFile}'; sleep 30`, dir, { cols: 400, rows: 100 });
    await term.waitFor(/Paste the full URL the browser ended on/, 15_000);
    term.type(stale);
    term.keys('Enter');
    await term.waitFor(/That address is from another sign-in: its state is not the one this sign-in sent .*\(try 2 of 3\)/, 15_000);
    term.keys('C-d'); // no other address: the input ends
    expect(await exitCodeFrom(exitFile, 30_000)).toBe(3);
    const screen = term.screen();
    expect(screen).toMatch(/the pasted address came from another sign-in/);
    expect(screen).not.toMatch(/Return state byte-for-byte|invalid_grant|ChatGPT would fail/);
    // The verdict names the root cause (the main sign-in), not the first declined extra sign-in.
    expect(screen).toMatch(/\? ChatGPT: incomplete — .*the pasted address came from another sign-in.* — open the URL this sign-in printed, sign in, and paste the address/);
  });

  it('the loopback chain (--login command, --login browser) takes a changed state for authz.state to judge, and refuses one that shares nothing', async () => {
    const command = `'${process.execPath}' '${fileURLToPath(new URL('./helpers/fetch-login-command.mjs', import.meta.url))}'`;
    for (const [stateMode, expected] of [
      ['rewrite', { status: 'fail', detail: expect.stringMatching(/^state came back changed \(same length, different characters: rewritten on the way\)/) }],
      ['replace', { status: 'skip', incomplete: true }],
    ] as const) {
      const toy = await startToy({ stateMode });
      const http = newHttp();
      try {
        const report = await runAppsSuite({ mcpUrl: toy.mcpUrl, http, login: 'command', loginCommand: command, loginTimeoutMs: 10_000, selection: { only: ['authz.state'] } });
        expect(by(report, 'authz.state'), stateMode).toMatchObject(expected);
      } finally {
        await http.close();
        await toy.close();
      }
    }
  });

  it('a server that rewrites state: its changed state is taken and authz.state fails, as with --login auto', async () => {
    const toy = await startToy({ stateMode: 'rewrite' });
    try {
      const { report, printed } = await manualPastes(toy.mcpUrl, [(signIn) => signIn()], { only: ['authz.state'] });
      expect(printed.some((l) => /another sign-in/.test(l))).toBe(false);
      expect(by(report, 'authz.state')).toMatchObject({ status: 'fail', detail: 'state came back changed (same length, different characters: rewritten on the way)' });
    } finally {
      await toy.close();
    }
  });
});
