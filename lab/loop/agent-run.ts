// One (agent, seed) run: train a learning agent with checkpoints, then the final evaluation; a
// fixed policy skips training. What a worker thread executes (via lab/run/runner.ts).
//
// A learning run holds two instances of the world with the same seed (the same catalog, the
// same hidden parameters): one steps the training users (episodes TRAINING_EPISODE_BASE + e, a
// batch of training.batchSize), the other the evaluation users (episodes 0..E-1), so evaluation
// never meets a user that training met, and every agent of a seed meets the same evaluation users.
import type { Agent } from '../../agents/agent.ts';
import { policyAgent } from '../../agents/policy-agent.ts';
import { EXACT_MARGINAL_SLOTS, epsilonLogging, softmaxLogging } from '../../agents/logging.ts';
import { InteractionLogWriter } from '../store/interaction-log.ts';
import type { Env } from '../../sim/env.ts';
import { Rng, type SeedKey } from '../../sim/rng.ts';
import type { ExperimentConfig } from '../config/config.ts';
import { findKind, type Registries } from '../config/registries.ts';
import { evaluate, train, type EpisodeRecord } from './rollout.ts';
import { readSavedState } from '../store/saved-agent-file.ts';
import type { AgentState } from '../../agents/state.ts';

import { CORE_METRICS } from '../config/episodes.ts';
import { createPolicy } from '../../policies/policy.ts';

/** An evaluation of the agent during training. */
export interface Checkpoint {
  /** 0 before training, then 1, 2, ... */
  readonly index: number;
  /**
   * The schedule point it stands for: a multiple of training.evalEvery (0 before training), or
   * null for the checkpoint at the end of training. Summaries align seeds by it.
   */
  readonly target: number | null;
  /** Training user-steps and finished training episodes when it was taken. */
  readonly steps: number;
  readonly episodes: number;
  /** Means over the checkpoint's evaluation episodes: return, episodeLength, clicks and the world's metrics. */
  readonly metrics: Record<string, number>;
  /** Online regret summed over training so far (null where the world does not know the optimum). */
  readonly regret: number | null;
  /** The agent's training statistics, averaged over the updates since the previous checkpoint. */
  readonly stats: Record<string, number>;
}

/** What a run's training came to. */
export interface TrainingTotals {
  readonly steps: number;
  readonly episodes: number;
  /** Training episodes cut at evaluation.maxStepsPerEpisode before the world ended them. */
  readonly cutEpisodes: number;
  readonly rounds: number;
  /** Online regret over all of training, and over its first and second half of steps (null where unknown). */
  readonly onlineRegret: number | null;
  readonly regretFirstHalf: number | null;
  readonly regretSecondHalf: number | null;
}

export interface RunResult {
  /** The final evaluation's episodes, in episode order. */
  readonly episodes: EpisodeRecord[];
  /**
   * Learning curve (learners with a training block), or a single checkpoint for a fixed policy; null without training.
   */
  readonly curve: Checkpoint[] | null;
  readonly totals: TrainingTotals | null;
  /** What the learning agent learned, as evaluated (Agent.save), for the run's .agent.json; null for fixed policies. */
  readonly state: AgentState | null;
  /**
   * The world's run metrics (WorldSpec.runMetricNames) over the final evaluation's episodes, by
   * name (NaN where undefined); null in a world without any.
   */
  readonly runMetrics: Readonly<Record<string, number>> | null;
  /** The interaction log's bytes (config `log`, lab/store/interaction-log.ts); absent without one. */
  readonly log?: Uint8Array;
  /**
   * Wall time of the run in its thread (lab/run/runner.ts adds it): for the runner's overhead figure, never in results.
   */
  readonly seconds?: number;
}

/** What a run reports while it goes: training steps, then evaluation episodes. */
export type RunProgress =
  | {
      readonly phase: 'train';
      readonly steps: number;
      readonly budgetSteps: number | null;
      readonly episodes: number;
      readonly budgetEpisodes: number | null;
    }
  | { readonly phase: 'eval'; readonly episodes: number; readonly of: number };

/** Means over episodes of the metrics, in episode order (so sums do not depend on the batch size). */
export function episodeMeans(records: readonly EpisodeRecord[], metrics: readonly string[]): Record<string, number> {
  const sums = new Float64Array(metrics.length);
  for (const record of records) {
    sums[0] += record.return;
    sums[1] += record.length;
    sums[2] += record.clicks;
    for (let i = 0; i < record.extra.length; i++) sums[CORE_METRICS.length + i] += record.extra[i];
  }
  const means: Record<string, number> = {};
  metrics.forEach((metric, i) => {
    means[metric] = sums[i] / records.length;
  });
  return means;
}

/**
 * Builds the run's decider for `env` (a learning agent loads its `init` state): a fixed policy (which may read env's
 * truth, if an oracle) or a learning agent.
 */
export function createAgent(
  config: ExperimentConfig,
  agentIndex: number,
  seed: SeedKey,
  registries: Registries,
  env: Env,
  maxRows: number,
): Agent {
  const agent = config.agents[agentIndex];
  const found = findKind(registries, agent.kind);
  if (!found) throw new Error(`unknown kind "${agent.kind}"`);
  if (!found.learns) return policyAgent(createPolicy(found.definition, agent.params, env));
  const created = found.definition.create(agent.params, {
    spec: { ...env.spec, batchSize: maxRows },
    seed,
    streams: { init: Rng.derive(seed, agent.streamKey, 'init'), update: Rng.derive(seed, agent.streamKey, 'update') },
  });
  if (agent.init) {
    const file = agent.init.files[String(seed.run)];
    const where = `agent ${agent.name}: init ${agent.init.from} (agent ${agent.init.agent}, seed ${seed.run})`;
    if (!created.load) {
      created.dispose?.();
      throw new Error(`${where}: agents of kind "${agent.kind}" cannot load a saved state`);
    }
    try {
      created.load(readSavedState(file));
    } catch (error) {
      created.dispose?.();
      throw new Error(`${where}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return created;
}

/** Runs (agent, seed): training with checkpoints if the agent learns, then the final evaluation. */
export function runAgentSeed(
  config: ExperimentConfig,
  agentIndex: number,
  seed: number,
  registries: Registries,
  report?: (progress: RunProgress) => void,
): RunResult {
  const agentConfig = config.agents[agentIndex];
  const world = registries.worlds[config.world.preset];
  const seedKey: SeedKey = { experiment: config.seed, run: seed };
  const training = config.training;
  const evalBatch = Math.min(config.evaluation.batchSize, config.evaluation.episodes);
  const evalEnv = world.create(config.world.params, { seed: seedKey, batchSize: evalBatch });
  const metrics = [...CORE_METRICS, ...evalEnv.spec.episodeMetricNames];
  const trainEnv =
    agentConfig.learns && training
      ? world.create(config.world.params, { seed: seedKey, batchSize: training.batchSize })
      : null;
  const agent = createAgent(
    config,
    agentIndex,
    seedKey,
    registries,
    evalEnv,
    Math.max(evalBatch, training?.batchSize ?? 0),
  );
  try {
    return trainAndEvaluate(config, agentIndex, seedKey, agent, evalEnv, trainEnv, metrics, report);
  } finally {
    agent.dispose?.();
  }
}

/** runAgentSeed's work once the agent and worlds are made. */
function trainAndEvaluate(
  config: ExperimentConfig,
  agentIndex: number,
  seedKey: SeedKey,
  agent: Agent,
  evalEnv: Env,
  trainEnv: Env | null,
  metrics: readonly string[],
  report?: (progress: RunProgress) => void,
): RunResult {
  const streamKey = config.agents[agentIndex].streamKey;
  const training = config.training;
  const maxSteps = config.evaluation.maxStepsPerEpisode;

  const checkpointMetrics = (): Record<string, number> => {
    return episodeMeans(
      evaluate(evalEnv, agent, {
        episodes: training!.evalEpisodes,
        seed: seedKey,
        streamKey,
        maxStepsPerEpisode: maxSteps,
        actTimeLimitMs: config.evaluation.actTimeLimitMs,
      }),
      metrics,
    );
  };

  let curve: Checkpoint[] | null = null;
  let totals: TrainingTotals | null = null;
  if (training && !trainEnv) {
    // A fixed policy does not change: one checkpoint stands for all (a flat line in the curves).
    curve = [{ index: 0, target: 0, steps: 0, episodes: 0, metrics: checkpointMetrics(), regret: null, stats: {} }];
  } else if (training && trainEnv) {
    const knowsOptimum = trainEnv.truth.optimalSlateReward !== undefined;
    curve = [
      {
        index: 0,
        target: 0,
        steps: 0,
        episodes: 0,
        metrics: checkpointMetrics(),
        regret: knowsOptimum ? 0 : null,
        stats: {},
      },
    ];
    const budgetSteps = training.steps ?? Infinity;
    const budgetEpisodes = training.episodes ?? Infinity;
    let regret = 0;
    const statSums = new Map<string, number>();
    const statCounts = new Map<string, number>();
    // Cumulative regret after each round, for the halves.
    const roundSteps: number[] = [];
    const roundRegret: number[] = [];
    let nextCheckpoint = training.evalEvery;
    let lastSteps = 0;
    let lastEpisodes = 0;
    const reportEvery =
      training.steps !== null
        ? Math.max(1, Math.ceil(training.steps / 50))
        : Math.max(1, Math.ceil(training.episodes! / 50));
    let nextReport = reportEvery;
    const takeCheckpoint = (steps: number, episodes: number, target: number | null) => {
      const stats: Record<string, number> = {};
      for (const [name, sum] of [...statSums].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        stats[name] = sum / statCounts.get(name)!;
      statSums.clear();
      statCounts.clear();
      curve!.push({
        index: curve!.length,
        target,
        steps,
        episodes,
        metrics: checkpointMetrics(),
        regret: knowsOptimum ? regret : null,
        stats,
      });
    };
    const result = train(trainEnv, agent, {
      seed: seedKey,
      streamKey,
      steps: budgetSteps,
      episodes: budgetEpisodes,
      maxStepsPerEpisode: maxSteps,
      actTimeLimitMs: config.evaluation.actTimeLimitMs,
      onRound: ({ steps, episodes, stats, regret: roundRegretValue }) => {
        if (knowsOptimum) regret += roundRegretValue;
        roundSteps.push(steps);
        roundRegret.push(regret);
        for (const name in stats) {
          const value = stats[name];
          if (!Number.isFinite(value)) continue;
          statSums.set(name, (statSums.get(name) ?? 0) + value);
          statCounts.set(name, (statCounts.get(name) ?? 0) + 1);
        }
        lastSteps = steps;
        lastEpisodes = episodes;
        if (steps >= nextCheckpoint && steps < budgetSteps) {
          // A round can pass several points of the schedule: one checkpoint, for the last of them.
          while (nextCheckpoint + training.evalEvery <= steps) nextCheckpoint += training.evalEvery;
          takeCheckpoint(steps, episodes, nextCheckpoint);
          nextCheckpoint += training.evalEvery;
        }
        const progressCount = training.steps !== null ? steps : episodes;
        if (report && progressCount >= nextReport) {
          report({ phase: 'train', steps, budgetSteps: training.steps, episodes, budgetEpisodes: training.episodes });
          while (nextReport <= progressCount) nextReport += reportEvery;
        }
      },
    });
    if (curve[curve.length - 1].steps !== lastSteps) takeCheckpoint(lastSteps, lastEpisodes, null);
    else curve[curve.length - 1] = { ...curve[curve.length - 1], target: null }; // the last one is the end
    let firstHalf: number | null = null;
    if (knowsOptimum) {
      // The cumulative regret at the first round that reaches half of the steps taken.
      const half = result.steps / 2;
      const at = roundSteps.findIndex((steps) => steps >= half);
      firstHalf = at < 0 ? regret : roundRegret[at];
    }
    totals = {
      steps: result.steps,
      episodes: result.episodes,
      cutEpisodes: result.cutEpisodes,
      rounds: result.rounds,
      onlineRegret: knowsOptimum ? regret : null,
      regretFirstHalf: firstHalf,
      regretSecondHalf: firstHalf === null ? null : regret - firstHalf,
    };
  }

  const total = config.evaluation.episodes;
  const every = Math.max(1, Math.floor(total / 50));
  let done = 0;
  // The run metrics cover the final evaluation alone: the checkpoints above stepped the same
  // world with the tally off.
  const { value: episodes, runMetrics } = withRunMetrics(evalEnv, () =>
    evaluate(evalEnv, agent, {
      episodes: total,
      seed: seedKey,
      streamKey,
      maxStepsPerEpisode: maxSteps,
      actTimeLimitMs: config.evaluation.actTimeLimitMs,
      onEpisode: report
        ? () => void (++done % every === 0 && report({ phase: 'eval', episodes: done, of: total }))
        : undefined,
    }),
  );
  // Saved after the evaluation, so the state is exactly the one evaluated.
  const state = config.agents[agentIndex].learns ? (agent.save?.() ?? null) : null;
  const log = config.log ? logInteractions(config, agentIndex, seedKey, agent, evalEnv) : undefined;
  return { episodes, curve, totals, state, runMetrics, ...(log ? { log } : {}) };
}

/**
 * The run's interaction log: the evaluation's first config.log.episodes users again, under the
 * agent's policy explored with probability epsilon (agents/logging.ts), on streams of their own
 * (the agent's key + "/log"), so that logging changes none of the run's other numbers.
 */
function logInteractions(
  config: ExperimentConfig,
  agentIndex: number,
  seedKey: SeedKey,
  agent: Agent,
  env: Env,
): Uint8Array {
  const log = config.log!;
  const agentConfig = config.agents[agentIndex];
  const spec = env.spec;
  const softmax = log.policy === 'softmax';
  const epsilonGreedy = softmax
    ? null
    : epsilonLogging(agent, spec, log.epsilon, agent.propensitiesOf?.bind(agent) ?? null);
  const logging = epsilonGreedy ?? softmaxLogging(agent, spec, log.temperature, log.samples);
  const writer = new InteractionLogWriter(
    spec,
    env.observation.userFeatures.length / spec.batchSize,
    epsilonGreedy?.greedyPages ?? null,
  );
  writer.setCatalog(env.observation);
  evaluate(env, logging, {
    episodes: log.episodes,
    seed: seedKey,
    streamKey: `${agentConfig.streamKey}/log`,
    maxStepsPerEpisode: config.evaluation.maxStepsPerEpisode,
    actTimeLimitMs: config.evaluation.actTimeLimitMs,
    propensities: true,
    logger: writer,
  });
  return writer.finish({
    agent: agentConfig.name,
    kind: agentConfig.kind,
    policy: log.policy,
    ...(softmax ? { temperature: log.temperature } : { epsilon: log.epsilon }),
    propensities:
      softmax && spec.slateSize > EXACT_MARGINAL_SLOTS ? { slotProb: 'monte-carlo', samples: log.samples } : 'exact',
  });
}

/**
 * Runs `steps` (which steps `env`) with the world's run metrics tallied, and reads them by name;
 * null in a world without run metrics. The tally is on only meanwhile.
 */
export function withRunMetrics<T>(
  env: Env,
  steps: () => T,
): { value: T; runMetrics: Readonly<Record<string, number>> | null } {
  const names = env.spec.runMetricNames ?? [];
  if (names.length === 0 || !env.startRunMetrics || !env.runMetrics || !env.stopRunMetrics)
    return { value: steps(), runMetrics: null };
  env.startRunMetrics();
  try {
    const value = steps();
    const out = new Float64Array(names.length);
    env.runMetrics(out);
    return { value, runMetrics: Object.fromEntries(names.map((name, i) => [name, out[i]])) };
  } finally {
    env.stopRunMetrics();
  }
}
