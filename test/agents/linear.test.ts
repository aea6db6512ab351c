// The hybrid linear model behind LinUCB and linear Thompson sampling (agents/bandits/linear.ts) is
// exact: Algorithm 2's incremental statistics (Li et al. 2010) give the ridge regression of the
// joint model click ~ e_k ([z, onehot(arm)] . w) with the penalty on every coordinate, and its UCB
// width is the joint quadratic form. The reference here solves the joint normal equations densely.
import { describe, expect, it } from 'vitest';
import type { Agent, Transition } from '../../agents/agent.ts';
import { FEATURE_MAPS, HybridLinearModel, type FeatureMap } from '../../agents/bandits/linear.ts';
import type { Observation, WorldSpec } from '../../sim/env.ts';
import { train } from '../../lab/loop/rollout.ts';
import { banditWorld, freshObservation, SEED } from './helpers.ts';

/** Relative tolerance of every comparison with the dense solution. */
const REL = 1e-8;
const RIDGE = 0.7;

/**
 * The shared features z(u, phi) as the parameter docs define them (outer: u_i phi_j at i * D + j), plus 1 without arms.
 */
function features(
  spec: WorldSpec,
  map: FeatureMap,
  intercept: boolean,
  observation: Observation,
  row: number,
  candidate: number,
): number[] {
  const { userFeatureDim: u, itemFeatureDim: d, numCandidates: n, affinityDim } = spec;
  const user = observation.userFeatures.subarray(row * u, (row + 1) * u);
  const item = observation.candidateItems[row * n + candidate];
  const phi = observation.itemFeatures.subarray(item * d, (item + 1) * d);
  const z: number[] = [];
  if (map === 'outer') for (let i = 0; i < u; i++) for (let j = 0; j < d; j++) z.push(user[i] * phi[j]);
  else if (map === 'product') for (let j = 0; j < affinityDim; j++) z.push(user[j] * phi[j]);
  else for (let j = 0; j < d; j++) z.push(phi[j]);
  if (intercept) z.push(1);
  return z;
}

/** The inverse of a dense symmetric positive definite matrix (Gauss-Jordan with partial pivoting). */
function inverse(m: number[][]): number[][] {
  const p = m.length;
  const a = m.map((row, i) => [...row, ...Array.from({ length: p }, (_, j) => (i === j ? 1 : 0))]);
  for (let col = 0; col < p; col++) {
    let pivot = col;
    for (let r = col + 1; r < p; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    const scale = a[col][col];
    for (let c = 0; c < 2 * p; c++) a[col][c] /= scale;
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const factor = a[r][col];
      if (factor !== 0) for (let c = 0; c < 2 * p; c++) a[r][c] -= factor * a[col][c];
    }
  }
  return a.map((row) => row.slice(p));
}

const matVec = (m: number[][], v: number[]) => m.map((row) => row.reduce((sum, x, j) => sum + x * v[j], 0));
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
};

/** The joint ridge regression, accumulated from the same transitions the model sees. */
class JointRidge {
  readonly a: number[][];
  readonly b: number[];
  constructor(
    readonly k: number,
    readonly arms: number,
    ridge: number,
  ) {
    const p = k + arms;
    this.a = Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => (i === j ? ridge : 0)));
    this.b = new Array(p).fill(0);
  }
  /** x = [z, onehot(arm)] (onehot only with arms). */
  joint(z: number[], arm: number): number[] {
    const x = [...z, ...new Array(this.arms).fill(0)];
    if (this.arms > 0) x[this.k + arm] = 1;
    return x;
  }
  add(z: number[], arm: number, examination: number, click: number): void {
    const x = this.joint(z, arm).map((v) => examination * v);
    for (let i = 0; i < x.length; i++) {
      for (let j = 0; j < x.length; j++) this.a[i][j] += x[i] * x[j];
      this.b[i] += click * x[i];
    }
  }
  solve(): { w: number[]; inverse: number[][] } {
    const inv = inverse(this.a);
    return { w: matVec(inv, this.b), inverse: inv };
  }
}

function expectVectorClose(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(REL * scale);
}

interface Case {
  readonly map: FeatureMap;
  readonly perArm: boolean;
}
const CASES: Case[] = FEATURE_MAPS.flatMap((map) => [true, false].map((perArm) => ({ map, perArm })));

/**
 * Feeds the model (and the dense reference) the transitions of a training run in a small catalog
 * world (6 arms, d = 2, 4 candidates, slates of 2, examinationDecay 0.8), random slates, batch 3,
 * 4 episodes of 60 steps: the fourth runs alone, so two rows are masked for its 60 rounds (and
 * must be ignored). The model refreshes once per round, as the agents do; `check` runs after the
 * refreshes of the rounds listed.
 */
function feed(
  c: Case,
  checkAfterRounds: number[],
  check: (model: HybridLinearModel, reference: JointRidge, round: number) => void,
): number {
  const env = banditWorld({ catalog: 6, dim: 2, candidates: 4, slateSize: 2, horizon: 60, examinationDecay: 0.8 }, 3);
  const { spec } = env;
  const model = new HybridLinearModel(spec, c.map, c.perArm, RIDGE);
  const reference = new JointRidge(model.k, c.perArm ? spec.armCount : 0, RIDGE);
  const examination = Array.from({ length: spec.slateSize }, (_, slot) => spec.choiceModel.examination!(slot));
  let shown = 0;
  const recorder: Agent = {
    act(observation, rowRngs, action) {
      for (let row = 0; row < observation.active.length; row++) {
        if (observation.active[row] === 1)
          rowRngs[row].sampleDistinct(spec.numCandidates, spec.slateSize, action.slates, row * spec.slateSize);
      }
    },
    observe(transition: Transition) {
      model.observe(transition);
      const { before, action, signals, episode } = transition;
      for (let row = 0; row < episode.length; row++) {
        if (episode[row] < 0) continue;
        for (let slot = 0; slot < spec.slateSize; slot++) {
          const candidate = action.slates[row * spec.slateSize + slot];
          const arm = before.candidateArms[row * spec.numCandidates + candidate];
          reference.add(
            features(spec, c.map, !c.perArm, before, row, candidate),
            arm,
            examination[slot],
            signals[row * spec.slateSize + slot],
          );
          shown++;
        }
      }
    },
    update(round) {
      model.refresh();
      if (checkAfterRounds.includes(round)) check(model, reference, round);
      return {};
    },
  };
  train(env, recorder, { seed: SEED, streamKey: 'linear-test', steps: Infinity, episodes: 4 });
  return shown;
}

describe('hybrid linear model (Li et al. 2010, Algorithm 2) is the joint ridge regression', () => {
  for (const c of CASES) {
    const label = `features: ${c.map}, perArm: ${c.perArm}`;

    it(`${label}: beta-hat and theta-hat_a equal the joint ridge solution (relative 1e-8), masked rows ignored`, () => {
      let checks = 0;
      const shown = feed(c, [0, 4, 59, 119], (model, reference) => {
        const { w } = reference.solve();
        expectVectorClose(model.beta, w.slice(0, model.k));
        if (c.perArm) {
          expect(model.arms).toBe(6);
          expectVectorClose(
            Array.from({ length: model.arms }, (_, arm) => model.theta(arm)),
            w.slice(model.k),
          );
        } else {
          expect(model.arms).toBe(0);
          expect(model.intercept).toBe(true);
          for (let arm = 0; arm < 6; arm++) expect(model.theta(arm)).toBe(0);
        }
        checks++;
      });
      expect(checks).toBe(4);
      // 3 rows x 60 rounds + 1 row x 60 rounds, 2 slots each.
      expect(shown).toBe(480);
    });

    it(`${label}: the UCB width varianceOf equals [z, e_a]^T A_joint^-1 [z, e_a] for fresh users (relative 1e-8)`, () => {
      let checked = 0;
      feed(c, [2, 119], (model, reference) => {
        const { inverse: aInverse } = reference.solve();
        const world = banditWorld({ catalog: 6, dim: 2, candidates: 4, slateSize: 2, examinationDecay: 0.8 }, 1);
        const { spec } = world;
        for (let user = 0; user < 5; user++) {
          const observation = freshObservation(world, 500 + user);
          model.prepareRow(observation, 0);
          const z = new Float64Array(model.k);
          for (let candidate = 0; candidate < spec.numCandidates; candidate++) {
            const arm = observation.candidateArms[candidate];
            const expectedZ = features(spec, c.map, !c.perArm, observation, 0, candidate);
            model.encode(observation, 0, candidate, z);
            expectVectorClose(z, expectedZ);
            const x = reference.joint(expectedZ, arm);
            const width = dot(x, matVec(aInverse, x));
            const actual = model.varianceOf(observation, 0, candidate, arm);
            expect(Math.abs(actual - width)).toBeLessThanOrEqual(REL * width);
            checked++;
          }
        }
      });
      expect(checked).toBe(2 * 5 * 4);
    });

    it(`${label}: scoreRow (arms cached two at a time) gives the same bonuses as the one-arm path; widths stay exact when an arm's candidates bring other features`, () => {
      let checked = 0;
      feed(c, [3, 119], (model, reference) => {
        const { w, inverse: aInverse } = reference.solve();
        const world = banditWorld({ catalog: 6, dim: 2, candidates: 4, slateSize: 2, examinationDecay: 0.8 }, 2);
        const { spec } = world;
        const n = spec.numCandidates;
        const observation = freshObservation(world, 700);
        const alpha = 0.9;
        // One arm at a time (scoreRow computes each arm's cache on first use)...
        const lazy = new Float64Array(2 * n);
        for (let row = 0; row < 2; row++) model.scoreRow(observation, row, true, alpha, lazy, row * n);
        const lazyBonuses = Float64Array.from(model.bonuses.subarray(0, 2 * n));
        // ...and, after a refresh of the same statistics, every arm of the round first, in pairs.
        model.refresh();
        model.prepareArms(observation);
        const paired = new Float64Array(2 * n);
        for (let row = 0; row < 2; row++) model.scoreRow(observation, row, true, alpha, paired, row * n);
        expect(Array.from(paired)).toEqual(Array.from(lazy));
        expect(Array.from(model.bonuses.subarray(0, 2 * n))).toEqual(Array.from(lazyBonuses));
        for (let row = 0; row < 2; row++) {
          for (let candidate = 0; candidate < n; candidate++) {
            const arm = observation.candidateArms[row * n + candidate];
            const x = reference.joint(features(spec, c.map, !c.perArm, observation, row, candidate), arm);
            const width = dot(x, matVec(aInverse, x));
            const bonus = model.bonuses[row * n + candidate];
            expect(Math.abs(bonus - alpha * Math.sqrt(width))).toBeLessThanOrEqual(REL * alpha * Math.sqrt(width));
            const mean = dot(x, w);
            expect(Math.abs(paired[row * n + candidate] - bonus - mean)).toBeLessThanOrEqual(
              REL * Math.max(1, Math.abs(mean)),
            );
          }
        }
        // Arms given features they do not have in the catalog: candidates alternate between arms 0
        // and 1, so each arm's cached cross term meets other features at every call.
        model.prepareRow(observation, 0);
        for (let round = 0; round < 2; round++) {
          for (let candidate = 0; candidate < n; candidate++) {
            const arm = model.arms > 0 ? (candidate + round) % 2 : 0;
            const x = reference.joint(features(spec, c.map, !c.perArm, observation, 0, candidate), arm);
            const width = dot(x, matVec(aInverse, x));
            expect(Math.abs(model.varianceOf(observation, 0, candidate, arm) - width)).toBeLessThanOrEqual(REL * width);
            checked++;
          }
        }
      });
      expect(checked).toBe(2 * 2 * 4);
    });
  }

  it('starts at the prior: beta-hat = 0, theta-hat = 0, width = |z|^2 / ridge + 1 / ridge', () => {
    const world = banditWorld({ catalog: 6, dim: 2, candidates: 4, slateSize: 2 }, 1);
    const model = new HybridLinearModel(world.spec, 'item', true, RIDGE);
    const observation = freshObservation(world, 0);
    model.prepareRow(observation, 0);
    const z = new Float64Array(model.k);
    expect(Array.from(model.beta)).toEqual([0, 0]);
    for (let candidate = 0; candidate < 4; candidate++) {
      const arm = observation.candidateArms[candidate];
      model.encode(observation, 0, candidate, z);
      expect(model.theta(arm)).toBe(0);
      expect(model.varianceOf(observation, 0, candidate, arm)).toBeCloseTo(dot(z, z) / RIDGE + 1 / RIDGE, 12);
    }
  });
});
