// The feed's users: a population of interest segments, each user's traits, and the per-row state
// that the response and the dynamics change. Everything is flat typed arrays over the B rows.
import type { Catalog } from './catalog.ts';
import type { ParamValues } from '../params.ts';
import type { Rng } from '../rng.ts';

export const userParams = {
  likedTopicsPerSegment: {
    type: 'int',
    default: 3,
    min: 1,
    max: 1000,
    doc: 'topics a segment likes (interest U(0.5, 1)); the others sit around -0.4',
  },
  interestNoise: {
    type: 'number',
    default: 0.3,
    min: 0,
    doc: "sd of a user's individual deviation from their segment's interests",
  },
  sessionMinutes: { type: 'number', default: 60, min: 0.1, doc: 'median session time budget across users, minutes' },
  sessionMinutesSpread: {
    type: 'number',
    default: 0.5,
    min: 0,
    doc: "lognormal sigma of users' median session budget",
  },
  sessionVariation: {
    type: 'number',
    default: 0.3,
    min: 0,
    doc: "lognormal sigma of one session's budget around the user's median",
  },
  patienceMin: {
    type: 'int',
    default: 3,
    min: 1,
    max: 1000,
    doc: 'fewest consecutive scroll-pasts a user tolerates before leaving the session',
  },
  patienceMax: {
    type: 'int',
    default: 8,
    min: 1,
    max: 1000,
    doc: 'most consecutive scroll-pasts a user tolerates (patience ~ uniform integer in between)',
  },
  susceptibilityMean: {
    type: 'number',
    default: 0.5,
    min: 0,
    max: 1,
    doc: 'mean clickbait susceptibility (per user, normal clipped to [0, 1])',
  },
  susceptibilitySpread: { type: 'number', default: 0.2, min: 0, doc: 'sd of clickbait susceptibility across users' },
  visitsPerDay: {
    type: 'number',
    default: 1.0,
    min: 0.001,
    doc: 'median baseline rate of visits on later days, per day (at satisfaction 0; same-day returns: dynamics.sameDayReturn)',
  },
  visitsSpread: {
    type: 'number',
    default: 0.4,
    min: 0,
    doc: 'lognormal sigma of the baseline visit rate across users',
  },
  followPropensity: {
    type: 'number',
    default: 0.3,
    min: 0,
    max: 1,
    doc: 'mean follow propensity (per user ~ U(0, 2 x mean), clipped to 1)',
  },
  initialFollows: {
    type: 'int',
    default: 5,
    min: 0,
    max: 64,
    doc: 'most creators a new user already follows (uniform 0..this, on liked topics)',
  },
  maxFollows: {
    type: 'int',
    default: 32,
    min: 1,
    max: 1024,
    doc: "size of a user's following list; new follows replace the oldest beyond it",
  },
  initialSatisfaction: { type: 'number', default: 0.3, doc: 'mean satisfaction of a new user' },
  initialSatisfactionSpread: { type: 'number', default: 0.2, min: 0, doc: 'sd of the initial satisfaction' },
  eveningPeakHour: { type: 'number', default: 20, min: 0, max: 24, doc: "mean of the users' main preferred hour" },
  morningPeakShare: {
    type: 'number',
    default: 0.5,
    min: 0,
    max: 1,
    doc: 'share of users with a second, morning peak (around 8:00)',
  },
  diurnalSpreadHours: {
    type: 'number',
    default: 1.5,
    min: 0,
    doc: "sd of a session's start hour around the chosen peak",
  },
  phoneShare: { type: 'number', default: 0.75, min: 0, max: 1, doc: 'share of users whose main device is a phone' },
  tabletShare: {
    type: 'number',
    default: 0.1,
    min: 0,
    max: 1,
    doc: 'share of users whose main device is a tablet (the rest: desktop)',
  },
  tabletSession: {
    type: 'number',
    default: 1.25,
    min: 0.01,
    doc: 'session time budget on a tablet, relative to a phone (lean-back viewing lasts longer)',
  },
  desktopSession: {
    type: 'number',
    default: 0.8,
    min: 0.01,
    doc: 'session time budget on a desktop, relative to a phone',
  },
  eveningSession: {
    type: 'number',
    default: 1.3,
    min: 0.01,
    doc: 'session time budget of a session starting 18:00-24:00, relative to the rest of the day',
  },
  morningSession: {
    type: 'number',
    default: 0.75,
    min: 0.01,
    doc: 'session time budget of a session starting 06:00-10:00 (before work), relative to the rest of the day',
  },
  eveningPatience: {
    type: 'int',
    default: 2,
    min: -1000,
    max: 1000,
    doc: 'more consecutive skips tolerated in a session starting 18:00-24:00',
  },
  morningPatience: {
    type: 'int',
    default: -1,
    min: -1000,
    max: 1000,
    doc:
      'more (negative: fewer) consecutive skips tolerated in a session starting 06:00-10:00; at ' +
      'least 1 in every session',
  },
  deviceSwitch: {
    type: 'number',
    default: 0.15,
    min: 0,
    max: 1,
    doc: 'chance that a session uses another device than the main one',
  },
} as const;

export type UserParams = ParamValues<typeof userParams>;

/** Ring sizes of the cheap recent-history state (recent creators for fatigue, recent topics for retrieval). */
export const RECENT_CREATORS = 8;
export const RECENT_TOPICS = 8;

export const DEVICE_PHONE = 0;
export const DEVICE_TABLET = 1;
export const DEVICE_DESKTOP = 2;

/** The interest segments of one seed: S centres in [-1, 1]^T and their shares. */
export interface Population {
  readonly segments: number;
  readonly topics: number;
  /** S: cumulative segment shares (last = 1). */
  readonly cumulativeShare: Float64Array;
  /** S x T, row-major. */
  readonly centres: Float64Array;
}

/** Draws the segments of a seed from its 'population' stream. */
export function generatePopulation(topics: number, segments: number, p: UserParams, rng: Rng): Population {
  const centres = new Float64Array(segments * topics);
  const cumulativeShare = new Float64Array(segments);
  let total = 0;
  for (let s = 0; s < segments; s++) {
    total += 0.5 + rng.uniform();
    cumulativeShare[s] = total;
    for (let t = 0; t < topics; t++) centres[s * topics + t] = -0.4 + 0.2 * rng.normal();
    const liked = Math.min(p.likedTopicsPerSegment, topics);
    for (let i = 0; i < liked; i++) {
      // Distinct liked topics: redraw a topic already liked.
      let topic = rng.int(topics);
      while (centres[s * topics + topic] >= 0.5) topic = rng.int(topics);
      centres[s * topics + topic] = rng.range(0.5, 1);
    }
  }
  for (let s = 0; s < segments; s++) cumulativeShare[s] /= total;
  cumulativeShare[segments - 1] = 1;
  return { segments, topics, cumulativeShare, centres };
}

/**
 * Traits and state of the B rows. Layouts: per-row arrays have B entries; `B x T` arrays are
 * row-major with T topics per row.
 */
export class UserBatch {
  // Traits, fixed for an episode.
  readonly segment: Int32Array;
  /** Median session budget, minutes. */
  readonly sessionMedianMinutes: Float64Array;
  /** Consecutive skips tolerated before leaving. */
  readonly patience: Int32Array;
  /** The current session's patience: the trait, moved by the session's hour (startSession). */
  readonly sessionPatience: Int32Array;
  readonly susceptibility: Float64Array;
  /** Visits per day at satisfaction 0. */
  readonly visitsPerDay: Float64Array;
  readonly followPropensity: Float64Array;
  /** Preferred start hours; morningPeakHour is -1 for users with a single peak. */
  readonly eveningPeakHour: Float64Array;
  readonly morningPeakHour: Float64Array;
  readonly mainDevice: Int32Array;

  // State.
  /** B x T: latent interests in [-1, 1]. */
  readonly interests: Float64Array;
  readonly satisfaction: Float64Array;
  /**
   * The session's mood: a fast moving average of whether the user stopped on each examined post
   * (1) or scrolled past it (0), from SESSION_START_MOOD at each session's start. Boredom is 1 - mood.
   */
  readonly mood: Float64Array;
  /** B x T: within-session fatigue per topic. */
  readonly topicFatigue: Float64Array;
  /** B x RECENT_CREATORS ring of creators viewed this session (-1 empty); next write at recentCreatorNext. */
  readonly recentCreators: Int32Array;
  readonly recentCreatorNext: Int32Array;
  /** B x RECENT_TOPICS ring of main topics of viewed posts; recentTopicCount counts all pushes. */
  readonly recentTopics: Int32Array;
  readonly recentTopicCount: Int32Array;
  /** B x maxFollows: followed creators; followCount valid, followNext is the slot replaced next when full. */
  readonly following: Int32Array;
  readonly followCount: Int32Array;
  readonly followNext: Int32Array;
  readonly budgetLeftMinutes: Float64Array;
  readonly skipsInRow: Int32Array;
  /** Posts that reached the screen so far in the current session (the observation's sessionPosts). */
  readonly sessionPosts: Int32Array;
  /** Hours since day 0, 00:00. */
  readonly nowHours: Float64Array;
  readonly device: Int32Array;
  readonly sessions: Int32Array;
  readonly daysActive: Int32Array;
  readonly lastActiveDay: Int32Array;
  readonly unsatisfiedSessions: Int32Array;
  readonly churned: Uint8Array;
  // Episode accounting for the metrics.
  readonly firstDayReturn: Float64Array;
  /** Minutes spent on posts over the episode, skips included (time in the app). */
  readonly minutesInApp: Float64Array;
  readonly views: Int32Array;
  readonly viewedClickbait: Float64Array;
  // Observability.
  /** B x T: this session's observation noise (noisy mode). */
  readonly observationNoise: Float64Array;
  /** B x T: decayed average of topic vectors of viewed posts (history mode). */
  readonly history: Float64Array;
  /**
   * B x seenWords bitset: bit (post & 31) of word (post >>> 5) is set once the user viewed the post (retrieval skips
   * it).
   */
  readonly seen: Int32Array;
  readonly seenWords: number;
  /** B x creatorWords: bit c set while the user follows creator c (the same creators as `following`). */
  readonly followedBits: Int32Array;
  readonly creatorWords: number;

  constructor(
    readonly rows: number,
    readonly topics: number,
    readonly posts: number,
    readonly maxFollows: number,
    creators: number,
  ) {
    const B = rows;
    this.creatorWords = (creators + 31) >>> 5;
    this.followedBits = new Int32Array(B * this.creatorWords);
    const T = topics;
    this.segment = new Int32Array(B);
    this.sessionMedianMinutes = new Float64Array(B);
    this.patience = new Int32Array(B);
    this.sessionPatience = new Int32Array(B);
    this.susceptibility = new Float64Array(B);
    this.visitsPerDay = new Float64Array(B);
    this.followPropensity = new Float64Array(B);
    this.eveningPeakHour = new Float64Array(B);
    this.morningPeakHour = new Float64Array(B);
    this.mainDevice = new Int32Array(B);
    this.interests = new Float64Array(B * T);
    this.satisfaction = new Float64Array(B);
    this.mood = new Float64Array(B);
    this.topicFatigue = new Float64Array(B * T);
    this.recentCreators = new Int32Array(B * RECENT_CREATORS);
    this.recentCreatorNext = new Int32Array(B);
    this.recentTopics = new Int32Array(B * RECENT_TOPICS);
    this.recentTopicCount = new Int32Array(B);
    this.following = new Int32Array(B * maxFollows);
    this.followCount = new Int32Array(B);
    this.followNext = new Int32Array(B);
    this.budgetLeftMinutes = new Float64Array(B);
    this.skipsInRow = new Int32Array(B);
    this.sessionPosts = new Int32Array(B);
    this.nowHours = new Float64Array(B);
    this.device = new Int32Array(B);
    this.sessions = new Int32Array(B);
    this.daysActive = new Int32Array(B);
    this.lastActiveDay = new Int32Array(B);
    this.unsatisfiedSessions = new Int32Array(B);
    this.churned = new Uint8Array(B);
    this.firstDayReturn = new Float64Array(B);
    this.minutesInApp = new Float64Array(B);
    this.views = new Int32Array(B);
    this.viewedClickbait = new Float64Array(B);
    this.observationNoise = new Float64Array(B * T);
    this.history = new Float64Array(B * T);
    this.seenWords = (posts + 31) >>> 5;
    this.seen = new Int32Array(B * this.seenWords);
  }

  /** Whether the user in `row` follows `creator` (a bit test: the observation asks it of every candidate). */
  follows(row: number, creator: number): boolean {
    return (this.followedBits[row * this.creatorWords + (creator >>> 5)] & (1 << (creator & 31))) !== 0;
  }

  /** Empties the row's following list. */
  clearFollows(row: number): void {
    this.followCount[row] = 0;
    this.followNext[row] = 0;
    this.followedBits.fill(0, row * this.creatorWords, (row + 1) * this.creatorWords);
  }

  /** Adds a follow, replacing the oldest once the list is full. */
  follow(row: number, creator: number): void {
    const base = row * this.maxFollows;
    const bits = row * this.creatorWords;
    this.followedBits[bits + (creator >>> 5)] |= 1 << (creator & 31);
    if (this.followCount[row] < this.maxFollows) {
      this.following[base + this.followCount[row]++] = creator;
      return;
    }
    // The list holds each creator once (follow is only called for one not followed), so the
    // replaced creator is no longer followed.
    const replaced = this.following[base + this.followNext[row]];
    this.followedBits[bits + (replaced >>> 5)] &= ~(1 << (replaced & 31));
    this.following[base + this.followNext[row]] = creator;
    this.followNext[row] = (this.followNext[row] + 1) % this.maxFollows;
  }
}

/**
 * Draws a fresh user into `row` from the episode's 'user' stream: segment, interests, traits, the
 * creators they already follow. Session-level state is set by dynamics.startSession.
 */
export function sampleUser(
  users: UserBatch,
  row: number,
  population: Population,
  catalog: Catalog,
  p: UserParams,
  rng: Rng,
): void {
  const T = users.topics;
  const base = row * T;
  const u = rng.uniform();
  let segment = 0;
  while (segment < population.segments - 1 && population.cumulativeShare[segment] <= u) segment++;
  users.segment[row] = segment;
  for (let t = 0; t < T; t++) {
    const x = population.centres[segment * T + t] + p.interestNoise * rng.normal();
    users.interests[base + t] = x < -1 ? -1 : x > 1 ? 1 : x;
  }
  users.sessionMedianMinutes[row] = p.sessionMinutes * rng.lognormal(0, p.sessionMinutesSpread);
  const patienceMax = Math.max(p.patienceMin, p.patienceMax);
  users.patience[row] = p.patienceMin + rng.int(patienceMax - p.patienceMin + 1);
  users.susceptibility[row] = clamp(p.susceptibilityMean + p.susceptibilitySpread * rng.normal(), 0, 1);
  users.visitsPerDay[row] = p.visitsPerDay * rng.lognormal(0, p.visitsSpread);
  users.followPropensity[row] = Math.min(1, 2 * p.followPropensity * rng.uniform());
  users.eveningPeakHour[row] = p.eveningPeakHour + rng.normal();
  users.morningPeakHour[row] = rng.uniform() < p.morningPeakShare ? 8 + rng.normal() : -1;
  const d = rng.uniform();
  users.mainDevice[row] =
    d < p.phoneShare ? DEVICE_PHONE : d < p.phoneShare + p.tabletShare ? DEVICE_TABLET : DEVICE_DESKTOP;

  users.clearFollows(row);
  const follows = rng.int(p.initialFollows + 1);
  for (let i = 0; i < follows; i++) {
    // A creator on one of the user's two favourite topics.
    const topic =
      rng.uniform() < 0.5
        ? topTopic(users.interests, base, T, -1)
        : topTopic(users.interests, base, T, topTopic(users.interests, base, T, -1));
    const lo = catalog.topicCreatorStart[topic];
    const hi = catalog.topicCreatorStart[topic + 1];
    if (hi === lo) continue;
    const creator = catalog.topicCreators[lo + rng.int(hi - lo)];
    if (!users.follows(row, creator)) users.follow(row, creator);
  }

  users.satisfaction[row] = p.initialSatisfaction + p.initialSatisfactionSpread * rng.normal();
  // Plain loops: TypedArray.prototype.fill on a few elements costs more than the stores.
  for (let i = row * RECENT_CREATORS, end = i + RECENT_CREATORS; i < end; i++) users.recentCreators[i] = -1;
  users.recentCreatorNext[row] = 0;
  users.recentTopicCount[row] = 0;
  for (let i = base, end = base + T; i < end; i++) {
    users.topicFatigue[i] = 0;
    users.history[i] = 0;
    users.observationNoise[i] = 0;
  }
  const seen = users.seen;
  for (let i = row * users.seenWords, end = i + users.seenWords; i < end; i++) seen[i] = 0;
  users.sessions[row] = 0;
  users.daysActive[row] = 0;
  users.lastActiveDay[row] = -1;
  users.unsatisfiedSessions[row] = 0;
  users.churned[row] = 0;
  users.firstDayReturn[row] = 0;
  users.minutesInApp[row] = 0;
  users.views[row] = 0;
  users.viewedClickbait[row] = 0;
  users.skipsInRow[row] = 0;
  users.sessionPosts[row] = 0;
}

/** The topic with the highest interest, other than `except`. */
function topTopic(interests: Float64Array, base: number, topics: number, except: number): number {
  let best = except === 0 ? 1 : 0;
  for (let t = 0; t < topics; t++) if (t !== except && interests[base + t] > interests[base + best]) best = t;
  return Math.min(best, topics - 1);
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
