import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runEpisodes, type EpisodeRecord } from '../../lab/loop/rollout.ts';
import type { Env, SlateDecider } from '../../sim/env.ts';
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

const params = (overrides: Partial<BanditParams> = {}): BanditParams => ({
  ...defaultParams(banditParams),
  ...overrides,
});

/** The hidden parts of a bandit instance that the tests read. */
interface BanditInternals {
  readonly theta: Float64Array;
  readonly itemBias: Float64Array;
  readonly catalogFeatures: Float32Array;
}
const internals = (env: Env) => env as unknown as BanditInternals;
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

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

function run(
  p: BanditParams,
  makeDecider: (env: Env) => SlateDecider,
  episodes: number,
  batchSize: number,
): EpisodeRecord[] {
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
        for (let i = 0; i < 4; i++)
          for (let j = 0; j < 4; j++) score += userFeatures[row * 4 + i] * theta[i * 4 + j] * itemFeatures[doc * 4 + j];
        expect(values[doc]).toBeCloseTo(1 / (1 + Math.exp(-(2 * score - 1))), 6);
      }
    }
  });

  it('keeps Theta fixed within a seed and draws a new one for another seed', () => {
    const thetaOf = (seed: SeedKey) =>
      Array.from((bandit.create(params(), { seed, batchSize: 1 }) as unknown as { theta: Float64Array }).theta);
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

/**
 * SHA-256 of everything a run shows (slates, signals, rewards, done flags, the next observation's
 * features and ids, the truth's immediate values) and of its records: a fingerprint of the world's
 * behaviour for one seed (8 episodes of 25 steps, batch 3, random slates). The next observation is
 * hashed for the rows that go on: an ended row's is the world's to choose (it now draws the next
 * request of a truncated row, to bootstrap from) and a masked row's means nothing.
 */
function fingerprint(p: BanditParams): string {
  const batchSize = 3;
  const env = bandit.create({ ...p, horizon: 25 }, { seed: SEED, batchSize });
  const hash = createHash('sha256');
  const n = env.spec.numCandidates;
  const values = new Float32Array(batchSize * n);
  const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const records = runEpisodes(env, random, {
    episodes: 8,
    seed: SEED,
    streamKey: 'test',
    onStep: (result, slates) => {
      env.truth.immediateValue(values);
      for (const a of [slates, result.signals, result.reward, result.done]) hash.update(bytes(a));
      const { userFeatures, itemFeatures, itemIds, active } = env.observation;
      for (let row = 0; row < batchSize; row++) {
        if (active[row] === 0 || result.done[row] === 1) continue;
        const u = userFeatures.length / batchSize;
        const items = env.spec.catalogSize === 0 ? itemFeatures.length / batchSize : 0;
        hash.update(bytes(userFeatures.subarray(row * u, (row + 1) * u)));
        hash.update(bytes(itemFeatures.subarray(row * items, (row + 1) * items)));
        hash.update(bytes(itemIds.subarray(row * n, (row + 1) * n)));
        hash.update(bytes(values.subarray(row * n, (row + 1) * n)));
      }
    },
  });
  // Records as they were when the hash was recorded (impressions and signal totals came later).
  hash.update(
    JSON.stringify(records.map(({ impressions: _impressions, signalTotals: _signalTotals, ...rest }) => rest)),
  );
  return hash.digest('hex');
}

describe('bandit: catalog', () => {
  const catalogParams = (overrides: Partial<BanditParams> = {}) =>
    params({ catalog: 50, candidates: 20, dim: 4, horizon: 30, ...overrides });

  it('offers each step distinct catalog rows, drawn uniformly, from a table fixed per seed (candidateArms = candidateItems)', () => {
    const p = catalogParams();
    const m = p.catalog;
    const n = p.candidates;
    const batchSize = 3;
    const env = bandit.create(p, { seed: SEED, batchSize });
    const { observation, spec } = env;
    expect(spec.catalogSize).toBe(m);
    expect(spec.armCount).toBe(m);
    expect(observation.itemFeatures.length).toBe(m * p.dim);
    expect(Array.from(observation.itemIds)).toEqual(Array.from({ length: m }, (_, i) => i));
    expect(observation.candidateArms).toBe(observation.candidateItems);
    expect(observation.itemFeatures).toBe(internals(env).catalogFeatures);
    const table = Float32Array.from(observation.itemFeatures);
    for (let item = 0; item < m; item++)
      expect(Math.hypot(...table.subarray(item * p.dim, (item + 1) * p.dim))).toBeCloseTo(1, 6);
    const counts = new Float64Array(m);
    let steps = 0;
    const slates = new Int32Array(batchSize * p.slateSize);
    const rngs = Array.from({ length: batchSize }, (_, row) => new Rng(`bandit-catalog/${row}`));
    for (let block = 0; block < 10; block++) {
      for (let row = 0; row < batchSize; row++) env.resetRow(row, block * batchSize + row);
      for (let t = 0; t < p.horizon; t++) {
        for (let row = 0; row < batchSize; row++) {
          const items = Array.from(observation.candidateItems.subarray(row * n, (row + 1) * n));
          for (const item of items) {
            expect(Number.isInteger(item) && item >= 0 && item < m).toBe(true);
            counts[item]++;
          }
          expect(new Set(items).size).toBe(n);
          steps++;
        }
        expect(observation.itemFeatures).toEqual(table);
        random.act(observation, rngs, slates);
        env.step(slates);
      }
    }
    // Each item is a candidate with probability n/m per step: chi-square over the m counts
    // (m - 1 = 49 degrees of freedom; 85.35 is its 99.9% quantile).
    const q = n / m;
    let chi2 = 0;
    for (let item = 0; item < m; item++) chi2 += (counts[item] - steps * q) ** 2 / (steps * q * (1 - q));
    expect(steps).toBe(900);
    expect(chi2).toBeLessThan(85.35);
    // The same table for another instance of the seed, another for another seed.
    const tableOf = (seed: SeedKey) => Array.from(bandit.create(p, { seed, batchSize: 1 }).observation.itemFeatures);
    expect(tableOf(SEED)).toEqual(Array.from(table));
    expect(tableOf({ experiment: 0, run: 4 })).not.toEqual(Array.from(table));
  });

  it('scores attractiveness = sigmoid(scale x^T Theta phi + bias + beta_i) for the candidates', () => {
    const p = catalogParams({ catalog: 30, candidates: 6, scoreScaling: 1.7, bias: -0.5, itemBiasSd: 1.5 });
    const d = p.dim;
    const n = p.candidates;
    const env = bandit.create(p, { seed: SEED, batchSize: 2 });
    const { theta, itemBias, catalogFeatures } = internals(env);
    expect(itemBias.length).toBe(30);
    const values = new Float32Array(2 * n);
    const slates = new Int32Array(2 * p.slateSize);
    const rngs = [new Rng('bandit-score/0'), new Rng('bandit-score/1')];
    for (let episode = 0; episode < 4; episode++) {
      env.resetRow(0, 2 * episode);
      env.resetRow(1, 2 * episode + 1);
      for (let t = 0; t < 5; t++) {
        env.truth.immediateValue(values); // e_0 = 1
        const { userFeatures, candidateItems } = env.observation;
        for (let row = 0; row < 2; row++) {
          for (let c = 0; c < n; c++) {
            const item = candidateItems[row * n + c];
            let score = 0;
            for (let i = 0; i < d; i++)
              for (let j = 0; j < d; j++)
                score += userFeatures[row * d + i] * theta[i * d + j] * catalogFeatures[item * d + j];
            expect(values[row * n + c]).toBeCloseTo(sigmoid(1.7 * score - 0.5 + itemBias[item]), 6);
          }
        }
        random.act(env.observation, rngs, slates);
        env.step(slates);
      }
    }
  });

  it('draws item biases with mean 0 and sd itemBiasSd (M = 20,000; 99.9% z bounds), and nests catalogs', () => {
    const m = 20_000;
    const sd = 0.7;
    const env = bandit.create(catalogParams({ catalog: m, itemBiasSd: sd }), { seed: SEED, batchSize: 1 });
    const { itemBias, catalogFeatures } = internals(env);
    let sum = 0;
    let sumSquares = 0;
    let withinOneSd = 0;
    for (const beta of itemBias) {
      sum += beta;
      sumSquares += beta * beta;
      if (Math.abs(beta) < sd) withinOneSd++;
    }
    const mean = sum / m;
    const sampleSd = Math.sqrt((sumSquares - m * mean * mean) / (m - 1));
    // Standard errors: sd / sqrt(M) = 0.0049 for the mean, about sd / sqrt(2M) = 0.0035 for the sd.
    expect(Math.abs(mean)).toBeLessThan((Z999 * sd) / Math.sqrt(m));
    expect(Math.abs(sampleSd - sd)).toBeLessThan((Z999 * sd) / Math.sqrt(2 * m));
    // Normal, not merely centred and scaled: P(|beta| < sd) = 0.6827.
    expect(Math.abs(withinOneSd / m - 0.6827)).toBeLessThan(Z999 * Math.sqrt((0.6827 * 0.3173) / m));
    // itemBiasSd = 0: no biases. Item i is the same whatever the catalog size (features and bias).
    expect(
      internals(
        bandit.create(catalogParams({ catalog: 100, itemBiasSd: 0 }), { seed: SEED, batchSize: 1 }),
      ).itemBias.every((b) => b === 0),
    ).toBe(true);
    const small = internals(
      bandit.create(catalogParams({ catalog: 50, itemBiasSd: sd }), { seed: SEED, batchSize: 1 }),
    );
    expect(Array.from(small.itemBias)).toEqual(Array.from(itemBias.subarray(0, 50)));
    expect(Array.from(small.catalogFeatures)).toEqual(Array.from(catalogFeatures.subarray(0, 50 * 4)));
  });

  it('gives identical records for batch sizes 1 and 13 (random slates and the oracle)', () => {
    const p = catalogParams({ catalog: 40 });
    expect(run(p, () => random, 30, 13)).toEqual(run(p, () => random, 30, 1));
    expect(run(p, oracle, 30, 13)).toEqual(run(p, oracle, 30, 1));
  });

  it('catalog 0 keeps the world without a catalog exactly as it was (fingerprint of a run)', () => {
    // Recorded with the world as it was before the catalog option existed (commit 16b995c), and
    // again when truncated rows got a next observation (the hash covers the rows that go on).
    const before = 'e0e1801ed08088004604affb4b6146798c9eaf9b25a361f84bf81036ccf1e45f';
    expect(fingerprint(params())).toBe(before);
    expect(fingerprint(params({ catalog: 0, itemBiasSd: 3 }))).toBe(before);
    const env = bandit.create(params({ catalog: 0 }), { seed: SEED, batchSize: 2 });
    expect(env.spec.catalogSize).toBe(0);
    expect(env.spec.armCount).toBe(0);
    expect(Array.from(env.observation.candidateArms).every((arm) => arm === -1)).toBe(true);
    // Theta is the same with and without a catalog.
    expect(internals(bandit.create(params({ catalog: 100 }), { seed: SEED, batchSize: 1 })).theta).toEqual(
      internals(env).theta,
    );
    expect(fingerprint(params({ catalog: 100 }))).not.toBe(before);
  });

  it('rejects a catalog smaller than candidates, naming `catalog`', () => {
    const check = (overrides: Partial<BanditParams>) => bandit.check?.(params(overrides)) ?? [];
    const issues = check({ candidates: 20, catalog: 19 });
    expect(issues.map((issue) => issue.field)).toEqual(['catalog']);
    expect(issues[0].message).toMatch(/catalog 19 is smaller than candidates 20/);
    expect(issues[0].message).toMatch(/raise catalog to at least 20/);
    expect(check({ candidates: 20, catalog: 20 })).toEqual([]);
    expect(check({ candidates: 20, catalog: 0 })).toEqual([]);
    // Both checks at once.
    expect(check({ candidates: 20, slateSize: 21, catalog: 5 }).map((issue) => issue.field)).toEqual([
      'slateSize',
      'catalog',
    ]);
    // Building the world anyway fails at once (the distinct draw would never end).
    expect(() => bandit.create(params({ catalog: 19 }), { seed: SEED, batchSize: 1 })).toThrow(/catalog 19/);
  });

  it('knows the optimal slate reward: >= any random slate, = the top-K slate, and the regret metric sums the gap', () => {
    const p = catalogParams();
    const { candidates: n, slateSize: k } = p;
    const batchSize = 4;
    const env = bandit.create(p, { seed: SEED, batchSize });
    const values = new Float32Array(batchSize * n);
    const optimal = new Float32Array(batchSize);
    const expected = new Float32Array(batchSize);
    const slates = new Int32Array(batchSize * k);
    const best = new Int32Array(batchSize * k);
    const rngs = Array.from({ length: batchSize }, (_, row) => new Rng(`bandit-optimum/${row}`));
    const gap = new Float64Array(batchSize);
    const metrics = new Float64Array(2);
    let strictlyBelow = 0;
    for (let row = 0; row < batchSize; row++) env.resetRow(row, row);
    for (let t = 0; t < p.horizon; t++) {
      env.truth.optimalSlateReward!(optimal);
      env.truth.immediateValue(values);
      for (let row = 0; row < batchSize; row++) {
        const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[row * n + b] - values[row * n + a]);
        for (let slot = 0; slot < k; slot++) best[row * k + slot] = order[slot];
      }
      env.truth.expectedSlateReward(best, expected);
      for (let row = 0; row < batchSize; row++) expect(optimal[row]).toBeCloseTo(expected[row], 6);
      for (let draw = 0; draw < 20; draw++) {
        random.act(env.observation, rngs, slates);
        env.truth.expectedSlateReward(slates, expected);
        for (let row = 0; row < batchSize; row++) {
          expect(optimal[row]).toBeGreaterThanOrEqual(expected[row]);
          if (expected[row] < optimal[row] - 1e-6) strictlyBelow++;
        }
      }
      for (let row = 0; row < batchSize; row++) gap[row] += optimal[row] - expected[row]; // the last random slate is played
      const result = env.step(slates);
      if (t === p.horizon - 1) expect(Array.from(result.done)).toEqual([1, 1, 1, 1]);
    }
    expect(strictlyBelow).toBeGreaterThan(0.9 * p.horizon * batchSize * 20);
    for (let row = 0; row < batchSize; row++) {
      env.episodeMetrics(row, metrics);
      expect(metrics[0]).toBeCloseTo(gap[row], 4); // float32 truth values, 30 steps
      expect(metrics[0]).toBeGreaterThan(0);
    }
  });

  it('has zero regret for the optimal slate policy', () => {
    for (const record of run(catalogParams(), oracle, 10, 3)) {
      expect(Math.abs(record.extra[0])).toBeLessThan(1e-6);
      expect(record.extra[1]).toBeGreaterThan(0);
    }
  });
});
