/**
 * The `apps` catalog. Each check lives in the file named by its id prefix
 * (`token.audience` → token.ts; `network.server-user-agent` → network.ts; `resource.challenge` →
 * prm.ts with the other discovery checks). `network.*` is ours, beyond the contract's catalog.
 */
import type { CheckDef } from '../types.js';
import type { AppsContext } from './context.js';
import { GRANT_KEYS } from './grants.js';
import { prmDocument, prmResource, resourceChallenge } from './prm.js';
import { asClientRegistration, asEndpoints, asIssuer, asIssuerStable, asMetadata, asPkce } from './as.js';
import { jwksKeys, jwksNoPrivate } from './jwks.js';
import { dcrConnectorCallback, dcrRegister, dcrUnsafeRedirects } from './dcr.js';
import { cimdChatgptDocument } from './cimd.js';
import { authzImplicitRefused, authzIss, authzRedirectExact, authzScopeOmitted, authzState } from './authz.js';
import { pkceDowngrade, pkcePlainRefused, pkceRequired, pkceVerifierChecked, pkceVerifierRequired } from './pkce.js';
import { tokenAudience, tokenClientAuth, tokenCodeClientBinding, tokenCodeSingleUse, tokenErrorFormat, tokenExchange, tokenJwtSignature, tokenLifetime, tokenNoStore, tokenRedirectBinding, tokenScopes, tokenTypeConfusion } from './token.js';
import { refreshAudience, refreshClientBinding, refreshGrant, refreshRotation } from './refresh.js';
import { resourceAcceptsToken, resourceBearerErrorCodes, resourceHandshake, resourceMixedAuth, resourceRejectsForged, resourceRejectsInvalid, resourceRejectsOtherAudience } from './resource.js';
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
  resourceHandshake, resourceAcceptsToken, resourceRejectsInvalid, resourceBearerErrorCodes, resourceRejectsForged, resourceMixedAuth,
  // Security: RFC 9700 / OAuth 2.1 negative tests, reported under their own heading.
  pkceRequired, pkceDowngrade, pkcePlainRefused, tokenClientAuth, tokenCodeClientBinding, refreshClientBinding, tokenTypeConfusion,
  authzImplicitRefused, asIssuerStable, resourceRejectsOtherAudience, tokenLifetime,
];

/** State that comes from the run's grant: its code, tokens and refreshes. */
const FROM_GRANT = ['main', 'tokens', 'refreshed'];

/**
 * The isolation rules as declarations (grants.ts): a check that uses the run's grant (its code,
 * tokens or refresh) reads `grant`; a check that signs in holds a grant of the test user and
 * reads `user` — unless it spends them. The checks that may end them (a sign-in as the run's
 * client, a replay) then run after every user of them, also when checks run concurrently.
 */
export const APPS_CHECKS: CheckDef<AppsContext>[] = CATALOG.map((c) => {
  const reads = (c.reads ?? []) as string[];
  const held = GRANT_KEYS.filter((k) => !c.spends?.includes(k) && !reads.includes(k)
    && (k === 'grant' ? !!c.logins || reads.some((r) => FROM_GRANT.includes(r)) : !!c.logins));
  return held.length ? { ...c, reads: [...(c.reads ?? []), ...held] } : c;
});
