// The command line: `slatelab run | list | bench | calibrate`. User input is checked here, at the
// edge; every error is one line `slatelab: <message>` on stderr (exit 2 for bad input, 1 for failed
// runs), and stack traces appear only with --verbose. lab/cli.ts calls `main` with the process
// arguments.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { feed, type FeedParams } from '../sim/feed/env.ts';
import { defaultParams, describeParam, type ParamSpecs } from '../sim/params.ts';
import {
  calibrationJson,
  calibrationPolicies,
  calibrationText,
  DEFAULT_CALIBRATION_EPISODES,
  DEFAULT_CALIBRATION_POLICY,
  DEFAULT_CALIBRATION_RUNS,
  MAX_CALIBRATION_USERS,
  runCalibration,
} from './calibrate.ts';
import { BACKENDS, type BackendName } from '../agents/nets/backend-names.ts';
import { ConfigError, defaultRegistries, loadConfig, suggest, type ConfigOverrides, type ExperimentConfig, type Registries } from './config.ts';
import { claimDefaultOutDir, claimOutDir, OutDirError } from './outdir.ts';
import { packageRoot } from './package-root.ts';
import { LockError } from './lock.ts';
import { summaryText, textTable } from './results.ts';
import { fitLine } from './progress.ts';
import { runExperiment, threadCount, type ExperimentOutcome, type Progress } from './runner.ts';
import { compareExperiments, comparisonText, CompareError } from './compare.ts';
import { checkKinds, ExperimentDirError, readManifest, rebuildReports, resumeExperiment } from './resume.ts';
import { checkMemory, DEFAULT_MEMORY_SHARE, estimateMemory, estimateTime, parseBytes, planText, PlanError, type RunMemory } from './plan.ts';

/** Where the CLI writes; tests capture it. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress then rewrites one line instead of printing many). */
  readonly stderrIsTTY: boolean;
}

// A reader that goes away (`slatelab run x.yaml 2>&1 | head`) must not stop the experiment: once a
// stream reports EPIPE, further output to it is dropped and the run carries on writing its results.
const closed = new Set<NodeJS.WriteStream>();
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    closed.add(stream);
  });
}
const write = (stream: NodeJS.WriteStream, text: string): void => {
  if (!closed.has(stream)) stream.write(text);
};

export const processIo: Io = {
  stdout: (text) => write(process.stdout, text),
  stderr: (text) => write(process.stderr, text),
  stderrIsTTY: process.stderr.isTTY === true,
};

/** Bad input from the user: exit code 2. */
export class UsageError extends Error {}

/** RecSim's interest_evolution in Python on the reference machine (DESIGN.md section 6). */
/** Options shared by run and resume (read as text and parsed here: yargs turns "abc" into NaN). */
const THREADS_OPTION = { type: 'string', describe: 'worker threads for runs (default: all cores; results do not depend on it)' } as const;
const MAX_MEMORY_OPTION = {
  type: 'string',
  describe: `memory the runs may hold at once, e.g. 6G (default ${Math.round(DEFAULT_MEMORY_SHARE * 100)}% of this machine's); runs that need more are refused before they start`,
} as const;

const RECSIM_STEPS_PER_SECOND = 8_400;

const version = (JSON.parse(readFileSync(join(packageRoot(import.meta.url), 'package.json'), 'utf8')) as { version: string }).version;

export async function main(argv: readonly string[], io: Io = processIo, registries: Registries = defaultRegistries): Promise<number> {
  let exitCode = 0;
  let verbose = argv.includes('--verbose');
  const guard = (action: () => Promise<number> | number) => async (): Promise<void> => {
    try {
      exitCode = await action();
    } catch (error) {
      exitCode = reportError(error, io, verbose);
    }
  };
  const parser = yargs([...argv])
    .scriptName('slatelab')
    .usage('$0 <command> [options]')
    .command(
      'run <config>',
      'run an experiment config (YAML or JSON) and write results',
      (y) =>
        y
          .positional('config', { type: 'string', demandOption: true, describe: 'experiment config file' })
          // Numbers are read as text and parsed here: yargs turns "abc" into NaN and "0x2" into 2.
          .option('out', { type: 'string', describe: 'output directory, new or empty (default results/<name>/<UTC time>)' })
          .option('seeds', { type: 'string', describe: 'run seeds 0..N-1 instead of the config seeds' })
          .option('episodes', { type: 'string', describe: 'episodes per (agent, seed) instead of the config value' })
          .option('batch-size', { type: 'string', describe: 'rows stepped together (results do not depend on it)' })
          .option('threads', THREADS_OPTION)
          .option('backend', { type: 'string', describe: 'neural-network backend of agents with networks: wasm (default), cpu, or node (needs @tensorflow/tfjs-node); results differ across backends' })
          .option('max-memory', MAX_MEMORY_OPTION)
          .option('dry-run', { type: 'boolean', default: false, describe: 'validate, then print the runs with their estimated memory and time (from a short timed sample), and run nothing' }),
      (args) =>
        guard(() =>
          runCommand(
            args.config,
            {
              out: singleString('--out', args.out, 'a directory', 'results/mine'),
              seeds: positiveInt('--seeds', args.seeds),
              episodes: positiveInt('--episodes', args.episodes),
              batchSize: positiveInt('--batch-size', args['batch-size']),
              threads: positiveInt('--threads', args.threads),
              backend: backendOption(args.backend),
              maxMemory: bytesOption(args['max-memory']),
              dryRun: args['dry-run'] === true,
            },
            io,
            registries,
            verbose,
          ),
        )(),
    )
    .command(
      'resume <dir>',
      'finish an experiment that was stopped (Ctrl-C, kill, crash) or had failed runs: runs only the missing (agent, seed) runs, then writes the summary, charts and reports',
      (y) =>
        y
          .positional('dir', { type: 'string', demandOption: true, describe: "the experiment's results directory (the --out of slatelab run)" })
          .option('threads', THREADS_OPTION)
          .option('max-memory', MAX_MEMORY_OPTION),
      (args) => guard(() => resumeCommand(args.dir, positiveInt('--threads', args.threads), bytesOption(args['max-memory']), io, registries, verbose))(),
    )
    .command(
      'report <dir>',
      "rebuild an experiment's summary, charts and reports from its records (the runs that finished)",
      (y) => y.positional('dir', { type: 'string', demandOption: true, describe: "the experiment's results directory" }),
      (args) => guard(() => reportCommand(args.dir, io, registries))(),
    )
    .command(
      'compare <a> <b>',
      "compare two experiments' results: how their configs and versions differ, then B - A per agent and metric with 95% intervals",
      (y) =>
        y
          .positional('a', { type: 'string', demandOption: true, describe: 'results directory A (the --out of slatelab run)' })
          .positional('b', { type: 'string', demandOption: true, describe: 'results directory B' }),
      (args) => guard(() => compareCommand(args.a, args.b, io))(),
    )
    .command('list', 'list worlds, policies and learning agents with their parameters', {}, (_args) => guard(() => listCommand(io, registries))())
    .command(
      'bench',
      'measure simulation speed (user-steps per second)',
      (y) =>
        y
          .option('json', { type: 'boolean', default: false, describe: 'print {"<world>/<policy>": {"stepsPerSecond": n}} only' })
          .option('seconds', { type: 'string', describe: 'length of each timed window (default 1)' })
          .option('only', { type: 'string', array: true, describe: 'only these world/policy cases, e.g. feed/random' })
          .option('against', {
            type: 'string',
            describe: 'compare with another checkout (git worktree add DIR REV), side by side in alternating windows',
          }),
      (args) =>
        guard(() =>
          benchCommand(
            {
              json: args.json,
              seconds: positiveNumber('--seconds', args.seconds),
              only: nonEmptyList('--only', args.only, 'a world/policy, e.g. --only feed/random'),
              against: singleString('--against', args.against, 'a directory', '/tmp/base'),
            },
            io,
          ),
        )(),
    )
    .command(
      'calibrate [config]',
      'measure the feed world against the published figures it is calibrated to',
      (y) =>
        y
          .positional('config', {
            type: 'string',
            describe: "an experiment config whose feed world (parameters, seed and seeds) to measure (default: the default feed, experiment seed 0, seeds 0, 1, 2)",
          })
          .option('policy', { type: 'string', describe: `the policy to measure under (default ${DEFAULT_CALIBRATION_POLICY}; slatelab list shows them)` })
          .option('episodes', { type: 'string', describe: `users per seed (default ${DEFAULT_CALIBRATION_EPISODES})` })
          .option('json', { type: 'boolean', default: false, describe: 'print one JSON object: the figures and the reference list with measured values' }),
      (args) =>
        guard(() =>
          calibrateCommand(
            {
              config: args.config,
              policy: singleString('--policy', args.policy, 'a policy', 'greedy-pctr') ?? DEFAULT_CALIBRATION_POLICY,
              episodes: positiveInt('--episodes', args.episodes) ?? DEFAULT_CALIBRATION_EPISODES,
              json: args.json,
            },
            io,
            registries,
          ),
        )(),
    )
    .option('verbose', { type: 'boolean', default: false, describe: 'show stack traces with errors' })
    .demandCommand(1, 'name a command: run, resume, report, compare, list, bench or calibrate (slatelab --help shows them)')
    .strict()
    .help()
    .alias('h', 'help')
    .version(version)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, error) => {
      // Our own handlers' errors arrive here too; usage problems are one line (naming --help) and exit 2.
      if (error && !message) throw error;
      throw new UsageError(usageMessage(message ?? error.message, argv));
    });
  try {
    const args = await parser.parseAsync();
    verbose = args.verbose === true;
  } catch (error) {
    return reportError(error, io, verbose);
  }
  return exitCode;
}

function reportError(error: unknown, io: Io, verbose: boolean): number {
  if (error instanceof ConfigError) {
    for (const issue of error.issues) io.stderr(`slatelab: ${issue}\n`);
    return 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(`slatelab: ${message.split('\n')[0]}\n`);
  // A usage error is the user's to fix: its stack would only show yargs' insides.
  if (verbose && !(error instanceof UsageError) && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
  return error instanceof UsageError ? 2 : 1;
}

/** The commands (an unknown one is answered with this list). */
const COMMANDS = ['run', 'resume', 'report', 'compare', 'list', 'bench', 'calibrate'];

/** yargs' usage messages in this CLI's words: what is wrong and what to type instead. */
function usageMessage(message: string, argv: readonly string[]): string {
  // The command: a known one wherever it stands (options may come first), else the first word.
  const command = argv.find((arg) => COMMANDS.includes(arg)) ?? argv.find((arg) => !arg.startsWith('-'));
  if (command !== undefined && !COMMANDS.includes(command) && message.startsWith('Unknown argument')) {
    return `unknown command "${command}"; commands: ${COMMANDS.join(', ')} (slatelab --help shows them)`;
  }
  if (message.startsWith('Not enough non-option arguments')) {
    if (command === 'run') return 'run: name an experiment config, e.g. slatelab run experiments/quickstart.yaml';
    if (command === 'resume' || command === 'report') return `${command}: name an experiment's results directory, e.g. slatelab ${command} results/quickstart/20261130-101500`;
    if (command === 'compare') return 'compare: name two results directories, e.g. slatelab compare results/a/20261130-101500 results/b/20261130-103000';
  }
  const unknown = /^Unknown arguments?: (.*)$/.exec(message);
  if (unknown) {
    const help = `slatelab${command ? ` ${command}` : ''} --help`;
    const names = unknown[1].split(', ');
    // yargs names options without their dashes (and --no-x as x, -xy as x and y): the names
    // typed with dashes are options, the others stray words.
    const typed = (name: string): string | undefined =>
      name.length === 1
        ? argv.find((arg) => /^-[A-Za-z]+$/.test(arg) && arg.includes(name)) && `-${name}`
        : argv.map((arg) => arg.replace(/=.*$/, '')).find((arg) => arg === `--${name}` || arg === `--no-${name}`);
    const options = names.filter((name) => typed(name) !== undefined).map((name) => typed(name)!);
    const words = names.filter((name) => !typed(name));
    if (options.length > 0) return `unknown option ${options.join(', ')}; ${help} lists the options`;
    return `unexpected argument ${words.map((word) => `"${word}"`).join(', ')}; ${help} shows what ${command ?? 'slatelab'} takes`;
  }
  return message;
}

/** An option given once, with a value (yargs gives '' for a bare `--out` and an array for a repeated one). */
function singleString(option: string, value: unknown, what: string, example: string): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new UsageError(`${option}: given ${value.length} times; give it once`);
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`${option}: needs ${what}, e.g. ${option} ${example}`);
  return value;
}

/** A positive decimal number, as typed. */
function positiveNumber(option: string, value: unknown): number | undefined {
  const text = singleString(option, value, 'a positive number', '4');
  if (text === undefined) return undefined;
  const number = Number(text);
  if (!/^\s*(\d+\.?\d*|\.\d+)\s*$/.test(text) || !(number > 0)) throw new UsageError(`${option}: expected a positive number, got "${text}"`);
  return number;
}

/** A list option given with at least one non-empty value. */
function nonEmptyList(option: string, value: string[] | undefined, what: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (value.length === 0 || value.some((item) => item.trim() === '')) throw new UsageError(`${option}: needs ${what}`);
  return value;
}

/** A whole number >= 1 written in decimal, as typed (the message echoes the user's text). */
function positiveInt(option: string, value: unknown): number | undefined {
  const text = singleString(option, value, 'a whole number >= 1', '4');
  if (text === undefined) return undefined;
  const number = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(number) || number < 1) {
    throw new UsageError(`${option}: expected a whole number >= 1, got "${text}"`);
  }
  return number;
}

/** --backend: one of the backends, or absent (the config's, default wasm). */
function backendOption(value: unknown): BackendName | undefined {
  if (value === undefined) return undefined;
  const text = singleString('--backend', value, 'a backend', 'wasm');
  if (!(BACKENDS as readonly string[]).includes(text ?? '')) throw new UsageError(`--backend: "${text}" is not a backend; use one of ${BACKENDS.join(', ')}`);
  return text as BackendName;
}

async function runCommand(
  file: string,
  options: ConfigOverrides & { out?: string; threads?: number; maxMemory?: number; dryRun?: boolean },
  io: Io,
  registries: Registries,
  verbose: boolean,
): Promise<number> {
  const config = loadConfig(file, registries, options);
  const progress = progressTo(io);
  const runs = config.agents.length * config.seeds.length;
  // Capped at the cores, with a warning, once: runExperiment gets the capped number.
  const threads = threadCount(options.threads, runs, { line: (text) => io.stderr(`slatelab: ${text}\n`) });
  const memory = estimateMemory(config, registries);
  if (options.dryRun) return dryRun(config, registries, memory, threads, options.maxMemory, io);
  plan(() => checkMemory(memory, threads, options.maxMemory));
  const outDir = claim(() => (options.out === undefined ? claimDefaultOutDir(config.name, new Date()) : claimOutDir(options.out)));
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  io.stderr(
    `${config.name}: ${count(config.agents.length, 'agent')} x ${count(config.seeds.length, 'seed')} x ` +
      `${count(config.evaluation.episodes, 'episode')} in ${config.world.preset} (${count(runs, 'run')})\n`,
  );
  const outcome = await withInterrupt(io, (signal) =>
    runExperiment({ config, outDir, registries, configFile: file, progress, verbose, threads, signal, claimed: true }),
  );
  return finishCommand(outcome, config, io);
}

/** Progress on stderr: one live line rewritten on a terminal, plain lines otherwise. */
function progressTo(io: Io): Progress {
  // The live line is cut to the terminal's width: a wrapped line would leave its first rows behind.
  // A terminal whose size is not set says 0 columns: 80 then.
  const width = () => Math.max(20, (process.stderr.columns || 80) - 1);
  return io.stderrIsTTY
    ? { line: (text) => io.stderr(`\r\x1b[K${text}\n`), update: (text) => io.stderr(`\r\x1b[K${fitLine(text, width())}`) }
    : { line: (text) => io.stderr(`${text}\n`) };
}

/**
 * Runs `work` with Ctrl-C (and SIGTERM) handled: once, stop starting runs, stop the workers and
 * summarise the runs that finished; twice, quit at once (the finished runs' records and the
 * manifest are on disk already).
 */
async function withInterrupt<T>(io: Io, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const interrupt = new AbortController();
  const onInterrupt = (signal: NodeJS.Signals) => {
    if (interrupt.signal.aborted) process.exit(130);
    const again = signal === 'SIGINT' ? 'Ctrl-C again' : `${signal} again`;
    io.stderr(`\nslatelab: interrupted; writing the summary of the runs that finished (${again} to quit now)\n`);
    interrupt.abort();
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  try {
    return await work(interrupt.signal);
  } finally {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }
}

/** What `run` and `resume` print at the end, and their exit code. */
function finishCommand(outcome: ExperimentOutcome, config: ExperimentConfig, io: Io): number {
  const runs = config.agents.length * config.seeds.length;
  const outDir = outcome.outDir;
  io.stdout(`\nresults: ${outDir} (open ${join(outDir, 'report.html')} in a browser, or read ${join(outDir, 'report.md')})\n\n${summaryText(outcome.summary)}`);
  if (outcome.truncatedEpisodes > 0) {
    io.stderr(
      `slatelab: warning: ${outcome.truncatedEpisodes} episodes were cut at evaluation.maxStepsPerEpisode ` +
        `(${config.evaluation.maxStepsPerEpisode} steps) before the world ended them; raise it if they should run to the end\n`,
    );
  }
  if (outcome.cutTrainingEpisodes > 0) {
    io.stderr(
      `slatelab: warning: ${outcome.cutTrainingEpisodes} training episodes were cut at evaluation.maxStepsPerEpisode ` +
        `(${config.evaluation.maxStepsPerEpisode} steps) before the world ended them; raise it if they should run to the end\n`,
    );
  }
  if (outcome.failures.length > 0) {
    io.stderr(`slatelab: ${outcome.failures.length} of ${runs} runs failed; see ${outDir}/manifest.json (failures); slatelab resume ${outDir} runs them again\n`);
  }
  if (outcome.interrupted.length > 0) {
    const finishedRuns = runs - outcome.interrupted.length - outcome.failures.length;
    io.stderr(`slatelab: interrupted: ${finishedRuns} of ${runs} runs finished; the summary covers them (${outDir}); slatelab resume ${outDir} finishes the rest\n`);
    return 130;
  }
  return outcome.failures.length > 0 ? 1 : 0;
}

async function resumeCommand(dir: string, requested: number | undefined, maxMemory: number | undefined, io: Io, registries: Registries, verbose: boolean): Promise<number> {
  const progress = progressTo(io);
  const config = experimentDirSync(() => {
    const manifest = readManifest(dir);
    checkKinds(dir, manifest.config, registries);
    return manifest.config;
  });
  const threads = threadCount(requested, config.agents.length * config.seeds.length, { line: (text) => io.stderr(`slatelab: ${text}\n`) });
  plan(() => checkMemory(estimateMemory(config, registries), threads, maxMemory));
  const outcome = await experimentDir(() =>
    withInterrupt(io, (signal) => resumeExperiment(dir, { registries: registries === defaultRegistries ? undefined : registries, progress, verbose, threads, signal })),
  );
  return finishCommand(outcome, outcome.config, io);
}

async function reportCommand(dir: string, io: Io, registries: Registries): Promise<number> {
  const rebuilt = await experimentDir(() => rebuildReports(dir, { registries: registries === defaultRegistries ? undefined : registries }));
  const total = rebuilt.config.agents.length * rebuilt.config.seeds.length;
  io.stdout(`report: ${dir} (${rebuilt.runs} of ${total} runs; open ${join(dir, 'report.html')} in a browser)\n\n${summaryText(rebuilt.summary)}`);
  if (rebuilt.missing.length > 0) io.stderr(`slatelab: ${rebuilt.missing.length} runs are missing from the summary; slatelab resume ${dir} runs them\n`);
  return 0;
}

async function compareCommand(a: string, b: string, io: Io): Promise<number> {
  try {
    io.stdout(comparisonText(compareExperiments(a, b)));
  } catch (error) {
    if (error instanceof CompareError) throw new UsageError(error.message);
    throw error;
  }
  return 0;
}

/** `run --dry-run`: the runs with their memory and time, from a short timed sample; nothing is written. */
async function dryRun(config: ExperimentConfig, registries: Registries, memory: RunMemory[], threads: number, maxMemory: number | undefined, io: Io): Promise<number> {
  if (config.agents.some((agent) => registries.agents?.[agent.kind]?.nets)) {
    const { useBackend } = await import('../agents/nets/backend.ts');
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

/** Plans that do not fit are the user's to fix: exit 2, one line. */
function plan(action: () => void): void {
  try {
    action();
  } catch (error) {
    if (error instanceof PlanError) throw new UsageError(error.message);
    throw error;
  }
}

/** --max-memory: a size like 6G, 800M or 2e9 (bytes). */
function bytesOption(value: unknown): number | undefined {
  const text = singleString('--max-memory', value, 'a size', '6G');
  if (text === undefined) return undefined;
  const bytes = parseBytes(text);
  if (bytes === null) throw new UsageError(`--max-memory: expected a size like 6G, 800M or 2e9 (bytes), got "${text}"`);
  return bytes;
}

function experimentDirSync<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof ExperimentDirError) throw new UsageError(error.message);
    throw error;
  }
}

/** A directory that is not an experiment's results is the user's to fix: exit 2, one line. */
async function experimentDir<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof ExperimentDirError || error instanceof LockError) throw new UsageError(error.message);
    throw error;
  }
}

/** Output-directory problems are the user's to fix: exit 2, one line. */
function claim(action: () => string): string {
  try {
    return action();
  } catch (error) {
    if (error instanceof OutDirError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * `calibrate`: the feed (the default one, or a config's with its seeds) under a fixed policy, next
 * to the published figures (lab/calibrate.ts). Progress on stderr, one line per (policy, seed).
 */
function calibrateCommand(options: { config?: string; policy: string; episodes: number; json: boolean }, io: Io, registries: Registries): number {
  const { policy, episodes } = options;
  if (!Object.hasOwn(registries.policies, policy)) {
    const known = Object.keys(registries.policies);
    const learns = registries.agents && Object.hasOwn(registries.agents, policy);
    const hint = suggest(policy, known);
    throw new UsageError(
      learns
        ? `--policy: "${policy}" is a learning agent; calibrate measures a fixed policy: ${known.join(', ')}`
        : `--policy: unknown policy "${policy}"; choices: ${known.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`,
    );
  }
  let params: FeedParams = defaultParams(feed.params);
  let experiment = 0;
  let runs: readonly number[] = DEFAULT_CALIBRATION_RUNS;
  if (options.config !== undefined) {
    const config = loadConfig(options.config, registries);
    if (config.world.preset !== feed.name) {
      throw new UsageError(`${options.config}: world.preset: calibrate needs the feed world (preset: feed), got "${config.world.preset}"`);
    }
    params = config.world.params as FeedParams;
    experiment = config.seed;
    runs = config.seeds;
  }
  if (episodes * runs.length > MAX_CALIBRATION_USERS) {
    throw new UsageError(
      `--episodes: ${episodes} users x ${runs.length} seeds is more than ${MAX_CALIBRATION_USERS} users (calibrate keeps every video impression in memory); ` +
        `lower --episodes${options.config === undefined ? '' : ' or list fewer seeds in the config'}`,
    );
  }
  // Policies the figures are published under (random, greedy-pctr) are run too: take them from the
  // registry, or the built-in ones where an injected registry lacks them.
  const policies = { ...defaultRegistries.policies, ...registries.policies };
  const spec = feed.create(params, { seed: { experiment, run: runs[0] }, batchSize: 1 }).spec;
  for (const name of calibrationPolicies(policy)) {
    const why = policies[name].unsupported?.(spec);
    if (why) throw new UsageError(`--policy: ${name} cannot run in this feed: ${why}`);
  }
  const calibration = runCalibration(
    { params, configFile: options.config ?? null, experiment, runs, episodes, policy, policies },
    (line) => io.stderr(`${line}\n`),
  );
  io.stdout(options.json ? calibrationJson(calibration) : calibrationText(calibration));
  return 0;
}

function paramLines(specs: ParamSpecs, indent: string): string[] {
  const names = Object.keys(specs);
  if (names.length === 0) return [`${indent}(no parameters)`];
  const width = Math.max(...names.map((name) => name.length));
  const lines: string[] = [];
  for (const name of names) {
    const spec = specs[name];
    if (spec.type === 'group') {
      lines.push(`${indent}${name}: ${spec.doc}`);
      lines.push(...paramLines(spec.params, `${indent}  `));
    } else {
      lines.push(`${indent}${name.padEnd(width)}  ${describeParam(spec)}`);
    }
  }
  return lines;
}

function listCommand(io: Io, registries: Registries): number {
  const lines: string[] = ['Worlds (config: world.preset, parameters under world.params)', ''];
  for (const [name, world] of Object.entries(registries.worlds)) {
    lines.push(`  ${name}: ${world.summary}`, ...paramLines(world.params, '      '), ...observationLines(world), '');
  }
  lines.push('Policies (config: agents[].kind, parameters under agents[].params)', '');
  for (const [name, policy] of Object.entries(registries.policies)) {
    const flag = policy.evaluationOnly ? ' [evaluation only: reads ground truth]' : '';
    lines.push(`  ${name}${flag}: ${policy.summary}`, ...paramLines(policy.params, '      '), '');
  }
  lines.push('Agents that learn (config: agents[].kind, hyper-parameters under agents[].params; they need a training block)', '');
  for (const [name, agent] of Object.entries(registries.agents ?? {})) {
    lines.push(`  ${name} [${agent.family}]: ${agent.summary}`, `      learns: ${agent.learns}`, ...paramLines(agent.params, '      '), '');
  }
  lines.push(
    'Training (config: training, for configs with learning agents)',
    '',
    '  steps         budget: user-steps of training per run (or episodes; give one)',
    '  episodes      budget: training episodes per run',
    `  batchSize     users stepping together while training; the agent updates once per round of them, so learning depends on it (default 64)`,
    '  evalEvery     training steps between checkpoints (default: steps / 20; needed with an episodes budget)',
    '  evalEpisodes  evaluation episodes per checkpoint (default: min(100, evaluation.episodes))',
    '',
  );
  io.stdout(`${lines.join('\n')}`);
  return 0;
}

/** What a recommender sees in a world at its default parameters (WorldSpec.observationLayout). */
function observationLines(world: Registries['worlds'][string]): string[] {
  const spec = world.create(defaultParams(world.params), { seed: { experiment: 0, run: 0 }, batchSize: 1 }).spec;
  const layout = spec.observationLayout;
  const columns = (names: readonly string[]): string =>
    names.length === 0 ? 'none' : names.length > 8 ? `${names.slice(0, 3).join(', ')}, ..., ${names.slice(-4).join(', ')} (${names.length})` : names.join(', ');
  const lines = [
    '      observation (at the default parameters):',
    `        userFeatures: ${layout.userFeatures.length === 0 ? '' : `${columns(layout.userFeatures)}: `}${layout.userFeaturesDoc}`,
    `        itemFeatures: ${columns(layout.itemFeatures)}`,
    `        context: ${layout.contextDoc}`,
  ];
  for (const field of layout.fields) {
    const codes = field.categories ? ` (${field.categories.map((name, code) => `${code} ${name}`).join(', ')})` : '';
    lines.push(`        fields.${field.name} [per ${field.scope}]: ${field.doc}${codes}`);
  }
  return lines;
}

/** `bench --against DIR`: each case in this tree and in DIR, side by side. */
async function benchAgainstCommand(bench: BenchModule, dir: string, keys: readonly string[], json: boolean, io: Io): Promise<number> {
  if (!existsSync(join(dir, 'sim', 'presets', 'index.ts'))) {
    throw new UsageError(`--against: ${dir} is not a slatelab checkout (no sim/presets/index.ts); make one with: git worktree add ${dir} <commit>`);
  }
  if (!bench.compareTrees) throw new UsageError('--against: this version of bench/benchmarks.ts cannot compare');
  const results: Record<string, unknown> = {};
  const rows = [['world/policy', 'this tree', 'other tree', 'ratio this/other', 'middle half of ratios']];
  const skipped: string[] = [];
  for (const key of keys) {
    io.stderr(`${key}: comparing...\n`);
    let c: Awaited<ReturnType<NonNullable<BenchModule['compareTrees']>>>;
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
    rows.push([key, String(c.thisTree), String(c.otherTree), c.ratio.toFixed(3), `${c.ratioQuartiles[0].toFixed(3)}-${c.ratioQuartiles[1].toFixed(3)}`]);
  }
  if (json) io.stdout(`${JSON.stringify(results)}\n`);
  else {
    io.stdout(`\n${textTable(rows)}\nmedians of alternating 100 ms windows (steps/s); ratios taken pair by pair\n`);
    for (const line of skipped) io.stdout(`skipped ${line}\n`);
  }
  return 0;
}

interface BenchModule {
  runBenchmarks(options: {
    seconds?: number;
    only?: readonly string[];
    onResult?: (key: string, stepsPerSecond: number, windows: readonly number[]) => void;
  }): Promise<Record<string, { stepsPerSecond: number; windows: number[] }>>;
  benchCases?: readonly { world: string; policy: string; target?: number; training?: unknown; acting?: unknown; fitStep?: unknown }[];
  compareTrees?(
    otherDir: string,
    key: string,
  ): Promise<{ thisTree: number; otherTree: number; ratio: number; ratioQuartiles: readonly [number, number]; pairs: number }>;
}

async function benchCommand(options: { json: boolean; seconds?: number; only?: string[]; against?: string }, io: Io): Promise<number> {
  // Loaded lazily: only `bench` needs it (and the rest of the CLI works without it).
  const modulePath = '../bench/benchmarks.ts';
  const bench = (await import(modulePath)) as BenchModule;
  const known = bench.benchCases?.map((c) => `${c.world}/${c.policy}`);
  for (const key of options.only ?? []) {
    if (known && key !== OVERHEAD_KEY && !known.includes(key)) throw new UsageError(`--only: no benchmark "${key}"; known: ${[...known, OVERHEAD_KEY].join(', ')}`);
  }
  if (options.against !== undefined) return benchAgainstCommand(bench, options.against, options.only ?? known ?? [], options.json, io);
  const results = await bench.runBenchmarks({
    seconds: options.seconds,
    only: options.only,
    onResult: (key, rate) => io.stderr(`${key}: ${Math.round(rate)} steps/s\n`),
  });
  if (options.json) {
    // Exactly {"<world>/<policy>": {"stepsPerSecond": n}}: the shape scripts rely on.
    const medians = Object.fromEntries(Object.entries(results).map(([key, { stepsPerSecond }]) => [key, { stepsPerSecond }]));
    io.stdout(`${JSON.stringify(medians)}\n`);
    return 0;
  }
  const targets = new Map(bench.benchCases?.map((c) => [`${c.world}/${c.policy}`, c.target]));
  const casesWith = (field: 'training' | 'acting' | 'fitStep') => new Set(bench.benchCases?.filter((c) => c[field] !== undefined).map((c) => `${c.world}/${c.policy}`));
  const training = casesWith('training');
  const acting = casesWith('acting');
  const fitStep = casesWith('fitStep');
  const rows = [['world/policy', 'steps/s', 'windows (min-max)', 'vs RecSim (8.4k/s)', 'target']];
  for (const [key, { stepsPerSecond, windows }] of Object.entries(results)) {
    const target = targets.get(key);
    const verdict = target === undefined ? '' : `${target} ${stepsPerSecond >= target ? 'met' : 'NOT met'}`;
    const spread = `${windows[0]}-${windows[windows.length - 1]}`;
    // RecSim's figure is of a world stepping alone: no yardstick for an agent or a network.
    const recsim = training.has(key) || acting.has(key) || fitStep.has(key) ? '' : `${(stepsPerSecond / RECSIM_STEPS_PER_SECOND).toFixed(1)}x`;
    const rate = fitStep.has(key) ? `${Math.round(stepsPerSecond)} (${(1000 / stepsPerSecond).toFixed(2)} ms/step)` : String(Math.round(stepsPerSecond));
    rows.push([key, rate, spread, recsim, verdict]);
  }
  const keys = Object.keys(results);
  if (keys.length > 0) io.stdout(`\n${textTable(rows)}\n`);
  if (keys.some((key) => training.has(key))) {
    io.stdout('<agent>:train: user-steps/s while training (act, step, observe, update every round; batch 64)\n');
  }
  if (keys.some((key) => acting.has(key))) io.stdout('<agent>:act: user-steps/s of a trained agent acting in evaluation (batch 64)\n');
  if (keys.some((key) => fitStep.has(key))) {
    io.stdout('<agent>:fit-step: Adam steps/s of the multi-task network at the ranker\'s defaults (batch 512); ms per step = 1000 / rate\n');
  }
  // On a shared machine the windows can differ by more than the versions being compared.
  if (keys.length > 0) io.stdout('median of the windows; on a shared machine compare versions side by side, as ratios\n');
  if (!options.only || options.only.includes(OVERHEAD_KEY)) {
    const overheadPath = '../bench/runner-overhead.ts';
    const { runnerOverhead, QUICK_START } = (await import(overheadPath)) as typeof import('../bench/runner-overhead.ts');
    io.stderr(`${OVERHEAD_KEY}: running ${QUICK_START} three times on one thread\n`);
    const overhead = await runnerOverhead();
    const percent = (share: number) => `${(100 * share).toFixed(1)}%`;
    io.stdout(
      `\nrunner overhead on the quick start (${QUICK_START}, one thread, charts and reports included, from the ${overhead.code === 'dist' ? 'build in dist/' : 'sources'}): ${percent(overhead.share)} ` +
        `(repeats ${overhead.shares.map(percent).join(', ')}; median wall ${overhead.wallSeconds.toFixed(2)} s, of which in runs ${overhead.runSeconds.toFixed(2)} s; target under 5%)\n`,
    );
  }
  return 0;
}

/** `bench --only runner/quickstart`: only the runner's overhead on the quick start. */
const OVERHEAD_KEY = 'runner/quickstart';
