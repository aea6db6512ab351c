// The feed's creators and posts, the "crowd" that drives their public counters, and candidate
// retrieval (which posts a request may be offered).
//
// The catalog is generated once per seed from the stream (seed, 'feed', 'catalog') and is
// read-only during episodes. Its public counters (views, likes) come from a deterministic crowd
// model — a function of a post's hidden appeal, its age and the clock — not from the simulated
// users, so what user e meets never depends on the batch size or on which other users run
// alongside it.
import type { ParamValues } from './params.ts';
import type { Rng } from './rng.ts';

export const catalogParams = {
  historyDays: { type: 'number', default: 30, min: 1, max: 3650, doc: 'days before day 0 over which the pre-existing posts were created' },
  newPostShare: { type: 'number', default: 0.3, min: 0, max: 0.9, doc: 'share of posts created during the horizon (they become candidates only once created)' },
  secondTopicProbability: { type: 'number', default: 0.4, min: 0, max: 1, doc: 'chance that a post mixes a second topic into its creator\'s main topic' },
  secondTopicWeight: { type: 'number', default: 0.35, min: 0, max: 0.5, doc: 'topic weight of the second topic (the main topic gets the rest)' },
  qualityMean: { type: 'number', default: 0, doc: 'mean hidden quality of a creator without clickbait' },
  creatorQualitySd: { type: 'number', default: 0.6, min: 0, doc: 'spread of creators\' mean quality' },
  postQualitySd: { type: 'number', default: 0.3, min: 0, doc: 'spread of a post\'s quality around its creator\'s mean' },
  clickbaitCreatorShare: { type: 'number', default: 0.25, min: 0, max: 1, doc: 'share of creators who use clickbait (level ~ U(0.5, 1); the others ~ U(0, 0.15))' },
  clickbaitQualityPenalty: { type: 'number', default: 1.2, min: 0, doc: 'mean quality lost per unit of a creator\'s clickbait level' },
  postClickbaitSd: { type: 'number', default: 0.08, min: 0, doc: 'spread of a post\'s clickbait around its creator\'s level (clipped to [0, 1])' },
  photoShare: { type: 'number', default: 0.35, min: 0, max: 1, doc: 'share of photo posts' },
  videoShare: { type: 'number', default: 0.25, min: 0, max: 1, doc: 'share of long videos (the rest are reels)' },
  photoMinutes: { type: 'number', default: 0.15, min: 0.001, doc: 'median time to take in a photo post, minutes' },
  reelMinutes: { type: 'number', default: 0.5, min: 0.001, doc: 'median reel length, minutes' },
  videoMinutes: { type: 'number', default: 3, min: 0.001, doc: 'median video length, minutes' },
  lengthSpread: { type: 'number', default: 0.4, min: 0, doc: 'lognormal sigma of post lengths around their format\'s median' },
  crowdViewsPerHour: { type: 'number', default: 40, min: 0, doc: 'crowd views per hour of a fresh post of average appeal' },
  crowdQuality: { type: 'number', default: 0.8, min: 0, doc: 'log crowd views gained per unit of quality' },
  crowdClickbait: { type: 'number', default: 1.5, min: 0, doc: 'log crowd views gained per unit of clickbait (the crowd falls for it too)' },
  crowdNoise: { type: 'number', default: 0.6, min: 0, doc: 'lognormal sigma of a post\'s luck with the crowd' },
  crowdAttentionHours: { type: 'number', default: 24, min: 0.1, doc: 'age (hours) at which a post has gathered half of its lifetime views' },
  trendingSize: { type: 'int', default: 100, min: 1, max: 100_000, doc: 'length of the daily trending list (top posts by crowd views of the past 24 h)' },
} as const;

export type CatalogParams = ParamValues<typeof catalogParams>;

export const retrievalParams = {
  following: { type: 'number', default: 0.2, min: 0, doc: 'weight of recent posts of followed creators' },
  topic: { type: 'number', default: 0.35, min: 0, doc: 'weight of recent posts on topics of the user\'s recent engagement' },
  trending: { type: 'number', default: 0.15, min: 0, doc: 'weight of the day\'s trending posts' },
  fresh: { type: 'number', default: 0.1, min: 0, doc: 'weight of the newest posts' },
  random: { type: 'number', default: 0.2, min: 0, doc: 'weight of posts drawn uniformly from everything created so far' },
  followRecentPosts: { type: 'int', default: 5, min: 1, max: 65_536, doc: 'a followed creator contributes one of their latest this-many posts' },
  topicWindow: { type: 'int', default: 300, min: 1, max: 65_536, doc: 'a topic contributes one of its latest this-many posts' },
  freshWindow: { type: 'int', default: 200, min: 1, max: 1_000_000, doc: '"fresh" means among the latest this-many posts' },
} as const;

export type RetrievalParams = ParamValues<typeof retrievalParams>;

// Two indices below 2^16 from one 32-bit draw (each half times n, shifted): the sources that pick
// a list and then a post in it spend one draw instead of two. Index bias is at most n / 2^16.
const TWO_POW_32 = 4294967296;

export const SOURCE_NAMES = ['following', 'topic', 'trending', 'fresh', 'random'] as const;
export const SOURCE_FOLLOWING = 0;
export const SOURCE_TOPIC = 1;
export const SOURCE_TRENDING = 2;
export const SOURCE_FRESH = 3;
export const SOURCE_RANDOM = 4;

export const FORMAT_NAMES = ['photo', 'video', 'reel'] as const;
export const FORMAT_PHOTO = 0;
export const FORMAT_VIDEO = 1;
export const FORMAT_REEL = 2;

export interface CatalogSize {
  readonly topics: number;
  readonly creators: number;
  readonly posts: number;
  readonly horizonDays: number;
}

/**
 * Creators and posts. Post ids are in creation order (post p was created no later than post p+1),
 * so "created by time t" is a prefix [0, createdCount(t)) and every index list below, kept in id
 * order, is also in creation order.
 */
export interface Catalog {
  readonly topics: number;
  readonly creators: number;
  readonly posts: number;
  // Creators, C each.
  readonly creatorTopic: Int32Array;
  readonly creatorQuality: Float64Array;
  readonly creatorClickbait: Float64Array;
  // Posts, M each. topicB is -1 for single-topic posts (then weightB = 0).
  readonly postCreator: Int32Array;
  readonly topicA: Int32Array;
  readonly topicB: Int32Array;
  readonly weightA: Float64Array;
  readonly weightB: Float64Array;
  readonly quality: Float64Array;
  readonly clickbait: Float64Array;
  readonly format: Uint8Array;
  readonly lengthMinutes: Float64Array;
  /** Hours since day 0, 00:00 (negative: before the horizon); ascending in post id. */
  readonly createdHours: Float64Array;
  /** Crowd views per hour when fresh: crowdViewsPerHour * exp(crowdQuality q + crowdClickbait cb + noise). */
  readonly crowdRate: Float64Array;
  /** Crowd likes per crowd view. */
  readonly crowdLikeRate: Float64Array;
  readonly crowdAttentionHours: number;
  // Index lists (CSR): the posts of topic t are topicPosts[topicStart[t] .. topicStart[t+1]), ids ascending.
  readonly topicStart: Int32Array;
  readonly topicPosts: Int32Array;
  readonly creatorStart: Int32Array;
  readonly creatorPosts: Int32Array;
  /** Creators by main topic (CSR), for users' initial follows. */
  readonly topicCreatorStart: Int32Array;
  readonly topicCreators: Int32Array;
  /** Days x trendingSize, row-major: day d's trending posts; trendingCount[d] of each row are valid. */
  readonly trending: Int32Array;
  readonly trendingCount: Int32Array;
  readonly trendingSize: number;
  /** Item features, M x itemFeatureDim row-major: T topic weights, format one-hot (3), length in minutes. */
  readonly itemFeatures: Float32Array;
  readonly itemFeatureDim: number;
}

/** Generates the catalog of one seed. `rng` must be the seed's 'catalog' stream. */
export function generateCatalog(size: CatalogSize, p: CatalogParams, rng: Rng): Catalog {
  const { topics: T, creators: C, posts: M, horizonDays } = size;

  // Creators: a main topic, an activity level (how many posts they make), clickbait and quality.
  const creatorTopic = new Int32Array(C);
  const creatorQuality = new Float64Array(C);
  const creatorClickbait = new Float64Array(C);
  const creatorFormat = new Uint8Array(C);
  const activityCumulative = new Float64Array(C);
  let activityTotal = 0;
  for (let c = 0; c < C; c++) {
    creatorTopic[c] = rng.int(T);
    const baiter = rng.uniform() < p.clickbaitCreatorShare;
    creatorClickbait[c] = baiter ? rng.range(0.5, 1) : rng.range(0, 0.15);
    creatorQuality[c] = p.qualityMean - p.clickbaitQualityPenalty * creatorClickbait[c] + p.creatorQualitySd * rng.normal();
    creatorFormat[c] = drawFormat(p, rng);
    activityTotal += rng.lognormal(0, 0.8);
    activityCumulative[c] = activityTotal;
  }

  // Creation times: the older posts spread over the history window, the rest over the horizon.
  const createdHours = new Float64Array(M);
  const historic = Math.round(M * (1 - p.newPostShare));
  for (let i = 0; i < M; i++) {
    createdHours[i] = i < historic ? -p.historyDays * 24 * rng.uniformPositive() : horizonDays * 24 * rng.uniform();
  }
  createdHours.sort();

  const postCreator = new Int32Array(M);
  const topicA = new Int32Array(M);
  const topicB = new Int32Array(M);
  const weightA = new Float64Array(M);
  const weightB = new Float64Array(M);
  const quality = new Float64Array(M);
  const clickbait = new Float64Array(M);
  const format = new Uint8Array(M);
  const lengthMinutes = new Float64Array(M);
  const crowdRate = new Float64Array(M);
  const crowdLikeRate = new Float64Array(M);
  for (let post = 0; post < M; post++) {
    const creator = upperBound(activityCumulative, 0, C, rng.uniform() * activityTotal);
    const c = Math.min(creator, C - 1);
    postCreator[post] = c;
    topicA[post] = creatorTopic[c];
    if (T > 1 && rng.uniform() < p.secondTopicProbability) {
      let second = rng.int(T - 1);
      if (second >= creatorTopic[c]) second++;
      topicB[post] = second;
      weightB[post] = p.secondTopicWeight;
      weightA[post] = 1 - p.secondTopicWeight;
    } else {
      topicB[post] = -1;
      weightA[post] = 1;
      weightB[post] = 0;
    }
    quality[post] = creatorQuality[c] + p.postQualitySd * rng.normal();
    clickbait[post] = clamp01(creatorClickbait[c] + p.postClickbaitSd * rng.normal());
    // A creator mostly sticks to one format.
    const f = rng.uniform() < 0.7 ? creatorFormat[c] : drawFormat(p, rng);
    format[post] = f;
    const median = f === FORMAT_PHOTO ? p.photoMinutes : f === FORMAT_VIDEO ? p.videoMinutes : p.reelMinutes;
    lengthMinutes[post] = median * rng.lognormal(0, p.lengthSpread);
    crowdRate[post] = p.crowdViewsPerHour * Math.exp(p.crowdQuality * quality[post] + p.crowdClickbait * clickbait[post] + p.crowdNoise * rng.normal());
    crowdLikeRate[post] = 1 / (1 + Math.exp(-(quality[post] - 2.5)));
  }

  const topicIndex = buildIndex(T, M, (post, add) => {
    add(topicA[post]);
    if (topicB[post] >= 0) add(topicB[post]);
  });
  const creatorIndex = buildIndex(C, M, (post, add) => add(postCreator[post]));
  const topicCreatorIndex = buildIndex(T, C, (creator, add) => add(creatorTopic[creator]));

  const itemFeatureDim = T + 4;
  const itemFeatures = new Float32Array(M * itemFeatureDim);
  for (let post = 0; post < M; post++) {
    const base = post * itemFeatureDim;
    itemFeatures[base + topicA[post]] = weightA[post];
    if (topicB[post] >= 0) itemFeatures[base + topicB[post]] = weightB[post];
    itemFeatures[base + T + format[post]] = 1;
    itemFeatures[base + T + 3] = lengthMinutes[post];
  }

  const catalog: Catalog = {
    topics: T,
    creators: C,
    posts: M,
    creatorTopic,
    creatorQuality,
    creatorClickbait,
    postCreator,
    topicA,
    topicB,
    weightA,
    weightB,
    quality,
    clickbait,
    format,
    lengthMinutes,
    createdHours,
    crowdRate,
    crowdLikeRate,
    crowdAttentionHours: p.crowdAttentionHours,
    topicStart: topicIndex.start,
    topicPosts: topicIndex.items,
    creatorStart: creatorIndex.start,
    creatorPosts: creatorIndex.items,
    topicCreatorStart: topicCreatorIndex.start,
    topicCreators: topicCreatorIndex.items,
    trending: new Int32Array(Math.max(1, horizonDays) * p.trendingSize),
    trendingCount: new Int32Array(Math.max(1, horizonDays)),
    trendingSize: p.trendingSize,
    itemFeatures,
    itemFeatureDim,
  };
  buildTrending(catalog, Math.max(1, horizonDays));
  return catalog;
}

function drawFormat(p: CatalogParams, rng: Rng): number {
  const u = rng.uniform();
  return u < p.photoShare ? FORMAT_PHOTO : u < p.photoShare + p.videoShare ? FORMAT_VIDEO : FORMAT_REEL;
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** Compressed lists: for each of `groups`, the item ids (ascending) that `each` assigns to it. */
function buildIndex(
  groups: number,
  items: number,
  each: (item: number, add: (group: number) => void) => void,
): { start: Int32Array; items: Int32Array } {
  const start = new Int32Array(groups + 1);
  for (let item = 0; item < items; item++) each(item, (group) => start[group + 1]++);
  for (let g = 0; g < groups; g++) start[g + 1] += start[g];
  const fill = start.slice(0, groups);
  const list = new Int32Array(start[groups]);
  for (let item = 0; item < items; item++) each(item, (group) => (list[fill[group]++] = item));
  return { start, items: list };
}

/** Day d's trending list: the posts created before day d with most crowd views in [d - 1 day, d). */
function buildTrending(catalog: Catalog, days: number): void {
  const velocity = new Float64Array(catalog.posts);
  const order: number[] = [];
  for (let day = 0; day < days; day++) {
    const now = day * 24;
    const created = createdCount(catalog, now);
    order.length = 0;
    for (let post = 0; post < created; post++) {
      velocity[post] = crowdViews(catalog, post, now) - crowdViews(catalog, post, now - 24);
      order.push(post);
    }
    // Ties by id keep the order independent of the sort's stability.
    order.sort((a, b) => velocity[b] - velocity[a] || a - b);
    const count = Math.min(catalog.trendingSize, order.length);
    catalog.trendingCount[day] = count;
    for (let i = 0; i < count; i++) catalog.trending[day * catalog.trendingSize + i] = order[i];
  }
}

/** First index i in [lo, hi) with values[i] > x (hi if none). */
export function upperBound(values: ArrayLike<number>, lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index i in [lo, hi) with values[i] >= x (hi if none). */
function lowerBound(values: ArrayLike<number>, lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of posts created at or before `hours`: they are posts [0, count). */
export function createdCount(catalog: Catalog, hours: number): number {
  return upperBound(catalog.createdHours, 0, catalog.posts, hours);
}

/**
 * Crowd views of `post` at time `hours`: rate * tau * age / (age + tau), a saturating curve (half
 * of the lifetime views tau * rate after tau hours) that needs no exp on the hot path.
 */
export function crowdViews(catalog: Catalog, post: number, hours: number): number {
  const age = hours - catalog.createdHours[post];
  if (age <= 0) return 0;
  const tau = catalog.crowdAttentionHours;
  return (catalog.crowdRate[post] * tau * age) / (age + tau);
}

export function crowdLikes(catalog: Catalog, post: number, hours: number): number {
  return crowdViews(catalog, post, hours) * catalog.crowdLikeRate[post];
}

// Fast natural logarithm for the per-candidate popularity feature: log2 of the mantissa from a
// 1024-entry table with linear interpolation (error below 2e-7), plus the binary exponent
// (Math.log1p costs ~20 ns here, and every request needs N of them).
const LOG_BITS = new Float64Array(1);
const LOG_WORDS = new Uint32Array(LOG_BITS.buffer);
const HIGH_WORD = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // little-endian: high word second
const LOG2_MANTISSA = new Float64Array(1025);
for (let i = 0; i <= 1024; i++) LOG2_MANTISSA[i] = Math.log2(1 + i / 1024);

/** ln(1 + x) for x >= 0, to about 1e-6 absolute. */
export function fastLog1p(x: number): number {
  LOG_BITS[0] = 1 + x;
  const high = LOG_WORDS[HIGH_WORD];
  const exponent = (high >>> 20) - 1023;
  const index = (high >>> 10) & 1023;
  const fraction = (high & 1023) / 1024;
  const log2 = exponent + LOG2_MANTISSA[index] + (LOG2_MANTISSA[index + 1] - LOG2_MANTISSA[index]) * fraction;
  return log2 * Math.LN2;
}

/** Candidate popularity as recommenders see it: log(1 + crowd views) at the request time. */
export function popularity(catalog: Catalog, post: number, hours: number): number {
  return fastLog1p(crowdViews(catalog, post, hours));
}

/** What retrieval needs to know about one user; arrays are the batch's, at the given offsets. */
export interface RetrievalUser {
  /** Followed creators: following[followOffset .. followOffset + followCount). */
  readonly following: Int32Array;
  followOffset: number;
  followCount: number;
  /** Ring of main topics of recently engaged posts: recentTopics[topicOffset .. + min(recentCount, ringSize)). */
  readonly recentTopics: Int32Array;
  topicOffset: number;
  recentCount: number;
  readonly ringSize: number;
  /** Bitset of posts the user has already viewed: bit (post & 31) of seen[seenOffset + (post >>> 5)]. */
  readonly seen: Int32Array;
  seenOffset: number;
}

/**
 * Fills a request's N candidates from the sources, in fixed quotas (largest remainder of the
 * weights), deduplicated and skipping posts the user already viewed. A source that finds nothing
 * new in a few tries yields to the uniform source. All lists are precomputed per catalog, so a
 * candidate costs a few draws and at most one binary search.
 */
export class Retriever {
  /** Candidates per source, in source order (sums to N). */
  readonly quota: Int32Array;
  // M: the request token of the last request that offered each post (deduplication without clearing).
  private readonly offeredIn: Int32Array;
  private token = 0;
  // Per-request caches of list bounds: C (T) entries, valid where creatorToken (topicToken) == token.
  private readonly creatorHi: Int32Array;
  private readonly creatorToken: Int32Array;
  private readonly topicHi: Int32Array;
  private readonly topicToken: Int32Array;

  constructor(
    private readonly catalog: Catalog,
    private readonly p: RetrievalParams,
    candidates: number,
  ) {
    this.quota = allocateQuota([p.following, p.topic, p.trending, p.fresh, p.random], candidates);
    this.offeredIn = new Int32Array(catalog.posts);
    this.creatorHi = new Int32Array(catalog.creators);
    this.creatorToken = new Int32Array(catalog.creators);
    this.topicHi = new Int32Array(catalog.topics);
    this.topicToken = new Int32Array(catalog.topics);
  }

  /**
   * Writes N post ids at items[offset..] (and their sources at sources[offset..]) for a request
   * at time `hours`. Needs at least N posts created by then. One specialised loop per source keeps
   * a candidate at a few nanoseconds; bounds of topic and creator lists are searched once per
   * request and cached under the request token.
   */
  fill(user: RetrievalUser, hours: number, rng: Rng, items: Int32Array, sources: Uint8Array, offset: number): void {
    const catalog = this.catalog;
    const p = this.p;
    const quota = this.quota;
    const created = createdCount(catalog, hours);
    const token = ++this.token;
    const offered = this.offeredIn;
    const seen = user.seen;
    const seenOffset = user.seenOffset;
    let at = offset;

    // Followed creators: one of each creator's latest followRecentPosts posts.
    const followCount = user.followCount;
    const creatorStart = catalog.creatorStart;
    const creatorPosts = catalog.creatorPosts;
    for (let i = 0; i < quota[SOURCE_FOLLOWING]; i++) {
      let post = -1;
      for (let attempt = 0; attempt < 3 && post < 0 && followCount > 0; attempt++) {
        // One 32-bit draw picks both the creator (high half) and the post (low half).
        const bits = rng.uniform() * TWO_POW_32;
        const creator = user.following[user.followOffset + (((bits >>> 16) * followCount) >>> 16)];
        const lo = creatorStart[creator];
        const hi = this.creatorBound(creator, lo, created, token);
        if (hi === lo) continue;
        const pick = creatorPosts[hi - 1 - (((bits & 0xffff) * Math.min(p.followRecentPosts, hi - lo)) >>> 16)];
        if (offered[pick] !== token && (seen[seenOffset + (pick >>> 5)] & (1 << (pick & 31))) === 0) post = pick;
      }
      if (post < 0) {
        post = this.fallback(created, token, rng, seen, seenOffset);
        sources[at] = SOURCE_RANDOM;
      } else {
        sources[at] = SOURCE_FOLLOWING;
      }
      offered[post] = token;
      items[at++] = post;
    }

    // Topic neighbours: a topic of the recent engagement ring (any topic while it is empty), then
    // one of that topic's latest topicWindow posts.
    const known = Math.min(user.recentCount, user.ringSize);
    const topicStart = catalog.topicStart;
    const topicPosts = catalog.topicPosts;
    for (let i = 0; i < quota[SOURCE_TOPIC]; i++) {
      let post = -1;
      for (let attempt = 0; attempt < 3 && post < 0; attempt++) {
        const bits = rng.uniform() * TWO_POW_32;
        const topic = known === 0 ? ((bits >>> 16) * catalog.topics) >>> 16 : user.recentTopics[user.topicOffset + (((bits >>> 16) * known) >>> 16)];
        const lo = topicStart[topic];
        const hi = this.topicBound(topic, lo, created, token);
        if (hi === lo) continue;
        const pick = topicPosts[hi - 1 - (((bits & 0xffff) * Math.min(p.topicWindow, hi - lo)) >>> 16)];
        if (offered[pick] !== token && (seen[seenOffset + (pick >>> 5)] & (1 << (pick & 31))) === 0) post = pick;
      }
      if (post < 0) {
        post = this.fallback(created, token, rng, seen, seenOffset);
        sources[at] = SOURCE_RANDOM;
      } else {
        sources[at] = SOURCE_TOPIC;
      }
      offered[post] = token;
      items[at++] = post;
    }

    // Trending: the day's list (built at the start of the day from crowd views of the past 24 h).
    const day = Math.min(Math.max(0, Math.floor(hours / 24)), catalog.trendingCount.length - 1);
    const trendingCount = catalog.trendingCount[day];
    const trendingBase = day * catalog.trendingSize;
    for (let i = 0; i < quota[SOURCE_TRENDING]; i++) {
      let post = -1;
      for (let attempt = 0; attempt < 3 && post < 0 && trendingCount > 0; attempt++) {
        const pick = catalog.trending[trendingBase + rng.int(trendingCount)];
        if (offered[pick] !== token && (seen[seenOffset + (pick >>> 5)] & (1 << (pick & 31))) === 0) post = pick;
      }
      if (post < 0) {
        post = this.fallback(created, token, rng, seen, seenOffset);
        sources[at] = SOURCE_RANDOM;
      } else {
        sources[at] = SOURCE_TRENDING;
      }
      offered[post] = token;
      items[at++] = post;
    }

    // Fresh: among the latest freshWindow posts created.
    const freshWindow = Math.min(p.freshWindow, created);
    for (let i = 0; i < quota[SOURCE_FRESH]; i++) {
      let post = -1;
      for (let attempt = 0; attempt < 3 && post < 0; attempt++) {
        const pick = created - 1 - rng.int(freshWindow);
        if (offered[pick] !== token && (seen[seenOffset + (pick >>> 5)] & (1 << (pick & 31))) === 0) post = pick;
      }
      if (post < 0) {
        post = this.fallback(created, token, rng, seen, seenOffset);
        sources[at] = SOURCE_RANDOM;
      } else {
        sources[at] = SOURCE_FRESH;
      }
      offered[post] = token;
      items[at++] = post;
    }

    for (let i = 0; i < quota[SOURCE_RANDOM]; i++) {
      const post = this.fallback(created, token, rng, seen, seenOffset);
      offered[post] = token;
      sources[at] = SOURCE_RANDOM;
      items[at++] = post;
    }
  }

  /**
   * A uniform draw among the created posts not yet offered in this request, preferably not seen:
   * the random source, and the stand-in for a source that found nothing new in three tries.
   */
  private fallback(created: number, token: number, rng: Rng, seen: Int32Array, seenOffset: number): number {
    const offered = this.offeredIn;
    for (let attempt = 0; attempt < 32; attempt++) {
      const pick = rng.int(created);
      if (offered[pick] !== token && (seen[seenOffset + (pick >>> 5)] & (1 << (pick & 31))) === 0) return pick;
    }
    // Everything drawn was seen: take the next post not yet offered (exists: created >= N).
    let post = rng.int(created);
    while (offered[post] === token) post = post + 1 === created ? 0 : post + 1;
    return post;
  }

  /** End of creator's posts created by this request's time (cached per request). */
  private creatorBound(creator: number, lo: number, created: number, token: number): number {
    if (this.creatorToken[creator] !== token) {
      this.creatorToken[creator] = token;
      this.creatorHi[creator] = lowerBound(this.catalog.creatorPosts, lo, this.catalog.creatorStart[creator + 1], created);
    }
    return this.creatorHi[creator];
  }

  /** End of topic's posts created by this request's time (cached per request). */
  private topicBound(topic: number, lo: number, created: number, token: number): number {
    if (this.topicToken[topic] !== token) {
      this.topicToken[topic] = token;
      this.topicHi[topic] = lowerBound(this.catalog.topicPosts, lo, this.catalog.topicStart[topic + 1], created);
    }
    return this.topicHi[topic];
  }
}

/** Splits `total` into integer parts proportional to `weights` (largest remainder, ties to the first). */
export function allocateQuota(weights: readonly number[], total: number): Int32Array {
  const quota = new Int32Array(weights.length);
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0) {
    quota[weights.length - 1] = total;
    return quota;
  }
  const remainders = weights.map((w, i) => {
    const exact = (w / sum) * total;
    quota[i] = Math.floor(exact);
    return { i, r: exact - quota[i] };
  });
  let left = total - quota.reduce((a, b) => a + b, 0);
  remainders.sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of remainders) {
    if (left === 0) break;
    quota[i]++;
    left--;
  }
  return quota;
}
