// The feed's ground truth: expectations of what a user would do with a post or a page, for the
// oracles and diagnostics (GroundTruth, sim/env.ts). They call the same formulas as the sampling
// path (ResponseFormulas in response.ts, fatigue and leaving in dynamics.ts), so a model change is
// one edit; tests check the expectations against sampled averages.
import type { GroundTruth, Observation } from '../env.ts';
import type { Catalog } from './catalog.ts';
import {
  consumptionSatisfaction,
  fatiguePenalty,
  penaltyOf,
  satisfactionStep,
  topicSum,
  type DynamicsParams,
} from './dynamics.ts';
import {
  logistic,
  SIG_COMMENT,
  SIG_FOLLOW,
  SIG_LIKE,
  SIG_SEE_LESS,
  SIG_SHARE,
  SIG_SKIP,
  SIG_VIEW,
  SIG_WATCH,
  SIGNALS,
  type ResponseModel,
  type ResponseFormulas,
} from './response.ts';
import type { UserBatch } from './users.ts';

export class FeedTruth {
  private readonly formulas: ResponseFormulas;
  private readonly weights: Float64Array;
  // Scratch for the mean-field slate expectation: T topic fatigue increments and K view probabilities.
  private readonly extraFatigue: Float64Array;
  private readonly slotView: Float64Array;
  private readonly expected = new Float64Array(SIGNALS);

  constructor(
    private readonly catalog: Catalog,
    private readonly users: UserBatch,
    response: ResponseModel,
    private readonly d: DynamicsParams,
    slateSize: number,
  ) {
    this.formulas = response.formulas;
    this.weights = response.weights;
    this.extraFatigue = new Float64Array(users.topics);
    this.slotView = new Float64Array(slateSize);
  }

  /** Interest match of the user in `row` with `post`: interests . topic weights. */
  affinity(row: number, post: number): number {
    const c = this.catalog;
    return topicSum(
      this.users.interests,
      row * this.users.topics,
      c.topicA[post],
      c.weightA[post],
      c.topicB[post],
      c.weightB[post],
    );
  }

  /**
   * Expected signals (written to out[0..S)) of `post` examined by the user in `row` with the given
   * fatigue penalty; returns the chance that the user stops to watch it (what moves the state).
   */
  expectedSignals(row: number, post: number, penalty: number, out: Float64Array): number {
    const c = this.catalog;
    const f = this.formulas;
    const affinity = this.affinity(row, post);
    const view = logistic(f.appealLogit(affinity, c.clickbait[post], this.users.susceptibility[row], penalty));
    const finish = f.finishChance(
      c.quality[post],
      affinity,
      c.logLengthMinutes[post],
      this.users.device[row],
      c.format[post],
    );
    const engage = f.engagement(c.quality[post], affinity);
    const seeLessSkip = logistic(f.seeLessLogit(affinity, c.clickbait[post], false));
    const seeLessView = logistic(f.seeLessLogit(affinity, c.clickbait[post], true));
    const follow = this.users.follows(row, c.postCreator[post])
      ? 0
      : f.followChance(engage, this.users.followPropensity[row]);
    // view: the chance the user stops to watch; the view signal is a valid view (viewSeconds).
    const length = c.lengthMinutes[post];
    const valid = view * f.viewerValidChance(finish, length) + (1 - view) * f.skipValidChance(length);
    out[SIG_VIEW] = valid;
    out[SIG_SKIP] = 1 - valid;
    out[SIG_WATCH] = view * f.expectedViewerMinutes(finish, length) + (1 - view) * f.expectedSkipMinutes();
    out[SIG_LIKE] = view * f.likeChance(engage);
    out[SIG_COMMENT] = view * f.commentChance(engage);
    out[SIG_SHARE] = view * f.shareChance(engage);
    out[SIG_FOLLOW] = view * follow;
    out[SIG_SEE_LESS] = (1 - view) * seeLessSkip + view * seeLessView;
    return view;
  }

  /** Expected reward of `post` in the top slot of the next page (always examined). */
  immediateValue(row: number, post: number): number {
    this.expectedSignals(row, post, fatiguePenalty(this.users, row, this.catalog, this.d, post), this.expected);
    return this.weightedExpected();
  }

  /**
   * Immediate value plus qualityWeight x the expected satisfaction target of examining the post
   * (view: consumptionSatisfaction; skip: skipSatisfaction) — the quantity the satisfaction moving
   * average, and with it return visits and churn, is pulled towards.
   */
  longTermValue(row: number, post: number, qualityWeight: number): number {
    const c = this.catalog;
    const view = this.expectedSignals(row, post, fatiguePenalty(this.users, row, c, this.d, post), this.expected);
    const affinity = this.affinity(row, post);
    const satisfaction =
      view * consumptionSatisfaction(this.d, c.quality[post], c.clickbait[post], affinity) +
      (1 - view) * this.d.skipSatisfaction;
    return this.weightedExpected() + qualityWeight * satisfaction;
  }

  /**
   * Expected reward of a page, in a mean-field approximation: slot i is examined with the chance
   * that the user has not left before it, using the expected satisfaction and mood after the posts above;
   * fatigue from the posts above is added in expectation. Exact for the top slot; ignores the
   * patience and budget cut-offs and interest drift within the page.
   */
  expectedPageReward(
    row: number,
    slates: Int32Array,
    slateOffset: number,
    k: number,
    items: Int32Array,
    itemOffset: number,
  ): number {
    const c = this.catalog;
    const u = this.users;
    const d = this.d;
    const extra = this.extraFatigue;
    extra.fill(0);
    let reach = 1;
    let satisfaction = u.satisfaction[row];
    let mood = u.mood[row];
    let total = 0;
    for (let slot = 0; slot < k; slot++) {
      const post = items[itemOffset + slates[slateOffset + slot]];
      const creator = c.postCreator[post];
      let penalty =
        fatiguePenalty(u, row, c, d, post) + penaltyOf(d.topicFatigue, 0, extra[c.topicA[post]] * c.weightA[post], 0);
      const b = c.topicB[post];
      if (b >= 0) penalty += penaltyOf(d.topicFatigue, 0, extra[b] * c.weightB[post], 0);
      for (let above = 0; above < slot; above++) {
        if (c.postCreator[items[itemOffset + slates[slateOffset + above]]] === creator)
          penalty += penaltyOf(0, d.creatorFatigue, 0, this.slotView[above]);
      }
      const view = this.expectedSignals(row, post, penalty, this.expected);
      this.slotView[slot] = view;
      total += reach * this.weightedExpected();
      extra[c.topicA[post]] += view * c.weightA[post];
      if (b >= 0) extra[b] += view * c.weightB[post];
      const target =
        view * consumptionSatisfaction(d, c.quality[post], c.clickbait[post], this.affinity(row, post)) +
        (1 - view) * d.skipSatisfaction;
      satisfaction = satisfactionStep(satisfaction, target, d.satisfactionRate);
      mood += d.moodRate * (view - mood);
      reach *= 1 - this.formulas.leaveProbability(satisfaction, mood);
    }
    return total;
  }

  private weightedExpected(): number {
    let total = 0;
    for (let s = 0; s < SIGNALS; s++) total += this.weights[s] * this.expected[s];
    return total;
  }
}

/** The GroundTruth of a feed batch: per candidate of the active rows, from `truth`. */
export function feedGroundTruth(
  truth: FeedTruth,
  observation: Observation,
  batchSize: number,
  numCandidates: number,
  slateSize: number,
): GroundTruth {
  const B = batchSize;
  const N = numCandidates;
  const K = slateSize;
  const items = observation.candidateItems;
  const active = observation.active;
  return {
    immediateValue: (out) => {
      for (let row = 0; row < B; row++) {
        for (let i = row * N; i < (row + 1) * N; i++)
          out[i] = active[row] === 1 ? truth.immediateValue(row, items[i]) : 0;
      }
    },
    longTermValue: (qualityWeight, out) => {
      for (let row = 0; row < B; row++) {
        for (let i = row * N; i < (row + 1) * N; i++)
          out[i] = active[row] === 1 ? truth.longTermValue(row, items[i], qualityWeight) : 0;
      }
    },
    expectedSlateReward: (slates, out) => {
      for (let row = 0; row < B; row++) {
        out[row] = active[row] === 1 ? truth.expectedPageReward(row, slates, row * K, K, items, row * N) : 0;
      }
    },
  };
}
