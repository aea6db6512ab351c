// The feed world (the project's default): an Instagram-like feed where each env step is one
// request of one user — a page of K posts chosen from N retrieved candidates. Users come back for
// sessions over D days; clickbait wins views now and costs satisfaction, return visits and users
// later. The model lives beside this file in sim/feed/: users.ts, catalog.ts, retrieval.ts,
// response.ts and dynamics.ts; this file wires them into the batched Env. docs/world-feed.md describes it in prose.
//
// Streams: per seed, 'population' (interest segments) and 'catalog' (creators and posts, read-only
// afterwards); per episode e, 'user' (traits, then per session: budgets, gaps, hours, devices)
// and 'response' (candidates, what the user does, and the observation noise of noisy
// observability, so the user stream is the same under every observability). So episode e
// is the same user whatever row or batch size it runs in, and every policy meets the same users.
import {
  catalogParams,
  FORMAT_NAMES,
  generateCatalog,
  POST_CREATED,
  POST_CREATOR,
  POST_STRIDE,
  type Catalog,
} from './catalog.ts';
import { Retriever, retrievalParams, SOURCE_NAMES, type RetrievalUser } from './retrieval.ts';
import { FeedTruth, feedGroundTruth } from './truth.ts';
import { positionBased, type ChoiceModel } from '../choice.ts';
import {
  decayFatigue,
  dynamicsParams,
  endSession,
  firstSessionHours,
  leaveProbability,
  SESSION_START_MOOD,
  startSession,
} from './dynamics.ts';
import { ECOSYSTEM_METRIC_DOCS, ECOSYSTEM_METRICS, EcosystemTally } from './ecosystem.ts';
import {
  allocateObservation,
  allocateStepResult,
  featureNames,
  SESSION_END,
  SlateChecker,
  type ObservationField,
  type Env,
  type GroundTruth,
  type Observation,
  type StepResult,
  type WorldSpec,
} from '../env.ts';
import type { ParamIssue, ParamValues } from '../params.ts';
import {
  ResponseModel,
  SESSION_CAUSE,
  SIG_VIEW,
  SIGNAL_NAMES,
  SIGNALS,
  responseParams,
  rewardParams,
  rewardWeights,
} from './response.ts';
import { Rng, StreamFamily, type SeedKey } from '../rng.ts';
import { generatePopulation, RECENT_TOPICS, sampleUser, userParams, UserBatch, type Population } from './users.ts';
import { checkSlateFits, defineWorld } from '../world.ts';

export const feedParams = {
  candidates: { type: 'int', default: 50, min: 1, max: 10_000, doc: 'candidates retrieved per request (N)' },
  slateSize: { type: 'int', default: 10, min: 1, max: 1000, doc: 'posts per page (K)' },
  topics: {
    type: 'int',
    default: 16,
    min: 1,
    max: 1024,
    doc: 'topics (T): the dimension of interests and of item topic weights',
  },
  segments: { type: 'int', default: 6, min: 1, max: 1000, doc: 'interest segments the users are drawn from (S)' },
  creators: { type: 'int', default: 500, min: 1, max: 1_000_000, doc: 'creators (C)' },
  posts: {
    type: 'int',
    default: 5000,
    min: 10,
    max: 10_000_000,
    doc: 'posts over the history window and the horizon (M)',
  },
  horizonDays: {
    type: 'int',
    default: 14,
    min: 1,
    max: 3650,
    doc: 'days an episode (one user) lasts unless they churn (D)',
  },
  observability: {
    type: 'enum',
    default: 'history',
    values: ['history', 'full', 'noisy'],
    doc:
      'userFeatures: what a real ranker has, the engagement history: a decayed average of the ' +
      'topic weights of validly viewed posts (history); the true interests (full, as RecSim: an ' +
      "oracle's view); or interests + noise redrawn per session (noisy)",
  },
  observationNoise: {
    type: 'number',
    default: 0.3,
    min: 0,
    doc: 'noisy observability: sd of the noise added to each interest',
  },
  historyDecay: {
    type: 'number',
    default: 0.1,
    min: 0,
    max: 1,
    doc: 'history observability: weight of each viewed post in the decayed average',
  },
  users: { type: 'group', params: userParams, doc: 'user population and traits' },
  catalog: { type: 'group', params: catalogParams, doc: 'creators, posts and the crowd that drives public counters' },
  retrieval: { type: 'group', params: retrievalParams, doc: 'candidate sources and their mixing weights' },
  response: { type: 'group', params: responseParams, doc: 'how users respond to the posts they examine' },
  dynamics: {
    type: 'group',
    params: dynamicsParams,
    doc: 'drift, fatigue, satisfaction, sessions, return visits, churn',
  },
  reward: { type: 'group', params: rewardParams, doc: 'reward = weighted sum of the per-slot signals' },
} as const;

export type FeedParams = ParamValues<typeof feedParams>;

/**
 * What a feed ranker sees of each candidate and of the request, beside the feature tables
 * (docs/world-feed.md#observation).
 */
export const FEED_FIELDS: readonly ObservationField[] = [
  { name: 'creator', scope: 'candidate', doc: "the post's creator id (0..creators-1)", identifier: true },
  { name: 'followsCreator', scope: 'candidate', doc: '1 if the user follows the creator, else 0' },
  { name: 'source', scope: 'candidate', doc: 'the retrieval source that proposed the post', categories: SOURCE_NAMES },
  { name: 'views', scope: 'candidate', doc: "the post's public view counter (crowd views at the start of the day)" },
  {
    name: 'likes',
    scope: 'candidate',
    doc: "its public like counter (the crowd's likes per view hint at quality, with each post's luck)",
  },
  { name: 'ageHours', scope: 'candidate', doc: 'hours since the post was created' },
  {
    name: 'sessionPosts',
    scope: 'row',
    doc: 'posts that reached the screen earlier in this session (0 on its first page)',
  },
];

type FeedFields = Record<
  'creator' | 'followsCreator' | 'source' | 'views' | 'likes' | 'ageHours' | 'sessionPosts',
  Float32Array
>;

const USER_FEATURE_DOCS: Record<FeedParams['observability'], string> = {
  history:
    "the user's engagement history: a decayed average (historyDecay) of the topic weights of " +
    'the posts they validly viewed',
  full: "the user's true interests (RecSim's choice; an oracle's view)",
  noisy: "the user's true interests plus noise (observationNoise) redrawn each session",
};

export const FEED_METRICS = [
  'firstDayReturn',
  'daysActive',
  'sessions',
  'churned',
  'finalSatisfaction',
  'meanViewedClickbait',
  'stickiness',
  'activeDay7',
  'activeLastDay',
  'minutesPerActiveDay',
] as const;

/** The day whose activity `activeDay7` reports: a week after the first (day 0). */
export const WEEK_LATER_DAY = 7;

/** Cross-field checks (field names relative to the world's params). */
export function checkFeed(p: FeedParams): ParamIssue[] {
  const issues = [...checkSlateFits(p)];
  const historic = Math.round(p.posts * (1 - p.catalog.newPostShare));
  if (historic < 2 * p.candidates) {
    issues.push({
      field: 'posts',
      message:
        `only ${historic} posts exist at day 0 but a request needs ${p.candidates} candidates with ` +
        `room to spare; raise posts to at least ` +
        `${Math.ceil((2 * p.candidates) / (1 - p.catalog.newPostShare))} or lower ` +
        `catalog.newPostShare`,
    });
  }
  if (p.users.patienceMax < p.users.patienceMin) {
    issues.push({
      field: 'users.patienceMax',
      message: `patienceMax ${p.users.patienceMax} is below patienceMin ${p.users.patienceMin}`,
    });
  }
  if (p.catalog.photoShare + p.catalog.videoShare > 1) {
    issues.push({
      field: 'catalog.videoShare',
      message: 'photoShare + videoShare must be at most 1 (reels take the rest)',
    });
  }
  if (p.users.phoneShare + p.users.tabletShare > 1) {
    issues.push({
      field: 'users.tabletShare',
      message: 'phoneShare + tabletShare must be at most 1 (desktops take the rest)',
    });
  }
  const r = p.retrieval;
  if (r.following + r.topic + r.trending + r.fresh + r.random <= 0) {
    issues.push({ field: 'retrieval', message: 'at least one retrieval weight must be positive' });
  }
  if (p.users.initialFollows > p.users.maxFollows) {
    issues.push({
      field: 'users.initialFollows',
      message: `initialFollows ${p.users.initialFollows} exceeds maxFollows ${p.users.maxFollows}`,
    });
  }
  return issues;
}

/**
 * The position-based model a recommender would fit to this world: examination falls with position
 * as the chance of not having left, (1 - leave)^i ~ 1/(i+1)^decay matched at the last slot, with
 * leave the chance at satisfaction 0 and a session's opening mood;
 * attractiveness = sigmoid(appealInterest * affinity + appealBias). Clickbait, invisible to a
 * recommender, is left out.
 */
export function feedChoiceModel(p: FeedParams): ChoiceModel {
  const k = p.slateSize;
  const leave = Math.min(leaveProbability(p.dynamics, 0, SESSION_START_MOOD), 0.999);
  const examinationDecay = k > 1 ? (-(k - 1) * Math.log(1 - leave)) / Math.log(k) : 0;
  return positionBased({ examinationDecay, scoreScaling: p.response.appealInterest, bias: p.response.appealBias });
}

/** The seed's population and catalog (deterministic functions of the seed and params). */
export function feedWorldData(p: FeedParams, seed: SeedKey): { population: Population; catalog: Catalog } {
  const population = generatePopulation(p.topics, p.segments, p.users, Rng.derive(seed, 'feed', 'population'));
  const catalog = generateCatalog(
    { topics: p.topics, creators: p.creators, posts: p.posts, horizonDays: p.horizonDays },
    p.catalog,
    Rng.derive(seed, 'feed', 'catalog'),
  );
  return { population, catalog };
}

export class FeedEnv implements Env {
  readonly spec: WorldSpec;
  readonly observation: Observation;
  readonly truth: GroundTruth;
  readonly catalog: Catalog;
  readonly population: Population;
  readonly users: UserBatch;
  readonly response: ResponseModel;
  /**
   * Per row, set by step: why the page ended the session (response.ts SESSION_CAUSE; none when it
   * did not, or when the horizon cut it). Feed-specific diagnostics (calibrate counts them).
   */
  readonly sessionCause: Uint8Array;
  /** Per row: whether the user started a session on day WEEK_LATER_DAY, and on the horizon's last day. */
  private readonly activeDay7: Uint8Array;
  private readonly activeLastDay: Uint8Array;
  /** The expectations behind `truth` (the oracles' values). */
  readonly expectations: FeedTruth;
  readonly retriever: Retriever;
  /**
   * B x N: the retrieval source of each candidate (index into retrieval.ts SOURCE_NAMES): the observation field
   * `source`.
   */
  readonly candidateSource: Float32Array;
  private readonly horizonHours: number;
  /** Per row: the episode's 'user' stream (re-seeded in place for each episode). */
  private readonly userRngs: Rng[];
  /** Per row: the episode's 'response' stream, for retrieval (candidates) and the response. */
  private readonly responseRngs: Rng[];
  private readonly userStreams: StreamFamily;
  private readonly responseStreams: StreamFamily;
  private readonly result: StepResult;
  /** The retrieval view of the row being served, reused across requests. */
  private readonly request: RetrievalUser;
  private readonly slateChecker: SlateChecker;
  /** The observation's named fields (FEED_FIELDS). */
  private readonly fields: FeedFields;
  /** The run metrics' tally while one is on (startRunMetrics), else null: off, it costs nothing. */
  private ecosystem: EcosystemTally | null = null;

  constructor(
    private readonly p: FeedParams,
    seed: SeedKey,
    batchSize: number,
  ) {
    // Sizes as int32 (params arrive as JS numbers that V8 may keep boxed as doubles): the spec's
    // fields then stay small integers, and the hot loops indexed by them stay in integer arithmetic.
    const B = batchSize | 0;
    const N = p.candidates | 0;
    const K = p.slateSize | 0;
    const T = p.topics | 0;
    const data = feedWorldData(p, seed);
    this.catalog = data.catalog;
    this.population = data.population;
    this.horizonHours = p.horizonDays * 24;
    this.users = new UserBatch(B, T, p.posts, p.users.maxFollows, p.creators);
    this.response = new ResponseModel(
      this.catalog,
      this.users,
      p.response,
      p.dynamics,
      p.reward,
      p.historyDecay,
      K,
      p.observability === 'history',
    );
    this.expectations = new FeedTruth(this.catalog, this.users, this.response, p.dynamics, K);
    this.retriever = new Retriever(this.catalog, p.retrieval, N);
    this.spec = {
      preset: 'feed',
      batchSize: B,
      numCandidates: N,
      slateSize: K,
      userFeatureDim: T,
      itemFeatureDim: this.catalog.itemFeatureDim,
      affinityDim: T,
      choiceModel: feedChoiceModel(p),
      signalNames: SIGNAL_NAMES,
      slotRewardWeights: Array.from(rewardWeights(p.reward)),
      clickSignal: SIG_VIEW,
      catalogSize: p.posts,
      armCount: p.posts,
      armDoc: 'a post of the catalog',
      endings: {
        terminated: 'the user churned (stopped coming back after repeated unsatisfied sessions)',
        truncated: 'the horizon (horizonDays) ended: a user who would come back',
      },
      clock: true,
      impressionsObserved: true,
      horizonDays: p.horizonDays,
      observationLayout: {
        userFeatures: featureNames(p.observability === 'history' ? 'history' : 'interest', T),
        userFeaturesDoc: USER_FEATURE_DOCS[p.observability],
        itemFeatures: [...featureNames('topic', T), ...FORMAT_NAMES.map((name) => `format.${name}`), 'lengthMinutes'],
        contextDoc: 'day (0..D-1), hour of day (0-23), device (0 phone, 1 tablet, 2 desktop) of the request',
        fields: FEED_FIELDS,
      },
      episodeMetricNames: FEED_METRICS,
      runMetricNames: ECOSYSTEM_METRICS,
      metricDocs: {
        return: 'reward per user over the horizon (default reward: minutes watched)',
        episodeLength: 'requests (pages) per user over the horizon',
        clicks: 'valid views (the view signal) per user over the horizon',
        firstDayReturn: 'reward on day 0',
        daysActive: 'days with at least one session',
        sessions: 'sessions per user',
        churned: 'share of users who churned (stopped coming back after repeated unsatisfied sessions)',
        finalSatisfaction: 'satisfaction at the end of the episode (about -1 to 1)',
        meanViewedClickbait: 'mean clickbait level (0 to 1) of the posts the user stopped on',
        stickiness:
          'days active over the days of the horizon (its mean: the mean share of users active a day, churned ones inactive)',
        activeDay7:
          '1 if the user started a session on day 7, a week after the first (its mean: the share active that day; 0 with a horizon of 7 days or fewer)',
        activeLastDay:
          '1 if the user started a session on the last day of the horizon (its mean: the share still active then)',
        minutesPerActiveDay:
          'minutes in the app (on every post examined, skips included) per day with a session, per user ' +
          "(its mean weighs every user alike; calibrate's figure pools all users' minutes and days; Kuaishou " +
          'reports 129-132 minutes per daily active user)',
        ...ECOSYSTEM_METRIC_DOCS,
      },
    };
    const itemIds = new Int32Array(p.posts);
    for (let i = 0; i < p.posts; i++) itemIds[i] = i;
    // Candidates index the catalog: its item features are shared, not copied.
    this.observation = allocateObservation({
      batchSize: B,
      numCandidates: N,
      userFeatureDim: T,
      itemFeatureDim: this.catalog.itemFeatureDim,
      catalog: { itemFeatures: this.catalog.itemFeatures, itemIds },
      fields: FEED_FIELDS,
    });
    this.fields = this.observation.fields as FeedFields;
    // Retrieval writes each candidate's source straight into the observation's field.
    this.candidateSource = this.fields.source;
    this.slateChecker = new SlateChecker(this.spec);
    this.userStreams = new StreamFamily(seed, 'feed', 'user');
    this.responseStreams = new StreamFamily(seed, 'feed', 'response');
    this.userRngs = Array.from({ length: B }, () => new Rng(''));
    this.responseRngs = Array.from({ length: B }, () => new Rng(''));
    this.result = allocateStepResult(B, K, SIGNALS);
    this.sessionCause = new Uint8Array(B);
    this.activeDay7 = new Uint8Array(B);
    this.activeLastDay = new Uint8Array(B);
    this.request = {
      following: this.users.following,
      followOffset: 0,
      followCount: 0,
      recentTopics: this.users.recentTopics,
      topicOffset: 0,
      recentCount: 0,
      ringSize: RECENT_TOPICS,
      seen: this.users.seen,
      seenOffset: 0,
    };
    this.truth = feedGroundTruth(this.expectations, this.observation, B, N, K);
  }

  resetRow(row: number, episode: number): void {
    // One stream for the user's traits and then their sessions: Rng.derive(seed, 'feed', 'user',
    // episode), re-seeded in place.
    this.userRngs[row].reseed(this.userStreams, episode);
    // Retrieval and response share a stream: both depend on the policy anyway. Retrieval draws
    // first, so an episode's first page of candidates is the same under every policy.
    this.responseRngs[row].reseed(this.responseStreams, episode);
    const users = this.users;
    sampleUser(users, row, this.population, this.catalog, this.p.users, this.userRngs[row]);
    users.nowHours[row] = firstSessionHours(users, row, this.p.users, this.userRngs[row]);
    startSession(users, row, this.p.users, this.p.observationNoise, this.userRngs[row], this.noiseRng(row));
    this.activeDay7[row] = 0;
    this.activeLastDay[row] = 0;
    this.countSessionDay(row);
    this.observation.active[row] = 1;
    this.writeObservation(row);
  }

  /** The stream of the row's observation noise: the 'response' stream in noisy mode, else none. */
  private noiseRng(row: number): Rng | null {
    return this.p.observability === 'noisy' ? this.responseRngs[row] : null;
  }

  clearRow(row: number): void {
    this.observation.active[row] = 0;
  }

  step(slates: Int32Array): StepResult {
    const { batchSize: B, numCandidates: N, slateSize: K } = this.spec;
    const { signals, reward, done, truncated, impressions } = this.result;
    const { sessionEnded, sessionEndReason, stepMinutes, hoursToNextSession } = this.result;
    const users = this.users;
    const active = this.observation.active;
    const items = this.observation.candidateItems;
    const ecosystem = this.ecosystem;
    // Every slate is checked before any row moves on, so a bad slate leaves the batch as it was.
    this.slateChecker.check(slates, active);
    for (let row = 0; row < B; row++) {
      done[row] = 0;
      truncated[row] = 0;
      sessionEnded[row] = 0;
      sessionEndReason[row] = SESSION_END.none;
      hoursToNextSession[row] = Number.NaN;
      if (active[row] === 0) {
        this.sessionCause[row] = SESSION_CAUSE.none;
        reward[row] = 0;
        impressions[row] = 0;
        stepMinutes[row] = 0;
        signals.fill(0, row * K * SIGNALS, (row + 1) * K * SIGNALS);
        continue;
      }
      const requestDay = Math.floor(users.nowHours[row] / 24);
      const r = this.response.examine(
        row,
        slates,
        row * K,
        K,
        items,
        row * N,
        this.responseRngs[row],
        signals,
        row * K * SIGNALS,
      );
      reward[row] = r;
      this.sessionCause[row] = this.response.endCause;
      impressions[row] = this.response.examined;
      stepMinutes[row] = this.response.minutes;
      users.minutesInApp[row] += this.response.minutes;
      users.sessionPosts[row] += this.response.examined;
      if (ecosystem !== null)
        ecosystem.page(slates, row * K, K, items, row * N, this.response.examined, this.response.stopped);
      if (requestDay === 0) users.firstDayReturn[row] += r;
      let finished = false;
      if (this.response.sessionOver) {
        const endHours = users.nowHours[row];
        finished = endSession(users, row, this.p.dynamics, this.p.users, this.horizonHours, this.userRngs[row]);
        sessionEnded[row] = 1;
        if (!finished) {
          // endSession moved the clock to the next session's start.
          sessionEndReason[row] = SESSION_END.returns;
          hoursToNextSession[row] = users.nowHours[row] - endHours;
          startSession(users, row, this.p.users, this.p.observationNoise, this.userRngs[row], this.noiseRng(row));
          this.countSessionDay(row);
        }
      } else if (users.nowHours[row] >= this.horizonHours) {
        // A session still scrolling at the end of the last day is cut there: an episode covers
        // days 0..D-1 for every user, so per-day curves end on the same day for every policy.
        finished = true;
        sessionEnded[row] = 1;
      } else {
        decayFatigue(users, row, this.p.dynamics);
      }
      if (finished) {
        done[row] = 1;
        // Churn really ends the user; anything else that ends an episode is the horizon.
        truncated[row] = users.churned[row] === 1 ? 0 : 1;
        sessionEndReason[row] = truncated[row] === 1 ? SESSION_END.horizon : SESSION_END.gone;
      }
    }
    // The next requests' candidates in a second pass: rows are independent, and one phase at a
    // time keeps each phase's (large) machine code in the instruction cache across the batch.
    // Rows the horizon truncated get a next observation too (a learner may bootstrap from it): the
    // user as the step left them, with candidates retrieved as of their last request (the catalog
    // ends at the horizon). Churned rows get none.
    for (let row = 0; row < B; row++)
      if (active[row] === 1 && (done[row] === 0 || truncated[row] === 1)) this.writeObservation(row);
    return this.result;
  }

  episodeMetrics(row: number, out: Float64Array): void {
    const u = this.users;
    out[0] = u.firstDayReturn[row];
    out[1] = u.daysActive[row];
    out[2] = u.sessions[row];
    out[3] = u.churned[row];
    out[4] = u.satisfaction[row];
    out[5] = u.views[row] > 0 ? u.viewedClickbait[row] / u.views[row] : 0;
    out[6] = u.daysActive[row] / this.p.horizonDays;
    out[7] = this.activeDay7[row];
    out[8] = this.activeLastDay[row];
    out[9] = u.daysActive[row] > 0 ? u.minutesInApp[row] / u.daysActive[row] : 0;
  }

  /** Notes the day of the session that just started in `row` (activeDay7, activeLastDay). */
  private countSessionDay(row: number): void {
    const day = Math.floor(this.users.nowHours[row] / 24);
    if (day === WEEK_LATER_DAY) this.activeDay7[row] = 1;
    if (day === this.p.horizonDays - 1) this.activeLastDay[row] = 1;
  }

  startRunMetrics(): void {
    this.ecosystem = new EcosystemTally(this.catalog);
  }

  runMetrics(out: Float64Array): void {
    if (this.ecosystem === null) throw new Error('feed: runMetrics before startRunMetrics');
    this.ecosystem.write(out);
  }

  stopRunMetrics(): void {
    this.ecosystem = null;
  }

  /** Retrieves the next request's candidates and writes the row's observation. */
  private writeObservation(row: number): void {
    const { numCandidates: N, userFeatureDim: T } = this.spec;
    const users = this.users;
    const obs = this.observation;
    const now = users.nowHours[row];
    const request = this.request;
    request.followOffset = row * users.maxFollows;
    request.followCount = users.followCount[row];
    request.topicOffset = row * RECENT_TOPICS;
    request.recentCount = users.recentTopicCount[row];
    request.seenOffset = row * users.seenWords;
    this.retriever.fill(request, now, this.responseRngs[row], obs.candidateItems, this.candidateSource, row * N);
    // The candidate fields (FEED_FIELDS): public counters from the day's snapshot
    // (catalog.viewsByDay), age and creator from the packed per-post line, which the response
    // reads again if the post is shown.
    const items = obs.candidateItems;
    const { creator, followsCreator, views, likes, ageHours } = this.fields;
    const packed = this.catalog.postFloats;
    const packedInts = this.catalog.postInts;
    const likesSnapshot = this.catalog.likesByDay;
    const M = this.catalog.posts;
    const snapshot = this.catalog.viewsByDay;
    const dayBase = (Math.min(snapshot.length / M - 1, Math.floor(now / 24)) * M) | 0;
    for (let i = row * N, end = i + N; i < end; i++) {
      const post = items[i];
      const by = packedInts[post * POST_STRIDE + POST_CREATOR];
      creator[i] = by;
      followsCreator[i] = users.follows(row, by) ? 1 : 0;
      views[i] = snapshot[dayBase + post];
      likes[i] = likesSnapshot[dayBase + post];
      ageHours[i] = now - packed[post * POST_STRIDE + POST_CREATED];
    }
    this.fields.sessionPosts[row] = users.sessionPosts[row];
    const base = row * T;
    const mode = this.p.observability;
    const features = obs.userFeatures;
    if (mode === 'history') {
      const history = users.history;
      for (let t = 0; t < T; t++) features[base + t] = history[base + t];
    } else if (mode === 'noisy') {
      const interests = users.interests;
      const noise = users.observationNoise;
      for (let t = 0; t < T; t++) features[base + t] = interests[base + t] + noise[base + t];
    } else {
      const interests = users.interests;
      for (let t = 0; t < T; t++) features[base + t] = interests[base + t];
    }
    obs.context[row * 3] = Math.floor(now / 24);
    obs.context[row * 3 + 1] = Math.floor(now % 24);
    obs.context[row * 3 + 2] = users.device[row];
  }
}

export const feed = defineWorld({
  name: 'feed',
  summary:
    'An Instagram-like feed over days: creators, posts, retrieval, sessions; clickbait wins views and loses users.',
  params: feedParams,
  check: checkFeed,
  notes: (values) =>
    values.observability === 'history'
      ? []
      : [
          `observability is ${values.observability}: observations carry every user's true interests` +
            `${values.observability === 'noisy' ? ' plus noise' : " (calibrate's production stand-in)"}, ` +
            'so agents can read part of the ground truth',
        ],
  create: (values, options) => new FeedEnv(values, options.seed, options.batchSize),
});
