// Open Bandit Pipeline's synthetic off-policy benchmark (zr-obp examples/synthetic, the table of
// obp 0.5.1 / commit 12daeaa), replicated so that slatelab's single-action estimators can be set
// beside OBP's published errors. Per run r (OBP's random_state r):
//
//   rewards   a logistic model of 5-dimensional N(0, I) contexts and 30 one-hot actions: the raw
//             score x~ . theta_x + theta_a . a~ + x~' M a~ (x~ = [1, x], a~ = [1, onehot], every
//             coefficient U(-1, 1), drawn once a run), z-scored over the whole n x K matrix, then
//             the sigmoid: the expected reward q(x, a); rewards are Bernoulli(q)
//   logging   softmax(beta q(x, .)), beta = -3 (it prefers poor actions)
//   target    OBP's IPWLearner: a multinomial logistic regression (C = 100) of the logged action on
//             the context, weighted by reward / pscore, fitted on a training log; the target is
//             softmax(predict_proba(x)) (OBP's predict_proba with tau 1: near uniform)
//   truth     the target's expected reward on the test contexts, sum_a pi_e(a|x) q(x, a), averaged
//   model     a binary logistic regression (C = 100) of the reward on [context, onehot(action)],
//             cross-fitted in 3 folds on the test log
//   estimators DM, IPS, SNIPS, DR, SNDR, Switch-DR and DR-os, the last two with lambda chosen by
//             SLOPE among 10, 50, 100, 500, 1000, 5000, 10000 and infinity (eval/ope/slope.ts)
//
// and each estimator's relative error |estimate - truth| / truth. Random numbers are slatelab's
// (sim/rng.ts), not numpy's: the runs are other draws of the same design, so the comparison is of
// means and spreads, not run by run.
import {
  type BanditLog,
  dm,
  doublyRobustTerms,
  dr,
  drOs,
  ips,
  shrinkWeight,
  sndr,
  snips,
  switchDr,
  switchWeight,
} from '../../eval/ope/single-action.ts';
import { slopeSelect } from '../../eval/ope/slope.ts';
import { type SeedSummary, sampleSd, summarize } from '../../eval/stats.ts';
import { Rng } from '../../sim/rng.ts';
import { fitLogistic, predictProba } from './logistic.ts';

export interface ObpSetting {
  readonly runs: number;
  readonly rounds: number;
  readonly actions: number;
  readonly dimContext: number;
  readonly beta: number;
}

/** OBP's published setting (examples/synthetic/README.md). */
export const OBP_SETTING: ObpSetting = { runs: 20, rounds: 10_000, actions: 30, dimContext: 5, beta: -3 };

/** OBP's published relative errors (mean and sd over its 20 runs; README of commit 12daeaa). */
export const OBP_PUBLISHED: Readonly<Record<string, { readonly mean: number; readonly sd: number }>> = {
  dm: { mean: 0.07439, sd: 0.024525 },
  ipw: { mean: 0.009481, sd: 0.006899 },
  snipw: { mean: 0.006665, sd: 0.004541 },
  dr: { mean: 0.006175, sd: 0.004245 },
  sndr: { mean: 0.006118, sd: 0.003997 },
  'switch-dr': { mean: 0.006175, sd: 0.004245 },
  'dr-os': { mean: 0.021951, sd: 0.013337 },
};

const LAMBDAS = [10, 50, 100, 500, 1000, 5000, 10_000, Infinity];
const C = 100;
const FOLDS = 3;

interface Coefficients {
  readonly context: Float64Array;
  readonly action: Float64Array;
  readonly interaction: Float64Array;
}

interface Logged {
  readonly contexts: Float64Array;
  /** n x K expected rewards. */
  readonly q: Float64Array;
  readonly action: Int32Array;
  readonly reward: Float64Array;
  readonly pscore: Float64Array;
}

function coefficients(rng: Rng, setting: ObpSetting): Coefficients {
  const dx = setting.dimContext + 1;
  const da = setting.actions + 1;
  const draw = (count: number) => Float64Array.from({ length: count }, () => 2 * rng.uniform() - 1);
  return { context: draw(dx), action: draw(da), interaction: draw(dx * da) };
}

/** One log of n rounds (OBP's obtain_batch_bandit_feedback). */
function generate(rng: Rng, coef: Coefficients, setting: ObpSetting, n: number): Logged {
  const { actions: k, dimContext: d, beta } = setting;
  const da = k + 1;
  const contexts = Float64Array.from({ length: n * d }, () => rng.normal());
  const raw = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    // x~ = [1, x]; a~ = [1, e_a]: x~.theta_x + theta_a[0] + theta_a[1 + a] + sum_j x~_j (M[j][0] + M[j][1 + a]).
    let base = coef.context[0] + coef.action[0] + coef.interaction[0];
    for (let j = 0; j < d; j++) {
      const x = contexts[i * d + j];
      base += x * (coef.context[1 + j] + coef.interaction[(1 + j) * da]);
    }
    for (let a = 0; a < k; a++) {
      let score = base + coef.action[1 + a] + coef.interaction[1 + a];
      for (let j = 0; j < d; j++) score += contexts[i * d + j] * coef.interaction[(1 + j) * da + 1 + a];
      raw[i * k + a] = score;
    }
  }
  // z-score over the whole matrix (np.std: n in the denominator), then the sigmoid.
  let mean = 0;
  for (const v of raw) mean += v;
  mean /= raw.length;
  let variance = 0;
  for (const v of raw) variance += (v - mean) ** 2;
  const sd = Math.sqrt(variance / raw.length);
  const q = raw.map((v) => 1 / (1 + Math.exp(-(v - mean) / sd)));
  const action = new Int32Array(n);
  const reward = new Float64Array(n);
  const pscore = new Float64Array(n);
  const probs = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let a = 0; a < k; a++) max = Math.max(max, beta * q[i * k + a]);
    let total = 0;
    for (let a = 0; a < k; a++) {
      probs[a] = Math.exp(beta * q[i * k + a] - max);
      total += probs[a];
    }
    let u = rng.uniform() * total;
    let chosen = k - 1;
    for (let a = 0; a < k; a++) {
      u -= probs[a];
      if (u < 0) {
        chosen = a;
        break;
      }
    }
    action[i] = chosen;
    pscore[i] = probs[chosen] / total;
    reward[i] = rng.uniform() < q[i * k + chosen] ? 1 : 0;
  }
  return { contexts, q, action, reward, pscore };
}

/** The IPWLearner's target policy on `test`: softmax over the classifier's class probabilities. */
function ipwLearnerTarget(train: Logged, test: Logged, setting: ObpSetting): Float64Array {
  const { actions: k, dimContext: d } = setting;
  const model = fitLogistic(train.contexts, train.action, {
    features: d,
    classes: k,
    c: C,
    sampleWeight: train.reward.map((r, i) => r / train.pscore[i]),
  });
  const n = test.action.length;
  const dist = new Float64Array(n * k);
  const probs = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    predictProba(model, test.contexts.subarray(i * d, (i + 1) * d), probs);
    let total = 0;
    for (let a = 0; a < k; a++) total += Math.exp(probs[a]);
    for (let a = 0; a < k; a++) dist[i * k + a] = Math.exp(probs[a]) / total;
  }
  return dist;
}

/** The reward model's predictions for every action, cross-fitted in FOLDS folds (a seeded shuffle). */
function crossFittedRewards(test: Logged, setting: ObpSetting, rng: Rng): Float64Array {
  const { actions: k, dimContext: d } = setting;
  const n = test.action.length;
  const features = d + k;
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const fold = new Int32Array(n);
  order.forEach((row, position) => {
    fold[row] = Math.floor((position * FOLDS) / n);
  });
  const row = (i: number, a: number, out: Float64Array, at: number) => {
    for (let j = 0; j < d; j++) out[at + j] = test.contexts[i * d + j];
    out.fill(0, at + d, at + features);
    out[at + d + a] = 1;
  };
  const q = new Float64Array(n * k);
  const x = new Float64Array(features);
  const probs = new Float64Array(2);
  for (let f = 0; f < FOLDS; f++) {
    const train = order.filter((i) => fold[i] !== f);
    const xs = new Float64Array(train.length * features);
    train.forEach((i, r) => {
      row(i, test.action[i], xs, r * features);
    });
    const model = fitLogistic(
      xs,
      Int32Array.from(train, (i) => test.reward[i]),
      { features, classes: 2, c: C },
    );
    for (let i = 0; i < n; i++) {
      if (fold[i] !== f) continue;
      for (let a = 0; a < k; a++) {
        row(i, a, x, 0);
        predictProba(model, x, probs);
        q[i * k + a] = probs[1];
      }
    }
  }
  return q;
}

export type ObpEstimator = keyof typeof OBP_PUBLISHED;

export interface ObpRun {
  readonly truth: number;
  readonly relErrors: Readonly<Record<ObpEstimator, number>>;
  /** The lambdas SLOPE chose. */
  readonly lambdas: { readonly 'switch-dr': number; readonly 'dr-os': number };
}

/** One run of the benchmark (run index = OBP's random_state). */
export function obpRun(run: number, setting: ObpSetting = OBP_SETTING): ObpRun {
  const rng = new Rng(`obp-synthetic/${run}`);
  const coef = coefficients(rng, setting);
  const train = generate(rng, coef, setting, setting.rounds);
  const test = generate(rng, coef, setting, setting.rounds);
  const k = setting.actions;
  const dist = ipwLearnerTarget(train, test, setting);
  let truth = 0;
  for (let i = 0; i < setting.rounds; i++) for (let a = 0; a < k; a++) truth += dist[i * k + a] * test.q[i * k + a];
  truth /= setting.rounds;
  const q = crossFittedRewards(test, setting, rng);
  const log: BanditLog = { actions: k, action: test.action, reward: test.reward, pscore: test.pscore };
  const chosen = (weight: (lambda: number) => (w: number) => number) =>
    LAMBDAS[slopeSelect(LAMBDAS.map((lambda) => doublyRobustTerms(log, dist, q, weight(lambda))))];
  const lambdas = { 'switch-dr': chosen(switchWeight), 'dr-os': chosen(shrinkWeight) };
  const values: Record<ObpEstimator, number> = {
    dm: dm(log, dist, q).value,
    ipw: ips(log, dist).value,
    snipw: snips(log, dist).value,
    dr: dr(log, dist, q).value,
    sndr: sndr(log, dist, q).value,
    'switch-dr': switchDr(log, dist, q, lambdas['switch-dr']).value,
    'dr-os': drOs(log, dist, q, lambdas['dr-os']).value,
  };
  const relErrors = Object.fromEntries(
    Object.entries(values).map(([name, value]) => [name, Math.abs(value - truth) / truth]),
  ) as Record<ObpEstimator, number>;
  return { truth, relErrors, lambdas };
}

export interface ObpSummary {
  readonly setting: ObpSetting;
  readonly runs: readonly ObpRun[];
  /** Per estimator: the relative error's mean with its 95% t interval over runs, and its sd. */
  readonly estimators: Readonly<Record<ObpEstimator, SeedSummary & { readonly sd: number }>>;
}

export function obpBenchmark(setting: ObpSetting = OBP_SETTING, onRun?: (run: number) => void): ObpSummary {
  const runs: ObpRun[] = [];
  for (let run = 0; run < setting.runs; run++) {
    runs.push(obpRun(run, setting));
    onRun?.(run);
  }
  const estimators = Object.fromEntries(
    (Object.keys(OBP_PUBLISHED) as ObpEstimator[]).map((name) => {
      const errors = runs.map((run) => run.relErrors[name]);
      return [name, { ...summarize(errors), sd: sampleSd(errors) }];
    }),
  ) as ObpSummary['estimators'];
  return { setting, runs, estimators };
}
