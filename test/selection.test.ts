/**
 * A check's verdict must not depend on which other checks were selected: for every check id,
 * `--only <id>` gives the same status as a full run on the same server. And every check touches
 * only the suite state it declares (the engine reports undeclared reads and writes).
 */
import { describe, expect, it } from 'vitest';
import { runAppsSuite } from '../src/doctor/suites/apps.js';
import { runActionsSuite } from '../src/doctor/suites/actions.js';
import { APPS_CHECKS } from '../src/checks/apps/index.js';
import { ACTIONS_CHECKS } from '../src/checks/actions/index.js';
import { executionOrder, planChecks, unknownSelectors } from '../src/checks/engine.js';
import { HttpClient } from '../src/http/client.js';
import { startSandbox } from '../src/sandbox/server.js';
import { startToy } from './helpers/toy-server.js';
import { cases } from './helpers/broken-cases.js';

/** Each broken server once: cases that assert different checks of one server share its runs. */
const servers = [...new Map(cases.map((c) => [JSON.stringify(c.flags), c])).values()];
import { startDelayProxy } from './helpers/delay-proxy.js';

// Every id alone runs in parallel (some fifty runs at once): a generous timeout, so that a loaded
// machine makes the test slower, not a sign-in time out (a skip that differs from the full run).
const newHttp = () => new HttpClient({ timeoutMs: 20_000, maxBytes: 1 << 20, userAgent: 'test', maxRequests: 1000 });

// Details minus what differs between any two runs: timings, ports, random ids and counters.
const normal = (s: string) => s.replace(/https?:\/\/127\.0\.0\.1:\d+/g, 'URL').replace(/[A-Za-z0-9_-]{10,}/g, 'X').replace(/\d+/g, 'N');

/** One run: each check's status, the undeclared state accesses, and the report's lines (id, status, normalised detail). */
async function appsRun(mcpUrl: string, o: { only?: string[]; concurrency?: number; watch?: boolean } = {}): Promise<{ statuses: Record<string, string>; violations: string[]; lines: string[] }> {
  const http = newHttp();
  const violations: string[] = [];
  try {
    const r = await runAppsSuite({ mcpUrl, http, login: 'auto', selection: { only: o.only }, concurrency: o.concurrency, onStateViolation: o.watch === false ? undefined : (v) => violations.push(v) });
    return { statuses: Object.fromEntries(r.checks.map((c) => [c.id, c.status])), violations, lines: r.checks.map((c) => `${c.id} ${c.status} ${normal(c.detail)}`) };
  } finally {
    await http.close();
  }
}
const appsStatuses = (mcpUrl: string, only?: string[]) => appsRun(mcpUrl, { only });

/**
 * Every broken server (`servers`), run once for both properties below: a full run at the suite's
 * default concurrency, a sequential one, and every id alone. Each watches for undeclared state
 * access (a proxy on the suite state that only reports: the runs are the same without it).
 */
let brokenRuns: Promise<{ flags: string; mismatches: string[]; violations: string[]; seq: string[]; par: string[] }[]> | undefined;
const runBroken = () => brokenRuns ??= (async () => {
  const out = [];
  for (const c of servers) {
    const toy = await startToy(c.flags);
    try {
      const par = await appsRun(toy.mcpUrl);
      const seq = await appsRun(toy.mcpUrl, { concurrency: 1 });
      out.push({ flags: JSON.stringify(c.flags), ...await compare(toy.mcpUrl, par), seq: seq.lines, par: par.lines });
    } finally {
      await toy.close();
    }
  }
  return out;
})();

/** Full run (or the one given), then every id alone (in parallel, each with its own client and codes). */
async function compare(mcpUrl: string, given?: { statuses: Record<string, string>; violations: string[] }): Promise<{ mismatches: string[]; violations: string[] }> {
  const full = given ?? await appsStatuses(mcpUrl);
  const alone = await Promise.all(APPS_CHECKS.map((c) => appsStatuses(mcpUrl, [c.id])));
  const mismatches = APPS_CHECKS.flatMap((c, i) => {
    const got = alone[i]!.statuses[c.id];
    return got === full.statuses[c.id] ? [] : [`${c.id}: ${full.statuses[c.id]} in a full run, ${got} with --only`];
  });
  return { mismatches, violations: [...new Set([...full.violations, ...alone.flatMap((a) => a.violations)])] };
}

describe('the engine orders checks from their declarations', () => {
  it('finds an order for both catalogs (no cycle) in which every producer runs before its readers', () => {
    for (const catalog of [APPS_CHECKS, ACTIONS_CHECKS] as never[][]) {
      const order = executionOrder(catalog as typeof APPS_CHECKS).map((c) => c.id);
      for (const c of catalog as typeof APPS_CHECKS) {
        for (const k of c.reads ?? []) {
          for (const w of (catalog as typeof APPS_CHECKS).filter((x) => x.id !== c.id && x.writes?.includes(k))) {
            expect(order.indexOf(w.id), `${w.id} writes ${k}, read by ${c.id}`).toBeLessThan(order.indexOf(c.id));
          }
        }
        for (const k of c.spends ?? []) {
          for (const r of (catalog as typeof APPS_CHECKS).filter((x) => x.id !== c.id && x.reads?.includes(k))) {
            expect(order.indexOf(r.id), `${r.id} reads ${k}, spent by ${c.id}`).toBeLessThan(order.indexOf(c.id));
          }
        }
      }
    }
  });
  it('runs the producers a selected check reads from, and only reports the selected one', () => {
    const plan = planChecks(APPS_CHECKS, { only: ['token.redirect-binding'] });
    const ran = plan.run.map((c) => c.id);
    expect(ran).toEqual(expect.arrayContaining(['pkce.verifier-required', 'pkce.verifier-checked', 'token.exchange', 'authz.state']));
    expect(ran).not.toContain('refresh.rotation');
    expect([...plan.selected]).toEqual(['token.redirect-binding']);
  });
  it('names selectors that match no check', () => {
    expect(unknownSelectors(APPS_CHECKS, ['token.', 'token', 'refresh.grant', 'security', 'nosuch.id', 'tok'])).toEqual(['nosuch.id', 'tok']);
  });
});

describe('--only <id> gives the same status as a full run', () => {
  it('on the sandbox (oidc-provider), with no undeclared state access', async () => {
    const sb = await startSandbox();
    try {
      const { mismatches, violations } = await compare(sb.mcpUrl);
      expect(mismatches).toEqual([]);
      expect(violations).toEqual([]);
    } finally {
      await sb.close();
    }
  });

  it('on every broken-server case, with no undeclared state access', async () => {
    const problems = (await runBroken()).flatMap((r) => [...r.mismatches, ...r.violations].map((m) => `${r.flags} ${m}`));
    expect(problems).toEqual([]);
  }, 300_000);

  it('for the actions suite on the sandbox', async () => {
    const sb = await startSandbox();
    const g = sb.gpt;
    const run = async (only?: string[]) => {
      const http = newHttp();
      const violations: string[] = [];
      try {
        const r = await runActionsSuite({ ...g, http, login: 'auto', selection: { only }, onStateViolation: (v) => violations.push(v) });
        return { statuses: Object.fromEntries(r.checks.map((c) => [c.id, c.status])), violations };
      } finally {
        await http.close();
      }
    };
    try {
      const full = await run();
      expect(full.violations).toEqual([]);
      for (const c of ACTIONS_CHECKS) {
        const alone = await run([c.id]);
        expect(alone.statuses[c.id], c.id).toBe(full.statuses[c.id]);
        expect(alone.violations).toEqual([]);
      }
    } finally {
      await sb.close();
    }
  });
});

describe('concurrent and sequential runs give identical reports', () => {
  // `undefined`: the suite's default concurrency, as users run it.
  const reportOf = async (mcpUrl: string, concurrency: number | undefined) => (await appsRun(mcpUrl, { concurrency, watch: false })).lines;
  it('on the sandbox', async () => {
    const sb = await startSandbox();
    try {
      expect(await reportOf(sb.mcpUrl, undefined)).toEqual(await reportOf(sb.mcpUrl, 1));
    } finally {
      await sb.close();
    }
  });
  it('on the sandbox behind a proxy with random latency (answers arrive in a different order each run)', async () => {
    const proxy = await startDelayProxy({ minMs: 1, maxMs: 25 });
    const sb = await startSandbox({ publicOrigin: `http://127.0.0.1:${proxy.port}` });
    proxy.target(sb.port);
    try {
      const sequential = await reportOf(sb.mcpUrl, 1);
      for (let i = 0; i < 3; i++) expect(await reportOf(sb.mcpUrl, undefined)).toEqual(sequential);
    } finally {
      await sb.close();
      await proxy.close();
    }
  }, 120_000);
  it('on every broken-server case', async () => {
    const diffs: string[] = [];
    for (const { flags, seq, par } of await runBroken()) {
      par.forEach((line, i) => { if (line !== seq[i]) diffs.push(`${flags}\n  sequential: ${seq[i]}\n  concurrent: ${line}`); });
    }
    expect(diffs).toEqual([]);
  }, 300_000);
});
