/**
 * What a doctor run writes: the report on stdout (human or --json), --junit, --report (Markdown)
 * and the job summary, --trace (HAR), GitHub annotations and step outputs, the baseline, and the
 * exit code; also --list-checks, the catalog without a run.
 */
import { randomUUID } from 'node:crypto';
import type { IO } from '../../ui/io.js';
import type { TraceEntry } from '../../http/client.js';
import { redactHeaders } from '../../http/redact.js';
import { escapeJsonUnsafe, safeText } from '../../text.js';
import type { Report } from '../../doctor/types.js';
import { isLoopback } from '../../url.js';
import { fsReason, writeOutput } from '../../output-file.js';
import { EXIT } from '../../errors.js';
import type { DoctorPlan } from './options.js';
import { sayTo, type DoctorResult } from './run.js';

/** `--list-checks`: the target's catalog (id, impact, severity, title), without a request. */
export async function listChecks(io: IO, target: string): Promise<number> {
  const catalog = target === 'actions' ? (await import('../../checks/actions/index.js')).ACTIONS_CHECKS : (await import('../../checks/apps/index.js')).APPS_CHECKS;
  // alsoJudges: the impacts its sub-tests judge besides its own (actions.api-call: security).
  const rows = (catalog as { id: string; impact: string; alsoJudges?: string[]; severity: string; title: string; step: string }[])
    .map((c) => ({ id: c.id, step: c.step, impact: c.impact, ...(c.alsoJudges?.length ? { alsoJudges: c.alsoJudges } : {}), severity: c.severity, title: c.title }));
  if (io.json) io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else {
    const w = Math.max(...rows.map((r) => r.id.length));
    const impact = (r: typeof rows[number]) => [r.impact, ...(r.alsoJudges ?? [])].join('+');
    const wi = Math.max(8, ...rows.map((r) => impact(r).length + 1));
    io.stdout.write(`${rows.map((r) => `${r.id.padEnd(w)}  ${impact(r).padEnd(wi)} ${r.severity.padEnd(8)} ${r.title}`).join('\n')}\n`);
  }
  return 0;
}

/**
 * GITHUB_OUTPUT lines. The verdicts say what is true of the server (a failure a baseline accepts
 * is still a failure); `regressions` (and per impact) counts the failures the baseline does not
 * accept — every failure without one — so a later step can fail the job only on regressions.
 * The path is the user's own, but a newline in it would inject another output: it is written
 * with the multi-line delimiter form and a random delimiter.
 */
function githubOutputs(report: Report, reportPath: string | undefined): string {
  const accepted = new Set(report.baseline?.accepted ?? []);
  const regressions = report.checks.filter((c) => c.status === 'fail' && !accepted.has(c.id));
  const of = (impact: string) => regressions.filter((c) => c.impact === impact).length;
  const lines = [`verdict-chatgpt=${report.verdict.chatgpt}`, `verdict-security=${report.verdict.security}`,
    `regressions=${regressions.length}`, `regressions-chatgpt=${of('chatgpt')}`, `regressions-security=${of('security')}`];
  if (reportPath) {
    const delimiter = `gpt_oauth_${randomUUID().replaceAll('-', '')}`;
    lines.push(`report-path<<${delimiter}`, reportPath, delimiter);
  }
  return `${lines.join('\n')}\n`;
}

/** Everything after a run: stdout, JUnit, Markdown, HAR, GitHub, baseline; returns the exit code. */
export async function render(io: IO, plan: DoctorPlan, result: DoctorResult): Promise<number> {
  const { o } = plan;
  const { report, trace } = result;
  const say = sayTo(io);
  const { renderMarkdown, githubAnnotations, toHar } = await import('../../doctor/report.js');
  const { renderHuman, renderJson, renderJunit } = await import('../../ui/render.js');
  const { PER_ORIGIN_LIMIT } = await import('../../http/client.js');
  if (plan.baseline) {
    const { applyBaseline } = await import('../../doctor/baseline.js');
    applyBaseline(report, plan.baseline.data, plan.baseline.file);
    if (report.baseline!.accepted.length) say(`Baseline ${plan.baseline.file}: ${report.baseline!.accepted.length} accepted failure(s)/warning(s) (${report.baseline!.accepted.join(', ')}).`);
    if (report.baseline!.fixed.length) say(`Baseline entries that now pass and can be removed: ${report.baseline!.fixed.join(', ')}`);
  }
  if (io.debug) {
    report.trace = trace.map(traceForReport);
    say(`${result.connections ?? '?'} connection(s) for ${trace.length} request(s) (keep-alive, one pool per run, at most ${PER_ORIGIN_LIMIT} requests per origin at once).`);
  }
  io.stdout.write(io.json ? renderJson(report) : renderHuman(report, io.colorStdout, !!o.verbose));
  // A server on this machine passes here, but ChatGPT connects from OpenAI's servers.
  const local = plan.sandbox || report.verdict.chatgpt !== 'pass' ? undefined : loopbackHosts(report);
  if (local) {
    say(`Note: ${local} ${local.includes(' and ') ? 'are' : 'is'} this machine. ChatGPT connects from OpenAI's servers, so it could connect once this server is reachable from the internet over https (a tunnel or a deployment) — run the doctor again on that URL.`);
  }
  // A file that cannot be written after all (checked before the run): said, the others still written.
  let unwritten = 0;
  const write = async (file: string, flag: string, data: () => string, done: string) => {
    try {
      await writeOutput(file, flag, data());
      say(done);
    } catch (err) {
      unwritten++;
      io.stderr.write(`Error: ${(err as Error).message}\n`);
    }
  };
  if (o.junit) await write(o.junit, '--junit', () => renderJunit(report), `JUnit report written to ${o.junit}`);
  const markdown = o.report || io.env.GITHUB_STEP_SUMMARY ? renderMarkdown(report, trace) : '';
  if (o.report) await write(o.report, '--report', () => markdown, `Markdown report written to ${o.report}`);
  if (o.trace) await write(o.trace, '--trace', () => `${escapeJsonUnsafe(JSON.stringify(toHar(trace), null, 1))}\n`, `HAR trace written to ${o.trace} (secrets redacted)`);
  if (io.env.GITHUB_ACTIONS === 'true') {
    const notes = githubAnnotations(report);
    if (notes) io.stderr.write(`${notes}\n`);
    const { appendFile } = await import('node:fs/promises');
    // The runner's files: a failure is said like a report file's, never as a raw Node error.
    const append = async (name: 'GITHUB_STEP_SUMMARY' | 'GITHUB_OUTPUT', data: string) => {
      try {
        await appendFile(io.env[name]!, data);
      } catch (err) {
        unwritten++;
        io.stderr.write(`Error: ${name} ${safeText(io.env[name], 300)}: could not append to the file (${fsReason(err)})\n`);
      }
    };
    if (io.env.GITHUB_STEP_SUMMARY) await append('GITHUB_STEP_SUMMARY', markdown);
    // Step outputs (the action's verdict-chatgpt, verdict-security, regressions…, report-path).
    if (io.env.GITHUB_OUTPUT) await append('GITHUB_OUTPUT', githubOutputs(report, o.report));
  }
  if (o.writeBaseline) {
    const { writeBaseline } = await import('../../doctor/baseline.js');
    try {
      const n = await writeBaseline(o.writeBaseline, report);
      say(`Baseline with ${n} accepted failure(s)/warning(s) written to ${o.writeBaseline}; give each entry a reason.`);
    } catch (err) {
      io.stderr.write(`Error: --write-baseline ${safeText(o.writeBaseline, 300)}: could not write the file (${fsReason(err)})\n`);
      return EXIT.failed;
    }
    // Writing the baseline is what the run was for: it succeeded.
    return unwritten ? EXIT.failed : 0;
  }
  const { exitCode } = await import('../../doctor/verdict.js');
  const code = exitCode(report, plan.failOn);
  // A report file asked for and not written is a failed operation; a worse verdict's code stays.
  return unwritten && code === 0 ? EXIT.failed : code;
}

/**
 * The hosts of this machine ChatGPT would be sent to (apps: the MCP URL; actions: the GPT editor's
 * Authorization and Token URLs and the API), as "127.0.0.1:8080" or "a and b"; undefined if none.
 */
function loopbackHosts(report: Report): string | undefined {
  const urls = report.target === 'apps' ? [report.subject]
    : [report.gptEditor?.authorizationUrl, report.gptEditor?.tokenUrl, report.subject];
  const hosts = new Set<string>();
  for (const raw of urls) {
    let u: URL;
    try { u = new URL(raw ?? ''); } catch { continue; }
    if (isLoopback(u)) hosts.add(safeText(u.host, 100));
  }
  if (!hosts.size) return undefined;
  const all = [...hosts];
  return all.length === 1 ? all[0] : `${all.slice(0, -1).join(', ')} and ${all.at(-1)}`;
}

/** A trace entry as it appears in the JSON report (headers redacted here, bodies by renderJson). */
function traceForReport(e: TraceEntry): Record<string, unknown> {
  return {
    seq: e.seq, startedAt: e.startedAt, method: e.method, url: e.url, status: e.status, durationMs: e.durationMs,
    requestHeaders: redactHeaders(e.requestHeaders), requestBody: e.requestBody,
    responseHeaders: e.responseHeaders ? redactHeaders(e.responseHeaders) : undefined, responseBody: e.responseBody,
    error: e.error,
  };
}
