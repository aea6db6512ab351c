// Epsilon-greedy over arms (Sutton & Barto 2018, section 2.2), slate-aware: with probability
// epsilon a row's slate is K candidates uniformly at random, otherwise the K candidates whose arms
// have the highest estimated click probability, best first. Learns per-arm click rates, weighing
// each shown slot by its examination probability (agents/bandits/common.ts ArmStats).
import { EpsilonSlates } from '../exploration.ts';
import { topKByScore } from '../../policies/slate.ts';
import { defineAgent } from '../agent.ts';
import { StateReader } from '../state.ts';
import { armBanditMemory, ArmStats, needsArms, rowsOf, scoreCandidates } from './common.ts';

export const epsilonGreedy = defineAgent({
  name: 'epsilon-greedy',
  summary: 'Epsilon-greedy over arms: a random slate with probability epsilon, else the top K by estimated click rate.',
  family: 'bandit',
  learns: 'click rate per arm (catalog item or document cluster), position-weighted',
  params: {
    epsilon: {
      type: 'number',
      default: 0.1,
      min: 0,
      max: 1,
      doc: 'probability of a uniformly random slate while training',
    },
    epsilonFinal: {
      type: 'number',
      default: 0.1,
      min: 0,
      max: 1,
      doc: 'epsilon after decaySteps training steps (linear decay; equal to epsilon: constant)',
    },
    decaySteps: {
      type: 'int',
      default: 0,
      min: 0,
      doc: 'training steps over which epsilon falls linearly to epsilonFinal (0: no decay)',
    },
  },
  unsupported: (spec) => needsArms(spec),
  // Arm statistics, the scores.
  memory: (_hp, spec) => armBanditMemory(spec, 2),
  create: (hp, { spec }) => {
    const { numCandidates: n, slateSize: k } = spec;
    const stats = new ArmStats(spec);
    const scores = new Float64Array(spec.batchSize * n); // B x N: estimated click rate of each candidate's arm
    let trainingSteps = 0;
    const epsilonNow = () =>
      hp.decaySteps === 0
        ? hp.epsilon
        : hp.epsilon + (hp.epsilonFinal - hp.epsilon) * Math.min(1, trainingSteps / hp.decaySteps);

    const exploration = new EpsilonSlates(spec);
    return {
      act(observation, rowRngs, action, mode) {
        const rows = rowsOf(observation);
        scoreCandidates(observation, n, scores, (arm) => stats.mean(arm));
        topKByScore(scores, observation.active, n, k, action.slates);
        const epsilon = mode === 'train' ? epsilonNow() : 0;
        exploration.explore(observation, rows, rowRngs, action, epsilon);
      },
      slotMarginals(row, out) {
        exploration.slotMarginals(row, out);
      },
      observe(transition) {
        stats.observe(transition);
        for (let row = 0; row < transition.episode.length; row++) if (transition.episode[row] >= 0) trainingSteps++;
      },
      update() {
        return { epsilon: epsilonNow() };
      },
      // The training steps taken set where the decaying epsilon stands, should training go on.
      save: () => ({ ...stats.save(), trainingSteps }),
      load(state) {
        const saved = new StateReader(state, 'epsilon-greedy bandit');
        stats.load(saved);
        trainingSteps = saved.number('trainingSteps');
      },
    };
  },
});
