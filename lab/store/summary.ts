// The summary model (summary.json): per agent and metric, the mean over seeds of per-seed means
// with a 95% t interval, paired differences against the baseline agent (config `baseline`, else the
// first), daily series and learning curves. Built from run records only, so a resumed or rebuilt
// experiment gets the same bytes.
import { pairedDifferences, summarize } from '../../eval/stats.ts';
import type { ExperimentConfig, TrainingConfig } from '../config/config.ts';
import type { Checkpoint, TrainingTotals } from '../loop/agent-run.ts';

/** One metric of one agent over seeds. */
export interface MetricSummary {
  readonly mean: number;
  /** null when fewer than two seeds finished (no spread to estimate). */
  readonly ci95: readonly [number, number] | null;
  readonly n: number;
  /** Per-seed means, in seed order (seeds whose run failed are left out; see `seeds`). */
  readonly values: readonly number[];
  /** null when fewer than two seeds finished. */
  readonly sd: number | null;
  /** The seeds behind `values`. */
  readonly seeds: readonly number[];
}

export interface Summary {
  readonly name: string;
  readonly world: string;
  readonly worldParams: Record<string, unknown>;
  readonly seed: number;
  readonly seeds: readonly number[];
  readonly episodes: number;
  readonly metrics: readonly string[];
  /**
   * The world's run metrics (WorldSpec.runMetricNames) that some run recorded: each measured once
   * per run over all of its evaluation users, then summarised over seeds in `agents` and `paired`
   * as `metrics` are (a seed without a value is left out). Absent when there are none: worlds
   * without run metrics, experiments recorded before they existed.
   */
  readonly runMetrics?: readonly string[];
  /** Agents that read ground truth (oracles): reference points, not deployable policies. */
  readonly evaluationOnly: readonly string[];
  /** Episodes cut at evaluation.maxStepsPerEpisode before the world ended them, over all runs. */
  readonly truncatedEpisodes: number;
  /** What each metric means in this world (WorldSpec.metricDocs). */
  readonly metricDocs: Readonly<Record<string, string>>;
  readonly agents: Record<string, Record<string, MetricSummary>>;
  readonly paired: {
    readonly baseline: string;
    /** agent - baseline, per shared seed, for every agent but the baseline (in the config's order). */
    readonly agents: Record<string, Record<string, MetricSummary>>;
  };
  /** Per agent, per simulated day: mean reward per user, and the share of users active that day. */
  readonly daily: Record<
    string,
    { readonly reward: readonly MetricSummary[]; readonly active: readonly MetricSummary[] }
  >;
  /** Learning curves and training totals; null when the config has no training block. */
  readonly training: TrainingSummary | null;
  /** Agents started from a saved agent (config `init:`), by name; absent when none was. */
  readonly loaded?: Record<
    string,
    { readonly from: string; readonly agent: string; readonly sameWorld: boolean; readonly backend: string | null }
  >;
  /** The network backend of the agents with networks (config `backend`); absent when no agent has networks. */
  readonly backend?: string;
  /**
   * With tuning seeds (config `tuning:`): each swept agent's variants scored on them and the one
   * chosen (lab/report/tuning.ts); `agents`, `paired` and the rest show the chosen variants on
   * `seeds`, the reporting seeds.
   */
  readonly tuning?: TuningSummary;
  /**
   * What the world's and agents' parameters assume that a reader must know (ground truth in the
   * observations, an oracle choice model), one sentence each; absent when there is nothing to say.
   */
  readonly notes?: readonly string[];
}

/** The training of every agent, summarised over seeds (config `training:`). */
export interface TrainingSummary extends TrainingConfig {
  readonly agents: Record<string, AgentTraining>;
}

export interface AgentTraining {
  /** False for fixed policies: their one checkpoint stands for every point of training. */
  readonly learns: boolean;
  /** Training steps at each checkpoint (mean over the seeds that reached it). */
  readonly steps: readonly number[];
  /** Per evaluation metric (return, ...): its summary over seeds at each checkpoint. */
  readonly curves: Record<string, readonly MetricSummary[]>;
  /** Cumulative online regret at each checkpoint; null where the world does not know the optimum. */
  readonly regret: readonly MetricSummary[] | null;
  /** The agent's training statistics (mean over the updates since the previous checkpoint), per checkpoint. */
  readonly stats: Record<string, readonly MetricSummary[]>;
  /**
   * Over seeds: training steps and episodes, online regret (all of training, first and second half
   * of its steps, and second half / first half: below 1 when the learner pays less as it learns).
   * null for fixed policies.
   */
  readonly totals: Record<TotalName, MetricSummary> | null;
}

export const TOTAL_NAMES = [
  'steps',
  'episodes',
  'cutEpisodes',
  'onlineRegret',
  'regretFirstHalf',
  'regretSecondHalf',
  'regretRatio',
] as const;
export type TotalName = (typeof TOTAL_NAMES)[number];

/** Per-run training: runTraining.get(agent).get(seed) = the run's curve and totals. */
export type RunTraining = Map<
  string,
  Map<number, { readonly curve: readonly Checkpoint[]; readonly totals: TrainingTotals | null }>
>;

function metricSummaryOf(values: readonly number[], seeds: readonly number[]): MetricSummary {
  const { mean, ci95, n, sd } = summarize(values);
  return { mean, ci95, n, values, sd, seeds };
}

/** Learning curves over seeds, checkpoint by checkpoint (a seed that has no checkpoint i is left out of point i). */
export function trainingSummary(
  config: ExperimentConfig,
  metrics: readonly string[],
  runTraining: RunTraining,
): TrainingSummary | null {
  if (!config.training) return null;
  const agents: Record<string, AgentTraining> = {};
  for (const agent of config.agents) {
    const bySeed = runTraining.get(agent.name);
    const seeds = config.seeds.filter((seed) => bySeed?.has(seed));
    const runs = seeds.map((seed) => bySeed!.get(seed)!);
    // Points of the curve: the schedule's targets (0, evalEvery, 2 evalEvery, ...) that every seed
    // reached, then the end of training. Seeds are aligned by target, not by position: with an
    // episodes budget they train for different numbers of steps, so a target only the longer seeds
    // reached is left out (it would sit beyond the end, which averages every seed). A seed whose
    // last round passed a target has its end checkpoint stand for it.
    const endOf = (run: (typeof runs)[number]) => run.curve.find((c) => c.target === null);
    const reach = Math.min(...runs.map((run) => endOf(run)?.steps ?? Math.max(...run.curve.map((c) => c.target ?? 0))));
    const targets = [...new Set(runs.flatMap((run) => run.curve.flatMap((c) => (c.target === null ? [] : [c.target]))))]
      .filter((target) => target <= reach)
      .sort((a, b) => a - b);
    const hasEnd = runs.some((run) => endOf(run) !== undefined);
    const checkpointAt = (run: (typeof runs)[number], point: number): Checkpoint | undefined => {
      const end = endOf(run);
      if (point >= targets.length) return end;
      return (
        run.curve.find((c) => c.target === targets[point]) ?? (end && end.steps >= targets[point] ? end : undefined)
      );
    };
    const points = targets.length + (hasEnd ? 1 : 0);
    /** A quantity of each seed's run summarised over the seeds that have it (a finite number). */
    const overSeeds = (pick: (run: (typeof runs)[number]) => number | null | undefined): MetricSummary => {
      const values: number[] = [];
      const used: number[] = [];
      runs.forEach((run, i) => {
        const value = pick(run);
        if (typeof value === 'number' && Number.isFinite(value)) {
          values.push(value);
          used.push(seeds[i]);
        }
      });
      return metricSummaryOf(values, used);
    };
    const at = (index: number, pick: (checkpoint: Checkpoint) => number | null | undefined): MetricSummary =>
      overSeeds((run) => {
        const checkpoint = checkpointAt(run, index);
        return checkpoint === undefined ? undefined : pick(checkpoint);
      });
    const indices = Array.from({ length: points }, (_, i) => i);
    const curves: Record<string, MetricSummary[]> = {};
    for (const metric of metrics) curves[metric] = indices.map((i) => at(i, (c) => c.metrics[metric]));
    const statNames = [...new Set(runs.flatMap((run) => run.curve.flatMap((c) => Object.keys(c.stats))))].sort();
    const stats: Record<string, MetricSummary[]> = {};
    for (const name of statNames) stats[name] = indices.map((i) => at(i, (c) => c.stats[name]));
    const hasRegret = runs.some((run) => run.curve.some((c) => c.regret !== null));
    let totals: Record<TotalName, MetricSummary> | null = null;
    if (agent.learns) {
      const total = (pick: (t: TrainingTotals) => number | null): MetricSummary =>
        overSeeds((run) => (run.totals ? pick(run.totals) : null));
      totals = {
        steps: total((t) => t.steps),
        episodes: total((t) => t.episodes),
        cutEpisodes: total((t) => t.cutEpisodes),
        onlineRegret: total((t) => t.onlineRegret),
        regretFirstHalf: total((t) => t.regretFirstHalf),
        regretSecondHalf: total((t) => t.regretSecondHalf),
        regretRatio: total((t) =>
          t.regretFirstHalf !== null && t.regretSecondHalf !== null && t.regretFirstHalf > 0
            ? t.regretSecondHalf / t.regretFirstHalf
            : null,
        ),
      };
    }
    agents[agent.name] = {
      learns: agent.learns,
      steps: indices.map((i) => at(i, (c) => c.steps).mean),
      curves,
      regret: hasRegret ? indices.map((i) => at(i, (c) => c.regret)) : null,
      stats,
      totals,
    };
  }
  return { ...config.training, agents };
}

/** Per-run daily series: runDaily.get(agent).get(seed) = { reward[day], active[day] }. */
export type RunDaily = Map<
  string,
  Map<number, { readonly reward: readonly number[]; readonly active: readonly number[] }>
>;

/** Summarises each day's per-seed values over seeds (days a run never reached count as 0). */
export function dailySeries(config: ExperimentConfig, runDaily: RunDaily): Summary['daily'] {
  const daily: Record<string, { reward: MetricSummary[]; active: MetricSummary[] }> = {};
  for (const agent of config.agents) {
    const bySeed = runDaily.get(agent.name) ?? new Map();
    const seeds = config.seeds.filter((seed) => bySeed.has(seed));
    const days = Math.max(0, ...seeds.map((seed) => bySeed.get(seed)!.reward.length));
    const series = (pick: 'reward' | 'active') =>
      Array.from({ length: days }, (_, day) => {
        const values = seeds.map((seed) => bySeed.get(seed)![pick][day] ?? 0);
        const { mean, ci95, n, sd } = summarize(values);
        return { mean, ci95, n, values, sd, seeds };
      });
    daily[agent.name] = { reward: series('reward'), active: series('active') };
  }
  return daily;
}

export interface VariantScore {
  readonly name: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** Mean of the metric over the tuning seeds every variant of the agent finished; null if none. */
  readonly mean: number | null;
}

export interface AgentTuning {
  /** The chosen variant, or null when no tuning seed has a result for every variant. */
  readonly winner: string | null;
  /** Every variant, in sweep order. */
  readonly variants: readonly VariantScore[];
  /** The seeds compared: the tuning seeds every variant finished. */
  readonly seeds: readonly number[];
  /** Winner minus the runner-up on those seeds, paired, with its 95% interval; null with one variant. */
  readonly margin: {
    readonly over: string;
    readonly mean: number;
    readonly ci95: readonly [number, number] | null;
  } | null;
}

export interface TuningSummary {
  readonly seeds: readonly number[];
  readonly metric: string;
  readonly better: 'higher' | 'lower';
  /** By swept agent (its name in the config), in config order. */
  readonly agents: Readonly<Record<string, AgentTuning>>;
}

/** Per-run means: runMeans.get(agent).get(seed) = { metric: mean over the run's episodes }. */
export type RunMeans = Map<string, Map<number, Record<string, number>>>;

export function buildSummary(
  config: ExperimentConfig,
  metrics: readonly string[],
  runMeans: RunMeans,
  evaluationOnly: readonly string[],
  daily: Summary['daily'] = {},
  truncatedEpisodes = 0,
  metricDocs: Readonly<Record<string, string>> = {},
  training: TrainingSummary | null = null,
  notes: readonly string[] = [],
  runMetrics: readonly string[] = [],
): Summary {
  // runMeans holds each run's run metrics beside its means, where the run recorded them.
  const perSeed = (agent: string, metric: string): Map<number, number> => {
    const bySeed = new Map<number, number>();
    for (const seed of config.seeds) {
      const means = runMeans.get(agent)?.get(seed);
      if (means && means[metric] !== undefined) bySeed.set(seed, means[metric]);
    }
    return bySeed;
  };
  const agents: Summary['agents'] = {};
  const paired: Summary['paired']['agents'] = {};
  const baseline = baselineOf(config);
  const summarised = [...metrics, ...runMetrics];
  for (const agent of config.agents) {
    const entry: Record<string, MetricSummary> = {};
    for (const metric of summarised) {
      const bySeed = perSeed(agent.name, metric);
      const values = [...bySeed.values()];
      const { mean, ci95, n, sd } = summarize(values);
      entry[metric] = { mean, ci95, n, values, sd, seeds: [...bySeed.keys()] };
    }
    agents[agent.name] = entry;
    if (agent.name === baseline) continue;
    const differences: Record<string, MetricSummary> = {};
    for (const metric of summarised) {
      const { mean, ci95, n, sd, values, seeds } = pairedDifferences(
        perSeed(agent.name, metric),
        perSeed(baseline, metric),
        config.seeds,
      );
      differences[metric] = { mean, ci95, n, values, sd, seeds };
    }
    paired[agent.name] = differences;
  }
  return {
    name: config.name,
    world: config.world.preset,
    worldParams: config.world.params,
    seed: config.seed,
    seeds: config.seeds,
    episodes: config.evaluation.episodes,
    metrics,
    ...(runMetrics.length > 0 ? { runMetrics } : {}),
    evaluationOnly,
    truncatedEpisodes,
    metricDocs: Object.fromEntries(
      summarised.filter((metric) => metricDocs[metric] !== undefined).map((metric) => [metric, metricDocs[metric]]),
    ),
    agents,
    paired: { baseline, agents: paired },
    daily,
    training,
    ...loadedAgents(config),
    ...(notes.length > 0 ? { notes } : {}),
  };
}

function loadedAgents(config: ExperimentConfig): Pick<Summary, 'loaded' | 'backend'> {
  const loaded = config.agents.filter((agent) => agent.init !== null);
  if (loaded.length === 0) return {};
  return {
    loaded: Object.fromEntries(
      loaded.map((agent) => [
        agent.name,
        {
          from: agent.init!.from,
          agent: agent.init!.agent,
          sameWorld: agent.init!.sameWorld,
          backend: agent.init!.backend,
        },
      ]),
    ),
    backend: config.backend,
  };
}

/** The baseline of the paired comparisons: the config's `baseline`, else the first agent. */
export function baselineOf(config: Pick<ExperimentConfig, 'agents' | 'baseline'>): string {
  return config.baseline ?? config.agents[0].name;
}

export interface FailureRecord {
  readonly agent: string;
  readonly seed: number;
  readonly error: string;
}
