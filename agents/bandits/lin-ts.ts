// Linear Thompson sampling (Agrawal & Goyal 2013, "Thompson sampling for contextual bandits with
// linear payoffs") on the hybrid model of Li et al. (2010) (agents/bandits/linear.ts), slate-aware:
// per row, draw the parameters from the posterior and take the K candidates of highest sampled
// z . beta + theta_a, best first. The draw is exact for the hybrid model: beta from its marginal
// N(beta-hat, v^2 A0^-1) (A0 after Algorithm 2's updates is beta's marginal precision), then each
// arm's theta_a from its conditional N((b_a - B_a beta) / A_a, v^2 / A_a). Evaluation uses the
// posterior mean.
import { topKByScore } from '../../policies/slate.ts';
import type { Observation } from '../../sim/env.ts';
import type { Rng } from '../../sim/rng.ts';
import { defineAgent } from '../agent.ts';
import { StateReader } from '../state.ts';
import { DrawPerArm, rowsOf, SampledPropensities } from './common.ts';
import { featureCount, HybridLinearModel, linearMemory, linearParams, solveUpper } from './linear.ts';

export const linTs = defineAgent({
  name: 'lin-ts',
  summary: 'Linear Thompson sampling, hybrid linear model: top K by scores drawn from the posterior.',
  family: 'bandit',
  learns:
    'a Gaussian posterior over a ridge regression of clicks on user x item features, plus a ' +
    'bias per arm where arms recur',
  params: {
    scale: {
      type: 'number',
      default: 0.5,
      min: 0,
      doc: "v: the posterior is N(mean, v^2 A^-1); a click's noise sd is at most 0.5",
    },
    propensitySamples: {
      type: 'int',
      default: 200,
      min: 1,
      max: 1_000_000,
      doc: 'posterior draws per row to estimate propensities, when asked (logging)',
    },
    ...linearParams,
  },
  notInStreamKey: ['propensitySamples'],
  unsupported: (spec, hp) => {
    const count = featureCount(spec, hp.features, hp.perArm);
    return typeof count === 'string' ? { field: 'features', message: count } : null;
  },
  memory: (hp, spec) =>
    linearMemory(spec, hp.features, hp.perArm) + 8 * spec.batchSize * spec.numCandidates * spec.slateSize,
  create: (hp, { spec, streams }) => {
    const { numCandidates: n, slateSize: k } = spec;
    const model = new HybridLinearModel(spec, hp.features, hp.perArm, hp.ridge);
    const scores = new Float64Array(spec.batchSize * n); // B x N
    const z = new Float64Array(model.k);
    const sampledBeta = new Float64Array(model.k);
    const propensities = new SampledPropensities(spec, hp.propensitySamples);
    // One draw of theta_a per arm per decision (candidates that share an arm share its parameter).
    const armDraws = new DrawPerArm(model.arms);

    /** Scores of one row's candidates into out[offset..offset+N): sampled (rng) or the posterior mean (null). */
    const scoreRow = (observation: Observation, row: number, rng: Rng | null, out: Float64Array, offset: number) => {
      const beta = model.beta;
      if (rng) {
        // beta ~ N(beta-hat, v^2 A0^-1): beta-hat + v L^-T e, with A0 = L L^T and e standard normal.
        for (let p = 0; p < model.k; p++) sampledBeta[p] = rng.normal();
        solveUpper(model.cholesky, model.k, sampledBeta);
        for (let p = 0; p < model.k; p++) sampledBeta[p] = beta[p] + hp.scale * sampledBeta[p];
      }
      const parameters = rng ? sampledBeta : beta;
      armDraws.next();
      for (let c = 0; c < n; c++) {
        const arm = observation.candidateArms[row * n + c];
        model.encode(observation, row, c, z);
        let score = 0;
        for (let p = 0; p < model.k; p++) score += z[p] * parameters[p];
        if (model.arms > 0 && rng) {
          if (armDraws.fresh(arm))
            armDraws.value[arm] =
              model.thetaGiven(arm, sampledBeta) + (hp.scale * rng.normal()) / Math.sqrt(model.armA[arm]);
          score += armDraws.value[arm];
        } else if (model.arms > 0) score += model.theta(arm);
        out[offset + c] = score;
      }
    };

    return {
      act(observation, rowRngs, action, mode) {
        const rows = rowsOf(observation);
        for (let row = 0; row < rows; row++) {
          if (observation.active[row] === 1)
            scoreRow(observation, row, mode === 'train' ? rowRngs[row] : null, scores, row * n);
        }
        topKByScore(scores, observation.active, n, k, action.slates);
        propensities.afterAct(observation, action, mode, (row, out) =>
          scoreRow(observation, row, streams.update, out, 0),
        );
      },
      slotMarginals(row, out) {
        propensities.slotMarginals(row, out);
      },
      observe(transition) {
        model.observe(transition);
      },
      save: () => model.save(),
      load(state) {
        model.load(new StateReader(state, 'linear Thompson model'));
      },
      update() {
        model.refresh();
        return {};
      },
    };
  },
});
