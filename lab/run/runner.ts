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
import { warmRenderers } from '../report/charts.ts';
import { defaultRegistries, reachWorkers, type Registries } from '../config/registries.ts';
import { userCodeOf } from '../config/user-code.ts';
import type { ExperimentConfig } from '../config/config.ts';
import { runTasks, startWorkers, stopSpareWorkers, type Task, type TaskOutcome } from './pool.ts';
import { withLock } from '../store/lock.ts';
import { claimOutDir } from '../store/outdir.ts';
import { ExperimentStatus, type Progress } from './progress.ts';
import { loadTQuantile } from '../../eval/stats.ts';
import { environmentInfo } from '../store/provenance.ts';
import { startSession } from '../store/timeline.ts';
import type { Provenance, ResumeRecord, RunEntry } from '../store/manifest.ts';
import type { FailureRecord, Summary } from '../store/summary.ts';
import { saveRunFiles, type SavedRun } from '../store/run-files.ts';
import { ManifestLog } from './manifest-log.ts';
import { pendingRuns, type Shard, shardRuns } from './run-order.ts';
import { aggregateRun, runKey, writeOutputs, type RunAggregate } from '../report/outputs.ts';
import { worldShape, type WorldShape } from '../config/world-shape.ts';
import type { RunProgress, RunResult } from '../loop/agent-run.ts';

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
  /** Run only this slice of the runs (`slatelab run --shard i/n`); the manifest records it. */
  readonly shard?: Shard;
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

/**
 * The backend and TensorFlow.js version when an agent of the config has networks (the manifest records them), else
 * null.
 */
async function backendInfo(
  config: ExperimentConfig,
  registries: Registries,
): Promise<{ backend: string; tfjs: string } | null> {
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
  const { config, outDir, progress } = options;
  const registries = options.registries ?? defaultRegistries;
  const pending = pendingRuns(config, options.done ?? [], options.shard);
  // Runs go on worker threads, even one, so the main thread stays free to notice Ctrl-C. Injected
  // registries (tests) cannot reach a worker: those run in-process, one at a time.
  const inProcess = !reachWorkers(registries);
  const threads = inProcess ? 1 : threadCount(options.threads, pending.length, progress);
  // The task module (lab/run/run-task.ts: a run and nothing else, so workers load no charts), as .ts
  // from the sources or .js from dist/ (the library build).
  const module = new URL(import.meta.url.endsWith('.ts') ? './run-task.ts' : './run-task.js', import.meta.url).href;
  // Everything before the first run overlaps: the threads start and load the task module, git
  // answers in child processes, and this thread learns the world's shape meanwhile (unless validation did).
  if (!inProcess && pending.length > 0) startWorkers(threads, module, config.evaluation.workerHeapMb);
  const asked = Promise.all([backendInfo(config, registries), environmentInfo()]);
  // (Awaited below; if worldShape throws first, its rejection must not go unhandled.)
  asked.catch(() => undefined);
  // The world's metric names and record layout, known even if every run fails.
  const shape = options.shape ?? worldShape(config, registries);
  const [networks, environment] = await asked;
  const log = new ManifestLog({
    outDir,
    config,
    configFile: options.configFile ?? null,
    here: { ...environment, ...(networks ? { networks } : {}) },
    earlier: options.earlier,
    done: options.done,
    userCode: registries.userKinds ? userCodeOf(registries.userKinds) : undefined,
    shard: options.shard,
  });
  log.write();
  // Host and times go to timeline.json, apart from the results (lab/store/timeline.ts).
  const session = startSession(outDir, options.earlier ? 'resume' : 'run', { shard: options.shard });

  const total = shardRuns(config, options.shard).length;
  let finished = log.runs.length;
  let runSeconds = 0;
  const read = new Map<string, RunAggregate>();
  const training = config.training;
  const status = new ExperimentStatus(
    pending.map(({ agent }) => ({
      agent: agent.name,
      trainSteps: agent.learns && training ? training.steps : null,
      trainEpisodes: agent.learns && training ? training.episodes : null,
      evalEpisodes: config.evaluation.episodes,
    })),
    progress,
    undefined,
    log.runs.length,
    threads,
  );

  const settle = (index: number, outcome: TaskOutcome<RunResult>, seconds: number | null) => {
    const { agent, seed } = pending[index];
    finished++;
    status.finished(index, outcome.ok);
    const tag = `[${finished}/${total}] ${agent.name} seed ${seed}`;
    const say = (text: string) => {
      progress?.line(text);
      status.printed();
    };
    const fail = (message: string, detail = '') => {
      log.failures.push({ agent: agent.name, seed, error: message });
      say(`${tag}: FAILED: ${message}${detail}`);
      log.refresh();
    };
    if (!outcome.ok) {
      fail(
        outcome.error.message.split('\n')[0],
        options.verbose && outcome.error.stack ? `\n${outcome.error.stack}` : '',
      );
      return;
    }
    runSeconds += outcome.value.seconds ?? 0;
    let aggregate: RunAggregate;
    let saved: SavedRun;
    try {
      const nets = registries.agents?.[agent.kind]?.nets ? networks : null;
      saved = saveRunFiles(outDir, config, agent, seed, outcome.value, shape.spec, nets);
      // What the summary takes from the files, from their text now (while the next run goes), as
      // it would read them back; the progress line says the same numbers.
      aggregate = aggregateRun(
        { records: saved.recordsText, curve: saved.curveText, runMetrics: saved.runMetricsText },
        shape.spec,
        shape.metrics,
        { records: saved.files.file, runMetrics: saved.files.runMetricsFile },
      );
      read.set(runKey({ agent: agent.name, seed }), aggregate);
    } catch (error) {
      // Saving one run went wrong (a full disk, say): that run fails, the experiment goes on.
      fail(
        `could not save the run's records: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`,
      );
      return;
    }
    const episodes = outcome.value.episodes.length;
    log.runs.push({
      agent: agent.name,
      seed,
      ...saved.files,
      episodes,
      truncatedEpisodes: aggregate.truncatedEpisodes,
    });
    log.refresh();
    say(
      `${tag}: ${runLine(outcome.value, aggregate)}${seconds === null ? '' : ` (${seconds.toFixed(1)} s)`}${cutWarnings(config, outcome.value, aggregate)}`,
    );
  };

  const allPending = pending.map(({ agent, seed }) => ({ agent: agent.name, seed }));
  // On Ctrl-C the manifest says at once what finished and what did not: a second Ctrl-C quits
  // without waiting for the summary. (The final manifest below says it again, exactly.)
  const onAbort = () => {
    log.interrupted = log.unsettled(allPending);
    log.write();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  const tasks: Task[] = pending.map(({ agentIndex, seed }) =>
    inProcess
      ? { module, fn: 'runOne', args: [config, agentIndex, seed, registries] }
      : { module, fn: 'runOneReporting', args: [config, agentIndex, seed, registries.userKinds ?? {}] },
  );
  if (threads > 1) progress?.line(`running ${pending.length} runs on ${threads} worker threads`);
  // One thread: runs follow each other, so each one's time is the time since the last ended
  // (progress display only; never enters results).
  let lastSettled = performance.now();
  const warming = prepareForTheEnd(options.charts !== false);
  status.start();
  try {
    await runTasks<RunResult>(tasks, threads, {
      workers: !inProcess,
      signal: options.signal,
      // A run whose act never returns (an endless loop) is stopped with its worker thread.
      actTimeLimitMs: config.evaluation.actTimeLimitMs,
      // A run whose JavaScript heap grows past the cap (a leak) is stopped with its worker thread.
      heapLimitMb: config.evaluation.workerHeapMb,
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
  if (options.signal?.aborted) log.interrupted = log.unsettled(allPending);

  const failures = log.sortedFailures();
  const interrupted = log.interrupted;
  // The reports list interrupted runs with the failed ones: either way their seeds are missing.
  const missing = [
    ...failures,
    ...interrupted.map((run) => ({ ...run, error: 'did not finish: the experiment was interrupted' })),
  ];
  await warming;
  // The reports show what started the experiment: a resume keeps the start's provenance, so its
  // reports are the same bytes as an uninterrupted run's.
  const charts = options.charts !== false;
  const outputs = await writeOutputs(
    outDir,
    config,
    shape,
    registries,
    log.sortedRuns(),
    missing,
    charts,
    read,
    log.started,
  );
  log.complete = interrupted.length === 0;
  log.write();
  session.finish(log.runs.length - (options.done?.length ?? 0));
  return { outDir, ...outputs, failures, interrupted, runSeconds };
}

/**
 * What the end needs, loaded while the runs go: the chart renderers warm up (a second of imports
 * and compiling the end need not wait for; a failure shows when the charts are drawn), and the t
 * quantile the summary needs (eval/stats.ts), once the runs are handed out (the load blocks this
 * thread for a moment; an error shows when the summary is made).
 */
function prepareForTheEnd(charts: boolean): Promise<void> | null {
  const warming = charts ? warmRenderers().catch(() => undefined) : null;
  setImmediate(() => {
    try {
      loadTQuantile();
    } catch {
      // (shown by the summary)
    }
  });
  return warming;
}

/** A finished run's progress line: what it trained, its episodes and return. */
function runLine(result: RunResult, aggregate: RunAggregate): string {
  const { totals } = result;
  const regret = totals && totals.onlineRegret !== null ? ` (online regret ${totals.onlineRegret.toPrecision(4)})` : '';
  const trained = totals ? `trained ${totals.steps} steps${regret}, ` : '';
  return `${trained}${result.episodes.length} episodes, return ${aggregate.means.return.toPrecision(5)}`;
}

/** Warnings for episodes cut at evaluation.maxStepsPerEpisode, in evaluation and in training. */
function cutWarnings(config: ExperimentConfig, result: RunResult, aggregate: RunAggregate): string {
  const limit = `evaluation.maxStepsPerEpisode (${config.evaluation.maxStepsPerEpisode} steps)`;
  const { truncatedEpisodes } = aggregate;
  const cutTraining = result.totals?.cutEpisodes ?? 0;
  return (
    (truncatedEpisodes === 0 ? '' : `; WARNING: ${truncatedEpisodes} episodes cut at ${limit}`) +
    (cutTraining > 0 ? `; WARNING: ${cutTraining} training episodes cut at ${limit}` : '')
  );
}

/**
 * Worker threads: the cores by default, never more (more threads than cores only share the same
 * cores, slower and with more memory: each thread holds its runs' worlds), never more than the runs.
 */
export function threadCount(requested: number | undefined, runs: number, progress?: Progress): number {
  const cores = availableParallelism();
  if (requested !== undefined && requested > cores) {
    progress?.line(
      `warning: ${requested} threads asked for, but this machine has ${cores} cores; using ` +
        `${cores} (more threads than cores only slow runs down and use more memory)`,
    );
  }
  return Math.max(1, Math.min(requested ?? cores, cores, runs));
}
