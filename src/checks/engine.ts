/**
 * The check engine. A catalog is one list, in report order. Each check declares what it needs
 * (blocking prerequisites) and which keys of the suite's shared state (`ctx.s`) it reads, writes
 * and spends; the engine derives the execution order from those declarations, runs the producers
 * a selected check depends on even when they are not selected (their results are not reported),
 * and watches every access to the state so an undeclared read or write is caught by the tests.
 * Because a check only ever sees state its declared producers made, its verdict is the same in
 * a full run and with `--only <id>`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { HttpFailure } from '../http/client.js';
import { redact } from '../http/redact.js';
import { safeText } from '../text.js';
import type { CheckDef, CheckResult, Impact, Outcome, ReportSelection, Selection } from './types.js';

/** What a selector can name: a check (its id, id prefix) or, by its step's name in lower case, a group (`security`). */
interface Selectable { id: string; step: string }

const matches = (c: Selectable, patterns: string[]) =>
  patterns.some((p) => p === c.id || p === c.step.toLowerCase() || (p.endsWith('.') ? c.id.startsWith(p) : c.id.startsWith(`${p}.`)));

/** Selectors (`--only`/`--skip` entries) that name no check of the catalog. */
export function unknownSelectors(defs: Selectable[], patterns: string[] = []): string[] {
  return patterns.filter((p) => !defs.some((d) => matches(d, [p])));
}

/** The id prefixes of a catalog (`token.`, `refresh.`) and its step groups, for messages. */
function prefixesOf(defs: Selectable[]): string[] {
  return [...new Set(defs.map((d) => `${d.id.split('.')[0]}.`)), ...(defs.some((d) => d.step === 'Security') ? ['security'] : [])];
}

/** The candidate nearest to `typed` (edit distance at most 2, and less than a third of it), if any. */
function closest(typed: string, candidates: string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      const row = [i];
      for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row;
    }
    return prev[b.length]!;
  };
  const t = typed.slice(0, 80);
  let best: { c: string; d: number } | undefined;
  for (const c of new Set(candidates)) {
    const d = distance(t, c);
    if (d <= 2 && d < Math.max(2, t.length / 3) && (!best || d < best.d)) best = { c, d };
  }
  return best?.c;
}

/**
 * What is wrong with a selection, before any request: a selector that names no check of the
 * catalog ("did you mean …?"), or one that leaves nothing to run. The CLI (`--only`/`--skip`,
 * exit 2) and the library (`runDoctor`'s `only`/`skip`, a thrown error) say the same.
 */
export function selectionProblem(target: 'apps' | 'actions', defs: readonly Selectable[], sel: Selection, names = { only: '--only', skip: '--skip' }): { message: string; hint?: string } | undefined {
  if (!sel.only?.length && !sel.skip?.length) return undefined;
  for (const [flag, patterns] of [[names.only, sel.only], [names.skip, sel.skip]] as const) {
    const unknown = unknownSelectors([...defs], patterns);
    if (unknown.length) {
      const guesses = unknown.map((u) => closest(u, [...prefixesOf([...defs]), ...defs.map((d) => d.id)])).filter((g): g is string => !!g);
      return {
        message: `${flag}: no ${target} check matches ${unknown.map((u) => `"${safeText(u, 80)}"`).join(', ')}${guesses.length ? ` — did you mean ${guesses.join(', ')}?` : ''}`,
        hint: `Known prefixes: ${prefixesOf([...defs]).join(' ')} (gpt-oauth doctor --list-checks lists every id).`,
      };
    }
  }
  if (!defs.some((d) => isSelected(d, sel))) return { message: `${names.only} and ${names.skip} leave no check to run` };
  return undefined;
}

function isSelected(c: Selectable, sel: Selection = {}): boolean {
  return (!sel.only?.length || matches(c, sel.only)) && !(sel.skip?.length && matches(c, sel.skip));
}

/** What `--only`/`--skip` left out of a catalog, per impact (for the report's `selection`). */
export function selectionOf(catalog: readonly (Selectable & { impact: Impact; alsoJudges?: Impact[] })[], sel: Selection | undefined): ReportSelection | undefined {
  if (!sel?.only?.length && !sel?.skip?.length) return undefined;
  const out = catalog.filter((c) => !isSelected(c, sel));
  // A check counts for each impact it judges (its own and its sub-tests', CheckDef.alsoJudges).
  const n = (impact: Impact) => out.filter((c) => c.impact === impact || c.alsoJudges?.includes(impact)).length;
  return {
    ...(sel.only?.length ? { only: sel.only } : {}),
    ...(sel.skip?.length ? { skip: sel.skip } : {}),
    notSelected: { chatgpt: n('chatgpt'), security: n('security'), interop: n('interop') },
  };
}

/**
 * Execution order: a stable topological order of the catalog under the declared constraints
 * (a need runs first; a writer of a key runs before its readers; every reader of a key runs
 * before a check that spends it). Among checks that are ready, catalog order wins.
 */
export function executionOrder<C>(defs: CheckDef<C>[]): CheckDef<C>[] {
  const before = constraints(defs);
  const done = new Set<string>();
  const out: CheckDef<C>[] = [];
  while (out.length < defs.length) {
    const next = defs.find((d) => !done.has(d.id) && [...before.get(d.id)!].every((x) => done.has(x)));
    if (!next) {
      const stuck = defs.filter((d) => !done.has(d.id)).map((d) => d.id);
      throw new Error(`the catalog's declarations form a cycle among: ${stuck.join(', ')}`);
    }
    done.add(next.id);
    out.push(next);
  }
  return out;
}

/**
 * For each check, the checks that must finish before it starts (needs, writers, readers of what
 * it spends; without `spending`, only the first two).
 */
function constraints<C>(defs: CheckDef<C>[], spending = true): Map<string, Set<string>> {
  const index = new Map(defs.map((d, i) => [d.id, i]));
  const before = new Map<string, Set<string>>(defs.map((d) => [d.id, new Set()]));
  const writers = (k: string) => defs.filter((d) => (d.writes as string[] | undefined)?.includes(k)).map((d) => d.id);
  const readers = (k: string) => defs.filter((d) => (d.reads as string[] | undefined)?.includes(k)).map((d) => d.id);
  for (const d of defs) {
    const deps = before.get(d.id)!;
    for (const n of d.needs ?? []) {
      if (!index.has(n)) throw new Error(`${d.id} needs ${n}, which is not in the catalog`);
      deps.add(n);
    }
    for (const k of (d.reads ?? []) as string[]) for (const w of writers(k)) if (w !== d.id) deps.add(w);
    for (const k of (d.prepare?.reads ?? []) as string[]) if (!(d.reads as string[] | undefined)?.includes(k)) throw new Error(`${d.id}: prepare reads ${k}, which the check does not declare`);
    for (const k of (spending ? d.spends ?? [] : []) as string[]) {
      for (const r of readers(k)) if (r !== d.id) deps.add(r);
      for (const w of writers(k)) if (w !== d.id) deps.add(w);
    }
  }
  return before;
}

export interface Plan<C> {
  /** Every check that runs, in execution order. */
  run: CheckDef<C>[];
  /** The checks that are reported. */
  selected: Set<string>;
}

/** The selected checks plus, transitively, what they need and the producers of what they read. */
export function planChecks<C>(defs: CheckDef<C>[], sel: Selection = {}): Plan<C> {
  const byId = new Map(defs.map((d) => [d.id, d]));
  const selected = new Set(defs.filter((d) => isSelected(d, sel)).map((d) => d.id));
  const needed = new Set(selected);
  const stack = [...selected];
  while (stack.length) {
    const d = byId.get(stack.pop()!)!;
    const producers = ((d.reads ?? []) as string[]).flatMap((k) => defs.filter((w) => w.id !== d.id && (w.writes as string[] | undefined)?.includes(k)).map((w) => w.id));
    for (const n of [...(d.needs ?? []), ...producers]) if (!needed.has(n)) { needed.add(n); stack.push(n); }
  }
  return { run: executionOrder(defs).filter((d) => needed.has(d.id)), selected };
}

export interface RunHooks {
  onResult?: (r: CheckResult) => void;
  onStart?: (id: string) => void;
  /** After every planned check, whether it ran or was skipped for a prerequisite. */
  onFinish?: (def: { id: string; logins?: number }, ran: boolean) => void;
  /** State keys any check may touch without declaring them (counters, cleanup lists). */
  free?: string[];
  /** Receives every undeclared state access (tests assert there are none). */
  onViolation?: (v: string) => void;
  /**
   * How many checks may run at once (default 1). Checks start as soon as every check their
   * declarations order before them has finished; results are the same as in a sequential run.
   */
  concurrency?: number;
}

/** The check a piece of code runs for (HTTP trace tags, per-check login counts). */
export const currentCheck = new AsyncLocalStorage<string>();

/**
 * How urgent the running code is, in concurrent runs: the round trips on the longest chain from
 * it to the end of the run (a check's own, then the heaviest chain of checks waiting for it; a
 * prepare half adds its own). The suite hands it to the HTTP layer as request priority, so the
 * critical path goes first.
 */
export const currentPriority = new AsyncLocalStorage<number>();

/**
 * Run a plan. A check whose prerequisite failed or was skipped is `skip`ped with the reason.
 * Results come back in catalog order, selected checks only.
 */
export async function runChecks<C extends { s: object }>(defs: CheckDef<C>[], ctx: C, sel: Selection = {}, hooks: RunHooks = {}): Promise<CheckResult[]> {
  const plan = planChecks(defs, sel);
  const planned = new Set(plan.run.map((d) => d.id));
  const all = constraints(defs);
  // Only planned checks constrain each other (an unplanned writer never runs).
  const before = new Map(plan.run.map((d) => [d.id, [...all.get(d.id)!].filter((x) => planned.has(x))]));
  // A check whose prepare found it state of its own to spend (Prepare.ownsSpent) waits only for
  // its needs and the writers of what it reads.
  const loose = constraints(defs, false);
  const looseBefore = new Map(plan.run.map((d) => [d.id, [...loose.get(d.id)!].filter((x) => planned.has(x))]));
  const outcomes = new Map<string, Outcome>();
  const results: CheckResult[] = [];
  const defsById = new Map(defs.map((d) => [d.id, d]));
  const limit = Math.max(1, hooks.concurrency ?? 1);
  // Among ready checks, those on the longest chain to the end start first (the critical path:
  // a check's weight is its own round trips plus the heaviest chain of checks that must wait
  // for it), then execution order; with a limit of 1 this is the plain execution order.
  const after = new Map<string, Set<string>>(plan.run.map((d) => [d.id, new Set()]));
  for (const [id, deps] of before) for (const d of deps) after.get(d)!.add(id);
  const weight = new Map<string, number>();
  const weigh = (id: string): number => {
    let w = weight.get(id);
    if (w === undefined) {
      // The constraint graph is acyclic (planChecks orders it), so this recursion ends.
      w = (defsById.get(id)!.rounds ?? 1) + Math.max(0, ...[...after.get(id)!].map(weigh));
      weight.set(id, w);
    }
    return w;
  };
  const position = new Map(plan.run.map((d, i) => [d.id, i]));
  const waiting = limit === 1 ? [...plan.run] : [...plan.run].sort((a, b) => weigh(b.id) - weigh(a.id) || position.get(a.id)! - position.get(b.id)!);
  const running = new Map<string, Promise<void>>();
  // Prepare halves (CheckDef.prepare), started early in concurrent runs; every one is awaited
  // before the run returns, so none outlives it.
  const preparing = new Map<string, Promise<unknown>>();
  const prepBefore = new Map(plan.run.filter((d) => d.prepare).map((d) => [d.id, prepareConstraints(d, defs, planned)]));
  const startPrepare = (def: CheckDef<C>): Promise<unknown> => {
    let p = preparing.get(def.id);
    if (!p) {
      const view = watched(ctx, { id: def.id, reads: def.prepare!.reads } as CheckDef<C>, hooks);
      // A prepare comes before its own check and before every spender that waits for it.
      const waiters = [...spendPrepares].filter(([, cs]) => cs.includes(def.id)).map(([id]) => weigh(id));
      const priority = (def.prepare!.rounds ?? 1) + Math.max(weigh(def.id), ...waiters);
      p = currentCheck.run(def.id, () => currentPriority.run(priority, () => def.prepare!.run(view)));
      preparing.set(def.id, p);
      settling.set(def.id, p.then((v) => { settled.add(def.id); if (def.prepare!.ownsSpent?.(v)) owning.add(def.id); }, () => { settled.add(def.id); }));
    }
    return p;
  };
  const settled = new Set<string>();
  const owning = new Set<string>();
  const settling = new Map<string, Promise<void>>();
  // Another spender's prepare half sets up what it will spend from the same state (a fresh code
  // from the same grant): in concurrent runs a spender starts only once those prepares have
  // settled or can no longer start, so it cannot spend the state under them. (Sequential runs
  // call each prepare right before its run, after the earlier spender.) Which spenders can end
  // what a prepare builds is its `endedBy` (default: what its check spends).
  const spendPrepares = new Map(plan.run.map((d) => [d.id, limit === 1 || !d.spends?.length ? [] : plan.run
    .filter((c) => c.id !== d.id && c.prepare && !before.get(d.id)!.includes(c.id) && ((c.prepare.endedBy ?? c.spends) as string[] | undefined)?.some((k) => (d.spends as string[]).includes(k)))
    .map((c) => c.id)]));
  const prepareOver = (id: string) => settled.has(id) || outcomes.has(id)
    || (!preparing.has(id) && prepBefore.get(id)!.every((x) => outcomes.has(x)) && defsById.get(id)!.prepare!.needs.some((n) => planned.has(n) && isBlocking(n)));
  const isBlocking = (id: string) => {
    const o = outcomes.get(id);
    return !o || ((o.status === 'skip' || o.status === 'fail') && !o.nonBlocking) || !!o.incomplete;
  };

  const runOne = async (def: CheckDef<C>): Promise<void> => {
    const started = performance.now();
    let outcome: Outcome;
    const blocker = (def.needs ?? []).find((n) => {
      const o = outcomes.get(n);
      return !o || ((o.status === 'skip' || o.status === 'fail') && !o.nonBlocking);
    });
    // A producer of what this check reads could not finish (the doctor's side): judging without
    // its result would be guessing, so this one is incomplete too.
    const lost = blocker ? undefined : before.get(def.id)!.find((x) => outcomes.get(x)?.incomplete && writesWhatIsRead(defsById.get(x)!, def));
    if (blocker) {
      const o = outcomes.get(blocker);
      outcome = o?.incomplete
        ? { status: 'skip', detail: `needs ${blocker}, which could not be completed`, incomplete: true }
        : { status: 'skip', detail: `needs ${blocker}, which ${o?.status === 'fail' ? 'failed' : 'did not run'}` };
    } else if (lost) {
      outcome = { status: 'skip', detail: `needs the result of ${lost}, which could not be completed`, incomplete: true };
    } else {
      hooks.onStart?.(def.id);
      try {
        const view = watched(ctx, def, hooks);
        outcome = def.prepare?.alongside
          ? await currentCheck.run(def.id, () => currentPriority.run(weigh(def.id), () => Promise.resolve(def.run(view, startPrepare(def)))))
          : def.prepare
          ? await startPrepare(def).then((p) => currentCheck.run(def.id, () => currentPriority.run(weigh(def.id), () => Promise.resolve(def.run(view, p)))))
          : await currentCheck.run(def.id, () => currentPriority.run(weigh(def.id), () => Promise.resolve(def.run(view))));
      } catch (err) {
        outcome = crashOutcome(err);
      }
    }
    outcomes.set(def.id, outcome);
    hooks.onFinish?.(def, !blocker && !lost);
    if (plan.selected.has(def.id)) {
      const r = resultOf(def, outcome, Math.round(performance.now() - started));
      results.push(r);
      hooks.onResult?.(r);
    }
  };

  while (waiting.length || running.size) {
    // Start every check whose predecessors are done, in execution order, up to the limit.
    for (let i = 0; i < waiting.length && running.size < limit;) {
      const def = waiting[i]!;
      const deps = owning.has(def.id) ? looseBefore.get(def.id)! : before.get(def.id)!;
      if (deps.every((x) => outcomes.has(x)) && spendPrepares.get(def.id)!.every(prepareOver)) {
        waiting.splice(i, 1);
        running.set(def.id, runOne(def).finally(() => running.delete(def.id)));
      } else i++;
    }
    // Concurrent runs start a check's prepare half once its own (weaker) constraints are met.
    if (limit > 1) {
      for (const def of waiting) {
        const pb = prepBefore.get(def.id);
        if (pb && !preparing.has(def.id) && pb.every((x) => outcomes.has(x)) && !def.prepare!.needs.some((n) => planned.has(n) && isBlocking(n))) startPrepare(def);
      }
    }
    const pending = [...running.values(), ...[...settling].filter(([id]) => !settled.has(id)).map(([, p]) => p)];
    if (pending.length) await Promise.race(pending);
    else if (waiting.length) throw new Error(`checks cannot start: ${waiting.map((d) => d.id).join(', ')}`);
  }
  await Promise.all(settling.values());
  const order = new Map(defs.map((d, i) => [d.id, i]));
  return results.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
}

/**
 * What must finish before a check's prepare half starts: its prepare needs and the writers of
 * what it reads. Each prepare need must also be a need of the check (directly or transitively),
 * so a check whose prepare could not start is one that is skipped for a prerequisite anyway.
 */
function prepareConstraints<C>(def: CheckDef<C>, defs: CheckDef<C>[], planned: Set<string>): string[] {
  const byId = new Map(defs.map((d) => [d.id, d]));
  const closure = new Set<string>();
  const stack = [...(def.needs ?? [])];
  while (stack.length) { const n = stack.pop()!; if (!closure.has(n)) { closure.add(n); stack.push(...(byId.get(n)?.needs ?? [])); } }
  for (const n of def.prepare!.needs) if (!closure.has(n)) throw new Error(`${def.id}: prepare needs ${n}, which the check itself does not need`);
  const writers = ((def.prepare!.reads ?? []) as string[]).flatMap((k) => defs.filter((w) => w.id !== def.id && (w.writes as string[] | undefined)?.includes(k)).map((w) => w.id));
  return [...new Set([...def.prepare!.needs, ...writers])].filter((x) => planned.has(x));
}

const writesWhatIsRead = <C>(writer: CheckDef<C>, reader: CheckDef<C>) =>
  ((writer.writes ?? []) as string[]).some((k) => ((reader.reads ?? []) as string[]).includes(k));

function resultOf<C>(def: CheckDef<C>, outcome: Outcome, durationMs: number): CheckResult {
  const impact = outcome.impact ?? def.impact;
  // The impacts its tests judge besides this outcome's: the check's own and its sub-tests'.
  const also = [...new Set([def.impact, ...(def.alsoJudges ?? [])])].filter((i) => i !== impact);
  // ChatGPT's message only where ChatGPT really shows one: a failure (or a warning that names
  // its own message) whose impact is `chatgpt`.
  const chatgpt = impact !== 'chatgpt' ? undefined
    : outcome.status === 'fail' ? outcome.chatgpt ?? def.chatgpt
      : outcome.status === 'warn' ? outcome.chatgpt : undefined;
  return {
    id: def.id,
    status: outcome.status,
    severity: outcome.status === 'fail' || outcome.status === 'warn' ? def.severity : 'info',
    title: def.title,
    // Server text enters the report here: redacted before any output escapes it.
    detail: redact(outcome.detail),
    ...(outcome.fix ? { fix: redact(outcome.fix) } : {}),
    spec: def.spec.map((r) => r.id),
    references: def.spec,
    durationMs,
    step: def.step,
    impact,
    ...(also.length && def.alsoJudges?.length ? { alsoJudges: also } : {}),
    ...(chatgpt ? { chatgpt } : {}),
    ...(outcome.incomplete ? { incomplete: true as const } : {}),
    ...(outcome.explains?.length ? { explains: outcome.explains } : {}),
    ...(outcome.signIn ? { signIn: redact(outcome.signIn) } : {}),
  };
}

/** The context as one check sees it: `ctx.s` behind a proxy that reports undeclared access. */
function watched<C extends { s: object }>(ctx: C, def: CheckDef<C>, hooks: RunHooks): C {
  if (!hooks.onViolation) return ctx;
  const free = new Set(hooks.free ?? []);
  const readable = new Set<string>([...((def.reads ?? []) as string[]), ...((def.writes ?? []) as string[]), ...free]);
  const writable = new Set<string>([...((def.writes ?? []) as string[]), ...free]);
  const report = hooks.onViolation;
  const s = new Proxy(ctx.s, {
    get(target, key, receiver) {
      if (typeof key === 'string' && !readable.has(key)) report(`${def.id} reads s.${key} without declaring it`);
      return Reflect.get(target, key, receiver);
    },
    set(target, key, value, receiver) {
      if (typeof key === 'string' && !writable.has(key)) report(`${def.id} writes s.${key} without declaring it`);
      return Reflect.set(target, key, value, receiver);
    },
  });
  const view = Object.create(ctx) as C;
  Object.defineProperty(view, 's', { value: s, enumerable: true });
  return view;
}

/** A check that threw: network trouble is a finding about the server, anything else is our bug. */
function crashOutcome(err: unknown): Outcome {
  if (err instanceof HttpFailure && err.kind === 'deadline') {
    // The doctor's own limit, not the server's fault.
    return { status: 'skip', detail: err.message, fix: 'run again with a larger --deadline (seconds)', incomplete: true };
  }
  if (err instanceof HttpFailure && err.kind === 'rate-limited') {
    // The server's answer to the doctor's own volume (ChatGPT registers once, signs in once): not
    // a finding about the ChatGPT path, and the check did not run.
    return { status: 'skip', detail: `${err.message}; the check could not run`, fix: 'wait for the rate limit to pass and run again (or run fewer checks: --only)', incomplete: true };
  }
  if (err instanceof HttpFailure) {
    return { status: 'fail', detail: `${safeText(err.url, 200)}: ${err.message}` };
  }
  if (err instanceof CheckAbort) return err.outcome;
  // An exception of the doctor's own (a bug, or input a check did not expect): never a finding
  // about the server. Incomplete, and said as the doctor's error.
  const e = err as Error;
  return {
    status: 'skip', incomplete: true,
    detail: `the doctor itself failed in this check (${safeText(e?.name ?? 'Error', 40)}: ${safeText(e?.message ?? String(err), 300)}); this is gpt-oauth's error, not a finding about the server`,
    fix: 'run again with --debug (the HTTP exchanges show the input that caused it) and report it to the gpt-oauth maintainers',
  };
}

/** Throw from deep inside a check to end it with a given outcome. */
export class CheckAbort extends Error {
  constructor(readonly outcome: Outcome) {
    super(outcome.detail);
  }
}
