/** Runs the `actions` suite (custom GPT Actions) and builds the GPT editor block. */
import { ACTIONS_CHECKS } from '../../checks/actions/index.js';
import type { ActionsContext, ActionsOptions } from '../../checks/actions/context.js';
import { recogniseProvider } from '../../checks/advice.js';
import { gptEditorFields } from '../../gpt-actions/gpt.js';
import { createLoginDriver } from '../../login/index.js';
import type { LoginMode } from '../../login/driver.js';
import { currentCheck, runChecks, selectionOf } from '../../checks/engine.js';
import { buildReport } from '../verdict.js';
import type { CheckResult } from '../../checks/types.js';
import type { Report, SuiteRunOptions } from '../types.js';

export interface ActionsRunOptions extends ActionsOptions, SuiteRunOptions {
  /** GPT Action clients accept only ChatGPT's callbacks: no loopback browser login. */
  login: Exclude<LoginMode, 'browser'>;
}

export async function runActionsSuite(o: ActionsRunOptions): Promise<Report> {
  const startedAt = new Date();
  const say = o.say ?? (() => undefined);
  const login = await createLoginDriver({ mode: o.login, http: o.http, say, loginCommand: o.loginCommand, loginTimeoutMs: o.loginTimeoutMs, env: o.env, stdin: o.stdin });
  o.http.opts.tagOf = () => currentCheck.getStore();
  const ctx: ActionsContext = {
    http: o.http,
    login,
    opts: o,
    s: { provider: recogniseProvider(o.authUrl), auth: {}, attempts: {}, logins: 0 },
  };
  let results: CheckResult[];
  try {
    results = await runChecks(ACTIONS_CHECKS, ctx, o.selection, {
      onResult: o.onResult, onStart: (id) => o.onStart?.(id), concurrency: o.concurrency ?? 1, free: ['logins'], onViolation: o.onStateViolation,
    });
  } finally {
    await login.close();
  }
  const gptEditor = gptEditorFields({ clientId: o.clientId, clientSecret: o.clientSecret, authUrl: o.authUrl, tokenUrl: o.tokenUrl, scope: o.scope, method: ctx.s.method, gptId: o.gptId });
  const report = { ...buildReport('actions', o.apiUrl ?? o.authUrl, startedAt, results, { selection: selectionOf(ACTIONS_CHECKS, o.selection), requests: o.http.requestCount, login: o.login }), gptEditor };
  // The provider recognised from the authorization URL, for --fix (not part of the JSON report).
  Object.defineProperty(report, 'provider', { value: ctx.s.provider, enumerable: false });
  return report;
}
