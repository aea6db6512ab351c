// Logistic regression on a log of impressions (signal-log.ts, one binary head: the click), in typed
// arrays: what a production click-through model is at its simplest. The log grows as the agent
// acts (a ring once full); the model is
// refitted on it periodically by mini-batch Adam with an L2 penalty, warm-started from the last fit.
import type { Rng } from '../../sim/rng.ts';
import type { SignalLog } from './signal-log.ts';
import type { AgentState, StateReader } from '../state.ts';

export interface FitOptions {
  readonly epochs: number;
  readonly learningRate: number;
  readonly l2: number;
  readonly batchSize: number;
}

export class LogisticModel {
  readonly weights: Float64Array;
  // Adam's moment estimates and step count, kept across fits (a warm start).
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;
  private readonly gradient: Float64Array;
  private order = new Int32Array(0);

  constructor(readonly width: number) {
    this.weights = new Float64Array(width);
    this.m = new Float64Array(width);
    this.v = new Float64Array(width);
    this.gradient = new Float64Array(width);
  }

  /** The weights and Adam's moments as saved state (a warm start survives a save and load). */
  save(): AgentState {
    return {
      weights: Float64Array.from(this.weights),
      adamM: Float64Array.from(this.m),
      adamV: Float64Array.from(this.v),
      adamSteps: this.t,
    };
  }

  load(saved: StateReader): void {
    saved.array('weights', this.weights);
    saved.array('adamM', this.m);
    saved.array('adamV', this.v);
    this.t = saved.number('adamSteps');
  }

  /** P(label = 1) for the features at x[offset .. offset + F). */
  predict(x: ArrayLike<number>, offset: number): number {
    const w = this.weights;
    let z = 0;
    for (let j = 0; j < this.width; j++) z += w[j] * x[offset + j];
    return 1 / (1 + Math.exp(-z));
  }

  /**
   * `epochs` passes of mini-batch Adam over the log, rows in an order shuffled by `rng`; returns
   * the mean log-loss of the last pass (each batch measured before its update).
   */
  fit(log: SignalLog, rng: Rng, options: FitOptions): number {
    const n = log.size;
    if (n === 0) return Number.NaN;
    if (this.order.length < n) this.order = new Int32Array(log.capacity);
    const order = this.order;
    for (let i = 0; i < n; i++) order[i] = i;
    const { width: f, weights: w, gradient: g, m, v } = this;
    const beta1 = 0.9;
    const beta2 = 0.999;
    let loss = 0;
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      // From the stream: the same log and stream give the same fit.
      rng.shuffle(order, n);
      loss = 0;
      for (let start = 0; start < n; start += options.batchSize) {
        const end = Math.min(n, start + options.batchSize);
        g.fill(0);
        for (let i = start; i < end; i++) {
          const row = order[i];
          const base = row * f;
          let z = 0;
          for (let j = 0; j < f; j++) z += w[j] * log.features[base + j];
          const p = 1 / (1 + Math.exp(-z));
          const y = log.targets[row * log.heads.length]; // the first head: the click
          loss -= y === 1 ? Math.log(Math.max(p, 1e-12)) : Math.log(Math.max(1 - p, 1e-12));
          const residual = p - y;
          for (let j = 0; j < f; j++) g[j] += residual * log.features[base + j];
        }
        const scale = 1 / (end - start);
        this.t++;
        const correction1 = 1 - beta1 ** this.t;
        const correction2 = 1 - beta2 ** this.t;
        for (let j = 0; j < f; j++) {
          const grad = g[j] * scale + options.l2 * w[j];
          m[j] = beta1 * m[j] + (1 - beta1) * grad;
          v[j] = beta2 * v[j] + (1 - beta2) * grad * grad;
          w[j] -= (options.learningRate * (m[j] / correction1)) / (Math.sqrt(v[j] / correction2) + 1e-8);
        }
      }
      loss /= n;
    }
    return loss;
  }
}
