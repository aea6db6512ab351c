// The feed's ecosystem metrics: what a whole run's pages did to the catalog and its creators, over
// all of its users together (KuaiSim reports coverage and intra-list diversity beside reward:
// Zhao et al., NeurIPS 2023 Datasets and Benchmarks). They are the world's run metrics
// (WorldSpec.runMetricNames); FeedEnv tallies them only between startRunMetrics and
// stopRunMetrics, so a world that never starts the tally pays one null check per page.
// docs/world-feed.md#ecosystem-metrics defines each one.
import { ExactSum } from '../exact-sum.ts';
import type { Catalog } from './catalog.ts';

export const ECOSYSTEM_METRICS = [
  'postCoverage',
  'creatorCoverage',
  'intraListDiversity',
  'creatorGini',
  'watchedQuality',
  'watchedClickbait',
] as const;

export const ECOSYSTEM_METRIC_DOCS: Readonly<Record<(typeof ECOSYSTEM_METRICS)[number], string>> = {
  postCoverage: "share of the catalog's posts shown (reaching the screen) at least once to the run's users",
  creatorCoverage: "share of the catalog's creators (those with a post) shown at least once to the run's users",
  intraListDiversity:
    "mean over the run's pages of the mean topic distance (1 - cosine of topic weights) between " +
    "two of the page's K posts: 0 all alike, 1 no topic shared",
  creatorGini:
    "Gini coefficient of the run's impressions over the catalog's creators (never shown: 0 " +
    'impressions): 0 equal exposure, near 1 one creator takes all',
  watchedQuality: "mean hidden quality of the posts the run's users stopped to watch",
  watchedClickbait:
    "mean hidden clickbait (0 to 1) of the posts the run's users stopped to watch " +
    '(meanViewedClickbait weighs each user alike instead)',
};

/** What the tally reads of the catalog. */
export type EcosystemCatalog = Pick<
  Catalog,
  | 'posts'
  | 'creators'
  | 'creatorStart'
  | 'postCreator'
  | 'topicA'
  | 'topicB'
  | 'weightA'
  | 'weightB'
  | 'quality'
  | 'clickbait'
>;

/**
 * A run's ecosystem tally: fed every page as it is examined (page), read once at the end (write).
 * Counts are integers and sums exact (ExactSum), so the values do not depend on the order in which
 * rows step: the same for any batch size.
 */
export class EcosystemTally {
  private readonly catalog: EcosystemCatalog;
  /** One bit per post: shown at least once. */
  private readonly shownPosts: Int32Array;
  private postsShown = 0;
  /** C: impressions of each creator's posts. */
  private readonly creatorImpressions: Float64Array;
  /** Pages of at least two posts, and the sum of their mean pairwise distances. */
  private pages = 0;
  private readonly distanceSum = new ExactSum();
  /** Posts users stopped to watch, and the sums of their quality and clickbait. */
  private watched = 0;
  private readonly qualitySum = new ExactSum();
  private readonly clickbaitSum = new ExactSum();
  /** K: a page's topic-weight norms, reused. */
  private norms: Float64Array = new Float64Array(0);

  constructor(catalog: EcosystemCatalog) {
    this.catalog = catalog;
    this.shownPosts = new Int32Array((catalog.posts + 31) >>> 5);
    this.creatorImpressions = new Float64Array(catalog.creators);
  }

  /**
   * One page: slates[slateOffset .. + k) are candidate indices into items[itemOffset..] (post
   * ids); the first `examined` reached the screen, and stopped[slot] is 1 where the user stopped
   * to watch (ResponseModel.stopped).
   */
  page(
    slates: Int32Array,
    slateOffset: number,
    k: number,
    items: Int32Array,
    itemOffset: number,
    examined: number,
    stopped: Uint8Array,
  ): void {
    const { postCreator, quality, clickbait } = this.catalog;
    const shown = this.shownPosts;
    for (let slot = 0; slot < examined; slot++) {
      const post = items[itemOffset + slates[slateOffset + slot]];
      const bit = 1 << (post & 31);
      if ((shown[post >>> 5] & bit) === 0) {
        shown[post >>> 5] |= bit;
        this.postsShown++;
      }
      this.creatorImpressions[postCreator[post]]++;
      if (stopped[slot] === 1) {
        this.watched++;
        this.qualitySum.add(quality[post]);
        this.clickbaitSum.add(clickbait[post]);
      }
    }
    if (k >= 2) {
      this.distanceSum.add(this.meanPairwiseDistance(slates, slateOffset, k, items, itemOffset));
      this.pages++;
    }
  }

  /**
   * Mean over the page's K(K-1)/2 pairs of 1 - cosine of their topic-weight vectors. The whole
   * page, not only what reached the screen: it is what the policy chose, and every page counts
   * alike (the examined part would leave out, as too short, the pages users left at once).
   */
  private meanPairwiseDistance(
    slates: Int32Array,
    slateOffset: number,
    k: number,
    items: Int32Array,
    itemOffset: number,
  ): number {
    const { topicA, topicB, weightA, weightB } = this.catalog;
    if (this.norms.length < k) this.norms = new Float64Array(k);
    const squares = this.norms;
    for (let i = 0; i < k; i++) {
      const post = items[itemOffset + slates[slateOffset + i]];
      squares[i] = weightA[post] * weightA[post] + weightB[post] * weightB[post];
    }
    let sum = 0;
    for (let i = 0; i < k; i++) {
      const p = items[itemOffset + slates[slateOffset + i]];
      const a = topicA[p];
      const b = topicB[p];
      for (let j = i + 1; j < k; j++) {
        const q = items[itemOffset + slates[slateOffset + j]];
        // A post's two topics differ, so each product below is one shared topic. In this order,
        // two posts of the same topics and weights have dot = their squared norm exactly, and
        // sqrt(x * x) = x in floating point: their distance is exactly 0.
        let dot = a === topicA[q] ? weightA[p] * weightA[q] : 0;
        if (a === topicB[q]) dot += weightA[p] * weightB[q];
        if (b >= 0 && b === topicA[q]) dot += weightB[p] * weightA[q];
        if (b >= 0 && b === topicB[q]) dot += weightB[p] * weightB[q];
        sum += 1 - dot / Math.sqrt(squares[i] * squares[j]);
      }
    }
    return sum / ((k * (k - 1)) / 2);
  }

  /** Writes the metrics in ECOSYSTEM_METRICS order; NaN where there is nothing to measure. */
  write(out: Float64Array): void {
    const { posts, creators, creatorStart } = this.catalog;
    // Only creators with a post can be shown: one without is no part of the catalog's supply.
    const exposure: number[] = [];
    let impressions = 0;
    let creatorsShown = 0;
    for (let c = 0; c < creators; c++) {
      if (creatorStart[c + 1] === creatorStart[c]) continue;
      const count = this.creatorImpressions[c];
      exposure.push(count);
      impressions += count;
      if (count > 0) creatorsShown++;
    }
    out[0] = this.postsShown / posts;
    out[1] = exposure.length > 0 ? creatorsShown / exposure.length : Number.NaN;
    out[2] = this.pages > 0 ? this.distanceSum.value() / this.pages : Number.NaN;
    out[3] = impressions > 0 ? gini(Float64Array.from(exposure)) : Number.NaN;
    out[4] = this.watched > 0 ? this.qualitySum.value() / this.watched : Number.NaN;
    out[5] = this.watched > 0 ? this.clickbaitSum.value() / this.watched : Number.NaN;
  }
}

/**
 * The Gini coefficient of non-negative amounts (sorted in place), not all 0: with x ascending,
 * G = 2 sum_i i x_i / (n sum_i x_i) - (n + 1) / n, i = 1..n. 0 when all are equal, (n - 1) / n when
 * one holds everything.
 */
export function gini(amounts: Float64Array): number {
  amounts.sort();
  const n = amounts.length;
  let weighted = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    weighted += (i + 1) * amounts[i];
    total += amounts[i];
  }
  return (2 * weighted) / (n * total) - (n + 1) / n;
}
