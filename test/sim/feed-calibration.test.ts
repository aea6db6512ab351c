// The default feed against the published figures it is calibrated to (sim/feed/calibration.ts,
// docs/world-feed.md#calibration): every band of FEED_REFERENCE, measured on seeded runs pooled
// over 3 seeds (each seed has its own population and catalog). Sizes: 4,000 users per seed and
// policy, about 880,000 video impressions under the random policy, so the rarest rate (follow,
// 0.026%) rests on about 65 events per seed and 200 pooled: a relative standard error near 7%,
// against a band of x/1.5.
import { beforeAll, describe, expect, it } from 'vitest';
import { FEED_REFERENCE, FeedMeasurement, figureValue, type CalibrationFigures } from '../../sim/feed/calibration.ts';
import { feed, type FeedEnv } from '../../sim/feed/env.ts';
import { defaultParams } from '../../sim/params.ts';
import { policies } from '../../policies/index.ts';

const SEEDS = [0, 1, 2].map((run) => ({ experiment: 11, run }));
const USERS = 4000;

function measure(policy: string): CalibrationFigures {
  const measurement = new FeedMeasurement(policy);
  for (const seed of SEEDS) {
    const env = feed.create(defaultParams(feed.params), { seed, batchSize: 64 }) as FeedEnv;
    const definition = policies[policy];
    measurement.add(env, definition.create(defaultParams(definition.params), { spec: env.spec, env }), seed, USERS);
  }
  return measurement.figures();
}

describe('the default feed matches the published figures it is calibrated to', () => {
  let random: CalibrationFigures;
  let greedy: CalibrationFigures;
  // About 5 s on an idle 2-core machine; the limit leaves room for a loaded one.
  beforeAll(() => {
    random = measure('random');
    greedy = measure('greedy-pctr');
  }, 120_000);

  for (const reference of FEED_REFERENCE) {
    it(`${reference.figure} under ${reference.policy === 'catalog' ? 'the catalog' : reference.policy} is within [${reference.low}, ${reference.high}] (published: ${reference.value})`, () => {
      const value = figureValue(reference.policy === 'greedy-pctr' ? greedy : random, reference.figure);
      expect(value).toBeGreaterThanOrEqual(reference.low);
      expect(value).toBeLessThanOrEqual(reference.high);
    });
  }

  it('has enough impressions and returns to make the bands tight', () => {
    expect(random.impressions).toBeGreaterThan(200_000);
    expect(random.impressions * random.rates.follow).toBeGreaterThan(120);
    expect(greedy.returns).toBeGreaterThan(10_000);
  });

  it('says "see less" more often than follow', () => {
    expect(random.rates.seeLess).toBeGreaterThan(random.rates.follow);
  });

  it('watch ratios fall as posts get longer (a scroll-past takes the same second or two)', () => {
    const { short, medium, long } = random.watchRatioByLength;
    expect(short).toBeGreaterThan(medium);
    expect(medium).toBeGreaterThan(long);
  });

  it('a personalised ranker earns more views than a random one, and most on its top slots', () => {
    // greedy-pctr reads what a real ranker has by default, the engagement history: nothing on a
    // new user's first page, so its lead over random is modest (about 1.2x here).
    expect(greedy.rates.view).toBeGreaterThan(1.1 * random.rates.view);
    const slots = greedy.viewRateBySlot;
    expect(slots[0]).toBeGreaterThan(slots[slots.length - 1]);
  });
});
