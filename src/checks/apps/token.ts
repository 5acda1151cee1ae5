/** `token.*`: the code exchange and the access token ChatGPT receives. */
import * as oidc from 'openid-client';
import type { CheckDef, Outcome } from '../types.js';
import { as, fail, incomplete, info, pass, prepared, warn } from '../types.js';
import type { HttpResponse } from '../../http/client.js';
import { oauthError, readJsonObject } from '../../http/json.js';
import { audiences, tokenShape, verifyJwt, ASYMMETRIC_ALGS } from '../../oauth/jwt.js';
import { quoted, safeText } from '../../text.js';
import { bearerChallenge } from '../../oauth/www-authenticate.js';
import { fixCommand, fixFor } from '../advice.js';
import { endpointUrl, resourceOf, tokenLookup, type AppsContext, type Client } from './context.js';
import { capturingFetch, CLIENT_HINT, deadlineOf, judgeTokenResponse, oidcConfig, tokenRequest, tokenRequestAs, underlyingMessage } from './token-endpoint.js';
import { initializeRequest, mcpPost, MCP_PROTOCOL_VERSION } from './mcp-client.js';
import { codeOrAbort, isolated, otherClient, ownPublicClient, redeemForm, registerClient, unregisteredClient, type Code } from './grants.js';
import { randomToken } from '../../oauth/pkce.js';
import { CHATGPT_SAYS } from '../../chatgpt/messages.js';
import { connectorCallback } from '../../chatgpt/redirects.js';
import { refs } from '../spec.js';

export const tokenExchange: CheckDef<AppsContext> = {
  id: 'token.exchange',
  title: 'Code exchange with `resource` returns a Bearer access token with numeric expires_in',
  severity: 'critical',
  impact: 'chatgpt',
  step: 'Tokens',
  needs: ['authz.state'],
  spec: refs('RFC 6749 §4.1.3, §5.1', 'RFC 7636 §4.5', 'RFC 8707 §2.2'),
  reads: ['main', 'as', 'client', 'prm', 'provider'],
  writes: ['tokens'],
  chatgpt: CHATGPT_SAYS.connecting,
  async run(ctx) {
    const main = ctx.s.main!;
    const config = oidcConfig(ctx);
    const sink: { res?: HttpResponse } = {};
    config[oidc.customFetch] = capturingFetch(ctx, sink) as never;
    // state and iss were judged by authz.*; hand openid-client a callback it can accept so the
    // exchange itself is tested even when those failed.
    const cb = new URL(main.redirectUri);
    cb.searchParams.set('code', main.callback.searchParams.get('code')!);
    cb.searchParams.set('state', main.state);
    if (ctx.s.as!.authorization_response_iss_parameter_supported === true && ctx.s.as!.issuer) cb.searchParams.set('iss', ctx.s.as!.issuer);
    let libError: Error | undefined;
    try {
      await oidc.authorizationCodeGrant(config, cb, { pkceCodeVerifier: main.pkce.verifier, expectedState: main.state }, { resource: resourceOf(ctx) });
    } catch (err) {
      libError = err as Error;
    }
    if (!sink.res) return deadlineOf(libError) ?? fail(`the exchange could not be completed: ${safeText(underlyingMessage(libError), 300)}`, 'Make the token endpoint answer within --timeout with a response under 1 MiB.');
    const judged = judgeTokenResponse(sink.res, 'code exchange');
    if (judged.tokens) ctx.s.tokens = judged.tokens;
    if (judged.outcome && ctx.s.client?.source === 'cimd' && /invalid_client/.test(judged.outcome.detail)) {
      return { status: 'skip', detail: `the server wants ChatGPT's CIMD client to authenticate (${judged.outcome.detail}); ChatGPT signs a private_key_jwt assertion with its own key, which the doctor cannot do. Test the rest with a predefined client (--client-id)` };
    }
    if (judged.outcome && ctx.s.client?.source === 'predefined' && /invalid_client/.test(judged.outcome.detail)) {
      return incomplete(`the token endpoint refused the client you gave (${judged.outcome.detail})`, CLIENT_HINT);
    }
    if (judged.outcome) {
      const o = judged.outcome;
      if (sink.res.status !== 200 && !o.fix) {
        o.fix = fixFor(ctx.s.provider, {
          auth0: 'with token_endpoint_auth_method "none", the application must be a public (Native/SPA) client; check that the API allows the client (client grant)',
          generic: 'the token endpoint must accept the code with client_id, redirect_uri, code_verifier and resource form-encoded (public client, no secret)',
        });
      }
      return o;
    }
    if (libError) {
      return fail(`the token response is not acceptable to a strict OAuth client (openid-client): ${safeText(libError.message, 300)}`, 'Fix the response so it follows RFC 6749 §5.1 (and OIDC Core §3.1.3.3 when an id_token is returned).', undefined, true);
    }
    const b = judged.tokens!.body;
    return pass(`access token (${tokenShape(judged.tokens!.accessToken!).kind}), token_type ${safeText(b.token_type, 20)}, expires_in ${b.expires_in ?? 'absent'}${judged.tokens!.refreshToken ? ', refresh token' : ''}`);
  },
};

export const tokenNoStore: CheckDef<AppsContext> = {
  id: 'token.no-store',
  title: 'Token responses carry Cache-Control: no-store',
  severity: 'low',
  impact: 'security',
  step: 'Tokens',
  needs: ['token.exchange'],
  spec: refs('RFC 6749 §5.1', 'OAuth 2.1 §3.2.3'),
  reads: ['tokens'],
  run(ctx) {
    const cc = ctx.s.tokens!.response.header('cache-control') ?? '';
    if (/\bno-store\b/i.test(cc)) return pass(`Cache-Control: ${safeText(cc, 80)}`);
    return warn(`Cache-Control is ${cc ? `${quoted(cc, 80)}` : 'missing'}; proxies may cache tokens`, 'Send Cache-Control: no-store on token responses.');
  },
};

/**
 * A narrower grant than ChatGPT asked for: the consequence decides. Since August 2026 ChatGPT
 * shows "not all requested permissions were granted" and goes on (in 2025 it stopped with
 * CHATGPT_SAYS.scopes); the connection then fails only if the MCP server refuses that token.
 */
export const tokenScopes: CheckDef<AppsContext> = {
  id: 'token.scopes',
  title: 'Granted scopes cover the requested ones, or the MCP server accepts the narrower token',
  severity: 'high',
  impact: 'chatgpt',
  step: 'Tokens',
  needs: ['token.exchange'],
  spec: refs('RFC 6749 §3.3', 'RFC 6749 §5.1', 'MCP 2025-11-25 Authorization §Scope Selection Strategy'),
  reads: ['scopes', 'tokens', 'provider'],
  rounds: 3, // initialize, notifications/initialized, tools/list with the narrower token
  chatgpt: CHATGPT_SAYS.connecting,
  async run(ctx) {
    const requested = ctx.s.scopes ?? [];
    const granted = ctx.s.tokens!.scope;
    if (granted === undefined) return pass(`no scope in the response, which means the requested scopes (${requested.join(' ') || 'none'}) were granted (RFC 6749 §5.1)`);
    const got = new Set(granted.split(/\s+/).filter(Boolean));
    // offline_access is answered by issuing a refresh token, not by echoing it.
    const missing = requested.filter((s) => !got.has(s) && !(s === 'offline_access' && ctx.s.tokens!.refreshToken));
    if (!missing.length) return pass(`granted ${quoted(granted, 200)} for requested "${requested.join(' ')}"`);
    const fix = fixFor(ctx.s.provider, {
      auth0: 'ChatGPT requests every OIDC scope the tenant advertises; add a Post-Login Action that grants them, or enable each scope for the API',
      generic: 'grant every requested scope, or stop advertising scopes the client cannot get (ChatGPT requests the challenge/PRM scopes plus advertised OIDC scopes and offline_access)',
    });
    const said = `requested "${requested.join(' ')}" but the token response grants ${quoted(granted, 200)}`;
    // The resource's own scopes (from the 401 challenge or the PRM) are what the tools need.
    const resourceMissing = missing.filter((s) => !isOidcScope(s));
    if (!resourceMissing.length) {
      // Only OIDC scopes missing: what a resource-bound token from oidc-provider looks like.
      return warn(`${said}: only the OpenID Connect scope(s) ${missing.join(', ')} are missing, which ChatGPT reports as a warning ("${CHATGPT_SAYS.scopesPartial}") and still connects`,
        fix, CHATGPT_SAYS.scopesPartial);
    }
    const refused = await scopeRefusal(ctx, ctx.s.tokens!.accessToken!);
    if (refused) {
      return { ...fail(`${said} (missing: ${resourceMissing.join(', ')}), and the MCP server refuses that token: ${refused}`, fix, undefined, true),
        explains: ['resource.accepts-token', 'resource.handshake'] };
    }
    return warn(`${said} (missing: ${resourceMissing.join(', ')}); ChatGPT shows "${CHATGPT_SAYS.scopesPartial}" and goes on (August 2026; in 2025 it stopped with "${CHATGPT_SAYS.scopes}"), and the MCP server accepted the narrower token for initialize and tools/list (no tool was called: a tool that needs ${resourceMissing.join(', ')} may still refuse it)`,
      fix, CHATGPT_SAYS.scopesPartial);
  },
};

/**
 * Does the MCP server refuse `token` for what it lacks? initialize and tools/list with it (never a
 * tool call: tools have effects): a 401/403, or a JSON-RPC error that names a scope.
 */
async function scopeRefusal(ctx: AppsContext, token: string): Promise<string | undefined> {
  const denied = (res: HttpResponse, what: string) => {
    const ch = bearerChallenge(res.header('www-authenticate'));
    return `${what} answered ${res.status}${ch?.params.error ? ` ${safeText(ch.params.error, 40)}` : ''}${ch?.params.scope ? ` (scope ${quoted(ch.params.scope, 120)})` : ''}`;
  };
  try {
    const init = await mcpPost(ctx, initializeRequest(1), token);
    if (init.res.status === 401 || init.res.status === 403) return denied(init.res, 'initialize');
    const result = init.message?.result as { protocolVersion?: unknown } | undefined;
    if (!result) return undefined;
    const session = { id: init.res.header('mcp-session-id'), version: typeof result.protocolVersion === 'string' ? result.protocolVersion : MCP_PROTOCOL_VERSION };
    await mcpPost(ctx, { jsonrpc: '2.0', method: 'notifications/initialized' }, token, session);
    const list = await mcpPost(ctx, { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }, token, session);
    if (list.res.status === 401 || list.res.status === 403) return denied(list.res, 'tools/list');
    const error = list.message?.error;
    if (error && /scope/i.test(JSON.stringify(error))) return `tools/list answered a JSON-RPC error naming scope: ${safeText(JSON.stringify(error), 200)}`;
  } catch {
    return undefined;
  }
  return undefined;
}

/** Advertised OpenID Connect scopes ChatGPT adds on top of the resource's own. */
const isOidcScope = (s: string) => ['openid', 'profile', 'email'].includes(s);

/**
 * Send an initialize with `token` to the MCP server: does it accept it? Used to judge findings
 * whose impact depends on it (an unbound audience the server accepts is a security problem; one
 * it refuses breaks ChatGPT).
 */
async function mcpAccepts(ctx: AppsContext, token: string): Promise<boolean | undefined> {
  try {
    const r = await mcpPost(ctx, initializeRequest(1), token);
    return r.res.status < 300 ? true : r.res.status === 401 || r.res.status === 403 ? false : undefined;
  } catch {
    return undefined;
  }
}

export const tokenJwtSignature: CheckDef<AppsContext> = {
  id: 'token.jwt-signature',
  title: 'A JWT access token verifies against the JWKS (asymmetric alg, iss, exp)',
  severity: 'high',
  impact: 'chatgpt',
  step: 'Tokens',
  needs: ['token.exchange'],
  spec: refs('RFC 9068 §4', 'RFC 8725 §3.1', 'RFC 7519 §4.1'),
  reads: ['tokens', 'jwks', 'as', 'provider'],
  async run(ctx) {
    const at = ctx.s.tokens!.accessToken!;
    const shape = tokenShape(at);
    if (shape.kind === 'opaque') return info(`the access token is opaque (not a JWT): to check issuer, expiry and audience, ${tokenLookup(ctx)}`);
    if (shape.kind === 'malformed-jwt') {
      // ChatGPT treats the token as opaque; it breaks only if the MCP server cannot use it.
      const accepted = await mcpAccepts(ctx, at);
      return { ...fail(`the access token is a malformed JWT: ${shape.reason}`, 'Issue well-formed signed JWTs (RFC 7519, RFC 9068) or opaque tokens, not something in between.', CHATGPT_SAYS.connecting, true), impact: accepted ? 'interop' : 'chatgpt' };
    }
    if (shape.kind === 'jwe') {
      return as('interop', warn('the access token is an encrypted JWT (JWE); the MCP server can only use it if it holds the decryption key',
        fixFor(ctx.s.provider, { auth0: 'Auth0 issues JWE/opaque tokens when no API audience applies; set the API identifier to the MCP URL (resource parameter profile or default audience)', generic: 'issue signed JWT access tokens (RFC 9068) for the MCP resource' })));
    }
    const alg = String(shape.header.alg);
    if (!ASYMMETRIC_ALGS.includes(alg)) {
      // A symmetric token the MCP server accepts: issuer and resource are one service holding the
      // secret, and ChatGPT treats the token as opaque. Not a failure.
      if (/^HS/.test(alg) && await mcpAccepts(ctx, at)) {
        return info(`the access token is signed with the symmetric ${safeText(alg, 20)}; the MCP server accepts it, so issuer and resource share the secret. Only a resource server holding that secret can verify it (no other service can use the JWKS for it)`);
      }
      return as('interop', fail(`the access token uses alg ${quoted(alg, 20)}; resource servers cannot verify it with public keys`, 'Sign access tokens with RS256 or ES256.', undefined, true));
    }
    if (!ctx.s.jwks) return as('interop', fail('the access token is a JWT but no usable key set was found to verify it', 'Publish jwks_uri in the metadata.', undefined, true));
    const v = await verifyJwt(at, ctx.s.jwks as never, ctx.s.as!.issuer!);
    if (!v.ok) {
      // The MCP server refusing it breaks ChatGPT; accepting it means it does not use the published keys.
      const accepted = await mcpAccepts(ctx, at);
      const o = fail(`the access token does not verify against the published key set: ${v.reason}${accepted ? ' (the MCP server accepts it anyway, so it does not verify with the published keys)' : ''}`,
        /claim "iss"/.test(v.reason) ? 'Set iss in access tokens to the metadata issuer, byte for byte.'
          : /claim "/.test(v.reason) ? 'Issue access tokens whose registered claims are valid (exp in the future, nbf and iat not ahead of the clock).'
            : 'Sign access tokens with a key published at jwks_uri (rotate the published set before a new key is used).', CHATGPT_SAYS.connecting, true);
      return accepted ? as('interop', o) : o;
    }
    return pass(`${v.alg} signature verifies; iss ${safeText(v.payload.iss, 120)}; expires in ${v.payload.exp ? Math.round(v.payload.exp - Date.now() / 1000) : '?'} s`);
  },
};

/** Shared by token.audience and refresh.audience. */
export async function judgeAudience(ctx: AppsContext, token: string, what: string, diagnose = false): Promise<Outcome> {
  const shape = tokenShape(token);
  if (shape.kind === 'malformed-jwt') return as('interop', fail(`the ${what} is a malformed JWT; its audience cannot be read`, 'Issue well-formed JWT access tokens.', undefined, true));
  const resource = resourceOf(ctx);
  if (shape.kind !== 'jwt') {
    const kind = shape.kind === 'jwe' ? 'encrypted (JWE)' : 'opaque';
    // Whether the MCP server can use it is the only evidence there is: when it refuses the token
    // the authorization server issued for ChatGPT's request with resource=<MCP URL>, the token is
    // not for the MCP server (RFC 8707 §2: the server should audience-restrict it to the resource).
    if (diagnose && (await mcpAccepts(ctx, token)) === false) {
      return { ...as('chatgpt', fail(`the authorization server ignored the resource parameter: ChatGPT's request named resource=${resource}, the ${what} is ${kind}, and the MCP server refuses it — the token was not issued for the MCP server`,
        fixFor(ctx.s.provider, {
          auth0: `Auth0 ignores resource unless the tenant's resource_parameter_profile is "compatibility", and then needs an API whose identifier is exactly ${resource} (Settings → Advanced → Resource Parameter Compatibility Profile; Applications → APIs); ${fixCommand(ctx.opts.mcpUrl)}`,
          // Clerk issues opaque oat_ tokens unless JWT access tokens are on (provider-apis.md, Clerk).
          clerk: `turn on JWT access tokens for OAuth applications (instance setting oauth_jwt_access_tokens; Configure → OAuth applications), or make the MCP server verify Clerk's opaque tokens; ${fixCommand(ctx.opts.mcpUrl)}`,
          generic: `issue the access token for the resource named by the resource parameter (RFC 8707 §2): a JWT whose aud contains ${resource}, or an opaque token the MCP server can introspect`,
        }), CHATGPT_SAYS.connecting, true)), explains: RESOURCE_IGNORED_EXPLAINS };
    }
    return info(`the ${what} is ${kind === 'opaque' ? 'opaque' : 'encrypted'}; its audience can only be checked where the token is looked up: ${tokenLookup(ctx)}${diagnose ? '; the MCP server accepts it' : ''}`);
  }
  const aud = audiences(shape.payload);
  if (aud.includes(resource)) return pass(`aud ${JSON.stringify(aud).slice(0, 200)} contains ${resource}`);
  const fix = fixFor(ctx.s.provider, {
    auth0: `create an API whose identifier is ${resource} and either enable the "Resource Parameter Compatibility Profile" or make it the tenant's Default Audience`,
    supabase: 'Supabase tokens always carry aud "authenticated"; the MCP server must check iss and client_id instead, and you should warn users that audience binding is not possible',
    // A custom audience is per Connected App; the clients ChatGPT registers itself cannot have one (provider-apis.md §3).
    stytch: ctx.s.client?.source === 'dcr'
      ? 'Stytch tokens for clients ChatGPT registers itself carry the project id as aud (a custom audience is per Connected App, and a registered client has none); the MCP server must check the issuer and aud = the project id, and the client_id'
      : `set access_token_custom_audience ${resource} on the Connected App`,
    keycloak: `add an "Audience" protocol mapper with ${resource} to the client scope`,
    clerk: 'enable JWT access tokens for OAuth applications and include the resource as audience',
    // refresh.audience runs after token.audience judged the code exchange's token: its fix is
    // about refreshed tokens, which is where this one went wrong.
    generic: what === 'refreshed access token'
      ? `put the resource parameter (${resource}) into the aud claim of refreshed access tokens too: ChatGPT sends it with every refresh (RFC 8707 §2.2)`
      : `put the resource parameter (${resource}) into the access token's aud claim (RFC 8707, RFC 9068)`,
  });
  const audText = aud.length ? JSON.stringify(aud).slice(0, 200) : 'missing';
  const accepted = await mcpAccepts(ctx, token);
  if (accepted) {
    // ChatGPT works; the weakness is that the token is good for other services too.
    return as('security', fail(`the ${what}'s aud is ${audText}, not ${resource}, and the MCP server accepts it: it does not check the audience, so tokens issued for other services work here (and this one works elsewhere)`,
      `${fix}; and make the MCP server refuse tokens whose aud does not contain ${resource}`, undefined, true));
  }
  return { ...as('chatgpt', fail(`the ${what}'s aud is ${audText}, not ${resource}, and the MCP server refuses it: ChatGPT's calls with this token fail`,
    fix, CHATGPT_SAYS.connecting, true)), ...(diagnose ? { explains: RESOURCE_IGNORED_EXPLAINS } : {}) };
}

/** What a token for the wrong audience makes fail too: the MCP server refuses every such token. */
const RESOURCE_IGNORED_EXPLAINS = ['resource.accepts-token', 'resource.handshake', 'authz.scope-omitted', 'token.jwt-signature', 'refresh.audience'];

export const tokenAudience: CheckDef<AppsContext> = {
  id: 'token.audience',
  title: 'A JWT access token\'s aud contains the MCP resource',
  severity: 'high',
  impact: 'security',
  step: 'Tokens',
  needs: ['token.exchange'],
  spec: refs('RFC 8707 §2', 'RFC 9068 §3', 'MCP 2025-11-25 Authorization §Token Audience Binding'),
  reads: ['tokens', 'prm', 'as', 'provider', 'client'],
  run(ctx) {
    return judgeAudience(ctx, ctx.s.tokens!.accessToken!, 'access token', true);
  },
};

export const tokenErrorFormat = prepared<AppsContext, { res: HttpResponse; badClient: HttpResponse }>({
  id: 'token.error-format',
  title: 'Token endpoint errors are RFC 6749 JSON with `error`',
  severity: 'medium',
  impact: 'interop',
  // An invalid code accepted is a security failure: the security verdict rests on it too.
  alsoJudges: ['security'],
  step: 'Tokens',
  needs: ['as.endpoints', 'dcr.register'],
  spec: refs('RFC 6749 §5.2', 'RFC 7636 §4.6'),
  reads: ['as', 'client', 'prm', 'wrongVerifierError', 'usedCodeError'],
  // Both probes are made early; only the comparison with the other checks' errors waits for them.
  prepare: {
    needs: ['as.endpoints', 'dcr.register'],
    reads: ['as', 'client', 'prm'],
    async run(ctx) {
      const bad = { grant_type: 'authorization_code', code: 'gpt-oauth-invalid-code', redirect_uri: ctx.login.redirectUri, code_verifier: 'gpt-oauth-invalid-verifier-000000000000000000000' };
      // The URL first: a throw while building the array would leave the first request's
      // rejection unhandled.
      const url = endpointUrl(ctx, 'token_endpoint');
      const [res, badClient] = await Promise.all([
        tokenRequest(ctx, { ...bad, resource: resourceOf(ctx) }),
        ctx.http.send({ method: 'POST', url, form: { ...bad, client_id: `gpt-oauth-unknown-${randomToken(6)}` } }),
      ]);
      return { res, badClient };
    },
  },
  async run(ctx, { res, badClient }) {
    if (res.status === 200) return as('security', fail('an invalid authorization code was accepted (200)', 'Reject unknown codes with 400 invalid_grant.'));
    const j = readJsonObject(res, false);
    if (!j.ok || typeof j.value.error !== 'string') {
      return fail(`an invalid code: the token endpoint ${j.ok ? `answered ${res.status} with JSON without an \`error\` string` : j.problem}`, 'Answer token errors with 400 and {"error": "invalid_grant", "error_description": "…"} as application/json.');
    }
    if (res.status >= 500) return warn(`an invalid code caused ${res.status} ${safeText(j.value.error, 40)}: the error is JSON, but clients read a 5xx as an outage, not as a bad code`, 'Answer an unknown, expired or used code with 400 invalid_grant (RFC 6749 §5.2).');
    const ct = res.header('content-type') ?? '';
    if (!ct.includes('json')) return warn(`error ${quoted(j.value.error, 40)} sent as ${safeText(ct || 'no content type', 60)}`, 'Send errors as application/json.');
    if (/[\r\n\t\u001b]/.test(String(j.value.error_description ?? ''))) return warn('error_description contains control characters', 'Keep error_description to printable ASCII (RFC 6749 §5.2).');
    // The error codes themselves (RFC 6749 §5.2, RFC 7636 §4.6): clients act on them.
    const codes: [string, string | undefined, string][] = [
      ['an unknown code', j.value.error, 'invalid_grant'],
      ['a wrong code_verifier', ctx.s.wrongVerifierError, 'invalid_grant'],
      ['a used code', ctx.s.usedCodeError, 'invalid_grant'],
      ['an unknown client', errorOf(badClient), 'invalid_client'],
    ];
    const wrong = codes.filter(([, got, want]) => got !== undefined && got !== want).map(([what, got, want]) => `${what} got ${quoted(got, 40)}, not ${want}`);
    if (wrong.length) return warn(`the errors are JSON, but ${wrong.join('; ')}`, 'Answer an unknown, used or expired code and a wrong code_verifier with invalid_grant, and a failed client authentication with invalid_client (RFC 6749 §5.2).');
    return pass(`${res.status} ${safeText(j.value.error, 40)}; ${codes.filter(([, got]) => got !== undefined).map(([what, got]) => `${what}: ${safeText(got, 40)}`).join(', ')}`);
  },
});

/**
 * What token.code-single-use prepares: a fresh code and its first redemption, by a client
 * registered for this test alone where the server has dynamic registration (`own`); without
 * registration, nothing: the run's client signs in at the end, alone.
 */
interface SingleUse { code: Code; client: Client; first: HttpResponse }

async function firstRedemption(ctx: AppsContext, client: Client): Promise<SingleUse> {
  const c = await codeOrAbort(ctx, client.clientId, 'code reuse test');
  return { code: c, client, first: await tokenRequestAs(ctx, client, redeemForm(ctx, c)) };
}

export const tokenCodeSingleUse = prepared<AppsContext, SingleUse | undefined>({
  id: 'token.code-single-use',
  title: 'A second redemption of the same code is refused',
  severity: 'critical',
  impact: 'security',
  step: 'Tokens',
  needs: ['token.exchange'],
  spec: refs('RFC 6749 §4.1.2', 'OAuth 2.1 §4.1.3', 'RFC 9700 §4.2.1'),
  reads: ['as', 'client', 'prm', 'scopes'],
  writes: ['usedCodeError'],
  // The replay may revoke what the code's grant issued (RFC 6749 §4.1.2; oidc-provider revokes
  // the whole grant), and on a server that shares one upstream grant among its clients every
  // grant of the user: it comes after every other check that holds a grant (grants.ts). The
  // fresh code and its first redemption, on a client of its own, happen early.
  spends: ['tokens', 'refreshed', 'grant', 'user'],
  logins: 1,
  prepare: {
    needs: ['dcr.register'],
    reads: ['as', 'client', 'prm', 'scopes'],
    rounds: 3, // register its client, sign in, redeem
    endedBy: ['user'], // a client of its own, or nothing (the run's client signs in in `run`)
    async run(ctx) {
      const own = await ownPublicClient(ctx);
      return own ? firstRedemption(ctx, own) : undefined;
    },
  },
  run: (ctx, prepared) => ctx.broker.alone(async () => {
    const got = prepared ?? await firstRedemption(ctx, ctx.s.client!);
    const { first } = got;
    if (first.status !== 200) return info(`the first redemption of a fresh code already failed (${oauthError(first)}); reuse could not be tested`);
    const replay = await tokenRequestAs(ctx, got.client, redeemForm(ctx, got.code));
    const fix = 'Record each code as used on its first redemption and refuse every later one, whatever else it carries (RFC 6749 §4.1.2, OAuth 2.1 §4.1.3); revoke the tokens issued from it on reuse.';
    if (replay.status === 200) return fail('the same authorization code was redeemed twice', fix);
    let counted = replay;
    let how = `reuse refused: ${oauthError(replay)}`;
    // A refusal counts only if it refused what the check varies (the code's second use). A server
    // that forgets the PKCE challenge on first use refuses a replay with the verifier for PKCE
    // bookkeeping alone, and may redeem the same code again without it.
    if (PKCE_REFUSAL.test(refusalText(replay))) {
      const bare = await tokenRequestAs(ctx, got.client, { ...redeemForm(ctx, got.code), code_verifier: undefined });
      if (bare.status === 200) {
        return fail(`the same authorization code was redeemed twice: the replay with the first redemption's code_verifier was refused only for PKCE (${oauthError(replay)}), and the replay without code_verifier got tokens — the server keeps no record of used codes`, fix);
      }
      counted = bare;
      how = `reuse refused: the replay with the code_verifier got ${oauthError(replay)}, which names PKCE, so the code was replayed without it too: refused (${oauthError(bare)}; this refusal counted)`;
    }
    ctx.s.usedCodeError = errorOf(counted) ?? String(counted.status);
    // RFC 6749 §4.1.2: on a second use the server SHOULD revoke (when possible) the tokens issued
    // from that code. Judged where the authorization server decides: the refresh token, or an
    // opaque access token the MCP server must look up (a self-contained JWT may stay valid
    // until it expires on a sound server).
    const issued = readJsonObject(first, false);
    const rt = issued.ok && typeof issued.value.refresh_token === 'string' ? issued.value.refresh_token : undefined;
    const at = issued.ok && typeof issued.value.access_token === 'string' ? issued.value.access_token : undefined;
    const kept = rt
      ? (await tokenRequestAs(ctx, got.client, { grant_type: 'refresh_token', refresh_token: rt, resource: resourceOf(ctx) })).status === 200 ? 'the refresh token' : undefined
      : at && tokenShape(at).kind !== 'jwt' && await mcpAccepts(ctx, at) ? 'the opaque access token' : undefined;
    if (kept) {
      return warn(`${how}; but ${kept} issued from the first redemption still works after the replay: a stolen code's tokens are not revoked`,
        'On a second use of a code, revoke the tokens already issued from it (RFC 6749 §4.1.2: SHOULD).');
    }
    return pass(how);
  }),
});

export const tokenRedirectBinding = isolated<Code>({
  id: 'token.redirect-binding',
  title: 'A token request with a different redirect_uri is refused',
  severity: 'high',
  impact: 'security',
  step: 'Tokens',
  needs: ['token.exchange'],
  spec: refs('RFC 6749 §4.1.3', 'OAuth 2.1 §4.1.3'),
  reads: ['as', 'client', 'prm', 'scopes', 'pkceRequired', 'pkceChecked'],
  logins: 1,
  obtain: (ctx, client) => codeOrAbort(ctx, client.clientId, 'redirect binding test'),
  async judge(ctx, c, client) {
    const res = await tokenRequestAs(ctx, client, { ...redeemForm(ctx, c), redirect_uri: connectorCallback('gptoauthprobe') });
    const fix = 'Check that redirect_uri at the token endpoint equals the one the code was issued for (RFC 6749 §4.1.3).';
    if (res.status === 200 && ctx.s.pkceRequired && ctx.s.pkceChecked) {
      return warn('the code was redeemed with a redirect_uri different from the one in the authorization request; PKCE is enforced, which blocks code injection (RFC 9700 §4.5.3), but the binding is still required', fix);
    }
    if (res.status === 200) return fail('the code was redeemed with a redirect_uri different from the one in the authorization request', 'Check that redirect_uri at the token endpoint equals the one the code was issued for.');
    return pass(`refused: ${oauthError(res)}`);
  },
});

/** A token error that names PKCE: the refusal may be about the verifier, not what a test varies. */
const PKCE_REFUSAL = /pkce|code_verifier|code_challenge|code verifier|code challenge|verifier/i;

/** A token error's `error` and `error_description`, for telling why a request was refused. */
function refusalText(res: HttpResponse): string {
  const j = readJsonObject(res, false);
  if (!j.ok) return res.text().slice(0, 500);
  return `${typeof j.value.error === 'string' ? j.value.error : ''} ${typeof j.value.error_description === 'string' ? j.value.error_description : ''}`;
}

const errorOf = (res: HttpResponse): string | undefined => {
  const j = readJsonObject(res, false);
  return j.ok && typeof j.value.error === 'string' ? j.value.error : undefined;
};

/**
 * A confidential client's credentials are checked: a wrong secret and an unknown client_id are
 * refused with invalid_client (401 when Basic was used), RFC 6749 §2.3, §5.2. The client is one
 * registered for the test (confidential where the server registers such clients), or the run's
 * own; a public client without registration is tested with a client_id the server never issued.
 */
export const tokenClientAuth = isolated<Code>({
  id: 'token.client-auth',
  title: 'A wrong client secret and an unknown client_id are refused with invalid_client',
  severity: 'critical',
  impact: 'security',
  step: 'Security',
  needs: ['token.exchange'],
  spec: refs('RFC 6749 §2.3', 'RFC 6749 §5.2'),
  reads: ['as', 'client', 'prm', 'scopes'],
  logins: 1,
  rounds: 1, // the wrong secret and the unknown client_id, together
  async client(ctx) {
    const supported = ctx.s.as!.token_endpoint_auth_methods_supported;
    const method = Array.isArray(supported) && !supported.includes('client_secret_post') && supported.includes('client_secret_basic') ? 'client_secret_basic' : 'client_secret_post';
    const c = await registerClient(ctx, { token_endpoint_auth_method: method });
    return 'skip' in c || c.authMethod === 'none' || !c.clientSecret ? undefined : c;
  },
  obtain: (ctx, client) => codeOrAbort(ctx, client.clientId, 'client authentication test'),
  async judge(ctx, c, client) {
    const form = redeemForm(ctx, c);
    // A probe never carries a real credential beyond the client's own: the unknown client gets a random secret.
    const unknownClient = { ...unregisteredClient(), authMethod: client.authMethod === 'none' ? 'client_secret_post' as const : client.authMethod };
    if (client.authMethod === 'none') {
      const unknown = await tokenRequestAs(ctx, unknownClient, form);
      if (unknown.status === 200) return fail('a code issued to the run\'s client was redeemed by a client_id the server never issued: the token endpoint does not check which client it talks to', 'Refuse unknown client_ids with 401 invalid_client, and bind codes to the client they were issued to (RFC 6749 §2.3, §4.1.3).');
      if (errorOf(unknown) !== 'invalid_client' && errorOf(unknown) !== 'invalid_grant') return as('interop', warn(`a client_id the server never issued got ${oauthError(unknown)}, not invalid_client`, 'Answer failed client authentication with invalid_client (RFC 6749 §5.2).'));
      return pass(`the server registers no confidential client here; a client_id it never issued was refused (${oauthError(unknown)})`);
    }
    // Both are refused by a sound server whatever their order; one accepted is the finding.
    const [wrong, unknown] = await Promise.all([tokenRequestAs(ctx, { ...client, clientSecret: randomToken(24) }, form), tokenRequestAs(ctx, unknownClient, form)]);
    const basic = client.authMethod === 'client_secret_basic';
    const judge = (what: string, res: HttpResponse): string | undefined => {
      if (res.status === 200) return `${what} was ACCEPTED (200)`;
      if (errorOf(res) !== 'invalid_client') return `${what} got ${oauthError(res)}, not invalid_client`;
      if (basic && res.status !== 401) return `${what} got ${res.status} invalid_client; with Basic authentication it must be 401 with WWW-Authenticate (RFC 6749 §5.2)`;
      return undefined;
    };
    const accepted = [judge('a wrong secret', wrong), judge('an unknown client_id', unknown)].filter((x): x is string => !!x);
    if (accepted.some((a) => a.includes('ACCEPTED'))) {
      return fail(`${accepted.join('; ')}: anyone can redeem codes and refresh tokens as this client`, 'Authenticate the client on every token request and refuse bad credentials with 401 invalid_client (RFC 6749 §2.3, §5.2).');
    }
    if (accepted.length) return as('interop', warn(`refused, but not as RFC 6749 §5.2 says: ${accepted.join('; ')}`, 'Answer failed client authentication with invalid_client (401 with WWW-Authenticate when the client used Basic).'));
    return pass(`${client.authMethod}: a wrong secret and an unknown client_id were refused with invalid_client (${wrong.status}, ${unknown.status})`);
  },
});


/** RFC 6749 §4.1.3: a code is bound to the client it was issued to. */
export const tokenCodeClientBinding = isolated<{ code: Code; other: { client: Client; registered: boolean } }>({
  id: 'token.code-client-binding',
  title: 'A code issued to one client is refused when another client redeems it',
  severity: 'critical',
  impact: 'security',
  step: 'Security',
  needs: ['token.exchange'],
  spec: refs('RFC 6749 §4.1.3', 'RFC 9700 §4.5'),
  reads: ['as', 'client', 'prm', 'scopes'],
  logins: 1,
  prepareRounds: 3, // register its client, the other, sign in
  async obtain(ctx, client, own) {
    const [code, other] = await Promise.all([codeOrAbort(ctx, client.clientId, 'code binding test'), otherClient(ctx, own)]);
    return { code, other };
  },
  async judge(ctx, { code, other }, client) {
    const res = await tokenRequestAs(ctx, other.client, redeemForm(ctx, code));
    const who = other.registered ? 'another registered client' : 'a client_id the server never issued';
    if (res.status === 200) return fail(`a code issued to one client was redeemed by ${who}: codes are not bound to their client`, 'Store the client_id with each code and refuse redemption by any other client (RFC 6749 §4.1.3).');
    // A refusal counts only if it refused what the check varies: the client it was issued to
    // then redeems the same code. A server may also end a code on a wrong redemption (sound).
    const mine = await tokenRequestAs(ctx, client, redeemForm(ctx, code));
    if (mine.status === 200) return pass(`redeemed by ${who}: refused (${oauthError(res)}); the client it was issued to then redeemed it`);
    return pass(`redeemed by ${who}: refused (${oauthError(res)}); the client it was issued to was refused afterwards too (${oauthError(mine)}): the server ends a code once another client presents it (token.exchange shows codes work for their own client)`);
  },
});

/**
 * Access and refresh tokens must not be interchangeable: the MCP server refuses a refresh token
 * as a bearer token, the token endpoint an access token as refresh_token.
 */
export const tokenTypeConfusion: CheckDef<AppsContext> = {
  id: 'token.type-confusion',
  title: 'A refresh token is refused as a bearer token, and an access token as a refresh token',
  severity: 'high',
  impact: 'security',
  step: 'Security',
  needs: ['token.exchange'],
  spec: refs('RFC 9068 §4', 'RFC 8725 §3.11', 'RFC 6749 §6'),
  reads: ['tokens', 'as', 'client', 'prm'],
  async run(ctx) {
    const t = ctx.s.tokens!;
    const problems: string[] = [];
    const good: string[] = [];
    // Two independent probes, sent together and judged in order.
    const [asBearer, res] = await Promise.all([
      t.refreshToken ? mcpPost(ctx, initializeRequest(1), t.refreshToken) : undefined,
      tokenRequest(ctx, { grant_type: 'refresh_token', refresh_token: t.accessToken, resource: resourceOf(ctx) }),
    ]);
    if (asBearer) {
      if (asBearer.res.status < 300) problems.push(`the MCP server accepted the refresh token as a bearer token (${asBearer.res.status})`);
      else good.push(`refresh token as bearer: ${asBearer.res.status}`);
    }
    if (res.status === 200) problems.push('the token endpoint accepted the access token as refresh_token and issued new tokens');
    else good.push(`access token as refresh_token: ${oauthError(res)}`);
    if (problems.length) {
      // The fix names only the side that failed: the MCP server, the token endpoint, or both.
      const fixes = [
        ...(asBearer && asBearer.res.status < 300 ? ['the MCP server must accept only access tokens (check typ "at+jwt", RFC 9068, or look the token up as an access token)'] : []),
        ...(res.status === 200 ? ['the token endpoint must accept as refresh_token only refresh tokens it issued, never an access token'] : []),
      ];
      return fail(`${problems.join('; ')}: a leaked token of one kind works as the other`, `Check the token type: ${fixes.join('; ')}.`);
    }
    return pass(good.join('; ') || 'no refresh token was issued; the access token was refused as refresh_token');
  },
};

/** Short-lived access tokens (RFC 9700 §2.2.2): at most 24 h, warn above. */
export const tokenLifetime: CheckDef<AppsContext> = {
  id: 'token.lifetime',
  title: 'Access tokens live at most 24 hours',
  severity: 'low',
  impact: 'security',
  step: 'Security',
  needs: ['token.exchange'],
  // RFC 9700 §2.2.2 is about refresh tokens; an access token's lifetime is RFC 6819 §5.1.5.3
  // ("Use Short Expiration Time").
  spec: refs('RFC 6819 §5.1.5.3', 'MCP 2025-11-25 Authorization §Token Handling'),
  reads: ['tokens'],
  run(ctx) {
    const t = ctx.s.tokens!;
    const exp = typeof t.body.expires_in === 'number' ? t.body.expires_in : undefined;
    const shape = tokenShape(t.accessToken!);
    const jwtLife = shape.kind === 'jwt' && typeof shape.payload.exp === 'number' ? shape.payload.exp - (typeof shape.payload.iat === 'number' ? shape.payload.iat : Math.floor(Date.now() / 1000)) : undefined;
    const life = jwtLife ?? exp;
    if (life === undefined) return info('neither expires_in nor a JWT exp says how long the access token lives');
    const h = (s: number) => (s >= 3600 ? `${Number((s / 3600).toFixed(1))} h` : `${Math.round(s / 60)} min`);
    if (life > 24 * 3600) return warn(`the access token lives ${h(life)}; a stolen token stays usable that long`, 'Issue access tokens that live minutes to an hour and let refresh tokens keep users signed in (RFC 6819 §5.1.5.3).');
    return pass(`the access token lives ${h(life)}`);
  },
};
