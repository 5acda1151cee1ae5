import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Ajv from 'ajv';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { runAppsSuite } from '../src/doctor/suites/apps.js';
import { HttpClient } from '../src/http/client.js';
import { runCli } from './helpers/cli.js';
import { ALL_APPS_IDS, NOT_APPLICABLE_TO_SANDBOX, SANDBOX_PASSED, reportSchema } from './helpers/report-schema.js';

const newHttp = () => new HttpClient({ timeoutMs: 5000, maxBytes: 1 << 20, userAgent: 'test' });

describe('doctor against the embedded sandbox (oidc-provider)', () => {
  let sb: Sandbox;
  beforeAll(async () => { sb = await startSandbox(); });
  afterAll(async () => { await sb.close(); });

  it('passes every apps check of the contract with --login auto', async () => {
    const http = newHttp();
    const report = await runAppsSuite({ mcpUrl: sb.mcpUrl, http, login: 'auto' });
    await http.close();
    const notPassing = report.checks.filter((c) => c.status !== 'pass' && !(NOT_APPLICABLE_TO_SANDBOX.includes(c.id) && c.status === 'skip')).map((c) => `${c.id}: ${c.status} ${c.detail}`);
    expect(notPassing).toEqual([]);
    expect(report.checks.map((c) => c.id).sort()).toEqual([...ALL_APPS_IDS].sort());
  });

  it('runs only the selected checks (and their prerequisites silently) with --only', async () => {
    const http = newHttp();
    const report = await runAppsSuite({ mcpUrl: sb.mcpUrl, http, login: 'auto', selection: { only: ['token.audience', 'jwks.'] } });
    await http.close();
    expect(report.checks.map((c) => c.id)).toEqual(['jwks.keys', 'jwks.no-private', 'token.audience']);
    expect(report.checks.every((c) => c.status === 'pass')).toBe(true);
  });
});

describe('gpt-oauth doctor --sandbox (the built CLI)', () => {
  it('prints a passing human report and exits 0', async () => {
    const r = await runCli(['doctor', '--sandbox', '--login', 'auto']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('✓ ChatGPT can connect');
    expect(r.stdout).toMatch(new RegExp(`${SANDBOX_PASSED} passed, 0 failed, 0 warnings, 2 skipped`));
    // Hints and progress go to stderr, the report to stdout.
    expect(r.stderr).toContain('Started the sandbox');
    expect(r.stdout).not.toContain('Started the sandbox');
  });

  it('--json prints only a report that validates against the contract shape', async () => {
    const r = await runCli(['doctor', '--sandbox', '--login', 'auto', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    const validate = new Ajv({ strict: false }).compile(reportSchema);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.summary).toEqual({ passed: SANDBOX_PASSED, failed: 0, warnings: 0, skipped: 2 });
  });
});

describe('doctor --sandbox --mixed-auth', () => {
  it('shows mixed auth mode: recognised from the _meta challenge, the whole suite passes', async () => {
    const r = await runCli(['doctor', '--sandbox', '--mixed-auth', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.checks.find((c: { id: string }) => c.id === 'resource.challenge').detail).toMatch(/^mixed auth mode/);
    expect(j.checks.find((c: { id: string }) => c.id === 'resource.mixed-auth')).toMatchObject({ status: 'pass' });
    expect(j.checks.filter((c: { status: string }) => c.status === 'fail')).toEqual([]);
  });
  it('--mixed-auth without --sandbox is a usage error', async () => {
    const r = await runCli(['doctor', 'https://example.com/mcp', '--mixed-auth']);
    expect(r.code).toBe(2);
  });
});

/**
 * `--login manual` on the sandbox with a stand-in person: every printed authorization URL is
 * signed in with a browser-like client (`checkUrl` sees it first) and the final URL pasted; the
 * one yes/no question gets `answer`.
 */
async function manualRun(o: { extraSignIns?: boolean; answer?: 'y' | 'n'; checkUrl?: (url: URL) => void } = {}) {
  const { PassThrough } = await import('node:stream');
  const { probeAuthorization } = await import('../src/login/auto.js');
  const sb = await startSandbox();
  const stdin = new PassThrough();
  const http = newHttp();
  const user = newHttp(); // the person's browser
  const printed: string[] = [];
  let pending = Promise.resolve();
  const say = (line: string) => {
    printed.push(line);
    const m = /Open this URL in a browser:\n\s+(\S+)/.exec(line);
    if (m) {
      pending = pending.then(async () => {
        const url = new URL(m[1]!);
        o.checkUrl?.(url);
        const p = await probeAuthorization(user, url, url.searchParams.get('redirect_uri')!);
        if (p.kind !== 'redirect') throw new Error(`user could not sign in: ${JSON.stringify(p)}`);
        stdin.write(`${p.location.href}\n`);
      });
    }
    if (/more sign-ins .* continue\? \[y\/N\]/.test(line)) pending = pending.then(() => { stdin.write(`${o.answer ?? 'n'}\n`); });
  };
  try {
    const report = await runAppsSuite({ mcpUrl: sb.mcpUrl, http, login: 'manual', say, stdin, extraSignIns: o.extraSignIns });
    return { report, printed };
  } finally {
    await Promise.all([http.close(), user.close(), sb.close()]);
  }
}

describe('--login manual', () => {
  it('asks for the one sign-in ChatGPT\'s path needs; the security checks\' extra sign-ins only with a yes', async () => {
    const { report, printed } = await manualRun({ answer: 'n' });
    // One paste: the main sign-in. The question was asked once.
    expect(printed.filter((l) => l.includes('Open this URL')).length).toBe(1);
    expect(printed.filter((l) => /continue\? \[y\/N\]/.test(l)).length).toBe(1);
    const by = (id: string) => report.checks.find((c) => c.id === id)!;
    expect(by('token.exchange').status).toBe('pass');
    expect(by('resource.accepts-token').status).toBe('pass');
    // Each skipped check says what it needs (a sign-in of its own), and the run's count is the one
    // the question named, the same in every detail (it read like a queue position: 14, 9, 4…).
    const asked = Number(/^(\d+) more sign-ins/.exec(printed.find((l) => /continue\? \[y\/N\]/.test(l))!)![1]);
    const declined = report.checks.filter((c) => c.status === 'skip' && /beyond ChatGPT's/.test(c.detail));
    expect(declined.map((c) => c.id)).toEqual(expect.arrayContaining(['pkce.verifier-required', 'token.client-auth', 'pkce.required', 'token.code-client-binding']));
    for (const c of declined) {
      expect(c, c.id).toMatchObject({ incomplete: true, detail: expect.stringMatching(/^(nothing to replay: )?needs a sign-in of its own beyond ChatGPT's \(a paste; the (\d+) such sign-ins this run planned were declined\): run with --login browser, where they happen in one tab$/) });
      expect(c.detail).toContain(`the ${asked} such sign-ins`);
    }
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    // Nothing failed, but checks behind both verdicts did not run (the reconnect without scope is
    // ChatGPT's too): incomplete, not pass.
    expect(report.verdict).toEqual({ chatgpt: 'incomplete', security: 'incomplete' });
  });

  it('prints ChatGPT-redirect authorize URLs and accepts the pasted final URLs', async () => {
    const { CONNECTOR_REDIRECT: CHATGPT_CONNECTOR_REDIRECT } = await import('../src/chatgpt/redirects.js');
    const { report, printed } = await manualRun({
      extraSignIns: true,
      // ChatGPT's own redirect URIs: the stable one, and a per-connector one for dcr.connector-callback.
      checkUrl: (url) => {
        const redirect = url.searchParams.get('redirect_uri')!;
        expect(redirect === CHATGPT_CONNECTOR_REDIRECT || redirect.startsWith('https://chatgpt.com/connector/oauth/')).toBe(true);
      },
    });
    expect(report.checks.filter((c) => c.status !== 'pass' && !NOT_APPLICABLE_TO_SANDBOX.includes(c.id)).map((c) => c.id)).toEqual([]);
    // authz.state, dcr.connector-callback, authz.scope-omitted, the two PKCE tests, code reuse, redirect
    // binding, refresh rotation, and the security suite's pkce.required, token.client-auth,
    // token.code-client-binding, refresh.client-binding, resource.rejects-other-audience,
    // pkce.plain-refused (pkce.downgrade needs none on the sandbox). Numbered in the order shown,
    // counting down.
    expect(printed.filter((l) => l.includes('Open this URL')).length).toBe(14);
    const numbers = printed.flatMap((l) => /login (\d+) of up to (\d+)/.exec(l)?.slice(1).map(Number) ?? []);
    expect(numbers.filter((_, i) => i % 2 === 0)).toEqual([...Array(14).keys()].map((i) => i + 1));
    // One total through the run (it used to drop as checks turned out not to apply).
    const totals = new Set(numbers.filter((_, i) => i % 2 === 1));
    expect(totals.size).toBe(1);
    expect([...totals][0]).toBeGreaterThanOrEqual(14);
    // The one question was not asked: --extra-sign-ins answered it.
    expect(printed.some((l) => /continue\? \[y\/N\]/.test(l))).toBe(false);
  });
});

describe('--login command', () => {
  it('every sign-in is shown, numbered 1, 2, 3… (the one on ChatGPT\'s own redirect URI, run apart from the chain, too)', async () => {
    const { fileURLToPath } = await import('node:url');
    const command = fileURLToPath(new URL('./helpers/fetch-login-command.mjs', import.meta.url));
    const sb = await startSandbox();
    try {
      const r = await runCli(['doctor', sb.mcpUrl, '--login', 'command', '--login-command', `'${process.execPath}' '${command}'`], { timeoutMs: 60_000 });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const shown = [...new Set([...r.stderr.matchAll(/login (\d+) of up to \d+/g)].map((m) => Number(m[1])))];
      expect(shown.length).toBeGreaterThan(10);
      expect(shown).toEqual(shown.map((_, i) => i + 1));
      expect(r.stderr).toMatch(/login 2 of up to \d+: a per-connector callback — a run of --login-command of its own/);
    } finally {
      await sb.close();
    }
  });
});

describe('gpt-oauth sandbox (the command)', () => {
  it('prints its URLs and the exact doctor command, which passes; Ctrl-C stops it with 130', async () => {
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('./helpers/cli.js');
    const child = spawn(process.execPath, [BIN, 'sandbox'], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const command = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(out)), 15_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /(?:npx gpt-oauth\S*|gpt-oauth|node \S+) (doctor .+)/.exec(out);
        if (m) { clearTimeout(t); resolve(m[1]!); }
      });
    });
    expect(out).toMatch(/MCP server URL:\s+http:\/\/127\.0\.0\.1:\d+\/mcp/);
    const r = await runCli(command.split(' '));
    expect(r.code, r.stdout).toBe(0);
    const exit = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.kill('SIGINT');
    expect(await exit).toBe(130);
  });
});

describe('reports', () => {
  it('--junit writes XML that a JUnit parser reads, one testcase per check', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { XMLParser } = await import('fast-xml-parser');
    const file = join(mkdtempSync(join(tmpdir(), 'gpt-oauth-junit-')), 'r.xml');
    const r = await runCli(['doctor', '--sandbox', '--login', 'auto', '--junit', file, '--skip', 'refresh.']);
    expect(r.code).toBe(0);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(file, 'utf8'));
    const suite = doc.testsuites.testsuite;
    expect(Number(suite['@_tests'])).toBe(ALL_APPS_IDS.filter((id) => !id.startsWith('refresh.')).length);
    expect(Number(suite['@_failures'])).toBe(0);
    expect(suite.testcase.map((t: Record<string, string>) => t['@_name'].split(':')[0])).toContain('token.audience');
  });

  it('colour only with a terminal or FORCE_COLOR, never with NO_COLOR', async () => {
    const forced = await runCli(['doctor', '--sandbox', '--login', 'auto', '--only', 'prm.'], { env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
    expect(forced.stdout).toMatch(/\u001b\[32m/);
    const plain = await runCli(['doctor', '--sandbox', '--login', 'auto', '--only', 'prm.'], { env: { NO_COLOR: '1', FORCE_COLOR: '1' } });
    expect(plain.stdout).not.toMatch(/\u001b\[/);
    const flag = await runCli(['doctor', '--sandbox', '--login', 'auto', '--only', 'prm.', '--no-color'], { env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
    expect(flag.stdout).not.toMatch(/\u001b\[/);
  });
});
