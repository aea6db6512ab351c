// The feed's creators and posts, and the "crowd" that drives their public counters. Which posts a
// request may be offered is retrieval.ts.
//
// The catalog is generated once per seed from the stream (seed, 'feed', 'catalog') and is
// read-only during episodes. Its public counters (views, likes) come from a deterministic crowd
// model — a function of a post's hidden appeal, its age and the clock — not from the simulated
// users, so what user e meets never depends on the batch size or on which other users run
// alongside it.
import type { ParamValues } from '../params.ts';
import type { Rng } from '../rng.ts';

export const catalogParams = {
  historyDays: {
    type: 'number',
    default: 30,
    min: 1,
    max: 3650,
    doc: 'days before day 0 over which the pre-existing posts were created',
  },
  newPostShare: {
    type: 'number',
    default: 0.3,
    min: 0,
    max: 0.9,
    doc: 'share of posts created during the horizon (they become candidates only once created)',
  },
  secondTopicProbability: {
    type: 'number',
    default: 0.4,
    min: 0,
    max: 1,
    doc: "chance that a post mixes a second topic into its creator's main topic",
  },
  secondTopicWeight: {
    type: 'number',
    default: 0.35,
    min: 0,
    max: 0.5,
    doc: 'topic weight of the second topic (the main topic gets the rest)',
  },
  qualityMean: { type: 'number', default: 0, doc: 'mean hidden quality of a creator without clickbait' },
  creatorQualitySd: { type: 'number', default: 0.6, min: 0, doc: "spread of creators' mean quality" },
  postQualitySd: { type: 'number', default: 0.3, min: 0, doc: "spread of a post's quality around its creator's mean" },
  clickbaitCreatorShare: {
    type: 'number',
    default: 0.25,
    min: 0,
    max: 1,
    doc: 'share of creators who use clickbait (level ~ U(0.5, 1); the others ~ U(0, 0.15))',
  },
  clickbaitQualityPenalty: {
    type: 'number',
    default: 1.2,
    min: 0,
    doc: "mean quality lost per unit of a creator's clickbait level",
  },
  postClickbaitSd: {
    type: 'number',
    default: 0.08,
    min: 0,
    doc: "spread of a post's clickbait around its creator's level (clipped to [0, 1])",
  },
  photoShare: { type: 'number', default: 0.35, min: 0, max: 1, doc: 'share of photo posts' },
  videoShare: { type: 'number', default: 0.39, min: 0, max: 1, doc: 'share of long videos (the rest are reels)' },
  photoMinutes: { type: 'number', default: 0.15, min: 0.001, doc: 'median time to take in a photo post, minutes' },
  reelMinutes: { type: 'number', default: 0.48, min: 0.001, doc: 'median reel length, minutes' },
  videoMinutes: { type: 'number', default: 2.25, min: 0.001, doc: 'median video length, minutes' },
  lengthSpread: {
    type: 'number',
    default: 0.7,
    min: 0,
    doc:
      "lognormal sigma of post lengths around their format's median (with the defaults, reels " +
      "and videos together have KuaiRand-Pure's lengths: docs/world-feed.md#calibration)",
  },
  crowdViewsPerHour: {
    type: 'number',
    default: 40,
    min: 0,
    doc: 'crowd views per hour of a fresh post of average appeal',
  },
  crowdQuality: { type: 'number', default: 0.8, min: 0, doc: 'log crowd views gained per unit of quality' },
  crowdClickbait: {
    type: 'number',
    default: 1.5,
    min: 0,
    doc: 'log crowd views gained per unit of clickbait (the crowd falls for it too)',
  },
  crowdNoise: { type: 'number', default: 0.6, min: 0, doc: "lognormal sigma of a post's luck with the crowd" },
  crowdLikeBias: { type: 'number', default: -3.2, doc: "logit of the crowd's likes per view for a post of quality 0" },
  crowdLikeQuality: { type: 'number', default: 0.8, min: 0, doc: 'like-per-view logit gained per unit of quality' },
  crowdLikeNoise: {
    type: 'number',
    default: 1,
    min: 0,
    doc: "sd of a post's luck in that logit: the public like counter hints at quality without revealing it",
  },
  crowdAttentionHours: {
    type: 'number',
    default: 24,
    min: 0.1,
    doc: 'age (hours) at which a post has gathered half of its lifetime views',
  },
  trendingSize: {
    type: 'int',
    default: 100,
    min: 1,
    max: 100_000,
    doc: 'length of the daily trending list (top posts by crowd views of the past 24 h)',
  },
} as const;

export type CatalogParams = ParamValues<typeof catalogParams>;

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
  /** M: ln(lengthMinutes), for the finish chance (response.ts), computed once. */
  readonly logLengthMinutes: Float64Array;
  /** Hours since day 0, 00:00 (negative: before the horizon); ascending in post id. */
  readonly createdHours: Float64Array;
  /** Crowd views per hour when fresh: crowdViewsPerHour * exp(crowdQuality q + crowdClickbait cb + noise). */
  readonly crowdRate: Float64Array;
  /**
   * Crowd likes per crowd view: logistic(crowdLikeBias + crowdLikeQuality q + crowdLikeNoise e), e ~ N(0, 1) per post.
   */
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
  /**
   * The per-post fields of the hot paths (popularity and age of a candidate; everything an examined
   * post needs), interleaved so that a post costs 32 bytes of one cache line instead of lines of
   * nine arrays: M x POST_STRIDE row-major, single precision (the values are rounded to it at
   * generation), fields at the POST_* offsets; postInts views the same buffer for the integer ids.
   * A post's topic weights are (1, 0) or (secondTopicWeightA, secondTopicWeightB) if topicB >= 0.
   */
  readonly postFloats: Float32Array;
  readonly postInts: Int32Array;
  readonly secondTopicWeightA: number;
  readonly secondTopicWeightB: number;
  /** Whole hours of the horizon, H = 24 D: createdByHour[h] = createdCount(h) for h = 0..H. */
  readonly createdByHour: Int32Array;
  /**
   * (H + 1) x T row-major: end of topic t's list (absolute index into topicPosts) at createdByHour[h],
   * so a request's bound is this plus a short forward scan over the posts of the current hour.
   */
  readonly topicEndByHour: Int32Array;
  /** (D + 1) x C row-major: end of creator c's list (index into creatorPosts) at the start of day d. */
  readonly creatorEndByDay: Int32Array;
  /**
   * D x M row-major: the public view counter recommenders read on day d, the crowd views at the
   * start of the day, rounded (0 for posts created since). Like a feature store fed by a daily
   * batch job, the counters refresh once a day; the trending lists refresh with them.
   */
  readonly viewsByDay: Float32Array;
  /** D x M: the public like counter on day d, round(views x crowdLikeRate) of that day's snapshot. */
  readonly likesByDay: Float32Array;
}

/** Layout of Catalog.postFloats / postInts: POST_STRIDE 32-bit fields per post. */
export const POST_STRIDE = 8;
export const POST_QUALITY = 0;
export const POST_CLICKBAIT = 1;
export const POST_LENGTH = 2;
/** Creation time, hours since day 0 (createdHours). */
export const POST_CREATED = 3;
/**
 * Lifetime crowd views, crowdRate x crowdAttentionHours in single precision (crowdViews = this x age / (age + tau)).
 */
export const POST_LIFETIME_VIEWS = 4;
/** Integer fields (read through postInts). */
export const POST_CREATOR = 5;
export const POST_TOPIC_A = 6;
export const POST_TOPIC_B = 7;

/** Generates the catalog of one seed. `rng` must be the seed's 'catalog' stream. */
export function generateCatalog(size: CatalogSize, p: CatalogParams, rng: Rng): Catalog {
  // Sizes as int32 (see Retriever): the catalog's fields then hold small integers, not boxed doubles.
  const T = size.topics | 0;
  const C = size.creators | 0;
  const M = size.posts | 0;
  const horizonDays = size.horizonDays | 0;

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
    creatorQuality[c] =
      p.qualityMean - p.clickbaitQualityPenalty * creatorClickbait[c] + p.creatorQualitySd * rng.normal();
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
  // Hidden post parameters are kept in single precision (rounded here, so every reader agrees):
  // the packed per-post table (postFloats) is Float32 to halve the hot working set.
  for (let i = 0; i < M; i++) createdHours[i] = Math.fround(createdHours[i]);

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
    quality[post] = Math.fround(creatorQuality[c] + p.postQualitySd * rng.normal());
    clickbait[post] = Math.fround(clamp01(creatorClickbait[c] + p.postClickbaitSd * rng.normal()));
    // A creator mostly sticks to one format.
    const f = rng.uniform() < 0.7 ? creatorFormat[c] : drawFormat(p, rng);
    format[post] = f;
    const median = f === FORMAT_PHOTO ? p.photoMinutes : f === FORMAT_VIDEO ? p.videoMinutes : p.reelMinutes;
    lengthMinutes[post] = Math.fround(median * rng.lognormal(0, p.lengthSpread));
    crowdRate[post] = Math.fround(
      p.crowdViewsPerHour *
        Math.exp(p.crowdQuality * quality[post] + p.crowdClickbait * clickbait[post] + p.crowdNoise * rng.normal()),
    );
  }
  // Likes per view: quality with a post's luck, drawn after the posts so that they stay as they were.
  for (let post = 0; post < M; post++) {
    crowdLikeRate[post] =
      1 / (1 + Math.exp(-(p.crowdLikeBias + p.crowdLikeQuality * quality[post] + p.crowdLikeNoise * rng.normal())));
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

  const packedBuffer = { floats: new Float32Array(M * POST_STRIDE), ints: new Int32Array(0) };
  packedBuffer.ints = new Int32Array(packedBuffer.floats.buffer);
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
    logLengthMinutes: lengthMinutes.map(Math.log),
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
    trendingSize: p.trendingSize | 0,
    itemFeatures,
    itemFeatureDim,
    postFloats: packedBuffer.floats,
    postInts: packedBuffer.ints,
    secondTopicWeightA: 1 - p.secondTopicWeight,
    secondTopicWeightB: p.secondTopicWeight,
    createdByHour: new Int32Array(Math.max(1, horizonDays) * 24 + 1),
    topicEndByHour: new Int32Array((Math.max(1, horizonDays) * 24 + 1) * T),
    creatorEndByDay: new Int32Array((Math.max(1, horizonDays) + 1) * C),
    viewsByDay: new Float32Array(Math.max(1, horizonDays) * M),
    likesByDay: new Float32Array(Math.max(1, horizonDays) * M),
  };
  buildTrending(catalog, Math.max(1, horizonDays));
  buildLookups(catalog, Math.max(1, horizonDays));
  buildPopularity(catalog, Math.max(1, horizonDays));
  return catalog;
}

/** The daily snapshots of the view counters (Catalog.viewsByDay). */
function buildPopularity(catalog: Catalog, days: number): void {
  const M = catalog.posts;
  for (let day = 0; day < days; day++) {
    for (let post = 0; post < M; post++) {
      const views = Math.round(crowdViews(catalog, post, day * 24));
      catalog.viewsByDay[day * M + post] = views;
      catalog.likesByDay[day * M + post] = Math.round(views * catalog.crowdLikeRate[post]);
    }
  }
}

/** Fills the packed per-post fields and the hourly / daily list bounds (see Catalog). */
function buildLookups(catalog: Catalog, days: number): void {
  const { posts: M, topics: T, creators: C, postFloats, postInts } = catalog;
  for (let post = 0; post < M; post++) {
    const at = post * POST_STRIDE;
    postFloats[at + POST_QUALITY] = catalog.quality[post];
    postFloats[at + POST_CLICKBAIT] = catalog.clickbait[post];
    postFloats[at + POST_LENGTH] = catalog.lengthMinutes[post];
    postFloats[at + POST_CREATED] = catalog.createdHours[post];
    postFloats[at + POST_LIFETIME_VIEWS] = lifetimeViews(catalog, post);
    postInts[at + POST_CREATOR] = catalog.postCreator[post];
    postInts[at + POST_TOPIC_A] = catalog.topicA[post];
    postInts[at + POST_TOPIC_B] = catalog.topicB[post];
  }
  for (let hour = 0; hour <= days * 24; hour++) {
    const created = createdCount(catalog, hour);
    catalog.createdByHour[hour] = created;
    for (let t = 0; t < T; t++) {
      catalog.topicEndByHour[hour * T + t] = lowerBound(
        catalog.topicPosts,
        catalog.topicStart[t],
        catalog.topicStart[t + 1],
        created,
      );
    }
  }
  for (let day = 0; day <= days; day++) {
    const created = createdCount(catalog, day * 24);
    for (let c = 0; c < C; c++) {
      catalog.creatorEndByDay[day * C + c] = lowerBound(
        catalog.creatorPosts,
        catalog.creatorStart[c],
        catalog.creatorStart[c + 1],
        created,
      );
    }
  }
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
  return (lifetimeViews(catalog, post) * age) / (age + catalog.crowdAttentionHours);
}

/** A post's lifetime crowd views rate x tau, in single precision like catalog.postFloats. */
function lifetimeViews(catalog: Catalog, post: number): number {
  return Math.fround(catalog.crowdRate[post] * catalog.crowdAttentionHours);
}

/** A post's public view counter as recommenders see it at `hours`: the snapshot of the start of that day. */
export function publicViews(catalog: Catalog, post: number, hours: number): number {
  const days = catalog.viewsByDay.length / catalog.posts;
  const day = Math.min(days - 1, Math.max(0, Math.floor(hours / 24)));
  return catalog.viewsByDay[day * catalog.posts + post];
}

/** Its public like counter: the day's views times the post's like rate, rounded (Catalog.likesByDay). */
export function publicLikes(catalog: Catalog, post: number, hours: number): number {
  const days = catalog.likesByDay.length / catalog.posts;
  const day = Math.min(days - 1, Math.max(0, Math.floor(hours / 24)));
  return catalog.likesByDay[day * catalog.posts + post];
}

/** What retrieval needs to know about one user; arrays are the batch's, at the given offsets. */
