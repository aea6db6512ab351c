import { describe, expect, it } from 'vitest';
import { runEpisodes } from '../../lab/loop/rollout.ts';
import type { Env } from '../../sim/env.ts';
import { defaultParams } from '../../sim/params.ts';
import { worlds } from '../../sim/presets/index.ts';
import { policies } from '../../policies/index.ts';
import { createPolicy } from '../../policies/policy.ts';

function run(preset: string, kind: string, batchSize: number, episodes: number, seed = { experiment: 0, run: 3 }) {
  const world = worlds[preset];
  const env: Env = world.create(defaultParams(world.params), { seed, batchSize });
  const policy = createPolicy(policies[kind], defaultParams(policies[kind].params), env);
  return runEpisodes(env, policy, { episodes, seed, streamKey: kind });
}

describe('the batched step loop', () => {
  for (const preset of Object.keys(worlds)) {
    it(`${preset}: gives identical episodes whatever the batch size (1, 7, 64)`, () => {
      const one = run(preset, 'random', 1, 40);
      expect(run(preset, 'random', 7, 40)).toEqual(one);
      expect(run(preset, 'random', 64, 40)).toEqual(one);
      expect(one.map((r) => r.episode)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    });

    it(`${preset}: repeats itself for a seed and differs across seeds`, () => {
      const a = run(preset, 'random', 5, 20);
      expect(run(preset, 'random', 5, 20)).toEqual(a);
      const b = run(preset, 'random', 5, 20, { experiment: 0, run: 4 });
      expect(b.map((r) => r.return)).not.toEqual(a.map((r) => r.return));
    });
  }

  it('meets the same users under different policies (common random numbers)', () => {
    // Initial interests depend only on the world seed and episode, not on the policy.
    const world = worlds['recsim-interest-evolution'];
    const seed = { experiment: 0, run: 1 };
    const first = world.create(defaultParams(world.params), { seed, batchSize: 2 });
    const second = world.create(defaultParams(world.params), { seed, batchSize: 3 });
    first.resetRow(1, 17);
    second.resetRow(2, 17);
    expect(Array.from(second.observation.userFeatures.subarray(40, 60))).toEqual(
      Array.from(first.observation.userFeatures.subarray(20, 40)),
    );
  });

  it("counts clicks from the world's click signal and ends every episode", () => {
    const records = run('recsim-interest-evolution', 'random', 8, 30);
    for (const record of records) {
      expect(record.length).toBeGreaterThan(0);
      expect(record.clicks).toBeLessThanOrEqual(record.length);
      // Every click watches a 4-minute video (or what is left of the budget), so return <= 4 * clicks.
      expect(record.return).toBeLessThanOrEqual(4 * record.clicks + 1e-9);
      expect(record.return).toBeGreaterThan(0);
    }
  });
});

describe('bad slates', () => {
  for (const preset of Object.keys(worlds)) {
    it(`${preset}: rejects an out-of-range or repeated candidate, naming row, slot and candidate, before any row moves`, () => {
      const world = worlds[preset];
      const env: Env = world.create(defaultParams(world.params), { seed: { experiment: 0, run: 0 }, batchSize: 3 });
      for (let row = 0; row < 3; row++) env.resetRow(row, row);
      const { numCandidates: n, slateSize: k } = env.spec;
      const good = new Int32Array(3 * k);
      for (let i = 0; i < good.length; i++) good[i] = i % k;
      const userFeatures = Float32Array.from(env.observation.userFeatures);

      const outOfRange = good.slice();
      outOfRange[k + 1] = n; // row 1, slot 1
      expect(() => env.step(outOfRange)).toThrow(
        new RangeError(`${preset}: slate row 1 slot 1 holds candidate ${n}; expected 0..${n - 1}`),
      );
      const repeated = good.slice();
      repeated[2 * k + 1] = repeated[2 * k]; // row 2 repeats slot 0's candidate in slot 1
      expect(() => env.step(repeated)).toThrow(
        new RangeError(
          `${preset}: slate row 2 slot 1 repeats candidate 0 (already in slot 0); a slate holds distinct candidates`,
        ),
      );
      // Nothing moved, and the checker's scratch is clean: the good batch still steps.
      expect(env.observation.userFeatures).toEqual(userFeatures);
      expect(() => env.step(good)).not.toThrow();
      // A masked row's slate is not looked at.
      env.clearRow(1);
      expect(() => env.step(outOfRange)).not.toThrow();
    });
  }
});

describe('metric documentation', () => {
  for (const preset of Object.keys(worlds)) {
    it(`${preset}: says what every metric means (return, episodeLength, clicks, its own and its run metrics)`, () => {
      const world = worlds[preset];
      const { spec } = world.create(defaultParams(world.params), { seed: { experiment: 0, run: 0 }, batchSize: 1 });
      const metrics = ['return', 'episodeLength', 'clicks', ...spec.episodeMetricNames, ...(spec.runMetricNames ?? [])];
      expect(Object.keys(spec.metricDocs).sort()).toEqual([...metrics].sort());
      for (const metric of metrics) expect(spec.metricDocs[metric].length).toBeGreaterThan(10);
    });
  }
});
