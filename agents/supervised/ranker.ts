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
import { VALUE_WEIGHTS, ValueModel, valueModelMemory } from './value-model.ts';

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
    value: VALUE_WEIGHTS,
  },
  // Networks cannot be built before their backend is loaded, so the memory check (lab/run/plan.ts)
  // takes this count: the log, the batch's features and predictions, and the network with Adam's two
  // moments (float32, three copies of every weight).
  memory: (hp, spec) => valueModelMemory(spec, hp),
  updateEvery: (hp) => hp.retrainEvery,
  create: (hp, { spec, streams }) => {
    const { numCandidates: n, slateSize: k, batchSize: b } = spec;
    const model = new ValueModel(
      spec,
      {
        hidden: hp.hidden,
        learningRate: hp.learningRate,
        fitBatch: hp.fitBatch,
        logSize: hp.logSize,
        epochs: hp.epochs,
        retrainEvery: hp.retrainEvery,
        value: hp.value as Record<string, number>,
      },
      streams.init,
      'ranker',
    );
    const { features } = model;
    const f = features.size;
    const h = model.heads.length;
    const block = new Float64Array(n * f);
    const inputs = new Float32Array(b * n * f);
    const predictions = new Float32Array(b * n * h);
    const values = new Float64Array(b * n);
    const order = new Int32Array(n);
    const taken = new Uint8Array(n);

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
        if (model.fitted)
          for (let row = 0; row < rows; row++) {
            if (observation.active[row] === 0) continue;
            features.encodeRow(observation, row, block);
            inputs.set(block, row * n * f);
          }
        model.predict(inputs, rows * n, predictions, values); // all 0 before the first fit: retrieval order
        for (let row = 0; row < rows; row++) if (observation.active[row] === 1) rank(observation, row, action.slates);
        // The values it ranked by, for whoever reads them (a softmax logging policy, agents/logging.ts).
        if (action.scores)
          for (let row = 0; row < rows; row++)
            if (observation.active[row] === 1)
              for (let c = 0; c < n; c++) action.scores[row * n + c] = values[row * n + c];
        const epsilon = mode === 'train' ? hp.epsilon : 0;
        exploration.explore(observation, rows, rowRngs, action, epsilon);
      },
      slotMarginals(row, out) {
        exploration.slotMarginals(row, out);
      },
      observe(transition) {
        model.observe(transition);
      },
      update(): TrainingStats {
        model.refitIfDue(streams.update);
        return Number.isNaN(model.lastLoss)
          ? { epsilon: hp.epsilon, logged: model.logged }
          : { epsilon: hp.epsilon, loss: model.lastLoss, logged: model.logged };
      },
      // The network only: the log is a training buffer (agents/agent.ts save).
      save: () => ({ features: features.names, ...model.save() }),
      load(state) {
        const saved = new StateReader(state, 'ranker');
        saved.expect('features', features.names, 'features');
        model.load(saved);
      },
      dispose() {
        model.dispose();
      },
    };
  },
});
