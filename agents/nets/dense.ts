// Dense layers and multi-layer perceptrons on TensorFlow.js, initialised from the run's streams.
//
// The wasm backend multiplies 10-20x slower when a matMul input is flagged as transposed (4.22),
// and matMul's stock gradient flags its inputs that way. `dense` gives y = x W + b a gradient whose
// products take explicitly transposed operands instead (tf.transpose, then a plain matMul): the
// same numbers (test/agents/nets.test.ts compares them with the stock gradient), about 4x faster to
// train on wasm for a 64-256-256-6 net.
import type * as TF from '@tensorflow/tfjs';
import type { Rng } from '../../sim/rng.ts';
import { tfjs } from './tf.ts';

type DenseOp = (x: TF.Tensor2D, w: TF.Tensor2D, b: TF.Tensor1D) => TF.Tensor2D;
let denseOp: DenseOp | null = null;

/** y = x W + b for x (n x in), W (in x out), b (out). */
export function dense(x: TF.Tensor2D, w: TF.Tensor2D, b: TF.Tensor1D): TF.Tensor2D {
  denseOp ??= makeDense(tfjs());
  return denseOp(x, w, b);
}

function makeDense(tf: typeof TF): DenseOp {
  return tf.customGrad(
    // customGrad's signature passes the save function last.
    ((x: TF.Tensor2D, w: TF.Tensor2D, b: TF.Tensor1D, save: TF.GradSaveFunc) => {
      save([x, w]);
      return {
        value: tf.add(tf.matMul(x, w), b) as TF.Tensor2D,
        gradFunc: (dy: TF.Tensor2D, saved: TF.Tensor[]) => {
          const [xs, ws] = saved as [TF.Tensor2D, TF.Tensor2D];
          return [tf.matMul(dy, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy), tf.sum(dy, 0)];
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0],
  ) as unknown as DenseOp;
}

/** One layer's parameters. */
export interface DenseParams {
  readonly w: TF.Variable<TF.Rank.R2>;
  readonly b: TF.Variable<TF.Rank.R1>;
}

/**
 * Glorot-uniform weights (limit sqrt(6 / (in + out))) drawn from `rng` row by row, zero biases:
 * the same stream gives the same net on every backend and machine.
 */
export function initDense(inputs: number, outputs: number, rng: Rng, name: string): DenseParams {
  const tf = tfjs();
  const limit = Math.sqrt(6 / (inputs + outputs));
  const values = new Float32Array(inputs * outputs);
  for (let i = 0; i < values.length; i++) values[i] = rng.range(-limit, limit);
  return {
    w: tf.variable(tf.tensor2d(values, [inputs, outputs]), true, `${name}/w`),
    b: tf.variable(tf.zeros([outputs]), true, `${name}/b`),
  };
}

/** Nets made so far in this thread: TensorFlow.js registers variable names globally, so each net's are made unique. */
let nets = 0;

/** A multi-layer perceptron: dense layers with ReLU between them, linear outputs. */
export class Mlp {
  readonly layers: readonly DenseParams[];

  /** sizes = [inputs, hidden..., outputs]; weights from `rng`; `name` prefixes the variables. */
  constructor(
    readonly sizes: readonly number[],
    rng: Rng,
    name: string,
  ) {
    if (sizes.length < 2) throw new Error('Mlp: sizes needs the inputs and the outputs');
    const unique = `${name}#${nets++}`;
    this.layers = sizes.slice(1).map((outputs, i) => initDense(sizes[i], outputs, rng, `${unique}/${i}`));
  }

  /** The outputs (n x out) for inputs x (n x in). */
  apply(x: TF.Tensor2D): TF.Tensor2D {
    const tf = tfjs();
    let h = x;
    this.layers.forEach((layer, i) => {
      h = dense(h, layer.w, layer.b);
      if (i < this.layers.length - 1) h = tf.relu(h);
    });
    return h;
  }

  variables(): TF.Variable[] {
    return this.layers.flatMap((layer) => [layer.w, layer.b]);
  }

  /** Every parameter as plain numbers, layer by layer (w then b), for saving and comparing. */
  weights(): Float32Array[] {
    return this.variables().map((v) => v.dataSync() as Float32Array);
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}
