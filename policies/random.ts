// Uniformly random slates: K distinct candidates in random order, from each row's own stream.
import { definePolicy } from './policy.ts';

export const randomPolicy = definePolicy({
  name: 'random',
  summary: 'K distinct candidates uniformly at random (the exploration floor).',
  params: {},
  create: (_values, { spec }) => ({
    act(observation, rowRngs, slates) {
      const { numCandidates, slateSize } = spec;
      for (let row = 0; row < spec.batchSize; row++) {
        if (observation.active[row] === 1) rowRngs[row].sampleDistinct(numCandidates, slateSize, slates, row * slateSize);
      }
    },
  }),
});
