// k-means over flat typed arrays, for the cluster bandit (issue 13): users with similar features
// grouped, one bandit per group. Lloyd's iterations (Lloyd 1982, "Least squares quantization in
// PCM") from a greedy k-means++ seeding (Arthur & Vassilvitskii 2007, "k-means++: the advantages
// of careful seeding", section 2.2; the greedy variant with 2 + ln k trials per centre is
// scikit-learn's), run from several seedings keeping the lowest inertia (scikit-learn's n_init).
// And the adjusted Rand index (Hubert & Arabie 1985), to score a clustering against true labels.
//
// Deterministic given the Rng: only the seeding draws, restart r continues the stream where
// restart r - 1 left it, and every tie (nearest centre, farthest point) goes to the lower index.
import type { ParamSpecs, ParamValues } from '../../sim/params.ts';
import type { Rng } from '../../sim/rng.ts';

export const kmeansParams = {
  k: { type: 'int', default: 6, min: 1, max: 10_000, doc: 'clusters (at most the number of points clustered)' },
  restarts: {
    type: 'int',
    default: 4,
    min: 1,
    max: 1000,
    doc: 'seedings, each run to convergence; the lowest inertia is kept (scikit-learn n_init)',
  },
  maxIterations: {
    type: 'int',
    default: 100,
    min: 1,
    max: 100_000,
    doc: 'Lloyd iterations per restart at most (it stops sooner once no assignment changes)',
  },
  localTrials: {
    type: 'int',
    default: 0,
    min: 0,
    max: 100,
    doc:
      'candidates drawn per seeded centre, the one that lowers the inertia most kept (0: 2 + ' +
      'floor(ln k), as scikit-learn; 1: plain k-means++)',
  },
} as const satisfies ParamSpecs;

export type KMeansParams = ParamValues<typeof kmeansParams>;

/** Points to cluster: n x dim, row-major. */
export type Points = Float32Array | Float64Array;

/** A fitted clustering: its centres, the training points' clusters, and a nearest-centre lookup for new points. */
export class Clustering {
  constructor(
    readonly k: number,
    readonly dim: number,
    /** k x dim, row-major: the centres. */
    readonly centres: Float64Array,
    /** n: each training point's cluster (its nearest centre, ties to the lower index). */
    readonly assignments: Int32Array,
    /** Sum over the training points of the squared distance to their centre. */
    readonly inertia: number,
    /** Lloyd iterations the kept restart ran. */
    readonly iterations: number,
    /** iterations + 1: the kept restart's inertia after seeding and after each iteration. */
    readonly inertiaTrace: Float64Array,
    /** restarts: each restart's final inertia (the kept one is the first lowest). */
    readonly restartInertia: Float64Array,
  ) {}

  /** The cluster of the point at point[offset..offset+dim): its nearest centre, ties to the lower index. */
  assign(point: Points, offset = 0): number {
    if (offset < 0 || offset + this.dim > point.length) {
      throw new Error(
        `k-means: a point needs ${this.dim} features from offset ${offset}, but the array holds ${point.length}`,
      );
    }
    return nearestCentre(this.centres, this.k, this.dim, point, offset);
  }

  /** Writes the cluster of every row of `points` (rows x dim, row-major) to out[0..rows). */
  assignAll(points: Points, out: Int32Array): void {
    const rows = checkShape(points, this.dim);
    if (out.length < rows)
      throw new Error(`k-means: ${rows} points need an output of at least ${rows}, got ${out.length}`);
    for (let row = 0; row < rows; row++)
      out[row] = nearestCentre(this.centres, this.k, this.dim, points, row * this.dim);
  }
}

/**
 * Clusters the n = points.length / dim rows of `points` (n x dim, row-major) into k clusters.
 * Same points, options and stream state give the same clustering.
 */
export function kmeans(
  points: Points,
  dim: number,
  options: Partial<KMeansParams> & { k: number },
  rng: Rng,
): Clustering {
  const { k, restarts = kmeansParams.restarts.default, maxIterations = kmeansParams.maxIterations.default } = options;
  const n = checkShape(points, dim);
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new Error(`k-means: k must be a whole number from 1 to the number of points (${n}), got ${k}`);
  }
  checkCount('restarts', restarts);
  checkCount('maxIterations', maxIterations);
  const localTrials = options.localTrials || 2 + Math.floor(Math.log(k));
  checkCount('localTrials', localTrials);
  checkFinite(points, dim, 'point');
  // One array type in the loops below, whatever the caller holds.
  const x = points instanceof Float64Array ? points : Float64Array.from(points);
  const work = new Workspace(x, n, dim, k);
  const best = {
    centres: new Float64Array(k * dim),
    assignments: new Int32Array(n),
    inertia: Infinity,
    trace: [] as number[],
  };
  const restartInertia = new Float64Array(restarts);
  for (let restart = 0; restart < restarts; restart++) {
    work.seed(localTrials, rng);
    const trace = work.iterate(maxIterations);
    restartInertia[restart] = work.inertia;
    if (work.inertia < best.inertia) {
      best.centres.set(work.centres);
      best.assignments.set(work.assignments);
      best.inertia = work.inertia;
      best.trace = trace;
    }
  }
  return new Clustering(
    k,
    dim,
    best.centres,
    best.assignments,
    best.inertia,
    best.trace.length - 1,
    Float64Array.from(best.trace),
    restartInertia,
  );
}

/**
 * Lloyd's iterations from given centres (k x dim, row-major; not modified), no seeding and no
 * draws: to re-cluster a grown data set from the previous centres, or to start from chosen ones.
 */
export function lloyd(
  points: Points,
  dim: number,
  initialCentres: Float64Array,
  maxIterations: number = kmeansParams.maxIterations.default,
): Clustering {
  const n = checkShape(points, dim);
  if (initialCentres.length === 0 || initialCentres.length % dim !== 0) {
    throw new Error(
      `k-means: expected the initial centres as k x ${dim} features, but the array holds ` +
        `${initialCentres.length} values (not a positive multiple of ${dim})`,
    );
  }
  const k = initialCentres.length / dim;
  if (k > n)
    throw new Error(
      `k-means: k must be a whole number from 1 to the number of points (${n}), got ${k} initial centres`,
    );
  checkCount('maxIterations', maxIterations);
  checkFinite(points, dim, 'point');
  checkFinite(initialCentres, dim, 'initial centre');
  const work = new Workspace(points instanceof Float64Array ? points : Float64Array.from(points), n, dim, k);
  work.centres.set(initialCentres);
  const trace = work.iterate(maxIterations);
  return new Clustering(
    k,
    dim,
    work.centres,
    work.assignments,
    work.inertia,
    trace.length - 1,
    Float64Array.from(trace),
    Float64Array.of(work.inertia),
  );
}

/** The index of the centre (k x dim, row-major) nearest to point[offset..offset+dim), ties to the lower index. */
export function nearestCentre(centres: Float64Array, k: number, dim: number, point: Points, offset: number): number {
  let best = 0;
  let bestDistance = Infinity;
  for (let c = 0; c < k; c++) {
    let distance = 0;
    for (let j = 0, base = c * dim; j < dim; j++) {
      const diff = point[offset + j] - centres[base + j];
      distance += diff * diff;
    }
    if (distance < bestDistance) {
      bestDistance = distance;
      best = c;
    }
  }
  return best;
}

/**
 * The adjusted Rand index of two labellings of the same items (Hubert & Arabie 1985, "Comparing
 * partitions", J. Classification 2: the Rand index corrected for chance under the permutation
 * model): 1 when they are the same partition up to relabelling, about 0 (and possibly negative)
 * for independent ones. Computed as scikit-learn's adjusted_rand_score, from the pair counts
 * 2 (tp tn - fn fp) / ((tp + fn)(fn + tn) + (tp + fp)(fp + tn)), so it returns the same values,
 * including 1 when neither labelling splits anything apart that the other keeps together (two
 * trivial partitions, fewer than two items).
 */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (b.length !== n)
    throw new Error(`adjusted Rand index: the labellings must label the same items, got ${n} and ${b.length} labels`);
  const labelsA = denseLabels(a);
  const labelsB = denseLabels(b);
  const sizesA = new Float64Array(labelsA.count);
  const sizesB = new Float64Array(labelsB.count);
  // The contingency table's non-zero cells, keyed by ia * countB + ib.
  const cells = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const ia = labelsA.ids[i];
    const ib = labelsB.ids[i];
    sizesA[ia]++;
    sizesB[ib]++;
    const key = ia * labelsB.count + ib;
    cells.set(key, (cells.get(key) ?? 0) + 1);
  }
  // Unordered pairs of items: together in both (tp), only in b (fp), only in a (fn), in neither (tn).
  let together = 0;
  for (const count of cells.values()) together += pairs(count);
  let togetherA = 0;
  for (let i = 0; i < sizesA.length; i++) togetherA += pairs(sizesA[i]);
  let togetherB = 0;
  for (let i = 0; i < sizesB.length; i++) togetherB += pairs(sizesB[i]);
  const tp = together;
  const fp = togetherB - together;
  const fn = togetherA - together;
  const tn = pairs(n) - tp - fp - fn;
  if (fn === 0 && fp === 0) return 1;
  return (2 * (tp * tn - fn * fp)) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn));
}

function pairs(count: number): number {
  return (count * (count - 1)) / 2;
}

/** Labels renumbered 0..count-1 in order of first appearance. */
function denseLabels(labels: ArrayLike<number>): { ids: Int32Array; count: number } {
  const ids = new Int32Array(labels.length);
  const seen = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) {
    let id = seen.get(labels[i]);
    if (id === undefined) {
      id = seen.size;
      seen.set(labels[i], id);
    }
    ids[i] = id;
  }
  return { ids, count: seen.size };
}

/** The number of rows of `points` (rows x dim), or an error that says what does not fit. */
function checkShape(points: Points, dim: number): number {
  if (!Number.isInteger(dim) || dim < 1)
    throw new Error(`k-means: the dimension must be a whole number of at least 1, got ${dim}`);
  if (points.length === 0 || points.length % dim !== 0) {
    throw new Error(
      `k-means: expected points as rows x ${dim} features, but the array holds ${points.length} ` +
        `values (not a positive multiple of ${dim})`,
    );
  }
  return points.length / dim;
}

function checkFinite(values: Points, dim: number, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new Error(
        `k-means: ${what} ${Math.floor(i / dim)}, feature ${i % dim} is ${values[i]}; every ` +
          `feature must be a finite number`,
      );
    }
  }
}

function checkCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`k-means: ${name} must be a whole number of at least 1, got ${value}`);
}

/** One restart's state, reused across restarts: no allocation inside the iterations. */
class Workspace {
  /** k x dim, row-major: the current centres. */
  readonly centres: Float64Array;
  /** n: each point's cluster. */
  readonly assignments: Int32Array;
  /** n: each point's squared distance to its centre (while seeding: to the nearest centre chosen). */
  private readonly distances: Float64Array;
  /** n: seeding scratch, the squared distances if the candidate under trial were added. */
  private trialDistances: Float64Array;
  /** n: seeding scratch, the best trial's distances so far. */
  private bestTrialDistances: Float64Array;
  /** k x dim, row-major: per-cluster feature sums of the update step. */
  private readonly sums: Float64Array;
  /** k: points per cluster. */
  private readonly counts: Int32Array;
  /** Sum of `distances`, as of the last assign(). */
  inertia = Infinity;

  constructor(
    private readonly x: Float64Array, // n x dim, row-major
    private readonly n: number,
    private readonly dim: number,
    private readonly k: number,
  ) {
    this.centres = new Float64Array(k * dim);
    this.assignments = new Int32Array(n);
    this.distances = new Float64Array(n);
    this.trialDistances = new Float64Array(n);
    this.bestTrialDistances = new Float64Array(n);
    this.sums = new Float64Array(k * dim);
    this.counts = new Int32Array(k);
  }

  /**
   * Greedy k-means++ (Arthur & Vassilvitskii 2007, section 2.2): the first centre a uniform point,
   * each next one drawn with probability proportional to its squared distance to the nearest
   * centre chosen so far; of `trials` such draws, the one leaving the smallest total is kept.
   */
  seed(trials: number, rng: Rng): void {
    const { x, n, dim, k, distances } = this;
    const first = rng.int(n);
    this.centres.set(x.subarray(first * dim, (first + 1) * dim), 0);
    let potential = 0;
    for (let i = 0; i < n; i++) {
      const d = squaredDistance(x, i * dim, x, first * dim, dim);
      distances[i] = d;
      potential += d;
    }
    for (let c = 1; c < k; c++) {
      let chosen = -1;
      let chosenPotential = Infinity;
      for (let trial = 0; trial < trials; trial++) {
        const candidate = drawBySquaredDistance(distances, n, potential, rng);
        const trialDistances = this.trialDistances;
        let total = 0;
        for (let i = 0; i < n; i++) {
          const d = Math.min(distances[i], squaredDistance(x, i * dim, x, candidate * dim, dim));
          trialDistances[i] = d;
          total += d;
        }
        if (total < chosenPotential) {
          chosen = candidate;
          chosenPotential = total;
          this.trialDistances = this.bestTrialDistances;
          this.bestTrialDistances = trialDistances;
        }
      }
      this.centres.set(x.subarray(chosen * dim, (chosen + 1) * dim), c * dim);
      distances.set(this.bestTrialDistances);
      potential = chosenPotential;
    }
  }

  /**
   * Lloyd's iterations from the current centres: assign, then (update, assign) until no point
   * changes cluster or maxIterations updates ran. Returns the inertia after the first assignment
   * and after each iteration; the centres, assignments and inertia are left consistent (every
   * point assigned to its nearest centre).
   */
  iterate(maxIterations: number): number[] {
    this.assign();
    const trace = [this.inertia];
    for (let iteration = 0; iteration < maxIterations; iteration++) {
      const relocated = this.update();
      const changed = this.assign();
      trace.push(this.inertia);
      if (changed === 0 && !relocated) break;
    }
    return trace;
  }

  /** The assignment step: every point to its nearest centre. Returns how many points changed cluster. */
  assign(): number {
    const { x, n, dim, k, centres, assignments, distances } = this;
    let changed = 0;
    let inertia = 0;
    for (let i = 0; i < n; i++) {
      const base = i * dim;
      let best = 0;
      let bestDistance = Infinity;
      for (let c = 0; c < k; c++) {
        const d = squaredDistance(x, base, centres, c * dim, dim);
        if (d < bestDistance) {
          bestDistance = d;
          best = c;
        }
      }
      if (assignments[i] !== best) changed++;
      assignments[i] = best;
      distances[i] = bestDistance;
      inertia += bestDistance;
    }
    this.inertia = inertia;
    return changed;
  }

  /**
   * The update step: every centre to the mean of its points. A cluster left empty takes the point
   * farthest from its own centre, from a cluster that keeps at least one point (scikit-learn's
   * relocation of empty clusters): that point's cost drops to 0 and the inertia cannot rise.
   * Returns whether a point was moved so.
   */
  update(): boolean {
    const { x, n, dim, k, centres, assignments, distances, sums, counts } = this;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[assignments[i]]++;
    let relocated = false;
    for (let c = 0; c < k; c++) {
      if (counts[c] > 0) continue;
      let farthest = -1;
      let farthestDistance = 0;
      for (let i = 0; i < n; i++) {
        if (distances[i] > farthestDistance && counts[assignments[i]] > 1) {
          farthest = i;
          farthestDistance = distances[i];
        }
      }
      // None: every point sits on a centre (fewer distinct points than k); the centre stays put.
      if (farthest < 0) continue;
      counts[assignments[farthest]]--;
      counts[c] = 1;
      assignments[farthest] = c;
      distances[farthest] = 0;
      relocated = true;
    }
    sums.fill(0);
    for (let i = 0; i < n; i++) {
      const base = assignments[i] * dim;
      for (let j = 0, row = i * dim; j < dim; j++) sums[base + j] += x[row + j];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) continue;
      const count = counts[c];
      for (let j = 0, base = c * dim; j < dim; j++) centres[base + j] = sums[base + j] / count;
    }
    return relocated;
  }
}

function squaredDistance(a: Float64Array, aOffset: number, b: Float64Array, bOffset: number, dim: number): number {
  let sum = 0;
  for (let j = 0; j < dim; j++) {
    const diff = a[aOffset + j] - b[bOffset + j];
    sum += diff * diff;
  }
  return sum;
}

/**
 * A point index drawn with probability distances[i] / potential (potential: their sum, in index
 * order, as Rng.categorical sums them); uniform when every distance is 0.
 */
function drawBySquaredDistance(distances: Float64Array, n: number, potential: number, rng: Rng): number {
  return potential > 0 ? rng.categorical(distances, n) : rng.int(n);
}
