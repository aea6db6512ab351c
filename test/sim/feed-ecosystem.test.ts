// The feed's ecosystem metrics (sim/feed/ecosystem.ts): each on a hand-made catalog with a known
// answer, then through the feed itself against a recount of what its pages showed, and off unless
// started.
import { describe, expect, it } from 'vitest';
import { reachableBytes } from '../../lab/run/plan.ts';
import { runEpisodes } from '../../lab/loop/rollout.ts';
import type { SlateDecider } from '../../sim/env.ts';
import { ECOSYSTEM_METRICS, EcosystemTally, gini, type EcosystemCatalog } from '../../sim/feed/ecosystem.ts';
import { feed, type FeedEnv } from '../../sim/feed/env.ts';
import { defaultParams } from '../../sim/params.ts';
import { worlds } from '../../sim/presets/index.ts';
import type { SeedKey } from '../../sim/rng.ts';
import { randomDecider } from './deciders.ts';
import { feedValues } from './feed-values.ts';

const at = (name: (typeof ECOSYSTEM_METRICS)[number]) => ECOSYSTEM_METRICS.indexOf(name);

/**
 * 5 creators, 8 posts: creator c made posts 2c and 2c + 1, creator 4 none. Posts 0, 1 are topic 0;
 * 2, 3 topic 1; 4 is topic 0 (0.65) with 1 (0.35), 5 topic 1 (0.65) with 0 (0.35); 6, 7 topic 2.
 * Quality of post p is p / 10, clickbait p / 100.
 */
function handMade(): EcosystemCatalog {
  const posts = 8;
  const topicA = Int32Array.from([0, 0, 1, 1, 0, 1, 2, 2]);
  const topicB = Int32Array.from([-1, -1, -1, -1, 1, 0, -1, -1]);
  const weightA = Float64Array.from(topicB, (b) => (b >= 0 ? 0.65 : 1));
  const weightB = Float64Array.from(topicB, (b) => (b >= 0 ? 0.35 : 0));
  return {
    posts,
    creators: 5,
    creatorStart: Int32Array.from([0, 2, 4, 6, 8, 8]),
    postCreator: Int32Array.from({ length: posts }, (_, p) => p >> 1),
    topicA,
    topicB,
    weightA,
    weightB,
    quality: Float64Array.from({ length: posts }, (_, p) => p / 10),
    clickbait: Float64Array.from({ length: posts }, (_, p) => p / 100),
  };
}

/** Shows `posts` as one page (candidate i is posts[i]); the first `examined` reach the screen. */
function show(tally: EcosystemTally, posts: number[], examined = posts.length, stopped: number[] = []): void {
  const slates = Int32Array.from(posts, (_, i) => i);
  tally.page(slates, 0, posts.length, Int32Array.from(posts), 0, examined, Uint8Array.from(stopped));
}

function metrics(tally: EcosystemTally): Float64Array {
  const out = new Float64Array(ECOSYSTEM_METRICS.length);
  tally.write(out);
  return out;
}

describe('ecosystem metrics on a hand-made catalog', () => {
  it('coverage: the share of posts, and of creators with a post, that reached the screen', () => {
    const tally = new EcosystemTally(handMade());
    show(tally, [0, 2, 4]);
    show(tally, [0, 2]); // shown again: no new coverage
    show(tally, [6, 7], 1); // the user left after post 6: post 7 never reached the screen
    const out = metrics(tally);
    expect(out[at('postCoverage')]).toBe(4 / 8);
    // Creators 0, 1, 2, 3 of the four with a post (creator 4 has none, and is not counted).
    expect(out[at('creatorCoverage')]).toBe(4 / 4);
    const fewer = new EcosystemTally(handMade());
    show(fewer, [0, 1, 2]);
    expect(metrics(fewer)[at('creatorCoverage')]).toBe(2 / 4);
  });

  it('creator Gini: 0 for equal exposure, (C - 1) / C when one creator has it all, over creators with a post', () => {
    const equal = new EcosystemTally(handMade());
    show(equal, [0, 2, 4, 6]);
    show(equal, [7, 5, 3, 1]);
    expect(metrics(equal)[at('creatorGini')]).toBe(0);
    const one = new EcosystemTally(handMade());
    for (let page = 0; page < 3; page++) show(one, [0, 1]);
    expect(metrics(one)[at('creatorGini')]).toBe(3 / 4);
    expect(gini(Float64Array.from([4, 1, 3, 2]))).toBeCloseTo(0.25, 15);
  });

  it('intra-list diversity: 0 for a page of one topic, 1 without a shared topic, 1 - cosine between', () => {
    const value = (pages: number[][]) => {
      const tally = new EcosystemTally(handMade());
      for (const page of pages) show(tally, page, 1); // what reached the screen does not matter
      return metrics(tally)[at('intraListDiversity')];
    };
    expect(value([[0, 1]])).toBe(0);
    expect(value([[4, 4]])).toBe(0); // two posts of the same two topics and weights: exactly 0 too
    expect(value([[0, 2, 6]])).toBe(1);
    expect(value([[0, 4]])).toBeCloseTo(1 - 0.65 / Math.sqrt(0.65 ** 2 + 0.35 ** 2), 14);
    // Posts 4 and 5 mix the same two topics the other way round: cos = 2 (0.65 x 0.35) / (0.65^2 + 0.35^2).
    expect(value([[4, 5]])).toBeCloseTo(1 - (2 * 0.65 * 0.35) / (0.65 ** 2 + 0.35 ** 2), 14);
    // The mean over pages of the mean over pairs: (0 + 1) / 2, then (1 + 1 + 0) / 3 for [0, 2, 1].
    expect(
      value([
        [0, 1],
        [0, 2],
      ]),
    ).toBe(0.5);
    expect(value([[0, 2, 1]])).toBeCloseTo(2 / 3, 15);
    // Pages of one post have no pair: skipped, and with none left the metric is undefined.
    expect(value([[0]])).toBeNaN();
  });

  it('watched quality and clickbait: the means over the posts users stopped on, not over those scrolled past', () => {
    const tally = new EcosystemTally(handMade());
    show(tally, [1, 2, 3], 3, [1, 0, 1]);
    show(tally, [7, 6], 2, [0, 1]);
    show(tally, [5, 4], 1, [0, 1]); // post 4 never reached the screen: its flag is stale
    const out = metrics(tally);
    expect(out[at('watchedQuality')]).toBeCloseTo((0.1 + 0.3 + 0.6) / 3, 15);
    expect(out[at('watchedClickbait')]).toBeCloseTo((0.01 + 0.03 + 0.06) / 3, 15);
  });

  it('are undefined (NaN) with nothing shown, but for coverage (0)', () => {
    const out = metrics(new EcosystemTally(handMade()));
    expect(out[at('postCoverage')]).toBe(0);
    expect(out[at('creatorCoverage')]).toBe(0);
    for (const name of ['intraListDiversity', 'creatorGini', 'watchedQuality', 'watchedClickbait'] as const)
      expect(out[at(name)], name).toBeNaN();
  });
});

const SEED: SeedKey = { experiment: 23, run: 4 };
const small = () => feedValues({ horizonDays: 3, creators: 80, posts: 1500 });
const makeFeed = (batchSize: number) => feed.create(small(), { seed: SEED, batchSize }) as FeedEnv;
const EPISODES = 40;

/** The run metrics of `episodes` random-policy episodes with the tally on. */
function tallied(env: FeedEnv, episodes = EPISODES, decider: SlateDecider = randomDecider): Float64Array {
  env.startRunMetrics();
  runEpisodes(env, decider, { episodes, seed: SEED, streamKey: 'random' });
  const out = new Float64Array(ECOSYSTEM_METRICS.length);
  env.runMetrics(out);
  env.stopRunMetrics();
  return out;
}

describe('ecosystem metrics of the feed', () => {
  it('agree with a recount of the pages the policy played and what reached the screen (40 users)', () => {
    const env = makeFeed(1);
    const { slateSize: K } = env.spec;
    const { catalog } = env;
    const page = new Int32Array(K);
    const postShown = new Set<number>();
    const creatorImpressions = new Float64Array(catalog.creators);
    const distances: number[] = [];
    const watched: number[] = [];
    const topics = (post: number) =>
      Array.from(
        env.observation.itemFeatures.subarray(
          post * catalog.itemFeatureDim,
          post * catalog.itemFeatureDim + catalog.topics,
        ),
      );
    const decider: SlateDecider = {
      act(observation, rowRngs, slates) {
        randomDecider.act(observation, rowRngs, slates);
        for (let slot = 0; slot < K; slot++) page[slot] = observation.candidateItems[slates[slot]];
        let sum = 0;
        for (let i = 0; i < K; i++)
          for (let j = i + 1; j < K; j++) {
            const [a, b] = [topics(page[i]), topics(page[j])];
            const dot = a.reduce((s, x, t) => s + x * b[t], 0);
            sum += 1 - dot / Math.sqrt(a.reduce((s, x) => s + x * x, 0) * b.reduce((s, x) => s + x * x, 0));
          }
        distances.push(sum / ((K * (K - 1)) / 2));
      },
    };
    env.startRunMetrics();
    runEpisodes(env, decider, {
      episodes: EPISODES,
      seed: SEED,
      streamKey: 'random',
      onStep: (result) => {
        for (let slot = 0; slot < result.impressions[0]; slot++) {
          postShown.add(page[slot]);
          creatorImpressions[catalog.postCreator[page[slot]]]++;
          if (env.response.stopped[slot] === 1) watched.push(page[slot]);
        }
      },
    });
    const out = new Float64Array(ECOSYSTEM_METRICS.length);
    env.runMetrics(out);
    const withPosts = Array.from({ length: catalog.creators }, (_, c) => c).filter(
      (c) => catalog.creatorStart[c + 1] > catalog.creatorStart[c],
    );
    expect(out[at('postCoverage')]).toBe(postShown.size / catalog.posts);
    expect(out[at('creatorCoverage')]).toBe(
      withPosts.filter((c) => creatorImpressions[c] > 0).length / withPosts.length,
    );
    expect(out[at('creatorGini')]).toBe(gini(Float64Array.from(withPosts, (c) => creatorImpressions[c])));
    // The recount reads the observation's topic weights, in single precision.
    expect(out[at('intraListDiversity')]).toBeCloseTo(distances.reduce((s, x) => s + x, 0) / distances.length, 6);
    const mean = (values: number[]) => values.reduce((s, x) => s + x, 0) / values.length;
    expect(out[at('watchedQuality')]).toBeCloseTo(mean(watched.map((post) => catalog.quality[post])), 12);
    expect(out[at('watchedClickbait')]).toBeCloseTo(mean(watched.map((post) => catalog.clickbait[post])), 12);
    // Sanity of the scale: a random policy over 40 users shows some of the catalog, not all of it.
    expect(out[at('postCoverage')]).toBeGreaterThan(0.05);
    expect(out[at('postCoverage')]).toBeLessThan(0.9);
    expect(watched.length).toBeGreaterThan(100);
  });

  it('are the same, bit for bit, for any batch size (1, 5, 16 rows)', () => {
    const one = tallied(makeFeed(1));
    expect(tallied(makeFeed(5))).toEqual(one);
    expect(tallied(makeFeed(16))).toEqual(one);
    for (const value of one) expect(Number.isFinite(value)).toBe(true);
  });

  it('change nothing the users do: the episode records are the same with the tally on', () => {
    const off = runEpisodes(makeFeed(4), randomDecider, { episodes: 12, seed: SEED, streamKey: 'random' });
    const env = makeFeed(4);
    env.startRunMetrics();
    expect(runEpisodes(env, randomDecider, { episodes: 12, seed: SEED, streamKey: 'random' })).toEqual(off);
  });

  it('count only the steps since the tally started, from nothing', () => {
    const env = makeFeed(4);
    runEpisodes(env, randomDecider, { episodes: 10, seed: SEED, streamKey: 'random' });
    tallied(env, 25);
    expect(tallied(env)).toEqual(tallied(makeFeed(4)));
  });

  it('are off by default: a feed stepped without the tally holds nothing for it and reports nothing', () => {
    const env = makeFeed(4);
    const bytes = reachableBytes(env);
    runEpisodes(env, randomDecider, { episodes: 10, seed: SEED, streamKey: 'random' });
    expect(reachableBytes(env)).toBe(bytes);
    expect(() => env.runMetrics(new Float64Array(ECOSYSTEM_METRICS.length))).toThrow(/before startRunMetrics/);
    env.startRunMetrics();
    expect(reachableBytes(env)).toBeGreaterThan(bytes);
    env.stopRunMetrics();
    expect(reachableBytes(env)).toBe(bytes);
  });

  it("are the feed's alone: the other worlds declare no run metrics", () => {
    const { spec } = makeFeed(1);
    expect(spec.runMetricNames).toEqual(ECOSYSTEM_METRICS);
    for (const name of ECOSYSTEM_METRICS) expect(spec.metricDocs[name], name).toBeTruthy();
    for (const [name, world] of Object.entries(worlds)) {
      if (name === 'feed') continue;
      const other = world.create(defaultParams(world.params) as never, { seed: SEED, batchSize: 2 });
      expect(other.spec.runMetricNames, name).toBeUndefined();
      expect(other.startRunMetrics, name).toBeUndefined();
    }
  });
});
