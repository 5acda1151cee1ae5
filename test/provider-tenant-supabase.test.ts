/**
 * A new user's Supabase project, configured one setting at a time, against the Supabase fake
 * whose OAuth 2.1 server follows the project's auth configuration
 * (test/helpers/fakes/supabase-tenant.ts, from ../shared/reference/provider-apis.md §4). The
 * consent page lives on the user's own site (another host), as it always does on Supabase.
 */
import { describe, expect, it } from 'vitest';
import { startSupabaseFake } from './helpers/fakes/supabase.js';
import { startConsentSite } from './helpers/fakes/supabase-tenant.js';
import { startTenantStack, tenantProject } from './helpers/tenant-project.js';
import { runDoctor } from '../src/index.js';
import { firstFix } from '../src/doctor/verdict.js';
import type { Report } from '../src/doctor/types.js';

const project = tenantProject(() => startSupabaseFake({ tenant: true }), startConsentSite);
const check = (r: Report, id: string) => r.checks.find((c) => c.id === id)!;
const doctor = project.doctor;
const failures = (r: Report) => r.checks.filter((c) => c.status === 'fail').map((c) => c.id);

describe('a Supabase project, one setting at a time', () => {
  it('fresh (OAuth server off): the switch oauth_server_enabled, read from the 404s discovery met — not "enable registration"', async () => {
    const r = await doctor();
    const reg = check(r, 'as.client-registration');
    expect(firstFix(r.checks)!.id).toBe('as.client-registration');
    expect(reg.detail).toMatch(/told the OAuth server is off \(RFC 8414 path-insert .*: 404 \(feature_disabled: OAuth server is disabled\)\)/);
    expect(reg.fix).toMatch(/^Supabase: turn on the project's OAuth 2\.1 server and dynamic registration .*"oauth_server_enabled": true.*doctor http:\/\/127\.0\.0\.1:\d+\/mcp --fix` applies it/);
  }, 60_000);

  it('server and registration on, no authorization path: oauth_server_authorization_path, and the per-connector callback is not blamed', async () => {
    Object.assign(project.f.state.config, { oauth_server_enabled: true, oauth_server_allow_dynamic_registration: true });
    const r = await doctor();
    const state = check(r, 'authz.state');
    expect(firstFix(r.checks)!.id).toBe('authz.state');
    expect(state.detail).toMatch(/server_error \(oauth authorization path not configured\)/);
    expect(state.fix).toMatch(/^Supabase: set the OAuth server's authorization path .*oauth_server_authorization_path/);
    expect(check(r, 'dcr.connector-callback').status).toBe('skip');
    expect(failures(r)).toEqual(['authz.state']);
  }, 60_000);

  it('authorization path set, Site URL still the default http://localhost:3000: the Site URL is named, incomplete or failed', async () => {
    project.f.state.config.oauth_server_authorization_path = '/oauth/consent';
    const r = await doctor();
    expect(r.verdict.chatgpt).toBe('incomplete');
    expect(failures(r)).toEqual([]);
    expect(check(r, 'authz.state').fix).toMatch(/^Supabase: the consent page is the project's Site URL \+ authorization path, and the Site URL is still the default http:\/\/localhost:3000.* \/ pass --allow-host localhost/);
    // The per-connector sign-in met the same: the verdict's first incomplete names the setting too.
    expect(check(r, 'dcr.connector-callback').fix).toMatch(/^Supabase: .*Site URL is still the default/);
    // Followed (--allow-host): nothing answers there, and the cause is the same setting.
    const followed = await doctor(['localhost']);
    expect(firstFix(followed.checks)!.id).toBe('authz.state');
    expect(check(followed, 'authz.state').detail).toMatch(/nothing is listening on localhost:3000/);
    expect(check(followed, 'authz.state').fix).toMatch(/Site URL is still the default http:\/\/localhost:3000: set it to the origin of the app that hosts your consent page/);
  }, 60_000);

  it('configured, the consent page on the user\'s own host: incomplete under --login auto, ChatGPT passes with --allow-host — twice in a row', async () => {
    project.f.state.config.site_url = project.site.origin;
    const r = await doctor();
    expect(r.verdict.chatgpt).toBe('incomplete');
    expect(failures(r)).toEqual([]);
    expect(check(r, 'authz.state').fix).toMatch(/pass --allow-host localhost to let --login auto follow it, or use --login browser/);
    const [one, two] = [await doctor(['localhost']), await doctor(['localhost'])];
    expect(one.verdict.chatgpt).toBe('pass');
    expect(two.verdict).toEqual(one.verdict);
    // What Supabase does and no setting changes: aud "authenticated", said with what to check instead.
    expect(check(one, 'token.audience').fix).toMatch(/^Supabase: .*aud "authenticated".*check iss and client_id/);
    expect(check(one, 'as.pkce-s256').fix).toMatch(/^Supabase: Supabase Auth advertises and accepts plain on every project and no auth setting removes it/);
  }, 90_000);
});

describe('Supabase\'s registration rate limit (per address)', () => {
  it('two runs in a row give the same verdict: ChatGPT\'s registrations go first, the doctor\'s own fall back', async () => {
    const stack = await startTenantStack(() => startSupabaseFake({ tenant: true }), startConsentSite);
    const { f: g, site: own, mcp: server } = stack;
    try {
      Object.assign(g.state.config, { oauth_server_enabled: true, oauth_server_allow_dynamic_registration: true, oauth_server_authorization_path: '/oauth/consent', site_url: own.origin });
      const run = () => runDoctor({ url: server.mcpUrl, login: 'auto', allowHosts: ['localhost'] });
      const first = await run();
      // The window leaves the second run its own registration and one more: which one gets it
      // decides whether ChatGPT's per-connector registration is judged or rate-limited.
      g.tenant!.registrationLimit = g.tenant!.registrations + 2;
      const second = await run();
      expect(g.tenant!.limited).toBeGreaterThan(0);
      expect(second.verdict).toEqual(first.verdict);
      expect(second.verdict.chatgpt).toBe('pass');
      expect(failures(second)).toEqual(failures(first));
      expect(second.notes?.join('\n')).toMatch(/rate-limited by the authorization server \(429 on POST http:\/\/127\.0\.0\.1:\d+\/auth\/v1\/oauth\/clients\/register, without Retry-After\)/);
    } finally {
      await stack.close();
    }
  }, 90_000);
});
