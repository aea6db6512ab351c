// The clock in the open: the horizon in the spec and, per row and step, the session endings, the
// minutes a step took and the hours to the next session (StepResult; sim/env.ts). The feed's own
// state (users.nowHours, the sessions and churned metrics) is the reference they must agree with.
import { beforeAll, describe, expect, it } from 'vitest';
import { runEpisodes } from '../../lab/loop/rollout.ts';
import { SESSION_END, type Env, type SlateDecider, type StepResult } from '../../sim/env.ts';
import { FEED_METRICS, feed, type FeedEnv, type FeedParams } from '../../sim/feed/env.ts';
import { SIG_WATCH, SIGNALS } from '../../sim/feed/response.ts';
import { defaultParams } from '../../sim/params.ts';
import { worlds } from '../../sim/presets/index.ts';
import type { SeedKey } from '../../sim/rng.ts';
import { randomDecider } from './deciders.ts';
import { feedValues, type DeepPartial } from './feed-values.ts';

const SEED: SeedKey = { experiment: 23, run: 1 };
const SESSIONS = FEED_METRICS.indexOf('sessions');
const CHURNED = FEED_METRICS.indexOf('churned');

function makeFeed(overrides: DeepPartial<FeedParams> = {}, batchSize = 8): FeedEnv {
  return feed.create(feedValues(overrides), { seed: SEED, batchSize }) as FeedEnv;
}

/** Per episode, what its steps said and what the feed's own counters say. */
interface EpisodeClock {
  sessionEnds: number;
  lastReason: number;
  truncated: number;
  churned: number;
  sessions: number;
  minutes: number;
  watchMinutes: number;
  maxDay: number;
}

/**
 * Runs `episodes` random-policy episodes and checks every active row of every step against the
 * user's clock (users.nowHours before and after the step); returns each episode's totals.
 */
function runClock(env: FeedEnv, episodes: number): EpisodeClock[] {
  const { batchSize: B, slateSize: K } = env.spec;
  const users = env.users;
  const before = new Float64Array(B);
  const decider: SlateDecider = {
    act(observation, rowRngs, slates) {
      before.set(users.nowHours);
      randomDecider.act(observation, rowRngs, slates);
    },
  };
  const rows: EpisodeClock[] = Array.from({ length: B }, () => fresh());
  const done: EpisodeClock[] = [];
  const extra = new Float64Array(FEED_METRICS.length);
  const minGapHours = env.spec.horizonDays === null ? 0 : feedValues({}).dynamics.minGapHours;
  const onStep = (result: StepResult) => {
    for (let row = 0; row < B; row++) {
      if (env.observation.active[row] === 0) continue;
      const reason = result.sessionEndReason[row];
      const minutes = result.stepMinutes[row];
      const hours = result.hoursToNextSession[row];
      const clock = rows[row];
      expect(result.sessionEnded[row]).toBe(reason === SESSION_END.none ? 0 : 1);
      expect(minutes).toBeGreaterThan(0);
      clock.minutes += minutes;
      for (let slot = 0; slot < K; slot++) clock.watchMinutes += result.signals[(row * K + slot) * SIGNALS + SIG_WATCH];
      clock.maxDay = Math.max(clock.maxDay, Math.floor(before[row] / 24));
      clock.sessionEnds += result.sessionEnded[row];
      if (reason === SESSION_END.returns) {
        // The clock moved by the step's minutes, then by the gap to the next session.
        expect(hours).toBeGreaterThanOrEqual(minGapHours);
        expect(users.nowHours[row]).toBeCloseTo(before[row] + minutes / 60 + hours, 9);
        // The next observation is the next session's first request: its day and hour.
        expect(env.observation.context[row * 3]).toBe(Math.floor(users.nowHours[row] / 24));
        expect(env.observation.context[row * 3 + 1]).toBe(Math.floor(users.nowHours[row] % 24));
        expect(result.done[row]).toBe(0);
      } else {
        expect(hours).toBeNaN();
        if (reason === SESSION_END.none) {
          expect(result.done[row]).toBe(0);
          expect(users.nowHours[row]).toBeCloseTo(before[row] + minutes / 60, 9);
        } else {
          expect(result.done[row]).toBe(1);
          expect(result.truncated[row]).toBe(reason === SESSION_END.horizon ? 1 : 0);
        }
      }
      if (result.done[row] === 0) continue;
      env.episodeMetrics(row, extra);
      done.push({
        ...clock,
        lastReason: reason,
        truncated: result.truncated[row],
        churned: extra[CHURNED],
        sessions: extra[SESSIONS],
      });
      rows[row] = fresh();
    }
  };
  runEpisodes(env, decider, { episodes, seed: SEED, streamKey: 'clock-test', onStep });
  expect(done).toHaveLength(episodes);
  return done;
}

function fresh(): EpisodeClock {
  return {
    sessionEnds: 0,
    lastReason: -1,
    truncated: 0,
    churned: 0,
    sessions: 0,
    minutes: 0,
    watchMinutes: 0,
    maxDay: 0,
  };
}

describe('feed: the clock between steps', () => {
  // 40 random-policy users over the default 14 days: about 1 in 4 churns, the rest reach the horizon.
  const env = makeFeed();
  let episodes: EpisodeClock[] = [];
  beforeAll(() => {
    episodes = runClock(env, 40);
  });

  it('declares its horizon in days, the days the episodes run (0..D-1)', () => {
    expect(env.spec.horizonDays).toBe(14);
    expect(Math.max(...episodes.map((e) => e.maxDay))).toBe(13);
    const short = makeFeed({ horizonDays: 3 });
    expect(short.spec.horizonDays).toBe(3);
    expect(Math.max(...runClock(short, 8).map((e) => e.maxDay))).toBe(2);
  });

  it('ends a session exactly as often as the feed counts sessions, the last one with the episode', () => {
    for (const e of episodes) {
      expect(e.sessionEnds).toBe(e.sessions);
      expect(e.lastReason).not.toBe(SESSION_END.none);
    }
    expect(episodes.every((e) => e.sessions > 1)).toBe(true);
  });

  it('says churn (gone) exactly for users who churned, and horizon for the rest', () => {
    const churned = episodes.filter((e) => e.churned === 1);
    expect(churned.length).toBeGreaterThan(0);
    expect(churned.length).toBeLessThan(episodes.length);
    for (const e of episodes) {
      expect(e.lastReason).toBe(e.churned === 1 ? SESSION_END.gone : SESSION_END.horizon);
      expect(e.truncated).toBe(1 - e.churned);
    }
  });

  it("sums the steps' minutes to the episode's minutes on screen (the watchMinutes signal; float32 per slot)", () => {
    for (const e of episodes) expect(Math.abs(e.minutes - e.watchMinutes)).toBeLessThan(1e-4 * e.minutes);
  });
});

describe('feed: a session the horizon cuts mid-scroll', () => {
  it('ends there, with the episode (horizon), and counts as a session', () => {
    // Long, patient sessions that start just before midnight on a one-day horizon (as feed.test.ts):
    // most users are still scrolling when the horizon cuts their one session.
    const env = makeFeed({
      horizonDays: 1,
      users: {
        sessionMinutes: 120,
        eveningPeakHour: 23.8,
        morningPeakShare: 0,
        diurnalSpreadHours: 0.05,
        patienceMin: 200,
        patienceMax: 200,
      },
      dynamics: { leaveBias: -5.3, leaveBoredom: 0, leaveSatisfaction: 0 },
    });
    const episodes = runClock(env, 24);
    for (const e of episodes) {
      expect(e.sessionEnds).toBe(e.sessions);
      expect(e.lastReason).toBe(SESSION_END.horizon);
    }
    expect(episodes.filter((e) => e.sessions === 1).length).toBeGreaterThan(12);
  });
});

describe('worlds without a clock: one session per episode, no minutes', () => {
  for (const preset of ['bandit', 'long-term-satisfaction', 'recsim-interest-evolution']) {
    it(`${preset}: horizonDays null, the session ends with the episode`, () => {
      const world = worlds[preset];
      const env: Env = world.create(defaultParams(world.params), { seed: SEED, batchSize: 4 });
      expect(env.spec.horizonDays).toBeNull();
      let ends = 0;
      const records = runEpisodes(env, randomDecider, {
        episodes: 6,
        seed: SEED,
        streamKey: 'clock-test',
        onStep: (result) => {
          for (let row = 0; row < 4; row++) {
            if (env.observation.active[row] === 0) continue;
            expect(result.sessionEnded[row]).toBe(result.done[row]);
            const reason =
              result.done[row] === 0
                ? SESSION_END.none
                : result.truncated[row] === 1
                  ? SESSION_END.horizon
                  : SESSION_END.gone;
            expect(result.sessionEndReason[row]).toBe(reason);
            expect(result.stepMinutes[row]).toBe(0);
            expect(result.hoursToNextSession[row]).toBeNaN();
            ends += result.sessionEnded[row];
          }
        },
      });
      expect(ends).toBe(records.length);
    });
  }
});
