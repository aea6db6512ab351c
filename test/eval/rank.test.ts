import { describe, expect, it } from 'vitest';
import { ranks, spearman } from '../../eval/rank.ts';

describe("Spearman's rank correlation", () => {
  it('ranks with ties averaged', () => {
    expect(ranks([10, 30, 20, 20])).toEqual([1, 4, 2.5, 2.5]);
  });

  it('is 1 for the same order, -1 for the reverse, with exact permutation p-values (5 pairs: 2/120)', () => {
    const same = spearman([1, 2, 3, 4, 5], [10, 20, 30, 40, 50]);
    expect(same.rho).toBeCloseTo(1, 12);
    // Only the identity and the reversal reach |rho| = 1 among the 120 orderings.
    expect(same.p).toBeCloseTo(2 / 120, 12);
    expect(spearman([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]).rho).toBeCloseTo(-1, 12);
    // With 5 pairs only a perfect ranking is significant at 5%.
    const oneSwap = spearman([1, 2, 3, 4, 5], [1, 2, 3, 5, 4]);
    expect(oneSwap.rho).toBeCloseTo(0.9, 12);
    expect(oneSwap.p).toBeGreaterThan(0.05);
  });
});
