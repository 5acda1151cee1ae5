/**
 * The Supabase fake project's OAuth 2.1 server at `<origin>/auth/v1`, following the project's
 * auth configuration (what the Management API's PATCH /config/auth changes), as
 * ../shared/reference/provider-apis.md §4 reads it from supabase/auth (commit bc32168e):
 *
 * - `oauth_server_enabled` off: every `/auth/v1/oauth/*` route and the oauth-authorization-server
 *   documents answer 404 `{code, error_code: "feature_disabled", msg: "OAuth server is disabled"}`,
 *   but `/auth/v1/.well-known/openid-configuration` is served anyway;
 * - `oauth_server_allow_dynamic_registration`: `registration_endpoint` advertised, else
 *   403 `oauth_dynamic_client_registration_disabled`; registration is rate-limited per address
 *   (`registrationLimit` per window: 429 `over_request_rate_limit`);
 * - `/oauth/authorize`: unknown client or a redirect URI that is not exact → 400 JSON; PKCE
 *   required; no authorization path → redirect back with `server_error` "oauth authorization path
 *   not configured"; else 302 to `site_url` + path `?authorization_id=…` (no `iss`);
 * - the consent page (the user's own site, `startConsentSite`) approves through
 *   `POST /auth/v1/oauth/authorizations/{id}/consent` and sends the browser to `redirect_url`;
 * - tokens: ES256 JWTs with `aud: "authenticated"` whatever `resource` asked, plus `client_id`;
 *   `code_challenge_methods_supported` lists `plain`.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { clientCredentials } from './auth0-tenant.js';

interface Pending { clientId: string; redirectUri: string; state?: string; challenge: string; method: string; scope: string }
interface Code extends Pending { used: boolean }

export interface SupabaseAs {
  handle(req: IncomingMessage, res: ServerResponse, url: URL, body: string): boolean;
  publicJwks: { keys: JWK[] };
  issuer: string;
  /** Registrations answered 429 so far, and received in all. */
  limited: number;
  registrations: number;
  /** Registrations allowed in the window (all received count), or undefined for no limit. */
  registrationLimit?: number;
}

export async function supabaseAuthServer(config: Record<string, unknown>, originOf: () => string, o: { registrationLimit?: number } = {}): Promise<SupabaseAs> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = `sb-${randomBytes(4).toString('hex')}`;
  const publicJwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] };
  const clients = new Map<string, { redirectUris: string[]; secret?: string }>();
  const pending = new Map<string, Pending>();
  const codes = new Map<string, Code>();
  const refreshes = new Map<string, { clientId: string; scope: string; active: boolean }>();
  const base = () => `${originOf()}/auth/v1`;
  const self: SupabaseAs = { handle, publicJwks, get issuer() { return base(); }, limited: 0, registrations: 0, registrationLimit: o.registrationLimit };

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const gotrue = (res: ServerResponse, status: number, code: string, msg: string) => json(res, status, { code: status, error_code: code, msg, error_id: randomBytes(8).toString('hex') });
  const on = () => config.oauth_server_enabled === true;
  const dcr = () => on() && config.oauth_server_allow_dynamic_registration === true;

  const discovery = () => ({
    issuer: base(),
    authorization_endpoint: `${base()}/oauth/authorize`,
    token_endpoint: `${base()}/oauth/token`,
    userinfo_endpoint: `${base()}/oauth/userinfo`,
    jwks_uri: `${base()}/.well-known/jwks.json`,
    ...(dcr() ? { registration_endpoint: `${base()}/oauth/clients/register` } : {}),
    scopes_supported: ['openid', 'profile', 'email', 'phone', 'offline_access'],
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256', 'plain'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256'],
  });

  async function accessToken(clientId: string, scope: string): Promise<string> {
    return new SignJWT({ role: 'authenticated', client_id: clientId, scope, session_id: randomBytes(8).toString('hex') })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid })
      .setIssuer(base()).setSubject('00000000-0000-4000-8000-000000000001').setAudience('authenticated')
      .setIssuedAt().setExpirationTime('1h').sign(privateKey);
  }

  function authorize(res: ServerResponse, p: URLSearchParams): void {
    const client = clients.get(p.get('client_id') ?? '');
    const redirect = p.get('redirect_uri') ?? '';
    if (!client) return gotrue(res, 400, 'oauth_client_not_found', 'OAuth client not found');
    if (!client.redirectUris.includes(redirect)) return gotrue(res, 400, 'validation_failed', 'redirect_uri does not match a registered redirect URI');
    const back = (q: Record<string, string>) => {
      const u = new URL(redirect);
      for (const [k, v] of Object.entries(q)) u.searchParams.set(k, v);
      if (p.get('state') !== null) u.searchParams.set('state', p.get('state')!);
      res.writeHead(302, { location: u.href });
      res.end();
    };
    if (p.get('response_type') !== 'code') return back({ error: 'unsupported_response_type', error_description: 'response_type must be code' });
    const challenge = p.get('code_challenge');
    if (!challenge) return back({ error: 'invalid_request', error_description: 'PKCE flow requires code_challenge' });
    const path = config.oauth_server_authorization_path;
    if (typeof path !== 'string' || !path) return back({ error: 'server_error', error_description: 'oauth authorization path not configured' });
    const id = randomBytes(16).toString('hex');
    pending.set(id, { clientId: p.get('client_id')!, redirectUri: redirect, state: p.get('state') ?? undefined, challenge, method: p.get('code_challenge_method') ?? 'plain', scope: p.get('scope') || 'email' });
    const consent = new URL(path, String(config.site_url));
    consent.searchParams.set('authorization_id', id);
    res.writeHead(302, { location: consent.href });
    res.end();
  }

  /** The consent page's approval (it runs with the user's session): the redirect back with a code. */
  function approve(res: ServerResponse, id: string): void {
    const pend = pending.get(id);
    if (!pend) return gotrue(res, 404, 'oauth_authorization_not_found', 'authorization not found');
    pending.delete(id);
    const code = randomBytes(20).toString('base64url');
    codes.set(code, { ...pend, used: false });
    const u = new URL(pend.redirectUri);
    u.searchParams.set('code', code);
    if (pend.state !== undefined) u.searchParams.set('state', pend.state);
    json(res, 200, { redirect_url: u.href });
  }

  async function token(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const p = new URLSearchParams(body);
    const { clientId, secret: bsecret } = clientCredentials(req, p);
    const client = clients.get(clientId);
    // Client authentication failures are GoTrue errors (provider-apis.md §4), not RFC 6749 JSON.
    if (!client || (client.secret !== undefined && (bsecret ?? p.get('client_secret')) !== client.secret)) return gotrue(res, 400, 'invalid_credentials', 'Invalid client credentials');
    const issue = async (scope: string) => {
      const rt = randomBytes(24).toString('base64url');
      refreshes.set(rt, { clientId, scope, active: true });
      json(res, 200, { access_token: await accessToken(clientId, scope), token_type: 'bearer', expires_in: 3600, refresh_token: rt });
    };
    if (p.get('grant_type') === 'authorization_code') {
      const c = codes.get(p.get('code') ?? '');
      if (!c || c.used || c.clientId !== clientId || c.redirectUri !== p.get('redirect_uri')) return json(res, 400, { error: 'invalid_grant', error_description: 'invalid authorization code' });
      c.used = true;
      const v = p.get('code_verifier') ?? '';
      if ((c.method === 'S256' ? createHash('sha256').update(v).digest('base64url') : v) !== c.challenge) return json(res, 400, { error: 'invalid_grant', error_description: 'code challenge does not match' });
      return issue(c.scope);
    }
    if (p.get('grant_type') === 'refresh_token') {
      const r = refreshes.get(p.get('refresh_token') ?? '');
      if (!r || r.clientId !== clientId) return json(res, 400, { error: 'invalid_grant', error_description: 'Invalid Refresh Token: Refresh Token Not Found' });
      if (!r.active) {
        for (const x of refreshes.values()) if (x.clientId === clientId) x.active = false;
        return json(res, 400, { error: 'invalid_grant', error_description: 'Invalid Refresh Token: Already Used' });
      }
      r.active = false;
      return issue(r.scope);
    }
    return json(res, 400, { error: 'unsupported_grant_type', error_description: 'unsupported grant type' });
  }

  function register(res: ServerResponse, body: string): void {
    if (!config.oauth_server_allow_dynamic_registration) return gotrue(res, 403, 'oauth_dynamic_client_registration_disabled', 'Dynamic client registration is disabled');
    if (++self.registrations > (self.registrationLimit ?? Infinity)) {
      self.limited++;
      return gotrue(res, 429, 'over_request_rate_limit', 'Request rate limit reached');
    }
    let b: Record<string, unknown>;
    try { b = JSON.parse(body); } catch { return gotrue(res, 400, 'validation_failed', 'invalid JSON'); }
    const uris = Array.isArray(b.redirect_uris) ? b.redirect_uris.map(String) : [];
    if (!uris.length || uris.length > 10) return gotrue(res, 400, 'validation_failed', 'redirect_uris must have 1 to 10 items');
    for (const u of uris) {
      let x: URL;
      try { x = new URL(u); } catch { return gotrue(res, 400, 'validation_failed', 'redirect_uri must be absolute'); }
      if (x.hash || ['javascript:', 'data:', 'file:', 'vbscript:', 'about:', 'blob:'].includes(x.protocol) || (x.protocol === 'http:' && !['localhost', '127.0.0.1', '[::1]'].includes(x.hostname))) {
        return gotrue(res, 400, 'validation_failed', `invalid redirect_uri: ${u.slice(0, 80)}`);
      }
    }
    const clientId = randomBytes(16).toString('hex');
    const method = typeof b.token_endpoint_auth_method === 'string' ? b.token_endpoint_auth_method : 'none';
    const secret = method === 'none' ? undefined : randomBytes(24).toString('base64url');
    clients.set(clientId, { redirectUris: uris, secret });
    json(res, 201, {
      client_id: clientId, client_name: b.client_name ?? '', client_type: secret ? 'confidential' : 'public', token_endpoint_auth_method: method,
      registration_type: 'dynamic', redirect_uris: uris, grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
      ...(secret ? { client_secret: secret } : {}),
    });
  }

  function handle(req: IncomingMessage, res: ServerResponse, url: URL, body: string): boolean {
    const p = url.pathname;
    if (req.method === 'GET' && p === '/auth/v1/.well-known/openid-configuration') { json(res, 200, discovery()); return true; }
    if (req.method === 'GET' && p === '/auth/v1/.well-known/jwks.json') { json(res, 200, publicJwks); return true; }
    if (req.method === 'GET' && (p === '/.well-known/oauth-authorization-server/auth/v1' || p === '/auth/v1/.well-known/oauth-authorization-server')) {
      if (!on()) gotrue(res, 404, 'feature_disabled', 'OAuth server is disabled');
      else json(res, 200, discovery());
      return true;
    }
    if (!p.startsWith('/auth/v1/oauth/')) return false;
    if (!on()) { gotrue(res, 404, 'feature_disabled', 'OAuth server is disabled'); return true; }
    const approveMatch = /^\/auth\/v1\/oauth\/authorizations\/([^/]+)\/consent$/.exec(p);
    if (req.method === 'GET' && p === '/auth/v1/oauth/authorize') authorize(res, url.searchParams);
    else if (req.method === 'POST' && p === '/auth/v1/oauth/clients/register') register(res, body);
    else if (req.method === 'POST' && p === '/auth/v1/oauth/token') void token(req, res, body);
    else if (req.method === 'POST' && approveMatch) approve(res, approveMatch[1]!);
    else gotrue(res, 404, 'not_found', 'not found');
    return true;
  }

  return self;
}

/**
 * The user's own site hosting the consent page (on `localhost`, another host than the project's
 * 127.0.0.1): signed in already, it approves at once and sends the browser on, as a consent page
 * built with supabase-js `auth.oauth.approveAuthorization` does for a returning user.
 */
export async function startConsentSite(projectOrigin: () => string): Promise<{ origin: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('authorization_id');
    if (!id) { res.writeHead(200, { 'content-type': 'text/html' }); return res.end('<title>My app</title><h1>Welcome</h1>'); }
    fetch(`${projectOrigin()}/auth/v1/oauth/authorizations/${encodeURIComponent(id)}/consent`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ action: 'approve' }) })
      .then(async (r) => {
        const j = await r.json() as { redirect_url?: string };
        if (!j.redirect_url) { res.writeHead(400, { 'content-type': 'text/html' }); return res.end('<title>Error</title><h1>Authorization not found</h1>'); }
        res.writeHead(302, { location: j.redirect_url });
        res.end();
      }, () => { res.writeHead(500); res.end(); });
  });
  await new Promise<void>((r) => server.listen(0, () => r()));
  return { origin: `http://localhost:${(server.address() as { port: number }).port}`, close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }) };
}
