import { describe, expect, it } from 'vitest';
import {
  CandidateScorer,
  gatherAffinities,
  singleItemClickProbabilities,
  SparseItemTable,
  sparseAffinities,
} from '../../policies/candidate-scores.ts';
import { policies } from '../../policies/index.ts';
import { topKByScore } from '../../policies/slate.ts';
import {
  exponentialCascade,
  multinomialLogit,
  multinomialProportional,
  positionBased,
  proportionalCascade,
  type ChoiceModel,
} from '../../sim/choice.ts';
import type { Env, Observation, WorldSpec } from '../../sim/env.ts';
import { defaultParams } from '../../sim/params.ts';
import { worlds } from '../../sim/presets/index.ts';
import { Rng } from '../../sim/rng.ts';
import type { PolicyDefinition } from '../../policies/policy.ts';

const seed = { experiment: 0, run: 0 };

function makeEnv(preset: string, batchSize: number, params: Record<string, unknown> = {}): Env {
  const world = worlds[preset];
  return world.create({ ...defaultParams(world.params), ...params }, { seed, batchSize });
}

/** The affinities the obvious way: one candidate at a time, d = 0, 1, ... (NaN for masked rows). */
function naiveAffinities(observation: Observation, spec: WorldSpec): Float64Array {
  const { batchSize: b, numCandidates: n, userFeatureDim: u, itemFeatureDim: d, affinityDim: a } = spec;
  const out = new Float64Array(b * n).fill(Number.NaN);
  for (let row = 0; row < b; row++) {
    if (observation.active[row] === 0) continue;
    for (let c = 0; c < n; c++) {
      const item = observation.candidateItems[row * n + c];
      let sum = 0;
      for (let j = 0; j < a; j++) sum += observation.userFeatures[row * u + j] * observation.itemFeatures[item * d + j];
      out[row * n + c] = sum;
    }
  }
  return out;
}

/**
 * greedy-pctr by the book: each candidate's probabilities over a one-post slate, then a full sort, ties to the lower
 * index.
 */
function naiveGreedySlates(observation: Observation, spec: WorldSpec): Int32Array {
  const { batchSize: b, numCandidates: n, slateSize: k } = spec;
  const affinities = naiveAffinities(observation, spec);
  const slates = new Int32Array(b * k).fill(-5);
  const probabilities = new Float64Array(2);
  for (let row = 0; row < b; row++) {
    if (observation.active[row] === 0) continue;
    const pctr = Array.from({ length: n }, (_, c) => {
      spec.choiceModel.probabilities(Float64Array.of(affinities[row * n + c]), 1, probabilities);
      return probabilities[0];
    });
    const order = Array.from({ length: n }, (_, c) => c).sort((x, y) =>
      pctr[y] > pctr[x] ? 1 : pctr[y] < pctr[x] ? -1 : x - y,
    );
    for (let slot = 0; slot < k; slot++) slates[row * k + slot] = order[slot];
  }
  return slates;
}

/** Bit-for-bit equality of two double arrays (NaN equals NaN, -0 differs from +0), naming the first difference. */
function expectSameBits(actual: Float64Array, expected: Float64Array, what: string): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i]))
      expect.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}

/**
 * Steps `env` for `steps` batches with the slates `decide` returns, calling `check` on every
 * observation first. Rows restart as they finish, except every third row of the batch, which is
 * masked once its episode ends; row 1 is masked from the start, row 4 from step 10 (mid-episode).
 */
function drive(
  env: Env,
  steps: number,
  decide: (observation: Observation) => Int32Array,
  check: (observation: Observation) => void,
): void {
  const b = env.spec.batchSize;
  let episode = 0;
  for (let row = 0; row < b; row++) env.resetRow(row, episode++);
  env.clearRow(1);
  for (let step = 0; step < steps; step++) {
    if (step === 10) env.clearRow(4);
    check(env.observation);
    const result = env.step(decide(env.observation));
    for (let row = 0; row < b; row++) {
      if (result.done[row] !== 1) continue;
      if (row % 3 === 2) env.clearRow(row);
      else env.resetRow(row, episode++);
    }
  }
}

function countMasked(observation: Observation): number {
  return observation.active.reduce((count, a) => count + (a === 0 ? 1 : 0), 0);
}

const affinityWorlds: [string, string, Record<string, unknown>][] = [
  ['feed (history features, sparse catalog)', 'feed', {}],
  ['feed (true interests)', 'feed', { observability: 'full' }],
  ['recsim-interest-evolution (fresh documents)', 'recsim-interest-evolution', {}],
  ['bandit (dense catalog)', 'bandit', { catalog: 200, candidates: 19 }],
];

describe('batched affinities', () => {
  for (const [label, preset, params] of affinityWorlds) {
    it(`equal the naive per-candidate loop exactly, masked rows untouched: ${label}`, () => {
      const env = makeEnv(preset, 24, params);
      const { spec } = env;
      const size = spec.batchSize * spec.numCandidates;
      const scorer = new CandidateScorer(spec, spec.choiceModel);
      const dense = new Float64Array(size);
      const userRow = new Float64Array(spec.affinityDim);
      const sparseTable = new SparseItemTable(env.observation.itemFeatures, spec.itemFeatureDim, spec.affinityDim);
      const sparse = new Float64Array(size);
      const random = new Rng(`batched/${label}`);
      const slates = new Int32Array(spec.batchSize * spec.slateSize);
      let masked = 0;
      let nonzero = 0;
      drive(
        env,
        120,
        (observation) => {
          for (let row = 0; row < spec.batchSize; row++) {
            if (observation.active[row] === 1)
              random.sampleDistinct(spec.numCandidates, spec.slateSize, slates, row * spec.slateSize);
          }
          return slates;
        },
        (observation) => {
          const expected = naiveAffinities(observation, spec);
          const before = Float64Array.from(scorer.affinities);
          dense.fill(Number.NaN);
          gatherAffinities(observation, spec, dense, userRow);
          expectSameBits(dense, expected, 'gatherAffinities');
          const scored = scorer.gatherAffinities(observation);
          for (let row = 0; row < spec.batchSize; row++) {
            const range = [row * spec.numCandidates, (row + 1) * spec.numCandidates] as const;
            if (observation.active[row] === 1)
              expectSameBits(scored.subarray(...range), expected.subarray(...range), `CandidateScorer row ${row}`);
            else
              expectSameBits(scored.subarray(...range), before.subarray(...range), `CandidateScorer masked row ${row}`);
          }
          if (spec.catalogSize > 0) {
            sparse.fill(Number.NaN);
            sparseAffinities(observation, spec, sparseTable, sparse, userRow);
            expectSameBits(sparse, expected, 'sparseAffinities');
          }
          masked += countMasked(observation);
          for (const value of expected) if (value !== 0 && !Number.isNaN(value)) nonzero++;
        },
      );
      expect(masked).toBeGreaterThanOrEqual(120 + 110); // row 1 all along, row 4 from step 10, and rows masked as they end
      expect(nonzero).toBeGreaterThan(1000); // real affinities, not only the zeros of empty histories
    });
  }

  it('the feed catalog is scored through its sparse copy, the bandit catalog densely', () => {
    const feed = makeEnv('feed', 2);
    expect(new CandidateScorer(feed.spec).sparseTableFor(feed.observation.itemFeatures)?.width).toBe(2); // one or two topics per post
    const bandit = makeEnv('bandit', 2, { catalog: 200 });
    expect(new CandidateScorer(bandit.spec).sparseTableFor(bandit.observation.itemFeatures)).toBeNull();
    const recsim = makeEnv('recsim-interest-evolution', 2); // documents drawn every step: no fixed table
    expect(new CandidateScorer(recsim.spec).sparseTableFor(recsim.observation.itemFeatures)).toBeNull();
  });

  it('take the rows from the observation: a larger batch than the spec says grows the buffers; short buffers throw', () => {
    const env = makeEnv('feed', 8);
    for (let row = 0; row < 8; row++) env.resetRow(row, row);
    const { spec } = env;
    const scorer = new CandidateScorer({ ...spec, batchSize: 3 }, spec.choiceModel);
    expectSameBits(
      scorer.gatherAffinities(env.observation),
      naiveAffinities(env.observation, spec),
      'CandidateScorer, 8 rows',
    );
    expect(scorer.clickProbabilitiesOf(env.observation).length).toBe(8 * spec.numCandidates);
    const short = new Float64Array(7 * spec.numCandidates);
    expect(() => gatherAffinities(env.observation, spec, short, new Float64Array(spec.affinityDim))).toThrow(
      RangeError,
    );
    expect(() =>
      gatherAffinities(env.observation, spec, new Float64Array(8 * spec.numCandidates), new Float64Array(2)),
    ).toThrow(RangeError);
  });

  it('a non-finite user feature gives the dense sum (NaN where x * 0 is NaN), not a sparse shortcut', () => {
    const env = makeEnv('feed', 4, { observability: 'full' });
    for (let row = 0; row < 4; row++) env.resetRow(row, row);
    const { spec } = env;
    const userFeatures = Float32Array.from(env.observation.userFeatures);
    userFeatures[0] = Number.POSITIVE_INFINITY; // row 0, topic 0
    userFeatures[spec.userFeatureDim + 3] = Number.NaN; // row 1, topic 3
    const observation = { ...env.observation, userFeatures };
    const expected = naiveAffinities(observation, spec);
    expect(expected.subarray(0, 2 * spec.numCandidates).some(Number.isNaN)).toBe(true);
    expect(expected.subarray(0, 2 * spec.numCandidates).every((value) => !Number.isFinite(value))).toBe(true);
    const table = new SparseItemTable(observation.itemFeatures, spec.itemFeatureDim, spec.affinityDim);
    const out = new Float64Array(expected.length);
    sparseAffinities(observation, spec, table, out, new Float64Array(spec.affinityDim));
    expectSameBits(out, expected, 'sparseAffinities');
    expectSameBits(new CandidateScorer(spec).gatherAffinities(observation), expected, 'CandidateScorer');
  });
});

describe('batched single-item click probabilities', () => {
  /** The model with only the slate form, as a model from before clickProbabilityAlone. */
  const slateFormOnly = (model: ChoiceModel): ChoiceModel => ({
    name: `${model.name} (slate form only)`,
    singleChoice: model.singleChoice,
    probabilities: model.probabilities,
    sample: model.sample,
  });
  /** A model, the lowest score it accepts (down to -1), and whether it gives -0 for score -0 but +0 for +0. */
  const models: { model: ChoiceModel; lowest: number; signedZeros?: boolean }[] = [
    { model: positionBased({ examinationDecay: 0.8, scoreScaling: 3, bias: -1 }), lowest: -1 },
    { model: multinomialLogit({ noClickLogit: 1 }), lowest: -1 },
    { model: multinomialProportional({ minNormalizer: -2, noClickMass: 1 }), lowest: -1 },
    // A reused value must be the same double: -0 is not +0.
    { model: multinomialProportional({ minNormalizer: 0, noClickMass: 1 }), lowest: 0, signedZeros: true },
    { model: proportionalCascade({ attentionProbability: 0.65, scoreScaling: 0.2, minNormalizer: -2 }), lowest: -1 },
    { model: exponentialCascade({ attentionProbability: 0.65, scoreScaling: 0.05 }), lowest: -1 },
  ];
  /** A double as written, -0 included. */
  const show = (x: number) => (Object.is(x, -0) ? '-0' : String(x));
  // Scores repeat as the feed's affinities do (few distinct values per row, many exact zeros), so
  // that probabilities are reused: 0 and -0 (told apart), NaN, a few values; the rest distinct.
  const REPEATED = [0, -0, Number.NaN, 0.125, 0.375, 0.75, 0.5];
  for (const { model, lowest, signedZeros } of [
    ...models,
    ...models.map((c) => ({ ...c, model: slateFormOnly(c.model) })),
  ]) {
    it(`are the model's own one-post probabilities, the same doubles, masked rows untouched: ${model.name}`, () => {
      const rows = 9;
      const n = 13;
      const random = new Rng(`pctr/${model.name}`);
      const scores = Float64Array.from({ length: rows * n }, () =>
        random.bernoulli(0.7) ? REPEATED[random.int(REPEATED.length)] : random.range(lowest, 1),
      );
      // Row 0 masked: the first computed probability is row 1's.
      const active = Uint8Array.from({ length: rows }, (_, row) => (row === 0 || row === 2 || row === 5 ? 0 : 1));
      const out = new Float64Array(rows * n).fill(-3);
      singleItemClickProbabilities(model, scores, active, n, out, new Float64Array(1), new Float64Array(2));
      const probabilities = new Float64Array(2);
      let negativeZeros = 0;
      for (let i = 0; i < rows * n; i++) {
        model.probabilities(Float64Array.of(scores[i]), 1, probabilities);
        const expected = active[Math.floor(i / n)] === 1 ? probabilities[0] : -3;
        if (!Object.is(out[i], expected))
          expect.fail(`candidate ${i} (score ${show(scores[i])}): ${show(out[i])}, expected ${show(expected)}`);
        if (Object.is(expected, -0)) negativeZeros++;
      }
      // Both -0 and +0 came up, so a reuse that took one for the other would have failed above.
      if (signedZeros) expect(negativeZeros).toBeGreaterThan(0);
      const untouched = new Float64Array(rows * n).fill(-3);
      singleItemClickProbabilities(
        model,
        scores,
        new Uint8Array(rows),
        n,
        untouched,
        new Float64Array(1),
        new Float64Array(2),
      );
      expect(untouched.every((value) => value === -3)).toBe(true);
    });
  }

  it('throw the error the model throws for the first bad active score, after reused values', () => {
    const model = multinomialProportional({ minNormalizer: 0, noClickMass: 1 });
    const scores = Float64Array.of(0.5, 0.5, 0, -0, 0.5, -0.25, 0.5);
    const out = new Float64Array(scores.length);
    expect(() =>
      singleItemClickProbabilities(
        model,
        scores,
        Uint8Array.of(1),
        scores.length,
        out,
        new Float64Array(1),
        new Float64Array(2),
      ),
    ).toThrow(/score -0.25 is below minNormalizer 0/);
  });
});

describe('topKByScore at feed size (N = 50, K = 10)', () => {
  it('is a full sort, best first, ties to the lower index', () => {
    const random = new Rng('topk-50-10');
    const rows = 300;
    const n = 50;
    const k = 10;
    // Few distinct values, so that ties (inside the top K and across its edge) are common.
    const scores = Float64Array.from({ length: rows * n }, () => random.int(9) / 8);
    const slates = new Int32Array(rows * k);
    topKByScore(scores, new Uint8Array(rows).fill(1), n, k, slates);
    for (let row = 0; row < rows; row++) {
      const expected = Array.from({ length: n }, (_, c) => c)
        .sort((x, y) => scores[row * n + y] - scores[row * n + x] || x - y)
        .slice(0, k);
      expect(Array.from(slates.subarray(row * k, (row + 1) * k))).toEqual(expected);
    }
  });
});

interface GreedyCase {
  readonly label: string;
  readonly preset: string;
  readonly params?: Record<string, unknown>;
  readonly steps: number;
  /** Whether rows with equal click probabilities occur (then ties to the lower index are exercised). */
  readonly ties: boolean;
  /** A choice model to assume instead of the world's. */
  readonly model?: ChoiceModel;
}

const greedyCases: GreedyCase[] = [
  { label: 'feed', preset: 'feed', steps: 200, ties: true },
  { label: 'feed (true interests)', preset: 'feed', params: { observability: 'full' }, steps: 120, ties: true },
  { label: 'recsim-interest-evolution', preset: 'recsim-interest-evolution', steps: 200, ties: true },
  ...(['multinomial-logit', 'cascade', 'exponential-cascade'] as const).map((choiceModel) => ({
    label: `recsim-interest-evolution (${choiceModel})`,
    preset: 'recsim-interest-evolution',
    params: { choiceModel },
    steps: 120,
    ties: true,
  })),
  {
    label: 'bandit (dense catalog)',
    preset: 'bandit',
    params: { catalog: 200, candidates: 19 },
    steps: 120,
    ties: false,
  },
  // The ranking is by the click probability, not the affinity: a model that falls with the
  // affinity, and one that saturates (distinct affinities, equal probabilities: ties to the lower index).
  {
    label: 'feed, a model falling with the affinity',
    preset: 'feed',
    params: { observability: 'full' },
    steps: 60,
    ties: true,
    model: positionBased({ examinationDecay: 1, scoreScaling: -4, bias: 0 }),
  },
  {
    label: 'feed, a saturating model',
    preset: 'feed',
    params: { observability: 'full' },
    steps: 60,
    ties: true,
    model: positionBased({ examinationDecay: 1, scoreScaling: 400, bias: 0 }),
  },
];

describe('greedy-pctr on the candidate scores', () => {
  for (const { label, preset, params, steps, ties, model } of greedyCases) {
    it(`gives the naive reference's slates on every observation, masked rows untouched: ${label}`, () => {
      const env = makeEnv(preset, 32, params);
      const spec = model ? { ...env.spec, choiceModel: model } : env.spec;
      const definition = policies['greedy-pctr'];
      const policy = (definition as PolicyDefinition).create(defaultParams(definition.params), { spec });
      const rngs = Array.from({ length: spec.batchSize }, (_, row) => new Rng(`greedy/${row}`));
      const slates = new Int32Array(spec.batchSize * spec.slateSize);
      let compared = 0;
      let masked = 0;
      let tied = 0;
      drive(
        env,
        steps,
        (observation) => {
          const expected = naiveGreedySlates(observation, spec);
          slates.fill(-5); // what masked rows must keep
          policy.act(observation, rngs, slates);
          expect(Array.from(slates)).toEqual(Array.from(expected));
          compared += spec.batchSize - countMasked(observation);
          masked += countMasked(observation);
          return slates;
        },
        (observation) => {
          // Ties to the lower index must be exercised: rows with two equal click probabilities.
          const affinities = naiveAffinities(observation, spec);
          const probabilities = new Float64Array(2);
          for (let row = 0; row < spec.batchSize; row++) {
            if (observation.active[row] === 0) continue;
            const values = new Set(
              Array.from(affinities.subarray(row * spec.numCandidates, (row + 1) * spec.numCandidates), (affinity) => {
                spec.choiceModel.probabilities(Float64Array.of(affinity), 1, probabilities);
                return probabilities[0];
              }),
            );
            if (values.size < spec.numCandidates) tied++;
          }
        },
      );
      expect(compared).toBeGreaterThan(steps * 10);
      expect(masked).toBeGreaterThanOrEqual(2 * steps - 10); // row 1 all along, row 4 from step 10, and rows masked as they end
      if (ties) expect(tied).toBeGreaterThan(0);
    });
  }
});
