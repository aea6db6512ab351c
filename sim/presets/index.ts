// The registry of worlds: one line per preset. It feeds config validation and `slatelab list`.
import type { WorldDefinition } from '../world.ts';
import { recsimInterestEvolution } from './recsim-interest-evolution.ts';

export const worlds: Readonly<Record<string, WorldDefinition<any>>> = {
  'recsim-interest-evolution': recsimInterestEvolution,
};

export const defaultWorld = 'feed';
