/**
 * The `apps` catalog. Each check lives in the file named by its id prefix
 * (`token.audience` → token.ts; `network.server-user-agent` → network.ts; `resource.challenge` →
 * prm.ts with the other discovery checks). `network.*` is ours, beyond the contract's catalog.
 */
import type { CheckDef } from '../../doctor/types.js';
import type { AppsContext } from './context.js';
import { prmDocument, prmResource, resourceChallenge } from './prm.js';
import { asClientRegistration, asEndpoints, asIssuer, asMetadata, asPkce } from './as.js';
import { jwksKeys, jwksNoPrivate } from './jwks.js';
import { dcrRegister, dcrUnsafeRedirects } from './dcr.js';
import { authzIss, authzRedirectExact, authzState } from './authz.js';
import { pkceVerifierChecked, pkceVerifierRequired } from './pkce.js';
import { tokenAudience, tokenCodeSingleUse, tokenErrorFormat, tokenExchange, tokenJwtSignature, tokenNoStore, tokenRedirectBinding, tokenScopes } from './token.js';
import { refreshAudience, refreshGrant, refreshRotation } from './refresh.js';
import { resourceAcceptsToken, resourceRejectsForged, resourceRejectsInvalid } from './resource.js';
import { networkServerUserAgent } from './network.js';

/**
 * Execution order: the flow as ChatGPT runs it, then the checks that spend tokens (refresh
 * rotation may revoke a token family) and the negative tests that need their own fresh codes.
 */
export const APPS_CHECKS: CheckDef<AppsContext>[] = [
  resourceChallenge, prmDocument, prmResource,
  asMetadata, asIssuer, asPkce, asEndpoints, asClientRegistration, networkServerUserAgent,
  jwksKeys, jwksNoPrivate,
  dcrRegister, dcrUnsafeRedirects,
  authzRedirectExact, authzState, authzIss,
  tokenExchange, tokenNoStore, tokenScopes, tokenJwtSignature, tokenAudience,
  resourceAcceptsToken, resourceRejectsInvalid, resourceRejectsForged,
  refreshGrant, refreshAudience, refreshRotation,
  tokenErrorFormat, pkceVerifierRequired, pkceVerifierChecked, tokenCodeSingleUse, tokenRedirectBinding,
];

/** Report order: the contract's catalog order, with our additions next to their step. */
export const APPS_REPORT_ORDER = [
  'resource.challenge', 'prm.document', 'prm.resource', 'as.metadata', 'as.issuer', 'as.pkce-s256', 'as.endpoints',
  'as.client-registration', 'network.server-user-agent', 'jwks.keys', 'jwks.no-private', 'dcr.register', 'dcr.rejects-unsafe-redirects',
  'authz.redirect-exact', 'authz.state', 'authz.iss', 'pkce.verifier-required', 'pkce.verifier-checked',
  'token.exchange', 'token.code-single-use', 'token.redirect-binding', 'token.error-format', 'token.no-store',
  'token.scopes', 'token.jwt-signature', 'token.audience', 'refresh.grant', 'refresh.rotation', 'refresh.audience',
  'resource.accepts-token', 'resource.rejects-invalid-token', 'resource.rejects-forged-token',
];

/** Checks that each obtain an authorization code (for "login N of M" in browser mode). */
export const CODE_CONSUMERS = ['authz.state', 'pkce.verifier-required', 'pkce.verifier-checked', 'token.code-single-use', 'token.redirect-binding'];
