// A port of RecSim's long-term satisfaction ("chocolate vs kale") environment
// (recsim/environments/long_term_satisfaction.py, as wired by its create_environment).
//
// Documents carry one observable number, their clickbait score cb ~ U(0, 1). The user always
// engages with the document in slot 0. Clickbaity documents ("chocolate") earn more engagement now
// but lower the user's net positive exposure (NPE), a latent state whose sigmoid is satisfaction,
// which scales all future engagement; "kale" does the opposite. Every constant is RecSim's
// (LTSStaticUserSampler defaults). Two things to know about those defaults:
// - with sensitivity 0.01, satisfaction stays within about sigmoid(+-0.04), so the long-term effect is
//   a few percent of engagement and always serving the most clickbaity document is (nearly) optimal;
//   raise `sensitivity` (e.g. 0.5) for a world where kale pays off;
// - RecSim's docstring writes the NPE update with "+ 2 (cb - 0.5)" but its code subtracts; we
//   follow the code (clickbait lowers NPE).
//
// State is float64 (as numpy's); observations are float32 copies of it.
import { proportionalCascade, type ChoiceModel } from '../choice.ts';
import {
  allocateObservation,
  allocateStepResult,
  writeSessionlessEndings,
  SlateChecker,
  type Env,
  type GroundTruth,
  type Observation,
  type StepResult,
  type WorldSpec,
} from '../env.ts';
import type { ParamIssue, ParamValues } from '../params.ts';
import { Rng, type SeedKey } from '../rng.ts';
import { checkSlateFits, defineWorld, roundedLimit } from '../world.ts';

export const longTermSatisfactionParams = {
  candidates: {
    type: 'int',
    default: 10,
    min: 1,
    max: 10_000,
    doc: 'documents offered per step (RecSim num_candidates)',
  },
  slateSize: {
    type: 'int',
    default: 2,
    min: 1,
    max: 100,
    doc: 'documents per slate; only slot 0 is consumed (RecSim slate_size)',
  },
  resampleDocuments: {
    type: 'boolean',
    default: true,
    doc:
      'draw fresh candidates every step (RecSim resample_documents); false: one document set for ' +
      'every step of every episode, drawn once per run (as RecSim)',
  },
  memoryDiscount: {
    type: 'number',
    default: 0.7,
    min: 0,
    max: 0.999,
    doc: 'rate at which net positive exposure is remembered per step',
  },
  sensitivity: {
    type: 'number',
    default: 0.01,
    min: 0,
    doc: 'satisfaction = sigmoid(sensitivity * net positive exposure)',
  },
  innovationStddev: { type: 'number', default: 0.05, min: 0, doc: 'noise sd of the net positive exposure update' },
  chocMean: {
    type: 'number',
    default: 5,
    doc: 'log-engagement mean of a fully clickbaity document (before satisfaction)',
  },
  chocStddev: { type: 'number', default: 1, min: 0, doc: 'log-engagement sd of a fully clickbaity document' },
  kaleMean: {
    type: 'number',
    default: 4,
    doc: 'log-engagement mean of a clickbait-free document (before satisfaction)',
  },
  kaleStddev: { type: 'number', default: 1, min: 0, doc: 'log-engagement sd of a clickbait-free document' },
  timeBudget: {
    type: 'int',
    default: 60,
    min: 1,
    max: 1_000_000,
    doc: 'steps per episode (one unit of budget per consumed document)',
  },
  maxEngagement: {
    type: 'number',
    default: 100,
    min: 0,
    doc: "the engagement signal is clipped to [0, this] (RecSim's LTSResponse); the reward is not",
  },
} as const;

export type LongTermSatisfactionParams = ParamValues<typeof longTermSatisfactionParams>;

const SIGNALS = 2; // click, engagement

/**
 * ln of the largest 32-bit float: rewards are float32, so an engagement above exp(this) (3.4e38)
 * becomes Infinity, and with it the run's return and every statistic over it.
 */
const LOG_MAX_REWARD = Math.log(3.4028234663852886e38);
/** Normal draws further out than this many standard deviations are taken as impossible (about 1e-15 each). */
const MAX_DRAW_SDS = 8;

/**
 * Cross-field checks: the slate fits, and engagement stays finite as a float32 reward. The
 * log-engagement of a document is at most max(0, mean) + sd * z (satisfaction is in (0, 1), and it
 * is linear in the clickbait score, so the pure chocolate and pure kale documents bound it).
 */
export function checkLongTermSatisfaction(p: LongTermSatisfactionParams): ParamIssue[] {
  const issues = checkSlateFits(p);
  for (const kind of ['choc', 'kale'] as const) {
    const meanName = `${kind}Mean` as const;
    const sdName = `${kind}Stddev` as const;
    const mean = Math.max(0, p[meanName]);
    const sd = p[sdName];
    const top = mean + MAX_DRAW_SDS * sd;
    if (top <= LOG_MAX_REWARD) continue;
    // Name the larger part of the sum, and its largest value given the other.
    const bySd = MAX_DRAW_SDS * sd >= mean;
    const field = bySd ? sdName : meanName;
    const room = bySd ? (LOG_MAX_REWARD - mean) / MAX_DRAW_SDS : LOG_MAX_REWARD - MAX_DRAW_SDS * sd;
    const ok = bySd
      ? (x: number) => mean + MAX_DRAW_SDS * x <= LOG_MAX_REWARD
      : (x: number) => x + MAX_DRAW_SDS * sd <= LOG_MAX_REWARD;
    // A negative mean times a satisfaction near 0 is near 0.
    const sum = `${p[meanName] < 0 ? `max(0, ${meanName})` : meanName} + ${MAX_DRAW_SDS} * ${sdName}`;
    const fix =
      room > 0
        ? `must be at most ${roundedLimit(room, ok)}, got ${p[field]}`
        : `keep ${sum} at most ${LOG_MAX_REWARD.toFixed(2)}`;
    issues.push({
      field,
      message:
        `${sum} (the log-engagement of a draw ${MAX_DRAW_SDS} standard deviations up) is ` +
        `${Number(top.toPrecision(4))}, ` +
        `and engagement above exp(${LOG_MAX_REWARD.toFixed(2)}) = 3.4e38 overflows the 32-bit ` +
        `reward to Infinity: ${fix}`,
    });
  }
  return issues;
}

/** RecSim's LTSStaticUserSampler.sample_user: NPE_0 = (u - 0.5) / (1 - memory_discount), u ~ U(0, 1). */
export function initialNetPositiveExposure(memoryDiscount: number, u: number): number {
  return (u - 0.5) * (1 / (1 - memoryDiscount));
}

export function satisfactionOf(sensitivity: number, netPositiveExposure: number): number {
  return 1 / (1 + Math.exp(-sensitivity * netPositiveExposure));
}

/** Location of log-engagement with a document of clickbait cb (RecSim LTSUserModel.generate_response). */
export function engagementLocation(p: LongTermSatisfactionParams, clickbait: number, satisfaction: number): number {
  return (clickbait * p.chocMean + (1 - clickbait) * p.kaleMean) * satisfaction;
}

/** Scale (sd) of log-engagement with a document of clickbait cb. */
export function engagementScale(p: LongTermSatisfactionParams, clickbait: number): number {
  return clickbait * p.chocStddev + (1 - clickbait) * p.kaleStddev;
}

/** E[exp(Normal(loc, scale))] = exp(loc + scale^2 / 2): the expected engagement (lognormal mean). */
export function expectedEngagement(p: LongTermSatisfactionParams, clickbait: number, satisfaction: number): number {
  const scale = engagementScale(p, clickbait);
  return Math.exp(engagementLocation(p, clickbait, satisfaction) + 0.5 * scale * scale);
}

/** The per-row state, flat. */
export interface LongTermSatisfactionState {
  /** B: net positive exposure. */
  readonly npe: Float64Array;
  /** B: sigmoid(sensitivity * npe), kept as RecSim keeps it. */
  readonly satisfaction: Float64Array;
  /** B: steps left. */
  readonly budget: Int32Array;
  /** B x N, row-major: clickbait score of each candidate. */
  readonly clickbait: Float64Array;
}

/** A source of standard normals (an Rng, or a replay in tests). */
export interface NormalSource {
  normal(): number;
}

/**
 * One step of one row: RecSim's simulate_response (the user consumes slot 0; log-engagement ~
 * Normal(loc, scale)) followed by update_state (NPE' = d NPE - 2 (cb - 0.5) + Normal(0, sd)),
 * drawing in RecSim's order: engagement, then innovation. Writes [click, engagement] per slot at
 * signals[signalOffset..] and returns the reward (the unclipped engagement, as RecSim's
 * clicked_engagement_reward).
 */
export function stepLongTermSatisfaction(
  p: LongTermSatisfactionParams,
  state: LongTermSatisfactionState,
  row: number,
  slates: Int32Array,
  draws: NormalSource,
  signals: Float32Array,
  signalOffset: number,
): number {
  const k = p.slateSize;
  const clickbait = state.clickbait[row * p.candidates + slates[row * k]];
  const loc = engagementLocation(p, clickbait, state.satisfaction[row]);
  const scale = engagementScale(p, clickbait);
  const engagement = Math.exp(loc + scale * draws.normal());
  signals[signalOffset] = 1;
  signals[signalOffset + 1] = Math.min(Math.max(engagement, 0), p.maxEngagement);
  for (let slot = 1; slot < k; slot++) {
    signals[signalOffset + slot * SIGNALS] = 0;
    signals[signalOffset + slot * SIGNALS + 1] = 0;
  }
  const innovation = p.innovationStddev * draws.normal();
  const npe = p.memoryDiscount * state.npe[row] - 2 * (clickbait - 0.5) + innovation;
  state.npe[row] = npe;
  state.satisfaction[row] = satisfactionOf(p.sensitivity, npe);
  state.budget[row] -= 1;
  return engagement;
}

/**
 * The long-term part of a document's value: the change in the expected engagement of the rest of
 * the episode caused by consuming it, against consuming a neutral document (cb = 1/2, which leaves
 * NPE to decay), with every later document neutral too. After a document with clickbait cb the
 * exposure is x_1 = d NPE - 2 (cb - 1/2), then x_j = d^(j-1) x_1; after the neutral one it is
 * d^j NPE. The innovation noise is ignored: it shifts both paths alike and its curvature effect is
 * of order (sensitivity * sd)^2. Positive for cb < 1/2 (kale), negative for cb > 1/2.
 */
export function futureEngagementEffect(
  p: LongTermSatisfactionParams,
  npe: number,
  clickbait: number,
  remainingSteps: number,
): number {
  const d = p.memoryDiscount;
  let withDocument = d * npe - 2 * (clickbait - 0.5);
  let neutral = d * npe;
  let effect = 0;
  for (let j = 0; j < remainingSteps; j++) {
    effect +=
      expectedEngagement(p, 0.5, satisfactionOf(p.sensitivity, withDocument)) -
      expectedEngagement(p, 0.5, satisfactionOf(p.sensitivity, neutral));
    withDocument *= d;
    neutral *= d;
  }
  return effect;
}

/**
 * The choice model a recommender may assume. Scores are identically 0 here (affinityDim 0), and a
 * cascade with attention 1 over score - (-1) = 1 clicks slot 0 with probability exactly 1 and
 * nothing below it: RecSim's "the user always consumes the first document".
 */
const alwaysFirstSlot: ChoiceModel = proportionalCascade({
  attentionProbability: 1,
  scoreScaling: 1,
  minNormalizer: -1,
});

class LongTermSatisfactionEnv implements Env {
  readonly spec: WorldSpec;
  readonly observation: Observation;
  readonly truth: GroundTruth;
  private readonly state: LongTermSatisfactionState;
  private readonly documentRngs: Rng[];
  private readonly responseRngs: Rng[];
  private readonly docCounter: Int32Array;
  /** B: sum of the slot-0 clickbait scores and the steps taken, for the meanClickbait metric. */
  private readonly clickbaitSum: Float64Array;
  private readonly steps: Int32Array;
  private readonly result: StepResult;
  private readonly slateChecker: SlateChecker;

  constructor(
    private readonly p: LongTermSatisfactionParams,
    private readonly seed: SeedKey,
    batchSize: number,
  ) {
    const n = p.candidates;
    const k = p.slateSize;
    this.spec = {
      preset: 'long-term-satisfaction',
      batchSize,
      numCandidates: n,
      slateSize: k,
      // RecSim's LTSUserState.create_observation is empty: the user's state is latent.
      userFeatureDim: 0,
      itemFeatureDim: 1,
      affinityDim: 0,
      choiceModel: alwaysFirstSlot,
      signalNames: ['click', 'engagement'],
      clickSignal: 0,
      catalogSize: 0,
      armCount: 0,
      armDoc: 'none: documents are fresh every step and only their clickbait score is seen',
      endings: {
        terminated: "the user's time budget (timeBudget steps) ran out, as RecSim's is_terminal",
        truncated: '',
      },
      observationLayout: {
        userFeatures: [],
        userFeaturesDoc: 'none: the user is hidden, as in RecSim',
        itemFeatures: ['clickbait'],
        contextDoc: 'unused (0): RecSim has no clock',
        fields: [],
      },
      clock: false,
      impressionsObserved: true, // the whole slate is seen; the user consumes one of it
      horizonDays: null,
      episodeMetricNames: ['finalSatisfaction', 'meanClickbait'],
      metricDocs: {
        return: 'engagement summed over the episode',
        episodeLength: 'steps per episode',
        clicks: 'documents consumed per episode (slot 0, every step)',
        finalSatisfaction: 'satisfaction after the last step (0 to 1)',
        meanClickbait: 'mean clickbait score (0 to 1) of the documents consumed',
      },
    };
    this.state = {
      npe: new Float64Array(batchSize),
      satisfaction: new Float64Array(batchSize),
      budget: new Int32Array(batchSize),
      clickbait: new Float64Array(batchSize * n),
    };
    // No user features (RecSim's user state is hidden); itemFeatures (B x N) x 1: the clickbait score.
    this.observation = allocateObservation({ batchSize, numCandidates: n, userFeatureDim: 0, itemFeatureDim: 1 });
    this.documentRngs = new Array(batchSize);
    this.responseRngs = new Array(batchSize);
    this.docCounter = new Int32Array(batchSize);
    this.clickbaitSum = new Float64Array(batchSize);
    this.steps = new Int32Array(batchSize);
    this.result = allocateStepResult(batchSize, k, SIGNALS);
    this.slateChecker = new SlateChecker(this.spec);
    this.truth = this.groundTruth();
  }

  resetRow(row: number, episode: number): void {
    // As RecSim: the user from its own sampler, documents from another, responses from a third.
    const userRng = Rng.derive(this.seed, 'long-term-satisfaction', 'user', episode);
    // Without resampling, RecSim draws its documents once, when the environment is made: one set
    // for every episode (and here every row), from one stream.
    this.documentRngs[row] = this.p.resampleDocuments
      ? Rng.derive(this.seed, 'long-term-satisfaction', 'documents', episode)
      : Rng.derive(this.seed, 'long-term-satisfaction', 'documents');
    this.responseRngs[row] = Rng.derive(this.seed, 'long-term-satisfaction', 'response', episode);
    const npe = initialNetPositiveExposure(this.p.memoryDiscount, userRng.uniform());
    this.state.npe[row] = npe;
    this.state.satisfaction[row] = satisfactionOf(this.p.sensitivity, npe);
    this.state.budget[row] = this.p.timeBudget;
    this.docCounter[row] = 0;
    this.clickbaitSum[row] = 0;
    this.steps[row] = 0;
    this.observation.active[row] = 1;
    this.sampleDocuments(row);
  }

  clearRow(row: number): void {
    this.observation.active[row] = 0;
  }

  step(slates: Int32Array): StepResult {
    this.slateChecker.check(slates, this.observation.active); // before any row moves
    const { batchSize, slateSize, numCandidates: n } = this.spec;
    const { reward, done, signals, impressions } = this.result;
    // The only ending is a spent time budget, a real end (this.result.truncated stays 0).
    for (let row = 0; row < batchSize; row++) {
      if (this.observation.active[row] === 0) {
        reward[row] = 0;
        done[row] = 0;
        impressions[row] = 0;
        continue;
      }
      this.clickbaitSum[row] += this.state.clickbait[row * n + slates[row * slateSize]];
      this.steps[row] += 1;
      reward[row] = stepLongTermSatisfaction(
        this.p,
        this.state,
        row,
        slates,
        this.responseRngs[row],
        signals,
        row * slateSize * SIGNALS,
      );
      impressions[row] = slateSize; // the whole slate is shown (only slot 0 is consumed)
      const finished = this.state.budget[row] <= 0;
      done[row] = finished ? 1 : 0;
      if (!finished && this.p.resampleDocuments) this.sampleDocuments(row);
    }
    writeSessionlessEndings(this.result);
    return this.result;
  }

  episodeMetrics(row: number, out: Float64Array): void {
    out[0] = this.state.satisfaction[row];
    out[1] = this.steps[row] > 0 ? this.clickbaitSum[row] / this.steps[row] : 0;
  }

  private sampleDocuments(row: number): void {
    const n = this.p.candidates;
    const rng = this.documentRngs[row];
    const { itemFeatures, itemIds } = this.observation;
    for (let i = 0; i < n; i++) {
      const doc = row * n + i;
      const clickbait = rng.uniform(); // RecSim: self._rng.random_sample()
      this.state.clickbait[doc] = clickbait;
      itemFeatures[doc] = clickbait;
      itemIds[doc] = this.docCounter[row]++;
    }
  }

  private groundTruth(): GroundTruth {
    const { batchSize, numCandidates: n, slateSize: k } = this.spec;
    const { p, state } = this;
    return {
      immediateValue: (out) => {
        for (let row = 0; row < batchSize; row++) {
          const satisfaction = state.satisfaction[row];
          for (let c = 0; c < n; c++)
            out[row * n + c] = expectedEngagement(p, state.clickbait[row * n + c], satisfaction);
        }
      },
      longTermValue: (qualityWeight, out) => {
        for (let row = 0; row < batchSize; row++) {
          const satisfaction = state.satisfaction[row];
          // The budget counts this step too: budget - 1 steps follow it.
          const remaining = Math.max(0, state.budget[row] - 1);
          for (let c = 0; c < n; c++) {
            const clickbait = state.clickbait[row * n + c];
            out[row * n + c] =
              expectedEngagement(p, clickbait, satisfaction) +
              qualityWeight * futureEngagementEffect(p, state.npe[row], clickbait, remaining);
          }
        }
      },
      expectedSlateReward: (slates, out) => {
        // Only the top slot is consumed; the others are worth nothing now.
        for (let row = 0; row < batchSize; row++) {
          out[row] = expectedEngagement(p, state.clickbait[row * n + slates[row * k]], state.satisfaction[row]);
        }
      },
    };
  }
}

export const longTermSatisfaction = defineWorld({
  name: 'long-term-satisfaction',
  summary: "RecSim's chocolate-vs-kale world: clickbait earns engagement now and costs satisfaction later.",
  params: longTermSatisfactionParams,
  check: checkLongTermSatisfaction,
  create: (values, options) => new LongTermSatisfactionEnv(values, options.seed, options.batchSize),
});
