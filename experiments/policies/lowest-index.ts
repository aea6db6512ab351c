// A policy far from any ranker, for off-policy evaluation (experiments/ope.yaml): the K candidates of
// lowest index, in order. In the bandit world a request's candidates are drawn at random, so this is
// a fixed but uninformed choice; logged pages rarely match it, so its estimates need much more data.
import { definePolicy } from 'slatelab';

export default definePolicy({
  name: 'lowest-index',
  summary: 'the K candidates of lowest index, in order',
  params: {},
  create: (_values, { spec }) => ({
    act(observation, _rowRngs, slates) {
      const k = spec.slateSize;
      for (let row = 0; row < observation.active.length; row++)
        if (observation.active[row] === 1) for (let s = 0; s < k; s++) slates[row * k + s] = s;
    },
  }),
});
