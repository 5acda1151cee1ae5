export { reportSchema } from '../../src/doctor/report-schema.js';

/** Checks we add to the `apps` catalog beyond the contract (allowed: "add to it freely"). */
const EXTRA_APPS_IDS = ['network.server-user-agent', 'cimd.chatgpt-document', 'dcr.connector-callback', 'authz.scope-omitted', 'resource.handshake', 'resource.mixed-auth', 'resource.bearer-error-codes'];

/** Checks that do not apply to a server without CIMD or mixed auth (they skip and say so). */
export const NOT_APPLICABLE_TO_SANDBOX = ['cimd.chatgpt-document', 'resource.mixed-auth'];

/** The security suite's ids (step "Security"). */
const SECURITY_APPS_IDS = ['pkce.required', 'pkce.downgrade', 'pkce.plain-refused', 'token.client-auth', 'token.code-client-binding', 'refresh.client-binding',
  'token.type-confusion', 'authz.implicit-refused', 'as.issuer-stable', 'resource.rejects-other-audience', 'token.lifetime'];


/** Every `apps` check id in the contract's catalog. */
const CONTRACT_APPS_IDS = [
  'resource.challenge', 'prm.document', 'prm.resource', 'as.metadata', 'as.issuer', 'as.pkce-s256', 'as.endpoints',
  'as.client-registration', 'jwks.keys', 'jwks.no-private', 'dcr.register', 'dcr.rejects-unsafe-redirects',
  'authz.redirect-exact', 'authz.state', 'authz.iss', 'pkce.verifier-required', 'pkce.verifier-checked',
  'token.exchange', 'token.code-single-use', 'token.redirect-binding', 'token.error-format', 'token.no-store',
  'token.scopes', 'token.jwt-signature', 'token.audience', 'refresh.grant', 'refresh.rotation', 'refresh.audience',
  'resource.accepts-token', 'resource.rejects-invalid-token', 'resource.rejects-forged-token',
];

/** Every apps check id. */
export const ALL_APPS_IDS = [...CONTRACT_APPS_IDS, ...EXTRA_APPS_IDS, ...SECURITY_APPS_IDS];
/** How many apps checks pass on the sandbox: all but the not-applicable ones. */
export const SANDBOX_PASSED = ALL_APPS_IDS.length - NOT_APPLICABLE_TO_SANDBOX.length;
