// Thompson sampling with Beta-Bernoulli arms (Thompson 1933; Chapelle & Li 2011), slate-aware:
// per row, draw each candidate's arm's click probability from its Beta posterior and take the K
// highest draws, best first. Under position bias the posterior is approximated by counting a slot
// as e_k of a trial: Beta(a0 + clicks, b0 + max(0, pulls - clicks)) with pulls the effective pulls
// (the exact posterior under the position-based model is not a Beta). Evaluation ranks by the
// posterior mean, without sampling.
import { topKByScore } from '../../policies/slate.ts';
import { defineAgent } from '../agent.ts';
import { StateReader } from '../state.ts';
import type { Observation } from '../../sim/env.ts';
import type { Rng } from '../../sim/rng.ts';
import {
  armBanditMemory,
  ArmStats,
  DrawPerArm,
  forEachPlayed,
  needsArms,
  RoundMean,
  rowsOf,
  SampledPropensities,
  sampleBeta,
  scoreCandidates,
} from './common.ts';

export const thompson = defineAgent({
  name: 'thompson',
  summary: "Thompson sampling, Beta-Bernoulli arms: the top K by click rates drawn from each arm's posterior.",
  family: 'bandit',
  learns: 'a Beta posterior of the click rate per arm (catalog item or document cluster), position-weighted',
  params: {
    priorClicks: { type: 'number', default: 1, min: 1e-6, doc: 'a0: prior pseudo-clicks of every arm' },
    priorMisses: { type: 'number', default: 1, min: 1e-6, doc: 'b0: prior pseudo-misses of every arm' },
    propensitySamples: {
      type: 'int',
      default: 200,
      min: 1,
      max: 1_000_000,
      doc: 'posterior draws per row to estimate propensities, when asked (logging)',
    },
  },
  notInStreamKey: ['propensitySamples'],
  unsupported: (spec) => needsArms(spec),
  // Arm statistics and one posterior draw per arm, the estimated slot marginals (B x N x K), the scores.
  memory: (_hp, spec) => armBanditMemory(spec, 4, 8 * spec.batchSize * spec.numCandidates * spec.slateSize),
  create: (hp, { spec, streams }) => {
    const { numCandidates: n, slateSize: k } = spec;
    const stats = new ArmStats(spec);
    const scores = new Float64Array(spec.batchSize * n); // B x N: each candidate's draw (or posterior mean)
    const alpha = (arm: number) => hp.priorClicks + stats.clicks[arm];
    const beta = (arm: number) => hp.priorMisses + Math.max(0, stats.pulls[arm] - stats.clicks[arm]);
    // Propensities are estimated by redrawing from the posterior with a stream of their own, so
    // asking for them changes no slate.
    const propensityRng = streams.update;
    const propensities = new SampledPropensities(spec, hp.propensitySamples);
    const draws = new DrawPerArm(spec.armCount);
    const posteriorSd = new RoundMean(); // the Beta posterior's sd of the arms played
    /** One posterior draw of row `row`'s candidate scores, from `rng`, into out[offset..offset+N). */
    const drawRow = (observation: Observation, row: number, rng: Rng, out: Float64Array, offset: number) => {
      draws.next();
      for (let c = 0; c < n; c++) {
        const arm = observation.candidateArms[row * n + c];
        if (draws.fresh(arm)) draws.value[arm] = sampleBeta(rng, alpha(arm), beta(arm));
        out[offset + c] = draws.value[arm];
      }
    };
    return {
      act(observation, rowRngs, action, mode) {
        if (mode === 'eval') scoreCandidates(observation, n, scores, (arm) => alpha(arm) / (alpha(arm) + beta(arm)));
        else {
          for (let row = 0; row < rowsOf(observation); row++)
            if (observation.active[row] === 1) drawRow(observation, row, rowRngs[row], scores, row * n);
        }
        topKByScore(scores, observation.active, n, k, action.slates);
        propensities.afterAct(observation, action, mode, (row, out) =>
          drawRow(observation, row, propensityRng, out, 0),
        );
        if (mode === 'eval') return;
        forEachPlayed(observation, action.slates, n, k, (_row, _candidate, arm) => {
          const a = alpha(arm);
          const b = beta(arm);
          posteriorSd.add(Math.sqrt((a * b) / ((a + b) * (a + b) * (a + b + 1))));
        });
      },
      slotMarginals(row, out) {
        propensities.slotMarginals(row, out);
      },
      observe(transition) {
        stats.observe(transition);
      },
      save: () => stats.save(),
      load(state) {
        stats.load(new StateReader(state, 'Thompson bandit'));
      },
      update() {
        return { posteriorSd: posteriorSd.take() };
      },
    };
  },
});
