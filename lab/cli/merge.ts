// `slatelab merge DIR... --out DIR`: an experiment's shards (`run --shard i/n`) joined into one
// results directory with its summary, charts and reports (lab/run/merge.ts).
import { join } from 'node:path';
import { MergeError, mergeShards } from '../run/merge.ts';
import { isSweepDir, mergeWorldSweeps, readSweep } from '../run/world-sweep.ts';
import { sweepText } from '../report/world-sweep.ts';
import { summaryText } from '../report/tables.ts';
import { claimOutDir, isOnlyClaimed } from '../store/outdir.ts';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { readManifest } from '../store/manifest.ts';
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
      .option('out', { type: 'string', describe: 'the merged results directory, new or empty' })
      .option('replace', {
        type: 'boolean',
        describe: 'replace an earlier merge in --out (only a directory that merge wrote), e.g. after resuming a shard',
      }),
  run: async (args, { io, registries }) => {
    const dirs = (args.dirs as string[] | undefined) ?? [];
    const out = singleString('--out', args.out, 'a directory', 'results/merged');
    if (out === undefined) throw new UsageError('merge: name the merged directory with --out DIR');
    const replace = args.replace === true && existsSync(out) && readdirSync(out).length > 0;
    if (replace) usersToFix(() => checkEarlierMerge(out));
    // A replacement is merged beside the earlier merge and takes its place only once complete.
    const outDir = usersToFix(() => claimOutDir(replace ? `${out}.merging-${process.pid}` : out));
    const failed = (error: unknown) => {
      if (replace) rmSync(outDir, { recursive: true, force: true });
      throw error instanceof MergeError ? new UsageError(error.message) : error;
    };
    if (dirs.some(isSweepDir)) {
      // A world sweep's shards: merged world by world (lab/run/world-sweep.ts).
      const merged = await usersToFixAsync(() => mergeWorldSweeps(dirs, outDir, { registries }).catch(failed));
      if (replace) takePlace(outDir, out);
      for (const world of merged.empty) io.stderr(`slatelab: world ${world}: no shard holds its results\n`);
      io.stdout(
        `merged: ${out} (a world sweep, ${merged.runs} runs; ${join(out, 'sweep-report.md')})\n\n${sweepText(merged.summary)}`,
      );
      if (merged.missing > 0)
        io.stderr(`slatelab: ${merged.missing} runs are missing: resume or rerun their shard, then merge again\n`);
      return merged.missing === 0 && merged.empty.length === 0 ? 0 : 1;
    }
    const outcome = await usersToFixAsync(() => mergeShards(dirs, outDir, { registries }).catch(failed));
    if (replace) takePlace(outDir, out);
    for (const shard of outcome.empty) io.stderr(`slatelab: ${shard.dir}: left out, ${shard.why}\n`);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as Summary;
    const shards = dirs.length - outcome.empty.length;
    io.stdout(
      `merged: ${out} (${outcome.runs} runs from ${shards} shards; open ${join(out, 'report.html')})\n\n` +
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

/**
 * The new merge takes the earlier one's place: the earlier is moved aside first, so that `out`
 * always holds a whole merge (or, for a moment, none), then removed.
 */
function takePlace(merged: string, out: string): void {
  const aside = `${out}.replaced-${process.pid}`;
  renameSync(out, aside);
  renameSync(merged, out);
  rmSync(aside, { recursive: true, force: true });
}

/**
 * `--replace` replaces only what merge wrote: a results directory whose manifest (or sweep.json)
 * names its shards, or one a merge left with only its claim (stopped before its manifest).
 */
function checkEarlierMerge(out: string): void {
  if (!isSweepDir(out) && isOnlyClaimed(out)) return;
  const sweep = readSweep(out);
  if ((sweep !== null ? sweep.mergedFrom : readManifest(out).mergedFrom) === undefined)
    throw new UsageError(
      `--replace ${out}: not an earlier merge's results (its manifest lists no shards); merge replaces only what it wrote, so name a new directory`,
    );
}
