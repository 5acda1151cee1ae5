#!/usr/bin/env node
// `npm run fuzz [-- --suite apps|actions] [--runs N] [--seed S] [--path P] [--no-shrink]`: a
// property-based campaign against the doctor (test/helpers/fuzz.ts), through vitest so that it
// runs the TypeScript sources. Defaults: both suites, 5000 runs each, a seed from the clock
// (printed, so that a run can be replayed).
// Every 500 cases it says how many have run. A failing case is shrunk to the smallest
// counterexample (--no-shrink stops at the first) and
// printed with its seed and path; replay it with --seed S --path P.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
for (const a of args) {
  if (a.startsWith('--') && !['--suite', '--runs', '--seed', '--path', '--no-shrink'].includes(a)) {
    console.error(`unknown option ${a}; usage: npm run fuzz -- [--suite apps|actions] [--runs N] [--seed S] [--path P] [--no-shrink]`);
    process.exit(2);
  }
}
const runs = opt('runs') ?? '5000';
const seed = opt('seed') ?? String(Date.now() % 2 ** 31);
const suite = opt('suite');
if (!/^\d+$/.test(runs) || !/^-?\d+$/.test(seed)) {
  console.error('--runs and --seed take whole numbers');
  process.exit(2);
}
if (suite !== undefined && !['apps', 'actions'].includes(suite)) {
  console.error('--suite is apps or actions (default: both)');
  process.exit(2);
}
if (opt('path') && !suite) {
  console.error('--path replays a case of one suite: name it with --suite');
  process.exit(2);
}
console.error(`fuzz: ${suite ?? 'apps and actions'}, ${runs} cases${suite ? '' : ' each'}, seed ${seed}${opt('path') ? `, path ${opt('path')}` : ''}`);
const root = fileURLToPath(new URL('..', import.meta.url));
const r = spawnSync(process.execPath, [`${root}node_modules/vitest/vitest.mjs`, 'run', 'test/fuzz.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, FUZZ_PROGRESS: '500', FUZZ_RUNS: runs, ...(suite ? { FUZZ_SUITE: suite } : {}), FUZZ_SEED: seed, ...(opt('path') ? { FUZZ_PATH: opt('path') } : {}), ...(args.includes('--no-shrink') ? { FUZZ_NO_SHRINK: '1' } : {}) },
});
process.exit(r.status ?? 1);
