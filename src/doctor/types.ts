/** What a doctor run produces: the report, and what every suite run takes. */
import type { CheckResult, Selection } from '../checks/types.js';

type Verdict = 'pass' | 'fail' | 'incomplete' | 'partial';

export interface Report {
  tool: 'gpt-oauth';
  version: string;
  target: 'apps' | 'actions';
  subject: string;
  startedAt: string;
  durationMs: number;
  summary: { passed: number; failed: number; warnings: number; skipped: number };
  /**
   * "Can ChatGPT connect?" and "Is it safe?": pass (every check behind it ran; none failed), fail,
   * incomplete (checks behind it could not run), or partial (`--only`/`--skip` left some out).
   */
  verdict: { chatgpt: Verdict; security: Verdict };
  /** With `--only`/`--skip`: the selection and what it left out; the verdicts cover only the selected checks. */
  selection?: import('../checks/types.js').ReportSelection;
  checks: CheckResult[];
  /** Extras (allowed by the contract): */
  requests?: number;
  login?: string;
  /** actions: what to paste into the GPT editor (secret masked). */
  gptEditor?: import('../gpt-actions/gpt.js').GptEditorFields;
  /** With --baseline: accepted ids (failures/warnings listed in the baseline) and entries that now pass. */
  baseline?: { file: string; accepted: string[]; fixed: string[] };
  /** apps: what the doctor learned about the server's behaviour (sound behaviour, named, never blamed). */
  notes?: string[];
  /** apps: failures whose evidence could be the doctor's own interference, re-run alone. */
  recheck?: { rechecked: number; confirmed: number; cleared: string[] };
  /** With --debug: every HTTP exchange, redacted when rendered. */
  trace?: unknown[];
  /** With --fix: the provider, each round's plan and whether it was applied, and before/after. */
  fix?: FixReport;
}

/** One provider setting in a --fix plan (the adapter's SettingChange). */
export interface FixChange { setting: string; to: unknown; from?: unknown; status: 'changed' | 'already' | 'manual'; note?: string; dashboardUrl?: string; fixes?: string[] }

export interface FixReport {
  provider?: string;
  account?: string;
  rounds: { plan: FixChange[]; applied: boolean }[];
  /** Why nothing (more) was applied, when that was not because nothing was left to fix. */
  stopped?: string;
  before: Report['verdict'];
  after: Report['verdict'];
  /** Checks whose status changed between the first and the last run. */
  changed: { id: string; from: string; to: string }[];
  /** Failures and warnings no setting of this provider changes: its own behaviour, or the MCP server's. */
  notFixable: { id: string; status: string; detail: string }[];
}

/** What every suite run takes besides its target's inputs. */
export interface SuiteRunOptions {
  http: import('../http/client.js').HttpClient;
  login: import('../login/driver.js').LoginMode;
  loginCommand?: string;
  loginTimeoutMs?: number;
  selection?: Selection;
  /** Progress lines for people (stderr). */
  say?: (line: string) => void;
  onResult?: (r: CheckResult) => void;
  /** Checks run at once (default 6; 1 runs them one after another). */
  concurrency?: number;
  /** A check starts (for progress: its id and flow step). */
  onStart?: (id: string) => void;
  /** Receives every undeclared access to the suite's shared state (tests assert there is none). */
  onStateViolation?: (v: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Where `--login manual` reads the pasted URL (default: process.stdin). */
  stdin?: NodeJS.ReadableStream;
}
