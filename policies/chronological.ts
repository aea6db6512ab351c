// Freshest first, as a chronological feed does.
import { hasField } from '../sim/env.ts';
import { definePolicy } from './policy.ts';
import { topKByScore } from './slate.ts';

export const chronologicalPolicy = definePolicy({
  name: 'chronological',
  summary: 'The K freshest candidates, newest first.',
  params: {},
  unsupported: (spec) =>
    hasField(spec, 'ageHours') ? null : `world ${spec.preset} has no post ages; use it with the feed world`,
  create: (_values, { spec }) => {
    const freshness = new Float32Array(spec.batchSize * spec.numCandidates); // B x N, minus age
    return {
      act(observation, _rowRngs, slates) {
        const ages = observation.fields.ageHours;
        for (let i = 0; i < freshness.length; i++) freshness[i] = -ages[i];
        topKByScore(freshness, observation.active, spec.numCandidates, spec.slateSize, slates);
      },
    };
  },
});
