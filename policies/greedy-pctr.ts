// RecSim's GreedyPCTRAgent (recsim/agents/greedy_pctr_agent.py): score every candidate with the
// choice model from what is observable (user features . item features), then take the top K by
// the probability of a click if shown alone. Myopic: it ignores what a click does to the user.
import { CandidateScorer } from './candidate-scores.ts';
import { definePolicy } from './policy.ts';
import { topKByScore } from './slate.ts';

export const greedyPctrPolicy = definePolicy({
  name: 'greedy-pctr',
  summary: "RecSim's myopic GreedyPCTR: top K by the choice model's click probability from the observation.",
  params: {},
  unsupported: (spec) =>
    spec.affinityDim > 0
      ? null
      : `world ${spec.preset} exposes no user-item affinity features for greedy-pctr to score`,
  // A partial oracle: the choice model it scores with is the world's own (WorldSpec.choiceModel,
  // built from the true appeal parameters), which a deployed ranker would have to learn (pctr).
  notes: () => [
    "ranks with the world's own choice model (its true appeal parameters): a partial oracle; pctr " +
      'learns one from clicks instead',
  ],
  create: (_values, { spec }) => {
    const { numCandidates, slateSize } = spec;
    // B x N affinities (user features . item features), then each one's click probability alone.
    const scorer = new CandidateScorer(spec, spec.choiceModel);
    return {
      act(observation, _rowRngs, slates, scores) {
        const clicks = scorer.clickProbabilitiesOf(observation);
        topKByScore(clicks, observation.active, numCandidates, slateSize, slates);
        // The scores it ranked by, for whoever reads them (a softmax logging policy).
        if (scores)
          for (let row = 0; row < observation.active.length; row++)
            if (observation.active[row] === 1)
              for (let c = 0; c < numCandidates; c++) scores[row * numCandidates + c] = clicks[row * numCandidates + c];
      },
    };
  },
});
