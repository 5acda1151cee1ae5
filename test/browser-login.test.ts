/**
 * `--login browser` end to end: the built CLI, the sandbox's real sign-in page, and headless
 * Chromium (Debian's, through playwright-core) playing the user's browser.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

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
  for (let i = 0; i < 100 && !read().some((e) => e.event === 'done' || e.event === 'error'); i++) await new Promise((res) => setTimeout(res, 100));
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
    expect(done[0].url).toMatch(/\/done$/);
    expect(done[0].text).toMatch(/finished signing in/);
    expect(r.stderr).toMatch(/login 12 of 12/);
    expect(r.stderr).toMatch(/in the same browser tab/);
    // The same verdicts as a run without a person, except the checks that need ChatGPT's own
    // redirect URI, which a loopback listener cannot receive.
    const auto = await runCli(['doctor', '--sandbox', '--login', 'auto', '--json']);
    const a = statusesOf(JSON.parse(auto.stdout));
    const b = statusesOf(report);
    const differ = Object.keys(a).filter((id) => a[id] !== b[id]);
    expect(differ).toEqual(['dcr.connector-callback']);
    expect(report.checks.find((c) => c.id === 'dcr.connector-callback')?.detail).toMatch(/loopback browser login cannot receive/);
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
      // One sign-in, and a consent for each client: the run's and one per isolated test.
      expect(done[0].actions.signIn).toBe(1);
      expect(done[0].actions.consent).toBeGreaterThan(1);
      expect(done[0].actions.consent).toBeLessThanOrEqual(13);
    } finally {
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
    expect(r.stdout).toMatch(/\? ChatGPT: incomplete — sign in within --login-timeout/);
    expect(r.stdout).not.toMatch(/ChatGPT would fail/);
  });
});
