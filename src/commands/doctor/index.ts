/**
 * `gpt-oauth doctor [URL]`: options → validate → run → render.
 *
 * `validate()` (options.ts) has no side effects beyond reading local files: every flag
 * combination, URL, output path, baseline and check selection is checked there, so a usage error
 * exits 2 before any HTTP request. `run()` (run.ts) starts what the run needs (sandbox, HTTP
 * client), runs the suite and returns the report; `render()` (outputs.ts) writes stdout, the
 * report files and the baseline, and returns the exit code. `--fix` (fix.ts) runs again between
 * the run and the render; `--list-checks` and `--export-refresh-token` need no run.
 */
import type { IO } from '../../ui/io.js';
import { parseSeconds, validate, type DoctorOptions, type DoctorPlan } from './options.js';
import { run, type DoctorResult } from './run.js';
import { listChecks, render } from './outputs.js';
import { exportRefreshToken } from './refresh-token.js';

/** validate → run → render: what `gpt-oauth doctor` does. Returns the exit code. */
export async function doctor(io: IO, opts: DoctorOptions): Promise<number> {
  if (opts.listChecks) return listChecks(io, opts.target ?? 'apps');
  if (opts.exportRefreshToken) return exportRefreshToken(io, opts);
  const plan = await validate(io, opts);
  let result = await run(io, plan);
  if (plan.o.fix && plan.target === 'apps') result = await fixAndRunAgain(io, plan, result);
  else if (plan.o.fix && plan.target === 'actions') result = await fixActionsAndRunAgain(io, plan, result);
  try {
    return await render(io, plan, result);
  } finally {
    // The verdict is shown first; the run's last clean-up requests finish here.
    await result.close?.();
  }
}

/** --fix: the rounds of fix.ts, each run again with a fresh deadline; the last run's result. */
async function fixAndRunAgain(io: IO, plan: DoctorPlan, first: DoctorResult): Promise<DoctorResult> {
  const { fixLoop, fixSummaryLines } = await import('./fix.js');
  const { createPrompter } = await import('../../ui/prompt.js');
  const prompter = createPrompter(io);
  let latest = first;
  const report = await fixLoop(io, plan.o, first.report, async () => {
    await latest.close?.();
    latest = await run(io, { ...plan, deadlineAt: Date.now() + parseSeconds(plan.o.deadline, '--deadline', 600) * 1000 });
    return latest.report;
  }, (question) => (io.interactive ? prompter.confirm(question, '--yes', false) : Promise.resolve(false)));
  for (const line of fixSummaryLines(report.fix!)) io.stderr.write(`${line}\n`);
  return { ...latest, report };
}

/** --target actions --fix: the GPT's callbacks added to its app, then one run again. */
async function fixActionsAndRunAgain(io: IO, plan: Extract<DoctorPlan, { target: 'actions' }>, first: DoctorResult): Promise<DoctorResult> {
  const { actionsFixLoop, fixSummaryLines } = await import('./fix.js');
  const { createPrompter } = await import('../../ui/prompt.js');
  const prompter = createPrompter(io);
  let latest = first;
  const provider = (first.report as { provider?: string }).provider ?? 'generic';
  const report = await actionsFixLoop(io, { ...plan.o, gptId: plan.gptId!, clientId: first.report.gptEditor?.clientId ?? plan.o.clientId! }, first.report, provider, async () => {
    latest = await run(io, { ...plan, deadlineAt: Date.now() + parseSeconds(plan.o.deadline, '--deadline', 600) * 1000 });
    return latest.report;
  }, (question) => (io.interactive ? prompter.confirm(question, '--yes', false) : Promise.resolve(false)));
  for (const line of fixSummaryLines(report.fix!)) io.stderr.write(`${line}\n`);
  return { ...latest, report };
}
