/**
 * Reports for people who never ran the tool: a Markdown summary with the verdict table and a
 * Mermaid sequence diagram of the flow as it ran (the failing hop marked), GitHub Actions
 * annotations and job summary, and a HAR 1.2 trace. Everything passes through the redactor.
 */
import type { TraceEntry } from '../http/client.js';
import { redact, redactDeep, redactHeaders } from '../http/redact.js';
import { safeText } from '../text.js';
import { firstFix, infoCount, learnedLines, rootOf, verdictLines } from './verdict.js';
import type { CheckResult } from '../checks/types.js';
import type { Report } from './types.js';
import { VERSION } from '../version.js';

const ICON: Record<string, string> = { pass: '✅', fail: '❌', warn: '⚠️', skip: '⏭️', info: 'ℹ️' };
/**
 * Text in the Markdown report and the GitHub step summary. Details carry server-supplied strings,
 * so every Markdown metacharacter is escaped (no links, images, emphasis or HTML from a server)
 * and newlines are flattened; `&` and `<` become entities.
 */
const escapeMd = (s: string) => s
  .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  .replace(/[\\`*_{}[\]()#+!|~]/g, '\\$&')
  .replace(/\r?\n/g, ' ');
const md = (s: string) => escapeMd(safeText(s, 600));

/**
 * Like `md`, but text between a pair of backticks (the doctor's own `WWW-Authenticate: …`, a
 * setting's name) becomes a code span. A code span shows its text literally — no Markdown, no
 * HTML, no entities — so it needs no escapes beyond the backticks that delimit it; in a table
 * cell a `|` would still end the cell, and is escaped there (GFM). An unpaired backtick stays text.
 */
function mdInline(text: string, inTable = false): string {
  const parts = safeText(text, 600).replace(/\r?\n/g, ' ').split('`');
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const code = i % 2 === 1 && i < parts.length - 1;
    if (code && part.trim()) out.push(`\`${inTable ? part.replace(/\|/g, '\\|') : part}\``);
    else out.push(`${i % 2 === 1 ? '\\`' : ''}${escapeMd(part)}${code ? '\\`' : ''}`);
  }
  return out.join('');
}

/** A check that did not run because one it needs failed or did not run (folded, not a finding). */
const notRun = (c: CheckResult) => c.status === 'skip' && (!!c.incomplete || /^needs (the result of )?[a-z]+\.[a-z0-9-]+, which /.test(c.detail));

/**
 * The checks that could not finish, one item per cause: a check that stopped in full; the checks
 * that share its reason and fix (those a refresh-token run cannot do) in one item; the checks that
 * only waited for one of them in one line under its root.
 */
function incompleteItems(checks: CheckResult[], incomplete: CheckResult[]): string[] {
  const byId = new Map(checks.map((c) => [c.id, c]));
  const waited = (c: CheckResult) => /^needs (the result of )?\S+, which could not be completed$/.test(c.detail);
  const own = new Map<string, CheckResult[]>();
  for (const c of incomplete.filter((x) => !waited(x))) {
    const key = `${c.detail}\n${c.fix ?? ''}`;
    own.set(key, [...(own.get(key) ?? []), c]);
  }
  const roots = new Map<string, string[]>();
  for (const c of incomplete.filter(waited)) {
    const root = rootOf(c, byId).id;
    roots.set(root, [...(roots.get(root) ?? []), c.id]);
  }
  const ids = (xs: string[]) => xs.map((id) => `\`${id}\``).join(', ');
  // The one most others waited on first: the root cause before what it explains.
  const waiters = (cs: CheckResult[]) => cs.reduce((n, c) => n + (roots.get(c.id)?.length ?? 0), 0);
  return [
    ...[...own.values()].sort((a, b) => waiters(b) - waiters(a)).flatMap((cs) => (cs.length === 1 ? finding(cs[0]!, false)
      : [`- ${ICON.skip} ${ids(cs.map((c) => c.id))} — ${mdInline(cs[0]!.detail)}  `, ...(cs[0]!.fix ? [`  **Fix:** ${mdInline(cs[0]!.fix)}`] : [])])),
    ...[...roots].map(([root, xs]) => `- ${ICON.skip} ${xs.length} waited on \`${root}\`: ${ids(xs)}`),
  ];
}

/**
 * The run's totals, every check of every impact (not the ChatGPT verdict's): "47 passed, 1 failed
 * (1 accepted in bl.yaml), 0 warnings, 2 skipped". A failure the baseline accepts is still a
 * failure of the server, counted as one and said to be accepted.
 */
export function countsText(report: Report): string {
  const s = report.summary;
  const accepted = new Set(report.baseline?.accepted ?? []);
  const known = report.checks.filter((c) => c.status === 'fail' && accepted.has(c.id)).length;
  const info = infoCount(report);
  return `${s.passed} passed, ${s.failed} failed${known ? ` (${known} accepted in ${safeText(report.baseline!.file, 200)})` : ''}, ${s.warnings} warnings, ${s.skipped} skipped${info ? `, ${info} info` : ''}`;
}

/**
 * One finding as a list item: the id and impact, what was seen, the fix, what ChatGPT shows. A
 * failure the baseline accepts is marked ⚠️, not ❌: a known problem, no regression.
 */
function finding(c: CheckResult, accepted: boolean): string[] {
  const icon = accepted && c.status === 'fail' ? '⚠️' : ICON[c.status];
  const lines = [`- ${icon} **\`${c.id}\`** [${c.impact}]${accepted ? ` (${c.status === 'fail' ? 'known problem, ' : ''}accepted in baseline)` : ''} — ${mdInline(c.detail)}`];
  if (c.fix) lines.push(`  **Fix:** ${mdInline(c.fix)}`);
  if (c.chatgpt && c.status !== 'skip') lines.push(`  ChatGPT shows: “${md(c.chatgpt)}”`);
  // Two trailing spaces: the item's lines break where they do here.
  return lines.map((l, i) => (i < lines.length - 1 ? `${l}  ` : l));
}

export function renderMarkdown(raw: Report, trace: TraceEntry[] = []): string {
  const report = redactDeep(raw); // before Markdown escaping changes how a secret looks
  const v = verdictLines(report);
  // A partial verdict (--only/--skip) is no warning and no pass: ☑️ what the selection covered, ℹ️ nothing selected.
  const icon = (x: { verdict: string; symbol: string }) => (x.verdict === 'pass' ? '✅' : x.verdict === 'fail' ? '❌' : x.verdict === 'partial' ? (x.symbol === '✓' ? '☑️' : 'ℹ️') : '⚠️');
  const acceptedIds = new Set(report.baseline?.accepted ?? []);
  const out: string[] = [
    `## gpt-oauth doctor · ${report.target} · ${md(report.subject)}`,
    '',
    `**${icon(v.chatgpt)} ${md(v.chatgpt.text)}**  `,
    `**${icon(v.security)} ${md(v.security.text)}**`,
    '',
    `All checks: ${md(countsText(report))} (${report.durationMs} ms${report.requests !== undefined ? `, ${report.requests} requests` : ''})`,
  ];
  const first = firstFix(report.checks, report.baseline?.accepted);
  if (first) out.push('', `**Fix first: \`${first.id}\`** — ${mdInline(first.detail)}`, first.fix ? `> ${mdInline(first.fix)}` : '');
  if (report.fix) out.push('', ...fixMarkdown(report.fix));
  if (report.baseline?.fixed.length) out.push('', `Baseline entries that now pass and can be removed: ${report.baseline.fixed.map((i) => `\`${i}\``).join(', ')}`);
  // What failed leads, in the order of the flow, ChatGPT-breaking first; then the warnings, then
  // what the doctor could not finish. Passes and the checks that waited on a failure are folded.
  const rank = (c: CheckResult) => (c.impact === 'chatgpt' ? 0 : c.impact === 'security' ? 1 : 2);
  const byImpact = (xs: CheckResult[]) => [...xs].sort((a, b) => rank(a) - rank(b) || report.checks.indexOf(a) - report.checks.indexOf(b));
  // Regressions only: a failure the baseline accepts is a known problem, listed on its own (⚠️)
  // so that a job the baseline keeps green shows no ❌.
  const failures = byImpact(report.checks.filter((c) => c.status === 'fail' && !acceptedIds.has(c.id)));
  const known = byImpact(report.checks.filter((c) => c.status === 'fail' && acceptedIds.has(c.id)));
  // The root cause first (the one "Fix first" names), then the rest in flow order.
  for (const list of [failures, known]) if (first && list.includes(first)) list.splice(0, list.length, first, ...list.filter((c) => c !== first));
  const warnings = byImpact(report.checks.filter((c) => c.status === 'warn'));
  const incomplete = report.checks.filter((c) => c.incomplete);
  if (failures.length) out.push('', `### ❌ ${failures.length} ${report.baseline ? `regression${failures.length === 1 ? '' : 's'}` : 'failed'}`, '', ...failures.flatMap((c) => finding(c, false)));
  if (known.length) out.push('', `### ⚠️ ${known.length} known problem${known.length === 1 ? '' : 's'}, accepted in ${md(report.baseline!.file)}`, '', ...known.flatMap((c) => finding(c, true)));
  if (warnings.length) out.push('', `### ⚠️ ${warnings.length} warning${warnings.length === 1 ? '' : 's'}`, '', ...warnings.flatMap((c) => finding(c, acceptedIds.has(c.id))));
  if (incomplete.length) out.push('', `### ⏸️ ${incomplete.length} could not finish`, '', ...incompleteItems(report.checks, incomplete));
  const flow = flowDiagram(report, trace);
  if (flow) out.push('', `### ChatGPT's path`, '', '```mermaid', flow, '```');
  const learned = learnedLines(report);
  if (learned.length) out.push('', '**What the doctor learned about this server**', '', ...learned.map((l) => `- ${md(l)}`));
  const rest = report.checks.filter((c) => c.status === 'pass' || c.status === 'info' || (c.status === 'skip' && !c.incomplete));
  if (rest.length) {
    const count = (st: string, word: string) => { const n = rest.filter((c) => c.status === st).length; return n ? [`${ICON[st]} ${n} ${word}`] : []; };
    const waited = rest.filter(notRun).length;
    out.push('', `<details><summary>${[...count('pass', 'passed'), ...count('info', 'info'), ...count('skip', waited ? `skipped (${waited} waited on a check that failed or did not run)` : 'skipped')].join(', ')}</summary>`, '',
      '| | Check | Impact | Detail |', '|---|---|---|---|');
    for (const c of rest) out.push(`| ${ICON[c.status]} | \`${c.id}\` | ${c.status === 'skip' ? '' : c.impact} | ${mdInline(c.detail, true)} |`);
    out.push('', '</details>');
  }
  if (trace.length) out.push('', `<details><summary>Every exchange (${trace.length})</summary>`, '', '```mermaid', mermaidSequence(report, trace), '```', '', '</details>');
  return redact(`${out.join('\n')}\n`);
}

/** Mermaid text: letters, digits and plain punctuation only (no `;`, `#`, `<`, quotes), bounded. */
const mermaidText = (s: string, max = 90) => s.replace(/"/g, "'").replace(/</g, '‹').replace(/>/g, '›').replace(/[^\p{L}\p{N} /._:?=&%,()+@'’‹›—–-]/gu, ' ').replace(/\s+/g, ' ').trim().slice(0, max);

type Lane = 'C' | 'B' | 'M' | 'A';
interface FlowStep { name: string; arrows: [Lane, Lane, string][]; checks: string[] }

/** ChatGPT's path to an MCP server, one arrow per exchange a person would name. */
function appsFlow(mcpPath: string): FlowStep[] {
  return [
    { name: 'discover', arrows: [['C', 'M', `POST ${mcpPath} without a token`], ['M', 'C', '401 with WWW-Authenticate resource_metadata']], checks: ['resource.challenge', 'network.server-user-agent'] },
    { name: 'read the resource metadata', arrows: [['C', 'M', 'GET /.well-known/oauth-protected-resource'], ['M', 'C', 'resource (the MCP URL) and authorization_servers']], checks: ['prm.document', 'prm.resource'] },
    { name: 'read the authorization server metadata', arrows: [['C', 'A', 'GET /.well-known/oauth-authorization-server'], ['A', 'C', 'issuer, endpoints, PKCE S256']], checks: ['as.metadata', 'as.issuer', 'as.pkce-s256', 'as.endpoints', 'as.client-registration'] },
    { name: 'register', arrows: [['C', 'A', 'register a client (DCR or a metadata document)'], ['A', 'C', 'client_id']], checks: ['dcr.register', 'cimd.chatgpt-document', 'dcr.connector-callback'] },
    { name: 'sign in', arrows: [['C', 'B', 'open the authorization URL (PKCE, state, resource)'], ['B', 'A', 'GET /authorize'], ['A', 'B', 'sign-in and consent pages'], ['B', 'A', 'the person signs in'], ['A', 'B', 'redirect to ChatGPT with code and state'], ['B', 'C', 'code and state']], checks: ['authz.state'] },
    { name: 'exchange the code', arrows: [['C', 'A', 'POST /token with code, code_verifier, resource'], ['A', 'C', 'access token and refresh token']], checks: ['token.exchange', 'token.scopes', 'token.jwt-signature'] },
    { name: 'call the MCP server', arrows: [['C', 'M', 'initialize and tools/list with the token'], ['M', 'C', '200 with the tools']], checks: ['resource.handshake', 'resource.accepts-token', 'resource.mixed-auth'] },
    { name: 'refresh', arrows: [['C', 'A', 'POST /token with the refresh token'], ['A', 'C', 'new access token (and refresh token)']], checks: ['refresh.grant'] },
    { name: 'a token that stopped working', arrows: [['C', 'M', 'a call with an invalid token'], ['M', 'C', '401 invalid_token, so ChatGPT asks to reconnect']], checks: ['resource.rejects-invalid-token'] },
    { name: 'reconnect', arrows: [['C', 'A', 'authorize again, without scope'], ['A', 'C', 'a token the MCP server accepts']], checks: ['authz.scope-omitted'] },
  ];
}

/** A GPT Action's path: no discovery, ChatGPT's own callback, the editor's token URL. */
const ACTIONS_FLOW: FlowStep[] = [
  { name: 'sign in', arrows: [['C', 'B', 'open the Authorization URL (state, no PKCE)'], ['B', 'A', 'GET the Authorization URL'], ['A', 'B', 'sign-in and consent pages'], ['B', 'A', 'the person signs in'], ['A', 'B', 'redirect to the GPT callback with code and state'], ['B', 'C', 'code and state']], checks: ['actions.callback-urls', 'actions.state', 'actions.no-pkce', 'actions.same-root-domain', 'actions.empty-scope'] },
  { name: 'exchange the code', arrows: [['C', 'A', 'POST the Token URL with code and client secret'], ['A', 'C', 'access token and refresh token']], checks: ['actions.token-exchange-method', 'actions.token-response'] },
  { name: 'call the API', arrows: [['C', 'M', 'an API call with the token'], ['M', 'C', '200']], checks: ['actions.api-call'] },
  { name: 'refresh', arrows: [['C', 'A', 'POST the Token URL with the refresh token'], ['A', 'C', 'new access token']], checks: ['actions.refresh'] },
];

/**
 * The flow as a picture a person reads in ten seconds: ChatGPT's path, one arrow per exchange, on
 * lanes for ChatGPT, the browser, the MCP server (or API) and the authorization server. A step
 * whose ChatGPT check failed ends in a cross, with the check and what ChatGPT shows there (⚠️, not
 * ❌, when the baseline accepts it); a step that could not run says so (⏸️); ✅ only when the
 * checks behind it ran — one the run's mode or selection left out makes it "–". At most 40 arrows.
 */
export function flowDiagram(report: Report, trace: TraceEntry[] = []): string | undefined {
  let host = '';
  let path = '/mcp';
  try { const u = new URL(report.subject); host = u.host; path = u.pathname; } catch { /* a subject that is not a URL */ }
  const steps = report.target === 'actions' ? ACTIONS_FLOW : appsFlow(path);
  const byId = new Map(report.checks.map((c) => [c.id, c]));
  const asHost = authorizationServerHost(report, trace);
  const lines = [
    'sequenceDiagram',
    '    participant C as ChatGPT (gpt-oauth)',
    '    participant B as Browser',
    `    participant M as ${mermaidText(`${report.target === 'actions' ? 'API' : 'MCP server'}${host && report.target !== 'actions' ? ` ${host}` : ''}`, 60)}`,
    `    participant A as ${mermaidText(`Authorization server${asHost ? ` ${asHost}` : ''}`, 60)}`,
  ];
  let arrows = 0;
  let stopped = false;
  // Checks this run left out: its mode's (no sign-in from a kept refresh token), or those
  // --only/--skip did not select (absent from the report).
  const leftOut = new Set(report.selection?.mode?.leftOut ?? []);
  const acceptedIds = new Set(report.baseline?.accepted ?? []);
  const selected = !!(report.selection?.only?.length || report.selection?.skip?.length);
  for (const [n, step] of steps.entries()) {
    const checks = step.checks.map((id) => byId.get(id)).filter((c): c is CheckResult => !!c && c.impact === 'chatgpt');
    const failed = checks.filter((c) => c.status === 'fail');
    // A failure the baseline accepts: ChatGPT still stops there, but it is no regression.
    const known = failed.length > 0 && failed.every((c) => acceptedIds.has(c.id));
    const didNotRun = !failed.length && checks.some(notRun);
    const warned = !failed.length && !didNotRun && checks.some((c) => c.status === 'warn');
    // ✅ only if the checks behind the step ran and passed: none left out by the run's mode or
    // the selection (a skip because a check does not apply, such as CIMD on a DCR server, is not
    // one left out), and at least one ran.
    const missed = step.checks.some((id) => leftOut.has(id) || (selected && !byId.has(id)));
    const ran = !missed && checks.some((c) => c.status !== 'skip');
    const mark = failed.length ? (known ? '⚠️' : '❌') : didNotRun ? '⏸️' : warned ? '⚠️' : ran ? '✅' : '–';
    lines.push(`    Note over C,A: ${mark} ${n + 1}. ${mermaidText(step.name)}`);
    for (const [i, [from, to, label]] of step.arrows.entries()) {
      if (arrows >= 40) break;
      const last = i === step.arrows.length - 1;
      const reply = from !== 'C' && (to === 'C' || to === 'B');
      const arrow = failed.length && last ? '--x' : reply ? '-->>' : '->>';
      lines.push(`    ${from}${arrow}${to}: ${mermaidText(failed.length && last ? `expected ${label}` : label)}`);
      arrows++;
    }
    if (failed.length) {
      // ChatGPT stops at the first failing step; the doctor went on to judge the rest.
      const stops = !stopped;
      stopped = true;
      for (const c of failed.slice(0, 2)) {
        lines.push(`    Note over C,A: ${mermaidText(`${c.id} failed${acceptedIds.has(c.id) ? ' (a known problem, accepted in the baseline)' : ''}${c.chatgpt ? ` — ChatGPT ${stops ? 'stops here and shows' : 'shows'}: ${c.chatgpt}` : ''}`, 160)}`);
      }
    } else if (didNotRun) {
      lines.push(`    Note over C,A: ${mermaidText(`not reached: ${checks.find(notRun)!.detail}`, 120)}`);
    }
  }
  return redact(lines.join('\n'));
}

/**
 * The authorization server's host: where the run found its metadata (as.metadata), else the
 * issuer the protected resource metadata names, else the exchanges of the code exchange. Never
 * the MCP server's own metadata answer: an MCP server may serve a copy of its AS's metadata.
 */
function authorizationServerHost(report: Report, trace: TraceEntry[]): string {
  const detail = (id: string, re: RegExp) => {
    const c = report.checks.find((x) => x.id === id);
    return c && c.status !== 'fail' && c.status !== 'skip' ? re.exec(c.detail)?.[1] : undefined;
  };
  const candidates = [
    detail('as.metadata', /^found at (\S+)/),
    detail('prm.document', /; authorization_servers: ([^\s,]+)/),
    trace.find((e) => e.tag === 'token.exchange' || e.tag === 'actions.token-response')?.url,
  ];
  for (const u of candidates) {
    try { if (u) return new URL(u).host; } catch { /* the next one */ }
  }
  return '';
}

/** --fix in the Markdown report: what was planned and applied, before/after, what stays. */
function fixMarkdown(fix: NonNullable<Report['fix']>): string[] {
  const value = (v: unknown) => md(typeof v === 'string' ? v : JSON.stringify(v));
  const out = [`**--fix${fix.account ? ` on ${md(fix.account)}` : ''}**: before ChatGPT ${fix.before.chatgpt}, security ${fix.before.security} → after ChatGPT ${fix.after.chatgpt}, security ${fix.after.security}${fix.stopped ? ` — ${md(fix.stopped)}` : ''}`, ''];
  // In a code span Markdown escapes do not apply: only backticks and line breaks must go.
  const code = (s: string) => `\`${safeText(s, 200).replace(/`/g, "'").replace(/\r?\n/g, ' ')}\``;
  for (const [i, r] of fix.rounds.entries()) {
    for (const c of r.plan.filter((x) => x.status !== 'already')) {
      out.push(`- round ${i + 1}${r.applied ? '' : ' (not applied)'}: ${code(c.setting)} ${c.status === 'manual' ? `by hand${c.note ? ` — ${md(c.note)}` : ''}` : `${c.from === undefined ? '' : `${value(c.from)} → `}${value(c.to)}`}${c.fixes?.length ? ` (${c.fixes.map(code).join(', ')})` : ''}`);
    }
  }
  if (fix.notFixable.length) out.push(`- not fixable on the provider: ${fix.notFixable.map((c) => code(c.id)).join(', ')}`);
  return out;
}

/** A Mermaid sequence diagram of the exchanges, grouped by check; a failing check's hop is crossed. */
function mermaidSequence(report: Report, trace: TraceEntry[]): string {
  const byId = new Map<string, CheckResult>(report.checks.map((c) => [c.id, c]));
  const participants = new Map<string, string>();
  const alias = (origin: string) => {
    if (!participants.has(origin)) participants.set(origin, `S${participants.size + 1}`);
    return participants.get(origin)!;
  };
  const text = (s: string) => s.replace(/[^A-Za-z0-9 /._:?=&%,()+@'-]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 80);
  const body: string[] = [];
  let current: string | undefined;
  const entries = trace.slice(0, 150);
  for (const [i, e] of entries.entries()) {
    let u: URL;
    try { u = new URL(e.url); } catch { continue; }
    const who = alias(u.origin);
    if (e.tag !== current) {
      current = e.tag;
      const c = current ? byId.get(current) : undefined;
      if (c) body.push(`    Note over D,${who}: ${c.status === 'pass' ? 'ok' : c.status.toUpperCase()} ${c.id}`);
    }
    const c = e.tag ? byId.get(e.tag) : undefined;
    const lastOfCheck = entries[i + 1]?.tag !== e.tag;
    const failingHop = c?.status === 'fail' && lastOfCheck;
    body.push(`    D->>${who}: ${text(`${e.method} ${u.pathname}`)}`);
    const answer = e.error ? `error ${e.error}` : `${e.status}`;
    body.push(`    ${who}-${failingHop ? 'x' : '->>'}D: ${text(answer)}${failingHop ? ' FAILED' : ''}`);
    if (failingHop) body.push(`    Note right of D: ${text(`${c.id} failed`)}`);
  }
  if (trace.length > entries.length) body.push(`    Note over D: ${trace.length - entries.length} more exchanges not shown`);
  // Failures judged on earlier exchanges (no request of their own) still get marked.
  const tagged = new Set(entries.map((e) => e.tag));
  for (const c of report.checks) if (c.status === 'fail' && !tagged.has(c.id)) body.push(`    Note right of D: ${text(`${c.id} failed`)}`);
  const head = ['sequenceDiagram', '    participant D as gpt-oauth (as ChatGPT)'];
  for (const [origin, a] of participants) head.push(`    participant ${a} as ${text(new URL(origin).host)}`);
  return redact([...head, ...body].join('\n'));
}

/** GitHub Actions workflow commands for failed and warning checks (written to stderr). */
export function githubAnnotations(report: Report): string {
  const esc = (s: string) => redact(s).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const prop = (s: string) => esc(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
  return report.checks
    .filter((c) => (c.status === 'fail' && !report.baseline?.accepted.includes(c.id)) || c.status === 'warn')
    .map((c) => `::${c.status === 'fail' ? 'error' : 'warning'} title=${prop(`gpt-oauth [${c.impact}] ${c.id}`)}::${esc(safeText(`${c.detail}${c.fix ? ` — fix: ${c.fix}` : ''}`, 900))}`)
    .join('\n');
}

/** HAR 1.2 of every exchange, redacted (headers, cookies, codes, tokens, secrets). */
export function toHar(trace: TraceEntry[]): unknown {
  const pairs = (h: Record<string, string>) => Object.entries(redactHeaders(h)).map(([name, value]) => ({ name, value }));
  return {
    log: {
      version: '1.2',
      creator: { name: 'gpt-oauth', version: VERSION },
      pages: [],
      entries: trace.map((e) => {
        let url: URL | undefined;
        try { url = new URL(e.url); } catch { /* kept as text */ }
        const reqBody = e.requestBody ? redact(e.requestBody) : undefined;
        const resText = e.responseBody !== undefined ? redact(e.responseBody) : '';
        const ct = e.responseHeaders?.['content-type'] ?? '';
        return {
          startedDateTime: e.startedAt,
          time: e.durationMs,
          comment: e.tag ? `check ${e.tag}` : undefined,
          request: {
            method: e.method,
            url: redact(e.url),
            httpVersion: 'HTTP/1.1',
            cookies: [],
            headers: pairs(e.requestHeaders),
            queryString: url ? [...url.searchParams].map(([name, value]) => ({ name, value: redact(`${name}=${value}`).slice(name.length + 1) })) : [],
            ...(reqBody !== undefined ? { postData: { mimeType: e.requestHeaders['content-type'] ?? 'application/octet-stream', text: reqBody } } : {}),
            headersSize: -1,
            bodySize: e.requestBody ? Buffer.byteLength(e.requestBody) : 0,
          },
          response: {
            status: e.status ?? 0,
            statusText: e.error ? redact(e.error) : '',
            httpVersion: 'HTTP/1.1',
            cookies: [],
            headers: pairs(e.responseHeaders ?? {}),
            content: { size: Buffer.byteLength(resText), mimeType: ct || 'x-unknown', text: resText },
            redirectURL: e.responseHeaders?.location ? redact(e.responseHeaders.location) : '',
            headersSize: -1,
            bodySize: -1,
          },
          cache: {},
          timings: { send: 0, wait: e.durationMs, receive: 0 },
        };
      }),
    },
  };
}
