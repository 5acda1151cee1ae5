/**
 * What a report adds up to: two verdicts — "Can ChatGPT connect?" and "Is it safe?" — each
 * `pass`, `fail`, `incomplete` (checks behind it could not run: sign-in, its own environment,
 * a mode without sign-in, a prerequisite that failed) or `partial` (`--only`/`--skip` left
 * checks behind it out; the ones selected ran and none failed), the first thing to fix, and the
 * exit code under `--fail-on`; and the report itself, built from a suite's results
 * (`buildReport`, for both suites).
 */
import type { CheckResult, Impact } from '../checks/types.js';
import { EXIT } from '../errors.js';
import { VERSION } from '../version.js';
import type { Report } from './types.js';

type Verdict = Report['verdict']['chatgpt'];
interface Verdicts { chatgpt: Verdict; security: Verdict }
export type FailOn = 'chatgpt' | 'security' | 'all';

const SEVERITY_RANK = { critical: 0, high: 1, medium: 2, low: 3, info: 4 } as const;

const failed = (checks: CheckResult[], impact: Impact | 'all', accepted: ReadonlySet<string>) =>
  checks.filter((c) => c.status === 'fail' && !accepted.has(c.id) && (impact === 'all' || c.impact === impact));

/**
 * A check that did not run: the doctor could not complete it or could not do it in this run's
 * mode (`incomplete`: no sign-in from a kept refresh token, its own environment), or a check it
 * needs failed or did not run. A skip because the check does not apply to this server (no CIMD,
 * no mixed auth: `nonBlocking` skips with their own reason) is not one. A verdict rests on the
 * checks of its impact; it is `pass` only if all of them ran.
 */
const NEEDS = /^needs (?:the result of )?([a-z]+\.[a-z0-9-]+), which /;
const didNotRun = (c: CheckResult): boolean => !!c.incomplete || (c.status === 'skip' && NEEDS.test(c.detail));

/**
 * Whether a verdict of this impact rests on the check: its impact, or one its sub-tests judge
 * (`alsoJudges`: actions.api-call's garbage token is a security test of a `chatgpt` check).
 */
const judges = (c: CheckResult, impact: Impact): boolean => c.impact === impact || !!c.alsoJudges?.includes(impact);

/**
 * The root of a chain of "needs X, which did not run" skips: the check that failed, could not
 * finish or was not run in this mode (its id, and its result when the report has it).
 */
export function rootOf(c: CheckResult, byId: ReadonlyMap<string, CheckResult>): { id: string; result?: CheckResult; how?: string } {
  let cur = c;
  const seen = new Set<string>([c.id]);
  for (;;) {
    const id = cur.status === 'skip' ? NEEDS.exec(cur.detail)?.[1] : undefined;
    if (!id || seen.has(id)) return { id: cur.id, result: cur };
    const next = byId.get(id);
    // Not in the report (not selected): how it ended, in the words of the check that needed it.
    if (!next) return { id, how: /, which (failed|did not run|could not be completed)/.exec(cur.detail)?.[1] ?? 'did not run' };
    seen.add(id);
    cur = next;
  }
}

function verdicts(checks: CheckResult[], selection?: Report['selection']): Verdicts {
  const none = new Set<string>();
  const leftOut = new Set(selection?.mode?.leftOut ?? []);
  const byId = new Map(checks.map((c) => [c.id, c]));
  const one = (impact: 'chatgpt' | 'security'): Verdict => {
    if (failed(checks, impact, none).length) return 'fail';
    // Not run: incomplete, unless the run's mode left it out (or what it waited for).
    const notRun = checks.filter((c) => judges(c, impact) && (didNotRun(c) || leftOut.has(c.id)));
    if (notRun.some((c) => !leftOut.has(rootOf(c, byId).id))) return 'incomplete';
    return notRun.length || selection?.notSelected[impact] ? 'partial' : 'pass';
  };
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
    verdict: verdicts(checks, extra.selection),
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

/** `info` results (e.g. opaque tokens: nothing to verify locally) are not in the contract's summary. */
export const infoCount = (report: Report): number => report.checks.filter((c) => c.status === 'info').length;

/** A detail in brief, for a verdict line: without the URL it starts with, its asides in parentheses (unless `asides`: a fix keeps them), or its tail. */
function brief(detail: string, max = 160, asides = false): string {
  let d = detail.replace(/^https?:\/\/\S+?: /, '');
  if (!asides) d = d.replace(/ \([^()]*\)/g, '');
  d = d.trim().replace(/\.$/, '');
  if (d.length > max) d = `${d.slice(0, max - 3).replace(/\s+\S*$/, '')}…`;
  return d;
}

/**
 * Why the checks of one impact could not all run: how many, and the root cause — the check that
 * failed or could not finish, followed through the chain of "needs X, which did not run" (never
 * the step itself) — then what to do.
 */
function notRunWhy(report: Report, impact: Impact): string {
  const byId = new Map(report.checks.map((c) => [c.id, c]));
  const mine = report.checks.filter((c) => judges(c, impact));
  const notRun = mine.filter(didNotRun);
  if (!notRun.length) return '';
  // One group per cause: the many checks a mode cannot run share their fix (which says why),
  // the checks behind one failure or one unfinished step share that root.
  const groups = new Map<string, { ids: Set<string>; n: number; text: string; fix?: string; reason?: string }>();
  for (const c of notRun) {
    const root = rootOf(c, byId);
    const r = root.result;
    const key = r?.incomplete ? r.fix ?? brief(r.detail) : root.id;
    const g = groups.get(key) ?? { ids: new Set<string>(), n: 0, text: '', fix: r?.incomplete ? r.fix : undefined };
    g.ids.add(root.id);
    g.n++;
    // The group's first root speaks for it (the ids it lists grow as the group does).
    if (g.n === 1 || r?.incomplete) g.text = !r ? ` because ${root.id} ${root.how}`
      : r.status === 'fail' ? ` because ${root.id} failed`
        // What the doctor could not do (its first clause), which checks, then what to do.
        : r.incomplete ? `: ${g.reason ??= brief(r.detail.split('; ')[0]!)} (${[...g.ids].slice(0, 2).join(', ')}${g.ids.size > 2 ? '…' : ''})${g.fix ? ` — ${brief(g.fix, 320, true)}` : ''}`
          : ` because ${root.id} was skipped: ${brief(r.detail, 100)}`;
    groups.set(key, g);
  }
  // What the tester can do something about first (it has a fix), then the largest group.
  const ranked = [...groups.values()].sort((a, b) => Number(!!b.fix) - Number(!!a.fix) || b.n - a.n);
  const [g, ...rest] = ranked as [typeof ranked[0], ...typeof ranked];
  const more = rest.length ? ` (${rest.reduce((n, x) => n + x.n, 0)} of them for other reasons)` : '';
  return ` — ${notRun.length} of ${mine.length} ${impact === 'security' ? 'security ' : ''}check${mine.length === 1 ? '' : 's'} could not run${more}${g.text}`;
}

/** The selection a `partial` verdict covers, as the user typed it, and the run's mode that left checks out. */
function selectionText(report: Report): string {
  const sel = report.selection;
  return [sel?.only?.length ? `--only ${sel.only.join(',')}` : '', sel?.skip?.length ? `--skip ${sel.skip.join(',')}` : '', sel?.mode ? sel.mode.why : ''].filter(Boolean).join('; ');
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
  // A partial verdict says what it covers: the selected checks, never the whole connection.
  const partial = (impact: Impact): Line => {
    // A mode's left-out checks are in the report (skipped): they are not among those that ran.
    const leftOut = new Set(report.selection?.mode?.leftOut ?? []);
    const byId = new Map(report.checks.map((c) => [c.id, c]));
    const mine = report.checks.filter((c) => judges(c, impact));
    const notRun = mine.filter((c) => leftOut.has(c.id) || (didNotRun(c) && leftOut.has(rootOf(c, byId).id)));
    const n = mine.length - notRun.length;
    const name = impact === 'chatgpt' ? 'ChatGPT' : 'security';
    const selected = report.selection?.only?.length || report.selection?.skip?.length;
    if (!n) return { symbol: '-', verdict: 'partial', text: `${impact === 'chatgpt' ? 'ChatGPT' : 'Security'}: not checked — no ${name} check ${selected ? 'selected' : 'could run'} (${selectionText(report)})` };
    const which = `The ${n === 1 ? (selected ? 'selected' : 'one') : `${n}${selected ? ' selected' : ''}`} ${name} check${n === 1 ? '' : 's'}${selected ? '' : ' this run could do'}`;
    const result = impact === 'chatgpt' ? `${n === 1 ? 'passes' : 'pass'}${warns ? `, with ${plural(warns, 'warning')}` : ''}` : 'found no problem';
    const left = notRun.length ? `: ${notRun.length} ${name} check${notRun.length === 1 ? '' : 's'} left out` : '';
    return { symbol: '✓', verdict: 'partial', text: `${which} ${result} — not a verdict on the whole connection (${selectionText(report)}${left})` };
  };
  return {
    chatgpt: v.chatgpt === 'fail' ? failLine('chatgpt', chatgptFails, 'ChatGPT would fail: ', 'problem')
      : v.chatgpt === 'incomplete' ? { symbol: '?', verdict: 'incomplete', text: `ChatGPT: incomplete${notRunWhy(report, 'chatgpt')}` }
        : v.chatgpt === 'partial' ? partial('chatgpt')
          : { symbol: '✓', verdict: 'pass', text: `ChatGPT can connect${warns ? `, with ${plural(warns, 'warning')}` : ''}` },
    security: v.security === 'fail' ? failLine('security', securityFails, '', 'security problem')
      : v.security === 'incomplete' ? { symbol: '?', verdict: 'incomplete', text: `Security: incomplete${notRunWhy(report, 'security')}` }
        : v.security === 'partial' ? partial('security')
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
