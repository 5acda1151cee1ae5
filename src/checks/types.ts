/** The check framework's vocabulary: a check's definition, its outcome and its report row. */
import type { SpecRef } from './spec.js';

export type Status = 'pass' | 'fail' | 'warn' | 'skip' | 'info';

/**
 * What a finding means for the user:
 * - `chatgpt`: ChatGPT's connect, sign-in, tool calls or re-authorization break or show an error;
 * - `security`: a MUST/MUST NOT of OAuth 2.1, RFC 6749/7636/8707/9068/9207/9700/9728 or the MCP
 *   authorization spec that an attacker can exploit, while ChatGPT works;
 * - `interop`: strict OAuth/MCP clients or libraries break; ChatGPT tolerates it.
 */
export type Impact = 'chatgpt' | 'security' | 'interop';
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
  /** The message ChatGPT shows for this finding (only when `impact` is `chatgpt`). */
  chatgpt?: string;
  /** Flow step this check belongs to (for grouping). */
  step: string;
  /** What the finding means: ChatGPT breaks, a security weakness, or strict clients break. */
  impact: Impact;
  /**
   * The other impacts this check's tests judge (see CheckDef.alsoJudges): a verdict of each rests
   * on it too, so it is `pass` only if this check ran.
   */
  alsoJudges?: Impact[];
  /** The doctor itself could not finish this check (sign-in, its own environment): not a server fault. */
  incomplete?: true;
  /** Other checks whose failure this one's explains (its cause is theirs): "Fix first" picks it. */
  explains?: string[];
  /** Internal, not in the report: a sign-in that ended on the server's error page, in words. */
  signIn?: string;
}

export interface Outcome {
  status: Status;
  detail: string;
  fix?: string;
  chatgpt?: string;
  /** A failure (or a not-applicable skip) that still left what later checks need: they run anyway. */
  nonBlocking?: boolean;
  /** This outcome's impact when it differs from the check's (one check can fail both ways). */
  impact?: Impact;
  /** A skip because the doctor could not complete a step on the tester's side. */
  incomplete?: true;
  /** The checks whose failure this outcome's cause explains (see CheckResult.explains). */
  explains?: string[];
  /** The sign-in ended on the server's error page: its words (grants.ts authorize). */
  signIn?: string;
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
  /**
   * Round trips its run makes one after another (default 1): only the scheduler's estimate of
   * the critical path, never part of a result.
   */
  rounds?: number;
  /** What a failure of this check means, unless an outcome says otherwise. */
  impact: Impact;
  /**
   * Impacts of this check's sub-tests besides `impact` (the outcomes `as(…)` gives another
   * impact: actions.api-call's garbage token is a `security` test): the verdicts of those
   * impacts rest on this check too — not run (incomplete, skipped for a need, left out by a
   * selection), it makes them `incomplete` or `partial`, never `pass`.
   */
  alsoJudges?: Impact[];
  /** Shown by default when the check fails with impact `chatgpt` and no specific text is given. */
  chatgpt?: string;
  /**
   * The check's first half, started as soon as `prepare.needs` are done and the writers of
   * `prepare.reads` have run — before the check's own constraints are met. It fetches what `run`
   * will judge (a sign-in, a request whose answer is only compared later), so a check that has to
   * wait (for `token.exchange`, or until every reader of what it spends is done) does not then
   * also wait for its own round trips. It may read state but never write or spend it, and every
   * need of it must be a need of the check too (directly or further up). `run` gets its result;
   * a CheckAbort thrown here ends the check the same way. Sequential runs call it right before `run`.
   */
  prepare?: Prepare<C>;
  run(ctx: C, prepared?: unknown): Promise<Outcome> | Outcome;
}

interface Prepare<C> {
  needs: string[];
  reads?: StateKey<C>[];
  /** Round trips it makes one after another (default 1; the scheduler's estimate, as CheckDef.rounds). */
  rounds?: number;
  /**
   * Whether what it prepared makes the check's `spends` its own alone (a client registered for
   * this check, whose grant no other check uses): in concurrent runs the check then need not
   * wait for the readers of what it spends. Sequential runs keep the declared order.
   */
  ownsSpent?: (prepared: unknown) => boolean;
  /**
   * The state keys whose spenders can end what it builds (default: the check's `spends`): a
   * spender of one of them waits for it to settle. A prepare that builds a grant of its own is
   * ended only by what ends every grant (`['user']` in the apps suite).
   */
  endedBy?: StateKey<C>[];
  /**
   * The check's `run` starts as soon as its own constraints are met, without waiting for this
   * half to settle, and gets the prepare's promise instead of its value (a check whose run has
   * round trips of its own that need not wait for what the prepare walks). Spenders still wait
   * for the prepare to settle, as they do for every prepare.
   */
  alongside?: boolean;
  run(ctx: C): Promise<unknown>;
}

/** A check with a typed `prepare` half (see CheckDef.prepare). */
export function prepared<C, P>(def: Omit<CheckDef<C>, 'prepare' | 'run'> & {
  prepare: { needs: string[]; reads?: StateKey<C>[]; rounds?: number; ownsSpent?: (prepared: P) => boolean; endedBy?: StateKey<C>[]; run(ctx: C): Promise<P> };
  run(ctx: C, prepared: P): Promise<Outcome> | Outcome;
}): CheckDef<C> {
  return def as CheckDef<C>;
}

/** A check whose `run` overlaps its `prepare` half and gets its promise (Prepare.alongside). */
export function preparedAlongside<C, P>(def: Omit<CheckDef<C>, 'prepare' | 'run'> & {
  prepare: { needs: string[]; reads?: StateKey<C>[]; rounds?: number; endedBy?: StateKey<C>[]; run(ctx: C): Promise<P> };
  run(ctx: C, prepared: Promise<P>): Promise<Outcome> | Outcome;
}): CheckDef<C> {
  return { ...def, prepare: { ...def.prepare, alongside: true } } as CheckDef<C>;
}

export const pass = (detail: string): Outcome => ({ status: 'pass', detail });
export const info = (detail: string): Outcome => ({ status: 'info', detail });
export const skip = (detail: string): Outcome => ({ status: 'skip', detail });
export const warn = (detail: string, fix?: string, chatgpt?: string): Outcome => ({ status: 'warn', detail, fix, chatgpt });
export const fail = (detail: string, fix?: string, chatgpt?: string, nonBlocking = false): Outcome =>
  ({ status: 'fail', detail, fix, chatgpt, nonBlocking });
/** The doctor could not complete this step for a reason on the tester's side; `fix` says what to do. */
export const incomplete = (detail: string, fix?: string): Outcome => ({ status: 'skip', detail, fix, incomplete: true });
/** The same outcome with another impact. */
export const as = (impact: Impact, o: Outcome): Outcome => ({ ...o, impact });

/** What `--only`/`--skip` selected, and how many checks of each impact it left out (the report's `selection`). */
export interface ReportSelection {
  only?: string[];
  skip?: string[];
  notSelected: Record<Impact, number>;
  /**
   * A run's mode that leaves checks out, as `--only` does: a run from a kept refresh token makes
   * no new sign-in; `--save-refresh-token` and a kept token replay nothing that could revoke the
   * grant. `why` in words, `leftOut` the ids of the checks it left out (they are in the report,
   * skipped, with what would run them).
   */
  mode?: { why: string; leftOut: string[] };
}

/** `--only` / `--skip`: check ids or id prefixes (`token.` or `token`). */
export interface Selection {
  only?: string[];
  skip?: string[];
}
