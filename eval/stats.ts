// Statistics over seeds: each seed's run gives one number per metric (a mean over its episodes),
// and the seeds are the independent replications. Confidence intervals use Student's t with n - 1
// degrees of freedom, since a handful of seeds is the usual case and the normal approximation
// would be too narrow there. Pure functions of plain arrays.
import { createRequire } from 'node:module';

// @stdlib's t quantile takes about 0.17 s to load (hundreds of small CommonJS files), a third of
// a command's start: it is loaded on first use, so that commands computing no interval start
// without it. runExperiment loads it while the runs go (loadTQuantile), not at the end.
const require = createRequire(import.meta.url);
let quantile: ((p: number, df: number) => number) | null = null;

/** Loads the t quantile now if it is not yet loaded (for a thread that has time to spare). */
export function loadTQuantile(): void {
  quantile ??= require('@stdlib/stats-base-dists-t-quantile') as (p: number, df: number) => number;
}

/** The p quantile of Student's t with df degrees of freedom (@stdlib). */
export function tQuantile(p: number, df: number): number {
  loadTQuantile();
  return quantile!(p, df);
}

/** A metric summarised over seeds. */
export interface SeedSummary {
  readonly mean: number;
  /** Sample standard deviation (n - 1 in the denominator); null when n < 2, like the interval. */
  readonly sd: number | null;
  /** Two-sided 95% t interval for the mean; null when n < 2 (one seed says nothing about the spread). */
  readonly ci95: readonly [number, number] | null;
  readonly n: number;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let total = 0;
  for (const value of values) total += value;
  return total / values.length;
}

/** Sample standard deviation (Bessel's correction); 0 for fewer than two values. */
export function sampleSd(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const centre = mean(values);
  let squares = 0;
  for (const value of values) squares += (value - centre) * (value - centre);
  return Math.sqrt(squares / (n - 1));
}

/**
 * The 95% confidence interval for the mean: mean +- t(0.975, n - 1) * sd / sqrt(n).
 * With fewer than two values there is no spread to estimate: null, not a zero-width interval
 * that a reader (or a script) would take for certainty.
 */
export function ci95(values: readonly number[]): [number, number] | null {
  const n = values.length;
  const centre = mean(values);
  if (n < 2) return null;
  const halfWidth = tQuantile(0.975, n - 1) * (sampleSd(values) / Math.sqrt(n));
  return [centre - halfWidth, centre + halfWidth];
}

export function summarize(values: readonly number[]): SeedSummary {
  return { mean: mean(values), sd: values.length < 2 ? null : sampleSd(values), ci95: ci95(values), n: values.length };
}

/** A paired comparison: per-seed differences (agent - baseline) over the seeds both have. */
export interface PairedSummary extends SeedSummary {
  /** agent - baseline for each shared seed, in `seeds` order. */
  readonly values: readonly number[];
  readonly seeds: readonly number[];
}

/**
 * Paired differences against a baseline. Both agents met the same users and posts in a seed
 * (common random numbers), so the per-seed difference cancels the seed's own luck and its
 * interval is usually far narrower than the difference of two unpaired intervals.
 * Seeds missing on either side (a failed run) are left out.
 */
export function pairedDifferences(
  agent: ReadonlyMap<number, number>,
  baseline: ReadonlyMap<number, number>,
  seedOrder: readonly number[],
): PairedSummary {
  const seeds: number[] = [];
  const values: number[] = [];
  for (const seed of seedOrder) {
    const a = agent.get(seed);
    const b = baseline.get(seed);
    if (a === undefined || b === undefined) continue;
    seeds.push(seed);
    values.push(a - b);
  }
  return { ...summarize(values), values, seeds };
}

/** Two independent samples compared: mean(b) - mean(a) with Welch's interval. */
export interface WelchSummary {
  readonly mean: number;
  /** null when either side has fewer than two values. */
  readonly ci95: readonly [number, number] | null;
  /** Welch–Satterthwaite degrees of freedom; null without an interval or when both sides are constant. */
  readonly df: number | null;
}

/**
 * mean(B) − mean(A) of two independent samples (other users, other seeds: nothing to pair), with
 * Welch's t interval: standard error sqrt(s_A²/n_A + s_B²/n_B), degrees of freedom by
 * Welch–Satterthwaite (Welch 1947, Biometrika 34).
 */
export function welchDifference(a: readonly number[], b: readonly number[]): WelchSummary {
  const centre = mean(b) - mean(a);
  if (a.length < 2 || b.length < 2) return { mean: centre, ci95: null, df: null };
  const varianceA = sampleSd(a) ** 2 / a.length;
  const varianceB = sampleSd(b) ** 2 / b.length;
  const standardError = Math.sqrt(varianceA + varianceB);
  // No spread on either side (a constant metric): the difference is exact.
  if (standardError === 0) return { mean: centre, ci95: [centre, centre], df: null };
  const df = (varianceA + varianceB) ** 2 / (varianceA ** 2 / (a.length - 1) + varianceB ** 2 / (b.length - 1));
  const halfWidth = tQuantile(0.975, df) * standardError;
  return { mean: centre, ci95: [centre - halfWidth, centre + halfWidth], df };
}
