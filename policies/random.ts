// Uniformly random slates: K distinct candidates in random order, from each row's own stream.
import { definePolicy } from './policy.ts';

export const randomPolicy = definePolicy({
  name: 'random',
  summary: 'K distinct candidates uniformly at random (the exploration floor).',
  params: {},
  create: (_values, { spec }) => {
    const { numCandidates: n, slateSize: k } = spec;
    // Every ordered slate has probability 1 / (n (n-1) ... (n-k+1)); every candidate sits in
    // every slot with probability 1 / n.
    // (n)_(j+1): the orderings of a slate's first j + 1 candidates.
    const orderedPrefixes = new Float64Array(k);
    let orderedSlates = 1;
    for (let i = 0; i < k; i++) {
      orderedSlates *= n - i;
      orderedPrefixes[i] = orderedSlates;
    }
    return {
      act(observation, rowRngs, slates) {
        for (let row = 0; row < spec.batchSize; row++) {
          if (observation.active[row] === 1) rowRngs[row].sampleDistinct(n, k, slates, row * k);
        }
      },
      propensities(observation, _slates, slateProb, slotProb, prefixProb) {
        for (let row = 0; row < spec.batchSize; row++) {
          if (observation.active[row] === 0) continue;
          slateProb[row] = 1 / orderedSlates;
          slotProb.fill(1 / n, row * k, (row + 1) * k);
          if (prefixProb) for (let s = 0; s < k; s++) prefixProb[row * k + s] = 1 / orderedPrefixes[s];
        }
      },
      slotMarginals(_row, out) {
        out.fill(1 / n, 0, n * k);
      },
    };
  },
});
