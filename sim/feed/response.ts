// What a feed user does with a page: examination top-down, then per examined post the signals
// view / skip, watch minutes, like, comment, share, follow, see less. The appeal of a post (the
// chance it is viewed rather than scrolled past) grows with interest match and with clickbait times
// the user's susceptibility; what the user gets out of it (dynamics.consumptionSatisfaction) grows
// with quality and falls with clickbait. That gap is the point of the world.
import {
  FORMAT_REEL,
  FORMAT_VIDEO,
  POST_CLICKBAIT,
  POST_CREATOR,
  POST_LENGTH,
  POST_QUALITY,
  POST_STRIDE,
  POST_TOPIC_A,
  POST_TOPIC_B,
  type Catalog,
} from './catalog.ts';
import {
  afterSeeLess,
  afterSkip,
  afterValidView,
  afterView,
  creatorRepeats,
  leaveLogit,
  penaltyOf,
  topicSum,
  type DynamicsParams,
} from './dynamics.ts';
import type { ParamValues } from '../params.ts';
import type { Rng } from '../rng.ts';
import { DEVICE_DESKTOP, DEVICE_PHONE, DEVICE_TABLET, RECENT_CREATORS, type UserBatch } from './users.ts';

export const responseParams = {
  appealBias: { type: 'number', default: -2, doc: 'stop logit of a post of zero interest match and no clickbait' },
  appealInterest: {
    type: 'number',
    default: 7,
    min: 0,
    doc: 'stop logit gained per unit of interest match (interests . topic weights, in [-1, 1])',
  },
  clickbaitPull: {
    type: 'number',
    default: 3.5,
    min: 0,
    doc: 'stop logit gained per unit of clickbait x susceptibility',
  },
  watchBias: {
    type: 'number',
    default: -3.3,
    doc: 'logit of the chance that a viewer finishes a one-minute post, at quality 0 and match 0',
  },
  watchQuality: { type: 'number', default: 0.7, doc: 'finish logit gained per unit of quality' },
  watchInterest: { type: 'number', default: 3, doc: 'finish logit gained per unit of interest match' },
  watchLength: {
    type: 'number',
    default: 0.8,
    min: 0,
    doc: "finish logit lost per e-fold of the post's length beyond one minute (long posts are finished less often)",
  },
  phoneReelFinish: {
    type: 'number',
    default: 0.4,
    doc: 'finish logit gained by a reel on a phone (vertical and full screen, where reels are made to be watched)',
  },
  bigScreenVideoFinish: {
    type: 'number',
    default: 0.6,
    doc: 'finish logit gained by a long video on a tablet or desktop (lean-back viewing)',
  },
  abandonSeconds: {
    type: 'number',
    default: 10,
    min: 0.001,
    doc:
      'a viewer who does not finish leaves after Exponential(mean m) seconds, m = abandonSeconds ' +
      'x (0.5 + finish chance)',
  },
  skipSeconds: {
    type: 'number',
    default: 1.5,
    min: 0,
    doc: 'median time on a post the user scrolls past, seconds (recorded as its watchMinutes)',
  },
  skipSpread: {
    type: 'number',
    default: 0.6,
    min: 0,
    doc: 'spread of that time: skipSeconds x exp(skipSpread x U(-1, 1))',
  },
  viewSeconds: {
    type: 'number',
    default: 7,
    min: 0,
    doc:
      'a valid view (the view signal): at least this long on the post, or the whole post when ' +
      "shorter (KuaiRand's definition)",
  },
  rewatchChance: {
    type: 'number',
    default: 0.8,
    min: 0,
    max: 1,
    doc: 'chance that a viewer who finishes a very short post plays it again (falls with length, see rewatchSeconds)',
  },
  rewatchSeconds: {
    type: 'number',
    default: 45,
    min: 0.001,
    doc:
      're-watch chance = rewatchChance x rewatchSeconds / (rewatchSeconds + length in seconds); ' +
      'a re-watch plays U(0, 1) of the post again',
  },
  engageQuality: {
    type: 'number',
    default: 1,
    doc: 'like / comment / share / follow logit gained per unit of quality',
  },
  engageInterest: {
    type: 'number',
    default: 4,
    doc: 'like / comment / share / follow logit gained per unit of interest match',
  },
  likeBias: {
    type: 'number',
    default: -7.4,
    doc: 'like logit of a post the user stopped on (before quality and match)',
  },
  commentBias: { type: 'number', default: -10.1, doc: 'comment logit of a post the user stopped on' },
  shareBias: { type: 'number', default: -9.9, doc: 'share logit of a post the user stopped on' },
  followBias: {
    type: 'number',
    default: -9,
    doc:
      'follow logit of a post the user stopped on, of a creator not yet followed (times the ' +
      "user's follow propensity)",
  },
  seeLessBias: { type: 'number', default: -7.3, doc: '"see less" logit of an examined post at zero match' },
  seeLessInterest: { type: 'number', default: 1.5, min: 0, doc: '"see less" logit lost per unit of interest match' },
  seeLessClickbait: {
    type: 'number',
    default: 2,
    min: 0,
    doc: '"see less" logit gained per unit of clickbait of a post the user stopped on (regret)',
  },
} as const;

export type ResponseParams = ParamValues<typeof responseParams>;

/**
 * Why a session ended within a page: the user chose to stop after a post (the leave hazard), their
 * time budget ran out, or they scrolled past more posts in a row than their patience allows.
 */
export const SESSION_CAUSE = { none: 0, leave: 1, budget: 2, patience: 3 } as const;

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
  view: { type: 'number', default: 0, doc: 'reward per valid view' },
  skip: { type: 'number', default: 0, doc: 'reward per skip (an impression that is not a valid view)' },
  watchMinutes: { type: 'number', default: 1, doc: 'reward per minute on the screen (scroll-pasts included)' },
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
 * Whether an event of chance p happens, given `cell` (0..65535: one 16-bit half of a 32-bit draw).
 * Exactly p: `cell / 65536 < p` alone would round p up to the next multiple of 1/65536 (for a
 * chance of 2e-5, by half; the feed's rare signals have chances that small). The one cell that
 * holds p's edge is split by a fresh uniform from `rng`, drawn once in 65,536 checks on average.
 */
export function happens(cell: number, p: number, rng: Rng): boolean {
  const scaled = p * 65536;
  // Below the edge cell: yes; at or above p's point (e.g. any cell at chance 0): no; the edge
  // cell (cell < scaled < cell + 1): a fresh uniform against the fraction of it below p.
  if (cell + 1 <= scaled) return true;
  if (cell >= scaled) return false;
  return rng.uniform() < scaled - cell;
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
  readonly watchLength: number;
  /** 3 devices x 3 formats: the finish logit a format gains on a device. */
  readonly screenBonus: Float64Array;
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
  readonly leaveBias: number;
  readonly leaveBoredom: number;
  readonly leaveSatisfaction: number;
  /** Time units: minutes (the signals' and the budgets' unit). */
  readonly skipMinutes: number;
  readonly skipSpread: number;
  readonly viewMinutes: number;
  readonly abandonMinutes: number;
  readonly rewatchChance: number;
  readonly rewatchMinutes: number;

  constructor(r: ResponseParams, d: DynamicsParams) {
    this.appealBias = r.appealBias;
    this.appealInterest = r.appealInterest;
    this.clickbaitPull = r.clickbaitPull;
    this.watchBias = r.watchBias;
    this.watchQuality = r.watchQuality;
    this.watchInterest = r.watchInterest;
    this.watchLength = r.watchLength;
    this.screenBonus = new Float64Array(9);
    this.screenBonus[DEVICE_PHONE * 3 + FORMAT_REEL] = r.phoneReelFinish;
    for (const device of [DEVICE_TABLET, DEVICE_DESKTOP])
      this.screenBonus[device * 3 + FORMAT_VIDEO] = r.bigScreenVideoFinish;
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
    this.leaveBias = d.leaveBias;
    this.leaveBoredom = d.leaveBoredom;
    this.leaveSatisfaction = d.leaveSatisfaction;
    this.skipMinutes = r.skipSeconds / 60;
    this.skipSpread = r.skipSpread;
    this.viewMinutes = r.viewSeconds / 60;
    this.abandonMinutes = r.abandonSeconds / 60;
    this.rewatchChance = r.rewatchChance;
    this.rewatchMinutes = r.rewatchSeconds / 60;
  }

  /** Minutes on a post scrolled past, from a uniform u: skipMinutes x exp(skipSpread (2u - 1)). */
  skipDwell(u: number): number {
    return this.skipMinutes * Math.exp(this.skipSpread * (2 * u - 1));
  }

  /** Whether `minutes` on a post of `length` minutes is a valid view: viewSeconds, or the whole post. */
  validView(minutes: number, length: number): boolean {
    return minutes >= this.viewMinutes || minutes >= length;
  }

  /** The chance that a viewer who finished a post of `length` minutes plays it again. */
  rewatchProbability(length: number): number {
    return (this.rewatchChance * this.rewatchMinutes) / (this.rewatchMinutes + length);
  }

  /**
   * Minutes a viewer spends on a post of `length` minutes with finish chance f (finishChance), from
   * two uniforms: with probability f (finish < f) they finish it, and then with rewatchProbability p
   * play u / p of it again (u = partial < p: one uniform decides both, so the extra share is
   * U(0, 1)); otherwise they leave after -ln(partial) x abandonMean(f) minutes (exponential), or
   * at the end of the post if that comes first.
   */
  viewerMinutes(f: number, length: number, finish: number, partial: number): number {
    if (finish >= f) {
      const stay = -Math.log(partial) * this.abandonMean(f);
      return stay < length ? stay : length;
    }
    const p = this.rewatchProbability(length);
    return partial < p ? length * (1 + partial / p) : length;
  }

  /** E[viewerMinutes]: f L (1 + p / 2) + (1 - f) m (1 - exp(-L / m)). */
  expectedViewerMinutes(f: number, length: number): number {
    const m = this.abandonMean(f);
    return f * length * (1 + 0.5 * this.rewatchProbability(length)) + (1 - f) * m * (1 - Math.exp(-length / m));
  }

  /** P(a viewer stays at least `minutes` (at most the length)): finished, or left later than that. */
  viewerStaysChance(f: number, length: number, minutes: number): number {
    const needed = minutes < length ? minutes : length;
    return f + (1 - f) * Math.exp(-needed / this.abandonMean(f));
  }

  /** P(a viewer's time is a valid view). */
  viewerValidChance(f: number, length: number): number {
    return this.viewerStaysChance(f, length, this.viewMinutes);
  }

  /** E[skipDwell]: skipMinutes sinh(skipSpread) / skipSpread. */
  expectedSkipMinutes(): number {
    const sigma = this.skipSpread;
    return sigma > 0 ? (this.skipMinutes * Math.sinh(sigma)) / sigma : this.skipMinutes;
  }

  /** P(a scroll-past is a valid view): its time reaches min(viewSeconds, length). */
  skipValidChance(length: number): number {
    const needed = Math.min(this.viewMinutes, length);
    if (this.skipSpread === 0) return this.skipMinutes >= needed ? 1 : 0;
    // skipDwell(u) >= needed  <=>  u >= (ln(needed / skipMinutes) / skipSpread + 1) / 2
    const threshold = (Math.log(needed / this.skipMinutes) / this.skipSpread + 1) / 2;
    return threshold <= 0 ? 1 : threshold >= 1 ? 0 : 1 - threshold;
  }

  /** Appeal (logit) lost to fatigue: `topicLoad` on the post's topics, `repeats` of its creator this session. */
  fatiguePenalty(topicLoad: number, repeats: number): number {
    return penaltyOf(this.topicFatigue, this.creatorFatigue, topicLoad, repeats);
  }

  /** View logit of a post: interest match, clickbait times the user's susceptibility, less fatigue. */
  appealLogit(affinity: number, clickbait: number, susceptibility: number, penalty: number): number {
    return this.appealBias + this.appealInterest * affinity + this.clickbaitPull * clickbait * susceptibility - penalty;
  }

  /**
   * The chance f that a viewer finishes a post of ln(length in minutes) = `logLength` (the catalog
   * keeps it per post: logLengthMinutes), in `format` (catalog.ts
   * FORMAT_*) on `device` (users.ts DEVICE_*): reels on phones and long videos on big screens are
   * finished more often (screenBonus).
   */
  finishChance(quality: number, affinity: number, logLength: number, device: number, format: number): number {
    return logistic(
      this.watchBias +
        this.watchQuality * quality +
        this.watchInterest * affinity -
        this.watchLength * logLength +
        this.screenBonus[device * 3 + format],
    );
  }

  /** Mean minutes before a viewer who will not finish leaves: abandonSeconds x (0.5 + f). */
  abandonMean(f: number): number {
    return this.abandonMinutes * (0.5 + f);
  }

  /** The engagement logit every like / comment / share / follow logit adds to its bias. */
  engagement(quality: number, affinity: number): number {
    return this.engageQuality * quality + this.engageInterest * affinity;
  }

  /** The chances of a like, a comment and a share of a post the user stopped on, from its engagement logit. */
  likeChance(engage: number): number {
    return logistic(this.likeBias + engage);
  }

  commentChance(engage: number): number {
    return logistic(this.commentBias + engage);
  }

  shareChance(engage: number): number {
    return logistic(this.shareBias + engage);
  }

  /** The chance of a follow of a creator not yet followed, for a user of follow propensity `propensity`. */
  followChance(engage: number, propensity: number): number {
    return propensity * logistic(this.followBias + engage);
  }

  /** "See less" logit of an examined post; a viewed post adds its clickbait (regret). */
  seeLessLogit(affinity: number, clickbait: number, viewed: boolean): number {
    const logit = this.seeLessBias - this.seeLessInterest * affinity;
    return viewed ? logit + this.seeLessClickbait * clickbait : logit;
  }

  /** Chance of stopping scrolling after an examined post (dynamics.leaveProbability, through the logistic table). */
  leaveProbability(satisfaction: number, mood: number): number {
    return logistic(leaveLogit(this.leaveBias, this.leaveBoredom, this.leaveSatisfaction, satisfaction, mood));
  }
}

/** The response of users to pages and posts, over the batch's state. */
export class ResponseModel {
  readonly weights: Float64Array;
  /** Set by examine: whether the page ended the session (time budget, patience, or the user stopped). */
  sessionOver = false;
  /** Set by examine: minutes the page took. */
  minutes = 0;
  /** Set by examine: why the session ended (SESSION_CAUSE), or SESSION_CAUSE.none if it goes on. */
  endCause: number = SESSION_CAUSE.none;
  /** Set by examine: posts of the page that reached the screen (the first `examined` slots). */
  examined = 0;
  /**
   * Set by examine, per examined slot of the page it examined last (with a batch, the last row
   * stepped; slots beyond `examined` keep older values): 1 if the user stopped to watch the post
   * (the hidden decision that moves their state; the view signal is the observable valid view),
   * else 0. Diagnostics and tests.
   */
  readonly stopped: Uint8Array;
  /** Set by consume: minutes the viewer spent on the post. */
  private watched = 0;
  /** The formulas and their coefficients (shared with the ground truth, truth.ts). */
  readonly formulas: ResponseFormulas;
  /** Whether users.history is observed (observability 'history'); otherwise its update is skipped. */
  private readonly trackHistory: boolean;

  constructor(
    private readonly catalog: Catalog,
    private readonly users: UserBatch,
    r: ResponseParams,
    private readonly d: DynamicsParams,
    reward: RewardParams,
    private readonly historyDecay: number,
    slateSize: number,
    trackHistory = true,
  ) {
    this.weights = rewardWeights(reward);
    this.formulas = new ResponseFormulas(r, d);
    this.stopped = new Uint8Array(slateSize);
    this.trackHistory = trackHistory;
  }

  /**
   * The user in `row` examines the page slates[slateOffset .. + k) (candidate indices into
   * items[itemOffset..], which holds post ids) top-down; writes the k x S
   * signals at signals[signalOffset..] (zeros for unexamined slots) and returns the reward.
   * Updates the state through dynamics.ts as each post is examined. Draws per examined post:
   * (stop to watch | scroll-past time); if the user stopped, (finish | partial: re-watch or abandon
   * time), (like | comment), (share | follow); then (see less | leave), where (a | b) is one 32-bit
   * draw split into two 16-bit uniforms.
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
    const patience = u.sessionPatience[row];
    const wSkip = this.weights[SIG_SKIP];
    const wView = this.weights[SIG_VIEW];
    const wWatch = this.weights[SIG_WATCH];
    const wSeeLess = this.weights[SIG_SEE_LESS];
    const f = this.formulas;
    let reward = 0;
    let minutes = 0;
    let over = false;
    let examined = 0;
    let cause: number = SESSION_CAUSE.none;
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
      const affinity = topicSum(interests, base, topicA, weightA, topicB, weightB);
      const topicLoad = topicSum(fatigue, base, topicA, weightA, topicB, weightB);
      const repeats = creatorRepeats(ring, ringBase, creator);
      const penalty = f.fatiguePenalty(topicLoad, repeats);
      // Pairs of events share one 32-bit draw: its high and low halves are independent 16-bit
      // cells, and happens() decides an event from a cell with its exact chance (a fresh draw
      // splits the one cell on the chance's edge). Here whether the user stops to watch (high)
      // and how long a scroll-past lingers (low); then "see less" and leaving; in consume the
      // viewer's pairs.
      const stopDraw = rng.uniform() * 65536;
      const stopHigh = Math.floor(stopDraw);
      // happens(), written out here and below on every examined post's path (V8 does not inline it
      // into this loop, whose inlining budget is spent).
      const stopAt = logistic(f.appealLogit(affinity, clickbait, susceptibility, penalty)) * 65536;
      const viewed = stopHigh + 1 <= stopAt || (stopHigh < stopAt && rng.uniform() < stopAt - stopHigh);
      let spent: number;
      this.stopped[slot] = viewed ? 1 : 0;
      if (viewed) {
        reward += this.consume(
          row,
          post,
          p,
          affinity,
          quality,
          clickbait,
          creator,
          topicA,
          weightA,
          topicB,
          weightB,
          rng,
          signals,
          at,
        );
        spent = this.watched;
      } else {
        // Scrolled past: a second or two on the screen, a valid view only on a post that short.
        spent = f.skipDwell(stopDraw - stopHigh);
        const valid = f.validView(spent, packed[p + POST_LENGTH]) ? 1 : 0;
        signals[at + SIG_VIEW] = valid;
        signals[at + SIG_SKIP] = 1 - valid;
        signals[at + SIG_WATCH] = spent;
        signals[at + SIG_LIKE] = 0;
        signals[at + SIG_COMMENT] = 0;
        signals[at + SIG_SHARE] = 0;
        signals[at + SIG_FOLLOW] = 0;
        if (valid === 1)
          afterValidView(u, row, post, topicA, weightA, topicB, weightB, this.historyDecay, this.trackHistory);
        reward += valid === 1 ? wView : wSkip;
        reward += wWatch * signals[at + SIG_WATCH];
        afterSkip(u, row, this.d);
      }
      // "See less" (high half) and the leave draw (low half) share a draw.
      const draw = rng.uniform() * 65536;
      const high = Math.floor(draw);
      // The low half as a cell (exact: the draw has 32 bits).
      const low = (draw - high) * 65536;
      const seeLessAt = logistic(f.seeLessLogit(affinity, clickbait, viewed)) * 65536;
      if (high + 1 <= seeLessAt || (high < seeLessAt && rng.uniform() < seeLessAt - high)) {
        signals[at + SIG_SEE_LESS] = 1;
        reward += wSeeLess;
        afterSeeLess(u, row, this.d, topicA, weightA, topicB, weightB);
      } else {
        signals[at + SIG_SEE_LESS] = 0;
      }
      minutes += spent;
      u.budgetLeftMinutes[row] -= spent;
      const budget = u.budgetLeftMinutes[row];
      u.nowHours[row] += spent / 60;
      // Leaving (dynamics.leaveProbability), then the session's time budget and the user's patience;
      // a session that ends for several reasons at once is counted under the first (the user's
      // choice to leave before a spent budget).
      const leaveAt = f.leaveProbability(u.satisfaction[row], u.mood[row]) * 65536;
      cause =
        low + 1 <= leaveAt || (low < leaveAt && rng.uniform() < leaveAt - low)
          ? SESSION_CAUSE.leave
          : budget <= 0
            ? SESSION_CAUSE.budget
            : u.skipsInRow[row] >= patience
              ? SESSION_CAUSE.patience
              : SESSION_CAUSE.none;
      over = cause !== SESSION_CAUSE.none;
      examined = slot + 1;
    }
    // Unexamined slots are all zero.
    for (let i = signalOffset + examined * SIGNALS, end = signalOffset + k * SIGNALS; i < end; i++) signals[i] = 0;
    this.sessionOver = over;
    this.endCause = cause;
    this.minutes = minutes;
    this.examined = examined;
    return reward;
  }

  /**
   * A post the user stops to watch: draws how long (viewerMinutes: finish, re-watch or abandon;
   * a valid view once past viewSeconds), like / comment, share / follow; writes those signals
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
    const length = this.catalog.postFloats[p + POST_LENGTH];
    const finishChance = f.finishChance(
      quality,
      affinity,
      this.catalog.logLengthMinutes[post],
      u.device[row],
      this.catalog.format[post],
    );
    // (finish | partial): finished below the share; then partial is the re-watch draw, else the abandon point.
    let draw = rng.uniform() * 65536;
    let high = Math.floor(draw);
    const watched = f.viewerMinutes(finishChance, length, high / 65536, draw - high);
    const valid = f.validView(watched, length) ? 1 : 0;
    const engage = f.engagement(quality, affinity);
    draw = rng.uniform() * 65536;
    high = Math.floor(draw);
    const commentCell = (draw - high) * 65536;
    const like = happens(high, f.likeChance(engage), rng) ? 1 : 0;
    const comment = happens(commentCell, f.commentChance(engage), rng) ? 1 : 0;
    draw = rng.uniform() * 65536;
    high = Math.floor(draw);
    const followCell = (draw - high) * 65536;
    const share = happens(high, f.shareChance(engage), rng) ? 1 : 0;
    // The follow chance is at most the propensity, so a cell above propensity x 65536 never
    // follows: the logistic and the follow check are only needed at or below it (same outcome).
    const followPropensity = u.followPropensity[row];
    const follow =
      followCell <= followPropensity * 65536 &&
      happens(followCell, f.followChance(engage, followPropensity), rng) &&
      !u.follows(row, creator)
        ? 1
        : 0;
    if (follow === 1) u.follow(row, creator);
    signals[at + SIG_VIEW] = valid;
    signals[at + SIG_SKIP] = 1 - valid;
    signals[at + SIG_WATCH] = watched;
    signals[at + SIG_LIKE] = like;
    signals[at + SIG_COMMENT] = comment;
    signals[at + SIG_SHARE] = share;
    signals[at + SIG_FOLLOW] = follow;
    afterView(u, row, this.d, post, quality, clickbait, topicA, weightA, topicB, weightB, creator, affinity);
    if (valid === 1)
      afterValidView(u, row, post, topicA, weightA, topicB, weightB, this.historyDecay, this.trackHistory);
    this.watched = watched;
    return (
      (valid === 1 ? w[SIG_VIEW] : w[SIG_SKIP]) +
      w[SIG_WATCH] * signals[at + SIG_WATCH] +
      w[SIG_LIKE] * like +
      w[SIG_COMMENT] * comment +
      w[SIG_SHARE] * share +
      w[SIG_FOLLOW] * follow
    );
  }
}
