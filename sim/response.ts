// What a feed user does with a page: examination top-down, then per examined post the signals
// view / skip, watch minutes, like, comment, share, follow, see less. The appeal of a post (the
// chance it is viewed rather than scrolled past) grows with interest match and with clickbait times
// the user's susceptibility; what the user gets out of it (dynamics.consumptionSatisfaction) grows
// with quality and falls with clickbait. That gap is the point of the world.
import type { Catalog } from './catalog.ts';
import {
  afterSeeLess,
  afterSkip,
  afterView,
  consumptionSatisfaction,
  fatiguePenalty,
  leaveProbability,
  sessionExhausted,
  type DynamicsParams,
} from './dynamics.ts';
import type { ParamValues } from './params.ts';
import type { Rng } from './rng.ts';
import type { UserBatch } from './users.ts';

export const responseParams = {
  appealBias: { type: 'number', default: -1, doc: 'view logit of a post of zero interest match and no clickbait' },
  appealInterest: { type: 'number', default: 3, min: 0, doc: 'view logit gained per unit of interest match (interests . topic weights, in [-1, 1])' },
  clickbaitPull: { type: 'number', default: 3.5, min: 0, doc: 'view logit gained per unit of clickbait x susceptibility' },
  watchBias: { type: 'number', default: 0.3, doc: 'logit of the expected watched share of a viewed post, at quality 0 and match 0' },
  watchQuality: { type: 'number', default: 0.7, doc: 'watched-share logit gained per unit of quality' },
  watchInterest: { type: 'number', default: 1, doc: 'watched-share logit gained per unit of interest match' },
  skipMinutes: { type: 'number', default: 0.03, min: 0, doc: 'minutes spent scrolling past a post' },
  engageQuality: { type: 'number', default: 1, doc: 'like / comment / share / follow logit gained per unit of quality' },
  engageInterest: { type: 'number', default: 1.5, doc: 'like / comment / share / follow logit gained per unit of interest match' },
  likeBias: { type: 'number', default: -2, doc: 'like logit of a viewed post (before quality and match)' },
  commentBias: { type: 'number', default: -4.5, doc: 'comment logit of a viewed post' },
  shareBias: { type: 'number', default: -5, doc: 'share logit of a viewed post' },
  followBias: { type: 'number', default: -3, doc: 'follow logit of a viewed post of a creator not yet followed (times the user\'s follow propensity)' },
  seeLessBias: { type: 'number', default: -4, doc: '"see less" logit of an examined post at zero match' },
  seeLessInterest: { type: 'number', default: 2, min: 0, doc: '"see less" logit lost per unit of interest match' },
  seeLessClickbait: { type: 'number', default: 2, min: 0, doc: '"see less" logit gained per unit of clickbait of a viewed post (regret)' },
} as const;

export type ResponseParams = ParamValues<typeof responseParams>;

export const SIGNAL_NAMES = ['view', 'skip', 'watchMinutes', 'like', 'comment', 'share', 'follow', 'seeLess'] as const;
export const SIGNALS = SIGNAL_NAMES.length;
export const SIG_VIEW = 0;
export const SIG_SKIP = 1;
export const SIG_WATCH = 2;
export const SIG_LIKE = 3;
export const SIG_COMMENT = 4;
export const SIG_SHARE = 5;
export const SIG_FOLLOW = 6;
export const SIG_SEE_LESS = 7;

export const rewardParams = {
  view: { type: 'number', default: 0, doc: 'reward per viewed post' },
  skip: { type: 'number', default: 0, doc: 'reward per skipped post' },
  watchMinutes: { type: 'number', default: 1, doc: 'reward per watched minute' },
  like: { type: 'number', default: 0, doc: 'reward per like' },
  comment: { type: 'number', default: 0, doc: 'reward per comment' },
  share: { type: 'number', default: 0, doc: 'reward per share' },
  follow: { type: 'number', default: 0, doc: 'reward per follow' },
  seeLess: { type: 'number', default: 0, doc: 'reward per "see less" (make it negative to penalise)' },
} as const;

export type RewardParams = ParamValues<typeof rewardParams>;

/** The reward weights in signal order. */
export function rewardWeights(r: RewardParams): Float64Array {
  return Float64Array.from(SIGNAL_NAMES.map((name) => r[name]));
}

// The logistic function from a table on [-16, 16] in steps of 1/128 with linear interpolation
// (error below 1e-6): Math.exp costs ~17 ns here, and a page needs dozens of logistics.
const LOGISTIC_RANGE = 16;
const LOGISTIC_STEPS_PER_UNIT = 128;
const LOGISTIC_TABLE = new Float64Array(2 * LOGISTIC_RANGE * LOGISTIC_STEPS_PER_UNIT + 2);
for (let i = 0; i < LOGISTIC_TABLE.length; i++) {
  LOGISTIC_TABLE[i] = 1 / (1 + Math.exp(-(i / LOGISTIC_STEPS_PER_UNIT - LOGISTIC_RANGE)));
}

/** 1 / (1 + exp(-x)), to about 1e-6. */
export function logistic(x: number): number {
  if (x <= -LOGISTIC_RANGE) return LOGISTIC_TABLE[0];
  if (x >= LOGISTIC_RANGE) return LOGISTIC_TABLE[LOGISTIC_TABLE.length - 2];
  const position = (x + LOGISTIC_RANGE) * LOGISTIC_STEPS_PER_UNIT;
  const index = position | 0;
  const fraction = position - index;
  return LOGISTIC_TABLE[index] + (LOGISTIC_TABLE[index + 1] - LOGISTIC_TABLE[index]) * fraction;
}

/**
 * Expected watched share of a viewed post with expected share f: the post is finished with
 * probability f, otherwise abandoned at a uniform point of the first f of it, so the mean is
 * f + (1 - f) f / 2.
 */
export function expectedWatchShare(f: number): number {
  return f + (1 - f) * f * 0.5;
}

/** The response of users to pages and posts, over the batch's state. */
export class ResponseModel {
  readonly weights: Float64Array;
  /** Set by examine: whether the page ended the session (time budget, patience, or the user stopped). */
  sessionOver = false;
  /** Set by examine: minutes the page took. */
  minutes = 0;
  // Scratch for the mean-field slate expectation: T topic fatigue increments and K view probabilities.
  private readonly extraFatigue: Float64Array;
  private readonly slotView: Float64Array;
  private readonly expected = new Float64Array(SIGNALS);

  constructor(
    private readonly catalog: Catalog,
    private readonly users: UserBatch,
    private readonly r: ResponseParams,
    private readonly d: DynamicsParams,
    reward: RewardParams,
    private readonly historyDecay: number,
    slateSize: number,
  ) {
    this.weights = rewardWeights(reward);
    this.extraFatigue = new Float64Array(users.topics);
    this.slotView = new Float64Array(slateSize);
  }

  /** Interest match of the user in `row` with `post`: interests . topic weights. */
  affinity(row: number, post: number): number {
    const c = this.catalog;
    const base = row * this.users.topics;
    const b = c.topicB[post];
    return this.users.interests[base + c.topicA[post]] * c.weightA[post] + (b >= 0 ? this.users.interests[base + b] * c.weightB[post] : 0);
  }

  /** View logit of `post` given its interest match and a fatigue penalty. */
  appealLogit(row: number, post: number, affinity: number, penalty: number): number {
    const r = this.r;
    return r.appealBias + r.appealInterest * affinity + r.clickbaitPull * this.catalog.clickbait[post] * this.users.susceptibility[row] - penalty;
  }

  /**
   * The user in `row` examines the page slates[slateOffset .. + k) (candidate indices into
   * items[itemOffset..], which holds post ids) top-down; writes the k x S
   * signals at signals[signalOffset..] (zeros for unexamined slots) and returns the reward.
   * Updates the state through dynamics.ts as each post is examined. Draw order per examined
   * post: view, [watch share x2, like, comment, share, follow], see less, leave.
   */
  examine(
    row: number,
    slates: Int32Array,
    slateOffset: number,
    k: number,
    items: Int32Array,
    itemOffset: number,
    rng: Rng,
    signals: Float32Array,
    signalOffset: number,
  ): number {
    const c = this.catalog;
    const u = this.users;
    const r = this.r;
    const d = this.d;
    const w = this.weights;
    signals.fill(0, signalOffset, signalOffset + k * SIGNALS);
    let reward = 0;
    let minutes = 0;
    let over = false;
    for (let slot = 0; slot < k && !over; slot++) {
      const post = items[itemOffset + slates[slateOffset + slot]];
      const at = signalOffset + slot * SIGNALS;
      const affinity = this.affinity(row, post);
      const penalty = fatiguePenalty(u, row, c, d, post);
      const viewed = rng.uniform() < logistic(this.appealLogit(row, post, affinity, penalty));
      let seeLessLogit = r.seeLessBias - r.seeLessInterest * affinity;
      let spent: number;
      if (viewed) {
        const share = logistic(r.watchBias + r.watchQuality * c.quality[post] + r.watchInterest * affinity);
        const finishes = rng.uniform() < share;
        const partial = rng.uniform();
        const watched = (finishes ? 1 : share * partial) * c.lengthMinutes[post];
        const engage = r.engageQuality * c.quality[post] + r.engageInterest * affinity;
        const like = rng.uniform() < logistic(r.likeBias + engage) ? 1 : 0;
        const comment = rng.uniform() < logistic(r.commentBias + engage) ? 1 : 0;
        const share_ = rng.uniform() < logistic(r.shareBias + engage) ? 1 : 0;
        const creator = c.postCreator[post];
        const followDraw = rng.uniform();
        const follow = !u.follows(row, creator) && followDraw < u.followPropensity[row] * logistic(r.followBias + engage) ? 1 : 0;
        if (follow === 1) u.follow(row, creator);
        signals[at + SIG_VIEW] = 1;
        signals[at + SIG_WATCH] = watched;
        signals[at + SIG_LIKE] = like;
        signals[at + SIG_COMMENT] = comment;
        signals[at + SIG_SHARE] = share_;
        signals[at + SIG_FOLLOW] = follow;
        reward += w[SIG_VIEW] + w[SIG_WATCH] * signals[at + SIG_WATCH] + w[SIG_LIKE] * like + w[SIG_COMMENT] * comment + w[SIG_SHARE] * share_ + w[SIG_FOLLOW] * follow;
        seeLessLogit += r.seeLessClickbait * c.clickbait[post];
        afterView(u, row, c, d, post, affinity, this.historyDecay);
        spent = watched;
      } else {
        signals[at + SIG_SKIP] = 1;
        reward += w[SIG_SKIP];
        afterSkip(u, row, d);
        spent = r.skipMinutes;
      }
      if (rng.uniform() < logistic(seeLessLogit)) {
        signals[at + SIG_SEE_LESS] = 1;
        reward += w[SIG_SEE_LESS];
        afterSeeLess(u, row, c, d, post);
      }
      minutes += spent;
      u.budgetLeftMinutes[row] -= spent;
      u.nowHours[row] += spent / 60;
      const leaves = rng.uniform() < leaveProbability(d, u.satisfaction[row]);
      over = leaves || sessionExhausted(u, row);
    }
    this.sessionOver = over;
    this.minutes = minutes;
    return reward;
  }

  /**
   * Expected signals (written to out[0..S)) of `post` examined by the user in `row` with the given
   * fatigue penalty; returns the view probability.
   */
  expectedSignals(row: number, post: number, penalty: number, out: Float64Array): number {
    const c = this.catalog;
    const r = this.r;
    const affinity = this.affinity(row, post);
    const view = logistic(this.appealLogit(row, post, affinity, penalty));
    const share = logistic(r.watchBias + r.watchQuality * c.quality[post] + r.watchInterest * affinity);
    const engage = r.engageQuality * c.quality[post] + r.engageInterest * affinity;
    const seeLessSkip = logistic(r.seeLessBias - r.seeLessInterest * affinity);
    const seeLessView = logistic(r.seeLessBias - r.seeLessInterest * affinity + r.seeLessClickbait * c.clickbait[post]);
    const canFollow = this.users.follows(row, c.postCreator[post]) ? 0 : this.users.followPropensity[row];
    out[SIG_VIEW] = view;
    out[SIG_SKIP] = 1 - view;
    out[SIG_WATCH] = view * expectedWatchShare(share) * c.lengthMinutes[post];
    out[SIG_LIKE] = view * logistic(r.likeBias + engage);
    out[SIG_COMMENT] = view * logistic(r.commentBias + engage);
    out[SIG_SHARE] = view * logistic(r.shareBias + engage);
    out[SIG_FOLLOW] = view * canFollow * logistic(r.followBias + engage);
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
    const satisfaction = view * consumptionSatisfaction(this.d, c.quality[post], c.clickbait[post], affinity) + (1 - view) * this.d.skipSatisfaction;
    return this.weightedExpected() + qualityWeight * satisfaction;
  }

  /**
   * Expected reward of a page, in a mean-field approximation: slot i is examined with the chance
   * that the user has not left before it, using the expected satisfaction after the posts above;
   * fatigue from the posts above is added in expectation. Exact for the top slot; ignores the
   * patience and budget cut-offs and interest drift within the page.
   */
  expectedPageReward(row: number, slates: Int32Array, slateOffset: number, k: number, items: Int32Array, itemOffset: number): number {
    const c = this.catalog;
    const u = this.users;
    const d = this.d;
    const extra = this.extraFatigue;
    extra.fill(0);
    let reach = 1;
    let satisfaction = u.satisfaction[row];
    let total = 0;
    for (let slot = 0; slot < k; slot++) {
      const post = items[itemOffset + slates[slateOffset + slot]];
      const creator = c.postCreator[post];
      let penalty = fatiguePenalty(u, row, c, d, post) + d.topicFatigue * extra[c.topicA[post]] * c.weightA[post];
      const b = c.topicB[post];
      if (b >= 0) penalty += d.topicFatigue * extra[b] * c.weightB[post];
      for (let above = 0; above < slot; above++) {
        if (c.postCreator[items[itemOffset + slates[slateOffset + above]]] === creator) penalty += d.creatorFatigue * this.slotView[above];
      }
      const view = this.expectedSignals(row, post, penalty, this.expected);
      this.slotView[slot] = view;
      total += reach * this.weightedExpected();
      extra[c.topicA[post]] += view * c.weightA[post];
      if (b >= 0) extra[b] += view * c.weightB[post];
      const target = view * consumptionSatisfaction(d, c.quality[post], c.clickbait[post], this.affinity(row, post)) + (1 - view) * d.skipSatisfaction;
      satisfaction += d.satisfactionRate * (target - satisfaction);
      reach *= 1 - leaveProbability(d, satisfaction);
    }
    return total;
  }

  private weightedExpected(): number {
    let total = 0;
    for (let s = 0; s < SIGNALS; s++) total += this.weights[s] * this.expected[s];
    return total;
  }
}
