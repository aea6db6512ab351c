// The posterior samplers of the Thompson bandits (agents/bandits/common.ts): Gamma(shape, 1) by
// Marsaglia & Tsang (with the U^(1/a) boost below shape 1) and Beta(a, b) as X / (X + Y).
import { describe, expect, it } from 'vitest';
import { sampleBeta, sampleGamma } from '../../agents/bandits/common.ts';
import { Rng } from '../../sim/rng.ts';

const DRAWS = 100_000;
/** Standard errors allowed. */
const Z = 4;

interface Moments {
  readonly mean: number;
  readonly variance: number;
  readonly samples: Float64Array;
}

function draw(sample: (rng: Rng) => number, key: string): Moments {
  const rng = new Rng(key);
  const samples = new Float64Array(DRAWS);
  let sum = 0;
  for (let i = 0; i < DRAWS; i++) {
    samples[i] = sample(rng);
    sum += samples[i];
  }
  const mean = sum / DRAWS;
  let squares = 0;
  for (const x of samples) squares += (x - mean) ** 2;
  return { mean, variance: squares / (DRAWS - 1), samples };
}

/** The fraction of samples below t. */
const below = (samples: Float64Array, t: number) =>
  samples.reduce((count, x) => count + (x < t ? 1 : 0), 0) / samples.length;

/** erf, Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7). */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

/** Checks a CDF value P(X < t) within Z binomial standard errors. */
function expectCdf(samples: Float64Array, t: number, p: number): void {
  expect(Math.abs(below(samples, t) - p)).toBeLessThan(Z * Math.sqrt((p * (1 - p)) / samples.length));
}

describe('sampleGamma(shape): Gamma(shape, 1)', () => {
  for (const shape of [0.05, 0.3, 0.9, 1, 2.5, 12]) {
    it(`has mean ${shape} and variance ${shape} (shape ${shape}; ${DRAWS} draws; ${Z} standard errors)`, () => {
      const { mean, variance, samples } = draw((rng) => sampleGamma(rng, shape), `gamma/${shape}`);
      expect(samples.every((x) => Number.isFinite(x) && x >= 0)).toBe(true);
      // Var(mean) = a / n; Var(sample variance) ~ (mu4 - sigma^4) / n with mu4 = 3a(a + 2).
      expect(Math.abs(mean - shape)).toBeLessThan(Z * Math.sqrt(shape / DRAWS));
      expect(Math.abs(variance - shape)).toBeLessThan(Z * Math.sqrt((3 * shape * (shape + 2) - shape * shape) / DRAWS));
    });
  }

  it(`has the right distribution, not just moments: Gamma(1) = Exp(1) and Gamma(1/2) = Z^2 / 2 (CDF at 4 points each; ${DRAWS} draws)`, () => {
    const exponential = draw((rng) => sampleGamma(rng, 1), 'gamma-cdf/1').samples;
    for (const t of [0.05, 0.5, 1, 3]) expectCdf(exponential, t, 1 - Math.exp(-t));
    // Z^2 / 2 < t  <=>  |Z| < sqrt(2t): probability erf(sqrt(t)).
    const halfChiSquare = draw((rng) => sampleGamma(rng, 0.5), 'gamma-cdf/0.5').samples;
    for (const t of [0.001, 0.05, 0.5, 2]) expectCdf(halfChiSquare, t, erf(Math.sqrt(t)));
  });
});

describe('sampleBeta(a, b): Beta(a, b)', () => {
  const shapes: [number, number][] = [
    [1, 1],
    [0.5, 0.5],
    [0.3, 0.7],
    [0.2, 3],
    [2, 5],
    [30, 12],
  ];
  for (const [a, b] of shapes) {
    const s = a + b;
    const mean = a / s;
    const variance = (a * b) / (s * s * (s + 1));
    it(`has mean a / (a + b) = ${mean.toFixed(4)} and variance ab / ((a + b)^2 (a + b + 1)) = ${variance.toFixed(5)} (a ${a}, b ${b}; ${DRAWS} draws; ${Z} standard errors)`, () => {
      const drawn = draw((rng) => sampleBeta(rng, a, b), `beta/${a}/${b}`);
      expect(drawn.samples.every((x) => x >= 0 && x <= 1)).toBe(true);
      // mu4 = sigma^4 (3 + excess kurtosis), excess kurtosis = 6[(a - b)^2 (s + 1) - ab (s + 2)] / [ab (s + 2)(s + 3)].
      const excess = (6 * ((a - b) ** 2 * (s + 1) - a * b * (s + 2))) / (a * b * (s + 2) * (s + 3));
      const mu4 = variance * variance * (3 + excess);
      expect(Math.abs(drawn.mean - mean)).toBeLessThan(Z * Math.sqrt(variance / DRAWS));
      expect(Math.abs(drawn.variance - variance)).toBeLessThan(Z * Math.sqrt((mu4 - variance * variance) / DRAWS));
    });
  }

  it(`has the right distribution: Beta(1/2, 1/2) is the arcsine law, P(X < t) = (2 / pi) asin(sqrt t) (4 points; ${DRAWS} draws)`, () => {
    const samples = draw((rng) => sampleBeta(rng, 0.5, 0.5), 'beta-cdf/0.5').samples;
    for (const t of [0.001, 0.05, 0.5, 0.9]) expectCdf(samples, t, (2 / Math.PI) * Math.asin(Math.sqrt(t)));
  });

  it('is reproducible: the same stream gives the same draws', () => {
    const one = new Rng('beta-repro');
    const two = new Rng('beta-repro');
    for (let i = 0; i < 100; i++) expect(sampleBeta(one, 0.4, 2.5)).toBe(sampleBeta(two, 0.4, 2.5));
  });
});
