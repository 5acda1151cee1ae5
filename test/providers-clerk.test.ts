import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from '../src/http/client.js';
import { loadProvider } from '../src/providers/index.js';
import { ensureApp, updateRedirects } from '../src/providers/ops.js';
import { ProviderError } from '../src/providers/types.js';
import { startClerkFake } from './helpers/fakes/clerk.js';
import type { ProviderFake } from './helpers/provider-fake.js';

let fake: ProviderFake | undefined;
afterEach(async () => {
  if (fake) expect(fake.violations, 'the fake answered outside the documented schema').toEqual([]);
  await fake?.close();
  fake = undefined;
});
const http = () => new HttpClient({ timeoutMs: 3000, maxBytes: 1 << 22, userAgent: 'test' });

describe('clerk adapter against the spec-derived fake', () => {
  it('creates, finds by name and by client id, patches redirects read-merge-write', async () => {
    const f = await startClerkFake();
    fake = f.fake;
    const a = await loadProvider('clerk', f.env, http());
    const { app, clientSecret } = await a.createApp({ name: 'ChatGPT Todo', target: 'actions', redirectUris: ['https://x.example/cb'] });
    expect(clientSecret).toMatch(/^clerk_secret_/);
    expect(f.state.apps.get(app.id)!.pkce_required).toBe(false);
    expect((await a.findApp('ChatGPT Todo'))?.id).toBe(app.id);
    expect((await a.findApp(app.clientId))?.id).toBe(app.id);
    expect(await a.findApp('ChatGPT')).toBeUndefined(); // a partial name is not a match
    const plan = await updateRedirects(a, app.clientId, ['https://chatgpt.com/aip/g-AbC123xyz/oauth/callback'], [], false);
    expect(plan.after).toEqual(['https://x.example/cb', 'https://chatgpt.com/aip/g-AbC123xyz/oauth/callback']);
    expect(f.state.apps.get(app.id)!.redirect_uris).toEqual(plan.after);
    const patch = f.fake.calls.find((c) => c.method === 'PATCH')!;
    expect(Object.keys(patch.body as object)).toEqual(['redirect_uris']); // never echo the GET back
  });

  it('enables DCR and JWT access tokens idempotently for connectors', async () => {
    const f = await startClerkFake();
    fake = f.fake;
    const a = await loadProvider('clerk', f.env, http());
    const first = await a.enableChatGpt({ name: 'x', target: 'apps', redirectUris: [], resource: 'https://api.example.com/mcp' });
    expect(first.filter((c) => c.status === 'changed').map((c) => c.setting)).toEqual(['dynamic_oauth_client_registration', 'oauth_jwt_access_tokens']);
    expect(f.state.settings.dynamic_oauth_client_registration).toBe(true);
    const again = await a.enableChatGpt({ name: 'x', target: 'apps', redirectUris: [], resource: 'https://api.example.com/mcp' });
    expect(again.filter((c) => c.status === 'changed')).toEqual([]);
    expect(f.fake.count('PATCH /instance/oauth_application_settings')).toBe(1);
    expect((await a.issuer()).issuer).toBe('https://clean-fox-42.clerk.accounts.dev');
  });

  it('retries 429 after Retry-After and 5xx on reads, then succeeds', async () => {
    const f = await startClerkFake();
    fake = f.fake;
    f.fake.inject('GET /oauth_applications', { status: 429, headers: { 'retry-after': '1' } });
    f.fake.inject('GET /oauth_applications', { status: 503 });
    const a = await loadProvider('clerk', f.env, http());
    const t = Date.now();
    expect(await a.findApp('nothing')).toBeUndefined();
    expect(Date.now() - t).toBeGreaterThanOrEqual(900);
    expect(f.fake.count('GET /oauth_applications')).toBe(3);
  });

  it('turns API errors into ProviderError with Clerk\'s own code and an auth hint', async () => {
    const f = await startClerkFake();
    fake = f.fake;
    const bad = await loadProvider('clerk', { ...f.env, CLERK_SECRET_KEY: 'sk_test_wrong' }, http());
    const e = await bad.checkCredentials().catch((x) => x);
    expect(e).toBeInstanceOf(ProviderError);
    expect(e.status).toBe(401);
    expect(e.hint).toMatch(/Configure → API Keys/);
  });

  it('a run killed after the create call, run again, ends with one app and the right redirect URIs', async () => {
    const f = await startClerkFake();
    fake = f.fake;
    const spec = { name: 'ChatGPT Todo', target: 'actions' as const, redirectUris: ['https://chatgpt.com/aip/g-AbC123xyz/oauth/callback', 'https://chat.openai.com/aip/g-AbC123xyz/oauth/callback'] };
    f.fake.crashAfter('POST /oauth_applications');
    const a = await loadProvider('clerk', f.env, http());
    await expect(ensureApp(a, spec)).rejects.toBeInstanceOf(ProviderError);
    expect(f.state.apps.size).toBe(1); // the create was committed before the connection died
    const again = await ensureApp(a, spec);
    expect(again.created).toBe(false);
    expect(f.state.apps.size).toBe(1);
    expect([...f.state.apps.values()][0]!.redirect_uris).toEqual(spec.redirectUris);
    const third = await ensureApp(a, spec);
    expect(third.addedRedirectUris).toEqual([]);
    expect(f.fake.count('PATCH /oauth_applications/{oauth_application_id}')).toBe(0);
  });
});
