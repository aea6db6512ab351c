// A tiny world whose best slates are known, for SlateQ's tests. Four items (one-hot features), the
// same for every user but offered in another order each episode (candidate c of episode e is item
// (c + e) mod 4), so a learner must go by the items' features, not the candidates' positions;
// slates of two. Users click one of the two items, each equally likely, or neither (multinomial
// logit on equal scores against a no-click logit of -1: P(each item) = 0.42, P(no click) = 0.16).
// Episodes last at most three steps; the user's features say how many are left (one-hot). Rewards
// of a click:
//   item 0: 1, and the user leaves (the episode ends) - the clickbait;
//   item 1: 0.5; item 2: 0.3; item 3: 0.
// The best slates (dynamic programming over this definition, the tests recompute it):
//   1 step left: {0, 1} (worth 0.633), the myopic one;
//   2 left: {0, 1} 0.999 against {1, 2} 0.971 (too close to test);
//   3 left: {1, 2} 1.337 against {0, 1} 1.211, the long-term one.
// So a fresh user should get items {1, 2} from an agent that plans, {0, 1} from a myopic one; a user
// with one step left should get {0, 1} from both.
import {
  allocateObservation,
  allocateStepResult,
  type Env,
  type GroundTruth,
  type StepResult,
  type WorldSpec,
} from '../../../sim/env.ts';
import { multinomialLogit } from '../../../sim/choice.ts';
import { Rng, type SeedKey } from '../../../sim/rng.ts';

export const REWARDS = [1, 0.5, 0.3, 0];
export const HORIZON = 3;
/** The no-click option's logit against 0 for every item. */
export const NO_CLICK_LOGIT = -1;

export function tinyWorld(seed: SeedKey, batchSize: number): Env {
  const n = REWARDS.length;
  const k = 2;
  const choice = multinomialLogit({ noClickLogit: NO_CLICK_LOGIT });
  const spec: WorldSpec = {
    preset: 'tiny-slateq',
    batchSize,
    numCandidates: n,
    slateSize: k,
    userFeatureDim: HORIZON,
    itemFeatureDim: n,
    affinityDim: 0,
    choiceModel: choice,
    signalNames: ['click'],
    clickSignal: 0,
    catalogSize: n,
    armCount: n,
    armDoc: 'an item',
    endings: { terminated: 'item 0 clicked, or the last step', truncated: '' },
    observationLayout: {
      userFeatures: ['left.3', 'left.2', 'left.1'],
      userFeaturesDoc: 'steps left, one-hot',
      itemFeatures: ['item.0', 'item.1', 'item.2', 'item.3'],
      contextDoc: 'unused',
      fields: [],
    },
    clock: false,
    impressionsObserved: true,
    horizonDays: null,
    episodeMetricNames: [],
    metricDocs: { return: 'reward', episodeLength: 'steps', clicks: 'clicks' },
  };
  const itemFeatures = new Float32Array(n * n);
  for (let i = 0; i < n; i++) itemFeatures[i * n + i] = 1;
  const observation = allocateObservation({
    batchSize,
    numCandidates: n,
    userFeatureDim: HORIZON,
    itemFeatureDim: n,
    catalog: { itemFeatures, itemIds: Int32Array.from({ length: n }, (_, i) => i) },
  });
  const left = new Int32Array(batchSize);
  const rngs: Rng[] = new Array(batchSize);
  const result: StepResult = allocateStepResult(batchSize, k, 1);
  const probs = new Float64Array(k + 1);
  const clicks = new Uint8Array(k);
  const zeros = new Float64Array(k);
  const writeUser = (row: number) => {
    for (let j = 0; j < HORIZON; j++) observation.userFeatures[row * HORIZON + j] = j === HORIZON - left[row] ? 1 : 0;
  };
  const truth: GroundTruth = {
    immediateValue: (out) => {
      for (let row = 0; row < batchSize; row++)
        for (let c = 0; c < n; c++)
          out[row * n + c] = choice.clickProbabilityAlone!(0) * REWARDS[observation.candidateItems[row * n + c]];
    },
    longTermValue: (_, out) => truth.immediateValue(out),
    expectedSlateReward: (slates, out) => {
      choice.probabilities(zeros, k, probs);
      const reward = (row: number, slot: number) =>
        REWARDS[observation.candidateItems[row * n + slates[row * k + slot]]];
      for (let row = 0; row < batchSize; row++) out[row] = probs[0] * reward(row, 0) + probs[1] * reward(row, 1);
    },
  };
  return {
    spec,
    observation,
    truth,
    resetRow(row, episode) {
      rngs[row] = Rng.derive(seed, 'tiny-slateq', 'response', episode);
      left[row] = HORIZON;
      for (let c = 0; c < n; c++) observation.candidateItems[row * n + c] = (c + episode) % n;
      observation.active[row] = 1;
      writeUser(row);
    },
    clearRow(row) {
      observation.active[row] = 0;
    },
    step(slates) {
      for (let row = 0; row < batchSize; row++) {
        result.reward[row] = 0;
        result.done[row] = 0;
        result.impressions[row] = 0;
        result.signals.fill(0, row * k, (row + 1) * k);
        if (observation.active[row] === 0) continue;
        choice.probabilities(zeros, k, probs);
        const slot = choice.sample(probs, k, rngs[row], clicks);
        result.impressions[row] = k;
        left[row]--;
        if (slot >= 0) {
          result.signals[row * k + slot] = 1;
          const item = observation.candidateItems[row * n + slates[row * k + slot]];
          result.reward[row] = REWARDS[item];
          if (item === 0) left[row] = 0;
        }
        result.done[row] = left[row] === 0 ? 1 : 0;
        if (left[row] > 0) writeUser(row);
      }
      return result;
    },
    episodeMetrics() {},
  };
}
