// The default feed against the published figures it is calibrated to (sim/feed/calibration.ts,
// docs/world-feed.md#calibration): every band of FEED_REFERENCE, measured as `slatelab calibrate`
// measures it (lab/report/calibrate.ts runCalibration), on seeded runs pooled over 3 seeds (each
// seed has its own population and catalog) of 4,000 users each. The random-exposure figures rest
// on the videos inserted into 2% of the production stand-in's slots: about 230,000 inserted
// impressions, so the rarest rate (follow, 0.026%) rests on about 60 events, a relative standard
// error near 13% against a band of x/1.5.
import { beforeAll, describe, expect, it } from 'vitest';
import { FEED_REFERENCE, STAND_IN } from '../../sim/feed/calibration.ts';
import { feed } from '../../sim/feed/env.ts';
import { defaultParams } from '../../sim/params.ts';
import { policies } from '../../policies/index.ts';
import { DEFAULT_INSERT_SHARE, referenceRows, runCalibration, type Calibration } from '../../lab/report/calibrate.ts';

describe('the default feed matches the published figures it is calibrated to', () => {
  let calibration: Calibration;
  // About 20 s on an idle 2-core machine (the stand-in's sessions run about 9 pages); the limit
  // leaves room for a loaded one.
  beforeAll(() => {
    calibration = runCalibration(
      {
        params: defaultParams(feed.params),
        configFile: null,
        experiment: 11,
        runs: [0, 1, 2],
        episodes: 4000,
        policy: 'random',
        insertShare: DEFAULT_INSERT_SHARE,
        policies,
      },
      () => {},
    );
  }, 240_000);

  for (const [i, reference] of FEED_REFERENCE.entries()) {
    const under = reference.policy === 'catalog' ? 'the catalog' : reference.policy;
    it(`${reference.figure} under ${under} is within [${reference.low}, ${reference.high}] (published: ${reference.value})`, () => {
      const row = referenceRows(calibration)[i];
      expect(row.figure).toBe(reference.figure);
      // A rate on the inserted videos is a count over about 230,000 of them: its band is widened by
      // 3 binomial standard errors at the published rate (for follow, 0.026%: about 0.00010), since
      // the rarest rates rest on 50-80 events and one seed's luck moves them by a third.
      const counted = reference.figure.startsWith('inserted.rates.');
      const n = calibration.byPolicy[STAND_IN.name].inserted.impressions;
      const p = typeof reference.value === 'number' ? reference.value : 0;
      const slack = counted ? 3 * Math.sqrt((p * (1 - p)) / n) : 0;
      expect(row.measured).toBeGreaterThanOrEqual(reference.low - slack);
      expect(row.measured).toBeLessThanOrEqual(reference.high + slack);
    });
  }

  it('measures the random-exposure figures on enough inserted videos to make the bands tight', () => {
    const standIn = calibration.byPolicy[STAND_IN.name];
    expect(standIn.inserted.share).toBe(DEFAULT_INSERT_SHARE);
    expect(standIn.inserted.impressions).toBeGreaterThan(150_000);
    expect(standIn.inserted.impressions * standIn.inserted.rates.follow).toBeGreaterThan(30);
    expect(calibration.byPolicy['greedy-pctr'].returns).toBeGreaterThan(10_000);
  });

  it('says "see less" more often than follow', () => {
    const { rates } = calibration.byPolicy[STAND_IN.name].inserted;
    expect(rates.seeLess).toBeGreaterThan(rates.follow);
  });

  it('watch ratios fall as posts get longer (a scroll-past takes the same second or two)', () => {
    const { short, medium, long } = calibration.byPolicy.random.watchRatioByLength;
    expect(short).toBeGreaterThan(medium);
    expect(medium).toBeGreaterThan(long);
  });

  it('a personalised ranker earns more views than a random one, the stand-in most, on its top slots most', () => {
    const { random } = calibration.byPolicy;
    const greedy = calibration.byPolicy['greedy-pctr'];
    const standIn = calibration.byPolicy[STAND_IN.name];
    // greedy-pctr reads what a real ranker has by default, the engagement history: nothing on a
    // new user's first page; the stand-in knows the interests.
    expect(greedy.rates.view).toBeGreaterThan(1.1 * random.rates.view);
    expect(standIn.rates.view).toBeGreaterThan(1.2 * greedy.rates.view);
    const slots = standIn.viewRateBySlot;
    expect(slots[0]).toBeGreaterThan(slots[slots.length - 1]);
  });

  it('keeps users under the stand-in and loses them under random exposure', () => {
    const { random } = calibration.byPolicy;
    const standIn = calibration.byPolicy[STAND_IN.name];
    // Most users stay under the stand-in (the feed before issue 23 lost 60% of them under
    // greedy-pctr); random exposure loses far more.
    expect(standIn.days.churned).toBeLessThan(0.5);
    expect(random.days.churned).toBeGreaterThan(standIn.days.churned + 0.15);
    expect(standIn.days.minutesPerActiveDay).toBeGreaterThan(10 * random.days.minutesPerActiveDay);
  });
});
