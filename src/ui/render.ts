/** Pure rendering of doctor reports: human checklist, JSON, JUnit. All output is redacted. */
import { redact, redactDeep } from '../http/redact.js';
import type { CheckResult, Status } from '../checks/types.js';
import type { Report } from '../doctor/types.js';
import { firstFix, learnedLines, rootOf, verdictLines } from '../doctor/verdict.js';
import { countsText } from '../doctor/report.js';

import { escapeJsonUnsafe, safeText } from '../text.js';
import { style, type Style } from './style.js';

const SYMBOL: Record<Status, string> = { pass: '✓', fail: '✗', warn: '!', skip: '-', info: 'i' };

function paint(st: Style, status: Status, s: string): string {
  return status === 'pass' ? st.green(s) : status === 'fail' ? st.red(s) : status === 'warn' ? st.yellow(s) : st.dim(s);
}

/**
 * The terminal report, shaped so that the last screen is the answer: verdicts and counts first,
 * then one block per flow step — failures, warnings and incomplete checks in full, passes and
 * skips collapsed into one line each unless `verbose` — then the first fix and both verdicts again.
 */
export function renderHuman(report: Report, color: boolean, verbose = false): string {
  const st = style(color);
  const lines: string[] = [];
  lines.push(st.bold(`gpt-oauth doctor · ${report.target} · ${safeText(report.subject, 200)}`));
  // The two verdicts, then the run's totals (every check, of every impact) on a line of their own.
  lines.push(...verdictBlock(report, st), `  ${st.dim(`all checks: ${countsText(report)} · ${report.durationMs} ms${report.requests !== undefined ? ` · ${report.requests} requests` : ''}`)}`);
  const width = Math.max(...report.checks.map((c) => c.id.length));
  const byId = new Map(report.checks.map((c) => [c.id, c]));
  // A failure the baseline accepts: a known problem, marked "!" (yellow), not a red ✗.
  const accepted = new Set(report.baseline?.accepted ?? []);
  const full = (c: CheckResult) => {
    const known = c.status === 'fail' && accepted.has(c.id);
    const mark = known ? st.yellow('!') : paint(st, c.status, c.incomplete ? '?' : SYMBOL[c.status]);
    lines.push(`  ${mark} ${c.id.padEnd(width)}  ${c.title}${c.status === 'fail' || c.status === 'warn' ? st.dim(` [${c.impact}]${known ? ` known problem, accepted in ${safeText(report.baseline!.file, 200)}` : ''}`) : ''}`);
    const detail = safeText(c.detail, c.status === 'pass' || c.status === 'info' ? 240 : 1000);
    if (detail) lines.push(`    ${c.status === 'pass' ? st.dim(detail) : detail}`);
    if (c.fix && (c.status === 'fail' || c.status === 'warn')) lines.push(`    ${st.cyan('fix:')} ${safeText(c.fix, 1000)}`);
    else if (c.fix && c.incomplete) lines.push(`    ${st.cyan('to finish:')} ${safeText(c.fix, 1000)}`);
    if (c.chatgpt && (c.status === 'fail' || c.status === 'warn')) lines.push(`    ${st.dim(`ChatGPT shows: "${c.chatgpt}"`)}`);
  };
  const sameCause = new Map<string, number>();
  for (const c of report.checks) if (c.incomplete) sameCause.set(`${c.detail}\n${c.fix}`, (sameCause.get(`${c.detail}\n${c.fix}`) ?? 0) + 1);
  let lastCollapsed = false;
  for (const step of [...new Set(report.checks.map((c) => c.step))]) {
    const here = report.checks.filter((c) => c.step === step);
    // An incomplete check that only waited for another one is collapsed like a skip: the one
    // that could not finish is shown with what to do.
    // So is one of many that could not run for the same reason (a refresh-token run's sign-in
    // checks): the verdict line says the reason and what to do once.
    const waited = (c: CheckResult) => c.incomplete && (/^needs (the result of )?\S+, which could not be completed$/.test(c.detail) || (sameCause.get(`${c.detail}\n${c.fix}`) ?? 0) > 1);
    const shown = verbose ? here : here.filter((c) => c.status === 'fail' || c.status === 'warn' || c.status === 'info' || (c.incomplete && !waited(c)));
    const passed = here.filter((c) => c.status === 'pass' && !shown.includes(c));
    const couldNot = here.filter((c) => !shown.includes(c) && waited(c));
    const skipped = here.filter((c) => c.status === 'skip' && !shown.includes(c) && !couldNot.includes(c));
    const summary = [
      passed.length ? st.green(`✓ ${passed.length} passed`) : '',
      couldNot.length ? st.yellow(`? ${couldNot.length} could not run${skipReason(couldNot, byId, 'could not be completed')}`) : '',
      skipped.length ? st.dim(`- ${skipped.length} skipped${skipReason(skipped, byId)}`) : '',
    ].filter(Boolean).join(st.dim(' · '));
    // Collapsed steps stack one per line; a step with findings gets a blank line around it.
    if (shown.length || !lastCollapsed) lines.push('');
    lastCollapsed = !shown.length;
    lines.push(shown.length ? st.bold(step) : `${st.bold(step)}  ${summary}`);
    for (const c of shown) full(c);
    if (shown.length && summary) lines.push(`  ${summary}`);
  }
  if (report.gptEditor) lines.push('', ...renderGptEditor(report.gptEditor, st));
  const learned = learnedLines(report);
  if (learned.length) lines.push('', st.bold('What the doctor learned about this server'), ...learned.map((l) => `  ${st.dim('ℹ')} ${safeText(l, 600)}`));
  // The last screen is the answer: the first fix, then both verdicts again.
  const first = firstFix(report.checks, report.baseline?.accepted);
  if (first) {
    lines.push('');
    lines.push(`${st.bold('Fix first:')} ${first.id} — ${safeText(first.detail, 600)}`);
    if (first.fix) lines.push(`  ${st.cyan('→')} ${safeText(first.fix, 800)}`);
    if (first.chatgpt) lines.push(`  ${st.dim(`ChatGPT shows: "${first.chatgpt}"`)}`);
  }
  lines.push('', ...verdictBlock(report, st), '');
  return redact(lines.join('\n'));
}

/** "— they need resource.challenge, which failed": the root cause the collapsed skips wait on. */
function skipReason(skipped: CheckResult[], byId: ReadonlyMap<string, CheckResult>, why?: string): string {
  const needs = skipped.map((c) => /^needs (?:the result of )?(\S+), which/.exec(c.detail)?.[1]);
  if (why) {
    // Incomplete dependants: name the check at the root of what they waited for (usually one:
    // the sign-in or token.exchange), shown in full in its own step; checks that could not run
    // for a reason of their own (a mode's): that reason's first clause.
    const ids = [...new Set(skipped.filter((_, i) => needs[i]).map((c) => rootOf(c, byId).id))];
    const own = [...new Set(skipped.filter((_, i) => !needs[i]).map((c) => safeText(c.detail, 200).split(/; | \(|: /)[0]!.trim()).filter(Boolean))];
    return `${own.length ? ` (${own.slice(0, 2).join('; ')}${own.length > 2 ? '; …' : ''})` : ''}${ids.length ? ` — they need ${ids.slice(0, 3).join(', ')}${ids.length > 3 ? '…' : ''}, which ${why}` : ''}`;
  }
  if (needs.some((n) => !n)) {
    // The skip's own reason (its detail's first clause), not a generic "not applicable here".
    const own = [...new Set(skipped.filter((_, i) => !needs[i]).map((c) => safeText(c.detail, 200).split(/; | \(|: /)[0]!.trim()).filter(Boolean))];
    const reasons = own.slice(0, 2).map((r) => (r.length > 90 ? `${r.slice(0, 89)}…` : r)).join('; ') + (own.length > 2 ? '; …' : '');
    return reasons ? ` (${reasons})` : '';
  }
  // The root cause, not the step: follow "needs X, which did not run" to the check that failed
  // or could not run (a step never needs itself, and "Discovery and Keys" names no cause).
  const roots = new Map<string, string>();
  for (const c of skipped) {
    const r = rootOf(c, byId);
    roots.set(r.id, !r.result ? r.how! : r.result.status === 'fail' ? 'failed' : r.result.incomplete ? 'could not be completed' : 'was skipped');
  }
  const states = [...new Set(roots.values())];
  const ids = [...roots.keys()];
  const list = (xs: string[]) => (xs.length > 3 ? `${xs.slice(0, 3).join(', ')}…` : xs.length > 1 ? `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}` : xs[0]!);
  return states.length === 1
    ? ` — they need ${list(ids)}, which ${ids.length > 1 && states[0] === 'was skipped' ? 'were skipped' : states[0]}`
    : ` — they need ${list(ids.map((id) => `${id} (${roots.get(id)})`))}`;
}

/** The two verdict lines: "Can ChatGPT connect?" and "Is it safe?". */
function verdictBlock(report: Report, st: Style): string[] {
  const v = verdictLines(report);
  const paint2 = (x: { symbol: string; text: string; verdict: string }) => {
    const t = `${x.symbol} ${safeText(x.text, 600)}`;
    return st.bold(x.verdict === 'pass' ? st.green(t) : x.verdict === 'fail' ? st.red(t) : st.yellow(t));
  };
  return [paint2(v.chatgpt), paint2(v.security)];
}

/** The closing block of an actions report, in the GPT editor's own words. */
function renderGptEditor(g: NonNullable<Report['gptEditor']>, st: Style): string[] {
  const row = (k: string, v: string) => `  ${k.padEnd(23)}${v}`;
  return [
    st.bold('Paste into the GPT editor (Configure → Actions → Authentication → OAuth):'),
    row('Client ID', safeText(g.clientId, 200)),
    row('Client Secret', `${g.clientSecret}  (masked: the secret this run used)`),
    row('Authorization URL', safeText(g.authorizationUrl, 300)),
    row('Token URL', safeText(g.tokenUrl, 300)),
    row('Scope', g.scope ? safeText(g.scope, 300) : '(empty — see actions.empty-scope)'),
    row('Token Exchange Method', g.tokenExchangeMethod ?? '(none worked — see actions.token-exchange-method)'),
    st.bold('Register both callback URLs with your OAuth provider:'),
    ...g.callbackUrls.map((u) => `  ${u}`),
  ];
}

export function renderJson(report: Report): string {
  // Redacted as a structure, then serialized: redaction never cuts into escaped text.
  return `${escapeJsonUnsafe(JSON.stringify(redactDeep(report), null, 2))}\n`;
}

const xml = (s: string) => s
  // eslint-disable-next-line no-control-regex
  .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u0080-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g, '')
  .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderJunit(raw: Report): string {
  const report = redactDeep(raw); // before XML escaping changes how a secret looks
  const s = report.summary;
  const secs = (ms: number) => (ms / 1000).toFixed(3);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  // Known problems (failures the baseline accepts) count as skipped, so CI shows regressions only.
  const known = report.checks.filter((c) => c.status === 'fail' && report.baseline?.accepted.includes(c.id)).length;
  const failures = s.failed - known;
  const skipped = s.skipped + known;
  out.push(`<testsuites name="gpt-oauth" tests="${report.checks.length}" failures="${failures}" skipped="${skipped}" time="${secs(report.durationMs)}">`);
  out.push(`  <testsuite name="${xml(`gpt-oauth ${report.target} ${report.subject}`)}" tests="${report.checks.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${secs(report.durationMs)}" timestamp="${report.startedAt}">`);
  out.push(`    <properties><property name="verdict.chatgpt" value="${report.verdict.chatgpt}"/><property name="verdict.security" value="${report.verdict.security}"/></properties>`);
  for (const c of report.checks) {
    const body = [c.detail, c.fix ? `fix: ${c.fix}` : '', c.chatgpt ? `ChatGPT shows: ${c.chatgpt}` : '', c.spec.length ? `spec: ${c.spec.join('; ')}` : ''].filter(Boolean).join('\n');
    out.push(`    <testcase classname="${xml(`${report.target}.${c.step}`)}" name="${xml(`${c.id}: ${c.title}`)}" time="${secs(c.durationMs)}">`);
    out.push(`      <properties><property name="impact" value="${c.impact}"/><property name="severity" value="${c.severity}"/>${c.incomplete ? '<property name="incomplete" value="true"/>' : ''}</properties>`);
    // A failure the baseline accepts is a known problem: skipped, with where it was accepted.
    if (c.status === 'fail' && report.baseline?.accepted.includes(c.id)) out.push(`      <skipped message="${xml(`known problem, accepted in ${report.baseline.file}: ${safeText(c.detail, 300)}`)}"/>`);
    else if (c.status === 'fail') out.push(`      <failure message="${xml(`[${c.impact}] ${safeText(c.detail, 300)}`)}" type="${c.impact}:${c.severity}">${xml(body)}</failure>`);
    else if (c.status === 'skip') out.push(`      <skipped message="${xml(safeText(c.detail, 300))}"/>`);
    else out.push(`      <system-out>${xml(`${c.status.toUpperCase()}: ${body}`)}</system-out>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>', '');
  return redact(out.join('\n'));
}
