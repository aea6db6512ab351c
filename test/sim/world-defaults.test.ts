// A world built from partial parameters (a library caller's): what it leaves out takes its default,
// so the world is the one its full defaults build, step for step.
import { describe, expect, it } from 'vitest';
import { runEpisodes } from '../../lab/loop/rollout.ts';
import { randomPolicy } from '../../policies/random.ts';
import { defaultParams } from '../../sim/params.ts';
import { worlds } from '../../sim/presets/index.ts';

const SEED = { experiment: 3, run: 1 };

describe('a world created with partial parameters', () => {
  for (const [name, world] of Object.entries(worlds)) {
    it(`${name}: fills the rest with the defaults`, () => {
      const defaults = defaultParams(world.params) as Record<string, unknown>;
      // The first parameter set to its default explicitly, the rest left out.
      const [first] = Object.keys(defaults);
      const partial = { [first]: defaults[first] };
      const episodes = (params: Record<string, unknown>) => {
        const env = world.create(params as never, { seed: SEED, batchSize: 2 });
        const decider = randomPolicy.create({}, { spec: env.spec });
        return runEpisodes(env, decider, { episodes: 2, seed: SEED, streamKey: 'defaults', maxStepsPerEpisode: 200 });
      };
      const full = episodes(defaults);
      expect(full.every((episode) => Number.isFinite(episode.return))).toBe(true);
      expect(episodes(partial)).toEqual(full);
      expect(episodes({})).toEqual(full);
    });
  }
});
