/**
 * A provider project walked one setting at a time (test/provider-tenant-*.test.ts): the provider's
 * fake with its authorization server, the user's own site (the consent or authorization page, on
 * another host), and an MCP server that trusts the tenant's issuer. Started once per file; at the
 * end the fake must not have answered outside the provider's documented schema.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import type { JWK } from 'jose';
import { startTenantMcp } from './fakes/auth0-tenant.js';
import type { ProviderFake } from './provider-fake.js';
import { runDoctor } from '../../src/index.js';

interface TenantFake { fake: ProviderFake; tenant?: { issuer: string; publicJwks: { keys: JWK[] } } }

export function tenantProject<F extends TenantFake, S extends { origin: string; close(): Promise<void> }>(
  startFake: () => Promise<F>,
  startSite: (asOrigin: () => string) => Promise<S>,
): { readonly f: F; readonly site: S; doctor(allowHosts?: string[]): ReturnType<typeof runDoctor> } {
  let f: F;
  let site: S;
  let mcp: Awaited<ReturnType<typeof startTenantMcp>>;
  beforeAll(async () => {
    f = await startFake();
    site = await startSite(() => f.fake.origin);
    // Neither provider binds tokens to the MCP server (Supabase: aud "authenticated"; Stytch: the
    // project id) and neither sets typ at+jwt: this MCP server checks the issuer only.
    mcp = await startTenantMcp(f.tenant!.issuer, f.tenant!.publicJwks, { checkAudience: false, typ: false });
  });
  afterAll(async () => {
    expect(f.fake.violations, 'the fake answered outside the documented schema').toEqual([]);
    await mcp.close();
    await site.close();
    await f.fake.close();
  });
  return {
    get f() { return f; },
    get site() { return site; },
    doctor: (allowHosts) => runDoctor({ url: mcp.mcpUrl, login: 'auto', allowHosts }),
  };
}
