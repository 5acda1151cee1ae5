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

/** An authorization server for one app: its redirect URIs are the provider's, read on each request. */
async function gptAuthServer(redirects: () => Promise<string[]>): Promise<{ origin: string; server: Server }> {
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
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return res.end(JSON.stringify({ access_token: randomBytes(16).toString('hex'), token_type: 'bearer', expires_in: 3600, refresh_token: randomBytes(16).toString('hex') }));
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
