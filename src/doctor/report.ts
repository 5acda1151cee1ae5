/**
 * Reports for people who never ran the tool: a Markdown summary with the verdict table and a
 * Mermaid sequence diagram of the flow as it ran (the failing hop marked), GitHub Actions
 * annotations and job summary, and a HAR 1.2 trace. Everything passes through the redactor.
 */
import type { TraceEntry } from '../http/client.js';
import { redact, redactDeep, redactHeaders } from '../http/redact.js';
import { safeText } from '../text.js';
import { firstFix, infoCount, learnedLines, verdictLines } from './verdict.js';
import type { CheckResult } from '../checks/types.js';
import type { Report } from './types.js';
import { VERSION } from '../version.js';

const ICON: Record<string, string> = { pass: '✅', fail: '❌', warn: '⚠️', skip: '⏭️', info: 'ℹ️' };
/**
 * Text in the Markdown report and the GitHub step summary. Details carry server-supplied strings,
 * so every Markdown metacharacter is escaped (no links, images, emphasis or HTML from a server)
 * and newlines are flattened; `&` and `<` become entities.
 */
const md = (s: string) => safeText(s, 600)
  .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  .replace(/[\\`*_{}[\]()#+!|~]/g, '\\$&')
  .replace(/\r?\n/g, ' ');

export function renderMarkdown(raw: Report, trace: TraceEntry[] = []): string {
  const report = redactDeep(raw); // before Markdown escaping changes how a secret looks
  const s = report.summary;
  const v = verdictLines(report);
  const icon = (x: { verdict: string }) => (x.verdict === 'pass' ? '✅' : x.verdict === 'fail' ? '❌' : '⚠️');
  const out: string[] = [
    `## gpt-oauth doctor · ${report.target} · ${md(report.subject)}`,
    '',
    `**${icon(v.chatgpt)} ${md(v.chatgpt.text)}**  `,
    `**${icon(v.security)} ${md(v.security.text)}**`,
    '',
    `${s.passed} passed, ${s.failed} failed, ${s.warnings} warnings, ${s.skipped} skipped${infoCount(report) ? `, ${infoCount(report)} info` : ''} (${report.durationMs} ms${report.requests !== undefined ? `, ${report.requests} requests` : ''})`,
  ];
  const first = firstFix(report.checks, report.baseline?.accepted);
  if (first) out.push('', `**Fix first: \`${first.id}\`** — ${md(first.detail)}`, first.fix ? `> ${md(first.fix)}` : '');
  if (report.fix) out.push('', ...fixMarkdown(report.fix));
  if (report.baseline?.fixed.length) out.push('', `Baseline entries that now pass and can be removed: ${report.baseline.fixed.map((i) => `\`${i}\``).join(', ')}`);
  out.push('', '| | Check | Impact | Detail |', '|---|---|---|---|');
  for (const c of report.checks) {
    const accepted = report.baseline?.accepted.includes(c.id) ? ' (accepted in baseline)' : '';
    const impact = c.status === 'fail' || c.status === 'warn' ? c.impact : '';
    out.push(`| ${ICON[c.status]} | \`${c.id}\`${accepted} | ${impact} | ${md(c.detail)}${c.fix && c.status !== 'pass' ? `<br>**fix:** ${md(c.fix)}` : ''} |`);
  }
  const learned = learnedLines(report);
  if (learned.length) out.push('', '**What the doctor learned about this server**', '', ...learned.map((l) => `- ${md(l)}`));
  if (trace.length) out.push('', '<details><summary>The flow as it ran</summary>', '', '```mermaid', mermaidSequence(report, trace), '```', '', '</details>');
  return redact(`${out.join('\n')}\n`);
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
