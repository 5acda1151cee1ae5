/**
 * Property-based testing of the doctor (fast-check): mutated servers, every invariant on every
 * case (test/helpers/fuzz.ts). A fixed-seed sample runs here; `npm run fuzz` runs a campaign
 * (FUZZ_RUNS, FUZZ_SEED). A failure prints the seed, the path and the shrunk plan to replay it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzProperty, runCase, type Plan } from './helpers/fuzz.js';

const runs = Number(process.env.FUZZ_RUNS ?? 200);
const seed = Number(process.env.FUZZ_SEED ?? 20261204);

describe('the doctor against mutated servers', () => {
  it('the unmutated toy keeps every invariant and passes (so a violation below comes from its mutation)', async () => {
    const { violations, verdict } = await runCase({});
    expect(violations).toEqual([]);
    expect(verdict).toEqual({ chatgpt: 'pass', security: 'pass' });
  });

  // Every violation a campaign found, replayed by name (the plan fast-check shrank it to).
  const regressions: [string, Plan][] = [
    // seed 424242: a JWKS whose keys are [1, {x: 2}, null] crashed jwks.no-private ('d' in 1).
    ['JWKS keys that are not objects', { jwks: { m: 'retype', index: 0, to: 'array' } }],
    // seed 424242: a token_endpoint of 300 000 characters: a check's two requests were built in
    // one array, the second threw, the first's rejection went unhandled.
    ['a token_endpoint that is not a URL', { as: { m: 'retype', index: 2, to: 'huge' } }],
  ];
  for (const [name, plan] of regressions) {
    it(`regression: ${name}`, async () => {
      expect((await runCase(plan)).violations).toEqual([]);
    });
  }

  it(`${runs} mutated servers (seed ${seed}): no crash, no stack trace, no leak, valid outputs, within the deadline, nowhere but the server`, async () => {
    await fc.assert(fuzzProperty(), { seed, numRuns: runs, endOnFailure: process.env.FUZZ_NO_SHRINK === '1', ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}) });
  }, Math.max(120_000, runs * 3000));
});
