// UCB1 over arms (Auer, Cesa-Bianchi & Fischer 2002, "Finite-time analysis of the multiarmed
// bandit problem", figure 1), slate-aware: the K candidates of highest index, best first, where an
// arm's index is mean + c sqrt(2 ln t / n_a). Pulls are counted under the position-based model
// (PBM-UCB, Lagree et al. 2016): a slot counts as e_k of a pull, so n_a and t are effective pulls.
// Arms never shown rank first. Evaluation ranks by the mean alone.
import { topKByScore } from '../../policies/slate.ts';
import { defineAgent } from '../agent.ts';
import { StateReader } from '../state.ts';
import { armBanditMemory, ArmStats, forEachPlayed, needsArms, RoundMean, scoreCandidates } from './common.ts';

export const ucb1 = defineAgent({
  name: 'ucb1',
  summary: 'UCB1 over arms: the top K by mean click rate plus an exploration bonus sqrt(2 ln t / n).',
  family: 'bandit',
  learns: 'click rate per arm (catalog item or document cluster), position-weighted',
  params: {
    exploration: { type: 'number', default: 1, min: 0, doc: 'c: multiplies the bonus sqrt(2 ln t / n_a) (1 is UCB1)' },
  },
  unsupported: (spec) => needsArms(spec),
  // Arm statistics, the scores.
  memory: (_hp, spec) => armBanditMemory(spec, 2),
  create: (hp, { spec }) => {
    const { numCandidates: n, slateSize: k } = spec;
    const stats = new ArmStats(spec);
    const scores = new Float64Array(spec.batchSize * n); // B x N: each candidate's arm index
    const bonus = new RoundMean(); // the exploration bonus of the slots played (arms seen before)
    return {
      act(observation, _rowRngs, action, mode) {
        if (mode === 'eval') {
          scoreCandidates(observation, n, scores, (arm) => stats.mean(arm));
          topKByScore(scores, observation.active, n, k, action.slates);
          return;
        }
        // c sqrt(2 ln t / n_a), t and n_a in effective pulls (Infinity for an arm never shown)
        const logT = Math.log(Math.max(stats.totalPulls, 1));
        const bonusOf = (arm: number) => hp.exploration * Math.sqrt((2 * logT) / stats.pulls[arm]);
        scoreCandidates(observation, n, scores, (arm) =>
          stats.pulls[arm] === 0 ? Infinity : stats.clicks[arm] / stats.pulls[arm] + bonusOf(arm),
        );
        topKByScore(scores, observation.active, n, k, action.slates);
        forEachPlayed(observation, action.slates, n, k, (_row, _candidate, arm) => bonus.add(bonusOf(arm)));
      },
      observe(transition) {
        stats.observe(transition);
      },
      save: () => stats.save(),
      load(state) {
        stats.load(new StateReader(state, 'UCB1 bandit'));
      },
      update() {
        return { bonus: bonus.take() };
      },
    };
  },
});
