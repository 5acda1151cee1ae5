/** Runs the `apps` suite: the engine, the catalog, the login driver and cleanup. */
import { HttpClient } from '../http/client.js';
import { APPS_CHECKS, APPS_REPORT_ORDER, CODE_CONSUMERS } from '../checks/apps/index.js';
import { type AppsContext, type AppsOptions } from '../checks/apps/context.js';
import { createLoginDriver, type LoginMode } from './login.js';
import { runChecks, type Selection } from './engine.js';
import type { CheckResult, Report } from './types.js';
import { VERSION } from '../version.js';

export interface AppsRunOptions extends AppsOptions {
  http: HttpClient;
  login: LoginMode;
  loginCommand?: string;
  loginTimeoutMs?: number;
  selection?: Selection;
  say?: (line: string) => void;
  onResult?: (r: CheckResult) => void;
  env?: NodeJS.ProcessEnv;
  /** Where `--login manual` reads the pasted URL (default: process.stdin). */
  stdin?: NodeJS.ReadableStream;
}

export async function runAppsSuite(o: AppsRunOptions): Promise<Report> {
  const startedAt = new Date();
  const say = o.say ?? (() => undefined);
  const login = await createLoginDriver({
    mode: o.login, http: o.http, say, loginCommand: o.loginCommand, loginTimeoutMs: o.loginTimeoutMs, env: o.env, stdin: o.stdin,
  });
  const planned = APPS_CHECKS.filter((c) => CODE_CONSUMERS.includes(c.id) && isSelected(c.id, o.selection)).length;
  const ctx: AppsContext = {
    http: o.http,
    login,
    opts: o,
    say,
    s: { provider: 'generic', cleanup: [], logins: 0 },
    plannedLogins: Math.max(planned, 1),
  };
  let results: CheckResult[];
  try {
    results = await runChecks(APPS_CHECKS, ctx, o.selection, o.onResult, (id) => { o.http.tag = id; });
  } finally {
    await login.close();
    await cleanup(ctx);
  }
  results.sort((a, b) => APPS_REPORT_ORDER.indexOf(a.id) - APPS_REPORT_ORDER.indexOf(b.id));
  return buildReport('apps', o.mcpUrl, startedAt, results, { requests: o.http.requestCount, login: o.login });
}

function isSelected(id: string, sel?: Selection): boolean {
  const m = (p: string) => p === id || id.startsWith(p.endsWith('.') ? p : `${p}.`);
  if (sel?.only?.length && !sel.only.some(m)) return false;
  return !(sel?.skip?.length && sel.skip.some(m));
}

/** Delete the clients the run registered (RFC 7592), best effort and quietly. */
async function cleanup(ctx: AppsContext): Promise<void> {
  for (const c of ctx.s.cleanup) {
    await ctx.http.send({ method: 'DELETE', url: c.uri, headers: { authorization: `Bearer ${c.token}` }, timeoutMs: 3000 }).catch(() => undefined);
  }
}

export function buildReport(target: 'apps' | 'actions', subject: string, startedAt: Date, checks: CheckResult[], extra: Partial<Report> = {}): Report {
  const count = (s: string) => checks.filter((c) => c.status === s).length;
  return {
    tool: 'gpt-oauth',
    version: VERSION,
    target,
    subject,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    summary: { passed: count('pass'), failed: count('fail'), warnings: count('warn'), skipped: count('skip') },
    checks,
    ...extra,
  };
}
