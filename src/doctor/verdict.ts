/**
 * What a report adds up to: two verdicts — "Can ChatGPT connect?" and "Is it safe?" — each
 * `pass`, `fail` or `incomplete` (the doctor could not finish: sign-in, its own environment),
 * the first thing to fix, and the exit code under `--fail-on`.
 */
import type { CheckResult, Impact } from '../checks/types.js';
import { EXIT } from '../errors.js';
import type { Report } from './types.js';

export type Verdict = 'pass' | 'fail' | 'incomplete';
export interface Verdicts { chatgpt: Verdict; security: Verdict }
export type FailOn = 'chatgpt' | 'security' | 'all';

const SEVERITY_RANK = { critical: 0, high: 1, medium: 2, low: 3, info: 4 } as const;

const failed = (checks: CheckResult[], impact: Impact | 'all', accepted: ReadonlySet<string>) =>
  checks.filter((c) => c.status === 'fail' && !accepted.has(c.id) && (impact === 'all' || c.impact === impact));

/**
 * A check that did not run: the doctor could not complete it, or a check it needs failed or did
 * not run. A verdict rests on the checks of its impact; it is `pass` only if all of them ran.
 */
const didNotRun = (c: CheckResult): boolean => !!c.incomplete || (c.status === 'skip' && /^needs (the result of )?[a-z]+\.[a-z0-9-]+, which /.test(c.detail));

export function verdicts(checks: CheckResult[]): Verdicts {
  const none = new Set<string>();
  const one = (impact: Impact): Verdict => failed(checks, impact, none).length ? 'fail'
    : checks.some((c) => c.impact === impact && didNotRun(c)) ? 'incomplete' : 'pass';
  return { chatgpt: one('chatgpt'), security: one('security') };
}

/** 0: nothing that counts failed; 1: a failure that counts under --fail-on; 3: incomplete. */
export function exitCode(report: Report, failOn: FailOn = 'all'): number {
  const accepted = new Set(report.baseline?.accepted ?? []);
  if (failed(report.checks, failOn, accepted).length) return EXIT.failed;
  const v = report.verdict;
  const incomplete = failOn === 'all' ? report.checks.some((c) => c.incomplete) || v.chatgpt === 'incomplete' || v.security === 'incomplete' : v[failOn] === 'incomplete';
  return incomplete ? EXIT.incomplete : EXIT.ok;
}

/** The first thing to fix: the earliest failure in flow order, ChatGPT-breaking first, most severe among equals. */
export function firstFix(checks: CheckResult[]): CheckResult | undefined {
  const f = checks.filter((c) => c.status === 'fail');
  if (!f.length) return undefined;
  const rank = (c: CheckResult) => (c.impact === 'chatgpt' ? 0 : c.impact === 'security' ? 1 : 2);
  return [...f].sort((a, b) => rank(a) - rank(b) || checks.indexOf(a) - checks.indexOf(b) || SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity])[0];
}

/** The first incomplete check's reason and what to do. */
function firstIncomplete(checks: CheckResult[]): CheckResult | undefined {
  return checks.find((c) => c.incomplete && c.fix) ?? checks.find((c) => c.incomplete);
}

/** `info` results (e.g. opaque tokens: nothing to verify locally) are not in the contract's summary. */
export const infoCount = (report: Report): number => report.checks.filter((c) => c.status === 'info').length;

/** Why the checks of one impact could not all run: how many, and the first reason. */
function notRunWhy(report: Report, impact: Impact): string {
  const notRun = report.checks.filter((c) => c.impact === impact && didNotRun(c));
  const gone = notRun.find((c) => c.incomplete && c.fix) ?? notRun[0];
  if (!gone) return '';
  const n = notRun.length;
  return ` — ${n} ${impact === 'security' ? 'security ' : ''}check${n === 1 ? '' : 's'} could not run (${gone.fix ?? gone.detail})`;
}

/** The two verdict lines, in words (without colour or symbols' styling). */
export function verdictLines(report: Report): { chatgpt: { symbol: string; text: string; verdict: Verdict }; security: { symbol: string; text: string; verdict: Verdict } } {
  // The verdicts say what is true of the server; a baseline only changes the exit code.
  const none = new Set<string>();
  const v = report.verdict;
  const chatgptFails = failed(report.checks, 'chatgpt', none);
  const securityFails = failed(report.checks, 'security', none);
  const warns = report.checks.filter((c) => c.status === 'warn' && c.impact === 'chatgpt').length;
  const gone = firstIncomplete(report.checks);
  const why = gone ? ` — ${gone.fix ?? gone.detail}` : notRunWhy(report, 'chatgpt');
  const first = (list: CheckResult[]) => list[0] ? ` — ${list[0].title}${list[0].spec[0] ? ` (${list[0].spec[0]})` : ''}` : '';
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  return {
    chatgpt: v.chatgpt === 'fail' ? { symbol: '✗', verdict: 'fail', text: `ChatGPT would fail: ${plural(chatgptFails.length, 'problem')}${first(chatgptFails)}` }
      : v.chatgpt === 'incomplete' ? { symbol: '?', verdict: 'incomplete', text: `ChatGPT: incomplete${why}` }
        : { symbol: '✓', verdict: 'pass', text: `ChatGPT can connect${warns ? `, with ${plural(warns, 'warning')}` : ''}` },
    security: v.security === 'fail' ? { symbol: '✗', verdict: 'fail', text: `${plural(securityFails.length, 'security problem')}${first(securityFails)}` }
      : v.security === 'incomplete' ? { symbol: '?', verdict: 'incomplete', text: `Security: incomplete${notRunWhy(report, 'security')}` }
        : { symbol: '✓', verdict: 'pass', text: 'No security problems found' },
  };
}

/** The notes (sound behaviour, named) and the re-check of failures, one line each. */
export function learnedLines(report: Report): string[] {
  const r = report.recheck;
  return [
    ...(report.notes ?? []),
    ...(r ? [`${r.rechecked} failure${r.rechecked === 1 ? '' : 's'} re-checked alone (nothing else running, a fresh client and sign-in): ${r.confirmed} confirmed${r.cleared.length ? `, ${r.cleared.length} caused by the doctor's own probing and reported as passed (${r.cleared.join(', ')})` : ''}`] : []),
  ];
}
