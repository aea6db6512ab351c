// Most popular first: ranks candidates by their public view counter (the observation field `views`).
import { hasField } from '../sim/env.ts';
import { definePolicy } from './policy.ts';
import { topKByScore } from './slate.ts';

export const popularPolicy = definePolicy({
  name: 'popular',
  summary: 'The K candidates with the most public views.',
  params: {},
  unsupported: (spec) =>
    hasField(spec, 'views') ? null : `world ${spec.preset} has no public view counters; use it with the feed world`,
  create: (_values, { spec }) => ({
    act(observation, _rowRngs, slates) {
      topKByScore(observation.fields.views, observation.active, spec.numCandidates, spec.slateSize, slates);
    },
  }),
});
