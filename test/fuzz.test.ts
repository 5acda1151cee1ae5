/**
 * Property-based testing of the doctor (fast-check): mutated servers, every invariant on every
 * case (test/helpers/fuzz.ts), over both suites. A fixed-seed sample of each runs here; `npm run
 * fuzz` runs a campaign (FUZZ_SUITE, FUZZ_RUNS, FUZZ_SEED). A failure prints the seed, the path
 * and the shrunk plan to replay it; FUZZ_DUMP=1 prints the text around each leak.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzProperty, runCase, type Plan, type Suite } from './helpers/fuzz.js';

const only = process.env.FUZZ_SUITE as Suite | undefined;
const suites: Suite[] = only ? [only] : ['apps', 'actions'];
// The sample in `npm test`: the Actions suite makes fewer requests, so a smaller share of it.
const runsOf = (suite: Suite) => Number(process.env.FUZZ_RUNS ?? (suite === 'apps' ? 200 : 100));
const seed = Number(process.env.FUZZ_SEED ?? 20261204);

// Every violation a campaign found, replayed by name (the plan fast-check shrank it to).
const regressions: [Suite, string, Plan][] = [
  // seed 424242: a JWKS whose keys are [1, {x: 2}, null] crashed jwks.no-private ('d' in 1).
  ['apps', 'JWKS keys that are not objects', { jwks: { m: 'retype', index: 0, to: 'array' } }],
  // seed 424242: a token_endpoint of 300 000 characters: a check's two requests were built in
  // one array, the second threw, the first's rejection went unhandled.
  ['apps', 'a token_endpoint that is not a URL', { as: { m: 'retype', index: 2, to: 'huge' } }],
  // Issue #32 (an outside fuzzer): the registration response, JSON, echoed HTML-escaped in an
  // error page, reached the HAR escaped a third time, the secret split at its quote, backslash
  // and ampersand where no known spelling matched.
  ['apps', 'a registration response echoed inside an HTML error page', { token: { m: 'echo', layers: ['html'], what: 'earlier', as: 'error', status: 400 } }],
  ['apps', 'a registration response that echoes itself as JSON in Markdown in HTML', { register: { m: 'echo', layers: ['json', 'md', 'html'], what: 'response', as: 'member', status: 400 } }],
  // seed 320001 (actions): a token response cut at 92 %, inside the refresh token: no closing
  // quote, so the field rule let the rest of the token through.
  ['actions', 'a token response cut inside its refresh token', { token: { m: 'truncate', fraction: 0.9214953271028037 } }],
  // seed 320002 (apps): a token response the fragments had redacted in part (the header and
  // claims another token shares): the field rule took "[redacted…" for a redacted value.
  ['apps', 'a token response too large to read, its access token redacted in part', { token: { m: 'retype', index: 1, to: 'huge' }, resource: { m: 'jwt', header: {}, claims: {} } }],
  ['actions', 'a token request echoed URL-encoded in JSON in an HTML error page', { token: { m: 'echo', layers: ['url', 'json', 'html'], what: 'request', as: 'error', status: 401 } }],
];

for (const suite of suites) {
  describe(`the doctor (${suite}) against mutated servers`, () => {
    it('the unmutated toy keeps every invariant and passes (so a violation below comes from its mutation)', async () => {
      const { violations, verdict } = await runCase({}, suite);
      expect(violations).toEqual([]);
      expect(verdict).toEqual({ chatgpt: 'pass', security: 'pass' });
    });

    for (const [s, name, plan] of regressions) {
      if (s !== suite) continue;
      it(`regression: ${name}`, async () => {
        expect((await runCase(plan, suite)).violations).toEqual([]);
      });
    }

    const runs = runsOf(suite);
    it(`${runs} mutated servers (seed ${seed}): no crash, no stack trace, no leak, valid outputs, within the deadline, nowhere but the server`, async () => {
      await fc.assert(fuzzProperty(suite), { seed, numRuns: runs, endOnFailure: process.env.FUZZ_NO_SHRINK === '1', ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}) });
    }, Math.max(120_000, runs * 3000));
  });
}
