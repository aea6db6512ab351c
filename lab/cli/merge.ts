// `slatelab merge DIR... --out DIR`: an experiment's shards (`run --shard i/n`) joined into one
// results directory with its summary, charts and reports (lab/run/merge.ts).
import { join } from 'node:path';
import { MergeError, mergeShards } from '../run/merge.ts';
import { summaryText } from '../report/tables.ts';
import { claimOutDir } from '../store/outdir.ts';
import { readFileSync } from 'node:fs';
import type { Summary } from '../store/summary.ts';
import type { Command } from './command.ts';
import { UsageError, usersToFix, usersToFixAsync } from './errors.ts';
import { singleString } from './options.ts';

export const mergeCommand: Command = {
  usage: 'merge <dirs..>',
  describe: "join an experiment's shards (run --shard i/n) into one results directory with its reports",
  missing: 'merge: name the shards’ directories, e.g. slatelab merge results/shard-0 results/shard-1 --out results/all',
  options: (y) =>
    y
      .positional('dirs', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'the shards’ results directories',
      })
      .option('out', { type: 'string', describe: 'the merged results directory, new or empty' }),
  run: async (args, { io, registries }) => {
    const dirs = (args.dirs as string[] | undefined) ?? [];
    const out = singleString('--out', args.out, 'a directory', 'results/merged');
    if (out === undefined) throw new UsageError('merge: name the merged directory with --out DIR');
    const outDir = usersToFix(() => claimOutDir(out));
    const outcome = await usersToFixAsync(() =>
      mergeShards(dirs, outDir, { registries }).catch((error: unknown) => {
        throw error instanceof MergeError ? new UsageError(error.message) : error;
      }),
    );
    const summary = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as Summary;
    io.stdout(
      `merged: ${outDir} (${outcome.runs} runs from ${dirs.length} shards; open ${join(outDir, 'report.html')})\n\n` +
        summaryText(summary),
    );
    if (outcome.missing.length === 0) return 0;
    io.stderr(
      `slatelab: ${outcome.missing.length} runs are missing (${outcome.missing
        .slice(0, 5)
        .map((run) => `${run.agent} seed ${run.seed}`)
        .join(', ')}${outcome.missing.length > 5 ? ', ...' : ''}): resume or rerun their shard, then merge again\n`,
    );
    return 1;
  },
};
