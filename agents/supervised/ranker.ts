// The value-model ranker: how production feeds rank (Instagram's Explore among them). A multi-task
// network (multitask.ts) predicts every signal of each candidate; a value model adds them up with
// per-signal weights (hyper-parameters `value.*`, in the reward's units: the default reward is
// watch minutes); then a diversity re-rank keeps two posts of one creator from sitting next to each
// other. It learns like pctr: an exploring logging policy (a random slate with probability epsilon,
// exact propensities) fills a log of impressions, on which the network is refitted periodically.
import { EpsilonSlates } from '../exploration.ts';
import { defineAgent, type TrainingStats } from '../agent.ts';
import { StateReader } from '../state.ts';
import { rowsOf } from '../bandits/common.ts';
import { CandidateFeatures, logImpressions } from './features.ts';
import { MultiTaskNet } from './multitask.ts';
import { headsOf, SignalLog } from './signal-log.ts';

export const ranker = defineAgent({
  name: 'ranker',
  summary:
    'Value-model ranker: a multi-task network predicts each signal, a weighted sum ranks, a ' +
    'diversity re-rank spreads creators.',
  family: 'supervised',
  learns:
    'a multi-task network of every engagement signal of an impression (neural, TensorFlow.js), ' +
    'from its own exploring log',
  nets: true,
  params: {
    epsilon: {
      type: 'number',
      default: 0.1,
      min: 0,
      max: 1,
      doc: 'logging policy: probability of a uniformly random slate while training (exact propensities)',
    },
    retrainEvery: {
      type: 'int',
      default: 5000,
      min: 1,
      doc: 'training user-steps between refits of the network on the log',
    },
    epochs: { type: 'int', default: 2, min: 1, max: 1000, doc: 'passes over the log per refit (warm-started)' },
    hidden: {
      type: 'int',
      default: 64,
      min: 1,
      max: 4096,
      doc: 'units of the first hidden layer (the second has half)',
    },
    learningRate: { type: 'number', default: 0.003, min: 0, doc: 'Adam step size' },
    fitBatch: { type: 'int', default: 512, min: 1, max: 1_000_000, doc: 'impressions per Adam step' },
    logSize: {
      type: 'int',
      default: 200_000,
      min: 1,
      max: 10_000_000,
      doc: 'impressions the log holds; beyond, the oldest are overwritten',
    },
    diversity: {
      type: 'boolean',
      default: true,
      doc:
        'never two posts of one creator next to each other (where the world names creators), when ' +
        'another candidate allows it',
    },
    value: {
      type: 'group',
      doc:
        "the value model: weight of each predicted signal in a candidate's value (signals the " +
        'world lacks are ignored)',
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
    },
  },
  // Networks cannot be built before their backend is loaded, so the memory check (lab/run/plan.ts)
  // takes this count: the log, the batch's features and predictions, and the network with Adam's two
  // moments (float32, three copies of every weight).
  memory: (hp, spec) => {
    const f = new CandidateFeatures(spec).size;
    const h = headsOf(spec).length;
    const rows = spec.batchSize * spec.numCandidates;
    const sizes = [f, hp.hidden, Math.max(1, hp.hidden >> 1), h];
    let weights = 0;
    for (let i = 1; i < sizes.length; i++) weights += sizes[i - 1] * sizes[i] + sizes[i];
    return hp.logSize * (f + h) * 4 + rows * (f * 12 + h * 4 + 8) + weights * 4 * 3 + hp.fitBatch * (f + h) * 4 * 4;
  },
  updateEvery: (hp) => hp.retrainEvery,
  create: (hp, { spec, streams }) => {
    const { numCandidates: n, slateSize: k, batchSize: b } = spec;
    const features = new CandidateFeatures(spec);
    const f = features.size;
    const heads = headsOf(spec);
    const h = heads.length;
    const weights = heads.map((head) => (hp.value as Record<string, number>)[head.signal] ?? 0);
    const net = new MultiTaskNet(
      f,
      heads,
      { hidden: [hp.hidden, Math.max(1, hp.hidden >> 1)], learningRate: hp.learningRate, batchSize: hp.fitBatch },
      streams.init,
      'ranker',
    );
    const log = new SignalLog(hp.logSize, f, heads);
    const block = new Float64Array(n * f);
    const inputs = new Float32Array(b * n * f);
    const predictions = new Float32Array(b * n * h);
    const values = new Float64Array(b * n);
    const order = new Int32Array(n);
    const taken = new Uint8Array(n);
    let sinceFit = 0;
    let fitted = false;
    let lastLoss = Number.NaN;

    /** Row `row`'s slate: candidates by value, best first, then no creator twice in a row where possible. */
    // Best value first, ties by candidate index; one comparator for every row (no closure per row).
    let rankBase = 0;
    const byValue = (x: number, y: number) => values[rankBase + y] - values[rankBase + x] || x - y;
    const rank = (observation: Parameters<typeof features.encodeRow>[0], row: number, out: Int32Array) => {
      for (let c = 0; c < n; c++) order[c] = c;
      rankBase = row * n;
      order.sort(byValue);
      const creators = hp.diversity ? observation.fields.creator : undefined;
      taken.fill(0);
      let previous = -1;
      for (let slot = 0; slot < k; slot++) {
        let pick = -1;
        let first = -1;
        for (let i = 0; i < n; i++) {
          const c = order[i];
          if (taken[c] === 1) continue;
          if (first < 0) first = c;
          if (!creators || creators[row * n + c] !== previous) {
            pick = c;
            break;
          }
        }
        if (pick < 0) pick = first;
        taken[pick] = 1;
        out[row * k + slot] = pick;
        previous = creators ? creators[row * n + pick] : -1;
      }
    };

    const exploration = new EpsilonSlates(spec);
    return {
      act(observation, rowRngs, action, mode) {
        const rows = rowsOf(observation);
        if (fitted) {
          for (let row = 0; row < rows; row++) {
            if (observation.active[row] === 0) continue;
            features.encodeRow(observation, row, block);
            inputs.set(block, row * n * f);
          }
          net.predict(inputs, rows * n, predictions);
          for (let i = 0; i < rows * n; i++) {
            let value = 0;
            for (let j = 0; j < h; j++) value += weights[j] * predictions[i * h + j];
            values[i] = value;
          }
        } else values.fill(0); // before the first fit: retrieval order
        for (let row = 0; row < rows; row++) if (observation.active[row] === 1) rank(observation, row, action.slates);
        const epsilon = mode === 'train' ? hp.epsilon : 0;
        exploration.explore(observation, rows, rowRngs, action, epsilon);
      },
      slotMarginals(row, out) {
        exploration.slotMarginals(row, out);
      },
      observe(transition) {
        sinceFit += logImpressions(transition, features, block, log, spec);
      },
      update(): TrainingStats {
        if (sinceFit >= hp.retrainEvery) {
          sinceFit = 0;
          lastLoss = net.fit(log, streams.update, hp.epochs);
          fitted = true;
        }
        return Number.isNaN(lastLoss)
          ? { epsilon: hp.epsilon, logged: log.size }
          : { epsilon: hp.epsilon, loss: lastLoss, logged: log.size };
      },
      // The network only: the log is a training buffer (agents/agent.ts save).
      save: () => ({ features: features.names, fitted, ...net.save() }),
      load(state) {
        const saved = new StateReader(state, 'ranker');
        saved.expect('features', features.names, 'features');
        net.load(saved);
        fitted = saved.boolean('fitted');
      },
      dispose() {
        net.dispose();
      },
    };
  },
});
