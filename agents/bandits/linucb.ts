// LinUCB with hybrid linear models (Li, Chu, Langford & Schapire 2010, Algorithm 2), slate-aware:
// each candidate's index is z . beta-hat + theta-hat_a + alpha sqrt(s), s the width of line 9, and
// the slate is the K highest, best first. The model and its updates (position-weighted) are in
// agents/bandits/linear.ts. Evaluation ranks by the mean alone. Deterministic: propensities are 1.
import { topKByScore } from '../../policies/slate.ts';
import { defineAgent } from '../agent.ts';
import { StateReader } from '../state.ts';
import { forEachPlayed, RoundMean, rowsOf } from './common.ts';
import { featureCount, HybridLinearModel, linearMemory, linearParams } from './linear.ts';

export const linucb = defineAgent({
  name: 'linucb',
  summary:
    'LinUCB, hybrid linear model (shared user x item features plus a per-arm bias): top K by upper confidence bound.',
  family: 'bandit',
  learns: 'a ridge regression of clicks on user x item features, plus a bias per arm where arms recur (Li et al. 2010)',
  params: {
    alpha: {
      type: 'number',
      default: 0.5,
      min: 0,
      doc: "width of the confidence bound, in noise standard deviations (a click's sd is at most 0.5)",
    },
    ...linearParams,
  },
  unsupported: (spec, hp) => {
    const count = featureCount(spec, hp.features, hp.perArm);
    return typeof count === 'string' ? { field: 'features', message: count } : null;
  },
  memory: (hp, spec) => linearMemory(spec, hp.features, hp.perArm),
  create: (hp, { spec }) => {
    const { numCandidates: n, slateSize: k } = spec;
    const model = new HybridLinearModel(spec, hp.features, hp.perArm, hp.ridge);
    const scores = new Float64Array(spec.batchSize * n); // B x N: each candidate's index
    const bonus = new RoundMean(); // the confidence bonus alpha sqrt(s) of the slots played
    return {
      act(observation, _rowRngs, action, mode) {
        const rows = rowsOf(observation);
        const explore = mode === 'train';
        if (explore) model.prepareArms(observation);
        for (let row = 0; row < rows; row++) {
          // mean + alpha sqrt(s) in training (s: the width of Algorithm 2 line 9), the mean alone in evaluation
          if (observation.active[row] !== 0) model.scoreRow(observation, row, explore, hp.alpha, scores, row * n);
        }
        topKByScore(scores, observation.active, n, k, action.slates);
        if (explore)
          forEachPlayed(observation, action.slates, n, k, (row, candidate) =>
            bonus.add(model.bonuses[row * n + candidate]),
          );
      },
      observe(transition) {
        model.observe(transition);
      },
      save: () => model.save(),
      load(state) {
        model.load(new StateReader(state, 'LinUCB model'));
      },
      update() {
        model.refresh();
        return { bonus: bonus.take() };
      },
    };
  },
});
