/** `resource.accepts-token`, `resource.rejects-*`: the MCP server after sign-in. */
import type { CheckDef } from '../types.js';
import { as, fail, info, pass, skip, warn, type Outcome } from '../types.js';
import type { HttpResponse } from '../../http/client.js';
import { randomToken } from '../../oauth/pkce.js';
import { algNoneToken, audiences, tamperedToken, tokenShape } from '../../oauth/jwt.js';
import { bearerChallenge } from '../../oauth/www-authenticate.js';
import { quoted, safeText } from '../../text.js';
import { resourceOf, type AppsContext } from './context.js';
import { registerTokens, tokenRequest, tokenRequestAs } from './token-endpoint.js';
import { initializeRequest, mcpPost, MCP_PROTOCOL_VERSION } from './mcp-client.js';
import { code, codeOrAbort, isolated, redeemForm } from './grants.js';
import { oauthError, readJsonObject } from '../../http/json.js';
import { CHATGPT_SAYS } from '../../chatgpt/messages.js';
import { refs } from '../spec.js';

export const resourceAcceptsToken: CheckDef<AppsContext> = {
  id: 'resource.accepts-token',
  title: 'An authenticated initialize and tools/list succeed',
  severity: 'critical',
  impact: 'chatgpt',
  step: 'Resource',
  needs: ['token.exchange'],
  spec: refs('MCP 2025-11-25 Transports §Streamable HTTP', 'MCP 2025-11-25 Lifecycle §Initialization', 'RFC 6750 §2.1'),
  reads: ['tokens', 'as', 'prm', 'client', 'scopes'],
  rounds: 3, // initialize, notifications/initialized, tools/list
  chatgpt: CHATGPT_SAYS.connecting,
  async run(ctx) {
    let token = ctx.s.tokens!.accessToken!;
    let init = await mcpPost(ctx, initializeRequest(1), token);
    // A 403 insufficient_scope challenge that names the scope is a step-up: ChatGPT authorizes
    // again with those scopes, once (MCP 2025-11-25 §Scope Challenge Handling).
    let stepUp = '';
    const first = bearerChallenge(init.res.header('www-authenticate'));
    if (init.res.status === 403 && first?.params.error === 'insufficient_scope' && first.params.scope) {
      const wanted = [...new Set([...(ctx.s.scopes ?? []), ...first.params.scope.split(/\s+/).filter(Boolean)])];
      // ChatGPT's own path: a new sign-in as its client, with the scopes the challenge names.
      const fc = await codeOrAbort(ctx, ctx.s.client!.clientId, 'a step-up for more scope', { scope: wanted, chatgptPath: true });
      const res = await tokenRequest(ctx, redeemForm(ctx, fc));
      const j = readJsonObject(res, false);
      if (j.ok) registerTokens(j.value);
      if (res.status === 200 && j.ok && typeof j.value.access_token === 'string') {
        token = j.value.access_token;
        init = await mcpPost(ctx, initializeRequest(1), token);
        stepUp = ` after a step-up: 403 insufficient_scope asked for ${quoted(first.params.scope, 120)}, followed once as ChatGPT does`;
      } else {
        return fail(`the MCP server asked for more scope (403 insufficient_scope, scope ${quoted(first.params.scope, 120)}), but the step-up authorization could not be exchanged: ${oauthError(res)}`,
          'Grant the scopes the challenge names to ChatGPT\'s client, or do not ask for scopes the authorization server will not grant.');
      }
    }
    if (init.res.status === 401 || init.res.status === 403) {
      const ch = bearerChallenge(init.res.header('www-authenticate'));
      if (ch?.params.error === 'insufficient_scope') {
        // Not a token the server cannot verify: one it verified and found too narrow.
        return fail(`the MCP server refused the access token for its scope (${init.res.status} insufficient_scope${ch.params.scope ? `, scope ${quoted(ch.params.scope, 120)}` : ''}${stepUp ? `) even${stepUp}` : `; the token grants ${quoted(ctx.s.tokens!.scope ?? 'what was requested', 120)})`}`,
          'Grant ChatGPT\'s client the scopes the MCP server requires (token.scopes shows what was granted), or require only scopes the authorization server grants it.');
      }
      return fail(`the MCP server rejected the access token the authorization server just issued (${init.res.status}${ch?.params.error ? ` ${safeText(ch.params.error, 40)}` : ''}${ch?.params.error_description ? `: ${safeText(ch.params.error_description, 200)}` : ''})`,
        `Make the MCP server accept tokens from ${safeText(ctx.s.as?.issuer ?? 'the issuer', 120)} with aud ${resourceOf(ctx)}: check its expected issuer (exact string, trailing slash), audience and JWKS/introspection settings.`);
    }
    if (init.res.status !== 200) return fail(`initialize with the token answered ${init.res.status}${init.problem ? ` (${init.problem})` : ''}`, 'Answer an authenticated initialize with 200 (JSON or an SSE stream).');
    if (!init.message) return fail(`initialize ${init.problem}`, 'Answer with a JSON-RPC response to the initialize request.');
    const result = init.message.result as Record<string, unknown> | undefined;
    if (!result) return fail(`initialize returned a JSON-RPC error: ${safeText(JSON.stringify(init.message.error), 200)}`, 'Answer initialize with a result.');
    const session = { id: init.res.header('mcp-session-id'), version: typeof result.protocolVersion === 'string' ? result.protocolVersion : MCP_PROTOCOL_VERSION };
    await mcpPost(ctx, { jsonrpc: '2.0', method: 'notifications/initialized' }, token, session);
    const list = await mcpPost(ctx, { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }, token, session);
    if (list.res.status !== 200 || !list.message) {
      return fail(`tools/list answered ${list.res.status}${list.problem ? ` (${list.problem})` : ''}`, 'Answer tools/list with 200; a 4xx here shows as "No app actions available" in ChatGPT.');
    }
    const tools = (list.message.result as { tools?: unknown[] } | undefined)?.tools;
    if (!Array.isArray(tools)) return fail(`tools/list returned no tools array: ${safeText(JSON.stringify(list.message.error ?? list.message.result), 200)}`, 'Return {"tools": […]}.');
    const info = result.serverInfo as { name?: string; version?: string } | undefined;
    return pass(`${stepUp ? `${stepUp.slice(1)}; ` : ''}initialize 200 (protocol ${safeText(result.protocolVersion, 20)}${info?.name ? `, ${safeText(info.name, 60)}` : ''}); tools/list: ${tools.length} tool(s)${init.res.header('content-type')?.includes('event-stream') ? ' (SSE)' : ''}`);
  },
};

async function expect401(ctx: AppsContext, token: string): Promise<{ ok: boolean; accepted: boolean; serverError?: boolean; detail: string }> {
  const res = await mcpPost(ctx, initializeRequest(1), token);
  const ch = bearerChallenge(res.res.header('www-authenticate'));
  const status = res.res.status;
  if (status === 401 && ch) return { ok: true, accepted: false, detail: `401${ch.params.error ? ` ${safeText(ch.params.error, 40)}` : ''}` };
  if (status === 401) return { ok: false, accepted: false, detail: '401 without a Bearer WWW-Authenticate challenge (ChatGPT then cannot start a re-authorization)' };
  if (status < 300) return { ok: false, accepted: true, detail: `${status}: the server ACCEPTED it` };
  return { ok: false, accepted: false, serverError: status >= 500, detail: `${status} instead of 401${status >= 500 ? ' (the token check threw instead of rejecting)' : ''}` };
}

/** A 5xx for a bad token almost always means the verifier threw. The MCP TypeScript SDK is the common case. */
const SERVER_ERROR_HINT = ' A 5xx here means the token verification threw an error instead of rejecting the token. With the MCP TypeScript SDK\'s requireBearerAuth, throw InvalidTokenError (from @modelcontextprotocol/sdk/server/auth/errors.js) in verifyAccessToken: any other error becomes 500 server_error.';

export const resourceRejectsInvalid: CheckDef<AppsContext> = {
  id: 'resource.rejects-invalid-token',
  title: 'A garbage bearer token gets 401 with WWW-Authenticate',
  severity: 'high',
  impact: 'chatgpt',
  // A garbage token accepted is a security failure: the security verdict rests on it too.
  alsoJudges: ['security'],
  step: 'Resource',
  needs: ['prm.document'],
  spec: refs('RFC 6750 §3.1', 'MCP 2025-11-25 Authorization §Error Handling'),
  async run(ctx) {
    const r = await expect401(ctx, `gpt-oauth-invalid-${randomToken(16)}`);
    if (r.ok) return pass(r.detail);
    // Accepting garbage is a security hole; anything but 401 + challenge (a 5xx, a bare 401)
    // breaks ChatGPT: it never learns it must refresh or re-authorize.
    if (r.accepted) return as('security', fail(`a garbage token got ${r.detail}`, 'Verify every bearer token (signature or introspection, issuer, audience, expiry) and answer 401 with `WWW-Authenticate: Bearer error="invalid_token", resource_metadata="…"` when it fails.'));
    return fail(`a garbage token got ${r.detail}`, `Answer an invalid or expired token with 401 and \`WWW-Authenticate: Bearer error="invalid_token", resource_metadata="…"\` so ChatGPT asks the user to reconnect.${r.serverError ? SERVER_ERROR_HINT : ''}`);
  },
};

/** RFC 6750 §3.1: the error codes a resource server uses in its Bearer challenge. */
const RFC6750_ERRORS = ['invalid_request', 'invalid_token', 'insufficient_scope'];

/**
 * An `Authorization: Bearer` header with no credential is a malformed request: RFC 6750 §3.1 has
 * invalid_request (400) for it, and invalid_token is common; any other error code is one a client
 * library following RFC 6750 does not know what to do with.
 */
export const resourceBearerErrorCodes: CheckDef<AppsContext> = {
  id: 'resource.bearer-error-codes',
  title: 'An empty Bearer credential is answered with an RFC 6750 §3.1 error code',
  severity: 'low',
  impact: 'interop',
  step: 'Resource',
  needs: ['prm.document'],
  spec: refs('RFC 6750 §3.1', 'RFC 6750 §2.1'),
  async run(ctx) {
    const res = await ctx.http.send({
      method: 'POST', url: ctx.opts.mcpUrl,
      headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json', authorization: 'Bearer ' },
      json: initializeRequest(1),
    });
    const ch = bearerChallenge(res.header('www-authenticate'));
    const code = ch?.params.error;
    if (res.status < 300) return info(`an empty Bearer credential got ${res.status} (an anonymous request is accepted too: see resource.challenge)`);
    if (code && !RFC6750_ERRORS.includes(code)) {
      return warn(`an empty Bearer credential got ${res.status} with error=${quoted(code, 60)}, which is not one of RFC 6750 §3.1's codes (${RFC6750_ERRORS.join(', ')})`,
        'Answer a missing or malformed bearer credential with error="invalid_request" (400) or error="invalid_token" (401) in the WWW-Authenticate challenge (RFC 6750 §3.1).');
    }
    return pass(`${res.status}${code ? ` error=${quoted(code, 40)}` : ' (no error code)'}`);
  },
};

export const resourceRejectsForged: CheckDef<AppsContext> = {
  id: 'resource.rejects-forged-token',
  title: 'An alg:none token and a token with a tampered signature get 401',
  severity: 'critical',
  impact: 'security',
  step: 'Resource',
  needs: ['prm.document'],
  spec: refs('RFC 8725 §2.1, §3.1', 'RFC 9068 §4'),
  reads: ['tokens', 'as', 'prm', 'scopes'],
  async run(ctx) {
    const real = ctx.s.tokens?.accessToken;
    const now = Math.floor(Date.now() / 1000);
    const shape = real ? tokenShape(real) : undefined;
    const claims = shape?.kind === 'jwt' ? { ...shape.payload, sub: 'gpt-oauth-forged-subject' }
      : { iss: ctx.s.as?.issuer, aud: resourceOf(ctx), sub: 'gpt-oauth-forged-subject', iat: now, exp: now + 600, scope: (ctx.s.scopes ?? []).join(' ') };
    const cases: [string, string][] = [['alg:none token', algNoneToken(claims)]];
    if (real) cases.push([`${shape?.kind === 'jwt' ? 'JWT with a changed payload and the original signature' : 'opaque token with one character changed'}`, tamperedToken(real)]);
    const accepted: string[] = [];
    const odd: string[] = [];
    const good: string[] = [];
    let threw = false;
    // Independent probes: sent together, judged in order.
    const answers = await Promise.all(cases.map(([, token]) => expect401(ctx, token)));
    for (const [i, [label]] of cases.entries()) {
      const r = answers[i]!;
      (r.ok ? good : r.accepted ? accepted : odd).push(`${label}: ${r.detail}`);
      threw ||= !!r.serverError;
    }
    if (accepted.length) {
      // The fix asks for what failed: the forged tokens carry the real token's claims, so iss,
      // aud and exp are not what they vary.
      const none = answers[0]!.accepted;
      const tampered = answers.slice(1).some((a) => a.accepted);
      const fix = [
        none ? 'Refuse alg "none": accept only the asymmetric algorithm your authorization server signs with (RFC 8725 §3.1).' : '',
        tampered ? (shape?.kind === 'jwt' ? 'Verify every token\'s signature with the issuer\'s published keys (jwks_uri) before reading its claims (RFC 9068 §4).' : 'Look up every opaque token exactly (the token store or introspection), never by a prefix or a partial match.') : '',
      ].filter(Boolean).join(' ');
      return fail(`forged tokens were accepted: ${[...accepted, ...odd].join('; ')}`, fix);
    }
    if (odd.length) {
      // Refused, just not in the standard way: ChatGPT never sends forged tokens (the expired or
      // bad-token case ChatGPT meets is resource.rejects-invalid-token).
      return as('interop', warn(`forged tokens were refused, but not with a 401 challenge: ${odd.join('; ')}`, `Answer tokens that fail verification with 401 and \`WWW-Authenticate: Bearer error="invalid_token", resource_metadata="…"\`.${threw ? SERVER_ERROR_HINT : ''}`));
    }
    return pass(`${good.join('; ')}${real ? '' : ' (no real token to tamper with)'}`);
  },
};

/**
 * ChatGPT's MCP client (`openai-mcp`) probes `server/discover` (MCP 2026-07-28) before
 * `initialize` (observed Aug–Sep 2026, research B14). A 5xx to the probe stalls setup; a
 * JSON-RPC error (-32601), 400 or 404 is what a server without discovery should answer.
 */
export const resourceHandshake: CheckDef<AppsContext> = {
  id: 'resource.handshake',
  title: 'The server/discover probe ChatGPT sends before initialize is answered without a 5xx',
  severity: 'high',
  impact: 'chatgpt',
  step: 'Resource',
  needs: ['token.exchange'],
  spec: refs('MCP 2025-11-25 Lifecycle §Initialization', 'MCP 2025-11-25 Transports §Streamable HTTP'),
  reads: ['tokens'],
  chatgpt: CHATGPT_SAYS.connecting,
  async run(ctx) {
    const token = ctx.s.tokens!.accessToken!;
    const probe = await mcpPost(ctx, { jsonrpc: '2.0', id: 0, method: 'server/discover', params: {} }, token, { version: MCP_PROTOCOL_VERSION });
    const status = probe.res.status;
    if (status >= 500) {
      return fail(`server/discover answered ${status}: ChatGPT's client probes it before initialize, and a server error there stalls the connector setup`,
        'Answer unknown JSON-RPC methods with a JSON-RPC error -32601 "Method not found" (or HTTP 400/404), never a 5xx; Spring AI and older SDK servers need an update or a filter for server/discover.');
    }
    if (status === 401 || status === 403) return info(`server/discover with a valid token answered ${status}; ChatGPT continues with initialize`);
    const err = probe.message?.error as { code?: number } | undefined;
    if (status === 200 && probe.message?.result) return pass('server/discover answered with a result (the server supports discovery)');
    if (err) return pass(`server/discover answered a JSON-RPC error ${safeText(err.code, 12)}, as a server without discovery should`);
    return pass(`server/discover answered ${status}, which ChatGPT treats as "no discovery" and goes on with initialize`);
  },
};

/**
 * Mixed auth (Apps SDK): `initialize` and `tools/list` work without a token and individual
 * tools are protected. Protected tools declare `securitySchemes` (`noauth` / `oauth2` with
 * scopes); calling one without a token returns `isError: true` with
 * `_meta["mcp/www_authenticate"]` carrying `resource_metadata`, `error` and `error_description` —
 * what makes ChatGPT show its Connect button (research B12).
 */
export const resourceMixedAuth: CheckDef<AppsContext> = {
  id: 'resource.mixed-auth',
  title: 'Mixed auth: protected tools declare securitySchemes, answer an anonymous call with a _meta challenge, and work with a token',
  severity: 'high',
  impact: 'chatgpt',
  step: 'Resource',
  needs: ['resource.challenge'],
  spec: refs('OpenAI Apps SDK: Authentication (per-tool securitySchemes)', 'RFC 6750 §3', 'RFC 9728 §5.1'),
  reads: ['mixed', 'tokens'],
  async run(ctx) {
    const m = ctx.s.mixed;
    if (!m) return { ...skip('not a mixed-auth server (an anonymous initialize is refused, or no tool declares securitySchemes)'), nonBlocking: true };
    const problems: string[] = [];
    if (!m.protectedTools.length) problems.push(`no tool declares an oauth2 securitySchemes entry (${m.tools} tool(s) listed)`);
    const ch = m.challenge;
    if (!ch) problems.push(`calling ${m.probed ?? 'the protected tool'} without a token returned ${m.probeResult} without _meta["mcp/www_authenticate"], so ChatGPT never shows its Connect button`);
    else {
      for (const p of ['resource_metadata', 'error', 'error_description']) if (!ch.params[p]) problems.push(`the _meta challenge has no ${p}`);
    }
    let withToken = '';
    const token = ctx.s.tokens?.accessToken;
    if (token && m.probed) {
      const init = await mcpPost(ctx, initializeRequest(1), token);
      const session = { id: init.res.header('mcp-session-id'), version: MCP_PROTOCOL_VERSION };
      const call = await mcpPost(ctx, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: m.probed, arguments: {} } }, token, session);
      const result = call.message?.result as { isError?: boolean } | undefined;
      if (call.res.status !== 200 || !result || result.isError) problems.push(`with a token, calling ${m.probed} still failed (${call.res.status}${call.problem ? `, ${call.problem}` : result?.isError ? ', isError' : ''})`);
      else withToken = `; with a token ${m.probed} succeeds`;
    }
    if (problems.length) {
      // The fix asks for the parts that failed, not the ones the run saw in place.
      const challenge = '{"isError": true, "_meta": {"mcp/www_authenticate": ["Bearer resource_metadata=\\"<PRM URL>\\", error=\\"insufficient_scope\\", error_description=\\"…\\""]}}';
      const fix = [
        !m.protectedTools.length ? 'Declare securitySchemes on every tool ([{"type":"noauth"}] or [{"type":"oauth2","scopes":[…]}]).' : '',
        !ch ? `Answer a protected tool called without a token with ${challenge}.` : problems.some((p) => p.startsWith('the _meta challenge has no')) ? `Give the _meta challenge all of resource_metadata, error and error_description: ${challenge}.` : '',
        problems.some((p) => p.startsWith('with a token')) ? 'Accept the access token on tools/call as on initialize, and run the protected tool for it.' : '',
      ].filter(Boolean).join(' ');
      return fail(problems.join('; '), fix);
    }
    return pass(`${m.protectedTools.length} protected tool(s) (${m.protectedTools.slice(0, 5).map((t) => safeText(t, 40)).join(', ')}); an anonymous call to ${m.probed} carries the _meta challenge${withToken}`);
  },
};

/**
 * MCP authorization §Token Audience Binding, RFC 8707 §3: the MCP server must refuse a token the
 * same authorization server issued for another resource.
 */
type Outcomed<T> = T | { outcome: Outcome };

export const resourceRejectsOtherAudience = isolated<Outcomed<{ other: string; res: HttpResponse }>>({
  id: 'resource.rejects-other-audience',
  title: 'A token the same authorization server issued for another resource is refused with 401',
  severity: 'critical',
  impact: 'security',
  step: 'Security',
  needs: ['token.exchange'],
  spec: refs('MCP 2025-11-25 Authorization §Token Audience Binding', 'RFC 8707 §3'),
  reads: ['as', 'client', 'prm', 'scopes'],
  logins: 1,
  // The token for the other resource is obtained early, on a client of its own; the MCP server
  // is asked once token.exchange has shown that tokens work at all.
  prepareRounds: 3, // register, sign in, redeem for the other resource
  async obtain(ctx, client) {
    const other = `${new URL(ctx.opts.mcpUrl).origin}/gpt-oauth-other-resource`;
    const got = await code(ctx, client.clientId, 'a token for another resource', { resource: other });
    if ('outcome' in got) return got;
    return { other, res: await tokenRequestAs(ctx, client, redeemForm(ctx, got, other)) };
  },
  async judge(ctx, got) {
    if ('outcome' in got) {
      return /invalid_target|refused the request/.test(got.outcome.detail) ? skip(`the authorization server refuses to mint a token for another resource (${got.outcome.detail.slice(0, 160)}), which is sound; nothing to test`) : got.outcome;
    }
    const { other, res } = got;
    const j = readJsonObject(res, false);
    if (j.ok) registerTokens(j.value);
    const token = res.status === 200 && j.ok && typeof j.value.access_token === 'string' ? j.value.access_token : undefined;
    if (!token) return skip(`the authorization server refuses to mint a token for another resource (${oauthError(res)}); nothing to test`);
    const shape = tokenShape(token);
    if (shape.kind === 'jwt' && audiences(shape.payload).includes(resourceOf(ctx))) return skip(`asked for ${other}, the authorization server still bound the token to this MCP server (aud ${JSON.stringify(audiences(shape.payload)).slice(0, 120)}); nothing to test`);
    const r = await expect401(ctx, token);
    if (r.accepted) {
      if (shape.kind !== 'jwt') return info(`the MCP server accepted an opaque token minted with resource=${other}; whether the authorization server bound it to that resource cannot be told from here`);
      return fail(`the MCP server ACCEPTED a token issued for ${other} (aud ${JSON.stringify(audiences(shape.payload)).slice(0, 120)}): tokens for any service of this authorization server work here`,
        `Check the audience on every request: accept only tokens whose aud contains ${resourceOf(ctx)} (MCP authorization §Token Audience Binding, RFC 8707).`);
    }
    return pass(`a token for ${other} got ${r.detail}`);
  },
});
