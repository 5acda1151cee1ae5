/**
 * The `doctor --json` report (and `runDoctor`'s result) as JSON Schema, published with the
 * library API (`import { reportSchema } from 'gpt-oauth-cli'`).
 */
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
      properties: { chatgpt: { enum: ['pass', 'fail', 'incomplete', 'partial'] }, security: { enum: ['pass', 'fail', 'incomplete', 'partial'] } },
    },
    selection: {
      type: 'object',
      required: ['notSelected'],
      properties: {
        only: { type: 'array', items: { type: 'string' } },
        skip: { type: 'array', items: { type: 'string' } },
        mode: { type: 'object', required: ['why', 'leftOut'], properties: { why: { type: 'string' }, leftOut: { type: 'array', items: { type: 'string' } } } },
        notSelected: {
          type: 'object',
          required: ['chatgpt', 'security', 'interop'],
          properties: { chatgpt: { type: 'integer', minimum: 0 }, security: { type: 'integer', minimum: 0 }, interop: { type: 'integer', minimum: 0 } },
        },
      },
    },
    notes: { type: 'array', items: { type: 'string' } },
    fix: {
      type: 'object',
      required: ['rounds', 'before', 'after', 'changed', 'notFixable'],
      properties: {
        provider: { enum: ['auth0', 'clerk', 'stytch', 'supabase'] },
        rounds: { type: 'array', items: { type: 'object', required: ['plan', 'applied'], properties: { applied: { type: 'boolean' }, plan: { type: 'array', items: { type: 'object', required: ['setting', 'status'], properties: { status: { enum: ['changed', 'already', 'manual'] }, fixes: { type: 'array', items: { type: 'string' } } } } } } } },
        changed: { type: 'array', items: { type: 'object', required: ['id', 'from', 'to'] } },
        notFixable: { type: 'array', items: { type: 'object', required: ['id', 'status', 'detail'] } },
      },
    },
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
          alsoJudges: { type: 'array', items: { enum: ['chatgpt', 'security', 'interop'] } },
          incomplete: { const: true },
          explains: { type: 'array', items: { type: 'string', pattern: '^[a-z]+\\.[a-z0-9-]+$' } },
          references: { type: 'array', items: { type: 'object', required: ['id', 'url'], properties: { id: { type: 'string' }, url: { type: 'string', pattern: '^https://' } } } },
        },
      },
    },
  },
} as const;
