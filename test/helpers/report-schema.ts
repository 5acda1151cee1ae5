/** The contract's `doctor --json` report shape (shared/doctor-contract.md), as JSON Schema. */
export const reportSchema = {
  type: 'object',
  required: ['tool', 'version', 'target', 'subject', 'startedAt', 'durationMs', 'summary', 'verdict', 'checks'],
  properties: {
    tool: { const: 'gpt-oauth' },
    version: { type: 'string', pattern: '^\\d+\\.\\d+\\.\\d+' },
    target: { enum: ['apps', 'actions'] },
    subject: { type: 'string' },
    startedAt: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$' },
    durationMs: { type: 'number', minimum: 0 },
    summary: {
      type: 'object',
      required: ['passed', 'failed', 'warnings', 'skipped'],
      properties: {
        passed: { type: 'integer', minimum: 0 }, failed: { type: 'integer', minimum: 0 },
        warnings: { type: 'integer', minimum: 0 }, skipped: { type: 'integer', minimum: 0 },
      },
    },
    verdict: {
      type: 'object',
      required: ['chatgpt', 'security'],
      properties: { chatgpt: { enum: ['pass', 'fail', 'incomplete'] }, security: { enum: ['pass', 'fail', 'incomplete'] } },
    },
    notes: { type: 'array', items: { type: 'string' } },
    recheck: {
      type: 'object',
      required: ['rechecked', 'confirmed', 'cleared'],
      properties: { rechecked: { type: 'integer', minimum: 1 }, confirmed: { type: 'integer', minimum: 0 }, cleared: { type: 'array', items: { type: 'string' } } },
    },
    checks: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'status', 'severity', 'title', 'detail', 'spec', 'durationMs', 'impact'],
        properties: {
          id: { type: 'string', pattern: '^[a-z]+\\.[a-z0-9-]+$' },
          status: { enum: ['pass', 'fail', 'warn', 'skip', 'info'] },
          severity: { enum: ['critical', 'high', 'medium', 'low', 'info'] },
          title: { type: 'string', minLength: 1 },
          detail: { type: 'string' },
          fix: { type: 'string' },
          spec: { type: 'array', items: { type: 'string' } },
          durationMs: { type: 'number', minimum: 0 },
          impact: { enum: ['chatgpt', 'security', 'interop'] },
          incomplete: { const: true },
          references: { type: 'array', items: { type: 'object', required: ['id', 'url'], properties: { id: { type: 'string' }, url: { type: 'string', pattern: '^https://' } } } },
        },
      },
    },
  },
} as const;

/** Checks we add to the `apps` catalog beyond the contract (allowed: "add to it freely"). */
const EXTRA_APPS_IDS = ['network.server-user-agent', 'cimd.chatgpt-document', 'dcr.connector-callback', 'authz.scope-omitted', 'resource.handshake', 'resource.mixed-auth'];

/** Checks that do not apply to a server without CIMD or mixed auth (they skip and say so). */
export const NOT_APPLICABLE_TO_SANDBOX = ['cimd.chatgpt-document', 'resource.mixed-auth'];

/** The security suite's ids (step "Security"). */
const SECURITY_APPS_IDS = ['pkce.required', 'pkce.downgrade', 'token.client-auth', 'token.code-client-binding', 'refresh.client-binding',
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
