// Logistic regression (lab/ope/logistic.ts), as the OBP replication uses it: it recovers known
// coefficients from seeded data, and stops at the regularised optimum.
import { describe, expect, it } from 'vitest';
import { fitLogistic, predictProba } from '../../../lab/ope/logistic.ts';
import { Rng } from '../../../sim/rng.ts';

describe('logistic regression', () => {
  it('binary: recovers the coefficients of a logistic model (n = 20,000, weak regularisation), within 0.1', () => {
    const rng = new Rng('logistic/binary');
    const n = 20_000;
    const x = new Float64Array(n * 2);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      x[2 * i] = rng.normal();
      x[2 * i + 1] = rng.normal();
      const p = 1 / (1 + Math.exp(-(1.0 * x[2 * i] - 2.0 * x[2 * i + 1] + 0.5)));
      y[i] = rng.uniform() < p ? 1 : 0;
    }
    const model = fitLogistic(x, y, { features: 2, classes: 2, c: 100 });
    // Sampling error of each coefficient at this n: about 0.03; allowed: 0.1.
    expect(model.weights[0]).toBeCloseTo(1.0, 0);
    expect(Math.abs(model.weights[0] - 1)).toBeLessThan(0.1);
    expect(Math.abs(model.weights[1] + 2)).toBeLessThan(0.1);
    expect(Math.abs(model.weights[2] - 0.5)).toBeLessThan(0.1);
    const out = new Float64Array(2);
    predictProba(model, [0, 0], out);
    expect(out[0] + out[1]).toBeCloseTo(1, 12);
  });

  it('multinomial with sample weights: class probabilities within 0.05 of the true ones; weight 0 rows count for nothing', () => {
    const rng = new Rng('logistic/multinomial');
    const n = 20_000;
    const truth = [
      [1, 0, 0.2],
      [-1, 1, 0],
      [0, -1, -0.2],
    ];
    const x = new Float64Array(n * 2);
    const y = new Int32Array(n);
    const weight = new Float64Array(n);
    const softmax = (s: number[]) => {
      const e = s.map(Math.exp);
      const total = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / total);
    };
    for (let i = 0; i < n; i++) {
      x[2 * i] = rng.normal();
      x[2 * i + 1] = rng.normal();
      const p = softmax(truth.map(([a, b, c]) => a * x[2 * i] + b * x[2 * i + 1] + c));
      const u = rng.uniform();
      y[i] = u < p[0] ? 0 : u < p[0] + p[1] ? 1 : 2;
      // Every other row carries no weight, and its label is scrambled: it must not matter.
      weight[i] = i % 2 === 0 ? 1 : 0;
      if (i % 2 === 1) y[i] = 0;
    }
    const model = fitLogistic(x, y, { features: 2, classes: 3, c: 100, sampleWeight: weight });
    const out = new Float64Array(3);
    for (const point of [
      [0, 0],
      [1, -1],
      [-1.5, 0.5],
    ]) {
      predictProba(model, point, out);
      const p = softmax(truth.map(([a, b, c]) => a * point[0] + b * point[1] + c));
      for (let k = 0; k < 3; k++) expect(Math.abs(out[k] - p[k])).toBeLessThan(0.05);
    }
  });
});
