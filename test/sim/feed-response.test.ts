// The feed's response model (sim/feed/response.ts, ResponseFormulas and ResponseModel.examine) and
// its expectations (sim/feed/truth.ts) as a specification. Scripted tests replay uniforms in the
// documented draw order per examined post: (stop to watch | scroll-past time); if the user
// stopped: (finish | partial), (like | comment), (share | follow); then (see less | leave), each
// (a | b) one 32-bit uniform split into two 16-bit halves. The statistical tests are seeded and
// state their sample sizes and tolerances (4 standard errors, estimated from the samples).
import { describe, expect, it } from 'vitest';
import { FORMAT_PHOTO, FORMAT_REEL, FORMAT_VIDEO, type Catalog } from '../../sim/feed/catalog.ts';
import { feed, type FeedEnv, type FeedParams } from '../../sim/feed/env.ts';
import {
  happens,
  SIG_COMMENT,
  SIG_FOLLOW,
  SIG_LIKE,
  SIG_SEE_LESS,
  SIG_SHARE,
  SIG_SKIP,
  SIG_VIEW,
  SIG_WATCH,
  SIGNALS,
  type ResponseFormulas,
} from '../../sim/feed/response.ts';
import { Rng, type SeedKey } from '../../sim/rng.ts';
import { DEVICE_DESKTOP, DEVICE_PHONE, type UserBatch } from '../../sim/feed/users.ts';
import { feedValues, type DeepPartial } from './feed-values.ts';
import { handBuilt, pair, scripted } from './feed-scripted.ts';

const SEED: SeedKey = { experiment: 7, run: 1 };
const R = feedValues().response;
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

function makeFeed(overrides: DeepPartial<FeedParams> = {}, batchSize = 1): FeedEnv {
  return feed.create(feedValues(overrides), { seed: SEED, batchSize }) as FeedEnv;
}
// One env with default parameters (its catalog is read-only; row 0 is rebuilt by handBuilt).
let shared: FeedEnv | null = null;
const defaultFeed = (): FeedEnv => (shared ??= makeFeed());

/** The first post matching `ok` (the seed's catalog, so the choice is deterministic). */
function findPost(c: Catalog, ok: (post: number) => boolean, after = -1): number {
  for (let post = after + 1; post < c.posts; post++) if (ok(post)) return post;
  throw new Error('no such post in the catalog');
}

/** A high half just below / above probability p (3 grid steps away). */
const below = (p: number): number => Math.floor(p * 65536) - 3;
const above = (p: number): number => Math.ceil(p * 65536) + 3;
/** The stop draw of a user who stops (high half 0), and of one who scrolls past, lingering by `low`. */
const STOP = pair(0, 0.5);
const scrollPast = (low: number): number => pair(65535, low);
const NO_LIKE_NO_COMMENT = pair(65535, 0.9999);
const NO_SHARE_NO_FOLLOW = pair(65535, 0.9999);
const NO_SEE_LESS_NO_LEAVE = pair(65535, 0.9999);

/** Examines a page of the given posts (in order) for `row` with the given draws (scripted or an Rng). */
function examine(env: FeedEnv, row: number, posts: readonly number[], draws: readonly number[] | Rng) {
  const k = posts.length;
  const slates = Int32Array.from(posts, (_, i) => i);
  const items = Int32Array.from(posts);
  const signals = new Float32Array(k * SIGNALS);
  const rng = Array.isArray(draws) ? scripted(draws) : (draws as Rng);
  const reward = env.response.examine(row, slates, 0, k, items, 0, rng, signals, 0);
  const used = Array.isArray(draws) ? (rng as Rng & { readonly used: number }).used : -1;
  return {
    signals,
    reward,
    over: env.response.sessionOver,
    used,
    stopped: Array.from(env.response.stopped.subarray(0, k)),
  };
}

const isSeen = (u: UserBatch, row: number, post: number): number =>
  (u.seen[row * u.seenWords + (post >>> 5)] >>> (post & 31)) & 1;

const skipMinutes = R.skipSeconds / 60;
const viewMinutes = R.viewSeconds / 60;
/** The documented scroll-past time for the low half of the stop draw. */
const scrollMinutes = (low: number): number => skipMinutes * Math.exp(R.skipSpread * (2 * low - 1));
/** The low half at which the scroll-past time equals `minutes`. */
const lowFor = (minutes: number): number => (Math.log(minutes / skipMinutes) / R.skipSpread + 1) / 2;

// Posts of the seed's catalog: a photo shorter than the longest scroll-past (skipSeconds x e^0.6),
// a long video, a reel, and a photo shorter than viewSeconds but longer than any scroll-past.
const tinyPhoto = (c: Catalog) =>
  findPost(
    c,
    (p) => c.format[p] === FORMAT_PHOTO && lowFor(c.lengthMinutes[p]) > 0.2 && lowFor(c.lengthMinutes[p]) < 0.8,
  );
const longVideo = (c: Catalog, after = -1) =>
  findPost(c, (p) => c.format[p] === FORMAT_VIDEO && c.lengthMinutes[p] > 3 && c.clickbait[p] < 0.3, after);
const reel = (c: Catalog, after = -1) =>
  findPost(
    c,
    (p) => c.format[p] === FORMAT_REEL && c.lengthMinutes[p] > 0.3 && c.lengthMinutes[p] < 0.6 && c.clickbait[p] < 0.3,
    after,
  );
const shortPhoto = (c: Catalog) =>
  findPost(
    c,
    (p) =>
      c.format[p] === FORMAT_PHOTO && c.lengthMinutes[p] > 0.06 && c.lengthMinutes[p] < 0.1 && c.clickbait[p] < 0.3,
  );

/** The finish logit a format gains on a device: reels on a phone, long videos on a tablet or desktop. */
const screenBonus = (device: number, format: number): number =>
  format === FORMAT_REEL && device === DEVICE_PHONE
    ? R.phoneReelFinish
    : format === FORMAT_VIDEO && device !== DEVICE_PHONE
      ? R.bigScreenVideoFinish
      : 0;

/**
 * The post's finish chance, re-watch chance and abandon mean for a hand-built user of uniform
 * interest `m` on `device`, by the documented formulas.
 */
function documented(c: Catalog, post: number, m: number, device = DEVICE_PHONE) {
  const length = c.lengthMinutes[post];
  const f = sigmoid(
    R.watchBias +
      R.watchQuality * c.quality[post] +
      R.watchInterest * m -
      R.watchLength * Math.log(length) +
      screenBonus(device, c.format[post]),
  );
  const rewatch = (R.rewatchChance * R.rewatchSeconds) / (R.rewatchSeconds + 60 * length);
  const abandon = (R.abandonSeconds / 60) * (0.5 + f);
  return { length, f, rewatch, abandon };
}

describe('feed response: scroll-past time', () => {
  it('records skipSeconds/60 x exp(skipSpread (2 low - 1)) on a long post, a skip, and advances the budget and clock by it', () => {
    const env = defaultFeed();
    const c = env.catalog;
    const post = longVideo(c);
    for (const low of [0, 0.1, 0.5, 0.77, 0.99999]) {
      const u = handBuilt(env);
      const budget = u.budgetLeftMinutes[0];
      const hours = u.nowHours[0];
      const minutes = scrollMinutes(low);
      const r = examine(env, 0, [post], [scrollPast(low), NO_SEE_LESS_NO_LEAVE]);
      expect(r.used).toBe(2);
      expect(r.signals[SIG_WATCH]).toBeCloseTo(minutes, 7);
      expect(r.signals[SIG_VIEW]).toBe(0);
      expect(r.signals[SIG_SKIP]).toBe(1);
      expect(r.stopped).toEqual([0]);
      expect(env.response.minutes).toBeCloseTo(minutes, 9);
      expect(u.budgetLeftMinutes[0]).toBeCloseTo(budget - minutes, 9);
      expect(u.nowHours[0]).toBeCloseTo(hours + minutes / 60, 12);
      expect(isSeen(u, 0, post)).toBe(0);
    }
    // The spread: from skipSeconds x e^-0.6 to skipSeconds x e^0.6.
    expect(scrollMinutes(0) / skipMinutes).toBeCloseTo(Math.exp(-0.6), 12);
  });

  it('is a valid view (view 1, skip 0) on a post no longer than the scroll-past time, and the budget still pays that time', () => {
    const env = defaultFeed();
    const c = env.catalog;
    const post = tinyPhoto(c);
    const length = c.lengthMinutes[post];
    expect(length).toBeLessThan(viewMinutes);
    const at = lowFor(length); // where the scroll-past time reaches the post's length
    const scroll = (low: number) => {
      const u = handBuilt(env);
      const r = examine(env, 0, [post], [scrollPast(low), NO_SEE_LESS_NO_LEAVE]);
      expect(r.signals[SIG_WATCH]).toBeCloseTo(scrollMinutes(low), 7);
      expect(u.budgetLeftMinutes[0]).toBeCloseTo(1e6 - scrollMinutes(low), 9);
      expect(r.stopped).toEqual([0]);
      return [r.signals[SIG_VIEW], r.signals[SIG_SKIP]];
    };
    expect(scroll(at - 0.01)).toEqual([0, 1]);
    expect(scroll(0)).toEqual([0, 1]);
    expect(scroll(at + 0.01)).toEqual([1, 0]);
    expect(scroll(0.99999)).toEqual([1, 0]);
  });
});

describe('feed response: a viewer who finishes', () => {
  it('finishes below the finish chance f = finishChance(quality, match, ln length, device, format) and watches the length (no re-watch: partial >= p)', () => {
    const env = defaultFeed();
    const c = env.catalog;
    const post = reel(c);
    const { length, f, rewatch, abandon } = documented(c, post, 0.5);
    expect(f).toBeGreaterThan(0.05);
    expect(
      env.response.formulas.finishChance(c.quality[post], 0.5, Math.log(length), DEVICE_PHONE, FORMAT_REEL),
    ).toBeCloseTo(f, 5);
    const partial = (1 + rewatch) / 2; // at or above the re-watch chance
    const watch = (finishHigh: number) => {
      const u = handBuilt(env, 0, { interest: 0.5 });
      const r = examine(
        env,
        0,
        [post],
        [STOP, pair(finishHigh, partial), NO_LIKE_NO_COMMENT, NO_SHARE_NO_FOLLOW, NO_SEE_LESS_NO_LEAVE],
      );
      expect(r.used).toBe(5);
      expect(r.stopped).toEqual([1]);
      expect(u.budgetLeftMinutes[0]).toBeCloseTo(1e6 - r.signals[SIG_WATCH], 6);
      return r.signals;
    };
    let s = watch(below(f));
    expect(s[SIG_WATCH]).toBe(Math.fround(length));
    expect(s[SIG_VIEW]).toBe(1);
    expect(s[SIG_SKIP]).toBe(0);
    // Just above f: not finished; the same partial is the abandon point -ln(partial) x abandonMean.
    s = watch(above(f));
    expect(-Math.log(partial) * abandon).toBeLessThan(length);
    expect(s[SIG_WATCH]).toBeCloseTo(-Math.log(partial) * abandon, 5);
  });

  it('re-watches when partial < p = rewatchProbability(length): length x (1 + partial / p), a watch ratio above 1', () => {
    const env = defaultFeed();
    const c = env.catalog;
    for (const post of [reel(c), longVideo(c)]) {
      const { length, f, rewatch } = documented(c, post, 0.5);
      expect(env.response.formulas.rewatchProbability(length)).toBeCloseTo(rewatch, 12);
      for (const share of [0.01, 0.5, 0.98]) {
        handBuilt(env, 0, { interest: 0.5 });
        const r = examine(
          env,
          0,
          [post],
          [STOP, pair(below(f), share * rewatch), NO_LIKE_NO_COMMENT, NO_SHARE_NO_FOLLOW, NO_SEE_LESS_NO_LEAVE],
        );
        expect(r.signals[SIG_WATCH] / length).toBeCloseTo(1 + share, 5);
        expect(r.signals[SIG_VIEW]).toBe(1);
        expect(r.signals[SIG_SKIP]).toBe(0);
      }
    }
  });
});

describe('feed response: a viewer who does not finish', () => {
  it('leaves after min(length, -ln(partial) x abandonMean(f)), a valid view only from viewSeconds on; likes are still drawn', () => {
    const env = defaultFeed();
    const c = env.catalog;
    const post = reel(c);
    const { length, f, abandon } = documented(c, post, 0.5);
    expect(env.response.formulas.abandonMean(f)).toBeCloseTo(abandon, 6);
    expect(length).toBeGreaterThan(1.2 * viewMinutes);
    // Leaves after `stay` minutes; likes (high half 0) but does not comment (low half 0.9999).
    const leave = (stay: number) => {
      const u = handBuilt(env, 0, { interest: 0.5 });
      const r = examine(
        env,
        0,
        [post],
        [STOP, pair(above(f), Math.exp(-stay / abandon)), pair(0, 0.9999), NO_SHARE_NO_FOLLOW, NO_SEE_LESS_NO_LEAVE],
      );
      expect(r.used).toBe(5);
      expect(r.stopped).toEqual([1]);
      expect(r.signals[SIG_LIKE]).toBe(1);
      expect(r.signals[SIG_COMMENT]).toBe(0);
      expect(r.signals[SIG_SKIP]).toBe(1 - r.signals[SIG_VIEW]);
      expect(u.budgetLeftMinutes[0]).toBeCloseTo(1e6 - Math.min(stay, length), 6);
      return { watch: r.signals[SIG_WATCH], view: r.signals[SIG_VIEW] };
    };
    for (const stay of [0.2 * viewMinutes, 0.99 * viewMinutes])
      expect(leave(stay)).toEqual({ watch: expect.closeTo(stay, 5), view: 0 });
    for (const stay of [1.01 * viewMinutes, (viewMinutes + length) / 2])
      expect(leave(stay)).toEqual({ watch: expect.closeTo(stay, 5), view: 1 });
    expect(leave(3 * length)).toEqual({ watch: Math.fround(length), view: 1 });
  });

  it('on a post shorter than viewSeconds, is a valid view only when it lasts the whole post', () => {
    const env = defaultFeed();
    const c = env.catalog;
    const post = shortPhoto(c);
    const { length, f, abandon } = documented(c, post, 0);
    expect(length).toBeLessThan(viewMinutes);
    const leave = (stay: number) => {
      handBuilt(env);
      const r = examine(
        env,
        0,
        [post],
        [STOP, pair(above(f), Math.exp(-stay / abandon)), NO_LIKE_NO_COMMENT, NO_SHARE_NO_FOLLOW, NO_SEE_LESS_NO_LEAVE],
      );
      return [r.signals[SIG_WATCH], r.signals[SIG_VIEW], r.signals[SIG_SKIP]];
    };
    expect(leave(0.9 * length)).toEqual([expect.closeTo(0.9 * length, 5), 0, 1]);
    expect(leave(1.1 * length)).toEqual([Math.fround(length), 1, 0]);
  });
});

describe('feed response: finish and re-watch chances', () => {
  it('finishChance is the documented logistic: falls with length, rises with quality and interest match', () => {
    const F = defaultFeed().response.formulas;
    // A photo on a phone: no screen bonus.
    const finishChance = (q: number, m: number, L: number) =>
      F.finishChance(q, m, Math.log(L), DEVICE_PHONE, FORMAT_PHOTO);
    const lengths = [0.05, 0.2, 0.5, 1, 3, 10];
    const levels = [-1, -0.5, 0, 0.5, 1];
    for (const q of levels) {
      for (const m of levels) {
        for (let i = 0; i < lengths.length; i++) {
          const L = lengths[i];
          const f = finishChance(q, m, L);
          expect(f).toBeCloseTo(
            sigmoid(R.watchBias + R.watchQuality * q + R.watchInterest * m - R.watchLength * Math.log(L)),
            5,
          );
          if (i > 0) expect(f).toBeLessThan(finishChance(q, m, lengths[i - 1]));
          expect(finishChance(q + 0.25, m, L)).toBeGreaterThan(f);
          expect(finishChance(q, m + 0.25, L)).toBeGreaterThan(f);
        }
      }
    }
    // A one-minute post at quality 0 and match 0: sigmoid(watchBias).
    expect(finishChance(0, 0, 1)).toBeCloseTo(sigmoid(R.watchBias), 5);
  });

  it('rewatchProbability is rewatchChance x rewatchSeconds / (rewatchSeconds + length) and falls with length', () => {
    const F = defaultFeed().response.formulas;
    let previous = Infinity;
    for (const L of [0, 0.05, 0.2, 0.5, 1, 3, 10]) {
      const p = F.rewatchProbability(L);
      expect(p).toBeCloseTo((R.rewatchChance * R.rewatchSeconds) / (R.rewatchSeconds + 60 * L), 12);
      expect(p).toBeLessThan(previous);
      previous = p;
    }
    expect(F.rewatchProbability(0)).toBeCloseTo(R.rewatchChance, 12);
  });
});

describe('feed response: the hidden decision and seen marking', () => {
  it('exposes stopped[slot] (1 even for a viewer who left before viewSeconds) and marks seen exactly the valid views', () => {
    const env = defaultFeed();
    const c = env.catalog;
    const video = longVideo(c);
    const photo = tinyPhoto(c);
    const early = reel(c);
    const valid = reel(c, early);
    const finished = longVideo(c, video);
    const posts = [video, photo, early, valid, finished];
    expect(new Set(posts).size).toBe(posts.length);
    const u = handBuilt(env);
    // High half 65535: does not finish (leaves after -ln(partial) x abandonMean); 0: finishes. The
    // abandon mean is taken at match 0: the interest drift of the posts above moves it a little,
    // far less than the margins around viewSeconds used here.
    const stay = (post: number, minutes: number) => pair(65535, Math.exp(-minutes / documented(c, post, 0).abandon));
    const plain = [NO_LIKE_NO_COMMENT, NO_SHARE_NO_FOLLOW, NO_SEE_LESS_NO_LEAVE];
    const r = examine(env, 0, posts, [
      scrollPast(0.99999),
      NO_SEE_LESS_NO_LEAVE, // long video scrolled past: no view
      scrollPast(0.99999),
      NO_SEE_LESS_NO_LEAVE, // tiny photo scrolled past: a valid view
      STOP,
      stay(early, 0.5 * viewMinutes),
      ...plain, // stopped, left after 3.5 s
      STOP,
      stay(valid, 1.5 * viewMinutes),
      ...plain, // stopped, left after 10.5 s
      STOP,
      pair(0, 0.9999),
      ...plain, // stopped, finished
    ]);
    expect(r.used).toBe(2 + 2 + 5 + 5 + 5);
    expect(r.stopped).toEqual([0, 0, 1, 1, 1]);
    const views = posts.map((_, slot) => r.signals[slot * SIGNALS + SIG_VIEW]);
    expect(views).toEqual([0, 1, 0, 1, 1]);
    expect(posts.map((post) => isSeen(u, 0, post))).toEqual(views);
    // Nothing else was marked.
    let marked = 0;
    for (let post = 0; post < c.posts; post++) marked += isSeen(u, 0, post);
    expect(marked).toBe(3);
  });
});

/** Mean and standard error of the mean of `xs`. */
function meanAndError(xs: Float64Array): { mean: number; error: number } {
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / xs.length;
  let squares = 0;
  for (const x of xs) squares += (x - mean) * (x - mean);
  return { mean, error: Math.sqrt(squares / (xs.length - 1) / xs.length) };
}

/** |expected - sample mean| within 4 standard errors (plus 1e-9 for a constant sample). */
function expectWithin4Errors(expected: number, xs: Float64Array, label: string): void {
  const { mean, error } = meanAndError(xs);
  expect(Math.abs(expected - mean), `${label}: expected ${expected}, sampled ${mean} +- ${error}`).toBeLessThanOrEqual(
    4 * error + 1e-9,
  );
}

describe('feed response: expectations match the sampling', () => {
  it('FeedTruth.expectedSignals equals the mean of sampled view, skip, watchMinutes and like (n = 20,000 per case, 4 standard errors)', () => {
    const env = defaultFeed();
    const c = env.catalog;
    const user = { interest: 0.2, susceptibility: 0.6, followPropensity: 0.3 };
    // A user who stops for about 3 % of posts: their watch time is mostly scroll-past time, which
    // the mean then resolves to about 1e-4 minutes (their likes are too rare to check: ~1 in 20,000).
    const uninterested = { interest: -0.2, susceptibility: 0, followPropensity: 0.3 };
    // A reel (on a phone), a long video (on a desktop), a photo shorter than viewSeconds, and one
    // that a scroll-past can cover.
    const cases = [
      { kind: 'reel', post: reel(c), user, stops: [0.2, 0.9] },
      { kind: 'video on a desktop', post: longVideo(c), user: { ...user, device: DEVICE_DESKTOP }, stops: [0.2, 0.9] },
      { kind: 'photo', post: shortPhoto(c), user, stops: [0.2, 0.9] },
      { kind: 'tiny photo', post: tinyPhoto(c), user, stops: [0.2, 0.9] },
      { kind: 'reel, uninterested user', post: reel(c), user: uninterested, stops: [0.01, 0.05], noLikes: true },
    ];
    const n = 20_000;
    const names = ['view', 'skip', 'watchMinutes', 'like'] as const;
    const columns = [SIG_VIEW, SIG_SKIP, SIG_WATCH, SIG_LIKE];
    const out = new Float64Array(SIGNALS);
    for (const { kind, post, user, stops, noLikes } of cases) {
      handBuilt(env, 0, user);
      const stop = env.expectations.expectedSignals(0, post, 0, out);
      expect(stop).toBeGreaterThan(stops[0]);
      expect(stop).toBeLessThan(stops[1]);
      const samples = columns.map(() => new Float64Array(n));
      const rng = new Rng(`feed-response/expectations/${kind}`);
      for (let i = 0; i < n; i++) {
        handBuilt(env, 0, user); // the same state before every examination
        const { signals } = examine(env, 0, [post], rng);
        for (let s = 0; s < columns.length; s++) samples[s][i] = signals[columns[s]];
      }
      for (let s = 0; s < columns.length; s++) {
        if (!(noLikes && columns[s] === SIG_LIKE))
          expectWithin4Errors(out[columns[s]], samples[s], `${kind} ${names[s]}`);
      }
    }
  });

  it('and the rare signals (comment, share, follow, see less) in a feed where they are common (biases raised to -1; n = 20,000, 4 standard errors)', () => {
    // At the default biases these signals are a few in ten thousand: too rare to check against
    // 20,000 samples. The formulas are the same whatever the biases, so raise them.
    const env = makeFeed({ response: { commentBias: -1, shareBias: -1, followBias: -1, seeLessBias: -1 } });
    const c = env.catalog;
    const n = 20_000;
    const columns = [SIG_COMMENT, SIG_SHARE, SIG_FOLLOW, SIG_SEE_LESS];
    const names = ['comment', 'share', 'follow', 'seeLess'];
    const out = new Float64Array(SIGNALS);
    for (const [kind, post] of [
      ['reel', reel(c)],
      ['long video', longVideo(c)],
    ] as const) {
      const user = { interest: 0.3, susceptibility: 0.6, followPropensity: 0.8 };
      handBuilt(env, 0, user);
      env.expectations.expectedSignals(0, post, 0, out);
      const samples = columns.map(() => new Float64Array(n));
      const rng = new Rng(`feed-response/rare/${kind}`);
      for (let i = 0; i < n; i++) {
        handBuilt(env, 0, user); // also forgets a follow, so every draw may follow
        const { signals } = examine(env, 0, [post], rng);
        for (let s = 0; s < columns.length; s++) samples[s][i] = signals[columns[s]];
      }
      for (let s = 0; s < columns.length; s++) {
        expect(out[columns[s]]).toBeGreaterThan(0.01);
        expectWithin4Errors(out[columns[s]], samples[s], `${kind} ${names[s]}`);
      }
    }
  });

  describe('ResponseFormulas closed forms against Monte Carlo (n = 200,000 uniform draws, 4 standard errors)', () => {
    const n = 200_000;
    const F = (): ResponseFormulas => defaultFeed().response.formulas;
    // (finish chance, length in minutes): a reel, a long video, posts shorter than viewSeconds.
    const cases: Array<[number, number]> = [
      [0.3, 0.48],
      [0.05, 3],
      [0.8, 0.05],
      [0.5, 0.1],
      [0.15, 0.2],
    ];

    it('expectedViewerMinutes and viewerValidChance against viewerMinutes(f, length, U, U)', () => {
      const f = F();
      const rng = new Rng('feed-response/viewer');
      for (const [share, length] of cases) {
        const minutes = new Float64Array(n);
        const valid = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          minutes[i] = f.viewerMinutes(share, length, rng.uniform(), rng.uniform());
          valid[i] = f.validView(minutes[i], length) ? 1 : 0;
        }
        expectWithin4Errors(f.expectedViewerMinutes(share, length), minutes, `minutes f=${share} L=${length}`);
        expectWithin4Errors(f.viewerValidChance(share, length), valid, `valid f=${share} L=${length}`);
      }
    });

    it('expectedSkipMinutes and skipValidChance against skipDwell(U)', () => {
      const f = F();
      const rng = new Rng('feed-response/skip');
      const minutes = new Float64Array(n);
      for (let i = 0; i < n; i++) minutes[i] = f.skipDwell(rng.uniform());
      expectWithin4Errors(f.expectedSkipMinutes(), minutes, 'skip minutes');
      // Lengths below, inside and above the range of scroll-past times (0.0137 .. 0.0456 minutes).
      for (const length of [0.01, 0.02, 0.025, 0.03, 0.04, 0.05, 1]) {
        const valid = minutes.map((m) => (f.validView(m, length) ? 1 : 0));
        expectWithin4Errors(f.skipValidChance(length), valid, `skip valid L=${length}`);
      }
      expect(f.skipValidChance(0.01)).toBe(1);
      expect(f.skipValidChance(1)).toBe(0);
    });
  });
});

describe('feed response: an event decided from a 16-bit cell has its exact chance (happens)', () => {
  // A stub whose uniforms are given, counting the draws.
  const stub = (u: number) => {
    let draws = 0;
    return {
      rng: {
        uniform: () => {
          draws++;
          return u;
        },
      } as unknown as Rng,
      draws: () => draws,
    };
  };

  it('decides every cell below the edge yes and above it no without a draw, and splits the edge cell by a fresh uniform', () => {
    // p = 2.5 / 65536 (3.8e-5, a rare signal's size): cells 0 and 1 always, cell 2 half the time,
    // so exactly p over a uniform cell; `cell / 65536 < p` alone gave 3 / 65536, 20% more.
    const p = 2.5 / 65536;
    for (const cell of [0, 1, 3, 65535]) {
      const s = stub(0);
      expect(happens(cell, p, s.rng)).toBe(cell < 2);
      expect(s.draws()).toBe(0);
    }
    const below = stub(0.4999);
    expect(happens(2, p, below.rng)).toBe(true);
    expect(below.draws()).toBe(1);
    expect(happens(2, p, stub(0.5001).rng)).toBe(false);
  });

  it('never happens at chance 0 and always at chance 1, without a draw', () => {
    const s = stub(0);
    for (const cell of [0, 1, 65535]) {
      expect(happens(cell, 0, s.rng)).toBe(false);
      expect(happens(cell, 1, s.rng)).toBe(true);
    }
    expect(s.draws()).toBe(0);
  });

  it('gives a chance of 1e-5 its exact rate over 2,000,000 seeded trials (4 standard errors: 20 +- 8.9)', () => {
    const rng = new Rng('happens/rate');
    let events = 0;
    for (let i = 0; i < 2_000_000; i++) if (happens(Math.floor(rng.uniform() * 65536), 1e-5, rng)) events++;
    // Rounding up to the grid would give 2 / 65536 = 3.05e-5 per trial: about 61 events.
    expect(Math.abs(events - 20)).toBeLessThan(4 * Math.sqrt(20));
  });
});
