// The batched environment contract and its step loop.
//
// A world steps a batch of B rows at once over flat typed arrays. Each row holds one user's
// episode; an episode's randomness is derived from (seed, component, purpose, episode index), so
// the result of episode e is the same whatever row or batch size it runs in. The loop that hands
// episodes to rows (and runs policies and agents) is lab/loop/rollout.ts: worlds know nothing of it.
import type { Rng } from './rng.ts';
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
  /**
   * Where a step's reward is a weighted sum of its slots' signals, the weights (signalNames order):
   * a slot's reward is then its own part, which the per-slot off-policy estimators need
   * (eval/ope/slate.ts). Absent where the reward is not a sum over slots.
   */
  readonly slotRewardWeights?: readonly number[];
  /**
   * R > 0 when candidates index a fixed catalog of R items (itemFeatures is R x D and never changes
   * during a run); 0 when items are drawn per request (itemFeatures is (B x N) x D, rewritten by
   * every step).
   */
  readonly catalogSize: number;
  /**
   * A: the number of arms, i.e. things that recur across requests and users, which
   * `Observation.candidateArms` names: catalog items where there is a catalog, document clusters
   * where documents are fresh but fall into a fixed set of clusters; 0 when nothing recurs.
   */
  readonly armCount: number;
  /** What an arm is in this world, for `slatelab list` and reports (e.g. "catalog item"). */
  readonly armDoc: string;
  /**
   * How this world's episodes end, per row (StepResult): `terminated` when the user's episode
   * really ended (no future to bootstrap from), `truncated` when the observation window closed on a
   * user who would go on. One phrase each; an empty string when the world never ends that way.
   */
  readonly endings: { readonly terminated: string; readonly truncated: string };
  /** What a recommender sees: the names of the feature columns and the named fields (docs and `slatelab list`). */
  readonly observationLayout: ObservationLayout;
  /**
   * Whether the world has a clock: Observation.context holds the day and hour of each request, and
   * episode records carry per-day figures (dailyReturn, dailySteps), even for one-day episodes.
   */
  readonly clock: boolean;
  /**
   * Whether StepResult.impressions says which slots the user really saw: a feed user scrolls down
   * the page until they leave, and the first impressions[row] slots reached the screen. False
   * where a world reports the whole slate as shown whatever the user examined (the bandit world,
   * whose examination is position-based and unreported): learners then weigh slot k by the
   * declared examination chance (choiceModel.examination) instead.
   */
  readonly impressionsObserved: boolean;
  /**
   * D: the days an episode covers, 0..D-1, in a world with a clock: a user still there at the end
   * of day D-1 is truncated (a value function knows that day D-1 ends the episode). null in a
   * world without a clock (its episodes are counted in steps; WorldSpec.endings says how they end).
   */
  readonly horizonDays: number | null;
  /** Names of extra per-episode metrics the world reports (see Env.episodeMetrics). */
  readonly episodeMetricNames: readonly string[];
  /**
   * Names of the world's run metrics: figures of many episodes together that no mean of
   * per-episode figures gives (the feed's catalog coverage, creator exposure Gini). The Env's
   * startRunMetrics / runMetrics / stopRunMetrics tally them over the steps in between. Absent in
   * worlds that have none.
   */
  readonly runMetricNames?: readonly string[];
  /**
   * What each metric means in this world, for reports: `return`, `episodeLength`, `clicks` and
   * every name in episodeMetricNames and runMetricNames, one short phrase each (with units where
   * they matter).
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
  /**
   * The world's named fields (WorldSpec.observationLayout.fields), by name: B x N for a candidate
   * field, B for a row field. Only the fields the world declares are present.
   */
  readonly fields: Readonly<Record<string, Float32Array>>;
  /**
   * B x N: the arm of each candidate (0..armCount-1; see WorldSpec.armCount), -1 where nothing
   * recurs. In catalog worlds it is the catalog row, the same array as candidateItems.
   */
  readonly candidateArms: Int32Array;
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
  /**
   * Writes B: the expected immediate reward of the best slate for each row's current request, in
   * worlds that know it (stateless ones, where maximising it is optimal); absent elsewhere. The
   * training loop's online regret is this minus expectedSlateReward of the slate played.
   */
  optimalSlateReward?(out: Float32Array): void;
}

export interface StepResult {
  /** B x K x S: per-slot signals (names in WorldSpec.signalNames). */
  readonly signals: Float32Array;
  /** B: reward of this step. */
  readonly reward: Float32Array;
  /** B: 1 if the row's episode ended with this step (terminated or truncated). */
  readonly done: Uint8Array;
  /**
   * B: 1 if the episode ended because the observation window closed on a user who would go on
   * (a horizon), 0 if it really ended (WorldSpec.endings says which is which). Meaningful only
   * where done is 1; terminated = done && !truncated. A world writes the next observation of a row
   * it truncated (a learner bootstraps from it), none for a row whose episode terminated.
   */
  readonly truncated: Uint8Array;
  /**
   * B: impressions of this step, the slots that reached the user's screen: the first
   * impressions[row] slots of the row's slate (a feed user who leaves mid-page never sees the
   * rest; worlds that show the whole slate write K). 0 for masked rows.
   */
  readonly impressions: Int32Array;
  /**
   * B: 1 if this step was the last of the user's session: they left, or their episode ended with it
   * (a session the horizon cuts mid-scroll ends there). In a world without sessions (no clock) an
   * episode is one session: sessionEnded = done. 0 for masked rows.
   */
  readonly sessionEnded: Uint8Array;
  /**
   * B: why the session ended (SESSION_END): none (0, it goes on), returns (the user comes back
   * after hoursToNextSession), gone (the user left for good: churned; the episode terminated) or
   * horizon (the episode's window closed before their next session: truncated).
   */
  readonly sessionEndReason: Uint8Array;
  /**
   * B: minutes the step took on the world's clock (the page's time on screen in the feed). 0 in a
   * world without a clock (its time is counted in steps) and for masked rows.
   */
  readonly stepMinutes: Float64Array;
  /**
   * B: where sessionEndReason is `returns`, the hours from the end of this step to the start of
   * the user's next session; NaN everywhere else (the session goes on, the user churned, the
   * horizon ended, no clock, masked rows).
   */
  readonly hoursToNextSession: Float64Array;
}

/** Codes of StepResult.sessionEndReason. */
export const SESSION_END = {
  /** The session goes on: the next step is the user's next page. */
  none: 0,
  /** The session ended and the user comes back after hoursToNextSession. */
  returns: 1,
  /** The session ended and the user is gone for good (churned): the episode terminated. */
  gone: 2,
  /** The session ended with the episode's window (horizon) before the user's next session: truncated. */
  horizon: 3,
} as const;

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
  /**
   * Worlds with run metrics (WorldSpec.runMetricNames): starts their tally, from nothing, over
   * every step from now on. Off until started, so stepping without it costs nothing: the lab
   * starts it for a run's final evaluation only (not training, checkpoints, benches or calibration).
   */
  startRunMetrics?(): void;
  /** Writes the run metrics over the steps since startRunMetrics, in runMetricNames order (NaN where undefined). */
  runMetrics?(out: Float64Array): void;
  /** Ends the tally and lets go of it: steps cost nothing more. */
  stopRunMetrics?(): void;
}

/** Anything that picks slates: policies satisfy this (agents go through lab/loop/rollout.ts). */
export interface SlateDecider {
  /**
   * Writes B x K slates for the active rows; rowRngs[b] is the decider's stream for row b's episode.
   * A decider that ranks by scores may write them into `scores` (B x N, when given): the loop stops
   * a run whose scores are NaN or infinite, where pages ranked by them would be arbitrary.
   */
  act(observation: Observation, rowRngs: readonly Rng[], slates: Int32Array, scores?: Float32Array): void;
}

/** A named field of the observation, beyond the feature tables (WorldSpec.observationLayout). */
export interface ObservationField {
  readonly name: string;
  /** 'candidate': one value per candidate (B x N); 'row': one per row (B). */
  readonly scope: 'candidate' | 'row';
  /** What a value means, with its unit. */
  readonly doc: string;
  /** For a categorical field: the name of each code 0, 1, ... */
  readonly categories?: readonly string[];
  /** True for an id (a creator's): a number with no order, to join on, not to weigh. */
  readonly identifier?: boolean;
  /** True for a value that may be negative (a score, a quality): learners use it as it is, not as a count. */
  readonly signed?: boolean;
}

/**
 * A world's observation layout: the meaning of each column of userFeatures and itemFeatures, of
 * the context, and the named fields. What a recommender may read is exactly this.
 */
export interface ObservationLayout {
  /** U names, one per column of userFeatures (e.g. "interest.3"), and what they hold. */
  readonly userFeatures: readonly string[];
  readonly userFeaturesDoc: string;
  /** D names, one per column of itemFeatures. */
  readonly itemFeatures: readonly string[];
  /** What the 3 context columns hold in this world (day, hour, device), or that they are unused. */
  readonly contextDoc: string;
  readonly fields: readonly ObservationField[];
}

/** Whether the world's observation has the named field (policies that need one check this). */
export function hasField(spec: WorldSpec, name: string): boolean {
  return spec.observationLayout.fields.some((field) => field.name === name);
}

/** Feature names name.0, name.1, ... (a block of n columns). */
export function featureNames(name: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${name}.${i}`);
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
  /** The named fields to allocate (WorldSpec.observationLayout.fields); none when omitted. */
  readonly fields?: readonly ObservationField[];
}

/** Zeroed observation arrays of the given shape (worlds fill them in resetRow and step). */
export function allocateObservation(shape: ObservationShape): Observation {
  const { batchSize: b, numCandidates: n, catalog } = shape;
  const candidateItems = new Int32Array(b * n);
  if (!catalog) for (let i = 0; i < candidateItems.length; i++) candidateItems[i] = i;
  return {
    userFeatures: new Float32Array(b * shape.userFeatureDim),
    candidateItems,
    // A catalog row is an arm; elsewhere a world with arms (clusters) fills its own array.
    candidateArms: catalog ? candidateItems : new Int32Array(b * n).fill(-1),
    itemFeatures: catalog?.itemFeatures ?? new Float32Array(b * n * shape.itemFeatureDim),
    itemIds: catalog?.itemIds ?? new Int32Array(b * n),
    fields: Object.fromEntries(
      (shape.fields ?? []).map((field) => [field.name, new Float32Array(field.scope === 'candidate' ? b * n : b)]),
    ),
    context: new Int32Array(b * 3),
    active: new Uint8Array(b),
  };
}

/**
 * Zeroed step-result arrays: B x K x S signals, B rewards, B done and truncated flags, B
 * impressions and session endings (hoursToNextSession NaN).
 */
export function allocateStepResult(batchSize: number, slateSize: number, signalCount: number): StepResult {
  return {
    signals: new Float32Array(batchSize * slateSize * signalCount),
    reward: new Float32Array(batchSize),
    done: new Uint8Array(batchSize),
    truncated: new Uint8Array(batchSize),
    impressions: new Int32Array(batchSize),
    sessionEnded: new Uint8Array(batchSize),
    sessionEndReason: new Uint8Array(batchSize),
    stepMinutes: new Float64Array(batchSize),
    hoursToNextSession: new Float64Array(batchSize).fill(Number.NaN),
  };
}

/**
 * The session fields of a world without sessions or clock, from its done and truncated flags: an
 * episode is one session, so it ends with done (gone where the episode terminated, horizon where
 * it was truncated); steps take no minutes (time is counted in steps) and no next session follows.
 */
export function writeSessionlessEndings(result: StepResult): void {
  const { done, truncated, sessionEnded, sessionEndReason, stepMinutes, hoursToNextSession } = result;
  for (let row = 0; row < done.length; row++) {
    const ended = done[row];
    sessionEnded[row] = ended;
    sessionEndReason[row] =
      ended === 0 ? SESSION_END.none : truncated[row] === 1 ? SESSION_END.horizon : SESSION_END.gone;
    stepMinutes[row] = 0;
    hoursToNextSession[row] = Number.NaN;
  }
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
          throw new RangeError(
            `${this.world}: slate row ${row} slot ${slot} holds candidate ${index}; expected 0..${n - 1}`,
          );
        }
        const bit = 1 << (index & 31);
        if ((marks[index >>> 5] & bit) !== 0) {
          this.clear(slates, base, slot);
          const first = slates.subarray(base, base + slot).indexOf(index);
          throw new RangeError(
            `${this.world}: slate row ${row} slot ${slot} repeats candidate ${index} (already in slot ` +
              `${first}); a slate holds distinct candidates`,
          );
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
