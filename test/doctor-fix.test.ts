/**
 * `doctor --fix` against provider fakes whose authorization server follows the tenant settings
 * (test/helpers/fakes/auth0-tenant.ts): the plan first, applied with --yes (or not, without a
 * terminal), read back, the doctor run again, before/after in the report.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startAuth0Fake } from './helpers/fakes/auth0.js';
import { startClerkFake } from './helpers/fakes/clerk.js';
import { startSupabaseFake } from './helpers/fakes/supabase.js';
import { startConsentSite } from './helpers/fakes/supabase-tenant.js';
import { startTenantMcp } from './helpers/fakes/auth0-tenant.js';
import { startTenantStack } from './helpers/tenant-project.js';
import { BIN, runCli } from './helpers/cli.js';
import { exitCodeFrom, hasTmux, Terminal } from './helpers/tmux.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../src/doctor/types.js';
import { Ajv } from 'ajv';
import { reportSchema } from './helpers/report-schema.js';

const validReport = new Ajv({ strict: false }).compile(reportSchema);

const closers: (() => Promise<void>)[] = [];
afterEach(async () => { await Promise.all(closers.splice(0).map((c) => c())); });

async function auth0Tenant() {
  const f = await startAuth0Fake();
  const mcp = await startTenantMcp(f.issuer, f.tenant.publicJwks);
  closers.push(() => mcp.close(), async () => { expect(f.fake.violations).toEqual([]); await f.fake.close(); });
  return { f, mcp };
}

describe('doctor --fix on Auth0', () => {
  it('registration off fails as.client-registration; --fix --yes applies the plan and the same run passes', async () => {
    const { f, mcp } = await auth0Tenant();
    const md = join(mkdtempSync(join(tmpdir(), 'gpt-oauth-fix-')), 'report.md');
    const r = await runCli(['doctor', mcp.mcpUrl, '--login', 'auto', '--fix', '--yes', '--connection', 'Username-Password-Authentication', '--json', '--report', md], { env: f.env });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(md, 'utf8')).toMatch(/\*\*--fix on Auth0 tenant 127\.0\.0\.1\*\*: before ChatGPT fail, security incomplete → after ChatGPT pass, security pass/);
    expect(readFileSync(md, 'utf8')).toMatch(/- round 1: `flags\.enable_dynamic_client_registration` false → true \(`as\.client-registration`, `dcr\.register`\)/);
    const report = JSON.parse(r.stdout) as Report;
    expect(validReport(report), JSON.stringify(validReport.errors)).toBe(true);
    const fix = report.fix!;
    expect(fix.provider).toBe('auth0');
    expect(fix.before.chatgpt).toBe('fail');
    expect(fix.after).toEqual(report.verdict);
    expect(report.verdict.chatgpt).toBe('pass');
    expect(fix.rounds[0]!.applied).toBe(true);
    const planned = fix.rounds[0]!.plan.filter((c) => c.status === 'changed').map((c) => c.setting);
    expect(planned).toEqual(expect.arrayContaining(['flags.enable_dynamic_client_registration', 'resource_parameter_profile', 'authorization_response_iss_parameter_supported', 'API (resource server)', 'client grant for third-party (DCR) clients', 'domain-level login connection (Username-Password-Authentication)']));
    expect(fix.changed).toContainEqual({ id: 'as.client-registration', from: 'fail', to: 'pass' });
    // A warning from Auth0's own behaviour is reported as not fixable there, not planned.
    expect(fix.notFixable.map((c) => c.id)).toContain('as.pkce-s256');
    expect(f.state.settings).toMatchObject({ flags: { enable_dynamic_client_registration: true }, resource_parameter_profile: 'compatibility', authorization_response_iss_parameter_supported: true });
    // The plan, on stderr, before it was applied.
    expect(r.stderr).toMatch(/--fix: Auth0 tenant 127\.0\.0\.1 — 6 changes planned:\n/);
    expect(r.stderr).toMatch(/\n {2}\+ flags\.enable_dynamic_client_registration: false → true \(as\.client-registration, dcr\.register\)\n/);
    expect(r.stderr.indexOf('changes planned')).toBeLessThan(r.stderr.indexOf('--fix: applied; running the doctor again'));
    expect(r.stderr).toMatch(/Not fixable on Auth0[^\n]*\n\s+! as\.pkce-s256/);
    expect(r.stderr).toMatch(/--fix: before ChatGPT fail, security incomplete → after ChatGPT pass/);
    // The Management API's credentials and tokens appear nowhere.
    const all = r.stdout + r.stderr + readFileSync(md, 'utf8');
    for (const secret of [f.env.AUTH0_CLIENT_SECRET!, ...f.state.tokens]) expect(all).not.toContain(secret);
    expect(f.state.tokens.size).toBeGreaterThan(0);
  }, 120_000);

  it('without a terminal and without --yes, the plan is shown and nothing is written', async () => {
    const { f, mcp } = await auth0Tenant();
    const r = await runCli(['doctor', mcp.mcpUrl, '--login', 'auto', '--fix', '--connection', 'Username-Password-Authentication'], { env: { ...f.env, NO_COLOR: '1' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\+ flags\.enable_dynamic_client_registration: false → true/);
    expect(r.stderr).toMatch(/--fix: not applied: without a terminal, pass --yes to apply the plan/);
    expect(f.state.settings).toMatchObject({ flags: { enable_dynamic_client_registration: false }, resource_parameter_profile: 'audience' });
    expect(f.fake.calls.filter((c) => c.method !== 'GET')).toEqual([]);
  }, 60_000);

  it('credentials for another tenant change nothing', async () => {
    const { mcp } = await auth0Tenant();
    const other = await startAuth0Fake();
    closers.push(() => other.fake.close());
    const r = await runCli(['doctor', mcp.mcpUrl, '--login', 'auto', '--fix', '--yes', '--connection', 'Username-Password-Authentication'], { env: other.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the Auth0 credentials are for the issuer http:\/\/127\.0\.0\.1:\d+\/, but the server names http:\/\/127\.0\.0\.1:\d+\/: not changing a tenant this server does not use/);
    expect(other.fake.calls.filter((c) => c.method !== 'GET')).toEqual([]);
  }, 60_000);

  it('a server on no known provider: --fix says how to name one, and the report is the plain run\'s', async () => {
    const { startToy } = await import('./helpers/toy-server.js');
    const toy = await startToy({ rs: { acceptGarbage: true } });
    closers.push(() => toy.close());
    const r = await runCli(['doctor', toy.mcpUrl, '--login', 'auto', '--fix', '--yes', '--json'], { env: {} });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.fix!.stopped).toMatch(/no provider whose settings gpt-oauth can change was recognised behind http:\/\/127\.0\.0\.1:\d+; if it is one \(a custom domain\), name it with --provider/);
    expect(report.fix!.rounds).toEqual([]);
    expect(report.fix!.notFixable).toEqual([]);
    expect(report.fix!.after).toEqual(report.fix!.before);
  }, 60_000);

  it('usage errors before any request: --fix with the sandbox or actions, --yes without --fix, missing credentials', async () => {
    for (const [args, msg] of [
      [['doctor', '--sandbox', '--fix'], /the sandbox has none to change/],
      [['doctor', 'https://mcp.example.com/mcp', '--yes'], /--yes goes with --fix/],
      [['doctor', 'https://mcp.example.com/mcp', '--fix', '--provider', 'auth0'], /AUTH0_DOMAIN/],
    ] as const) {
      const r = await runCli([...args], { env: {} });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  });
});

describe('doctor --fix on Clerk', () => {
  it('named with --provider (a custom domain): registration and JWT access tokens on; the missing aud stays, not fixable on Clerk', async () => {
    const f = await startClerkFake({ tenant: true });
    // Clerk's tokens carry no aud: this MCP server checks the issuer only.
    const mcp = await startTenantMcp(f.issuer, f.tenant!.publicJwks, { checkAudience: false });
    closers.push(() => mcp.close(), async () => { expect(f.fake.violations).toEqual([]); await f.fake.close(); });
    const before = await runCli(['doctor', mcp.mcpUrl, '--login', 'auto', '--json'], { env: f.env });
    expect((JSON.parse(before.stdout) as Report).checks.find((c) => c.id === 'as.client-registration')!.status).toBe('fail');

    const r = await runCli(['doctor', mcp.mcpUrl, '--login', 'auto', '--fix', '--yes', '--provider', 'clerk', '--json'], { env: f.env });
    const report = JSON.parse(r.stdout) as Report;
    const fix = report.fix!;
    expect(fix.provider).toBe('clerk');
    expect(fix.rounds[0]!.plan.filter((c) => c.status === 'changed').map((c) => c.setting).sort()).toEqual(['dynamic_oauth_client_registration', 'oauth_jwt_access_tokens']);
    expect(f.state.settings).toMatchObject({ dynamic_oauth_client_registration: true, oauth_jwt_access_tokens: true });
    expect(report.verdict.chatgpt).toBe('pass');
    expect(fix.changed).toContainEqual({ id: 'as.client-registration', from: 'fail', to: 'pass' });
    // Clerk has no setting for an audience: reported, not planned, and the security verdict says so.
    expect(fix.rounds[0]!.plan.find((c) => c.setting === 'access token audience')!.status).toBe('manual');
    expect(fix.notFixable.map((c) => c.id)).toContain('token.audience');
    expect(report.verdict.security).toBe('fail');
    expect(r.code).toBe(1);
  }, 120_000);
});

describe('doctor --fix on Supabase', () => {
  it('a fresh project: the server switch, registration, the consent path and the Site URL from --authorization-url; ChatGPT passes, aud listed as not fixable', async () => {
    const stack = await startTenantStack(() => startSupabaseFake({ tenant: true }), startConsentSite);
    const { f, site, mcp } = stack;
    closers.push(() => stack.close());
    const r = await runCli(['doctor', mcp.mcpUrl, '--login', 'auto', '--fix', '--yes', '--allow-host', 'localhost', '--authorization-url', `${site.origin}/oauth/consent`, '--json'], { env: f.env });
    const report = JSON.parse(r.stdout) as Report;
    expect(validReport(report), JSON.stringify(validReport.errors)).toBe(true);
    const fix = report.fix!;
    expect(fix.provider).toBe('supabase');
    expect(fix.before.chatgpt).toBe('fail');
    expect(report.verdict.chatgpt).toBe('pass');
    expect(fix.rounds[0]!.plan.filter((c) => c.status === 'changed').map((c) => c.setting)).toEqual(['oauth_server_enabled', 'oauth_server_allow_dynamic_registration', 'site_url', 'oauth_server_authorization_path']);
    expect(f.state.config).toMatchObject({ oauth_server_enabled: true, oauth_server_allow_dynamic_registration: true, oauth_server_authorization_path: '/oauth/consent', site_url: site.origin });
    expect(r.stderr).toMatch(/\n {2}\+ site_url: http:\/\/localhost:3000 → http:\/\/localhost:\d+ \(authz\.state, dcr\.connector-callback\)\n/);
    expect(r.stderr).toMatch(/! access token audience: by hand — not a setting on Supabase: tokens always carry aud "authenticated"/);
    expect(fix.notFixable.map((c) => c.id)).toEqual(expect.arrayContaining(['token.audience', 'as.pkce-s256']));
    // Run again: nothing left to change, the same verdict.
    const again = await runCli(['doctor', mcp.mcpUrl, '--login', 'auto', '--fix', '--yes', '--allow-host', 'localhost', '--json'], { env: f.env });
    const second = JSON.parse(again.stdout) as Report;
    expect(second.verdict).toEqual(report.verdict);
    expect(again.stderr).toMatch(/--fix: nothing left that the Supabase settings change\./);
  }, 120_000);

  it('without --authorization-url the default Site URL is a step by hand, not a guess', async () => {
    const f = await startSupabaseFake({ tenant: true });
    const mcp = await startTenantMcp(f.tenant!.issuer, f.tenant!.publicJwks, { checkAudience: false, typ: false });
    closers.push(() => mcp.close(), () => f.fake.close());
    const r = await runCli(['doctor', mcp.mcpUrl, '--login', 'auto', '--fix', '--json'], { env: f.env });
    const fix = (JSON.parse(r.stdout) as Report).fix!;
    expect(fix.rounds[0]!.applied).toBe(false);
    expect(fix.rounds[0]!.plan.find((c) => c.setting === 'site_url')).toMatchObject({ status: 'manual', note: expect.stringMatching(/still the default http:\/\/localhost:3000: give the page's URL with --authorization-url/) });
    expect(f.state.config.oauth_server_enabled).toBe(false);
  }, 60_000);
});

describe.skipIf(!hasTmux)('doctor --fix in a terminal', () => {
  let term: Terminal | undefined;
  afterEach(() => { term?.kill(); term = undefined; });

  it('asks for the missing secret as init does, shows the plan, asks once with the spinner stopped, and applies on "y"', async () => {
    const { f, mcp } = await auth0Tenant();
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-tty-fix-'));
    const exitFile = join(dir, 'exit-code');
    // The M2M app's secret is not in the environment: asked for, hidden, as init does.
    const { AUTH0_CLIENT_SECRET: secret, ...rest } = f.env;
    const env = Object.entries(rest).map(([k, v]) => `${k}='${v}'`).join(' ');
    term = new Terminal(`env -u CI -u GPT_OAUTH_NO_INPUT -u AUTH0_CLIENT_SECRET TERM=xterm-256color NO_COLOR=1 ${env} '${process.execPath}' '${BIN}' doctor ${mcp.mcpUrl} --login auto --fix --connection Username-Password-Authentication; echo $? > '${exitFile}'; sleep 30`, dir);
    await term.waitFor(/Its client secret/, 30_000);
    term.type(secret!);
    term.keys('Enter');
    const asking = await term.waitFor(/Apply these 6 changes to Auth0 tenant 127\.0\.0\.1\?/, 30_000);
    // The question is the last thing on the screen (no spinner drawing over it), after the plan.
    expect(asking.trimEnd().split('\n').at(-1)).toMatch(/Apply these 6 changes/);
    expect(asking).toMatch(/\+ flags\.enable_dynamic_client_registration: false → true/);
    expect(f.state.settings).toMatchObject({ flags: { enable_dynamic_client_registration: false } });
    term.type('y');
    term.keys('Enter');
    expect(await exitCodeFrom(exitFile, 60_000)).toBe(0);
    const screen = term.screen();
    expect(screen).toMatch(/--fix: before ChatGPT fail, security incomplete → after ChatGPT pass, security pass/);
    expect(screen).toMatch(/✓ ChatGPT can connect/);
    expect(f.state.settings).toMatchObject({ flags: { enable_dynamic_client_registration: true } });
    expect(screen).not.toContain(secret);
  }, 90_000);
});

describe('doctor --fix when the provider fails mid-way', () => {
  it('a write cut off after it committed, then a write that fails: each run stops; the next converges', async () => {
    const { f, mcp } = await auth0Tenant();
    // The API is created but its answer never arrives (run 1); the tenant settings write then fails (run 2).
    f.fake.crashAfter('POST /resource-servers');
    f.fake.inject('PATCH /tenants/settings', { status: 500 });
    const args = ['doctor', mcp.mcpUrl, '--login', 'auto', '--fix', '--yes', '--connection', 'Username-Password-Authentication'];
    const first = await runCli(args, { env: { ...f.env, NO_COLOR: '1' } });
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/--fix: applying the plan failed \(auth0: creating the API[^)]*\); what landed before stays — run the same command again to converge/);
    // The first run's report is still printed.
    expect(first.stdout).toMatch(/✗ ChatGPT would fail/);
    expect(f.state.resourceServers).toHaveLength(1);
    const second = await runCli(args, { env: { ...f.env, NO_COLOR: '1' } });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/--fix: applying the plan failed \(auth0: updating the tenant settings failed: 500/);
    expect(second.stderr).not.toMatch(/--fix: applied/);
    const again = await runCli([...args, '--json'], { env: f.env });
    expect(again.code, again.stderr).toBe(0);
    const fix = (JSON.parse(again.stdout) as Report).fix!;
    // Nothing done twice: the API that landed before is found, not created again.
    expect(fix.rounds[0]!.plan.find((c) => c.setting === 'API (resource server)')!.status).toBe('already');
    expect(f.state.resourceServers).toHaveLength(1);
    expect(fix.after.chatgpt).toBe('pass');
  }, 120_000);
});
