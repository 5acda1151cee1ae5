/** `resource.challenge`, `prm.*`: how ChatGPT finds out that the MCP server needs OAuth, and where. */
import type { CheckDef } from '../types.js';
import { fail, pass, prepared, warn, type Outcome } from '../types.js';
import { bearerChallenge } from '../../oauth/www-authenticate.js';
import { quoted, safeText } from '../../text.js';
import { type AppsContext } from './context.js';
import { firstJsonDocument, prefetch } from './discovery.js';
import { initializeRequest, mcpPost, parseMcpResponse, MCP_PROTOCOL_VERSION } from './mcp-client.js';
import { HttpFailure, type HttpResponse } from '../../http/client.js';
import { CHATGPT_SAYS } from '../../chatgpt/messages.js';
import { refs } from '../spec.js';

/** A finding that still lets discovery go on (only an unreachable server blocks it). */
const nb = (o: Outcome): Outcome => ({ ...o, nonBlocking: true });

/**
 * What to do when the connection to the MCP URL failed, by what happened: "Start the server" only
 * when nothing accepted the connection; a port that speaks the other protocol gets the other scheme.
 */
function connectionHint(err: HttpFailure, mcpUrl: string): string {
  if (err.kind === 'tls' && /speaks TLS/.test(err.message)) return `Use https:// for this server: ${safeText(mcpUrl.replace(/^http:/, 'https:'), 300)}`;
  if (err.kind === 'tls' && /plain HTTP/.test(err.message)) return `Use http:// for a server on this machine (${safeText(mcpUrl.replace(/^https:/, 'http:'), 300)}), or turn TLS on (ChatGPT needs https with a certificate from a public CA).`;
  if (err.kind === 'tls') return 'Serve a certificate from a public CA for this host name (ChatGPT connects from OpenAI\'s servers).';
  if (/nothing is listening/.test(err.message)) return 'Start the server, or check the host and port of the URL.';
  if (/does not resolve/.test(err.message)) return 'Check the host name of the URL, and the network\'s DNS.';
  if (err.kind === 'unreachable') return 'Check the network path to the server: a firewall, a VPN, or a server that only listens on another interface.';
  if (err.kind === 'timeout') return 'The server took the connection but did not answer in time: check that this URL is the MCP endpoint and that the server is not stuck, or raise --timeout.';
  return 'Something accepted the connection and closed it without an answer: check the port and the scheme (http/https) of the URL, or a proxy in between.';
}

export const resourceChallenge: CheckDef<AppsContext> = {
  id: 'resource.challenge',
  title: 'MCP endpoint challenges an anonymous client (401 Bearer, or the mixed-auth _meta challenge)',
  severity: 'high',
  impact: 'chatgpt',
  step: 'Discovery',
  spec: refs('MCP 2025-11-25 Authorization §Protected Resource Metadata Discovery', 'RFC 9728 §5.1', 'RFC 6750 §3'),
  writes: ['challenge', 'mixed'],
  chatgpt: CHATGPT_SAYS.fetchConfig,
  async run(ctx) {
    let res: HttpResponse;
    try {
      res = await ctx.http.send({
        method: 'POST', url: ctx.opts.mcpUrl,
        headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
        json: initializeRequest(),
      });
    } catch (err) {
      // The connection itself failed: say so, and give no metadata advice (the rest waits).
      if (err instanceof HttpFailure && (err.kind === 'unreachable' || err.kind === 'tls' || err.kind === 'network' || err.kind === 'timeout')) {
        return fail(`${ctx.opts.mcpUrl}: ${err.message}`, connectionHint(err, ctx.opts.mcpUrl));
      }
      throw err;
    }
    const header = res.header('www-authenticate');
    const ch = bearerChallenge(header);
    ctx.s.challenge = {
      status: res.status,
      resourceMetadata: ch?.params.resource_metadata,
      scope: ch?.params.scope ? ch.params.scope.split(/\s+/).filter(Boolean) : undefined,
    };
    if (res.status >= 300 && res.status < 400) {
      return nb(fail(`POST ${ctx.opts.mcpUrl} redirected (${res.status} to ${safeText(res.header('location') ?? '?', 200)}); ChatGPT does not follow redirects on the MCP endpoint`,
        'Use the final URL as the connector URL, or serve the MCP endpoint without a redirect (a common cause is /mcp → /mcp/).'));
    }
    if (res.status >= 200 && res.status < 300 && /text\/html/i.test(res.header('content-type') ?? '')) {
      return fail(`${ctx.opts.mcpUrl} serves an HTML page (${res.status} ${safeText(res.header('content-type'), 60)}), not an MCP endpoint — usually a single-page-app fallback route or a wrong path`,
        'Give ChatGPT the URL of the MCP endpoint itself (often …/mcp), and make sure the SPA\'s catch-all route does not answer it.');
    }
    if (res.status >= 200 && res.status < 300) {
      const mixed = await detectMixedAuth(ctx, res);
      if (mixed) {
        ctx.s.mixed = mixed;
        const ch = mixed.challenge;
        ctx.s.challenge = { status: res.status, resourceMetadata: ch?.params.resource_metadata, scope: ch?.params.scope ? ch.params.scope.split(/\s+/).filter(Boolean) : undefined };
        return pass(`mixed auth mode: initialize and tools/list are public, ${mixed.protectedTools.length} tool(s) declare oauth2 securitySchemes${ch?.params.resource_metadata ? `; calling ${safeText(mixed.probed, 60)} without a token returns the _meta challenge, resource_metadata=${safeText(ch.params.resource_metadata, 200)}` : ` (see resource.mixed-auth)`}`);
      }
    }
    const type = res.header('content-type') ?? '';
    if (res.status >= 400 && res.status !== 401 && !/json|event-stream/i.test(type)) {
      // A static web server, a proxy's error page, another app: no JSON-RPC answer at all.
      return nb(fail(`${ctx.opts.mcpUrl} is not an MCP endpoint: POST without a token got ${res.status}${type ? ` ${safeText(type.split(';')[0], 60)}` : ''}, no JSON-RPC answer (an MCP server answers 401 with a Bearer challenge, or JSON-RPC)`,
        'Check the URL: it must be the MCP endpoint itself (usually https://<host>/mcp for Streamable HTTP, sometimes …/sse), served by your MCP server, not a web page or static file server.'));
    }
    if (res.status !== 401) {
      const what = res.status < 300 ? 'the server accepted an unauthenticated initialize, so ChatGPT sees no OAuth requirement and will not start the OAuth flow'
        : `expected 401, got ${res.status}`;
      return nb(fail(`POST ${ctx.opts.mcpUrl} without a token: ${what}`,
        'Require a bearer token on the MCP endpoint and answer requests without one with 401 and `WWW-Authenticate: Bearer resource_metadata="https://…/.well-known/oauth-protected-resource/…"`.'));
    }
    if (!ch) {
      return nb(fail(`401 without a Bearer challenge (WWW-Authenticate: ${safeText(header ?? 'missing', 200)})`,
        'Send `WWW-Authenticate: Bearer resource_metadata="<PRM URL>"` with every 401 from the MCP endpoint.'));
    }
    if (!ch.params.resource_metadata) {
      return warn('401 with a Bearer challenge but no resource_metadata parameter; ChatGPT falls back to the well-known locations',
        'Add resource_metadata="<absolute URL of the protected-resource metadata>" to the challenge so every client finds it the same way.');
    }
    return pass(`401 with Bearer challenge, resource_metadata=${safeText(ch.params.resource_metadata, 200)}${ch.params.scope ? `, scope=${quoted(ch.params.scope, 120)}` : ''}`);
  },
};

/**
 * Mixed auth (Apps SDK): an anonymous initialize is accepted, and tools declare securitySchemes.
 * List the tools anonymously and call the first oauth2-protected one without a token: its
 * `_meta["mcp/www_authenticate"]` is the challenge ChatGPT follows.
 */
async function detectMixedAuth(ctx: AppsContext, init: HttpResponse): Promise<NonNullable<AppsContext['s']['mixed']> | undefined> {
  const parsed = parseMcpResponse(init, 1);
  const result = parsed.message?.result as { protocolVersion?: string } | undefined;
  if (!result) return undefined;
  const session = { id: init.header('mcp-session-id'), version: typeof result.protocolVersion === 'string' ? result.protocolVersion : MCP_PROTOCOL_VERSION };
  await mcpPost(ctx, { jsonrpc: '2.0', method: 'notifications/initialized' }, undefined, session);
  const list = await mcpPost(ctx, { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} }, undefined, session);
  const tools = (list.message?.result as { tools?: unknown[] } | undefined)?.tools;
  if (!Array.isArray(tools)) return undefined;
  const declared = tools.filter((t): t is { name: string; securitySchemes: unknown[] } => !!t && typeof t === 'object' && Array.isArray((t as { securitySchemes?: unknown }).securitySchemes));
  if (!declared.length) return undefined;
  const protectedTools = declared.filter((t) => t.securitySchemes.some((s) => (s as { type?: unknown })?.type === 'oauth2')).map((t) => String(t.name));
  const probed = protectedTools[0];
  if (!probed) return { tools: tools.length, protectedTools };
  const call = await mcpPost(ctx, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: probed, arguments: {} } }, undefined, session);
  const r = call.message?.result as { isError?: boolean; _meta?: Record<string, unknown> } | undefined;
  const meta = r?._meta?.['mcp/www_authenticate'];
  const header = Array.isArray(meta) ? meta.filter((x) => typeof x === 'string').join(', ') : typeof meta === 'string' ? meta : undefined;
  const probeResult = call.res.status !== 200 ? String(call.res.status) : r ? (r.isError ? 'isError: true' : 'a successful result') : (call.problem ?? 'no result');
  return { tools: tools.length, protectedTools, probed, probeResult, challenge: bearerChallenge(header) };
}

/** How the challenge's own URL is named among the discovery candidates. */
const HEADER = 'WWW-Authenticate resource_metadata';

function wellKnownCandidates(mcpUrl: string, headerUrl?: string): { url: string; how: string }[] {
  const u = new URL(mcpUrl);
  const out: { url: string; how: string }[] = [];
  if (headerUrl) {
    try {
      out.push({ url: new URL(headerUrl).href, how: HEADER });
    } catch { /* reported below as unusable */ }
  }
  const path = u.pathname.replace(/\/$/, '');
  if (path) out.push({ url: `${u.origin}/.well-known/oauth-protected-resource${path}`, how: 'path-suffixed well-known' });
  out.push({ url: `${u.origin}/.well-known/oauth-protected-resource`, how: 'root well-known' });
  return out.filter((c, i) => out.findIndex((x) => x.url === c.url) === i);
}

export const prmDocument = prepared<AppsContext, Map<string, Promise<HttpResponse>>>({
  id: 'prm.document',
  title: 'Protected-resource metadata is served as JSON with authorization_servers',
  severity: 'critical',
  impact: 'chatgpt',
  step: 'Discovery',
  needs: ['resource.challenge'],
  spec: refs('RFC 9728 §3', 'RFC 9728 §5.1', 'MCP 2025-11-25 Authorization §Protected Resource Metadata Discovery'),
  reads: ['challenge'],
  writes: ['prm', 'prmUrl', 'asId'],
  chatgpt: CHATGPT_SAYS.fetchConfig,
  // The well-known locations follow from the MCP URL alone: they are requested while the
  // challenge is (a round trip less); the challenge's resource_metadata still comes first.
  prepare: { needs: [], async run(ctx) { return prefetch(ctx.http, wellKnownCandidates(ctx.opts.mcpUrl).map((c) => c.url)); } },
  async run(ctx, started) {
    const { found, attempts } = await firstJsonDocument(ctx.http, wellKnownCandidates(ctx.opts.mcpUrl, ctx.s.challenge?.resourceMetadata), (v) => {
      const as = v.authorization_servers;
      return Array.isArray(as) && as.length > 0 && as.every((x) => typeof x === 'string') ? undefined : 'JSON without a non-empty authorization_servers array of strings';
    }, started);
    if (found) {
      const as = found.value.authorization_servers as string[];
      ctx.s.prm = found.value;
      ctx.s.prmUrl = found.url;
      ctx.s.asId = as[0];
      ctx.http.opts.policy?.trust(as[0]!);
      const note = attempts.length ? ` (after: ${attempts.join('; ')})` : '';
      const named = ctx.s.challenge?.resourceMetadata;
      if (named && found.how !== HEADER) {
        // MCP: the client uses the challenge's URL when there is one and falls back to the
        // well-known URLs only when there is none (the MCP SDK's client does exactly that), so
        // ChatGPT stops at a resource_metadata URL that does not serve. The rest of the run goes
        // on with the document the well-known URL serves.
        return nb(fail(`the 401 challenge names resource_metadata=${safeText(named, 200)}, which does not serve the metadata (${attempts.find((a) => a.startsWith(HEADER)) ?? 'not an absolute URL'}); a client that follows the MCP specification uses that URL and does not fall back to the well-known ones, where ${found.url} serves it`,
          `Point the challenge's resource_metadata at ${found.url}, or serve the same document at ${safeText(named, 200)}.`));
      }
      return pass(`found at ${found.url} (${found.how}); authorization_servers: ${as.map((x) => safeText(x, 120)).join(', ')}${note}`);
    }
    return fail(`no usable protected-resource metadata: ${attempts.join('; ')}`,
      `Serve RFC 9728 metadata as application/json at ${wellKnownCandidates(ctx.opts.mcpUrl)[0]!.url} (and point the 401 challenge's resource_metadata at it), with {"resource": "${ctx.opts.mcpUrl}", "authorization_servers": ["<issuer>"]}. Make sure no SPA catch-all or auth middleware answers /.well-known/ paths.`);
  },
});

export const prmResource: CheckDef<AppsContext> = {
  id: 'prm.resource',
  title: 'Protected-resource metadata `resource` equals the MCP URL exactly',
  severity: 'high',
  impact: 'chatgpt',
  step: 'Discovery',
  needs: ['prm.document'],
  spec: refs('RFC 9728 §3.3', 'RFC 8707 §2'),
  reads: ['prm'],
  chatgpt: CHATGPT_SAYS.connecting,
  run(ctx) {
    const r = ctx.s.prm?.resource;
    if (typeof r !== 'string') {
      return fail('the metadata has no `resource` member', `Add "resource": "${ctx.opts.mcpUrl}" to the protected-resource metadata.`, undefined, true);
    }
    if (r === ctx.opts.mcpUrl) return pass(`resource is ${safeText(r, 200)}`);
    const hint = r.replace(/\/$/, '') === ctx.opts.mcpUrl.replace(/\/$/, '') ? ' (they differ only by a trailing slash)'
      : r.toLowerCase() === ctx.opts.mcpUrl.toLowerCase() ? ' (they differ only in letter case)' : '';
    return fail(`resource is ${quoted(r, 200)} but the connector URL is "${ctx.opts.mcpUrl}"${hint}; ChatGPT sends the resource value as the token audience, and clients following RFC 9728 reject the mismatch`,
      `Set "resource" to exactly "${ctx.opts.mcpUrl}", or give ChatGPT the URL ${quoted(r, 200)} if that is the canonical one.`, undefined, true);
  },
};
