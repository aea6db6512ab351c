// `slatelab slurm CONFIG --shards n --out DIR`: the scripts that run an experiment on a Slurm
// cluster: an sbatch job array, one shard per array task (`run --shard $SLURM_ARRAY_TASK_ID/n`),
// and a merge job that depends on the array with `afterany`, so that it runs (and reports the
// missing runs) even when a shard failed. slatelab splits and merges; Slurm schedules.
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { plannedRuns } from './world-sweep.ts';
import { packageRoot } from '../store/package-root.ts';
import type { Command } from './command.ts';
import { UsageError } from './errors.ts';
import { positiveInt, singleString } from './options.ts';

/** The command that runs slatelab here, for the scripts (the node binary and this package's bin). */
function slatelabCommand(): string {
  const bin = join(packageRoot(import.meta.url), 'bin', 'slatelab.js');
  return `${quote(process.execPath)} ${quote(bin)}`;
}

/** A shell word: single-quoted. */
function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface SlurmScripts {
  readonly array: string;
  readonly merge: string;
  readonly submit: string;
}

/** The three scripts for `config` in `out` (absolute paths), `shards` array tasks. */
export function slurmScripts(options: {
  readonly config: string;
  readonly out: string;
  readonly shards: number;
  readonly name: string;
  readonly partition?: string;
  readonly time?: string;
  readonly cpus?: number;
  readonly slatelab?: string;
}): SlurmScripts {
  const { config, out, shards, name } = options;
  const slatelab = options.slatelab ?? slatelabCommand();
  const common = [
    ...(options.partition ? [`#SBATCH --partition=${options.partition}`] : []),
    ...(options.time ? [`#SBATCH --time=${options.time}`] : []),
  ];
  const shardDir = (index: string) => `${quote(join(out, 'shards'))}/${index}`;
  const array = [
    '#!/bin/bash',
    `#SBATCH --job-name=${name}`,
    `#SBATCH --array=0-${shards - 1}`,
    `#SBATCH --cpus-per-task=${options.cpus ?? 1}`,
    `#SBATCH --output=${join(out, 'logs')}/shard-%a.out`,
    ...common,
    '# One shard of the experiment per array task (slatelab run --shard i/n); resume a failed one with',
    `# slatelab resume ${join(out, 'shards')}/<i>, then run merge.sbatch again.`,
    'set -euo pipefail',
    `exec ${slatelab} run ${quote(config)} --shard "$SLURM_ARRAY_TASK_ID/${shards}" --out ${shardDir('"$SLURM_ARRAY_TASK_ID"')} --threads ${options.cpus ?? 1}`,
    '',
  ].join('\n');
  const shardList = Array.from({ length: shards }, (_, i) => shardDir(String(i))).join(' ');
  const merge = [
    '#!/bin/bash',
    `#SBATCH --job-name=${name}-merge`,
    '#SBATCH --cpus-per-task=1',
    `#SBATCH --output=${join(out, 'logs')}/merge.out`,
    ...common,
    '# Joins the shards into one results directory with its summary and reports; runs after the array',
    '# whatever became of it (afterany), and names the missing runs when a shard failed.',
    'set -uo pipefail',
    `exec ${slatelab} merge ${shardList} --out ${quote(join(out, 'merged'))} --replace`,
    '',
  ].join('\n');
  const submit = [
    '#!/bin/bash',
    '# Submits the array, then the merge job once every array task has ended.',
    'set -euo pipefail',
    `array=$(sbatch --parsable ${quote(join(out, 'array.sbatch'))})`,
    `sbatch --dependency=afterany:"\${array%%;*}" ${quote(join(out, 'merge.sbatch'))}`,
    '',
  ].join('\n');
  return { array, merge, submit };
}

export const slurmCommand: Command = {
  usage: 'slurm <config>',
  describe: 'write the sbatch scripts that run an experiment as a Slurm job array and merge it',
  missing:
    'slurm: name an experiment config, e.g. slatelab slurm experiments/quickstart.yaml --shards 4 --out jobs/quickstart',
  options: (y) =>
    y
      .positional('config', { type: 'string', demandOption: true, describe: 'experiment config file' })
      .option('shards', { type: 'string', describe: 'array tasks, one shard of the runs each' })
      .option('out', { type: 'string', describe: 'where the scripts, the shards, the logs and the merged results go' })
      .option('partition', { type: 'string', describe: 'the Slurm partition (#SBATCH --partition)' })
      .option('time', { type: 'string', describe: 'the time limit of a task (#SBATCH --time, e.g. 01:00:00)' })
      .option('cpus', { type: 'string', describe: 'CPUs per array task, and threads per shard (default 1)' }),
  run: async (args, { io, registries }) => {
    const file = String(args.config);
    const shards = positiveInt('--shards', args.shards);
    const out = singleString('--out', args.out, 'a directory', 'jobs/mine');
    if (shards === undefined) throw new UsageError('slurm: say how many array tasks with --shards N');
    if (out === undefined) throw new UsageError('slurm: say where the job goes with --out DIR');
    const cpus = positiveInt('--cpus', args.cpus);
    const planned = await plannedRuns(file, registries);
    const runs = planned.total;
    // A world sweep's shard index slices every world alike: its bound is a world's runs.
    if (shards > planned.perWorld)
      throw new UsageError(
        `slurm: --shards ${shards} is more than the ${planned.perWorld} runs${planned.perWorld < runs ? ' of each world' : ''}; give at most ${planned.perWorld}`,
      );
    const dir = resolve(out);
    mkdirSync(join(dir, 'logs'), { recursive: true });
    const scripts = slurmScripts({
      config: resolve(file),
      out: dir,
      shards,
      name: planned.name,
      partition: singleString('--partition', args.partition, 'a partition', 'batch'),
      time: singleString('--time', args.time, 'a time limit', '01:00:00'),
      cpus,
    });
    writeFileSync(join(dir, 'array.sbatch'), scripts.array);
    writeFileSync(join(dir, 'merge.sbatch'), scripts.merge);
    writeFileSync(join(dir, 'submit.sh'), scripts.submit);
    chmodSync(join(dir, 'submit.sh'), 0o755);
    io.stdout(
      `wrote ${join(dir, 'array.sbatch')} (${shards} array tasks over ${runs} runs), ${join(dir, 'merge.sbatch')} ` +
        `and ${join(dir, 'submit.sh')}\nsubmit: ${join(dir, 'submit.sh')} (the merged results: ${join(dir, 'merged')})\n`,
    );
    return 0;
  },
};
