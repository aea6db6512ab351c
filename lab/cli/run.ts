// `slatelab run CONFIG`: validate the config, check the plan fits in memory, claim the output
// directory, run every (agent, seed) on worker threads, print the summary. `--dry-run` prints the
// plan (memory and time from a short timed sample) and runs nothing.
import type { ExperimentConfig } from '../config/config.ts';
import { loadExperimentWithKinds } from '../config/load-with-kinds.ts';
import { loadWorldSweep } from '../config/world-sweep.ts';
import { runSweepCommand } from './world-sweep.ts';
import type { Registries } from '../config/registries.ts';
import { checkMemory, estimateMemory, estimateTime, planText, PlanError, type RunMemory } from '../run/plan.ts';
import { type Shard, shardRuns } from '../run/run-order.ts';
import { runExperiment, threadCount } from '../run/runner.ts';
import { claimDefaultOutDir, claimOutDir } from '../store/outdir.ts';
import type { Command } from './command.ts';
import { UsageError, usersToFix } from './errors.ts';
import { finishCommand, progressTo, withInterrupt } from './experiment-output.ts';
import type { Io } from './io.ts';
import { backendOption, bytesOption, MAX_MEMORY_OPTION, positiveInt, singleString, THREADS_OPTION } from './options.ts';

export const runCommand: Command = {
  usage: 'run <config>',
  describe: 'run an experiment config (YAML or JSON) and write results',
  missing: 'run: name an experiment config, e.g. slatelab run experiments/quickstart.yaml',
  options: (y) =>
    y
      .positional('config', { type: 'string', demandOption: true, describe: 'experiment config file' })
      .option('out', { type: 'string', describe: 'output directory, new or empty (default results/<name>/<UTC time>)' })
      .option('seeds', { type: 'string', describe: 'run seeds 0..N-1 instead of the config seeds' })
      .option('episodes', { type: 'string', describe: 'episodes per (agent, seed) instead of the config value' })
      .option('batch-size', { type: 'string', describe: 'rows stepped together (results do not depend on it)' })
      .option('threads', THREADS_OPTION)
      .option('backend', {
        type: 'string',
        describe:
          'neural-network backend of agents with networks: wasm (default), cpu, or node (needs ' +
          '@tensorflow/tfjs-node); results differ across backends',
      })
      .option('max-memory', MAX_MEMORY_OPTION)
      .option('shard', {
        type: 'string',
        describe: 'run only the i-th of n slices of the runs, i/n from 0/n (slatelab merge joins the shards)',
      })
      .option('log', {
        type: 'boolean',
        describe:
          "log each run's interactions for off-policy evaluation (runs/<agent>/seed-<s>.log): the config's " +
          'log block, or the agent explored with epsilon 0.1 on the evaluation users',
      })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        describe:
          'validate, then print the runs with their estimated memory and time (from a short timed ' +
          'sample), and run nothing',
      }),
  run: async (args, { io, registries: given, verbose }) => {
    let registries = given;
    const file = String(args.config);
    const out = singleString('--out', args.out, 'a directory', 'results/mine');
    const seeds = positiveInt('--seeds', args.seeds);
    const episodes = positiveInt('--episodes', args.episodes);
    const batchSize = positiveInt('--batch-size', args['batch-size']);
    const requestedThreads = positiveInt('--threads', args.threads);
    const overrides = { seeds, episodes, batchSize, backend: backendOption(args.backend), log: args.log === true };
    const maxMemory = bytesOption(args['max-memory']);
    const shard = shardOption(args.shard);
    // A world sweep is several experiments (lab/run/world-sweep.ts).
    const sweep = await loadWorldSweep(file, registries, overrides);
    if (sweep !== null)
      return runSweepCommand(
        sweep,
        {
          file,
          out,
          threads: requestedThreads,
          maxMemory,
          shard,
          dryRun: args['dry-run'] === true,
          verbose,
          overrides,
        },
        io,
      );
    // Kinds that name files are imported first (lab/config/user-kinds.ts).
    const { config, shape, registries: withKinds } = await loadExperimentWithKinds(file, registries, overrides);
    registries = withKinds;
    const progress = progressTo(io);
    const runs = shardRuns(config, shard).length;
    // Capped at the cores, with a warning, once: runExperiment gets the capped number.
    const threads = threadCount(requestedThreads, runs, { line: (text) => io.stderr(`slatelab: ${text}\n`) });
    const memory = estimateMemory(config, registries);
    if (args['dry-run'] === true) return dryRun(config, registries, memory, threads, maxMemory, io);
    usersToFix(() => checkMemory(memory, threads, maxMemory));
    const outDir = usersToFix(() =>
      out === undefined ? claimDefaultOutDir(config.name, new Date()) : claimOutDir(out),
    );
    const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
    const variants = config.agents.filter((agent) => agent.variant).length;
    const agentsText = `${count(config.agents.length, 'agent')}${variants > 0 ? ` (${variants} of them a sweep's variants)` : ''}`;
    const tuning = config.tuning?.seeds.length ?? 0;
    const seedsText = `${count(config.seeds.length, 'seed')}${tuning > 0 ? ` (${tuning} of them for tuning)` : ''}`;
    io.stderr(
      `${config.name}: ${agentsText} x ${seedsText} x ` +
        `${count(config.evaluation.episodes, 'episode')} in ${config.world.preset} (${count(runs, 'run')}` +
        `${shard ? `: shard ${shard.index}/${shard.count}` : ''})\n`,
    );
    const outcome = await withInterrupt(io, (signal) =>
      runExperiment({
        config,
        shape,
        outDir,
        registries,
        configFile: file,
        progress,
        verbose,
        threads,
        signal,
        claimed: true,
        shard,
      }),
    );
    return finishCommand(outcome, config, io, runs);
  },
};

/** `--shard i/n`: whole numbers, 0 <= i < n. */
function shardOption(value: unknown): Shard | undefined {
  const text = singleString('--shard', value, 'a slice i/n', '0/4');
  if (text === undefined) return undefined;
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = match ? Number(match[1]) : Number.NaN;
  const count = match ? Number(match[2]) : Number.NaN;
  if (!(count >= 1 && index >= 0 && index < count))
    throw new UsageError(`--shard: expected i/n with 0 <= i < n, e.g. --shard 0/4, got "${text}"`);
  return { index, count };
}

/** `run --dry-run`: the runs with their memory and time, from a short timed sample; nothing is written. */
async function dryRun(
  config: ExperimentConfig,
  registries: Registries,
  memory: RunMemory[],
  threads: number,
  maxMemory: number | undefined,
  io: Io,
): Promise<number> {
  if (config.agents.some((agent) => registries.agents?.[agent.kind]?.nets)) {
    const { useBackend } = await import('../../agents/nets/backend.ts');
    await useBackend(config.backend);
  }
  // Runs that `run` would refuse are not sampled (the sample builds the same worlds, which may not
  // fit): the plan shows their memory, then the refusal, and fails like `run` (exit 2).
  let refusal: string | null = null;
  try {
    checkMemory(memory, threads, maxMemory);
  } catch (error) {
    if (!(error instanceof PlanError)) throw error;
    refusal = error.message;
  }
  if (refusal === null) io.stderr(`${config.name}: dry run; timing a short sample of each agent\n`);
  io.stdout(planText(config, memory, refusal === null ? estimateTime(config, registries) : null, threads, maxMemory));
  if (refusal === null) return 0;
  io.stderr(`slatelab: ${refusal}\n`);
  return 2;
}
