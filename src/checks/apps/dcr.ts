/** `dcr.*`: dynamic client registration, done with a body like ChatGPT's. */
import type { CheckDef } from '../types.js';
import { as, fail, pass, skip, warn, type Outcome } from '../types.js';
import { oauthError, readJsonObject } from '../../http/json.js';
import { registerClientCredentials, registerSecret } from '../../http/redact.js';
import { quoted, safeText } from '../../text.js';
import { fixFor } from '../advice.js';
import { CONNECTOR_CALLBACK_PREFIX, CONNECTOR_REDIRECT, connectorCallback } from '../../chatgpt/redirects.js';
import { randomToken } from '../../oauth/pkce.js';
import { CIMD_CLIENT_ID, dcrRequestBody } from '../../chatgpt/client.js';
import { authorize, providerSignInHint, signInError } from './grants.js';
import { currentCheck } from '../engine.js';
import { needsChatgptRedirect, type AppsContext } from './context.js';
import { CHATGPT_SAYS } from '../../chatgpt/messages.js';
import { refs } from '../spec.js';

function remember(ctx: AppsContext, body: Record<string, unknown>): void {
  if (typeof body.client_secret === 'string') registerClientCredentials(typeof body.client_id === 'string' ? body.client_id : undefined, body.client_secret, false);
  if (typeof body.registration_access_token === 'string') {
    registerSecret(body.registration_access_token, 'registration_access_token');
    if (typeof body.registration_client_uri === 'string') {
      ctx.s.cleanup.push({ uri: body.registration_client_uri, token: body.registration_access_token, owner: currentCheck.getStore() });
    }
  }
}

export const dcrRegister: CheckDef<AppsContext> = {
  id: 'dcr.register',
  title: 'Dynamic registration with a ChatGPT-like body succeeds and echoes it consistently',
  severity: 'critical',
  impact: 'chatgpt',
  step: 'Registration',
  needs: ['as.metadata'],
  spec: refs('RFC 7591 §3', 'MCP 2025-11-25 Authorization §Dynamic Client Registration'),
  reads: ['as', 'provider'],
  writes: ['client'],
  chatgpt: CHATGPT_SAYS.createApp,
  async run(ctx) {
    const o = await registerRun(ctx);
    // ChatGPT "prioritizes CIMD when it is available": with both, a DCR fault only matters when
    // the app creator picks DCR (cimd.chatgpt-document judges ChatGPT's path).
    return ctx.s.as!.client_id_metadata_document_supported === true && o.status === 'fail' ? as('interop', o) : o;
  },
};

async function registerRun(ctx: AppsContext): Promise<Outcome> {
  if (ctx.opts.clientId) {
    ctx.s.client = {
      clientId: ctx.opts.clientId,
      clientSecret: ctx.opts.clientSecret,
      authMethod: ctx.opts.clientSecret ? 'client_secret_post' : 'none',
      source: 'predefined',
    };
    return { ...skip(`using the predefined client ${safeText(ctx.opts.clientId, 80)}; no registration needed`), nonBlocking: true };
  }
  const endpoint = ctx.s.as!.registration_endpoint;
  if (typeof endpoint !== 'string') {
    if (ctx.s.as!.client_id_metadata_document_supported === true) {
      ctx.s.client = { clientId: CIMD_CLIENT_ID, authMethod: 'none', source: 'cimd' };
      return { ...skip(`no dynamic registration; using client ID metadata documents as ChatGPT does, with ChatGPT's own client id ${CIMD_CLIENT_ID} (the server fetches that document)`), nonBlocking: true };
    }
    return skip('no registration_endpoint');
  }
  const redirects = [...new Set([CONNECTOR_REDIRECT, ctx.login.redirectUri])];
  const request = dcrRequestBody(redirects);
  const res = await ctx.http.send({ method: 'POST', url: endpoint, json: request });
  if (res.status !== 201 && res.status !== 200) {
    return fail(`registration was refused: ${oauthError(res)}`,
      fixFor(ctx.s.provider, {
        keycloak: 'anonymous registration is blocked by the "Trusted Hosts" client-registration policy; allow chatgpt.com or relax the policy',
        auth0: 'enable "OIDC Dynamic Application Registration" for the tenant, and promote the login connection to domain level so DCR clients can use it',
        clerk: 'enable dynamic client registration for the instance',
        generic: `accept RFC 7591 registrations from unauthenticated public clients (token_endpoint_auth_method "none") with https redirect URIs such as ${CONNECTOR_REDIRECT}`,
      }));
  }
  const json = readJsonObject(res);
  if (!json.ok) return fail(`registration ${json.problem}`, 'Answer registrations with the client information as application/json (RFC 7591 §3.2.1).');
  const body = json.value;
  remember(ctx, body);
  if (typeof body.client_id !== 'string' || !body.client_id) return fail('the registration response has no client_id', 'Return the issued client_id.');
  const method = typeof body.token_endpoint_auth_method === 'string' ? body.token_endpoint_auth_method : 'none';
  ctx.s.client = {
    clientId: body.client_id,
    clientSecret: typeof body.client_secret === 'string' ? body.client_secret : undefined,
    authMethod: method === 'client_secret_basic' ? 'client_secret_basic' : method === 'client_secret_post' ? 'client_secret_post' : 'none',
    source: 'dcr',
  };
  const problems: string[] = [];
  if (res.status === 200) problems.push('answered 200 instead of 201 Created');
  if (Array.isArray(body.redirect_uris)) {
    const missing = redirects.filter((r) => !(body.redirect_uris as unknown[]).includes(r));
    if (missing.length) {
      return fail(`the registered client does not keep the requested redirect URIs (missing ${missing.join(', ')})`,
        'Store and echo every requested redirect_uri; proxies or bridges that drop them make the authorization fail with "redirect_uri does not match".', undefined, true);
    }
  }
  if (method !== 'none') {
    return fail(`asked for token_endpoint_auth_method "none" but the server answered ${quoted(method, 40)}`,
      'Echo the requested method, or refuse the registration; ChatGPT abandons setup when the method differs.', CHATGPT_SAYS.authMethod, true);
  }
  if (body.client_secret !== undefined) problems.push('issued a client_secret to a public client (harmless, but it will never be used)');
  // 200 instead of 201, or a secret nobody uses: ChatGPT registers fine; strict clients may not.
  if (problems.length) return as('interop', warn(`registered ${safeText(body.client_id, 80)}, but ${problems.join('; ')}`));
  return pass(`registered public client ${safeText(body.client_id, 80)} with ${redirects.length} redirect URI(s)`);
}

export const dcrUnsafeRedirects: CheckDef<AppsContext> = {
  id: 'dcr.rejects-unsafe-redirects',
  title: 'Registration refuses javascript:, data: and plain-http redirect URIs',
  severity: 'critical',
  impact: 'security',
  step: 'Registration',
  needs: ['as.metadata'],
  spec: refs('RFC 7591 §5', 'RFC 9700 §4.1', 'OAuth 2.1 §2.3.1'),
  reads: ['as'],
  async run(ctx) {
    const endpoint = ctx.s.as!.registration_endpoint;
    if (typeof endpoint !== 'string') return skip('no registration_endpoint');
    // After ChatGPT's own registrations, so a registration limit meets these probes first.
    await ctx.broker.chatgptRegistrations;
    const base = { client_name: 'gpt-oauth doctor probe', grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'none' };
    const accepted: string[] = [];
    // The three registrations at once, judged in order (an accepted one is deleted at the end).
    const uris = ['javascript:alert(document.domain)//', 'data:text/html,<script>alert(1)</script>', 'http://gpt-oauth-probe.example/callback'];
    const answers = await Promise.all(uris.map((uri) => ctx.http.send({ method: 'POST', url: endpoint, json: { ...base, redirect_uris: [uri] } })));
    for (const [i, uri] of uris.slice(0, 2).entries()) {
      const res = answers[i]!;
      if (res.status < 300) {
        accepted.push(uri.split(':')[0]!);
        const j = readJsonObject(res, false);
        if (j.ok) remember(ctx, j.value);
      }
    }
    if (accepted.length) {
      const extra = readJsonObject(answers[2]!, false);
      if (answers[2]!.status < 300 && extra.ok) remember(ctx, extra.value);
      return fail(`registration accepted ${accepted.map((s) => `${s}:`).join(' and ')} redirect URIs; an attacker can register a client that delivers codes to script`,
        'Validate redirect_uris at registration: allow https (and http only on loopback for native apps); refuse every other scheme.');
    }
    const res = answers[2]!;
    if (res.status < 300) {
      const j = readJsonObject(res, false);
      if (j.ok) remember(ctx, j.value);
      return warn('javascript: and data: were refused, but a plain-http redirect URI on a non-loopback host was accepted',
        'Require https redirect URIs except on loopback (OAuth 2.1 §2.3.1).');
    }
    return pass('javascript:, data: and non-loopback http redirect URIs were refused');
  },
};

/**
 * Without RFC 9207 `iss` support, ChatGPT uses a per-connector redirect
 * `https://chatgpt.com/connector/oauth/<callback id>` (about 12 URL-safe characters, new when the
 * connector is recreated) instead of the stable one (plugins changelog Aug 2026, research B6/B11).
 * A server that allow-lists only the stable redirect then refuses ChatGPT.
 */
export const dcrConnectorCallback: CheckDef<AppsContext> = {
  id: 'dcr.connector-callback',
  title: 'A client registered with a per-connector callback (https://chatgpt.com/connector/oauth/<id>) can complete authorization',
  severity: 'high',
  impact: 'chatgpt',
  step: 'Registration',
  needs: ['dcr.register'],
  spec: refs('RFC 7591 §2', 'RFC 9207 §2', 'OpenAI Apps SDK: Authentication (redirect URIs)'),
  reads: ['as', 'client', 'prm', 'scopes', 'provider'],
  logins: 1,
  chatgpt: CHATGPT_SAYS.connecting,
  async run(ctx) {
    try {
      return await connectorCallbackRun(ctx);
    } finally {
      // Registered (or not needed): the doctor's own clients may register now (grants.ts).
      ctx.broker.registrationsFree();
    }
  },
};

async function connectorCallbackRun(ctx: AppsContext): Promise<Outcome> {
  {
    const client = ctx.s.client!;
    if (client.source === 'predefined') return { ...skip(`a predefined client: register ${CONNECTOR_CALLBACK_PREFIX}<id> (the callback ChatGPT shows for your connector) with it yourself`), nonBlocking: true };
    if (client.source === 'cimd') return { ...skip('with CIMD the per-connector document (https://chatgpt.com/oauth/<id>/client.json) is served by ChatGPT and lists the per-connector callback; it cannot be fetched from here'), nonBlocking: true };
    const browser = needsChatgptRedirect(ctx);
    if (browser) return browser;
    const endpoint = ctx.s.as!.registration_endpoint!;
    const issSupported = ctx.s.as!.authorization_response_iss_parameter_supported === true;
    const callback = connectorCallback(randomToken(9).replace(/[^A-Za-z0-9]/g, 'x').slice(0, 12));
    // Without iss support ChatGPT uses this callback, so a refusal breaks it; with iss support it
    // uses the stable one, and a refusal only matters for connectors created before.
    const refused = (why: string) => (issSupported
      ? as('interop', warn(`${why}; the server supports RFC 9207 iss, so ChatGPT uses the stable ${CONNECTOR_REDIRECT} and is not affected`, ACCEPT_CALLBACKS))
      : fail(`${why}; the server does not support RFC 9207 iss, so ChatGPT uses exactly such a per-connector callback and cannot connect`, FIX));
    const reg = await ctx.http.send({ method: 'POST', url: endpoint, json: dcrRequestBody([callback]) });
    if (reg.status !== 201 && reg.status !== 200) return refused(`registering a client with ${callback} was refused: ${oauthError(reg)}`);
    const j = readJsonObject(reg, false);
    if (!j.ok || typeof j.value.client_id !== 'string') return refused(`registering a client with ${callback} returned no client_id`);
    remember(ctx, j.value);
    ctx.broker.registrationsFree();
    const got = await authorize(ctx, j.value.client_id, 'a per-connector callback', { redirectUri: callback });
    if ('outcome' in got) {
      if (got.outcome.status === 'fail') return { ...refused(`authorizing with ${callback}: ${got.outcome.detail}`), signIn: got.outcome.signIn };
      const hint = providerSignInHint(ctx, got.outcome.detail);
      return hint && got.outcome.fix ? { ...got.outcome, fix: `${hint} / ${got.outcome.fix}` } : got.outcome;
    }
    const error = got.callback.searchParams.get('error');
    if (error) return { ...refused(`authorizing with ${callback} was refused: ${safeText(error, 60)}`), signIn: signInError(got.callback) };
    if (!got.callback.searchParams.get('code')) return refused(`authorizing with ${callback} returned no code`);
    registerSecret(got.callback.searchParams.get('code'), 'code');
    return pass(`registered and authorized a client with ${callback}${issSupported ? '' : ' (the callback ChatGPT uses with this server, which lacks RFC 9207 iss)'}`);
  }
}

/** The fix where RFC 9207 iss is supported already (the run saw it advertised): only the callbacks. */
const ACCEPT_CALLBACKS = `Accept every https://chatgpt.com/connector/oauth/<id> redirect URI at registration and authorization (match the prefix ${CONNECTOR_CALLBACK_PREFIX} on that exact host, never a host wildcard), for connectors created before ChatGPT used the stable callback.`;
const FIX = `Accept every https://chatgpt.com/connector/oauth/<id> redirect URI at registration and authorization (match the prefix ${CONNECTOR_CALLBACK_PREFIX} on that exact host, never a host wildcard), or support RFC 9207: send iss and advertise "authorization_response_iss_parameter_supported": true, so ChatGPT uses the stable ${CONNECTOR_REDIRECT}.`;
