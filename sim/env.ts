// The batched environment contract and its step loop.
//
// A world steps a batch of B rows at once over flat typed arrays. Each row holds one user's
// episode; an episode's randomness is derived from (seed, component, purpose, episode index), so
// the result of episode e is the same whatever row or batch size it runs in. The loop below hands
// episodes 0..E-1 to rows in order and masks rows once no episodes are left.
import { Rng, type SeedKey } from './rng.ts';
import type { ChoiceModel } from './choice.ts';

export type Observability = 'full' | 'noisy' | 'history';

/** The static shape of a world instance: what a policy may rely on. */
export interface WorldSpec {
  readonly preset: string;
  /** B: rows in the batch. */
  readonly batchSize: number;
  /** N: candidates offered per request. */
  readonly numCandidates: number;
  /** K: slate size, K <= N. */
  readonly slateSize: number;
  /** U: width of a row of `userFeatures`. */
  readonly userFeatureDim: number;
  /** D: width of a row of `itemFeatures`. */
  readonly itemFeatureDim: number;
  /**
   * The first `affinityDim` user features and item features live in one space (topic interests
   * against topic weights): their dot product is the user's affinity for the item, which the
   * world's choice model turns into a click probability (RecSim's score_document).
   */
  readonly affinityDim: number;
  /** The choice model over affinities, as a recommender would assume it (greedy-pctr uses it). */
  readonly choiceModel: ChoiceModel;
  /** S: names of the per-slot signals in `StepResult.signals`. */
  readonly signalNames: readonly string[];
  /** Index into signalNames of the signal counted as a click (the `clicks` metric). */
  readonly clickSignal: number;
  /** Whether candidatePopularity / candidateAgeHours carry information in this world. */
  readonly hasPopularity: boolean;
  readonly hasFreshness: boolean;
  /** Names of extra per-episode metrics the world reports (see Env.episodeMetrics). */
  readonly episodeMetricNames: readonly string[];
  /**
   * What each metric means in this world, for reports: `return`, `episodeLength`, `clicks` and
   * every name in episodeMetricNames, one short phrase each (with units where they matter).
   */
  readonly metricDocs: Readonly<Record<string, string>>;
}

/**
 * What a recommender may see, updated in place by resetRow and step (views stay valid).
 * Layouts are row-major; b = row, n = candidate, d = feature.
 */
export interface Observation {
  /** B x U: the user's features (interests when fully observable, else noisy or history-based). */
  readonly userFeatures: Float32Array;
  /** B x N: for each candidate, its row in itemFeatures / itemIds (not a stable id). */
  readonly candidateItems: Int32Array;
  /** R x D: item feature table indexed by candidateItems (the catalog, or this step's documents). */
  readonly itemFeatures: Float32Array;
  /** R: stable item (post / document) ids for logging. */
  readonly itemIds: Int32Array;
  /** B x N: public popularity counter of each candidate (0 where the world has none). */
  readonly candidatePopularity: Float32Array;
  /** B x N: hours since each candidate was created (0 where the world has no clock). */
  readonly candidateAgeHours: Float32Array;
  /** B x 3: day index, hour of day (0-23), device (0 phone, 1 tablet, 2 desktop). */
  readonly context: Int32Array;
  /** B: 1 while the row holds a user mid-episode, 0 once the row is masked. */
  readonly active: Uint8Array;
}

/** Ground truth that only evaluation (and evaluation-only oracles) may read. */
export interface GroundTruth {
  /** Writes B x N: expected immediate reward of each candidate shown alone in the top slot. */
  immediateValue(out: Float32Array): void;
  /**
   * Writes B x N: the world's ground-truth value of each candidate for the long run (immediate
   * reward plus `qualityWeight` times its expected effect on future engagement, e.g. satisfaction).
   */
  longTermValue(qualityWeight: number, out: Float32Array): void;
  /** Writes B: the expected immediate reward of each row's slate (B x K candidate indices). */
  expectedSlateReward(slates: Int32Array, out: Float32Array): void;
}

export interface StepResult {
  /** B x K x S: per-slot signals (names in WorldSpec.signalNames). */
  readonly signals: Float32Array;
  /** B: reward of this step. */
  readonly reward: Float32Array;
  /** B: 1 if the row's episode ended with this step. */
  readonly done: Uint8Array;
}

export interface Env {
  readonly spec: WorldSpec;
  readonly observation: Observation;
  readonly truth: GroundTruth;
  /** Starts episode `episode` (a fresh user) in `row` and writes its first observation. */
  resetRow(row: number, episode: number): void;
  /** Masks `row`: it takes no further steps. */
  clearRow(row: number): void;
  /** Steps every active row with its slate (B x K candidate indices, distinct within a row). */
  step(slates: Int32Array): StepResult;
  /** Writes the world's extra metrics (WorldSpec.episodeMetricNames) for the episode that just ended in `row`. */
  episodeMetrics(row: number, out: Float64Array): void;
}

/** Anything that picks slates: policies and agents satisfy this structurally. */
export interface SlateDecider {
  /** Writes B x K slates for the active rows; rowRngs[b] is the decider's stream for row b's episode. */
  act(observation: Observation, rowRngs: readonly Rng[], slates: Int32Array): void;
}

/** Per-episode outcome gathered by the loop. */
export interface EpisodeRecord {
  readonly episode: number;
  readonly return: number;
  readonly length: number;
  readonly clicks: number;
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
  /** Component name for the decider's streams (e.g. the agent's name). */
  readonly deciderName: string;
  /** Called after every step, e.g. for learning or progress. */
  readonly onStep?: (result: StepResult, slates: Int32Array) => void;
  /** Called as each episode ends (in completion order; records also come back sorted). */
  readonly onEpisode?: (record: EpisodeRecord) => void;
  /** Safety valve against worlds that never end an episode. */
  readonly maxStepsPerEpisode?: number;
}

/**
 * Runs episodes 0..episodes-1 through the batch and returns their records in episode order.
 * Rows pick up the next episode as soon as theirs ends, so the batch stays full.
 */
export function runEpisodes(env: Env, decider: SlateDecider, options: RunEpisodesOptions): EpisodeRecord[] {
  const { batchSize: rows, slateSize, signalNames, clickSignal, episodeMetricNames } = env.spec;
  const signalCount = signalNames.length;
  const maxSteps = options.maxStepsPerEpisode ?? 1_000_000;
  const slates = new Int32Array(rows * slateSize);
  const rowEpisode = new Int32Array(rows).fill(-1);
  const rowReturn = new Float64Array(rows);
  const rowLength = new Int32Array(rows);
  const rowClicks = new Float64Array(rows);
  const rowRngs: Rng[] = new Array(rows);
  const rowDaily: number[][] = Array.from({ length: rows }, () => []);
  const rowDailySteps: number[][] = Array.from({ length: rows }, () => []);
  const rowDay = new Int32Array(rows); // the day of the request being stepped, read before the step
  const extra = new Float64Array(episodeMetricNames.length);
  const records: EpisodeRecord[] = new Array(options.episodes);
  let nextEpisode = 0;
  let running = 0;

  const startRow = (row: number): void => {
    if (nextEpisode < options.episodes) {
      const episode = nextEpisode++;
      rowEpisode[row] = episode;
      rowReturn[row] = 0;
      rowLength[row] = 0;
      rowClicks[row] = 0;
      rowDaily[row] = [];
      rowDailySteps[row] = [];
      rowRngs[row] = Rng.derive(options.seed, options.deciderName, 'act', episode);
      env.resetRow(row, episode);
      running++;
    } else {
      rowEpisode[row] = -1;
      env.clearRow(row);
    }
  };
  for (let row = 0; row < rows; row++) startRow(row);

  while (running > 0) {
    const context = env.observation.context;
    for (let row = 0; row < rows; row++) rowDay[row] = context[row * 3];
    decider.act(env.observation, rowRngs, slates);
    const result = env.step(slates);
    options.onStep?.(result, slates);
    for (let row = 0; row < rows; row++) {
      const episode = rowEpisode[row];
      if (episode < 0) continue;
      rowReturn[row] += result.reward[row];
      const daily = rowDaily[row];
      const dailySteps = rowDailySteps[row];
      const day = rowDay[row];
      while (daily.length <= day) {
        daily.push(0);
        dailySteps.push(0);
      }
      daily[day] += result.reward[row];
      dailySteps[day] += 1;
      rowLength[row] += 1;
      const signalBase = row * slateSize * signalCount + clickSignal;
      for (let slot = 0; slot < slateSize; slot++) rowClicks[row] += result.signals[signalBase + slot * signalCount];
      if (result.done[row] === 0 && rowLength[row] < maxSteps) continue;
      env.episodeMetrics(row, extra);
      const record: EpisodeRecord = {
        episode,
        return: rowReturn[row],
        length: rowLength[row],
        clicks: rowClicks[row],
        dailyReturn: rowDaily[row],
        dailySteps: rowDailySteps[row],
        extra: Array.from(extra),
        truncated: result.done[row] === 0,
      };
      records[episode] = record;
      options.onEpisode?.(record);
      running--;
      startRow(row);
    }
  }
  return records;
}

/** The shape of a world's observation arrays. */
export interface ObservationShape {
  readonly batchSize: number;
  readonly numCandidates: number;
  readonly userFeatureDim: number;
  readonly itemFeatureDim: number;
  /**
   * A fixed item table (a catalog: R x D features and R ids) that candidates index. Omitted: the
   * items are drawn per row and step (R = B x N), and candidate n of row b is item b * N + n.
   */
  readonly catalog?: { readonly itemFeatures: Float32Array; readonly itemIds: Int32Array };
}

/** Zeroed observation arrays of the given shape (worlds fill them in resetRow and step). */
export function allocateObservation(shape: ObservationShape): Observation {
  const { batchSize: b, numCandidates: n, catalog } = shape;
  const candidateItems = new Int32Array(b * n);
  if (!catalog) for (let i = 0; i < candidateItems.length; i++) candidateItems[i] = i;
  return {
    userFeatures: new Float32Array(b * shape.userFeatureDim),
    candidateItems,
    itemFeatures: catalog?.itemFeatures ?? new Float32Array(b * n * shape.itemFeatureDim),
    itemIds: catalog?.itemIds ?? new Int32Array(b * n),
    candidatePopularity: new Float32Array(b * n),
    candidateAgeHours: new Float32Array(b * n),
    context: new Int32Array(b * 3),
    active: new Uint8Array(b),
  };
}

/** Zeroed step-result arrays: B x K x S signals, B rewards, B done flags. */
export function allocateStepResult(batchSize: number, slateSize: number, signalCount: number): StepResult {
  return {
    signals: new Float32Array(batchSize * slateSize * signalCount),
    reward: new Float32Array(batchSize),
    done: new Uint8Array(batchSize),
  };
}

/**
 * Checks a batch of slates before a world moves any row: every active row's K entries are
 * candidate indices in 0..N-1, all different. A bad slate is a bug in the policy, so it throws a
 * RangeError that names the row, the slot and the candidate, and the batch is left as it was.
 */
export class SlateChecker {
  private readonly world: string;
  private readonly batchSize: number;
  private readonly numCandidates: number;
  private readonly slateSize: number;
  // One bit per candidate, all zero between rows.
  private readonly marks: Int32Array;

  constructor(spec: WorldSpec) {
    this.world = spec.preset;
    this.batchSize = spec.batchSize;
    this.numCandidates = spec.numCandidates;
    this.slateSize = spec.slateSize;
    this.marks = new Int32Array((spec.numCandidates + 31) >>> 5);
  }

  check(slates: Int32Array, active: Uint8Array): void {
    const { marks, numCandidates: n, slateSize: k } = this;
    for (let row = 0; row < this.batchSize; row++) {
      if (active[row] === 0) continue;
      const base = row * k;
      for (let slot = 0; slot < k; slot++) {
        const index = slates[base + slot];
        if (!(index >= 0 && index < n)) {
          this.clear(slates, base, slot);
          throw new RangeError(`${this.world}: slate row ${row} slot ${slot} holds candidate ${index}; expected 0..${n - 1}`);
        }
        const bit = 1 << (index & 31);
        if ((marks[index >>> 5] & bit) !== 0) {
          this.clear(slates, base, slot);
          const first = slates.subarray(base, base + slot).indexOf(index);
          throw new RangeError(`${this.world}: slate row ${row} slot ${slot} repeats candidate ${index} (already in slot ${first}); a slate holds distinct candidates`);
        }
        marks[index >>> 5] |= bit;
      }
      this.clear(slates, base, k);
    }
  }

  /** Clears the marks of slots base..base+count (all valid indices). */
  private clear(slates: Int32Array, base: number, count: number): void {
    for (let slot = 0; slot < count; slot++) this.marks[slates[base + slot] >>> 5] = 0;
  }
}
