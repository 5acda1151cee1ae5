/**
 * What a report adds up to: two verdicts — "Can ChatGPT connect?" and "Is it safe?" — each
 * `pass`, `fail` or `incomplete` (the doctor could not finish: sign-in, its own environment),
 * the first thing to fix, and the exit code under `--fail-on`; and the report itself, built from
 * a suite's results (`buildReport`, for both suites).
 */
import type { CheckResult, Impact } from '../checks/types.js';
import { EXIT } from '../errors.js';
import { VERSION } from '../version.js';
import type { Report } from './types.js';

type Verdict = 'pass' | 'fail' | 'incomplete';
interface Verdicts { chatgpt: Verdict; security: Verdict }
export type FailOn = 'chatgpt' | 'security' | 'all';

const SEVERITY_RANK = { critical: 0, high: 1, medium: 2, low: 3, info: 4 } as const;

const failed = (checks: CheckResult[], impact: Impact | 'all', accepted: ReadonlySet<string>) =>
  checks.filter((c) => c.status === 'fail' && !accepted.has(c.id) && (impact === 'all' || c.impact === impact));

/**
 * A check that did not run: the doctor could not complete it, or a check it needs failed or did
 * not run. A verdict rests on the checks of its impact; it is `pass` only if all of them ran.
 */
const didNotRun = (c: CheckResult): boolean => !!c.incomplete || (c.status === 'skip' && /^needs (the result of )?[a-z]+\.[a-z0-9-]+, which /.test(c.detail));

function verdicts(checks: CheckResult[]): Verdicts {
  const none = new Set<string>();
  const one = (impact: Impact): Verdict => failed(checks, impact, none).length ? 'fail'
    : checks.some((c) => c.impact === impact && didNotRun(c)) ? 'incomplete' : 'pass';
  return { chatgpt: one('chatgpt'), security: one('security') };
}

/** A suite's report: its results, their counts and the two verdicts. */
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
    verdict: verdicts(checks),
    // `signIn` is the apps suite's own bookkeeping (sharedSignInFailure), not part of the report.
    checks: checks.map(({ signIn: _signIn, ...c }) => c),
    ...extra,
  };
}

/** 0: nothing that counts failed; 1: a failure that counts under --fail-on; 3: incomplete. */
export function exitCode(report: Report, failOn: FailOn = 'all'): number {
  const accepted = new Set(report.baseline?.accepted ?? []);
  if (failed(report.checks, failOn, accepted).length) return EXIT.failed;
  const v = report.verdict;
  const incomplete = failOn === 'all' ? report.checks.some((c) => c.incomplete) || v.chatgpt === 'incomplete' || v.security === 'incomplete' : v[failOn] === 'incomplete';
  return incomplete ? EXIT.incomplete : EXIT.ok;
}

/**
 * The first thing to fix: the earliest failure in flow order, ChatGPT-breaking first, most severe
 * among equals; a regression before any failure the baseline accepts.
 */
export function firstFix(checks: CheckResult[], accepted: readonly string[] = []): CheckResult | undefined {
  const all = checks.filter((c) => c.status === 'fail');
  const regressions = all.filter((c) => !accepted.includes(c.id));
  const f = regressions.length ? regressions : all;
  if (!f.length) return undefined;
  const rank = (c: CheckResult) => (c.impact === 'chatgpt' ? 0 : c.impact === 'security' ? 1 : 2);
  // A root cause before what follows from it: a failure that explains other failures comes first
  // among failures of its impact, whatever the catalog order.
  const failedIds = new Set(all.map((c) => c.id));
  const cause = (c: CheckResult) => ((c.explains ?? []).some((id) => id !== c.id && failedIds.has(id)) ? 0 : 1);
  return [...f].sort((a, b) => rank(a) - rank(b) || cause(a) - cause(b) || checks.indexOf(a) - checks.indexOf(b) || SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity])[0];
}

/**
 * The incomplete check whose reason and fix the line gives: a root cause before what it explains
 * — one that other checks could not run without ("needs authz.state, …, which could not be
 * completed") — then the first in flow order.
 */
function firstIncomplete(checks: CheckResult[]): CheckResult | undefined {
  const blocking = new Set(checks.flatMap((c) => /^needs (?:the result of )?([a-z0-9., -]+?), which could not be completed/.exec(c.detail)?.[1]!.split(/,\s*/) ?? []));
  const incomplete = checks.filter((c) => c.incomplete);
  return incomplete.find((c) => c.fix && blocking.has(c.id)) ?? incomplete.find((c) => c.fix) ?? incomplete[0];
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

/** A verdict line's state: a report verdict, or `known` (it fails only where the baseline accepts). */
type LineVerdict = Verdict | 'known';
interface Line { symbol: string; text: string; verdict: LineVerdict }

/** The two verdict lines, in words (without colour or symbols' styling). */
export function verdictLines(report: Report): { chatgpt: Line; security: Line } {
  // The verdicts say what is true of the server; with a baseline the lines lead with the
  // regressions and call accepted failures known problems (the exit code counts only regressions).
  const accepted = new Set(report.baseline?.accepted ?? []);
  const v = report.verdict;
  const chatgptFails = failed(report.checks, 'chatgpt', accepted);
  const securityFails = failed(report.checks, 'security', accepted);
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const knownOf = (impact: Impact) => report.checks.filter((c) => c.status === 'fail' && c.impact === impact && accepted.has(c.id));
  const knownText = (list: CheckResult[], security = false) => `${plural(list.length, security ? 'known security problem' : 'known problem')}, accepted in ${report.baseline?.file ?? 'the baseline'} (${list.map((c) => c.id).join(', ')})`;
  const warns = report.checks.filter((c) => c.status === 'warn' && c.impact === 'chatgpt').length;
  const gone = firstIncomplete(report.checks);
  const why = gone ? ` — ${gone.fix ?? gone.detail}` : notRunWhy(report, 'chatgpt');
  // Lead with what is wrong, in the detail's words (a network failure's detail starts with the
  // URL, which the line does not need), then the check id to look it up by.
  const first = (list: CheckResult[]) => {
    // The root cause when one failure explains others (firstFix's order), else the first.
    const c = firstFix(list) ?? list[0];
    if (!c) return '';
    let d = c.detail.replace(/^https?:\/\/\S+?: /, '');
    if (d.length > 160) d = `${d.slice(0, 157).replace(/\s+\S*$/, '')}…`;
    return ` — ${d} (${c.id})`;
  };
  const failLine = (impact: Impact, fails: CheckResult[], lead: string, noun: string): Line => {
    const known = knownOf(impact);
    const sec = impact === 'security';
    if (!fails.length) return { symbol: '!', verdict: 'known', text: `${lead}${knownText(known, sec)} — no regression` };
    const what = report.baseline ? plural(fails.length, noun === 'problem' ? 'regression' : 'security regression') : plural(fails.length, noun);
    return { symbol: '✗', verdict: 'fail', text: `${lead}${what}${first(fails)}${known.length ? `; ${knownText(known, sec)}` : ''}` };
  };
  return {
    chatgpt: v.chatgpt === 'fail' ? failLine('chatgpt', chatgptFails, 'ChatGPT would fail: ', 'problem')
      : v.chatgpt === 'incomplete' ? { symbol: '?', verdict: 'incomplete', text: `ChatGPT: incomplete${why}` }
        : { symbol: '✓', verdict: 'pass', text: `ChatGPT can connect${warns ? `, with ${plural(warns, 'warning')}` : ''}` },
    security: v.security === 'fail' ? failLine('security', securityFails, '', 'security problem')
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
