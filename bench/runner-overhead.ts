// The runner's overhead on the quick start: the share of an experiment's wall time not spent
// inside its runs (building worlds and agents, simulating, learning, evaluating). It covers the
// worker threads' start, passing results between threads, writing records and the manifest, the
// summary, the charts and the reports. Measured on one thread, so that no thread waits on another.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../lab/store/package-root.ts';
import type * as ConfigModule from '../lab/config/config.ts';
import type * as RunnerModule from '../lab/run/runner.ts';

export const QUICK_START = 'experiments/quickstart.yaml';

export interface OverheadResult {
  /** What ran, as `slatelab run` would run it: the build in dist/ when current, else the sources. */
  readonly code: 'dist' | 'sources';
  /** Median over repeats of 1 - (time in runs) / (wall time). */
  readonly share: number;
  /** Each repeat's share, ascending. */
  readonly shares: readonly number[];
  /** Medians over repeats, in seconds. */
  readonly wallSeconds: number;
  readonly runSeconds: number;
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Runs `configFile` `repeats` times on one thread, charts and reports included, into temporary directories. */
export async function runnerOverhead(configFile = QUICK_START, repeats = 3): Promise<OverheadResult> {
  // What `npm start` runs (bin/slatelab.js): the build when current, and its workers need no tsx.
  // bin/ is not built: found from the package's root, the same from the sources and from dist/.
  const built = pathToFileURL(join(packageRoot(import.meta.url), 'bin', 'built.js')).href;
  const { builtIsCurrent, DIST } = (await import(built)) as typeof import('../bin/built.js');
  const code = builtIsCurrent() ? 'dist' : 'sources';
  const from = (name: string) =>
    code === 'dist' ? pathToFileURL(join(DIST, 'lab', `${name}.js`)).href : `../lab/${name}.ts`;
  const { loadConfig } = (await import(from('config/config'))) as typeof ConfigModule;
  const { runExperiment } = (await import(from('run/runner'))) as typeof RunnerModule;
  // The shipped quick start from the package's folder, whatever the working directory.
  const config = loadConfig(configFile === QUICK_START ? join(packageRoot(import.meta.url), QUICK_START) : configFile);
  const walls: number[] = [];
  const inRuns: number[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    const outDir = mkdtempSync(join(tmpdir(), 'slatelab-overhead-'));
    try {
      const start = performance.now();
      const outcome = await runExperiment({ config, outDir, threads: 1 });
      walls.push((performance.now() - start) / 1000);
      inRuns.push(outcome.runSeconds);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  }
  const shares = walls.map((wall, i) => 1 - inRuns[i] / wall).sort((a, b) => a - b);
  return { code, share: median(shares), shares, wallSeconds: median(walls), runSeconds: median(inRuns) };
}
