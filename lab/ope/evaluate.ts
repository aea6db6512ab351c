// `slatelab evaluate`: a target policy estimated from an experiment's interaction logs (config
// `log`), then, because the world is simulated, its true value from on-policy simulation on the
// same users, and each estimator's relative error.
//
// The target acts on every logged observation (lab/ope/replay.ts); its probabilities of the logged
// page are indicators for a deterministic policy and its own propensities for a stochastic one. The
// estimators (eval/ope/slate.ts) pool the logs of every seed. The estimand is the target's expected
// reward per step on the logged users: in a stateless world (the bandit world) the truth is the
// expected reward of the target's pages on those users' contexts, exactly; in a world with state
// (the feed: days, satisfaction, churn) the target would lead users elsewhere, so its on-policy
// reward per step is reported beside the estimates as what it is, not as their error.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Estimate } from '../../eval/ope/estimate.ts';
import { policyAgent } from '../../agents/policy-agent.ts';
import { createPolicy } from '../../policies/policy.ts';
import { allocateAction, type Agent } from '../../agents/agent.ts';
import type { Env } from '../../sim/env.ts';
import { ConfigError, type ExperimentConfig, validateConfig } from '../config/config.ts';
import { createAgent } from '../loop/agent-run.ts';
import { defaultParams } from '../../sim/params.ts';
import { Rng } from '../../sim/rng.ts';
import type { Registries } from '../config/registries.ts';
import { evaluate } from '../loop/rollout.ts';
import { type Interaction, readInteractionLog } from '../store/interaction-log.ts';
import { readManifest } from '../store/manifest.ts';
import { ReplayBatch } from './replay.ts';
import {
  bySize,
  emptySeed,
  type ErrorSummary,
  estimateAll,
  EvaluateError,
  type SeedData,
  type SizePoint,
} from './estimates.ts';

export { EvaluateError, type ErrorSummary, type SizePoint };

export interface EvaluateOptions {
  /** An experiment's results directory with interaction logs. */
  readonly dir: string;
  /**
   * The target: a policy's kind in `registries` (a user's file already added), or with `init` the
   * name of a learning agent saved in that experiment (each seed's log meets that seed's agent).
   */
  readonly policy: string;
  /** An experiment directory whose saved agent `policy` names (config `init:`). */
  readonly init?: string;
  readonly params?: Readonly<Record<string, unknown>>;
  /** The logging agent whose logs to read (default: the only one with logs). */
  readonly logger?: string;
  readonly registries: Registries;
  /**
   * Data sizes (interactions per seed) at which to measure each estimator's error, seed by seed
   * against the seed's truth: the first `size` interactions of each seed's log (worlds without state).
   */
  readonly sizes?: readonly number[];
}

export interface EstimatorResult extends Estimate {
  /** (estimate - truth) / |truth|; null in a world with state (see the top of this file). */
  readonly relError: number | null;
}

export interface EvaluateResult {
  readonly logger: string;
  readonly seeds: readonly number[];
  readonly interactions: number;
  /** The target's reward per step on the logged users: expected (stateless worlds) or on-policy. */
  readonly truth: number;
  /** Whether the world has state, so that the truth is an on-policy figure, not the estimand. */
  readonly stateful: boolean;
  readonly estimators: Readonly<Record<string, EstimatorResult>>;
  /** What an estimator could not be computed from, by name (no per-slot rewards in this world, ...). */
  readonly skipped: Readonly<Record<string, string>>;
  /** With `sizes`: the estimators' errors over seeds at each data size. */
  readonly bySize?: readonly SizePoint[];
}

const BATCH = 64;

export function evaluateLogs(options: EvaluateOptions): EvaluateResult {
  const manifest = readManifest(options.dir);
  const config = manifest.config;
  const logged = manifest.runs.filter((run) => run.logFile !== undefined);
  const loggers = [...new Set(logged.map((run) => run.agent))];
  if (loggers.length === 0)
    throw new EvaluateError(
      `${options.dir}: no interaction logs; run the experiment with --log (or a log: block) first`,
    );
  const logger = options.logger ?? (loggers.length === 1 ? loggers[0] : null);
  if (logger === null || !loggers.includes(logger))
    throw new EvaluateError(
      `${options.dir}: ${logger === null ? 'logs of several agents' : `no logs of agent "${logger}"`}; ` +
        `name one with --logger (${loggers.join(', ')})`,
    );
  const definition = options.init ? null : options.registries.policies[options.policy];
  if (!options.init && !definition)
    throw new EvaluateError(
      options.registries.agents?.[options.policy]
        ? `--policy ${options.policy} is a learning agent: name the experiment that trained it with --init DIR`
        : `--policy ${options.policy}: no such policy; slatelab list shows them, or name your file`,
    );
  if (definition?.evaluationOnly)
    throw new EvaluateError(
      `--policy ${options.policy} reads the world's ground truth, which a log does not hold; evaluate a deployable policy`,
    );
  const world = options.registries.worlds[config.world.preset];
  const runs = logged.filter((run) => run.agent === logger).sort((a, b) => a.seed - b.seed);

  const data: SeedData[] = [];
  let stateful = false;

  for (const run of runs) {
    const file = join(options.dir, run.logFile!);
    if (!existsSync(file)) throw new EvaluateError(`${file}: the log the manifest names is missing`);
    const log = readInteractionLog(file);
    const seedKey = { experiment: config.seed, run: run.seed };
    const seed = emptySeed(run.seed, log.header.world.slateSize, log.header.world.slotRewardWeights);
    seed.candidates = log.header.world.numCandidates;
    // Epsilon-greedy over a deterministic agent logs that agent's own pages: Gamma for the pseudo-inverse estimator.
    seed.epsilon =
      log.header.logging.policy === 'epsilon-greedy' && log.header.columns.some((c) => c.name === 'loggingPage')
        ? (log.header.logging.epsilon ?? null)
        : null;
    data.push(seed);
    const {
      pageReward,
      slotRewards,
      loggingSlot,
      loggingPrefix,
      targetSlot,
      targetPrefix,
      folds,
      loggedArms,
      targetArms,
    } = seed;
    const slotWeights = seed.slotWeights;
    const env = world.create(config.world.params, { seed: seedKey, batchSize: BATCH });
    stateful ||= env.spec.horizonDays !== null && env.spec.horizonDays !== undefined;
    let target: Agent;
    if (definition) {
      const why = definition.unsupported?.(env.spec);
      if (why) throw new EvaluateError(`--policy ${options.policy} cannot run in ${config.world.preset}: ${why}`);
      target = policyAgent(createPolicy(definition, { ...defaultParams(definition.params), ...options.params }, env));
    } else target = savedAgent(options, config, run.seed, env);
    seed.stochastic = target.propensitiesOf !== undefined;
    const n = log.header.world.numCandidates;
    const k = log.header.world.slateSize;
    const signals = log.header.world.signalNames.length;
    const replay = new ReplayBatch(log, BATCH);
    const action = allocateAction(BATCH, k);
    action.scores = new Float32Array(BATCH * log.header.world.numCandidates);
    const slates = action.slates;
    const logged = new Int32Array(BATCH * k);
    const slateProb = new Float64Array(BATCH);
    const slotProb = new Float64Array(BATCH * k);
    const prefixProb = new Float64Array(BATCH * k);
    const rngs: Rng[] = [];
    const flush = (batch: Interaction[]) => {
      replay.fill(batch);
      batch.forEach((record, row) => {
        logged.set(record.slate as Int32Array, row * k);
        rngs[row] = Rng.derive(
          seedKey,
          `ope/${options.policy}`,
          'act',
          (record.episode as number) * 1_000_003 + (record.step as number),
        );
      });
      for (let row = batch.length; row < BATCH; row++) rngs[row] = rngs[0];
      // Each logged step meets the target afresh: an agent with per-user state starts it anew.
      batch.forEach((record, row) => {
        target.beginEpisode?.(row, record.episode as number, 'eval');
      });
      target.act(replay.observation, rngs, action, 'eval');
      target.propensitiesOf?.(replay.observation, logged, slateProb, slotProb, prefixProb);
      const arms = replay.observation.candidateArms;
      batch.forEach((record, row) => {
        pageReward.push(record.reward as number);
        folds.push((record.episode as number) % 2);
        for (let s = 0; s < k; s++) {
          loggedArms.push(arms[row * n + logged[row * k + s]]);
          targetArms.push(arms[row * n + slates[row * k + s]]);
          seed.loggedPages.push(logged[row * k + s]);
          seed.targetPages.push(slates[row * k + s]);
          if (seed.epsilon !== null) seed.greedyPages.push((record.loggingPage as Int32Array)[s]);
        }
        const recordSignals = record.signals as Float32Array;
        let samePrefix = true;
        for (let s = 0; s < k; s++) {
          const same = slates[row * k + s] === logged[row * k + s];
          samePrefix &&= same;
          targetSlot.push(target.propensitiesOf ? slotProb[row * k + s] : same ? 1 : 0);
          targetPrefix.push(target.propensitiesOf ? prefixProb[row * k + s] : samePrefix ? 1 : 0);
          loggingSlot.push((record.slotProb as Float64Array)[s]);
          loggingPrefix.push((record.prefixProb as Float64Array)[s]);
          let slotReward = 0;
          if (slotWeights)
            for (let x = 0; x < signals; x++) slotReward += slotWeights[x] * recordSignals[s * signals + x];
          slotRewards.push(slotReward);
        }
      });
    };
    let batch: Interaction[] = [];
    for (const record of log.interactions()) {
      batch.push(record);
      if (batch.length === BATCH) {
        flush(batch);
        batch = [];
      }
    }
    if (batch.length > 0) flush(batch);

    // The truth: the target on-policy on the same users (the log's episodes 0..E-1).
    const episodes = config.log?.episodes ?? config.evaluation.episodes;
    const expected = new Float32Array(BATCH);
    const exact = env.truth.expectedSlateReward !== undefined && !stateful;
    const activeBefore = new Uint8Array(BATCH);
    let truthSum = 0;
    let truthSteps = 0;
    evaluate(env, target, {
      episodes,
      seed: seedKey,
      streamKey: `ope-truth/${options.policy}`,
      maxStepsPerEpisode: config.evaluation.maxStepsPerEpisode,
      propensities: true,
      onAction: (action) => {
        activeBefore.set(env.observation.active);
        if (exact) env.truth.expectedSlateReward(action.slates, expected);
        for (let row = 0; row < BATCH; row++) {
          if (activeBefore[row] === 0) continue;
          truthSteps++;
          if (exact) truthSum += expected[row];
        }
      },
      onStep: exact
        ? undefined
        : (result) => {
            for (let row = 0; row < BATCH; row++) if (activeBefore[row] === 1) truthSum += result.reward[row];
          },
    });
    target.dispose?.();
    seed.truth = truthSum / truthSteps;
    seed.truthSteps = truthSteps;
  }

  // The headline: every seed's log pooled; the truth, every seed's steps pooled.
  const truth =
    data.reduce((sum, seed) => sum + seed.truth * seed.truthSteps, 0) /
    data.reduce((sum, seed) => sum + seed.truthSteps, 0);
  const { estimates, skipped, interactions } = estimateAll(data, Infinity);
  const estimators: Record<string, EstimatorResult> = {};
  for (const [name, estimate] of Object.entries(estimates))
    estimators[name] = { ...estimate, relError: stateful ? null : (estimate.value - truth) / Math.abs(truth) };
  return {
    logger,
    seeds: runs.map((run) => run.seed),
    interactions,
    truth,
    stateful,
    estimators,
    skipped,
    ...(options.sizes ? { bySize: bySize(data, options.sizes, stateful) } : {}),
  };
}

/** The learning agent `options.policy` saved in `options.init`, for `seed`, loaded as a config's `init:` loads it. */
function savedAgent(options: EvaluateOptions, logs: ExperimentConfig, seed: number, env: Env): Agent {
  let config: ExperimentConfig;
  try {
    config = validateConfig(
      {
        name: 'evaluate',
        seed: logs.seed,
        world: logs.world,
        seeds: [seed],
        agents: [{ name: options.policy, init: { from: options.init, agent: options.policy } }],
        evaluation: { episodes: 1 },
      },
      `--init ${options.init}`,
      options.registries,
    );
  } catch (error) {
    if (error instanceof ConfigError) throw new EvaluateError(error.issues.join('; '));
    throw error;
  }
  return createAgent(config, 0, { experiment: logs.seed, run: seed }, options.registries, env, BATCH);
}
