// The registry of worlds: one line per preset. It feeds config validation and `slatelab list`.
import type { WorldDefinition } from '../world.ts';
import { recsimInterestEvolution } from './recsim-interest-evolution.ts';
import { longTermSatisfaction } from './long-term-satisfaction.ts';
import { bandit } from './bandit.ts';
import { feed } from '../feed/env.ts';

// biome-ignore lint/suspicious/noExplicitAny: each definition has its own parameter type; a registry holds them all
export const worlds: Readonly<Record<string, WorldDefinition<any>>> = {
  'recsim-interest-evolution': recsimInterestEvolution,
  'long-term-satisfaction': longTermSatisfaction,
  bandit,
  feed,
};

export const defaultWorld = 'feed';
