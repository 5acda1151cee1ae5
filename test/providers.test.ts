/**
 * Every provider adapter against its spec-derived fake: callbacks through the real CLI,
 * convergence after an interrupted run, rate limits and server errors, and no leaked credential.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../src/http/client.js';
import { loadProvider } from '../src/providers/index.js';
import { ensureApp } from '../src/providers/ops.js';
import { ProviderError, type AppSpec, type ProviderAdapter } from '../src/providers/types.js';
import type { ProviderFake } from './helpers/provider-fake.js';
import { runCli } from './helpers/cli.js';
import { startClerkFake } from './helpers/fakes/clerk.js';
import { startAuth0Fake } from './helpers/fakes/auth0.js';
import { startStytchFake } from './helpers/fakes/stytch.js';
import { startSupabaseFake } from './helpers/fakes/supabase.js';

interface Setup {
  fake: ProviderFake;
  env: Record<string, string>;
  /** Redirect URIs of every app, as the provider stores them. */
  remote: () => { name: string; uris: string[] }[];
}

const PROVIDERS: Record<string, { start: () => Promise<Setup>; create: string; list: string; update: string; rateLimitHeaders: (now: number) => Record<string, string> }> = {
  clerk: {
    start: async () => { const f = await startClerkFake(); return { fake: f.fake, env: f.env, remote: () => [...f.state.apps.values()].map((a) => ({ name: String(a.name), uris: a.redirect_uris as string[] })) }; },
    create: 'POST /oauth_applications', list: 'GET /oauth_applications', update: 'PATCH /oauth_applications/{oauth_application_id}',
    rateLimitHeaders: () => ({ 'retry-after': '1' }),
  },
  auth0: {
    start: async () => { const f = await startAuth0Fake(); return { fake: f.fake, env: f.env, remote: () => [...f.state.clients.values()].map((c) => ({ name: String(c.name), uris: c.callbacks as string[] })) }; },
    create: 'POST /clients', list: 'GET /clients', update: 'PATCH /clients/{id}',
    // Auth0 sends X-RateLimit-Reset as a UNIX time, not Retry-After.
    rateLimitHeaders: (now) => ({ 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.ceil(now / 1000) + 1) }),
  },
  stytch: {
    start: async () => { const f = await startStytchFake(); return { fake: f.fake, env: f.env, remote: () => [...f.state.apps.values()].map((a) => ({ name: String(a.client_name), uris: a.redirect_urls as string[] })) }; },
    create: 'POST /v1/connected_apps/clients', list: 'POST /v1/connected_apps/clients/search', update: 'PUT /v1/connected_apps/clients/{client_id}',
    rateLimitHeaders: () => ({ 'retry-after': '1' }),
  },
  supabase: {
    start: async () => {
      const f = await startSupabaseFake();
      f.state.config.oauth_server_enabled = true;
      return { fake: f.fake, env: f.env, remote: () => [...f.state.clients.values()].map((c) => ({ name: String(c.client_name), uris: c.redirect_uris as string[] })) };
    },
    create: 'POST /admin/oauth/clients', list: 'GET /admin/oauth/clients', update: 'PUT /admin/oauth/clients/{client_id}',
    rateLimitHeaders: () => ({ 'retry-after': '1' }),
  },
};

const GPT_URLS = ['https://chatgpt.com/aip/g-AbC123xyz/oauth/callback', 'https://chat.openai.com/aip/g-AbC123xyz/oauth/callback'];
const http = (timeoutMs = 3000) => new HttpClient({ timeoutMs, maxBytes: 1 << 22, userAgent: 'test' });
let current: Setup | undefined;
afterEach(async () => {
  if (current) expect(current.fake.violations, 'the fake answered outside the documented schema').toEqual([]);
  await current?.fake.close();
  current = undefined;
});

for (const [name, p] of Object.entries(PROVIDERS)) {
  describe(`${name}`, () => {
    async function setup(): Promise<{ s: Setup; adapter: ProviderAdapter }> {
      current = await p.start();
      return { s: current, adapter: await loadProvider(name, current.env, http()) };
    }
    const spec: AppSpec = { name: 'ChatGPT Todo GPT', target: 'actions', redirectUris: ['https://existing.example/callback'] };

    it('callbacks add --gpt-id adds exactly the two GPT URLs, keeps the rest, and is a no-op the second time', async () => {
      const { s, adapter } = await setup();
      const { app } = await adapter.createApp(spec);
      const args = ['callbacks', 'add', '--provider', name, '--app', app.clientId, '--gpt-id', 'g-AbC123xyz-todo'];
      const first = await runCli(args, { env: s.env });
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toContain(`+ ${GPT_URLS[0]}`);
      expect(s.remote()).toEqual([{ name: spec.name, uris: ['https://existing.example/callback', ...GPT_URLS] }]);
      const writes = s.fake.count(p.update);
      const again = await runCli(args, { env: s.env });
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/Nothing to change/);
      expect(s.fake.count(p.update)).toBe(writes);
    });

    it('--dry-run shows the diff and changes nothing; list and --json report the state', async () => {
      const { s, adapter } = await setup();
      const { app } = await adapter.createApp(spec);
      const dry = await runCli(['callbacks', 'add', '--provider', name, '--app', app.clientId, '--url', 'https://chatgpt.com/connector/oauth/AbCdEf123456', '--dry-run'], { env: s.env });
      expect(dry.code).toBe(0);
      expect(dry.stdout).toMatch(/\+ https:\/\/chatgpt\.com\/connector\/oauth\/AbCdEf123456/);
      expect(dry.stdout).toMatch(/Dry run/);
      expect(s.remote()[0]!.uris).toEqual(spec.redirectUris);
      expect(s.fake.count(p.update)).toBe(0);
      const removed = await runCli(['callbacks', 'remove', '--provider', name, '--app', app.clientId, '--url', 'https://existing.example/callback', '--json'], { env: s.env });
      const out = JSON.parse(removed.stdout);
      expect(out).toMatchObject({ provider: name, action: 'remove', changed: true, removed: ['https://existing.example/callback'], after: [] });
      expect(s.remote()[0]!.uris).toEqual([]);
      const list = await runCli(['callbacks', 'list', '--provider', name, '--app', app.clientId], { env: s.env });
      expect(list.stdout).toMatch(/no redirect URIs/);
    });

    it('a run killed after the create call and run again ends with one app and the right redirect URIs', async () => {
      const { s, adapter } = await setup();
      const want = { ...spec, redirectUris: GPT_URLS };
      s.fake.crashAfter(p.create);
      await expect(ensureApp(adapter, want)).rejects.toBeInstanceOf(ProviderError);
      expect(s.remote()).toHaveLength(1);
      const again = await ensureApp(adapter, want);
      expect(again.created).toBe(false);
      expect(s.remote()).toEqual([{ name: want.name, uris: GPT_URLS }]);
      expect(s.fake.count(p.create)).toBe(1);
    });

    it('does not retry a failed create (it may have happened) and says how to converge', async () => {
      const { s, adapter } = await setup();
      s.fake.inject(p.create, { status: 500 });
      const e = await adapter.createApp(spec).catch((x) => x);
      expect(e).toBeInstanceOf(ProviderError);
      expect(e.status).toBe(500);
      expect(s.fake.count(p.create)).toBe(1);
    });

    it('refuses bad callback URLs before any call, and missing credentials name the variable', async () => {
      const { s } = await setup();
      const bad = await runCli(['callbacks', 'add', '--provider', name, '--app', 'x', '--url', 'http://attacker.example/cb'], { env: s.env });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/must use https/);
      expect(s.fake.calls).toHaveLength(0);
      const firstVar = Object.keys(s.env).find((k) => !k.endsWith('_URL') && k !== 'AUTH0_DOMAIN')!;
      const missing = await runCli(['callbacks', 'list', '--provider', name, '--app', 'x'], { env: { ...s.env, [firstVar]: undefined } });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain(name === 'auth0' ? 'AUTH0_CLIENT_ID' : firstVar);
    });

    it('never prints a credential or a client secret, even on errors with --debug', async () => {
      const { s, adapter } = await setup();
      const { app, clientSecret } = await adapter.createApp(spec);
      const rotated = await adapter.rotateSecret(app);
      expect(rotated).not.toBe(clientSecret);
      const outputs: string[] = [];
      for (const args of [
        ['callbacks', 'list', '--provider', name, '--app', app.clientId, '--debug'],
        ['callbacks', 'add', '--provider', name, '--app', app.clientId, '--gpt-id', 'g-AbC123xyz', '--json', '--debug'],
        ['callbacks', 'list', '--provider', name, '--app', 'does-not-exist', '--debug'],
      ]) {
        const r = await runCli(args, { env: s.env });
        outputs.push(r.stdout, r.stderr);
      }
      const wrong = Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, k.endsWith('_URL') || k === 'AUTH0_DOMAIN' || k.endsWith('_ID') || k.endsWith('_REF') ? v : `${v}x`]));
      const denied = await runCli(['callbacks', 'list', '--provider', name, '--app', app.clientId, '--debug'], { env: wrong });
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/Error: /);
      outputs.push(denied.stdout, denied.stderr);
      const secrets = [...Object.entries(s.env).filter(([k]) => /SECRET|TOKEN|KEY/.test(k)).map(([, v]) => v), ...Object.values(wrong).filter((v) => v.endsWith('x') && v.length > 12), clientSecret, rotated].filter(Boolean) as string[];
      expect(secrets.length).toBeGreaterThanOrEqual(2);
      for (const out of outputs) for (const v of secrets) expect(out.includes(v), `leaked ${v.slice(0, 6)}…`).toBe(false);
    });
  });
}

// Each waits out a rate limit (a second or two) and a 5xx backoff: the four at once.
describe('waits out a 429 with the provider\'s rate-limit headers and retries 5xx on reads', () => {
  it.concurrent.each(Object.entries(PROVIDERS))('%s', async (name, p) => {
    const s = await p.start();
    try {
      const adapter = await loadProvider(name, s.env, http());
      s.fake.inject(p.list, { status: 429, headers: p.rateLimitHeaders(Date.now()) });
      s.fake.inject(p.list, { status: 502 });
      const t = Date.now();
      expect(await adapter.findApp('nope')).toBeUndefined();
      expect(Date.now() - t).toBeGreaterThanOrEqual(500);
      expect(s.fake.count(p.list)).toBeGreaterThanOrEqual(3);
      expect(s.fake.violations, 'the fake answered outside the documented schema').toEqual([]);
    } finally {
      await s.fake.close();
    }
  });
});

// Each waits out its retries of timed-out reads (some 5 s of backoff): the four at once.
describe('a slow API becomes a timeout error, not a hang', () => {
  it.concurrent.each(Object.entries(PROVIDERS))('%s', async (name, p) => {
    const s = await p.start();
    try {
      s.fake.delay(p.list, 2000);
      const adapter = await loadProvider(name, s.env, http(300));
      const e = await adapter.findApp('x').catch((x) => x);
      expect(e).toBeInstanceOf(ProviderError);
      expect(e.message).toMatch(/no complete response within 0\.3 s/);
      expect(s.fake.violations, 'the fake answered outside the documented schema').toEqual([]);
    } finally {
      await s.fake.close();
    }
  });
});

describe('provider specifics', () => {
  it('auth0: an API whose identifier is the MCP URL, DCR, resource profile and a third-party grant, once', async () => {
    const f = await startAuth0Fake();
    current = { fake: f.fake, env: f.env, remote: () => [] };
    const a = await loadProvider('auth0', f.env, http());
    const s: AppSpec = { name: 'x', target: 'apps', redirectUris: [], resource: 'https://api.example.com/mcp' };
    // Two login connections and none named: a usage error listing them, before any change.
    const e = await a.enableChatGpt(s).catch((x) => x);
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/2 login connections \(Username-Password-Authentication, google-oauth2\)/);
    expect(e.hint).toMatch(/--connection NAME/);
    expect(f.state.resourceServers).toEqual([]);
    expect(f.fake.count('PATCH /tenants/settings')).toBe(0);
    // Naming the login connection lets the adapter promote it to domain level, once.
    const promoted = await a.enableChatGpt({ ...s, connection: 'google-oauth2' });
    expect(f.state.resourceServers.map((r) => r.identifier)).toEqual(['https://api.example.com/mcp']);
    expect(f.state.settings).toMatchObject({ flags: { enable_dynamic_client_registration: true }, resource_parameter_profile: 'compatibility' });
    expect(f.state.grants).toMatchObject([{ audience: 'https://api.example.com/mcp', default_for: 'third_party_clients' }]);
    expect((await a.issuer()).issuer.endsWith('/')).toBe(true);
    // Once one connection is at domain level, it is the one (no name needed any more).
    const again = await a.enableChatGpt(s);
    expect(again.filter((c) => c.status === 'changed')).toEqual([]);
    expect(promoted.find((c) => c.setting.startsWith('domain-level'))?.status).toBe('changed');
    expect(f.state.connections.find((c) => c.name === 'google-oauth2')?.is_domain_connection).toBe(true);
    expect(f.state.connections.find((c) => c.name === 'Username-Password-Authentication')?.is_domain_connection).toBe(false);
    expect((await a.enableChatGpt({ ...s, connection: 'google-oauth2' })).find((c) => c.setting.startsWith('domain-level'))?.status).toBe('already');
    await expect(a.enableChatGpt({ ...s, connection: 'nope' })).rejects.toThrow(/no connection named "nope"/);
  });

  it('auth0: with exactly one login connection, it is promoted without asking', async () => {
    const f = await startAuth0Fake();
    current = { fake: f.fake, env: f.env, remote: () => [] };
    f.state.connections.splice(1);
    const a = await loadProvider('auth0', f.env, http());
    const changes = await a.enableChatGpt({ name: 'x', target: 'apps', redirectUris: [], resource: 'https://api.example.com/mcp' });
    expect(changes.find((c) => c.setting.startsWith('domain-level'))).toMatchObject({ status: 'changed', setting: 'domain-level login connection (Username-Password-Authentication)' });
    expect(f.state.connections[0]!.is_domain_connection).toBe(true);
  });

  it('auth0: a GPT Action app is a confidential regular web app posting its secret', async () => {
    const f = await startAuth0Fake();
    current = { fake: f.fake, env: f.env, remote: () => [] };
    const a = await loadProvider('auth0', f.env, http());
    const { app, clientSecret } = await a.createApp({ name: 'GPT', target: 'actions', redirectUris: GPT_URLS });
    expect(clientSecret).toBeTruthy();
    expect(f.state.clients.get(app.id)).toMatchObject({ app_type: 'regular_web', token_endpoint_auth_method: 'client_secret_post', callbacks: GPT_URLS });
  });

  it('supabase: enables the OAuth server and DCR, warns about aud and the consent page, refuses an 11th redirect URI', async () => {
    const f = await startSupabaseFake();
    current = { fake: f.fake, env: f.env, remote: () => [] };
    const a = await loadProvider('supabase', f.env, http());
    const refused = await a.createApp({ name: 'early', target: 'apps', redirectUris: ['https://x.example/cb'] }).catch((x) => x);
    expect(refused.code).toBe('feature_disabled'); // the real API answers 404 until the server is enabled
    const changes = await a.enableChatGpt({ name: 'x', target: 'apps', redirectUris: [] });
    expect(f.state.config).toMatchObject({ oauth_server_enabled: true, oauth_server_allow_dynamic_registration: true, oauth_server_authorization_path: '/oauth/consent' });
    expect(changes.filter((c) => c.status === 'manual').map((c) => c.note).join(' ')).toMatch(/aud "authenticated".*consent/s);
    const { app } = await a.createApp({ name: 'ten', target: 'apps', redirectUris: Array.from({ length: 10 }, (_, i) => `https://x.example/${i}`) });
    const e = await a.setRedirectUris(app, [...app.redirectUris, 'https://x.example/11']).catch((x) => x);
    expect(e.message).toMatch(/at most 10 redirect URIs/);
    expect(f.fake.count('PUT /admin/oauth/clients/{client_id}')).toBe(0);
  });

  it('stytch: third_party for Actions, third_party_public for connectors, audience set to the resource', async () => {
    const f = await startStytchFake();
    current = { fake: f.fake, env: f.env, remote: () => [] };
    const a = await loadProvider('stytch', f.env, http());
    const act = await a.createApp({ name: 'gpt', target: 'actions', redirectUris: GPT_URLS, resource: 'https://api.example.com' });
    const con = await a.createApp({ name: 'connector', target: 'apps', redirectUris: ['https://chatgpt.com/connector_platform_oauth_redirect'], resource: 'https://api.example.com/mcp' });
    expect(f.state.apps.get(act.app.id)).toMatchObject({ client_type: 'third_party', access_token_custom_audience: 'https://api.example.com' });
    expect(f.state.apps.get(con.app.id)!.client_type).toBe('third_party_public');
    expect(act.clientSecret).toBeTruthy();
    expect(con.clientSecret).toBeUndefined();
    const changes = await a.enableChatGpt({ name: 'connector', target: 'apps', redirectUris: [], resource: 'https://api.example.com/mcp/v2' }, con.app);
    expect(changes.find((c) => c.setting === 'access_token_custom_audience')?.status).toBe('changed');
    expect(changes.find((c) => c.setting === 'Dynamic Client Registration')?.status).toBe('manual');
  });

  it('stytch: with workspace keys, turns on DCR and sets the authorization URL on the right environment', async () => {
    const f = await startStytchFake();
    current = { fake: f.fake, env: f.env, remote: () => [] };
    const a = await loadProvider('stytch', f.workspaceEnv, http());
    const s: AppSpec = { name: 'c', target: 'apps', redirectUris: [], authorizationUrl: 'https://app.example.com/oauth/authorize' };
    const changes = await a.enableChatGpt(s);
    expect(changes.filter((c) => c.status === 'changed').map((c) => c.setting).sort()).toEqual(['idp_authorization_url', 'idp_dynamic_client_registration_enabled']);
    expect(f.state.environment).toMatchObject({ idp_dynamic_client_registration_enabled: true, idp_authorization_url: 'https://app.example.com/oauth/authorize' });
    expect((await a.enableChatGpt(s)).filter((c) => c.status === 'changed')).toEqual([]);
  });
});

describe('concurrent writes lose nothing', () => {
  for (const [name, p] of Object.entries(PROVIDERS)) {
    it(`${name}: two callbacks add runs for different URLs at the same time both land`, async () => {
      const s = await p.start();
      try {
        const adapter = await loadProvider(name, s.env, http());
        const { app } = await adapter.createApp({ name: 'ChatGPT race', target: 'actions', redirectUris: ['https://existing.example/callback'] });
        // Slow writes widen the window in which both runs have read the same list.
        s.fake.delay(p.update, 300);
        const { mkdtempSync } = await import('node:fs');
        const { tmpdir } = await import('node:os');
        const { join } = await import('node:path');
        const env = { ...s.env, GPT_OAUTH_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'gpt-oauth-lock-')) };
        const [a, b] = await Promise.all([
          runCli(['callbacks', 'add', '--provider', name, '--app', app.clientId, '--url', 'https://chatgpt.com/connector/oauth/RaceAAAAAAAA'], { env }),
          runCli(['callbacks', 'add', '--provider', name, '--app', app.clientId, '--url', 'https://chatgpt.com/connector/oauth/RaceBBBBBBBB'], { env }),
        ]);
        expect(a.code, a.stderr).toBe(0);
        expect(b.code, b.stderr).toBe(0);
        expect(s.remote()[0]!.uris).toEqual(expect.arrayContaining(['https://existing.example/callback', 'https://chatgpt.com/connector/oauth/RaceAAAAAAAA', 'https://chatgpt.com/connector/oauth/RaceBBBBBBBB']));
      } finally {
        await s.fake.close();
      }
    });
  }

  it('a write that another writer undoes is merged again and verified by reading back', async () => {
    const s = await PROVIDERS.clerk!.start();
    try {
      const adapter = await loadProvider('clerk', s.env, http());
      const { app } = await adapter.createApp({ name: 'ChatGPT race', target: 'actions', redirectUris: [] });
      // Another writer (the dashboard, another machine) replaces the list right after our first write.
      let first = true;
      const real = adapter.setRedirectUris.bind(adapter);
      adapter.setRedirectUris = async (a, uris) => {
        const r = await real(a, uris);
        if (first) { first = false; await real(a, ['https://other-writer.example/cb']); }
        return r;
      };
      const { updateRedirects } = await import('../src/providers/ops.js');
      const plan = await updateRedirects(adapter, app.clientId, ['https://chatgpt.com/connector/oauth/MineMineMine'], [], false);
      expect(plan.after).toEqual(['https://other-writer.example/cb', 'https://chatgpt.com/connector/oauth/MineMineMine']);
      expect(s.remote()[0]!.uris).toEqual(plan.after);
    } finally {
      await s.fake.close();
    }
  });
});

describe('waiting out a rate limit is said, not silent', () => {
  it('callbacks prints "waiting N s for the … rate limit (Retry-After)…" on stderr', async () => {
    const s = await PROVIDERS.clerk!.start();
    try {
      const adapter = await loadProvider('clerk', s.env, http());
      const { app } = await adapter.createApp({ name: 'ChatGPT wait', target: 'actions', redirectUris: [] });
      s.fake.inject(PROVIDERS.clerk!.list, { status: 429, headers: { 'retry-after': '1' } });
      const r = await runCli(['callbacks', 'list', '--provider', 'clerk', '--app', app.clientId], { env: s.env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/waiting 1 s for the clerk rate limit \(Retry-After\)…/);
    } finally {
      await s.fake.close();
    }
  });
});
