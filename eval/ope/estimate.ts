// What every off-policy estimator returns: its value, a 95% interval and the effective sample size.
// Every estimator here is a mean of per-round terms, or a ratio of two means (the self-normalised
// ones): the interval is the t interval of the mean of the terms, or of the ratio's linearisation
// (the delta method), with n - 1 degrees of freedom. Deterministic: no bootstrap, no random draws.
import { tQuantile } from '../stats.ts';

export interface Estimate {
  /** The estimated value of the target policy (reward per round: per logged step, or per page). */
  readonly value: number;
  /** 95% interval; null with fewer than 2 rounds. */
  readonly ci95: readonly [number, number] | null;
  /**
   * Effective sample size of the importance weights, (sum w)^2 / sum w^2 (Kish): how many rounds
   * of on-policy data the weighted log is worth. n for an estimator without weights (DM).
   */
  readonly ess: number;
  /** Logged rounds. */
  readonly n: number;
}

/** Kish's effective sample size of weights (n when none is given). */
export function effectiveSampleSize(weights: Float64Array | null, n: number): number {
  if (weights === null) return n;
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i];
    squares += weights[i] * weights[i];
  }
  return squares === 0 ? 0 : (sum * sum) / squares;
}

/** The mean of per-round terms, with the t interval of a mean. */
export function meanOfTerms(terms: Float64Array, weights: Float64Array | null): Estimate {
  const n = terms.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += terms[i];
  const value = total / n;
  return { value, ci95: interval(value, terms, value), ess: effectiveSampleSize(weights, n), n };
}

/**
 * `value` with the t interval of the mean of `influence` (terms whose mean is `centre`): the
 * linearised estimator, whose standard error is sd(influence) / sqrt(n).
 */
export function interval(value: number, influence: Float64Array, centre: number): readonly [number, number] | null {
  const n = influence.length;
  if (n < 2) return null;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (influence[i] - centre) ** 2;
  const halfWidth = tQuantile(0.975, n - 1) * Math.sqrt(squares / (n - 1) / n);
  return [value - halfWidth, value + halfWidth];
}
