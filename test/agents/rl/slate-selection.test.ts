// SlateQ's slate selection (agents/rl/slate-selection.ts) against brute force: each rule as its
// definition states it, recomputed the slow way, on random item values and choice scores, for
// every single-choice model the worlds offer. Seeded; 300 random rows per model and (N, K).
import { describe, expect, it } from 'vitest';
import {
  orderedSlateCount,
  SelectionScratch,
  selectSlate,
  slateValue,
  type RowValues,
} from '../../../agents/rl/slate-selection.ts';
import {
  exponentialCascade,
  multinomialLogit,
  multinomialProportional,
  proportionalCascade,
  type ChoiceModel,
} from '../../../sim/choice.ts';
import { Rng } from '../../../sim/rng.ts';

const MODELS: ChoiceModel[] = [
  multinomialLogit({ noClickLogit: 0.5 }),
  multinomialProportional({ minNormalizer: -1, noClickMass: 1 }),
  proportionalCascade({ attentionProbability: 0.65, scoreScaling: 0.05, minNormalizer: -1 }),
  exponentialCascade({ attentionProbability: 0.65, scoreScaling: 0.05 }),
];
const SHAPES = [
  [5, 1],
  [5, 2],
  [6, 3],
] as const;

/** The slate's value by the definition: the model's probabilities of its scores, times the values. */
function definedValue(values: RowValues, slate: readonly number[]): number {
  const probs = new Float64Array(slate.length + 1);
  values.model.probabilities(
    slate.map((i) => values.scores[values.base + i]),
    slate.length,
    probs,
  );
  return slate.reduce(
    (sum, item, slot) => sum + probs[slot] * values.q[values.base + item],
    probs[slate.length] * values.qNothing,
  );
}

/** Every ordered slate of k distinct items out of n. */
function allSlates(n: number, k: number): number[][] {
  if (k === 0) return [[]];
  return allSlates(n, k - 1).flatMap((slate) =>
    Array.from({ length: n }, (_, i) => i)
      .filter((i) => !slate.includes(i))
      .map((i) => [...slate, i]),
  );
}

function randomRow(rng: Rng, model: ChoiceModel, n: number): RowValues {
  // Scores in [-1, 1] (every model here is valid there), values in [-2, 5], a random no-click value.
  const scores = Float64Array.from({ length: n }, () => rng.range(-1, 1));
  const q = Float64Array.from({ length: n }, () => rng.range(-2, 5));
  return { model, scores, q, base: 0, qNothing: rng.range(-1, 2) };
}

function chosen(rule: 'top-k' | 'greedy' | 'optimal', values: RowValues, n: number, k: number) {
  const out = new Int32Array(k);
  const value = selectSlate(rule, values, n, k, out, 0, new SelectionScratch(n, k));
  return { slate: [...out], value };
}

describe('slate selection', () => {
  for (const model of MODELS) {
    for (const [n, k] of SHAPES) {
      it(`optimal is the best of all ${orderedSlateCount(n, k)} ordered slates (${model.name}, N = ${n}, K = ${k})`, () => {
        const rng = new Rng(`optimal/${model.name}/${n}/${k}`);
        for (let trial = 0; trial < 300; trial++) {
          const values = randomRow(rng, model, n);
          const { slate, value } = chosen('optimal', values, n, k);
          const best = Math.max(...allSlates(n, k).map((s) => definedValue(values, s)));
          expect(value).toBeCloseTo(best, 12);
          expect(definedValue(values, slate)).toBeCloseTo(best, 12);
        }
      });

      it(`greedy adds, slot by slot, the item that makes the partial slate worth most, and is never worth more than optimal (${model.name}, N = ${n}, K = ${k})`, () => {
        const rng = new Rng(`greedy/${model.name}/${n}/${k}`);
        for (let trial = 0; trial < 300; trial++) {
          const values = randomRow(rng, model, n);
          const expected: number[] = [];
          for (let slot = 0; slot < k; slot++) {
            const free = Array.from({ length: n }, (_, i) => i).filter((i) => !expected.includes(i));
            const worth = free.map((i) => definedValue(values, [...expected, i]));
            expected.push(free[worth.indexOf(Math.max(...worth))]);
          }
          const { slate, value } = chosen('greedy', values, n, k);
          expect(slate).toEqual(expected);
          expect(value).toBeLessThanOrEqual(chosen('optimal', values, n, k).value + 1e-12);
        }
      });

      it(`top-k takes the K largest v (Q - Q(nothing)), v = P(alone) / P(no click | alone), best first (${model.name}, N = ${n}, K = ${k})`, () => {
        const rng = new Rng(`top-k/${model.name}/${n}/${k}`);
        for (let trial = 0; trial < 300; trial++) {
          const values = randomRow(rng, model, n);
          const probs = new Float64Array(2);
          const key = (i: number) => {
            model.probabilities([values.scores[i]], 1, probs);
            return (probs[0] / probs[1]) * (values.q[i] - values.qNothing);
          };
          const expected = Array.from({ length: n }, (_, i) => i)
            .sort((a, b) => key(b) - key(a) || a - b)
            .slice(0, k);
          expect(chosen('top-k', values, n, k).slate).toEqual(expected);
        }
      });
    }
  }

  it("top-k is the paper's and RecSim's order for the multinomial logit: by exp(score) x Q when Q(nothing) = 0", () => {
    // The reviewer's case: v = 0.1, Q = 100 against v = 10, Q = 1.1 (no-click weight 1). By v Q the
    // second (11 against 10) goes first; by P(alone) Q it would be the first (9.1 against 1.0).
    const values: RowValues = {
      model: multinomialLogit({ noClickLogit: 0 }),
      scores: Float64Array.of(Math.log(0.1), Math.log(10)),
      q: Float64Array.of(100, 1.1),
      base: 0,
      qNothing: 0,
    };
    expect(chosen('top-k', values, 2, 1).slate).toEqual([1]);
  });

  it('greedy is exact for a one-item slate (it agrees with optimal), and top-k, a heuristic, can differ from both', () => {
    const rng = new Rng('k1');
    let differs = 0;
    for (let trial = 0; trial < 300; trial++) {
      const values = randomRow(rng, MODELS[trial % MODELS.length], 7);
      const [topK, greedyItem, optimalItem] = (['top-k', 'greedy', 'optimal'] as const).map(
        (rule) => chosen(rule, values, 7, 1).slate[0],
      );
      expect(greedyItem).toBe(optimalItem);
      if (topK !== optimalItem) differs++;
    }
    expect(differs).toBeGreaterThan(0);
  });

  it('gives a valid slate (K distinct candidates) even from values that are not numbers (a diverged network)', () => {
    for (const rule of ['top-k', 'greedy', 'optimal'] as const) {
      const scratch = new SelectionScratch(5, 2);
      // A row of real values first, so that stale scratch would show.
      const out = new Int32Array(2);
      selectSlate(
        rule,
        { model: MODELS[0], scores: new Float64Array(5), q: Float64Array.of(0, 0, 0, 5, 9), base: 0, qNothing: 0 },
        5,
        2,
        out,
        0,
        scratch,
      );
      selectSlate(
        rule,
        {
          model: MODELS[0],
          scores: new Float64Array(5),
          q: new Float64Array(5).fill(Number.NaN),
          base: 0,
          qNothing: 0,
        },
        5,
        2,
        out,
        0,
        scratch,
      );
      expect(out[0]).not.toBe(out[1]);
      for (const candidate of out) expect(candidate >= 0 && candidate < 5).toBe(true);
    }
  });

  it('computes a slate value as the model weighs it, no-click term included', () => {
    const values: RowValues = {
      model: multinomialLogit({ noClickLogit: 0 }),
      scores: Float64Array.of(0, Math.log(2), 0),
      q: Float64Array.of(3, 6, 100),
      base: 0,
      qNothing: -1,
    };
    // exp scores 1 and 2 against 1 for no click: P = 1/4, 2/4, 1/4.
    expect(slateValue(values, Int32Array.of(0, 1), 2, new SelectionScratch(3, 2))).toBeCloseTo(
      3 / 4 + 12 / 4 - 1 / 4,
      12,
    );
  });
});
