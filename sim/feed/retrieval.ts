// Candidate retrieval: which posts of the catalog (catalog.ts) a request may be offered, from five
// sources mixed by weight.
import type { ParamValues } from '../params.ts';
import type { Rng } from '../rng.ts';
import { createdCount, type Catalog } from './catalog.ts';

export const retrievalParams = {
  following: { type: 'number', default: 0.2, min: 0, doc: 'weight of recent posts of followed creators' },
  topic: {
    type: 'number',
    default: 0.35,
    min: 0,
    doc: "weight of recent posts on topics of the user's recent engagement",
  },
  trending: { type: 'number', default: 0.15, min: 0, doc: "weight of the day's trending posts" },
  fresh: { type: 'number', default: 0.1, min: 0, doc: 'weight of the newest posts' },
  random: {
    type: 'number',
    default: 0.2,
    min: 0,
    doc: 'weight of posts drawn uniformly from everything created so far',
  },
  followRecentPosts: {
    type: 'int',
    default: 5,
    min: 1,
    max: 65_536,
    doc: 'a followed creator contributes one of their latest this-many posts',
  },
  topicWindow: {
    type: 'int',
    default: 300,
    min: 1,
    max: 65_536,
    doc: 'a topic contributes one of its latest this-many posts',
  },
  freshWindow: {
    type: 'int',
    default: 200,
    min: 1,
    max: 1_000_000,
    doc: '"fresh" means among the latest this-many posts',
  },
} as const;

export type RetrievalParams = ParamValues<typeof retrievalParams>;

/** Retrieval sources; Retriever.fill writes these ids as literals (test/sim/feed.test.ts pins them). */
export const SOURCE_NAMES = ['following', 'topic', 'trending', 'fresh', 'random'] as const;
export const SOURCE_FOLLOWING = 0;
export const SOURCE_TOPIC = 1;
export const SOURCE_TRENDING = 2;
export const SOURCE_FRESH = 3;
export const SOURCE_RANDOM = 4;

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
 * new in a few tries yields to the uniform source. All lists and their hourly / daily bounds are
 * precomputed per catalog, so a candidate costs a few draws and a few array reads.
 */
export class Retriever {
  /** Candidates per source, in source order (sums to N). */
  readonly quota: Int32Array;
  // M-bit bitset (ceil(M / 32) words) of the posts already offered in this request, all zero
  // between requests (fill clears the words it set). With the user's viewed-posts bitset it makes
  // one check per candidate on a few hundred bytes (a per-post token array missed the cache).
  private readonly offered: Int32Array;
  // Parameters copied into fields: one load each in the hot loop.
  private readonly followRecentPosts: number;
  private readonly topicWindow: number;
  private readonly freshWindow: number;
  private readonly quotaFollowing: number;
  private readonly quotaTopic: number;
  private readonly quotaTrending: number;
  private readonly quotaFresh: number;
  private readonly quotaRandom: number;
  private readonly lastHour: number;
  private readonly lastDay: number;
  // Per-request scratch: the following source's pool of eligible posts (grown if a user follows
  // more creators than it has room for), and a block of random words, one per candidate.
  private pool = new Int32Array(32 * 5);
  private readonly words: Int32Array;
  private readonly candidates: number;

  constructor(
    private readonly catalog: Catalog,
    p: RetrievalParams,
    candidates: number,
  ) {
    this.quota = allocateQuota([p.following, p.topic, p.trending, p.fresh, p.random], candidates);
    this.offered = new Int32Array((catalog.posts + 31) >>> 5);
    this.candidates = candidates | 0;
    // fill reads one word of this block per candidate, in quota order.
    this.words = new Int32Array(this.candidates);
    if (this.quota.reduce((a, b) => a + b, 0) !== this.candidates)
      throw new Error('Retriever: the quotas must add up to the candidates');
    // Whole numbers as int32 (| 0): parameters arrive as JS numbers that V8 may keep as boxed
    // doubles, and one double in an index expression turns a loop's arithmetic into floating point.
    this.followRecentPosts = p.followRecentPosts | 0;
    this.topicWindow = p.topicWindow | 0;
    this.freshWindow = p.freshWindow | 0;
    this.quotaFollowing = this.quota[SOURCE_FOLLOWING];
    this.quotaTopic = this.quota[SOURCE_TOPIC];
    this.quotaTrending = this.quota[SOURCE_TRENDING];
    this.quotaFresh = this.quota[SOURCE_FRESH];
    this.quotaRandom = this.quota[SOURCE_RANDOM];
    this.lastHour = (catalog.createdByHour.length - 1) | 0;
    this.lastDay = (catalog.creatorEndByDay.length / Math.max(1, catalog.creators) - 1) | 0;
  }

  /** Number of posts created at or before `hours` (createdCount, from the hourly table). */
  private createdAt(hours: number): number {
    const catalog = this.catalog;
    if (!(hours >= 0)) return createdCount(catalog, hours);
    const createdHours = catalog.createdHours;
    const M = catalog.posts;
    let created = catalog.createdByHour[Math.min(Math.floor(hours), this.lastHour)];
    while (created < M && createdHours[created] <= hours) created++;
    return created;
  }

  /**
   * Writes N post ids at items[offset..] (and their sources at sources[offset..]) for a request
   * at time `hours`. Needs at least N posts created by then. The end of a topic's or creator's
   * list at this time is its hourly (daily) precomputed end plus a forward scan over the posts
   * created since.
   *
   * Draws: first one 32-bit word per candidate, as a block (each candidate's first try reads its
   * word), then, in order, whatever retries and fallbacks need. This is the hottest loop of the
   * feed: a block of words costs a fraction of a draw inlined at every site, and the source ids
   * are literals because V8 reloads and re-checks a module constant at each use.
   */
  fill(
    user: RetrievalUser,
    hours: number,
    rng: Rng,
    items: Int32Array,
    sources: Float32Array | Uint8Array,
    offset: number,
  ): void {
    const catalog = this.catalog;
    const created = this.createdAt(hours) | 0;
    const offered = this.offered;
    const seen = user.seen;
    const seenOffset = user.seenOffset | 0;
    const hour = hours >= 0 ? Math.min(Math.floor(hours), this.lastHour) | 0 : 0;
    const words = this.words;
    rng.words(words, this.candidates);
    let at = offset;
    let word = 0;

    // Followed creators: distinct posts drawn uniformly from the latest followRecentPosts posts
    // of each followed creator that the user has not viewed (a partial Fisher-Yates shuffle of
    // that pool, built once per request); slots the pool cannot fill go to the random source.
    const followCount = user.followCount | 0;
    const following = user.following;
    const followOffset = user.followOffset | 0;
    const creatorStart = catalog.creatorStart;
    const creatorPosts = catalog.creatorPosts;
    const creatorEnd = catalog.creatorEndByDay;
    const creatorEndBase = (Math.min(Math.floor(hour / 24), this.lastDay) * catalog.creators) | 0;
    const followRecent = this.followRecentPosts;
    if (this.pool.length < followCount * followRecent) this.pool = new Int32Array(followCount * followRecent);
    const pool = this.pool;
    let pooled = 0;
    for (let f = 0; f < followCount; f++) {
      const creator = following[followOffset + f];
      const lo = creatorStart[creator];
      const end = creatorStart[creator + 1];
      let hi = creatorEnd[creatorEndBase + creator];
      while (hi < end && creatorPosts[hi] < created) hi++;
      for (let i = hi - lo < followRecent ? lo : hi - followRecent; i < hi; i++) {
        const post = creatorPosts[i];
        if ((seen[seenOffset + (post >>> 5)] & (1 << (post & 31))) === 0) pool[pooled++] = post;
      }
    }
    for (let i = 0, n = this.quotaFollowing; i < n; i++) {
      const bits = words[word++];
      let post: number;
      if (i < pooled) {
        const pick = i + (((bits >>> 0) * 2.3283064365386963e-10 * (pooled - i)) | 0); // 2^-32
        post = pool[pick];
        pool[pick] = pool[i];
        sources[at] = 0; // SOURCE_FOLLOWING
      } else {
        post = this.fallback(created, rng, seen, seenOffset, items, offset, at);
        sources[at] = 4; // SOURCE_RANDOM
      }
      offered[post >>> 5] |= 1 << (post & 31);
      items[at++] = post;
    }

    // Topic neighbours: a topic of the recent engagement ring (any topic while it is empty), then
    // one of that topic's latest topicWindow posts: two 16-bit indices from one word (index bias
    // at most n / 2^16), three tries.
    const known = Math.min(user.recentCount, user.ringSize) | 0;
    const recentTopics = user.recentTopics;
    const topicOffset = user.topicOffset | 0;
    const topics = catalog.topics | 0;
    const topicStart = catalog.topicStart;
    const topicPosts = catalog.topicPosts;
    const topicEnd = catalog.topicEndByHour;
    const topicEndBase = (hour * topics) | 0;
    const topicWindow = this.topicWindow;
    for (let i = 0, n = this.quotaTopic; i < n; i++) {
      let post = -1;
      let bits = words[word++];
      for (let attempt = 0; attempt < 3; attempt++) {
        if (attempt > 0) bits = rng.int32();
        const topic =
          known === 0 ? ((bits >>> 16) * topics) >>> 16 : recentTopics[topicOffset + (((bits >>> 16) * known) >>> 16)];
        const lo = topicStart[topic];
        const end = topicStart[topic + 1];
        let hi = topicEnd[topicEndBase + topic];
        while (hi < end && topicPosts[hi] < created) hi++;
        if (hi === lo) continue;
        const window = hi - lo < topicWindow ? hi - lo : topicWindow;
        const pick = topicPosts[hi - 1 - (((bits & 0xffff) * window) >>> 16)];
        if (((offered[pick >>> 5] | seen[seenOffset + (pick >>> 5)]) & (1 << (pick & 31))) === 0) {
          post = pick;
          break;
        }
      }
      if (post < 0) {
        post = this.fallback(created, rng, seen, seenOffset, items, offset, at);
        sources[at] = 4; // SOURCE_RANDOM
      } else {
        sources[at] = 1; // SOURCE_TOPIC
      }
      offered[post >>> 5] |= 1 << (post & 31);
      items[at++] = post;
    }

    // Trending: the day's list (built at the start of the day from crowd views of the past 24 h).
    const day = Math.min(Math.max(0, Math.floor(hours / 24)), catalog.trendingCount.length - 1) | 0;
    const trendingCount = catalog.trendingCount[day];
    const trending = catalog.trending;
    const trendingBase = (day * catalog.trendingSize) | 0;
    for (let i = 0, n = this.quotaTrending; i < n; i++) {
      let post = -1;
      let bits = words[word++];
      for (let attempt = 0; attempt < 3 && trendingCount > 0; attempt++) {
        if (attempt > 0) bits = rng.int32();
        const pick = trending[trendingBase + (((bits >>> 0) * 2.3283064365386963e-10 * trendingCount) | 0)];
        if (((offered[pick >>> 5] | seen[seenOffset + (pick >>> 5)]) & (1 << (pick & 31))) === 0) {
          post = pick;
          break;
        }
      }
      if (post < 0) {
        post = this.fallback(created, rng, seen, seenOffset, items, offset, at);
        sources[at] = 4; // SOURCE_RANDOM
      } else {
        sources[at] = 2; // SOURCE_TRENDING
      }
      offered[post >>> 5] |= 1 << (post & 31);
      items[at++] = post;
    }

    // Fresh: among the latest freshWindow posts created.
    const freshWindow = Math.min(this.freshWindow, created) | 0;
    for (let i = 0, n = this.quotaFresh; i < n; i++) {
      let post = -1;
      let bits = words[word++];
      for (let attempt = 0; attempt < 3; attempt++) {
        if (attempt > 0) bits = rng.int32();
        const pick = created - 1 - (((bits >>> 0) * 2.3283064365386963e-10 * freshWindow) | 0);
        if (((offered[pick >>> 5] | seen[seenOffset + (pick >>> 5)]) & (1 << (pick & 31))) === 0) {
          post = pick;
          break;
        }
      }
      if (post < 0) {
        post = this.fallback(created, rng, seen, seenOffset, items, offset, at);
        sources[at] = 4; // SOURCE_RANDOM
      } else {
        sources[at] = 3; // SOURCE_FRESH
      }
      offered[post >>> 5] |= 1 << (post & 31);
      items[at++] = post;
    }

    // Uniform over everything created so far: the first try from the block, then fallback.
    for (let i = 0, n = this.quotaRandom; i < n; i++) {
      let post = ((words[word++] >>> 0) * 2.3283064365386963e-10 * created) | 0;
      if (((offered[post >>> 5] | seen[seenOffset + (post >>> 5)]) & (1 << (post & 31))) !== 0) {
        post = this.fallback(created, rng, seen, seenOffset, items, offset, at);
      }
      offered[post >>> 5] |= 1 << (post & 31);
      sources[at] = 4; // SOURCE_RANDOM
      items[at++] = post;
    }
    for (let i = offset; i < at; i++) offered[items[i] >>> 5] = 0;
  }

  /**
   * A uniform draw among the created posts not yet offered in this request, preferably not seen:
   * the random source's retries, and the stand-in for a source that found nothing new in three
   * tries.
   */
  private fallback(
    created: number,
    rng: Rng,
    seen: Int32Array,
    seenOffset: number,
    items: Int32Array,
    offset: number,
    at: number,
  ): number {
    const offered = this.offered;
    for (let attempt = 0; attempt < 32; attempt++) {
      const pick = (rng.uniform() * created) | 0; // = rng.int(created) for created < 2^31
      if (((offered[pick >>> 5] | seen[seenOffset + (pick >>> 5)]) & (1 << (pick & 31))) === 0) return pick;
    }
    // Everything drawn was seen: take the next post not yet offered (exists: created >= N).
    let post = rng.int(created);
    while (offeredBefore(items, offset, at, post)) post = post + 1 === created ? 0 : post + 1;
    return post;
  }
}

/** Whether `post` is among items[from .. to) (the rare last resort of Retriever.fallback). */
function offeredBefore(items: Int32Array, from: number, to: number, post: number): boolean {
  for (let i = from; i < to; i++) if (items[i] === post) return true;
  return false;
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
