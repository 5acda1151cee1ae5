/**
 * Two verdicts a user can trust — "Can ChatGPT connect?" and "Is it safe?" — plus "incomplete"
 * when the doctor itself could not finish, the exit codes 0/1/3 and --fail-on.
 */
import { PassThrough } from 'node:stream';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { freePort } from './helpers/free-port.js';
import { startToy, type ToyFlags } from './helpers/toy-server.js';
import { startSandbox } from '../src/sandbox/server.js';
import { runAppsSuite } from '../src/doctor/suites/apps.js';
import { HttpClient } from '../src/http/client.js';

async function withToy<T>(flags: ToyFlags, fn: (mcpUrl: string) => Promise<T>): Promise<T> {
  const toy = await startToy(flags);
  try { return await fn(toy.mcpUrl); } finally { await toy.close(); }
}

describe('the report leads and ends with both verdicts', () => {
  it('a security-only fault: ChatGPT can connect, 1 security problem, no ChatGPT text on it', async () => {
    await withToy({ refresh: 'old-valid' }, async (url) => {
      const r = await runCli(['doctor', url, '--login', 'auto']);
      expect(r.code).toBe(1);
      const lines = r.stdout.trim().split('\n');
      expect(lines[1]).toMatch(/^✓ ChatGPT can connect/);
      expect(lines[2]).toMatch(/^✗ 1 security problem — .*previous refresh token .*\(refresh\.rotation\)$/);
      expect(lines.at(-2)).toMatch(/^✓ ChatGPT can connect/);
      expect(lines.at(-1)).toMatch(/^✗ 1 security problem/);
      expect(r.stdout).not.toMatch(/ChatGPT shows/);
      const j = JSON.parse((await runCli(['doctor', url, '--login', 'auto', '--json'])).stdout);
      expect(j.verdict).toEqual({ chatgpt: 'pass', security: 'fail' });
      const rotation = j.checks.find((c: { id: string }) => c.id === 'refresh.rotation');
      expect(rotation).toMatchObject({ status: 'fail', impact: 'security' });
      expect(rotation.chatgpt).toBeUndefined();
      for (const c of j.checks) expect(['chatgpt', 'security', 'interop']).toContain(c.impact);
    });
  });

  it('a ChatGPT-breaking fault: ✗ ChatGPT would fail, with ChatGPT\'s message', async () => {
    await withToy({ dropMeta: ['code_challenge_methods_supported'] }, async (url) => {
      const r = await runCli(['doctor', url, '--login', 'auto', '--json']);
      const j = JSON.parse(r.stdout);
      expect(j.verdict.chatgpt).toBe('fail');
      expect(j.checks.find((c: { id: string }) => c.id === 'as.pkce-s256')).toMatchObject({ impact: 'chatgpt', chatgpt: expect.stringMatching(/S256/) });
      const human = await runCli(['doctor', url, '--login', 'auto']);
      expect(human.stdout.split('\n')[1]).toMatch(/^✗ ChatGPT would fail: 1 problem — code_challenge_methods_supported is missing.* \(as\.pkce-s256\)/);
    });
  });
});

describe('the verdict line names the problem', () => {
  it('a closed port: what is wrong, in the detail\'s words, then the check id', async () => {
    const port = await freePort();
    const r = await runCli(['doctor', `http://127.0.0.1:${port}/mcp`, '--login', 'auto']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    for (const line of [lines[1], lines.at(-2)]) expect(line).toMatch(new RegExp(`^✗ ChatGPT would fail: 1 problem — nothing is listening on 127\\.0\\.0\\.1:${port} — is the server running\\? \\(resource\\.challenge\\)`));
    expect(lines.at(-1)).toMatch(/^\? Security: incomplete/);
  });
});

describe('exit codes and --fail-on', () => {
  it('a security-only failure: 1 with all (default) and security, 0 with chatgpt', async () => {
    await withToy({ rs: { acceptGarbage: true } }, async (url) => {
      expect((await runCli(['doctor', url, '--login', 'auto'])).code).toBe(1);
      expect((await runCli(['doctor', url, '--login', 'auto', '--fail-on', 'security'])).code).toBe(1);
      expect((await runCli(['doctor', url, '--login', 'auto', '--fail-on', 'chatgpt'])).code).toBe(0);
    });
  });
  it('a ChatGPT-only failure: 0 with --fail-on security, 1 with chatgpt', async () => {
    await withToy({ stateMode: 'truncate' }, async (url) => {
      expect((await runCli(['doctor', url, '--login', 'auto', '--fail-on', 'security'])).code).toBe(0);
      expect((await runCli(['doctor', url, '--login', 'auto', '--fail-on', 'chatgpt'])).code).toBe(1);
    });
  });
  it('an unknown --fail-on value is a usage error', async () => {
    const r = await runCli(['doctor', '--sandbox', '--fail-on', 'everything']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--fail-on/);
  });
  it('a baseline that accepts the security failure makes --fail-on all pass again', async () => {
    await withToy({ refresh: 'old-valid' }, async (url) => {
      const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-baseline-'));
      const file = join(dir, 'b.yaml');
      expect((await runCli(['doctor', url, '--login', 'auto', '--write-baseline', file])).code).toBe(0);
      expect(readFileSync(file, 'utf8')).toContain('refresh.rotation');
      const r = await runCli(['doctor', url, '--login', 'auto', '--baseline', file, '--json']);
      expect(r.code).toBe(0);
      // The verdict still tells the truth; only the exit code follows the baseline.
      expect(JSON.parse(r.stdout).verdict.security).toBe('fail');
    });
  });
});

describe('"incomplete" is not "ChatGPT would fail"', () => {
  it('the sandbox with a login page and --login auto: exit 3, incomplete, names --login browser / command, no check fails', async () => {
    const sb = await startSandbox({ loginPage: true });
    try {
      const r = await runCli(['doctor', sb.mcpUrl, '--login', 'auto', '--json']);
      expect(r.code).toBe(3);
      const j = JSON.parse(r.stdout);
      expect(j.verdict.chatgpt).toBe('incomplete');
      expect(j.checks.filter((c: { status: string }) => c.status === 'fail')).toEqual([]);
      const state = j.checks.find((c: { id: string }) => c.id === 'authz.state');
      expect(state).toMatchObject({ status: 'skip', incomplete: true });
      expect(state.chatgpt).toBeUndefined();
      const human = await runCli(['doctor', sb.mcpUrl, '--login', 'auto']);
      expect(human.code).toBe(3);
      expect(human.stdout.split('\n')[1]).toMatch(/^\? ChatGPT: incomplete — .*this server shows a login page: use --login browser, or --login command in CI/);
      expect(human.stdout).not.toMatch(/ChatGPT would fail|ChatGPT shows/);
    } finally {
      await sb.close();
    }
  });

  it('a failing --login-command: exit 3, incomplete, not a server fault', async () => {
    const r = await runCli(['doctor', '--sandbox', '--login', 'command', '--login-command', 'exit 7', '--json']);
    expect(r.code).toBe(3);
    const j = JSON.parse(r.stdout);
    expect(j.verdict.chatgpt).toBe('incomplete');
    expect(j.checks.find((c: { id: string }) => c.id === 'authz.state')).toMatchObject({ incomplete: true, detail: expect.stringMatching(/exited with 7/), fix: expect.stringMatching(/--login-command/) });
    expect(j.checks.filter((c: { status: string }) => c.status === 'fail')).toEqual([]);
  });

  it('a wrong --client-id given by the tester: incomplete, not a server fault', async () => {
    await withToy({}, async (url) => {
      const r = await runCli(['doctor', url, '--login', 'auto', '--client-id', 'no-such-client', '--json']);
      const j = JSON.parse(r.stdout);
      expect(r.code).toBe(3);
      expect(j.verdict.chatgpt).toBe('incomplete');
      expect(j.checks.find((c: { id: string }) => c.id === 'authz.state')).toMatchObject({ incomplete: true, fix: expect.stringMatching(/--client-id/) });
    });
  });

  it('--login manual asks again when the paste is not a URL, and after three tries is incomplete', async () => {
    const sb = await startSandbox();
    const http = new HttpClient({ timeoutMs: 5000, maxBytes: 1 << 20, userAgent: 'test' });
    const stdin = new PassThrough();
    const said: string[] = [];
    try {
      const report = await runAppsSuite({
        mcpUrl: sb.mcpUrl, http, login: 'manual', stdin, selection: { only: ['authz.state'] },
        say: (l) => { said.push(l); if (/Paste|not a URL/.test(l)) stdin.write('not a url\n'); },
      });
      expect(said.filter((l) => /try \d of 3/.test(l))).toHaveLength(2);
      expect(report.checks[0]).toMatchObject({ id: 'authz.state', status: 'skip', incomplete: true, detail: expect.stringMatching(/no URL was pasted in 3 tries/) });
      expect(report.verdict.chatgpt).toBe('incomplete');
    } finally {
      await http.close();
      await sb.close();
    }
  });
});

describe('JUnit, Markdown and GitHub annotations carry the impact', () => {
  it('labels each failure and shows both verdicts', async () => {
    await withToy({ rs: { acceptGarbage: true } }, async (url) => {
      const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-impact-'));
      const summary = join(dir, 'summary.md');
      const r = await runCli(['doctor', url, '--login', 'auto', '--junit', join(dir, 'j.xml'), '--report', join(dir, 'r.md')], {
        env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary },
      });
      expect(r.code).toBe(1);
      const junit = readFileSync(join(dir, 'j.xml'), 'utf8');
      expect(junit).toMatch(/<property name="verdict.security" value="fail"\/>/);
      expect(junit).toMatch(/<failure message="\[security\] a garbage token got 200: the server ACCEPTED it" type="security:high">/);
      const md = readFileSync(join(dir, 'r.md'), 'utf8');
      expect(md).toMatch(/\*\*✅ ChatGPT can connect\*\*/);
      expect(md).toMatch(/\*\*❌ 1 security problem — a garbage token got 200: the server ACCEPTED it \\\(resource\.rejects-invalid-token\\\)\*\*/);
      expect(md).toMatch(/^- ❌ \*\*`resource\.rejects-invalid-token`\*\* \[security\] — a garbage token got 200/m);
      expect(readFileSync(summary, 'utf8')).toMatch(/1 security problem/);
      expect(r.stderr).toMatch(/::error title=gpt-oauth \[security\] resource\.rejects-invalid-token::/);
    });
  });
});

describe('a verdict is pass only if the checks behind it ran', () => {
  it('--only: the selected checks pass, which is no verdict on the whole connection (partial, exit 0)', async () => {
    const sb = await startSandbox();
    try {
      const r = await runCli(['doctor', sb.mcpUrl, '--login', 'auto', '--only', 'prm.']);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines[1]).toMatch(/^✓ The 2 selected ChatGPT checks pass — not a verdict on the whole connection \(--only prm\.\)/);
      expect(lines[2]).toBe('- Security: not checked — no security check selected (--only prm.)');
      expect(r.stdout).not.toMatch(/ChatGPT can connect|No security problems found/);
      const j = JSON.parse((await runCli(['doctor', sb.mcpUrl, '--login', 'auto', '--only', 'prm.', '--json'])).stdout);
      expect(j.verdict).toEqual({ chatgpt: 'partial', security: 'partial' });
      expect(j.selection.only).toEqual(['prm.']);
      expect(j.selection.notSelected.chatgpt).toBeGreaterThan(0);
      // The published schema knows both.
      const { default: Ajv } = await import('ajv');
      const { reportSchema } = await import('./helpers/report-schema.js');
      const validate = new Ajv({ strict: false }).compile(reportSchema);
      expect(validate(j), JSON.stringify(validate.errors)).toBe(true);
      // --skip of one check: the rest ran, the verdicts still cover only what ran.
      const skip = JSON.parse((await runCli(['doctor', sb.mcpUrl, '--login', 'auto', '--skip', 'token.lifetime', '--json'])).stdout);
      expect(skip.verdict).toEqual({ chatgpt: 'pass', security: 'partial' });
      expect(skip.selection).toEqual({ skip: ['token.lifetime'], notSelected: { chatgpt: 0, security: 1, interop: 0 } });
      // Not applicable to this server (no CIMD, no mixed auth) is not "did not run": a full run passes.
      const full = JSON.parse((await runCli(['doctor', sb.mcpUrl, '--login', 'auto', '--json'])).stdout);
      expect(full.verdict).toEqual({ chatgpt: 'pass', security: 'pass' });
      expect(full.selection).toBeUndefined();
    } finally {
      await sb.close();
    }
  });

  it('after a failed discovery the lines name the root cause, never a step needing itself', async () => {
    // Nothing listens: resource.challenge fails and every other check waits on it.
    const port = await freePort();
    {
      const r = await runCli(['doctor', `http://127.0.0.1:${port}/mcp`, '--login', 'auto']);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^\? Security: incomplete — 25 of 25 security checks could not run because resource\.challenge failed$/m);
      expect(r.stdout).toMatch(/^Keys {2}- 2 skipped — they need resource\.challenge, which failed$/m);
      expect(r.stdout).toMatch(/^Authorization {2}- \d+ skipped — they need resource\.challenge, which failed$/m);
      for (const line of r.stdout.split('\n')) {
        const step = /^(\w+) {2}.*they need/.exec(line)?.[1];
        if (step) expect(line.split('they need')[1]).not.toContain(step);
      }
    }
  });
});

describe('what each verdict may claim (buildReport on given results)', () => {
  const r = (id: string, impact: 'chatgpt' | 'security', status: string, detail = '', extra: object = {}) =>
    ({ id, impact, status, detail, severity: 'info', title: id, spec: [], references: [], durationMs: 0, step: 'Discovery', ...extra }) as import('../src/checks/types.js').CheckResult;
  const verdictOf = async (checks: ReturnType<typeof r>[], selection?: import('../src/checks/types.js').ReportSelection) => {
    const { buildReport } = await import('../src/doctor/verdict.js');
    return buildReport('apps', 'https://x.example/mcp', new Date(), checks, selection ? { selection } : {}).verdict;
  };
  it('a skip that does not apply to the server counts as run; one the doctor could not do, or one waiting on a failure, does not', async () => {
    const applies = r('cimd.chatgpt-document', 'chatgpt', 'skip', 'the server does not advertise client_id_metadata_document_supported');
    expect(await verdictOf([r('prm.document', 'chatgpt', 'pass'), applies, r('pkce.required', 'security', 'pass')])).toEqual({ chatgpt: 'pass', security: 'pass' });
    const noSignIn = r('pkce.required', 'security', 'skip', 'needs a new authorization; not run when starting from the refresh token in RT', { incomplete: true, fix: 'run with --login auto' });
    expect(await verdictOf([r('prm.document', 'chatgpt', 'pass'), noSignIn])).toEqual({ chatgpt: 'pass', security: 'incomplete' });
    const waiting = r('pkce.downgrade', 'security', 'skip', 'needs as.metadata, which failed');
    expect(await verdictOf([r('as.metadata', 'chatgpt', 'fail'), waiting])).toEqual({ chatgpt: 'fail', security: 'incomplete' });
  });
  it('a check whose sub-test judges security (alsoJudges): not run, the security verdict is incomplete, not pass', async () => {
    const api = (status: string, detail = '', extra: object = {}) => r('actions.api-call', 'chatgpt', status, detail, { alsoJudges: ['security'], ...extra });
    expect(await verdictOf([r('actions.token-exchange-method', 'chatgpt', 'pass'), api('pass')])).toEqual({ chatgpt: 'pass', security: 'pass' });
    const waiting = api('skip', 'needs actions.token-exchange-method, which could not be completed');
    expect(await verdictOf([r('actions.token-exchange-method', 'chatgpt', 'skip', 'refused', { incomplete: true }), waiting])).toEqual({ chatgpt: 'incomplete', security: 'incomplete' });
    expect(await verdictOf([r('actions.token-exchange-method', 'chatgpt', 'pass'), api('skip', 'x', { incomplete: true })])).toEqual({ chatgpt: 'incomplete', security: 'incomplete' });
  });
  it('a selection that left checks out: partial, unless something selected failed or could not run', async () => {
    const left = { only: ['prm.'], notSelected: { chatgpt: 20, security: 23, interop: 3 } };
    expect(await verdictOf([r('prm.document', 'chatgpt', 'pass')], left)).toEqual({ chatgpt: 'partial', security: 'partial' });
    expect(await verdictOf([r('prm.document', 'chatgpt', 'fail')], left)).toEqual({ chatgpt: 'fail', security: 'partial' });
    expect(await verdictOf([r('prm.document', 'chatgpt', 'skip', 'x', { incomplete: true })], left)).toEqual({ chatgpt: 'incomplete', security: 'partial' });
    // Only security checks left out: every check behind the ChatGPT verdict ran.
    expect(await verdictOf([r('prm.document', 'chatgpt', 'pass')], { skip: ['security'], notSelected: { chatgpt: 0, security: 11, interop: 0 } })).toEqual({ chatgpt: 'pass', security: 'partial' });
  });
});
