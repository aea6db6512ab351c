// The Agent contract: a policy that learns. The loop (lab/loop/rollout.ts) runs fixed policies and agents
// alike: it tells an agent the mode, the start of each row's episode, every transition while
// training, and calls `update` between rounds. Worlds know nothing of it.
//
// Rounds are synchronous: in a round every active row acts with the parameters frozen, the world
// steps them all, the agent observes the whole batch's transition, then `update` runs once. So
// what an agent learns depends on how many users step together while training: that number is a
// declared training parameter (config `training.batchSize`), and results are byte-identical for
// any thread count and any evaluation batch size (evaluation never learns).
import type { Observation, WorldSpec } from '../sim/env.ts';
import type { ParamIssue, ParamSpecs, ParamValues } from '../sim/params.ts';
import type { Rng, SeedKey } from '../sim/rng.ts';
import type { AgentState } from './state.ts';

/** Training explores and learns; evaluation does neither (and is what summaries report). */
export type Mode = 'train' | 'eval';

/** What `act` writes. The loop owns the buffers and sizes them for the batch. */
export interface Action {
  /** B x K: candidate indices, distinct within a row (active rows only). */
  readonly slates: Int32Array;
  /**
   * B: the probability, under the acting policy given the observation, of the whole ordered slate
   * played. Prefilled with 1 (a deterministic policy leaves it); written only when `propensities`.
   */
  readonly slateProb: Float64Array;
  /**
   * B x K: per slot k, the marginal probability that the candidate played in slot k sits in slot k
   * given the observation. Prefilled with 1; written only when `propensities`.
   */
  readonly slotProb: Float64Array;
  /**
   * B x K: per slot k, the probability of the slate's first k + 1 candidates in their slots (the
   * last: slateProb), for estimators of cascades (eval/ope/slate.ts). Prefilled with 1; written only
   * when `propensities`.
   */
  readonly prefixProb: Float64Array;
  /** Whether the loop wants propensities this round (when logging for off-policy evaluation). */
  propensities: boolean;
  /**
   * B x N, where the loop gives it: the candidates' scores a policy ranked by, if it writes them
   * (optional; prefilled with 0). The loop stops a run whose scores are not finite numbers.
   */
  scores?: Float32Array;
}

/**
 * One round's experience, valid only during `observe` (the loop reuses the buffers). Rows with
 * `episode[b] = -1` were masked: their reward and signals are 0.
 */
export interface Transition {
  /** The observation the slates were chosen from: a snapshot (worlds overwrite theirs in place). */
  readonly before: Observation;
  readonly action: Action;
  /** B x K x S per-slot signals (WorldSpec.signalNames); 0 for masked rows. */
  readonly signals: Float32Array;
  /** B: reward of the step; 0 for masked rows. */
  readonly reward: Float32Array;
  /**
   * B: how many slots reached the user's screen (the first impressions[b] of the slate; K where a
   * world shows the whole slate); 0 for masked rows. A learner of what users do with a post they
   * saw learns from these slots only.
   */
  readonly impressions: Int32Array;
  /**
   * The world's observation after the step. A row's next observation is there only where
   * `hasNext[b]` is 1: every row that goes on or was truncated (by the world's horizon or the
   * loop's step limit); a row whose episode terminated has none.
   */
  readonly after: Observation;
  readonly hasNext: Uint8Array;
  /** B: the episode each row was in (-1 = masked), and the step within it (0 = first). */
  readonly episode: Int32Array;
  readonly step: Int32Array;
  /** B: the user's episode really ended (no future to bootstrap from). */
  readonly terminated: Uint8Array;
  /** B: the observation window closed on a user who would go on (a horizon, the loop's step limit). */
  readonly truncated: Uint8Array;
  /**
   * The clock between steps (StepResult; docs/agents.md#time-between-steps), per row: whether the
   * step ended the user's session, why (SESSION_END in sim/env.ts), the minutes the step took and,
   * where the user comes back, the hours until their next session (NaN otherwise). Worlds without
   * a clock (WorldSpec.horizonDays null) end one session per episode and take 0 minutes a step. The
   * loop's step limit ends no session. 0 (NaN for the hours) for masked rows.
   */
  readonly sessionEnded: Uint8Array;
  readonly sessionEndReason: Uint8Array;
  readonly stepMinutes: Float64Array;
  readonly hoursToNextSession: Float64Array;
}

/** Training statistics of one update (losses, exploration rate, ...), averaged between checkpoints. */
export type TrainingStats = Record<string, number>;

export interface Agent {
  /**
   * Writes slates for the active rows. rowRngs[b] is the agent's stream for row b's episode (named
   * by the agent's stable key, the mode and the episode). In 'eval' mode an agent must not explore
   * and must not change what it has learned: its slates depend only on the observation and rowRngs.
   */
  act(observation: Observation, rowRngs: readonly Rng[], action: Action, mode: Mode): void;
  /**
   * Row `row` starts episode `episode` (a fresh user) in `mode`: reset per-user state. The loop runs
   * at most one batch per mode at a time, so per-row state is kept per mode.
   */
  beginEpisode?(row: number, episode: number, mode: Mode): void;
  /** A training round's transition (never called in evaluation). */
  observe?(transition: Transition): void;
  /** Learns between rounds, after `observe`; returns statistics for the learning curves. */
  update?(round: number): TrainingStats;
  /**
   * Writes N x K (row-major): for row `row` of the last `act`, the probability that candidate n
   * sits in slot k under the acting policy (the pseudo-inverse estimator's matrix). Stochastic
   * agents implement it; a deterministic one's matrix is 0/1 and needs no method.
   */
  slotMarginals?(row: number, out: Float64Array): void;
  /**
   * A stochastic evaluation policy's probabilities of the given pages (which it may not have chosen):
   * slateProb (B), slotProb and prefixProb (B x K), as Action's. The logging policy of off-policy
   * evaluation (agents/logging.ts) mixes them with its exploration's. Deterministic agents leave it out.
   */
  propensitiesOf?(
    observation: Observation,
    slates: Int32Array,
    slateProb: Float64Array,
    slotProb: Float64Array,
    prefixProb: Float64Array,
  ): void;
  /**
   * What the agent has learned (agents/state.ts), enough to act exactly as it does now in 'eval':
   * the run saves it next to its records and a later config can load it (`init:`). Training
   * buffers (logs of impressions, replay) and optimiser moments of networks are not part of it:
   * an agent that trains further after `load` starts them afresh.
   */
  save?(): AgentState;
  /**
   * Replaces what the agent has learned with a state `save` gave (an agent of the same kind, world
   * shape and hyper-parameters that shape it); throws StateMismatch, one line, when it does not fit.
   */
  load?(state: AgentState): void;
  /** Frees what the garbage collector cannot (a network's tensors): called when the run ends. */
  dispose?(): void;
}

/** The agent's own streams, named by its stable key, never by its display name. */
export interface AgentStreams {
  /** Initialisation (e.g. network weights, priors). */
  readonly init: Rng;
  /**
   * Draws outside the per-episode acting streams: replay sampling in `update`, and the redraws
   * that estimate a sampling policy's propensities in `act` (so asking for them changes no slate).
   */
  readonly update: Rng;
}

export interface AgentContext {
  /** The training world's shape (its batchSize is the training batch). */
  readonly spec: WorldSpec;
  readonly seed: SeedKey;
  readonly streams: AgentStreams;
}

export interface AgentDefinition<S extends ParamSpecs = ParamSpecs> {
  readonly name: string;
  /** One line for `slatelab list`. */
  readonly summary: string;
  /** The family, for the README and `slatelab list`: bandit, supervised, rl. */
  readonly family: 'bandit' | 'supervised' | 'rl';
  /** What it learns, one phrase. */
  readonly learns: string;
  /** Hyper-parameters, declared like policy parameters (validated by the config, listed by `slatelab list`). */
  readonly params: S;
  /**
   * Hyper-parameters that change no decision (e.g. how many draws estimate a propensity): left out
   * of the agent's stream key (agents/stream-key.ts), so changing them changes no number.
   */
  readonly notInStreamKey?: readonly (keyof S & string)[];
  /**
   * Why this agent cannot run in a world of this shape with these values, or null. A ParamIssue
   * names the hyper-parameter to change (its field relative to params).
   */
  unsupported?(spec: WorldSpec, values: ParamValues<S>): string | ParamIssue | null;
  /**
   * Whether the agent runs neural networks (agents/nets/): the run then loads the config's backend
   * (`backend`, default wasm) first, and the manifest records it with the TensorFlow.js version.
   */
  readonly nets?: boolean;
  /**
   * Bytes the agent holds at spec.batchSize rows (its logs, statistics and networks), for the
   * memory check before a run (lab/run/plan.ts). An agent without it is built and what is reachable
   * from it counted, which misses arrays held in closures (every agent here declares it).
   */
  memory?(values: ParamValues<S>, spec: WorldSpec): number;
  /**
   * Training steps between the agent's periodic refits (supervised rankers, the cluster bandit):
   * the dry run's timing sample covers at least one (lab/run/plan.ts).
   */
  updateEvery?(values: ParamValues<S>): number;
  /**
   * Training steps before the agent's cost per step settles (a replay buffer filling before the
   * first gradient step): the dry run times them apart from the steady steps (lab/run/plan.ts).
   */
  warmupSteps?(values: ParamValues<S>): number;
  /**
   * Sentences for reports about what these values assume that a reader must know (an oracle
   * choice model, a simplification of the method); none by default.
   */
  notes?(values: ParamValues<S>): string[];
  /** Checks across hyper-parameters (field names relative to params). */
  check?(values: ParamValues<S>): ParamIssue[];
  create(values: ParamValues<S>, context: AgentContext): Agent;
}

export function defineAgent<S extends ParamSpecs>(definition: AgentDefinition<S>): AgentDefinition<S> {
  return definition;
}

/** Fresh action buffers for B rows of K slots. */
export function allocateAction(batchSize: number, slateSize: number): Action {
  return {
    slates: new Int32Array(batchSize * slateSize),
    slateProb: new Float64Array(batchSize).fill(1),
    slotProb: new Float64Array(batchSize * slateSize).fill(1),
    prefixProb: new Float64Array(batchSize * slateSize).fill(1),
    propensities: false,
  };
}
