// What a feed user does with a page: examination top-down, then per examined post the signals
// view / skip, watch minutes, like, comment, share, follow, see less. The appeal of a post (the
// chance it is viewed rather than scrolled past) grows with interest match and with clickbait times
// the user's susceptibility; what the user gets out of it (dynamics.consumptionSatisfaction) grows
// with quality and falls with clickbait. That gap is the point of the world.
import {
  POST_CLICKBAIT,
  POST_CREATOR,
  POST_LENGTH,
  POST_QUALITY,
  POST_STRIDE,
  POST_TOPIC_A,
  POST_TOPIC_B,
  type Catalog,
} from './catalog.ts';
import { afterSeeLess, afterSkip, afterView, creatorRepeats, leaveChance, penaltyOf, type DynamicsParams } from './dynamics.ts';
import type { ParamValues } from '../params.ts';
import type { Rng } from '../rng.ts';
import { RECENT_CREATORS, type UserBatch } from './users.ts';

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
// logistic() spells the range, the steps and the last entry as literals.
if (LOGISTIC_RANGE !== 16 || LOGISTIC_STEPS_PER_UNIT !== 128 || LOGISTIC_TABLE.length !== 4098) {
  throw new Error('response.ts: update the literals in logistic() to the table');
}

/** 1 / (1 + exp(-x)), to about 1e-6. */
export function logistic(x: number): number {
  // The range (16) and steps per unit (128) are literals here: V8 reloads module constants on
  // every call. The table's last real entry is 2 * 16 * 128.
  const table = LOGISTIC_TABLE;
  if (x <= -16) return table[0];
  if (x >= 16) return table[4096];
  const position = (x + 16) * 128;
  const index = position | 0;
  const fraction = position - index;
  return table[index] + (table[index + 1] - table[index]) * fraction;
}

/**
 * Expected watched share of a viewed post with expected share f: the post is finished with
 * probability f, otherwise abandoned at a uniform point of the first f of it, so the mean is
 * f + (1 - f) f / 2.
 */
export function expectedWatchShare(f: number): number {
  return f + (1 - f) * f * 0.5;
}

/**
 * The response's formulas, one place for each: the sampling hot path (ResponseModel.examine) and
 * the ground truth's expectations (truth.ts) both call these, so a model change is one edit.
 * Coefficients are plain number fields (V8 reads them like locals and inlines the methods).
 */
export class ResponseFormulas {
  readonly appealBias: number;
  readonly appealInterest: number;
  readonly clickbaitPull: number;
  readonly watchBias: number;
  readonly watchQuality: number;
  readonly watchInterest: number;
  readonly engageQuality: number;
  readonly engageInterest: number;
  readonly likeBias: number;
  readonly commentBias: number;
  readonly shareBias: number;
  readonly followBias: number;
  readonly seeLessBias: number;
  readonly seeLessInterest: number;
  readonly seeLessClickbait: number;
  readonly topicFatigue: number;
  readonly creatorFatigue: number;
  readonly leaveBase: number;
  readonly leaveSatisfaction: number;

  constructor(r: ResponseParams, d: DynamicsParams) {
    this.appealBias = r.appealBias;
    this.appealInterest = r.appealInterest;
    this.clickbaitPull = r.clickbaitPull;
    this.watchBias = r.watchBias;
    this.watchQuality = r.watchQuality;
    this.watchInterest = r.watchInterest;
    this.engageQuality = r.engageQuality;
    this.engageInterest = r.engageInterest;
    this.likeBias = r.likeBias;
    this.commentBias = r.commentBias;
    this.shareBias = r.shareBias;
    this.followBias = r.followBias;
    this.seeLessBias = r.seeLessBias;
    this.seeLessInterest = r.seeLessInterest;
    this.seeLessClickbait = r.seeLessClickbait;
    this.topicFatigue = d.topicFatigue;
    this.creatorFatigue = d.creatorFatigue;
    this.leaveBase = d.leaveBase;
    this.leaveSatisfaction = d.leaveSatisfaction;
  }

  /** Appeal (logit) lost to fatigue: `topicLoad` on the post's topics, `repeats` of its creator this session. */
  fatiguePenalty(topicLoad: number, repeats: number): number {
    return penaltyOf(this.topicFatigue, this.creatorFatigue, topicLoad, repeats);
  }

  /** View logit of a post: interest match, clickbait times the user's susceptibility, less fatigue. */
  appealLogit(affinity: number, clickbait: number, susceptibility: number, penalty: number): number {
    return this.appealBias + this.appealInterest * affinity + this.clickbaitPull * clickbait * susceptibility - penalty;
  }

  /** Expected watched share f of a viewed post (it is finished with probability f). */
  watchShare(quality: number, affinity: number): number {
    return logistic(this.watchBias + this.watchQuality * quality + this.watchInterest * affinity);
  }

  /** The engagement logit every like / comment / share / follow logit adds to its bias. */
  engagement(quality: number, affinity: number): number {
    return this.engageQuality * quality + this.engageInterest * affinity;
  }

  /** "See less" logit of an examined post; a viewed post adds its clickbait (regret). */
  seeLessLogit(affinity: number, clickbait: number, viewed: boolean): number {
    const logit = this.seeLessBias - this.seeLessInterest * affinity;
    return viewed ? logit + this.seeLessClickbait * clickbait : logit;
  }

  /** Chance of stopping scrolling after an examined post (dynamics.leaveProbability). */
  leaveProbability(satisfaction: number): number {
    return leaveChance(this.leaveBase, this.leaveSatisfaction, satisfaction);
  }
}

/** The response of users to pages and posts, over the batch's state. */
export class ResponseModel {
  readonly weights: Float64Array;
  /** Set by examine: whether the page ended the session (time budget, patience, or the user stopped). */
  sessionOver = false;
  /** Set by examine: minutes the page took. */
  minutes = 0;
  /** Set by consume: minutes of the viewed post watched. */
  private watched = 0;
  /** The formulas and their coefficients (shared with the ground truth, truth.ts). */
  readonly formulas: ResponseFormulas;
  private readonly skipMinutes: number;
  /** Whether users.history is observed (observability 'history'); otherwise its update is skipped. */
  private readonly trackHistory: boolean;

  constructor(
    private readonly catalog: Catalog,
    private readonly users: UserBatch,
    r: ResponseParams,
    private readonly d: DynamicsParams,
    reward: RewardParams,
    private readonly historyDecay: number,
    trackHistory = true,
  ) {
    this.weights = rewardWeights(reward);
    this.formulas = new ResponseFormulas(r, d);
    this.skipMinutes = r.skipMinutes;
    this.trackHistory = trackHistory;
  }

  /**
   * The user in `row` examines the page slates[slateOffset .. + k) (candidate indices into
   * items[itemOffset..], which holds post ids) top-down; writes the k x S
   * signals at signals[signalOffset..] (zeros for unexamined slots) and returns the reward.
   * Updates the state through dynamics.ts as each post is examined. Draws per examined post:
   * view; if viewed, (finishes | abandon point), (like | comment), (share | follow); then
   * (see less | leave), where (a | b) is one 32-bit draw split into two 16-bit uniforms.
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
    // Everything the loop reads is hoisted into locals: packed per-post fields (one cache line per
    // post), the row's state offsets, and the parameters as plain numbers.
    const packed = this.catalog.postFloats;
    const packedInts = this.catalog.postInts;
    const pairWeightA = this.catalog.secondTopicWeightA;
    const pairWeightB = this.catalog.secondTopicWeightB;
    const u = this.users;
    const interests = u.interests;
    const fatigue = u.topicFatigue;
    const ring = u.recentCreators;
    const ringBase = row * RECENT_CREATORS;
    const base = row * u.topics;
    const susceptibility = u.susceptibility[row];
    const patience = u.patience[row];
    const wSkip = this.weights[SIG_SKIP];
    const wSeeLess = this.weights[SIG_SEE_LESS];
    const f = this.formulas;
    let reward = 0;
    let minutes = 0;
    let over = false;
    let examined = 0;
    for (let slot = 0; slot < k && !over; slot++) {
      const post = items[itemOffset + slates[slateOffset + slot]];
      const at = signalOffset + slot * SIGNALS;
      const p = post * POST_STRIDE;
      const quality = packed[p + POST_QUALITY];
      const clickbait = packed[p + POST_CLICKBAIT];
      const creator = packedInts[p + POST_CREATOR];
      const topicA = packedInts[p + POST_TOPIC_A];
      const topicB = packedInts[p + POST_TOPIC_B];
      const weightA = topicB >= 0 ? pairWeightA : 1;
      const weightB = topicB >= 0 ? pairWeightB : 0;
      // Interest match and the fatigue penalty (as truth.ts's affinity and dynamics.fatiguePenalty).
      let affinity = interests[base + topicA] * weightA;
      let topicLoad = fatigue[base + topicA] * weightA;
      if (topicB >= 0) {
        affinity += interests[base + topicB] * weightB;
        topicLoad += fatigue[base + topicB] * weightB;
      }
      const repeats = creatorRepeats(ring, ringBase, creator);
      const penalty = f.fatiguePenalty(topicLoad, repeats);
      const viewed = rng.uniform() < logistic(f.appealLogit(affinity, clickbait, susceptibility, penalty));
      let spent: number;
      // Pairs of events that need no more than 16 bits of resolution share one 32-bit draw (its
      // high and low halves are independent uniforms on the grid k / 65536; a probability is then
      // resolved to within 1/65536, far below anything the model or its tests can see): here
      // "see less" and leaving, in consume the viewed post's pairs.
      if (viewed) {
        reward += this.consume(row, post, p, affinity, quality, clickbait, creator, topicA, weightA, topicB, weightB, rng, signals, at);
        spent = this.watched;
      } else {
        signals[at + SIG_VIEW] = 0;
        signals[at + SIG_SKIP] = 1;
        signals[at + SIG_WATCH] = 0;
        signals[at + SIG_LIKE] = 0;
        signals[at + SIG_COMMENT] = 0;
        signals[at + SIG_SHARE] = 0;
        signals[at + SIG_FOLLOW] = 0;
        reward += wSkip;
        afterSkip(u, row, this.d);
        spent = this.skipMinutes;
      }
      // "See less" (high half) and the leave draw (low half) share a draw.
      const draw = rng.uniform() * 65536;
      const high = Math.floor(draw);
      if (high / 65536 < logistic(f.seeLessLogit(affinity, clickbait, viewed))) {
        signals[at + SIG_SEE_LESS] = 1;
        reward += wSeeLess;
        afterSeeLess(u, row, this.d, topicA, weightA, topicB, weightB);
      } else {
        signals[at + SIG_SEE_LESS] = 0;
      }
      minutes += spent;
      const budget = (u.budgetLeftMinutes[row] -= spent);
      u.nowHours[row] += spent / 60;
      // Leaving (dynamics.leaveProbability), then the session's time budget and the user's patience.
      over = draw - high < f.leaveProbability(u.satisfaction[row]) || budget <= 0 || u.skipsInRow[row] >= patience;
      examined = slot + 1;
    }
    // Unexamined slots are all zero.
    for (let i = signalOffset + examined * SIGNALS, end = signalOffset + k * SIGNALS; i < end; i++) signals[i] = 0;
    this.sessionOver = over;
    this.minutes = minutes;
    return reward;
  }

  /**
   * A viewed post: draws how much is watched, like / comment, share / follow; writes those signals
   * at signals[at..], updates the state (dynamics.afterView) and returns the post's reward; the
   * minutes watched are left in `watched`. Its own method, not part of examine's loop: V8 inlines
   * the draws and logistics of a function only within a budget, which examine alone used up.
   */
  private consume(
    row: number,
    post: number,
    p: number,
    affinity: number,
    quality: number,
    clickbait: number,
    creator: number,
    topicA: number,
    weightA: number,
    topicB: number,
    weightB: number,
    rng: Rng,
    signals: Float32Array,
    at: number,
  ): number {
    const u = this.users;
    const w = this.weights;
    const f = this.formulas;
    const share = f.watchShare(quality, affinity);
    let draw = rng.uniform() * 65536;
    let high = Math.floor(draw);
    const finishes = high / 65536 < share;
    const partial = draw - high;
    const watched = (finishes ? 1 : share * partial) * this.catalog.postFloats[p + POST_LENGTH];
    const engage = f.engagement(quality, affinity);
    draw = rng.uniform() * 65536;
    high = Math.floor(draw);
    const like = high / 65536 < logistic(f.likeBias + engage) ? 1 : 0;
    const comment = draw - high < logistic(f.commentBias + engage) ? 1 : 0;
    draw = rng.uniform() * 65536;
    high = Math.floor(draw);
    const share_ = high / 65536 < logistic(f.shareBias + engage) ? 1 : 0;
    const followDraw = draw - high;
    // A logistic is at most 1, so a draw at or above the propensity never follows: the list
    // scan and the logistic are only needed below it (same outcome as testing them first).
    const followPropensity = u.followPropensity[row];
    const follow =
      followDraw < followPropensity && followDraw < followPropensity * logistic(f.followBias + engage) && !u.follows(row, creator) ? 1 : 0;
    if (follow === 1) u.follow(row, creator);
    signals[at + SIG_VIEW] = 1;
    signals[at + SIG_SKIP] = 0;
    signals[at + SIG_WATCH] = watched;
    signals[at + SIG_LIKE] = like;
    signals[at + SIG_COMMENT] = comment;
    signals[at + SIG_SHARE] = share_;
    signals[at + SIG_FOLLOW] = follow;
    afterView(u, row, this.d, post, quality, clickbait, topicA, weightA, topicB, weightB, creator, affinity, this.historyDecay, this.trackHistory);
    this.watched = watched;
    return w[SIG_VIEW] + w[SIG_WATCH] * signals[at + SIG_WATCH] + w[SIG_LIKE] * like + w[SIG_COMMENT] * comment + w[SIG_SHARE] * share_ + w[SIG_FOLLOW] * follow;
  }
}
