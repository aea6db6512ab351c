// `slatelab slurm`: the sbatch scripts, run the way Slurm runs them (each array task with its
// SLURM_ARRAY_TASK_ID, then the merge job), give the one-machine results byte for byte. (A real
// single-node Slurm cluster is the next step: issue 27.)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const home = mkdtempSync(join(tmpdir(), 'slatelab-slurm-'));

function run(command: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(command, args, {
    cwd: home,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
const slatelab = (...args: string[]) => run(process.execPath, [join(root, 'bin/slatelab.js'), ...args]);

describe('slatelab slurm', () => {
  it('writes an array of shards and a merge job; run as Slurm would, they give the one-machine results', () => {
    writeFileSync(
      join(home, 'exp.yaml'),
      `name: clustered
world: { preset: bandit, params: { catalog: 20, candidates: 5, slateSize: 2, horizon: 6 } }
seeds: 2
agents:
  - { name: random, kind: random }
  - { name: pctr, kind: greedy-pctr }
evaluation: { episodes: 16 }
`,
    );
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
    for (const file of ['summary.json', 'summary.csv', 'report.md'])
      expect(readFileSync(join(home, 'job/merged', file), 'utf8'), file).toBe(
        readFileSync(join(home, 'whole', file), 'utf8'),
      );
  });

  it('merges what there is when a shard failed, naming the missing runs (exit 1)', () => {
    const merged = run('bash', [join(home, 'job/merge.sbatch')]);
    // The merged directory exists from the test above: a new one is needed, so merge refuses it.
    expect(merged.code).toBe(2);
    const partial = slatelab('merge', join(home, 'job/shards/0'), join(home, 'job/shards/2'), '--out', 'partial');
    expect(partial.code).toBe(1);
    expect(partial.stderr).toMatch(/2 runs are missing \(.*\): resume or rerun their shard, then merge again/);
  });
});
