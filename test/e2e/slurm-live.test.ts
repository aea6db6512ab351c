// `slatelab slurm` on a live single-node Slurm cluster that the test starts (slurm-cluster.ts):
// submit.sh submits the 4-task array and the merge job (afterany); the merged results are the
// one-machine run's, byte for byte. Then a job whose shard fails: the merge still runs and names
// the missing runs. Fails with the reason (never skips) where the cluster cannot start.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterHome, expectSameResults, writeExperiment } from './cluster-helpers.ts';
import { queueEmpty, type SlurmCluster, startSlurmCluster } from './slurm-cluster.ts';

const { home, run, slatelab } = clusterHome('slatelab-slurm-live-');
let cluster: SlurmCluster | undefined;

beforeAll(async () => {
  cluster = await startSlurmCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

/** Submits `job`'s scripts through submit.sh and waits for the array and the merge to end. */
async function submitAndWait(job: string): Promise<void> {
  const live = cluster as SlurmCluster;
  const submitted = run('bash', [join(home, job, 'submit.sh')], live.env);
  expect(submitted.code, `${submitted.stderr}\n${live.logs()}`).toBe(0);
  expect(submitted.stdout).toMatch(/Submitted batch job \d+/);
  const done = await queueEmpty(live, 240_000);
  expect(done, `the jobs were still queued or running after 240 s\n${live.logs()}`).toBe(true);
}

describe('slatelab slurm on a live single-node cluster', () => {
  it('runs the 4-task array and the merge job; the merged results are the one-machine results', async () => {
    writeExperiment(home, 'live');
    const wrote = slatelab('slurm', 'exp.yaml', '--shards', '4', '--out', 'job', '--time', '00:10:00');
    expect(wrote.code, wrote.stderr).toBe(0);
    await submitAndWait('job');
    for (let task = 0; task < 4; task++) {
      // Each array task ran its shard under Slurm (its log is Slurm's --output) and recorded it.
      expect(existsSync(join(home, `job/logs/shard-${task}.out`)), `shard ${task}'s Slurm log`).toBe(true);
      const manifest = JSON.parse(readFileSync(join(home, `job/shards/${task}/manifest.json`), 'utf8'));
      expect(manifest.shard).toEqual({ index: task, count: 4 });
      expect(manifest.complete).toBe(true);
    }
    const mergeLog = readFileSync(join(home, 'job/logs/merge.out'), 'utf8');
    expect(existsSync(join(home, 'job/merged/summary.json')), mergeLog).toBe(true);
    const whole = slatelab('run', 'exp.yaml', '--out', 'whole');
    expect(whole.code, whole.stderr).toBe(0);
    expectSameResults(join(home, 'job/merged'), join(home, 'whole'));
  });

  it('runs the merge after a failed array task (afterany), and the merge names the missing runs', async () => {
    const wrote = slatelab('slurm', 'exp.yaml', '--shards', '4', '--out', 'broken');
    expect(wrote.code, wrote.stderr).toBe(0);
    // Shard 2's results directory is taken by a file: its task fails before any run.
    mkdirSync(join(home, 'broken/shards'), { recursive: true });
    writeFileSync(join(home, 'broken/shards/2'), 'not a directory\n');
    await submitAndWait('broken');
    expect(readFileSync(join(home, 'broken/logs/shard-2.out'), 'utf8')).toMatch(/shards\/2/);
    const mergeLog = readFileSync(join(home, 'broken/logs/merge.out'), 'utf8');
    expect(mergeLog).toMatch(/broken\/shards\/2: left out, not a directory/);
    expect(mergeLog).toMatch(/runs? (is|are) missing \(.*\): resume or rerun their shard, then merge again/);
    expect(existsSync(join(home, 'broken/merged/summary.json')), mergeLog).toBe(true);
  });
});
