/**
 * The authorization server of the Auth0 fake's tenant, on the fake's own origin (as
 * `<tenant>.auth0.com` serves both `/api/v2` and `/authorize`), whose behaviour follows the tenant
 * settings the Management API changes — so a test can configure a tenant one setting at a time,
 * as a new user does, and watch the doctor's diagnosis of each layer:
 *
 * - `flags.enable_dynamic_client_registration`: off — no `registration_endpoint` in discovery and
 *   `/oidc/register` answers 403; on — open registration of third-party clients (`tpc_` ids).
 * - third-party (DCR) clients sign in only through domain-level connections
 *   (`is_domain_connection`); without one the sign-in ends on Auth0's error page
 *   ("Oops!, something went wrong" … "invalid_request: no connections enabled for the client").
 * - `resource_parameter_profile`: `audience` (default) ignores `resource`, so without `audience`
 *   the token is an encrypted JWT for nobody (Auth0's JWE); `compatibility` lets `resource` pick
 *   the API whose identifier equals it (an unknown one: access_denied "Service not found").
 * - third-party clients need a client grant `default_for: third_party_clients` for the API.
 * - `authorization_response_iss_parameter_supported`: advertised and `iss` sent when true.
 * - `code_challenge_methods_supported` lists `plain` beside S256, as Auth0's discovery does (a
 *   provider behaviour no setting changes).
 * Sources: ../shared/reference/provider-apis.md §2 (Auth0), its DCR and resource-profile notes.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK } from 'jose';
import type { Auth0State } from './auth0.js';

/**
 * What differs between providers' authorization servers; everything else (codes, PKCE, refresh
 * rotation, discovery) is shared. `auth0Profile` and `clerkProfile` read their fake's state on
 * every request, so a Management API change takes effect at once.
 */
export interface TenantProfile {
  issuer(origin: string): string;
  paths: { authorize: string; token: string; register: string };
  dcr(): boolean;
  /** A client known to the provider (first-party, or registered through the Management API). */
  client(id: string): { clientId: string; secret?: string; redirectUris: string[]; public: boolean; thirdParty: boolean } | undefined;
  /** Store a dynamically registered client where the provider keeps them. */
  addClient(c: { clientId: string; name: string; redirectUris: string[]; method: string; secret?: string }): void;
  /** An error page instead of a sign-in (e.g. no login connection for the client), or undefined. */
  signInRefused(client: { thirdParty: boolean }): string | undefined;
  /** The audience the request selects, and whether it is refused (access_denied text). */
  audience(p: URLSearchParams, client: { clientId: string; thirdParty: boolean }): { audience?: string; refused?: string };
  /** A JWT access token (with these claims' audience), or an opaque/encrypted one. */
  tokenKind(audience: string | undefined): 'jwt' | 'jwe' | 'opaque';
  iss(): boolean;
  pkceMethods: string[];
  extraMetadata?: (origin: string) => Record<string, unknown>;
}

interface Code { clientId: string; redirectUri: string; challenge?: string; method?: string; audience?: string; scope: string; used: boolean }
interface Refresh { clientId: string; audience?: string; scope: string; family: string; active: boolean }

export interface TenantAs {
  handle(req: IncomingMessage, res: ServerResponse, url: URL, body: string): boolean;
  publicJwks: { keys: JWK[] };
}

const ERROR_PAGE = (message: string) => `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Error</title>
<style>body{font-family:sans-serif}.error-description{color:#555}</style><script>window.__tracking = "x";</script></head>
<body><div class="container"><div class="card"><img src="https://cdn.auth0.com/website/auth0-logo.svg" alt="Auth0">
<h1>Oops!, something went wrong</h1>
<div class="message-wrapper"><p class="error-description">${message.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)}</p></div>
<div class="tracking">TRACKING ID <span>${randomBytes(8).toString('hex')}</span></div></div></div></body></html>`;

/** Auth0: the settings listed at the top of this file. */
export function auth0Profile(state: Auth0State): TenantProfile {
  const s = state.settings as { flags?: Record<string, boolean>; resource_parameter_profile?: string; authorization_response_iss_parameter_supported?: boolean; default_audience?: string };
  return {
    issuer: (origin) => `${origin}/`,
    paths: { authorize: '/authorize', token: '/oauth/token', register: '/oidc/register' },
    dcr: () => !!s.flags?.enable_dynamic_client_registration,
    client: (id) => {
      const c = state.clients.get(id);
      return c ? { clientId: id, secret: c.client_secret as string | undefined, redirectUris: (c.callbacks as string[]) ?? [], public: c.token_endpoint_auth_method === 'none', thirdParty: c.is_first_party === false } : undefined;
    },
    addClient: (c) => {
      state.clients.set(c.clientId, { client_id: c.clientId, name: c.name, callbacks: c.redirectUris, token_endpoint_auth_method: c.method, is_first_party: false, app_type: 'regular_web', ...(c.secret ? { client_secret: c.secret } : {}) });
    },
    signInRefused: (client) => (client.thirdParty && !state.connections.some((c) => c.is_domain_connection) ? 'invalid_request: no connections enabled for the client' : undefined),
    audience: (p, client) => {
      // `audience`, then `resource` under the compatibility profile, then the default audience.
      const audience = p.get('audience') ?? (s.resource_parameter_profile === 'compatibility' ? p.get('resource') ?? undefined : undefined) ?? s.default_audience ?? undefined;
      if (!audience) return {};
      if (!state.resourceServers.some((r) => r.identifier === audience)) return { refused: `Service not found: ${audience}` };
      if (client.thirdParty && !state.grants.some((g) => g.audience === audience && g.default_for === 'third_party_clients')) {
        return { refused: `Client "${client.clientId}" is not authorized to access resource server "${audience}".` };
      }
      return { audience };
    },
    // No API applies: Auth0 issues an encrypted token for its own userinfo endpoint.
    tokenKind: (audience) => (audience ? 'jwt' : 'jwe'),
    iss: () => !!s.authorization_response_iss_parameter_supported,
    pkceMethods: ['S256', 'plain'],
    extraMetadata: (origin) => ({ device_authorization_endpoint: `${origin}/oauth/device/code`, mfa_challenge_endpoint: `${origin}/mfa/challenge` }),
  };
}

export async function tenantAuthorizationServer(profile: TenantProfile, originOf: () => string): Promise<TenantAs> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `tenant-${randomBytes(4).toString('hex')}`;
  const publicJwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] };
  const codes = new Map<string, Code>();
  const refreshes = new Map<string, Refresh>();
  const issuer = () => profile.issuer(originOf());

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(JSON.stringify(body));
  };
  const page = (res: ServerResponse, status: number, message: string) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
    res.end(ERROR_PAGE(message));
  };

  const discovery = () => ({
    issuer: issuer(),
    authorization_endpoint: `${originOf()}${profile.paths.authorize}`,
    token_endpoint: `${originOf()}${profile.paths.token}`,
    userinfo_endpoint: `${originOf()}/userinfo`,
    jwks_uri: `${originOf()}/.well-known/jwks.json`,
    ...(profile.dcr() ? { registration_endpoint: `${originOf()}${profile.paths.register}` } : {}),
    scopes_supported: ['openid', 'profile', 'offline_access', 'email'],
    response_types_supported: ['code'],
    code_challenge_methods_supported: profile.pkceMethods,
    response_modes_supported: ['query'],
    subject_types_supported: ['public'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    id_token_signing_alg_values_supported: ['RS256'],
    ...(profile.iss() ? { authorization_response_iss_parameter_supported: true } : {}),
    ...profile.extraMetadata?.(originOf()),
  });

  async function accessToken(clientId: string, audience: string | undefined, scope: string): Promise<string> {
    const kind = profile.tokenKind(audience);
    if (kind === 'jwe') {
      const header = Buffer.from(JSON.stringify({ alg: 'dir', enc: 'A256GCM', iss: issuer() })).toString('base64url');
      return [header, '', randomBytes(12).toString('base64url'), randomBytes(64).toString('base64url'), randomBytes(16).toString('base64url')].join('.');
    }
    if (kind === 'opaque') return `oat_${randomBytes(24).toString('hex')}`;
    const jwt = new SignJWT({ scope, azp: clientId })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid })
      .setIssuer(issuer()).setSubject('user_fake').setIssuedAt().setExpirationTime('1h').setJti(randomBytes(8).toString('hex'));
    if (audience) jwt.setAudience([audience, `${originOf()}/userinfo`]);
    return jwt.sign(privateKey);
  }

  function authorize(res: ServerResponse, p: URLSearchParams): void {
    const client = profile.client(p.get('client_id') ?? '');
    if (!client) return page(res, 400, `invalid_request: Unknown client: ${p.get('client_id') ?? ''}`);
    const redirect = p.get('redirect_uri') ?? '';
    if (!client.redirectUris.includes(redirect)) return page(res, 400, `Callback URL mismatch. ${redirect} is not in the list of allowed callback URLs`);
    const back = (q: Record<string, string>) => {
      const u = new URL(redirect);
      for (const [k, v] of Object.entries(q)) u.searchParams.set(k, v);
      if (p.get('state') !== null) u.searchParams.set('state', p.get('state')!);
      if (profile.iss()) u.searchParams.set('iss', issuer());
      res.writeHead(302, { location: u.href });
      res.end();
    };
    if (p.get('response_type') !== 'code') return back({ error: 'unsupported_response_type', error_description: `Unsupported response type: ${p.get('response_type')}` });
    if ((client.thirdParty || client.public) && !p.get('code_challenge')) return back({ error: 'invalid_request', error_description: 'code_challenge is required' });
    const refusedPage = profile.signInRefused(client);
    if (refusedPage) return page(res, 400, refusedPage);
    const { audience, refused } = profile.audience(p, client);
    if (refused) return back({ error: 'access_denied', error_description: refused });
    const code = randomBytes(20).toString('base64url');
    codes.set(code, { clientId: client.clientId, redirectUri: redirect, challenge: p.get('code_challenge') ?? undefined, method: p.get('code_challenge_method') ?? 'plain', audience, scope: p.get('scope') ?? 'openid', used: false });
    back({ code });
  }

  async function token(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const p = new URLSearchParams(body);
    const { clientId, secret: bsecret } = clientCredentials(req, p);
    const client = profile.client(clientId);
    if (!client) return json(res, 401, { error: 'access_denied', error_description: 'Unauthorized' });
    if (!client.public && (bsecret ?? p.get('client_secret')) !== client.secret) return json(res, 401, { error: 'access_denied', error_description: 'Unauthorized' });
    const issue = async (audience: string | undefined, scope: string, family?: string) => {
      const refresh = `v1.${randomBytes(32).toString('base64url')}`;
      refreshes.set(refresh, { clientId, audience, scope, family: family ?? randomBytes(6).toString('hex'), active: true });
      json(res, 200, { access_token: await accessToken(clientId, audience, scope), refresh_token: refresh, token_type: 'Bearer', expires_in: 3600, scope });
    };
    if (p.get('grant_type') === 'authorization_code') {
      const c = codes.get(p.get('code') ?? '');
      if (!c || c.used || c.clientId !== clientId || c.redirectUri !== p.get('redirect_uri')) return json(res, 403, { error: 'invalid_grant', error_description: 'Invalid authorization code' });
      c.used = true;
      if (c.challenge) {
        const v = p.get('code_verifier') ?? '';
        const ok = c.method === 'S256' ? createHash('sha256').update(v).digest('base64url') === c.challenge : v === c.challenge;
        if (!ok) return json(res, 403, { error: 'invalid_grant', error_description: 'Failed to verify code verifier' });
      }
      return issue(c.audience, c.scope);
    }
    if (p.get('grant_type') === 'refresh_token') {
      const r = refreshes.get(p.get('refresh_token') ?? '');
      if (!r || r.clientId !== clientId) return json(res, 403, { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' });
      if (!r.active) {
        for (const x of refreshes.values()) if (x.family === r.family) x.active = false;
        return json(res, 403, { error: 'invalid_grant', error_description: 'Unknown or invalid refresh token.' });
      }
      r.active = false;
      return issue(r.audience, r.scope, r.family);
    }
    return json(res, 403, { error: 'unsupported_grant_type', error_description: `Unsupported grant type: ${p.get('grant_type')}` });
  }

  function register(res: ServerResponse, body: string): void {
    if (!profile.dcr()) return json(res, 403, { error: 'operation_not_supported', error_description: 'Dynamic client registration is not enabled' });
    let b: Record<string, unknown>;
    try { b = JSON.parse(body); } catch { return json(res, 400, { error: 'invalid_client_metadata', error_description: 'body is not JSON' }); }
    if (!Array.isArray(b.redirect_uris) || !b.redirect_uris.length) return json(res, 400, { error: 'invalid_redirect_uri', error_description: 'redirect_uris is required' });
    const unsafe = b.redirect_uris.find((u) => { try { const x = new URL(String(u)); return !(x.protocol === 'https:' || (x.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(x.hostname))); } catch { return true; } });
    if (unsafe !== undefined) return json(res, 400, { error: 'invalid_redirect_uri', error_description: `redirect_uris: ${String(unsafe).slice(0, 80)} is not allowed` });
    const clientId = `tpc_${randomBytes(12).toString('hex')}`;
    const method = typeof b.token_endpoint_auth_method === 'string' ? b.token_endpoint_auth_method : 'client_secret_basic';
    const secret = method === 'none' ? undefined : randomBytes(24).toString('base64url');
    const name = String(b.client_name ?? 'DCR client');
    profile.addClient({ clientId, name, redirectUris: b.redirect_uris.map(String), method, secret });
    json(res, 201, { client_id: clientId, client_name: name, redirect_uris: b.redirect_uris, token_endpoint_auth_method: method, ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}) });
  }

  return {
    publicJwks,
    handle(req, res, url, body) {
      const p = url.pathname;
      if (req.method === 'GET' && (p === '/.well-known/openid-configuration' || p === '/.well-known/oauth-authorization-server')) { json(res, 200, discovery()); return true; }
      if (req.method === 'GET' && p === '/.well-known/jwks.json') { json(res, 200, publicJwks); return true; }
      if (req.method === 'GET' && p === profile.paths.authorize) { authorize(res, url.searchParams); return true; }
      if (req.method === 'POST' && p === profile.paths.register) { register(res, body); return true; }
      if (req.method === 'POST' && p === profile.paths.token && !/json/.test(String(req.headers['content-type']))) { void token(req, res, body); return true; }
      return false;
    },
  };
}

/** The user's MCP server: protected by the tenant (RFC 9728 metadata naming its issuer), verifying its JWTs. */
/**
 * `checkAudience: false` where the provider's tokens cannot name the MCP server (Supabase's
 * aud "authenticated"); `typ: false` for tokens typed "JWT" rather than RFC 9068's "at+jwt".
 */
/**
 * The client a token request authenticates as (RFC 6749 §2.3.1): HTTP Basic when present, else the
 * form's client_id; `secret` is the Basic password only (a form client_secret is the caller's to read).
 */
export function clientCredentials(req: IncomingMessage, form: URLSearchParams): { clientId: string; secret?: string } {
  const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
  const [id, secret] = basic ? Buffer.from(basic[1]!, 'base64').toString().split(':').map(decodeURIComponent) : [];
  return { clientId: id ?? form.get('client_id') ?? '', secret };
}

export async function startTenantMcp(issuer: string, jwks: { keys: JWK[] }, o: { checkAudience?: boolean; typ?: false } = {}): Promise<{ mcpUrl: string; close(): Promise<void> }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const mcpUrl = `${origin}/mcp`;
  const keys = createLocalJWKSet(jwks);
  const challenge = (error?: string) => `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"${error ? `, error="${error}"` : ''}`;
  server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const path = new URL(req.url ?? '/', origin).pathname;
      if (path.startsWith('/.well-known/oauth-protected-resource')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ resource: mcpUrl, authorization_servers: [issuer], bearer_methods_supported: ['header'] }));
      }
      if (path !== '/mcp' || req.method !== 'POST') { res.writeHead(404); return res.end(); }
      const m = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '');
      if (!m) { res.writeHead(401, { 'www-authenticate': challenge() }); return res.end(); }
      try {
        await jwtVerify(m[1]!, keys, { issuer, ...(o.typ === false ? {} : { typ: 'at+jwt' }), ...(o.checkAudience === false ? {} : { audience: mcpUrl }) });
      } catch {
        res.writeHead(401, { 'www-authenticate': challenge('invalid_token') });
        return res.end();
      }
      let msg: { id?: unknown; method?: string; params?: { protocolVersion?: string } };
      try { msg = JSON.parse(Buffer.concat(chunks).toString()); } catch { res.writeHead(400); return res.end(); }
      if (msg.id === undefined) { res.writeHead(202); return res.end(); }
      const result = msg.method === 'initialize' ? { protocolVersion: msg.params?.protocolVersion ?? '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'tenant-mcp', version: '1.0.0' } }
        : msg.method === 'tools/list' ? { tools: [{ name: 'whoami', inputSchema: { type: 'object' } }] } : {};
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
    });
  });
  return { mcpUrl, close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }) };
}
