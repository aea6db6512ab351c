// Pages of K drawn from a softmax over N candidates without replacement (Plackett-Luce): a draw, the
// exact probability of an ordered page, the exact slot marginals, and the deterministic top K.
// Pure functions over typed arrays; reinforce.ts acts with them.
import type { Rng } from '../../sim/rng.ts';

/** Softmax of values[at .. at + n) into out[at ..] (float64, shifted by the maximum). */
export function softmaxInto(values: ArrayLike<number>, at: number, n: number, out: Float64Array): void {
  let max = -Infinity;
  for (let c = 0; c < n; c++) if (values[at + c] > max) max = values[at + c];
  let total = 0;
  for (let c = 0; c < n; c++) {
    out[at + c] = Math.exp(values[at + c] - max);
    total += out[at + c];
  }
  for (let c = 0; c < n; c++) out[at + c] /= total;
}

/** The entropy (nats) of the distribution probs[at .. at + n). */
export function entropyOf(probs: Float64Array, at: number, n: number): number {
  let h = 0;
  for (let c = 0; c < n; c++) if (probs[at + c] > 0) h -= probs[at + c] * Math.log(probs[at + c]);
  return h;
}

/**
 * Draws an ordered page of K of the N candidates without replacement by Plackett-Luce (each slot a
 * draw from probs[at ..] renormalised over the candidates left) into out[outAt ..]; returns its
 * exact probability, the product over slots of p(a_s) / (1 - the probability already drawn).
 * remaining: N scratch.
 */
export function samplePage(
  probs: Float64Array,
  at: number,
  n: number,
  k: number,
  rng: Rng,
  remaining: Uint8Array,
  out: Int32Array,
  outAt: number,
): number {
  remaining.fill(1, 0, n);
  let probability = 1;
  for (let s = 0; s < k; s++) {
    let mass = 0;
    for (let c = 0; c < n; c++) if (remaining[c] === 1) mass += probs[at + c];
    const target = rng.uniform() * mass;
    let chosen = -1;
    let acc = 0;
    for (let c = 0; c < n; c++) {
      if (remaining[c] === 0) continue;
      chosen = c; // the last one left catches rounding at the top
      acc += probs[at + c];
      if (target < acc) break;
    }
    remaining[chosen] = 0;
    out[outAt + s] = chosen;
    probability *= mass > 0 ? probs[at + chosen] / mass : 0;
  }
  return probability;
}

/** The Plackett-Luce probability of the ordered page page[pageAt .. pageAt + K) under probs[at .. at + N). */
export function pageProbability(
  probs: Float64Array,
  at: number,
  k: number,
  page: ArrayLike<number>,
  pageAt = 0,
): number {
  let probability = 1;
  let mass = 1;
  for (let s = 0; s < k; s++) {
    const p = probs[at + page[pageAt + s]];
    probability *= p / mass;
    mass -= p;
  }
  return probability;
}

/** The top K candidates by probs[at ..] (ties to the lower index), best first, into out[outAt ..]. */
export function topKInto(
  probs: Float64Array | Float32Array,
  at: number,
  n: number,
  k: number,
  out: Int32Array,
  outAt: number,
): void {
  for (let s = 0; s < k; s++) {
    let best = -1;
    for (let c = 0; c < n; c++) {
      let taken = false;
      for (let t = 0; t < s; t++) if (out[outAt + t] === c) taken = true;
      if (taken) continue;
      if (best < 0 || probs[at + c] > probs[at + best]) best = c;
    }
    out[outAt + s] = best;
  }
}

/** (n)_j = n (n - 1) ... (n - j + 1): ordered prefixes of j of n. */
export function orderedPrefixes(n: number, j: number): number {
  let count = 1;
  for (let i = 0; i < j; i++) count *= n - i;
  return count;
}

/**
 * The exact N x K slot marginals of Plackett-Luce sampling (out[c K + s]: the probability that
 * candidate c sits in slot s), by summing over every ordered prefix of K - 1 candidates.
 */
export function plackettLuceMarginals(
  probs: Float64Array,
  at: number,
  n: number,
  k: number,
  out: Float64Array,
  remaining: Uint8Array,
): void {
  out.fill(0, 0, n * k);
  remaining.fill(1, 0, n);
  const visit = (slot: number, prefix: number, mass: number) => {
    for (let c = 0; c < n; c++) {
      if (remaining[c] === 0) continue;
      const p = (prefix * probs[at + c]) / mass;
      out[c * k + slot] += p;
      if (slot + 1 < k) {
        remaining[c] = 0;
        visit(slot + 1, p, mass - probs[at + c]);
        remaining[c] = 1;
      }
    }
  };
  visit(0, 1, 1);
}
