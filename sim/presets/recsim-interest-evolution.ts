// A faithful port of RecSim's interest_evolution environment (recsim/environments/
// interest_evolution.py, as wired by its create_environment): users with interests over 20
// clusters watch videos whose hidden quality decides whether their time budget grows or shrinks.
// Every constant below is RecSim's; test/sim/recsim-interest-evolution.test.ts replays RecSim's
// own recorded steps through `stepInterestEvolution` and matches them exactly.
//
// State is float64 (as numpy's); observations are float32 views of it.
import {
  exponentialCascade,
  multinomialLogit,
  multinomialProportional,
  proportionalCascade,
  type ChoiceModel,
} from '../choice.ts';
import {
  allocateObservation,
  allocateStepResult,
  writeSessionlessEndings,
  featureNames,
  SlateChecker,
  type Env,
  type GroundTruth,
  type Observation,
  type ObservationField,
  type StepResult,
  type WorldSpec,
} from '../env.ts';
import type { ParamIssue, ParamValues } from '../params.ts';
import { Rng, type SeedKey, type UniformSource } from '../rng.ts';
import { checkSlateFits, defineWorld, roundedLimit } from '../world.ts';

/** RecSim's IEvVideo.NUM_FEATURES and IEvUserState.NUM_FEATURES. */
export const CLUSTERS = 20;

export const recsimInterestEvolutionParams = {
  candidates: {
    type: 'int',
    default: 10,
    min: 1,
    max: 10_000,
    doc: 'documents offered per step (RecSim num_candidates)',
  },
  slateSize: { type: 'int', default: 2, min: 1, max: 100, doc: 'documents per slate (RecSim slate_size)' },
  timeBudget: { type: 'number', default: 200, min: 0, doc: "user's initial time budget in minutes" },
  stepPenalty: { type: 'number', default: 0.5, min: 0, doc: 'minutes of budget lost on a step without a click' },
  videoLength: { type: 'number', default: 4, min: 0, doc: 'length of every video in minutes' },
  qualityStddev: { type: 'number', default: 0.1, min: 0, doc: "spread of a video's quality around its cluster mean" },
  minUtility: { type: 'number', default: -3, doc: 'mean quality of the worst cluster' },
  maxUtility: { type: 'number', default: 3, doc: 'mean quality of the best cluster' },
  userUpdateAlpha: {
    type: 'number',
    default: 0.9 / 3.4,
    min: 0,
    doc: 'budget gained per watched minute per unit of quality (RecSim: 0.9 / 3.4)',
  },
  interestStepSize: {
    type: 'number',
    default: 0.3,
    min: 0,
    max: 1,
    doc: 'largest move of an interest after a click (RecSim alpha_y_intercept)',
  },
  interestStepZero: {
    type: 'number',
    default: 1,
    min: 0.001,
    doc: '|interest| at which the move after a click shrinks to zero (RecSim alpha_x_intercept)',
  },
  documentQualityFactor: {
    type: 'number',
    default: 1,
    doc: "weight of a watched video's quality in the budget it buys back (RecSim document_quality_factor)",
  },
  resampleDocuments: {
    type: 'boolean',
    default: true,
    doc:
      'draw fresh candidates every step (RecSim resample_documents); false: one document set for ' +
      'every step of every episode, drawn once per run (as RecSim)',
  },
  observeQuality: {
    type: 'boolean',
    default: false,
    doc:
      "observations carry each candidate's true quality (field quality), as RecSim's responses " +
      'do; ground truth, so off by default',
  },
  choiceModel: {
    type: 'enum',
    default: 'multinomial-proportional',
    values: ['multinomial-proportional', 'multinomial-logit', 'cascade', 'exponential-cascade'],
    doc: "the user's choice model (RecSim default: multinomial proportional)",
  },
  noClickMass: { type: 'number', default: 1, doc: 'score of the no-click option (a logit for multinomial-logit)' },
  minNormalizer: { type: 'number', default: -1, doc: 'subtracted from scores by the proportional models' },
  attentionProbability: {
    type: 'number',
    default: 0.65,
    min: 0,
    max: 1,
    doc: 'cascade models: chance of attending to a reached slot',
  },
  scoreScaling: { type: 'number', default: 0.05, min: 0, doc: 'cascade models: score to click probability factor' },
} as const;

export type InterestEvolutionParams = ParamValues<typeof recsimInterestEvolutionParams>;

/** The candidate field of observeQuality: RecSim's responses carry every shown document's quality. */
const QUALITY_FIELD: ObservationField = {
  name: 'quality',
  scope: 'candidate',
  doc: "the document's true quality (ground truth; RecSim's responses carry it): its cluster's mean plus noise",
  signed: true,
};

export function interestEvolutionChoiceModel(p: InterestEvolutionParams): ChoiceModel {
  switch (p.choiceModel) {
    case 'multinomial-logit':
      return multinomialLogit({ noClickLogit: p.noClickMass });
    case 'cascade':
      return proportionalCascade({
        attentionProbability: p.attentionProbability,
        scoreScaling: p.scoreScaling,
        minNormalizer: p.minNormalizer,
      });
    case 'exponential-cascade':
      return exponentialCascade({ attentionProbability: p.attentionProbability, scoreScaling: p.scoreScaling });
    default:
      return multinomialProportional({ minNormalizer: p.minNormalizer, noClickMass: p.noClickMass });
  }
}

/**
 * The range of a user's score for a document: interests[cluster] (documents are one-hot), drawn
 * from [-1, 1) and clipped to [-1, 1] after each click, so both ends can be reached.
 */
const MIN_SCORE = -1;
const MAX_SCORE = 1;

/**
 * Cross-field checks: the slate fits, and the choice model turns every score in [-1, 1] into
 * valid weights or probabilities (sim/choice.ts throws mid-run otherwise). Each bound is the
 * expression choice.ts evaluates, at the score where it is tightest.
 */
export function checkInterestEvolution(p: InterestEvolutionParams): ParamIssue[] {
  const issues = checkSlateFits(p);
  const model = `with choiceModel ${p.choiceModel}`;
  const scores = 'scores go down to -1 (interests are in [-1, 1])';
  switch (p.choiceModel) {
    case 'multinomial-proportional':
      if (p.minNormalizer > MIN_SCORE) {
        issues.push({
          field: 'minNormalizer',
          message:
            `${model}, score - minNormalizer is a choice weight and ${scores}: must be at most ` +
            `${MIN_SCORE}, got ${p.minNormalizer}`,
        });
      } else if (p.noClickMass < p.minNormalizer) {
        issues.push({
          field: 'noClickMass',
          message:
            `${model}, noClickMass - minNormalizer is the no-click weight: must be at least ` +
            `minNormalizer ${p.minNormalizer}, got ${p.noClickMass}`,
        });
      } else if (p.noClickMass === p.minNormalizer && p.minNormalizer === MIN_SCORE) {
        issues.push({
          field: 'noClickMass',
          message:
            `${model}, noClickMass = minNormalizer = ${MIN_SCORE} gives every choice weight 0 when a ` +
            `slate's scores are all ${MIN_SCORE}; raise noClickMass or lower minNormalizer`,
        });
      }
      break;
    case 'cascade':
      // Click probability given attention: scoreScaling * (score - minNormalizer).
      if (p.scoreScaling > 0 && p.minNormalizer > MIN_SCORE) {
        issues.push({
          field: 'minNormalizer',
          message:
            `${model}, scoreScaling * (score - minNormalizer) is a click probability and ${scores}: ` +
            `must be at most ${MIN_SCORE}, got ${p.minNormalizer}`,
        });
      } else if (p.scoreScaling * (MAX_SCORE - p.minNormalizer) > 1) {
        const ok = (s: number) => s * (MAX_SCORE - p.minNormalizer) <= 1;
        const top = p.scoreScaling * (MAX_SCORE - p.minNormalizer);
        issues.push({
          field: 'scoreScaling',
          message:
            `${model}, scoreScaling * (score - minNormalizer) is a click probability, and a score of ` +
            `${MAX_SCORE} (interests are in [-1, 1]) makes it ${Number(top.toPrecision(4))}: must be ` +
            `at most ${roundedLimit(1 / (MAX_SCORE - p.minNormalizer), ok)}, got ${p.scoreScaling}`,
        });
      }
      break;
    case 'exponential-cascade':
      // Click probability given attention: scoreScaling * exp(score).
      if (p.scoreScaling * Math.exp(MAX_SCORE) > 1) {
        const ok = (s: number) => s * Math.exp(MAX_SCORE) <= 1;
        const top = p.scoreScaling * Math.exp(MAX_SCORE);
        issues.push({
          field: 'scoreScaling',
          message:
            `${model}, scoreScaling * exp(score) is a click probability, and a score of ${MAX_SCORE} ` +
            `(interests are in [-1, 1]) makes it ${Number(top.toPrecision(4))}: must be at most ` +
            `${roundedLimit(1 / Math.exp(MAX_SCORE), ok)}, got ${p.scoreScaling}`,
        });
      }
      break;
    default:
      // multinomial-logit: a softmax is defined for every score.
      break;
  }
  return issues;
}

/**
 * RecSim's cluster means: int(0.7 * 20) = 14 "trashy" clusters evenly spaced from minUtility to 0,
 * then 6 "nutritious" ones from 0 to maxUtility (np.linspace).
 */
export function clusterMeans(minUtility: number, maxUtility: number): Float64Array {
  const trashy = Math.floor(CLUSTERS * 0.7);
  const means = new Float64Array(CLUSTERS);
  linspace(minUtility, 0, trashy, means, 0);
  linspace(0, maxUtility, CLUSTERS - trashy, means, trashy);
  return means;
}

/** numpy.linspace(start, stop, num) written at out[offset..): step = delta / div, y = i * step + start, last = stop. */
function linspace(start: number, stop: number, num: number, out: Float64Array, offset: number): void {
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[offset + i] = i * step + start;
  out[offset + num - 1] = stop;
}

/** The per-row state, flat: interests B x 20, budget B, documents B x N. */
export interface InterestEvolutionState {
  readonly interests: Float64Array;
  readonly budget: Float64Array;
  readonly docCluster: Int32Array;
  readonly docQuality: Float64Array;
}

/** Scratch space for one step of one row: K scores, K+1 probabilities, K clicks. */
export interface StepScratch {
  readonly scores: Float64Array;
  readonly probs: Float64Array;
  readonly clicks: Uint8Array;
}

export function makeScratch(slateSize: number): StepScratch {
  return {
    scores: new Float64Array(slateSize),
    probs: new Float64Array(slateSize + 1),
    clicks: new Uint8Array(slateSize),
  };
}

/**
 * One step of one user (row) given the slate: RecSim's IEvUserModel.simulate_response followed by
 * update_state, drawing from `draws` in RecSim's order (the choice, then the interest flip).
 * Writes the per-slot [click, watchMinutes] signals at signals[signalOffset..] and returns the reward.
 */
export function stepInterestEvolution(
  p: InterestEvolutionParams,
  choice: ChoiceModel,
  state: InterestEvolutionState,
  row: number,
  slates: Int32Array,
  draws: UniformSource,
  scratch: StepScratch,
  signals: Float32Array,
  signalOffset: number,
): number {
  const k = p.slateSize;
  const interestBase = row * CLUSTERS;
  const docBase = row * p.candidates;
  const { scores, probs, clicks } = scratch;
  // score_document: interests . one_hot(cluster) = interests[cluster].
  for (let slot = 0; slot < k; slot++) {
    scores[slot] = state.interests[interestBase + state.docCluster[docBase + slates[row * k + slot]]];
  }
  choice.probabilities(scores, k, probs);
  choice.sample(probs, k, draws, clicks);
  let reward = 0;
  let clickedAny = false;
  for (let slot = 0; slot < k; slot++) {
    const offset = signalOffset + slot * 2;
    signals[offset] = clicks[slot];
    signals[offset + 1] = 0;
    // Every model offered here is single-choice: at most one slot is clicked.
    if (clicks[slot] === 0) continue;
    clickedAny = true;
    const doc = docBase + slates[row * k + slot];
    const watchMinutes = Math.min(state.budget[row], p.videoLength);
    signals[offset + 1] = watchMinutes;
    reward += watchMinutes;
    evolveInterest(p, state.interests, interestBase + state.docCluster[doc], draws);
    // received_utility = user_quality_factor * expected_utility + document_quality_factor * quality,
    // with RecSim's user_quality_factor hard-wired to 0 (UtilityModelUserSampler).
    const receivedUtility = p.documentQualityFactor * state.docQuality[doc];
    state.budget[row] -= watchMinutes;
    state.budget[row] += p.userUpdateAlpha * watchMinutes * receivedUtility;
  }
  if (!clickedAny) state.budget[row] -= p.stepPenalty;
  return reward;
}

/**
 * RecSim's interest update on a click in cluster c, x = interests[c]: the step
 * (-(y / x0)|x| + y) * (1 - x), with y = interestStepSize (0.3) and x0 = interestStepZero (1),
 * moves x towards 1 with probability (x + 1) / 2, away otherwise; clipped to [-1, 1].
 */
function evolveInterest(
  p: InterestEvolutionParams,
  interests: Float64Array,
  index: number,
  draws: UniformSource,
): void {
  const x = interests[index];
  // Written as RecSim's compute_alpha, so the float64 result is the same bit for bit.
  const alpha = (-p.interestStepSize / p.interestStepZero) * Math.abs(x) + p.interestStepSize;
  const update = alpha * (1 - x);
  const positiveUpdateProbability = (x + 1) / 2;
  const moved = draws.uniform() < positiveUpdateProbability ? x + update : x - update;
  interests[index] = Math.min(1, Math.max(-1, moved));
}

class InterestEvolutionEnv implements Env {
  readonly spec: WorldSpec;
  readonly observation: Observation;
  readonly truth: GroundTruth;
  private readonly state: InterestEvolutionState;
  private readonly means: Float64Array;
  private readonly choice: ChoiceModel;
  private readonly scratch: StepScratch;
  private readonly documentRngs: Rng[];
  private readonly responseRngs: Rng[];
  private readonly docCounter: Int32Array;
  // Per-row episode tallies for episodeMetrics: steps, clicks, summed quality of clicked videos.
  private readonly episodeSteps: Int32Array;
  private readonly episodeClicks: Int32Array;
  private readonly clickedQuality: Float64Array;
  private readonly result: StepResult;
  private readonly slateChecker: SlateChecker;
  private readonly features: Float32Array;
  /** B x N: each candidate's quality, when observeQuality (else null). */
  private readonly observedQuality: Float32Array | null;

  constructor(
    private readonly p: InterestEvolutionParams,
    private readonly seed: SeedKey,
    batchSize: number,
  ) {
    const n = p.candidates;
    const k = p.slateSize;
    this.choice = interestEvolutionChoiceModel(p);
    this.means = clusterMeans(p.minUtility, p.maxUtility);
    this.spec = {
      preset: 'recsim-interest-evolution',
      batchSize,
      numCandidates: n,
      slateSize: k,
      userFeatureDim: CLUSTERS,
      itemFeatureDim: CLUSTERS,
      affinityDim: CLUSTERS,
      choiceModel: this.choice,
      signalNames: ['click', 'watchMinutes'],
      clickSignal: 0,
      catalogSize: 0,
      armCount: CLUSTERS,
      armDoc: 'a document cluster (documents are fresh every step; their one-hot cluster recurs)',
      endings: { terminated: "the user's time budget ran out (RecSim's is_terminal)", truncated: '' },
      observationLayout: {
        userFeatures: featureNames('interest', CLUSTERS),
        userFeaturesDoc: "the user's true interest in each topic cluster, as RecSim's user observation",
        itemFeatures: featureNames('cluster', CLUSTERS),
        contextDoc: 'unused (0): RecSim has no clock',
        fields: p.observeQuality ? [QUALITY_FIELD] : [],
      },
      clock: false,
      impressionsObserved: true, // the user's choice model considers the whole slate
      horizonDays: null,
      // Per-episode versions of RecSim's CTR and AverageQuality (utils.write_video_cluster_metrics).
      episodeMetricNames: ['clickRate', 'meanClickedQuality'],
      metricDocs: {
        return: 'minutes watched per episode (RecSim clicked_watchtime_reward)',
        episodeLength: 'steps until the time budget ran out',
        clicks: 'clicks per episode',
        clickRate: 'clicks per step in the episode (RecSim CTR, per episode)',
        meanClickedQuality: 'mean quality of the clicked videos (RecSim AverageQuality, per episode)',
      },
    };
    this.state = {
      interests: new Float64Array(batchSize * CLUSTERS),
      budget: new Float64Array(batchSize),
      docCluster: new Int32Array(batchSize * n),
      docQuality: new Float64Array(batchSize * n),
    };
    // Documents are per row and step: item b * N + n is candidate n of row b, one-hot over clusters.
    this.observation = allocateObservation({
      batchSize,
      numCandidates: n,
      userFeatureDim: CLUSTERS,
      itemFeatureDim: CLUSTERS,
      fields: this.spec.observationLayout.fields,
    });
    this.observedQuality = this.observation.fields.quality ?? null;
    this.features = this.observation.itemFeatures;
    this.scratch = makeScratch(k);
    this.documentRngs = new Array(batchSize);
    this.responseRngs = new Array(batchSize);
    this.docCounter = new Int32Array(batchSize);
    this.episodeSteps = new Int32Array(batchSize);
    this.episodeClicks = new Int32Array(batchSize);
    this.clickedQuality = new Float64Array(batchSize);
    this.result = allocateStepResult(batchSize, k, 2);
    this.slateChecker = new SlateChecker(this.spec);
    this.truth = this.groundTruth();
  }

  resetRow(row: number, episode: number): void {
    // RecSim samples the user (interests ~ U(-1, 1)^20) from its own seeded sampler, documents from
    // another, and responses from the global generator: three streams here too, per episode.
    const userRng = Rng.derive(this.seed, 'recsim-interest-evolution', 'user', episode);
    // Without resampling, RecSim draws its documents once, when the environment is made: one set
    // for every episode (and here every row), from one stream.
    this.documentRngs[row] = this.p.resampleDocuments
      ? Rng.derive(this.seed, 'recsim-interest-evolution', 'documents', episode)
      : Rng.derive(this.seed, 'recsim-interest-evolution', 'documents');
    this.responseRngs[row] = Rng.derive(this.seed, 'recsim-interest-evolution', 'response', episode);
    const base = row * CLUSTERS;
    for (let c = 0; c < CLUSTERS; c++) this.state.interests[base + c] = userRng.range(-1, 1);
    this.state.budget[row] = this.p.timeBudget;
    this.docCounter[row] = 0;
    this.episodeSteps[row] = 0;
    this.episodeClicks[row] = 0;
    this.clickedQuality[row] = 0;
    this.observation.active[row] = 1;
    this.sampleDocuments(row);
    this.writeUserFeatures(row);
  }

  clearRow(row: number): void {
    this.observation.active[row] = 0;
  }

  step(slates: Int32Array): StepResult {
    this.slateChecker.check(slates, this.observation.active); // before any row moves
    const { batchSize, slateSize } = this.spec;
    const { reward, done, signals, impressions } = this.result;
    // The only ending is a spent time budget, a real end (this.result.truncated stays 0).
    for (let row = 0; row < batchSize; row++) {
      if (this.observation.active[row] === 0) {
        reward[row] = 0;
        done[row] = 0;
        impressions[row] = 0;
        continue;
      }
      reward[row] = stepInterestEvolution(
        this.p,
        this.choice,
        this.state,
        row,
        slates,
        this.responseRngs[row],
        this.scratch,
        signals,
        row * slateSize * 2,
      );
      const clickedSlot = this.scratch.clicks.indexOf(1); // single-choice models: at most one
      this.episodeSteps[row]++;
      if (clickedSlot >= 0) {
        this.episodeClicks[row]++;
        this.clickedQuality[row] +=
          this.state.docQuality[row * this.spec.numCandidates + slates[row * slateSize + clickedSlot]];
      }
      impressions[row] = slateSize; // the whole slate is shown
      const finished = this.state.budget[row] <= 0;
      done[row] = finished ? 1 : 0;
      if (finished) continue;
      // RecSim's resample_documents: fresh candidates every step, or the episode's first ones kept.
      if (this.p.resampleDocuments) this.sampleDocuments(row);
      // Interests move only on a click, so copy them only then.
      if (clickedSlot >= 0) this.writeUserFeatures(row);
    }
    writeSessionlessEndings(this.result);
    return this.result;
  }

  /**
   * Per episode: clickRate = clicks per step, meanClickedQuality = quality per click (0 without clicks); RecSim pools
   * both over episodes.
   */
  episodeMetrics(row: number, out: Float64Array): void {
    const clicks = this.episodeClicks[row];
    out[0] = this.episodeSteps[row] > 0 ? clicks / this.episodeSteps[row] : 0;
    out[1] = clicks > 0 ? this.clickedQuality[row] / clicks : 0;
  }

  private sampleDocuments(row: number): void {
    const n = this.p.candidates;
    const sd = this.p.qualityStddev;
    const rng = this.documentRngs[row];
    const { docCluster, docQuality } = this.state;
    const { means, features } = this;
    const ids = this.observation.itemIds;
    const candidateArms = this.observation.candidateArms;
    let nextId = this.docCounter[row];
    for (let doc = row * n, end = doc + n; doc < end; doc++) {
      const cluster = rng.int(CLUSTERS);
      features[doc * CLUSTERS + docCluster[doc]] = 0; // clear the previous one-hot
      features[doc * CLUSTERS + cluster] = 1;
      docCluster[doc] = cluster;
      candidateArms[doc] = cluster;
      docQuality[doc] = means[cluster] + sd * rng.normal();
      if (this.observedQuality) this.observedQuality[doc] = docQuality[doc];
      ids[doc] = nextId++;
    }
    this.docCounter[row] = nextId;
  }

  private writeUserFeatures(row: number): void {
    const base = row * CLUSTERS;
    for (let c = 0; c < CLUSTERS; c++) this.observation.userFeatures[base + c] = this.state.interests[base + c];
  }

  private groundTruth(): GroundTruth {
    const { batchSize, numCandidates: n, slateSize: k } = this.spec;
    const scores = new Float64Array(k);
    const probs = new Float64Array(k + 1);
    const single = new Float64Array(1);
    const pairProbs = new Float64Array(2);
    const clickAlone = (row: number, candidate: number): number => {
      const score = this.state.interests[row * CLUSTERS + this.state.docCluster[row * n + candidate]];
      // The same double as a one-item slate's (ChoiceModel.clickProbabilityAlone), without the slate.
      if (this.choice.clickProbabilityAlone) return this.choice.clickProbabilityAlone(score);
      single[0] = score;
      this.choice.probabilities(single, 1, pairProbs);
      return pairProbs[0];
    };
    const watch = (row: number) => Math.min(this.state.budget[row], this.p.videoLength);
    return {
      immediateValue: (out) => {
        for (let row = 0; row < batchSize; row++) {
          for (let c = 0; c < n; c++) out[row * n + c] = clickAlone(row, c) * watch(row);
        }
      },
      longTermValue: (qualityWeight, out) => {
        // Immediate watch time plus the expected budget it buys back: alpha * watch * quality.
        for (let row = 0; row < batchSize; row++) {
          const minutes = watch(row);
          for (let c = 0; c < n; c++) {
            const gain = this.p.userUpdateAlpha * minutes * this.state.docQuality[row * n + c];
            out[row * n + c] = clickAlone(row, c) * (minutes + qualityWeight * gain);
          }
        }
      },
      expectedSlateReward: (slates, out) => {
        for (let row = 0; row < batchSize; row++) {
          for (let slot = 0; slot < k; slot++) {
            scores[slot] =
              this.state.interests[row * CLUSTERS + this.state.docCluster[row * n + slates[row * k + slot]]];
          }
          this.choice.probabilities(scores, k, probs);
          let clickProbability = 0;
          for (let slot = 0; slot < k; slot++) clickProbability += probs[slot];
          out[row] = clickProbability * watch(row);
        }
      },
    };
  }
}

export const recsimInterestEvolution = defineWorld({
  name: 'recsim-interest-evolution',
  summary: "A faithful port of RecSim's interest_evolution: 20 clusters, quality decides time budget.",
  params: recsimInterestEvolutionParams,
  check: checkInterestEvolution,
  notes: (values) =>
    values.observeQuality
      ? [
          "observeQuality is on: observations carry every candidate's true quality (RecSim's " +
            'behaviour), so agents can read ground truth',
        ]
      : [],
  create: (values, options) => new InterestEvolutionEnv(values, options.seed, options.batchSize),
});
