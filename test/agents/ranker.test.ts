// The value-model ranker (agents/supervised/ranker.ts): it learns in the feed from its own
// exploring log, its value model's weights decide what it shows, and its diversity re-rank keeps
// one creator's posts apart. Seeded; sizes stated.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../agents/agent.ts';
import { agents } from '../../agents/index.ts';
import { useBackend } from '../../agents/nets/backend.ts';
import { evaluate, runEpisodes, train, type EpisodeRecord } from '../../lab/loop/rollout.ts';
import { policies } from '../../policies/index.ts';
import { feed, type FeedEnv } from '../../sim/feed/env.ts';
import { defaultParams } from '../../sim/params.ts';
import { Rng } from '../../sim/rng.ts';
import { createPolicy } from '../../policies/policy.ts';

const SEED = { experiment: 5, run: 2 };
const feedEnv = (batchSize = 64): FeedEnv =>
  feed.create(defaultParams(feed.params), { seed: SEED, batchSize }) as FeedEnv;

function makeRanker(spec: FeedEnv['spec'], overrides: Record<string, unknown> = {}): Agent {
  const definition = agents.ranker;
  const values = { ...defaultParams(definition.params), retrainEvery: 3000, ...overrides };
  return definition.create(values, {
    spec,
    seed: SEED,
    streams: { init: new Rng('ranker/init'), update: new Rng('ranker/update') },
  });
}

const meanReturn = (records: readonly EpisodeRecord[]) => records.reduce((s, r) => s + r.return, 0) / records.length;

describe('the value-model ranker', () => {
  let trained: Agent;
  beforeAll(async () => {
    await useBackend('wasm');
    const env = feedEnv();
    trained = makeRanker(env.spec);
    train(env, trained, { seed: SEED, streamKey: 'ranker', steps: 6000, episodes: Infinity });
  }, 300_000);

  it('after 6,000 training steps (two refits) it earns more watch minutes per user than random, on the same 300 evaluation users (paired, 95%)', () => {
    const options = { seed: SEED, streamKey: 'ranker-eval', episodes: 300 };
    const ranked = evaluate(feedEnv(), trained, options);
    const randomEnv = feedEnv();
    const random = runEpisodes(randomEnv, createPolicy(policies.random, {}, randomEnv), options);
    const differences = ranked.map((r, i) => r.return - random[i].return);
    const mean = differences.reduce((a, b) => a + b, 0) / differences.length;
    const sd = Math.sqrt(differences.reduce((a, d) => a + (d - mean) ** 2, 0) / (differences.length - 1));
    const halfWidth = (1.968 * sd) / Math.sqrt(differences.length);
    expect(mean - halfWidth, `ranker ${meanReturn(ranked)} vs random ${meanReturn(random)}`).toBeGreaterThan(0);
  });

  it('never puts two posts of one creator next to each other (100 users), which ranking by value alone does', () => {
    const adjacent = (agent: Agent) => {
      const env = feedEnv();
      const { numCandidates: n, slateSize: k } = env.spec;
      let pairs = 0;
      runEpisodes(
        env,
        {
          act(observation, rowRngs, slates) {
            agent.act(
              observation,
              rowRngs,
              {
                slates,
                slateProb: new Float64Array(64),
                slotProb: new Float64Array(64 * k),
                prefixProb: new Float64Array(64 * k),
                propensities: false,
              },
              'eval',
            );
            for (let row = 0; row < 64; row++) {
              if (observation.active[row] === 0) continue;
              for (let slot = 1; slot < k; slot++) {
                const creator = (s: number) => observation.fields.creator[row * n + slates[row * k + s]];
                if (creator(slot) === creator(slot - 1)) pairs++;
              }
            }
          },
        },
        { seed: SEED, streamKey: 'ranker-diversity', episodes: 100 },
      );
      return pairs;
    };
    expect(adjacent(trained)).toBe(0);
    // The same network without the re-rank: the trained weights, loaded into a ranker without it.
    const plain = makeRanker(feedEnv().spec, { diversity: false });
    plain.load!(trained.save!());
    expect(adjacent(plain)).toBeGreaterThan(0);
  });
});
