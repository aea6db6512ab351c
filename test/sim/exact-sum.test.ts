import { describe, expect, it } from 'vitest';
import { ExactSum } from '../../sim/exact-sum.ts';
import { Rng } from '../../sim/rng.ts';

const sumOf = (terms: readonly number[]): number => {
  const sum = new ExactSum();
  for (const term of terms) sum.add(term);
  return sum.value();
};

describe('exact sum', () => {
  it('is 0 without terms and the term itself with one', () => {
    expect(sumOf([])).toBe(0);
    expect(sumOf([0.1])).toBe(0.1);
  });

  it('keeps what a running sum loses: 1e16 + 1 - 1e16 is 1, and 0.1 ten times is 1', () => {
    expect(sumOf([1e16, 1, -1e16])).toBe(1);
    expect(1e16 + 1 - 1e16).not.toBe(1);
    expect(sumOf(Array.from({ length: 10 }, () => 0.1))).toBe(1);
  });

  it('rounds the exact sum once, half to even across partials (as math.fsum: 1 + 2^-53 + 2^-106 is above half)', () => {
    // 1 + 2^-53 is exactly half an ulp above 1: ties to even give 1, but the 2^-106 below tips it up.
    expect(sumOf([1, 2 ** -53])).toBe(1);
    expect(sumOf([1, 2 ** -53, 2 ** -106])).toBe(1 + 2 ** -52);
    expect(sumOf([1, 2 ** -53, -(2 ** -106)])).toBe(1);
  });

  it('gives the same bits in any order (10,000 terms of mixed sign and magnitude, 20 shuffles)', () => {
    const rng = new Rng('exact-sum');
    const terms = Array.from({ length: 10_000 }, () => (rng.uniform() - 0.3) * 10 ** (rng.int(12) - 6));
    const first = sumOf(terms);
    let plainDiffers = false;
    for (let shuffle = 0; shuffle < 20; shuffle++) {
      for (let i = terms.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [terms[i], terms[j]] = [terms[j], terms[i]];
      }
      expect(sumOf(terms)).toBe(first);
      if (terms.reduce((a, b) => a + b, 0) !== first) plainDiffers = true;
    }
    // A plain running sum does depend on the order: the reason for the exact one.
    expect(plainDiffers).toBe(true);
  });
});
