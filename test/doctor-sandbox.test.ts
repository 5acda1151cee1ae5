import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Ajv from 'ajv';
import { startSandbox, type Sandbox } from '../src/sandbox/server.js';
import { runAppsSuite } from '../src/doctor/apps.js';
import { HttpClient } from '../src/http/client.js';
import { runCli } from './helpers/cli.js';
import { CONTRACT_APPS_IDS, reportSchema } from './helpers/report-schema.js';

const newHttp = () => new HttpClient({ timeoutMs: 5000, maxBytes: 1 << 20, userAgent: 'test' });

describe('doctor against the embedded sandbox (oidc-provider)', () => {
  let sb: Sandbox;
  beforeAll(async () => { sb = await startSandbox(); });
  afterAll(async () => { await sb.close(); });

  it('passes every apps check of the contract with --login auto', async () => {
    const http = newHttp();
    const report = await runAppsSuite({ mcpUrl: sb.mcpUrl, http, login: 'auto' });
    await http.close();
    const notPassing = report.checks.filter((c) => c.status !== 'pass').map((c) => `${c.id}: ${c.status} ${c.detail}`);
    expect(notPassing).toEqual([]);
    expect(report.checks.map((c) => c.id).sort()).toEqual([...CONTRACT_APPS_IDS].sort());
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
    expect(r.stdout).toMatch(/31 passed, 0 failed/);
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
    expect(report.summary).toEqual({ passed: 31, failed: 0, warnings: 0, skipped: 0 });
  });
});
