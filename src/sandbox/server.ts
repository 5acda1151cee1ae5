/**
 * The embedded reference server: a real, certified authorization server (oidc-provider) plus a
 * protected MCP resource that verifies its JWT access tokens, all on one loopback port.
 *
 * What it offers is what ChatGPT needs: RFC 8414 + OIDC discovery, RFC 9728 metadata, dynamic
 * registration, PKCE S256 (required for public clients), RFC 8707 resource indicators with JWT
 * access tokens bound to the MCP URL, refresh-token rotation and RFC 9207 `iss`.
 *
 * Which oidc-provider settings make the doctor's Security checks pass:
 * - pkce.required, pkce.downgrade: `pkce.required` for clients with auth method `none` (the
 *   authorization request without code_challenge is refused with invalid_request, so no code
 *   without PKCE exists to downgrade).
 * - token.client-auth: oidc-provider authenticates every confidential client (client_secret_post /
 *   _basic registered by DCR) and answers invalid_client with 401.
 * - token.code-client-binding, refresh.client-binding: codes and refresh tokens are bound to their
 *   client by oidc-provider itself (invalid_grant for any other client).
 * - token.type-confusion: access tokens are JWTs with `typ: at+jwt`, verified as such by the MCP
 *   endpoint (`typ` check in jwtVerify); refresh tokens are opaque and only the token endpoint
 *   knows them.
 * - authz.implicit-refused: `responseTypes: ['code']` (unsupported_response_type otherwise).
 * - authz.redirect-exact: oidc-provider compares redirect_uri by exact string.
 * - as.issuer-stable: oidc-provider builds endpoint URLs from the request's Host, so the request
 *   handler below pins Host to the sandbox origin and drops X-Forwarded-* (as a reverse proxy would).
 * - resource.rejects-other-audience: `resourceIndicators` binds each token's `aud` to its resource
 *   (any URL on the sandbox origin is one), and the MCP endpoint checks `aud` = the MCP URL.
 * - token.lifetime: `ttl.AccessToken` 1 h.
 * - refresh.rotation: `rotateRefreshToken` with oidc-provider's reuse detection (a replayed
 *   refresh token revokes the grant).
 */
import { SANDBOX_GPT_ID } from './constants.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import Provider, { errors as oidcErrors } from 'oidc-provider';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose';
import { VERSION } from '../version.js';
import { createMemoryAdapter } from './memory-adapter.js';
import { isHttpsOrLoopback } from '../url.js';
import { gptCallbackUrls } from '../chatgpt/redirects.js';
import { MCP_PROTOCOL_VERSION } from '../chatgpt/client.js';

export interface SandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Show a sign-in page instead of approving every authorization at once. */
  loginPage?: boolean;
  /**
   * Show a consent page the first time each client asks (as most hosted providers do for a new
   * client), or on every authorization ('every-time', as some do for third-party clients);
   * without it the signed-in user approves every client at once.
   */
  consentPage?: boolean | 'every-time';
  /** Put the issuer under a path (e.g. "/tenant/oidc"); then only path-append OIDC discovery answers. */
  issuerPath?: string;
  /** Extra pre-registered clients (e.g. a confidential GPT Actions client). */
  clients?: Record<string, unknown>[];
  /** Access token lifetime in seconds. */
  accessTokenTtl?: number;
  /** Secret of the pre-registered GPT Action client (default: random, never printed). */
  gptClientSecret?: string;
  /**
   * Mixed auth mode (Apps SDK): initialize and tools/list without a token; `echo` is public and
   * `whoami` is protected, answering an anonymous call with the `_meta` challenge.
   */
  mixedAuth?: boolean;
  /**
   * The origin clients reach it at, when that is not its own port (a proxy in front: the latency
   * bench puts a delaying TCP proxy there). Issuer, metadata and URLs use it.
   */
  publicOrigin?: string;
  /** Told about every request the sandbox answered (method, path, status, milliseconds). */
  onRequest?: (line: { method: string; path: string; status: number; ms: number }) => void;
}

/** The confidential client a custom GPT would use, registered with both ChatGPT callbacks. */
/** What loadExistingGrant reads of oidc-provider's request context. */
interface GrantContext {
  oidc: {
    session: { accountId: string; grantIdFor(clientId: string): string | undefined };
    client: { clientId: string };
    params: { scope?: string; resource?: string | string[] };
    result?: { consent?: { grantId?: string } };
  };
}

export interface SandboxGptClient {
  clientId: string;
  clientSecret: string;
  gptId: string;
  scope: string;
  authUrl: string;
  tokenUrl: string;
  apiUrl: string;
}

export interface Sandbox {
  origin: string;
  /** The port it listens on (differs from the origin's with `publicOrigin`). */
  port: number;
  issuer: string;
  mcpUrl: string;
  prmUrl: string;
  userId: string;
  gpt: SandboxGptClient;
  close(): Promise<void>;
}

const SCOPE = 'mcp:tools';
const API_SCOPE = 'api:read';
const USER = 'sandbox-user';
/** The scopes oidc-provider grants as OpenID Connect scopes (the rest are the resource's). */
const OIDC_SCOPES = new Set(['openid', 'offline_access', 'email', 'profile']);
const GPT_ID = SANDBOX_GPT_ID;

export async function startSandbox(o: SandboxOptions = {}): Promise<Sandbox> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const origin = o.publicOrigin ?? `http://127.0.0.1:${port}`;
  const issuerPath = (o.issuerPath ?? '').replace(/\/$/, '');
  const issuer = `${origin}${issuerPath}`;
  const mcpUrl = `${origin}/mcp`;
  const prmUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;
  const apiUrl = `${origin}/api/me`;
  const gpt: SandboxGptClient = {
    clientId: 'gpt-action-sandbox',
    clientSecret: o.gptClientSecret ?? randomBytes(24).toString('base64url'),
    gptId: GPT_ID,
    scope: API_SCOPE,
    authUrl: `${issuer}/auth`,
    tokenUrl: `${issuer}/token`,
    apiUrl,
  };

  // GPT Actions send no resource parameter: their tokens are for the API.
  const defaultResource = (clientId: string | undefined) => (clientId === gpt.clientId ? apiUrl : mcpUrl);

  const keys: JWK[] = [];
  for (const alg of ['ES256', 'RS256'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    keys.push({ ...(await exportJWK(privateKey)), alg, use: 'sig', kid: `sandbox-${alg.toLowerCase()}-${randomBytes(4).toString('hex')}` });
  }
  const publicKeys = keys.map(({ d, p, q, dp, dq, qi, ...pub }) => pub);
  const verifyKeys = createLocalJWKSet({ keys: publicKeys });

  const provider = new Provider(issuer, {
    adapter: createMemoryAdapter(),
    clients: [
      {
        client_id: gpt.clientId,
        client_secret: gpt.clientSecret,
        client_name: 'Sandbox GPT Action',
        redirect_uris: Object.values(gptCallbackUrls(GPT_ID)),
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
      ...(o.clients ?? []),
    ],
    // Redirect URI policy of OAuth 2.1 §2.3.1, applied to every client including registered ones:
    // https, or http on loopback only. (oidc-provider calls this validator for every client.)
    extraClientMetadata: {
      properties: ['gpt_oauth_policy'],
      validator: (_ctx: unknown, key: string, _value: unknown, metadata: { redirect_uris?: string[] }) => {
        if (key !== 'gpt_oauth_policy') return;
        for (const uri of metadata.redirect_uris ?? []) {
          let u: URL;
          try { u = new URL(uri); } catch { throw new oidcErrors.InvalidRedirectUri('redirect_uris must be absolute URLs'); }
          if (!isHttpsOrLoopback(u)) {
            throw new oidcErrors.InvalidRedirectUri('redirect_uris must use https (http only on loopback)');
          }
        }
      },
    },
    jwks: { keys },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    scopes: ['openid', 'offline_access', SCOPE],
    // Only the authorization code flow (no implicit or hybrid response types): authz.implicit-refused.
    responseTypes: ['code'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    findAccount: async (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: async () => ({ sub, name: 'Sandbox User', email: 'user@sandbox.invalid', email_verified: true }),
    }),
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${issuerPath}/interaction/${interaction.uid}` },
    // The sandbox's one user approves every client as soon as they are signed in, as a hosted
    // provider's "skip consent for first-party apps" does: the grant covers what was asked, so a
    // sign-in is three redirects (authorize, sign-in, resume) and an authorization request from a
    // browser that is signed in already gets its code in one, whichever client asks.
    loadExistingGrant: async (ctx: GrantContext) => {
      const { session, client, params, result } = ctx.oidc;
      const id = result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      // consentPage: a client the user has not approved yet gets the consent prompt ('every-time':
      // every authorization does, until its own consent interaction finished).
      if (o.consentPage && !id) return undefined;
      if (o.consentPage === 'every-time' && !result?.consent?.grantId) return undefined;
      const grant = (id ? await provider.Grant.find(id) : undefined) ?? new provider.Grant({ accountId: session.accountId, clientId: client.clientId });
      const asked = String(params.scope ?? '').split(' ').filter(Boolean);
      // oidc-provider counts every scope of its `scopes` list (mcp:tools too) as an OIDC scope.
      if (asked.length) grant.addOIDCScope(asked.join(' '));
      const resources = params.resource === undefined ? [defaultResource(client.clientId)] : [params.resource].flat();
      for (const r of resources) grant.addResourceScope(r, asked.filter((x) => !OIDC_SCOPES.has(x)).join(' '));
      await grant.save();
      return grant;
    },
    // Tokens outlive the browser session, as on hosted providers (oidc-provider's default ends
    // tokens issued without offline_access with the session that approved them).
    expiresWithSession: async () => false,
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      registrationManagement: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx: { oidc: { client?: { clientId: string } } }) => defaultResource(ctx.oidc.client?.clientId),
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          const jwt = { accessTokenFormat: 'jwt', accessTokenTTL: o.accessTokenTtl ?? 3600, jwt: { sign: { alg: 'ES256' } } };
          if (resource === mcpUrl) return { scope: SCOPE, audience: mcpUrl, ...jwt };
          if (resource === apiUrl) return { scope: API_SCOPE, audience: apiUrl, ...jwt };
          // Every other URL on the sandbox's origin is a resource server of its own, so the doctor
          // can obtain a token for "another resource" (resource.rejects-other-audience); the MCP
          // endpoint refuses it because its audience is not the MCP URL.
          if (resource.startsWith(`${origin}/`)) return { scope: SCOPE, audience: resource, ...jwt };
          throw new oidcErrors.InvalidTarget(`unknown resource; this sandbox protects URLs on ${origin}`);
        },
      },
    },
    // PKCE S256 is required of public clients (ChatGPT Apps); confidential clients such as GPT
    // Actions, which cannot send PKCE, may omit it.
    pkce: { methods: ['S256'], required: (_ctx: unknown, client: { clientAuthMethod: string }) => client.clientAuthMethod === 'none' },
    // A refresh token for every client allowed the grant (ChatGPT asks for offline_access too).
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(g: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    clientBasedCORS: () => true,
    ttl: { AccessToken: o.accessTokenTtl ?? 3600, AuthorizationCode: 120, Grant: 86400, Interaction: 600, Session: 86400, RefreshToken: 14 * 86400, IdToken: 3600 },
    renderError: async (ctx: { type: string; body: string; status: number }, out: Record<string, string>) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><meta charset="utf-8"><title>${esc(out.error ?? 'error')}</title><h1>${esc(out.error ?? 'error')}</h1><p>${esc(out.error_description ?? '')}</p>`;
    },
  });
  // With resource indicators, oidc-provider lists only the resource's scopes in token responses;
  // report every scope the grant holds (the OIDC ones are granted too), as ChatGPT compares
  // granted with requested scopes.
  // RFC 6749 §3.3: an authorization request without scope (ChatGPT sends `scope=` when the GPT
  // editor's Scope field is empty) gets the client's resource default instead of an error.
  provider.use(async (ctx: { path: string; method: string; query: Record<string, string | undefined>; querystring: string }, next: () => Promise<void>) => {
    if (ctx.method === 'GET' && ctx.path.endsWith('/auth') && !ctx.query.scope?.trim() && ctx.query.client_id) {
      const params = new URLSearchParams(ctx.querystring);
      params.set('scope', ctx.query.client_id === gpt.clientId ? API_SCOPE : SCOPE);
      ctx.querystring = params.toString();
    }
    await next();
  });
  provider.use(async (ctx: { path: string; body?: Record<string, unknown>; oidc?: { entities?: Record<string, { scope?: string }> } }, next: () => Promise<void>) => {
    await next();
    if (!ctx.path.endsWith('/token') || !ctx.body || typeof ctx.body.access_token !== 'string') return;
    const e = ctx.oidc?.entities ?? {};
    const granted = (e.AuthorizationCode ?? e.RefreshToken)?.scope;
    if (typeof granted !== 'string') return;
    const all = new Set([...String(ctx.body.scope ?? '').split(' '), ...granted.split(' ')].filter(Boolean));
    ctx.body.scope = [...all].join(' ');
  });
  const callback = provider.callback();

  async function interaction(req: IncomingMessage, res: ServerResponse, uid: string, action: string | undefined): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) return send(res, 400, 'text/plain', 'interaction mismatch');
    const prompt = details.prompt as { name: string; details: Record<string, unknown> };
    if (prompt.name === 'login') {
      if (o.loginPage && !(req.method === 'POST' && action === 'login')) {
        return send(res, 200, 'text/html; charset=utf-8', loginPage(`${issuerPath}/interaction/${uid}/login`));
      }
      // Consent follows from loadExistingGrant (the sandbox's one user approves every client).
      return provider.interactionFinished(req, res, { login: { accountId: USER } }, { mergeWithLastSubmission: false });
    }
    if (o.consentPage && prompt.name === 'consent' && !(req.method === 'POST' && action === 'consent')) {
      return send(res, 200, 'text/html; charset=utf-8', consentPage(`${issuerPath}/interaction/${uid}/consent`, String((details.params as { client_id?: string }).client_id ?? '')));
    }
    // Consent for anything loadExistingGrant did not cover (claims, or a new client with
    // consentPage): grant what was asked.
    const params = details.params as { client_id: string; scope?: string };
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    const d = prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  const prm = JSON.stringify({
    resource: mcpUrl,
    authorization_servers: [issuer],
    scopes_supported: [SCOPE],
    bearer_methods_supported: ['header'],
    resource_name: 'gpt-oauth sandbox MCP server',
  });
  const challenge = (error?: string) => `Bearer resource_metadata="${prmUrl}", scope="${SCOPE}"${error ? `, error="${error}"` : ''}`;

  async function mcp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' });
      return void res.end();
    }
    const auth = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    const body = await readBody(req, 1024 * 1024).catch(() => undefined);
    let msg: { id?: unknown; method?: string; params?: Record<string, unknown> };
    try {
      msg = JSON.parse(body ?? '');
    } catch {
      return send(res, 400, 'application/json', JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }));
    }
    let sub: string | undefined;
    if (!m) {
      // Mixed auth: the handshake and the tool list are public; protected tools challenge in _meta.
      const open = o.mixedAuth && ['initialize', 'notifications/initialized', 'tools/list', 'ping'].includes(String(msg?.method))
        || (o.mixedAuth && msg?.method === 'tools/call' && (msg.params as { name?: unknown } | undefined)?.name === 'echo');
      if (o.mixedAuth && msg?.method === 'tools/call' && !open) {
        return send(res, 200, 'application/json', JSON.stringify({
          jsonrpc: '2.0', id: msg.id,
          result: { isError: true, content: [{ type: 'text', text: 'Sign in to use whoami.' }], _meta: { 'mcp/www_authenticate': [`${challenge('insufficient_scope')}, error_description="Sign in to use whoami"`] } },
        }));
      }
      if (!open) {
        res.writeHead(401, { 'www-authenticate': challenge(), 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: 'unauthorized', error_description: 'a bearer token is required' }));
      }
    } else {
      try {
        const { payload } = await jwtVerify(m[1]!, verifyKeys, { issuer, audience: mcpUrl, typ: 'at+jwt', algorithms: ['ES256', 'RS256'] });
        sub = String(payload.sub);
      } catch {
        res.writeHead(401, { 'www-authenticate': challenge('invalid_token'), 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: 'invalid_token' }));
      }
    }
    if (msg.id === undefined) {
      res.writeHead(202);
      return void res.end();
    }
    const reply = (result: unknown) => send(res, 200, 'application/json', JSON.stringify({ jsonrpc: '2.0', id: msg.id, result }));
    switch (msg.method) {
      case 'initialize':
        return reply({
          protocolVersion: typeof msg.params?.protocolVersion === 'string' ? msg.params.protocolVersion : MCP_PROTOCOL_VERSION,
          capabilities: { tools: {} },
          serverInfo: { name: 'gpt-oauth-sandbox', version: VERSION },
        });
      case 'ping':
        return reply({});
      case 'tools/list': {
        const whoami = { name: 'whoami', description: 'Who the access token belongs to', inputSchema: { type: 'object', properties: {} } };
        if (!o.mixedAuth) return reply({ tools: [whoami] });
        return reply({ tools: [
          { name: 'echo', description: 'Echo the input (no sign-in needed)', inputSchema: { type: 'object', properties: { text: { type: 'string' } } }, securitySchemes: [{ type: 'noauth' }] },
          { ...whoami, securitySchemes: [{ type: 'oauth2', scopes: [SCOPE] }] },
        ] });
      }
      case 'tools/call':
        if ((msg.params as { name?: unknown } | undefined)?.name === 'echo') return reply({ content: [{ type: 'text', text: String((msg.params as { arguments?: { text?: unknown } }).arguments?.text ?? '') }] });
        return reply({ content: [{ type: 'text', text: `You are ${sub}.` }] });
      default:
        return send(res, 200, 'application/json', JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } }));
    }
  }

  /** The API a custom GPT Action would call: a protected GET. */
  async function api(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    try {
      if (!m) throw new Error('no token');
      const { payload } = await jwtVerify(m[1]!, verifyKeys, { issuer, audience: apiUrl, typ: 'at+jwt', algorithms: ['ES256', 'RS256'] });
      return send(res, 200, 'application/json', JSON.stringify({ sub: payload.sub, name: 'Sandbox User' }));
    } catch {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="sandbox-api"${m ? ', error="invalid_token"' : ''}`, 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: 'invalid_token' }));
    }
  }

  server.on('request', (req: IncomingMessage & { originalUrl?: string }, res: ServerResponse) => {
    if (o.onRequest) {
      const started = performance.now();
      const method = req.method ?? 'GET';
      const path = (req.url ?? '/').split('?')[0]!;
      res.once('finish', () => o.onRequest!({ method, path, status: res.statusCode, ms: Math.round(performance.now() - started) }));
    }
    // oidc-provider builds its endpoint URLs from the request's Host (and, with proxy mode,
    // X-Forwarded-*). A deployment pins them at its reverse proxy; the sandbox pins them here, so
    // another Host cannot move the metadata's endpoints (as.issuer-stable, RFC 9700 §4.4).
    req.headers.host = new URL(origin).host;
    for (const h of ['x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-for', 'forwarded']) delete req.headers[h];
    // A request target the URL parser refuses (e.g. `//[`) gets 400; it must not take the sandbox down.
    let url: URL;
    try {
      url = new URL(req.url ?? '/', origin);
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' });
      return void res.end('Bad request\n');
    }
    const path = url.pathname;
    const handle = async () => {
      if (path === '/mcp') return mcp(req, res);
      if (path === '/api/me') return api(req, res);
      if (path === '/.well-known/oauth-protected-resource/mcp' || path === '/.well-known/oauth-protected-resource') {
        return send(res, 200, 'application/json', prm);
      }
      const im = new RegExp(`^${escapeRe(issuerPath)}/interaction/([\\w-]+)(?:/(login|consent))?$`).exec(path);
      if (im) return interaction(req, res, im[1]!, im[2]);
      if (!issuerPath && path === '/.well-known/oauth-authorization-server') {
        // Same document under the RFC 8414 name, so RFC 8414-only clients find it first.
        req.url = `/.well-known/openid-configuration${url.search}`;
        return callback(req, res);
      }
      if (issuerPath && (path === issuerPath || path.startsWith(`${issuerPath}/`))) {
        req.originalUrl = req.url;
        req.url = req.url!.slice(issuerPath.length) || '/';
        return callback(req, res);
      }
      if (!issuerPath) return callback(req, res);
      return send(res, 404, 'application/json', JSON.stringify({ error: 'not_found' }));
    };
    handle().catch((err: Error) => {
      if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ error: 'server_error', error_description: err.message }));
      else res.end();
    });
  });

  return {
    origin, port, issuer, mcpUrl, prmUrl, userId: USER, gpt,
    close: () => closeServer(server),
  };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) { reject(new Error('too large')); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function consentPage(action: string, clientId: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Allow access — gpt-oauth sandbox</title></head>
<body><h1>Allow access?</h1><p>The application ${esc(clientId)} asks for access to the sandbox's MCP server.</p>
<form method="post" action="${esc(action)}"><button type="submit" id="approve">Allow</button></form></body></html>`;
}

function loginPage(action: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Sign in — gpt-oauth sandbox</title></head>
<body><h1>gpt-oauth sandbox</h1><p>This is the sandbox's test user. No password needed.</p>
<form method="post" action="${esc(action)}"><button type="submit" id="sign-in">Sign in as ${USER}</button></form></body></html>`;
}
