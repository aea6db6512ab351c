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
import { examinationWeights } from './common.ts';

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
  /** k: the rank-one term of a slot's update of A0 (addWithArm). */
  private readonly rankOne: Float64Array;
  private readonly column: Float64Array;
  readonly intercept: boolean;
  /**
   * Per row (prepareRow): G = A0^-1 T ((D+1) columns of k), the quadratic form Q = T^T A0^-1 T
   * ((D+1) x (D+1)) and h = T^T beta-hat (D+1), where z = T (phi, 1).
   */
  private readonly rowMap: Float64Array;
  private readonly rowQuadratic: Float64Array;
  private readonly rowMean: Float64Array;
  /** B x N: the exploration bonus alpha sqrt(s) of each candidate in the last scoreRow calls (0 in evaluation). */
  readonly bonuses: Float64Array;
  /** k x k: A0^-1 column by column (column c at [c k, (c + 1) k)), the same numbers as a0Inverse. */
  private readonly inverseColumns: Float64Array;
  /**
   * z as factors (scoreRow): z_p = zUser[p] phi[zItem[p]], where phi holds a candidate's item
   * features and phi[D] = 1, and zUser[p] is the row's user feature zUserIndex[p] (1 where that is
   * -1). outer: u_i phi_j; product: u_j phi_j; item: 1 phi_j; the intercept: 1 1. Each product is
   * exactly encode's value (1 x = x).
   */
  private readonly zUserIndex: Int32Array;
  private readonly zItem: Int32Array;
  private readonly zUser: Float64Array;
  private readonly phi: Float64Array;

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
    this.rankOne = new Float64Array(k);
    this.column = new Float64Array(k);
    this.rowMap = new Float64Array(k * (spec.itemFeatureDim + 1));
    this.rowQuadratic = new Float64Array((spec.itemFeatureDim + 1) ** 2);
    this.rowMean = new Float64Array(spec.itemFeatureDim + 1);
    this.bonuses = new Float64Array(spec.batchSize * spec.numCandidates);
    this.inverseColumns = new Float64Array(k * k);
    const { userFeatureDim: u, itemFeatureDim: d, affinityDim } = spec;
    this.zUserIndex = new Int32Array(k).fill(-1);
    this.zItem = new Int32Array(k).fill(d);
    if (features === 'outer') {
      for (let i = 0; i < u; i++) {
        for (let j = 0; j < d; j++) {
          this.zUserIndex[i * d + j] = i;
          this.zItem[i * d + j] = j;
        }
      }
    } else {
      for (let j = 0; j < (features === 'product' ? affinityDim : d); j++) {
        if (features === 'product') this.zUserIndex[j] = j;
        this.zItem[j] = j;
      }
    }
    this.zUser = new Float64Array(k);
    this.phi = new Float64Array(d + 1);
    this.phi[d] = 1;
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
    // The slots forEachShown (common.ts) visits, in its order, written out: this is the hot path of
    // training (every shown slot of every round), where a callback per slot costs.
    const { slateSize: slots, numCandidates: n, clickSignal } = this.spec;
    const signalCount = this.spec.signalNames.length;
    const { before, action, signals, episode } = transition;
    const { k, z, scaled, weights } = this;
    const slates = action.slates;
    const candidateArms = before.candidateArms;
    const rows = before.active.length;
    for (let row = 0; row < rows; row++) {
      if (episode[row] < 0) continue;
      for (let slot = 0; slot < slots; slot++) {
        const weight = weights[slot];
        if (weight === 0) continue;
        const candidate = slates[row * slots + slot];
        const click = signals[(row * slots + slot) * signalCount + clickSignal] > 0 ? 1 : 0;
        this.encode(before, row, candidate, z);
        for (let i = 0; i < k; i++) scaled[i] = weight * z[i];
        if (this.arms === 0) this.addShared(scaled, click);
        else this.addWithArm(candidateArms[row * n + candidate], scaled, click, weight);
      }
    }
  }

  /** Without the per-arm part: A0 += z z^T, b0 += r z (z scaled by e_k). */
  private addShared(scaled: Float64Array, click: number): void {
    const { k, a0, b0 } = this;
    addOuter(a0, k, scaled, 1);
    for (let i = 0; i < k; i++) b0[i] += click * scaled[i];
  }

  /**
   * One shown slot of arm `arm`, Algorithm 2 lines 17-22 with x = e_k = weight and z the scaled
   * features:
   *   A0 += B_a^T A_a^-1 B_a; b0 += B_a^T A_a^-1 b_a (with the arm's old statistics)
   *   A_a += x x^T; B_a += x z^T; b_a += r x
   *   A0 += z z^T - B_a^T A_a^-1 B_a; b0 += r z - B_a^T A_a^-1 b_a (with the new ones)
   * With a one-dimensional per-arm feature the three terms of A0 are one rank-one term:
   *   B B^T / A + z z^T - (B + x z)(B + x z)^T / (A + x^2) = w w^T / (A (A + x^2)),  w = x B - A z
   * (expand both sides), a third of the work, and A0 only ever grows (no downdate to lose
   * positive definiteness to rounding).
   */
  private addWithArm(arm: number, scaled: Float64Array, click: number, weight: number): void {
    const { k, a0, b0, armA, armB, armb, rankOne: w } = this;
    const base = arm * k;
    const oldA = armA[arm];
    const oldb = armb[arm];
    const newA = oldA + weight * weight;
    const newb = oldb + click * weight;
    for (let i = 0; i < k; i++) {
      const old = armB[base + i];
      const updated = old + weight * scaled[i];
      w[i] = weight * old - oldA * scaled[i];
      b0[i] += (oldb / oldA) * old + click * scaled[i] - (newb / newA) * updated;
      armB[base + i] = updated;
    }
    armA[arm] = newA;
    armb[arm] = newb;
    addOuter(a0, k, w, 1 / (oldA * newA));
  }

  /** Factorises A0 again and recomputes A0^-1 and beta-hat (once per round). */
  refresh(): void {
    const { k, a0, cholesky, a0Inverse, column } = this;
    symmetrise(a0, k);
    choleskyFactor(a0, k, cholesky);
    // A0^-1 column by column: solve L L^T x = e_c (L^-1 e_c is 0 above c: see solveLowerFrom).
    for (let c = 0; c < k; c++) {
      column.fill(0);
      column[c] = 1;
      solveLowerFrom(cholesky, k, column, c);
      solveUpper(cholesky, k, column);
      for (let r = 0; r < k; r++) a0Inverse[r * k + c] = column[r];
      this.inverseColumns.set(column, c * k);
    }
    multiplyRows(a0Inverse, k, this.b0, 0, this.beta, 0);
    this.stamp++;
  }

  /** Caches the arm's A0^-1 B_a^T, B_a A0^-1 B_a^T and theta-hat_a = (b_a - B_a beta) / A_a for this refresh. */
  private cacheArm(arm: number): void {
    if (this.armStamp[arm] === this.stamp) return;
    this.armStamp[arm] = this.stamp;
    const { k, a0Inverse, armB, armInvB, beta } = this;
    const base = arm * k;
    multiplyRows(a0Inverse, k, armB, base, armInvB, base);
    let quad = 0;
    let dot = 0;
    for (let r = 0; r < k; r++) {
      quad += armB[base + r] * armInvB[base + r];
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

  /**
   * Prepares the row's scores. z is linear in the candidate's features: z = T phi~, with phi~ =
   * (phi, 1) and T (k x (D+1)) holding the row's user features (T[p][zItem[p]] = zUser[p]). So the
   * row's quadratic form Q = T^T A0^-1 T ((D+1) x (D+1)) and h = T^T beta-hat give, per candidate,
   * z^T A0^-1 z = phi~^T Q phi~ and z . beta-hat = h . phi~ in (D+1)^2 operations instead of k (D+1).
   */
  prepareRow(observation: Observation, row: number): void {
    const { k, zUser, zUserIndex, zItem, inverseColumns, rowMap, rowQuadratic, rowMean, beta } = this;
    const d1 = this.spec.itemFeatureDim + 1;
    const u = this.spec.userFeatureDim;
    const user = observation.userFeatures;
    for (let p = 0; p < k; p++) zUser[p] = zUserIndex[p] < 0 ? 1 : user[row * u + zUserIndex[p]];
    // G = A0^-1 T (k x (D+1), column l at [l k, (l + 1) k)): column q of A0^-1 times zUser[q], into column zItem[q].
    rowMap.fill(0);
    for (let q = 0; q < k; q++) {
      const weight = zUser[q];
      if (weight === 0) continue;
      const from = q * k;
      const to = zItem[q] * k;
      for (let p = 0; p < k; p++) rowMap[to + p] += inverseColumns[from + p] * weight;
    }
    // Q = T^T G, h = T^T beta-hat.
    rowQuadratic.fill(0);
    rowMean.fill(0);
    for (let p = 0; p < k; p++) {
      const weight = zUser[p];
      if (weight === 0) continue;
      const j = zItem[p];
      rowMean[j] += weight * beta[p];
      for (let l = 0; l < d1; l++) rowQuadratic[j * d1 + l] += weight * rowMap[l * k + p];
    }
  }

  /** Loads candidate c's features into phi (phi[D] stays 1). */
  private loadCandidate(observation: Observation, row: number, candidate: number): void {
    const d = this.spec.itemFeatureDim;
    const itemBase = observation.candidateItems[row * this.spec.numCandidates + candidate] * d;
    for (let j = 0; j < d; j++) this.phi[j] = observation.itemFeatures[itemBase + j];
  }

  /** z^T A0^-1 z for the loaded candidate (phi~^T Q phi~). */
  private quadratic(): number {
    const { phi, rowQuadratic } = this;
    const d1 = this.spec.itemFeatureDim + 1;
    let total = 0;
    for (let j = 0; j < d1; j++) {
      let inner = 0;
      for (let l = 0; l < d1; l++) inner += rowQuadratic[j * d1 + l] * phi[l];
      total += phi[j] * inner;
    }
    return total;
  }

  /**
   * The UCB width s of Algorithm 2 line 9 for the loaded candidate of arm `arm`, after prepareRow:
   * z^T A0^-1 z - 2 z^T A0^-1 B_a^T / A_a + 1 / A_a + B_a A0^-1 B_a^T / A_a^2.
   */
  private width(arm: number): number {
    const zInvZ = this.quadratic();
    if (this.arms === 0) return zInvZ;
    this.cacheArm(arm);
    const { k, zUser, zItem, phi, armInvB } = this;
    const base = arm * k;
    let cross = 0;
    for (let p = 0; p < k; p++) cross += zUser[p] * phi[zItem[p]] * armInvB[base + p];
    const armA = this.armA[arm];
    return zInvZ - (2 * cross) / armA + 1 / armA + this.armQuad[arm] / (armA * armA);
  }

  /** The UCB width s for candidate `candidate` of row `row` (after prepareRow for that row). */
  varianceOf(observation: Observation, row: number, candidate: number, arm: number): number {
    this.loadCandidate(observation, row, candidate);
    return this.width(arm);
  }

  /**
   * LinUCB's scores of row `row`'s candidates into out[offset..offset+N): the mean
   * z . beta-hat + theta-hat_a and, when `explore`, plus alpha sqrt(max(0, s)).
   */
  scoreRow(observation: Observation, row: number, explore: boolean, alpha: number, out: Float64Array, offset: number): void {
    this.prepareRow(observation, row);
    const { phi, rowMean } = this;
    const n = this.spec.numCandidates;
    const d1 = this.spec.itemFeatureDim + 1;
    const perArm = this.arms > 0;
    for (let c = 0; c < n; c++) {
      const arm = observation.candidateArms[row * n + c];
      this.loadCandidate(observation, row, c);
      let mean = perArm ? this.theta(arm) : 0;
      for (let j = 0; j < d1; j++) mean += rowMean[j] * phi[j];
      const bonus = explore ? alpha * Math.sqrt(Math.max(0, this.width(arm))) : 0;
      this.bonuses[offset + c] = bonus;
      out[offset + c] = mean + bonus;
    }
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

/**
 * out[outBase + r] = sum over c of m[r k + c] v[vBase + c] for r < k (m k x k, row-major), each sum
 * taken in the order c = 0, 1, ... as a plain loop would: four rows at a time, so that four
 * independent sums are in flight instead of one chain of additions.
 */
function multiplyRows(m: Float64Array, k: number, v: Float64Array, vBase: number, out: Float64Array, outBase: number): void {
  let r = 0;
  for (; r + 4 <= k; r += 4) {
    const row0 = r * k;
    const row1 = row0 + k;
    const row2 = row1 + k;
    const row3 = row2 + k;
    let sum0 = 0;
    let sum1 = 0;
    let sum2 = 0;
    let sum3 = 0;
    for (let c = 0; c < k; c++) {
      const value = v[vBase + c];
      sum0 += m[row0 + c] * value;
      sum1 += m[row1 + c] * value;
      sum2 += m[row2 + c] * value;
      sum3 += m[row3 + c] * value;
    }
    out[outBase + r] = sum0;
    out[outBase + r + 1] = sum1;
    out[outBase + r + 2] = sum2;
    out[outBase + r + 3] = sum3;
  }
  for (; r < k; r++) {
    const row = r * k;
    let sum = 0;
    for (let c = 0; c < k; c++) sum += m[row + c] * v[vBase + c];
    out[outBase + r] = sum;
  }
}

/**
 * solveLower for an x that is 0 above index `first` (a unit vector e_first): the same result bit for
 * bit, without the terms that are 0. Rows above `first` stay +0 (0 - l 0 = +0, +0 / l_ii = +0), and
 * subtracting l_ip x_p = +-0 for p < first leaves every sum as it was (+0 stays +0).
 */
function solveLowerFrom(l: Float64Array, k: number, x: Float64Array, first: number): void {
  for (let i = first; i < k; i++) {
    let sum = x[i];
    for (let p = first; p < i; p++) sum -= l[i * k + p] * x[p];
    x[i] = sum / l[i * k + i];
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
