/**
 * The `apps` catalog. Each check lives in the file named by its id prefix
 * (`token.audience` → token.ts; `network.server-user-agent` → network.ts; `resource.challenge` →
 * prm.ts with the other discovery checks). `network.*` is ours, beyond the contract's catalog.
 */
import type { CheckDef } from '../types.js';
import type { AppsContext } from './context.js';
import { prmDocument, prmResource, resourceChallenge } from './prm.js';
import { asClientRegistration, asEndpoints, asIssuer, asIssuerStable, asMetadata, asPkce } from './as.js';
import { jwksKeys, jwksNoPrivate } from './jwks.js';
import { dcrConnectorCallback, dcrRegister, dcrUnsafeRedirects } from './dcr.js';
import { cimdChatgptDocument } from './cimd.js';
import { authzImplicitRefused, authzIss, authzRedirectExact, authzScopeOmitted, authzState } from './authz.js';
import { pkceDowngrade, pkceRequired, pkceVerifierChecked, pkceVerifierRequired } from './pkce.js';
import { tokenAudience, tokenClientAuth, tokenCodeClientBinding, tokenCodeSingleUse, tokenErrorFormat, tokenExchange, tokenJwtSignature, tokenLifetime, tokenNoStore, tokenRedirectBinding, tokenScopes, tokenTypeConfusion } from './token.js';
import { refreshAudience, refreshClientBinding, refreshGrant, refreshRotation } from './refresh.js';
import { resourceAcceptsToken, resourceHandshake, resourceMixedAuth, resourceRejectsForged, resourceRejectsInvalid, resourceRejectsOtherAudience } from './resource.js';
import { networkServerUserAgent } from './network.js';

/**
 * The catalog, in report order: the contract's order, with our additions next to their step.
 * The engine derives the execution order from each check's declared needs, reads, writes and
 * spends (e.g. the checks that may revoke the token family run after every reader of the tokens).
 */
const CATALOG: CheckDef<AppsContext>[] = [
  resourceChallenge, prmDocument, prmResource, asMetadata, asIssuer, asPkce, asEndpoints,
  asClientRegistration, networkServerUserAgent, jwksKeys, jwksNoPrivate, cimdChatgptDocument, dcrRegister, dcrUnsafeRedirects,
  dcrConnectorCallback, authzRedirectExact, authzState, authzIss, authzScopeOmitted, pkceVerifierRequired, pkceVerifierChecked,
  tokenExchange, tokenCodeSingleUse, tokenRedirectBinding, tokenErrorFormat, tokenNoStore,
  tokenScopes, tokenJwtSignature, tokenAudience, refreshGrant, refreshRotation, refreshAudience,
  resourceHandshake, resourceAcceptsToken, resourceRejectsInvalid, resourceRejectsForged, resourceMixedAuth,
  // Security: RFC 9700 / OAuth 2.1 negative tests, reported under their own heading.
  pkceRequired, pkceDowngrade, tokenClientAuth, tokenCodeClientBinding, refreshClientBinding, tokenTypeConfusion,
  authzImplicitRefused, asIssuerStable, resourceRejectsOtherAudience, tokenLifetime,
];

/**
 * Every check that signs in (declares `logins`) reads the shared `grant`, so the checks that may
 * revoke it (which spend it) run after all other sign-ins, also when checks run concurrently.
 */
export const APPS_CHECKS: CheckDef<AppsContext>[] = CATALOG.map((c) => (c.logins && !c.spends?.includes('grant') ? { ...c, reads: [...(c.reads ?? []), 'grant'] } : c));
