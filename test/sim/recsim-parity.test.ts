// Statistical parity of the recsim-interest-evolution port with RecSim's generative model on
// fresh seeds (the golden-trace replay checks the step arithmetic; this checks the samplers).
import { errorFunction } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { defaultParams } from '../../sim/params.ts';
import {
  CLUSTERS,
  clusterMeans,
  interestEvolutionChoiceModel,
  makeScratch,
  recsimInterestEvolution,
  stepInterestEvolution,
} from '../../sim/presets/recsim-interest-evolution.ts';
import { Rng } from '../../sim/rng.ts';

const params = defaultParams(recsimInterestEvolution.params);

/** Kolmogorov-Smirnov statistic of a sample against a continuous CDF. */
function ksStatistic(sample: number[], cdf: (x: number) => number): number {
  const sorted = [...sample].sort((a, b) => a - b);
  let d = 0;
  sorted.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, Math.abs(f - i / sorted.length), Math.abs((i + 1) / sorted.length - f));
  });
  return d;
}
/** Asymptotic 99.9% critical value of the KS statistic. */
const ksCritical = (n: number) => 1.949 / Math.sqrt(n);
const standardNormalCdf = (z: number) => 0.5 * (1 + errorFunction(z / Math.SQRT2));

describe("recsim-interest-evolution: samplers match RecSim's distributions (fresh seeds)", () => {
  const batchSize = 500;
  const env = recsimInterestEvolution.create(params, { seed: { experiment: 7, run: 0 }, batchSize });
  for (let row = 0; row < batchSize; row++) env.resetRow(row, row);
  const { userFeatures, itemFeatures } = env.observation;

  it('draws initial interests from Uniform(-1, 1)^20 (KS, n = 10,000, 99.9%)', () => {
    const interests = Array.from(userFeatures);
    expect(interests.length).toBe(batchSize * CLUSTERS);
    expect(ksStatistic(interests, (x) => (x + 1) / 2)).toBeLessThan(ksCritical(interests.length));
  });

  it('draws document clusters uniformly (chi-square, 19 df, 99.9% critical value 43.82)', () => {
    const counts = new Array(CLUSTERS).fill(0);
    const documents = batchSize * params.candidates;
    for (let doc = 0; doc < documents; doc++) {
      const oneHot = itemFeatures.subarray(doc * CLUSTERS, doc * CLUSTERS + CLUSTERS);
      expect(oneHot.reduce((a, b) => a + b, 0)).toBe(1);
      counts[oneHot.indexOf(1)]++;
    }
    const expected = documents / CLUSTERS;
    const chiSquare = counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(43.82);
  });

  it('draws quality ~ Normal(cluster mean, 0.1) (standardised KS against N(0,1), n = 5,000)', () => {
    const means = clusterMeans(params.minUtility, params.maxUtility);
    // Reach the hidden qualities through the ground truth: long-term minus immediate value is
    // p * alpha * watch * quality, so recover quality from a world with known watch and p.
    const values = new Float32Array(batchSize * params.candidates);
    const immediate = new Float32Array(batchSize * params.candidates);
    env.truth.longTermValue(1, values);
    env.truth.immediateValue(immediate);
    const z: number[] = [];
    for (let row = 0; row < batchSize; row++) {
      for (let c = 0; c < params.candidates; c++) {
        const doc = row * params.candidates + c;
        const cluster = itemFeatures.subarray(doc * CLUSTERS, doc * CLUSTERS + CLUSTERS).indexOf(1);
        // immediate = p * 4; long-term = p * (4 + alpha * 4 * quality)
        const quality = (values[doc] / immediate[doc] - 1) / params.userUpdateAlpha;
        z.push((quality - means[cluster]) / params.qualityStddev);
      }
    }
    // float32 ground-truth arrays limit the recovered quality to ~1e-6 relative error: negligible here.
    expect(ksStatistic(z, standardNormalCdf)).toBeLessThan(ksCritical(z.length));
  });

  it('moves an interest towards the clicked cluster with probability (x + 1) / 2 (n = 20,000, 99.9% binomial bound)', () => {
    const choice = interestEvolutionChoiceModel(params);
    const scratch = makeScratch(2);
    const signals = new Float32Array(4);
    const rng = new Rng('parity-flip');
    const x = 0.3;
    let towards = 0;
    let clicked = 0;
    const trials = 20_000;
    for (let i = 0; i < trials; i++) {
      const state = {
        interests: new Float64Array(CLUSTERS).fill(x),
        budget: Float64Array.of(200),
        docCluster: Int32Array.of(3, 5),
        docQuality: Float64Array.of(0, 0),
      };
      stepInterestEvolution(params, choice, state, 0, Int32Array.of(0, 1), rng, scratch, signals, 0);
      const moved = signals[0] === 1 ? state.interests[3] : signals[2] === 1 ? state.interests[5] : x;
      if (moved !== x) {
        clicked++;
        if (moved > x) towards++;
      }
    }
    // Click probability: 2 * (x + 1) / (2 * (x + 1) + 2).
    const pClick = (2 * (x + 1)) / (2 * (x + 1) + 2);
    expect(Math.abs(clicked / trials - pClick)).toBeLessThan(3.29 * Math.sqrt((pClick * (1 - pClick)) / trials));
    const pTowards = (x + 1) / 2;
    expect(Math.abs(towards / clicked - pTowards)).toBeLessThan(
      3.29 * Math.sqrt((pTowards * (1 - pTowards)) / clicked),
    );
  });
});

describe('recsim-interest-evolution: the observation follows the state', () => {
  it('shows interests that change only on a click, and only in the clicked cluster (2,000 steps)', () => {
    const env = recsimInterestEvolution.create(params, { seed: { experiment: 1, run: 2 }, batchSize: 4 });
    for (let row = 0; row < 4; row++) env.resetRow(row, row);
    const rng = new Rng('observation-follows');
    const slates = new Int32Array(8);
    let changes = 0;
    for (let step = 0; step < 500; step++) {
      const before = Float32Array.from(env.observation.userFeatures);
      for (let row = 0; row < 4; row++) rng.sampleDistinct(10, 2, slates, row * 2);
      const clusters = new Int32Array(8); // the cluster of each slate slot, read off the one-hot features
      for (let i = 0; i < 8; i++) {
        const row = i >> 1;
        clusters[i] = env.observation.itemFeatures
          .subarray((row * 10 + slates[i]) * CLUSTERS, (row * 10 + slates[i] + 1) * CLUSTERS)
          .indexOf(1);
      }
      const result = env.step(slates);
      for (let row = 0; row < 4; row++) {
        if (result.done[row] === 1) {
          env.resetRow(row, 100 + step * 4 + row);
          continue;
        }
        const clickedSlot = result.signals[row * 4] === 1 ? 0 : result.signals[row * 4 + 2] === 1 ? 1 : -1;
        for (let c = 0; c < CLUSTERS; c++) {
          const moved = env.observation.userFeatures[row * CLUSTERS + c] !== before[row * CLUSTERS + c];
          if (moved) changes++;
          if (moved) expect(clickedSlot >= 0 && clusters[row * 2 + clickedSlot] === c).toBe(true);
        }
      }
    }
    expect(changes).toBeGreaterThan(100);
  });
});
