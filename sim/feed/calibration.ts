// The feed's figures next to a real feed's: rates per impression, watch ratios, post lengths,
// return gaps, pages per session and views by slot, measured by running the feed under a policy,
// and the published figures they are compared with (KuaiRand, with sources). `slatelab calibrate`
// prints both; test/sim/feed-calibration.test.ts asserts the bands. docs/world-feed.md#calibration
// says what each figure means and where it comes from.
import type { SlateDecider } from '../env.ts';
import { Rng, type SeedKey } from '../rng.ts';
import { createdCount, FORMAT_PHOTO } from './catalog.ts';
import type { FeedEnv } from './env.ts';
import {
  SESSION_CAUSE,
  SIG_COMMENT,
  SIG_FOLLOW,
  SIG_LIKE,
  SIG_SEE_LESS,
  SIG_SHARE,
  SIG_VIEW,
  SIG_WATCH,
  SIGNALS,
} from './response.ts';

export const RATE_NAMES = ['view', 'longView', 'like', 'comment', 'share', 'follow', 'seeLess'] as const;
export type RateName = (typeof RATE_NAMES)[number];

/** Gap buckets between consecutive active days: 1..6 days, and 7 or more. */
export const GAP_BUCKETS = ['1', '2', '3', '4', '5', '6', '7+'] as const;

/** A long view: at least this long on the post, or the whole post when shorter (KuaiRand). */
export const LONG_VIEW_SECONDS = 18;

/**
 * Under which policy a figure is compared: random, greedy-pctr (the engagement-history ranker),
 * the production stand-in (greedy-pctr with `observability: full`: a ranker that knows its users'
 * interests as a production system with years of history does, and nothing of posts' hidden
 * quality; STAND_IN), or the catalog itself (any run).
 */
export type ReferencePolicy = 'random' | 'greedy-pctr' | 'stand-in' | 'catalog';

/** The production stand-in: which policy, and what it changes in the world. */
export const STAND_IN = { name: 'stand-in', policy: 'greedy-pctr', observability: 'full' } as const;

/** A published figure, the band the default feed must fall in, and where it comes from. */
export interface ReferenceFigure {
  /** Path in CalibrationFigures, e.g. "inserted.rates.view". */
  readonly figure: string;
  readonly value: number | string;
  /** The band asserted by the tests (inclusive). */
  readonly low: number;
  readonly high: number;
  /** Under which policy the figure is compared. */
  readonly policy: ReferencePolicy;
  readonly source: string;
}

const KUAIRAND_RANDOM =
  'KuaiRand-27K, randomly exposed log (Gao et al., CIKM 2022): uniformly random videos inserted into the ' +
  'production feed, per impression';
const KUAIRAND_LIFT =
  "KuaiRand-27K: the production log's rate over the randomly exposed log's, per impression (same users, same time)";
const DESIGN = 'design (issue 23): what a believable feed does, no published figure';
const rare = (figure: string, value: number): ReferenceFigure => ({
  figure: `inserted.rates.${figure}`,
  value,
  low: value / 1.5,
  high: value * 1.5,
  policy: 'stand-in',
  source: KUAIRAND_RANDOM,
});
const common = (figure: string, value: number): ReferenceFigure => ({
  figure: `inserted.rates.${figure}`,
  value,
  low: value * 0.75,
  high: value * 1.25,
  policy: 'stand-in',
  source: KUAIRAND_RANDOM,
});
/** A lift published as KuaiRand's: at least it, and not beyond twice it. */
const lift = (figure: string, value: number): ReferenceFigure => ({
  figure: `lift.${figure}`,
  value,
  low: value,
  high: 2 * value,
  policy: 'stand-in',
  source: KUAIRAND_LIFT,
});

/**
 * The figures the default feed is calibrated to (docs/world-feed.md#calibration has the sources in
 * full). As KuaiRand measured them: the randomly exposed log's rates and watch ratios on uniformly
 * random videos inserted into the production stand-in's feed, and the stand-in's own rates over
 * them (the lifts); KuaiRand-Pure's candidate pool for video lengths; its production log for return
 * gaps (under greedy-pctr, a personalised policy); sessions and days under the stand-in.
 */
export const FEED_REFERENCE: readonly ReferenceFigure[] = [
  common('view', 0.176),
  common('longView', 0.085),
  rare('like', 0.0048),
  rare('comment', 0.00035),
  rare('share', 0.00034),
  rare('follow', 0.00026),
  rare('seeLess', 0.00114),
  {
    figure: 'inserted.watchRatio.median',
    value: 0.035,
    low: 0.02,
    high: 0.06,
    policy: 'stand-in',
    source: `${KUAIRAND_RANDOM}: median play time / duration`,
  },
  {
    figure: 'inserted.watchRatio.overOne',
    value: 0.033,
    low: 0.02,
    high: 0.045,
    policy: 'stand-in',
    source: `${KUAIRAND_RANDOM}: share of plays longer than the video (re-watches)`,
  },
  lift('view', 2.1),
  lift('longView', 3.1),
  lift('like', 3.5),
  { figure: 'lift.seeLess', value: 0.43, low: 0.25, high: 0.65, policy: 'stand-in', source: KUAIRAND_LIFT },
  {
    figure: 'videoSeconds.median',
    value: 81,
    low: 65,
    high: 95,
    policy: 'catalog',
    source: 'KuaiRand-Pure candidate pool (video_features_basic_pure.csv, n = 7,344), durations',
  },
  {
    figure: 'videoSeconds.p10',
    value: 15,
    low: 11,
    high: 19,
    policy: 'catalog',
    source: 'KuaiRand-Pure candidate pool, 10th percentile of durations',
  },
  {
    figure: 'videoSeconds.p90',
    value: 238,
    low: 190,
    high: 290,
    policy: 'catalog',
    source: 'KuaiRand-Pure candidate pool, 90th percentile of durations',
  },
  {
    figure: 'returnGapDays.1',
    value: 0.617,
    low: 0.55,
    high: 0.7,
    policy: 'greedy-pctr',
    source: 'KuaiRand-Pure production log: gaps between consecutive active days (KuaiSim preprocessing)',
  },
  {
    figure: 'returnGapDays.7+',
    value: 0.039,
    low: 0,
    high: 0.05,
    policy: 'greedy-pctr',
    source: 'KuaiRand-Pure production log: gaps of 7 days or more',
  },
  {
    figure: 'pagesPerSession.median',
    value: '14-15 slates of 6',
    low: 5,
    high: 15,
    policy: 'stand-in',
    source:
      "KuaiSim's user model learned from KuaiRand-Pure (Zhao et al., 2023): 14-15 slates of 6 videos a session, " +
      'about 9 pages of 10',
  },
  {
    figure: 'pagesPerSession.median',
    value: 'short',
    low: 1,
    high: 2,
    policy: 'random',
    source: `${DESIGN}: random exposure bores users out of a session within a page or two`,
  },
  {
    figure: 'sessionEnds.byChoice',
    value: 'most',
    low: 0.5,
    high: 1,
    policy: 'stand-in',
    source: `${DESIGN}: sessions end by the user's choice (leaving, skips), not by a time budget`,
  },
  {
    figure: 'days.stickiness',
    value: 0.575,
    low: 0.5,
    high: 0.7,
    policy: 'stand-in',
    source: 'Kuaishou DAU/MAU over 30 days: 0.58 (Q3 2022), 0.57 (Q3 2024), company reports',
  },
];

/** The value of a figure path ("inserted.rates.view", "returnGapDays.7+") in a set of figures. */
export function figureValue(figures: CalibrationFigures, path: string): number {
  let value: unknown = figures;
  for (const key of path.split('.')) value = (value as Record<string, unknown>)[key];
  return value as number;
}

/** The rates whose lift (policy over inserted) is reported. */
export const LIFT_RATES = ['view', 'longView', 'like', 'seeLess'] as const satisfies readonly RateName[];
export type LiftRate = (typeof LIFT_RATES)[number];

export interface CalibrationFigures {
  readonly world: 'feed';
  readonly policy: string;
  /** Video impressions (reels and videos: the posts KuaiRand's figures are about). */
  readonly impressions: number;
  /** Per video impression. */
  readonly rates: Record<RateName, number>;
  /** Time on the post / its length, over video impressions. */
  readonly watchRatio: { readonly median: number; readonly overOne: number };
  /** Median watch ratio by video length: up to 30 s, 30-120 s, over 120 s. */
  readonly watchRatioByLength: { readonly short: number; readonly medium: number; readonly long: number };
  /** Lengths of the catalog's videos (reels and videos), seconds. */
  readonly videoSeconds: { readonly p10: number; readonly median: number; readonly p90: number };
  /** Photo impressions and their rates (no published counterpart: see docs/world-feed.md). */
  readonly photos: {
    readonly impressions: number;
    readonly rates: Record<RateName, number>;
    readonly medianSeconds: number;
  };
  /** Among returns seen within the horizon, the share whose next active day is 1, 2, ... 7+ days later. */
  readonly returnGapDays: Record<(typeof GAP_BUCKETS)[number], number>;
  readonly returns: number;
  readonly pagesPerSession: { readonly median: number; readonly mean: number };
  /** Valid views per impression at each slot of the page (all formats). */
  readonly viewRateBySlot: number[];
  /** Users' days, over the horizon (churned users' remaining days count as inactive). */
  readonly days: {
    /** Mean over the horizon's days of the share of users active that day (DAU over all users). */
    readonly stickiness: number;
    readonly sessionsPerActiveDay: number;
    /** Minutes on the screen (every impression) per active day. */
    readonly minutesPerActiveDay: number;
    /** Share of users who churned. */
    readonly churned: number;
  };
  /**
   * Share of sessions ended by each cause (response.ts SESSION_CAUSE; horizon: cut by the episode's
   * end), and by the user's choice (leave + patience).
   */
  readonly sessionEnds: {
    readonly leave: number;
    readonly budget: number;
    readonly patience: number;
    readonly horizon: number;
    readonly byChoice: number;
  };
  /** The uniformly random videos inserted in the run (share 0: none, rates NaN), and the policy's own beside them. */
  readonly inserted: InsertedFigures;
  /** The policy's rate over the inserted videos' rate, per video impression (NaN without insertions). */
  readonly lift: Readonly<Record<LiftRate, number>>;
  readonly users: number;
}

/** The videos shown in place of the policy's posts (KuaiRand's randomly exposed log), and the policy's own beside them. */
export interface InsertedFigures {
  /** Chance that each slot of a page shows a uniformly random video instead of the policy's post. */
  readonly share: number;
  /** Inserted (video) impressions and their rates per impression. */
  readonly impressions: number;
  readonly rates: Record<RateName, number>;
  /** Time on the inserted video / its length. */
  readonly watchRatio: { readonly median: number; readonly overOne: number };
  /** The policy's own video impressions in the same run (inserted slots excluded) and their rates. */
  readonly policyImpressions: number;
  readonly policyRates: Record<RateName, number>;
}

/** Counts of one class of impressions (videos or photos). */
class Tally {
  impressions = 0;
  readonly counts = new Float64Array(RATE_NAMES.length);
  readonly ratios = new Float32List();
  rates(): Record<RateName, number> {
    const out = {} as Record<RateName, number>;
    RATE_NAMES.forEach((name, i) => {
      // No impressions of the class (e.g. a photos-only config): no rate, printed n/a (JSON null).
      out[name] = this.impressions > 0 ? this.counts[i] / this.impressions : Number.NaN;
    });
    return out;
  }
}

/**
 * The figures of a feed under one policy, pooled over the runs added (seeds: each seed has its own
 * population and catalog, so one seed's figures vary around the world's).
 */
export class FeedMeasurement {
  private readonly videos = new Tally();
  private readonly photos = new Tally();
  private readonly byLength = [new Float32List(), new Float32List(), new Float32List()];
  private readonly videoSeconds: number[] = [];
  private readonly photoSeconds: number[] = [];
  private readonly gaps = new Float64Array(GAP_BUCKETS.length);
  private readonly sessionPages: number[] = [];
  private slotViews = new Float64Array(0);
  private slotImpressions = new Float64Array(0);
  private users = 0;
  private readonly inserted = new Tally();
  private activeDays = 0;
  private userDays = 0;
  private sessions = 0;
  private minutes = 0;
  private churned = 0;
  /** Sessions ended by SESSION_CAUSE leave, budget, patience (indices 1-3), and by the horizon (0). */
  private readonly endCauses = new Float64Array(4);

  /**
   * `insertShare`: the chance that each slot of each page shows, instead of the policy's post, a
   * video drawn uniformly from the catalog's videos published by then (KuaiRand inserted uniformly
   * random videos into 0.37% of the production feed's impressions; Gao et al., CIKM 2022). The
   * draws have their own streams, (seed, 'calibrate-insert', policy, episode); with 0 nothing is
   * drawn and the run is the policy's alone.
   */
  constructor(
    private readonly policy: string,
    private readonly insertShare = 0,
  ) {}

  /**
   * Runs `episodes` users of `env` under `decider` and adds what they did. The env's batch runs
   * full: a row that finishes takes the next episode. The decider's row streams derive from
   * (seed, 'calibrate', policy, episode).
   */
  add(env: FeedEnv, decider: SlateDecider, seed: SeedKey, episodes: number): void {
    const { batchSize: B, numCandidates: N, slateSize: K } = env.spec;
    const { catalog, users, observation } = env;
    if (this.slotViews.length < K) {
      this.slotViews = Float64Array.from({ length: K }, (_, slot) => this.slotViews[slot] ?? 0);
      this.slotImpressions = Float64Array.from({ length: K }, (_, slot) => this.slotImpressions[slot] ?? 0);
    }
    for (let post = 0; post < catalog.posts; post++)
      (catalog.format[post] === FORMAT_PHOTO ? this.photoSeconds : this.videoSeconds).push(
        catalog.lengthMinutes[post] * 60,
      );
    const slates = new Int32Array(B * K);
    const posts = new Int32Array(B * K);
    const rowRngs = Array.from({ length: B }, () => new Rng(''));
    const share = this.insertShare;
    const insertRngs = Array.from({ length: B }, () => new Rng(''));
    // B x K: 1 where the slot shows an inserted video.
    const insertedSlot = new Uint8Array(B * K);
    // The catalog's videos in id (= creation) order, and how many of them are among posts [0, c).
    const videoPosts = new Int32Array(catalog.posts);
    const videosBefore = new Int32Array(catalog.posts + 1);
    let videoCount = 0;
    if (share > 0)
      for (let post = 0; post < catalog.posts; post++) {
        if (catalog.format[post] !== FORMAT_PHOTO) videoPosts[videoCount++] = post;
        videosBefore[post + 1] = videoCount;
      }
    const rowEpisode = new Int32Array(B).fill(-1);
    const rowLastDay = new Int32Array(B);
    const rowPages = new Int32Array(B);
    const sessionsBefore = new Int32Array(B);
    const longViewMinutes = LONG_VIEW_SECONDS / 60;
    const horizonDays = env.spec.horizonDays ?? 0;
    let nextEpisode = 0;
    let running = 0;
    const start = (row: number): void => {
      if (nextEpisode >= episodes) {
        rowEpisode[row] = -1;
        env.clearRow(row);
        return;
      }
      const episode = nextEpisode++;
      rowEpisode[row] = episode;
      rowLastDay[row] = -1;
      rowPages[row] = 0;
      rowRngs[row] = Rng.derive(seed, 'calibrate', this.policy, episode);
      if (share > 0) insertRngs[row] = Rng.derive(seed, 'calibrate-insert', this.policy, episode);
      env.resetRow(row, episode);
      running++;
    };
    for (let row = 0; row < B; row++) start(row);
    while (running > 0) {
      decider.act(observation, rowRngs, slates);
      sessionsBefore.set(users.sessions);
      for (let row = 0; row < B; row++) {
        if (rowEpisode[row] < 0) continue;
        const day = observation.context[row * 3];
        // A new active day: its gap from the last one (a return within the horizon).
        if (rowLastDay[row] >= 0 && day !== rowLastDay[row]) this.gaps[Math.min(day - rowLastDay[row], 7) - 1]++;
        rowLastDay[row] = day;
        if (share > 0) {
          // The chosen candidates' posts are overwritten in the observation the env is about to
          // step on (the next request's candidates overwrite them again): the user examines the page
          // as usual and meets the inserted videos in place.
          const live = videosBefore[createdCount(catalog, users.nowHours[row])];
          insertUniformVideos(
            observation.candidateItems,
            row * N,
            slates,
            row * K,
            K,
            share,
            videoPosts,
            live,
            insertRngs[row],
            insertedSlot,
          );
        }
        for (let slot = 0; slot < K; slot++)
          posts[row * K + slot] = observation.candidateItems[row * N + slates[row * K + slot]];
      }
      const result = env.step(slates);
      const signals = result.signals;
      for (let row = 0; row < B; row++) {
        if (rowEpisode[row] < 0) continue;
        for (let slot = 0; slot < result.impressions[row]; slot++) {
          const post = posts[row * K + slot];
          const at = (row * K + slot) * SIGNALS;
          const minutes = signals[at + SIG_WATCH];
          this.minutes += minutes;
          const length = catalog.lengthMinutes[post];
          // An inserted video counts apart from the policy's own impressions, and only in its rates.
          const insertedHere = share > 0 && insertedSlot[row * K + slot] === 1;
          const tally = insertedHere
            ? this.inserted
            : catalog.format[post] === FORMAT_PHOTO
              ? this.photos
              : this.videos;
          tally.impressions++;
          const counts = tally.counts;
          counts[0] += signals[at + SIG_VIEW];
          counts[1] += minutes >= longViewMinutes || minutes >= length ? 1 : 0;
          counts[2] += signals[at + SIG_LIKE];
          counts[3] += signals[at + SIG_COMMENT];
          counts[4] += signals[at + SIG_SHARE];
          counts[5] += signals[at + SIG_FOLLOW];
          counts[6] += signals[at + SIG_SEE_LESS];
          if (insertedHere) {
            tally.ratios.push(minutes / length);
            continue;
          }
          if (tally === this.videos) {
            const ratio = minutes / length;
            tally.ratios.push(ratio);
            const seconds = length * 60;
            this.byLength[seconds <= 30 ? 0 : seconds <= 120 ? 1 : 2].push(ratio);
          }
          this.slotImpressions[slot]++;
          this.slotViews[slot] += signals[at + SIG_VIEW];
        }
        rowPages[row]++;
        const done = result.done[row] === 1;
        // A session ended with this page: the next one started (sessions counted up) or the episode ended.
        if (done || users.sessions[row] !== sessionsBefore[row]) {
          this.sessionPages.push(rowPages[row]);
          rowPages[row] = 0;
          this.endCauses[env.sessionCause[row]]++;
        }
        if (done) {
          this.activeDays += users.daysActive[row];
          this.userDays += horizonDays;
          this.sessions += users.sessions[row];
          this.churned += users.churned[row];
          running--;
          start(row);
        }
      }
    }
    this.users += episodes;
  }

  /** The inserted videos' figures and the policy's own in the same run (rates NaN without impressions). */
  insertedFigures(): InsertedFigures {
    return {
      share: this.insertShare,
      impressions: this.inserted.impressions,
      rates: this.inserted.rates(),
      watchRatio: watchRatios(this.inserted.ratios),
      policyImpressions: this.videos.impressions,
      policyRates: this.videos.rates(),
    };
  }

  figures(): CalibrationFigures {
    const { videos, photos } = this;
    const inserted = this.insertedFigures();
    const lift = {} as Record<LiftRate, number>;
    // No inserted event (a small run): no lift, rather than an infinite one.
    for (const name of LIFT_RATES)
      lift[name] = inserted.rates[name] > 0 ? inserted.policyRates[name] / inserted.rates[name] : Number.NaN;
    let returns = 0;
    for (const count of this.gaps) returns += count;
    const returnGapDays = {} as Record<(typeof GAP_BUCKETS)[number], number>;
    GAP_BUCKETS.forEach((bucket, i) => {
      returnGapDays[bucket] = returns > 0 ? this.gaps[i] / returns : 0;
    });
    let pagesTotal = 0;
    for (const pages of this.sessionPages) pagesTotal += pages;
    return {
      world: 'feed',
      policy: this.policy,
      impressions: videos.impressions,
      rates: videos.rates(),
      watchRatio: watchRatios(videos.ratios),
      watchRatioByLength: {
        short: quantile(this.byLength[0], 0.5),
        medium: quantile(this.byLength[1], 0.5),
        long: quantile(this.byLength[2], 0.5),
      },
      videoSeconds: {
        p10: quantile(this.videoSeconds, 0.1),
        median: quantile(this.videoSeconds, 0.5),
        p90: quantile(this.videoSeconds, 0.9),
      },
      photos: {
        impressions: photos.impressions,
        rates: photos.rates(),
        medianSeconds: quantile(this.photoSeconds, 0.5),
      },
      returnGapDays,
      returns,
      pagesPerSession: {
        median: quantile(this.sessionPages, 0.5),
        mean: this.sessionPages.length > 0 ? pagesTotal / this.sessionPages.length : 0,
      },
      viewRateBySlot: Array.from(this.slotViews, (views, slot) =>
        this.slotImpressions[slot] > 0 ? views / this.slotImpressions[slot] : 0,
      ),
      days: {
        stickiness: this.userDays > 0 ? this.activeDays / this.userDays : Number.NaN,
        sessionsPerActiveDay: this.sessions / this.activeDays,
        minutesPerActiveDay: this.minutes / this.activeDays,
        churned: this.churned / this.users,
      },
      sessionEnds: sessionEndShares(this.endCauses),
      inserted,
      lift,
      users: this.users,
    };
  }
}

/** The median watch ratio and the share above 1 (re-watches). */
function watchRatios(ratios: Float32List): { median: number; overOne: number } {
  let overOne = 0;
  for (const ratio of ratios.values()) if (ratio > 1) overOne++;
  return { median: quantile(ratios, 0.5), overOne: ratios.length > 0 ? overOne / ratios.length : Number.NaN };
}

function sessionEndShares(counts: Float64Array): CalibrationFigures['sessionEnds'] {
  let total = 0;
  for (const count of counts) total += count;
  const share = (cause: number) => (total > 0 ? counts[cause] / total : Number.NaN);
  return {
    leave: share(SESSION_CAUSE.leave),
    budget: share(SESSION_CAUSE.budget),
    patience: share(SESSION_CAUSE.patience),
    horizon: share(SESSION_CAUSE.none),
    byChoice: share(SESSION_CAUSE.leave) + share(SESSION_CAUSE.patience),
  };
}

/**
 * Gives each of the K slots at `slateOffset` of a page, with chance `share`, a video drawn uniformly
 * from `videoPosts[0, live)`, written over the chosen candidate's post in `items`; `insertedSlot`
 * (same layout as the slates) gets 1 there and 0 elsewhere. Every slot draws, shown or not, so the
 * share among the slots a user examines is `share` too (whether a slot is examined depends only on
 * the slots above it).
 */
export function insertUniformVideos(
  items: Int32Array,
  itemOffset: number,
  slates: Int32Array,
  slateOffset: number,
  K: number,
  share: number,
  videoPosts: Int32Array,
  live: number,
  rng: Rng,
  insertedSlot: Uint8Array,
): void {
  for (let slot = 0; slot < K; slot++) {
    const inserted = rng.uniform() < share && live > 0;
    insertedSlot[slateOffset + slot] = inserted ? 1 : 0;
    if (inserted) items[itemOffset + slates[slateOffset + slot]] = videoPosts[rng.int(live)];
  }
}

/**
 * A growing list of 32-bit floats: a watch ratio for every video impression (about 1,000 a user under
 * the stand-in) in 4 bytes each, where a number[] would take 8 and more.
 */
export class Float32List {
  private buffer = new Float32Array(1024);
  length = 0;
  push(value: number): void {
    if (this.length === this.buffer.length) {
      const grown = new Float32Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.buffer[this.length++] = value;
  }
  values(): Float32Array {
    return this.buffer.subarray(0, this.length);
  }
}

/** The q-quantile (nearest rank on the sorted values; NaN when empty). */
export function quantile(values: readonly number[] | Float32List, q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted =
    values instanceof Float32List ? Float32Array.from(values.values()).sort() : Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
