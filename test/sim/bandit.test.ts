import { describe, expect, it } from 'vitest';
import { runEpisodes, type EpisodeRecord } from '../../lab/loop.ts';
import { type Env, type SlateDecider } from '../../sim/env.ts';
import { defaultParams } from '../../sim/params.ts';
import {
  bandit,
  banditParams,
  examinationProbabilities,
  optimalSlateReward,
  slateReward,
  type BanditParams,
} from '../../sim/presets/bandit.ts';
import { Rng, type SeedKey } from '../../sim/rng.ts';
import { randomDecider as random } from './deciders.ts';

const SEED: SeedKey = { experiment: 0, run: 3 };
const Z999 = 3.29; // two-sided 99.9% normal quantile

const params = (overrides: Partial<BanditParams> = {}): BanditParams => ({ ...defaultParams(banditParams), ...overrides });


/** The oracle: the K candidates of highest immediate value (e_0 a_i), best first. */
function oracle(env: Env): SlateDecider {
  const { batchSize: rows, numCandidates: n, slateSize: k } = env.spec;
  const values = new Float32Array(rows * n);
  const order = Array.from({ length: n }, (_, i) => i);
  return {
    act(_observation, _rngs, slates) {
      env.truth.immediateValue(values);
      for (let row = 0; row < rows; row++) {
        order.sort((a, b) => values[row * n + b] - values[row * n + a]);
        for (let slot = 0; slot < k; slot++) slates[row * k + slot] = order[slot];
      }
    },
  };
}

function run(p: BanditParams, makeDecider: (env: Env) => SlateDecider, episodes: number, batchSize: number): EpisodeRecord[] {
  const env = bandit.create(p, { seed: SEED, batchSize });
  return runEpisodes(env, makeDecider(env), { episodes, seed: SEED, streamKey: 'test' });
}

/** Best expected reward over every ordered choice of k of the n candidates (brute force). */
function bruteForceOptimum(a: Float64Array, e: Float64Array, k: number, chosen: number[] = []): number {
  if (chosen.length === k) return chosen.reduce((sum, item, slot) => sum + e[slot] * a[item], 0);
  let best = -Infinity;
  for (let i = 0; i < a.length; i++) {
    if (!chosen.includes(i)) best = Math.max(best, bruteForceOptimum(a, e, k, [...chosen, i]));
  }
  return best;
}

describe('bandit: the optimal slate', () => {
  it('is worth sum_k e_k a_(k) on a hand-checked case, and regret is its gap', () => {
    const a = Float64Array.of(0.2, 0.9, 0.5);
    const e = new Float64Array(2);
    examinationProbabilities(1, 2, e);
    expect(Array.from(e)).toEqual([1, 0.5]);
    const taken = new Uint8Array(3);
    // Best: 0.9 on top, 0.5 second: 0.9 + 0.5 * 0.5 = 1.15.
    expect(optimalSlateReward(a, 0, 3, e, 2, taken)).toBeCloseTo(1.15, 15);
    // Slate [0, 2]: 0.2 + 0.25 = 0.45, regret 0.7; slate [2, 1]: 0.5 + 0.45 = 0.95, regret 0.2.
    expect(slateReward(a, 0, e, Int32Array.of(0, 2), 0, 2)).toBeCloseTo(0.45, 15);
    expect(slateReward(a, 0, e, Int32Array.of(2, 1), 0, 2)).toBeCloseTo(0.95, 15);
  });

  it('equals the brute-force optimum over every ordered slate (200 random cases)', () => {
    const rng = new Rng('bandit-brute-force');
    const taken = new Uint8Array(6);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + rng.int(6);
      const k = 1 + rng.int(Math.min(n, 4));
      const a = new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = rng.uniform();
      const e = new Float64Array(k);
      examinationProbabilities(rng.range(0, 3), k, e);
      expect(optimalSlateReward(a, 0, n, e, k, taken)).toBeCloseTo(bruteForceOptimum(a, e, k), 12);
    }
  });
});

describe('bandit: the world', () => {
  it('scores attractiveness = sigmoid(scale x^T Theta phi + bias) with unit x and phi', () => {
    const p = params({ dim: 4, candidates: 6 });
    const env = bandit.create(p, { seed: SEED, batchSize: 2 });
    const theta = (env as unknown as { theta: Float64Array }).theta;
    const values = new Float32Array(2 * 6);
    for (let episode = 0; episode < 10; episode++) {
      env.resetRow(episode % 2, episode);
      env.truth.immediateValue(values);
      const row = episode % 2;
      const { userFeatures, itemFeatures } = env.observation;
      const norm = (v: Float32Array, offset: number) => Math.hypot(...v.subarray(offset, offset + 4));
      expect(norm(userFeatures, row * 4)).toBeCloseTo(1, 6);
      for (let c = 0; c < 6; c++) {
        const doc = row * 6 + c;
        expect(norm(itemFeatures, doc * 4)).toBeCloseTo(1, 6);
        let score = 0;
        for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) score += userFeatures[row * 4 + i] * theta[i * 4 + j] * itemFeatures[doc * 4 + j];
        expect(values[doc]).toBeCloseTo(1 / (1 + Math.exp(-(2 * score - 1))), 6);
      }
    }
  });

  it('keeps Theta fixed within a seed and draws a new one for another seed', () => {
    const thetaOf = (seed: SeedKey) => Array.from((bandit.create(params(), { seed, batchSize: 1 }) as unknown as { theta: Float64Array }).theta);
    expect(thetaOf(SEED)).toEqual(thetaOf(SEED));
    expect(thetaOf({ experiment: 0, run: 4 })).not.toEqual(thetaOf(SEED));
  });

  it('clicks each slot with probability e_k a_i (20,000 steps, 99.9% z bound per slot)', () => {
    const p = params();
    const batchSize = 10;
    const env = bandit.create(p, { seed: SEED, batchSize });
    const { numCandidates: n, slateSize: k } = env.spec;
    const values = new Float32Array(batchSize * n);
    const expected = new Float32Array(batchSize);
    const slates = new Int32Array(batchSize * k);
    const rngs = Array.from({ length: batchSize }, (_, row) => new Rng(`bandit-slates/${row}`));
    const e = new Float64Array(k);
    examinationProbabilities(p.examinationDecay, k, e);
    const predicted = new Float64Array(k);
    const variance = new Float64Array(k);
    const observed = new Float64Array(k);
    let rewardDeviation = 0;
    let steps = 0;
    for (let block = 0; block < 20; block++) {
      for (let row = 0; row < batchSize; row++) env.resetRow(row, block * batchSize + row);
      for (let t = 0; t < p.horizon; t++) {
        random.act(env.observation, rngs, slates);
        env.truth.immediateValue(values);
        env.truth.expectedSlateReward(slates, expected);
        const result = env.step(slates);
        for (let row = 0; row < batchSize; row++) {
          let sum = 0;
          for (let slot = 0; slot < k; slot++) {
            const probability = e[slot] * values[row * n + slates[row * k + slot]];
            sum += probability;
            predicted[slot] += probability;
            variance[slot] += probability * (1 - probability);
            observed[slot] += result.signals[row * k + slot];
          }
          expect(expected[row]).toBeCloseTo(sum, 6);
          rewardDeviation += result.reward[row] - expected[row];
          steps++;
        }
      }
    }
    expect(steps).toBe(20_000);
    for (let slot = 0; slot < k; slot++) {
      expect(Math.abs(observed[slot] - predicted[slot]) / Math.sqrt(variance[slot])).toBeLessThan(Z999);
    }
    // Slot examination really falls: e = 1, 1/2, 1/3 against the same attractiveness distribution.
    expect(observed[0]).toBeGreaterThan(observed[1]);
    expect(observed[1]).toBeGreaterThan(observed[2]);
    const totalVariance = variance.reduce((a, b) => a + b, 0);
    expect(Math.abs(rewardDeviation) / Math.sqrt(totalVariance)).toBeLessThan(Z999);
  });

  it('runs episodes of exactly `horizon` steps', () => {
    for (const record of run(params({ horizon: 37 }), () => random, 9, 4)) expect(record.length).toBe(37);
  });
});

describe('bandit: regret', () => {
  it('is zero for the optimal slate policy', () => {
    for (const record of run(params(), oracle, 20, 5)) {
      expect(Math.abs(record.extra[0])).toBeLessThan(1e-6);
      expect(record.extra[1]).toBeGreaterThan(0);
    }
  });

  it('is positive for a random policy, and regret + expected return = optimal return', () => {
    const p = params();
    const env = bandit.create(p, { seed: SEED, batchSize: 1 });
    const { numCandidates: n, slateSize: k } = env.spec;
    const values = new Float32Array(n);
    const expected = new Float32Array(1);
    const slates = new Int32Array(k);
    const rngs = [new Rng('bandit-regret')];
    const e = new Float64Array(k);
    examinationProbabilities(p.examinationDecay, k, e);
    const metrics = new Float64Array(2);
    for (let episode = 0; episode < 5; episode++) {
      env.resetRow(0, episode);
      let expectedReturn = 0;
      let optimalReturn = 0;
      for (let t = 0; t < p.horizon; t++) {
        random.act(env.observation, rngs, slates);
        env.truth.expectedSlateReward(slates, expected);
        env.truth.immediateValue(values);
        const sorted = Array.from(values).sort((a, b) => b - a);
        for (let slot = 0; slot < k; slot++) optimalReturn += e[slot] * sorted[slot];
        expectedReturn += expected[0];
        const result = env.step(slates);
        expect(result.done[0]).toBe(t === p.horizon - 1 ? 1 : 0);
      }
      env.episodeMetrics(0, metrics);
      const [regret, optimal] = metrics;
      // float32 truth values: 300 terms of ~1e-7 rounding each.
      expect(optimal).toBeCloseTo(optimalReturn, 4);
      expect(regret).toBeCloseTo(optimalReturn - expectedReturn, 4);
      // A random slate of 3 among 20 leaves most of the value: about half the optimum per step.
      expect(regret).toBeGreaterThan(0.2 * optimal);
    }
  });
});

describe('bandit: reproducibility', () => {
  it('gives identical records for batch sizes 1 and 7', () => {
    expect(run(params(), () => random, 15, 7)).toEqual(run(params(), () => random, 15, 1));
  });

  it('gives identical records for batch sizes 1 and 7 with the oracle (ground truth is per row)', () => {
    expect(run(params(), oracle, 10, 7)).toEqual(run(params(), oracle, 10, 1));
  });
});
