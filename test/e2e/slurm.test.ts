// `slatelab slurm`: the sbatch scripts, run the way Slurm runs them (each array task with its
// SLURM_ARRAY_TASK_ID, then the merge job), give the one-machine results byte for byte. The live
// cluster's test is slurm-live.test.ts.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterHome, expectSameResults, writeExperiment } from './cluster-helpers.ts';

const { home, run, slatelab } = clusterHome('slatelab-slurm-');

describe('slatelab slurm', () => {
  it('writes an array of shards and a merge job; run as Slurm would, they give the one-machine results', () => {
    writeExperiment(home, 'clustered');
    const wrote = slatelab(
      'slurm',
      'exp.yaml',
      '--shards',
      '4',
      '--out',
      'job',
      '--partition',
      'short',
      '--time',
      '00:10:00',
    );
    expect(wrote.code, wrote.stderr).toBe(0);
    const array = readFileSync(join(home, 'job/array.sbatch'), 'utf8');
    expect(array).toContain('#SBATCH --array=0-3');
    expect(array).toContain('#SBATCH --partition=short');
    expect(array).toContain('#SBATCH --time=00:10:00');
    expect(array).toMatch(/run '.*exp\.yaml' --shard "\$SLURM_ARRAY_TASK_ID\/4"/);
    expect(readFileSync(join(home, 'job/submit.sh'), 'utf8')).toMatch(/sbatch --dependency=afterany:/);
    for (let task = 0; task < 4; task++) {
      const shard = run('bash', [join(home, 'job/array.sbatch')], { SLURM_ARRAY_TASK_ID: String(task) });
      expect(shard.code, shard.stderr).toBe(0);
    }
    const merged = run('bash', [join(home, 'job/merge.sbatch')]);
    expect(merged.code, merged.stderr).toBe(0);
    const whole = slatelab('run', 'exp.yaml', '--out', 'whole');
    expect(whole.code, whole.stderr).toBe(0);
    expectSameResults(join(home, 'job/merged'), join(home, 'whole'));
  });

  it('merge.sbatch runs again after a lost shard is rerun: it replaces its earlier merge with the same results', () => {
    rmSync(join(home, 'job/shards/3'), { recursive: true });
    const partial = run('bash', [join(home, 'job/merge.sbatch')]);
    expect(partial.code).toBe(1);
    expect(partial.stderr).toMatch(/shards\/3: left out, no such directory/);
    const rerun = run('bash', [join(home, 'job/array.sbatch')], { SLURM_ARRAY_TASK_ID: '3' });
    expect(rerun.code, rerun.stderr).toBe(0);
    const again = run('bash', [join(home, 'job/merge.sbatch')]);
    expect(again.code, again.stderr).toBe(0);
    expectSameResults(join(home, 'job/merged'), join(home, 'whole'));
    // --replace replaces only a merge's results, never a run's.
    const refused = slatelab('merge', join(home, 'job/shards/0'), '--out', 'whole', '--replace');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--replace whole: not an earlier merge's results/);
    expect(readFileSync(join(home, 'whole/summary.json'), 'utf8')).toBe(
      readFileSync(join(home, 'job/merged/summary.json'), 'utf8'),
    );
  });

  it('merges what there is when a shard failed, naming the missing runs (exit 1) and the empty shard', () => {
    const partial = slatelab(
      'merge',
      join(home, 'job/shards/0'),
      join(home, 'job/shards/2'),
      join(home, 'job/never-ran'),
      '--out',
      'partial',
    );
    expect(partial.code).toBe(1);
    expect(partial.stderr).toMatch(/never-ran: left out, no such directory/);
    expect(partial.stderr).toMatch(/2 runs are missing \(.*\): resume or rerun their shard, then merge again/);
  });

  it('runs a world sweep the same way: each array task a shard of every world, the merge a sweep like one machine', () => {
    writeFileSync(
      join(home, 'worlds.yaml'),
      readFileSync(join(home, 'exp.yaml'), 'utf8').replace(
        'evaluation:',
        'sweep: { world: { grid: { catalog: [20, 40] } }, agents: { random: { variants: [{}] } } }\nevaluation:',
      ),
    );
    const wrote = slatelab('slurm', 'worlds.yaml', '--shards', '2', '--out', 'sweep-job');
    expect(wrote.code, wrote.stderr).toBe(0);
    expect(wrote.stdout).toMatch(/2 array tasks over 8 runs/);
    for (let task = 0; task < 2; task++) {
      const shard = run('bash', [join(home, 'sweep-job/array.sbatch')], { SLURM_ARRAY_TASK_ID: String(task) });
      expect(shard.code, shard.stderr).toBe(0);
    }
    const merged = run('bash', [join(home, 'sweep-job/merge.sbatch')]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toMatch(/catalog-40 − catalog-20/);
    const whole = slatelab('run', 'worlds.yaml', '--out', 'sweep-whole');
    expect(whole.code, whole.stderr).toBe(0);
    for (const file of ['sweep-summary.json', 'sweep-report.md'])
      expect(readFileSync(join(home, 'sweep-job/merged', file), 'utf8'), file).toBe(
        readFileSync(join(home, 'sweep-whole', file), 'utf8'),
      );
    for (const world of ['catalog-20', 'catalog-40'])
      expectSameResults(join(home, 'sweep-job/merged/worlds', world), join(home, 'sweep-whole/worlds', world));
  });
});
