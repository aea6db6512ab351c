// The multi-task network of the value-model ranker (agents/supervised/multitask.ts): calibrated on
// held-out logs of the feed. The logs: every impression of 2,400 users under the random policy
// (the exploring logging policy at its extreme), users 0-1,599 to train on (two passes),
// 1,600-2,399 held out.
// For each binary signal the expected calibration error over held-out impressions, relative to the
// signal's base rate, must stay under a stated bound: predicting 0 scores exactly 1 there, so a
// rare signal (follow: a few in ten thousand) cannot pass by predicting nothing. Bins of equal
// count, 10 of them, or fewer for a rare signal: one bin per 20 held-out events (at least 2), so
// that the sampling noise of the events in a bin does not by itself reach the bound (with 40
// events in 10 bins it would: about 0.4).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../agents/nets/backend.ts';
import { CandidateFeatures } from '../../agents/supervised/features.ts';
import { expectedCalibrationError, MultiTaskNet } from '../../agents/supervised/multitask.ts';
import { headsOf, SignalLog } from '../../agents/supervised/signal-log.ts';
import { feed, type FeedEnv } from '../../sim/feed/env.ts';
import { defaultParams } from '../../sim/params.ts';
import { Rng } from '../../sim/rng.ts';

const USERS = 2800;
const TRAIN_USERS = 1900;

/** Every impression of `users` users under uniformly random slates, split into train and held-out logs. */
function collect(): { train: SignalLog; test: SignalLog; features: CandidateFeatures } {
  const env = feed.create(defaultParams(feed.params), { seed: { experiment: 13, run: 0 }, batchSize: 64 }) as FeedEnv;
  const { batchSize: B, numCandidates: N, slateSize: K } = env.spec;
  const signalCount = env.spec.signalNames.length;
  const features = new CandidateFeatures(env.spec);
  const heads = headsOf(env.spec);
  const train = new SignalLog(200_000, features.size, heads);
  const test = new SignalLog(120_000, features.size, heads);
  const block = new Float64Array(N * features.size);
  const blocks = new Float64Array(B * N * features.size);
  const slates = new Int32Array(B * K);
  const rowEpisode = new Int32Array(B).fill(-1);
  const rngs = Array.from({ length: B }, (_, row) => new Rng(`multitask/${row}`));
  let next = 0;
  let running = 0;
  const start = (row: number) => {
    if (next >= USERS) {
      rowEpisode[row] = -1;
      env.clearRow(row);
      return;
    }
    rowEpisode[row] = next;
    env.resetRow(row, next++);
    running++;
  };
  for (let row = 0; row < B; row++) start(row);
  while (running > 0) {
    for (let row = 0; row < B; row++) {
      if (rowEpisode[row] < 0) continue;
      rngs[row].sampleDistinct(N, K, slates, row * K);
      features.encodeRow(env.observation, row, block);
      blocks.set(block, row * N * features.size);
    }
    const result = env.step(slates);
    for (let row = 0; row < B; row++) {
      if (rowEpisode[row] < 0) continue;
      const log = rowEpisode[row] < TRAIN_USERS ? train : test;
      for (let slot = 0; slot < result.impressions[row]; slot++) {
        log.add(
          blocks,
          (row * N + slates[row * K + slot]) * features.size,
          result.signals,
          (row * K + slot) * signalCount,
        );
      }
      if (result.done[row] === 1) {
        running--;
        start(row);
      }
    }
  }
  return { train, test, features };
}

describe('the multi-task network', () => {
  let logs: ReturnType<typeof collect>;
  let net: MultiTaskNet;
  beforeAll(async () => {
    await useBackend('wasm');
    logs = collect();
    net = new MultiTaskNet(
      logs.features.size,
      logs.train.heads,
      { hidden: [64, 32], learningRate: 0.003, batchSize: 512 },
      new Rng('multitask/init'),
      'multitask',
    );
    net.fit(logs.train, new Rng('multitask/fit'), 2);
  }, 300_000);

  it('predicts every signal but skip, binary ones as probabilities and watch time in minutes', () => {
    expect(logs.train.heads.map((head) => `${head.signal}:${head.kind}`)).toEqual([
      'view:binary',
      'watchMinutes:duration',
      'like:binary',
      'comment:binary',
      'share:binary',
      'follow:binary',
      'seeLess:binary',
    ]);
    expect(logs.train.size).toBeGreaterThan(150_000);
    expect(logs.test.size).toBeGreaterThan(60_000);
  });

  // Measured: view 0.045 (20,902 held-out events, 10 bins), like 0.232 (430, 10), comment 0.184
  // (29, 2), share 0.052 (28, 2), follow 0.174 (22, 2), see less 0.284 (90, 4).
  it('is calibrated on held-out impressions: ECE / base rate under 0.15 for view, under 0.5 for the rare signals (predicting 0 scores 1)', () => {
    const { test } = logs;
    const h = test.heads.length;
    const predictions = new Float32Array(test.size * h);
    net.predict(test.features, test.size, predictions);
    test.heads.forEach((head, i) => {
      if (head.kind !== 'binary') return;
      const p = Float64Array.from({ length: test.size }, (_, r) => predictions[r * h + i]);
      const y = Float64Array.from({ length: test.size }, (_, r) => test.targets[r * h + i]);
      const base = y.reduce((a, b) => a + b, 0) / test.size;
      const events = Math.round(base * test.size);
      const bins = Math.min(10, Math.max(2, Math.floor(events / 20)));
      const relative = expectedCalibrationError(p, y, bins) / base;
      expect(relative, head.signal).toBeLessThan(head.signal === 'view' ? 0.15 : 0.5);
      // The bound has teeth: all zeros score exactly 1.
      expect(expectedCalibrationError(new Float64Array(test.size), y, bins) / base).toBeCloseTo(1, 12);
    });
    void tf;
  });

  // Measured: 0.69 (the users' histories are empty on their first page, and random slates show
  // them little that matches).
  it('ranks, not only calibrates: held-out AUC of the view head above 0.65 (a constant prediction scores 0.5)', () => {
    const { test } = logs;
    const h = test.heads.length;
    const predictions = new Float32Array(test.size * h);
    net.predict(test.features, test.size, predictions);
    const view = test.heads.findIndex((head) => head.signal === 'view');
    const order = Array.from({ length: test.size }, (_, r) => r).sort(
      (a, b) => predictions[a * h + view] - predictions[b * h + view] || a - b,
    );
    // AUC = P(score of a view > score of a non-view), from the ranks (Mann-Whitney).
    let positives = 0;
    let rankSum = 0;
    order.forEach((r, rank) => {
      if (test.targets[r * h + view] === 1) {
        positives++;
        rankSum += rank + 1;
      }
    });
    const negatives = test.size - positives;
    const auc = (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
    expect(auc).toBeGreaterThan(0.65);
  });
});
