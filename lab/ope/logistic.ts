// L2-regularised logistic regression, binary and multinomial, with sample weights, as
// scikit-learn's LogisticRegression fits it (the replication of OBP's synthetic benchmark,
// lab/ope/obp-synthetic.ts, uses it where OBP does): minimise
//   C x sum_i w_i (log-loss of row i) + 1/2 ||W||^2   (the intercepts not penalised)
// by L-BFGS (scikit-learn's default solver too) with a backtracking line search, until the
// gradient's largest entry is below 1e-6 (scikit-learn stops at 1e-4).

export interface LogisticModel {
  /** K x (D + 1): per class, the weights then the intercept (binary: K = 1, the positive class). */
  readonly weights: Float64Array;
  readonly classes: number;
  readonly features: number;
}

const MAX_ITERATIONS = 10_000;
const GRADIENT_TOLERANCE = 1e-6;
const HISTORY = 10;

/** Minimises f from x (updated in place): L-BFGS with an Armijo backtracking line search. */
function minimiseLbfgs(x: Float64Array, f: (x: Float64Array, gradient: Float64Array) => number): void {
  const size = x.length;
  let gradient = new Float64Array(size);
  let value = f(x, gradient);
  const steps: Float64Array[] = [];
  const changes: Float64Array[] = [];
  const rhos: number[] = [];
  const direction = new Float64Array(size);
  const alpha = new Float64Array(HISTORY);
  const candidate = new Float64Array(size);
  let nextGradient = new Float64Array(size);
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let i = 0; i < size; i++) s += a[i] * b[i];
    return s;
  };
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    let largest = 0;
    for (const g of gradient) largest = Math.max(largest, Math.abs(g));
    if (largest < GRADIENT_TOLERANCE) return;
    // Two-loop recursion: direction = -H gradient.
    direction.set(gradient);
    for (let m = steps.length - 1; m >= 0; m--) {
      alpha[m] = rhos[m] * dot(steps[m], direction);
      for (let i = 0; i < size; i++) direction[i] -= alpha[m] * changes[m][i];
    }
    const last = steps.length - 1;
    const scale =
      last >= 0 ? dot(steps[last], changes[last]) / dot(changes[last], changes[last]) : 1 / Math.max(1, largest);
    for (let i = 0; i < size; i++) direction[i] *= scale;
    for (let m = 0; m < steps.length; m++) {
      const beta = rhos[m] * dot(changes[m], direction);
      for (let i = 0; i < size; i++) direction[i] += steps[m][i] * (alpha[m] - beta);
    }
    for (let i = 0; i < size; i++) direction[i] = -direction[i];
    let slope = dot(gradient, direction);
    if (slope >= 0) {
      // Not a descent direction (curvature lost): start again from the gradient.
      for (let i = 0; i < size; i++) direction[i] = -gradient[i];
      slope = dot(gradient, direction);
      steps.length = 0;
      changes.length = 0;
      rhos.length = 0;
    }
    let t = 1;
    let next = Number.NaN;
    for (let tries = 0; tries < 60; tries++) {
      for (let i = 0; i < size; i++) candidate[i] = x[i] + t * direction[i];
      next = f(candidate, nextGradient);
      if (next <= value + 1e-4 * t * slope) break;
      t /= 2;
    }
    if (!(next <= value)) return; // no progress possible at this precision
    const step = new Float64Array(size);
    const change = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      step[i] = candidate[i] - x[i];
      change[i] = nextGradient[i] - gradient[i];
    }
    const curvature = dot(step, change);
    if (curvature > 1e-12) {
      steps.push(step);
      changes.push(change);
      rhos.push(1 / curvature);
      if (steps.length > HISTORY) {
        steps.shift();
        changes.shift();
        rhos.shift();
      }
    }
    x.set(candidate);
    const converged = Math.abs(value - next) <= 1e-14 * Math.max(1, Math.abs(value));
    value = next;
    [gradient, nextGradient] = [nextGradient, gradient];
    if (converged) return;
  }
}

/**
 * Fits P(y = k | x) = softmax_k(W_k . x + b_k) for K >= 2 classes (y in 0..K-1), or, with
 * `classes` 2 and `binary`, the sigmoid of one score (scikit-learn's binary parametrisation).
 */
export function fitLogistic(
  x: Float64Array,
  y: Int32Array,
  options: {
    readonly features: number;
    readonly classes: number;
    readonly c: number;
    readonly sampleWeight?: Float64Array;
  },
): LogisticModel {
  const { features: d, classes, c } = options;
  const binary = classes === 2;
  const k = binary ? 1 : classes;
  const p = d + 1;
  const size = k * p;
  const n = y.length;
  const w = options.sampleWeight ?? new Float64Array(n).fill(1);
  const theta = new Float64Array(size);
  const probs = new Float64Array(k);
  const row = new Float64Array(p);

  const scores = (i: number, params: Float64Array, out: Float64Array) => {
    for (let j = 0; j < d; j++) row[j] = x[i * d + j];
    row[d] = 1;
    for (let a = 0; a < k; a++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += params[a * p + j] * row[j];
      out[a] = s;
    }
  };
  const probabilities = (out: Float64Array) => {
    if (binary) {
      out[0] = 1 / (1 + Math.exp(-out[0]));
      return;
    }
    let max = -Infinity;
    for (let a = 0; a < k; a++) max = Math.max(max, out[a]);
    let total = 0;
    for (let a = 0; a < k; a++) {
      out[a] = Math.exp(out[a] - max);
      total += out[a];
    }
    for (let a = 0; a < k; a++) out[a] /= total;
  };
  const penalty = (params: Float64Array) => {
    let s = 0;
    for (let a = 0; a < k; a++) for (let j = 0; j < d; j++) s += params[a * p + j] ** 2;
    return s / 2;
  };
  // The objective and its gradient together (one pass over the rows).
  const evaluate = (params: Float64Array, gradient: Float64Array): number => {
    gradient.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      if (w[i] === 0) continue;
      scores(i, params, probs);
      probabilities(probs);
      const target = binary ? (y[i] === 1 ? probs[0] : 1 - probs[0]) : probs[y[i]];
      loss -= w[i] * Math.log(Math.max(target, 1e-300));
      for (let a = 0; a < k; a++) {
        const residual = c * w[i] * (probs[a] - (binary ? (y[i] === 1 ? 1 : 0) : y[i] === a ? 1 : 0));
        for (let j = 0; j < p; j++) gradient[a * p + j] += residual * row[j];
      }
    }
    for (let a = 0; a < k; a++) for (let j = 0; j < d; j++) gradient[a * p + j] += params[a * p + j];
    return c * loss + penalty(params);
  };
  minimiseLbfgs(theta, evaluate);
  return { weights: theta, classes, features: d };
}

/** P(y = k | x) for every class k: K values (binary: [P(0), P(1)]). */
export function predictProba(model: LogisticModel, x: ArrayLike<number>, out: Float64Array): void {
  const d = model.features;
  const p = d + 1;
  const binary = model.classes === 2;
  const k = binary ? 1 : model.classes;
  let max = -Infinity;
  for (let a = 0; a < k; a++) {
    let s = model.weights[a * p + d];
    for (let j = 0; j < d; j++) s += model.weights[a * p + j] * x[j];
    out[a] = s;
    max = Math.max(max, s);
  }
  if (binary) {
    const positive = 1 / (1 + Math.exp(-out[0]));
    out[0] = 1 - positive;
    out[1] = positive;
    return;
  }
  let total = 0;
  for (let a = 0; a < k; a++) {
    out[a] = Math.exp(out[a] - max);
    total += out[a];
  }
  for (let a = 0; a < k; a++) out[a] /= total;
}
