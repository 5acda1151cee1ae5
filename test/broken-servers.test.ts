/**
 * The doctor against deliberately broken servers: one per failure mode of the catalog. Each
 * case asserts the exact check id that fails (or warns, where the contract says warn) and that
 * the checks before it in the flow still pass, so a failure is attributed to the right step.
 */
import { describe, expect, it } from 'vitest';
import { runAppsSuite } from '../src/doctor/suites/apps.js';
import { HttpClient } from '../src/http/client.js';
import type { Report, Status } from '../src/doctor/types.js';
import { startToy, type ToyFlags } from './helpers/toy-server.js';

async function doctor(flags: ToyFlags, timeoutMs = 5000): Promise<Report> {
  const toy = await startToy(flags);
  const http = new HttpClient({ timeoutMs, maxBytes: 1 << 20, userAgent: 'test' });
  try {
    return await runAppsSuite({ mcpUrl: toy.mcpUrl, http, login: 'auto' });
  } finally {
    await http.close();
    await toy.close();
  }
}

const statusOf = (r: Report, id: string) => r.checks.find((c) => c.id === id)?.status;
const byStatus = (r: Report, s: Status) => r.checks.filter((c) => c.status === s).map((c) => c.id);

describe('the toy server with no flags is a correct server', () => {
  it('passes every check (so each failure below is caused by its flag alone)', async () => {
    const r = await doctor({});
    expect(r.checks.filter((c) => c.status !== 'pass').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
  });
});

const cases: { id: string; flags: ToyFlags; status?: Status; detail?: RegExp; fix?: RegExp }[] = [
  { id: 'resource.challenge', flags: { challenge: 'anonymous-ok' }, detail: /accepted an unauthenticated initialize/ },
  { id: 'resource.challenge', flags: { challenge: 'no-resource-metadata' }, status: 'warn', detail: /no resource_metadata/ },
  { id: 'prm.document', flags: { prm: 'html' }, detail: /HTML page/, fix: /SPA catch-all/ },
  { id: 'prm.resource', flags: { prmResourceSuffix: '/' }, detail: /only by a trailing slash/ },
  { id: 'as.metadata', flags: { asMetadata: '404' }, detail: /fault is discovery, not PKCE/ },
  { id: 'as.issuer', flags: { issuerSuffix: '/' }, detail: /only a trailing slash differs/ },
  { id: 'as.pkce-s256', flags: { dropMeta: ['code_challenge_methods_supported'] }, detail: /code_challenge_methods_supported is missing/ },
  { id: 'as.endpoints', flags: { dropMeta: ['authorization_endpoint'] }, detail: /authorization_endpoint is missing/ },
  { id: 'as.client-registration', flags: { dropMeta: ['registration_endpoint'] }, fix: /predefined|OAuth advanced settings/ },
  { id: 'network.server-user-agent', flags: { blockUserAgent: /python|aiohttp/i }, detail: /as "python-httpx\/0\.28\.1" got 403 text\/html \(cf-mitigated: challenge\), not 401.*\/\.well-known\/oauth-protected-resource\/mcp as "python-httpx/, fix: /Cloudflare: turn off Bot Fight Mode/ },
  { id: 'jwks.keys', flags: { jwks: 'dup-kid' }, detail: /used twice/ },
  { id: 'jwks.no-private', flags: { jwks: 'private' }, detail: /private key material/ },
  { id: 'dcr.register', flags: { dcr: 'wrong-method' }, detail: /answered "client_secret_basic"/ },
  { id: 'dcr.rejects-unsafe-redirects', flags: { dcrUnsafe: 'accept' }, detail: /javascript: and data:/ },
  { id: 'authz.redirect-exact', flags: { redirectCheck: 'none' }, detail: /unregistered redirect URI/ },
  { id: 'authz.state', flags: { stateMode: 'truncate' }, detail: /255 of \d+ characters/ },
  { id: 'authz.iss', flags: { iss: 'missing' }, detail: /carried no iss/ },
  { id: 'pkce.verifier-required', flags: { pkce: 'optional' }, detail: /without the code_verifier/ },
  { id: 'pkce.verifier-checked', flags: { pkce: 'unchecked' }, detail: /wrong code_verifier/ },
  { id: 'token.exchange', flags: { expiresIn: 'string' }, detail: /expires_in is string/ },
  { id: 'token.code-single-use', flags: { codeReuse: true }, detail: /redeemed twice/ },
  { id: 'token.redirect-binding', flags: { redirectBinding: false, pkce: 'optional' }, detail: /different from the one/ },
  { id: 'token.redirect-binding', flags: { redirectBinding: false }, status: 'warn', detail: /PKCE is enforced/ },
  { id: 'token.error-format', flags: { tokenErrors: 'html' }, detail: /HTML page/ },
  { id: 'token.no-store', flags: { noStore: false }, status: 'warn', detail: /Cache-Control is missing/ },
  { id: 'token.scopes', flags: { grantedScope: 'subset' }, detail: /missing: mcp:write/ },
  { id: 'token.jwt-signature', flags: { signWrongKey: true, rs: { acceptTampered: true } }, detail: /signature does not verify/ },
  { id: 'token.audience', flags: { aud: 'other' }, detail: /not bound to this MCP server/ },
  { id: 'refresh.grant', flags: { refresh: 'refuse' }, detail: /invalid_grant/ },
  { id: 'refresh.grant', flags: { refresh: 'none' }, status: 'warn', detail: /no refresh token/ },
  { id: 'refresh.rotation', flags: { refresh: 'old-valid' }, detail: /old refresh token still works/ },
  { id: 'refresh.rotation', flags: { refresh: 'same' }, detail: /did not rotate/ },
  { id: 'refresh.audience', flags: { refreshAud: 'other' }, detail: /refreshed access token's aud/ },
  { id: 'resource.accepts-token', flags: { rs: { rejectValid: true } }, detail: /rejected the access token/ },
  { id: 'resource.rejects-invalid-token', flags: { rs: { acceptGarbage: true } }, detail: /ACCEPTED/ },
  { id: 'resource.rejects-forged-token', flags: { rs: { acceptNone: true } }, detail: /accepted.*alg:none token: 200/ },
  { id: 'resource.rejects-forged-token', flags: { rs: { acceptTampered: true } }, detail: /changed payload.*200/ },
  { id: 'resource.rejects-forged-token', flags: { rs: { invalidStatus: 500 } }, status: 'warn', detail: /refused, but not with a 401.*500 instead of 401/ },
  { id: 'resource.rejects-invalid-token', flags: { rs: { invalidStatus: 500 } }, detail: /500 instead of 401/ },
];

describe('each failure mode is reported by its own check id', () => {
  for (const c of cases) {
    const status = c.status ?? 'fail';
    it(`${c.id} → ${status} (${JSON.stringify(c.flags)})`, async () => {
      const r = await doctor(c.flags);
      const check = r.checks.find((x) => x.id === c.id)!;
      expect(check.status, `${c.id}: ${check.detail}`).toBe(status);
      if (c.detail) expect(check.detail).toMatch(c.detail);
      if (c.fix) expect(check.fix).toMatch(c.fix);
      if (status === 'fail') {
        expect(check.fix, 'every failure says how to fix it').toBeTruthy();
        // The first failure in flow order is this check or one it explains (never an unrelated one).
        const firstFailure = r.checks.find((x) => x.status === 'fail')!;
        expect(r.checks.indexOf(firstFailure)).toBeLessThanOrEqual(r.checks.indexOf(check));
      }
    });
  }
});

describe('client ID metadata documents (CIMD)', () => {
  it('uses ChatGPT\'s own client id when the server offers CIMD only, and completes the flow', async () => {
    const r = await doctor({ cimdOnly: true });
    const byId = (id: string) => r.checks.find((c) => c.id === id)!;
    expect(byId('as.client-registration').detail).toMatch(/client ID metadata documents/);
    expect(byId('dcr.register').status).toBe('skip');
    expect(byId('dcr.register').detail).toContain('https://chatgpt.com/oauth/client.json');
    expect(r.checks.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.detail}`)).toEqual([]);
    for (const id of ['authz.state', 'token.exchange', 'token.audience', 'refresh.grant', 'resource.accepts-token', 'pkce.verifier-checked']) expect(byId(id).status, id).toBe('pass');
  });
});

describe('provider-aware advice', () => {
  it('names the Auth0 setting for an Auth0-style issuer', async () => {
    const { fixFor, recogniseProvider } = await import('../src/checks/advice.js');
    expect(recogniseProvider('https://tenant.us.auth0.com/')).toBe('auth0');
    expect(recogniseProvider('https://kc.example.com/realms/acme')).toBe('keycloak');
    expect(recogniseProvider('https://abc.supabase.co/auth/v1')).toBe('supabase');
    expect(fixFor('auth0', { auth0: 'enable X', generic: 'do Y' })).toBe('Auth0: enable X / generic: do Y');
    expect(fixFor('generic', { auth0: 'enable X', generic: 'do Y' })).toBe('do Y');
  });
});

export { byStatus, statusOf };
