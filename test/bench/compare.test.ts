import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareTrees } from '../../bench/benchmarks.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('compareTrees (bench --against)', () => {
  it('steps both trees in alternating windows and reports medians and the paired ratio', async () => {
    // Against this very checkout: both steppers run the same code, so the ratio is near 1; the
    // bound is loose because the machine is shared (the point here is the plumbing).
    const c = await compareTrees(root, 'bandit/random', { pairs: 6, windowMs: 20, batchSize: 8, warmupMs: 20 });
    expect(c.pairs).toBe(6);
    expect(c.thisTree).toBeGreaterThan(0);
    expect(c.otherTree).toBeGreaterThan(0);
    expect(c.ratio).toBeGreaterThan(0.2);
    expect(c.ratio).toBeLessThan(5);
    expect(c.ratioQuartiles[0]).toBeLessThanOrEqual(c.ratio);
    expect(c.ratioQuartiles[1]).toBeGreaterThanOrEqual(c.ratio);
  });

  it('chooses the network backend itself for a case with networks (the CLI loads nothing before it)', async () => {
    // Nothing in this file has loaded TensorFlow.js: compareTrees must, for both trees.
    const c = await compareTrees(root, 'feed/ranker:train', { pairs: 2, windowMs: 5, batchSize: 8, warmupMs: 5 });
    expect(c.thisTree).toBeGreaterThan(0);
    expect(c.otherTree).toBeGreaterThan(0);
  });

  it('names the case it cannot find in the other tree', async () => {
    await expect(compareTrees(root, 'feed/nonexistent', { pairs: 2, windowMs: 5 })).rejects.toThrow(
      /has no benchmark feed\/nonexistent/,
    );
  });
});
