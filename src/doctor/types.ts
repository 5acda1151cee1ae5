export type Status = 'pass' | 'fail' | 'warn' | 'skip' | 'info';
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

/** One row of the report, exactly the contract's shape plus optional extras. */
export interface CheckResult {
  id: string;
  status: Status;
  severity: Severity;
  title: string;
  detail: string;
  fix?: string;
  spec: string[];
  durationMs: number;
  /** The message the user is likely seeing in ChatGPT when this check fails. */
  chatgpt?: string;
  /** Flow step this check belongs to (for grouping). */
  step: string;
}

export interface Outcome {
  status: Status;
  detail: string;
  fix?: string;
  chatgpt?: string;
  /** A failure (or a not-applicable skip) that still left what later checks need: they run anyway. */
  nonBlocking?: boolean;
}

export interface CheckDef<C> {
  id: string;
  title: string;
  severity: Severity;
  spec: string[];
  step: string;
  /** Checks whose failure or skip makes this one impossible to run. */
  needs?: string[];
  /** Shown by default when the check fails and no specific text is given. */
  chatgpt?: string;
  run(ctx: C): Promise<Outcome> | Outcome;
}

export const pass = (detail: string): Outcome => ({ status: 'pass', detail });
export const info = (detail: string): Outcome => ({ status: 'info', detail });
export const skip = (detail: string): Outcome => ({ status: 'skip', detail });
export const warn = (detail: string, fix?: string, chatgpt?: string): Outcome => ({ status: 'warn', detail, fix, chatgpt });
export const fail = (detail: string, fix?: string, chatgpt?: string, nonBlocking = false): Outcome =>
  ({ status: 'fail', detail, fix, chatgpt, nonBlocking });

export interface Report {
  tool: 'gpt-oauth';
  version: string;
  target: 'apps' | 'actions';
  subject: string;
  startedAt: string;
  durationMs: number;
  summary: { passed: number; failed: number; warnings: number; skipped: number };
  checks: CheckResult[];
  /** Extras (allowed by the contract): */
  requests?: number;
  login?: string;
  /** actions: what to paste into the GPT editor (secret masked). */
  gptEditor?: import('../actions/gpt.js').GptEditorFields;
  /** With --baseline: accepted ids (failures/warnings listed in the baseline) and entries that now pass. */
  baseline?: { file: string; accepted: string[]; fixed: string[] };
  /** With --debug: every HTTP exchange, redacted when rendered. */
  trace?: unknown[];
}

/** What every suite run takes besides its target's inputs. */
export interface SuiteRunOptions {
  http: import('../http/client.js').HttpClient;
  login: import('./login.js').LoginMode;
  loginCommand?: string;
  loginTimeoutMs?: number;
  selection?: import('./engine.js').Selection;
  /** Progress lines for people (stderr). */
  say?: (line: string) => void;
  onResult?: (r: CheckResult) => void;
  env?: NodeJS.ProcessEnv;
  /** Where `--login manual` reads the pasted URL (default: process.stdin). */
  stdin?: NodeJS.ReadableStream;
}
