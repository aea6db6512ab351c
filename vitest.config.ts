import { availableParallelism } from 'node:os';
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Whole CLI processes, a browser: `npm run test:e2e` (vitest.e2e.config.ts).
    exclude: [...configDefaults.exclude, 'test/e2e/**'],
    testTimeout: 60_000,
    // Statistical tests are CPU-bound; two cores on CI.
    pool: 'forks',
    // One fork per core. Vitest's default for `vitest run` is one fewer than the cores: a single fork
    // on CI's two, with the other core idle but for the tests' own worker threads and processes.
    maxWorkers: availableParallelism(),
    // Each fork runs its files one after another in one module graph: the sources, TensorFlow.js
    // and its wasm backend load once per fork, not once per file, and the simulation code stays
    // compiled hot (a third less CPU for the suite). Test files keep no state between them: a
    // shuffled order (npx vitest run --sequence.shuffle.files) passes too.
    isolate: false,
  },
});
