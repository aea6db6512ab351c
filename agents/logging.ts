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
): Agent & { readonly greedyPages: Int32Array | null } {
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
    // B x K: the deterministic agent's own pages of the last act, which the pseudo-inverse
    // estimator's Gamma needs (null for a stochastic agent, whose pages are drawn).
    greedyPages: propensitiesOf ? null : explorer.greedy,
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

/** Where the softmax logging policy's slot marginals come from. */
export type MarginalSource = { readonly kind: 'exact' } | { readonly kind: 'monte-carlo'; readonly samples: number };

/** Pages up to this size get exact slot marginals; larger ones, Monte Carlo estimates. */
export const EXACT_MARGINAL_SLOTS = 3;

/**
 * The softmax logging policy: a page of K drawn without replacement (Plackett-Luce) from
 * softmax(scores / temperature) over the scores the agent ranked by (Action.scores). The page's
 * and each prefix's probabilities are exact (products of the sequential choices); the slot
 * marginals too for pages of up to EXACT_MARGINAL_SLOTS, else estimated from `samples` draws (the
 * log says which: MarginalSource).
 */
export function softmaxLogging(inner: Agent, spec: WorldSpec, temperature: number, samples: number): Agent {
  const k = spec.slateSize;
  const n = spec.numCandidates;
  const rows = spec.batchSize;
  const p = new Float64Array(n);
  const taken = new Uint8Array(n);
  const draw = new Int32Array(k);
  // Scratch of the Monte Carlo marginals' draws (pages of more than EXACT_MARGINAL_SLOTS).
  const sampled = new Int32Array(k);
  return {
    act(observation, rowRngs: readonly Rng[], action: Action) {
      const scores = action.scores;
      if (!scores) throw new LoggingPolicyError('softmax logging needs the loop to give act a scores array');
      inner.act(observation, rowRngs, action, 'eval');
      for (let row = 0; row < rows; row++) {
        if (observation.active[row] === 0) continue;
        let any = false;
        for (let c = 0; c < n; c++) any ||= scores[row * n + c] !== 0;
        if (!any)
          throw new LoggingPolicyError(
            'the agent wrote no scores (Action.scores), so there is nothing to soften: log it with epsilon instead',
          );
        // softmax(scores / temperature), from the largest score for the exponent's sake.
        let max = -Infinity;
        for (let c = 0; c < n; c++) max = Math.max(max, scores[row * n + c] / temperature);
        let total = 0;
        for (let c = 0; c < n; c++) {
          p[c] = Math.exp(scores[row * n + c] / temperature - max);
          total += p[c];
        }
        for (let c = 0; c < n; c++) p[c] /= total;
        const rng = rowRngs[row];
        plackettLuce(p, k, rng, taken, draw);
        let prefix = 1;
        let left = 1;
        for (let s = 0; s < k; s++) {
          const c = draw[s];
          action.slates[row * k + s] = c;
          prefix *= p[c] / left;
          left -= p[c];
          action.prefixProb[row * k + s] = prefix;
        }
        action.slateProb[row] = prefix;
        for (let s = 0; s < k; s++)
          action.slotProb[row * k + s] =
            k <= EXACT_MARGINAL_SLOTS
              ? exactMarginal(p, s, draw[s])
              : monteCarloMarginal(p, s, draw[s], samples, rng, taken, sampled);
      }
    },
    beginEpisode: inner.beginEpisode?.bind(inner),
  };
}

/** Draws k of the candidates without replacement, in order, by probabilities p (renormalised as they go). */
function plackettLuce(p: Float64Array, k: number, rng: Rng, taken: Uint8Array, out: Int32Array): void {
  taken.fill(0);
  let left = 1;
  for (let s = 0; s < k; s++) {
    let u = rng.uniform() * left;
    let chosen = -1;
    for (let c = 0; c < p.length; c++) {
      if (taken[c]) continue;
      chosen = c;
      u -= p[c];
      if (u < 0) break;
    }
    taken[chosen] = 1;
    left -= p[chosen];
    out[s] = chosen;
  }
}

/** P(slot `slot` holds candidate i) under Plackett-Luce by p, exactly (slots 0 to 2). */
export function exactMarginal(p: Float64Array, slot: number, i: number): number {
  const n = p.length;
  if (slot === 0) return p[i];
  let total = 0;
  for (let a = 0; a < n; a++) {
    if (a === i) continue;
    const afterA = 1 - p[a];
    if (slot === 1) {
      total += p[a] * (p[i] / afterA);
      continue;
    }
    for (let b = 0; b < n; b++) {
      if (b === i || b === a) continue;
      total += p[a] * (p[b] / afterA) * (p[i] / (afterA - p[b]));
    }
  }
  return total;
}

/** P(slot `slot` holds candidate i), estimated from `samples` Plackett-Luce draws. */
function monteCarloMarginal(
  p: Float64Array,
  slot: number,
  i: number,
  samples: number,
  rng: Rng,
  taken: Uint8Array,
  page: Int32Array,
): number {
  let hits = 0;
  for (let draw = 0; draw < samples; draw++) {
    plackettLuce(p, slot + 1, rng, taken, page);
    if (page[slot] === i) hits++;
  }
  // (Never 0: the candidate played there has a chance; a miss in every draw would weigh it infinitely.)
  return Math.max(hits, 0.5) / samples;
}
