import { describe, expect, it } from 'vitest';
import {
  exponentialCascade,
  multinomialLogit,
  multinomialProportional,
  numpyChoice,
  positionBased,
  proportionalCascade,
  type ChoiceModel,
} from '../../sim/choice.ts';
import { Rng } from '../../sim/rng.ts';

// Every model is checked on the same 3-slot slate. Hand-computed probabilities (numpy, RecSim's
// formulas) are given to 12 digits; the sampling checks draw n = 100,000 slates per model and hold
// each outcome's count within Z sigma of its binomial mean. Z = 4.1 is the two-sided normal
// quantile at 0.001 / 24 (Bonferroni over the 6 x 4 outcomes tested in this file): the whole file
// has a 99.9% chance of passing with correct models.
const SCORES = Float64Array.of(0.5, -0.2, 0.9);
const K = 3;
const N = 100_000;
const Z = 4.1;

interface Case {
  readonly model: ChoiceModel;
  /** P(slot 0..K-1), then P(no click). */
  readonly expected: readonly number[];
  readonly description: string;
}

const cases: Case[] = [
  {
    model: multinomialLogit({ noClickLogit: 1 }),
    // softmax([0.5, -0.2, 0.9, 1])
    expected: [0.21565056956864168, 0.10708890360203444, 0.3217128457429066, 0.35554768108641727],
    description: 'multinomial logit: softmax over [scores, noClickLogit]',
  },
  {
    model: multinomialLogit({ noClickLogit: 1, scoreScaling: 2 }),
    // softmax([1, -0.4, 1.8, 1]): scaling applies to scores, not to the no-click logit
    expected: [0.2236067008782962, 0.05514073355358679, 0.49764586468982086, 0.2236067008782962],
    description: 'multinomial logit with score scaling 2',
  },
  {
    model: multinomialProportional({ minNormalizer: -1, noClickMass: 1 }),
    // [1.5, 0.8, 1.9, 2] / 6.2
    expected: [1.5 / 6.2, 0.8 / 6.2, 1.9 / 6.2, 2 / 6.2],
    description: 'multinomial proportional: (score - minNormalizer) against noClickMass - minNormalizer',
  },
  {
    model: proportionalCascade({ attentionProbability: 0.8, scoreScaling: 0.3, minNormalizer: -1 }),
    // c = 0.8 * 0.3 * [1.5, 0.8, 1.9] = [0.36, 0.192, 0.456]; p_i = prod_{j<i} (1 - c_j) c_i
    expected: [0.36, 0.64 * 0.192, 0.64 * 0.808 * 0.456, 0.64 * 0.808 * 0.544],
    description: 'proportional cascade: attention * scaling * (score - minNormalizer), top-down',
  },
  {
    model: exponentialCascade({ attentionProbability: 0.8, scoreScaling: 0.1 }),
    // c = 0.08 * exp(scores)
    expected: [0.13189770165601025, 0.05685936387775213, 0.15962685164138013, 0.6516160828248575],
    description: 'exponential cascade: attention * scaling * exp(score), top-down',
  },
  {
    model: positionBased({ examinationDecay: 1, scoreScaling: 2, bias: -1 }),
    // sigmoid(2 s - 1) / (i + 1); no click = prod (1 - p_i)
    expected: [0.5, 0.09890805572070913, 0.22999149370920416, 0.3469242310225829],
    description: 'position-based: independent 1/(i+1) * sigmoid(scale * score + bias)',
  },
];

describe('choice models: probabilities', () => {
  for (const { model, expected, description } of cases) {
    it(`matches hand-computed values: ${description}`, () => {
      const out = new Float64Array(K + 1);
      model.probabilities(SCORES, K, out);
      for (let i = 0; i <= K; i++) expect(out[i]).toBeCloseTo(expected[i], 12);
      if (model.singleChoice) expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    });
  }

  it('is invariant to adding a constant to every logit and the no-click logit (logit)', () => {
    const a = new Float64Array(K + 1);
    const b = new Float64Array(K + 1);
    multinomialLogit({ noClickLogit: 1 }).probabilities(SCORES, K, a);
    multinomialLogit({ noClickLogit: 801 }).probabilities(
      SCORES.map((s) => s + 800),
      K,
      b,
    );
    for (let i = 0; i <= K; i++) expect(b[i]).toBeCloseTo(a[i], 12);
  });
});

describe('choice models: sampling', () => {
  for (const { model, expected, description } of cases) {
    it(`draws each outcome with its probability (n = ${N}, ${Z} sigma): ${description}`, () => {
      const probs = new Float64Array(K + 1);
      model.probabilities(SCORES, K, probs);
      const clicks = new Uint8Array(K);
      const slotCounts = new Float64Array(K);
      let noClick = 0;
      let multiClick = 0;
      // Structural violations are counted, not asserted per draw (expect() is slow in a loop).
      let badReturns = 0;
      const rng = new Rng(`choice/${description}`);
      for (let draw = 0; draw < N; draw++) {
        const returned = model.sample(probs, K, rng, clicks);
        let count = 0;
        for (let i = 0; i < K; i++) {
          count += clicks[i];
          slotCounts[i] += clicks[i];
        }
        // Single choice returns the clicked slot (-1 for none); position-based the click count.
        const expectedReturn = model.singleChoice ? (count === 0 ? -1 : clicks.indexOf(1)) : count;
        if (returned !== expectedReturn) badReturns++;
        if (count === 0) noClick++;
        if (count > 1) multiClick++;
      }
      const within = (observed: number, p: number) =>
        expect(Math.abs(observed - N * p)).toBeLessThanOrEqual(Z * Math.sqrt(N * p * (1 - p)));
      for (let i = 0; i < K; i++) within(slotCounts[i], expected[i]);
      within(noClick, expected[K]);
      expect(badReturns).toBe(0);
      if (model.singleChoice) expect(multiClick).toBe(0);
      // Position-based clicks are independent: P(two or more) here is about 0.12.
      else expect(multiClick).toBeGreaterThan(0.1 * N);
    });
  }

  it('never clicks below the first click in a cascade (a sure click in slot 0 ends it)', () => {
    const model = proportionalCascade({ attentionProbability: 1, scoreScaling: 1, minNormalizer: -1 });
    const probs = new Float64Array(K + 1);
    model.probabilities(Float64Array.of(0, 0, 0), K, probs);
    expect(Array.from(probs)).toEqual([1, 0, 0, 0]);
    const clicks = new Uint8Array(K);
    const rng = new Rng('sure-cascade');
    for (let draw = 0; draw < 1000; draw++) {
      expect(model.sample(probs, K, rng, clicks)).toBe(0);
      expect(Array.from(clicks)).toEqual([1, 0, 0]);
    }
  });
});

describe('numpyChoice: numpy searchsorted(cdf, u, side="right")', () => {
  it('puts u exactly on a cdf boundary into the next outcome', () => {
    const probs = [0.25, 0.25, 0.5];
    expect(numpyChoice(probs, 3, 0)).toBe(0);
    expect(numpyChoice(probs, 3, 0.2499999)).toBe(0);
    expect(numpyChoice(probs, 3, 0.25)).toBe(1);
    expect(numpyChoice(probs, 3, 0.5)).toBe(2);
    expect(numpyChoice(probs, 3, 0.9999999)).toBe(2);
  });

  it('normalises by the cumulative sum, not by 1', () => {
    expect(numpyChoice([1, 1, 2], 3, 0.25)).toBe(1);
    expect(numpyChoice([1, 1, 2], 3, 0.49)).toBe(1);
  });

  it('reproduces floating-point cdf rounding: cumsum([0.1, 0.2, 0.7])[1] = 0.30000000000000004 > 0.3', () => {
    // numpy: np.searchsorted(np.cumsum([0.1, 0.2, 0.7]), 0.3, side='right') == 1
    expect(numpyChoice([0.1, 0.2, 0.7], 3, 0.3)).toBe(1);
  });

  it('never picks a zero-probability outcome, even with u on its boundary', () => {
    const probs = [0, 0.5, 0, 0.5];
    expect(numpyChoice(probs, 4, 0)).toBe(1);
    expect(numpyChoice(probs, 4, 0.5)).toBe(3);
  });

  it('only reads the first `count` entries and clamps to count - 1', () => {
    expect(numpyChoice([0.5, 0.5, 100], 2, 0.75)).toBe(1);
    expect(numpyChoice([0.5, 0.5], 2, 1)).toBe(1);
  });
});

describe('choice models: errors', () => {
  it('rejects a proportional score below minNormalizer with a RangeError that names the fix', () => {
    const model = multinomialProportional({ minNormalizer: -1, noClickMass: 1 });
    const out = new Float64Array(K + 1);
    expect(() => model.probabilities(Float64Array.of(0.5, -1.5, 0), K, out)).toThrow(RangeError);
    expect(() => model.probabilities(Float64Array.of(0.5, -1.5, 0), K, out)).toThrow(/lower minNormalizer/);
  });

  it('rejects a cascade whose scaling * score exceeds 1, naming the fix', () => {
    const out = new Float64Array(K + 1);
    const cascade = proportionalCascade({ attentionProbability: 0.5, scoreScaling: 0.6, minNormalizer: -1 });
    // 0.6 * (0.9 + 1) = 1.14 > 1
    expect(() => cascade.probabilities(SCORES, K, out)).toThrow(RangeError);
    expect(() => cascade.probabilities(SCORES, K, out)).toThrow(/lower scoreScaling/);
    const exponential = exponentialCascade({ attentionProbability: 0.5, scoreScaling: 0.5 });
    // 0.5 * exp(0.9) = 1.23 > 1
    expect(() => exponential.probabilities(SCORES, K, out)).toThrow(/lower scoreScaling/);
  });

  it('rejects a proportional cascade score below minNormalizer (a negative click probability)', () => {
    const cascade = proportionalCascade({ attentionProbability: 0.5, scoreScaling: 0.1, minNormalizer: 0 });
    expect(() => cascade.probabilities(Float64Array.of(-0.5), 1, new Float64Array(2))).toThrow(RangeError);
  });
});

describe('choice models: click probability alone', () => {
  // Every configuration the worlds build (feed, recsim-interest-evolution, long-term-satisfaction,
  // bandit) and a few edges: negative scaling, no examination decay, p(+0) != p(-0) (minNormalizer 0).
  const models: ChoiceModel[] = [
    multinomialLogit({ noClickLogit: 1 }),
    multinomialLogit({ noClickLogit: -3, scoreScaling: 2.5 }),
    multinomialLogit({ noClickLogit: 0, scoreScaling: -1 }),
    multinomialProportional({ minNormalizer: -1, noClickMass: 1 }),
    multinomialProportional({ minNormalizer: 0, noClickMass: 0.5 }),
    proportionalCascade({ attentionProbability: 0.65, scoreScaling: 0.05, minNormalizer: -1 }),
    proportionalCascade({ attentionProbability: 1, scoreScaling: 1, minNormalizer: -1 }),
    exponentialCascade({ attentionProbability: 0.65, scoreScaling: 0.05 }),
    exponentialCascade({ attentionProbability: 0.3, scoreScaling: 1e-300 }),
    positionBased({ examinationDecay: 0.6, scoreScaling: 3, bias: -1.5 }),
    positionBased({ examinationDecay: 0, scoreScaling: -4, bias: 0 }),
    positionBased({ examinationDecay: 2, scoreScaling: 400, bias: 0.25 }),
  ];
  // Exact zeros of both signs, the smallest and largest doubles, the infinities, NaN, and where
  // exp overflows (709.78) and underflows (-745.13).
  const EXTREMES = [
    0,
    -0,
    5e-324,
    -5e-324,
    1e-300,
    -1e-300,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    Infinity,
    -Infinity,
    Number.NaN,
    709.78,
    709.79,
    -745.13,
    -745.14,
    1,
    -1,
    0.5,
    -0.5,
  ];
  const DRAWS = 20_000;

  /** The value of `f`, or the message of the error it throws. */
  function outcome(f: () => number): { value: number } | { error: string } {
    try {
      return { value: f() };
    } catch (error) {
      return { error: `${(error as Error).name}: ${(error as Error).message}` };
    }
  }

  /** A double as written, -0 included. */
  const show = (x: number) => (Object.is(x, -0) ? '-0' : String(x));
  const showOutcome = (o: ReturnType<typeof outcome>) => ('value' in o ? show(o.value) : o.error);

  for (const model of models) {
    it(`is probabilities() on a one-post slate, the same double or the same error, over ${DRAWS} seeded scores and the extremes: ${model.name}`, () => {
      const alone = model.clickProbabilityAlone?.bind(model);
      expect(alone).toBeDefined();
      if (!alone) return;
      const random = new Rng(`click-alone/${model.name}`);
      // Half near the models' working range, half over 20 decades with either sign.
      const scores = [
        ...EXTREMES,
        ...Array.from({ length: DRAWS }, (_, i) =>
          i % 2 === 0 ? random.range(-3, 3) : (random.bernoulli(0.5) ? -1 : 1) * 10 ** random.range(-10, 10),
        ),
      ];
      const slate = new Float64Array(1);
      const out = new Float64Array(2);
      let values = 0;
      let errors = 0;
      for (const score of scores) {
        slate[0] = score;
        const expected = outcome(() => {
          model.probabilities(slate, 1, out);
          return out[0];
        });
        const actual = outcome(() => alone(score));
        // Object.is: the same double (NaN is NaN; +0 and -0 differ), which === would not tell.
        const same =
          'value' in expected
            ? 'value' in actual && Object.is(actual.value, expected.value)
            : 'error' in actual && actual.error === expected.error;
        if (!same)
          expect.fail(
            `score ${show(score)}: clickProbabilityAlone gives ${showOutcome(actual)}, probabilities ${showOutcome(expected)}`,
          );
        if ('value' in expected) values++;
        else errors++;
      }
      // Many scores give a probability, not an error (the cascades reject most of the wide half).
      expect(values).toBeGreaterThan(scores.length / 10);
      expect(values + errors).toBe(scores.length);
    });
  }

  it('throws what probabilities() throws first: the no-click check before the score check (proportional)', () => {
    const model = multinomialProportional({ minNormalizer: 1, noClickMass: 0.5 });
    const out = new Float64Array(2);
    for (const score of [0, 2]) {
      expect(() => model.probabilities(Float64Array.of(score), 1, out)).toThrow(/raise noClickMass/);
      expect(() => model.clickProbabilityAlone?.(score)).toThrow(/raise noClickMass/);
    }
  });
});
