// The commands' side of a world sweep (lab/run/world-sweep.ts): `run` of a config that sweeps its
// world, and what `resume`, `report` and `merge` print for a sweep's directory.
import { join } from 'node:path';
import type { ConfigOverrides } from '../config/config.ts';
import type { Registries } from '../config/registries.ts';
import { loadWorldSweep, type WorldSweep } from '../config/world-sweep.ts';
import { loadExperimentWithKinds } from '../config/load-with-kinds.ts';
import { sweepText } from '../report/world-sweep.ts';
import { checkMemory, clusterLines, estimateMemory, estimateTime, planText, type RunTime } from '../run/plan.ts';
import { type Shard, shardRuns } from '../run/run-order.ts';
import { threadCount } from '../run/runner.ts';
import { runWorldSweep, type WorldSweepOutcome } from '../run/world-sweep.ts';
import { claimDefaultOutDir, claimOutDir } from '../store/outdir.ts';
import { usersToFix } from './errors.ts';
import { progressTo, withInterrupt } from './experiment-output.ts';
import type { Io } from './io.ts';

export interface SweepRunArgs {
  readonly file: string;
  readonly out: string | undefined;
  readonly threads: number | undefined;
  readonly maxMemory: number | undefined;
  readonly shard: Shard | undefined;
  readonly dryRun: boolean;
  readonly verbose: boolean;
  readonly overrides: ConfigOverrides;
}

/** `slatelab run` of a world sweep: every world in turn, then the sweep's comparison. */
export async function runSweepCommand(sweep: WorldSweep, args: SweepRunArgs, io: Io): Promise<number> {
  const registries: Registries = sweep.registries;
  const perWorld = shardRuns(sweep.worlds[0].experiment.config, args.shard).length;
  const threads = threadCount(args.threads, perWorld, { line: (text) => io.stderr(`slatelab: ${text}\n`) });
  for (const world of sweep.worlds)
    usersToFix(() => checkMemory(estimateMemory(world.experiment.config, registries), threads, args.maxMemory));
  if (args.dryRun) {
    const all: RunTime[] = [];
    for (const world of sweep.worlds) {
      const { config } = world.experiment;
      io.stderr(`${config.name}, world ${world.name}: dry run; timing a short sample of each agent\n`);
      const times = estimateTime(config, registries);
      all.push(...times);
      io.stdout(`world ${world.name}:\n`);
      io.stdout(planText(config, estimateMemory(config, registries), times, threads, args.maxMemory));
    }
    // The worlds run one after the other here; on a cluster their runs spread alike.
    const seeds = sweep.worlds[0].experiment.config.seeds.length;
    // A shard index slices every world alike: at most a world's runs of shards.
    const lines = clusterLines(all, seeds, undefined, perWorld);
    io.stdout(`all ${sweep.worlds.length} worlds:\n${lines.join('\n')}\n`);
    return 0;
  }
  const outDir = usersToFix(() =>
    args.out === undefined ? claimDefaultOutDir(sweep.name, new Date()) : claimOutDir(args.out),
  );
  const { config } = sweep.worlds[0].experiment;
  io.stderr(
    `${sweep.name}: a world sweep of ${sweep.worlds.length} worlds, each ${config.agents.length} agents x ` +
      `${config.seeds.length} seeds in ${config.world.preset} (${perWorld * sweep.worlds.length} runs` +
      `${args.shard ? `: shard ${args.shard.index}/${args.shard.count}` : ''})\n`,
  );
  const outcome = await withInterrupt(io, (signal) =>
    runWorldSweep(sweep, outDir, {
      registries,
      configFile: args.file,
      progress: progressTo(io),
      verbose: args.verbose,
      threads,
      signal,
      shard: args.shard,
    }),
  );
  return finishSweep(outcome, io);
}

/** What `run` and `resume` of a sweep print at the end, and their exit code. */
export function finishSweep(outcome: WorldSweepOutcome, io: Io): number {
  const { outDir } = outcome;
  io.stdout(
    `\nresults: ${outDir} (the worlds compared: ${join(outDir, 'sweep-report.html')} or .md; each world's report: ` +
      `${join(outDir, 'worlds', '<world>', 'report.html')})\n\n${sweepText(outcome.summary)}`,
  );
  const failed = outcome.worlds.reduce((sum, world) => sum + world.outcome.failures.length, 0);
  const interrupted = outcome.worlds.some((world) => world.outcome.interrupted.length > 0);
  const unstarted = outcome.summary.worlds.filter((world) => !world.finished).length;
  if (failed > 0) io.stderr(`slatelab: ${failed} runs failed; slatelab resume ${outDir} runs them again\n`);
  if (interrupted || unstarted > 0) {
    io.stderr(`slatelab: interrupted; slatelab resume ${outDir} finishes the sweep\n`);
    return 130;
  }
  return failed > 0 ? 1 : 0;
}

/**
 * The runs a config makes, for the schedulers' scripts: `total`, and `perWorld`, the runs one
 * shard index divides (a world sweep shards each world alike).
 */
export async function plannedRuns(
  file: string,
  registries: Registries,
): Promise<{ readonly name: string; readonly total: number; readonly perWorld: number }> {
  const sweep = await loadWorldSweep(file, registries);
  if (sweep !== null) {
    const { config } = sweep.worlds[0].experiment;
    const perWorld = config.agents.length * config.seeds.length;
    return { name: sweep.name, total: perWorld * sweep.worlds.length, perWorld };
  }
  // Validated now, so that a bad config fails here and not in every array task.
  const { config } = await loadExperimentWithKinds(file, registries);
  const runs = config.agents.length * config.seeds.length;
  return { name: config.name, total: runs, perWorld: runs };
}
