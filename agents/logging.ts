// The logging policy of off-policy evaluation: an agent's evaluation policy with epsilon
// exploration (agents/exploration.ts): with probability epsilon a row's page is K distinct
// candidates uniformly at random, else the agent's own page. Its propensities are exact: for an
// agent whose evaluation policy is deterministic (every learner here, every built-in policy but
// `random`), by the closed forms of EpsilonSlates; for a policy that reports its propensities of
// any page (`random`), as the mixture epsilon x uniform + (1 - epsilon) x the policy's own.
import type { WorldSpec } from '../sim/env.ts';
import type { Rng } from '../sim/rng.ts';
import type { Action, Agent } from './agent.ts';
import { EpsilonSlates } from './exploration.ts';

/** An agent's page probabilities for pages it did not necessarily choose (Agent.propensitiesOf). */
export type PropensitiesOf = NonNullable<Agent['propensitiesOf']>;

/** The agent's evaluation policy was not deterministic and cannot say how likely another page was. */
export class LoggingPolicyError extends Error {
  override readonly name = 'LoggingPolicyError';
}

/**
 * `inner` acting in evaluation mode, explored with probability `epsilon`: the loop asks for
 * propensities, which this writes. `propensitiesOf`: the inner policy's probabilities of any page,
 * for a stochastic one (null: it must be deterministic, which is checked every round).
 */
export function epsilonLogging(
  inner: Agent,
  spec: WorldSpec,
  epsilon: number,
  propensitiesOf: PropensitiesOf | null,
): Agent {
  const k = spec.slateSize;
  const n = spec.numCandidates;
  const explorer = new EpsilonSlates(spec);
  const rows = spec.batchSize;
  // The inner policy's probabilities of the page finally played (a stochastic inner policy's).
  const innerSlate = new Float64Array(rows);
  const innerSlot = new Float64Array(rows * k);
  const innerPrefix = new Float64Array(rows * k);
  let uniformSlate = 1;
  const uniformPrefix = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    uniformSlate *= n - i;
    uniformPrefix[i] = uniformSlate;
  }
  return {
    act(observation, rowRngs: readonly Rng[], action: Action) {
      const asked = action.propensities;
      action.propensities = true;
      inner.act(observation, rowRngs, action, 'eval');
      action.propensities = asked;
      if (!propensitiesOf) {
        for (let row = 0; row < rows; row++)
          if (observation.active[row] === 1 && action.slateProb[row] !== 1)
            throw new LoggingPolicyError(
              `the agent's evaluation policy drew its page (probability ${action.slateProb[row]}), and it cannot say ` +
                'how likely another page was: log a deterministic agent',
            );
        explorer.explore(observation, rows, rowRngs, action, epsilon);
        return;
      }
      explorer.explore(observation, rows, rowRngs, action, epsilon);
      // A stochastic policy: the mixture of the uniform page and the policy's own, for the page played.
      propensitiesOf(observation, action.slates, innerSlate, innerSlot, innerPrefix);
      for (let row = 0; row < rows; row++) {
        if (observation.active[row] === 0) continue;
        action.slateProb[row] = epsilon / uniformSlate + (1 - epsilon) * innerSlate[row];
        for (let s = 0; s < k; s++) {
          const at = row * k + s;
          action.slotProb[at] = epsilon / n + (1 - epsilon) * innerSlot[at];
          action.prefixProb[at] = epsilon / uniformPrefix[s] + (1 - epsilon) * innerPrefix[at];
        }
      }
    },
    beginEpisode: inner.beginEpisode?.bind(inner),
  };
}
