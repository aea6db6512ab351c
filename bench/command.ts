// `slatelab bench`: the benchmarks' command, owned here (bench/ sits above lab/: the program in
// cli.ts assembles lab's commands and this one). Simulation and training speed in user-steps per
// second, side by side with another checkout (--against) as ratios, and the runner's overhead on
// the quick start.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../lab/cli/command.ts';
import { UsageError } from '../lab/cli/errors.ts';
import type { Io } from '../lab/cli/io.ts';
import { nonEmptyList, positiveNumber, singleString } from '../lab/cli/options.ts';
import { textTable } from '../lab/report/tables.ts';

/** RecSim's interest_evolution in Python on the reference machine (the README's Speed section). */
const RECSIM_STEPS_PER_SECOND = 8_400;

export const benchCommand: Command = {
  usage: 'bench',
  describe: 'measure simulation speed (user-steps per second)',
  options: (y) =>
    y
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'print {"<world>/<policy>": {"stepsPerSecond": n}} only',
      })
      .option('seconds', { type: 'string', describe: 'length of each timed window (default 1)' })
      .option('only', { type: 'string', array: true, describe: 'only these world/policy cases, e.g. feed/random' })
      .option('against', {
        type: 'string',
        describe: 'compare with another checkout (git worktree add DIR REV), side by side in alternating windows',
      }),
  run: (args, { io }) =>
    bench(
      {
        json: args.json === true,
        seconds: positiveNumber('--seconds', args.seconds),
        only: nonEmptyList('--only', args.only as string[] | undefined, 'a world/policy, e.g. --only feed/random'),
        against: singleString('--against', args.against, 'a directory', '/tmp/base'),
      },
      io,
    ),
};

type Benchmarks = typeof import('./benchmarks.ts');

/** `bench --against DIR`: each case in this tree and in DIR, side by side. */
async function benchAgainst(
  bench: Benchmarks,
  dir: string,
  keys: readonly string[],
  json: boolean,
  io: Io,
): Promise<number> {
  if (!existsSync(join(dir, 'sim', 'presets', 'index.ts'))) {
    throw new UsageError(
      `--against: ${dir} is not a slatelab checkout (no sim/presets/index.ts); make one with: ` +
        `git worktree add ${dir} <commit>`,
    );
  }
  const results: Record<string, unknown> = {};
  const rows = [['world/policy', 'this tree', 'other tree', 'ratio this/other', 'middle half of ratios']];
  const skipped: string[] = [];
  for (const key of keys) {
    io.stderr(`${key}: comparing...\n`);
    let c: Awaited<ReturnType<Benchmarks['compareTrees']>>;
    try {
      c = await bench.compareTrees(dir, key);
    } catch (error) {
      // A training case against a tree from before the agents: noted, and the other cases go on.
      if (!(error instanceof Error && error.name === 'SkipComparison')) throw error;
      io.stderr(`${key}: skipped: ${error.message}\n`);
      results[key] = { skipped: error.message };
      skipped.push(`${key}: ${error.message}`);
      rows.push([key, '', '', 'skipped', '']);
      continue;
    }
    results[key] = c;
    rows.push([
      key,
      String(c.thisTree),
      String(c.otherTree),
      c.ratio.toFixed(3),
      `${c.ratioQuartiles[0].toFixed(3)}-${c.ratioQuartiles[1].toFixed(3)}`,
    ]);
  }
  if (json) io.stdout(`${JSON.stringify(results)}\n`);
  else {
    io.stdout(`\n${textTable(rows)}\nmedians of alternating 100 ms windows (steps/s); ratios taken pair by pair\n`);
    for (const line of skipped) io.stdout(`skipped ${line}\n`);
  }
  return 0;
}

async function bench(
  options: { json: boolean; seconds?: number; only?: string[]; against?: string },
  io: Io,
): Promise<number> {
  // Loaded lazily: only `bench` needs it (and the rest of the CLI works without it).
  // --against steps another checkout's TypeScript sources: from the build in dist/, tsx is not
  // loaded yet.
  if (options.against !== undefined && !import.meta.url.endsWith('.ts')) (await import('tsx/esm/api')).register();
  const bench = await import('./benchmarks.ts');
  const known = bench.benchCases.map((c) => `${c.world}/${c.policy}`);
  for (const key of options.only ?? []) {
    if (!EXTRA_KEYS.includes(key) && !known.includes(key))
      throw new UsageError(`--only: no benchmark "${key}"; known: ${[...known, ...EXTRA_KEYS].join(', ')}`);
  }
  if (options.against !== undefined)
    return benchAgainst(
      bench,
      options.against,
      (options.only ?? known).filter((key) => !EXTRA_KEYS.includes(key)),
      options.json,
      io,
    );
  const results = await bench.runBenchmarks({
    seconds: options.seconds,
    only: options.only,
    onResult: (key, rate) => io.stderr(`${key}: ${Math.round(rate)} steps/s\n`),
  });
  if (options.json) {
    // Exactly {"<world>/<policy>": {"stepsPerSecond": n}}: the shape scripts rely on.
    const medians = Object.fromEntries(
      Object.entries(results).map(([key, { stepsPerSecond }]) => [key, { stepsPerSecond }]),
    );
    io.stdout(`${JSON.stringify(medians)}\n`);
    return 0;
  }
  const targets = new Map(bench.benchCases.map((c) => [`${c.world}/${c.policy}`, c.target]));
  const casesWith = (field: 'training' | 'acting' | 'fitStep') =>
    new Set(bench.benchCases.filter((c) => c[field] !== undefined).map((c) => `${c.world}/${c.policy}`));
  const training = casesWith('training');
  const acting = casesWith('acting');
  const fitStep = casesWith('fitStep');
  const rows = [['world/policy', 'steps/s', 'windows (min-max)', 'vs RecSim (8.4k/s)', 'target']];
  for (const [key, { stepsPerSecond, windows }] of Object.entries(results)) {
    const target = targets.get(key);
    const verdict = target === undefined ? '' : `${target} ${stepsPerSecond >= target ? 'met' : 'NOT met'}`;
    const spread = `${windows[0]}-${windows[windows.length - 1]}`;
    // RecSim's figure is of a world stepping alone: no yardstick for an agent or a network.
    const recsim =
      training.has(key) || acting.has(key) || fitStep.has(key)
        ? ''
        : `${(stepsPerSecond / RECSIM_STEPS_PER_SECOND).toFixed(1)}x`;
    const rate = fitStep.has(key)
      ? `${Math.round(stepsPerSecond)} (${(1000 / stepsPerSecond).toFixed(2)} ms/step)`
      : String(Math.round(stepsPerSecond));
    rows.push([key, rate, spread, recsim, verdict]);
  }
  const keys = Object.keys(results);
  if (keys.length > 0) io.stdout(`\n${textTable(rows)}\n`);
  if (keys.some((key) => training.has(key))) {
    io.stdout('<agent>:train: user-steps/s while training (act, step, observe, update every round; batch 64)\n');
  }
  if (keys.some((key) => acting.has(key)))
    io.stdout('<agent>:act: user-steps/s of a trained agent acting in evaluation (batch 64)\n');
  if (keys.some((key) => fitStep.has(key))) {
    io.stdout(
      "<agent>:fit-step: Adam steps/s of the multi-task network at the ranker's defaults (batch " +
        '512); ms per step = 1000 / rate\n',
    );
  }
  // On a shared machine the windows can differ by more than the versions being compared.
  if (keys.length > 0)
    io.stdout('median of the windows; on a shared machine compare versions side by side, as ratios\n');
  if (!options.only || options.only.includes(OVERHEAD_KEY)) {
    const { runnerOverhead, QUICK_START } = await import('./runner-overhead.ts');
    io.stderr(`${OVERHEAD_KEY}: running ${QUICK_START} three times on one thread\n`);
    const overhead = await runnerOverhead();
    const percent = (share: number) => `${(100 * share).toFixed(1)}%`;
    io.stdout(
      `\nrunner overhead on the quick start (${QUICK_START}, one thread, charts and reports ` +
        `included, from the ${overhead.code === 'dist' ? 'build in dist/' : 'sources'}): ` +
        `${percent(overhead.share)} ` +
        `(repeats ${overhead.shares.map(percent).join(', ')}; median wall ` +
        `${overhead.wallSeconds.toFixed(2)} s, of which in runs ${overhead.runSeconds.toFixed(2)} ` +
        `s: ` +
        `${(overhead.wallSeconds - overhead.runSeconds).toFixed(2)} s fixed; target: a fixed cost under 1 s)\n`,
    );
  }
  await clusterBenchmarks(options.only, io);
  return 0;
}

/** The cluster's cases (bench/cluster.ts): merging 1,000 runs, and a shard's life as a process. */
async function clusterBenchmarks(only: readonly string[] | undefined, io: Io): Promise<void> {
  const { MERGE_KEY, SHARD_KEY, mergeBench, shardBench } = await import('./cluster.ts');
  const seconds = (values: readonly number[]) => values.map((value) => value.toFixed(2)).join(', ');
  if (!only || only.includes(MERGE_KEY)) {
    const merge = await mergeBench(3, (line) => io.stderr(`${line}\n`));
    io.stdout(
      `\nmerge: ${merge.runs} runs from ${merge.shards} shards (records copied, summary, charts and reports ` +
        `written) in ${merge.seconds.toFixed(2)} s (repeats ${seconds(merge.repeats)}; target: seconds, not minutes)\n`,
    );
  }
  if (!only || only.includes(SHARD_KEY)) {
    io.stderr(`${SHARD_KEY}: slatelab run --shard 0/4 of a one-run slice, five times\n`);
    const shard = shardBench(5);
    io.stdout(
      `a shard as a process, start to exit, its slice one tiny run (Node, slatelab, the run, summary and ` +
        `reports): ${shard.seconds.toFixed(2)} s (repeats ${seconds(shard.repeats)}; target: start-up under 2 s)\n`,
    );
  }
}

/** `bench --only runner/quickstart`: only the runner's overhead on the quick start. */
const OVERHEAD_KEY = 'runner/quickstart';
/** Cases beside the world/policy ones: the runner's overhead and the cluster's (bench/cluster.ts). */
const EXTRA_KEYS = [OVERHEAD_KEY, 'cluster/merge-1000-runs', 'cluster/shard-start'];
