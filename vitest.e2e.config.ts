import { defineConfig } from 'vitest/config';

// `npm run test:e2e`: what needs whole processes (the CLI as a user runs it, kill -9, the built
// package from a user's project) or a browser. `npm test` keeps in-process tests of the same behaviour.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 120_000,
    pool: 'forks',
  },
});
