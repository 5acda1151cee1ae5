/** `resource.accepts-token`, `resource.rejects-*`: the MCP server after sign-in. */
import type { CheckDef } from '../types.js';
import { as, fail, pass, warn } from '../types.js';
import { randomToken } from '../../oauth/pkce.js';
import { algNoneToken, tamperedToken, tokenShape } from '../../oauth/jwt.js';
import { bearerChallenge } from '../../oauth/www-authenticate.js';
import { safeText } from '../../text.js';
import { initializeRequest, mcpPost, resourceOf, MCP_PROTOCOL_VERSION, type AppsContext } from './context.js';
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
  reads: ['tokens', 'as', 'prm'],
  chatgpt: CHATGPT_SAYS.connecting,
  async run(ctx) {
    const token = ctx.s.tokens!.accessToken!;
    const init = await mcpPost(ctx, initializeRequest(1), token);
    if (init.res.status === 401 || init.res.status === 403) {
      const ch = bearerChallenge(init.res.header('www-authenticate'));
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
    return pass(`initialize 200 (protocol ${safeText(result.protocolVersion, 20)}${info?.name ? `, ${safeText(info.name, 60)}` : ''}); tools/list: ${tools.length} tool(s)${init.res.header('content-type')?.includes('event-stream') ? ' (SSE)' : ''}`);
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
    for (const [label, token] of cases) {
      const r = await expect401(ctx, token);
      (r.ok ? good : r.accepted ? accepted : odd).push(`${label}: ${r.detail}`);
      threw ||= !!r.serverError;
    }
    if (accepted.length) {
      return fail(`forged tokens were accepted: ${[...accepted, ...odd].join('; ')}`, 'Verify the signature with the issuer\'s public keys, allow only asymmetric algorithms (never "none"), and check iss, aud and exp on every request.');
    }
    if (odd.length) {
      // Refused, just not in the standard way: ChatGPT never sends forged tokens (the expired or
      // bad-token case ChatGPT meets is resource.rejects-invalid-token).
      return as('interop', warn(`forged tokens were refused, but not with a 401 challenge: ${odd.join('; ')}`, `Answer tokens that fail verification with 401 and \`WWW-Authenticate: Bearer error="invalid_token", resource_metadata="…"\`.${threw ? SERVER_ERROR_HINT : ''}`));
    }
    return pass(`${good.join('; ')}${real ? '' : ' (no real token to tamper with)'}`);
  },
};
