/** The fakes themselves are faithful: they reject what the documented API rejects. */
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderFake, loadFixture } from './helpers/provider-fake.js';
import { startClerkFake, CLERK_KEY } from './helpers/fakes/clerk.js';

let fake: ProviderFake | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

async function call(origin: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${origin}${path}`, { method, headers: { authorization: `Bearer ${CLERK_KEY}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

describe('spec-derived provider fakes', () => {
  it('reject unknown fields, wrong types and missing required fields, in the provider\'s error shape', async () => {
    const f = await startClerkFake();
    fake = f.fake;
    const created = await call(f.fake.origin, 'POST', '/v1/oauth_applications', { name: 'a', redirect_uris: [] });
    expect(created.status).toBe(200);
    const unknown = await call(f.fake.origin, 'PATCH', `/v1/oauth_applications/${created.body.id}`, { redirect_uris: [], client_id: 'echoed back from a GET' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].message).toMatch(/unknown field "client_id"/);
    const wrongType = await call(f.fake.origin, 'PATCH', `/v1/oauth_applications/${created.body.id}`, { redirect_uris: 'https://x' });
    expect(wrongType.status).toBe(400);
    const missing = await call(f.fake.origin, 'POST', '/v1/oauth_applications', { redirect_uris: [] });
    expect(missing.status).toBe(400);
    expect(missing.body.errors[0].message).toMatch(/name/);
    const undocumented = await call(f.fake.origin, 'PUT', `/v1/oauth_applications/${created.body.id}`, { name: 'b' });
    expect(undocumented.status).toBe(404);
    expect(f.fake.violations).toEqual([]);
  });

  it('report their own answers that do not match the documented response schema', async () => {
    const fixture = loadFixture('clerk');
    fake = new ProviderFake({
      fixtures: [{ fixture, prefix: '/v1' }],
      authorize: () => true,
      error: (_s, code, message) => ({ errors: [{ code, message, long_message: message }] }),
      handlers: { 'GET /oauth_applications': () => ({ status: 200, body: { data: [{ id: 'oa_1' }], total_count: 1 } }) },
    });
    await fake.start();
    await call(fake.origin, 'GET', '/v1/oauth_applications');
    expect(fake.violations.join('\n')).toMatch(/GET \/oauth_applications 200/);
  });
});
