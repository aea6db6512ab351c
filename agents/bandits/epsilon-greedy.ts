// Epsilon-greedy over arms (Sutton & Barto 2018, section 2.2), slate-aware: with probability
// epsilon a row's slate is K candidates uniformly at random, otherwise the K candidates whose arms
// have the highest estimated click probability, best first. Learns per-arm click rates, weighing
// each shown slot by its examination probability (agents/bandits/common.ts ArmStats).
import { topKByScore } from '../../policies/slate.ts';
import { defineAgent } from '../agent.ts';
import { ArmStats, needsArms, rowsOf, scoreCandidates } from './common.ts';

export const epsilonGreedy = defineAgent({
  name: 'epsilon-greedy',
  summary: 'Epsilon-greedy over arms: a random slate with probability epsilon, else the top K by estimated click rate.',
  family: 'bandit',
  learns: 'click rate per arm (catalog item or document cluster), position-weighted',
  params: {
    epsilon: { type: 'number', default: 0.1, min: 0, max: 1, doc: 'probability of a uniformly random slate while training' },
    epsilonFinal: { type: 'number', default: 0.1, min: 0, max: 1, doc: 'epsilon after decaySteps training steps (linear decay; equal to epsilon: constant)' },
    decaySteps: { type: 'int', default: 0, min: 0, doc: 'training steps over which epsilon falls linearly to epsilonFinal (0: no decay)' },
  },
  unsupported: (spec) => needsArms(spec),
  create: (hp, { spec }) => {
    const { numCandidates: n, slateSize: k } = spec;
    const stats = new ArmStats(spec);
    const scores = new Float64Array(spec.batchSize * n); // B x N: estimated click rate of each candidate's arm
    let trainingSteps = 0;
    const epsilonNow = () =>
      hp.decaySteps === 0 ? hp.epsilon : hp.epsilon + (hp.epsilonFinal - hp.epsilon) * Math.min(1, trainingSteps / hp.decaySteps);
    // Orderings of K out of N: the probability of any one random slate.
    let orderedSlates = 1;
    for (let i = 0; i < k; i++) orderedSlates *= n - i;
    const greedy = new Int32Array(spec.batchSize * k); // B x K: the last act's greedy slates, for propensities
    let lastEpsilon = 0;

    return {
      act(observation, rowRngs, action, mode) {
        const rows = rowsOf(observation);
        scoreCandidates(observation, n, scores, (arm) => stats.mean(arm));
        topKByScore(scores, observation.active, n, k, action.slates);
        const epsilon = mode === 'train' ? epsilonNow() : 0;
        lastEpsilon = epsilon;
        greedy.set(action.slates.subarray(0, rows * k));
        if (epsilon === 0) {
          // Greedy: every slate it plays has probability 1.
          if (action.propensities) {
            action.slateProb.fill(1, 0, rows);
            action.slotProb.fill(1, 0, rows * k);
          }
          return;
        }
        for (let row = 0; row < rows; row++) {
          if (observation.active[row] === 0) continue;
          // One uniform per row decides; the random slate then draws from the same stream.
          if (rowRngs[row].uniform() < epsilon) rowRngs[row].sampleDistinct(n, k, action.slates, row * k);
          if (!action.propensities) continue;
          // P(slate) = epsilon / (N)_K + (1 - epsilon) [slate = greedy]; per slot likewise with 1 / N.
          let isGreedy = true;
          for (let slot = 0; slot < k; slot++) {
            const same = action.slates[row * k + slot] === greedy[row * k + slot];
            isGreedy &&= same;
            action.slotProb[row * k + slot] = epsilon / n + (same ? 1 - epsilon : 0);
          }
          action.slateProb[row] = epsilon / orderedSlates + (isGreedy ? 1 - epsilon : 0);
        }
      },
      slotMarginals(row, out) {
        out.fill(lastEpsilon / n, 0, n * k);
        for (let slot = 0; slot < k; slot++) out[greedy[row * k + slot] * k + slot] += 1 - lastEpsilon;
      },
      observe(transition) {
        stats.observe(transition);
        for (let row = 0; row < transition.episode.length; row++) if (transition.episode[row] >= 0) trainingSteps++;
      },
      update() {
        return { epsilon: epsilonNow() };
      },
    };
  },
});
