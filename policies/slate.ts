// Slate builders shared by the ranking policies.

/**
 * Writes, for every active row, the K candidates with the highest scores (B x N) into slates
 * (B x K), best first. Ties go to the lower candidate index, so rankings are deterministic.
 */
export function topKByScore(scores: ArrayLike<number>, active: Uint8Array, numCandidates: number, slateSize: number, slates: Int32Array): void {
  for (let row = 0; row < active.length; row++) {
    if (active[row] === 0) continue;
    const scoreBase = row * numCandidates;
    const slateBase = row * slateSize;
    // Insertion into a sorted prefix: O(N * K), cheap for feed-sized N and K, no allocation.
    let filled = 0;
    for (let candidate = 0; candidate < numCandidates; candidate++) {
      const score = scores[scoreBase + candidate];
      if (filled === slateSize && !(score > scores[scoreBase + slates[slateBase + slateSize - 1]])) continue;
      let position = filled < slateSize ? filled++ : slateSize - 1;
      while (position > 0 && score > scores[scoreBase + slates[slateBase + position - 1]]) {
        slates[slateBase + position] = slates[slateBase + position - 1];
        position--;
      }
      slates[slateBase + position] = candidate;
    }
  }
}
