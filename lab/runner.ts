// Runs an experiment: every (agent, seed) pair, each trained (learning agents) and evaluated
// through the one loop (lab/training.ts, lab/loop.ts), on a pool of worker threads (lab/pool.ts). A run's episode records
// are written as soon as it ends; a run that throws is recorded and skipped, and the summary,
// charts and reports cover the runs that finished.
//
// Results are a function of the config alone: the world seeds its streams per episode from
// (experiment seed, run seed), the policy's per-episode streams are named by the agent, and the
// loop hands episodes to rows in order, so neither batch size, thread count nor wall clock enters
// the numbers.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { EpisodeRecord } from './loop.ts';
import type { WorldSpec } from '../sim/env.ts';
import { experimentCharts } from './charts.ts';
import { trainingSpecs } from './learning-charts.ts';
import { defaultRegistries, type ExperimentConfig, type Registries } from './config.ts';
import { runTasks, type Task, type TaskOutcome } from './pool.ts';
import { reportHtml } from './report.ts';
import { CORE_METRICS, episodeMeans, runAgentSeed, type Checkpoint, type RunProgress, type RunResult, type TrainingTotals } from './training.ts';
import {
  buildSummary,
  chartData,
  dailySeries,
  environmentInfo,
  reportMarkdown,
  summaryCsv,
  writeBinaryAtomic,
  writeFileAtomic,
  writeJsonAtomic,
  type FailureRecord,
  type RunDaily,
  type RunMeans,
  type RunTraining,
  type Summary,
  trainingSummary,
} from './results.ts';

/** Where progress goes (stderr in the CLI). `update` rewrites the current line and is optional. */
export interface Progress {
  line(text: string): void;
  update?(text: string): void;
}

export interface RunExperimentOptions {
  readonly config: ExperimentConfig;
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
  /** Skip the charts (SVG, PNG) and report.html, e.g. for quick tests. */
  readonly charts?: boolean;
  /**
   * Interrupts the experiment (Ctrl-C): no run starts any more, runs on worker threads stop at
   * once, and the results cover the runs that finished.
   */
  readonly signal?: AbortSignal;
}

export interface ExperimentOutcome {
  readonly outDir: string;
  readonly summary: Summary;
  readonly failures: readonly FailureRecord[];
  /** Episodes cut short by evaluation.maxStepsPerEpisode, over all runs. */
  readonly truncatedEpisodes: number;
  /** Training episodes cut short by evaluation.maxStepsPerEpisode, over all runs. */
  readonly cutTrainingEpisodes: number;
  /** (agent, seed) runs that did not finish because the experiment was interrupted (empty otherwise). */
  readonly interrupted: readonly { agent: string; seed: number }[];
}

export { CORE_METRICS };

/** The metrics compared in charts (the rest are in the tables). */
const CHARTED_METRICS = ['return', 'clicks', 'episodeLength'];

/**
 * One (agent, seed) run, by agent index: what a worker thread executes. It looks the world and
 * agent up in `registries` (the default ones in a worker).
 */
export async function runOne(config: ExperimentConfig, agentIndex: number, seed: number, registries: Registries = defaultRegistries, report?: (progress: RunProgress) => void): Promise<RunResult> {
  await prepareBackend(config, agentIndex, registries);
  return runAgentSeed(config, agentIndex, seed, registries, report);
}

/** runOne with the default registries, as a worker thread runs it: `report` is the pool's progress callback. */
export async function runOneReporting(config: ExperimentConfig, agentIndex: number, seed: number, report?: (progress: RunProgress) => void): Promise<RunResult> {
  await prepareBackend(config, agentIndex, defaultRegistries);
  return runAgentSeed(config, agentIndex, seed, defaultRegistries, report);
}

/** Loads the config's neural-network backend in this thread when the agent has networks (loaded once per thread). */
async function prepareBackend(config: ExperimentConfig, agentIndex: number, registries: Registries): Promise<void> {
  const kind = config.agents[agentIndex].kind;
  if (!registries.agents?.[kind]?.nets) return;
  const { useBackend } = await import('../agents/nets/backend.ts');
  await useBackend(config.backend);
}

/** The backend and TensorFlow.js version when an agent of the config has networks (the manifest records them), else null. */
async function backendInfo(config: ExperimentConfig, registries: Registries): Promise<{ backend: string; tfjs: string } | null> {
  if (!config.agents.some((agent) => registries.agents?.[agent.kind]?.nets)) return null;
  const tf = await import('@tensorflow/tfjs');
  return { backend: config.backend, tfjs: tf.version.tfjs };
}

export async function runExperiment(options: RunExperimentOptions): Promise<ExperimentOutcome> {
  const { config, outDir } = options;
  const registries = options.registries ?? defaultRegistries;
  const progress = options.progress;
  const world = registries.worlds[config.world.preset];
  // A one-row instance names the world's episode metrics even if every run fails.
  const probe = world.create(config.world.params, { seed: { experiment: config.seed, run: config.seeds[0] }, batchSize: 1 });
  const metrics = [...CORE_METRICS, ...probe.spec.episodeMetricNames];
  const evaluationOnly = config.agents.filter((agent) => registries.policies[agent.kind]?.evaluationOnly === true).map((agent) => agent.name);

  const failures: FailureRecord[] = [];
  const runs: { agent: string; seed: number; file: string; curveFile?: string; episodes: number; truncatedEpisodes: number }[] = [];
  // Runs finish in any order on the pool; files list them in config order (agent, then seed).
  const agentOrder = new Map(config.agents.map((agent, index) => [agent.name, index]));
  const seedOrder = new Map(config.seeds.map((seed, index) => [seed, index]));
  const runOrder = (run: { agent: string; seed: number }) => agentOrder.get(run.agent)! * config.seeds.length + seedOrder.get(run.seed)!;
  const byRunOrder = (a: { agent: string; seed: number }, b: { agent: string; seed: number }) => runOrder(a) - runOrder(b);
  const networks = await backendInfo(config, registries);
  const provenance = { ...environmentInfo(), ...(networks ? { networks } : {}) };
  // False until summary, charts and reports are written: an interrupted experiment's manifest
  // still lists the runs that finished (it is rewritten as each run settles).
  let complete = false;
  // Runs that never finished because the experiment was interrupted (Ctrl-C).
  let interrupted: { agent: string; seed: number }[] = [];
  const manifest = () => ({
    name: config.name,
    configFile: options.configFile ?? null,
    config,
    seeds: config.seeds,
    ...provenance,
    complete,
    runs: [...runs].sort(byRunOrder),
    failures: [...failures].sort(byRunOrder),
    interrupted,
  });
  writeJsonAtomic(join(outDir, 'manifest.json'), manifest());
  // After each settled run: every time for the first 100 runs, then at most once a second (a
  // timer writes what a skipped refresh left out), so a long experiment does not rewrite a
  // manifest of thousands of runs thousands of times. The clock decides only when the file is
  // refreshed; the final manifest is the same whatever it says.
  let manifestWritten = performance.now();
  let pendingRefresh: NodeJS.Timeout | null = null;
  const writeManifest = (): void => {
    if (pendingRefresh !== null) clearTimeout(pendingRefresh);
    pendingRefresh = null;
    writeJsonAtomic(join(outDir, 'manifest.json'), manifest());
    manifestWritten = performance.now();
  };
  const refreshManifest = (): void => {
    const wait = 1000 - (performance.now() - manifestWritten);
    if (runs.length + failures.length <= 100 || wait <= 0) writeManifest();
    else pendingRefresh ??= setTimeout(writeManifest, wait);
  };

  const runMeans: RunMeans = new Map(config.agents.map((agent) => [agent.name, new Map()]));
  const runDaily: RunDaily = new Map(config.agents.map((agent) => [agent.name, new Map()]));
  const runTraining: RunTraining = new Map(config.agents.map((agent) => [agent.name, new Map()]));
  const pairs = config.agents.flatMap((agent, agentIndex) => config.seeds.map((seed) => ({ agent, agentIndex, seed })));
  const total = pairs.length;
  let finished = 0;
  const label = (index: number) => `${pairs[index].agent.name} seed ${pairs[index].seed}`;

  const settle = (index: number, outcome: TaskOutcome<RunResult>, seconds: number | null) => {
    const { agent, seed } = pairs[index];
    finished++;
    const tag = `[${finished}/${total}] ${label(index)}`;
    const fail = (message: string, detail = '') => {
      failures.push({ agent: agent.name, seed, error: message });
      progress?.line(`${tag}: FAILED: ${message}${detail}`);
      refreshManifest();
    };
    if (!outcome.ok) {
      fail(outcome.error.message.split('\n')[0], options.verbose && outcome.error.stack ? `\n${outcome.error.stack}` : '');
      return;
    }
    const { episodes: records, curve, totals } = outcome.value;
    const file = join('runs', agent.name, `seed-${seed}.jsonl`);
    const curveFile = curve ? join('runs', agent.name, `seed-${seed}.curve.jsonl`) : null;
    let means: Record<string, number>;
    let truncatedEpisodes: number;
    try {
      means = episodeMeans(records, metrics);
      const daily = dailyOf(records);
      truncatedEpisodes = records.filter((record) => record.truncated).length;
      writeFileAtomic(join(outDir, file), episodeJsonl(records, probe.spec));
      if (curve && curveFile) writeFileAtomic(join(outDir, curveFile), curveJsonl(curve, totals));
      runDaily.get(agent.name)!.set(seed, daily);
      if (curve) runTraining.get(agent.name)!.set(seed, { curve, totals });
    } catch (error) {
      // Saving one run went wrong (a full disk, say): that run fails, the experiment goes on.
      fail(`could not save the run's records: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`);
      return;
    }
    runMeans.get(agent.name)!.set(seed, means);
    runs.push({ agent: agent.name, seed, file, ...(curveFile ? { curveFile } : {}), episodes: records.length, truncatedEpisodes });
    refreshManifest();
    const time = seconds === null ? '' : ` (${seconds.toFixed(1)} s)`;
    const trained = totals ? `trained ${totals.steps} steps${totals.onlineRegret !== null ? ` (online regret ${totals.onlineRegret.toPrecision(4)})` : ''}, ` : '';
    const cut =
      (truncatedEpisodes === 0 ? '' : `; WARNING: ${truncatedEpisodes} episodes cut at evaluation.maxStepsPerEpisode (${config.evaluation.maxStepsPerEpisode} steps)`) +
      (totals && totals.cutEpisodes > 0 ? `; WARNING: ${totals.cutEpisodes} training episodes cut at evaluation.maxStepsPerEpisode (${config.evaluation.maxStepsPerEpisode} steps)` : '');
    progress?.line(`${tag}: ${trained}${records.length} episodes, return ${means.return.toPrecision(5)}${time}${cut}`);
  };

  const unsettledRuns = () => {
    const settled = new Set([...runs, ...failures].map(runOrder));
    return pairs.map(({ agent, seed }) => ({ agent: agent.name, seed })).filter((run) => !settled.has(runOrder(run)));
  };
  // On Ctrl-C the manifest says at once what finished and what did not: a second Ctrl-C quits
  // without waiting for the summary. (The final manifest below says it again, exactly.)
  const onAbort = () => {
    interrupted = unsettledRuns();
    writeManifest();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });

  // Runs go on worker threads, even one, so the main thread stays free to notice Ctrl-C. Injected
  // registries (tests) cannot reach a worker: those run in-process, one at a time.
  const inProcess = registries !== defaultRegistries;
  const threads = inProcess ? 1 : Math.max(1, Math.min(options.threads ?? availableParallelism(), total));
  const module = new URL('./runner.ts', import.meta.url).href;
  const tasks: Task[] = pairs.map(({ agentIndex, seed }) =>
    inProcess ? { module, fn: 'runOne', args: [config, agentIndex, seed, registries] } : { module, fn: 'runOneReporting', args: [config, agentIndex, seed] },
  );
  if (threads > 1) progress?.line(`running ${total} runs on ${threads} worker threads`);
  // One thread: runs follow each other, so each one's time is the time since the last ended,
  // and a live line can follow its episodes (progress display only; never enters results).
  let lastSettled = performance.now();
  const update = threads === 1 && !inProcess ? progress?.update : undefined;
  await runTasks<RunResult>(tasks, threads, {
    workers: !inProcess,
    signal: options.signal,
    onProgress: update ? (index, value) => update(`[${finished + 1}/${total}] ${label(index)}: ${progressText(value as RunProgress)}`) : undefined,
    onSettled: (index, outcome) => {
      const now = performance.now();
      settle(index, outcome, threads === 1 ? (now - lastSettled) / 1000 : null);
      lastSettled = now;
    },
  });
  options.signal?.removeEventListener('abort', onAbort);
  if (options.signal?.aborted) interrupted = unsettledRuns();

  const truncatedEpisodes = runs.reduce((sum, run) => sum + run.truncatedEpisodes, 0);
  let cutTrainingEpisodes = 0;
  for (const bySeed of runTraining.values()) for (const run of bySeed.values()) cutTrainingEpisodes += run.totals?.cutEpisodes ?? 0;
  const summary = buildSummary(
    config,
    metrics,
    runMeans,
    evaluationOnly,
    dailySeries(config, runDaily),
    truncatedEpisodes,
    probe.spec.metricDocs,
    trainingSummary(config, metrics, runTraining),
  );
  writeJsonAtomic(join(outDir, 'summary.json'), summary);
  writeFileAtomic(join(outDir, 'summary.csv'), summaryCsv(summary));
  const sortedFailures = [...failures].sort(byRunOrder);
  let chartFiles: { name: string; title: string; svg: string }[] = [];
  if (options.charts !== false && runs.length > 0) {
    const agentsData = chartData(summary);
    const charts = await experimentCharts(agentsData, CHARTED_METRICS, trainingSpecs(summary.training, agentsData, probe.spec.episodeMetricNames));
    for (const chart of charts) {
      writeFileAtomic(join(outDir, 'charts', `${chart.name}.svg`), chart.svg);
      writeBinaryAtomic(join(outDir, 'charts', `${chart.name}.png`), chart.png);
    }
    chartFiles = charts;
  }
  // The reports list interrupted runs with the failed ones: either way their seeds are missing.
  const missing = [...sortedFailures, ...interrupted.map((run) => ({ ...run, error: 'did not finish: the experiment was interrupted' }))];
  writeFileAtomic(join(outDir, 'report.md'), reportMarkdown(summary, missing, chartFiles.map((c) => ({ name: c.name, title: c.title }))));
  writeFileAtomic(join(outDir, 'report.html'), reportHtml(summary, missing, chartFiles));
  complete = interrupted.length === 0;
  writeManifest();
  return { outDir, summary, failures: sortedFailures, truncatedEpisodes, cutTrainingEpisodes, interrupted };
}

/** The live progress line of a run. */
function progressText(progress: RunProgress): string {
  if (progress.phase === 'eval') return `evaluating, ${progress.episodes}/${progress.of} episodes`;
  const budget = progress.budgetSteps !== null ? `${progress.steps}/${progress.budgetSteps} steps` : `${progress.episodes}/${progress.budgetEpisodes} episodes`;
  return `training, ${budget}`;
}

/** The learning curve: one line per checkpoint, then one line with the run's training totals. */
function curveJsonl(curve: readonly Checkpoint[], totals: TrainingTotals | null): string {
  let text = '';
  for (const checkpoint of curve) text += `${JSON.stringify({ kind: 'checkpoint', ...checkpoint })}\n`;
  if (totals) text += `${JSON.stringify({ kind: 'totals', ...totals })}\n`;
  return text;
}

/** Per day: mean reward per user (0 for users who were gone) and the share of users active (who made a request that day). */
function dailyOf(records: readonly EpisodeRecord[]): { reward: number[]; active: number[] } {
  let days = 0; // a loop, not Math.max(...): a spread of 10^5 arguments overflows the stack
  for (const record of records) days = Math.max(days, record.dailyReturn.length);
  const reward = new Array<number>(days).fill(0);
  const active = new Array<number>(days).fill(0);
  for (const record of records) {
    record.dailyReturn.forEach((value, day) => {
      reward[day] += value;
      if (record.dailySteps[day] > 0) active[day] += 1;
    });
  }
  return { reward: reward.map((sum) => sum / records.length), active: active.map((count) => count / records.length) };
}

/** The world's names for a run's record lines: its extra metrics and signals, and whether it has a clock. */
type RecordNames = Pick<WorldSpec, 'episodeMetricNames' | 'signalNames' | 'clock'>;

function episodeJsonl(records: readonly EpisodeRecord[], names: RecordNames): string {
  const { episodeMetricNames: extraNames, signalNames, clock } = names;
  let text = '';
  for (const record of records) {
    const signals: Record<string, number> = {};
    signalNames.forEach((name, i) => {
      signals[name] = record.signalTotals[i];
    });
    const line: Record<string, number | boolean | readonly number[] | Record<string, number>> = {
      episode: record.episode,
      return: record.return,
      length: record.length,
      clicks: record.clicks,
      impressions: record.impressions,
      signals,
    };
    extraNames.forEach((name, i) => {
      line[name] = record.extra[i];
    });
    // Worlds with a clock: the reward and steps of each day of the episode, even a one-day one.
    if (clock) {
      line.dailyReturn = record.dailyReturn;
      line.dailySteps = record.dailySteps;
    }
    if (record.truncated) line.truncated = true; // cut by evaluation.maxStepsPerEpisode
    text += `${JSON.stringify(line)}\n`;
  }
  return text;
}
