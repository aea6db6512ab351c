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
import { createPolicy } from '../../policies/policy.ts';

const SEED = { experiment: 5, run: 2 };
const USERS = 200;

describe("calibrate's days and session ends", () => {
  const make = () => feed.create(defaultParams(feed.params), { seed: SEED, batchSize: 16 }) as FeedEnv;
  const greedy = policies['greedy-pctr'];
  const measurement = new FeedMeasurement('greedy-pctr');
  const env = make();
  measurement.add(env, createPolicy(greedy, defaultParams(greedy.params), env), SEED, USERS);
  const figures = measurement.figures();
  const loopEnv = make();
  const records = runEpisodes(loopEnv, createPolicy(greedy, defaultParams(greedy.params), loopEnv), {
    episodes: USERS,
    seed: SEED,
    streamKey: 'days',
  });
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

  it("the episode metric minutesPerActiveDay is each user's minutes in the app (the default reward) over their days active", () => {
    const at = FEED_METRICS.indexOf('minutesPerActiveDay');
    for (const r of records) {
      // Within 1e-6 relative: a step's reward is float32, the minutes float64.
      const minutes = r.extra[at] * r.extra[FEED_METRICS.indexOf('daysActive')];
      expect(Math.abs(minutes - r.return)).toBeLessThanOrEqual(1e-6 * r.return);
      expect(r.extra[at]).toBeGreaterThan(0);
    }
  });

  it('every session ends by one cause, and the shares add up', () => {
    const { leave, budget, patience, horizon, byChoice } = figures.sessionEnds;
    expect(leave + budget + patience + horizon).toBeCloseTo(1, 12);
    expect(byChoice).toBeCloseTo(leave + patience, 12);
    for (const share of [leave, budget, patience]) expect(share).toBeGreaterThan(0);
  });
});

describe('the feed episode metrics of days: stickiness, activeDay7, activeLastDay', () => {
  it('report the days on which each user started a session (40 users under greedy-pctr, batch 1)', () => {
    const env = feed.create(defaultParams(feed.params), { seed: SEED, batchSize: 1 }) as FeedEnv;
    const greedy = policies['greedy-pctr'];
    const policy = createPolicy(greedy, defaultParams(greedy.params), env);
    // The days of the sessions seen starting, episode by episode (read when a session's first page
    // is decided); a new episode starts with the world's resetRow.
    const days: Set<number>[] = [];
    let sessions = -1;
    const resetRow = env.resetRow.bind(env);
    env.resetRow = (row: number, episode: number) => {
      resetRow(row, episode);
      days.push(new Set());
      sessions = -1;
    };
    const recorder = {
      act(
        observation: Parameters<typeof policy.act>[0],
        rowRngs: Parameters<typeof policy.act>[1],
        slates: Int32Array,
      ) {
        if (env.users.sessions[0] !== sessions) days[days.length - 1].add(Math.floor(env.users.nowHours[0] / 24));
        sessions = env.users.sessions[0];
        policy.act(observation, rowRngs, slates);
      },
    };
    const records = runEpisodes(env, recorder, { episodes: 40, seed: SEED, streamKey: 'days-metrics' });
    expect(days).toHaveLength(40);
    const metric = (r: (typeof records)[number], name: string) => r.extra[FEED_METRICS.indexOf(name as never)];
    let week = 0;
    let last = 0;
    records.forEach((record, i) => {
      expect(metric(record, 'stickiness')).toBeCloseTo(days[i].size / 14, 12);
      expect(metric(record, 'daysActive')).toBe(days[i].size);
      expect(metric(record, 'activeDay7')).toBe(days[i].has(7) ? 1 : 0);
      expect(metric(record, 'activeLastDay')).toBe(days[i].has(13) ? 1 : 0);
      week += metric(record, 'activeDay7');
      last += metric(record, 'activeLastDay');
    });
    // Both happen and both fail to among 40 users (not a vacuous check).
    expect(week).toBeGreaterThan(0);
    expect(week).toBeLessThan(40);
    expect(last).toBeGreaterThan(0);
    expect(last).toBeLessThan(40);
  });
});
