import { HttpFailure } from '../http/client.js';
import { safeText } from '../ui/style.js';
import type { CheckDef, CheckResult, Outcome } from './types.js';

export interface Selection {
  only?: string[];
  skip?: string[];
}

const matches = (id: string, patterns: string[]) =>
  patterns.some((p) => p === id || (p.endsWith('.') ? id.startsWith(p) : id.startsWith(`${p}.`) || id === p));

/**
 * Run checks in the given order. A check whose prerequisite failed or was skipped is `skip`ped
 * with the reason. Checks outside the selection still run when a selected check needs them,
 * but only selected checks are reported.
 */
export async function runChecks<C>(
  defs: CheckDef<C>[],
  ctx: C,
  sel: Selection = {},
  onResult?: (r: CheckResult) => void,
  onStart?: (id: string) => void,
): Promise<CheckResult[]> {
  const byId = new Map(defs.map((d) => [d.id, d]));
  const selected = new Set(
    defs.filter((d) => (!sel.only?.length || matches(d.id, sel.only)) && !(sel.skip?.length && matches(d.id, sel.skip))).map((d) => d.id),
  );
  const needed = new Set(selected);
  const stack = [...selected];
  while (stack.length) {
    const id = stack.pop()!;
    for (const n of byId.get(id)?.needs ?? []) if (!needed.has(n)) { needed.add(n); stack.push(n); }
  }

  const outcomes = new Map<string, Outcome>();
  const results: CheckResult[] = [];
  for (const def of defs) {
    if (!needed.has(def.id)) continue;
    const started = performance.now();
    let outcome: Outcome;
    const blocker = (def.needs ?? []).find((n) => {
      const o = outcomes.get(n);
      return !o || ((o.status === 'skip' || o.status === 'fail') && !o.nonBlocking);
    });
    if (blocker) {
      const o = outcomes.get(blocker);
      outcome = { status: 'skip', detail: `needs ${blocker}, which ${o?.status === 'fail' ? 'failed' : 'did not run'}` };
    } else {
      onStart?.(def.id);
      try {
        outcome = await def.run(ctx);
      } catch (err) {
        outcome = crashOutcome(err);
      }
    }
    outcomes.set(def.id, outcome);
    if (!selected.has(def.id)) continue;
    const result: CheckResult = {
      id: def.id,
      status: outcome.status,
      severity: outcome.status === 'fail' || outcome.status === 'warn' ? def.severity : 'info',
      title: def.title,
      detail: outcome.detail,
      ...(outcome.fix ? { fix: outcome.fix } : {}),
      spec: def.spec,
      durationMs: Math.round(performance.now() - started),
      step: def.step,
      ...(outcome.status === 'fail' && (outcome.chatgpt ?? def.chatgpt) ? { chatgpt: outcome.chatgpt ?? def.chatgpt } : {}),
    };
    results.push(result);
    onResult?.(result);
  }
  return results;
}

/** A check that threw: network trouble is a finding about the server, anything else is our bug. */
function crashOutcome(err: unknown): Outcome {
  if (err instanceof HttpFailure) {
    return { status: 'fail', detail: `${safeText(err.url, 200)}: ${err.message}` };
  }
  if (err instanceof CheckAbort) return err.outcome;
  const e = err as Error;
  return { status: 'fail', detail: `the check could not complete: ${safeText(e?.message ?? String(err), 300)}` };
}

/** Throw from deep inside a check to end it with a given outcome. */
export class CheckAbort extends Error {
  constructor(readonly outcome: Outcome) {
    super(outcome.detail);
  }
}
