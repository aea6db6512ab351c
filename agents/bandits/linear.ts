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
import type { AgentState, StateReader } from '../state.ts';
import { examinationWeights } from './common.ts';

export const FEATURE_MAPS = ['outer', 'product', 'item'] as const;
export type FeatureMap = (typeof FEATURE_MAPS)[number];

/** The hyper-parameters both linear bandits declare. */
export const linearParams = {
  features: {
    type: 'enum',
    default: 'outer',
    values: FEATURE_MAPS,
    doc:
      'shared features z of a (user u, item phi) pair: outer = every u_i phi_j (U x D; learns ' +
      'any bilinear u^T W phi), product = u_d phi_d over the affinity dims, item = phi alone',
  },
  perArm: {
    type: 'boolean',
    default: true,
    doc:
      'hybrid model: a per-arm intercept besides the shared parameters, where arms recur (else ' +
      'one shared intercept)',
  },
  ridge: {
    type: 'number',
    default: 1,
    min: 1e-9,
    doc: 'lambda: the ridge penalty (A0 and each A_a start at lambda I)',
  },
} as const;

/**
 * At most this many shared features: A0 is k x k and every shown slot costs about 1.5 k^2 (k = 256: ~100k flops a
 * slot).
 */
export const MAX_FEATURES = 256;

/** The number of shared features, or why the map does not fit the world. */
/**
 * Bytes the hybrid model holds (AgentDefinition.memory of linucb and lin-ts): A0, its inverse and
 * Cholesky factor (k x k), per arm its statistics and caches (about 3k + U + D + 8 float64s), a
 * round's rank-one terms (B x K x k) and the B x N scores and bonuses.
 */
export function linearMemory(spec: WorldSpec, features: FeatureMap, perArm: boolean): number {
  const count = featureCount(spec, features, perArm);
  const k = typeof count === 'number' ? count : 0;
  const arms = perArm ? spec.armCount : 0;
  const { batchSize: b, slateSize: slots, numCandidates: n, userFeatureDim: u, itemFeatureDim: d } = spec;
  return 8 * (3 * k * k + arms * (3 * k + u + d + 8) + b * slots * (k + 1) + 2 * b * n);
}

export function featureCount(spec: WorldSpec, features: FeatureMap, perArm: boolean): number | string {
  const intercept = perArm && spec.armCount > 0 ? 0 : 1;
  const u = spec.userFeatureDim;
  const d = spec.itemFeatureDim;
  if (features === 'outer') {
    if (u === 0)
      return `world ${spec.preset} shows no user features, so features: outer has nothing to cross; use features: item`;
    if (u * d > MAX_FEATURES)
      return (
        `features: outer gives ${u} x ${d} = ${u * d} features here (at most ${MAX_FEATURES}); use ` +
        `features: product`
      );
    return u * d + intercept;
  }
  if (features === 'product') {
    if (spec.affinityDim === 0)
      return `world ${spec.preset} has no user-item affinity dims for features: product; use features: item`;
    return spec.affinityDim + intercept;
  }
  if (d > MAX_FEATURES) return `features: item gives ${d} features here (at most ${MAX_FEATURES})`;
  return d + intercept;
}

export class HybridLinearModel {
  /** k: shared features; A: arms (0 without the per-arm part). */
  readonly k: number;
  readonly arms: number;
  /** k x k: A0, its inverse (symmetric), and the Cholesky factor L of A0 (lower, A0 = L L^T). */
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
  /**
   * Per arm, for the current refresh (valid where the arm's stamp is the refresh's): A0^-1 B_a^T
   * (A x k) and the width's constant 1 / A_a + B_a A0^-1 B_a^T / A_a^2 (armWidth), theta-hat_a
   * (armTheta), and the cross vector of the arm's last candidate features phi (armCross, A x S, see
   * width).
   */
  private readonly armInvB: Float64Array;
  private readonly armWidth: Float64Array;
  private readonly armWidthStamp: Int32Array;
  private readonly armTheta: Float64Array;
  private readonly armThetaStamp: Int32Array;
  private readonly armCross: Float64Array;
  private readonly armCrossPhi: Float64Array;
  private readonly armCrossStamp: Int32Array;
  /** The arms prepareArms has still to cache, in order of first appearance. */
  private readonly pendingArms: Int32Array;
  private stamp = 1;
  private readonly weights: Float64Array;
  private readonly z: Float64Array;
  /** The rank-one terms of A0's update gathered in observe: termCount vectors of k, and their scales. */
  private readonly terms: Float64Array;
  private readonly termScales: Float64Array;
  private termCount = 0;
  private readonly column: Float64Array;
  readonly intercept: boolean;
  /**
   * z as factors: z_p = ux[userSlot[p]] phi[zItem[p]], where ux holds the row's user features and
   * a constant 1 last (S = U + 1 slots), and phi a candidate's item features and, with the
   * intercept, a constant 1 (M = D or D + 1 dims). outer: u_i phi_j; product: u_j phi_j; item: 1
   * phi_j; the intercept: 1 1. Each product is exactly encode's value (1 x = x).
   */
  private readonly userSlot: Int32Array;
  private readonly zItem: Int32Array;
  private readonly userSlots: number;
  private readonly itemDims: number;
  private readonly ux: Float64Array;
  private readonly phi: Float64Array;
  /**
   * The row's quadratic form z^T A0^-1 z = sum over pairs j <= l of rowQuadratic[t] phi_j phi_l
   * (t counts the pairs in that order), with rowQuadratic[t] = sum over user-slot pairs i <= i' of
   * ux_i ux_i' R[t, (i, i')] (quadraticTerms), and R gathered from A0^-1 once per refresh
   * (refresh). rowMean: h = T^T beta-hat (M), so that z . beta-hat = h . phi.
   */
  private readonly rowQuadratic: Float64Array;
  private readonly rowMean: Float64Array;
  private readonly userPairs: Float64Array;
  private readonly quadraticTerms: QuadraticTerms;
  private readonly quadraticCoefficients: Float64Array;
  /** B x N: the exploration bonus alpha sqrt(s) of each candidate in the last scoreRow calls (0 in evaluation). */
  readonly bonuses: Float64Array;

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
    this.weights = examinationWeights(spec);
    this.z = new Float64Array(k);
    this.termScales = new Float64Array(spec.batchSize * spec.slateSize); // a round's shown slots at most
    this.terms = new Float64Array(this.termScales.length * k);
    this.column = new Float64Array(k);
    this.bonuses = new Float64Array(spec.batchSize * spec.numCandidates);
    const { userFeatureDim: u, itemFeatureDim: d, affinityDim } = spec;
    this.userSlots = u + 1;
    this.itemDims = d + (this.intercept ? 1 : 0);
    this.userSlot = new Int32Array(k).fill(u);
    this.zItem = new Int32Array(k).fill(d);
    if (features === 'outer') {
      for (let i = 0; i < u; i++) {
        for (let j = 0; j < d; j++) {
          this.userSlot[i * d + j] = i;
          this.zItem[i * d + j] = j;
        }
      }
    } else {
      for (let j = 0; j < (features === 'product' ? affinityDim : d); j++) {
        if (features === 'product') this.userSlot[j] = j;
        this.zItem[j] = j;
      }
    }
    this.ux = new Float64Array(this.userSlots);
    this.phi = new Float64Array(d + 1);
    this.phi[d] = 1;
    this.armInvB = new Float64Array(this.arms * k);
    this.armWidth = new Float64Array(this.arms);
    this.armWidthStamp = new Int32Array(this.arms);
    this.armTheta = new Float64Array(this.arms);
    this.armThetaStamp = new Int32Array(this.arms);
    this.armCross = new Float64Array(this.arms * this.userSlots);
    this.armCrossPhi = new Float64Array(this.arms * d);
    this.armCrossStamp = new Int32Array(this.arms);
    this.pendingArms = new Int32Array(this.arms);
    this.quadraticTerms = quadraticTerms(k, this.userSlot, this.zItem, this.userSlots, this.itemDims);
    this.quadraticCoefficients = new Float64Array(this.quadraticTerms.pair.length);
    this.rowQuadratic = new Float64Array((this.itemDims * (this.itemDims + 1)) / 2);
    this.rowMean = new Float64Array(this.itemDims);
    this.userPairs = new Float64Array(this.userSlots * this.userSlots);
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
    const { before, action, signals, episode, impressions } = transition;
    const observed = this.spec.impressionsObserved;
    const { k, z, weights } = this;
    const slates = action.slates;
    const candidateArms = before.candidateArms;
    const rows = before.active.length;
    this.termCount = 0;
    for (let row = 0; row < rows; row++) {
      if (episode[row] < 0) continue;
      for (let slot = 0; slot < slots; slot++) {
        // slotEvidence (common.ts), written out: 1 for a slot seen where impressions are observed, else e_k.
        const weight = observed ? (slot < impressions[row] ? 1 : 0) : weights[slot];
        if (weight === 0) continue;
        const candidate = slates[row * slots + slot];
        const click = signals[(row * slots + slot) * signalCount + clickSignal] > 0 ? 1 : 0;
        this.encode(before, row, candidate, z);
        // z scaled by e_k, in place
        for (let i = 0; i < k; i++) z[i] *= weight;
        if (this.arms === 0) this.addShared(z, click);
        else this.addWithArm(candidateArms[row * n + candidate], z, click, weight);
      }
    }
    addOuters(this.a0, k, this.terms, this.termScales, this.termCount);
  }

  /** The next rank-one term of A0's update (scale v v^T, v written by the caller), applied at the end of observe. */
  private nextTerm(scale: number): number {
    this.termScales[this.termCount] = scale;
    return this.termCount++ * this.k;
  }

  /** Without the per-arm part: A0 += z z^T, b0 += r z (z scaled by e_k). */
  private addShared(scaled: Float64Array, click: number): void {
    const { k, b0, terms } = this;
    const at = this.nextTerm(1);
    for (let i = 0; i < k; i++) {
      terms[at + i] = scaled[i];
      b0[i] += click * scaled[i];
    }
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
   * positive definiteness to rounding). A0 is read only at the refresh, so the slots' terms are
   * gathered and added together at the end of observe (addOuters).
   */
  private addWithArm(arm: number, scaled: Float64Array, click: number, weight: number): void {
    const { k, b0, armA, armB, armb, terms } = this;
    const base = arm * k;
    const oldA = armA[arm];
    const oldb = armb[arm];
    const newA = oldA + weight * weight;
    const newb = oldb + click * weight;
    const at = this.nextTerm(1 / (oldA * newA));
    for (let i = 0; i < k; i++) {
      const old = armB[base + i];
      const updated = old + weight * scaled[i];
      terms[at + i] = weight * old - oldA * scaled[i];
      b0[i] += (oldb / oldA) * old + click * scaled[i] - (newb / newA) * updated;
      armB[base + i] = updated;
    }
    armA[arm] = newA;
    armb[arm] = newb;
  }

  /**
   * The sufficient statistics (A0, b0 and the arms' A_a, B_a, b_a) as saved state; the rest follows from them
   * (refresh).
   */
  save(): AgentState {
    return {
      a0: Float64Array.from(this.a0),
      b0: Float64Array.from(this.b0),
      armA: Float64Array.from(this.armA),
      armB: Float64Array.from(this.armB),
      armb: Float64Array.from(this.armb),
    };
  }

  load(saved: StateReader): void {
    saved.array('a0', this.a0);
    saved.array('b0', this.b0);
    saved.array('armA', this.armA);
    saved.array('armB', this.armB);
    saved.array('armb', this.armb);
    this.refresh();
  }

  /**
   * Factorises A0 again and recomputes A0^-1, beta-hat and the quadratic form's coefficients R
   * (once per round); every per-arm cache goes stale.
   */
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
    }
    multiplyRows(a0Inverse, k, this.b0, 0, this.beta, 0);
    const { start, offsets, scale } = this.quadraticTerms;
    for (let e = 0; e < scale.length; e++) {
      let sum = 0;
      for (let o = start[e]; o < start[e + 1]; o++) sum += a0Inverse[offsets[o]];
      this.quadraticCoefficients[e] = scale[e] * sum;
    }
    this.stamp++;
  }

  /**
   * Caches A0^-1 B_a^T and B_a A0^-1 B_a^T for every arm among the candidates of the active rows
   * (LinUCB's widths need them), two arms at a time (multiplyRowsPair).
   */
  prepareArms(observation: Observation): void {
    if (this.arms === 0) return;
    const n = this.spec.numCandidates;
    const { pendingArms, armWidthStamp, stamp } = this;
    let count = 0;
    for (let row = 0; row < observation.active.length; row++) {
      if (observation.active[row] === 0) continue;
      for (let c = 0; c < n; c++) {
        const arm = observation.candidateArms[row * n + c];
        if (armWidthStamp[arm] === stamp) continue;
        armWidthStamp[arm] = stamp;
        pendingArms[count++] = arm;
      }
    }
    const { k, a0Inverse, armB, armInvB } = this;
    let next = 0;
    for (; next + 2 <= count; next += 2) {
      multiplyRowsPair(a0Inverse, k, armB, pendingArms[next] * k, pendingArms[next + 1] * k, armInvB);
    }
    if (next < count) multiplyRows(a0Inverse, k, armB, pendingArms[next] * k, armInvB, pendingArms[next] * k);
    for (let i = 0; i < count; i++) this.cacheWidthConstant(pendingArms[i]);
  }

  /** The arm's part of the width that depends on neither user nor features: 1 / A_a + B_a A0^-1 B_a^T / A_a^2. */
  private cacheWidthConstant(arm: number): void {
    const armA = this.armA[arm];
    this.armWidth[arm] = 1 / armA + dotAt(this.armB, this.armInvB, arm * this.k, this.k) / (armA * armA);
  }

  /** The arm's A0^-1 B_a^T and B_a A0^-1 B_a^T for this refresh (computed here unless prepareArms did). */
  private cacheWidth(arm: number): void {
    if (this.armWidthStamp[arm] === this.stamp) return;
    this.armWidthStamp[arm] = this.stamp;
    const { k } = this;
    multiplyRows(this.a0Inverse, k, this.armB, arm * k, this.armInvB, arm * k);
    this.cacheWidthConstant(arm);
  }

  /** theta-hat_a = (b_a - B_a beta-hat) / A_a (0 without the per-arm part). */
  theta(arm: number): number {
    if (this.arms === 0) return 0;
    if (this.armThetaStamp[arm] !== this.stamp) {
      this.armThetaStamp[arm] = this.stamp;
      this.armTheta[arm] = this.thetaGiven(arm, this.beta);
    }
    return this.armTheta[arm];
  }

  /**
   * Prepares the row's scores: the user slots ux, the quadratic form's coefficients for this user
   * (rowQuadratic) and h = T^T beta-hat. z is linear in the candidate's features (z = T phi), so
   * z^T A0^-1 z = phi^T (T^T A0^-1 T) phi; the M x M form is gathered from the user-slot products
   * ux_i ux_i' and the coefficients R of the refresh, about S^2 M^2 / 4 operations instead of
   * k^2 + k M for T^T A0^-1 T directly.
   */
  prepareRow(observation: Observation, row: number): void {
    const { k, ux, userSlot, zItem, userSlots: s, userPairs, rowQuadratic, rowMean, beta } = this;
    const u = this.spec.userFeatureDim;
    const user = observation.userFeatures;
    for (let i = 0; i < u; i++) ux[i] = user[row * u + i];
    ux[u] = 1;
    for (let i = 0; i < s; i++) for (let j = i; j < s; j++) userPairs[i * s + j] = ux[i] * ux[j];
    const { pair, targetStart } = this.quadraticTerms;
    const coefficients = this.quadraticCoefficients;
    for (let t = 0; t < rowQuadratic.length; t++) {
      let sum = 0;
      for (let e = targetStart[t]; e < targetStart[t + 1]; e++) sum += userPairs[pair[e]] * coefficients[e];
      rowQuadratic[t] = sum;
    }
    rowMean.fill(0);
    for (let p = 0; p < k; p++) rowMean[zItem[p]] += ux[userSlot[p]] * beta[p];
  }

  /** Loads candidate c's features into phi (phi[D] stays 1). */
  private loadCandidate(observation: Observation, row: number, candidate: number): void {
    const d = this.spec.itemFeatureDim;
    const itemBase = observation.candidateItems[row * this.spec.numCandidates + candidate] * d;
    for (let j = 0; j < d; j++) this.phi[j] = observation.itemFeatures[itemBase + j];
  }

  /** z^T A0^-1 z for the loaded candidate: sum over j <= l of rowQuadratic phi_j phi_l. */
  private quadratic(): number {
    const { phi, rowQuadratic, itemDims: m } = this;
    let total = 0;
    let t = 0;
    for (let j = 0; j < m; j++) {
      let inner = 0;
      for (let l = j; l < m; l++) inner += rowQuadratic[t++] * phi[l];
      total += phi[j] * inner;
    }
    return total;
  }

  /**
   * The UCB width s of Algorithm 2 line 9 for the loaded candidate of arm `arm`, after prepareRow:
   * z^T A0^-1 z - 2 z^T A0^-1 B_a^T / A_a + 1 / A_a + B_a A0^-1 B_a^T / A_a^2.
   * The cross term -2 z^T A0^-1 B_a^T / A_a = sum_i ux_i c_i with c_i = -2 / A_a times the sum
   * over the features p of user slot i of phi_zItem[p] (A0^-1 B_a^T)_p: c depends on the arm and
   * phi, not the user, so it is kept per arm and reused while the arm's candidates bring the same
   * features (always, in a catalog).
   */
  private width(arm: number): number {
    const zInvZ = this.quadratic();
    if (this.arms === 0) return zInvZ;
    this.cacheWidth(arm);
    const { ux, userSlots: s, armCross } = this;
    const base = arm * s;
    if (!this.sameCrossFeatures(arm)) this.cacheCross(arm);
    let cross = 0;
    for (let i = 0; i < s; i++) cross += ux[i] * armCross[base + i];
    return zInvZ + cross + this.armWidth[arm];
  }

  /** Whether the arm's cross vector is of this refresh and of the loaded features. */
  private sameCrossFeatures(arm: number): boolean {
    if (this.armCrossStamp[arm] !== this.stamp) return false;
    const d = this.spec.itemFeatureDim;
    const { phi, armCrossPhi } = this;
    for (let j = 0; j < d; j++) if (armCrossPhi[arm * d + j] !== phi[j]) return false;
    return true;
  }

  /** The arm's cross vector c for the loaded features (see width). */
  private cacheCross(arm: number): void {
    const { k, phi, userSlot, zItem, armInvB, armCross, userSlots: s } = this;
    const d = this.spec.itemFeatureDim;
    this.armCrossStamp[arm] = this.stamp;
    for (let j = 0; j < d; j++) this.armCrossPhi[arm * d + j] = phi[j];
    armCross.fill(0, arm * s, (arm + 1) * s);
    for (let p = 0; p < k; p++) armCross[arm * s + userSlot[p]] += phi[zItem[p]] * armInvB[arm * k + p];
    const scale = -2 / this.armA[arm];
    for (let i = 0; i < s; i++) armCross[arm * s + i] *= scale;
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
  scoreRow(
    observation: Observation,
    row: number,
    explore: boolean,
    alpha: number,
    out: Float64Array,
    offset: number,
  ): void {
    this.prepareRow(observation, row);
    const { phi, rowMean, itemDims: m } = this;
    const n = this.spec.numCandidates;
    const perArm = this.arms > 0;
    for (let c = 0; c < n; c++) {
      const arm = observation.candidateArms[row * n + c];
      this.loadCandidate(observation, row, c);
      let mean = perArm ? this.theta(arm) : 0;
      for (let j = 0; j < m; j++) mean += rowMean[j] * phi[j];
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

/**
 * How z^T A0^-1 z = sum_{p,q} ux_up ux_uq phi_jp phi_jq (A0^-1)_pq (p, q features; u their user
 * slots, j their item dims) gathers: per item-dim pair t = (j <= l) and user-slot pair (i <= i'),
 * one term R[t, (i, i')] = scale * sum of (A0^-1)_pq over the (p, q) with those dims and slots
 * (scale 2 for j < l, the (l, j) half folded in). Terms are ordered by t (targetStart[t] is t's
 * first); pair is the user-slot pair's index i S + i' into userPairs; offsets[start[e]..start[e+1])
 * are term e's entries p k + q of A0^-1.
 */
interface QuadraticTerms {
  readonly targetStart: Int32Array;
  readonly pair: Int32Array;
  readonly scale: Float64Array;
  readonly start: Int32Array;
  readonly offsets: Int32Array;
}

function quadraticTerms(k: number, userSlot: Int32Array, zItem: Int32Array, s: number, m: number): QuadraticTerms {
  const targetOf = (j: number, l: number) => j * m - (j * (j - 1)) / 2 + (l - j); // t of (j <= l), in row order
  const terms = new Map<number, number[]>(); // t * s * s + pair -> offsets
  for (let p = 0; p < k; p++) {
    for (let q = 0; q < k; q++) {
      const j = zItem[p];
      const l = zItem[q];
      if (j > l) continue;
      const i = Math.min(userSlot[p], userSlot[q]);
      const i2 = Math.max(userSlot[p], userSlot[q]);
      const key = targetOf(j, l) * s * s + i * s + i2;
      const list = terms.get(key);
      if (list) list.push(p * k + q);
      else terms.set(key, [p * k + q]);
    }
  }
  const keys = [...terms.keys()].sort((a, b) => a - b);
  const targets = (m * (m + 1)) / 2;
  const targetStart = new Int32Array(targets + 1);
  const pair = new Int32Array(keys.length);
  const scale = new Float64Array(keys.length);
  const start = new Int32Array(keys.length + 1);
  const offsets: number[] = [];
  keys.forEach((key, e) => {
    const t = Math.floor(key / (s * s));
    pair[e] = key % (s * s);
    // j < l unless t is a diagonal pair: the (l, j) terms are the same numbers (A0^-1 is symmetric).
    scale[e] = isDiagonalTarget(t, m) ? 1 : 2;
    start[e] = offsets.length;
    offsets.push(...terms.get(key)!);
    targetStart[t + 1] = e + 1;
  });
  start[keys.length] = offsets.length;
  // Targets without terms (a dim pair no feature links) start where the previous one ended.
  for (let t = 1; t <= targets; t++) targetStart[t] = Math.max(targetStart[t], targetStart[t - 1]);
  return { targetStart, pair, scale, start, offsets: Int32Array.from(offsets) };
}

/** Whether pair t (of j <= l over m dims, in row order) has j = l. */
function isDiagonalTarget(t: number, m: number): boolean {
  let first = 0;
  for (let j = 0; j < m; j++) {
    if (t === first) return true;
    first += m - j;
  }
  return false;
}

/** sum over r < k of a[base + r] b[base + r]. */
function dotAt(a: Float64Array, b: Float64Array, base: number, k: number): number {
  let sum = 0;
  for (let r = 0; r < k; r++) sum += a[base + r] * b[base + r];
  return sum;
}

/** Upper triangle of m (k x k) += scale v v^T, v at `base` of vectors (the lower triangle is filled by symmetrise). */
function addOuter(m: Float64Array, k: number, vectors: Float64Array, base: number, scale: number): void {
  for (let i = 0; i < k; i++) {
    const vi = scale * vectors[base + i];
    if (vi === 0) continue;
    const row = i * k;
    for (let j = i; j < k; j++) m[row + j] += vi * vectors[base + j];
  }
}

/**
 * Upper triangle of m (k x k) += the sum of count rank-one terms scale_t v_t v_t^T (v_t at t k of
 * vectors), four at a time: each entry of m is loaded and stored once per four terms.
 */
function addOuters(m: Float64Array, k: number, vectors: Float64Array, scales: Float64Array, count: number): void {
  let t = 0;
  for (; t + 4 <= count; t += 4) {
    const v0 = t * k;
    const v1 = v0 + k;
    const v2 = v1 + k;
    const v3 = v2 + k;
    for (let i = 0; i < k; i++) {
      const a = scales[t] * vectors[v0 + i];
      const b = scales[t + 1] * vectors[v1 + i];
      const c = scales[t + 2] * vectors[v2 + i];
      const d = scales[t + 3] * vectors[v3 + i];
      const row = i * k;
      for (let j = i; j < k; j++)
        m[row + j] += a * vectors[v0 + j] + b * vectors[v1 + j] + c * vectors[v2 + j] + d * vectors[v3 + j];
    }
  }
  for (; t < count; t++) addOuter(m, k, vectors, t * k, scales[t]);
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
        if (!(sum > 0))
          throw new Error('linear bandit: A0 is no longer positive definite (numerical breakdown); raise ridge');
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
function multiplyRows(
  m: Float64Array,
  k: number,
  v: Float64Array,
  vBase: number,
  out: Float64Array,
  outBase: number,
): void {
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
 * multiplyRows for two vectors at once (v at vBase1 and vBase2, each result at its own base of
 * out): the same sums in the same order, with every entry of m loaded once for both.
 */
function multiplyRowsPair(
  m: Float64Array,
  k: number,
  v: Float64Array,
  vBase1: number,
  vBase2: number,
  out: Float64Array,
): void {
  let r = 0;
  for (; r + 4 <= k; r += 4) {
    const row0 = r * k;
    const row1 = row0 + k;
    const row2 = row1 + k;
    const row3 = row2 + k;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let b0 = 0;
    let b1 = 0;
    let b2 = 0;
    let b3 = 0;
    for (let c = 0; c < k; c++) {
      const x = v[vBase1 + c];
      const y = v[vBase2 + c];
      const m0 = m[row0 + c];
      const m1 = m[row1 + c];
      const m2 = m[row2 + c];
      const m3 = m[row3 + c];
      a0 += m0 * x;
      a1 += m1 * x;
      a2 += m2 * x;
      a3 += m3 * x;
      b0 += m0 * y;
      b1 += m1 * y;
      b2 += m2 * y;
      b3 += m3 * y;
    }
    out[vBase1 + r] = a0;
    out[vBase1 + r + 1] = a1;
    out[vBase1 + r + 2] = a2;
    out[vBase1 + r + 3] = a3;
    out[vBase2 + r] = b0;
    out[vBase2 + r + 1] = b1;
    out[vBase2 + r + 2] = b2;
    out[vBase2 + r + 3] = b3;
  }
  for (; r < k; r++) {
    const row = r * k;
    let a = 0;
    let b = 0;
    for (let c = 0; c < k; c++) {
      a += m[row + c] * v[vBase1 + c];
      b += m[row + c] * v[vBase2 + c];
    }
    out[vBase1 + r] = a;
    out[vBase2 + r] = b;
  }
}

/**
 * x := L^-1 x (forward substitution) for an x that is 0 above index `first` (a unit vector
 * e_first): the same result bit for bit as the whole substitution, without the terms that are 0.
 * Rows above `first` stay +0 (0 - l 0 = +0, +0 / l_ii = +0), and subtracting l_ip x_p = +-0 for
 * p < first leaves every sum as it was (+0 stays +0).
 */
function solveLowerFrom(l: Float64Array, k: number, x: Float64Array, first: number): void {
  for (let i = first; i < k; i++) {
    let sum = x[i];
    for (let p = first; p < i; p++) sum -= l[i * k + p] * x[p];
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
