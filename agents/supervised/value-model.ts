// The value model production feeds rank by: a multi-task network (multitask.ts) predicts every
// signal of each candidate, learned from a log of the impressions its owner's pages made
// (signal-log.ts), refitted every `retrainEvery` training steps; a candidate's value is the sum over
// signals of a weight x the prediction, in the reward's units. The ranker ranks by it; reinforce
// can start from it (its `prior`).
import type { WorldSpec } from '../../sim/env.ts';
import type { Rng } from '../../sim/rng.ts';
import type { Transition } from '../agent.ts';
import type { StateReader } from '../state.ts';
import { CandidateFeatures, logImpressions } from './features.ts';
import { MultiTaskNet } from './multitask.ts';
import { headsOf, SignalLog, type Head } from './signal-log.ts';

/** The value model's weights as an agent parameter group (the ranker's `value`, reinforce's `value`). */
export const VALUE_WEIGHTS = {
  type: 'group',
  doc:
    "the value model: weight of each predicted signal in a candidate's value (signals the world " +
    'lacks are ignored)',
  params: {
    view: { type: 'number', default: 0, doc: 'per predicted valid view' },
    watchMinutes: { type: 'number', default: 1, doc: 'per predicted minute on the post' },
    like: { type: 'number', default: 0.5, doc: 'per predicted like' },
    comment: { type: 'number', default: 1, doc: 'per predicted comment' },
    share: { type: 'number', default: 2, doc: 'per predicted share' },
    follow: { type: 'number', default: 3, doc: 'per predicted follow' },
    seeLess: { type: 'number', default: -5, doc: 'per predicted "see less" (negative: a cost)' },
    click: { type: 'number', default: 0, doc: 'per predicted click (worlds whose click signal is named click)' },
  },
} as const;

export interface ValueModelOptions {
  readonly hidden: number;
  readonly learningRate: number;
  readonly fitBatch: number;
  readonly logSize: number;
  readonly epochs: number;
  readonly retrainEvery: number;
  /** Weight per signal name (VALUE_WEIGHTS); signals not named weigh 0. */
  readonly value: Readonly<Record<string, number>>;
}

/**
 * Bytes of a value model (networks cannot be built before their backend is loaded, so the memory
 * check, lab/run/plan.ts, takes this count): the log, a batch of B x N candidates' features and
 * predictions, and the network with Adam's two moments (float32, three copies of every weight).
 */
export function valueModelMemory(
  spec: WorldSpec,
  options: Pick<ValueModelOptions, 'hidden' | 'logSize' | 'fitBatch'>,
): number {
  const f = new CandidateFeatures(spec).size;
  const h = headsOf(spec).length;
  const rows = spec.batchSize * spec.numCandidates;
  const sizes = [f, options.hidden, Math.max(1, options.hidden >> 1), h];
  let weights = 0;
  for (let i = 1; i < sizes.length; i++) weights += sizes[i - 1] * sizes[i] + sizes[i];
  return (
    options.logSize * (f + h) * 4 + rows * (f * 12 + h * 4 + 8) + weights * 4 * 3 + options.fitBatch * (f + h) * 4 * 4
  );
}

export class ValueModel {
  readonly features: CandidateFeatures;
  readonly heads: readonly Head[];
  /** The weight of each head in a value. */
  readonly weights: readonly number[];
  private readonly net: MultiTaskNet;
  private readonly log: SignalLog;
  private readonly block: Float64Array;
  private sinceFit = 0;
  /** Whether the network has been fitted once (before, every prediction is 0). */
  fitted = false;
  lastLoss = Number.NaN;

  constructor(
    private readonly spec: WorldSpec,
    private readonly options: ValueModelOptions,
    init: Rng,
    name: string,
  ) {
    this.features = new CandidateFeatures(spec);
    this.heads = headsOf(spec);
    this.weights = this.heads.map((head) => options.value[head.signal] ?? 0);
    const f = this.features.size;
    this.net = new MultiTaskNet(
      f,
      this.heads,
      {
        hidden: [options.hidden, Math.max(1, options.hidden >> 1)],
        learningRate: options.learningRate,
        batchSize: options.fitBatch,
      },
      init,
      name,
    );
    this.log = new SignalLog(options.logSize, f, this.heads);
    this.block = new Float64Array(spec.numCandidates * f);
  }

  /** Impressions logged. */
  get logged(): number {
    return this.log.size;
  }

  /** Logs a training round's impressions; counts its steps towards the next refit. */
  observe(transition: Transition): void {
    this.sinceFit += logImpressions(transition, this.features, this.block, this.log, this.spec);
  }

  /** Refits on the log when `retrainEvery` steps have been logged since the last; returns whether it did. */
  refitIfDue(rng: Rng): boolean {
    if (this.sinceFit < this.options.retrainEvery) return false;
    this.sinceFit = 0;
    this.lastLoss = this.net.fit(this.log, rng, this.options.epochs);
    this.fitted = true;
    return true;
  }

  /**
   * Predictions (count x H, into predictions) and values (count, into values) of `count` feature
   * rows at x (count x F); all 0 before the first fit (retrieval order).
   */
  predict(x: Float32Array, count: number, predictions: Float32Array, values: Float64Array | Float32Array): void {
    const h = this.heads.length;
    if (!this.fitted) {
      predictions.fill(0, 0, count * h);
      values.fill(0, 0, count);
      return;
    }
    this.net.predict(x, count, predictions);
    for (let i = 0; i < count; i++) {
      let value = 0;
      for (let j = 0; j < h; j++) value += this.weights[j] * predictions[i * h + j];
      values[i] = value;
    }
  }

  save() {
    return { fitted: this.fitted, ...this.net.save() };
  }

  load(saved: StateReader): void {
    this.net.load(saved);
    this.fitted = saved.boolean('fitted');
  }

  dispose(): void {
    this.net.dispose();
  }
}
