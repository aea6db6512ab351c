// Slate builders shared by the ranking policies.

/** The kept scores of the row being ranked (grown to the largest K asked for; never shrunk). */
let kept = new Float64Array(16);

/**
 * Writes, for every active row, the K candidates with the highest scores (B x N) into slates
 * (B x K), best first. Ties go to the lower candidate index, so rankings are deterministic.
 */
export function topKByScore(
  scores: ArrayLike<number>,
  active: Uint8Array,
  numCandidates: number,
  slateSize: number,
  slates: Int32Array,
): void {
  const n = numCandidates | 0;
  const k = slateSize | 0;
  if (kept.length < k) kept = new Float64Array(k);
  // The scores of the row's slate so far, position by position (copies: the comparisons read no
  // candidate index and no second array).
  const top = kept;
  for (let row = 0; row < active.length; row++) {
    if (active[row] === 0) continue;
    const scoreBase = row * n;
    const slateBase = row * k;
    // Insertion into a sorted prefix: O(N * K) at worst, cheap for feed-sized N and K, no allocation.
    let filled = 0;
    for (let candidate = 0; candidate < n; candidate++) {
      const score = scores[scoreBase + candidate];
      if (filled === k && !(score > top[k - 1])) continue;
      let position = filled < k ? filled++ : k - 1;
      while (position > 0 && score > top[position - 1]) {
        top[position] = top[position - 1];
        slates[slateBase + position] = slates[slateBase + position - 1];
        position--;
      }
      top[position] = score;
      slates[slateBase + position] = candidate;
    }
  }
}
