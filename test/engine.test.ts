/**
 * The check scheduler (src/checks/engine.ts) on small synthetic catalogs: what may overlap in a
 * concurrent run, what must not, and what the critical-path priorities are. The suites' own
 * equivalence (concurrent vs sequential reports on real servers) is in selection.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { currentPriority, runChecks } from '../src/checks/engine.js';
import { pass, prepared, preparedAlongside, type CheckDef } from '../src/checks/types.js';

interface Ctx { s: { a?: number; grant?: never; user?: never } }
const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));
const base = { title: 't', severity: 'high' as const, impact: 'security' as const, step: 'S', spec: [] };

/** A catalog that logs when each part starts and ends. */
function catalog(log: string[]) {
  const step = async (name: string, ms = 10) => { log.push(`${name} start`); await tick(ms); log.push(`${name} end`); };
  const producer: CheckDef<Ctx> = { ...base, id: 'x.producer', writes: ['a'], async run(ctx) { await step('producer', 30); ctx.s.a = 1; return pass('made a'); } };
  const reader: CheckDef<Ctx> = { ...base, id: 'x.reader', needs: ['x.producer'], reads: ['a', 'grant'], async run() { await step('reader'); return pass('read a'); } };
  const firstSpender: CheckDef<Ctx> = { ...base, id: 'x.first-spender', needs: ['x.producer'], reads: ['a', 'grant'], spends: ['grant'], async run() { await step('first-spender'); return pass('spent'); } };
  const lastSpender = prepared<Ctx, string>({
    ...base, id: 'x.last-spender', needs: ['x.producer'], reads: ['a'], spends: ['grant'],
    prepare: { needs: [], rounds: 2, async run() { await step('last-spender prepare', 100); return 'fresh'; } },
    async run(_ctx, got) { await step('last-spender'); return pass(`spent ${got}`); },
  });
  return [producer, reader, firstSpender, lastSpender];
}

describe('check scheduler', () => {
  it('in a concurrent run, starts a prepare half before the check\'s own constraints are met', async () => {
    const log: string[] = [];
    const results = await runChecks(catalog(log), { s: {} }, {}, { concurrency: 8 });
    expect(results.map((r) => `${r.id} ${r.status} ${r.detail}`)).toEqual([
      'x.producer pass made a', 'x.reader pass read a', 'x.first-spender pass spent', 'x.last-spender pass spent fresh',
    ]);
    // The prepare ran alongside the producer, which its check waits for.
    expect(log.indexOf('last-spender prepare start')).toBeLessThan(log.indexOf('producer end'));
  });

  it('in a sequential run, calls each prepare right before its run, in execution order', async () => {
    const log: string[] = [];
    await runChecks(catalog(log), { s: {} }, {}, { concurrency: 1 });
    expect(log).toEqual([
      'producer start', 'producer end', 'reader start', 'reader end', 'first-spender start', 'first-spender end',
      'last-spender prepare start', 'last-spender prepare end', 'last-spender start', 'last-spender end',
    ]);
  });

  it('never lets a spender spend state while another spender\'s prepare is setting up from it', async () => {
    const log: string[] = [];
    await runChecks(catalog(log), { s: {} }, {}, { concurrency: 8 });
    // x.first-spender (reader of the grant) runs before x.last-spender, but not while the
    // latter's prepare (a fresh code from the same grant) is in flight; readers go first.
    expect(log.indexOf('first-spender start')).toBeGreaterThan(log.indexOf('last-spender prepare end'));
    expect(log.indexOf('first-spender start')).toBeGreaterThan(log.indexOf('reader end'));
    expect(log.indexOf('last-spender start')).toBeGreaterThan(log.indexOf('first-spender end'));
  });

  it('starts a run alongside its prepare (Prepare.alongside); a spender still waits for that prepare to settle', async () => {
    for (const concurrency of [8, 1]) {
      const log: string[] = [];
      const step = async (name: string, ms = 10) => { log.push(`${name} start`); await tick(ms); log.push(`${name} end`); };
      const walker = preparedAlongside<Ctx, string>({
        ...base, id: 'x.walker',
        prepare: { needs: [], endedBy: ['user'], rounds: 4, async run() { await step('walker prepare', 60); return 'walked'; } },
        async run(_ctx, chain) { await step('walker own'); return pass(`own, then ${await chain}`); },
      });
      const replay: CheckDef<Ctx> = { ...base, id: 'x.replay', spends: ['user'], async run() { await step('replay'); return pass('replayed'); } };
      const results = await runChecks([walker, replay], { s: {} }, {}, { concurrency });
      expect(results.map((r) => `${r.id} ${r.detail}`)).toEqual(['x.walker own, then walked', 'x.replay replayed']);
      // The run's own work did not wait for the prepare; the replay did.
      expect(log.indexOf('walker own end'), String(concurrency)).toBeLessThan(log.indexOf('walker prepare end'));
      expect(log.indexOf('replay start'), String(concurrency)).toBeGreaterThan(log.indexOf('walker prepare end'));
    }
  });

  it('waits only for the prepares its spends can end (Prepare.endedBy)', async () => {
    const log: string[] = [];
    const step = async (name: string, ms = 10) => { log.push(`${name} start`); await tick(ms); log.push(`${name} end`); };
    const producer: CheckDef<Ctx> = { ...base, id: 'x.producer', writes: ['a'], async run(ctx) { await step('producer', 5); ctx.s.a = 1; return pass('made a'); } };
    // A slow prepare that builds a grant of its own: only what ends every grant can end it.
    const own = prepared<Ctx, string>({
      ...base, id: 'x.own', needs: ['x.producer'], spends: ['grant'],
      prepare: { needs: [], endedBy: ['user'], async run() { await step('own prepare', 80); return 'own'; } },
      async run() { await step('own'); return pass('own'); },
    });
    // Spends only the run's grant: need not wait for that prepare.
    const grantSpender: CheckDef<Ctx> = { ...base, id: 'x.grant-spender', needs: ['x.producer'], spends: ['grant'], async run() { await step('grant-spender'); return pass('spent'); } };
    // A replay that may end every grant: must not start while that prepare is in flight.
    const replay: CheckDef<Ctx> = { ...base, id: 'x.replay', needs: ['x.producer'], spends: ['user'], async run() { await step('replay'); return pass('replayed'); } };
    await runChecks([producer, own, grantSpender, replay], { s: {} }, {}, { concurrency: 8 });
    expect(log.indexOf('grant-spender start')).toBeLessThan(log.indexOf('own prepare end'));
    expect(log.indexOf('replay start')).toBeGreaterThan(log.indexOf('own prepare end'));
  });

  it('lets a spender whose prepare found state of its own run without waiting for the readers (concurrent runs only)', async () => {
    const order = async (concurrency: number) => {
      const log: string[] = [];
      const defs: CheckDef<Ctx>[] = [
        { ...base, id: 'o.producer', writes: ['a'], run: () => pass('') },
        { ...base, id: 'o.slow-reader', needs: ['o.producer'], reads: ['grant'], async run() { await tick(60); log.push('reader done'); return pass(''); } },
        prepared<Ctx, boolean>({
          ...base, id: 'o.spender', needs: ['o.producer'], spends: ['grant'],
          prepare: { needs: [], ownsSpent: (own) => own, async run() { return true; } },
          run: () => { log.push('spender ran'); return pass(''); },
        }),
      ];
      await runChecks(defs, { s: {} }, {}, { concurrency });
      return log;
    };
    expect(await order(4)).toEqual(['spender ran', 'reader done']);
    expect(await order(1)).toEqual(['reader done', 'spender ran']);
  });

  it('awaits every prepare before returning, also of a check skipped for a failed prerequisite', async () => {
    let settled = false;
    const broken: CheckDef<Ctx> = { ...base, id: 'x.broken', writes: ['a'], run: () => ({ status: 'fail', detail: 'down' }) };
    const late = prepared<Ctx, void>({
      ...base, id: 'x.late', needs: ['x.broken'], reads: ['a'],
      prepare: { needs: [], async run() { await tick(30); settled = true; } },
      run: () => pass('never'),
    });
    const results = await runChecks([broken, late], { s: {} }, {}, { concurrency: 4 });
    expect(results.map((r) => r.status)).toEqual(['fail', 'skip']);
    expect(settled).toBe(true);
  });

  it('gives the running code the round trips of the longest chain from it to the end as priority', async () => {
    const seen: Record<string, number | undefined> = {};
    const note = (id: string) => { seen[id] = currentPriority.getStore(); };
    const defs: CheckDef<Ctx>[] = [
      { ...base, id: 'p.head', writes: ['a'], run: () => { note('p.head'); return pass(''); } },
      { ...base, id: 'p.long', needs: ['p.head'], rounds: 3, run: () => { note('p.long'); return pass(''); } },
      { ...base, id: 'p.short', needs: ['p.head'], run: () => { note('p.short'); return pass(''); } },
      { ...base, id: 'p.tail', needs: ['p.long'], rounds: 2, run: () => { note('p.tail'); return pass(''); } },
      prepared<Ctx, void>({ ...base, id: 'p.prepared', needs: ['p.head'], prepare: { needs: [], rounds: 2, async run() { note('p.prepared prepare'); } }, run: () => { note('p.prepared'); return pass(''); } }),
    ];
    await runChecks(defs, { s: {} }, {}, { concurrency: 4 });
    // p.head → p.long (3) → p.tail (2) is the critical path: 1 + 3 + 2.
    expect(seen).toEqual({ 'p.head': 6, 'p.long': 5, 'p.tail': 2, 'p.short': 1, 'p.prepared prepare': 3, 'p.prepared': 1 });
  });
});
