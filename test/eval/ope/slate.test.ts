// Slate off-policy estimators (eval/ope/slate.ts) where the truth is known in closed form: 4 items,
// pages of 2 slots (12 ordered pages), Plackett-Luce logging and target policies, and three ways a
// page's reward can arise. Every estimator here is linear in (reward, model): its exact expectation
// under the logging policy is the estimator on a log holding every page once, its rewards (and
// model values) scaled by 12 x the page's logging probability.
import { describe, expect, it } from 'vitest';
import {
  cascadeDr,
  independentDr,
  independentIps,
  independentSndr,
  pseudoInverse,
  pseudoInverseIps,
  rewardInteractionIps,
  type SlateLog,
  slateGamma,
  slateDm,
  slateIps,
  type SlateTarget,
} from '../../../eval/ope/slate.ts';
import { dr, drOs, shrinkWeight, sndr, switchDr, switchWeight } from '../../../eval/ope/single-action.ts';
import { Rng } from '../../../sim/rng.ts';

const ITEMS = 4;
const SLOTS = 2;
const PAGES: number[][] = [];
for (let a = 0; a < ITEMS; a++) for (let b = 0; b < ITEMS; b++) if (a !== b) PAGES.push([a, b]);

/** A Plackett-Luce policy over the items' scores: page probability, slot marginals, prefix probabilities. */
function plackettLuce(scores: number[]) {
  const e = scores.map(Math.exp);
  const total = e.reduce((x, y) => x + y, 0);
  const first = (a: number) => e[a] / total;
  const page = ([a, b]: number[]) => first(a) * (e[b] / (total - e[a]));
  const marginal = (slot: number, item: number) =>
    slot === 0 ? first(item) : PAGES.filter((p) => p[1] === item).reduce((s, p) => s + page(p), 0);
  return { page, marginal, prefix: (p: number[], slot: number) => (slot === 0 ? first(p[0]) : page(p)) };
}
const logging = plackettLuce([0.2, -0.4, 0.5, 0]);
const target = plackettLuce([1.5, 0.3, -1, 0.8]);

const phi = [
  [1.0, 0.4, 0.7, 0.2],
  [0.6, 0.3, 0.5, 0.1],
];
/** Expected slot rewards of a page, three ways. */
const REWARDS = {
  // Each slot's reward is its own (slot, item) term.
  additive: (p: number[]) => [phi[0][p[0]], phi[1][p[1]]],
  // A cascade: the second slot's reward halves after item 0 above it (satiation).
  cascade: (p: number[]) => [phi[0][p[0]], phi[1][p[1]] * (p[0] === 0 ? 0.5 : 1)],
  // The first slot's reward depends on what is below it: not a cascade.
  interacting: (p: number[]) => [phi[0][p[0]] * (p[1] === 3 ? 2 : 1), phi[1][p[1]]],
} as const;
type RewardKind = keyof typeof REWARDS;

const truthOf = (kind: RewardKind) =>
  PAGES.reduce((v, p) => v + target.page(p) * REWARDS[kind](p).reduce((a, b) => a + b, 0), 0);

/** The exact log of every page, scaled by 12 x its logging probability, and the target's probabilities of it. */
function exactLog(kind: RewardKind): { log: SlateLog; target: SlateTarget; scale: number[] } {
  const n = PAGES.length;
  const slotReward = new Float64Array(n * SLOTS);
  const slotPscore = new Float64Array(n * SLOTS);
  const prefixPscore = new Float64Array(n * SLOTS);
  const slotProb = new Float64Array(n * SLOTS);
  const prefixProb = new Float64Array(n * SLOTS);
  const scale = PAGES.map((p) => n * logging.page(p));
  PAGES.forEach((p, i) => {
    const rewards = REWARDS[kind](p);
    for (let s = 0; s < SLOTS; s++) {
      slotReward[i * SLOTS + s] = scale[i] * rewards[s];
      slotPscore[i * SLOTS + s] = logging.marginal(s, p[s]);
      prefixPscore[i * SLOTS + s] = logging.prefix(p, s);
      slotProb[i * SLOTS + s] = target.marginal(s, p[s]);
      prefixProb[i * SLOTS + s] = target.prefix(p, s);
    }
  });
  return { log: { slots: SLOTS, slotReward, slotPscore, prefixPscore }, target: { slotProb, prefixProb }, scale };
}

/** Cascade-DR's model inputs from a model of slot rewards (the right one or a wrong one), scaled as the log is. */
function cascadeModel(model: (p: number[]) => number[], scale: number[]) {
  const qLogged = new Float64Array(PAGES.length * SLOTS);
  const qTarget = new Float64Array(PAGES.length * SLOTS);
  PAGES.forEach((p, i) => {
    for (let s = 0; s < SLOTS; s++) {
      qLogged[i * SLOTS + s] = scale[i] * model(p)[s];
      // E over the target's item for slot s after the logged page's first s items.
      const options = PAGES.filter((o) => s === 0 || o[0] === p[0]);
      const given = options.reduce(
        (t, o) => t + (s === 0 ? target.marginal(0, o[0]) / (ITEMS - 1) : target.page(o)),
        0,
      );
      let expected = 0;
      for (const o of options) {
        const prob = s === 0 ? target.marginal(0, o[0]) / (ITEMS - 1) : target.page(o);
        expected += (prob / given) * model(o)[s];
      }
      qTarget[i * SLOTS + s] = scale[i] * expected;
    }
  });
  return { qLogged, qTarget };
}

/** The pseudo-inverse estimator's pages: the logging Gamma over all pages, the target's marginals. */
function pseudoInversePages(kind: RewardKind, scale: number[]) {
  const gammaPinv = pseudoInverse(
    slateGamma(
      ITEMS,
      SLOTS,
      PAGES.map((page) => ({ page, prob: logging.page(page) })),
    ),
    ITEMS * SLOTS,
  );
  const targetMarginals = new Float64Array(ITEMS * SLOTS);
  for (let s = 0; s < SLOTS; s++)
    for (let j = 0; j < ITEMS; j++) targetMarginals[s * ITEMS + j] = target.marginal(s, j);
  return PAGES.map((page, i) => ({
    page,
    reward: scale[i] * REWARDS[kind](page).reduce((a, b) => a + b, 0),
    targetMarginals,
    gammaPinv,
  }));
}

/** A model that is wrong on purpose: every slot reward predicted 0.25 too high after item 1 in the first slot. */
const wrongModel = (kind: RewardKind) => (p: number[]) => REWARDS[kind](p).map((r) => (p[0] === 1 ? r + 0.25 : r));

// Unbiased: the exact expectation is the truth to rounding (the pseudo-inverse's SVD: to 1e-9).
// Biased: it is off by far more than rounding could make it (1e-4; the biases here are 0.009 to 0.14).
const EXACT = 1e-12;
const BIASED = 1e-4;

describe('slate estimators, in expectation (exact, by enumerating the 12 pages)', () => {
  it('the test world: logging and target probabilities are distributions, and they differ', () => {
    expect(PAGES.reduce((s, p) => s + logging.page(p), 0)).toBeCloseTo(1, 14);
    expect(PAGES.reduce((s, p) => s + target.page(p), 0)).toBeCloseTo(1, 14);
    for (let s = 0; s < SLOTS; s++)
      expect([0, 1, 2, 3].reduce((t, j) => t + target.marginal(s, j), 0)).toBeCloseTo(1, 14);
    expect(
      Math.abs(truthOf('additive') - PAGES.reduce((v, p) => v + logging.page(p) * REWARDS.additive(p)[0], 0)),
    ).toBeGreaterThan(0.05);
  });

  it('slate IPS is unbiased whatever the reward', () => {
    for (const kind of ['additive', 'cascade', 'interacting'] as const) {
      const { log, target: t } = exactLog(kind);
      expect(Math.abs(slateIps(log, t).value - truthOf(kind))).toBeLessThan(EXACT);
    }
  });

  it('independent IPS is unbiased when slots do not interact, biased when they do (a cascade, or a slot reading the one below)', () => {
    const additive = exactLog('additive');
    expect(Math.abs(independentIps(additive.log, additive.target).value - truthOf('additive'))).toBeLessThan(EXACT);
    for (const kind of ['cascade', 'interacting'] as const) {
      const { log, target: t } = exactLog(kind);
      expect(Math.abs(independentIps(log, t).value - truthOf(kind))).toBeGreaterThan(BIASED);
    }
  });

  it('RIPS and Cascade-DR are unbiased under a cascade (Cascade-DR with a wrong model too), biased when a slot reads the one below', () => {
    for (const kind of ['additive', 'cascade'] as const) {
      const { log, target: t, scale } = exactLog(kind);
      expect(Math.abs(rewardInteractionIps(log, t).value - truthOf(kind))).toBeLessThan(EXACT);
      for (const model of [REWARDS[kind], wrongModel(kind)]) {
        const { qLogged, qTarget } = cascadeModel(model, scale);
        expect(Math.abs(cascadeDr(log, t, qLogged, qTarget).value - truthOf(kind))).toBeLessThan(EXACT);
      }
    }
    const { log, target: t, scale } = exactLog('interacting');
    expect(Math.abs(rewardInteractionIps(log, t).value - truthOf('interacting'))).toBeGreaterThan(BIASED);
    const { qLogged, qTarget } = cascadeModel(wrongModel('interacting'), scale);
    expect(Math.abs(cascadeDr(log, t, qLogged, qTarget).value - truthOf('interacting'))).toBeGreaterThan(BIASED);
  });

  it('independent DR is unbiased when slots do not interact, whatever its per-slot model; slate DM only with the right model', () => {
    // Per-slot models: the right one, and one 0.2 too high for item 2 in either slot.
    const right = (s: number, j: number) => phi[s][j];
    const wrong = (s: number, j: number) => phi[s][j] + (j === 2 ? 0.2 : 0);
    const inputs = (model: (s: number, j: number) => number, scale: number[]) => {
      const qLogged = new Float64Array(PAGES.length * SLOTS);
      const qTarget = new Float64Array(PAGES.length * SLOTS);
      PAGES.forEach((p, i) => {
        for (let s = 0; s < SLOTS; s++) {
          qLogged[i * SLOTS + s] = scale[i] * model(s, p[s]);
          let expected = 0;
          for (let j = 0; j < ITEMS; j++) expected += target.marginal(s, j) * model(s, j);
          qTarget[i * SLOTS + s] = scale[i] * expected;
        }
      });
      return { qLogged, qTarget };
    };
    const { log, target: t, scale } = exactLog('additive');
    for (const model of [right, wrong]) {
      const { qLogged, qTarget } = inputs(model, scale);
      expect(Math.abs(independentDr(log, t, qLogged, qTarget).value - truthOf('additive'))).toBeLessThan(EXACT);
    }
    expect(Math.abs(slateDm(log, t, inputs(right, scale).qTarget).value - truthOf('additive'))).toBeLessThan(EXACT);
    expect(Math.abs(slateDm(log, t, inputs(wrong, scale).qTarget).value - truthOf('additive'))).toBeGreaterThan(BIASED);
    const interacting = exactLog('interacting');
    const { qLogged, qTarget } = inputs(wrong, interacting.scale);
    expect(
      Math.abs(independentDr(interacting.log, interacting.target, qLogged, qTarget).value - truthOf('interacting')),
    ).toBeGreaterThan(BIASED);
  });

  it('the pseudo-inverse estimator is unbiased when slot rewards add up, biased when they do not', () => {
    const additive = exactLog('additive');
    expect(
      Math.abs(
        pseudoInverseIps(ITEMS, SLOTS, pseudoInversePages('additive', additive.scale)).value - truthOf('additive'),
      ),
    ).toBeLessThan(1e-9);
    for (const kind of ['cascade', 'interacting'] as const) {
      const { scale } = exactLog(kind);
      expect(
        Math.abs(pseudoInverseIps(ITEMS, SLOTS, pseudoInversePages(kind, scale)).value - truthOf(kind)),
      ).toBeGreaterThan(BIASED);
    }
  });

  it("per-slot estimators' weights are far closer to 1 than the whole page's: a larger effective sample size", () => {
    // The unscaled log: every page once, as if logged uniformly, so the ESS compares the weights alone.
    const { log, target: t } = exactLog('additive');
    expect(independentIps(log, t).ess).toBeGreaterThan(slateIps(log, t).ess);
  });

  it('refuses a log it cannot use, naming the page and slot', () => {
    const { log, target: t } = exactLog('additive');
    const broken = { ...log, prefixPscore: log.prefixPscore.map((p, i) => (i === 5 ? 0 : p)) };
    expect(() => slateIps(broken, t)).toThrow(
      'slate log: page 2 slot 1 has a probability <= 0 under the logging policy',
    );
  });
});

describe('per-slot doubly robust estimators on pages of one slot are the single-action ones', () => {
  it('independent DR, SNDR, Switch-DR and DR-os equal dr, sndr, switchDr and drOs (seeded random data, a deterministic target)', () => {
    const rng = new Rng('ope/one-slot');
    const n = 400;
    const actions = 5;
    const action = new Int32Array(n);
    const reward = new Float64Array(n);
    const pscore = new Float64Array(n);
    const dist = new Float64Array(n * actions);
    const q = new Float64Array(n * actions);
    const targetAction = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      action[i] = rng.int(actions);
      pscore[i] = 0.1 + 0.8 * rng.uniform();
      reward[i] = rng.uniform() < 0.4 ? 1 : 0;
      targetAction[i] = rng.int(actions);
      dist[i * actions + targetAction[i]] = 1;
      for (let a = 0; a < actions; a++) q[i * actions + a] = rng.uniform();
    }
    const bandit = { actions, action, reward, pscore };
    const log: SlateLog = {
      slots: 1,
      slotReward: reward,
      slotPscore: pscore,
      prefixPscore: pscore,
    };
    const same = Float64Array.from(action, (a, i) => (a === targetAction[i] ? 1 : 0));
    const target: SlateTarget = { slotProb: same, prefixProb: same };
    const qLogged = Float64Array.from(action, (a, i) => q[i * actions + a]);
    const qTarget = Float64Array.from(targetAction, (a, i) => q[i * actions + a]);
    expect(independentDr(log, target, qLogged, qTarget).value).toBeCloseTo(dr(bandit, dist, q).value, 12);
    expect(independentSndr(log, target, qLogged, qTarget).value).toBeCloseTo(sndr(bandit, dist, q).value, 12);
    for (const lambda of [1, 3, Infinity]) {
      expect(independentDr(log, target, qLogged, qTarget, switchWeight(lambda)).value).toBeCloseTo(
        switchDr(bandit, dist, q, lambda).value,
        12,
      );
      expect(independentDr(log, target, qLogged, qTarget, shrinkWeight(lambda)).value).toBeCloseTo(
        drOs(bandit, dist, q, lambda).value,
        12,
      );
    }
  });
});
