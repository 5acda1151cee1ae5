/** The check framework's vocabulary: a check's definition, its outcome and its report row. */
import type { SpecRef } from './spec.js';

export type Status = 'pass' | 'fail' | 'warn' | 'skip' | 'info';
type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

/** One row of the report, exactly the contract's shape plus optional extras. */
export interface CheckResult {
  id: string;
  status: Status;
  severity: Severity;
  title: string;
  detail: string;
  fix?: string;
  /** The contract's spec labels. */
  spec: string[];
  /** The same references with a URL each. */
  references: SpecRef[];
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

/** The shared state of a suite is `ctx.s`; checks name its keys in `reads`, `writes`, `spends`. */
type StateKey<C> = C extends { s: infer S } ? Extract<keyof S, string> : never;

export interface CheckDef<C> {
  id: string;
  title: string;
  severity: Severity;
  spec: SpecRef[];
  step: string;
  /** Checks whose failure or skip makes this one impossible to run. */
  needs?: string[];
  /** State this check reads: every check that writes it runs first (and is run for it when selected alone). */
  reads?: StateKey<C>[];
  /** State this check produces. */
  writes?: StateKey<C>[];
  /** State this check may invalidate (e.g. a replay that revokes the token family): every reader runs first. */
  spends?: StateKey<C>[];
  /** How many authorization codes the check obtains (for "login N of M"). */
  logins?: number;
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

/** `--only` / `--skip`: check ids or id prefixes (`token.` or `token`). */
export interface Selection {
  only?: string[];
  skip?: string[];
}
