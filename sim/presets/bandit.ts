// A stateless contextual slate bandit with a known optimal policy, for regret curves.
//
// Model (ours; a bilinear contextual bandit with position-based clicks):
// - a hidden matrix Theta (d x d, entries ~ Normal(0, 1)) is drawn once per seed: what a learner
//   must discover;
// - every step draws a fresh user context x and N candidates phi_i, each a uniform unit vector in
//   R^d (a normalised standard normal vector). For unit x and phi, x^T Theta phi =
//   sum_ij x_i Theta_ij phi_j ~ Normal(0, sum_ij x_i^2 phi_j^2) = Normal(0, 1) over Theta, so
//   `scoreScaling` and `bias` have the same meaning whatever d is;
// - the candidates are fresh vectors every step (catalog = 0), or (catalog = M > 0) N distinct
//   items drawn uniformly from a catalog of M items fixed per seed: item i has features phi_i (a
//   uniform unit vector, observed) and a hidden bias beta_i ~ Normal(0, itemBiasSd), both drawn
//   once per seed from the stream 'catalog' (phi_i then beta_i, item by item, so item i is the same
//   whatever M is). Without a catalog beta_i = 0. Theta has its own stream, so it is the same with
//   or without a catalog;
// - attractiveness a_i = sigmoid(scoreScaling * x^T Theta phi_i + bias + beta_i);
// - slot k (0-based) is examined with probability e_k = 1 / (k + 1)^examinationDecay, and an
//   examined document is clicked with its attractiveness, independently of other slots (the
//   position-based click model, Craswell et al. 2008; sim/choice.ts positionBased);
// - reward = number of clicks; an episode is `horizon` steps; nothing carries over between steps.
//
// The optimal slate is the K candidates of highest attractiveness, in decreasing order.
// Proof: the expected reward of slate s is R(s) = sum_k e_k a_{s_k}, with e_0 >= e_1 >= ... > 0.
// (1) Set: if s leaves out a candidate j with a_j > a_{s_m} for some m, putting j at slot m changes
//     R by e_m (a_j - a_{s_m}) > 0, so an optimal slate holds K candidates of highest a.
// (2) Order: if a_{s_m} < a_{s_l} for m < l, swapping them changes R by
//     (e_m - e_l)(a_{s_l} - a_{s_m}) >= 0 (the rearrangement inequality), so decreasing order is
//     optimal. With ties (in a or in e) several slates share the optimum; regret is 0 for all.
import { positionBased, type ChoiceModel } from '../choice.ts';
import {
  allocateObservation,
  allocateStepResult,
  writeSessionlessEndings,
  featureNames,
  SlateChecker,
  type Env,
  type GroundTruth,
  type Observation,
  type StepResult,
  type WorldSpec,
} from '../env.ts';
import type { ParamIssue, ParamValues } from '../params.ts';
import { Rng, type SeedKey } from '../rng.ts';
import { checkSlateFits, defineWorld } from '../world.ts';

export const banditParams = {
  candidates: { type: 'int', default: 20, min: 1, max: 10_000, doc: 'N: candidates offered per step' },
  catalog: {
    type: 'int',
    default: 0,
    min: 0,
    max: 1_000_000,
    doc:
      'M: 0 = fresh candidates every step; M > 0 = a catalog of M items fixed per seed, from ' +
      'which each step draws the candidates (distinct, uniformly); 0 or at least candidates',
  },
  itemBiasSd: {
    type: 'number',
    default: 1,
    min: 0,
    doc: "sd of each catalog item's hidden bias beta_i ~ Normal(0, itemBiasSd), added to the logit (catalog > 0 only)",
  },
  slateSize: { type: 'int', default: 3, min: 1, max: 100, doc: 'documents per slate' },
  dim: { type: 'int', default: 8, min: 1, max: 256, doc: 'd: dimension of user contexts and item features' },
  horizon: { type: 'int', default: 100, min: 1, max: 10_000_000, doc: 'steps per episode' },
  scoreScaling: {
    type: 'number',
    default: 2,
    min: 0,
    doc: 'attractiveness = sigmoid(scoreScaling * x^T Theta phi + bias + beta), beta = 0 without a catalog',
  },
  bias: {
    type: 'number',
    default: -1,
    doc: 'attractiveness offset (-1: the mean candidate has attractiveness about 0.35, the best of 20 about 0.94)',
  },
  examinationDecay: {
    type: 'number',
    default: 1,
    min: 0,
    doc: 'slot k is examined with probability 1 / (k + 1)^examinationDecay',
  },
} as const;

export type BanditParams = ParamValues<typeof banditParams>;

/** A catalog must hold a step's candidates, which are distinct. */
export function checkCatalogFits(values: { candidates: number; catalog: number }): ParamIssue[] {
  return values.catalog > 0 && values.catalog < values.candidates
    ? [
        {
          field: 'catalog',
          message:
            `catalog ${values.catalog} is smaller than candidates ${values.candidates} (a step draws ` +
            `${values.candidates} distinct catalog items); raise catalog to at least ` +
            `${values.candidates}, lower candidates, or set catalog to 0 for fresh candidates every ` +
            `step`,
        },
      ]
    : [];
}

/** The bandit world's cross-field checks. */
export function checkBandit(values: BanditParams): ParamIssue[] {
  return [...checkSlateFits(values), ...checkCatalogFits(values)];
}

/** e_k = 1 / (k + 1)^decay, written into out[0..k). */
export function examinationProbabilities(decay: number, k: number, out: Float64Array): void {
  for (let slot = 0; slot < k; slot++) out[slot] = 1 / Math.pow(slot + 1, decay);
}

/**
 * The optimal expected reward sum_k e_k a_(k), a_(k) the k-th largest of attractiveness[base..base+n)
 * (see the proof above). `taken` is scratch of length >= n. Partial selection: O(n K), no sort.
 */
export function optimalSlateReward(
  attractiveness: ArrayLike<number>,
  base: number,
  n: number,
  examination: Float64Array,
  k: number,
  taken: Uint8Array,
): number {
  taken.fill(0, 0, n);
  let total = 0;
  for (let slot = 0; slot < k; slot++) {
    let best = -1;
    for (let i = 0; i < n; i++) {
      if (taken[i] === 0 && (best < 0 || attractiveness[base + i] > attractiveness[base + best])) best = i;
    }
    taken[best] = 1;
    total += examination[slot] * attractiveness[base + best];
  }
  return total;
}

/** Expected clicks sum_k e_k a_{slate[k]} of one row's slate (slate at slates[slateBase..+k)). */
export function slateReward(
  attractiveness: ArrayLike<number>,
  base: number,
  examination: Float64Array,
  slates: Int32Array,
  slateBase: number,
  k: number,
): number {
  let total = 0;
  for (let slot = 0; slot < k; slot++) total += examination[slot] * attractiveness[base + slates[slateBase + slot]];
  return total;
}

/** Writes a uniform unit vector of length d at out[offset..]: a normalised standard normal vector. */
function unitVector(rng: Rng, d: number, out: Float32Array, offset: number): void {
  let norm = 0;
  for (;;) {
    norm = 0;
    for (let j = 0; j < d; j++) {
      const z = rng.normal();
      out[offset + j] = z;
      norm += z * z;
    }
    if (norm > 1e-12) break; // a zero vector has no direction; redraw (probability ~0)
  }
  const inverse = 1 / Math.sqrt(norm);
  for (let j = 0; j < d; j++) out[offset + j] *= inverse;
}

class BanditEnv implements Env {
  readonly spec: WorldSpec;
  readonly observation: Observation;
  readonly truth: GroundTruth;
  /** d x d, row-major: the hidden interaction matrix, shared by every episode of a seed. */
  readonly theta: Float64Array;
  /** M: the hidden bias beta_i of each catalog item (empty without a catalog). */
  readonly itemBias: Float64Array;
  /** M x d, row-major: the catalog's item features phi_i (observation.itemFeatures; empty without a catalog). */
  readonly catalogFeatures: Float32Array;
  /** B x N, row-major: attractiveness of each current candidate. */
  private readonly attractiveness: Float64Array;
  /** d: scratch for Theta^T x of one row. */
  private readonly projected: Float64Array;
  /** K: examination probability per slot. */
  private readonly examination: Float64Array;
  private readonly taken: Uint8Array;
  private readonly contextRngs: Rng[];
  private readonly documentRngs: Rng[];
  private readonly responseRngs: Rng[];
  /** B: steps taken, summed regret and optimal expected reward of the current episode. */
  private readonly steps: Int32Array;
  private readonly regret: Float64Array;
  private readonly optimalReturn: Float64Array;
  private readonly docCounter: Int32Array;
  private readonly result: StepResult;
  private readonly slateChecker: SlateChecker;

  constructor(
    private readonly p: BanditParams,
    private readonly seed: SeedKey,
    batchSize: number,
  ) {
    const n = p.candidates;
    const k = p.slateSize;
    const d = p.dim;
    const m = p.catalog;
    // Also checked at config time (checkBandit); without it the candidate draw would never end.
    const issues = checkCatalogFits(p);
    if (issues.length > 0) throw new RangeError(`bandit: ${issues[0].message}`);
    const choice: ChoiceModel = positionBased({
      examinationDecay: p.examinationDecay,
      scoreScaling: p.scoreScaling,
      bias: p.bias,
    });
    this.spec = {
      preset: 'bandit',
      batchSize,
      numCandidates: n,
      slateSize: k,
      userFeatureDim: d,
      itemFeatureDim: d,
      // x . phi is what a recommender can compute without Theta; the truth is x^T Theta phi.
      affinityDim: d,
      choiceModel: choice,
      signalNames: ['click'],
      clickSignal: 0,
      // The reward is the clicks: each slot's click is its part.
      slotRewardWeights: [1],
      catalogSize: m,
      armCount: m,
      armDoc: m > 0 ? `a catalog item (one of ${m}, fixed per seed)` : 'none: candidates are fresh vectors every step',
      endings: {
        terminated: '',
        truncated: 'the horizon (horizon steps) ended: the world is stateless and would go on',
      },
      observationLayout: {
        userFeatures: featureNames('context', d),
        userFeaturesDoc: "the step's user context x (a unit vector)",
        itemFeatures: featureNames('item', d),
        contextDoc: 'unused (0): the bandit world has no clock',
        fields: [],
      },
      clock: false,
      // Every slate counts as shown, but a lower slot is examined less (position-based): unreported.
      impressionsObserved: false,
      horizonDays: null,
      episodeMetricNames: ['regret', 'optimalReturn'],
      metricDocs: {
        return: 'clicks per episode (the reward)',
        episodeLength: 'steps per episode (the horizon)',
        clicks: 'clicks per episode',
        regret: 'expected clicks lost against the optimal slates, summed over the episode',
        optimalReturn: 'expected clicks of the optimal slates, summed over the episode',
      },
    };
    this.theta = new Float64Array(d * d);
    const thetaRng = Rng.derive(seed, 'bandit', 'theta');
    for (let i = 0; i < d * d; i++) this.theta[i] = thetaRng.normal();
    this.catalogFeatures = new Float32Array(m * d);
    this.itemBias = new Float64Array(m);
    const itemIds = new Int32Array(m);
    const catalogRng = Rng.derive(seed, 'bandit', 'catalog');
    for (let item = 0; item < m; item++) {
      unitVector(catalogRng, d, this.catalogFeatures, item * d);
      this.itemBias[item] = p.itemBiasSd * catalogRng.normal();
      itemIds[item] = item;
    }
    this.attractiveness = new Float64Array(batchSize * n);
    this.projected = new Float64Array(d);
    this.examination = new Float64Array(k);
    examinationProbabilities(p.examinationDecay, k, this.examination);
    this.taken = new Uint8Array(n);
    // userFeatures B x d: the context x. itemFeatures: without a catalog (B x N) x d, the
    // candidates' phi per row and step; with one the M x d catalog, and candidateItems (the same
    // array as candidateArms) the catalog rows of this step's candidates.
    this.observation = allocateObservation({
      batchSize,
      numCandidates: n,
      userFeatureDim: d,
      itemFeatureDim: d,
      catalog: m > 0 ? { itemFeatures: this.catalogFeatures, itemIds } : undefined,
    });
    this.contextRngs = new Array(batchSize);
    this.documentRngs = new Array(batchSize);
    this.responseRngs = new Array(batchSize);
    this.steps = new Int32Array(batchSize);
    this.regret = new Float64Array(batchSize);
    this.optimalReturn = new Float64Array(batchSize);
    this.docCounter = new Int32Array(batchSize);
    this.result = allocateStepResult(batchSize, k, 1);
    this.slateChecker = new SlateChecker(this.spec);
    this.truth = this.groundTruth();
  }

  resetRow(row: number, episode: number): void {
    this.contextRngs[row] = Rng.derive(this.seed, 'bandit', 'context', episode);
    this.documentRngs[row] = Rng.derive(this.seed, 'bandit', 'documents', episode);
    this.responseRngs[row] = Rng.derive(this.seed, 'bandit', 'response', episode);
    this.steps[row] = 0;
    this.regret[row] = 0;
    this.optimalReturn[row] = 0;
    this.docCounter[row] = 0;
    this.observation.active[row] = 1;
    this.drawRequest(row);
  }

  clearRow(row: number): void {
    this.observation.active[row] = 0;
  }

  step(slates: Int32Array): StepResult {
    this.slateChecker.check(slates, this.observation.active); // before any row moves
    const { batchSize, slateSize: k, numCandidates: n } = this.spec;
    const { reward, done, signals, impressions } = this.result;
    const { attractiveness, examination } = this;
    for (let row = 0; row < batchSize; row++) {
      if (this.observation.active[row] === 0) {
        reward[row] = 0;
        done[row] = 0;
        impressions[row] = 0;
        continue;
      }
      const base = row * n;
      const optimal = optimalSlateReward(attractiveness, base, n, examination, k, this.taken);
      this.optimalReturn[row] += optimal;
      this.regret[row] += optimal - slateReward(attractiveness, base, examination, slates, row * k, k);
      const rng = this.responseRngs[row];
      let clicks = 0;
      for (let slot = 0; slot < k; slot++) {
        // One uniform per slot, as positionBased.sample draws.
        const clicked = rng.uniform() < examination[slot] * attractiveness[base + slates[row * k + slot]] ? 1 : 0;
        signals[row * k + slot] = clicked;
        clicks += clicked;
      }
      reward[row] = clicks;
      impressions[row] = k; // the whole slate is shown
      this.steps[row] += 1;
      const finished = this.steps[row] >= this.p.horizon;
      done[row] = finished ? 1 : 0;
      this.result.truncated[row] = done[row];
      // Every episode ends truncated (the world is stateless and would go on), so the user's next
      // request is drawn even then: a learner may bootstrap from it (StepResult.truncated).
      this.drawRequest(row);
    }
    writeSessionlessEndings(this.result);
    return this.result;
  }

  episodeMetrics(row: number, out: Float64Array): void {
    out[0] = this.regret[row];
    out[1] = this.optimalReturn[row];
  }

  /** A fresh context and the step's candidates for `row`, and their attractiveness. */
  private drawRequest(row: number): void {
    const { dim: d, candidates: n, catalog: m, scoreScaling, bias } = this.p;
    const { userFeatures, itemFeatures, itemIds, candidateItems } = this.observation;
    unitVector(this.contextRngs[row], d, userFeatures, row * d);
    // projected = Theta^T x, so that x^T Theta phi = projected . phi costs d per candidate.
    const projected = this.projected;
    projected.fill(0);
    for (let i = 0; i < d; i++) {
      const xi = userFeatures[row * d + i];
      for (let j = 0; j < d; j++) projected[j] += xi * this.theta[i * d + j];
    }
    const documentRng = this.documentRngs[row];
    if (m > 0) {
      documentRng.sampleDistinct(m, n, candidateItems, row * n);
      const itemBias = this.itemBias;
      for (let c = 0; c < n; c++) {
        const item = candidateItems[row * n + c];
        let score = 0;
        for (let j = 0; j < d; j++) score += projected[j] * itemFeatures[item * d + j];
        this.attractiveness[row * n + c] = 1 / (1 + Math.exp(-(scoreScaling * score + bias + itemBias[item])));
      }
      return;
    }
    for (let c = 0; c < n; c++) {
      const doc = row * n + c;
      unitVector(documentRng, d, itemFeatures, doc * d);
      let score = 0;
      for (let j = 0; j < d; j++) score += projected[j] * itemFeatures[doc * d + j];
      this.attractiveness[doc] = 1 / (1 + Math.exp(-(scoreScaling * score + bias)));
      itemIds[doc] = this.docCounter[row]++;
    }
  }

  private groundTruth(): GroundTruth {
    const { batchSize, numCandidates: n, slateSize: k } = this.spec;
    const { attractiveness, examination } = this;
    return {
      immediateValue: (out) => {
        for (let i = 0; i < batchSize * n; i++) out[i] = examination[0] * attractiveness[i];
      },
      // Stateless: a choice now changes nothing later.
      longTermValue: (_qualityWeight, out) => {
        for (let i = 0; i < batchSize * n; i++) out[i] = examination[0] * attractiveness[i];
      },
      expectedSlateReward: (slates, out) => {
        for (let row = 0; row < batchSize; row++)
          out[row] = slateReward(attractiveness, row * n, examination, slates, row * k, k);
      },
      optimalSlateReward: (out) => {
        for (let row = 0; row < batchSize; row++)
          out[row] = optimalSlateReward(attractiveness, row * n, n, examination, k, this.taken);
      },
    };
  }
}

export const bandit = defineWorld({
  name: 'bandit',
  summary:
    'A stateless contextual slate bandit (bilinear attractiveness, position-based clicks) with ' +
    'a known optimum, for regret curves.',
  params: banditParams,
  check: checkBandit,
  create: (values, options) => new BanditEnv(values, options.seed, options.batchSize),
});
