// The terms of the top-K off-policy corrected REINFORCE estimator (Chen et al. 2019, sections
// 4.2-4.3) as pure functions: the importance weights with their cap and normalisation, the top-K
// multiplier, the policy's and the behaviour head's losses. reinforce.ts trains with them, and the
// paper's toy problems in the tests run the same code.
import type * as TF from '@tensorflow/tfjs';
import { tfjs } from '../nets/tf.ts';

export interface CorrectionOptions {
  /** K of the top-K multiplier: the page's size. */
  readonly slateSize: number;
  readonly weightCap: number;
  readonly normalise: boolean;
  readonly topK: boolean;
}

export interface CorrectionStats {
  /** Mean of the capped importance weights before normalisation. */
  readonly meanWeight: number;
  /** Share of the weights the cap cut. */
  readonly cappedShare: number;
}

/**
 * The coefficient of log pi(a | s) in the loss (negated) of each of the `count` x `perRow` chosen
 * items: w(a) lambda_K(a) advantage, with w = min(pi / beta, weightCap) (normalised to mean 1 over
 * the batch when `normalise`) and lambda_K = K (1 - pi)^(K - 1) with K = slateSize when `topK`,
 * else 1 (Chen et al. 2019, sections 4.2-4.3). piItem, betaItem: count x perRow, the item's softmax
 * probability under the policy learned and under the one that acted; advantages: count (each row's
 * items share it: the agent's rows are pages of K, perRow = K). `used` (count), when given: only
 * the first used[i] items of row i are credited (the ones the user saw); the others get 0 and count
 * in no statistic. Writes out (count x perRow).
 */
export function correctionCoefficients(
  piItem: Float64Array,
  betaItem: Float64Array,
  advantages: Float64Array,
  count: number,
  perRow: number,
  options: CorrectionOptions,
  out: Float64Array,
  used?: Int32Array,
): CorrectionStats {
  const k = options.slateSize;
  let items = 0;
  let sum = 0;
  let capped = 0;
  for (let i = 0; i < count; i++) {
    const credited = used === undefined ? perRow : Math.min(used[i], perRow);
    for (let s = 0; s < perRow; s++) {
      const j = i * perRow + s;
      if (s >= credited) {
        out[j] = 0;
        continue;
      }
      let w = piItem[j] / betaItem[j];
      if (w > options.weightCap) {
        w = options.weightCap;
        capped++;
      }
      out[j] = w;
      sum += w;
      items++;
    }
  }
  const meanWeight = items > 0 ? sum / items : 0;
  const scale = options.normalise && sum > 0 ? items / sum : 1;
  for (let i = 0; i < count; i++) {
    const credited = used === undefined ? perRow : Math.min(used[i], perRow);
    for (let s = 0; s < credited; s++) {
      const j = i * perRow + s;
      const lambda = options.topK ? k * (1 - piItem[j]) ** (k - 1) : 1;
      out[j] = out[j] * scale * lambda * advantages[i];
    }
  }
  return { meanWeight, cappedShare: items > 0 ? capped / items : 0 };
}

/**
 * The learned behaviour head's loss (the paper's beta): the cross-entropy of the items the logged
 * pages hold, - sum over rows and candidates of targets x log softmax(logits), over the rows.
 * targets: rows x N, how often each candidate was in the row's page (0 or 1 for a page).
 */
export function behaviourLoss(logits: TF.Tensor2D, targets: TF.Tensor2D): TF.Scalar {
  const tf = tfjs();
  return tf.neg(tf.div(tf.sum(tf.mul(targets, tf.logSoftmax(logits))), logits.shape[0])) as TF.Scalar;
}

/**
 * The policy's loss on a batch: - sum over rows and candidates of coefficients x log softmax(logits),
 * over the rows, minus entropyBonus x the mean entropy. logits, coefficients: rows x N (a
 * candidate not chosen has coefficient 0).
 */
export function policyLoss(logits: TF.Tensor2D, coefficients: TF.Tensor2D, entropyBonus: number): TF.Scalar {
  const tf = tfjs();
  const rows = logits.shape[0];
  const logp = tf.logSoftmax(logits);
  let loss = tf.neg(tf.div(tf.sum(tf.mul(coefficients, logp)), rows));
  if (entropyBonus > 0) {
    const entropy = tf.div(tf.neg(tf.sum(tf.mul(tf.exp(logp), logp))), rows);
    loss = tf.sub(loss, tf.mul(entropyBonus, entropy));
  }
  return loss as TF.Scalar;
}
