// The logistic pCTR agent (agents/supervised/pctr.ts) and its parts: the candidate features read
// from the observation layout, the impression log, the logistic regression, and the agent learning
// from its own exploring log in the feed. Seeded; statistical checks state their sizes.
import { describe, expect, it } from 'vitest';
import { CandidateFeatures } from '../../agents/supervised/features.ts';
import { LogisticModel } from '../../agents/supervised/logistic.ts';
import { SignalLog, type Head } from '../../agents/supervised/signal-log.ts';
import { evaluate, runEpisodes, type EpisodeRecord } from '../../lab/loop/rollout.ts';
import { policies } from '../../policies/index.ts';
import { feed, type FeedEnv } from '../../sim/feed/env.ts';
import { defaultParams } from '../../sim/params.ts';
import { Rng } from '../../sim/rng.ts';
import { makeAgent, SEED, trainFor } from './helpers.ts';
import { createPolicy } from '../../policies/policy.ts';

function feedEnv(batchSize: number): FeedEnv {
  return feed.create(defaultParams(feed.params), { seed: SEED, batchSize }) as FeedEnv;
}

describe('pctr: candidate features', () => {
  it('reads the match products, item features, named fields (one-hot categories, log counts, no creator id), row fields, hour, device and an intercept', () => {
    const env = feedEnv(2);
    env.resetRow(0, 3);
    env.resetRow(1, 4);
    const features = new CandidateFeatures(env.spec);
    const { numCandidates: n, userFeatureDim: u, itemFeatureDim: d } = env.spec;
    expect(features.names.some((name) => name.includes('creator') && !name.includes('follows'))).toBe(false);
    expect(features.names).toContain('source.trending');
    expect(features.names).toContain('log1p.views');
    expect(features.names).toContain('log1p.sessionPosts');
    expect(features.names.at(-1)).toBe('intercept');
    const block = new Float64Array(n * features.size);
    const o = env.observation;
    // Give the row an engagement history, so the match products are not all zero.
    for (let t = 0; t < u; t++) o.userFeatures[u + t] = 0.1 * (t + 1);
    features.encodeRow(o, 1, block);
    const at = (c: number, name: string) => block[c * features.size + features.names.indexOf(name)];
    for (const c of [0, 7, n - 1]) {
      const item = o.candidateItems[n + c];
      expect(at(c, 'match.2')).toBeCloseTo(o.userFeatures[u + 2] * o.itemFeatures[item * d + 2], 12);
      expect(at(c, 'item.lengthMinutes')).toBe(o.itemFeatures[item * d + d - 1]);
      expect(at(c, 'log1p.views')).toBeCloseTo(Math.log1p(o.fields.views[n + c]), 12);
      expect(at(c, 'log1p.ageHours')).toBeCloseTo(Math.log1p(o.fields.ageHours[n + c]), 12);
      const source = o.fields.source[n + c];
      for (const [code, name] of ['following', 'topic', 'trending', 'fresh', 'random'].entries())
        expect(at(c, `source.${name}`)).toBe(code === source ? 1 : 0);
      expect(at(c, `device.${['phone', 'tablet', 'desktop'][o.context[5]]}`)).toBe(1);
      expect(at(c, 'intercept')).toBe(1);
    }
  });
});

/** One binary head on signal 0: a log of (features, click) rows. */
const CLICK: Head[] = [{ signal: 'click', index: 0, kind: 'binary' }];

describe('pctr: the log and the logistic regression', () => {
  it('keeps the latest impressions once the log is full (a ring)', () => {
    const log = new SignalLog(3, 2, CLICK);
    for (let i = 0; i < 5; i++) log.add(Float64Array.of(i, -i), 0, Float32Array.of(i % 2), 0);
    expect(log.size).toBe(3);
    expect(log.added).toBe(5);
    // Rows 3 and 4 overwrote rows 0 and 1.
    expect(Array.from(log.features)).toEqual([3, -3, 4, -4, 2, -2]);
    expect(Array.from(log.targets)).toEqual([1, 0, 0]);
  });

  it('recovers the weights of a logistic model from 40,000 samples (each within 0.1), deterministically', () => {
    const truth = [1.5, -2, 0.5, -1];
    const fitWeights = () => {
      const log = new SignalLog(40_000, 4, CLICK);
      const rng = new Rng('pctr/logistic');
      const x = new Float64Array(4);
      for (let i = 0; i < 40_000; i++) {
        for (let j = 0; j < 3; j++) x[j] = rng.normal();
        x[3] = 1;
        const z = truth.reduce((sum, w, j) => sum + w * x[j], 0);
        log.add(x, 0, Float32Array.of(rng.uniform() < 1 / (1 + Math.exp(-z)) ? 1 : 0), 0);
      }
      const model = new LogisticModel(4);
      model.fit(log, new Rng('pctr/fit'), { epochs: 8, learningRate: 0.02, l2: 0, batchSize: 256 });
      return Array.from(model.weights);
    };
    const weights = fitWeights();
    weights.forEach((w, j) => {
      expect(Math.abs(w - truth[j]), `weight ${j}`).toBeLessThan(0.1);
    });
    expect(fitWeights()).toEqual(weights);
  });
});

describe('pctr: learning from its own exploring log in the feed', () => {
  it('after 6,000 training steps it earns more valid views per request than before training and than random (400 evaluation users, the same for all)', () => {
    const env = feedEnv(64);
    const { agent, key } = makeAgent('pctr', env.spec, { retrainEvery: 1000 });
    const perStep = (records: EpisodeRecord[]) =>
      records.reduce((s, r) => s + r.clicks, 0) / records.reduce((s, r) => s + r.length, 0);
    const options = { seed: SEED, streamKey: 'pctr-eval', episodes: 400 };
    // An untrained pctr scores every candidate 0.5: it ranks them in retrieval order.
    const before = perStep(evaluate(feedEnv(64), agent, options));
    trainFor(env, agent, key, 6000);
    const after = perStep(evaluate(feedEnv(64), agent, options));
    const randomEnv = feedEnv(64);
    const random = perStep(runEpisodes(randomEnv, createPolicy(policies.random, {}, randomEnv), options));
    // Measured: 1.57 valid views per request before training, 1.69 for random, 2.71 after.
    expect(after).toBeGreaterThan(1.3 * before);
    expect(after).toBeGreaterThan(1.3 * random);
  });
});
