// The browser tests (`npm run test:e2e`): report.html in Debian's chromium. Apart from `npm test`,
// which must run where no browser is installed.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    pool: 'forks',
  },
});
