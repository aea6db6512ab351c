// SLOPE (eval/ope/slope.ts): candidates widest first, accepted while consistent with every wider
// one; the last accepted wins.
import { describe, expect, it } from 'vitest';
import { slopeSelect } from '../../../eval/ope/slope.ts';
import { Rng } from '../../../sim/rng.ts';

/** n terms of mean `mean` and spread `sd` (seeded). */
function terms(key: string, n: number, mean: number, sd: number): Float64Array {
  const rng = new Rng(key);
  const raw = Float64Array.from({ length: n }, () => rng.normal());
  const m = raw.reduce((a, b) => a + b, 0) / n;
  const s = Math.sqrt(raw.reduce((a, b) => a + (b - m) ** 2, 0) / n);
  return raw.map((v) => mean + (sd * (v - m)) / s);
}

describe('SLOPE', () => {
  it('picks the narrowest candidate when all agree', () => {
    const candidates = [terms('a', 500, 1, 3), terms('b', 500, 1, 1), terms('c', 500, 1, 2)];
    expect(slopeSelect(candidates)).toBe(1);
  });

  it('stops before a narrow candidate whose estimate is off: the last consistent one wins', () => {
    // Widths: sd / sqrt(n) x t: 3 -> 0.22, 2 -> 0.15, 0.5 -> 0.04. The narrowest is off by 1.
    const candidates = [terms('a', 500, 1, 3), terms('b', 500, 1.05, 2), terms('c', 500, 2, 0.5)];
    expect(slopeSelect(candidates)).toBe(1);
  });
});
