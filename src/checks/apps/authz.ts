/** `authz.*`: the browser leg of the flow, with ChatGPT's parameters. */
import type { CheckDef } from '../types.js';
import { fail, incomplete, info, pass, warn, type Outcome } from '../types.js';
import { probeAuthorization } from '../../login/auto.js';
import { registerSecret } from '../../http/redact.js';
import { longState, newPkce, randomToken, stateKinship, type StateKinship } from '../../oauth/pkce.js';
import { quoted, safeText } from '../../text.js';
import { fixCommand, fixFor, type ProviderKind } from '../advice.js';
import { assertCimdLogin, authorizeUrl, resourceOf, type AppsContext, type Client } from './context.js';
import { tokenRequestAs } from './token-endpoint.js';
import { initializeRequest, mcpPost } from './mcp-client.js';
import { authorize, isolated, providerSignInHint, signInError, type Authorized } from './grants.js';
import { oauthError, readJsonObject } from '../../http/json.js';
import { bearerChallenge } from '../../oauth/www-authenticate.js';
import { CHATGPT_SAYS } from '../../chatgpt/messages.js';
import { CONNECTOR_CALLBACK_PREFIX, connectorCallback } from '../../chatgpt/redirects.js';
import { refs } from '../spec.js';
import { isLoopback } from '../../url.js';

export const authzRedirectExact: CheckDef<AppsContext> = {
  id: 'authz.redirect-exact',
  title: 'The authorization endpoint never redirects to an unregistered redirect URI',
  severity: 'critical',
  impact: 'security',
  step: 'Authorization',
  needs: ['as.endpoints', 'dcr.register'],
  spec: refs('RFC 9700 §4.1.1', 'RFC 9700 §4.1.3', 'OAuth 2.1 §2.3.1', 'OAuth 2.1 §4.1.1', 'RFC 6749 §4.1.2.1'),
  reads: ['prm', 'scopes', 'as', 'client'],
  async run(ctx) {
    const registered = new URL(ctx.login.redirectUri);
    const reg = registered.href;
    const upper = new URL(reg);
    upper.pathname = upper.pathname.toUpperCase() === upper.pathname ? upper.pathname.toLowerCase() : upper.pathname.toUpperCase();
    const port = new URL(reg);
    port.port = String((Number(registered.port) || (registered.protocol === 'https:' ? 443 : 80)) + 1);
    const variants = [
      `https://${registered.hostname}.gpt-oauth-probe.example${registered.pathname}`, // look-alike host
      `${registered.origin}${registered.pathname.replace(/\/$/, '')}/gpt-oauth-probe`, // path suffix
      `${reg}${registered.search ? '&' : '?'}gpt-oauth-probe=1`, // added query
      `${registered.protocol}//gpt-oauth-probe@${registered.host}${registered.pathname}`, // userinfo
      `${reg}#gpt-oauth-probe`, // fragment (OAuth 2.1 §2.3.1: never allowed)
      upper.href, // different case
      // Loopback redirects may use any port (OAuth 2.1 §8.4.2); elsewhere the port is part of the match.
      ...(isLoopback(registered) ? [] : [port.href]),
    ];
    const results: string[] = [];
    // The probes do not depend on each other: all at once, judged in order.
    const probes = await Promise.all(variants.map((bad) => probeAuthorization(ctx.http, authorizeUrl(ctx, { state: longState(), pkce: newPkce(), redirectUri: bad }), bad)));
    for (const [i, bad] of variants.entries()) {
      const probe = probes[i]!;
      if (probe.kind === 'redirect') {
        const loc = probe.location;
        if (loc.searchParams.has('code')) registerSecret(loc.searchParams.get('code'), 'code');
        return fail(`the server redirected to the unregistered redirect URI ${bad}${loc.searchParams.has('code') ? ' with an authorization code' : ''}; an attacker can steal codes with a look-alike URI`,
          'Compare redirect_uri with the registered values by exact string match (no prefix, subdomain or path matching), and show an error page instead of redirecting when it does not match.');
      }
      results.push(probe.kind === 'error' ? `refused (${probe.status})` : probe.kind === 'declined' ? `went on to ${safeText(probe.host, 100)} (a page there, not followed)` : `showed a page (${probe.status})`);
    }
    if (results.every((r) => r.startsWith('refused'))) return pass(`${variants.length} altered redirect URIs (look-alike host, path suffix, added query, userinfo, fragment, case${variants.length > 6 ? ', port' : ''}) were refused: ${results.join(', ')}`);
    return info(`the server showed a page instead of an error for look-alike redirect URIs (${results.join(', ')}); it did not redirect, but whether it would after a login was not tested`);
  },
};

function authorizationErrorFix(error: string, provider: ProviderKind, resource: string, scopes: string[], desc: string, mcpUrl: string, source?: Client['source']): string {
  // Supabase Auth with no authorization (consent) path: every sign-in is sent back with this.
  if (/authorization path not configured/i.test(desc)) {
    return fixFor(provider, {
      supabase: `set the OAuth server's authorization path to your consent page's path on the Site URL (Authentication → OAuth Server → Authorization path; Management API oauth_server_authorization_path, e.g. "/oauth/consent"); ${fixCommand(mcpUrl)}`,
      generic: 'the server has no page to send the user to (its authorization or consent path is not set): configure it',
    });
  }
  switch (error) {
    case 'invalid_target':
      return fixFor(provider, {
        auth0: `turn on the tenant's "Resource Parameter Compatibility Profile" (Settings → Advanced) and create an API whose identifier is ${resource}`,
        workos: `register ${resource} as a Resource in the AuthKit dashboard`,
        supabase: 'Supabase\'s OAuth server refuses the resource parameter at consent; this is a known limitation (supabase/auth#2820) — proxy the authorization endpoint to drop it',
        generic: `accept resource=${resource} (RFC 8707) at the authorization and token endpoints`,
      });
    case 'invalid_scope':
      return fixFor(provider, {
        keycloak: 'add the requested scopes as client scopes (openid is rejected by "Allowed Client Scopes"; offline_access needs the realm role)',
        generic: `ChatGPT requests "${scopes.join(' ')}"; allow every one of these for the client, or stop advertising the ones you do not grant`,
      });
    case 'unauthorized_client':
    case 'invalid_client':
      // The run registered this client a moment ago (dcr.register): the registration works, so
      // the fix is where the authorization endpoint looks the client up.
      if (source === 'dcr') return 'The authorization endpoint refuses the client the registration endpoint just issued (dcr.register passed): let it find dynamically registered clients (the same client store) and allow them response_type=code with the authorization_code grant.';
      return 'The client is not allowed to use the authorization code flow, or is unknown; check the client registration.';
    case 'invalid_request':
      return 'Read the error_description: a parameter ChatGPT sends (resource, scope, code_challenge, state) was refused.';
    case 'access_denied':
      return fixFor(provider, {
        // "Client … is not authorized to access resource server …" / "Service not found": DCR
        // clients are third-party and need a client grant for the API (provider-apis.md §2).
        auth0: `registered (third-party) clients need an API whose identifier is ${resource} and a client grant for third-party clients on it (Applications → APIs → Machine to Machine / "default for third-party clients")`,
        generic: 'Read the error_description: the server denied the client or the resource without asking the user.',
      });
    default:
      return 'Read the error_description from the server and its logs.';
  }
}

/** Errors that mean "this client", which is the tester's input when it came from --client-id. */
const CLIENT_ERRORS = ['invalid_client', 'unauthorized_client'];

/**
 * A sign-in that could not be completed: on the tester's side (login page in auto mode, timeout,
 * a failing command) it is incomplete; an error page from the authorization endpoint is the
 * server's — unless the client it complains about is the one the tester gave.
 */
function loginFailure(ctx: AppsContext, o: Outcome): Outcome {
  const site = providerSignInHint(ctx, o.detail);
  if (o.status !== 'fail') return site && o.fix ? { ...o, fix: `${site} / ${o.fix}` } : o;
  if (site) return { ...fail(o.detail, site, CHATGPT_SAYS.connecting), signIn: o.signIn };
  if (ctx.s.client?.source === 'predefined') {
    return incomplete(`the authorization request with the client you gave failed: ${o.detail.replace(/^the authorization endpoint answered with an error page: /, '')}`, 'check --client-id (and its redirect URIs), or leave it out to let the doctor register a client as ChatGPT does');
  }
  // Auth0's page for a registered client without a login connection it may use (only
  // domain-level connections serve third-party clients: provider-apis.md §2).
  const fix = /no connections enabled for the client/.test(o.detail)
    ? fixFor(ctx.s.provider, { auth0: `promote the connection your users sign in with to domain level (Authentication → the connection → "Promote Connection to Domain Level"); ${fixCommand(ctx.opts.mcpUrl)} with --connection NAME`, generic: 'enable a login method (connection) for dynamically registered clients' })
    : 'Open the same authorization URL in a browser to see the server\'s page, and read its logs.';
  return { ...fail(o.detail, fix, CHATGPT_SAYS.connecting), signIn: o.signIn };
}

/** How a returned state differs from the one sent, in words that say only what is true of it. */
function stateChange(sent: string, got: string, kin: StateKinship): string {
  if (kin === 'cut') return `${got.length} of ${sent.length} characters came back: a short database column?`;
  if (kin === 'foreign') return `a ${got.length}-character value that shares nothing with the ${sent.length} characters sent: replaced on the way`;
  if (got.length === sent.length) return 'same length, different characters: rewritten on the way';
  let same = 0;
  while (same < sent.length && sent[same] === got[same]) same++;
  return `${got.length} characters instead of ${sent.length}${same ? `, the first ${same} unchanged` : ''}, different characters: rewritten on the way`;
}

export const authzState: CheckDef<AppsContext> = {
  id: 'authz.state',
  title: 'A long `state` with special characters comes back byte-identical',
  severity: 'high',
  impact: 'chatgpt',
  step: 'Authorization',
  needs: ['as.endpoints', 'dcr.register'],
  spec: refs('RFC 6749 §4.1.2', 'RFC 9700 §4.7'),
  reads: ['prm', 'scopes', 'as', 'client', 'provider'],
  writes: ['main'],
  logins: 1,
  rounds: 3, // a first sign-in: authorize, the sign-in page, resume
  chatgpt: CHATGPT_SAYS.state,
  async run(ctx) {
    assertCimdLogin(ctx);
    const signed = await authorize(ctx, ctx.s.client!.clientId, 'the main authorization', { chatgptPath: true });
    if ('outcome' in signed) return loginFailure(ctx, signed.outcome);
    const { callback, pkce, state } = signed;
    const error = callback.searchParams.get('error');
    if (error && ctx.s.client?.source === 'predefined' && CLIENT_ERRORS.includes(error)) {
      return incomplete(`the authorization server does not accept the client you gave (${safeText(error, 60)}${callback.searchParams.get('error_description') ? `: ${safeText(callback.searchParams.get('error_description'), 200)}` : ''})`,
        'check --client-id (and its redirect URIs), or leave it out to let the doctor register a client as ChatGPT does');
    }
    if (error) {
      const desc = callback.searchParams.get('error_description');
      return {
        ...fail(`the authorization server refused the request: ${safeText(error, 60)}${desc ? ` (${safeText(desc, 300)})` : ''}. Requested scope "${(ctx.s.scopes ?? []).join(' ')}", resource ${resourceOf(ctx)}`,
          authorizationErrorFix(error, ctx.s.provider, resourceOf(ctx), ctx.s.scopes ?? [], desc ?? '', ctx.opts.mcpUrl, ctx.s.client?.source), CHATGPT_SAYS.connecting),
        signIn: signInError(callback),
      };
    }
    const code = callback.searchParams.get('code');
    if (!code) return fail('the redirect carried neither a code nor an error', 'Redirect back with ?code=…&state=….');
    registerSecret(code, 'code');
    ctx.s.main = { callback, state, pkce, redirectUri: ctx.login.redirectUri };
    const got = callback.searchParams.get('state');
    if (got === null) return fail('the redirect carried no `state`', 'Return the state parameter unchanged in the redirect (RFC 6749 §4.1.2).', undefined, true);
    if (got !== state) {
      // Cut short: a column too small; otherwise the characters were rewritten on the way, or
      // the state was replaced by one that shares nothing with it. (A pasted address with another
      // sign-in's state never gets here: --login manual refuses it and asks again.)
      const kin = stateKinship(state, got);
      const cut = kin === 'cut';
      return fail(`state came back changed (${stateChange(state, got, kin)})`, cut ? 'Store state as an opaque string of at least 1024 characters and return it byte-for-byte.' : 'Return state byte-for-byte: do not decode, re-encode, trim or replace any of its characters (RFC 6749 §4.1.2).', undefined, true);
    }
    return pass(`authorization code received; state of ${state.length} characters returned intact`);
  },
};

export const authzIss: CheckDef<AppsContext> = {
  id: 'authz.iss',
  title: 'The authorization response carries `iss` equal to the issuer (RFC 9207)',
  severity: 'medium',
  impact: 'interop',
  step: 'Authorization',
  needs: ['authz.state'],
  spec: refs('RFC 9207 §2', 'MCP 2026-07-28 Authorization §Authorization Response Validation'),
  reads: ['as', 'main', 'provider'],
  run(ctx) {
    const advertised = ctx.s.as!.authorization_response_iss_parameter_supported === true;
    const iss = ctx.s.main!.callback.searchParams.get('iss');
    const issuer = ctx.s.as!.issuer;
    if (!advertised) {
      if (iss !== null && iss !== issuer) return fail(`iss ${quoted(iss)} differs from the issuer ${quoted(issuer)}`, 'Send iss equal to the issuer, exactly.');
      return warn(`authorization_response_iss_parameter_supported is not advertised, so ChatGPT uses a per-connector callback (${connectorCallback('<id>')}) instead of the stable one`,
        fixFor(ctx.s.provider, {
          auth0: `set the tenant setting authorization_response_iss_parameter_supported (Settings → Advanced → "Include Issuer in Authorization Responses"); ${fixCommand(ctx.opts.mcpUrl)}`,
          generic: `send iss in authorization responses and advertise "authorization_response_iss_parameter_supported": true; until then, allow-list the ${CONNECTOR_CALLBACK_PREFIX} callbacks`,
        }));
    }
    if (iss === null) return fail('iss support is advertised but the redirect carried no iss; clients following RFC 9207 must reject it', 'Include iss in every authorization response, or stop advertising support.');
    if (iss !== issuer) return fail(`iss ${quoted(iss)} differs from the issuer ${quoted(issuer)}`, 'Send iss equal to the metadata issuer, byte for byte.');
    return pass(`iss ${safeText(iss, 200)}`);
  },
};

/**
 * On reconnect ChatGPT sends the authorization request with no `scope` at all (observed Nov
 * 2025, research B8): a server that requires one locks out users who disconnect and reconnect.
 */
export const authzScopeOmitted = isolated<Authorized | { outcome: Outcome }>({
  id: 'authz.scope-omitted',
  title: 'An authorization request without `scope` (ChatGPT\'s reconnect) yields a working token',
  severity: 'high',
  impact: 'chatgpt',
  step: 'Authorization',
  needs: ['token.exchange'],
  spec: refs('RFC 6749 §3.3', 'MCP 2025-11-25 Authorization §Scope Selection Strategy'),
  reads: ['as', 'client', 'prm', 'scopes', 'provider'],
  logins: 1,
  rounds: 2, // redeem, then call the MCP server with the token
  chatgpt: CHATGPT_SAYS.connecting,
  // A reconnect is a new sign-in: as a client of its own where the server registers clients.
  obtain: (ctx, client) => authorize(ctx, client.clientId, 'a reconnect without scope', { scope: [] }),
  async judge(ctx, got, client) {
    if ('outcome' in got) return loginFailure(ctx, got.outcome);
    const { callback, pkce } = got;
    const fix = fixFor(ctx.s.provider, {
      generic: 'treat an authorization request without scope as a request for the default scopes (RFC 6749 §3.3: the server must use a default or fail — choose the default, because ChatGPT\'s reconnect sends none)',
    });
    const error = callback.searchParams.get('error');
    if (error) {
      return { ...fail(`the authorization request without scope was refused: ${safeText(error, 60)}${callback.searchParams.get('error_description') ? ` (${safeText(callback.searchParams.get('error_description'), 200)})` : ''}; users who disconnect and reconnect ChatGPT are locked out`, fix), signIn: signInError(callback) };
    }
    const code = callback.searchParams.get('code');
    if (!code) return fail('the redirect carried neither a code nor an error', 'Redirect back with ?code=…&state=….');
    registerSecret(code, 'code');
    const res = await tokenRequestAs(ctx, client, { grant_type: 'authorization_code', code, redirect_uri: got.redirectUri, code_verifier: pkce.verifier, resource: resourceOf(ctx) });
    const j = readJsonObject(res, false);
    const token = j.ok && typeof j.value.access_token === 'string' ? j.value.access_token : undefined;
    if (res.status !== 200 || !token) return fail(`the code from an authorization without scope could not be exchanged: ${oauthError(res)}`, fix);
    const init = await mcpPost(ctx, initializeRequest(1), token);
    const ch = bearerChallenge(init.res.header('www-authenticate'));
    if (init.res.status === 403 && ch?.params.error === 'insufficient_scope' && ch.params.scope) {
      return pass(`without scope: code and token; the MCP server then asks for a step-up (403 insufficient_scope, scope "${safeText(ch.params.scope, 120)}"), which ChatGPT follows`);
    }
    if (init.res.status !== 200) return fail(`the token from an authorization without scope was refused by the MCP server (${init.res.status}); a reconnected user cannot use the tools`, fix);
    return pass(`without scope: code, token${j.ok && typeof j.value.scope === 'string' ? ` (granted "${safeText(j.value.scope, 120)}")` : ''} and an accepted initialize`);
  },
});

/** OAuth 2.1 removed the implicit grant; RFC 9700 §2.1.2: never tokens in a redirect. */
export const authzImplicitRefused: CheckDef<AppsContext> = {
  id: 'authz.implicit-refused',
  title: 'response_type=token and id_token token are refused: no tokens in a redirect',
  severity: 'high',
  impact: 'security',
  step: 'Security',
  needs: ['as.endpoints', 'dcr.register'],
  spec: refs('OAuth 2.1 §1.7', 'RFC 9700 §2.1.2'),
  reads: ['as', 'client', 'prm', 'scopes'],
  async run(ctx) {
    const results: string[] = [];
    const types = ['token', 'id_token token'];
    const probes = await Promise.all(types.map((responseType) => probeAuthorization(ctx.http, authorizeUrl(ctx, { state: longState(), extra: { response_type: responseType, nonce: randomToken(12) } }), ctx.login.redirectUri)));
    for (const [i, responseType] of types.entries()) {
      const probe = probes[i]!;
      if (probe.kind === 'redirect') {
        const loc = probe.location;
        const fragment = new URLSearchParams(loc.hash.replace(/^#/, ''));
        const leaked = ['access_token', 'id_token'].filter((k) => fragment.has(k) || loc.searchParams.has(k));
        for (const k of leaked) registerSecret(fragment.get(k) ?? loc.searchParams.get(k), k);
        if (leaked.length) {
          return fail(`response_type=${responseType} returned ${leaked.join(' and ')} in the redirect: the implicit flow is served, so tokens end up in browser history, logs and referrers`,
            'Disable the implicit grant (and hybrid response types with token): accept only response_type=code (OAuth 2.1 §1.7, RFC 9700 §2.1.2).');
        }
        results.push(`${responseType}: ${safeText(fragment.get('error') ?? loc.searchParams.get('error') ?? 'redirected without tokens', 60)}`);
      } else {
        results.push(`${responseType}: ${probe.kind === 'error' ? `refused (${probe.status})` : probe.kind === 'declined' ? `went on to ${safeText(probe.host, 100)} (not followed)` : `a page (${probe.status})`}`);
      }
    }
    return pass(results.join('; '));
  },
};
