// The Policy contract (policies/policy.ts) for every registered policy in every registered world:
// a policy refuses a world it cannot run in with a one-line reason, and where it runs, its slates
// depend only on each row's observation and stream, so results are the same for any batch size
// and repeat themselves. Worlds at their defaults; 6 users, each cut at 8 steps.
import { describe, expect, it } from 'vitest';
import { runEpisodes } from '../../lab/loop/rollout.ts';
import { policies } from '../../policies/index.ts';
import { defaultParams } from '../../sim/params.ts';
import { worlds } from '../../sim/presets/index.ts';
import { createPolicy } from '../../policies/policy.ts';

const SEED = { experiment: 0, run: 5 };

function play(preset: string, kind: string, batchSize: number) {
  const world = worlds[preset];
  const env = world.create(defaultParams(world.params), { seed: SEED, batchSize });
  const policy = createPolicy(policies[kind], defaultParams(policies[kind].params), env);
  return runEpisodes(env, policy, { episodes: 6, seed: SEED, streamKey: kind, maxStepsPerEpisode: 8 });
}

/** Each world's spec at its defaults, for the policies' support checks. */
const specs = Object.fromEntries(
  Object.entries(worlds).map(([preset, world]) => {
    const env = world.create(defaultParams(world.params), { seed: SEED, batchSize: 1 });
    return [preset, env.spec];
  }),
);

describe('every policy in every world', () => {
  for (const kind of Object.keys(policies)) {
    for (const preset of Object.keys(worlds)) {
      const refusal = policies[kind].unsupported?.(specs[preset]) ?? null;
      if (refusal !== null) {
        it(`${kind} in ${preset}: refuses in one line`, () => {
          expect(refusal).toMatch(/^[^\n]+$/);
        });
        continue;
      }
      it(`${kind} in ${preset}: plays the same episodes at batch 1 and 4, and again`, () => {
        const one = play(preset, kind, 1);
        expect(one.map((record) => record.episode)).toEqual([0, 1, 2, 3, 4, 5]);
        expect(play(preset, kind, 4)).toEqual(one);
        expect(play(preset, kind, 4)).toEqual(one);
      });
    }
  }
});
