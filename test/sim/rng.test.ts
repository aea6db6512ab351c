import { errorFunction } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { ReplayUniforms, Rng, StreamFamily, type SeedKey } from '../../sim/rng.ts';

// Statistical tests of the seeded streams. Each assertion states its sample size and bound; the
// bounds are two-sided 99.9% (z = 3.29) unless stated, and chi-square tests use the 99.9% critical
// value. Seeds are fixed, so the outcome is deterministic; a broken sampler fails with high power.
const Z999 = 3.29;
const SEED: SeedKey = { experiment: 7, run: 11 };

/** Upper 99.9% quantile of chi-square(df) by Wilson-Hilferty (within 0.3% for df >= 9). */
function chiSquareCritical999(df: number): number {
  const z = 3.0902; // one-sided 99.9% normal quantile
  const h = 2 / (9 * df);
  return df * (1 - h + z * Math.sqrt(h)) ** 3;
}

function chiSquare(observed: ArrayLike<number>, expected: ArrayLike<number>): number {
  let statistic = 0;
  for (let i = 0; i < observed.length; i++) statistic += (observed[i] - expected[i]) ** 2 / expected[i];
  return statistic;
}

const standardNormalCdf = (x: number): number => 0.5 * (1 + errorFunction(x / Math.SQRT2));

function draws(rng: Rng, n: number, sampler: (rng: Rng) => number): Float64Array {
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = sampler(rng);
  return values;
}

function moments(values: Float64Array): { mean: number; variance: number; skewness: number; excessKurtosis: number } {
  const n = values.length;
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (const v of values) {
    const d = v - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  return { mean, variance: m2, skewness: m3 / m2 ** 1.5, excessKurtosis: m4 / (m2 * m2) - 3 };
}

/** Lag-1 serial correlation of a sequence. */
function lagOneCorrelation(values: Float64Array): number {
  const { mean, variance } = moments(values);
  let covariance = 0;
  for (let i = 1; i < values.length; i++) covariance += (values[i] - mean) * (values[i - 1] - mean);
  return covariance / (values.length - 1) / variance;
}

describe('Rng.derive: named streams', () => {
  it('gives the same sequence for the same key', () => {
    const a = Rng.derive(SEED, 'users', 'interests', 3);
    const b = Rng.derive(SEED, 'users', 'interests', 3);
    for (let i = 0; i < 1000; i++) expect(a.uniform()).toBe(b.uniform());
    expect(draws(new Rng('raw'), 10, (r) => r.normal())).toEqual(draws(new Rng('raw'), 10, (r) => r.normal()));
  });

  it('gives different sequences for different seeds, components, purposes and indices', () => {
    const first = (rng: Rng) => Array.from(draws(rng, 8, (r) => r.uniform()));
    const keys: Rng[] = [
      Rng.derive(SEED, 'users', 'interests', 3),
      Rng.derive({ experiment: 7, run: 12 }, 'users', 'interests', 3),
      Rng.derive({ experiment: 8, run: 11 }, 'users', 'interests', 3),
      Rng.derive(SEED, 'posts', 'interests', 3),
      Rng.derive(SEED, 'users', 'quality', 3),
      Rng.derive(SEED, 'users', 'interests', 4),
      Rng.derive(SEED, 'users', 'interests'),
      Rng.derive(SEED, 'users', 'interests', 0),
    ];
    const sequences = keys.map(first).map((s) => s.join(','));
    expect(new Set(sequences).size).toBe(keys.length);
  });

  it('gives uncorrelated neighbouring streams (episodes 0 and 1; n = 200,000, |r| <= 3.29 / sqrt n)', () => {
    const n = 200_000;
    const a = draws(Rng.derive(SEED, 'world', 'response', 0), n, (r) => r.uniform());
    const b = draws(Rng.derive(SEED, 'world', 'response', 1), n, (r) => r.uniform());
    let covariance = 0;
    for (let i = 0; i < n; i++) covariance += (a[i] - 0.5) * (b[i] - 0.5);
    const correlation = covariance / n / (1 / 12);
    expect(Math.abs(correlation)).toBeLessThan(Z999 / Math.sqrt(n));
  });
});

describe('StreamFamily: Rng.derive for many indices', () => {
  it('re-seeds a stream in place to exactly the words of Rng.derive, for any index', () => {
    const family = new StreamFamily(SEED, 'feed', 'user');
    const rng = new Rng('anything');
    for (const index of [0, 1, 9, 10, 99, 100, 123_456, 2 ** 31 - 1, 2 ** 31, -3, 2.5]) {
      rng.reseed(family, index);
      const expected = Rng.derive(SEED, 'feed', 'user', index);
      for (let i = 0; i < 50; i++) expect(rng.int32()).toBe(expected.int32());
    }
    const fresh = family.stream(42);
    const expected = Rng.derive(SEED, 'feed', 'user', 42);
    for (let i = 0; i < 50; i++) expect(fresh.int32()).toBe(expected.int32());
  });
});

describe('Rng.uniform', () => {
  const n = 1_000_000;
  const values = draws(new Rng('uniform'), n, (r) => r.uniform());

  it('stays in [0, 1), and uniformPositive in (0, 1]', () => {
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    const positive = draws(new Rng('positive'), 100_000, (r) => r.uniformPositive());
    expect(positive.every((v) => v > 0 && v <= 1)).toBe(true);
  });

  it('has mean 1/2 and variance 1/12 (n = 1,000,000, 99.9% bounds)', () => {
    const { mean, variance } = moments(values);
    expect(Math.abs(mean - 0.5)).toBeLessThan(Z999 * Math.sqrt(1 / 12 / n));
    // Var of (U - 1/2)^2 is 1/80 - 1/144.
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(Z999 * Math.sqrt((1 / 80 - 1 / 144) / n));
  });

  it('fills 100 equal bins evenly (chi-square, 99 df, n = 1,000,000, 99.9% critical value)', () => {
    const counts = new Float64Array(100);
    for (const v of values) counts[Math.floor(v * 100)]++;
    expect(chiSquare(counts, new Float64Array(100).fill(n / 100))).toBeLessThan(chiSquareCritical999(99));
  });

  it('has no lag-1 serial correlation (n = 1,000,000, |r| <= 3.29 / sqrt n)', () => {
    expect(Math.abs(lagOneCorrelation(values))).toBeLessThan(Z999 / Math.sqrt(n));
  });

  it('range(lo, hi) stays in [lo, hi)', () => {
    const rng = new Rng('range');
    for (let i = 0; i < 10_000; i++) {
      const x = rng.range(-3, 5);
      expect(x >= -3 && x < 5).toBe(true);
    }
  });
});

describe('Rng.int', () => {
  for (const [buckets, n] of [
    [7, 700_000],
    [10, 1_000_000],
    [1000, 1_000_000],
  ] as const) {
    it(`draws each of 0..${buckets - 1} equally often (chi-square, ${buckets - 1} df, n = ${n}, 99.9%)`, () => {
      const rng = new Rng(`int/${buckets}`);
      const counts = new Float64Array(buckets);
      let outside = 0;
      for (let i = 0; i < n; i++) {
        const value = rng.int(buckets);
        if (!Number.isInteger(value) || value < 0 || value >= buckets) outside++;
        else counts[value]++;
      }
      expect(outside).toBe(0);
      expect(chiSquare(counts, new Float64Array(buckets).fill(n / buckets))).toBeLessThan(
        chiSquareCritical999(buckets - 1),
      );
    });
  }
});

describe('Rng.normal (ziggurat)', () => {
  const n = 200_000;
  const values = draws(new Rng('normal'), n, (r) => r.normal());

  it('has mean 0, variance 1, skewness 0 and excess kurtosis 0 (n = 200,000, 99.9% bounds)', () => {
    const { mean, variance, skewness, excessKurtosis } = moments(values);
    // Standard errors under normality: 1/sqrt n, sqrt(2/n), sqrt(6/n), sqrt(24/n).
    expect(Math.abs(mean)).toBeLessThan(Z999 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(Z999 * Math.sqrt(2 / n));
    expect(Math.abs(skewness)).toBeLessThan(Z999 * Math.sqrt(6 / n));
    expect(Math.abs(excessKurtosis)).toBeLessThan(Z999 * Math.sqrt(24 / n));
  });

  it('passes Kolmogorov-Smirnov against the standard normal CDF (n = 200,000, 99.9%: D < 1.9495 / sqrt n)', () => {
    const sorted = Float64Array.from(values).sort();
    let d = 0;
    for (let i = 0; i < n; i++) {
      const cdf = standardNormalCdf(sorted[i]);
      d = Math.max(d, (i + 1) / n - cdf, cdf - i / n);
    }
    expect(d).toBeLessThan(1.9495 / Math.sqrt(n));
  });

  it('fills 0.1-wide bins on [-4, 4] and both tails as the normal does (chi-square, 81 df, n = 1,000,000)', () => {
    // Finer than KS: a wrong ziggurat layer or wedge shows up as a few bins off.
    const big = 1_000_000;
    const rng = new Rng('normal-bins');
    const bins = 82; // (-inf, -4), 80 bins of 0.1, [4, inf)
    const counts = new Float64Array(bins);
    for (let i = 0; i < big; i++) {
      const z = rng.normal();
      counts[z < -4 ? 0 : z >= 4 ? bins - 1 : 1 + Math.min(79, Math.floor((z + 4) * 10))]++;
    }
    const expected = new Float64Array(bins);
    expected[0] = big * standardNormalCdf(-4);
    expected[bins - 1] = big * standardNormalCdf(-4);
    for (let b = 0; b < 80; b++)
      expected[b + 1] = big * (standardNormalCdf(-4 + (b + 1) / 10) - standardNormalCdf(-4 + b / 10));
    expect(chiSquare(counts, expected)).toBeLessThan(chiSquareCritical999(bins - 1));
  });

  it('reaches the tails: P(|z| > 3) and P(|z| > r = 3.4426, the ziggurat tail path) (n = 1,000,000, binomial 99.9%)', () => {
    const big = 1_000_000;
    const rng = new Rng('normal-tails');
    let beyond3 = 0;
    let beyondR = 0;
    let positiveTail = 0;
    for (let i = 0; i < big; i++) {
      const z = rng.normal();
      if (Math.abs(z) > 3) beyond3++;
      if (Math.abs(z) > 3.442619855899) {
        beyondR++;
        if (z > 0) positiveTail++;
      }
    }
    for (const [count, threshold] of [
      [beyond3, 3],
      [beyondR, 3.442619855899],
    ] as const) {
      const p = 2 * standardNormalCdf(-threshold);
      expect(Math.abs(count - big * p)).toBeLessThan(Z999 * Math.sqrt(big * p * (1 - p)));
    }
    // Both tails equally: positive share of the tail ~ Binomial(beyondR, 1/2).
    expect(Math.abs(positiveTail - beyondR / 2)).toBeLessThan(Z999 * Math.sqrt(beyondR / 4));
  });

  it('shapes the tail beyond r as the normal does (KS on |z| - r given |z| > r, n = 4,000,000 draws, 99.9%)', () => {
    // The tail path (Marsaglia's exponential rejection) is taken about 2,300 times here.
    const r = 3.442619855899;
    const rng = new Rng('normal-tail-shape');
    const excess: number[] = [];
    for (let i = 0; i < 4_000_000; i++) {
      const z = Math.abs(rng.normal());
      if (z > r) excess.push(z - r);
    }
    const sorted = Float64Array.from(excess).sort();
    const tailMass = standardNormalCdf(-r);
    let d = 0;
    for (let i = 0; i < sorted.length; i++) {
      const cdf = 1 - standardNormalCdf(-(r + sorted[i])) / tailMass;
      d = Math.max(d, (i + 1) / sorted.length - cdf, cdf - i / sorted.length);
    }
    expect(sorted.length).toBeGreaterThan(2000);
    expect(d).toBeLessThan(1.9495 / Math.sqrt(sorted.length));
  });

  it('has no lag-1 serial correlation (n = 200,000, |r| <= 3.29 / sqrt n)', () => {
    expect(Math.abs(lagOneCorrelation(values))).toBeLessThan(Z999 / Math.sqrt(n));
  });

  it('gaussian(mean, sd) and lognormal(mu, sigma) shift and scale it', () => {
    const a = new Rng('shift');
    const b = new Rng('shift');
    for (let i = 0; i < 100; i++) expect(a.gaussian(3, 2)).toBeCloseTo(3 + 2 * b.normal(), 12);
    for (let i = 0; i < 100; i++) expect(a.lognormal(1, 0.5)).toBeCloseTo(Math.exp(1 + 0.5 * b.normal()), 12);
  });
});

describe('Rng.exponential and bernoulli', () => {
  it('draws exponential(rate 2) with mean 1/2 (n = 200,000, 99.9% bound: sd/sqrt n = 0.5/sqrt n)', () => {
    const n = 200_000;
    const { mean } = moments(draws(new Rng('exp'), n, (r) => r.exponential(2)));
    expect(Math.abs(mean - 0.5)).toBeLessThan((Z999 * 0.5) / Math.sqrt(n));
  });

  it('draws bernoulli(0.3) with frequency 0.3 (n = 200,000, binomial 99.9%)', () => {
    const n = 200_000;
    const rng = new Rng('bernoulli');
    let hits = 0;
    for (let i = 0; i < n; i++) if (rng.bernoulli(0.3)) hits++;
    expect(Math.abs(hits / n - 0.3)).toBeLessThan(Z999 * Math.sqrt((0.3 * 0.7) / n));
  });
});

describe('Rng.shuffle', () => {
  it('is Fisher-Yates from the last position down, with int(i + 1) draws, over the first `count` values only', () => {
    const values = Int32Array.from({ length: 12 }, (_, i) => i);
    new Rng('shuffle').shuffle(values, 10);
    const expected = Array.from({ length: 10 }, (_, i) => i);
    const draws = new Rng('shuffle');
    for (let i = 9; i > 0; i--) {
      const j = draws.int(i + 1);
      [expected[i], expected[j]] = [expected[j], expected[i]];
    }
    expect(Array.from(values)).toEqual([...expected, 10, 11]);
    expect([...values.subarray(0, 10)].sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });
});

describe('Rng.sampleDistinct', () => {
  it('writes k distinct indices in [0, n) at the offset, leaving the rest alone', () => {
    const rng = new Rng('distinct');
    const out = new Int32Array(12).fill(-7);
    for (let trial = 0; trial < 2000; trial++) {
      rng.sampleDistinct(10, 10, out, 1); // k = n: a permutation
      const slate = Array.from(out.subarray(1, 11));
      expect(new Set(slate).size).toBe(10);
      expect(slate.every((i) => i >= 0 && i < 10)).toBe(true);
      expect(out[0]).toBe(-7);
      expect(out[11]).toBe(-7);
    }
  });

  it('includes each index equally often, in every slot (k = 3 of 10, n = 100,000 slates, chi-square 9 df, 99.9%)', () => {
    const rng = new Rng('distinct-uniform');
    const slates = 100_000;
    const out = new Int32Array(3);
    const perSlot = [new Float64Array(10), new Float64Array(10), new Float64Array(10)];
    let duplicates = 0;
    for (let trial = 0; trial < slates; trial++) {
      rng.sampleDistinct(10, 3, out);
      if (out[0] === out[1] || out[0] === out[2] || out[1] === out[2]) duplicates++;
      for (let slot = 0; slot < 3; slot++) perSlot[slot][out[slot]]++;
    }
    expect(duplicates).toBe(0);
    // Three tests: Bonferroni at 99.9% / 3 would loosen the bound; 99.9% each is stricter.
    for (const counts of perSlot) {
      expect(chiSquare(counts, new Float64Array(10).fill(slates / 10))).toBeLessThan(chiSquareCritical999(9));
    }
  });
});

describe('Rng.sampleDistinct: the bitset path', () => {
  it('gives exactly the slates of plain rejection with a scan, on both sides of n = 64 and at the word edges', () => {
    // The reference: draw rng.int(n) until the index is not among those taken.
    const reference = (rng: Rng, n: number, k: number): number[] => {
      const taken: number[] = [];
      while (taken.length < k) {
        const candidate = rng.int(n);
        if (!taken.includes(candidate)) taken.push(candidate);
      }
      return taken;
    };
    for (const n of [1, 5, 31, 32, 33, 50, 63, 64, 65, 100]) {
      for (const k of [1, Math.min(n, 10), n <= 64 ? n : 20]) {
        const ours = new Rng(`bitset/${n}/${k}`);
        const theirs = new Rng(`bitset/${n}/${k}`);
        const out = new Int32Array(k);
        for (let trial = 0; trial < 200; trial++) {
          ours.sampleDistinct(n, k, out);
          expect(Array.from(out)).toEqual(reference(theirs, n, k));
        }
      }
    }
  });
});

describe('Rng.categorical', () => {
  it('draws indices with frequencies proportional to the weights, never a zero weight (n = 200,000, binomial 99.9%)', () => {
    const weights = Float64Array.of(1, 0, 3, 6, 100); // the last entry lies beyond `count`
    const rng = new Rng('categorical');
    const n = 200_000;
    const counts = new Float64Array(5);
    for (let i = 0; i < n; i++) counts[rng.categorical(weights, 4)]++;
    expect(counts[1]).toBe(0);
    expect(counts[4]).toBe(0);
    for (const [index, p] of [
      [0, 0.1],
      [2, 0.3],
      [3, 0.6],
    ] as const) {
      expect(Math.abs(counts[index] / n - p)).toBeLessThan(Z999 * Math.sqrt((p * (1 - p)) / n));
    }
  });
});

describe('ReplayUniforms', () => {
  it('replays recorded uniforms in order and throws when they run out', () => {
    const replay = new ReplayUniforms([0.25, 0.5]);
    expect(replay.uniform()).toBe(0.25);
    expect(replay.uniform()).toBe(0.5);
    expect(replay.consumed).toBe(2);
    expect(() => replay.uniform()).toThrow(/ran out/);
  });
});

describe("Rng: the generator is seedrandom's Tyche-i", () => {
  it('yields exactly seedrandom.tychei(key).int32() for the same key (10,000 words, several keys)', async () => {
    const { default: seedrandom } = await import('seedrandom');
    for (const key of ['slatelab/0/0/feed/user/0', 'a', '', 'slatelab/3/9/recsim-interest-evolution/response/123456']) {
      const ours = new Rng(key);
      const theirs = seedrandom.tychei(key);
      for (let i = 0; i < 10_000; i++) expect(ours.int32()).toBe(theirs.int32());
    }
  });

  it('words(out, n) writes the next n words, and the stream goes on after them', () => {
    const block = new Rng('block');
    const single = new Rng('block');
    const out = new Int32Array(64).fill(7);
    for (const n of [0, 1, 50, 13]) {
      block.words(out, n);
      for (let i = 0; i < n; i++) expect(out[i]).toBe(single.int32());
      expect(block.int32()).toBe(single.int32());
    }
    expect(out[50]).toBe(7); // nothing written past n
  });
});
