// Off-policy estimators for one action a round (a contextual bandit, or one slot of a page), as
// pure functions of logged data: the logging policy took `action[i]` with probability `pscore[i]`
// and saw `reward[i]`; the target policy would take action a with probability dist[i * A + a]; a
// reward model (for DM and the doubly robust family) predicts q[i * A + a]. The estimand is the
// target policy's expected reward per round over the logged contexts.
//
// Definitions follow Open Bandit Pipeline (Saito et al. 2021, obp.ope), so that values can be set
// beside its published ones: IPS and SNIPS (Horvitz & Thompson 1952; Swaminathan & Joachims
// 2015), DM, DR (Dudik et al. 2014), SNDR, Switch-DR (Wang et al. 2017, in OBP's form: DR whose
// correction term is dropped where the importance weight exceeds lambda) and DR-os (Su et al.
// 2020: the weight shrunk to lambda w / (w^2 + lambda)).
import { effectiveSampleSize, type Estimate, interval, meanOfTerms } from './estimate.ts';

export interface BanditLog {
  /** A: the actions a round may take. */
  readonly actions: number;
  /** n: the action the logging policy took, 0..A-1. */
  readonly action: Int32Array;
  /** n: the reward seen. */
  readonly reward: Float64Array;
  /** n: the logging policy's probability of the action it took (> 0). */
  readonly pscore: Float64Array;
}

/** n x A: the target policy's probability of each action, per round (rows sum to 1). */
export type ActionDist = Float64Array;
/** n x A: a reward model's prediction of each action's reward, per round. */
export type RewardPredictions = Float64Array;

function rounds(log: BanditLog, dist: ActionDist, q?: RewardPredictions): number {
  const n = log.action.length;
  const a = log.actions;
  if (log.reward.length !== n || log.pscore.length !== n)
    throw new RangeError(
      `bandit log: action, reward and pscore have ${n}, ${log.reward.length}, ${log.pscore.length} rounds`,
    );
  if (dist.length !== n * a)
    throw new RangeError(`target policy: ${dist.length} probabilities for ${n} rounds x ${a} actions`);
  if (q && q.length !== n * a)
    throw new RangeError(`reward model: ${q.length} predictions for ${n} rounds x ${a} actions`);
  for (let i = 0; i < n; i++) {
    if (!(log.pscore[i] > 0))
      throw new RangeError(`bandit log: round ${i}'s pscore is ${log.pscore[i]}; it must be > 0`);
    if (!(log.action[i] >= 0 && log.action[i] < a))
      throw new RangeError(`bandit log: round ${i}'s action ${log.action[i]} is outside 0..${a - 1}`);
  }
  return n;
}

/** Importance weights: the target's probability of the logged action over the logging policy's. */
export function importanceWeights(log: BanditLog, dist: ActionDist): Float64Array {
  const n = rounds(log, dist);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = dist[i * log.actions + log.action[i]] / log.pscore[i];
  return w;
}

/** Per round: the reward model's value of the target policy, sum_a dist(a) q(a). */
function directTerms(log: BanditLog, dist: ActionDist, q: RewardPredictions): Float64Array {
  const n = rounds(log, dist, q);
  const a = log.actions;
  const terms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let value = 0;
    for (let k = 0; k < a; k++) value += dist[i * a + k] * q[i * a + k];
    terms[i] = value;
  }
  return terms;
}

/** Inverse propensity scoring: the mean of w r. Unbiased where the logging policy covers the target's actions. */
export function ips(log: BanditLog, dist: ActionDist): Estimate {
  const w = importanceWeights(log, dist);
  const terms = w.map((weight, i) => weight * log.reward[i]);
  return meanOfTerms(terms, w);
}

/** Self-normalised IPS: sum w r / sum w. Biased by O(1/n), often of far lower variance. */
export function snips(log: BanditLog, dist: ActionDist): Estimate {
  const w = importanceWeights(log, dist);
  const n = w.length;
  let weighted = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    weighted += w[i] * log.reward[i];
    total += w[i];
  }
  const value = weighted / total;
  // Delta method: the ratio's influence terms w (r - value) / mean(w), of mean 0.
  const influence = w.map((weight, i) => (weight * (log.reward[i] - value)) / (total / n));
  return { value, ci95: interval(value, influence, 0), ess: effectiveSampleSize(w, n), n };
}

/** The direct method: the reward model's value of the target policy. Biased as far as the model is wrong. */
export function dm(log: BanditLog, dist: ActionDist, q: RewardPredictions): Estimate {
  return meanOfTerms(directTerms(log, dist, q), null);
}

/**
 * Per round, DM's term plus the transformed weight times the model's residual on the logged action
 * (the doubly robust family's terms; `weight` is the identity for DR). For choosing a
 * hyper-parameter from the terms (eval/ope/slope.ts).
 */
export function doublyRobustTerms(
  log: BanditLog,
  dist: ActionDist,
  q: RewardPredictions,
  weight: (w: number) => number,
): Float64Array {
  return corrected(log, dist, q, weight).terms;
}

/** Switch-DR's weight transform: w where w <= lambda, else 0. */
export const switchWeight = (lambda: number) => (w: number) => (w <= lambda ? w : 0);

/** DR-os's weight transform: lambda w / (w^2 + lambda) (Infinity: w; 0: 0). */
export const shrinkWeight = (lambda: number) => (w: number) =>
  lambda === Infinity ? w : lambda === 0 ? 0 : (lambda * w) / (w * w + lambda);

/** The correction terms w (r - q(logged action)), with a weight transform (identity for DR). */
function corrected(
  log: BanditLog,
  dist: ActionDist,
  q: RewardPredictions,
  weight: (w: number) => number,
): { terms: Float64Array; weights: Float64Array } {
  const direct = directTerms(log, dist, q);
  const w = importanceWeights(log, dist);
  const weights = w.map(weight);
  const terms = direct.map((value, i) => value + weights[i] * (log.reward[i] - q[i * log.actions + log.action[i]]));
  return { terms, weights };
}

/** Doubly robust: DM plus IPS on the model's residual. Unbiased where either the weights or the model are right. */
export function dr(log: BanditLog, dist: ActionDist, q: RewardPredictions): Estimate {
  const { terms, weights } = corrected(log, dist, q, (w) => w);
  return meanOfTerms(terms, weights);
}

/** Self-normalised DR: the residual's IPS term divided by mean(w). */
export function sndr(log: BanditLog, dist: ActionDist, q: RewardPredictions): Estimate {
  const direct = directTerms(log, dist, q);
  const w = importanceWeights(log, dist);
  const n = w.length;
  let residual = 0;
  let total = 0;
  let directMean = 0;
  for (let i = 0; i < n; i++) {
    residual += w[i] * (log.reward[i] - q[i * log.actions + log.action[i]]);
    total += w[i];
    directMean += direct[i];
  }
  directMean /= n;
  const correction = residual / total;
  const value = directMean + correction;
  const influence = direct.map(
    (d, i) => d - directMean + (w[i] * (log.reward[i] - q[i * log.actions + log.action[i]] - correction)) / (total / n),
  );
  return { value, ci95: interval(value, influence, 0), ess: effectiveSampleSize(w, n), n };
}

/** Switch-DR (OBP's form): DR whose correction is kept only where w <= lambda (lambda = Infinity: DR; 0: DM). */
export function switchDr(log: BanditLog, dist: ActionDist, q: RewardPredictions, lambda: number): Estimate {
  if (!(lambda >= 0)) throw new RangeError(`switch-dr: lambda is ${lambda}; it must be >= 0`);
  const { terms, weights } = corrected(log, dist, q, switchWeight(lambda));
  return meanOfTerms(terms, weights);
}

/** DR with optimistic shrinkage: the weight w becomes lambda w / (w^2 + lambda) (lambda = Infinity: DR; 0: DM). */
export function drOs(log: BanditLog, dist: ActionDist, q: RewardPredictions, lambda: number): Estimate {
  if (!(lambda >= 0)) throw new RangeError(`dr-os: lambda is ${lambda}; it must be >= 0`);
  const { terms, weights } = corrected(log, dist, q, shrinkWeight(lambda));
  return meanOfTerms(terms, weights);
}
