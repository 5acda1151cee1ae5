/** `as.*`: authorization-server metadata, found the way the MCP spec tells clients to look. */
import type { CheckDef } from '../types.js';
import { as, fail, pass, prepared, warn } from '../types.js';
import type { HttpResponse } from '../../http/client.js';
import { quoted, safeText } from '../../text.js';
import { fixCommand, fixFor, recogniseProvider, recogniseProviderByMetadata, STYTCH_AUTHORIZATION_URL } from '../advice.js';
import { isHttpsOrLoopback } from '../../url.js';
import { scopesFor, type AppsContext, type AsMetadata } from './context.js';
import { firstJsonDocument, prefetch } from './discovery.js';
import { CHATGPT_SAYS } from '../../chatgpt/messages.js';
import { refs } from '../spec.js';
import { readJsonObject } from '../../http/json.js';

/** MCP 2025-11-25 order: RFC 8414 path-insert, OIDC path-insert, OIDC path-append. */
export function asMetadataCandidates(issuer: string): { url: string; how: string }[] {
  const u = new URL(issuer);
  const path = u.pathname.replace(/\/$/, '');
  if (!path) {
    return [
      { url: `${u.origin}/.well-known/oauth-authorization-server`, how: 'RFC 8414' },
      { url: `${u.origin}/.well-known/openid-configuration`, how: 'OpenID Connect discovery' },
    ];
  }
  return [
    { url: `${u.origin}/.well-known/oauth-authorization-server${path}`, how: 'RFC 8414 path-insert' },
    { url: `${u.origin}/.well-known/openid-configuration${path}`, how: 'OIDC path-insert' },
    { url: `${u.origin}${path}/.well-known/openid-configuration`, how: 'OIDC path-append' },
  ];
}

/** RFC 8414 §2 (and the OIDC and CIMD extensions): boolean members; every other `*_supported` is a JSON array of strings. */
const BOOLEAN_MEMBERS = /(_parameter_supported|^client_id_metadata_document_supported|^require_[a-z_]+|_session_supported|_logout_supported)$/;
/** Members whose value is a URL (string). */
const URL_MEMBERS = /^(issuer|jwks_uri|service_documentation|op_policy_uri|op_tos_uri|[a-z_]+_endpoint)$/;

/**
 * The metadata as the other checks may use it: members of the wrong JSON type (a number where
 * RFC 8414 §2 says array of strings, an object where it says URL) are dropped and named, so a
 * malformed document is one finding here and never an exception in a check that reads it.
 */
function sanitizeAsMetadata(doc: AsMetadata): { clean: AsMetadata; ignored: string[] } {
  const clean: Record<string, unknown> = {};
  const ignored: string[] = [];
  const kind = (v: unknown) => (Array.isArray(v) ? 'an array' : v === null ? 'null' : `a ${typeof v}`);
  for (const [k, v] of Object.entries(doc)) {
    if (URL_MEMBERS.test(k) && typeof v !== 'string') { ignored.push(`${k} (${kind(v)}, not a URL string)`); continue; }
    if (BOOLEAN_MEMBERS.test(k) && k.endsWith('_supported') && typeof v !== 'boolean') { ignored.push(`${k} (${kind(v)}, not a boolean)`); continue; }
    if (k.endsWith('_supported') && !BOOLEAN_MEMBERS.test(k) && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) {
      ignored.push(`${k} (${Array.isArray(v) ? 'an array with non-string members' : kind(v)}, not an array of strings)`);
      continue;
    }
    clean[k] = v;
  }
  return { clean: clean as AsMetadata, ignored };
}

/**
 * The metadata URLs of an issuer at the MCP server's own origin, the commonest set-up (one
 * application serves both): requested while the protected-resource metadata is, so that when
 * authorization_servers names that origin the metadata is already there (a round trip less on
 * the path everything else waits for). Elsewhere they are two GETs of well-known URLs at the
 * server under test, left unread.
 */
function sameOriginGuess(mcpUrl: string): string[] {
  try { return asMetadataCandidates(new URL(mcpUrl).origin).map((c) => c.url); } catch { return []; }
}

export const asMetadata = prepared<AppsContext, Map<string, Promise<HttpResponse>>>({
  id: 'as.metadata',
  title: 'Authorization-server metadata is found in the MCP discovery order',
  severity: 'critical',
  impact: 'chatgpt',
  step: 'Discovery',
  needs: ['prm.document'],
  spec: refs('RFC 8414 §3', 'OpenID Connect Discovery 1.0 §4', 'MCP 2025-11-25 Authorization §Authorization Server Metadata Discovery'),
  reads: ['asId', 'challenge', 'prm'],
  writes: ['provider', 'as', 'asUrl', 'asMisses', 'scopes'],
  chatgpt: CHATGPT_SAYS.pkce,
  prepare: { needs: [], async run(ctx) { return prefetch(ctx.http, sameOriginGuess(ctx.opts.mcpUrl)); } },
  async run(ctx, started) {
    const issuer = ctx.s.asId!;
    ctx.s.provider = ctx.opts.provider ?? recogniseProvider(issuer);
    let candidates;
    try {
      candidates = asMetadataCandidates(issuer);
    } catch {
      return fail(`authorization_servers[0] is not a URL: ${quoted(issuer, 200)}`, 'List the issuer URL of your authorization server in authorization_servers.');
    }
    const { found, attempts } = await firstJsonDocument<AsMetadata>(ctx.http, candidates, undefined, started);
    ctx.s.asMisses = attempts;
    if (found) {
      const { clean, ignored } = sanitizeAsMetadata(found.value);
      ctx.s.as = clean;
      ctx.s.asUrl = found.url;
      if (ctx.s.provider === 'generic') ctx.s.provider = recogniseProvider(found.value.issuer);
      if (ctx.s.provider === 'generic') ctx.s.provider = recogniseProviderByMetadata(found.value as Record<string, unknown>);
      // ChatGPT picks its scopes once discovery is complete.
      ctx.s.scopes = ctx.opts.scope ?? scopesFor(ctx.s);
      const note = attempts.length ? `; earlier candidates: ${attempts.join('; ')}` : '';
      if (ignored.length) {
        return as('interop', warn(`found at ${found.url} (${found.how}), but members of the wrong type were ignored: ${safeText(ignored.join('; '), 600)}${note}`,
          'Publish each metadata member with the JSON type RFC 8414 §2 gives it (URLs as strings, *_supported as arrays of strings).'));
      }
      return pass(`found at ${found.url} (${found.how})${note}`);
    }
    return fail(`no metadata for ${safeText(issuer, 200)}: ${attempts.join('; ')}. ChatGPT shows the PKCE error when it cannot read the metadata at all — the fault is discovery, not PKCE`,
      fixFor(ctx.s.provider, {
        keycloak: 'Keycloak serves only /realms/<realm>/.well-known/openid-configuration; add a reverse-proxy rewrite for /.well-known/oauth-authorization-server/realms/<realm>, or list an issuer whose path-append OIDC document answers',
        supabase: 'the issuer is https://<ref>.supabase.co/auth/v1; enable the OAuth 2.1 server (Authentication → OAuth Server) so its discovery documents answer',
        generic: `serve RFC 8414 metadata at ${candidates[0]!.url} (or OpenID discovery at one of the other candidates) as application/json, and check that authorization_servers lists the exact issuer`,
      }));
  },
});

export const asIssuer: CheckDef<AppsContext> = {
  id: 'as.issuer',
  title: 'Metadata `issuer` is identical to the authorization_servers entry',
  severity: 'critical',
  impact: 'chatgpt',
  step: 'Discovery',
  needs: ['as.metadata'],
  spec: refs('RFC 8414 §3.3', 'MCP 2026-07-28 Authorization §Authorization Server Metadata Discovery'),
  reads: ['asId', 'as', 'provider'],
  chatgpt: CHATGPT_SAYS.createApp,
  run(ctx) {
    const listed = ctx.s.asId!;
    const got = ctx.s.as!.issuer;
    if (typeof got !== 'string') return fail('the metadata has no `issuer`', 'Add "issuer" with the exact issuer identifier.', undefined, true);
    if (got === listed) return pass(`issuer ${safeText(got, 200)}`);
    const slash = got.replace(/\/$/, '') === listed.replace(/\/$/, '');
    return fail(`issuer is ${quoted(got, 200)} but authorization_servers lists ${quoted(listed, 200)}${slash ? ' (only a trailing slash differs; the comparison is exact)' : ''}`,
      fixFor(ctx.s.provider, {
        auth0: 'the Auth0 issuer ends with a slash (https://<tenant>.auth0.com/); copy it verbatim into authorization_servers',
        generic: `list ${quoted(got, 200)} verbatim in the protected-resource metadata's authorization_servers`,
      }), undefined, true);
  },
};

export const asPkce: CheckDef<AppsContext> = {
  id: 'as.pkce-s256',
  title: 'Authorization server advertises PKCE S256',
  severity: 'critical',
  impact: 'chatgpt',
  step: 'Discovery',
  needs: ['as.metadata'],
  spec: refs('RFC 8414 §2', 'RFC 7636 §4.2', 'MCP 2025-11-25 Authorization §Authorization Code Protection'),
  reads: ['as', 'asUrl', 'provider'],
  chatgpt: CHATGPT_SAYS.pkce,
  run(ctx) {
    const m = ctx.s.as!.code_challenge_methods_supported;
    if (!Array.isArray(m)) {
      return fail(`code_challenge_methods_supported is missing from ${ctx.s.asUrl}; ChatGPT refuses to continue without it`,
        fixFor(ctx.s.provider, {
          generic: 'add "code_challenge_methods_supported": ["S256"] to the authorization-server metadata (pkce.verifier-checked tests whether the server verifies S256)',
        }), undefined, true);
    }
    if (!m.includes('S256')) {
      return fail(`code_challenge_methods_supported is ${JSON.stringify(m).slice(0, 100)}, without S256`, 'Add "S256" to code_challenge_methods_supported in the authorization-server metadata (pkce.verifier-checked tests whether the server verifies S256).', undefined, true);
    }
    // `plain` gives no protection against an intercepted code (RFC 7636 §7.2); ChatGPT uses S256.
    if (m.includes('plain')) {
      return as('security', warn('S256 is advertised, and so is the weak `plain` method', fixFor(ctx.s.provider, {
        // No tenant setting of the Management API v2 changes the advertised methods (its only PKCE
        // setting is for upstream connections), so --fix reports this as not fixable there.
        auth0: 'Auth0 advertises plain on every tenant and no Management API setting removes it; ChatGPT uses S256, so nothing on the tenant needs changing',
        // supabase/auth accepts S256 and plain; the auth config has no setting for it (provider-apis.md §4).
        supabase: 'Supabase Auth advertises and accepts plain on every project and no auth setting removes it; ChatGPT uses S256, so nothing on the project needs changing',
        generic: 'Remove `plain`; OAuth 2.1 and MCP clients use S256 only.',
      })));
    }
    return pass('S256 advertised');
  },
};

export const asEndpoints: CheckDef<AppsContext> = {
  id: 'as.endpoints',
  title: 'Authorization and token endpoints present, `code` flow, https',
  severity: 'critical',
  impact: 'chatgpt',
  step: 'Discovery',
  needs: ['as.metadata'],
  spec: refs('RFC 8414 §2', 'OAuth 2.1 §1.5'),
  reads: ['as', 'provider'],
  run(ctx) {
    const m = ctx.s.as!;
    const problems: string[] = [];
    const warnings: string[] = [];
    for (const key of ['authorization_endpoint', 'token_endpoint'] as const) {
      const v = m[key];
      if (typeof v !== 'string') { problems.push(`${key} is missing`); continue; }
      let u: URL;
      try { u = new URL(v); } catch { problems.push(`${key} is not a URL`); continue; }
      if (!isHttpsOrLoopback(u)) problems.push(`${key} is not https (${safeText(v, 120)})`);
    }
    if (Array.isArray(m.response_types_supported) && !m.response_types_supported.includes('code')) problems.push('response_types_supported does not include "code"');
    if (Array.isArray(m.grant_types_supported)) {
      if (!m.grant_types_supported.includes('authorization_code')) problems.push('grant_types_supported does not include authorization_code');
      if (!m.grant_types_supported.includes('refresh_token')) warnings.push('grant_types_supported does not include refresh_token');
    }
    if (problems.length) {
      const generic = 'Publish https authorization_endpoint and token_endpoint and support the authorization_code grant with response_type=code.';
      // Stytch's authorization_endpoint is the project's authorization URL: a page of the user's app.
      const stytchPage = ctx.s.provider === 'stytch' && problems.some((p) => p.startsWith('authorization_endpoint'));
      const fix = stytchPage ? fixFor('stytch', { stytch: `${STYTCH_AUTHORIZATION_URL} ${fixCommand(ctx.opts.mcpUrl, '--authorization-url https://<your app>/oauth/authorize')} (with STYTCH_WORKSPACE_KEY_ID and STYTCH_WORKSPACE_KEY_SECRET)`, generic }) : generic;
      return fail(problems.join('; '), fix, undefined, !problems.some((p) => p.includes('missing')));
    }
    // Only the advertisement is judged here: whether refresh works is refresh.grant's finding,
    // so the fix asks for nothing the server may already do.
    if (warnings.length) return warn(warnings.join('; '), 'Add "refresh_token" to grant_types_supported in the authorization-server metadata if the server issues refresh tokens (refresh.grant tests whether refreshing works), so clients reading the metadata know they can refresh.');
    return pass(`authorization ${safeText(m.authorization_endpoint, 120)}, token ${safeText(m.token_endpoint, 120)}`);
  },
};

export const asClientRegistration: CheckDef<AppsContext> = {
  id: 'as.client-registration',
  title: 'ChatGPT has a way to get a client (CIMD, DCR or a predefined client)',
  severity: 'critical',
  impact: 'chatgpt',
  step: 'Discovery',
  needs: ['as.metadata'],
  spec: refs('MCP 2025-11-25 Authorization §Client Registration Approaches', 'RFC 7591', 'draft-ietf-oauth-client-id-metadata-document'),
  reads: ['as', 'asMisses', 'provider'],
  chatgpt: CHATGPT_SAYS.fetchConfig,
  run(ctx) {
    const m = ctx.s.as!;
    const ways: string[] = [];
    if (ctx.opts.clientId) ways.push('a predefined client (--client-id)');
    if (m.client_id_metadata_document_supported === true) ways.push('client ID metadata documents (CIMD)');
    if (typeof m.registration_endpoint === 'string') ways.push(`dynamic registration at ${safeText(m.registration_endpoint, 120)}`);
    if (ways.length) return pass(ways.join('; '));
    // The cause before its symptom: discovery met the server saying its OAuth feature is off (a
    // Supabase project serves its OpenID document even then) — registration is not the switch.
    const off = ctx.s.asMisses?.find((m) => /feature_disabled|oauth server is disabled/i.test(m));
    if (off) {
      return fail(`the metadata advertises no registration_endpoint, and on the way discovery was told the OAuth server is off (${off}); the document found describes a server that is disabled`,
        fixFor(ctx.s.provider, {
          supabase: `turn on the project's OAuth 2.1 server and dynamic registration (Authentication → OAuth Server; Management API PATCH /v1/projects/<ref>/config/auth {"oauth_server_enabled": true, "oauth_server_allow_dynamic_registration": true}); ${fixCommand(ctx.opts.mcpUrl)}`,
          generic: 'turn the authorization server\'s OAuth feature on (its error says it is disabled), then enable dynamic client registration',
        }));
    }
    return fail('the metadata advertises neither client_id_metadata_document_supported nor a registration_endpoint, and no predefined client was given',
      fixFor(ctx.s.provider, {
        clerk: `turn on "Dynamic client registration" in the Clerk dashboard (Configure → OAuth applications); ${fixCommand(ctx.opts.mcpUrl)}`,
        auth0: `enable the tenant flag "OIDC Dynamic Application Registration" (Settings → Advanced); ${fixCommand(ctx.opts.mcpUrl)}`,
        stytch: `enable Dynamic Client Registration for the project (Connected Apps; workspace Management API idp_dynamic_client_registration_enabled); ${fixCommand(ctx.opts.mcpUrl)} (with STYTCH_WORKSPACE_KEY_ID and STYTCH_WORKSPACE_KEY_SECRET)`,
        supabase: `allow dynamic registration on the project's OAuth 2.1 server (Authentication → OAuth Server; Management API oauth_server_allow_dynamic_registration: true); ${fixCommand(ctx.opts.mcpUrl)}`,
        generic: 'enable dynamic client registration or CIMD, or create a client and enter its id in ChatGPT\'s "OAuth advanced settings" (test it here with --client-id)',
      }));
  },
};

/**
 * The metadata must not follow the request's Host or forwarding headers: an issuer that does
 * lets an attacker's host name end up as `issuer` and endpoints (mix-up, RFC 9700 §4.4).
 */
export const asIssuerStable: CheckDef<AppsContext> = {
  id: 'as.issuer-stable',
  title: 'The metadata\'s issuer and endpoints do not change with another Host, X-Forwarded-Host or X-Forwarded-Proto',
  severity: 'high',
  impact: 'security',
  step: 'Security',
  needs: ['as.metadata'],
  spec: refs('RFC 8414 §3.3', 'RFC 9700 §4.4'),
  reads: ['as', 'asUrl'],
  async run(ctx) {
    const url = ctx.s.asUrl!;
    const u = new URL(url);
    const evil = 'gpt-oauth-probe.example';
    const variants: [string, Record<string, string>][] = [
      ['Host', { host: evil }],
      ['X-Forwarded-Host', { 'x-forwarded-host': evil }],
      ['X-Forwarded-Proto', { 'x-forwarded-proto': u.protocol === 'https:' ? 'http' : 'https' }],
    ];
    const keys = ['issuer', 'authorization_endpoint', 'token_endpoint', 'registration_endpoint', 'jwks_uri'] as const;
    const base = ctx.s.as!;
    const moved: string[] = [];
    const notes: string[] = [];
    // All variants at once, judged in order.
    const answers = await Promise.all(variants.map(([, headers]) => ctx.http.send({ url, headers }).catch((err: Error) => err)));
    for (const [i, [name]] of variants.entries()) {
      const res = answers[i]!;
      if (res instanceof Error) {
        notes.push(`${name}: ${res.message}`);
        continue;
      }
      if (res.status !== 200) { notes.push(`${name}: ${res.status}`); continue; }
      const j = readJsonObject<AsMetadata>(res, false);
      if (!j.ok) { notes.push(`${name}: not JSON`); continue; }
      const changed = keys.filter((k) => j.value[k] !== base[k]).map((k) => `${k} became ${safeText(j.value[k], 120)}`);
      if (changed.length) moved.push(`with ${name}: ${changed.join(', ')}`);
      else notes.push(`${name}: unchanged`);
    }
    if (moved.length) {
      const issuerMoved = moved.some((m) => m.includes(' issuer became '));
      if (!issuerMoved) {
        // The issuer stayed fixed: only the endpoints follow the headers. The advice names that,
        // and asks only for what the server lacks.
        return fail(`the metadata's endpoints follow the request's headers while its issuer stays ${safeText(base.issuer, 120)} (${moved.join('; ')}): an attacker who can set them gets your server to announce their endpoints`,
          'Build the endpoint URLs from the configured issuer (or a configured public base URL) instead of the request\'s Host or X-Forwarded-* headers; if behind a proxy, trust forwarding headers only from that proxy.');
      }
      return fail(`the metadata follows the request's headers (${moved.join('; ')}): an attacker who can set them gets your server to announce their issuer and endpoints`,
        'Configure the issuer and the public base URL explicitly instead of deriving them from Host or X-Forwarded-* headers; if behind a proxy, trust forwarding headers only from that proxy.');
    }
    return pass(notes.join('; '));
  },
};
