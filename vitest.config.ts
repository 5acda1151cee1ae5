import { defineConfig } from 'vitest/config';
import { LongestFirst } from './test/helpers/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Ambient CI/colour/provider variables of the machine running the tests must not leak in.
    setupFiles: ['test/setup-env.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests start real servers on loopback and run the built CLI (test/helpers/cli.ts); two cores.
    maxWorkers: 2,
    // The long files first, also in a fresh clone (test/helpers/sequencer.ts).
    sequence: { sequencer: LongestFirst },
    reporters: ['default'],
  },
});
