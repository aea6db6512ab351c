// The linear model behind LinUCB and linear Thompson sampling: ridge regression of a slot's click
// on features of the (user, item) pair, in the hybrid form of Li, Chu, Langford & Schapire (2010),
// "A contextual-bandit approach to personalized news article recommendation", section 3.2 and
// Algorithm 2: parameters beta shared by every arm plus, where arms recur, a parameter theta_a of
// each arm (here an intercept: the arm's own bias, which the shared part cannot see).
//
// Under position bias a slot is examined with probability e_k (agents/bandits/common.ts), so the
// model is click ~ e_k (z . beta + theta_a): each update uses the features scaled by e_k, which is
// least squares for that model; an unexamined slot then teaches little. Scores rank by z . beta +
// theta_a, the attractiveness once examined.
//
// Sufficient statistics are updated as Algorithm 2 does (lines 17-22, with a 1-dimensional
// per-arm feature x = e_k), and once per round A0 is factorised exactly (Cholesky): A0^-1 and
// beta-hat are then fixed while the next round acts (rounds are synchronous, agents/agent.ts).
import type { Observation, WorldSpec } from '../../sim/env.ts';
import type { Transition } from '../agent.ts';
import { examinationWeights, forEachShown } from './common.ts';

export const FEATURE_MAPS = ['outer', 'product', 'item'] as const;
export type FeatureMap = (typeof FEATURE_MAPS)[number];

/** The hyper-parameters both linear bandits declare. */
export const linearParams = {
  features: {
    type: 'enum',
    default: 'outer',
    values: FEATURE_MAPS,
    doc: 'shared features z of a (user u, item phi) pair: outer = every u_i phi_j (U x D; learns any bilinear u^T W phi), product = u_d phi_d over the affinity dims, item = phi alone',
  },
  perArm: { type: 'boolean', default: true, doc: 'hybrid model: a per-arm intercept besides the shared parameters, where arms recur (else one shared intercept)' },
  ridge: { type: 'number', default: 1, min: 1e-9, doc: 'lambda: the ridge penalty (A0 and each A_a start at lambda I)' },
} as const;

/** At most this many shared features: A0 is k x k and every shown slot costs about 1.5 k^2 (k = 256: ~100k flops a slot). */
export const MAX_FEATURES = 256;

/** The number of shared features, or why the map does not fit the world. */
export function featureCount(spec: WorldSpec, features: FeatureMap, perArm: boolean): number | string {
  const intercept = perArm && spec.armCount > 0 ? 0 : 1;
  const u = spec.userFeatureDim;
  const d = spec.itemFeatureDim;
  if (features === 'outer') {
    if (u === 0) return `world ${spec.preset} shows no user features, so features: outer has nothing to cross; use features: item`;
    if (u * d > MAX_FEATURES) return `features: outer gives ${u} x ${d} = ${u * d} features here (at most ${MAX_FEATURES}); use features: product`;
    return u * d + intercept;
  }
  if (features === 'product') {
    if (spec.affinityDim === 0) return `world ${spec.preset} has no user-item affinity dims for features: product; use features: item`;
    return spec.affinityDim + intercept;
  }
  if (d > MAX_FEATURES) return `features: item gives ${d} features here (at most ${MAX_FEATURES})`;
  return d + intercept;
}

export class HybridLinearModel {
  /** k: shared features; A: arms (0 without the per-arm part). */
  readonly k: number;
  readonly arms: number;
  /** k x k: A0, its inverse, and the Cholesky factor L of A0 (lower, A0 = L L^T). */
  readonly a0: Float64Array;
  readonly a0Inverse: Float64Array;
  readonly cholesky: Float64Array;
  /** k: b0, and beta-hat = A0^-1 b0 as of the last refresh. */
  readonly b0: Float64Array;
  readonly beta: Float64Array;
  /** A: per-arm A_a (scalar), b_a; A x k: B_a. */
  readonly armA: Float64Array;
  readonly armB: Float64Array;
  readonly armb: Float64Array;
  /** Per arm, cached for the current refresh: A0^-1 B_a^T (A x k), B_a A0^-1 B_a^T and theta-hat_a. */
  private readonly armInvB: Float64Array;
  private readonly armQuad: Float64Array;
  private readonly armTheta: Float64Array;
  private readonly armStamp: Int32Array;
  private stamp = 1;
  private readonly weights: Float64Array;
  private readonly z: Float64Array;
  private readonly scaled: Float64Array;
  private readonly column: Float64Array;
  readonly intercept: boolean;
  /** k x D: per row, the map phi -> A0^-1 z(u, phi) without the intercept, and its intercept column. */
  private readonly rowMap: Float64Array;
  private readonly rowConstant: Float64Array;

  constructor(
    private readonly spec: WorldSpec,
    private readonly features: FeatureMap,
    perArm: boolean,
    ridge: number,
  ) {
    const count = featureCount(spec, features, perArm);
    if (typeof count === 'string') throw new Error(count);
    this.k = count;
    this.arms = perArm ? spec.armCount : 0;
    this.intercept = this.arms === 0;
    const k = this.k;
    this.a0 = new Float64Array(k * k);
    for (let i = 0; i < k; i++) this.a0[i * k + i] = ridge;
    this.a0Inverse = new Float64Array(k * k);
    this.cholesky = new Float64Array(k * k);
    this.b0 = new Float64Array(k);
    this.beta = new Float64Array(k);
    this.armA = new Float64Array(this.arms).fill(ridge);
    this.armB = new Float64Array(this.arms * k);
    this.armb = new Float64Array(this.arms);
    this.armInvB = new Float64Array(this.arms * k);
    this.armQuad = new Float64Array(this.arms);
    this.armTheta = new Float64Array(this.arms);
    this.armStamp = new Int32Array(this.arms);
    this.weights = examinationWeights(spec);
    this.z = new Float64Array(k);
    this.scaled = new Float64Array(k);
    this.column = new Float64Array(k);
    this.rowMap = new Float64Array(k * spec.itemFeatureDim);
    this.rowConstant = new Float64Array(k);
    this.refresh();
  }

  /** Writes z(u, phi) of candidate c of row `row` into out[0..k). */
  encode(observation: Observation, row: number, candidate: number, out: Float64Array): void {
    const { userFeatureDim: u, itemFeatureDim: d, numCandidates: n, affinityDim } = this.spec;
    const user = observation.userFeatures;
    const items = observation.itemFeatures;
    const userBase = row * u;
    const itemBase = observation.candidateItems[row * n + candidate] * d;
    if (this.features === 'outer') {
      for (let i = 0; i < u; i++) {
        const ui = user[userBase + i];
        for (let j = 0; j < d; j++) out[i * d + j] = ui * items[itemBase + j];
      }
    } else if (this.features === 'product') {
      for (let j = 0; j < affinityDim; j++) out[j] = user[userBase + j] * items[itemBase + j];
    } else {
      for (let j = 0; j < d; j++) out[j] = items[itemBase + j];
    }
    if (this.intercept) out[this.k - 1] = 1;
  }

  /** Adds a round's shown slots (click of each, weighed by examination), as Algorithm 2 lines 17-22. */
  observe(transition: Transition): void {
    const { k, a0, b0, z, scaled } = this;
    forEachShown(transition, this.spec, this.weights, (row, _slot, arm, candidate, click, weight) => {
      if (weight === 0) return;
      this.encode(transition.before, row, candidate, z);
      for (let i = 0; i < k; i++) scaled[i] = weight * z[i];
      if (this.arms === 0) {
        addOuter(a0, k, scaled, 1);
        for (let i = 0; i < k; i++) b0[i] += click * scaled[i];
        return;
      }
      const armBase = arm * k;
      const armB = this.armB;
      // A0 += B_a^T A_a^-1 B_a; b0 += B_a^T A_a^-1 b_a (with the arm's old statistics)
      addOuter(a0, k, armB.subarray(armBase, armBase + k), 1 / this.armA[arm]);
      addScaled(b0, armB, armBase, k, this.armb[arm] / this.armA[arm]);
      // A_a += x x^T; B_a += x z^T; b_a += r x, with x = e_k
      this.armA[arm] += weight * weight;
      for (let i = 0; i < k; i++) armB[armBase + i] += weight * scaled[i];
      this.armb[arm] += click * weight;
      // A0 += z z^T - B_a^T A_a^-1 B_a; b0 += r z - B_a^T A_a^-1 b_a (with the new ones)
      addOuter(a0, k, scaled, 1);
      addOuter(a0, k, armB.subarray(armBase, armBase + k), -1 / this.armA[arm]);
      for (let i = 0; i < k; i++) b0[i] += click * scaled[i];
      addScaled(b0, armB, armBase, k, -this.armb[arm] / this.armA[arm]);
    });
  }

  /** Factorises A0 again and recomputes A0^-1 and beta-hat (once per round). */
  refresh(): void {
    const { k, a0, cholesky, a0Inverse, column } = this;
    symmetrise(a0, k);
    choleskyFactor(a0, k, cholesky);
    // A0^-1 column by column: solve L L^T x = e_c.
    for (let c = 0; c < k; c++) {
      column.fill(0);
      column[c] = 1;
      solveLower(cholesky, k, column);
      solveUpper(cholesky, k, column);
      for (let r = 0; r < k; r++) a0Inverse[r * k + c] = column[r];
    }
    for (let r = 0; r < k; r++) {
      let sum = 0;
      for (let c = 0; c < k; c++) sum += a0Inverse[r * k + c] * this.b0[c];
      this.beta[r] = sum;
    }
    this.stamp++;
  }

  /** Caches the arm's A0^-1 B_a^T, B_a A0^-1 B_a^T and theta-hat_a = (b_a - B_a beta) / A_a for this refresh. */
  private cacheArm(arm: number): void {
    if (this.armStamp[arm] === this.stamp) return;
    this.armStamp[arm] = this.stamp;
    const { k, a0Inverse, armB, armInvB, beta } = this;
    const base = arm * k;
    let quad = 0;
    let dot = 0;
    for (let r = 0; r < k; r++) {
      let sum = 0;
      for (let c = 0; c < k; c++) sum += a0Inverse[r * k + c] * armB[base + c];
      armInvB[base + r] = sum;
      quad += armB[base + r] * sum;
      dot += armB[base + r] * beta[r];
    }
    this.armQuad[arm] = quad;
    this.armTheta[arm] = (this.armb[arm] - dot) / this.armA[arm];
  }

  /** theta-hat_a (0 without the per-arm part). */
  theta(arm: number): number {
    if (this.arms === 0) return 0;
    this.cacheArm(arm);
    return this.armTheta[arm];
  }

  /** Prepares varianceOf for the candidates of one row (the map phi -> A0^-1 z). */
  prepareRow(observation: Observation, row: number): void {
    const { k, a0Inverse, rowMap, rowConstant } = this;
    const { userFeatureDim: u, itemFeatureDim: d, affinityDim } = this.spec;
    const user = observation.userFeatures;
    const userBase = row * u;
    rowMap.fill(0);
    for (let p = 0; p < k; p++) {
      const inverseRow = p * k;
      const mapRow = p * d;
      if (this.features === 'outer') {
        for (let i = 0; i < u; i++) {
          const ui = user[userBase + i];
          if (ui === 0) continue;
          for (let j = 0; j < d; j++) rowMap[mapRow + j] += a0Inverse[inverseRow + i * d + j] * ui;
        }
      } else if (this.features === 'product') {
        for (let j = 0; j < affinityDim; j++) rowMap[mapRow + j] = a0Inverse[inverseRow + j] * user[userBase + j];
      } else {
        for (let j = 0; j < d; j++) rowMap[mapRow + j] = a0Inverse[inverseRow + j];
      }
      rowConstant[p] = this.intercept ? a0Inverse[inverseRow + k - 1] : 0;
    }
  }

  /**
   * The UCB width s of Algorithm 2 line 9 for candidate features z (already encoded) of arm `arm`,
   * after prepareRow for its row: z^T A0^-1 z - 2 z^T A0^-1 B_a^T / A_a + 1 / A_a + B_a A0^-1 B_a^T / A_a^2.
   */
  varianceOf(z: Float64Array, observation: Observation, row: number, candidate: number, arm: number): number {
    const { k, rowMap, rowConstant } = this;
    const d = this.spec.itemFeatureDim;
    const items = observation.itemFeatures;
    const itemBase = observation.candidateItems[row * this.spec.numCandidates + candidate] * d;
    let zInvZ = 0;
    for (let p = 0; p < k; p++) {
      let inverseZ = rowConstant[p];
      const mapRow = p * d;
      for (let j = 0; j < d; j++) inverseZ += rowMap[mapRow + j] * items[itemBase + j];
      zInvZ += z[p] * inverseZ;
    }
    if (this.arms === 0) return zInvZ;
    this.cacheArm(arm);
    const armA = this.armA[arm];
    const base = arm * k;
    let cross = 0;
    for (let p = 0; p < k; p++) cross += z[p] * this.armInvB[base + p];
    return zInvZ - (2 * cross) / armA + 1 / armA + this.armQuad[arm] / (armA * armA);
  }

  /** theta_a given a value of beta: (b_a - B_a beta) / A_a (the conditional mean, for posterior samples). */
  thetaGiven(arm: number, beta: Float64Array): number {
    const { k, armB } = this;
    let dot = 0;
    for (let p = 0; p < k; p++) dot += armB[arm * k + p] * beta[p];
    return (this.armb[arm] - dot) / this.armA[arm];
  }
}

/** Upper triangle of m (k x k) += scale v v^T (the lower one is filled by symmetrise). */
function addOuter(m: Float64Array, k: number, v: ArrayLike<number>, scale: number): void {
  for (let i = 0; i < k; i++) {
    const vi = scale * v[i];
    if (vi === 0) continue;
    const row = i * k;
    for (let j = i; j < k; j++) m[row + j] += vi * v[j];
  }
}

function addScaled(target: Float64Array, source: Float64Array, base: number, k: number, scale: number): void {
  for (let i = 0; i < k; i++) target[i] += scale * source[base + i];
}

/** Copies the upper triangle onto the lower one. */
function symmetrise(m: Float64Array, k: number): void {
  for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) m[i * k + j] = m[j * k + i];
}

/** L (lower, row-major) with L L^T = m; m must be positive definite. */
export function choleskyFactor(m: Float64Array, k: number, l: Float64Array): void {
  l.fill(0);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = m[i * k + j];
      for (let p = 0; p < j; p++) sum -= l[i * k + p] * l[j * k + p];
      if (i === j) {
        if (!(sum > 0)) throw new Error('linear bandit: A0 is no longer positive definite (numerical breakdown); raise ridge');
        l[i * k + i] = Math.sqrt(sum);
      } else l[i * k + j] = sum / l[j * k + j];
    }
  }
}

/** x := L^-1 x (forward substitution). */
export function solveLower(l: Float64Array, k: number, x: Float64Array): void {
  for (let i = 0; i < k; i++) {
    let sum = x[i];
    for (let p = 0; p < i; p++) sum -= l[i * k + p] * x[p];
    x[i] = sum / l[i * k + i];
  }
}

/** x := L^-T x (back substitution). */
export function solveUpper(l: Float64Array, k: number, x: Float64Array): void {
  for (let i = k - 1; i >= 0; i--) {
    let sum = x[i];
    for (let p = i + 1; p < k; p++) sum -= l[p * k + i] * x[p];
    x[i] = sum / l[i * k + i];
  }
}
