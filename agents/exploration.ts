// Epsilon exploration over whole slates, shared by the agents that explore this way (the
// epsilon-greedy bandit, the cluster bandit, and the supervised rankers as their own logging
// policies): with probability epsilon a row's slate is K distinct candidates uniformly at random,
// otherwise the agent's greedy slate. The propensities are exact:
//   P(slate) = epsilon / (N)_K + (1 - epsilon) [slate = greedy]
//   P(the candidate played in slot k sits there) = epsilon / N + (1 - epsilon) [same as greedy]
//   P(the first k + 1 candidates in their slots) = epsilon / (N)_(k+1) + (1 - epsilon) [same prefix as greedy]
// and the N x K slot marginals are epsilon / N everywhere plus 1 - epsilon on the greedy slate.
import type { Observation, WorldSpec } from '../sim/env.ts';
import type { Rng } from '../sim/rng.ts';
import type { Action } from './agent.ts';

export class EpsilonSlates {
  private readonly n: number;
  private readonly k: number;
  /** B x K: the last act's greedy slates (the logging policy's own pages, for an interaction log). */
  readonly greedy: Int32Array;
  /** (N)_K: the orderings of K candidates out of N. */
  private readonly orderedSlates: number;
  /** (N)_(k+1) for k = 0..K-1: the orderings of a slate's first k + 1 candidates. */
  private readonly orderedPrefixes: Float64Array;
  private lastEpsilon = 0;

  constructor(spec: WorldSpec) {
    this.n = spec.numCandidates;
    this.k = spec.slateSize;
    this.greedy = new Int32Array(spec.batchSize * this.k);
    this.orderedPrefixes = new Float64Array(this.k);
    let ordered = 1;
    for (let i = 0; i < this.k; i++) {
      ordered *= this.n - i;
      this.orderedPrefixes[i] = ordered;
    }
    this.orderedSlates = ordered;
  }

  /**
   * action.slates holds the greedy slates of the first `rows` rows: replaces each active row's by a
   * random one with probability epsilon (one uniform of the row's stream decides; the random slate
   * draws from the same stream), and writes the propensities when the loop asks for them.
   */
  explore(observation: Observation, rows: number, rowRngs: readonly Rng[], action: Action, epsilon: number): void {
    const { n, k, greedy } = this;
    this.lastEpsilon = epsilon;
    greedy.set(action.slates.subarray(0, rows * k));
    if (epsilon === 0) {
      // Greedy: every slate played has probability 1.
      if (action.propensities) {
        action.slateProb.fill(1, 0, rows);
        action.slotProb.fill(1, 0, rows * k);
        action.prefixProb.fill(1, 0, rows * k);
      }
      return;
    }
    for (let row = 0; row < rows; row++) {
      if (observation.active[row] === 0) continue;
      if (rowRngs[row].uniform() < epsilon) rowRngs[row].sampleDistinct(n, k, action.slates, row * k);
      if (!action.propensities) continue;
      let isGreedy = true;
      for (let slot = 0; slot < k; slot++) {
        const same = action.slates[row * k + slot] === greedy[row * k + slot];
        isGreedy &&= same;
        action.slotProb[row * k + slot] = epsilon / n + (same ? 1 - epsilon : 0);
        action.prefixProb[row * k + slot] = epsilon / this.orderedPrefixes[slot] + (isGreedy ? 1 - epsilon : 0);
      }
      action.slateProb[row] = epsilon / this.orderedSlates + (isGreedy ? 1 - epsilon : 0);
    }
  }

  /** The N x K slot marginals of row `row` under the last act's policy. */
  slotMarginals(row: number, out: Float64Array): void {
    const { n, k } = this;
    out.fill(this.lastEpsilon / n, 0, n * k);
    for (let slot = 0; slot < k; slot++) out[this.greedy[row * k + slot] * k + slot] += 1 - this.lastEpsilon;
  }
}
