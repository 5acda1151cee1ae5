/**
 * A local runner for the composite action in action.yml, as GitHub's runner executes it: the
 * inputs (defaults filled in) become the `inputs` context, each step's `env` and `if` are
 * evaluated, `run` steps go to `bash --noprofile --norc -eo pipefail` with the runner's files
 * (GITHUB_OUTPUT per step, GITHUB_STEP_SUMMARY, GITHUB_ACTION_PATH, RUNNER_TEMP), a failed step
 * skips the rest, `::add-mask::` values are masked in the log from then on, and the action's
 * outputs are evaluated from the steps' outputs. `uses` steps are recorded, not run (no network).
 *
 * Only the expressions action.yml uses are understood (`inputs.x`, `steps.id.outputs.x`,
 * `github.action_path`, and `a == 'b'` in `if`); anything else throws, so the action cannot grow
 * an expression this harness would silently mis-evaluate.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

interface Step { name?: string; id?: string; if?: string; shell?: string; run?: string; uses?: string; with?: Record<string, unknown>; env?: Record<string, string> }
interface ActionFile {
  inputs: Record<string, { default?: string; required?: boolean }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

export interface ActionRun {
  exitCode: number;
  /** The log as the runner shows it: every masked value replaced by ***. */
  log: string;
  /** The unmasked output, for asserting where the mask commands came. */
  raw: string;
  outputs: Record<string, string>;
  summary: string;
  /** `uses` steps that would have run, and those skipped by their `if`. */
  used: string[];
  skipped: string[];
}

export const actionRoot = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

export function readAction(): ActionFile {
  return parse(readFileSync(join(actionRoot, 'action.yml'), 'utf8')) as ActionFile;
}

/** GITHUB_OUTPUT's two forms: name=value, and name<<DELIMITER … DELIMITER. */
function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const value: string[] = [];
      while (++i < lines.length && lines[i] !== heredoc[2]) value.push(lines[i]!);
      out[heredoc[1]!] = value.join('\n');
    } else if (line.includes('=')) out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
  }
  return out;
}

export async function runAction(opts: { inputs: Record<string, string>; workspace?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<ActionRun> {
  const action = readAction();
  if (action.runs.using !== 'composite') throw new Error(`action.yml runs.using is ${action.runs.using}`);
  for (const k of Object.keys(opts.inputs)) if (!(k in action.inputs)) throw new Error(`action.yml has no input ${k}`);
  const inputs: Record<string, string> = {};
  for (const [k, def] of Object.entries(action.inputs)) inputs[k] = opts.inputs[k] ?? def.default ?? '';
  const temp = mkdtempSync(join(tmpdir(), 'gpt-oauth-action-'));
  const workspace = opts.workspace ?? mkdtempSync(join(tmpdir(), 'gpt-oauth-ws-'));
  const summaryFile = join(temp, 'summary.md');
  writeFileSync(summaryFile, '');
  const steps: Record<string, Record<string, string>> = {};
  const masks: string[] = [];
  let raw = '';
  let log = '';
  const used: string[] = [];
  const skipped: string[] = [];
  let exitCode = 0;

  const value = (expr: string): string => {
    const e = expr.trim();
    let m: RegExpExecArray | null;
    if ((m = /^inputs\.([\w-]+)$/.exec(e))) {
      if (!(m[1]! in inputs)) throw new Error(`unknown input ${m[1]}`);
      return inputs[m[1]!]!;
    }
    if ((m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(e))) return steps[m[1]!]?.[m[2]!] ?? '';
    if (e === 'github.action_path') return actionRoot;
    throw new Error(`the action runner does not understand the expression \${{ ${e} }}`);
  };
  const interpolate = (s: string): string => s.replace(/\$\{\{([^}]*)\}\}/g, (_m, e: string) => value(e));
  const condition = (s: string): boolean => {
    const m = /^(.+?)\s*(==|!=)\s*'([^']*)'$/.exec(s.replace(/^\$\{\{|\}\}$/g, '').trim());
    if (!m) throw new Error(`the action runner does not understand the condition ${s}`);
    return (value(m[1]!) === m[3]) === (m[2] === '==');
  };
  const mask = (text: string) => masks.reduce((t, v) => t.split(v).join('***'), text);

  for (const [i, step] of action.runs.steps.entries()) {
    const label = step.name ?? step.id ?? `step ${i + 1}`;
    if (exitCode !== 0 || (step.if && !condition(step.if))) { skipped.push(label); continue; }
    if (step.uses) { used.push(step.uses); continue; }
    if (!step.run) throw new Error(`${label}: neither run nor uses`);
    if (step.shell !== 'bash') throw new Error(`${label}: composite run steps need shell: bash`);
    if (/\$\{\{/.test(step.run)) throw new Error(`${label}: an expression inside run: (script injection); pass it through env:`);
    const outputFile = join(temp, `output-${i}`);
    writeFileSync(outputFile, '');
    const script = join(temp, `step-${i}.sh`);
    writeFileSync(script, step.run);
    const env: NodeJS.ProcessEnv = {
      ...opts.env,
      GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: outputFile, GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_ACTION_PATH: actionRoot, GITHUB_WORKSPACE: workspace, RUNNER_TEMP: temp,
    };
    for (const [k, v] of Object.entries(step.env ?? {})) env[k] = interpolate(String(v));
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${label} ran past ${opts.timeoutMs ?? 120_000} ms\n${raw}`)); }, opts.timeoutMs ?? 120_000);
      let pending = '';
      const take = (chunk: Buffer) => {
        const text = chunk.toString();
        raw += text;
        // The runner reads commands line by line; a mask applies to what follows it.
        pending += text;
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) {
          const m = /^::add-mask::(.*)$/.exec(line);
          if (m) { if (m[1]) masks.push(m[1]); continue; }
          log += `${mask(line)}\n`;
        }
      };
      child.stdout.on('data', take);
      child.stderr.on('data', take);
      child.on('close', (c) => { clearTimeout(timer); if (pending) log += mask(pending); resolve(c ?? 1); });
    });
    steps[step.id ?? `__${i}`] = existsSync(outputFile) ? parseOutputFile(readFileSync(outputFile, 'utf8')) : {};
    exitCode = code;
  }
  const outputs: Record<string, string> = {};
  for (const [k, o] of Object.entries(action.outputs)) outputs[k] = interpolate(o.value);
  return { exitCode, log, raw, outputs, summary: readFileSync(summaryFile, 'utf8'), used, skipped };
}

/** A workflow step's `with:` as the action's inputs, `${{ secrets.X }}` / `${{ vars.X }}` resolved. */
export function inputsOfStep(step: { with?: Record<string, unknown> }, ctx: { secrets?: Record<string, string>; vars?: Record<string, string> } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(step.with ?? {})) {
    out[k] = String(v).replace(/\$\{\{\s*(secrets|vars)\.(\w+)\s*\}\}/g, (_m, kind: 'secrets' | 'vars', name: string) => ctx[kind]?.[name] ?? '');
    if (/\$\{\{/.test(out[k]!)) throw new Error(`the action runner does not understand ${out[k]}`);
  }
  return out;
}
