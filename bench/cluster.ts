// What running on a cluster costs slatelab itself (issue: sweeps and scale-out): merging the
// shards of a 1,000-run experiment into one results directory (the records copied, the summary,
// charts and reports written), and a shard's whole life as a process when its slice is one tiny
// run (Node's start, loading slatelab, the run, the summary and reports: an upper bound on its
// start-up), so that many small array tasks stay cheap. Medians over repeats, in seconds.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../lab/config/config.ts';
import { mergeShards } from '../lab/run/merge.ts';
import { runExperiment } from '../lab/run/runner.ts';
import { packageRoot } from '../lab/store/package-root.ts';

export const MERGE_KEY = 'cluster/merge-1000-runs';
export const SHARD_KEY = 'cluster/shard-start';

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** 10 agents x 100 seeds in a small bandit world, 200 episodes a run: 1,000 runs' records. */
function thousandRuns(): unknown {
  return {
    name: 'merge-bench',
    world: { preset: 'bandit', params: { catalog: 20, candidates: 5, slateSize: 2, horizon: 20 } },
    seeds: 100,
    agents: Array.from({ length: 10 }, (_, i) => ({
      name: `agent-${i}`,
      kind: i % 2 === 0 ? 'random' : 'greedy-pctr',
    })),
    evaluation: { episodes: 200 },
  };
}

export interface ClusterBench {
  readonly merge: {
    readonly runs: number;
    readonly shards: number;
    readonly seconds: number;
    readonly repeats: readonly number[];
  };
  readonly shard: { readonly seconds: number; readonly repeats: readonly number[] };
}

/** Merges 4 shards of a 1,000-run experiment `repeats` times (the shards are run once, first). */
export async function mergeBench(repeats = 3, onProgress?: (line: string) => void): Promise<ClusterBench['merge']> {
  const home = mkdtempSync(join(tmpdir(), 'slatelab-merge-bench-'));
  try {
    const config = validateConfig(thousandRuns(), 'merge-bench.yaml');
    const shards: string[] = [];
    for (let index = 0; index < 4; index++) {
      onProgress?.(`${MERGE_KEY}: running shard ${index} of 4 (250 runs)`);
      const outDir = join(home, `shard-${index}`);
      await runExperiment({ config, outDir, charts: false, shard: { index, count: 4 } });
      shards.push(outDir);
    }
    const times: number[] = [];
    for (let repeat = 0; repeat < repeats; repeat++) {
      const start = performance.now();
      await mergeShards(shards, join(home, `merged-${repeat}`));
      times.push((performance.now() - start) / 1000);
    }
    return { runs: 1000, shards: 4, seconds: median(times), repeats: [...times].sort((a, b) => a - b) };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** `slatelab run --shard 0/4` of a one-run slice, as a process, start to exit, `repeats` times. */
export function shardBench(repeats = 5): ClusterBench['shard'] {
  const home = mkdtempSync(join(tmpdir(), 'slatelab-shard-bench-'));
  try {
    writeFileSync(
      join(home, 'exp.yaml'),
      [
        'name: shard-start',
        'world: { preset: bandit, params: { catalog: 20, candidates: 5, slateSize: 2, horizon: 6 } }',
        'seeds: 4',
        'agents: [{ name: random, kind: random }]',
        'evaluation: { episodes: 4 }',
        '',
      ].join('\n'),
    );
    const bin = join(packageRoot(import.meta.url), 'bin', 'slatelab.js');
    const times: number[] = [];
    for (let repeat = 0; repeat < repeats; repeat++) {
      const start = performance.now();
      const result = spawnSync(
        process.execPath,
        [bin, 'run', 'exp.yaml', '--shard', '0/4', '--out', `shard-${repeat}`, '--threads', '1'],
        { cwd: home, encoding: 'utf8' },
      );
      times.push((performance.now() - start) / 1000);
      if (result.status !== 0) throw new Error(`the shard failed: ${result.stderr.split('\n').slice(-3).join(' ')}`);
    }
    return { seconds: median(times), repeats: [...times].sort((a, b) => a - b) };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
