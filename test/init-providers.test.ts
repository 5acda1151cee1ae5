/**
 * `init --target both` without a terminal, on every provider's spec-derived fake: one app with
 * both GPT callbacks, the connector settings, a project file that loads, each dashboard step said
 * once, the secret never printed, and a re-run that converges.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseProject } from '../src/project.js';
import { runCli } from './helpers/cli.js';
import type { ProviderFake } from './helpers/provider-fake.js';
import { startClerkFake } from './helpers/fakes/clerk.js';
import { startAuth0Fake } from './helpers/fakes/auth0.js';
import { startStytchFake } from './helpers/fakes/stytch.js';
import { startSupabaseFake } from './helpers/fakes/supabase.js';

interface Setup { fake: ProviderFake; env: Record<string, string>; apps: () => { uris: string[]; secret: unknown }[] }
const PROVIDERS: Record<string, () => Promise<Setup>> = {
  clerk: async () => { const f = await startClerkFake(); return { fake: f.fake, env: f.env, apps: () => [...f.state.apps.values()].map((a) => ({ uris: a.redirect_uris as string[], secret: a.client_secret })) }; },
  auth0: async () => { const f = await startAuth0Fake(); return { fake: f.fake, env: f.env, apps: () => [...f.state.clients.values()].filter((c) => c.app_type !== 'non_interactive').map((c) => ({ uris: c.callbacks as string[], secret: c.client_secret })) }; },
  stytch: async () => { const f = await startStytchFake(); return { fake: f.fake, env: { ...f.env, STYTCH_DOMAIN: f.fake.origin }, apps: () => [...f.state.apps.values()].map((a) => ({ uris: a.redirect_urls as string[], secret: a.client_secret })) }; },
  supabase: async () => { const f = await startSupabaseFake(); return { fake: f.fake, env: f.env, apps: () => [...f.state.clients.values()].map((c) => ({ uris: c.redirect_uris as string[], secret: c.client_secret })) }; },
};
const GPT_URLS = ['https://chatgpt.com/aip/g-AbC123xyz/oauth/callback', 'https://chat.openai.com/aip/g-AbC123xyz/oauth/callback'];

let fake: ProviderFake | undefined;
afterEach(async () => {
  if (fake) expect(fake.violations, 'the fake answered outside the documented schema').toEqual([]);
  await fake?.close();
  fake = undefined;
});

describe('init --target both on every provider', () => {
  for (const [name, start] of Object.entries(PROVIDERS)) {
    it(name, async () => {
      const setup = await start();
      fake = setup.fake;
      const dir = mkdtempSync(join(tmpdir(), `gpt-oauth-init-${name}-`));
      const run = (extra: string[] = []) => runCli(['--config', join(dir, 'gpt-oauth.yaml'), 'init', '--target', 'both', '--provider', name,
        '--mcp-url', 'https://api.todo.example/mcp', '--api-url', 'https://api.todo.example/me', '--gpt-id', 'g-AbC123xyz', '--yes', '--no-doctor', '--no-open', ...extra],
      { env: { ...setup.env, GPT_OAUTH_CONFIG_DIR: join(dir, '.config'), GPT_OAUTH_SECRET_BACKEND: 'file' }, cwd: dir });

      let r = await run();
      if (name === 'auth0') {
        // The fake tenant has two login connections and none at domain level: exit 2 naming
        // them and --connection, before anything changed; then name one.
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toMatch(/2 login connections \(Username-Password-Authentication, google-oauth2\)[\s\S]*--connection NAME/);
        expect(setup.apps()).toHaveLength(0);
        r = await run(['--connection', 'google-oauth2']);
      }
      expect(r.code, r.stderr).toBe(0);
      const apps = setup.apps();
      expect(apps).toHaveLength(1);
      expect(apps[0]!.uris).toEqual(GPT_URLS);
      expect(r.stdout + r.stderr).not.toContain(String(apps[0]!.secret));
      const warnings = r.stderr.split('\n').filter((l) => l.startsWith('! '));
      expect(new Set(warnings).size, 'each dashboard step is said once').toBe(warnings.length);
      expect(r.stdout).toMatch(/Paste into the GPT editor/);
      expect(r.stdout).toMatch(/MCP Server URL\s+https:\/\/api\.todo\.example\/mcp/);
      const project = await parseProject(readFileSync(join(dir, 'gpt-oauth.yaml'), 'utf8'), 'gpt-oauth.yaml');
      expect(project).toMatchObject({ target: 'both', provider: name, mcpUrl: 'https://api.todo.example/mcp', apiUrl: 'https://api.todo.example/me', gptId: 'g-AbC123xyz' });
      if (name === 'stytch') {
        // Stytch's authorization page is the user's own: never guessed.
        expect(project.authUrl).toBeUndefined();
        expect(r.stdout).toMatch(/Authorization URL\s+\(your app's authorization page: run init again with --authorization-url URL\)/);
      } else {
        expect(project.authUrl).toMatch(/^https?:\/\/[^/]+\/.*authorize$/);
      }

      const again = await run(name === 'stytch' ? ['--authorization-url', 'https://app.todo.example/oauth/authorize'] : []);
      expect(again.code, again.stderr).toBe(0);
      expect(setup.apps()).toHaveLength(1);
      expect(setup.apps()[0]!.uris).toEqual(GPT_URLS);
      expect(again.stderr).toMatch(/Reused the OAuth app/);
      if (name === 'stytch') expect(again.stdout).toMatch(/Authorization URL\s+https:\/\/app\.todo\.example\/oauth\/authorize/);
    });
  }
});

describe('init --target apps names only the settings each provider has', () => {
  it('supabase: the consent page (Site URL + path), a warning for the default Site URL, no audience promised', async () => {
    const f = await startSupabaseFake({ tenant: true });
    fake = f.fake;
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-init-sb-'));
    const r = await runCli(['--config', join(dir, 'gpt-oauth.yaml'), 'init', '--target', 'apps', '--provider', 'supabase', '--mcp-url', 'https://api.todo.example/mcp', '--yes', '--no-doctor', '--no-open', '--templates', 'none'],
      { env: { ...f.env, GPT_OAUTH_CONFIG_DIR: join(dir, '.config'), GPT_OAUTH_SECRET_BACKEND: 'file' }, cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const all = r.stdout + r.stderr;
    expect(all).toMatch(/the OAuth 2\.1 server, dynamic client registration, the authorization path \(your consent page lives at the Site URL \+ that path\)/);
    expect(all).not.toMatch(/audience https:\/\/api\.todo\.example\/mcp/);
    expect(all).toMatch(/Site URL is still the default http:\/\/localhost:3000: give the page's URL with --authorization-url/);
    expect(f.state.config).toMatchObject({ oauth_server_enabled: true, oauth_server_allow_dynamic_registration: true, oauth_server_authorization_path: '/oauth/consent', site_url: 'http://localhost:3000' });
  });

  it('stytch: no audience promised for registered clients', async () => {
    const f = await startStytchFake();
    fake = f.fake;
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-init-st-'));
    const r = await runCli(['--config', join(dir, 'gpt-oauth.yaml'), 'init', '--target', 'apps', '--provider', 'stytch', '--mcp-url', 'https://api.todo.example/mcp', '--yes', '--no-doctor', '--no-open', '--templates', 'none'],
      { env: { ...f.workspaceEnv, STYTCH_DOMAIN: f.fake.origin, GPT_OAUTH_CONFIG_DIR: join(dir, '.config'), GPT_OAUTH_SECRET_BACKEND: 'file' }, cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const all = r.stdout + r.stderr;
    expect(all).not.toMatch(/audience https:\/\/api\.todo\.example\/mcp/);
    expect(all).toMatch(/tokens carry the project id as aud/);
    expect(f.state.environment.idp_dynamic_client_registration_enabled).toBe(true);
  });

  it('stytch without STYTCH_DOMAIN: a legacy discovery document naming a scheme-less issuer stops init before any write, naming STYTCH_DOMAIN', async () => {
    const f = await startStytchFake();
    fake = f.fake;
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-init-st-'));
    const r = await runCli(['--config', join(dir, 'gpt-oauth.yaml'), 'init', '--target', 'both', '--provider', 'stytch', '--mcp-url', 'https://api.todo.example/mcp', '--api-url', 'https://api.todo.example', '--gpt-id', 'g-AbC123xyz', '--yes', '--no-doctor', '--no-open', '--templates', 'none'],
      { env: { ...f.workspaceEnv, GPT_OAUTH_CONFIG_DIR: join(dir, '.config'), GPT_OAUTH_SECRET_BACKEND: 'file' }, cwd: dir });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/the discovery document at http:\/\/127\.0\.0\.1:\d+\/v1\/public\/[^/]+\/\.well-known\/openid-configuration names the issuer "stytch\.com\/[^"]+", which is not a URL; gpt-oauth writes no issuer that discovery contradicts/);
    expect(r.stderr).toMatch(/Set STYTCH_DOMAIN to the project domain/);
    expect(() => readFileSync(join(dir, 'gpt-oauth.yaml'))).toThrow();
    expect(f.state.apps.size).toBe(0);
    expect(f.state.environment.idp_dynamic_client_registration_enabled).toBe(false);
  });

  it('stytch without STYTCH_DOMAIN: the issuer discovery names (and names back) is the one written', async () => {
    const f = await startStytchFake({ tenant: true, legacyIssuer: 'domain' });
    fake = f.fake;
    const { STYTCH_DOMAIN: _d, ...env } = f.workspaceEnv;
    const dir = mkdtempSync(join(tmpdir(), 'gpt-oauth-init-st-'));
    const r = await runCli(['--config', join(dir, 'gpt-oauth.yaml'), 'init', '--target', 'actions', '--provider', 'stytch', '--api-url', 'https://api.todo.example', '--gpt-id', 'g-AbC123xyz', '--authorization-url', 'https://app.todo.example/oauth/authorize', '--yes', '--no-doctor', '--no-open', '--templates', 'none'],
      { env: { ...env, GPT_OAUTH_CONFIG_DIR: join(dir, '.config'), GPT_OAUTH_SECRET_BACKEND: 'file' }, cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const project = await parseProject(readFileSync(join(dir, 'gpt-oauth.yaml'), 'utf8'), 'gpt-oauth.yaml');
    expect(project.issuer).toBe(f.fake.origin);
    expect(project.tokenUrl).toBe(`${f.fake.origin}/v1/oauth2/token`);
  });
});
