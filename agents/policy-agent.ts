// A fixed policy seen through the Agent contract: it never learns, acts the same in both modes,
// and reports its propensities (1 for a deterministic policy, the policy's own for a stochastic one).
import type { Policy } from '../policies/policy.ts';
import type { SlateDecider } from '../sim/env.ts';
import type { Agent } from './agent.ts';

export function policyAgent(policy: SlateDecider | Policy): Agent {
  const stochastic = policy as Policy;
  return {
    act(observation, rowRngs, action) {
      policy.act(observation, rowRngs, action.slates, action.scores);
      if (action.propensities && stochastic.propensities)
        stochastic.propensities(observation, action.slates, action.slateProb, action.slotProb, action.prefixProb);
    },
    slotMarginals: stochastic.slotMarginals?.bind(stochastic),
    ...(stochastic.propensities
      ? {
          propensitiesOf: (observation, slates, slateProb, slotProb, prefixProb) =>
            stochastic.propensities?.(observation, slates, slateProb, slotProb, prefixProb),
        }
      : {}),
  };
}
