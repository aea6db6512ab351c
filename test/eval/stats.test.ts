import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ci95, mean, pairedDifferences, sampleSd, summarize, welchDifference } from '../../eval/stats.ts';
import { Rng } from '../../sim/rng.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// Student's t quantiles from standard tables (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2).
const T_975_DF3 = 3.182446305284263;
const T_975_DF1 = 12.706204736174707;

describe('mean and sample standard deviation', () => {
  it('matches hand-computed values', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    // sum of squared deviations 5, n - 1 = 3
    expect(sampleSd([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(5 / 3), 12);
  });

  it('gives NaN for the mean of nothing and sd 0 below two values', () => {
    expect(mean([])).toBeNaN();
    expect(sampleSd([7])).toBe(0);
    expect(sampleSd([])).toBe(0);
  });
});

describe('95% t interval over seeds', () => {
  it('is mean +- t(0.975, n-1) * sd / sqrt(n)', () => {
    const [lo, hi] = ci95([1, 2, 3, 4])!;
    const halfWidth = (T_975_DF3 * Math.sqrt(5 / 3)) / 2;
    expect(lo).toBeCloseTo(2.5 - halfWidth, 9);
    expect(hi).toBeCloseTo(2.5 + halfWidth, 9);
  });

  it('uses 1 degree of freedom for two values', () => {
    const [lo, hi] = ci95([0, 2])!;
    // mean 1, sd sqrt(2), half-width t * sqrt(2) / sqrt(2) = t
    expect(hi - 1).toBeCloseTo(T_975_DF1, 9);
    expect(1 - lo).toBeCloseTo(T_975_DF1, 9);
  });

  it('gives no interval (null) for one seed or none: one value says nothing about the spread', () => {
    expect(ci95([3.5])).toBeNull();
    expect(ci95([])).toBeNull();
  });

  it('covers the true mean about 95% of the time (n = 5 normal samples, 4000 intervals)', () => {
    const rng = new Rng('test/stats/coverage');
    const trials = 4000;
    let covered = 0;
    const sample = new Array<number>(5);
    for (let trial = 0; trial < trials; trial++) {
      for (let i = 0; i < 5; i++) sample[i] = rng.gaussian(10, 3);
      const [lo, hi] = ci95(sample)!;
      if (lo <= 10 && 10 <= hi) covered++;
    }
    // Binomial 99.9% bound: |p_hat - 0.95| <= 3.29 * sqrt(0.95 * 0.05 / 4000) ~ 0.0113.
    expect(Math.abs(covered / trials - 0.95)).toBeLessThanOrEqual(3.29 * Math.sqrt((0.95 * 0.05) / trials));
  });

  it('summarize bundles mean, sd, interval and n', () => {
    const s = summarize([1, 2, 3, 4]);
    expect(s.n).toBe(4);
    expect(s.mean).toBe(2.5);
    expect(s.ci95).toEqual(ci95([1, 2, 3, 4]));
    expect(s.sd).toBeCloseTo(Math.sqrt(5 / 3), 12);
    // One value: neither a spread nor an interval.
    expect(summarize([7])).toEqual({ mean: 7, sd: null, ci95: null, n: 1 });
  });
});

describe('paired differences against a baseline', () => {
  it('differences per seed, in seed order, over the seeds both agents finished', () => {
    const agent = new Map([
      [0, 5],
      [1, 7],
      [2, 9],
      [3, 4],
    ]);
    const baseline = new Map([
      [0, 4],
      [2, 6],
      [3, 1],
      [1, 5],
    ]);
    const paired = pairedDifferences(agent, baseline, [3, 0, 1, 2]);
    expect(paired.seeds).toEqual([3, 0, 1, 2]);
    expect(paired.values).toEqual([3, 1, 2, 3]);
    expect(paired.mean).toBe(2.25);
    expect(paired.ci95).toEqual(ci95([3, 1, 2, 3]));
  });

  it('never pairs a seed that one side lacks', () => {
    const paired = pairedDifferences(
      new Map([
        [0, 1],
        [1, 2],
      ]),
      new Map([
        [1, 1],
        [2, 5],
      ]),
      [0, 1, 2],
    );
    expect(paired.seeds).toEqual([1]);
    expect(paired.values).toEqual([1]);
    expect(paired.n).toBe(1);
    expect(paired.ci95).toBeNull();
  });

  it('is narrower than the unpaired intervals when seeds share their luck', () => {
    // Each seed shifts both agents alike (common random numbers); the agent is 1 better.
    const luck = [10, -8, 3, 15, -6];
    const baseline = new Map(luck.map((l, seed) => [seed, 100 + l]));
    const agent = new Map(luck.map((l, seed) => [seed, 101 + l + (seed % 2 === 0 ? 0.1 : -0.1)]));
    const paired = pairedDifferences(agent, baseline, [0, 1, 2, 3, 4]);
    const [lo, hi] = ci95([...agent.values()])!;
    expect(paired.ci95![1] - paired.ci95![0]).toBeLessThan((hi - lo) / 10);
    expect(paired.ci95![0]).toBeGreaterThan(0);
  });
});

describe('loading the t quantile', () => {
  it('is left to the first interval: the modules every command loads do not load it', () => {
    // A fresh process (this one has loaded it already): the runner, config and results modules,
    // then an interval. @stdlib is CommonJS, so its files show in the require cache once loaded.
    const script = `
      import { createRequire } from 'node:module';
      const cache = createRequire(import.meta.url).cache;
      const loaded = () => Object.keys(cache).some((file) => file.includes('@stdlib'));
      await import('./lab/run/runner.ts');
      await import('./lab/config/config.ts');
      await import('./lab/report/compare.ts');
      const before = loaded();
      const { ci95 } = await import('./eval/stats.ts');
      const interval = ci95([1, 2, 3]);
      console.log(JSON.stringify({ before, after: loaded(), interval }));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const { before, after, interval } = JSON.parse(out) as {
      before: boolean;
      after: boolean;
      interval: [number, number];
    };
    expect(before).toBe(false);
    expect(after).toBe(true);
    // Mean 2, sd 1, n 3: half-width t(0.975, 2) / sqrt(3), and t(0.975, 2) is 4.303 in the tables.
    expect((interval[1] - 2) * Math.sqrt(3)).toBeCloseTo(4.303, 3);
  });
});

describe('welchDifference', () => {
  it('has 2(n - 1) degrees of freedom and the t(0.975, 4) half-width for two samples of 3 with equal spread', () => {
    // sd 1 each: standard error sqrt(1/3 + 1/3); t(0.975, 4) = 2.776445 (t table).
    const d = welchDifference([1, 2, 3], [4, 5, 6]);
    expect(d.mean).toBe(3);
    expect(d.df).toBeCloseTo(4, 12);
    expect((d.ci95![1] - d.ci95![0]) / 2).toBeCloseTo(2.776445105 * Math.sqrt(2 / 3), 8);
    expect(d.ci95![0]).toBeGreaterThan(0);
  });

  it('takes Welch–Satterthwaite degrees of freedom for unequal spreads', () => {
    // s²/n: 1/3 and 10/5 = 2; df = (7/3)² / ((1/3)²/2 + 2²/4) = 98/19.
    expect(welchDifference([1, 2, 3], [2, 4, 6, 8, 10]).df).toBeCloseTo(98 / 19, 12);
  });

  it('is exact when neither side varies (a constant metric)', () => {
    expect(welchDifference([2, 2], [5, 5, 5])).toEqual({ mean: 3, ci95: [3, 3], df: null });
  });

  it('gives no interval with a single seed on a side', () => {
    const d = welchDifference([1], [2, 3]);
    expect(d.mean).toBe(1.5);
    expect(d.ci95).toBeNull();
  });
});
