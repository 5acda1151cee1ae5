/**
 * The sandbox's authorization server: oidc-provider (a certified implementation) set up as
 * ChatGPT needs it, with the sandbox's one user, who approves every client at once, or on a
 * sign-in page (`loginPage`) and a consent page (`consentPage`) when a test asks for them.
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
 *   handler in server.ts pins Host to the sandbox origin and drops X-Forwarded-* (as a reverse
 *   proxy would).
 * - resource.rejects-other-audience: `resourceIndicators` binds each token's `aud` to its resource
 *   (any URL on the sandbox origin is one), and the MCP endpoint checks `aud` = the MCP URL.
 * - token.lifetime: `ttl.AccessToken` 1 h.
 * - refresh.rotation: `rotateRefreshToken` with oidc-provider's reuse detection (a replayed
 *   refresh token revokes the grant).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Provider, { errors as oidcErrors } from 'oidc-provider';
import type { JWK } from 'jose';
import { createMemoryAdapter } from './memory-adapter.js';
import { API_SCOPE, SCOPE, USER } from './constants.js';
import { send } from './http.js';
import { isHttpsOrLoopback } from '../url.js';
import { gptCallbackUrls } from '../chatgpt/redirects.js';

/** What loadExistingGrant reads of oidc-provider's request context. */
interface GrantContext {
  oidc: {
    session: { accountId: string; grantIdFor(clientId: string): string | undefined };
    client: { clientId: string };
    params: { scope?: string; resource?: string | string[] };
    result?: { consent?: { grantId?: string } };
  };
}

/** The scopes oidc-provider grants as OpenID Connect scopes (the rest are the resource's). */
const OIDC_SCOPES = new Set(['openid', 'offline_access', 'email', 'profile']);

/** What the authorization server is built from: the sandbox's options (SandboxOptions), URLs, GPT Action client and signing keys. */
interface AuthorizationServerSetup {
  o: { loginPage?: boolean; consentPage?: boolean | 'every-time'; clients?: Record<string, unknown>[]; accessTokenTtl?: number };
  issuer: string;
  issuerPath: string;
  origin: string;
  mcpUrl: string;
  apiUrl: string;
  gpt: { clientId: string; clientSecret: string; gptId: string };
  keys: JWK[];
}

/** oidc-provider's request handler (`callback`) and the sign-in and consent pages (`interaction`). */
export function createAuthorizationServer(s: AuthorizationServerSetup) {
  const { o, issuer, issuerPath, origin, mcpUrl, apiUrl, gpt, keys } = s;
  // GPT Actions send no resource parameter: their tokens are for the API.
  const defaultResource = (clientId: string | undefined) => (clientId === gpt.clientId ? apiUrl : mcpUrl);

  const provider = new Provider(issuer, {
    adapter: createMemoryAdapter(),
    clients: [
      {
        client_id: gpt.clientId,
        client_secret: gpt.clientSecret,
        client_name: 'Sandbox GPT Action',
        redirect_uris: Object.values(gptCallbackUrls(gpt.gptId)),
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

  return { callback, interaction };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

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
