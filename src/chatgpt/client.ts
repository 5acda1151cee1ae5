/**
 * What ChatGPT's connector client sends as an OAuth and MCP client: its client ids, its client
 * metadata document, its registration body, its scope selection, its MCP protocol version and
 * client info.
 *
 * Sources: ../shared/reference/chatgpt-requirements.md B0, B5, B8, B14.
 */
import { CONNECTOR_REDIRECT, connectorCallback } from './redirects.js';

/**
 * ChatGPT's stable CIMD client id (plugins changelog "Stable OAuth callbacks and CIMD client
 * IDs", Aug 2026; used when the AS supports RFC 9207). Last confirmed 2026-09-08.
 */
export const CIMD_CLIENT_ID = 'https://chatgpt.com/oauth/client.json';

/** The per-connector CIMD form, e.g. `https://chatgpt.com/oauth/j0wKlDBsmsUM/client.json` (observed 2026-09). */
const cimdClientId = (callbackId: string): string => CIMD_CLIENT_ID.replace('/client.json', `/${callbackId}/client.json`);

/**
 * ChatGPT's client metadata document as fetched on 2026-09-08 (research B5). A per-connector
 * document has the per-connector client id and redirect.
 */
export function clientMetadataDocument(callbackId?: string): Record<string, unknown> {
  return {
    client_id: callbackId ? cimdClientId(callbackId) : CIMD_CLIENT_ID,
    client_uri: 'https://chatgpt.com/',
    redirect_uris: [callbackId ? connectorCallback(callbackId) : CONNECTOR_REDIRECT],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    client_name: 'ChatGPT',
    logo_uri: 'https://persistent.oaistatic.com/sonic/misc/openai-logo.png',
    token_endpoint_auth_signing_alg: 'RS256',
    jwks_uri: 'https://chatgpt.com/oauth/jwks.json',
  };
}

/**
 * The dynamic registration body. OpenAI does not document it (research B5: UNCERTAIN); this is
 * the shape community fixtures assume, as a public client, with `application_type` which the
 * 2026-07-28 MCP spec requires of DCR clients.
 */
export function dcrRequestBody(redirectUris: string[], clientName = 'ChatGPT (gpt-oauth doctor)'): Record<string, unknown> {
  return {
    client_name: clientName,
    redirect_uris: redirectUris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    application_type: 'web',
  };
}

/** The MCP protocol version ChatGPT's client announces (observed Aug–Sep 2026, research B14). */
export const MCP_PROTOCOL_VERSION = '2025-11-25';

/** `clientInfo` of ChatGPT's MCP client (observed, research B0 step 7). */
export const MCP_CLIENT_INFO = { name: 'openai-mcp', version: '1.0.0' } as const;

/** OIDC scopes ChatGPT adds when the AS advertises them (Apps SDK auth docs, research B8). */
const OIDC_SCOPES = ['openid', 'email', 'profile'] as const;

/**
 * ChatGPT's scope selection (MCP 2025-11-25 §Scope Selection Strategy plus the Apps SDK docs):
 * the challenge's `scope`, else the PRM `scopes_supported`; plus the OIDC scopes the AS
 * advertises, and `offline_access` when the AS lists it.
 */
export function chatgptScopes(input: { challengeScope?: string[]; prmScopes?: unknown; asScopes?: string[] }): string[] {
  const set = new Set<string>();
  const base = input.challengeScope?.length ? input.challengeScope : Array.isArray(input.prmScopes) ? input.prmScopes : [];
  for (const x of base) if (typeof x === 'string') set.add(x);
  for (const x of input.asScopes ?? []) {
    if ((OIDC_SCOPES as readonly string[]).includes(x) || x === 'offline_access') set.add(x);
  }
  return [...set];
}
