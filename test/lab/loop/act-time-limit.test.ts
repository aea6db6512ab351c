// The time limit of one act call (evaluation.actTimeLimitMs, lab/loop/rollout.ts): a policy over it
// stops the run with ActTimeLimitError, naming the rule; one under it runs as without a limit.
import { describe, expect, it } from 'vitest';
import { ActTimeLimitError, runEpisodes } from '../../../lab/loop/rollout.ts';
import { createPolicy } from '../../../policies/policy.ts';
import { policies } from '../../../policies/index.ts';
import { banditWorld } from '../../agents/helpers.ts';

/** random, spending `ms` milliseconds (busy) in every act call. */
function slowRandom(ms: number) {
  const env = banditWorld({}, 4);
  const random = createPolicy(policies.random, {}, env);
  return {
    env,
    policy: {
      act(...args: Parameters<typeof random.act>) {
        const until = performance.now() + ms;
        while (performance.now() < until) {}
        random.act(...args);
      },
    },
  };
}

describe('the time limit of an act call', () => {
  it('stops a policy whose act takes 40 ms under a limit of 10 ms, naming the rule', () => {
    const { env, policy } = slowRandom(40);
    const run = () =>
      runEpisodes(env, policy, { episodes: 4, seed: { experiment: 1, run: 0 }, streamKey: 'slow', actTimeLimitMs: 10 });
    expect(run).toThrow(ActTimeLimitError);
    expect(run).toThrow(
      /act took \d+ ms in evaluation round 0 \(after 0 user-steps\), over the limit of 10 ms a call \(evaluation\.actTimeLimitMs\)/,
    );
  });

  it('lets a policy under the limit run, with the records it has without one', () => {
    const limited = slowRandom(0);
    const free = slowRandom(0);
    const options = { episodes: 4, seed: { experiment: 1, run: 1 }, streamKey: 'fast', maxStepsPerEpisode: 20 };
    const withLimit = runEpisodes(limited.env, limited.policy, { ...options, actTimeLimitMs: 10_000 });
    expect(JSON.stringify(withLimit)).toBe(JSON.stringify(runEpisodes(free.env, free.policy, options)));
  });
});
