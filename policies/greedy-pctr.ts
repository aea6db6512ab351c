// RecSim's GreedyPCTRAgent (recsim/agents/greedy_pctr_agent.py): score every candidate with the
// choice model from what is observable (user features . item features), then take the top K by
// the probability of a click if shown alone. Myopic: it ignores what a click does to the user.
import { definePolicy } from './policy.ts';
import { topKByScore } from './slate.ts';

export const greedyPctrPolicy = definePolicy({
  name: 'greedy-pctr',
  summary: "RecSim's myopic GreedyPCTR: top K by the choice model's click probability from the observation.",
  params: {},
  unsupported: (spec) =>
    spec.affinityDim > 0 ? null : `world ${spec.preset} exposes no user-item affinity features for greedy-pctr to score`,
  create: (_values, { spec }) => {
    const { batchSize, numCandidates, slateSize, affinityDim, userFeatureDim, itemFeatureDim, choiceModel } = spec;
    const pctr = new Float64Array(batchSize * numCandidates); // B x N
    const score = new Float64Array(1);
    const probabilities = new Float64Array(2);
    return {
      act(observation, _rowRngs, slates) {
        const { userFeatures, itemFeatures, candidateItems, active } = observation;
        for (let row = 0; row < batchSize; row++) {
          if (active[row] === 0) continue;
          const userBase = row * userFeatureDim;
          for (let candidate = 0; candidate < numCandidates; candidate++) {
            const itemBase = candidateItems[row * numCandidates + candidate] * itemFeatureDim;
            let affinity = 0;
            for (let d = 0; d < affinityDim; d++) affinity += userFeatures[userBase + d] * itemFeatures[itemBase + d];
            score[0] = affinity;
            choiceModel.probabilities(score, 1, probabilities);
            pctr[row * numCandidates + candidate] = probabilities[0];
          }
        }
        topKByScore(pctr, active, numCandidates, slateSize, slates);
      },
    };
  },
});
