// Single-action off-policy estimators (eval/ope/single-action.ts) where the truth is known in closed
// form: a contextual bandit of 3 contexts x 5 actions. The estimators that are means of per-round
// terms are linear in (reward, model): their exact expectation under the logging policy is the
// estimator on a log holding every (context, action) once, each scaled by n x its probability.
import { describe, expect, it } from 'vitest';
import {
  type BanditLog,
  dm,
  dr,
  drOs,
  importanceWeights,
  ips,
  sndr,
  snips,
  switchDr,
} from '../../../eval/ope/single-action.ts';
import { Rng } from '../../../sim/rng.ts';

const CONTEXTS = 3;
const ACTIONS = 5;
const contextProb = [0.5, 0.3, 0.2];
// Logging: a softmax with beta -1 over the expected rewards (it prefers poor actions, as OBP's beta -3 does).
const meanReward = [
  [0.1, 0.5, 0.3, 0.8, 0.2],
  [0.6, 0.1, 0.4, 0.2, 0.9],
  [0.3, 0.3, 0.7, 0.1, 0.5],
];
const softmax = (scores: number[]) => {
  const e = scores.map(Math.exp);
  const total = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / total);
};
const logging = meanReward.map((row) => softmax(row.map((r) => -1 * r)));
const target = meanReward.map((row) => softmax(row.map((r) => 4 * r)));
const truth = contextProb.reduce((v, p, x) => v + p * target[x].reduce((s, pi, a) => s + pi * meanReward[x][a], 0), 0);
/** A reward model that is wrong on purpose: every prediction 0.3 too high for actions 3 and 4. */
const wrongModel = meanReward.map((row) => row.map((r, a) => (a >= 3 ? r + 0.3 : r)));

/** A log of every (context, action) once, scaled so that its mean is the expectation under logging. */
function exactLog(model: number[][]): { log: BanditLog; dist: Float64Array; q: Float64Array } {
  const n = CONTEXTS * ACTIONS;
  const action = new Int32Array(n);
  const reward = new Float64Array(n);
  const pscore = new Float64Array(n);
  const dist = new Float64Array(n * ACTIONS);
  const q = new Float64Array(n * ACTIONS);
  for (let x = 0; x < CONTEXTS; x++)
    for (let a = 0; a < ACTIONS; a++) {
      const i = x * ACTIONS + a;
      const scale = n * contextProb[x] * logging[x][a];
      action[i] = a;
      pscore[i] = logging[x][a];
      reward[i] = scale * meanReward[x][a];
      for (let b = 0; b < ACTIONS; b++) {
        dist[i * ACTIONS + b] = target[x][b];
        q[i * ACTIONS + b] = scale * model[x][b];
      }
    }
  return { log: { actions: ACTIONS, action, reward, pscore }, dist, q };
}

/** n rounds drawn from the bandit: contexts, the logging policy's actions, Bernoulli rewards. */
function sampledLog(rng: Rng, n: number, model: number[][]) {
  const action = new Int32Array(n);
  const reward = new Float64Array(n);
  const pscore = new Float64Array(n);
  const dist = new Float64Array(n * ACTIONS);
  const q = new Float64Array(n * ACTIONS);
  const draw = (probs: number[]) => {
    let u = rng.uniform();
    for (let k = 0; k < probs.length - 1; k++) {
      if (u < probs[k]) return k;
      u -= probs[k];
    }
    return probs.length - 1;
  };
  for (let i = 0; i < n; i++) {
    const x = draw(contextProb);
    const a = draw(logging[x]);
    action[i] = a;
    pscore[i] = logging[x][a];
    reward[i] = rng.uniform() < meanReward[x][a] ? 1 : 0;
    for (let b = 0; b < ACTIONS; b++) {
      dist[i * ACTIONS + b] = target[x][b];
      q[i * ACTIONS + b] = model[x][b];
    }
  }
  return { log: { actions: ACTIONS, action, reward, pscore }, dist, q };
}

describe('single-action estimators, in expectation (exact)', () => {
  it('IPS and DR are unbiased, DR whatever its reward model; DM is biased by a wrong model and exact with the true one', () => {
    const right = exactLog(meanReward);
    const wrong = exactLog(wrongModel);
    expect(ips(right.log, right.dist).value).toBeCloseTo(truth, 12);
    expect(dr(wrong.log, wrong.dist, wrong.q).value).toBeCloseTo(truth, 12);
    expect(dr(right.log, right.dist, right.q).value).toBeCloseTo(truth, 12);
    expect(dm(right.log, right.dist, right.q).value).toBeCloseTo(truth, 12);
    // The wrong model adds 0.3 x the target's probability of actions 3 and 4: a bias DM keeps.
    const bias = contextProb.reduce((v, p, x) => v + p * 0.3 * (target[x][3] + target[x][4]), 0);
    expect(bias).toBeGreaterThan(0.05);
    expect(dm(wrong.log, wrong.dist, wrong.q).value - truth).toBeCloseTo(bias, 12);
  });

  it('Switch-DR is DR with lambda at or above every weight, DM at lambda 0, biased between; DR-os likewise', () => {
    const { log, dist, q } = exactLog(wrongModel);
    const maxWeight = Math.max(...importanceWeights(log, dist));
    expect(switchDr(log, dist, q, maxWeight).value).toBeCloseTo(dr(log, dist, q).value, 12);
    expect(switchDr(log, dist, q, 0).value).toBeCloseTo(dm(log, dist, q).value, 12);
    expect(Math.abs(switchDr(log, dist, q, 1).value - truth)).toBeGreaterThan(0.01);
    expect(drOs(log, dist, q, Infinity).value).toBeCloseTo(dr(log, dist, q).value, 12);
    expect(drOs(log, dist, q, 0).value).toBeCloseTo(dm(log, dist, q).value, 12);
  });
});

describe('single-action estimators on sampled logs (seeded)', () => {
  it('the self-normalised ones are consistent: within 4 standard errors of the truth at n = 50,000', () => {
    const { log, dist, q } = sampledLog(new Rng('ope/consistency'), 50_000, wrongModel);
    for (const estimate of [snips(log, dist), sndr(log, dist, q), ips(log, dist), dr(log, dist, q)]) {
      const ci = estimate.ci95;
      expect(ci).not.toBeNull();
      if (!ci) continue;
      const se = (ci[1] - ci[0]) / 2 / 1.96;
      expect(Math.abs(estimate.value - truth)).toBeLessThan(4 * se);
    }
  });

  it("intervals cover the truth about 95% of the time: IPS's and SNIPS's over 300 logs of 400 rounds, in [0.91, 0.99]", () => {
    // Binomial(300, 0.95) has sd 1.3%: the band is about 3 sd wide on each side.
    const rng = new Rng('ope/coverage');
    let coveredIps = 0;
    let coveredSnips = 0;
    const covers = (ci: readonly [number, number] | null) => ci !== null && ci[0] <= truth && truth <= ci[1];
    for (let run = 0; run < 300; run++) {
      const { log, dist } = sampledLog(rng, 400, meanReward);
      if (covers(ips(log, dist).ci95)) coveredIps++;
      if (covers(snips(log, dist).ci95)) coveredSnips++;
    }
    expect(coveredIps / 300).toBeGreaterThanOrEqual(0.91);
    expect(coveredIps / 300).toBeLessThanOrEqual(0.99);
    expect(coveredSnips / 300).toBeGreaterThanOrEqual(0.91);
    expect(coveredSnips / 300).toBeLessThanOrEqual(0.99);
  });

  it("reports the weights' effective sample size, n for DM, and refuses a log it cannot use, naming the round", () => {
    const { log, dist, q } = sampledLog(new Rng('ope/ess'), 2000, meanReward);
    const w = importanceWeights(log, dist);
    const sum = w.reduce((a, b) => a + b, 0);
    const squares = w.reduce((a, b) => a + b * b, 0);
    expect(ips(log, dist).ess).toBeCloseTo((sum * sum) / squares, 9);
    expect(ips(log, dist).ess).toBeLessThan(2000);
    expect(dm(log, dist, q).ess).toBe(2000);
    const broken = { ...log, pscore: log.pscore.map((p, i) => (i === 7 ? 0 : p)) };
    expect(() => ips(broken, dist)).toThrow("bandit log: round 7's pscore is 0; it must be > 0");
  });
});
