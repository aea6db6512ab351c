// A policy's scores (SlateDecider.act's optional B x N `scores`, lab/loop/rollout.ts): ones that
// are not finite numbers stop the run with ScoreError, naming the row, candidate and round;
// finite ones, or none, change nothing.
import { describe, expect, it } from 'vitest';
import { runEpisodes, ScoreError } from '../../../lab/loop/rollout.ts';
import { policies } from '../../../policies/index.ts';
import { createPolicy } from '../../../policies/policy.ts';
import type { Observation } from '../../../sim/env.ts';
import type { Rng } from '../../../sim/rng.ts';
import { banditWorld } from '../../agents/helpers.ts';

/** random, writing `score(row, c)` as every candidate's score. */
function scoring(score: (row: number, c: number) => number) {
  const env = banditWorld({}, 4);
  const random = createPolicy(policies.random, {}, env);
  const n = env.spec.numCandidates;
  return {
    env,
    policy: {
      act(observation: Observation, rowRngs: readonly Rng[], slates: Int32Array, scores?: Float32Array) {
        random.act(observation, rowRngs, slates);
        if (scores) for (let row = 0; row < 4; row++) for (let c = 0; c < n; c++) scores[row * n + c] = score(row, c);
      },
    },
  };
}

const options = { episodes: 4, seed: { experiment: 2, run: 0 }, streamKey: 'scores', maxStepsPerEpisode: 20 };

describe("a policy's scores", () => {
  it('stop the run when one is NaN or infinite, naming the row, the candidate and the round', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const { env, policy } = scoring((row, c) => (row === 2 && c === 1 ? bad : c));
      const run = () => runEpisodes(env, policy, options);
      expect(run).toThrow(ScoreError);
      expect(run).toThrow(
        new RegExp(`score of candidate 1 in row 2 is ${bad} in evaluation round 0: scores must be finite numbers`),
      );
    }
  });

  it('change nothing when finite, or when the policy writes none', () => {
    const finite = scoring((_row, c) => c);
    const plain = banditWorld({}, 4);
    const records = runEpisodes(finite.env, finite.policy, options);
    expect(JSON.stringify(records)).toBe(
      JSON.stringify(runEpisodes(plain, createPolicy(policies.random, {}, plain), options)),
    );
  });
});
