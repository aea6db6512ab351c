// Off-policy estimators for pages (slates) of K slots, as pure functions of logged data. Each
// assumes something of how a page's reward arises, and is unbiased exactly when that holds:
//
//   slate IPS        nothing; weights are whole-page probability ratios, hopeless on large pages
//                    (a 10-of-50 page has probability near 1e-17 under a softmax: read the ESS)
//   independent IPS  each slot's reward depends on its own item only (Li et al. 2018)
//   reward-interaction IPS (RIPS)   a slot's reward depends on the items above it: a cascade
//                    (McInerney et al. 2020), weights of the page's first k items
//   Cascade-DR       the same cascade, with a reward model as control variate (Kiyohara et al. 2022)
//   independent DR   independent IPS with a reward model as control variate; slate DM the model alone
//   pseudo-inverse   the page's reward is a sum over (slot, item) terms (Swaminathan et al. 2017)
//
// Probabilities are those of the logged page's items: `slotPscore[i * K + k]` is the logging
// policy's marginal probability that slot k holds the item it held, `prefixPscore[i * K + k]` its
// probability of the page's first k + 1 items in their slots (the last one: the whole page's).
// A target policy gives the same two for the logged page.
import { Matrix, pseudoInverse as pinv } from 'ml-matrix';
import { effectiveSampleSize, type Estimate, meanOfTerms } from './estimate.ts';

export interface SlateLog {
  /** K: the slots of a page. */
  readonly slots: number;
  /** n x K: each slot's reward (0 for a slot the user never reached). */
  readonly slotReward: Float64Array;
  /** n x K: the logging policy's marginal probability of the logged item in its slot. */
  readonly slotPscore: Float64Array;
  /** n x K: the logging policy's probability of the logged page's first k + 1 items in their slots. */
  readonly prefixPscore: Float64Array;
}

/** A target policy's probabilities of the logged pages' items (the same layout as SlateLog's). */
export interface SlateTarget {
  readonly slotProb: Float64Array;
  readonly prefixProb: Float64Array;
}

function pages(log: SlateLog, target: SlateTarget): number {
  const k = log.slots;
  const n = log.slotReward.length / k;
  if (!Number.isInteger(n))
    throw new RangeError(`slate log: ${log.slotReward.length} slot rewards is not a whole number of ${k}-slot pages`);
  for (const [name, array] of [
    ['slotPscore', log.slotPscore],
    ['prefixPscore', log.prefixPscore],
    ['target slotProb', target.slotProb],
    ['target prefixProb', target.prefixProb],
  ] as const)
    if (array.length !== n * k)
      throw new RangeError(`slate log: ${name} has ${array.length} values for ${n} pages x ${k} slots`);
  for (let i = 0; i < n * k; i++)
    if (!(log.slotPscore[i] > 0 && log.prefixPscore[i] > 0))
      throw new RangeError(
        `slate log: page ${Math.floor(i / k)} slot ${i % k} has a probability <= 0 under the logging policy`,
      );
  return n;
}

/** Per page, the mean over slots of per-slot weights: what the ESS of a per-slot estimator is computed on. */
function meanSlotWeights(weights: Float64Array, n: number, k: number): Float64Array {
  const mean = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let total = 0;
    for (let s = 0; s < k; s++) total += weights[i * k + s];
    mean[i] = total / k;
  }
  return mean;
}

/** Standard slate IPS: the whole page's probability ratio times the page's reward. */
export function slateIps(log: SlateLog, target: SlateTarget): Estimate {
  const n = pages(log, target);
  const k = log.slots;
  const w = new Float64Array(n);
  const terms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const last = i * k + k - 1;
    w[i] = target.prefixProb[last] / log.prefixPscore[last];
    let reward = 0;
    for (let s = 0; s < k; s++) reward += log.slotReward[i * k + s];
    terms[i] = w[i] * reward;
  }
  return meanOfTerms(terms, w);
}

/** Per-slot ratios of `targetProb` over `loggingProb`, and the sum over slots of ratio x slot reward. */
function perSlot(log: SlateLog, target: Float64Array, logging: Float64Array, n: number): Estimate {
  const k = log.slots;
  const weights = new Float64Array(n * k);
  const terms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < k; s++) {
      const at = i * k + s;
      weights[at] = target[at] / logging[at];
      terms[i] += weights[at] * log.slotReward[at];
    }
  }
  const estimate = meanOfTerms(terms, null);
  return { ...estimate, ess: effectiveSampleSize(meanSlotWeights(weights, n, k), n) };
}

/** Independent IPS: each slot weighted by its own marginal ratio. Biased when slots' rewards interact. */
export function independentIps(log: SlateLog, target: SlateTarget): Estimate {
  const n = pages(log, target);
  return perSlot(log, target.slotProb, log.slotPscore, n);
}

/** Reward-interaction IPS: slot k weighted by the ratio of the page's first k + 1 items. Unbiased under a cascade. */
export function rewardInteractionIps(log: SlateLog, target: SlateTarget): Estimate {
  const n = pages(log, target);
  return perSlot(log, target.prefixProb, log.prefixPscore, n);
}

/**
 * Cascade-DR (Kiyohara et al. 2022): per slot k, w(1..k) (r_k - q_k) + w(1..k-1) E_target[q_k],
 * with w(1..0) = 1. `qLogged[i * K + k]` is the model's prediction of slot k's reward for the
 * logged page's first k + 1 items; `qTarget[i * K + k]` its expectation when slot k's item is drawn
 * from the target policy after the logged page's first k items. Unbiased under a cascade whatever
 * the model; with a good model, of lower variance than RIPS.
 */
export function cascadeDr(log: SlateLog, target: SlateTarget, qLogged: Float64Array, qTarget: Float64Array): Estimate {
  const n = pages(log, target);
  const k = log.slots;
  if (qLogged.length !== n * k || qTarget.length !== n * k)
    throw new RangeError(
      `cascade-dr: the reward model gives ${qLogged.length} and ${qTarget.length} values for ${n} pages x ${k} slots`,
    );
  const weights = new Float64Array(n * k);
  const terms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let before = 1;
    for (let s = 0; s < k; s++) {
      const at = i * k + s;
      const w = target.prefixProb[at] / log.prefixPscore[at];
      weights[at] = w;
      terms[i] += w * (log.slotReward[at] - qLogged[at]) + before * qTarget[at];
      before = w;
    }
  }
  const estimate = meanOfTerms(terms, null);
  return { ...estimate, ess: effectiveSampleSize(meanSlotWeights(weights, n, k), n) };
}

/** Checks a reward model's two per-slot arrays against the log. */
function modelSize(name: string, n: number, k: number, qLogged: Float64Array, qTarget: Float64Array): void {
  if (qLogged.length !== n * k || qTarget.length !== n * k)
    throw new RangeError(
      `${name}: the reward model gives ${qLogged.length} and ${qTarget.length} values for ${n} pages x ${k} slots`,
    );
}

/**
 * The direct method for pages: per page, the sum over slots of the model's expected slot reward under
 * the target (`qTarget[i * K + k]`, as Cascade-DR's). Biased as far as the model is wrong.
 */
export function slateDm(log: SlateLog, target: SlateTarget, qTarget: Float64Array): Estimate {
  const n = pages(log, target);
  const k = log.slots;
  modelSize('slate-dm', n, k, qTarget, qTarget);
  const terms = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let s = 0; s < k; s++) terms[i] += qTarget[i * k + s];
  return meanOfTerms(terms, null);
}

/**
 * Independent DR: per slot, the model's expected reward under the target's marginal for the slot
 * (`qTarget`) plus the slot's marginal ratio times the model's residual on the logged item
 * (`qLogged`). Unbiased when slots' rewards do not interact, whatever the model.
 */
export function independentDr(
  log: SlateLog,
  target: SlateTarget,
  qLogged: Float64Array,
  qTarget: Float64Array,
  weight: (w: number) => number = (w) => w,
): Estimate {
  const { terms, weights, n, k } = independentDrTerms(log, target, qLogged, qTarget, weight);
  const estimate = meanOfTerms(terms, null);
  return { ...estimate, ess: effectiveSampleSize(meanSlotWeights(weights, n, k), n) };
}

/**
 * Independent DR's per-page terms, each slot's weight transformed by `weight` (the identity: DR;
 * Switch-DR's and DR-os's transforms, eval/ope/single-action.ts, for their per-slot forms: on
 * pages of one slot, the single-action estimators). For choosing a hyper-parameter (slope.ts).
 */
export function independentDrTerms(
  log: SlateLog,
  target: SlateTarget,
  qLogged: Float64Array,
  qTarget: Float64Array,
  weight: (w: number) => number = (w) => w,
): { terms: Float64Array; weights: Float64Array; n: number; k: number } {
  const n = pages(log, target);
  const k = log.slots;
  modelSize('independent-dr', n, k, qLogged, qTarget);
  const weights = new Float64Array(n * k);
  const terms = new Float64Array(n);
  for (let i = 0; i < n; i++)
    for (let s = 0; s < k; s++) {
      const at = i * k + s;
      weights[at] = weight(target.slotProb[at] / log.slotPscore[at]);
      terms[i] += qTarget[at] + weights[at] * (log.slotReward[at] - qLogged[at]);
    }
  return { terms, weights, n, k };
}

/**
 * Self-normalised independent DR: each slot's residual term divided by the mean of that slot's
 * weights over the pages (SNDR on pages of one slot). Biased by O(1/n), often of lower variance.
 */
export function independentSndr(
  log: SlateLog,
  target: SlateTarget,
  qLogged: Float64Array,
  qTarget: Float64Array,
): Estimate {
  const n = pages(log, target);
  const k = log.slots;
  modelSize('independent-sndr', n, k, qLogged, qTarget);
  const meanWeight = new Float64Array(k);
  for (let i = 0; i < n; i++)
    for (let s = 0; s < k; s++) meanWeight[s] += target.slotProb[i * k + s] / log.slotPscore[i * k + s] / n;
  const weights = new Float64Array(n * k);
  const terms = new Float64Array(n);
  for (let i = 0; i < n; i++)
    for (let s = 0; s < k; s++) {
      const at = i * k + s;
      weights[at] = target.slotProb[at] / log.slotPscore[at];
      // (A slot no page gives weight to contributes its model value alone.)
      const scaled = meanWeight[s] > 0 ? weights[at] / meanWeight[s] : 0;
      terms[i] += qTarget[at] + scaled * (log.slotReward[at] - qLogged[at]);
    }
  const estimate = meanOfTerms(terms, null);
  return { ...estimate, ess: effectiveSampleSize(meanSlotWeights(weights, n, k), n) };
}

/**
 * The pseudo-inverse estimator's matrices for one context with `items` candidates and `slots`
 * slots: Gamma = E_logging[1_s 1_s^T] over the (slot, item) indicators of the page s (index
 * slot * items + item), from pages with their probabilities (all of them, or a sample with equal
 * weights), and its Moore-Penrose pseudo-inverse.
 */
export function slateGamma(
  items: number,
  slots: number,
  pagesWithProb: Iterable<{ readonly page: ArrayLike<number>; readonly prob: number }>,
): Float64Array {
  const d = items * slots;
  const gamma = new Float64Array(d * d);
  for (const { page, prob } of pagesWithProb) {
    for (let a = 0; a < slots; a++) {
      const x = a * items + page[a];
      for (let b = 0; b < slots; b++) gamma[x * d + b * items + page[b]] += prob;
    }
  }
  return gamma;
}

/** The Moore-Penrose pseudo-inverse of a d x d matrix (ml-matrix's SVD). */
export function pseudoInverse(matrix: Float64Array, d: number): Float64Array {
  const rows = Array.from({ length: d }, (_, r) => Array.from(matrix.subarray(r * d, (r + 1) * d)));
  return Float64Array.from(pinv(new Matrix(rows)).to2DArray().flat());
}

/** One logged page for the pseudo-inverse estimator. */
export interface PseudoInversePage {
  /** K: the item in each slot, 0..items-1. */
  readonly page: ArrayLike<number>;
  /** The page's reward (the sum over its slots). */
  readonly reward: number;
  /** items x K (index slot * items + item): the target policy's probability that the slot holds the item. */
  readonly targetMarginals: Float64Array;
  /** The pseudo-inverse of the logging policy's Gamma in this page's context (slateGamma, pseudoInverse). */
  readonly gammaPinv: Float64Array;
}

/**
 * The pseudo-inverse estimator (Swaminathan et al. 2017): per page, reward x theta^T Gamma^+ 1_s,
 * theta the target's (slot, item) marginals. Unbiased when the page's reward is a sum of (slot,
 * item) terms and the logging policy covers the target's; biased when slots interact.
 */
export function pseudoInverseIps(items: number, slots: number, logged: readonly PseudoInversePage[]): Estimate {
  const d = items * slots;
  const weights = new Float64Array(logged.length);
  const terms = new Float64Array(logged.length);
  logged.forEach(({ page, reward, targetMarginals, gammaPinv }, i) => {
    if (targetMarginals.length !== d || gammaPinv.length !== d * d)
      throw new RangeError(
        `pseudo-inverse: page ${i} gives ${targetMarginals.length} marginals and a ${gammaPinv.length}-value matrix for ${items} items x ${slots} slots`,
      );
    // theta^T Gamma^+ 1_s: Gamma^+ is symmetric, so the rows of the page's (slot, item) cells.
    let weight = 0;
    for (let s = 0; s < slots; s++) {
      const row = (s * items + page[s]) * d;
      for (let x = 0; x < d; x++) weight += gammaPinv[row + x] * targetMarginals[x];
    }
    weights[i] = weight;
    terms[i] = weight * reward;
  });
  return meanOfTerms(terms, weights);
}
