/**
 * `doctor --target actions --fix` on all four providers: a GPT Action whose app lacks the GPT's
 * two callback URLs fails actions.callback-urls; --fix adds both to the app (read-merge-write,
 * what was there stays) and the run again passes that check. The authorization server in front
 * of each provider fake accepts exactly the redirect URIs the provider stores for the app (read
 * through the adapter), so the verdict follows the provider write.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { HttpClient } from '../src/http/client.js';
import { loadProvider } from '../src/providers/index.js';
import type { ProviderFake } from './helpers/provider-fake.js';
import { runCli } from './helpers/cli.js';
import { startClerkFake } from './helpers/fakes/clerk.js';
import { startAuth0Fake } from './helpers/fakes/auth0.js';
import { startStytchFake } from './helpers/fakes/stytch.js';
import { startSupabaseFake } from './helpers/fakes/supabase.js';
import type { Report } from '../src/doctor/types.js';

const GPT = 'g-AbC123xyz';
const KEPT = 'https://app.example.com/oauth/callback';
const STARTS: Record<string, () => Promise<{ fake: ProviderFake; env: Record<string, string> }>> = {
  auth0: async () => startAuth0Fake(),
  clerk: async () => startClerkFake(),
  stytch: async () => startStytchFake(),
  supabase: async () => { const f = await startSupabaseFake(); f.state.config.oauth_server_enabled = true; return f; },
};

const closers: (() => Promise<void>)[] = [];
afterEach(async () => { await Promise.all(closers.splice(0).map((c) => c())); });

/**
 * An authorization server for one app: its redirect URIs are the provider's, read on each request.
 * With `method`, its token endpoint accepts only the client authentication the provider stores for
 * the app (as a provider enforcing token_endpoint_auth_method does); without, either.
 */
async function gptAuthServer(redirects: () => Promise<string[]>, method?: () => Promise<string | null | undefined>): Promise<{ origin: string; server: Server }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/authorize') {
      void redirects().then((uris) => {
        const to = url.searchParams.get('redirect_uri') ?? '';
        if (!uris.includes(to)) { res.writeHead(400, { 'content-type': 'text/html' }); return res.end('<title>Error</title><h1>redirect_uri is not registered for this app</h1>'); }
        const back = new URL(to);
        back.searchParams.set('code', randomBytes(12).toString('hex'));
        back.searchParams.set('state', url.searchParams.get('state') ?? '');
        res.writeHead(302, { location: back.href });
        res.end();
      });
      return;
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => void (async () => {
        const used = req.headers.authorization?.startsWith('Basic ') ? 'client_secret_basic' : new URLSearchParams(body).has('client_secret') ? 'client_secret_post' : 'none';
        const stored = method ? await method() : undefined;
        if (stored && stored !== used) { res.writeHead(401, { 'content-type': 'application/json' }); return res.end(JSON.stringify({ error: 'invalid_client', error_description: `this client authenticates with ${stored}` })); }
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ access_token: randomBytes(16).toString('hex'), token_type: 'bearer', expires_in: 3600, refresh_token: randomBytes(16).toString('hex') }));
      })());
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

describe('doctor --target actions --fix adds both GPT callbacks', () => {
  for (const provider of Object.keys(STARTS)) {
    it(provider, async () => {
      const f = await STARTS[provider]!();
      const http = new HttpClient({ timeoutMs: 5000, maxBytes: 1 << 22, userAgent: 'test' });
      const adapter = await loadProvider(provider, f.env, http);
      const { app, clientSecret } = await adapter.createApp({ name: 'My GPT', target: 'actions', redirectUris: [KEPT], resource: 'https://api.example.com' });
      const as = await gptAuthServer(async () => (await adapter.findApp(app.clientId))!.redirectUris);
      closers.push(async () => { await new Promise<void>((r) => as.server.close(() => r())); await http.close(); expect(f.fake.violations).toEqual([]); await f.fake.close(); });
      const r = await runCli(['doctor', '--target', 'actions', '--auth-url', `${as.origin}/authorize`, '--token-url', `${as.origin}/token`, '--client-id', app.clientId, '--gpt-id', GPT,
        '--login', 'auto', '--fix', '--yes', '--provider', provider, '--only', 'actions.callback-urls', '--json'], { env: { ...f.env, GPT_OAUTH_CLIENT_SECRET: clientSecret ?? 'public-client' } });
      const report = JSON.parse(r.stdout) as Report;
      expect(report.fix!.before.chatgpt, r.stderr).toBe('fail');
      expect(report.fix!.changed).toContainEqual({ id: 'actions.callback-urls', from: 'fail', to: 'pass' });
      const uris = (await adapter.findApp(app.clientId))!.redirectUris;
      expect(uris).toEqual(expect.arrayContaining([KEPT, `https://chatgpt.com/aip/${GPT}/oauth/callback`, `https://chat.openai.com/aip/${GPT}/oauth/callback`]));
      expect(r.stderr).toMatch(new RegExp(`--fix: .* — add https://chatgpt\\.com/aip/${GPT}/oauth/callback and https://chat\\.openai\\.com/aip/${GPT}/oauth/callback to the redirect URIs of My GPT \\(actions\\.callback-urls\\)`));
      // Run again: the app already has them, nothing is written.
      const again = await runCli(['doctor', '--target', 'actions', '--auth-url', `${as.origin}/authorize`, '--token-url', `${as.origin}/token`, '--client-id', app.clientId, '--gpt-id', GPT,
        '--login', 'auto', '--fix', '--yes', '--provider', provider, '--only', 'actions.callback-urls', '--json'], { env: { ...f.env, GPT_OAUTH_CLIENT_SECRET: clientSecret ?? 'public-client' } });
      expect(again.stderr).toMatch(/actions\.callback-urls passed; nothing to change/);
    }, 60_000);
  }
});


/**
 * The token exchange method: where the provider stores one per app (Auth0, Supabase), --fix aligns
 * it with the Token Exchange Method the run tells the user to select in the GPT editor — the one
 * it saw working, "Default (POST request)" first — and never to a method the run did not see work.
 * Clerk and Stytch have no such setting and say so.
 */
describe('doctor --target actions --fix and the token exchange method', () => {
  const args = (origin: string, clientId: string, provider: string) => ['doctor', '--target', 'actions', '--auth-url', `${origin}/authorize`, '--token-url', `${origin}/token`, '--client-id', clientId, '--gpt-id', GPT,
    '--login', 'auto', '--fix', '--yes', '--provider', provider, '--only', 'actions.callback-urls,actions.token-exchange-method', '--json'];
  const setUp = async (provider: string, strict: boolean) => {
    const f = await STARTS[provider]!();
    const http = new HttpClient({ timeoutMs: 5000, maxBytes: 1 << 22, userAgent: 'test' });
    const adapter = await loadProvider(provider, f.env, http);
    const cb = [`https://chatgpt.com/aip/${GPT}/oauth/callback`, `https://chat.openai.com/aip/${GPT}/oauth/callback`];
    const { app, clientSecret } = await adapter.createApp({ name: 'My GPT', target: 'actions', redirectUris: cb, resource: 'https://api.example.com' });
    const as = await gptAuthServer(async () => (await adapter.findApp(app.clientId))!.redirectUris, strict ? async () => (await adapter.findApp(app.clientId))!.tokenAuthMethod : undefined);
    closers.push(async () => { await new Promise<void>((r) => as.server.close(() => r())); await http.close(); expect(f.fake.violations).toEqual([]); await f.fake.close(); });
    const env = { ...f.env, GPT_OAUTH_CLIENT_SECRET: clientSecret ?? 'public-client' };
    return { f, adapter, app, as, env };
  };

  for (const provider of ['auth0', 'supabase']) {
    it(`${provider}: an app set to Basic on a server that accepts both is aligned with "Default (POST request)"`, async () => {
      const { adapter, app, as, env } = await setUp(provider, false);
      await adapter.setTokenAuthMethod!(app, 'client_secret_basic');
      const r = await runCli(args(as.origin, app.clientId, provider), { env });
      const report = JSON.parse(r.stdout) as Report;
      expect(report.gptEditor?.tokenExchangeMethod, r.stderr).toBe('Default (POST request)');
      expect(r.stderr).toMatch(/--fix: .* — set the token endpoint authentication method of My GPT from client_secret_basic to client_secret_post, what the GPT editor's Token Exchange Method "Default \(POST request\)" sends/);
      expect(report.fix!.rounds[0]!.plan).toContainEqual(expect.objectContaining({ from: 'client_secret_basic', to: 'client_secret_post', status: 'changed', fixes: ['actions.token-exchange-method'] }));
      expect(report.fix!.rounds[0]!.applied).toBe(true);
      expect((await adapter.findApp(app.clientId))!.tokenAuthMethod).toBe('client_secret_post');
      // Run again: it converges, nothing is written.
      const again = await runCli(args(as.origin, app.clientId, provider), { env });
      expect(again.stderr).toMatch(/nothing to change on (Auth0|Supabase): the app's method already matches "Default \(POST request\)"/);
      expect((JSON.parse(again.stdout) as Report).fix!.rounds.every((x) => !x.applied)).toBe(true);
    }, 60_000);

    it(`${provider}: an app that enforces Basic stays Basic, and the GPT editor is told to select it`, async () => {
      const { adapter, app, as, env } = await setUp(provider, true);
      await adapter.setTokenAuthMethod!(app, 'client_secret_basic');
      const r = await runCli(args(as.origin, app.clientId, provider), { env });
      const report = JSON.parse(r.stdout) as Report;
      expect(report.checks.find((c) => c.id === 'actions.token-exchange-method')?.detail, r.stderr).toMatch(/Default \(POST request\): refused \(401 invalid_client[^)]*\); Basic authorization header: works/);
      expect(report.gptEditor?.tokenExchangeMethod).toBe('Basic authorization header');
      expect(r.stderr).toMatch(/nothing to change on (Auth0|Supabase): the app's method already matches "Basic authorization header"/);
      expect((await adapter.findApp(app.clientId))!.tokenAuthMethod).toBe('client_secret_basic');
    }, 60_000);
  }

  it('auth0: callbacks missing and the method on Basic: two rounds, the method once the exchange could be tried', async () => {
    const { adapter, app, as, env } = await setUp('auth0', false);
    await adapter.setRedirectUris(app, [KEPT]);
    await adapter.setTokenAuthMethod!(app, 'client_secret_basic');
    const r = await runCli(args(as.origin, app.clientId, 'auth0'), { env });
    const report = JSON.parse(r.stdout) as Report;
    expect(report.fix!.rounds.map((x) => x.plan.filter((c) => c.status === 'changed').flatMap((c) => c.fixes)), r.stderr).toEqual([['actions.callback-urls'], ['actions.token-exchange-method']]);
    expect(report.fix!.changed).toContainEqual({ id: 'actions.callback-urls', from: 'fail', to: 'pass' });
    const after = (await adapter.findApp(app.clientId))!;
    expect(after.tokenAuthMethod).toBe('client_secret_post');
    expect(after.redirectUris).toEqual(expect.arrayContaining([KEPT, `https://chatgpt.com/aip/${GPT}/oauth/callback`]));
  }, 60_000);

  it('supabase: a public client is not turned into a confidential one; the fix names init', async () => {
    const { f, adapter, app, as, env } = await setUp('supabase', false);
    const c = (f as unknown as { state: { clients: Map<string, Record<string, unknown>> } }).state.clients.get(app.id)!;
    Object.assign(c, { client_type: 'public', token_endpoint_auth_method: 'none' });
    const r = await runCli(args(as.origin, app.clientId, 'supabase'), { env });
    expect(r.stderr).toMatch(/stays none: the app is a public client \(none\): a GPT Action needs a confidential one; create it with gpt-oauth init --target actions/);
    expect((await adapter.findApp(app.clientId))!.tokenAuthMethod).toBe('none');
    // What the write would meet: the spec allows a public client only 'none'.
    await expect(adapter.setTokenAuthMethod!((await adapter.findApp(app.clientId))!, 'client_secret_post')).rejects.toThrow(/not compatible with client_type public/);
  }, 60_000);

  for (const [provider, why] of [['clerk', /Clerk accepts client_secret_basic and client_secret_post alike/], ['stytch', /Stytch's connected apps have no token endpoint authentication method setting/]] as const) {
    it(`${provider}: no per-app method, said so`, async () => {
      const { app, as, env } = await setUp(provider, false);
      const r = await runCli(args(as.origin, app.clientId, provider), { env });
      expect(r.stderr).toMatch(why);
      expect(r.stderr).toMatch(/select "Default \(POST request\)" in the GPT editor/);
      expect(r.stderr).not.toMatch(/--fix: applied/);
    }, 60_000);
  }
});
