// The feed world (sim/feed/env.ts) as a specification. Local deciders (random, top-K by a
// ground-truth score) keep these tests independent of policies/.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  POST_CLICKBAIT,
  POST_CREATED,
  POST_CREATOR,
  POST_LENGTH,
  POST_QUALITY,
  POST_STRIDE,
  POST_TOPIC_A,
  POST_TOPIC_B,
  createdCount,
} from '../../sim/feed/catalog.ts';
import { SOURCE_NAMES } from '../../sim/feed/retrieval.ts';
import { runEpisodes, type EpisodeRecord } from '../../lab/loop/rollout.ts';
import type { Env, Observation, SlateDecider } from '../../sim/env.ts';
import { defaultParams, resolveParams } from '../../sim/params.ts';
import { FEED_METRICS, feed, feedParams, type FeedEnv, type FeedParams } from '../../sim/feed/env.ts';
import { SIGNALS, SIGNAL_NAMES } from '../../sim/feed/response.ts';
import { DEVICE_DESKTOP, DEVICE_PHONE, DEVICE_TABLET, RECENT_TOPICS } from '../../sim/feed/users.ts';
import { startSession } from '../../sim/feed/dynamics.ts';
import { FORMAT_PHOTO, FORMAT_REEL, FORMAT_VIDEO } from '../../sim/feed/catalog.ts';
import { Rng, type SeedKey } from '../../sim/rng.ts';
import { randomDecider } from './deciders.ts';
import { feedValues, type DeepPartial } from './feed-values.ts';

const SEED: SeedKey = { experiment: 7, run: 1 };

/** The feed's default parameters. */
const defaults = feedValues({});

function makeFeed(overrides: DeepPartial<FeedParams> = {}, batchSize = 16, seed: SeedKey = SEED): FeedEnv {
  return feed.create(feedValues(overrides), { seed, batchSize }) as FeedEnv;
}

/** The K candidates with the highest score (ties to the lower index), best first. */
function topKDecider(env: Env, score: (out: Float32Array) => void): SlateDecider {
  const { batchSize, numCandidates: n, slateSize: k } = env.spec;
  const values = new Float32Array(batchSize * n);
  const taken = new Uint8Array(n);
  return {
    act(observation: Observation, _rowRngs: readonly Rng[], slates: Int32Array) {
      score(values);
      for (let row = 0; row < batchSize; row++) {
        if (observation.active[row] === 0) continue;
        taken.fill(0);
        for (let slot = 0; slot < k; slot++) {
          let best = -1;
          for (let c = 0; c < n; c++) {
            if (taken[c] === 0 && (best < 0 || values[row * n + c] > values[row * n + best])) best = c;
          }
          taken[best] = 1;
          slates[row * k + slot] = best;
        }
      }
    },
  };
}

const myopicOracle = (env: Env): SlateDecider => topKDecider(env, (out) => env.truth.immediateValue(out));
const qualityOracle = (env: Env, qualityWeight: number): SlateDecider =>
  topKDecider(env, (out) => env.truth.longTermValue(qualityWeight, out));

/** Mean and half-width of the 95% t interval of paired differences a[i] - b[i]. */
function pairedDifference(a: readonly number[], b: readonly number[]): { mean: number; halfWidth: number; n: number } {
  const n = a.length;
  const diffs = a.map((x, i) => x - b[i]);
  const mean = diffs.reduce((s, x) => s + x, 0) / n;
  const variance = diffs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  // t quantile 0.975 for n - 1 >= 300 degrees of freedom is within 0.01 of 1.968 (and below it).
  return { mean, halfWidth: 1.968 * Math.sqrt(variance / n), n };
}

const metric = (records: readonly EpisodeRecord[], name: string, names: readonly string[]): number[] =>
  records.map((r) => r.extra[names.indexOf(name)]);

const strip = (records: readonly EpisodeRecord[]) => records.map((r) => JSON.stringify(r));

describe('feed: the point — immediate appeal and long-term value disagree', () => {
  // 400 users, each met by both oracles (per-episode world streams), so differences are paired.
  const EPISODES = 400;
  const QUALITY_WEIGHT = 5; // minutes of reward per unit of expected satisfaction target
  const run = (make: (env: Env) => SlateDecider, name: string) => {
    const env = makeFeed({}, 32);
    return runEpisodes(env, make(env), { episodes: EPISODES, seed: SEED, streamKey: name });
  };
  let myopic: EpisodeRecord[] = [];
  let quality: EpisodeRecord[] = [];
  let random: EpisodeRecord[] = [];
  beforeAll(() => {
    myopic = run(myopicOracle, 'myopic');
    quality = run((env) => qualityOracle(env, QUALITY_WEIGHT), 'quality');
    random = run(() => randomDecider, 'random');
  }, 120_000);
  const names = FEED_METRICS;

  it('gives the myopic oracle more reward on day 0 (paired 95% CI above zero)', () => {
    const d = pairedDifference(metric(myopic, 'firstDayReturn', names), metric(quality, 'firstDayReturn', names));
    expect(d.n).toBe(EPISODES);
    expect(d.mean - d.halfWidth).toBeGreaterThan(0);
  });

  it('gives the quality oracle more reward over the horizon (paired 95% CI above zero)', () => {
    const d = pairedDifference(
      quality.map((r) => r.return),
      myopic.map((r) => r.return),
    );
    expect(d.mean - d.halfWidth).toBeGreaterThan(0);
    // Not by a hair: at least 10% of the myopic oracle's return.
    const myopicMean = myopic.reduce((s, r) => s + r.return, 0) / EPISODES;
    expect(d.mean).toBeGreaterThan(0.1 * myopicMean);
  });

  it('makes a random policy clearly worse than the quality oracle over the horizon', () => {
    const d = pairedDifference(
      quality.map((r) => r.return),
      random.map((r) => r.return),
    );
    const randomMean = random.reduce((s, r) => s + r.return, 0) / EPISODES;
    expect(d.mean - d.halfWidth).toBeGreaterThan(randomMean);
  });

  it('has realistic episodes: several sessions under a good policy, churn under bad ones', () => {
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(metric(quality, 'sessions', names))).toBeGreaterThan(5);
    expect(mean(metric(quality, 'daysActive', names))).toBeGreaterThan(5);
    expect(mean(metric(quality, 'churned', names))).toBeLessThan(0.1);
    // Chasing clickbait loses users the quality oracle keeps (about 14% against none here, 400
    // users: a binomial sd near 1.7 points), though far fewer than a random feed loses.
    expect(mean(metric(myopic, 'churned', names))).toBeGreaterThan(mean(metric(quality, 'churned', names)) + 0.05);
    expect(mean(metric(random, 'churned', names))).toBeGreaterThan(0.2);
    // The myopic oracle serves more clickbait and leaves users less satisfied.
    expect(mean(metric(myopic, 'meanViewedClickbait', names))).toBeGreaterThan(
      mean(metric(quality, 'meanViewedClickbait', names)),
    );
    expect(mean(metric(myopic, 'finalSatisfaction', names))).toBeLessThan(
      mean(metric(quality, 'finalSatisfaction', names)),
    );
  });
});

describe('feed: reproducibility', () => {
  const records = (batchSize: number) => {
    const env = makeFeed({}, batchSize);
    return runEpisodes(env, randomDecider, { episodes: 24, seed: SEED, streamKey: 'random' });
  };

  it('gives identical episode records for the same seed', () => {
    expect(strip(records(4))).toEqual(strip(records(4)));
  });

  it('gives identical episode records whatever the batch size (1 vs 8)', () => {
    const one = records(1);
    expect(strip(one)).toEqual(strip(records(8)));
    expect(one.every((r) => r.length > 0)).toBe(true);
  });

  it('meets different users under another seed', () => {
    const env = makeFeed({}, 4, { experiment: 7, run: 2 });
    const other = runEpisodes(env, randomDecider, { episodes: 24, seed: SEED, streamKey: 'random' });
    expect(strip(other)).not.toEqual(strip(records(4)));
  });
});

describe('feed: observations', () => {
  it('shows the true interests under full observability', () => {
    const env = makeFeed({ observability: 'full' }, 2);
    env.resetRow(0, 3);
    const T = env.spec.userFeatureDim;
    for (let t = 0; t < T; t++) expect(env.observation.userFeatures[t]).toBe(Math.fround(env.users.interests[t]));
  });

  it('never lets the observability change the user sessions: every session budget is the same in every mode', () => {
    // The budget of each session, as drawn at its start (read when the first page of a new session
    // is decided, before the user spends any of it), over episode 0 of one row. Only the number of
    // user-stream draws matters here: drawing observation noise from it in one mode only would
    // shift every later session's budget.
    const sessionBudgets = (observability: 'full' | 'noisy' | 'history'): number[] => {
      // Without the hour's factors on the budget: a session's start hour follows from when the
      // last one ended (a same-day return), which the responses move; the draws must not move.
      const env = makeFeed({ observability, users: { eveningSession: 1, morningSession: 1 } }, 1);
      const budgets: number[] = [];
      let sessions = 0;
      const recorder: SlateDecider = {
        act(observation, rowRngs, slates) {
          if (env.users.sessions[0] !== sessions) budgets.push(env.users.budgetLeftMinutes[0]);
          sessions = env.users.sessions[0];
          randomDecider.act(observation, rowRngs, slates);
        },
      };
      runEpisodes(env, recorder, { episodes: 1, seed: SEED, streamKey: 'random' });
      return budgets;
    };
    // Episode 0's user comes back for several sessions; under noisy observability the responses
    // (and so the episode's length) may differ, but the k-th session's budget may not.
    const full = sessionBudgets('full');
    expect(full.length).toBeGreaterThanOrEqual(3);
    for (const other of [sessionBudgets('noisy'), sessionBudgets('history')]) {
      const length = Math.min(full.length, other.length);
      expect(length).toBeGreaterThanOrEqual(2);
      expect(other.slice(0, length)).toEqual(full.slice(0, length));
    }
  });

  it('adds noise under noisy observability, redrawn each session', () => {
    const env = makeFeed({ observability: 'noisy', observationNoise: 0.3 }, 1);
    env.resetRow(0, 3);
    const T = env.spec.userFeatureDim;
    const noise = () => Array.from({ length: T }, (_, t) => env.observation.userFeatures[t] - env.users.interests[t]);
    const first = noise();
    // T = 16 draws of N(0, 0.3^2): the sample sd is within [0.15, 0.5] with probability > 0.999.
    const sd = Math.sqrt(first.reduce((s, x) => s + x * x, 0) / T);
    expect(sd).toBeGreaterThan(0.15);
    expect(sd).toBeLessThan(0.5);
    const sessions = env.users.sessions[0];
    const slates = new Int32Array(env.spec.slateSize).map((_, i) => i);
    let steps = 0;
    while (env.users.sessions[0] === sessions && steps++ < 1000) {
      const result = env.step(slates);
      if (result.done[0] === 1) env.resetRow(0, 3);
    }
    expect(env.users.sessions[0]).not.toBe(sessions);
    // The features are stored in single precision and the interests drift with every view, so an
    // unchanged noise would still differ from \`first\` by rounding (~1e-8). A redrawn noise differs
    // by N(0, 2 x 0.3^2) per topic: the rms difference of 16 topics is above 0.15 unless
    // chi2(16) < 16 x 0.15^2 / 0.18 = 2, probability ~1e-5.
    const second = noise();
    const rms = Math.sqrt(second.reduce((s, x, t) => s + (x - first[t]) ** 2, 0) / T);
    expect(rms).toBeGreaterThan(0.15);
  });

  it('starts history features at zero and fills them from viewed posts', () => {
    const env = makeFeed({ observability: 'history' }, 1);
    env.resetRow(0, 5);
    const T = env.spec.userFeatureDim;
    const features = () => Array.from(env.observation.userFeatures.subarray(0, T));
    expect(features().every((x) => x === 0)).toBe(true);
    const slates = new Int32Array(env.spec.slateSize).map((_, i) => i);
    let views = 0;
    for (let step = 0; step < 20 && views === 0; step++) {
      const result = env.step(slates);
      for (let slot = 0; slot < env.spec.slateSize; slot++) views += result.signals[slot * SIGNALS];
      if (result.done[0] === 1) env.resetRow(0, 5);
    }
    expect(views).toBeGreaterThan(0);
    expect(features().some((x) => x > 0)).toBe(true);
    // A decayed average of topic weights (each summing to 1) never exceeds 1 in total.
    expect(features().reduce((s, x) => s + x, 0)).toBeLessThanOrEqual(1 + 1e-6);
  });

  it('writes context day, hour and device, and every declared field of every candidate', () => {
    const env = makeFeed({}, 8);
    const N = env.spec.numCandidates;
    for (let row = 0; row < 8; row++) env.resetRow(row, row);
    const { context, fields, candidateItems } = env.observation;
    for (let row = 0; row < 8; row++) {
      expect(context[row * 3]).toBe(0);
      expect(context[row * 3 + 1]).toBeGreaterThanOrEqual(0);
      expect(context[row * 3 + 1]).toBeLessThan(24);
      expect([0, 1, 2]).toContain(context[row * 3 + 2]);
      expect(fields.sessionPosts[row]).toBe(0);
    }
    // The declared layout is what the observation holds: no more, no less.
    expect(Object.keys(fields).sort()).toEqual(env.spec.observationLayout.fields.map((field) => field.name).sort());
    const c = env.catalog;
    let followed = 0;
    for (let i = 0; i < 8 * N; i++) {
      const post = candidateItems[i];
      const row = Math.floor(i / N);
      expect(fields.creator[i]).toBe(c.postCreator[post]);
      expect(fields.followsCreator[i]).toBe(env.users.follows(row, c.postCreator[post]) ? 1 : 0);
      followed += fields.followsCreator[i];
      expect(fields.source[i]).toBe(env.candidateSource[i]);
      expect(fields.ageHours[i]).toBeGreaterThanOrEqual(0);
      expect(fields.views[i]).toBeGreaterThanOrEqual(0);
      expect(fields.likes[i]).toBeGreaterThanOrEqual(0);
      expect(fields.likes[i]).toBeLessThanOrEqual(fields.views[i]);
    }
    // New users already follow a few creators, and the following source proposes their posts.
    expect(followed).toBeGreaterThan(0);
    expect(env.spec.affinityDim).toBe(env.spec.userFeatureDim);
    expect(env.spec.itemFeatureDim).toBe(env.spec.userFeatureDim + 4);
    const layout = env.spec.observationLayout;
    expect(layout.userFeatures).toHaveLength(env.spec.userFeatureDim);
    expect(layout.itemFeatures).toHaveLength(env.spec.itemFeatureDim);
    expect(layout.itemFeatures.slice(-4)).toEqual(['format.photo', 'format.video', 'format.reel', 'lengthMinutes']);
  });

  it('counts the posts that reached the screen earlier in the session (sessionPosts), from 0 at each session start', () => {
    const env = makeFeed({}, 1);
    const K = env.spec.slateSize;
    const slates = Int32Array.from({ length: K }, (_, i) => i);
    env.resetRow(0, 5);
    let expected = 0;
    let newSessions = 0;
    for (let step = 0; step < 60; step++) {
      expect(env.observation.fields.sessionPosts[0]).toBe(expected);
      const sessions = env.users.sessions[0];
      const result = env.step(slates);
      if (result.done[0] === 1) break;
      if (env.users.sessions[0] !== sessions) {
        expected = 0;
        newSessions++;
      } else expected += result.impressions[0];
    }
    expect(newSessions).toBeGreaterThan(0);
  });

  it('shows a like counter that hints at quality without revealing it (crowd likes per view: quality plus luck)', () => {
    const c = makeFeed({}, 1).catalog;
    // Over the catalog (5,000 posts): the logit of likes per view correlates with quality, but far
    // from exactly (0.8 x quality sd ~0.7 against a luck sd of 1: a correlation near 0.5).
    const x: number[] = [];
    const y: number[] = [];
    for (let post = 0; post < c.posts; post++) {
      x.push(c.quality[post]);
      y.push(Math.log(c.crowdLikeRate[post] / (1 - c.crowdLikeRate[post])));
    }
    const r = correlation(x, y);
    expect(r).toBeGreaterThan(0.3);
    expect(r).toBeLessThan(0.75);
  });
});

/**
 * Runs `episodes` random-policy episodes and calls visit(row) for every request whose candidates
 * were just retrieved (a row whose episode just ended keeps its last, already examined ones).
 */
function eachRequest(env: FeedEnv, episodes: number, visit: (row: number) => void): void {
  runEpisodes(env, randomDecider, {
    episodes,
    seed: SEED,
    streamKey: 'random',
    onStep: (result) => {
      for (let row = 0; row < env.spec.batchSize; row++)
        if (env.observation.active[row] === 1 && result.done[row] === 0) visit(row);
    },
  });
}

describe('feed: retrieval', () => {
  it('offers N distinct posts, all created by the request time and none already viewed, mixing every source', () => {
    const env = makeFeed({}, 8);
    const N = env.spec.numCandidates;
    const sourceCounts = new Array(SOURCE_NAMES.length).fill(0);
    let requests = 0;
    eachRequest(env, 40, (row) => {
      const items = Array.from(env.observation.candidateItems.subarray(row * N, (row + 1) * N));
      expect(new Set(items).size).toBe(N);
      const created = createdCount(env.catalog, env.users.nowHours[row]);
      for (let i = 0; i < N; i++) {
        expect(items[i]).toBeLessThan(created);
        expect(env.catalog.createdHours[items[i]]).toBeLessThanOrEqual(env.users.nowHours[row]);
        const seenWord = env.users.seen[row * env.users.seenWords + (items[i] >>> 5)];
        // A candidate may only repeat a viewed post when every draw of the fallback hit one.
        if (env.candidateSource[row * N + i] !== 4) expect(seenWord & (1 << (items[i] & 31))).toBe(0);
        sourceCounts[env.candidateSource[row * N + i]]++;
      }
      requests++;
    });
    expect(requests).toBeGreaterThan(100);
    for (let source = 0; source < SOURCE_NAMES.length; source++) expect(sourceCounts[source]).toBeGreaterThan(0);
  });

  it('offers following candidates only from the latest posts of creators the user follows', () => {
    const env = makeFeed({}, 8);
    const N = env.spec.numCandidates;
    const { creatorStart, creatorPosts, postCreator } = env.catalog;
    const recent = feedValues().retrieval.followRecentPosts;
    let checked = 0;
    eachRequest(env, 24, (row) => {
      const created = createdCount(env.catalog, env.users.nowHours[row]);
      for (let i = 0; i < N; i++) {
        if (env.candidateSource[row * N + i] !== 0) continue;
        const post = env.observation.candidateItems[row * N + i];
        const creator = postCreator[post];
        // Posts of a creator followed when the request was made (a follow is only ever replaced
        // once the list is full, which 24 short random episodes never reach).
        expect(env.users.follows(row, creator)).toBe(true);
        let newer = 0;
        for (let j = creatorStart[creator]; j < creatorStart[creator + 1]; j++)
          if (creatorPosts[j] > post && creatorPosts[j] < created) newer++;
        expect(newer).toBeLessThan(recent);
        checked++;
      }
    });
    expect(checked).toBeGreaterThan(100);
  });

  it('labels each candidate with the source that produced it (topic, trending and fresh rules hold)', () => {
    // Retriever.fill writes source ids as literals: this pins them to SOURCE_NAMES.
    expect(SOURCE_NAMES).toEqual(['following', 'topic', 'trending', 'fresh', 'random']);
    const env = makeFeed({}, 8);
    const N = env.spec.numCandidates;
    const { topicA, topicB, trending, trendingCount, trendingSize } = env.catalog;
    const freshWindow = feedValues().retrieval.freshWindow;
    const checked = [0, 0, 0];
    eachRequest(env, 24, (row) => {
      const now = env.users.nowHours[row];
      const created = createdCount(env.catalog, now);
      const day = Math.min(trendingCount.length - 1, Math.floor(now / 24));
      const dayTrending = new Set(trending.subarray(day * trendingSize, day * trendingSize + trendingCount[day]));
      const known = Math.min(env.users.recentTopicCount[row], RECENT_TOPICS);
      const ring = new Set(env.users.recentTopics.subarray(row * RECENT_TOPICS, row * RECENT_TOPICS + known));
      for (let i = 0; i < N; i++) {
        const post = env.observation.candidateItems[row * N + i];
        const source = env.candidateSource[row * N + i];
        if (source === 1 && known > 0) {
          // Drawn from the list of a topic of the ring: the post carries that topic.
          expect(ring.has(topicA[post]) || ring.has(topicB[post])).toBe(true);
          checked[0]++;
        } else if (source === 2) {
          expect(dayTrending.has(post)).toBe(true);
          checked[1]++;
        } else if (source === 3) {
          expect(post).toBeGreaterThanOrEqual(created - freshWindow);
          checked[2]++;
        }
      }
    });
    for (const count of checked) expect(count).toBeGreaterThan(100);
  });

  it('keeps packed post fields and precomputed list ends equal to the catalog and its binary searches', () => {
    const c = makeFeed({}, 1).catalog;
    for (let post = 0; post < c.posts; post++) {
      const at = post * POST_STRIDE;
      expect(c.postFloats[at + POST_QUALITY]).toBe(c.quality[post]);
      expect(c.postFloats[at + POST_CLICKBAIT]).toBe(c.clickbait[post]);
      expect(c.postFloats[at + POST_LENGTH]).toBe(c.lengthMinutes[post]);
      expect(c.postFloats[at + POST_CREATED]).toBe(c.createdHours[post]);
      expect(c.postInts[at + POST_CREATOR]).toBe(c.postCreator[post]);
      expect(c.postInts[at + POST_TOPIC_A]).toBe(c.topicA[post]);
      expect(c.postInts[at + POST_TOPIC_B]).toBe(c.topicB[post]);
      expect(c.topicB[post] >= 0 ? c.secondTopicWeightA : 1).toBe(c.weightA[post]);
      expect(c.topicB[post] >= 0 ? c.secondTopicWeightB : 0).toBe(c.weightB[post]);
    }
    const countBelow = (list: Int32Array, lo: number, hi: number, created: number) => {
      let end = lo;
      while (end < hi && list[end] < created) end++;
      return end;
    };
    for (let hour = 0; hour < c.createdByHour.length; hour += 7) {
      const created = createdCount(c, hour);
      expect(c.createdByHour[hour]).toBe(created);
      for (let t = 0; t < c.topics; t++) {
        expect(c.topicEndByHour[hour * c.topics + t]).toBe(
          countBelow(c.topicPosts, c.topicStart[t], c.topicStart[t + 1], created),
        );
      }
    }
    for (let day = 0; day * c.creators < c.creatorEndByDay.length; day++) {
      const created = createdCount(c, day * 24);
      for (let k = 0; k < c.creators; k++) {
        expect(c.creatorEndByDay[day * c.creators + k]).toBe(
          countBelow(c.creatorPosts, c.creatorStart[k], c.creatorStart[k + 1], created),
        );
      }
    }
  });

  it('offers posts that arrive during the horizon once they exist', () => {
    const env = makeFeed({}, 1);
    const lateBirth = env.catalog.createdHours[env.catalog.posts - 1];
    expect(lateBirth).toBeGreaterThan(0);
    expect(createdCount(env.catalog, 0)).toBeLessThan(env.catalog.posts);
    expect(createdCount(env.catalog, 14 * 24)).toBe(env.catalog.posts);
  });
});

describe('feed: signals and reward', () => {
  const weights = { view: 0.5, skip: -0.1, watchMinutes: 1, like: 2, comment: 3, share: 4, follow: 5, seeLess: -6 };

  it('reports consistent signals and a reward equal to the weighted signals', () => {
    const env = makeFeed({ reward: weights }, 8);
    const { numCandidates: N, slateSize: K, batchSize: B } = env.spec;
    const decider = randomDecider;
    const slates = new Int32Array(B * K);
    const posts = new Int32Array(B * K);
    let examined = 0;
    let viewed = 0;
    let steps = 0;
    const w = SIGNAL_NAMES.map((name) => weights[name]);
    runEpisodes(
      env,
      {
        act(observation, rowRngs, out) {
          decider.act(observation, rowRngs, out);
          slates.set(out);
          for (let i = 0; i < B * K; i++) posts[i] = observation.candidateItems[Math.floor(i / K) * N + out[i]];
        },
      },
      {
        episodes: 60,
        seed: SEED,
        streamKey: 'random',
        onStep: (result) => {
          for (let row = 0; row < B; row++) {
            let expected = 0;
            let reachedEnd = false;
            let rowExamined = 0;
            for (let slot = 0; slot < K; slot++) {
              const at = (row * K + slot) * SIGNALS;
              const s = (name: string) =>
                result.signals[at + SIGNAL_NAMES.indexOf(name as (typeof SIGNAL_NAMES)[number])];
              for (let j = 0; j < SIGNALS; j++) expected += w[j] * result.signals[at + j];
              const isExamined = s('view') + s('skip');
              expect(isExamined === 0 || isExamined === 1).toBe(true);
              if (isExamined === 0) {
                // Unexamined: nothing at all, and nothing below it either.
                for (let j = 0; j < SIGNALS; j++) expect(result.signals[at + j]).toBe(0);
                reachedEnd = true;
                continue;
              }
              expect(reachedEnd).toBe(false);
              examined++;
              rowExamined++;
              // Every impression records its time on the screen: a scroll-past's second or two
              // (skipSeconds x exp(+-skipSpread)), a viewer's time up to the whole post, or up to
              // twice it with a re-watch. A valid view is at least viewSeconds, or the whole post.
              const minutes = s('watchMinutes');
              const length = Math.fround(env.catalog.lengthMinutes[posts[row * K + slot]]);
              const { skipSeconds, skipSpread, viewSeconds } = defaults.response;
              expect(minutes).toBeGreaterThan(0);
              expect(minutes).toBeLessThanOrEqual(
                Math.max(2 * length, Math.fround((skipSeconds / 60) * Math.exp(skipSpread))) * (1 + 1e-6),
              );
              const valid = minutes >= Math.fround(viewSeconds / 60) * (1 + 1e-6) || minutes >= length * (1 + 1e-6);
              const invalid = minutes < Math.fround(viewSeconds / 60) * (1 - 1e-6) && minutes < length * (1 - 1e-6);
              if (valid) expect(s('view')).toBe(1);
              if (invalid) expect(s('view')).toBe(0);
              if (s('view') === 1) viewed++;
            }
            expect(result.impressions[row]).toBe(rowExamined);
            if (env.observation.active[row] === 1 || result.reward[row] !== 0) {
              expect(result.reward[row]).toBeCloseTo(expected, 4);
            }
          }
          steps++;
        },
      },
    );
    expect(steps).toBeGreaterThan(20);
    expect(viewed).toBeGreaterThan(50);
    expect(examined - viewed).toBeGreaterThan(50);
  });

  it('pays the expected immediate value in the top slot (ground truth matches the simulation)', () => {
    // Over n top-slot posts, sum(realised watch minutes) - sum(immediateValue) must lie within
    // 3.29 standard errors (99.9%), the standard error estimated from the realised values.
    const env = makeFeed({}, 32);
    const { numCandidates: N, slateSize: K, batchSize: B } = env.spec;
    const decider = randomDecider;
    const values = new Float32Array(B * N);
    const predicted = new Float64Array(B);
    let n = 0;
    let sumDiff = 0;
    let sumSq = 0;
    runEpisodes(
      env,
      {
        act(observation, rowRngs, out) {
          decider.act(observation, rowRngs, out);
          env.truth.immediateValue(values);
          for (let row = 0; row < B; row++) predicted[row] = values[row * N + out[row * K]];
        },
      },
      {
        episodes: 600,
        seed: SEED,
        streamKey: 'random',
        onStep: (result) => {
          for (let row = 0; row < B; row++) {
            const realised = result.signals[row * K * SIGNALS + 2];
            if (predicted[row] === 0 && realised === 0) continue;
            const diff = realised - predicted[row];
            n++;
            sumDiff += diff;
            sumSq += diff * diff;
          }
        },
      },
    );
    expect(n).toBeGreaterThan(3000);
    const mean = sumDiff / n;
    const sd = Math.sqrt(sumSq / n - mean * mean);
    expect(Math.abs(mean)).toBeLessThanOrEqual((3.29 * sd) / Math.sqrt(n));
  });

  it('rates a one-post page by its immediate value, and clickbait lower in the long term', () => {
    const env = makeFeed({ slateSize: 1 }, 4);
    for (let row = 0; row < 4; row++) env.resetRow(row, row);
    const { numCandidates: N } = env.spec;
    const immediate = new Float32Array(4 * N);
    env.truth.immediateValue(immediate);
    const slates = new Int32Array(4).fill(3);
    const page = new Float32Array(4);
    env.truth.expectedSlateReward(slates, page);
    for (let row = 0; row < 4; row++) expect(page[row]).toBeCloseTo(immediate[row * N + 3], 5);
    // longTermValue(0) is the immediate value; a positive weight ranks the clickbait of a
    // post's candidates below its clean ones on average.
    const longTerm = new Float32Array(4 * N);
    env.truth.longTermValue(0, longTerm);
    for (let i = 0; i < 4 * N; i++) expect(longTerm[i]).toBeCloseTo(immediate[i], 5);
    env.truth.longTermValue(5, longTerm);
    let baitGap = 0;
    let cleanGap = 0;
    let bait = 0;
    let clean = 0;
    for (let i = 0; i < 4 * N; i++) {
      const gap = longTerm[i] - immediate[i];
      if (env.catalog.clickbait[env.observation.candidateItems[i]] > 0.5) {
        baitGap += gap;
        bait++;
      } else {
        cleanGap += gap;
        clean++;
      }
    }
    expect(bait).toBeGreaterThan(0);
    expect(baitGap / bait).toBeLessThan(cleanGap / clean);
  });
});

describe('feed: the horizon', () => {
  it('ends every episode within days 0..D-1, cutting a session that scrolls past the last midnight', () => {
    // Long, patient sessions that start just before midnight on a one-day horizon.
    const env = makeFeed(
      {
        horizonDays: 1,
        users: {
          sessionMinutes: 120,
          eveningPeakHour: 23.8,
          morningPeakShare: 0,
          diurnalSpreadHours: 0.05,
          patienceMin: 200,
          patienceMax: 200,
        },
        dynamics: { leaveBias: -5.3, leaveBoredom: 0, leaveSatisfaction: 0 },
      },
      8,
    );
    const records = runEpisodes(env, randomDecider, { episodes: 100, seed: SEED, streamKey: 'random' });
    expect(Math.max(...records.map((r) => r.dailyReturn.length))).toBe(1);
    // The cut is exercised, not vacuous: most users were still scrolling at midnight, so their
    // episodes end on a page that did not end the session (more pages than a 12-minute start allows).
    expect(records.filter((r) => r.length >= 10).length).toBeGreaterThan(50);
  });
});

describe('feed: a bad slate', () => {
  it('is refused before any row moves on, leaving the batch as it was', () => {
    const env = makeFeed({}, 4);
    for (let row = 0; row < 4; row++) env.resetRow(row, row);
    const { slateSize: K, numCandidates: N } = env.spec;
    const before = {
      items: env.observation.candidateItems.slice(),
      now: env.users.nowHours.slice(),
      satisfaction: env.users.satisfaction.slice(),
    };
    const slates = new Int32Array(4 * K);
    for (let i = 0; i < slates.length; i++) slates[i] = i % K;
    slates[3 * K + 1] = N; // the last row's second slot is out of range
    expect(() => env.step(slates)).toThrow(/slate row 3 slot 1 holds candidate 50; expected 0\.\.49/);
    expect(env.observation.candidateItems).toEqual(before.items);
    expect(env.users.nowHours).toEqual(before.now);
    expect(env.users.satisfaction).toEqual(before.satisfaction);
  });
});

describe('feed: parameters', () => {
  it('is registered with defaults N = 50, K = 10, T = 16, S = 6, C = 500, M = 5000, D = 14', () => {
    const values = defaultParams(feed.params);
    expect([
      values.candidates,
      values.slateSize,
      values.topics,
      values.segments,
      values.creators,
      values.posts,
      values.horizonDays,
    ]).toEqual([50, 10, 16, 6, 500, 5000, 14]);
    expect(feed.check?.(values)).toEqual([]);
  });

  it('rejects a slate larger than the candidates', () => {
    const issues = feed.check?.(feedValues({ candidates: 5, slateSize: 10 })) ?? [];
    expect(issues.map((i) => i.field)).toContain('slateSize');
  });

  it('rejects too few posts at day 0 and names unknown or out-of-range fields', () => {
    expect((feed.check?.(feedValues({ posts: 60 })) ?? []).map((i) => i.field)).toContain('posts');
    const { issues } = resolveParams(feedParams, { slatesize: 3, dynamics: { satisfactionRate: 2 } }, 'world.params');
    expect(issues.map((i) => i.field)).toEqual(
      expect.arrayContaining(['world.params.slatesize', 'world.params.dynamics.satisfactionRate']),
    );
  });
});

function correlation(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

describe('feed: device and hour of day change behaviour', () => {
  /**
   * Starts a session for row 0 at `hour` on `device` (no device switch) with the stream `seed`; returns its budget and
   * patience.
   */
  function session(
    env: FeedEnv,
    device: number,
    hour: number,
    seed: string,
    users = defaults.users,
  ): { budget: number; patience: number } {
    const u = env.users;
    u.mainDevice[0] = device;
    u.nowHours[0] = 24 + hour;
    u.patience[0] = 5;
    startSession(u, 0, { ...users, deviceSwitch: 0 }, 0.3, new Rng(seed), null);
    expect(u.device[0]).toBe(device);
    return { budget: u.budgetLeftMinutes[0], patience: u.sessionPatience[0] };
  }

  it('sessions last longer on a tablet and shorter on a desktop than on a phone, longer in the evening and shorter in the morning (same draws)', () => {
    const env = makeFeed({}, 1);
    env.resetRow(0, 0);
    const { tabletSession, desktopSession, eveningSession, morningSession } = defaults.users;
    // The same stream draws the same budget: only the device's and the hour's factors differ.
    const phone = session(env, DEVICE_PHONE, 13, 's').budget;
    expect(session(env, DEVICE_TABLET, 13, 's').budget / phone).toBeCloseTo(tabletSession, 12);
    expect(session(env, DEVICE_DESKTOP, 13, 's').budget / phone).toBeCloseTo(desktopSession, 12);
    expect(session(env, DEVICE_PHONE, 20.5, 's').budget / phone).toBeCloseTo(eveningSession, 12);
    expect(session(env, DEVICE_PHONE, 7, 's').budget / phone).toBeCloseTo(morningSession, 12);
    expect(session(env, DEVICE_TABLET, 21, 's').budget / phone).toBeCloseTo(tabletSession * eveningSession, 12);
    expect(tabletSession).toBeGreaterThan(1);
    expect(desktopSession).toBeLessThan(1);
    expect(eveningSession).toBeGreaterThan(1);
    expect(morningSession).toBeLessThan(1);
  });

  it('users are more patient in the evening and less in the morning (never below one skip)', () => {
    const env = makeFeed({}, 1);
    env.resetRow(0, 0);
    const { eveningPatience, morningPatience } = defaults.users;
    expect(session(env, DEVICE_PHONE, 13, 'p').patience).toBe(5);
    expect(session(env, DEVICE_PHONE, 19, 'p').patience).toBe(5 + eveningPatience);
    expect(session(env, DEVICE_PHONE, 8, 'p').patience).toBe(5 + morningPatience);
    expect(eveningPatience).toBeGreaterThan(0);
    expect(morningPatience).toBeLessThan(0);
    expect(session(env, DEVICE_PHONE, 8, 'p', { ...defaults.users, morningPatience: -50 }).patience).toBe(1);
  });

  it('reels are finished more often on a phone, long videos on a tablet or desktop (the finish logit)', () => {
    const env = makeFeed({}, 1);
    const f = env.response.formulas;
    const logit = (p: number) => Math.log(p / (1 - p));
    const at = (device: number, format: number) => logit(f.finishChance(0.2, 0.3, Math.log(1), device, format));
    const { phoneReelFinish, bigScreenVideoFinish } = defaults.response;
    // The logit moves by the bonus (to within the logistic table's error, about 1e-6 in probability).
    expect(at(DEVICE_PHONE, FORMAT_REEL) - at(DEVICE_DESKTOP, FORMAT_REEL)).toBeCloseTo(phoneReelFinish, 4);
    expect(at(DEVICE_TABLET, FORMAT_VIDEO) - at(DEVICE_PHONE, FORMAT_VIDEO)).toBeCloseTo(bigScreenVideoFinish, 4);
    expect(at(DEVICE_DESKTOP, FORMAT_VIDEO) - at(DEVICE_PHONE, FORMAT_VIDEO)).toBeCloseTo(bigScreenVideoFinish, 4);
    expect(at(DEVICE_PHONE, FORMAT_PHOTO)).toBeCloseTo(at(DEVICE_DESKTOP, FORMAT_PHOTO), 12);
  });

  it('in a run, long videos get more minutes per impression on big screens than on phones', () => {
    // 1,500 users under random slates, seeded: the differences are several standard errors wide.
    const env = makeFeed({}, 64);
    const { numCandidates: N, slateSize: K } = env.spec;
    const posts = new Int32Array(64 * K);
    const devices = new Int32Array(64);
    const videoMinutes = [0, 0, 0];
    const videoImpressions = [0, 0, 0];
    runEpisodes(
      env,
      {
        act(observation, rowRngs, slates) {
          randomDecider.act(observation, rowRngs, slates);
          for (let i = 0; i < slates.length; i++)
            posts[i] = observation.candidateItems[Math.floor(i / K) * N + slates[i]];
          for (let row = 0; row < 64; row++) devices[row] = observation.context[row * 3 + 2];
        },
      },
      {
        episodes: 1500,
        seed: SEED,
        streamKey: 'random',
        onStep: (result) => {
          for (let row = 0; row < 64; row++) {
            for (let slot = 0; slot < result.impressions[row]; slot++) {
              const post = posts[row * K + slot];
              const minutes = result.signals[(row * K + slot) * SIGNALS + SIGNAL_NAMES.indexOf('watchMinutes')];
              if (env.catalog.format[post] !== FORMAT_VIDEO) continue;
              videoMinutes[devices[row]] += minutes;
              videoImpressions[devices[row]]++;
            }
          }
        },
      },
    );
    const perVideo = videoMinutes.map((m, d) => m / videoImpressions[d]);
    expect(perVideo[DEVICE_DESKTOP]).toBeGreaterThan(1.1 * perVideo[DEVICE_PHONE]);
    expect(perVideo[DEVICE_TABLET]).toBeGreaterThan(1.1 * perVideo[DEVICE_PHONE]);
    expect(videoImpressions[DEVICE_DESKTOP]).toBeGreaterThan(2000);
  });
});
