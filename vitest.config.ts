import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests start real servers on loopback and spawn the built CLI; two cores, so keep it modest.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
