// Logistic pCTR: the simplest production ranker. It predicts, for each candidate, the chance that
// a post reaching the user's screen gets the world's click signal (the feed: a valid view), from
// the candidate's features (features.ts), and shows the K most likely, best first.
//
// It learns from what it logs: while training it acts as an exploring logging policy (a uniformly
// random slate with probability epsilon, else its own top K: the propensities are exact), every
// impression (the slots that reached the screen) goes into a log, and every `retrainEvery`
// training steps the model is refitted on the log (logistic.ts). Evaluation ranks greedily with
// the model as last fitted.
import { EpsilonSlates } from '../exploration.ts';
import { topKByScore } from '../../policies/slate.ts';
import { defineAgent, type TrainingStats } from '../agent.ts';
import { StateReader } from '../state.ts';
import { rowsOf } from '../bandits/common.ts';
import { CandidateFeatures, logImpressions } from './features.ts';
import { LogisticModel } from './logistic.ts';
import { clickHead, SignalLog } from './signal-log.ts';

export const pctr = defineAgent({
  name: 'pctr',
  summary:
    'Logistic pCTR: top K by a logistic regression of the click signal on user x post x ' +
    'request features, refitted on its own exploring log.',
  family: 'supervised',
  learns:
    "a logistic regression of each impression's click signal (the feed: a valid view) on the candidate's features",
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
      default: 2000,
      min: 1,
      doc: 'training user-steps between refits of the model on the log',
    },
    epochs: { type: 'int', default: 2, min: 1, max: 1000, doc: 'passes over the log per refit (warm-started)' },
    learningRate: { type: 'number', default: 0.02, min: 0, doc: 'Adam step size' },
    l2: { type: 'number', default: 1e-4, min: 0, doc: 'L2 penalty on the weights' },
    fitBatch: { type: 'int', default: 256, min: 1, max: 1_000_000, doc: 'impressions per Adam step' },
    logSize: {
      type: 'int',
      default: 100_000,
      min: 1,
      max: 10_000_000,
      doc: 'impressions the log holds; beyond, the oldest are overwritten',
    },
  },
  updateEvery: (hp) => hp.retrainEvery,
  // The log (float32 features and the click), a row's N x F block, the B x N scores.
  memory: (hp, spec) => {
    const f = new CandidateFeatures(spec).size;
    return (
      4 * hp.logSize * (f + 1) + 8 * spec.numCandidates * f + 8 * spec.batchSize * spec.numCandidates + 4 * hp.logSize
    );
  },
  create: (hp, { spec, streams }) => {
    const { numCandidates: n, slateSize: k, batchSize: b } = spec;
    const features = new CandidateFeatures(spec);
    const f = features.size;
    const model = new LogisticModel(f);
    const log = new SignalLog(hp.logSize, f, clickHead(spec));
    const block = new Float64Array(n * f); // one row's N x F features
    const scores = new Float64Array(b * n);
    let sinceFit = 0;
    let lastLoss = Number.NaN;

    const exploration = new EpsilonSlates(spec);
    return {
      act(observation, rowRngs, action, mode) {
        const rows = rowsOf(observation);
        for (let row = 0; row < rows; row++) {
          if (observation.active[row] === 0) continue;
          features.encodeRow(observation, row, block);
          for (let c = 0; c < n; c++) scores[row * n + c] = model.predict(block, c * f);
        }
        topKByScore(scores, observation.active, n, k, action.slates);
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
          lastLoss = model.fit(log, streams.update, {
            epochs: hp.epochs,
            learningRate: hp.learningRate,
            l2: hp.l2,
            batchSize: hp.fitBatch,
          });
        }
        // The log-loss of the last refit (on the log as it was): absent before the first one.
        return Number.isNaN(lastLoss)
          ? { epsilon: hp.epsilon, logged: log.size }
          : { epsilon: hp.epsilon, logLoss: lastLoss, logged: log.size };
      },
      // The model only: the log is a training buffer (agents/agent.ts save).
      save: () => ({ features: features.names, ...model.save() }),
      load(state) {
        const saved = new StateReader(state, 'pctr model');
        saved.expect('features', features.names, 'features');
        model.load(saved);
      },
    };
  },
});
