// Runs an experiment: every (agent, seed) pair, each trained (learning agents) and evaluated
// through the one loop (lab/loop/agent-run.ts, lab/loop/rollout.ts), on a pool of worker threads (lab/run/pool.ts). A
// run's files are written as soon as it ends and the manifest then lists it; a run that throws is
// recorded and skipped. At the end the summary, charts and reports are built from the files of
// the runs that finished (lab/report/outputs.ts), as `slatelab resume` and `slatelab report` build them.
//
// Results are a function of the config alone: the world seeds its streams per episode from
// (experiment seed, run seed), the policy's per-episode streams are named by the agent, and the
// loop hands episodes to rows in order, so neither batch size, thread count nor wall clock enters
// the numbers.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { warmRenderers } from '../report/charts.ts';
import { defaultRegistries, type ExperimentConfig, type Registries } from '../config/config.ts';
import { runTasks, startWorkers, stopSpareWorkers, type Task, type TaskOutcome } from './pool.ts';
import { withLock } from './lock.ts';
import { claimOutDir } from '../store/outdir.ts';
import { ExperimentStatus, type Progress } from './progress.ts';
import { loadTQuantile } from '../../eval/stats.ts';
import { environmentInfo } from '../store/provenance.ts';
import { writeFileAtomic } from '../store/atomic.ts';
import { writeManifest, type Manifest, type Provenance, type ResumeRecord, type RunEntry } from '../store/manifest.ts';
import type { FailureRecord, Summary } from '../store/summary.ts';
import { curveJsonl, episodeJsonl } from '../store/run-records.ts';
import { savedAgentPath, savedAgentText, type SavedAgentMeta } from '../store/saved-agent-file.ts';
import { aggregateRun, runKey, writeOutputs, type RunAggregate } from '../report/outputs.ts';
import { worldShape, type WorldShape } from '../config/world-shape.ts';
import { CORE_METRICS, type RunProgress, type RunResult } from '../loop/agent-run.ts';

export type { Progress };

export interface RunExperimentOptions {
  readonly config: ExperimentConfig;
  /** What validation learnt of the config's world (validateExperiment); learnt here from a one-row world if absent. */
  readonly shape?: WorldShape;
  readonly outDir: string;
  /** Injected registries (tests) run in-process: worker threads load the default registries. */
  readonly registries?: Registries;
  /** The config file, recorded in the manifest. */
  readonly configFile?: string;
  readonly progress?: Progress;
  /** Include stack traces of failed runs in progress output. */
  readonly verbose?: boolean;
  /** Worker threads (default: the machine's cores, at most one per run); runs always go on workers. */
  readonly threads?: number;
  /** Skip the charts (SVG, PNG), e.g. for quick tests: the reports then show none. */
  readonly charts?: boolean;
  /**
   * Interrupts the experiment (Ctrl-C): no run starts any more, runs on worker threads stop at
   * once, and the results cover the runs that finished.
   */
  readonly signal?: AbortSignal;
  /**
   * Runs that finished before (`slatelab resume`): kept as they are, and only the other (agent,
   * seed) pairs run. Their files must be in outDir.
   */
  readonly done?: readonly RunEntry[];
  /**
   * With `done`: the manifest's provenance as the experiment's start wrote it (slatelab, node,
   * dependencies, git, code, networks) and the resumes before this one. The manifest keeps it and
   * adds this resume's provenance to `resumes`, so runs made by another version stay visible.
   */
  readonly earlier?: { readonly provenance: Provenance; readonly resumes: readonly ResumeRecord[] };
  /**
   * The caller has claimed outDir already (the CLI, through claimOutDir). Otherwise a new run
   * claims it as `slatelab run --out` does: it must be new or empty (results are never written
   * over), or the experiment is refused with an OutDirError. A resume (`done`) takes its own.
   */
  readonly claimed?: boolean;
}

export interface ExperimentOutcome {
  readonly outDir: string;
  readonly summary: Summary;
  readonly failures: readonly FailureRecord[];
  /** Episodes cut short by evaluation.maxStepsPerEpisode, over all runs. */
  readonly truncatedEpisodes: number;
  /** Training episodes cut short by evaluation.maxStepsPerEpisode, over all runs. */
  readonly cutTrainingEpisodes: number;
  /**
   * Wall time spent inside the runs that ran now (building worlds and agents, simulating,
   * learning, evaluating), summed over runs: the rest of the experiment's time is the runner's
   * overhead (npm run bench measures it). Progress and the bench only: never in the results.
   */
  readonly runSeconds: number;
  /** (agent, seed) runs that did not finish because the experiment was interrupted (empty otherwise). */
  readonly interrupted: readonly { agent: string; seed: number }[];
}

export { CORE_METRICS };

/** The backend and TensorFlow.js version when an agent of the config has networks (the manifest records them), else null. */
async function backendInfo(config: ExperimentConfig, registries: Registries): Promise<{ backend: string; tfjs: string } | null> {
  if (!config.agents.some((agent) => registries.agents?.[agent.kind]?.nets)) return null;
  const tf = await import('@tensorflow/tfjs');
  return { backend: config.backend, tfjs: tf.version.tfjs };
}

export async function runExperiment(options: RunExperimentOptions): Promise<ExperimentOutcome> {
  if (!options.claimed && !options.done) claimOutDir(options.outDir, 'outDir');
  return withLock(options.outDir, async () => {
    try {
      return await runLocked(options);
    } finally {
      // Threads started for runs that never began (the experiment failed first).
      await stopSpareWorkers();
    }
  });
}

async function runLocked(options: RunExperimentOptions): Promise<ExperimentOutcome> {
  const { config, outDir } = options;
  const registries = options.registries ?? defaultRegistries;
  const progress = options.progress;
  const failures: FailureRecord[] = [];
  const runs: RunEntry[] = [...(options.done ?? [])];
  // Runs finish in any order on the pool; files list them in config order (agent, then seed).
  const agentOrder = new Map(config.agents.map((agent, index) => [agent.name, index]));
  const seedOrder = new Map(config.seeds.map((seed, index) => [seed, index]));
  const runOrder = (run: { agent: string; seed: number }) => agentOrder.get(run.agent)! * config.seeds.length + seedOrder.get(run.seed)!;
  const byRunOrder = (a: { agent: string; seed: number }, b: { agent: string; seed: number }) => runOrder(a) - runOrder(b);
  const done = new Set(runs.map(runOrder));
  const pairs = config.agents
    .flatMap((agent, agentIndex) => config.seeds.map((seed) => ({ agent, agentIndex, seed })))
    .filter((pair) => !done.has(runOrder({ agent: pair.agent.name, seed: pair.seed })));
  // Runs go on worker threads, even one, so the main thread stays free to notice Ctrl-C. Injected
  // registries (tests) cannot reach a worker: those run in-process, one at a time.
  const inProcess = registries !== defaultRegistries;
  const threads = inProcess ? 1 : threadCount(options.threads, pairs.length, progress);
  // The task module (lab/run/run-task.ts: a run and nothing else, so workers load no charts), as .ts
  // from the sources or .js from dist/ (the library build).
  const module = new URL(import.meta.url.endsWith('.ts') ? './run-task.ts' : './run-task.js', import.meta.url).href;
  // Everything before the first run overlaps: the threads start and load the task module, git
  // answers in child processes, and this thread learns the world's shape meanwhile (unless validation did).
  if (!inProcess && pairs.length > 0) startWorkers(threads, module);
  const asked = Promise.all([backendInfo(config, registries), environmentInfo()]);
  // (Awaited below; if worldShape throws first, its rejection must not go unhandled.)
  asked.catch(() => undefined);
  // The world's metric names and record layout, known even if every run fails.
  const shape = options.shape ?? worldShape(config, registries);
  const { spec, metrics } = shape;
  const [networks, environment] = await asked;
  const here = { ...environment, ...(networks ? { networks } : {}) };
  // A resume keeps the start's provenance and says what ran the runs it added (counted as they finish).
  const earlier = options.earlier;
  const doneBefore = options.done?.length ?? 0;
  const provenance = (): Provenance & Pick<Manifest, 'resumes'> => {
    if (!earlier) return here;
    return { ...earlier.provenance, resumes: [...earlier.resumes, { ...here, runs: runs.length - doneBefore }] };
  };
  // False until summary, charts and reports are written: an interrupted experiment's manifest
  // still lists the runs that finished (it is rewritten as each run settles).
  let complete = false;
  // Runs that never finished because the experiment was interrupted (Ctrl-C).
  let interrupted: { agent: string; seed: number }[] = [];
  const manifest = (): Omit<Manifest, 'format'> => ({
    name: config.name,
    configFile: options.configFile ?? null,
    config,
    seeds: config.seeds,
    ...provenance(),
    complete,
    runs: [...runs].sort(byRunOrder),
    failures: [...failures].sort(byRunOrder),
    interrupted,
  });
  writeManifest(outDir, manifest());
  // After each settled run: every time for the first 100 runs, then at most once a second (a
  // timer writes what a skipped refresh left out), so a long experiment does not rewrite a
  // manifest of thousands of runs thousands of times. The clock decides only when the file is
  // refreshed; the final manifest is the same whatever it says.
  let manifestWritten = performance.now();
  let pendingRefresh: NodeJS.Timeout | null = null;
  const rewriteManifest = (): void => {
    if (pendingRefresh !== null) clearTimeout(pendingRefresh);
    pendingRefresh = null;
    writeManifest(outDir, manifest());
    manifestWritten = performance.now();
  };
  const refreshManifest = (): void => {
    const wait = 1000 - (performance.now() - manifestWritten);
    if (runs.length + failures.length <= 100 || wait <= 0) rewriteManifest();
    else pendingRefresh ??= setTimeout(rewriteManifest, wait);
  };

  const total = config.agents.length * config.seeds.length;
  let finished = runs.length;
  let runSeconds = 0;
  const read = new Map<string, RunAggregate>();
  const label = (index: number) => `${pairs[index].agent.name} seed ${pairs[index].seed}`;
  const training = config.training;
  const status = new ExperimentStatus(
    pairs.map(({ agent }) => ({
      agent: agent.name,
      trainSteps: agent.learns && training ? training.steps : null,
      trainEpisodes: agent.learns && training ? training.episodes : null,
      evalEpisodes: config.evaluation.episodes,
    })),
    progress,
    undefined,
    runs.length,
    threads,
  );

  const settle = (index: number, outcome: TaskOutcome<RunResult>, seconds: number | null) => {
    const { agent, seed } = pairs[index];
    finished++;
    status.finished(index, outcome.ok);
    const tag = `[${finished}/${total}] ${label(index)}`;
    const say = (text: string) => {
      progress?.line(text);
      status.printed();
    };
    const fail = (message: string, detail = '') => {
      failures.push({ agent: agent.name, seed, error: message });
      say(`${tag}: FAILED: ${message}${detail}`);
      refreshManifest();
    };
    if (!outcome.ok) {
      fail(outcome.error.message.split('\n')[0], options.verbose && outcome.error.stack ? `\n${outcome.error.stack}` : '');
      return;
    }
    const { episodes: records, curve, totals, state } = outcome.value;
    runSeconds += outcome.value.seconds ?? 0;
    const file = join('runs', agent.name, `seed-${seed}.jsonl`);
    const curveFile = curve ? join('runs', agent.name, `seed-${seed}.curve.jsonl`) : null;
    const agentFile = state ? savedAgentPath(agent.name, seed) : null;
    let aggregate: RunAggregate;
    try {
      // The records last: a run whose records are on disk has all its files (resume relies on it).
      const curveText = curve && curveFile ? curveJsonl(curve, totals) : null;
      if (curveText !== null && curveFile) writeFileAtomic(join(outDir, curveFile), curveText);
      if (state && agentFile) {
        const meta: SavedAgentMeta = {
          experiment: config.name,
          agent: agent.name,
          kind: agent.kind,
          params: agent.params,
          world: config.world,
          experimentSeed: config.seed,
          seed,
          trainedSteps: totals?.steps ?? 0,
          startedFrom: agent.init ? { from: agent.init.from, agent: agent.init.agent } : null,
          networks: registries.agents?.[agent.kind]?.nets ? networks : null,
        };
        writeFileAtomic(join(outDir, agentFile), savedAgentText(meta, state));
      }
      const recordsText = episodeJsonl(records, spec);
      writeFileAtomic(join(outDir, file), recordsText);
      // What the summary takes from the files, from their text now (while the next run goes), as
      // it would read them back; the progress line says the same numbers.
      aggregate = aggregateRun(recordsText, curveText, spec, metrics, file);
      read.set(runKey({ agent: agent.name, seed }), aggregate);
    } catch (error) {
      // Saving one run went wrong (a full disk, say): that run fails, the experiment goes on.
      fail(`could not save the run's records: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`);
      return;
    }
    const { truncatedEpisodes } = aggregate;
    runs.push({ agent: agent.name, seed, file, ...(curveFile ? { curveFile } : {}), ...(agentFile ? { agentFile } : {}), episodes: records.length, truncatedEpisodes });
    refreshManifest();
    const time = seconds === null ? '' : ` (${seconds.toFixed(1)} s)`;
    const trained = totals ? `trained ${totals.steps} steps${totals.onlineRegret !== null ? ` (online regret ${totals.onlineRegret.toPrecision(4)})` : ''}, ` : '';
    const cut =
      (truncatedEpisodes === 0 ? '' : `; WARNING: ${truncatedEpisodes} episodes cut at evaluation.maxStepsPerEpisode (${config.evaluation.maxStepsPerEpisode} steps)`) +
      (totals && totals.cutEpisodes > 0 ? `; WARNING: ${totals.cutEpisodes} training episodes cut at evaluation.maxStepsPerEpisode (${config.evaluation.maxStepsPerEpisode} steps)` : '');
    say(`${tag}: ${trained}${records.length} episodes, return ${aggregate.means.return.toPrecision(5)}${time}${cut}`);
  };

  const unsettledRuns = () => {
    const settled = new Set([...runs, ...failures].map(runOrder));
    return pairs.map(({ agent, seed }) => ({ agent: agent.name, seed })).filter((run) => !settled.has(runOrder(run)));
  };
  // On Ctrl-C the manifest says at once what finished and what did not: a second Ctrl-C quits
  // without waiting for the summary. (The final manifest below says it again, exactly.)
  const onAbort = () => {
    interrupted = unsettledRuns();
    rewriteManifest();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const tasks: Task[] = pairs.map(({ agentIndex, seed }) =>
    inProcess ? { module, fn: 'runOne', args: [config, agentIndex, seed, registries] } : { module, fn: 'runOneReporting', args: [config, agentIndex, seed] },
  );
  if (threads > 1) progress?.line(`running ${pairs.length} runs on ${threads} worker threads`);
  // One thread: runs follow each other, so each one's time is the time since the last ended
  // (progress display only; never enters results).
  let lastSettled = performance.now();
  // The chart renderers load and warm up while the runs go (a second of imports and compiling the
  // end need not wait for); a failure shows when the charts are drawn.
  const warming = options.charts !== false ? warmRenderers().catch(() => undefined) : null;
  // So does the t quantile the summary needs (eval/stats.ts), once the runs are handed out (the
  // load blocks this thread for a moment). An error shows when the summary is made.
  setImmediate(() => {
    try {
      loadTQuantile();
    } catch {
      // (shown by the summary)
    }
  });
  status.start();
  try {
    await runTasks<RunResult>(tasks, threads, {
      workers: !inProcess,
      signal: options.signal,
      onProgress: progress ? (index, value) => status.running(index, value as RunProgress) : undefined,
      onStarted: (index) => status.started(index),
      onSettled: (index, outcome) => {
        const now = performance.now();
        settle(index, outcome, threads === 1 ? (now - lastSettled) / 1000 : null);
        lastSettled = now;
      },
    });
  } finally {
    status.stop();
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (options.signal?.aborted) interrupted = unsettledRuns();

  const sortedFailures = [...failures].sort(byRunOrder);
  // The reports list interrupted runs with the failed ones: either way their seeds are missing.
  const missing = [...sortedFailures, ...interrupted.map((run) => ({ ...run, error: 'did not finish: the experiment was interrupted' }))];
  await warming;
  // The reports show what started the experiment: a resume keeps the start's provenance, so its
  // reports are the same bytes as an uninterrupted run's.
  const started = earlier ? earlier.provenance : here;
  const listed = [...runs].sort(byRunOrder);
  const charts = options.charts !== false;
  const outputs = await writeOutputs(outDir, config, shape, registries, listed, missing, charts, read, started);
  complete = interrupted.length === 0;
  rewriteManifest();
  return { outDir, ...outputs, failures: sortedFailures, interrupted, runSeconds };
}

/**
 * Worker threads: the cores by default, never more (more threads than cores only share the same
 * cores, slower and with more memory: each thread holds its runs' worlds), never more than the runs.
 */
export function threadCount(requested: number | undefined, runs: number, progress?: Progress): number {
  const cores = availableParallelism();
  if (requested !== undefined && requested > cores) {
    progress?.line(`warning: ${requested} threads asked for, but this machine has ${cores} cores; using ${cores} (more threads than cores only slow runs down and use more memory)`);
  }
  return Math.max(1, Math.min(requested ?? cores, cores, runs));
}


