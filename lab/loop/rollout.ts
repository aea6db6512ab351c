// The one loop that runs fixed policies and agents alike, in evaluation and in training.
//
// Rows pick up the next episode as soon as theirs ends, so the batch stays full. A round: every
// active row acts (parameters frozen), the world steps them all, then, in training, the agent
// observes the round's transition and updates once. Episode e draws from the world's per-episode
// streams and from the agent's stream (stable key, mode, e), so an evaluation's records do not
// depend on the batch size. Training users are episodes TRAINING_EPISODE_BASE + e: evaluation
// (episodes 0..E-1) never meets a user that training met.
import { actEnded, actStarting } from './act-clock.ts';
import {
  allocateAction,
  type Action,
  type Agent,
  type Mode,
  type TrainingStats,
  type Transition,
} from '../../agents/agent.ts';
import { policyAgent } from '../../agents/policy-agent.ts';
import type { Env, Observation, SlateDecider, StepResult } from '../../sim/env.ts';
import { Rng, type SeedKey } from '../../sim/rng.ts';

import { MAX_TRAINING_EPISODES, TRAINING_EPISODE_BASE } from '../config/episodes.ts';

/** Per-episode outcome gathered by the loop. */
export interface EpisodeRecord {
  readonly episode: number;
  readonly return: number;
  readonly length: number;
  readonly clicks: number;
  /** Impressions over the episode: slots that reached the user's screen (StepResult.impressions), summed over steps. */
  readonly impressions: number;
  /**
   * Per signal, in WorldSpec.signalNames order: the signal summed over the episode's slots (slots never shown read 0).
   */
  readonly signalTotals: readonly number[];
  /** Reward summed per simulated day (context day index 0, 1, ...); worlds without a clock have one day. */
  readonly dailyReturn: readonly number[];
  /** Steps (requests) per simulated day, same days as dailyReturn: a user is active on a day with steps. */
  readonly dailySteps: readonly number[];
  /** Values of WorldSpec.episodeMetricNames, in that order. */
  readonly extra: readonly number[];
  /** True when maxStepsPerEpisode cut the episode short (the world had not ended it). */
  readonly truncated: boolean;
}

export interface RunEpisodesOptions {
  readonly episodes: number;
  /** Seed of the decider's per-episode streams (the world seeds its own). */
  readonly seed: SeedKey;
  /** The decider's stable stream key (agents/stream-key.ts; not its display name). */
  readonly streamKey: string;
  /** Called as each episode ends (in completion order; records also come back sorted). */
  readonly onEpisode?: (record: EpisodeRecord) => void;
  /** Called after every step with the world's result and the slates played (tests, diagnostics). */
  readonly onStep?: (result: StepResult, slates: Int32Array) => void;
  /** Safety valve against worlds that never end an episode. */
  readonly maxStepsPerEpisode?: number;
  /** Milliseconds one act call may take (ActTimeLimitError beyond; default: no limit). */
  readonly actTimeLimitMs?: number;
  /** Ask for the acting policy's propensities every round (for logging); onStep can read them from `action`. */
  readonly propensities?: boolean;
  /** With propensities: called after every step with the action played (slates and propensities). */
  readonly onAction?: (action: Action) => void;
  /** With propensities: receives every interaction (an interaction log, lab/store/interaction-log.ts). */
  readonly logger?: InteractionLogger;
}

/** What an interaction log is fed: each round's observation and action, then the world's result. */
export interface InteractionLogger {
  /** After the policy acted: `episodes[b]` is row b's episode (-1: masked), `steps[b]` its step within it. */
  acted(observation: Observation, action: Action, episodes: Int32Array, steps: Int32Array): void;
  stepped(result: StepResult): void;
}

/** Evaluates a fixed policy (a SlateDecider) on episodes 0..episodes-1: see evaluate. */
export function runEpisodes(env: Env, decider: SlateDecider, options: RunEpisodesOptions): EpisodeRecord[] {
  return evaluate(env, policyAgent(decider), options);
}

/** Runs episodes 0..episodes-1 in evaluation mode and returns their records in episode order. */
export function evaluate(env: Env, agent: Agent, options: RunEpisodesOptions): EpisodeRecord[] {
  const records: EpisodeRecord[] = new Array(options.episodes);
  rollout(env, agent, {
    mode: 'eval',
    seed: options.seed,
    streamKey: options.streamKey,
    firstEpisode: 0,
    episodes: options.episodes,
    maxStepsPerEpisode: options.maxStepsPerEpisode,
    actTimeLimitMs: options.actTimeLimitMs,
    onStep: options.onStep,
    propensities: options.propensities,
    onAction: options.onAction,
    logger: options.logger,
    onEpisode: (record) => {
      records[record.episode] = record;
      options.onEpisode?.(record);
    },
  });
  return records;
}

/** What the training loop reports after each round. */
export interface RoundReport {
  readonly round: number;
  /** User-steps taken so far in training (active rows summed over rounds). */
  readonly steps: number;
  /** Training episodes finished so far. */
  readonly episodes: number;
  /** The agent's statistics of this round's update (empty for agents without). */
  readonly stats: TrainingStats;
  /** Online regret of this round (sum over rows), where the world knows the optimum; else NaN. */
  readonly regret: number;
}

export interface TrainOptions {
  readonly seed: SeedKey;
  readonly streamKey: string;
  /** Stop at the first round boundary with at least this many training steps (Infinity: no limit). */
  readonly steps: number;
  /** Start no training episode past this many (Infinity: no limit). */
  readonly episodes: number;
  readonly maxStepsPerEpisode?: number;
  /** Milliseconds one act call may take (ActTimeLimitError beyond; default: no limit). */
  readonly actTimeLimitMs?: number;
  /** After every round's update: a checkpoint may evaluate (on another env) before the next round. */
  readonly onRound?: (report: RoundReport) => void;
  /** Ask for the exploring policy's propensities every round (logging for off-policy evaluation). */
  readonly propensities?: boolean;
  /** With propensities: called after every act with the action played (slates and propensities). */
  readonly onAction?: (action: Action) => void;
}

/** Trains `agent` in `env` (its batch size is the training batch) until the budget is spent. */
export function train(env: Env, agent: Agent, options: TrainOptions): RolloutTotals {
  return rollout(env, agent, {
    mode: 'train',
    seed: options.seed,
    streamKey: options.streamKey,
    firstEpisode: TRAINING_EPISODE_BASE,
    // Episode indices stay below 2^31 (they are Int32 in transitions): a steps budget that would
    // need more training users than that ends training when they run out.
    episodes: Math.min(options.episodes, MAX_TRAINING_EPISODES),
    stepBudget: options.steps,
    maxStepsPerEpisode: options.maxStepsPerEpisode,
    actTimeLimitMs: options.actTimeLimitMs,
    onRound: options.onRound,
    propensities: options.propensities,
    onAction: options.onAction,
  });
}

/** A policy wrote a score that is not a finite number (NaN, +-Infinity): pages ranked by it would be arbitrary. */
export class ScoreError extends Error {
  override name = 'ScoreError';
}

/** Throws ScoreError at the first active row's score that is not finite. */
function checkScores(scores: Float32Array, active: Uint8Array, n: number, mode: Mode, round: number): void {
  for (let row = 0; row < active.length; row++) {
    if (active[row] === 0) continue;
    for (let c = 0; c < n; c++) {
      const score = scores[row * n + c];
      if (Number.isFinite(score)) continue;
      throw new ScoreError(
        `the policy's score of candidate ${c} in row ${row} is ${score} in ${mode === 'eval' ? 'evaluation' : 'training'} ` +
          `round ${round}: scores must be finite numbers (pages ranked by ${score} are arbitrary); check the ` +
          "policy's arithmetic (0 / 0, the log of 0, a field the world lacks)",
      );
    }
  }
}

/** A policy's act call took longer than evaluation.actTimeLimitMs: the run stops with this. */
export class ActTimeLimitError extends Error {
  override name = 'ActTimeLimitError';
  constructor(took: number, limit: number, mode: Mode, round: number, steps: number) {
    super(
      `act took ${Math.round(took)} ms in ${mode === 'eval' ? 'evaluation' : 'training'} round ${round} ` +
        `(after ${steps} user-steps), over the limit of ${limit} ms a call (evaluation.actTimeLimitMs): ` +
        'make act faster, or raise the limit',
    );
  }
}

interface RolloutOptions {
  readonly mode: Mode;
  readonly seed: SeedKey;
  readonly streamKey: string;
  readonly firstEpisode: number;
  readonly episodes: number;
  readonly stepBudget?: number;
  readonly maxStepsPerEpisode?: number;
  readonly actTimeLimitMs?: number;
  readonly onEpisode?: (record: EpisodeRecord) => void;
  readonly onStep?: (result: StepResult, slates: Int32Array) => void;
  readonly onRound?: (report: RoundReport) => void;
  readonly propensities?: boolean;
  readonly onAction?: (action: Action) => void;
  readonly logger?: InteractionLogger;
}

/** What a rollout came to: user-steps, finished episodes (of which `cutEpisodes` cut at maxStepsPerEpisode), rounds. */
export interface RolloutTotals {
  readonly steps: number;
  readonly episodes: number;
  readonly cutEpisodes: number;
  readonly rounds: number;
}

function rollout(env: Env, agent: Agent, options: RolloutOptions): RolloutTotals {
  const { batchSize: rows, slateSize, signalNames, clickSignal, episodeMetricNames } = env.spec;
  const { mode, firstEpisode } = options;
  const learning = mode === 'train' && agent.observe !== undefined;
  const signalCount = signalNames.length;
  const maxSteps = options.maxStepsPerEpisode ?? 1_000_000;
  const timeLimit = options.actTimeLimitMs ?? Infinity;
  const stepBudget = options.stepBudget ?? Infinity;
  const action = allocateAction(rows, slateSize);
  action.propensities = options.propensities === true;
  const n = env.spec.numCandidates;
  const scores = new Float32Array(rows * n);
  action.scores = scores;
  const rowEpisode = new Int32Array(rows).fill(-1); // the episode index relative to firstEpisode
  const rowReturn = new Float64Array(rows);
  const rowLength = new Int32Array(rows);
  const rowClicks = new Float64Array(rows);
  // Impressions and per-signal totals, only where records are produced (onEpisode).
  const recording = options.onEpisode !== undefined;
  const rowImpressions = new Float64Array(rows);
  const rowSignals = new Float64Array(recording ? rows * signalCount : 0);
  const rowRngs: Rng[] = new Array(rows);
  const rowDaily: number[][] = Array.from({ length: rows }, () => []);
  const rowDailySteps: number[][] = Array.from({ length: rows }, () => []);
  const rowDay = new Int32Array(rows); // the day of the request being stepped, read before the step
  const ended = new Uint8Array(rows);
  const extra = new Float64Array(episodeMetricNames.length);
  const purpose = mode === 'eval' ? 'act' : 'explore';
  // Online regret (training only, where the world knows the optimum): expected reward of the
  // best slate minus that of the slate played, read from the truth before the step.
  const optimal = mode === 'train' && env.truth.optimalSlateReward ? new Float32Array(rows) : null;
  const played = optimal ? new Float32Array(rows) : null;
  const transition = learning ? new TransitionBuffers(env, action) : null;
  const logger = options.logger ?? null;
  const loggedEpisodes = new Int32Array(logger ? rows : 0);
  let nextEpisode = 0;
  let running = 0;
  let steps = 0;
  let finishedEpisodes = 0;
  let cutEpisodes = 0;
  let round = 0;

  const startRow = (row: number): void => {
    if (nextEpisode < options.episodes && steps < stepBudget) {
      const relative = nextEpisode++;
      const episode = firstEpisode + relative;
      rowEpisode[row] = relative;
      rowReturn[row] = 0;
      rowLength[row] = 0;
      rowClicks[row] = 0;
      rowImpressions[row] = 0;
      if (recording) rowSignals.fill(0, row * signalCount, (row + 1) * signalCount);
      if (mode === 'eval') {
        rowDaily[row] = [];
        rowDailySteps[row] = [];
      }
      rowRngs[row] = Rng.derive(options.seed, options.streamKey, purpose, episode);
      env.resetRow(row, episode);
      agent.beginEpisode?.(row, episode, mode);
      running++;
    } else {
      rowEpisode[row] = -1;
      env.clearRow(row);
    }
  };
  for (let row = 0; row < rows; row++) startRow(row);

  while (running > 0 && steps < stepBudget) {
    const observation = env.observation;
    const context = observation.context;
    for (let row = 0; row < rows; row++) rowDay[row] = context[row * 3];
    transition?.snapshot(observation, rowEpisode, firstEpisode, rowLength);
    if (action.propensities) {
      // Fresh each round: a deterministic round leaves 1, whatever an earlier round wrote.
      action.slateProb.fill(1);
      action.slotProb.fill(1);
      action.prefixProb.fill(1);
    }
    // Whether a run hits the limit can depend on the machine's load: a run either finishes with
    // the same records as anywhere, or fails naming this rule; the clock never enters results.
    const actStarted = timeLimit < Infinity ? performance.now() : 0;
    scores.fill(0);
    actStarting();
    agent.act(observation, rowRngs, action, mode);
    actEnded();
    checkScores(scores, observation.active, n, mode, round);
    if (timeLimit < Infinity) {
      const took = performance.now() - actStarted;
      if (took > timeLimit) throw new ActTimeLimitError(took, timeLimit, mode, round, steps);
    }
    if (action.propensities) options.onAction?.(action);
    if (logger) {
      for (let row = 0; row < rows; row++)
        loggedEpisodes[row] = rowEpisode[row] < 0 ? -1 : firstEpisode + rowEpisode[row];
      logger.acted(observation, action, loggedEpisodes, rowLength);
    }
    if (optimal && played) {
      env.truth.expectedSlateReward(action.slates, played);
      env.truth.optimalSlateReward!(optimal);
    }
    const result = env.step(action.slates);
    options.onStep?.(result, action.slates);
    logger?.stepped(result);
    let roundRegret = optimal ? 0 : Number.NaN;
    for (let row = 0; row < rows; row++) {
      ended[row] = 0;
      const relative = rowEpisode[row];
      if (relative < 0) {
        clearMaskedRow(result, row, slateSize * signalCount);
        continue;
      }
      steps++;
      if (optimal && played) roundRegret += optimal[row] - played[row];
      const reward = result.reward[row];
      rowReturn[row] += reward;
      rowLength[row] += 1;
      const signalBase = row * slateSize * signalCount + clickSignal;
      for (let slot = 0; slot < slateSize; slot++) rowClicks[row] += result.signals[signalBase + slot * signalCount];
      if (recording) {
        rowImpressions[row] += result.impressions[row];
        // Slots past the impressions read 0, so summing all K slots sums the impressions' signals.
        const slotsBase = row * slateSize * signalCount;
        const totalsBase = row * signalCount;
        for (let slot = 0; slot < slateSize; slot++) {
          const slotBase = slotsBase + slot * signalCount;
          for (let signal = 0; signal < signalCount; signal++)
            rowSignals[totalsBase + signal] += result.signals[slotBase + signal];
        }
      }
      if (mode === 'eval') {
        const daily = rowDaily[row];
        const dailySteps = rowDailySteps[row];
        const day = rowDay[row];
        while (daily.length <= day) {
          daily.push(0);
          dailySteps.push(0);
        }
        daily[day] += reward;
        dailySteps[day] += 1;
      }
      const worldEnded = result.done[row] === 1;
      const cut = !worldEnded && rowLength[row] >= maxSteps;
      transition?.outcome(row, worldEnded, result.truncated[row] === 1, cut);
      if (!worldEnded && !cut) continue;
      ended[row] = 1;
      finishedEpisodes++;
      if (cut) cutEpisodes++;
      if (options.onEpisode) {
        env.episodeMetrics(row, extra);
        options.onEpisode({
          episode: firstEpisode + relative,
          return: rowReturn[row],
          length: rowLength[row],
          clicks: rowClicks[row],
          impressions: rowImpressions[row],
          signalTotals: Array.from(rowSignals.subarray(row * signalCount, (row + 1) * signalCount)),
          dailyReturn: rowDaily[row],
          dailySteps: rowDailySteps[row],
          extra: Array.from(extra),
          truncated: cut,
        });
      }
    }
    let stats: TrainingStats = NO_STATS;
    if (transition && agent.observe) {
      agent.observe(transition.view(result));
      stats = agent.update?.(round) ?? NO_STATS;
    }
    options.onRound?.({ round, steps, episodes: finishedEpisodes, stats, regret: roundRegret });
    round++;
    // Ended rows restart only now: the transition's `after` had to hold the world's last state.
    for (let row = 0; row < rows; row++) {
      if (ended[row] === 0) continue;
      running--;
      startRow(row);
    }
  }
  return { steps, episodes: finishedEpisodes, cutEpisodes, rounds: round };
}

const NO_STATS: TrainingStats = Object.freeze({});

/** A masked row carries no stale signals: its reward, impressions, signals and session fields read 0 (NaN hours). */
function clearMaskedRow(result: StepResult, row: number, width: number): void {
  result.reward[row] = 0;
  result.impressions[row] = 0;
  result.signals.fill(0, row * width, (row + 1) * width);
  result.sessionEnded[row] = 0;
  result.sessionEndReason[row] = 0;
  result.stepMinutes[row] = 0;
  result.hoursToNextSession[row] = Number.NaN;
}

/**
 * The buffers of a training transition: a snapshot of the observation the slates were chosen
 * from (worlds overwrite theirs in place; a fixed catalog table is shared, not copied), per-row
 * episode, step and ending flags.
 */
class TransitionBuffers {
  private readonly before: Observation;
  private readonly episode: Int32Array;
  private readonly step: Int32Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;
  private readonly hasNext: Uint8Array;
  private readonly copyItems: boolean;

  constructor(
    private readonly env: Env,
    private readonly action: Action,
  ) {
    const live = env.observation;
    const rows = env.spec.batchSize;
    this.copyItems = env.spec.catalogSize === 0;
    const candidateItems = new Int32Array(live.candidateItems.length);
    this.before = {
      userFeatures: new Float32Array(live.userFeatures.length),
      candidateItems,
      candidateArms:
        live.candidateArms === live.candidateItems ? candidateItems : new Int32Array(live.candidateArms.length),
      itemFeatures: this.copyItems ? new Float32Array(live.itemFeatures.length) : live.itemFeatures,
      itemIds: this.copyItems ? new Int32Array(live.itemIds.length) : live.itemIds,
      fields: Object.fromEntries(
        Object.entries(live.fields).map(([name, values]) => [name, new Float32Array(values.length)]),
      ),
      context: new Int32Array(live.context.length),
      active: new Uint8Array(rows),
    };
    this.episode = new Int32Array(rows);
    this.step = new Int32Array(rows);
    this.terminated = new Uint8Array(rows);
    this.truncated = new Uint8Array(rows);
    this.hasNext = new Uint8Array(rows);
  }

  snapshot(live: Observation, rowEpisode: Int32Array, firstEpisode: number, rowLength: Int32Array): void {
    const before = this.before;
    before.userFeatures.set(live.userFeatures);
    before.candidateItems.set(live.candidateItems);
    if (before.candidateArms !== before.candidateItems) before.candidateArms.set(live.candidateArms);
    if (this.copyItems) {
      before.itemFeatures.set(live.itemFeatures);
      before.itemIds.set(live.itemIds);
    }
    for (const name in before.fields) before.fields[name].set(live.fields[name]);
    before.context.set(live.context);
    before.active.set(live.active);
    for (let row = 0; row < rowEpisode.length; row++) {
      const relative = rowEpisode[row];
      this.episode[row] = relative < 0 ? -1 : firstEpisode + relative;
      this.step[row] = relative < 0 ? -1 : rowLength[row];
      this.terminated[row] = 0;
      this.truncated[row] = 0;
      this.hasNext[row] = 0;
    }
  }

  /**
   * The row's ending: the world's (terminated or truncated), or the loop's step limit (truncated, with a next
   * observation).
   */
  outcome(row: number, worldEnded: boolean, worldTruncated: boolean, cut: boolean): void {
    this.terminated[row] = worldEnded && !worldTruncated ? 1 : 0;
    this.truncated[row] = (worldEnded && worldTruncated) || cut ? 1 : 0;
    this.hasNext[row] = worldEnded && !worldTruncated ? 0 : 1;
  }

  view(result: StepResult): Transition {
    return {
      before: this.before,
      action: this.action,
      signals: result.signals,
      reward: result.reward,
      impressions: result.impressions,
      sessionEnded: result.sessionEnded,
      sessionEndReason: result.sessionEndReason,
      stepMinutes: result.stepMinutes,
      hoursToNextSession: result.hoursToNextSession,
      after: this.env.observation,
      hasNext: this.hasNext,
      episode: this.episode,
      step: this.step,
      terminated: this.terminated,
      truncated: this.truncated,
    };
  }
}
