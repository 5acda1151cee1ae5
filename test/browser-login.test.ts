/**
 * `--login browser` end to end: the built CLI, the sandbox's real sign-in page, and headless
 * Chromium (Debian's, through playwright-core) playing the user's browser.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN, runCli } from './helpers/cli.js';
import { exitCodeFrom, hasTmux, Terminal } from './helpers/tmux.js';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SCRIPT = fileURLToPath(new URL('./helpers/browser-login.mjs', import.meta.url));

/** Chromium-driven `doctor --login browser` against a sandbox; what the browser helper logged. */
async function browserRun(args: string[]) {
  const log = join(mkdtempSync(join(tmpdir(), 'gpt-oauth-browser-')), 'log.jsonl');
  const r = await runCli(['doctor', ...args, '--login', 'browser', '--login-timeout', '60', '--json'], {
    env: { GPT_OAUTH_BROWSER: `${process.execPath} ${SCRIPT}`, BROWSER_LOG: log },
    timeoutMs: 120_000,
  });
  // The doctor is done when the tab reaches the last page; give the browser a moment to log.
  const read = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
  for (let i = 0; i < 300 && !read().some((e) => e.event === 'done' || e.event === 'error'); i++) await new Promise((res) => setTimeout(res, 100));
  return { r, events: read(), report: JSON.parse(r.stdout || '{}') as { checks: { id: string; status: string; detail: string }[] } };
}

const statusesOf = (report: { checks: { id: string; status: string; detail: string }[] }) =>
  Object.fromEntries(report.checks.map((c) => [c.id, c.status]));

describe('--login browser', () => {
  it.skipIf(!existsSync(CHROMIUM))('one browser for the whole run: the sign-in page filled once, every sign-in in one tab, the same statuses as --login auto', async () => {
    const { r, events, report } = await browserRun(['--sandbox']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const probes = events.filter((e) => e.event === 'probe');
    const done = events.filter((e) => e.event === 'done');
    // One browser process for the run (each launch of the helper logs one probe).
    expect(probes.length).toBe(1);
    expect(probes[0].redirectHost).toBe('127.0.0.1');
    expect(probes[0].wrongState).toBe(400); // a callback with another state is refused...
    expect([404, 'refused']).toContain(probes[0].wrongHost); // ...and so is one addressed to another host name
    expect(done).toHaveLength(1);
    expect(done[0].actions).toEqual({ signIn: 1, consent: 0 }); // the person's one action
    // No error page on the way: a chain of silent authorizations is not one navigation of 20+
    // redirects (ERR_TOO_MANY_REDIRECTS, which Chromium then retried a second later).
    expect(done[0].failures).toEqual([]);
    expect(done[0].url).toMatch(/\/done$/);
    expect(done[0].text).toMatch(/finished signing in/);
    expect(r.stderr).toMatch(/login 12 of up to \d+/);
    expect(r.stderr).toMatch(/in the same browser tab/);
    // The same verdicts as a run without a person, except the checks that need ChatGPT's own
    // redirect URI, which a loopback listener cannot receive.
    const auto = await runCli(['doctor', '--sandbox', '--login', 'auto', '--json']);
    const a = statusesOf(JSON.parse(auto.stdout));
    const b = statusesOf(report);
    const differ = Object.keys(a).filter((id) => a[id] !== b[id]);
    expect(differ).toEqual(['dcr.connector-callback']);
    expect(JSON.stringify(report)).not.toMatch(/asks on every sign-in/);
    expect(report.checks.find((c) => c.id === 'dcr.connector-callback')?.detail).toMatch(/loopback browser login cannot receive/);
    // The sandbox sends RFC 9207 iss, so ChatGPT uses its stable callback: not having tried the
    // per-connector one leaves the ChatGPT verdict whole.
    expect((report as unknown as { verdict: unknown }).verdict).toEqual({ chatgpt: 'pass', security: 'pass' });
  }, 120_000);

  it.skipIf(!existsSync(CHROMIUM))('a server without RFC 9207 iss: the per-connector callback ChatGPT then uses could not be tried, so the ChatGPT verdict is partial, not pass', async () => {
    const { startToy } = await import('./helpers/toy-server.js');
    const toy = await startToy({ iss: 'unsupported' });
    try {
      const { r, report } = await browserRun([toy.mcpUrl]);
      const rep = report as unknown as { verdict: Record<string, string>; selection?: { mode?: { why: string; leftOut: string[] } } };
      expect(r.code, r.stderr).toBe(0);
      expect(rep.verdict.chatgpt).toBe('partial');
      expect(rep.selection?.mode?.leftOut).toContain('dcr.connector-callback');
      expect(rep.selection?.mode?.why).toMatch(/--login browser cannot end a sign-in on ChatGPT's own redirect URI, which ChatGPT uses with this server/);
      const { verdictLines } = await import('../src/doctor/verdict.js');
      expect(verdictLines(report as never).chatgpt.text).toMatch(/^The \d+ ChatGPT checks this run could do pass — not a verdict on the whole connection \(--login browser cannot end a sign-in on ChatGPT's own redirect URI, which ChatGPT uses with this server: 1 ChatGPT check left out\)$/);
    } finally {
      await toy.close();
    }
  }, 120_000);

  it.skipIf(!existsSync(CHROMIUM))('a server that asks consent for every new client: the person signs in once and allows each client once, in the same tab', async () => {
    const { startSandbox } = await import('../src/sandbox/server.js');
    const sb = await startSandbox({ loginPage: true, consentPage: true });
    try {
      const { r, events } = await browserRun([sb.mcpUrl]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const done = events.filter((e) => e.event === 'done');
      expect(events.filter((e) => e.event === 'probe')).toHaveLength(1);
      expect(done).toHaveLength(1);
      // One sign-in, and a consent for each client that signs in: the run's own, and the
      // confidential client of token.client-auth. The negative tests sign in as the run's client
      // (consent given) instead of one new client each — 11 consents before.
      expect(done[0].actions).toEqual({ signIn: 1, consent: 2 });
      expect(done[0].failures).toEqual([]);
      // ...and every check still runs and judges as it does without a person.
      const auto = statusesOf(JSON.parse((await runCli(['doctor', '--sandbox', '--login', 'auto', '--json'])).stdout));
      const b = statusesOf(JSON.parse(r.stdout));
      expect(Object.keys(auto).filter((id) => auto[id] !== b[id])).toEqual(['dcr.connector-callback']);
      // A consent for each new client is not "asks every time".
      expect(r.stdout).not.toMatch(/asks on every sign-in/);
    } finally {
      await sb.close();
    }
  }, 120_000);

  it.skipIf(!existsSync(CHROMIUM))('a server that asks consent on every sign-in: said once; --no-extra-sign-ins finishes without the security checks\' sign-ins (incomplete), without it the run goes on', async () => {
    const { startSandbox } = await import('../src/sandbox/server.js');
    const sb = await startSandbox({ loginPage: true, consentPage: 'every-time' });
    try {
      const declined = await browserRun([sb.mcpUrl, '--no-extra-sign-ins']);
      expect(declined.r.code, declined.r.stderr).toBe(3);
      const report = declined.report as unknown as { checks: { id: string; status: string; detail: string; incomplete?: boolean }[]; verdict: Record<string, string>; notes: string[] };
      // ChatGPT's verdict passes, or is incomplete only because a declined sign-in was one of
      // ChatGPT's other paths (the reconnect without scope) whose turn came after the server
      // showed it asks every time — the order of the first sign-ins varies with load. Never a fail.
      expect(report.verdict.security).toBe('incomplete');
      const chatgptNotRun = report.checks.filter((c) => (c as { impact?: string }).impact === 'chatgpt' && c.incomplete);
      expect(report.verdict.chatgpt).toBe(chatgptNotRun.length ? 'incomplete' : 'pass');
      expect(chatgptNotRun.every((c) => c.status === 'skip' && /asks the person on every sign-in/.test(c.detail)), JSON.stringify(chatgptNotRun)).toBe(true);
      expect(report.notes.join('\n')).toMatch(/asked the person again on a sign-in that repeated an earlier one .*: it asks on every sign-in/);
      const skipped = report.checks.filter((c) => /asks the person on every sign-in/.test(c.detail));
      expect(skipped.length).toBeGreaterThanOrEqual(5);
      expect(skipped.every((c) => c.status === 'skip')).toBe(true);
      const done = declined.events.find((e) => e.event === 'done');
      // The person: one sign-in; consents for the run's client, the confidential test client, a
      // sign-in with other scopes or another resource if its turn came first (a new consent is
      // sound there, so not counted), and the one repeated consent that showed the server asks
      // every time — then no more (4 here unloaded; the order of the first sign-ins can vary).
      expect(done?.actions.signIn, JSON.stringify(declined.events)).toBe(1);
      expect(done?.actions.consent).toBeGreaterThanOrEqual(3);
      expect(done?.actions.consent).toBeLessThanOrEqual(5);
      // Without a terminal to ask and without the flag, the run goes on and says so once.
      const on = await browserRun([sb.mcpUrl]);
      expect(on.r.code, on.r.stderr).toBe(0);
      expect((on.report as unknown as { notes: string[] }).notes.join('\n')).toMatch(/it asks on every sign-in/);
      expect(on.events.find((e) => e.event === 'done')?.actions.consent, JSON.stringify(on.events)).toBeGreaterThan(8);
    } finally {
      await sb.close();
    }
  }, 120_000);

  it.skipIf(!existsSync(CHROMIUM) || !hasTmux)('in a terminal, a server that asks every time gets one question, with the spinner stopped; answering no finishes without those checks', async () => {
    const { startSandbox } = await import('../src/sandbox/server.js');
    const sb = await startSandbox({ loginPage: true, consentPage: 'every-time' });
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-ask-'));
    const exitFile = join(dir, 'exit-code');
    const term = new Terminal(`env -u CI -u GPT_OAUTH_NO_INPUT TERM=xterm-256color BROWSER_LOG='${join(dir, 'log.jsonl')}' GPT_OAUTH_BROWSER='${process.execPath} ${SCRIPT}' '${process.execPath}' '${BIN}' doctor ${sb.mcpUrl} --login browser --login-timeout 60; echo $? > '${exitFile}'; sleep 30`, dir);
    try {
      const asked = await term.waitFor(/it asks every time\..*\[Y\/n\]/, 60_000);
      expect(asked.match(/it asks every time/g)).toHaveLength(1);
      // Nothing drawn after the question while it waits: the spinner is stopped.
      await new Promise((r) => setTimeout(r, 400));
      const lastLine = term.visible().trimEnd().split('\n').at(-1) ?? '';
      expect(lastLine).toMatch(/\[Y\/n\]$/);
      term.type('n');
      term.keys('Enter');
      expect(await exitCodeFrom(exitFile, 60_000)).toBe(3);
      const screen = term.screen();
      expect(screen).toMatch(/Security: incomplete/);
      expect(screen.match(/it asks every time/g)).toHaveLength(1);
    } finally {
      term.kill();
      await sb.close();
    }
  }, 120_000);

  it('gives up after --login-timeout: incomplete (exit 3), not a server fault, and says what to do', async () => {
    const r = await runCli(['doctor', '--sandbox', '--login', 'browser', '--login-timeout', '1'], {
      env: { GPT_OAUTH_BROWSER: 'true' },
    });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/\? authz\.state/);
    expect(r.stdout).toMatch(/no sign-in response within 1 s/);
    // The reason, the check it stopped, then what to do.
    expect(r.stdout).toMatch(/\? ChatGPT: incomplete — \d+ of \d+ checks could not run: the doctor could not sign in: no sign-in response within 1 s \(authz\.state\) — sign in within --login-timeout/);
    expect(r.stdout).not.toMatch(/ChatGPT would fail/);
    // The checks that only waited for the sign-in are collapsed per step, not listed one by one.
    // (The root cause: the sign-in authz.state waits for, not token.exchange in between.)
    expect(r.stdout).toMatch(/^Tokens {2}\? \d+ could not run — they need authz\.state, which could not be completed$/m);
    expect(r.stdout.trim().split('\n').length).toBeLessThan(30);
  });
});
