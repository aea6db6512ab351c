// How the feed's users change: interest drift, within-session fatigue, satisfaction, the end of a
// session, the gap to the next one, and churn. Called by response.ts per examined post and by the
// feed world at session boundaries.
import type { Catalog } from './catalog.ts';
import type { ParamValues } from '../params.ts';
import type { Rng } from '../rng.ts';
import {
  DEVICE_DESKTOP,
  DEVICE_TABLET,
  RECENT_CREATORS,
  RECENT_TOPICS,
  type UserBatch,
  type UserParams,
} from './users.ts';

export const dynamicsParams = {
  interestDrift: {
    type: 'number',
    default: 0.03,
    min: 0,
    max: 1,
    doc: "move of a topic's interest towards +1 per post the user stops on (times the topic weight)",
  },
  seeLessDrift: {
    type: 'number',
    default: 0.15,
    min: 0,
    max: 1,
    doc: 'move of a topic\'s interest towards -1 on "see less" (times the topic weight)',
  },
  topicFatigue: {
    type: 'number',
    default: 0.2,
    min: 0,
    doc: "appeal (logit) lost per unit of fatigue on the post's topics",
  },
  creatorFatigue: {
    type: 'number',
    default: 0.6,
    min: 0,
    doc: 'appeal (logit) lost per stop on the same creator among the last 8 stops of the session',
  },
  fatigueDecay: {
    type: 'number',
    default: 0.7,
    min: 0,
    max: 1,
    doc: 'share of topic fatigue carried over from one page to the next',
  },
  satisfactionRate: {
    type: 'number',
    default: 0.05,
    min: 0,
    max: 1,
    doc: 'weight of each examined post in the satisfaction moving average',
  },
  satisfactionQuality: { type: 'number', default: 1, doc: 'satisfaction from consuming a post, per unit of quality' },
  satisfactionClickbait: {
    type: 'number',
    default: 2,
    doc: 'satisfaction lost by consuming a post, per unit of clickbait (regret)',
  },
  satisfactionInterest: {
    type: 'number',
    default: 1,
    doc: 'satisfaction from consuming a post, per unit of interest match',
  },
  skipSatisfaction: {
    type: 'number',
    default: -0.3,
    doc: 'satisfaction target of a post scrolled past (scrolling past irrelevant posts)',
  },
  leaveBias: {
    type: 'number',
    default: -6.5,
    doc: 'logit of the chance of stopping scrolling after a post, at satisfaction 0 and no boredom (mood 1)',
  },
  leaveBoredom: {
    type: 'number',
    default: 7,
    min: 0,
    doc: "leave logit gained per unit of boredom (1 - the session's mood: the recent share of posts scrolled past)",
  },
  leaveSatisfaction: {
    type: 'number',
    default: 1.5,
    min: 0,
    doc: 'leave logit lost per unit of satisfaction',
  },
  moodRate: {
    type: 'number',
    default: 0.2,
    min: 0,
    max: 1,
    doc: "weight of each examined post in the session's mood (1 if the user stopped on it, else 0)",
  },
  returnSensitivity: { type: 'number', default: 2, min: 0, doc: 'log visit rate gained per unit of satisfaction' },
  minGapHours: { type: 'number', default: 1, min: 0, doc: 'shortest gap between two sessions, hours' },
  sameDayReturn: {
    type: 'number',
    default: 0.5,
    min: 0,
    max: 0.99,
    doc:
      'chance, at satisfaction 0, that the user opens the app again later the same day (logit moved by ' +
      'returnSensitivity x satisfaction); sessions per active day are about 1 / (1 - this)',
  },
  sameDayGapHours: {
    type: 'number',
    default: 2,
    min: 0.01,
    doc: 'mean hours to a same-day return after minGapHours (exponential); one that would pass midnight goes to a later day',
  },
  churnThreshold: {
    type: 'number',
    default: -0.2,
    doc: 'a session ending below this satisfaction counts as unsatisfied',
  },
  churnSessions: {
    type: 'int',
    default: 4,
    min: 1,
    max: 1000,
    doc: 'consecutive unsatisfied sessions after which the user churns',
  },
} as const;

export type DynamicsParams = ParamValues<typeof dynamicsParams>;

/** The satisfaction a consumed post brings: quality and interest match, less clickbait regret. */
export function consumptionSatisfaction(
  d: DynamicsParams,
  quality: number,
  clickbait: number,
  affinity: number,
): number {
  return d.satisfactionQuality * quality - d.satisfactionClickbait * clickbait + d.satisfactionInterest * affinity;
}

/** One step of the satisfaction moving average towards `target`: the one formula of it. */
export function satisfactionStep(current: number, target: number, rate: number): number {
  return current + rate * (target - current);
}

/**
 * A post's topic weights against a per-topic row of `values` (interests: the interest match;
 * topic fatigue: the topic load): values[a] wa (+ values[b] wb with a second topic, b >= 0).
 */
export function topicSum(values: Float64Array, base: number, a: number, wa: number, b: number, wb: number): number {
  return b >= 0 ? values[base + a] * wa + values[base + b] * wb : values[base + a] * wa;
}

/** The mood a session opens with: neutral, as if half the recent posts had been stopped on. */
export const SESSION_START_MOOD = 0.5;

/** Chance of stopping scrolling after an examined post, at `satisfaction` and session `mood`. */
export function leaveProbability(d: DynamicsParams, satisfaction: number, mood: number): number {
  return 1 / (1 + Math.exp(-leaveLogit(d.leaveBias, d.leaveBoredom, d.leaveSatisfaction, satisfaction, mood)));
}

/**
 * leaveBias + leaveBoredom x (1 - mood) - leaveSatisfaction x satisfaction: the one formula of
 * leaving (its logit). A session runs while the posts keep the user stopping (a good feed), and a
 * run of posts scrolled past bores them into leaving; a satisfied user stays a little longer.
 */
export function leaveLogit(
  leaveBias: number,
  leaveBoredom: number,
  leaveSatisfaction: number,
  satisfaction: number,
  mood: number,
): number {
  return leaveBias + leaveBoredom * (1 - mood) - leaveSatisfaction * satisfaction;
}

/**
 * Updates the user after a post they stopped to watch (the hidden decision): satisfaction, drift
 * towards its topics, fatigue, the session's ring of recent creators. The examine loop has the
 * post's fields in hand already (from the packed per-post line). What the platform records of a
 * view is afterValidView.
 */
export function afterView(
  users: UserBatch,
  row: number,
  d: DynamicsParams,
  _post: number,
  quality: number,
  clickbait: number,
  a: number,
  wa: number,
  b: number,
  wb: number,
  creator: number,
  affinity: number,
): void {
  const T = users.topics;
  const base = row * T;
  const target = consumptionSatisfaction(d, quality, clickbait, affinity);
  users.satisfaction[row] = satisfactionStep(users.satisfaction[row], target, d.satisfactionRate);
  const interests = users.interests;
  const fatigue = users.topicFatigue;
  const drift = d.interestDrift;
  driftUp(interests, base + a, drift * wa);
  fatigue[base + a] += wa;
  if (b >= 0) {
    driftUp(interests, base + b, drift * wb);
    fatigue[base + b] += wb;
  }
  const next = users.recentCreatorNext[row];
  users.recentCreators[row * RECENT_CREATORS + next] = creator;
  users.recentCreatorNext[row] = next + 1 === RECENT_CREATORS ? 0 : next + 1;
  users.mood[row] += d.moodRate * (1 - users.mood[row]);
  users.skipsInRow[row] = 0;
  users.views[row]++;
  users.viewedClickbait[row] += clickbait;
}

/**
 * What the platform records of a valid view (the view signal, which it observes): the post is
 * seen (retrieval never offers it to this user again), its main topic joins the recent topics that
 * retrieval draws on, and, when observed (trackHistory), the engagement history moves towards its
 * topics: h <- (1 - lambda) h + lambda w over the post's one or two topics.
 */
export function afterValidView(
  users: UserBatch,
  row: number,
  post: number,
  a: number,
  wa: number,
  b: number,
  wb: number,
  historyDecay: number,
  trackHistory: boolean,
): void {
  users.seen[row * users.seenWords + (post >>> 5)] |= 1 << (post & 31);
  const count = users.recentTopicCount[row];
  users.recentTopics[row * RECENT_TOPICS + (count % RECENT_TOPICS)] = a;
  users.recentTopicCount[row] = count + 1;
  if (trackHistory) {
    const T = users.topics;
    const base = row * T;
    const history = users.history;
    const keep = 1 - historyDecay;
    for (let t = 0; t < T; t++) history[base + t] *= keep;
    history[base + a] += historyDecay * wa;
    if (b >= 0) history[base + b] += historyDecay * wb;
  }
}

/** "See less": the post's topics (a, b with weights wa, wb; b < 0 for none) lose interest. */
export function afterSeeLess(
  users: UserBatch,
  row: number,
  d: DynamicsParams,
  a: number,
  wa: number,
  b: number,
  wb: number,
): void {
  const base = row * users.topics;
  driftDown(users.interests, base + a, d.seeLessDrift * wa);
  if (b >= 0) driftDown(users.interests, base + b, d.seeLessDrift * wb);
}

/** Updates state after a skipped post. */
export function afterSkip(users: UserBatch, row: number, d: DynamicsParams): void {
  users.satisfaction[row] = satisfactionStep(users.satisfaction[row], d.skipSatisfaction, d.satisfactionRate);
  users.mood[row] -= d.moodRate * users.mood[row];
  users.skipsInRow[row]++;
}

function driftUp(interests: Float64Array, index: number, step: number): void {
  interests[index] += step * (1 - interests[index]);
}

function driftDown(interests: Float64Array, index: number, step: number): void {
  interests[index] -= step * (1 + interests[index]);
}

/** Appeal (logit) lost to fatigue: the post's topics' fatigue and repeats of its creator this session. */
export function fatiguePenalty(
  users: UserBatch,
  row: number,
  catalog: Catalog,
  d: DynamicsParams,
  post: number,
): number {
  const topicLoad = topicSum(
    users.topicFatigue,
    row * users.topics,
    catalog.topicA[post],
    catalog.weightA[post],
    catalog.topicB[post],
    catalog.weightB[post],
  );
  const repeats = creatorRepeats(users.recentCreators, row * RECENT_CREATORS, catalog.postCreator[post]);
  return penaltyOf(d.topicFatigue, d.creatorFatigue, topicLoad, repeats);
}

/** topicFatigue x topic load + creatorFatigue x creator repeats: the one formula of fatigue. */
export function penaltyOf(topicFatigue: number, creatorFatigue: number, topicLoad: number, repeats: number): number {
  return topicFatigue * topicLoad + creatorFatigue * repeats;
}

/** How often `creator` is among the session's recent creators (the ring at ring[base..]). */
export function creatorRepeats(ring: Int32Array, base: number, creator: number): number {
  let repeats = 0;
  for (let i = 0; i < RECENT_CREATORS; i++) if (ring[base + i] === creator) repeats++;
  return repeats;
}

/** Between two pages of one session: topic fatigue fades a little. */
export function decayFatigue(users: UserBatch, row: number, d: DynamicsParams): void {
  const base = row * users.topics;
  for (let t = 0; t < users.topics; t++) users.topicFatigue[base + t] *= d.fatigueDecay;
}

/**
 * Starts a session at users.nowHours[row]: draws its time budget and device from `rng`, clears
 * the fatigue and the creator ring, redraws the observation noise from `noiseRng` (noisy mode;
 * null otherwise), counts the day.
 */
export function startSession(
  users: UserBatch,
  row: number,
  p: UserParams,
  observationNoise: number,
  rng: Rng,
  noiseRng: Rng | null,
): void {
  const T = users.topics;
  const base = row * T;
  const budget = users.sessionMedianMinutes[row] * rng.lognormal(0, p.sessionVariation);
  const device = rng.uniform() < p.deviceSwitch ? (users.mainDevice[row] + 1 + rng.int(2)) % 3 : users.mainDevice[row];
  users.device[row] = device;
  // The device and the hour shape the session (no draws: the user stream is the same for every setting).
  const moment = sessionMoment(users.nowHours[row]);
  users.budgetLeftMinutes[row] =
    budget *
    deviceSessionFactor(p, device) *
    (moment === EVENING ? p.eveningSession : moment === MORNING ? p.morningSession : 1);
  const patience =
    users.patience[row] + (moment === EVENING ? p.eveningPatience : moment === MORNING ? p.morningPatience : 0);
  users.sessionPatience[row] = patience < 1 ? 1 : patience;
  for (let t = 0; t < T; t++) users.topicFatigue[base + t] = 0;
  // The observation noise comes from its own stream (noiseRng, null unless it is observed): the
  // user stream, and with it the user's sessions, is then the same under every observability.
  if (noiseRng !== null)
    for (let t = 0; t < T; t++) users.observationNoise[base + t] = observationNoise * noiseRng.normal();
  // Plain loops: TypedArray.prototype.fill on a few elements costs more than the stores.
  const ring = users.recentCreators;
  for (let i = row * RECENT_CREATORS, end = i + RECENT_CREATORS; i < end; i++) ring[i] = -1;
  users.skipsInRow[row] = 0;
  users.mood[row] = SESSION_START_MOOD;
  users.sessionPosts[row] = 0;
  users.sessions[row]++;
  const day = Math.floor(users.nowHours[row] / 24);
  if (day !== users.lastActiveDay[row]) {
    users.daysActive[row]++;
    users.lastActiveDay[row] = day;
  }
}

export const MORNING = 1;
export const EVENING = 2;

/** The part of the day a session starting at `hours` falls in: MORNING (06:00-10:00), EVENING (18:00-24:00), or 0. */
export function sessionMoment(hours: number): number {
  const hour = hours % 24;
  return hour >= 18 ? EVENING : hour >= 6 && hour < 10 ? MORNING : 0;
}

/** The session budget's factor for a device (phone 1, tablet tabletSession, desktop desktopSession). */
export function deviceSessionFactor(p: UserParams, device: number): number {
  return device === DEVICE_TABLET ? p.tabletSession : device === DEVICE_DESKTOP ? p.desktopSession : 1;
}

/** A start hour (0-24) from the user's diurnal pattern: around one of their peaks. */
export function sessionHour(users: UserBatch, row: number, p: UserParams, rng: Rng): number {
  const morning = users.morningPeakHour[row];
  const peak = morning >= 0 && rng.uniform() < 0.4 ? morning : users.eveningPeakHour[row];
  const hour = (peak + p.diurnalSpreadHours * rng.normal()) % 24;
  return hour < 0 ? hour + 24 : hour;
}

/** The first session's start time on day 0. */
export function firstSessionHours(users: UserBatch, row: number, p: UserParams, rng: Rng): number {
  return sessionHour(users, row, p, rng);
}

/**
 * Ends the session in `row`: counts an unsatisfied session (churn after churnSessions in a row),
 * then schedules the next visit: later the same day with chance sigmoid(logit(sameDayReturn) +
 * returnSensitivity x satisfaction), after minGapHours + Exponential(mean sameDayGapHours) hours
 * (if that stays on the same day); otherwise on a later day, after gapDays ~
 * Exponential(visitsPerDay x exp(returnSensitivity x satisfaction)), at an hour from the user's
 * diurnal pattern. Every draw is made on every call. Returns true if the episode is over (churned,
 * or the next visit falls beyond the horizon).
 */
export function endSession(
  users: UserBatch,
  row: number,
  d: DynamicsParams,
  p: UserParams,
  horizonHours: number,
  rng: Rng,
): boolean {
  const satisfaction = users.satisfaction[row];
  if (satisfaction < d.churnThreshold) users.unsatisfiedSessions[row]++;
  else users.unsatisfiedSessions[row] = 0;
  if (users.unsatisfiedSessions[row] >= d.churnSessions) {
    users.churned[row] = 1;
    return true;
  }
  const now = users.nowHours[row];
  // Every draw is made whatever happens next, so the user stream stays aligned across policies
  // and observabilities (the k-th session's budget does not depend on how earlier ones went).
  const sameDayDraw = rng.uniform();
  const later = now + d.minGapHours + d.sameDayGapHours * rng.exponential(1);
  const rate = users.visitsPerDay[row] * Math.exp(d.returnSensitivity * satisfaction);
  const gapHours = 24 * rng.exponential(rate);
  const hour = sessionHour(users, row, p, rng);
  // Later the same day (the phone picked up again), or on a later day from the visit rate.
  const sameDayLogit = Math.log(d.sameDayReturn / (1 - d.sameDayReturn)) + d.returnSensitivity * satisfaction;
  if (sameDayDraw < 1 / (1 + Math.exp(-sameDayLogit)) && Math.floor(later / 24) === Math.floor(now / 24)) {
    if (later >= horizonHours) return true;
    users.nowHours[row] = later;
    return false;
  }
  let next = Math.floor((now + gapHours) / 24) * 24 + hour;
  // Whole days on until the gap is long enough (bounded: past the horizon the episode ends anyway).
  while ((next < now + d.minGapHours || Math.floor(next / 24) === Math.floor(now / 24)) && next < horizonHours)
    next += 24;
  if (next >= horizonHours) return true;
  users.nowHours[row] = next;
  return false;
}
