/**
 * `--login browser` end to end: the built CLI, the sandbox's real sign-in page, and headless
 * Chromium (Debian's, through playwright-core) playing the user's browser.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SANDBOX_PASSED } from './helpers/report-schema.js';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SCRIPT = fileURLToPath(new URL('./helpers/browser-login.mjs', import.meta.url));

describe('--login browser', () => {
  it.skipIf(!existsSync(CHROMIUM))('signs in through the sandbox page in Chromium, refusing forged callbacks', async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'gpt-oauth-browser-')), 'log.jsonl');
    const r = await runCli(['doctor', '--sandbox', '--login', 'browser', '--login-timeout', '60'], {
      env: { GPT_OAUTH_BROWSER: `${process.execPath} ${SCRIPT}`, BROWSER_LOG: log },
      timeoutMs: 120_000,
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // dcr.connector-callback needs ChatGPT's redirect and skips in browser mode; CIMD and mixed auth do not apply.
    expect(r.stdout).toMatch(new RegExp(`${SANDBOX_PASSED - 1} passed, 0 failed, 0 warnings, 3 skipped`));
    // The loopback redirect: every sign-in but dcr.connector-callback's (see doctor-sandbox's manual test).
    // M is refined as the run learns that a planned sign-in is not needed (pkce.downgrade here).
    expect(r.stderr).toMatch(/login 1 of 1[1-4]/);
    expect(r.stderr).toMatch(/login 12 of 12/);
    // The doctor moves on as soon as a callback arrives; give the last browser a moment to log.
    const read = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
    for (let i = 0; i < 100 && read().filter((e) => e.event !== 'probe').length < 12; i++) await new Promise((r) => setTimeout(r, 100));
    const events = read();
    const probes = events.filter((e) => e.event === 'probe');
    const done = events.filter((e) => e.event === 'done');
    expect(probes.length).toBe(12);
    for (const p of probes) {
      expect(p.redirectHost).toBe('127.0.0.1');
      expect(p.wrongState).toBe(400); // a callback with another state is refused...
      expect([404, 'refused']).toContain(p.wrongHost); // ...and so is one addressed to another host name
    }
    expect(done.length).toBe(12);
    expect(done[0].clicked).toBe(true); // the first login went through the real sign-in page
    expect(done[0].text).toMatch(/Sign-in response received/);
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
