// The multi-task network of the value-model ranker: from a candidate's features (features.ts) it
// predicts every engagement signal of a post that reaches the screen, the way production feeds do
// (one network, one output per signal): a probability for each binary signal (view, like,
// comment, share, follow, see less) and, for a duration (watchMinutes), the expected minutes, so
// that a value model weighs them in the reward's units; `skip` is left out (it is 1 - view in the
// feed: signal-log.ts headsOf). Trained by Adam on a log of impressions (signal-log.ts), on
// TensorFlow.js (agents/nets/: the backend must be chosen first, useBackend).
import type * as TF from '@tensorflow/tfjs';
import type { Rng } from '../../sim/rng.ts';
import { Mlp } from '../nets/dense.ts';
import { tfjs } from '../nets/tf.ts';
import type { Head, SignalLog } from './signal-log.ts';
import { StateMismatch, type AgentState, type StateReader } from '../state.ts';

export interface MultiTaskOptions {
  readonly hidden: readonly number[];
  readonly learningRate: number;
  readonly batchSize: number;
}

export class MultiTaskNet {
  readonly net: Mlp;
  private readonly optimizer: TF.Optimizer;
  private readonly binaryMask: TF.Tensor1D;
  private readonly durationMask: TF.Tensor1D;
  /**
   * Inputs are standardised with the mean and sd of each feature over the log at the first fit
   * (counts in the thousands next to one-hots: without it Adam fits the large ones first). Kept
   * fixed afterwards, so a warm-started fit sees the same inputs.
   */
  private shift: TF.Tensor1D | null = null;
  private scale: TF.Tensor1D | null = null;

  constructor(
    readonly width: number,
    readonly heads: readonly Head[],
    private readonly options: MultiTaskOptions,
    rng: Rng,
    name: string,
  ) {
    const tf = tfjs();
    this.net = new Mlp([width, ...options.hidden, heads.length], rng, name);
    this.optimizer = tf.train.adam(options.learningRate);
    this.binaryMask = tf.tensor1d(heads.map((head) => (head.kind === 'binary' ? 1 : 0)));
    this.durationMask = tf.tensor1d(heads.map((head) => (head.kind === 'duration' ? 1 : 0)));
  }

  /**
   * `epochs` passes of Adam over the log in an order shuffled by `rng`; the loss of a batch is the
   * sum over heads of the mean log-loss (binary) or squared error (durations). Returns the mean
   * loss of the last pass.
   */
  fit(log: SignalLog, rng: Rng, epochs: number): number {
    const tf = tfjs();
    const n = log.size;
    if (n === 0) return Number.NaN;
    const f = this.width;
    const h = this.heads.length;
    if (!this.shift) {
      this.standardise(log);
      this.startAtBaseRates(log);
    }
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const x = new Float32Array(this.options.batchSize * f);
    const y = new Float32Array(this.options.batchSize * h);
    let total = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      rng.shuffle(order, n);
      total = 0;
      for (let start = 0; start < n; start += this.options.batchSize) {
        const size = Math.min(this.options.batchSize, n - start);
        for (let b = 0; b < size; b++) {
          const row = order[start + b];
          x.set(log.features.subarray(row * f, (row + 1) * f), b * f);
          y.set(log.targets.subarray(row * h, (row + 1) * h), b * h);
        }
        const loss = tf.tidy(() => {
          const xs = tf.tensor2d(x.subarray(0, size * f), [size, f]);
          const ys = tf.tensor2d(y.subarray(0, size * h), [size, h]);
          return this.optimizer.minimize(() => this.loss(xs, ys), true, this.net.variables())!;
        });
        total += loss.dataSync()[0] * size;
        loss.dispose();
      }
    }
    return total / n;
  }

  /** Mean and sd (1 for a constant feature) of each feature over the log. */
  private standardise(log: SignalLog): void {
    const tf = tfjs();
    const f = this.width;
    const mean = new Float64Array(f);
    const square = new Float64Array(f);
    for (let r = 0; r < log.size; r++) {
      for (let j = 0; j < f; j++) {
        const v = log.features[r * f + j];
        mean[j] += v;
        square[j] += v * v;
      }
    }
    const sd = new Float32Array(f);
    for (let j = 0; j < f; j++) {
      mean[j] /= log.size;
      const variance = square[j] / log.size - mean[j] * mean[j];
      sd[j] = variance > 1e-12 ? Math.sqrt(variance) : 1;
    }
    this.shift = tf.tensor1d(Float32Array.from(mean));
    this.scale = tf.tensor1d(sd);
  }

  /**
   * Starts each output at its average over the log (a binary head's bias at the logit of its base
   * rate, a duration head's at its mean target): a follow in a few thousand impressions sits at a
   * logit near -8, which Adam would take thousands of steps to reach from 0.
   */
  private startAtBaseRates(log: SignalLog): void {
    const tf = tfjs();
    const h = this.heads.length;
    const mean = new Float64Array(h);
    for (let r = 0; r < log.size; r++) for (let i = 0; i < h; i++) mean[i] += log.targets[r * h + i];
    const bias = this.heads.map((head, i) => {
      const m = mean[i] / log.size;
      if (head.kind === 'duration') return m;
      const p = Math.min(1 - 1e-6, Math.max(1e-6, m));
      return Math.log(p / (1 - p));
    });
    this.net.layers[this.net.layers.length - 1].b.assign(tf.tensor1d(bias));
  }

  private inputs(xs: TF.Tensor2D): TF.Tensor2D {
    const tf = tfjs();
    return this.shift && this.scale ? (tf.div(tf.sub(xs, this.shift), this.scale) as TF.Tensor2D) : xs;
  }

  private loss(xs: TF.Tensor2D, ys: TF.Tensor2D): TF.Scalar {
    const tf = tfjs();
    const logits = this.net.apply(this.inputs(xs));
    // Binary heads: log-loss on the logits (stable form); duration heads: squared error.
    const logLoss = tf.mul(
      tf.losses.sigmoidCrossEntropy(ys, logits, undefined, undefined, tf.Reduction.NONE),
      this.binaryMask,
    );
    const squared = tf.mul(tf.square(tf.sub(logits, ys)), this.durationMask);
    return tf.sum(tf.mean(tf.add(logLoss, squared), 0)) as TF.Scalar;
  }

  /**
   * Predictions for `count` feature rows at x (count x F): per row and head, a probability (binary)
   * or an expected duration, into out (count x H).
   */
  predict(x: Float32Array, count: number, out: Float32Array): void {
    const tf = tfjs();
    const h = this.heads.length;
    const values = tf.tidy(() => {
      const logits = this.net.apply(this.inputs(tf.tensor2d(x.subarray(0, count * this.width), [count, this.width])));
      return tf.add(tf.mul(tf.sigmoid(logits), this.binaryMask), tf.mul(logits, this.durationMask));
    });
    out.set(values.dataSync().subarray(0, count * h));
    values.dispose();
  }

  /**
   * The weights (layer by layer, w then b) and the input standardisation as saved state (null
   * before the first fit). Adam's moments are not saved: a fit after a load starts them afresh.
   */
  save(): AgentState {
    return {
      heads: this.heads.map((head) => head.signal),
      sizes: [...this.net.sizes],
      weights: this.net.weights().map((values) => Float32Array.from(values)),
      shift: this.shift ? Float32Array.from(this.shift.dataSync()) : null,
      scale: this.scale ? Float32Array.from(this.scale.dataSync()) : null,
    };
  }

  load(saved: StateReader): void {
    const tf = tfjs();
    saved.expect(
      'heads',
      this.heads.map((head) => head.signal),
      'heads (signals predicted)',
    );
    saved.expect('sizes', [...this.net.sizes], 'layer sizes (inputs, hidden..., heads)');
    const weights = saved.optional('weights');
    const variables = this.net.variables();
    if (!Array.isArray(weights) || weights.length !== variables.length)
      throw new StateMismatch(`the saved network has no weights for its ${variables.length} variables`);
    variables.forEach((variable, i) => {
      const values = weights[i];
      if (!(values instanceof Float32Array) || values.length !== variable.size)
        throw new StateMismatch(`the saved network's variable ${i} does not have ${variable.size} values`);
      variable.assign(tf.tensor(values, variable.shape));
    });
    this.shift?.dispose();
    this.scale?.dispose();
    const standardised = saved.optional('shift') !== null;
    this.shift = standardised ? tf.tensor1d(Float32Array.from(saved.arrayOf('shift', this.width))) : null;
    this.scale = standardised ? tf.tensor1d(Float32Array.from(saved.arrayOf('scale', this.width))) : null;
  }

  dispose(): void {
    this.net.dispose();
    this.optimizer.dispose();
    this.binaryMask.dispose();
    this.durationMask.dispose();
    this.shift?.dispose();
    this.scale?.dispose();
  }
}

/**
 * Expected calibration error of probabilities p against outcomes y over `bins` bins of equal
 * count (sorted by p): sum over bins of (bin size / n) |mean p - mean y|.
 */
export function expectedCalibrationError(p: ArrayLike<number>, y: ArrayLike<number>, bins: number): number {
  const n = p.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => p[a] - p[b] || a - b);
  let ece = 0;
  for (let bin = 0; bin < bins; bin++) {
    const lo = Math.floor((bin * n) / bins);
    const hi = Math.floor(((bin + 1) * n) / bins);
    if (hi <= lo) continue;
    let sp = 0;
    let sy = 0;
    for (let i = lo; i < hi; i++) {
      sp += p[order[i]];
      sy += y[order[i]];
    }
    ece += Math.abs(sp - sy) / n;
  }
  return ece;
}
