/**
 * A new user's Auth0 tenant, configured one setting at a time, against the Auth0 fake whose
 * authorization server follows its tenant settings (test/helpers/fakes/auth0-tenant.ts): at each
 * layer the doctor names the cause — not the first failure in catalog order, not the check that
 * happened to hit the same error page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAuth0Fake } from './helpers/fakes/auth0.js';
import { startTenantMcp } from './helpers/fakes/auth0-tenant.js';
import { runDoctor } from '../src/index.js';
import { firstFix } from '../src/doctor/verdict.js';
import { runCli } from './helpers/cli.js';
import type { Report } from '../src/doctor/types.js';

let f: Awaited<ReturnType<typeof startAuth0Fake>>;
let mcp: Awaited<ReturnType<typeof startTenantMcp>>;
beforeAll(async () => {
  f = await startAuth0Fake();
  mcp = await startTenantMcp(f.issuer, f.tenant.publicJwks);
});
afterAll(async () => {
  expect(f.fake.violations, 'the fake answered outside the documented schema').toEqual([]);
  await mcp.close();
  await f.fake.close();
});

const check = (r: Report, id: string) => r.checks.find((c) => c.id === id)!;
const doctor = () => runDoctor({ url: mcp.mcpUrl, login: 'auto' });

describe('an Auth0 tenant, one setting at a time', () => {
  it('dynamic registration off: as.client-registration, with the tenant flag', async () => {
    const r = await doctor();
    expect(firstFix(r.checks)!.id).toBe('as.client-registration');
    expect(check(r, 'as.client-registration').fix).toMatch(/^Auth0: .*Dynamic Application Registration.*doctor http:\/\/127\.0\.0\.1:\d+\/mcp --fix` applies it/);
  }, 60_000);

  it('registration on, no domain-level connection: the error page\'s own words, one cause for both sign-ins', async () => {
    (f.state.settings.flags as Record<string, boolean>).enable_dynamic_client_registration = true;
    const r = await doctor();
    const state = check(r, 'authz.state');
    expect(state.status).toBe('fail');
    // The page's text, not only its title and heading ("Oops!, something went wrong").
    expect(state.detail).toMatch(/invalid_request: no connections enabled for the client/);
    expect(state.detail).not.toMatch(/client_id=|code_challenge=/);
    expect(state.fix).toMatch(/^Auth0: promote the connection .*doctor http:\/\/127\.0\.0\.1:\d+\/mcp --fix` applies it with --connection NAME/);
    // The per-connector sign-in hit the same page: it does not blame its callback.
    const connector = check(r, 'dcr.connector-callback');
    expect(connector.status).toBe('skip');
    expect(connector.detail).toMatch(/same error page as authz\.state's/);
    expect(connector.detail).not.toMatch(/per-connector callback and cannot connect/);
    expect(state.explains).toContain('dcr.connector-callback');
    expect(firstFix(r.checks)!.id).toBe('authz.state');
  }, 60_000);

  it('a domain connection, but resource ignored (profile "audience"): token.audience names the cause and leads', async () => {
    f.state.connections[0]!.is_domain_connection = true;
    const r = await doctor();
    const aud = check(r, 'token.audience');
    expect(aud.status).toBe('fail');
    expect(aud.impact).toBe('chatgpt');
    expect(aud.detail).toMatch(/ignored the resource parameter: ChatGPT's request named resource=http:\/\/127\.0\.0\.1:\d+\/mcp, the access token is encrypted \(JWE\)/);
    expect(aud.fix).toMatch(/^Auth0: .*resource_parameter_profile is "compatibility".*API whose identifier is exactly http:\/\/127\.0\.0\.1:\d+\/mcp/);
    // The symptoms fail too, but the root cause is what to fix first (it explains them).
    expect(check(r, 'resource.accepts-token').status).toBe('fail');
    expect(check(r, 'authz.scope-omitted').status).toBe('fail');
    expect(firstFix(r.checks)!.id).toBe('token.audience');
    expect(aud.explains).toEqual(expect.arrayContaining(['resource.accepts-token', 'authz.scope-omitted']));
  }, 60_000);

  it('the same tenant in the terminal: "Fix first" and the verdict line lead with the ignored resource', async () => {
    const r = await runCli(['doctor', mcp.mcpUrl, '--login', 'auto'], { env: { NO_COLOR: '1' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Fix first: token\.audience — the authorization server ignored the resource parameter/);
    expect(r.stdout).toMatch(/✗ ChatGPT would fail: \d+ problems? — the authorization server ignored the resource parameter/);
  }, 60_000);

  it('init --provider auth0 converges the tenant: ChatGPT connects, and iss is on (authz.iss passes)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-tenant-'));
    const init = await runCli(['--config', join(dir, 'gpt-oauth.yaml'), 'init', '--provider', 'auth0', '--target', 'apps', '--mcp-url', mcp.mcpUrl,
      '--connection', 'Username-Password-Authentication', '--yes', '--no-doctor', '--no-open', '--templates', 'none'],
    { env: { ...f.env, GPT_OAUTH_CONFIG_DIR: join(dir, '.config'), GPT_OAUTH_SECRET_BACKEND: 'file' }, cwd: dir });
    expect(init.code, init.stderr).toBe(0);
    expect(f.state.settings).toMatchObject({ resource_parameter_profile: 'compatibility', authorization_response_iss_parameter_supported: true });
    const r = await doctor();
    expect(r.verdict.chatgpt).toBe('pass');
    expect(check(r, 'authz.iss').status).toBe('pass');
    expect(check(r, 'token.audience').status).toBe('pass');
    // What the provider does on its own and no tenant setting changes stays a warning.
    expect(check(r, 'as.pkce-s256').status).toBe('warn');
  }, 90_000);
});

describe('a Clerk instance with registration on and opaque tokens', () => {
  it('named with --provider: token.audience leads, with the Clerk setting and the command', async () => {
    const { startClerkFake } = await import('./helpers/fakes/clerk.js');
    const c = await startClerkFake({ tenant: true });
    c.state.settings.dynamic_oauth_client_registration = true;
    const clerkMcp = await startTenantMcp(c.issuer, c.tenant!.publicJwks, { checkAudience: false });
    try {
      const r = await runCli(['doctor', clerkMcp.mcpUrl, '--login', 'auto', '--provider', 'clerk', '--json'], { env: c.env });
      const report = JSON.parse(r.stdout) as Report;
      const aud = check(report, 'token.audience');
      expect(aud.detail).toMatch(/the access token is opaque, and the MCP server refuses it/);
      expect(aud.fix).toMatch(/^Clerk: turn on JWT access tokens .*oauth_jwt_access_tokens.*--fix` applies it/);
      expect(firstFix(report.checks)!.id).toBe('token.audience');
      // The library takes the same hint.
      const lib = await runDoctor({ url: clerkMcp.mcpUrl, provider: 'clerk', only: ['token.audience'] });
      expect(check(lib, 'token.audience').fix).toMatch(/^Clerk: turn on JWT access tokens/);
      expect(c.fake.violations).toEqual([]);
    } finally {
      await clerkMcp.close();
      await c.fake.close();
    }
  }, 60_000);
});
