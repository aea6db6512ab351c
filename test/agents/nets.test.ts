// The neural-network layer (agents/nets/): the dense layer's hand-written gradient equals the stock
// one, nets initialise from the run's streams, and training is bit-identical run to run on one
// backend (wasm, the default).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { activeBackend, useBackend } from '../../agents/nets/backend.ts';
import { dense, Mlp } from '../../agents/nets/dense.ts';
import { Rng } from '../../sim/rng.ts';

beforeAll(async () => {
  await useBackend('wasm');
}, 60_000);

/** A tensor of uniform values in [-1, 1) from a named stream. */
function uniform(shape: [number, number] | [number], key: string): tf.Tensor {
  const rng = new Rng(key);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => rng.range(-1, 1)),
    shape,
  );
}

describe('agents/nets', () => {
  it('runs on the wasm backend, chosen explicitly, and records it with the tfjs version', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(activeBackend()).toEqual({ backend: 'wasm', tfjs: tf.version.tfjs });
  });

  it('refuses a second backend in the same process', async () => {
    await expect(useBackend('cpu')).rejects.toThrow(/already runs the wasm backend/);
  });

  it("dense's gradient (explicit transposes) equals the stock matMul gradient, for x, W and b (float32, 1e-5)", () => {
    for (const [n, inputs, outputs] of [
      [5, 4, 3],
      [32, 40, 64],
      [1, 7, 1],
    ]) {
      const x = uniform([n, inputs], `x${n}`) as tf.Tensor2D;
      const w = uniform([inputs, outputs], `w${n}`) as tf.Tensor2D;
      const b = uniform([outputs], `b${n}`) as tf.Tensor1D;
      const c = uniform([n, outputs], `c${n}`);
      // A loss whose gradient in y is not constant: sum(sin(y) * c).
      const loss =
        (f: (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D) =>
        (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
          tf.sum(tf.mul(tf.sin(f(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D)), c));
      const stock = tf.grads(loss((xx, ww, bb) => tf.add(tf.matMul(xx, ww), bb)))([x, w, b]);
      const custom = tf.grads(loss(dense))([x, w, b]);
      // Forward values too.
      const yStock = tf.add(tf.matMul(x, w), b).dataSync();
      const yCustom = dense(x, w, b).dataSync();
      for (let i = 0; i < yStock.length; i++) expect(Math.abs(yCustom[i] - yStock[i])).toBeLessThanOrEqual(1e-6);
      stock.forEach((g, k) => {
        const a = g.dataSync();
        const d = custom[k].dataSync();
        expect(d.length).toBe(a.length);
        let largest = 0;
        for (let i = 0; i < a.length; i++) largest = Math.max(largest, Math.abs(a[i]));
        for (let i = 0; i < a.length; i++)
          expect(Math.abs(d[i] - a[i])).toBeLessThanOrEqual(1e-5 * Math.max(1, largest));
      });
    }
  });

  it('initialises a net from its stream: the same stream gives the same weights, another stream others (Glorot-uniform bounds, zero biases)', () => {
    const a = new Mlp([6, 8, 2], new Rng('init'), 'a');
    const b = new Mlp([6, 8, 2], new Rng('init'), 'b');
    const c = new Mlp([6, 8, 2], new Rng('other'), 'c');
    const [wa, ba] = a.weights();
    expect(Array.from(wa)).toEqual(Array.from(b.weights()[0]));
    expect(Array.from(wa)).not.toEqual(Array.from(c.weights()[0]));
    const limit = Math.sqrt(6 / (6 + 8));
    for (const v of wa) expect(Math.abs(v)).toBeLessThanOrEqual(limit);
    expect(Array.from(ba)).toEqual(new Array(8).fill(0));
    for (const net of [a, b, c]) net.dispose();
  });

  it('learns (a smooth target, y = x0 - 2 x1 + x2 x3: the loss falls tenfold in 150 Adam steps) and trains bit-identically run to run', () => {
    const train = (name: string): { losses: number[]; weights: number[] } => {
      const net = new Mlp([4, 16, 1], new Rng('net'), name);
      const optimizer = tf.train.adam(0.02);
      const x = uniform([64, 4], 'inputs') as tf.Tensor2D;
      // y = x0 - 2 x1 + x2 x3
      const xs = x.arraySync() as number[][];
      const y = tf.tensor2d(xs.map((r) => [r[0] - 2 * r[1] + r[2] * r[3]]));
      const losses: number[] = [];
      for (let step = 0; step < 150; step++) {
        const loss = optimizer.minimize(
          () => tf.mean(tf.square(tf.sub(net.apply(x), y))) as tf.Scalar,
          true,
          net.variables(),
        );
        losses.push(loss!.dataSync()[0]);
        loss!.dispose();
      }
      const weights = net.weights().flatMap((w) => Array.from(w));
      net.dispose();
      optimizer.dispose();
      return { losses, weights };
    };
    const first = train('first');
    const second = train('second');
    expect(first.losses[149]).toBeLessThan(first.losses[0] / 10);
    expect(second.weights).toEqual(first.weights);
    expect(second.losses).toEqual(first.losses);
  });
});
