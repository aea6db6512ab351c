// `npm run test:e2e`: what needs whole processes (the CLI as a user runs it, kill -9, the built
// package from a user's project) or a browser (report.html in Debian's chromium). Apart from
// `npm test`, which keeps in-process tests of the same behaviour and runs where no browser is.
import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 240_000,
    pool: 'forks',
    // One fork per core (vitest's default leaves one core out: a single fork on two cores).
    maxWorkers: availableParallelism(),
  },
});
