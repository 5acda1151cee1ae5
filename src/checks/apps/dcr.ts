/** `dcr.*`: dynamic client registration, done with a body like ChatGPT's. */
import type { CheckDef } from '../types.js';
import { as, fail, pass, skip, warn } from '../types.js';
import { oauthError, readJsonObject } from '../../http/json.js';
import { registerSecret } from '../../http/redact.js';
import { safeText } from '../../text.js';
import { fixFor } from '../advice.js';
import { CONNECTOR_REDIRECT } from '../../chatgpt/redirects.js';
import { CIMD_CLIENT_ID, dcrRequestBody } from '../../chatgpt/client.js';
import type { AppsContext } from './context.js';
import { CHATGPT_SAYS } from '../../chatgpt/messages.js';
import { refs } from '../spec.js';

function remember(ctx: AppsContext, body: Record<string, unknown>): void {
  if (typeof body.client_secret === 'string') registerSecret(body.client_secret, 'client_secret');
  if (typeof body.registration_access_token === 'string') {
    registerSecret(body.registration_access_token, 'registration_access_token');
    if (typeof body.registration_client_uri === 'string') {
      ctx.s.cleanup.push({ uri: body.registration_client_uri, token: body.registration_access_token });
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
      return fail(`asked for token_endpoint_auth_method "none" but the server answered "${safeText(method, 40)}"`,
        'Echo the requested method, or refuse the registration; ChatGPT abandons setup when the method differs.', CHATGPT_SAYS.authMethod, true);
    }
    if (body.client_secret !== undefined) problems.push('issued a client_secret to a public client (harmless, but it will never be used)');
    // 200 instead of 201, or a secret nobody uses: ChatGPT registers fine; strict clients may not.
    if (problems.length) return as('interop', warn(`registered ${safeText(body.client_id, 80)}, but ${problems.join('; ')}`));
    return pass(`registered public client ${safeText(body.client_id, 80)} with ${redirects.length} redirect URI(s)`);
  },
};

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
    const base = { client_name: 'gpt-oauth doctor probe', grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'none' };
    const accepted: string[] = [];
    for (const uri of ['javascript:alert(document.domain)//', 'data:text/html,<script>alert(1)</script>']) {
      const res = await ctx.http.send({ method: 'POST', url: endpoint, json: { ...base, redirect_uris: [uri] } });
      if (res.status < 300) {
        accepted.push(uri.split(':')[0]!);
        const j = readJsonObject(res, false);
        if (j.ok) remember(ctx, j.value);
      }
    }
    if (accepted.length) {
      return fail(`registration accepted ${accepted.map((s) => `${s}:`).join(' and ')} redirect URIs; an attacker can register a client that delivers codes to script`,
        'Validate redirect_uris at registration: allow https (and http only on loopback for native apps); refuse every other scheme.');
    }
    const res = await ctx.http.send({ method: 'POST', url: endpoint, json: { ...base, redirect_uris: ['http://gpt-oauth-probe.example/callback'] } });
    if (res.status < 300) {
      const j = readJsonObject(res, false);
      if (j.ok) remember(ctx, j.value);
      return warn('javascript: and data: were refused, but a plain-http redirect URI on a non-loopback host was accepted',
        'Require https redirect URIs except on loopback (OAuth 2.1 §2.3.1).');
    }
    return pass('javascript:, data: and non-loopback http redirect URIs were refused');
  },
};
