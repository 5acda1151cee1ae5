/**
 * `cimd.*`: client ID metadata documents. ChatGPT "prioritizes CIMD when it is available"
 * (Apps SDK auth docs, research B5): with `client_id_metadata_document_supported` it authorizes
 * with its own document URL as client id. Its document declares `private_key_jwt`, with
 * `["none", "private_key_jwt"]` supported; the AS must accept the client and either verify a
 * private_key_jwt assertion (only ChatGPT can sign one) or let it use `none` with PKCE.
 */
import type { CheckDef } from '../types.js';
import { fail, info, pass, skip } from '../types.js';
import { oauthError, readJsonObject } from '../../http/json.js';
import { registerSecret } from '../../http/redact.js';
import { safeText } from '../../text.js';
import { CIMD_CLIENT_ID, clientMetadataDocument } from '../../chatgpt/client.js';
import { CONNECTOR_REDIRECT } from '../../chatgpt/redirects.js';
import { CHATGPT_SAYS } from '../../chatgpt/messages.js';
import { fixFor } from '../advice.js';
import { refs } from '../spec.js';
import { authorize } from './grants.js';
import { endpointUrl, needsChatgptRedirect, resourceOf, type AppsContext } from './context.js';
import { registerTokens } from './token-endpoint.js';

export const cimdChatgptDocument: CheckDef<AppsContext> = {
  id: 'cimd.chatgpt-document',
  title: "The authorization server accepts ChatGPT's client metadata document as client id",
  severity: 'critical',
  impact: 'chatgpt',
  step: 'Registration',
  needs: ['as.endpoints'],
  spec: refs('draft-ietf-oauth-client-id-metadata-document', 'MCP 2025-11-25 Authorization §Client Registration Approaches', 'OpenAI Apps SDK: Authentication (CIMD first)'),
  reads: ['as', 'prm', 'scopes', 'provider'],
  logins: 1,
  chatgpt: CHATGPT_SAYS.connecting,
  async run(ctx) {
    if (ctx.s.as!.client_id_metadata_document_supported !== true) {
      return { ...skip('the server does not advertise client_id_metadata_document_supported; ChatGPT uses dynamic registration or a predefined client'), nonBlocking: true };
    }
    const browser = needsChatgptRedirect(ctx);
    if (browser) return browser;
    const got = await authorize(ctx, CIMD_CLIENT_ID, 'ChatGPT\'s CIMD client', { redirectUri: CONNECTOR_REDIRECT });
    if ('outcome' in got) return got.outcome.status === 'fail' ? { ...got.outcome, fix: cimdFix(ctx, 'authorize') } : got.outcome;
    const error = got.callback.searchParams.get('error');
    if (error) {
      return fail(`authorizing with client_id ${CIMD_CLIENT_ID} was refused: ${safeText(error, 60)}${got.callback.searchParams.get('error_description') ? ` (${safeText(got.callback.searchParams.get('error_description'), 200)})` : ''}; ChatGPT takes this path whenever CIMD is advertised`, cimdFix(ctx, 'authorize'));
    }
    const code = got.callback.searchParams.get('code');
    if (!code) return fail('the redirect carried neither a code nor an error', 'Redirect back with ?code=…&state=….');
    registerSecret(code, 'code');
    const res = await ctx.http.send({
      method: 'POST', url: endpointUrl(ctx, 'token_endpoint'),
      form: { grant_type: 'authorization_code', code, redirect_uri: CONNECTOR_REDIRECT, code_verifier: got.pkce.verifier, client_id: CIMD_CLIENT_ID, resource: resourceOf(ctx) },
    });
    const j = readJsonObject(res, false);
    if (j.ok) registerTokens(j.value);
    if (res.status === 200 && j.ok && typeof j.value.access_token === 'string') {
      return pass(`authorized and exchanged a code as ${CIMD_CLIENT_ID} with token_endpoint_auth_method none and PKCE, as ChatGPT can`);
    }
    if (/invalid_client/.test(res.text())) {
      return info(`the authorization endpoint accepted ChatGPT's document, and the token endpoint wants client authentication (${oauthError(res)}): ChatGPT signs a private_key_jwt assertion with its own key (${String(clientMetadataDocument().jwks_uri)}), which the doctor cannot; that part is not testable here`);
    }
    return fail(`the authorization endpoint accepted ChatGPT's document, but the code issued to ${CIMD_CLIENT_ID} could not be exchanged: ${oauthError(res)}`, cimdFix(ctx, 'token'));
  },
};

/** The fix where the CIMD client failed: at the authorization endpoint, or only at the token endpoint (the authorization accepted it). */
function cimdFix(ctx: AppsContext, at: 'authorize' | 'token'): string {
  if (at === 'token') {
    return `The authorization endpoint accepts ${CIMD_CLIENT_ID}; make the token endpoint accept the same client_id: redeem its code as a public client with PKCE (token_endpoint_auth_method none), or verify its private_key_jwt assertion against the document's jwks_uri. Or stop advertising client_id_metadata_document_supported`;
  }
  return fixFor(ctx.s.provider, {
    clerk: `CIMD is in beta on Clerk: ask support to enable it, turn on "Advertise CIMD support" and allow-list ${CIMD_CLIENT_ID}`,
    generic: `accept ${CIMD_CLIENT_ID} (and its per-connector …/oauth/<id>/client.json forms) as client ids: fetch the document, check its client_id equals the URL and that redirect_uri is listed (${CONNECTOR_REDIRECT}), tolerate token_endpoint_auth_methods_supported ["none","private_key_jwt"], and either verify private_key_jwt against its jwks_uri or allow none with PKCE; do not pin an allow-list of other clients' hosts. Or stop advertising client_id_metadata_document_supported`,
  });
}
