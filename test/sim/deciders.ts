// Deciders shared by the world tests. They use sim/ only (the policies' own tests cover policies/).
import type { SlateDecider } from '../../sim/env.ts';

/** K distinct uniformly random candidates per active row, from the row's own stream (any world shape). */
export const randomDecider: SlateDecider = {
  act(observation, rowRngs, slates) {
    const rows = observation.active.length;
    const n = observation.candidateItems.length / rows;
    const k = slates.length / rows;
    for (let row = 0; row < rows; row++)
      if (observation.active[row] === 1) rowRngs[row].sampleDistinct(n, k, slates, row * k);
  },
};
