/**
 * A new user's Stytch project (Connected Apps), configured one setting at a time, against the
 * Stytch fake whose authorization server follows the environment's settings
 * (test/helpers/fakes/stytch-tenant.ts, from ../shared/reference/provider-apis.md §3): the
 * authorization URL is a page of the user's own app (another host), registrations of identical
 * public clients are deduplicated.
 */
import { describe, expect, it } from 'vitest';
import { startStytchFake } from './helpers/fakes/stytch.js';
import { startIdpSite } from './helpers/fakes/stytch-tenant.js';
import { startTenantStack, tenantProject } from './helpers/tenant-project.js';
import { firstFix } from '../src/doctor/verdict.js';
import { runCli } from './helpers/cli.js';
import type { Report } from '../src/doctor/types.js';

const project = tenantProject(() => startStytchFake({ tenant: true }), startIdpSite);
const check = (r: Report, id: string) => r.checks.find((c) => c.id === id)!;
const doctor = project.doctor;

describe('a Stytch project, one setting at a time', () => {
  it('fresh (registration off, no authorization URL): the authorization URL setting and the page it must be, at both layers', async () => {
    const r = await doctor();
    const endpoints = check(r, 'as.endpoints');
    expect(firstFix(r.checks)!.id).toBe('as.endpoints');
    expect(endpoints.fix).toMatch(/^Stytch: set the project's authorization URL .*idp_authorization_url.*IdentityProvider component.*--fix --authorization-url https:\/\/<your app>\/oauth\/authorize` applies it/);
    expect(check(r, 'as.client-registration').fix).toMatch(/^Stytch: enable Dynamic Client Registration .*idp_dynamic_client_registration_enabled/);
    project.f.state.environment.idp_dynamic_client_registration_enabled = true;
    const again = await doctor();
    expect(firstFix(again.checks)!.id).toBe('as.endpoints');
    expect(check(again, 'as.endpoints').fix).toMatch(/^Stytch: set the project's authorization URL/);
  }, 60_000);

  it('the authorization URL is the app\'s home page: named, with what the page must do — not "a login page"', async () => {
    project.f.state.environment.idp_authorization_url = `${project.site.origin}/`;
    const r = await doctor(['localhost']);
    expect(r.verdict.chatgpt).toBe('incomplete');
    expect(check(r, 'authz.state').fix).toMatch(/^Stytch: the authorization URL is your app's home page \(http:\/\/localhost:\d+\/\); set the project's authorization URL .*IdentityProvider component/);
  }, 60_000);

  it('the IdentityProvider page on the user\'s host: incomplete under --login auto, ChatGPT passes with --allow-host; deduplicated registrations earn no binding finding', async () => {
    project.f.state.environment.idp_authorization_url = `${project.site.origin}/oauth/authorize`;
    const r = await doctor();
    expect(r.verdict.chatgpt).toBe('incomplete');
    expect(r.checks.filter((c) => c.status === 'fail')).toEqual([]);
    const ok = await doctor(['localhost']);
    expect(ok.verdict.chatgpt).toBe('pass');
    for (const id of ['token.code-client-binding', 'refresh.client-binding']) expect(check(ok, id).status, id).toBe('pass');
    // Tokens carry the project id: what the MCP server must check, not a custom audience ChatGPT's clients cannot have.
    expect(check(ok, 'token.audience').fix).toMatch(/^Stytch: Stytch tokens for clients ChatGPT registers itself carry the project id as aud/);
  }, 90_000);
});

describe('doctor --fix on Stytch', () => {
  it('a fresh project: registration and the authorization URL through the workspace Management API; ChatGPT passes', async () => {
    const stack = await startTenantStack(() => startStytchFake({ tenant: true }), startIdpSite);
    const { f: g, site: app, mcp: server } = stack;
    try {
      const r = await runCli(['doctor', server.mcpUrl, '--login', 'auto', '--fix', '--yes', '--allow-host', 'localhost', '--authorization-url', `${app.origin}/oauth/authorize`, '--json'], { env: g.workspaceEnv });
      const report = JSON.parse(r.stdout) as Report;
      expect(report.fix!.provider).toBe('stytch');
      expect(report.fix!.before.chatgpt).toBe('fail');
      expect(report.verdict.chatgpt).toBe('pass');
      expect(report.fix!.rounds[0]!.plan.filter((c) => c.status === 'changed').map((c) => c.setting)).toEqual(['idp_dynamic_client_registration_enabled', 'idp_authorization_url']);
      expect(g.state.environment).toMatchObject({ idp_dynamic_client_registration_enabled: true, idp_authorization_url: `${app.origin}/oauth/authorize` });
      expect(r.stderr).toMatch(/\+ idp_authorization_url: "?"? → http:\/\/localhost:\d+\/oauth\/authorize \(as\.endpoints, authz\.state, dcr\.connector-callback\)/);
    } finally {
      await stack.close();
    }
  }, 120_000);
});
