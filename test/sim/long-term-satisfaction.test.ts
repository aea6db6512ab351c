import { describe, expect, it } from 'vitest';
import { runEpisodes, type EpisodeRecord } from '../../lab/loop/rollout.ts';
import type { Observation, SlateDecider } from '../../sim/env.ts';
import { defaultParams } from '../../sim/params.ts';
import {
  engagementLocation,
  expectedEngagement,
  futureEngagementEffect,
  initialNetPositiveExposure,
  longTermSatisfaction,
  longTermSatisfactionParams,
  satisfactionOf,
  stepLongTermSatisfaction,
  type LongTermSatisfactionParams,
} from '../../sim/presets/long-term-satisfaction.ts';
import { Rng, type SeedKey } from '../../sim/rng.ts';
import { randomDecider as random } from './deciders.ts';

const SEED: SeedKey = { experiment: 0, run: 1 };
const Z999 = 3.29; // two-sided 99.9% normal quantile

const params = (overrides: Partial<LongTermSatisfactionParams> = {}): LongTermSatisfactionParams => ({
  ...defaultParams(longTermSatisfactionParams),
  ...overrides,
});

/** Puts the candidate with the lowest (kale) or highest (chocolate) clickbait in slot 0. */
function clickbaitRanker(prefer: 'kale' | 'chocolate'): SlateDecider {
  return {
    act(observation: Observation, _rngs, slates) {
      const rows = observation.active.length;
      const n = observation.candidateItems.length / rows;
      const k = slates.length / rows;
      for (let row = 0; row < rows; row++) {
        let best = 0;
        for (let c = 1; c < n; c++) {
          const score = observation.itemFeatures[observation.candidateItems[row * n + c]];
          const bestScore = observation.itemFeatures[observation.candidateItems[row * n + best]];
          if (prefer === 'kale' ? score < bestScore : score > bestScore) best = c;
        }
        slates[row * k] = best;
        for (let slot = 1; slot < k; slot++) slates[row * k + slot] = (best + slot) % n;
      }
    },
  };
}

function run(
  p: LongTermSatisfactionParams,
  decider: SlateDecider,
  episodes: number,
  batchSize: number,
  seed = SEED,
): EpisodeRecord[] {
  const env = longTermSatisfaction.create(p, { seed, batchSize });
  return runEpisodes(env, decider, { episodes, seed, streamKey: 'test' });
}

function meanAndVariance(values: readonly number[]): { mean: number; variance: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1);
  return { mean, variance };
}

/** Draws `n` steps from a fixed state (npe, cb) and returns the NPE updates and log-engagements. */
function stepsFrom(p: LongTermSatisfactionParams, npe: number, clickbait: number, n: number) {
  const state = {
    npe: new Float64Array(1),
    satisfaction: new Float64Array(1),
    budget: new Int32Array(1),
    clickbait: new Float64Array(p.candidates),
  };
  state.clickbait[0] = clickbait;
  const slates = new Int32Array(p.slateSize);
  const signals = new Float32Array(p.slateSize * 2);
  const rng = new Rng('lts-steps');
  const nextNpe = new Float64Array(n);
  const logEngagement = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    state.npe[0] = npe;
    state.satisfaction[0] = satisfactionOf(p.sensitivity, npe);
    state.budget[0] = 60;
    const reward = stepLongTermSatisfaction(p, state, 0, slates, rng, signals, 0);
    nextNpe[i] = state.npe[0];
    logEngagement[i] = Math.log(reward);
  }
  expect(state.budget[0]).toBe(59); // one unit of budget per step
  return { nextNpe, logEngagement };
}

function stats(values: Float64Array): { mean: number; sd: number } {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return { mean, sd: Math.sqrt(squares / (values.length - 1)) };
}

describe('long-term-satisfaction: the user model', () => {
  it('starts users with NPE = (u - 0.5) / (1 - memoryDiscount), uniform on [-5/3, 5/3)', () => {
    expect(initialNetPositiveExposure(0.7, 0)).toBeCloseTo(-5 / 3, 12);
    expect(initialNetPositiveExposure(0.7, 0.5)).toBe(0);
    // Recovered through the ground truth: immediateValue = exp(loc + 1/2), loc = (4 + cb) * sat.
    const p = params();
    const env = longTermSatisfaction.create(p, { seed: SEED, batchSize: 1 });
    const values = new Float32Array(p.candidates);
    const n = 20_000;
    const npes: number[] = [];
    for (let episode = 0; episode < n; episode++) {
      env.resetRow(0, episode);
      env.truth.immediateValue(values);
      const clickbait = env.observation.itemFeatures[0];
      const satisfaction = (Math.log(values[0]) - 0.5) / (clickbait * p.chocMean + (1 - clickbait) * p.kaleMean);
      npes.push(Math.log(satisfaction / (1 - satisfaction)) / p.sensitivity);
    }
    const half = 0.5 / (1 - p.memoryDiscount);
    // float32 truth values recover NPE to about 1e-4; the bound allows 1e-2.
    for (const npe of npes) expect(Math.abs(npe)).toBeLessThan(half + 1e-2);
    const { mean, variance } = meanAndVariance(npes);
    // Uniform of width w: variance w^2/12; n = 20,000, 99.9% bounds on the mean and the variance
    // (se of the sample variance sqrt((mu4 - sigma^4) / n), mu4 = w^4 / 80).
    const w = 2 * half;
    expect(Math.abs(mean)).toBeLessThan(Z999 * Math.sqrt((w * w) / 12 / n));
    expect(Math.abs(variance - (w * w) / 12)).toBeLessThan(Z999 * Math.sqrt((w ** 4 / 80 - w ** 4 / 144) / n));
  });

  for (const [npe, clickbait] of [
    [1, 0.8],
    [-2, 0.1],
  ] as const) {
    it(`moves NPE to 0.7 NPE - 2 (cb - 0.5) + Normal(0, 0.05) (NPE ${npe}, cb ${clickbait})`, () => {
      const p = params();
      const n = 50_000;
      const { nextNpe } = stepsFrom(p, npe, clickbait, n);
      const { mean, sd } = stats(nextNpe);
      // n = 50,000: 99.9% bounds on the mean (sd / sqrt n) and the sd (sd / sqrt(2n)).
      expect(Math.abs(mean - (0.7 * npe - 2 * (clickbait - 0.5)))).toBeLessThan((Z999 * 0.05) / Math.sqrt(n));
      expect(Math.abs(sd - 0.05)).toBeLessThan((Z999 * 0.05) / Math.sqrt(2 * n));
    });
  }

  it('draws log-engagement ~ Normal((cb choc + (1-cb) kale) sat, cb chocSd + (1-cb) kaleSd)', () => {
    // Unequal sds and a strong sensitivity so that both interpolations and satisfaction show.
    const p = params({ chocStddev: 0.5, kaleStddev: 1.5, sensitivity: 0.5 });
    const n = 50_000;
    const clickbait = 0.8;
    const satisfaction = satisfactionOf(0.5, 1);
    const { logEngagement } = stepsFrom(p, 1, clickbait, n);
    const { mean, sd } = stats(logEngagement);
    const loc = (0.8 * 5 + 0.2 * 4) * satisfaction;
    const scale = 0.8 * 0.5 + 0.2 * 1.5;
    expect(engagementLocation(p, clickbait, satisfaction)).toBeCloseTo(loc, 12);
    // n = 50,000: 99.9% bounds, mean +- 3.29 scale / sqrt n, sd +- 3.29 scale / sqrt(2n).
    expect(Math.abs(mean - loc)).toBeLessThan((Z999 * scale) / Math.sqrt(n));
    expect(Math.abs(sd - scale)).toBeLessThan((Z999 * scale) / Math.sqrt(2 * n));
  });

  it('clips the engagement signal at maxEngagement but not the reward', () => {
    const p = params({ chocMean: 20, maxEngagement: 100 });
    const state = {
      npe: Float64Array.of(0),
      satisfaction: Float64Array.of(0.5),
      budget: Int32Array.of(60),
      clickbait: new Float64Array(10).fill(1),
    };
    const signals = new Float32Array(4);
    const reward = stepLongTermSatisfaction(p, state, 0, Int32Array.of(3, 4), new Rng('clip'), signals, 0);
    expect(reward).toBeGreaterThan(100); // log-engagement ~ Normal(10, 1)
    expect(signals[1]).toBe(100);
    expect(Array.from(signals)).toEqual([1, 100, 0, 0]);
  });
});

describe('long-term-satisfaction: episodes', () => {
  it('keeps one document set for every step, episode and row when resampleDocuments is false (RecSim draws it once), fresh ones when true', () => {
    const documents = (resampleDocuments: boolean) => {
      const p = params({ resampleDocuments });
      const env = longTermSatisfaction.create(p, { seed: SEED, batchSize: 2 });
      env.resetRow(0, 0);
      env.resetRow(1, 5);
      const seen = [Array.from(env.observation.itemFeatures), Array.from(env.observation.itemIds)];
      env.step(Int32Array.from({ length: 2 * p.slateSize }, (_, i) => i % p.slateSize));
      return {
        before: seen,
        after: [Array.from(env.observation.itemFeatures), Array.from(env.observation.itemIds)],
        n: p.candidates,
      };
    };
    const fixed = documents(false);
    const [features, ids] = fixed.before;
    expect(features.slice(0, fixed.n)).toEqual(features.slice(fixed.n));
    expect(ids.slice(0, fixed.n)).toEqual(ids.slice(fixed.n));
    expect(fixed.after).toEqual(fixed.before);
    const fresh = documents(true);
    expect(fresh.before[0].slice(0, fresh.n)).not.toEqual(fresh.before[0].slice(fresh.n));
    expect(fresh.after[0]).not.toEqual(fresh.before[0]);
  });

  it('runs 60-step episodes in which only slot 0 is ever clicked', () => {
    const p = params();
    const env = longTermSatisfaction.create(p, { seed: SEED, batchSize: 3 });
    let steps = 0;
    const records = runEpisodes(env, random, {
      episodes: 10,
      seed: SEED,
      streamKey: 'random',
      onStep: (result) => {
        for (let row = 0; row < 3; row++) {
          if (env.observation.active[row] === 0) continue;
          steps++;
          expect(result.signals[row * 4]).toBe(1);
          expect(result.signals[row * 4 + 2]).toBe(0);
          expect(result.signals[row * 4 + 3]).toBe(0);
          expect(result.signals[row * 4 + 1]).toBe(Math.fround(Math.min(100, result.reward[row])));
        }
      },
    });
    expect(steps).toBe(600);
    for (const record of records) {
      expect(record.length).toBe(60);
      expect(record.clicks).toBe(60);
      // The whole slate is shown (only slot 0 is consumed): K impressions a step, the clicks among them.
      expect(record.impressions).toBe(60 * p.slateSize);
      expect(record.signalTotals[0]).toBe(60);
      expect(record.extra.length).toBe(2);
      // |NPE| <= 2 / (1 - 0.7) + noise, so satisfaction stays within sigmoid(+-0.04).
      expect(Math.abs(record.extra[0] - 0.5)).toBeLessThan(0.01);
      expect(record.extra[1]).toBeGreaterThan(0);
      expect(record.extra[1]).toBeLessThan(1);
    }
  });

  it('pays the expected slate reward on average (sum of 24,000 steps, 99.9% z bound)', () => {
    const p = params();
    const batchSize = 8;
    const env = longTermSatisfaction.create(p, { seed: SEED, batchSize });
    const expected = new Float32Array(batchSize);
    const values = new Float32Array(batchSize * p.candidates);
    const slates = new Int32Array(batchSize * p.slateSize);
    const rngs = Array.from({ length: batchSize }, (_, row) => new Rng(`slates/${row}`));
    let deviation = 0;
    let variance = 0;
    for (let block = 0; block < 50; block++) {
      for (let row = 0; row < batchSize; row++) env.resetRow(row, block * batchSize + row);
      for (let t = 0; t < 60; t++) {
        random.act(env.observation, rngs, slates);
        env.truth.expectedSlateReward(slates, expected);
        env.truth.immediateValue(values);
        const result = env.step(slates);
        for (let row = 0; row < batchSize; row++) {
          expect(expected[row]).toBe(values[row * p.candidates + slates[row * p.slateSize]]);
          deviation += result.reward[row] - expected[row];
          // Lognormal with scale 1: variance (e - 1) * mean^2.
          variance += (Math.E - 1) * expected[row] ** 2;
        }
      }
    }
    expect(Math.abs(deviation) / Math.sqrt(variance)).toBeLessThan(Z999);
  });

  it('rewards always-chocolate over always-kale under RecSim defaults (400 episodes each, 99.9% CI)', () => {
    // Expected per step about exp(0.493 * 4.91 + 0.5) = 18.6 against exp(0.507 * 4.09 + 0.5) = 13.1:
    // with sensitivity 0.01 satisfaction barely moves, so clickbait wins.
    const n = 400;
    const chocolate = meanAndVariance(run(params(), clickbaitRanker('chocolate'), n, 16).map((r) => r.return));
    const kale = meanAndVariance(run(params(), clickbaitRanker('kale'), n, 16).map((r) => r.return));
    const se = Math.sqrt(chocolate.variance / n + kale.variance / n);
    expect(chocolate.mean - kale.mean - Z999 * se).toBeGreaterThan(0);
  });

  it('rewards always-kale over always-chocolate when sensitivity is 0.5 (400 episodes each, 99.9% CI)', () => {
    const n = 400;
    const p = params({ sensitivity: 0.5 });
    const chocolate = meanAndVariance(run(p, clickbaitRanker('chocolate'), n, 16).map((r) => r.return));
    const kale = meanAndVariance(run(p, clickbaitRanker('kale'), n, 16).map((r) => r.return));
    const se = Math.sqrt(chocolate.variance / n + kale.variance / n);
    expect(kale.mean - chocolate.mean - Z999 * se).toBeGreaterThan(0);
  });

  it('reports the final satisfaction: below 1/2 after always-chocolate, above after always-kale', () => {
    for (const record of run(params(), clickbaitRanker('chocolate'), 20, 4)) {
      expect(record.extra[0]).toBeLessThan(0.5);
      expect(record.extra[1]).toBeGreaterThan(0.7);
    }
    for (const record of run(params(), clickbaitRanker('kale'), 20, 4)) {
      expect(record.extra[0]).toBeGreaterThan(0.5);
      expect(record.extra[1]).toBeLessThan(0.3);
    }
  });
});

describe('long-term-satisfaction: ground truth', () => {
  it('values long-term effects: positive for kale, negative for chocolate, zero for cb = 1/2', () => {
    const p = params();
    expect(futureEngagementEffect(p, 0.3, 0.5, 59)).toBe(0);
    expect(futureEngagementEffect(p, 0.3, 0.1, 59)).toBeGreaterThan(0);
    expect(futureEngagementEffect(p, 0.3, 0.9, 59)).toBeLessThan(0);
    expect(futureEngagementEffect(p, 0.3, 0.1, 0)).toBe(0);
    // One step ahead, by hand: the next document is neutral, at NPE 0.7 * 0.3 - 2 * (0.1 - 0.5) vs 0.7 * 0.3.
    const g = (x: number) => Math.exp(4.5 * (1 / (1 + Math.exp(-0.01 * x))) + 0.5);
    expect(futureEngagementEffect(p, 0.3, 0.1, 1)).toBeCloseTo(g(0.21 + 0.8) - g(0.21), 12);
    // The effect decays geometrically: a whole episode is worth about 1 / (1 - 0.7) single steps.
    const whole = futureEngagementEffect(p, 0, 0, 59);
    const single = futureEngagementEffect(p, 0, 0, 1);
    expect(whole / single).toBeGreaterThan(3.2);
    expect(whole / single).toBeLessThan(3.4);
  });

  it('writes longTermValue(0) = immediateValue = exp(loc + scale^2 / 2) per candidate', () => {
    const p = params();
    const env = longTermSatisfaction.create(p, { seed: SEED, batchSize: 2 });
    env.resetRow(0, 0);
    env.resetRow(1, 1);
    const immediate = new Float32Array(2 * p.candidates);
    const longTerm = new Float32Array(2 * p.candidates);
    const weighted = new Float32Array(2 * p.candidates);
    env.truth.immediateValue(immediate);
    env.truth.longTermValue(0, longTerm);
    env.truth.longTermValue(1, weighted);
    expect(Array.from(longTerm)).toEqual(Array.from(immediate));
    for (let i = 0; i < 2 * p.candidates; i++) {
      const clickbait = env.observation.itemFeatures[i];
      // Satisfaction is within 0.5 +- 0.005 at the start: bracket the value.
      expect(immediate[i]).toBeGreaterThan(expectedEngagement(p, clickbait, 0.495));
      expect(immediate[i]).toBeLessThan(expectedEngagement(p, clickbait, 0.505));
      expect(Math.sign(weighted[i] - immediate[i])).toBe(clickbait < 0.5 ? 1 : -1);
    }
  });

  it('lets a long-term-value ranker beat the myopic one when sensitivity is 0.5 (300 episodes each, 99.9% CI)', () => {
    const p = params({ sensitivity: 0.5 });
    const greedyOn = (qualityWeight: number): SlateDecider => {
      let values = new Float32Array(0);
      return {
        act(observation, _rngs, slates) {
          const rows = observation.active.length;
          const n = observation.candidateItems.length / rows;
          const k = slates.length / rows;
          if (values.length !== rows * n) values = new Float32Array(rows * n);
          env.truth.longTermValue(qualityWeight, values);
          for (let row = 0; row < rows; row++) {
            let best = 0;
            for (let c = 1; c < n; c++) if (values[row * n + c] > values[row * n + best]) best = c;
            slates[row * k] = best;
            for (let slot = 1; slot < k; slot++) slates[row * k + slot] = (best + slot) % n;
          }
        },
      };
    };
    const n = 300;
    let env = longTermSatisfaction.create(p, { seed: SEED, batchSize: 8 });
    const myopic = meanAndVariance(
      runEpisodes(env, greedyOn(0), { episodes: n, seed: SEED, streamKey: 'm' }).map((r) => r.return),
    );
    env = longTermSatisfaction.create(p, { seed: SEED, batchSize: 8 });
    const planning = meanAndVariance(
      runEpisodes(env, greedyOn(1), { episodes: n, seed: SEED, streamKey: 'p' }).map((r) => r.return),
    );
    const se = Math.sqrt(myopic.variance / n + planning.variance / n);
    expect(planning.mean - myopic.mean - Z999 * se).toBeGreaterThan(0);
  });
});

describe('long-term-satisfaction: reproducibility', () => {
  it('gives identical records for batch sizes 1 and 7', () => {
    const one = run(params(), random, 20, 1);
    const seven = run(params(), random, 20, 7);
    expect(seven).toEqual(one);
  });

  it('repeats a seed exactly and changes with the seed', () => {
    const first = run(params(), random, 5, 2);
    expect(run(params(), random, 5, 2)).toEqual(first);
    const other = run(params(), random, 5, 2, { experiment: 0, run: 2 });
    expect(other.map((r) => r.return)).not.toEqual(first.map((r) => r.return));
  });
});
