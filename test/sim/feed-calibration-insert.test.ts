// KuaiRand's randomly exposed log in the feed: uniformly random videos inserted into a small share
// of a policy's impressions (sim/feed/calibration.ts insertUniformVideos, FeedMeasurement's
// insertShare). The draw on its own (share, uniformity), then in the feed (the share among the
// impressions users see).
import { describe, expect, it } from 'vitest';
import { FeedMeasurement, insertUniformVideos } from '../../sim/feed/calibration.ts';
import { feed, type FeedEnv } from '../../sim/feed/env.ts';
import { defaultParams } from '../../sim/params.ts';
import { Rng } from '../../sim/rng.ts';
import { policies } from '../../policies/index.ts';
import { createPolicy } from '../../policies/policy.ts';

const K = 10;
const N = 20;

/** Draws `pages` pages of K slots (slate = candidates 0..K-1 of N) and counts what was inserted. */
function draw(pages: number, share: number, videoPosts: Int32Array, live: number) {
  const rng = new Rng('insert-test');
  const items = new Int32Array(N);
  const slates = Int32Array.from({ length: K }, (_, slot) => slot);
  const insertedSlot = new Uint8Array(K);
  const counts = new Float64Array(videoPosts.length);
  let inserted = 0;
  for (let page = 0; page < pages; page++) {
    items.fill(-1);
    insertUniformVideos(items, 0, slates, 0, K, share, videoPosts, live, rng, insertedSlot);
    for (let slot = 0; slot < K; slot++) {
      if (insertedSlot[slot] === 0) {
        expect(items[slot]).toBe(-1);
        continue;
      }
      inserted++;
      counts[videoPosts.indexOf(items[slot])]++;
    }
  }
  return { inserted, counts };
}

describe('inserting uniformly random videos into a page', () => {
  it('inserts into the asked share of slots', () => {
    // 100,000 slots at 2%: binomial standard deviation 44 slots around 2,000; 4 sd allowed.
    const { inserted } = draw(
      10_000,
      0.02,
      Int32Array.from({ length: 50 }, (_, i) => 3 * i),
      50,
    );
    expect(Math.abs(inserted - 2000)).toBeLessThan(4 * Math.sqrt(100_000 * 0.02 * 0.98));
  });

  it('draws the videos uniformly from those published (chi-square over 50 videos)', () => {
    // Every slot inserted: 50,000 draws, 1,000 expected per video; chi-square with 49 degrees of
    // freedom stays under 85.4 with probability 0.999.
    const videos = Int32Array.from({ length: 50 }, (_, i) => 3 * i);
    const { inserted, counts } = draw(5000, 1, videos, 50);
    expect(inserted).toBe(50_000);
    let chiSquare = 0;
    for (const count of counts) chiSquare += (count - 1000) ** 2 / 1000;
    expect(chiSquare).toBeLessThan(85.4);
  });

  it('never draws a video not yet published (only the first `live`)', () => {
    const { counts } = draw(
      1000,
      1,
      Int32Array.from({ length: 50 }, (_, i) => i),
      30,
    );
    expect(counts.slice(30).every((count) => count === 0)).toBe(true);
    expect(counts.slice(0, 30).every((count) => count > 0)).toBe(true);
  });

  it('inserts nothing at share 0', () => {
    expect(
      draw(
        1000,
        0,
        Int32Array.from({ length: 5 }, (_, i) => i),
        5,
      ).inserted,
    ).toBe(0);
  });
});

describe('a feed measured with random videos inserted', () => {
  it('shows the inserted videos in the asked share of the impressions users see', () => {
    // 1 seed x 1,000 users under greedy-pctr at 2%: about 135,000 impressions of all formats, about
    // 2,700 inserted (binomial sd about 51); 4 sd allowed. Whether a slot is seen depends only on
    // the slots above it, so the share among seen slots is the share drawn.
    const seed = { experiment: 5, run: 0 };
    const env = feed.create(defaultParams(feed.params), { seed, batchSize: 64 }) as FeedEnv;
    const definition = policies['greedy-pctr'];
    const measurement = new FeedMeasurement('greedy-pctr', 0.02);
    measurement.add(env, createPolicy(definition, defaultParams(definition.params), env), seed, 1000);
    const inserted = measurement.insertedFigures();
    const figures = measurement.figures();
    const total = inserted.impressions + figures.impressions + figures.photos.impressions;
    expect(total).toBeGreaterThan(100_000);
    expect(inserted.policyImpressions).toBe(figures.impressions);
    expect(Math.abs(inserted.impressions - 0.02 * total)).toBeLessThan(4 * Math.sqrt(total * 0.02 * 0.98));
  });
});
