/** `resource.challenge`, `prm.*`: how ChatGPT finds out that the MCP server needs OAuth, and where. */
import type { CheckDef } from '../types.js';
import { fail, pass, warn } from '../types.js';
import { bearerChallenge } from '../../oauth/www-authenticate.js';
import { safeText } from '../../text.js';
import { firstJsonDocument, initializeRequest, type AppsContext } from './context.js';
import { CHATGPT_SAYS } from '../../chatgpt/messages.js';
import { refs } from '../spec.js';

export const resourceChallenge: CheckDef<AppsContext> = {
  id: 'resource.challenge',
  title: 'MCP endpoint answers an anonymous initialize with a 401 Bearer challenge',
  severity: 'high',
  impact: 'chatgpt',
  step: 'Discovery',
  spec: refs('MCP 2025-11-25 Authorization §Protected Resource Metadata Discovery', 'RFC 9728 §5.1', 'RFC 6750 §3'),
  writes: ['challenge'],
  chatgpt: CHATGPT_SAYS.fetchConfig,
  async run(ctx) {
    const res = await ctx.http.send({
      method: 'POST', url: ctx.opts.mcpUrl,
      headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
      json: initializeRequest(),
    });
    const header = res.header('www-authenticate');
    const ch = bearerChallenge(header);
    ctx.s.challenge = {
      status: res.status,
      resourceMetadata: ch?.params.resource_metadata,
      scope: ch?.params.scope ? ch.params.scope.split(/\s+/).filter(Boolean) : undefined,
    };
    if (res.status >= 300 && res.status < 400) {
      return fail(`POST ${ctx.opts.mcpUrl} redirected (${res.status} to ${safeText(res.header('location') ?? '?', 200)}); ChatGPT does not follow redirects on the MCP endpoint`,
        'Use the final URL as the connector URL, or serve the MCP endpoint without a redirect (a common cause is /mcp → /mcp/).');
    }
    if (res.status !== 401) {
      const what = res.status < 300 ? 'the server accepted an unauthenticated initialize, so ChatGPT sees no OAuth requirement and will not start the OAuth flow'
        : `expected 401, got ${res.status}`;
      return fail(`POST ${ctx.opts.mcpUrl} without a token: ${what}`,
        'Require a bearer token on the MCP endpoint and answer requests without one with 401 and `WWW-Authenticate: Bearer resource_metadata="https://…/.well-known/oauth-protected-resource/…"`.');
    }
    if (!ch) {
      return fail(`401 without a Bearer challenge (WWW-Authenticate: ${safeText(header ?? 'missing', 200)})`,
        'Send `WWW-Authenticate: Bearer resource_metadata="<PRM URL>"` with every 401 from the MCP endpoint.');
    }
    if (!ch.params.resource_metadata) {
      return warn('401 with a Bearer challenge but no resource_metadata parameter; ChatGPT falls back to the well-known locations',
        'Add resource_metadata="<absolute URL of the protected-resource metadata>" to the challenge so every client finds it the same way.');
    }
    return pass(`401 with Bearer challenge, resource_metadata=${safeText(ch.params.resource_metadata, 200)}${ch.params.scope ? `, scope="${safeText(ch.params.scope, 120)}"` : ''}`);
  },
};

function wellKnownCandidates(mcpUrl: string, headerUrl?: string): { url: string; how: string }[] {
  const u = new URL(mcpUrl);
  const out: { url: string; how: string }[] = [];
  if (headerUrl) {
    try {
      out.push({ url: new URL(headerUrl).href, how: 'WWW-Authenticate resource_metadata' });
    } catch { /* reported below as unusable */ }
  }
  const path = u.pathname.replace(/\/$/, '');
  if (path) out.push({ url: `${u.origin}/.well-known/oauth-protected-resource${path}`, how: 'path-suffixed well-known' });
  out.push({ url: `${u.origin}/.well-known/oauth-protected-resource`, how: 'root well-known' });
  return out.filter((c, i) => out.findIndex((x) => x.url === c.url) === i);
}

export const prmDocument: CheckDef<AppsContext> = {
  id: 'prm.document',
  title: 'Protected-resource metadata is served as JSON with authorization_servers',
  severity: 'critical',
  impact: 'chatgpt',
  step: 'Discovery',
  spec: refs('RFC 9728 §3', 'MCP 2025-11-25 Authorization §Protected Resource Metadata Discovery'),
  reads: ['challenge'],
  writes: ['prm', 'prmUrl', 'asId'],
  chatgpt: CHATGPT_SAYS.fetchConfig,
  async run(ctx) {
    const { found, attempts } = await firstJsonDocument(ctx.http, wellKnownCandidates(ctx.opts.mcpUrl, ctx.s.challenge?.resourceMetadata), (v) => {
      const as = v.authorization_servers;
      return Array.isArray(as) && as.length > 0 && as.every((x) => typeof x === 'string') ? undefined : 'JSON without a non-empty authorization_servers array of strings';
    });
    if (found) {
      const as = found.value.authorization_servers as string[];
      ctx.s.prm = found.value;
      ctx.s.prmUrl = found.url;
      ctx.s.asId = as[0];
      ctx.http.opts.policy?.trust(as[0]!);
      const note = attempts.length ? ` (after: ${attempts.join('; ')})` : '';
      return pass(`found at ${found.url} (${found.how}); authorization_servers: ${as.map((x) => safeText(x, 120)).join(', ')}${note}`);
    }
    return fail(`no usable protected-resource metadata: ${attempts.join('; ')}`,
      `Serve RFC 9728 metadata as application/json at ${wellKnownCandidates(ctx.opts.mcpUrl)[0]!.url} (and point the 401 challenge's resource_metadata at it), with {"resource": "${ctx.opts.mcpUrl}", "authorization_servers": ["<issuer>"]}. Make sure no SPA catch-all or auth middleware answers /.well-known/ paths.`);
  },
};

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
    return fail(`resource is "${safeText(r, 200)}" but the connector URL is "${ctx.opts.mcpUrl}"${hint}; ChatGPT sends the resource value as the token audience, and clients following RFC 9728 reject the mismatch`,
      `Set "resource" to exactly "${ctx.opts.mcpUrl}", or give ChatGPT the URL "${safeText(r, 200)}" if that is the canonical one.`, undefined, true);
  },
};
