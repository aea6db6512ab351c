// Slate choice models: from the user's scores for the K posts of a slate to what they click.
// The single-choice models follow RecSim's recsim/choice_model.py (a user picks at most one slot,
// with an explicit no-click outcome); the position-based model lets slots be clicked independently.
import type { UniformSource } from './rng.ts';

export interface ChoiceModel {
  readonly name: string;
  /** True: at most one slot is chosen per step. False: every slot is clicked independently. */
  readonly singleChoice: boolean;
  /**
   * Writes out[0..k): the probability that slot i is clicked, and out[k]: the probability that
   * nothing is clicked. scores[0..k) are the user's scores for the slate's posts, top slot first.
   */
  probabilities(scores: ArrayLike<number>, k: number, out: Float64Array): void;
  /**
   * The probability that a post with score `score` is clicked when it is shown alone: exactly the
   * double `probabilities` writes to out[0] for the one-post slate [score] (the same operations in
   * the same order), and the same errors, without the slate's arrays. A function of `score`
   * alone: scoring every candidate (greedy pCTR, policies/candidate-scores.ts) reuses the value of
   * a repeated score. Absent: use `probabilities` with k = 1.
   */
  clickProbabilityAlone?(score: number): number;
  /**
   * Draws the clicks into clicks[0..k) (0 or 1) using `probs` as written by `probabilities`, and
   * returns the clicked slot (single choice; -1 for none) or the number of clicks (independent).
   */
  sample(probs: Float64Array, k: number, rng: UniformSource, clicks: Uint8Array): number;
  /**
   * Position-based models: the probability that slot `slot` (0 = top) is examined at all, so that a
   * learner counts an unclicked slot as evidence only as far as it was seen. Absent: every slot of
   * the slate is considered (single-choice models).
   */
  examination?(slot: number): number;
}

/**
 * numpy's legacy `choice(p=...)`: cumulative sums normalised by their last value, then the number
 * of them <= u (`searchsorted(cdf, u, side='right')`). Reproduced operation by operation so that
 * RecSim's recorded draws give RecSim's choices exactly.
 */
export function numpyChoice(probs: ArrayLike<number>, count: number, u: number): number {
  let total = 0;
  for (let i = 0; i < count; i++) total += probs[i];
  let cumulative = 0;
  let index = 0;
  for (let i = 0; i < count; i++) {
    cumulative += probs[i];
    if (cumulative / total <= u) index = i + 1;
    else break;
  }
  return Math.min(index, count - 1);
}

/** Single-choice sampling shared by the multinomial and cascade models. */
function sampleSingle(probs: Float64Array, k: number, rng: UniformSource, clicks: Uint8Array): number {
  clicks.fill(0, 0, k);
  const chosen = numpyChoice(probs, k + 1, rng.uniform());
  if (chosen === k) return -1;
  clicks[chosen] = 1;
  return chosen;
}

/** Divides out[0..count) by its sum (RecSim: all_scores / np.sum(all_scores)). */
function normalise(out: Float64Array, count: number): void {
  let total = 0;
  for (let i = 0; i < count; i++) total += out[i];
  for (let i = 0; i < count; i++) out[i] = out[i] / total;
}

export interface MultinomialLogitParams {
  /** The no-click option's logit (RecSim's no_click_mass). */
  readonly noClickLogit: number;
  /** Multiplies scores before the softmax (1 in RecSim). */
  readonly scoreScaling?: number;
}

/**
 * P(slot i) proportional to exp(score_i), against exp(noClickLogit) for no click (RecSim's
 * MultinomialLogitChoiceModel).
 */
export function multinomialLogit(params: MultinomialLogitParams): ChoiceModel {
  const scaling = params.scoreScaling ?? 1;
  const { noClickLogit } = params;
  return {
    name: 'multinomial-logit',
    singleChoice: true,
    probabilities(scores, k, out) {
      let max = noClickLogit;
      for (let i = 0; i < k; i++) max = Math.max(max, scaling * scores[i]);
      for (let i = 0; i < k; i++) out[i] = Math.exp(scaling * scores[i] - max);
      out[k] = Math.exp(noClickLogit - max);
      normalise(out, k + 1);
    },
    clickProbabilityAlone(score) {
      // probabilities with k = 1, normalise's sum included (it starts at 0).
      const max = Math.max(noClickLogit, scaling * score);
      const click = Math.exp(scaling * score - max);
      const noClick = Math.exp(noClickLogit - max);
      return click / (0 + click + noClick);
    },
    sample: sampleSingle,
  };
}

export interface MultinomialProportionalParams {
  /** Subtracted from every score (and the no-click mass) so that all weights are >= 0. */
  readonly minNormalizer: number;
  /** The no-click option's score before normalisation (RecSim's no_click_mass). */
  readonly noClickMass: number;
}

/** P(slot i) proportional to score_i - minNormalizer (RecSim's MultinomialProportionalChoiceModel). */
export function multinomialProportional(params: MultinomialProportionalParams): ChoiceModel {
  const { minNormalizer, noClickMass } = params;
  const noClickBelowNormalizer = () =>
    new RangeError(
      `multinomial-proportional: noClickMass ${noClickMass} is below minNormalizer ` +
        `${minNormalizer}; raise noClickMass or lower minNormalizer`,
    );
  const scoreBelowNormalizer = (score: number) =>
    new RangeError(
      `multinomial-proportional: score ${score} is below minNormalizer ${minNormalizer}; lower minNormalizer`,
    );
  return {
    name: 'multinomial-proportional',
    singleChoice: true,
    probabilities(scores, k, out) {
      for (let i = 0; i < k; i++) out[i] = scores[i] - minNormalizer;
      out[k] = noClickMass - minNormalizer;
      if (out[k] < 0) throw noClickBelowNormalizer();
      for (let i = 0; i < k; i++) if (out[i] < 0) throw scoreBelowNormalizer(scores[i]);
      normalise(out, k + 1);
    },
    clickProbabilityAlone(score) {
      // probabilities with k = 1, its checks in its order, normalise's sum included (it starts at 0).
      const click = score - minNormalizer;
      const noClick = noClickMass - minNormalizer;
      if (noClick < 0) throw noClickBelowNormalizer();
      if (click < 0) throw scoreBelowNormalizer(score);
      return click / (0 + click + noClick);
    },
    sample: sampleSingle,
  };
}

export interface CascadeParams {
  /** Probability that the user pays attention to each slot they reach. */
  readonly attentionProbability: number;
  /** Multiplies the (shifted or exponentiated) score into a click probability; the product must be <= 1. */
  readonly scoreScaling: number;
}

/**
 * Top-down cascade (RecSim's _positional_normalization): the user reaches slot i only if nothing
 * above was clicked, and clicks it with probability attention * scaling * score_i.
 */
function cascade(name: string, transform: (score: number) => number, params: CascadeParams): ChoiceModel {
  const { attentionProbability: attention, scoreScaling: scaling } = params;
  /** The click probability of a slot the user attends to. */
  const clickGivenAttention = (score: number): number => {
    const probability = scaling * transform(score);
    if (probability > 1 || probability < 0) {
      throw new RangeError(
        `${name}: scoreScaling ${scaling} turns score ${score} into probability ${probability}; lower scoreScaling`,
      );
    }
    return probability;
  };
  return {
    name,
    singleChoice: true,
    probabilities(scores, k, out) {
      let reach = 1;
      for (let i = 0; i < k; i++) {
        const click = clickGivenAttention(scores[i]);
        out[i] = reach * attention * click;
        reach *= 1 - attention * click;
      }
      out[k] = reach;
    },
    clickProbabilityAlone(score) {
      // Slot 0 is always reached: reach * attention with reach = 1 is attention, bit for bit.
      return attention * clickGivenAttention(score);
    },
    sample: sampleSingle,
  };
}

/** Cascade over score - minNormalizer (RecSim's ProportionalCascadeChoiceModel). */
export function proportionalCascade(params: CascadeParams & { readonly minNormalizer: number }): ChoiceModel {
  return cascade('cascade', (score) => score - params.minNormalizer, params);
}

/** Cascade over exp(score) (RecSim's ExponentialCascadeChoiceModel). */
export function exponentialCascade(params: CascadeParams): ChoiceModel {
  return cascade('exponential-cascade', Math.exp, params);
}

export interface PositionBasedParams {
  /** Examination probability of slot i is 1 / (i + 1)^examinationDecay. */
  readonly examinationDecay: number;
  /** Attractiveness = sigmoid(scoreScaling * score + bias). */
  readonly scoreScaling: number;
  readonly bias: number;
}

/**
 * Position-based model (Craswell et al. 2008; Chuklin et al. 2015 "Click Models for Web Search"):
 * slot i is examined with a probability that falls with position, and an examined post is clicked
 * with its attractiveness; clicks are independent, so a slate can get several.
 */
export function positionBased(params: PositionBasedParams): ChoiceModel {
  const { examinationDecay, scoreScaling, bias } = params;
  const examination = (slot: number) => 1 / Math.pow(slot + 1, examinationDecay);
  const attractiveness = (score: number) => 1 / (1 + Math.exp(-(scoreScaling * score + bias)));
  const topExamination = examination(0);
  return {
    name: 'position-based',
    singleChoice: false,
    examination,
    probabilities(scores, k, out) {
      let none = 1;
      for (let i = 0; i < k; i++) {
        out[i] = examination(i) * attractiveness(scores[i]);
        none *= 1 - out[i];
      }
      out[k] = none;
    },
    clickProbabilityAlone(score) {
      return topExamination * attractiveness(score);
    },
    sample(probs, k, rng, clicks) {
      let count = 0;
      for (let i = 0; i < k; i++) {
        const clicked = rng.uniform() < probs[i] ? 1 : 0;
        clicks[i] = clicked;
        count += clicked;
      }
      return count;
    },
  };
}
