// `slatelab merge DIR... --out DIR`: the shards of one experiment (`run --shard i/n`) joined into
// one results directory, then its summary, charts and reports built from the records as `run`
// builds them, so that they are the same bytes as running everything on one machine. The shards
// must be one experiment's: the same config, slatelab version, git commit, dependencies and
// network backend, each shard index at most once and every run in its own shard. A missing shard
// (failed, killed) is no error here: its runs are reported as missing, as `report` reports runs
// that never ran, and `slatelab resume SHARD_DIR` then `merge` again completes it. So is a shard
// directory with no results at all (its task failed or was killed before its first run, or never
// started): the merge leaves it out and says so, since the scheduler runs the merge after any end
// of the array.
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Registries } from '../config/registries.ts';
import { rebuildReports } from '../report/rebuild.ts';
import { provenanceOf, runsOnDisk } from '../store/experiment-dir.ts';
import { MANIFEST_FILE, type Manifest, type RunEntry, readManifest, writeManifest } from '../store/manifest.ts';
import { isOnlyClaimed } from '../store/outdir.ts';
import type { FailureRecord } from '../store/summary.ts';
import { readTimeline, startSession } from '../store/timeline.ts';
import { runOrder } from './run-order.ts';

/** Shards that do not make one experiment: one line, naming the directory and the reason. */
export class MergeError extends Error {
  override readonly name = 'MergeError';
}

export interface MergeOutcome {
  readonly outDir: string;
  readonly runs: number;
  readonly missing: readonly FailureRecord[];
  /** Shard directories left out because they hold no results, with why. */
  readonly empty: readonly { readonly dir: string; readonly why: string }[];
}

/** Why `dir` holds no shard results at all (no directory, no manifest, or only its claim); null when it may. */
export function emptyShard(dir: string): string | null {
  if (!existsSync(dir)) return 'no such directory (its task never started?)';
  if (!statSync(dir).isDirectory()) return 'not a directory (its task could not write there)';
  if (!existsSync(join(dir, MANIFEST_FILE))) return 'no manifest (its task stopped before its first run)';
  if (isOnlyClaimed(dir)) return 'no runs (its task stopped before its first run)';
  return null;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Joins the shard directories `dirs` into `outDir` (new or empty; the caller claims it). */
export async function mergeShards(
  givenDirs: readonly string[],
  outDir: string,
  options: { readonly registries?: Registries; readonly charts?: boolean } = {},
): Promise<MergeOutcome> {
  if (givenDirs.length === 0) throw new MergeError('merge: name the shards’ directories');
  const empty = givenDirs.flatMap((dir) => {
    const why = emptyShard(dir);
    return why === null ? [] : [{ dir, why }];
  });
  if (empty.length === givenDirs.length)
    throw new MergeError(
      `merge: none of the ${givenDirs.length} shard directories holds results (${empty[0].dir}: ${empty[0].why}); run the shards first`,
    );
  const dirs = givenDirs.filter((dir) => !empty.some((shard) => shard.dir === dir));
  const manifests = dirs.map((dir) => readManifest(dir));
  const first = manifests[0];
  const seen = new Map<number, string>();
  manifests.forEach((manifest, i) => {
    const dir = dirs[i];
    if (!manifest.shard)
      throw new MergeError(
        `${dir}: not a shard (it was run without --shard); merge joins the directories of run --shard i/n`,
      );
    if (!same(manifest.config, first.config))
      throw new MergeError(
        `${dir}: another experiment (its config differs from ${dirs[0]}'s); merge one experiment's shards`,
      );
    for (const field of ['slatelab', 'gitCommit', 'dependencies', 'networks'] as const)
      if (!same(manifest[field], first[field]))
        throw new MergeError(
          `${dir}: run by another ${field === 'networks' ? 'network backend' : field} than ${dirs[0]} ` +
            `(${JSON.stringify(manifest[field])} against ${JSON.stringify(first[field])}); its runs may differ: run the shards alike`,
        );
    if (manifest.shard.count !== first.shard?.count)
      throw new MergeError(
        `${dir}: shard ${manifest.shard.index}/${manifest.shard.count}, but ${dirs[0]} is one of ${first.shard?.count}`,
      );
    const earlier = seen.get(manifest.shard.index);
    if (earlier !== undefined)
      throw new MergeError(`${dir}: shard ${manifest.shard.index} again (${earlier} is it too); give each shard once`);
    seen.set(manifest.shard.index, dir);
  });

  const order = runOrder(first.config);
  const runs: RunEntry[] = [];
  const failures: Manifest['failures'][number][] = [];
  const interrupted: Manifest['interrupted'][number][] = [];
  manifests.forEach((manifest, i) => {
    const dir = dirs[i];
    for (const run of runsOnDisk(dir, manifest)) {
      for (const file of [run.file, run.curveFile, run.agentFile, run.runMetricsFile, run.logFile]) {
        if (file === undefined) continue;
        mkdirSync(dirname(join(outDir, file)), { recursive: true });
        copyFileSync(join(dir, file), join(outDir, file));
      }
      runs.push(run);
    }
    failures.push(...manifest.failures);
    interrupted.push(...manifest.interrupted);
  });
  const shardOrder = [...manifests.keys()].sort((a, b) => manifests[a].shard!.index - manifests[b].shard!.index);
  // Each shard's hosts and times, beside the results (lab/store/timeline.ts).
  const session = startSession(outDir, 'merge', {
    shards: shardOrder.map((i) => ({
      dir: dirs[i],
      index: manifests[i].shard!.index,
      sessions: readTimeline(dirs[i]).sessions,
    })),
  });
  writeManifest(outDir, {
    name: first.name,
    configFile: first.configFile,
    config: first.config,
    seeds: first.seeds,
    ...provenanceOf(first),
    ...(first.userCode ? { userCode: first.userCode } : {}),
    // Complete once the reports below are written from every run there is.
    complete: false,
    runs: order.sorted(runs),
    failures: order.sorted(failures),
    interrupted: order.sorted(interrupted),
    mergedFrom: shardOrder.map((i) => dirs[i]),
  });
  const rebuilt = await rebuildReports(outDir, options);
  const manifest = readManifest(outDir);
  writeManifest(outDir, { ...manifest, complete: true });
  session.finish(rebuilt.runs);
  return { outDir, runs: rebuilt.runs, missing: rebuilt.missing, empty };
}
