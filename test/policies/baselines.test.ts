import { describe, expect, it } from 'vitest';
import { runEpisodes } from '../../lab/loop/rollout.ts';
import type { Env, Observation } from '../../sim/env.ts';
import { defaultParams } from '../../sim/params.ts';
import { worlds } from '../../sim/presets/index.ts';
import { Rng } from '../../sim/rng.ts';
import { policies } from '../../policies/index.ts';
import { topKByScore } from '../../policies/slate.ts';
import { type PolicyDefinition, createPolicy } from '../../policies/policy.ts';

const seed = { experiment: 0, run: 0 };

function recsimEnv(batchSize: number, params: Record<string, unknown> = {}): Env {
  const world = worlds['recsim-interest-evolution'];
  return world.create({ ...defaultParams(world.params), ...params }, { seed, batchSize });
}

function makePolicy(kind: string, env: Env, params: Record<string, unknown> = {}) {
  const definition = policies[kind];
  return createPolicy(definition, { ...defaultParams(definition.params), ...params }, env);
}

function rowRngs(count: number, tag: string): Rng[] {
  return Array.from({ length: count }, (_, row) => new Rng(`${tag}/${row}`));
}

describe('topKByScore', () => {
  it('picks the K highest scores best first, ties to the lower index, like a full sort', () => {
    const rng = new Rng('topk');
    const rows = 200;
    const n = 12;
    const k = 4;
    const scores = new Float64Array(rows * n);
    // Few distinct values, so that ties are common.
    for (let i = 0; i < scores.length; i++) scores[i] = rng.int(6);
    const slates = new Int32Array(rows * k);
    topKByScore(scores, new Uint8Array(rows).fill(1), n, k, slates);
    for (let row = 0; row < rows; row++) {
      const expected = Array.from({ length: n }, (_, i) => i)
        .sort((a, b) => scores[row * n + b] - scores[row * n + a] || a - b)
        .slice(0, k);
      expect(Array.from(slates.subarray(row * k, row * k + k))).toEqual(expected);
    }
  });

  it('leaves masked rows untouched', () => {
    const slates = new Int32Array([7, 7, 7, 7]);
    topKByScore(Float64Array.of(1, 2, 3, 4, 5, 6), Uint8Array.of(0, 1), 3, 2, slates);
    expect(Array.from(slates)).toEqual([7, 7, 2, 1]);
  });
});

describe('random policy', () => {
  it('gives K distinct in-range candidates, each equally likely in the top slot', () => {
    const env = recsimEnv(1);
    const policy = makePolicy('random', env);
    const n = env.spec.numCandidates;
    const k = env.spec.slateSize;
    const rngs = rowRngs(1, 'random-policy');
    const slates = new Int32Array(k);
    const draws = 20_000;
    const topCounts = new Array(n).fill(0);
    env.resetRow(0, 0);
    for (let i = 0; i < draws; i++) {
      policy.act(env.observation, rngs, slates);
      expect(slates[0]).not.toBe(slates[1]);
      expect(slates[0] >= 0 && slates[0] < n && slates[1] >= 0 && slates[1] < n).toBe(true);
      topCounts[slates[0]]++;
    }
    // Each count ~ Binomial(20000, 1/10): 99.99% bound of 3.9 sigma per candidate (10 candidates).
    const sigma = Math.sqrt(draws * 0.1 * 0.9);
    for (const count of topCounts) expect(Math.abs(count - draws / n)).toBeLessThan(3.9 * sigma);
  });
});

describe('greedy-pctr policy', () => {
  it('takes the K candidates with the highest observed affinity, best first', () => {
    const env = recsimEnv(16);
    const policy = makePolicy('greedy-pctr', env);
    const { numCandidates: n, slateSize: k, userFeatureDim: u, itemFeatureDim: d } = env.spec;
    for (let row = 0; row < 16; row++) env.resetRow(row, row);
    const slates = new Int32Array(16 * k);
    policy.act(env.observation, rowRngs(16, 'g'), slates);
    const { userFeatures, itemFeatures, candidateItems } = env.observation;
    for (let row = 0; row < 16; row++) {
      const affinity = (c: number) => {
        let sum = 0;
        for (let j = 0; j < d; j++)
          sum += userFeatures[row * u + j] * itemFeatures[candidateItems[row * n + c] * d + j];
        return sum;
      };
      const best = Array.from({ length: n }, (_, c) => affinity(c)).sort((a, b) => b - a);
      expect(affinity(slates[row * k])).toBe(best[0]);
      expect(affinity(slates[row * k + 1])).toBe(best[1]);
    }
  });
});

describe('oracles on recsim-interest-evolution', () => {
  it('oracle-myopic takes the top K by ground-truth immediate value', () => {
    const env = recsimEnv(4);
    for (let row = 0; row < 4; row++) env.resetRow(row, row);
    const policy = makePolicy('oracle-myopic', env);
    const slates = new Int32Array(4 * 2);
    policy.act(env.observation, rowRngs(4, 'o'), slates);
    const values = new Float32Array(4 * 10);
    env.truth.immediateValue(values);
    for (let row = 0; row < 4; row++) {
      const sorted = Array.from(values.subarray(row * 10, row * 10 + 10)).sort((a, b) => b - a);
      expect(values[row * 10 + slates[row * 2]]).toBe(sorted[0]);
      expect(values[row * 10 + slates[row * 2 + 1]]).toBe(sorted[1]);
    }
  });

  it('weighing quality earns more watch time over an episode than chasing clicks (paired, 95% CI above 0)', () => {
    const episodes = 400;
    const run = (kind: string) => {
      const env = recsimEnv(32);
      return runEpisodes(env, makePolicy(kind, env), { episodes, seed, streamKey: kind }).map((r) => r.return);
    };
    const quality = run('oracle-quality');
    const myopic = run('oracle-myopic');
    const differences = quality.map((value, i) => value - myopic[i]);
    const mean = differences.reduce((a, b) => a + b, 0) / episodes;
    const sd = Math.sqrt(differences.reduce((a, b) => a + (b - mean) ** 2, 0) / (episodes - 1));
    // Normal approximation is fine at n = 400: lower 95% bound of the mean paired difference.
    expect(mean - (1.96 * sd) / Math.sqrt(episodes)).toBeGreaterThan(0);
  });
});

describe('world support', () => {
  it('popular and chronological refuse worlds without counters or ages, naming the world', () => {
    const env = recsimEnv(1);
    expect(policies.popular.unsupported?.(env.spec)).toMatch(/recsim-interest-evolution has no public view counters/);
    expect(policies.chronological.unsupported?.(env.spec)).toMatch(/no post ages/);
    expect(policies['greedy-pctr'].unsupported?.(env.spec)).toBeNull();
  });

  it('popular ranks by the public view counter and chronological by freshness', () => {
    const base = recsimEnv(1).spec;
    const fields = [
      { name: 'views', scope: 'candidate', doc: 'views' },
      { name: 'ageHours', scope: 'candidate', doc: 'age' },
    ] as const;
    const spec = { ...base, observationLayout: { ...base.observationLayout, fields }, numCandidates: 4, slateSize: 2 };
    const observation = {
      fields: { views: Float32Array.of(5, 9, 1, 7), ageHours: Float32Array.of(30, 2, 1, 50) },
      active: Uint8Array.of(1),
    } as unknown as Observation;
    const slates = new Int32Array(2);
    const context = { spec };
    (policies.popular as PolicyDefinition).create({}, context).act(observation, [], slates);
    expect(Array.from(slates)).toEqual([1, 3]);
    (policies.chronological as PolicyDefinition).create({}, context).act(observation, [], slates);
    expect(Array.from(slates)).toEqual([2, 1]);
  });
});
