// Thompson sampling with Beta-Bernoulli arms (Thompson 1933; Chapelle & Li 2011), slate-aware:
// per row, draw each candidate's arm's click probability from its Beta posterior and take the K
// highest draws, best first. Under position bias the posterior is approximated by counting a slot
// as e_k of a trial: Beta(a0 + clicks, b0 + max(0, pulls - clicks)) with pulls the effective pulls
// (the exact posterior under the position-based model is not a Beta). Evaluation ranks by the
// posterior mean, without sampling.
import { topKByScore } from '../../policies/slate.ts';
import { defineAgent } from '../agent.ts';
import { ArmStats, deterministicMarginals, estimatePropensities, forEachPlayed, needsArms, RoundMean, rowsOf, sampleBeta, scoreCandidates } from './common.ts';

export const thompson = defineAgent({
  name: 'thompson',
  summary: 'Thompson sampling, Beta-Bernoulli arms: the top K by click rates drawn from each arm\'s posterior.',
  family: 'bandit',
  learns: 'a Beta posterior of the click rate per arm (catalog item or document cluster), position-weighted',
  params: {
    priorClicks: { type: 'number', default: 1, min: 1e-6, doc: 'a0: prior pseudo-clicks of every arm' },
    priorMisses: { type: 'number', default: 1, min: 1e-6, doc: 'b0: prior pseudo-misses of every arm' },
    propensitySamples: { type: 'int', default: 200, min: 1, max: 1_000_000, doc: 'posterior draws per row to estimate propensities, when asked (logging)' },
  },
  notInStreamKey: ['propensitySamples'],
  unsupported: (spec) => needsArms(spec),
  create: (hp, { spec, streams }) => {
    const { numCandidates: n, slateSize: k } = spec;
    const stats = new ArmStats(spec);
    const scores = new Float64Array(spec.batchSize * n); // B x N: each candidate's draw (or posterior mean)
    const alpha = (arm: number) => hp.priorClicks + stats.clicks[arm];
    const beta = (arm: number) => hp.priorMisses + Math.max(0, stats.pulls[arm] - stats.clicks[arm]);
    // Propensities are estimated by redrawing from the posterior with a stream of their own, so
    // asking for them changes no slate.
    const propensityRng = streams.update;
    const oneRow = new Float64Array(n);
    const oneSlate = new Int32Array(k);
    const oneActive = new Uint8Array(1).fill(1);
    const marginals = new Float64Array(spec.batchSize * n * k); // B x N x K, estimated when asked
    // One posterior draw per arm per decision: where candidates share an arm (RecSim's clusters),
    // they share its draw, as a Thompson sample of the arms' parameters must.
    const draw = new Float64Array(spec.armCount);
    const drawnFor = new Float64Array(spec.armCount).fill(-1); // decision counts outgrow 32 bits
    let decision = 0;
    let lastSlates = new Int32Array(0);
    let lastWasEval = false;
    const posteriorSd = new RoundMean(); // the Beta posterior's sd of the arms played
    return {
      act(observation, rowRngs, action, mode) {
        lastWasEval = mode === 'eval';
        if (mode === 'eval') scoreCandidates(observation, n, scores, (arm) => alpha(arm) / (alpha(arm) + beta(arm)));
        else {
          let currentRow = -1;
          scoreCandidates(observation, n, scores, (arm, row) => {
            if (row !== currentRow) {
              currentRow = row;
              decision++;
            }
            if (drawnFor[arm] !== decision) {
              drawnFor[arm] = decision;
              draw[arm] = sampleBeta(rowRngs[row], alpha(arm), beta(arm));
            }
            return draw[arm];
          });
        }
        topKByScore(scores, observation.active, n, k, action.slates);
        if (mode === 'eval') {
          lastSlates = action.slates.slice();
          return;
        }
        forEachPlayed(observation, action.slates, n, k, (_row, _candidate, arm) => {
          const a = alpha(arm);
          const b = beta(arm);
          posteriorSd.add(Math.sqrt((a * b) / ((a + b) * (a + b) * (a + b + 1))));
        });
        if (!action.propensities) return;
        for (let row = 0; row < rowsOf(observation); row++) {
          if (observation.active[row] === 0) continue;
          const drawSlate = (out: Int32Array) => {
            decision++;
            for (let c = 0; c < n; c++) {
              const arm = observation.candidateArms[row * n + c];
              if (drawnFor[arm] !== decision) {
                drawnFor[arm] = decision;
                draw[arm] = sampleBeta(propensityRng, alpha(arm), beta(arm));
              }
              oneRow[c] = draw[arm];
            }
            topKByScore(oneRow, oneActive, n, k, out);
          };
          estimatePropensities(row, hp.propensitySamples, n, k, drawSlate, action, marginals, oneSlate);
        }
      },
      slotMarginals(row, out) {
        // Evaluation plays the posterior mean: deterministic, a 0/1 matrix.
        if (lastWasEval) deterministicMarginals(lastSlates, row, n, k, out);
        else out.set(marginals.subarray(row * n * k, (row + 1) * n * k));
      },
      observe(transition) {
        stats.observe(transition);
      },
      update() {
        return { posteriorSd: posteriorSd.take() };
      },
    };
  },
});
