// Most popular first: ranks candidates by their public popularity counter.
import { definePolicy } from './policy.ts';
import { topKByScore } from './slate.ts';

export const popularPolicy = definePolicy({
  name: 'popular',
  summary: 'The K candidates with the highest public popularity counters.',
  params: {},
  unsupported: (spec) => (spec.hasPopularity ? null : `world ${spec.preset} has no popularity counters; use it with the feed world`),
  create: (_values, { spec }) => ({
    act(observation, _rowRngs, slates) {
      topKByScore(observation.candidatePopularity, observation.active, spec.numCandidates, spec.slateSize, slates);
    },
  }),
});
