// Choosing a slate from item-wise values through a choice model: SlateQ's slate optimisation
// (Ie et al. 2019, "SlateQ", sections 4.2-4.3 and 5). A slate A's value is
//   V(A) = sum over i in A of P(i | A) Q(i) + P(nothing | A) Q(nothing),
// with P from the user choice model over the slate's scores (top slot first) and Q(nothing) the
// value of a step without a click (0 in the paper and in RecSim's agent). Three rules:
//   - top-K: the K items of largest v(i) (Q(i) - Q(nothing)), best first, with v(i) = P(i alone) /
//     P(nothing | i alone), the item's choice weight against no click's (the paper's top-K ranks
//     by v(s, i) Q(s, i), and RecSim's select_slate_topk by score x Q: the same order when
//     Q(nothing) = 0, for the multinomial models, where v is exactly the weight);
//   - greedy: slot by slot, the item that makes the partial slate's value largest (paper, 5.2);
//   - optimal: every ordered slate of K distinct items, the largest value (exact; the paper solves
//     a linear programme for the multinomial logit, which brute force replaces for small N and K).
// Ties go to the smaller candidate index (top-K, greedy) or the first slate in lexicographic order
// (optimal), so a slate is a function of the values alone.
import { topKByScore } from '../../policies/slate.ts';
import type { ChoiceModel } from '../../sim/choice.ts';

export const SELECTION_RULES = ['top-k', 'greedy', 'optimal'] as const;
export type SelectionRule = (typeof SELECTION_RULES)[number];

/** Ordered slates of K out of N: N (N - 1) ... (N - K + 1), what `optimal` enumerates. */
export function orderedSlateCount(n: number, k: number): number {
  let count = 1;
  for (let i = 0; i < k; i++) count *= n - i;
  return count;
}

/** Scratch space for one selection (K scores, K + 1 probabilities, two K-slates, N flags, N keys). */
export class SelectionScratch {
  readonly scores: Float64Array;
  readonly probs: Float64Array;
  readonly slate: Int32Array;
  readonly best: Int32Array;
  readonly taken: Uint8Array;
  readonly keys: Float64Array;

  constructor(n: number, k: number) {
    this.scores = new Float64Array(k);
    this.probs = new Float64Array(k + 1);
    this.slate = new Int32Array(k);
    this.best = new Int32Array(k);
    this.taken = new Uint8Array(n);
    this.keys = new Float64Array(n);
  }
}

/**
 * The candidates' choice scores and item values for one row: score[i] and q[i] at base + i, and
 * the value of no click. What the choice model turns scores into is its business.
 */
export interface RowValues {
  readonly model: ChoiceModel;
  readonly scores: Float64Array;
  readonly q: Float64Array;
  readonly base: number;
  readonly qNothing: number;
}

/** V(A) of the first `length` slots of `slate` (candidate indices). */
export function slateValue(values: RowValues, slate: Int32Array, length: number, scratch: SelectionScratch): number {
  const { model, scores, q, base, qNothing } = values;
  for (let slot = 0; slot < length; slot++) scratch.scores[slot] = scores[base + slate[slot]];
  model.probabilities(scratch.scores, length, scratch.probs);
  let value = scratch.probs[length] * qNothing;
  for (let slot = 0; slot < length; slot++) value += scratch.probs[slot] * q[base + slate[slot]];
  return value;
}

/** Writes the chosen K-slate of N candidates to out[outBase ..]; returns its value V(A). */
export function selectSlate(
  rule: SelectionRule,
  values: RowValues,
  n: number,
  k: number,
  out: Int32Array,
  outBase: number,
  scratch: SelectionScratch,
): number {
  if (rule === 'top-k') topK(values, n, k, scratch);
  else if (rule === 'greedy') greedy(values, n, k, scratch);
  else optimal(values, n, k, scratch);
  for (let slot = 0; slot < k; slot++) out[outBase + slot] = scratch.best[slot];
  return slateValue(values, scratch.best, k, scratch);
}

function topK(values: RowValues, n: number, k: number, scratch: SelectionScratch): void {
  const { model, scores, q, base, qNothing } = values;
  const { keys } = scratch;
  for (let i = 0; i < n; i++) {
    const alone = clickAlone(model, scores[base + i], scratch);
    // The odds of a click on the item alone: its weight relative to no click's.
    const weight = alone < 1 ? alone / (1 - alone) : Number.MAX_VALUE;
    keys[i] = weight * (q[base + i] - qNothing);
  }
  topKByScore(keys, ONE_ROW, n, k, scratch.best);
}

/** The active mask of a single row, for the batch helpers. */
const ONE_ROW = Uint8Array.of(1);

/** P(click) of an item shown alone (ChoiceModel.clickProbabilityAlone, or a one-item slate). */
function clickAlone(model: ChoiceModel, score: number, scratch: SelectionScratch): number {
  if (model.clickProbabilityAlone) return model.clickProbabilityAlone(score);
  scratch.scores[0] = score;
  model.probabilities(scratch.scores, 1, scratch.probs);
  return scratch.probs[0];
}

function greedy(values: RowValues, n: number, k: number, scratch: SelectionScratch): void {
  const { taken, best } = scratch;
  taken.fill(0);
  for (let slot = 0; slot < k; slot++) {
    let pick = -1;
    let pickValue = -Infinity;
    for (let i = 0; i < n; i++) {
      if (taken[i] === 1) continue;
      best[slot] = i;
      const value = slateValue(values, best, slot + 1, scratch);
      if (value > pickValue) {
        pickValue = value;
        pick = i;
      }
    }
    // Values that are not numbers (a diverged network) compare false: take the first free item.
    if (pick < 0) pick = taken.indexOf(0);
    best[slot] = pick;
    taken[pick] = 1;
  }
}

function optimal(values: RowValues, n: number, k: number, scratch: SelectionScratch): void {
  const { slate, best, taken } = scratch;
  taken.fill(0);
  // The first slate in lexicographic order until a better one: values that are not numbers (a
  // diverged network) compare false, and must not leave the last row's slate here.
  for (let slot = 0; slot < k; slot++) best[slot] = slot;
  let bestValue = -Infinity;
  // Depth-first over ordered slates in lexicographic order: slot `depth` tries each free item.
  const visit = (depth: number): void => {
    if (depth === k) {
      const value = slateValue(values, slate, k, scratch);
      if (value > bestValue) {
        bestValue = value;
        best.set(slate);
      }
      return;
    }
    for (let i = 0; i < n; i++) {
      if (taken[i] === 1) continue;
      taken[i] = 1;
      slate[depth] = i;
      visit(depth + 1);
      taken[i] = 0;
    }
  };
  visit(0);
}
