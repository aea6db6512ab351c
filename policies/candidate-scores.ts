// Scores of every candidate, over the observation's B x N candidates at once, for policies and
// agents that rank them: the user-item affinity dot products, and the choice model's click
// probability of each candidate shown alone. Typed arrays throughout, no allocation per call. The slate is then
// built with topKByScore (slate.ts).
import type { ChoiceModel } from '../sim/choice.ts';
import type { Observation, WorldSpec } from '../sim/env.ts';

/** The sizes the helpers need (a WorldSpec has them all). The rows are the observation's: active.length. */
export type BatchShape = Pick<WorldSpec, 'numCandidates' | 'userFeatureDim' | 'itemFeatureDim' | 'affinityDim'>;

/**
 * Throws unless `out` holds B x N values and `userRow` affinityDim (a short typed array would drop writes silently).
 */
function checkSizes(observation: Observation, shape: BatchShape, out: Float64Array, userRow: Float64Array): void {
  if (out.length < observation.active.length * shape.numCandidates) {
    throw new RangeError(
      `affinities: out holds ${out.length} values, the observation has ` +
        `${observation.active.length} x ${shape.numCandidates} candidates`,
    );
  }
  if (userRow.length < shape.affinityDim)
    throw new RangeError(`affinities: userRow holds ${userRow.length} values, affinityDim is ${shape.affinityDim}`);
}

/**
 * Writes out[row * N + n] = sum over d < affinityDim of userFeatures[row, d] * itemFeatures[item, d],
 * item = candidateItems[row * N + n], for every active row (masked rows are left untouched). Each
 * sum adds its terms in order d = 0, 1, ... in doubles, so the values equal the naive per-candidate
 * loop exactly. `userRow` is scratch of at least affinityDim doubles.
 *
 * Speed: a sum is a chain of dependent additions, so one candidate at a time waits on the adder's
 * latency; four candidates are summed side by side (four independent chains, each in its own order)
 * and share each user feature load.
 */
export function gatherAffinities(
  observation: Observation,
  shape: BatchShape,
  out: Float64Array,
  userRow: Float64Array,
): void {
  const { userFeatures, itemFeatures, candidateItems, active } = observation;
  const n = shape.numCandidates | 0;
  const u = shape.userFeatureDim | 0;
  const dim = shape.itemFeatureDim | 0;
  const a = shape.affinityDim | 0;
  const rows = active.length;
  checkSizes(observation, shape, out, userRow);
  const n4 = n & ~3;
  for (let row = 0; row < rows; row++) {
    if (active[row] === 0) continue;
    const userBase = row * u;
    for (let d = 0; d < a; d++) userRow[d] = userFeatures[userBase + d];
    const base = row * n;
    let candidate = 0;
    for (; candidate < n4; candidate += 4) {
      const i0 = candidateItems[base + candidate] * dim;
      const i1 = candidateItems[base + candidate + 1] * dim;
      const i2 = candidateItems[base + candidate + 2] * dim;
      const i3 = candidateItems[base + candidate + 3] * dim;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let d = 0; d < a; d++) {
        const x = userRow[d];
        s0 += x * itemFeatures[i0 + d];
        s1 += x * itemFeatures[i1 + d];
        s2 += x * itemFeatures[i2 + d];
        s3 += x * itemFeatures[i3 + d];
      }
      out[base + candidate] = s0;
      out[base + candidate + 1] = s1;
      out[base + candidate + 2] = s2;
      out[base + candidate + 3] = s3;
    }
    for (; candidate < n; candidate++) {
      const i0 = candidateItems[base + candidate] * dim;
      let s0 = 0;
      for (let d = 0; d < a; d++) s0 += userRow[d] * itemFeatures[i0 + d];
      out[base + candidate] = s0;
    }
  }
}

/**
 * Writes out[row * N + n] = the probability that candidate n is clicked if shown alone (the
 * choice model's clickProbabilityAlone, equal bit for bit to its probabilities over a one-post
 * slate, slot 0), from its score scores[row * N + n], for every active row; masked rows are left
 * untouched. A model without clickProbabilityAlone is asked for the one-post slate itself:
 * `score` (1 double) and `probabilities` (2) are scratch for it.
 *
 * Speed: candidates often share a score (in the feed, about 10 distinct affinities among 50: the
 * posts of one topic, and the posts of no topic the user has seen, all 0), and the probability is a
 * function of the score alone, so the last four distinct scores are kept with their probabilities
 * and a repeat (the same double: +0 and -0 differ; NaN is computed again) costs comparisons
 * instead of an exp; the feed computes about a third of its candidates.
 */
export function singleItemClickProbabilities(
  model: ChoiceModel,
  scores: Float64Array,
  active: Uint8Array,
  numCandidates: number,
  out: Float64Array,
  score: Float64Array,
  probabilities: Float64Array,
): void {
  const n = numCandidates | 0;
  if (out.length < active.length * n || scores.length < active.length * n) {
    throw new RangeError(
      `click probabilities: scores (${scores.length}) and out (${out.length}) must hold ${active.length} x ${n} values`,
    );
  }
  const rows = active.length;
  if (model.clickProbabilityAlone) {
    // The memo, most recent first, starts as four copies of the first active candidate's pair.
    let first = 0;
    while (first < rows && active[first] === 0) first++;
    if (first === rows || n === 0) return;
    let s0 = scores[first * n];
    let p0 = model.clickProbabilityAlone(s0);
    let s1 = s0;
    let p1 = p0;
    let s2 = s0;
    let p2 = p0;
    let s3 = s0;
    let p3 = p0;
    for (let row = first; row < rows; row++) {
      if (active[row] === 0) continue;
      const end = (row + 1) * n;
      for (let i = row * n; i < end; i++) {
        const score = scores[i];
        if (score === s0 && (score !== 0 || Object.is(score, s0))) out[i] = p0;
        else if (score === s1 && (score !== 0 || Object.is(score, s1))) out[i] = p1;
        else if (score === s2 && (score !== 0 || Object.is(score, s2))) out[i] = p2;
        else if (score === s3 && (score !== 0 || Object.is(score, s3))) out[i] = p3;
        else {
          const probability = model.clickProbabilityAlone(score);
          s3 = s2;
          p3 = p2;
          s2 = s1;
          p2 = p1;
          s1 = s0;
          p1 = p0;
          s0 = score;
          p0 = probability;
          out[i] = probability;
        }
      }
    }
    return;
  }
  for (let row = 0; row < rows; row++) {
    if (active[row] === 0) continue;
    const end = (row + 1) * n;
    for (let i = row * n; i < end; i++) {
      score[0] = scores[i];
      model.probabilities(score, 1, probabilities);
      out[i] = probabilities[0];
    }
  }
}

/**
 * The affinity columns of a fixed item table (a catalog) as sparse rows of a fixed width W, the
 * most nonzero weights any item has among columns 0..affinityDim-1: item i's entry j (j < W) is
 * weights[i * W + j] at column columns[i * W + j], in column order; rows with fewer nonzeros are
 * padded with weight 0 at column 0. A feed post has one or two topics of 16, so its dot product is
 * two terms, read from 24 bytes instead of a 64-byte dense row.
 *
 * Exactness: adding a term x * 0 leaves an in-order sum unchanged when x is finite (x * 0 is
 * +-0; s + +-0 = s for s != 0, and the sum, started at +0, is never -0, since +0 + -0 = +0 and
 * a + -a = +0), so dropping the zero terms and padding with zero terms at the end give the dense
 * sum bit for bit; a row with a non-finite user feature takes the dense sum instead.
 */
export class SparseItemTable {
  /** W: nonzero affinity weights of the densest item (at least 1). */
  readonly width: number;
  /** R x W: the column of each weight. */
  readonly columns: Int32Array;
  /** R x W: the nonzero weights, then zeros. */
  readonly weights: Float64Array;

  constructor(
    /** The table it was built from (R x itemFeatureDim), which must not change afterwards. */
    readonly source: Float32Array,
    itemFeatureDim: number,
    affinityDim: number,
  ) {
    const items = Math.floor(source.length / itemFeatureDim);
    let width = 1;
    for (let item = 0; item < items; item++) {
      const base = item * itemFeatureDim;
      let count = 0;
      for (let d = 0; d < affinityDim; d++) if (source[base + d] !== 0) count++;
      width = Math.max(width, count);
    }
    this.width = width;
    this.columns = new Int32Array(items * width);
    this.weights = new Float64Array(items * width);
    for (let item = 0; item < items; item++) {
      const base = item * itemFeatureDim;
      let entry = item * width;
      for (let d = 0; d < affinityDim; d++) {
        const weight = source[base + d];
        if (weight === 0) continue;
        this.columns[entry] = d;
        this.weights[entry++] = weight;
      }
    }
  }
}

/**
 * gatherAffinities over a SparseItemTable built from observation.itemFeatures (same values, bit
 * for bit: see SparseItemTable). `userRow` is scratch of at least affinityDim doubles.
 */
export function sparseAffinities(
  observation: Observation,
  shape: BatchShape,
  table: SparseItemTable,
  out: Float64Array,
  userRow: Float64Array,
): void {
  const { userFeatures, itemFeatures, candidateItems, active } = observation;
  const { columns, weights } = table;
  const width = table.width | 0;
  const n = shape.numCandidates | 0;
  const u = shape.userFeatureDim | 0;
  const dim = shape.itemFeatureDim | 0;
  const a = shape.affinityDim | 0;
  const rows = active.length;
  checkSizes(observation, shape, out, userRow);
  for (let row = 0; row < rows; row++) {
    if (active[row] === 0) continue;
    const userBase = row * u;
    let finite = true;
    for (let d = 0; d < a; d++) {
      const x = userFeatures[userBase + d];
      userRow[d] = x;
      if (!Number.isFinite(x)) finite = false;
    }
    const base = row * n;
    if (!finite) {
      // x * 0 is NaN for an infinite x: the dense sum, term by term.
      for (let candidate = 0; candidate < n; candidate++) {
        const item = candidateItems[base + candidate] * dim;
        let sum = 0;
        for (let d = 0; d < a; d++) sum += userRow[d] * itemFeatures[item + d];
        out[base + candidate] = sum;
      }
      continue;
    }
    if (width === 2) {
      // The feed (one or two topics per post), unrolled: ((0 + term 0) + term 1), the loop's order.
      for (let candidate = 0; candidate < n; candidate++) {
        const entry = candidateItems[base + candidate] * 2;
        out[base + candidate] =
          0 + userRow[columns[entry]] * weights[entry] + userRow[columns[entry + 1]] * weights[entry + 1];
      }
      continue;
    }
    for (let candidate = 0; candidate < n; candidate++) {
      const entry = candidateItems[base + candidate] * width;
      const end = entry + width;
      let sum = 0;
      for (let e = entry; e < end; e++) sum += userRow[columns[e]] * weights[e];
      out[base + candidate] = sum;
    }
  }
}

/**
 * The helpers with their buffers, for one world shape: `affinities` and `clickProbabilities` are
 * B x N (B: the observation's rows, active.length; the buffers grow if a larger batch comes) and
 * are rewritten, active rows only, by each call. In a world with a catalog (a fixed item table,
 * WorldSpec.catalogSize > 0) whose affinity columns are mostly zeros, the affinities come from a
 * sparse copy of the table (SparseItemTable), built on first use (and again if the observation's
 * table is another array).
 */
export class CandidateScorer {
  private affinityBuffer: Float64Array;
  private probabilityBuffer: Float64Array;
  private readonly userRow: Float64Array;
  private readonly score = new Float64Array(1);
  private readonly probabilities = new Float64Array(2);
  /** The sparse catalog, or null; `denseTable` is a table found too dense to be worth it. */
  private sparse: SparseItemTable | null = null;
  private denseTable: Float32Array | null = null;

  constructor(
    private readonly shape: BatchShape & Pick<WorldSpec, 'batchSize' | 'catalogSize'>,
    private readonly choiceModel?: ChoiceModel,
  ) {
    this.affinityBuffer = new Float64Array(shape.batchSize * shape.numCandidates);
    this.probabilityBuffer = new Float64Array(shape.batchSize * shape.numCandidates);
    this.userRow = new Float64Array(Math.max(1, shape.affinityDim));
  }

  /** B x N: the user-item affinities of the last gatherAffinities (or clickProbabilitiesOf). */
  get affinities(): Float64Array {
    return this.affinityBuffer;
  }

  /** B x N: the single-item click probabilities of the last clickProbabilitiesOf. */
  get clickProbabilities(): Float64Array {
    return this.probabilityBuffer;
  }

  /** The affinities of every candidate of the active rows (as gatherAffinities), into `affinities`. */
  gatherAffinities(observation: Observation): Float64Array {
    this.fit(observation.active.length);
    const table = this.sparseTableFor(observation.itemFeatures);
    if (table) sparseAffinities(observation, this.shape, table, this.affinityBuffer, this.userRow);
    else gatherAffinities(observation, this.shape, this.affinityBuffer, this.userRow);
    return this.affinityBuffer;
  }

  /**
   * The choice model's single-item click probability of every candidate of the active rows, from its affinity, into
   * `clickProbabilities`.
   */
  clickProbabilitiesOf(observation: Observation): Float64Array {
    if (!this.choiceModel) throw new Error('CandidateScorer: no choice model given');
    this.gatherAffinities(observation);
    singleItemClickProbabilities(
      this.choiceModel,
      this.affinityBuffer,
      observation.active,
      this.shape.numCandidates,
      this.probabilityBuffer,
      this.score,
      this.probabilities,
    );
    return this.probabilityBuffer;
  }

  /**
   * The sparse copy of the item table the affinities are read from, when it pays: a catalog where
   * no item has more than a quarter of the affinity columns nonzero (at least 2). Else null.
   */
  sparseTableFor(itemFeatures: Float32Array): SparseItemTable | null {
    if (this.shape.catalogSize <= 0 || this.denseTable === itemFeatures) return null;
    if (this.sparse?.source === itemFeatures) return this.sparse;
    const table = new SparseItemTable(itemFeatures, this.shape.itemFeatureDim, this.shape.affinityDim);
    if (table.width > Math.max(2, this.shape.affinityDim / 4)) {
      this.sparse = null;
      this.denseTable = itemFeatures;
      return null;
    }
    this.sparse = table;
    return table;
  }

  /** Grows the B x N buffers to `rows` rows, keeping their values. */
  private fit(rows: number): void {
    const size = rows * this.shape.numCandidates;
    if (this.affinityBuffer.length >= size) return;
    const affinities = new Float64Array(size);
    affinities.set(this.affinityBuffer);
    this.affinityBuffer = affinities;
    const probabilities = new Float64Array(size);
    probabilities.set(this.probabilityBuffer);
    this.probabilityBuffer = probabilities;
  }
}
