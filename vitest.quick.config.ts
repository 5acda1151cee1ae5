/**
 * `npm run test:quick`: the inner loop. The unit tests and the tests that run the doctor and the
 * CLI in this process, against the sandbox, the toy servers and the provider fakes — everything
 * but the files below, which `npm test` runs too: the exhaustive sweeps, the benchmark, and the
 * tests about processes, terminals, browsers, the GitHub action and the package.
 */
import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

export default mergeConfig(base, defineConfig({
  test: {
    exclude: [
      ...configDefaults.exclude,
      // Sweeps: every check alone on every broken server; 200 mutated servers; `npm run bench`.
      'test/selection.test.ts',
      'test/fuzz.test.ts',
      'test/bench.test.ts',
      // Real processes, terminals (tmux), headless Chromium, the action's bash, npm pack, knip.
      'test/cli.test.ts',
      'test/first-contact.test.ts',
      'test/doctor-sandbox.test.ts',
      'test/doctor-fix.test.ts',
      'test/doctor-tty.test.ts',
      'test/init-interactive.test.ts',
      'test/browser-login.test.ts',
      'test/no-browser.test.ts',
      'test/action.test.ts',
      'test/init.test.ts',
      'test/ci-mode.test.ts',
      'test/package.test.ts',
      'test/architecture.test.ts',
      // Other OAuth libraries' servers, started as their own processes.
      'test/real-servers.test.ts',
      'test/libraries.test.ts',
    ],
  },
}));
