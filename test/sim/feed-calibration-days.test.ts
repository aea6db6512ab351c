// calibrate's day and session figures (sim/feed/calibration.ts FeedMeasurement): stickiness,
// sessions and minutes per active day, churn and the causes of session ends, checked against the
// same users' episode records. greedy-pctr draws nothing, so the measurement's run and the
// loop's meet the same users with the same pages.
import { describe, expect, it } from 'vitest';
import { FeedMeasurement } from '../../sim/feed/calibration.ts';
import { FEED_METRICS, feed, type FeedEnv } from '../../sim/feed/env.ts';
import { defaultParams } from '../../sim/params.ts';
import { policies } from '../../policies/index.ts';
import { runEpisodes } from '../../lab/loop/rollout.ts';

const SEED = { experiment: 5, run: 2 };
const USERS = 200;

describe("calibrate's days and session ends", () => {
  const make = () => feed.create(defaultParams(feed.params), { seed: SEED, batchSize: 16 }) as FeedEnv;
  const greedy = policies['greedy-pctr'];
  const measurement = new FeedMeasurement('greedy-pctr');
  const env = make();
  measurement.add(env, greedy.create(defaultParams(greedy.params), { spec: env.spec, env }), SEED, USERS);
  const figures = measurement.figures();
  const loopEnv = make();
  const records = runEpisodes(
    loopEnv,
    greedy.create(defaultParams(greedy.params), { spec: loopEnv.spec, env: loopEnv }),
    {
      episodes: USERS,
      seed: SEED,
      streamKey: 'days',
    },
  );
  const sum = (name: string) => records.reduce((total, r) => total + r.extra[FEED_METRICS.indexOf(name as never)], 0);

  it('stickiness is the mean over the horizon of the share of users active that day (churned users inactive)', () => {
    expect(figures.days.stickiness).toBeCloseTo(sum('daysActive') / (USERS * 14), 12);
    expect(figures.days.churned).toBeCloseTo(sum('churned') / USERS, 12);
    expect(figures.days.sessionsPerActiveDay).toBeCloseTo(sum('sessions') / sum('daysActive'), 12);
  });

  it('minutes per active day are the minutes on the screen (the default reward) over active days', () => {
    const minutes = records.reduce((total, r) => total + r.return, 0);
    expect(figures.days.minutesPerActiveDay).toBeCloseTo(minutes / sum('daysActive'), 6);
  });

  it('every session ends by one cause, and the shares add up', () => {
    const { leave, budget, patience, horizon, byChoice } = figures.sessionEnds;
    expect(leave + budget + patience + horizon).toBeCloseTo(1, 12);
    expect(byChoice).toBeCloseTo(leave + patience, 12);
    for (const share of [leave, budget, patience]) expect(share).toBeGreaterThan(0);
  });
});
