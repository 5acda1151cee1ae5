/**
 * The Stytch fake project's Connected Apps authorization server on the fake's own origin (the
 * project domain, `STYTCH_DOMAIN`), following the environment's settings (what the workspace
 * Management API's PATCH …/environments/{env} changes), as ../shared/reference/provider-apis.md
 * §3 describes it:
 *
 * - discovery at `/.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`:
 *   issuer = the project domain; `authorization_endpoint` = `idp_authorization_url`, the page the
 *   user's own app hosts with Stytch's IdentityProvider component (empty until it is set);
 * - `idp_dynamic_client_registration_enabled`: `registration_endpoint` advertised and
 *   `/v1/oauth2/register` open, else refused; identical public registrations are deduplicated
 *   (the same client_id back);
 * - the IdentityProvider page (`startIdpSite`, the user's own host) reads the OAuth parameters and
 *   calls `POST /v1/idp/oauth/authorize` with the user's session; its answer's `redirect_uri`
 *   carries the code. The app's home page is just a page;
 * - tokens: RS256 JWTs, `aud` the project id whatever `resource` asked; refresh tokens rotate.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { clientCredentials } from './auth0-tenant.js';

interface Code { clientId: string; redirectUri: string; challenge: string; method: string; scope: string; used: boolean }

export interface StytchAs {
  handle(req: IncomingMessage, res: ServerResponse, url: URL, body: string): boolean;
  publicJwks: { keys: JWK[] };
  issuer: string;
}

export async function stytchAuthServer(env: Record<string, unknown>, projectId: string, originOf: () => string): Promise<StytchAs> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `jwk-test-${randomBytes(4).toString('hex')}`;
  const publicJwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] };
  const clients = new Map<string, { redirectUris: string[]; secret?: string }>();
  const dedup = new Map<string, string>();
  const codes = new Map<string, Code>();
  const refreshes = new Map<string, { clientId: string; scope: string; active: boolean }>();
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const oauth = (res: ServerResponse, status: number, error: string, description: string) => json(res, status, { error, error_description: description });
  const dcr = () => env.idp_dynamic_client_registration_enabled === true;

  const discovery = () => ({
    issuer: originOf(),
    authorization_endpoint: String(env.idp_authorization_url ?? ''),
    token_endpoint: `${originOf()}/v1/oauth2/token`,
    userinfo_endpoint: `${originOf()}/v1/oauth2/userinfo`,
    jwks_uri: `${originOf()}/.well-known/jwks.json`,
    ...(dcr() ? { registration_endpoint: `${originOf()}/v1/oauth2/register` } : {}),
    scopes_supported: ['openid', 'email', 'profile', 'phone', 'offline_access'],
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
  });

  async function accessToken(clientId: string, scope: string): Promise<string> {
    return new SignJWT({ scope, client_id: clientId })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
      .setIssuer(originOf()).setSubject('user-test-00000000-0000-4000-8000-000000000001').setAudience([projectId])
      .setIssuedAt().setExpirationTime('1h').sign(privateKey);
  }

  /** What the IdentityProvider component asks Stytch for, with the user's session. */
  function idpAuthorize(res: ServerResponse, body: string): void {
    let p: Record<string, string>;
    try { p = JSON.parse(body); } catch { return json(res, 400, { status_code: 400, error_type: 'invalid_json', error_message: 'body is not JSON' }); }
    const client = clients.get(p.client_id ?? '');
    if (!client) return json(res, 404, { status_code: 404, error_type: 'connected_app_not_found', error_message: 'Connected App not found' });
    if (!client.redirectUris.includes(p.redirect_uri ?? '')) return json(res, 400, { status_code: 400, error_type: 'invalid_redirect_uri', error_message: 'redirect_uri is not registered' });
    const u = new URL(p.redirect_uri!);
    if (!p.code_challenge) {
      u.searchParams.set('error', 'invalid_request');
      u.searchParams.set('error_description', 'code_challenge is required');
    } else {
      const code = randomBytes(20).toString('base64url');
      codes.set(code, { clientId: p.client_id!, redirectUri: p.redirect_uri!, challenge: p.code_challenge, method: p.code_challenge_method ?? 'S256', scope: p.scope ?? 'openid', used: false });
      u.searchParams.set('code', code);
    }
    if (p.state !== undefined) u.searchParams.set('state', p.state);
    json(res, 200, { status_code: 200, redirect_uri: u.href });
  }

  async function token(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const p = new URLSearchParams(body);
    const { clientId, secret: bsecret } = clientCredentials(req, p);
    const client = clients.get(clientId);
    if (!client || (client.secret !== undefined && (bsecret ?? p.get('client_secret')) !== client.secret)) return oauth(res, 401, 'invalid_client', 'client authentication failed');
    const issue = async (scope: string) => {
      const rt = randomBytes(24).toString('base64url');
      refreshes.set(rt, { clientId, scope, active: true });
      json(res, 200, { access_token: await accessToken(clientId, scope), token_type: 'Bearer', expires_in: 3600, scope, refresh_token: rt });
    };
    if (p.get('grant_type') === 'authorization_code') {
      const c = codes.get(p.get('code') ?? '');
      if (!c || c.used || c.clientId !== clientId || c.redirectUri !== p.get('redirect_uri')) return oauth(res, 400, 'invalid_grant', 'invalid authorization code');
      c.used = true;
      const v = p.get('code_verifier') ?? '';
      if ((c.method === 'S256' ? createHash('sha256').update(v).digest('base64url') : v) !== c.challenge) return oauth(res, 400, 'invalid_grant', 'code_verifier does not match');
      return issue(c.scope);
    }
    if (p.get('grant_type') === 'refresh_token') {
      const r = refreshes.get(p.get('refresh_token') ?? '');
      if (!r || r.clientId !== clientId || !r.active) {
        if (r && !r.active) for (const x of refreshes.values()) if (x.clientId === clientId) x.active = false;
        return oauth(res, 400, 'invalid_grant', 'refresh token is invalid');
      }
      r.active = false;
      return issue(r.scope);
    }
    return oauth(res, 400, 'unsupported_grant_type', 'unsupported grant type');
  }

  function register(res: ServerResponse, body: string): void {
    if (!dcr()) return oauth(res, 400, 'invalid_request', 'dynamic client registration is not enabled for this project');
    let b: Record<string, unknown>;
    try { b = JSON.parse(body); } catch { return oauth(res, 400, 'invalid_client_metadata', 'body is not JSON'); }
    const uris = Array.isArray(b.redirect_uris) ? b.redirect_uris.map(String) : [];
    if (!uris.length) return oauth(res, 400, 'invalid_redirect_uri', 'redirect_uris is required');
    for (const u of uris) {
      let x: URL;
      try { x = new URL(u); } catch { return oauth(res, 400, 'invalid_redirect_uri', 'redirect_uri must be a URL'); }
      if (x.protocol !== 'https:' && !(x.protocol === 'http:' && x.hostname === '127.0.0.1')) return oauth(res, 400, 'invalid_redirect_uri', `redirect_uri ${u.slice(0, 80)} is not allowed`);
    }
    const method = typeof b.token_endpoint_auth_method === 'string' ? b.token_endpoint_auth_method : 'client_secret_basic';
    const key = method === 'none' ? JSON.stringify(b) : undefined;
    const earlier = key ? dedup.get(key) : undefined;
    const clientId = earlier ?? `connected-app-test-${randomBytes(8).toString('hex')}`;
    const secret = method === 'none' ? undefined : randomBytes(24).toString('base64url');
    if (!earlier) clients.set(clientId, { redirectUris: uris, secret });
    if (key && !earlier) dedup.set(key, clientId);
    json(res, 201, { client_id: clientId, client_name: b.client_name ?? '', redirect_uris: uris, token_endpoint_auth_method: method, grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], ...(secret ? { client_secret: secret } : {}) });
  }

  return {
    publicJwks,
    get issuer() { return originOf(); },
    handle(req, res, url, body) {
      const p = url.pathname;
      if (req.method === 'GET' && (p === '/.well-known/openid-configuration' || p === '/.well-known/oauth-authorization-server')) { json(res, 200, discovery()); return true; }
      if (req.method === 'GET' && p === '/.well-known/jwks.json') { json(res, 200, publicJwks); return true; }
      if (req.method === 'POST' && p === '/v1/oauth2/register') { register(res, body); return true; }
      if (req.method === 'POST' && p === '/v1/oauth2/token') { void token(req, res, body); return true; }
      if (req.method === 'POST' && p === '/v1/idp/oauth/authorize') { idpAuthorize(res, body); return true; }
      return false;
    },
  };
}

/**
 * The user's own app (on `localhost`, another host than the project domain): `/oauth/authorize`
 * renders Stytch's IdentityProvider component, which — the user signed in and consent given —
 * sends the browser on at once; every other path is the app's home page.
 */
export async function startIdpSite(projectOrigin: () => string): Promise<{ origin: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/oauth/authorize') { res.writeHead(200, { 'content-type': 'text/html' }); return res.end('<!doctype html><title>Todo app</title><h1>Welcome to the Todo app</h1><p>Sign in to see your lists.</p>'); }
    // parseOAuthAuthorizeParams: response_type defaults to code.
    const params = Object.fromEntries(url.searchParams);
    fetch(`${projectOrigin()}/v1/idp/oauth/authorize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response_type: 'code', ...params }) })
      .then(async (r) => {
        const j = await r.json() as { redirect_uri?: string; error_message?: string };
        if (!j.redirect_uri) { res.writeHead(400, { 'content-type': 'text/html' }); return res.end(`<title>Error</title><h1>${String(j.error_message ?? 'error').replace(/[<>&]/g, '')}</h1>`); }
        res.writeHead(302, { location: j.redirect_uri });
        res.end();
      }, () => { res.writeHead(500); res.end(); });
  });
  await new Promise<void>((r) => server.listen(0, () => r()));
  return { origin: `http://localhost:${(server.address() as { port: number }).port}`, close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }) };
}
