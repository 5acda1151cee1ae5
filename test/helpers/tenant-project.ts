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

/**
 * The three parts, started: the provider's fake, the user's site, and an MCP server that trusts
 * the tenant's issuer. Neither provider binds tokens to the MCP server (Supabase: aud
 * "authenticated"; Stytch: the project id) and neither sets typ at+jwt: this MCP server checks the
 * issuer only. `close` stops all three after checking the fake answered within its schema.
 */
export async function startTenantStack<F extends TenantFake, S extends { origin: string; close(): Promise<void> }>(
  startFake: () => Promise<F>,
  startSite: (asOrigin: () => string) => Promise<S>,
): Promise<{ f: F; site: S; mcp: Awaited<ReturnType<typeof startTenantMcp>>; close(): Promise<void> }> {
  const f = await startFake();
  const site = await startSite(() => f.fake.origin);
  const mcp = await startTenantMcp(f.tenant!.issuer, f.tenant!.publicJwks, { checkAudience: false, typ: false });
  return {
    f, site, mcp,
    async close() {
      await mcp.close();
      await site.close();
      await f.fake.close();
      expect(f.fake.violations, 'the fake answered outside the documented schema').toEqual([]);
    },
  };
}

export function tenantProject<F extends TenantFake, S extends { origin: string; close(): Promise<void> }>(
  startFake: () => Promise<F>,
  startSite: (asOrigin: () => string) => Promise<S>,
): { readonly f: F; readonly site: S; doctor(allowHosts?: string[]): ReturnType<typeof runDoctor> } {
  let stack: Awaited<ReturnType<typeof startTenantStack<F, S>>>;
  beforeAll(async () => { stack = await startTenantStack(startFake, startSite); });
  afterAll(async () => { await stack.close(); });
  return {
    get f() { return stack.f; },
    get site() { return stack.site; },
    doctor: (allowHosts) => runDoctor({ url: stack.mcp.mcpUrl, login: 'auto', allowHosts }),
  };
}
