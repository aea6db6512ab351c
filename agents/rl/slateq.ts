// SlateQ (Ie et al. 2019, "SlateQ: A Tractable Decomposition for Reinforcement Learning with
// Recommendation Sets", IJCAI; the long version is arXiv:1905.12767). The value of a slate is
// decomposed into item-wise values through the user choice model (section 4, eq. 4):
//   Q(s, A) = sum over i in A of P(i | s, A) Qbar(s, i)   (+ P(nothing | s, A) Qbar(s, nothing)),
// so one network learns Qbar(s, i), the long-term value of the user consuming item i, by TD on the
// consumed item only (eq. 5, section 4.3):
//   Qbar(s, i) <- r + gamma sum over j in A' of P(j | s', A') Qbar'(s', j)
// with A' the next slate: the one played (SARSA) or the best by the target network (Q-learning,
// the slate chosen by top-K, greedy or optimal selection, slate-selection.ts). gamma = 0 is the
// myopic control: Qbar is then the immediate reward of a click.
//
// Faults of public implementations avoided here: the target is computed on the NEXT observation s'
// (one implementation scores the next slate on the current one), and a step without a click is not
// thrown away: it trains Qbar(s, nothing), the value of the user going on without consuming
// anything (RecSim's agent skips such steps, so for it Qbar(s, nothing) = 0; `noClickValue: zero`
// does the same). A step without a click is not free in RecSim's world: the user's time budget
// shrinks by stepPenalty, and a slate whose items are worse than nothing is better not clicked.
//
// The choice model is learned from the observed choices by default: a conditional logit whose
// scores come from a small network of the same inputs (what a real recommender can do). With
// `choiceModel: world` the agent uses the world's declared model on the user-item affinities (an
// oracle assumption, as RecSim's own SlateQ agent makes; reports name the parameter).
import type * as TF from '@tensorflow/tfjs';
import { multinomialLogit, type ChoiceModel } from '../../sim/choice.ts';
import type { Observation, WorldSpec } from '../../sim/env.ts';
import { defineAgent, type Agent } from '../agent.ts';
import { gatherAffinities } from '../../policies/candidate-scores.ts';
import { rowsOf } from '../bandits/common.ts';
import { EpsilonSlates } from '../exploration.ts';
import { Mlp } from '../nets/dense.ts';
import { tfjs } from '../nets/tf.ts';
import { assignWeights, forward, weightsOf } from '../nets/weights.ts';
import { StateReader } from '../state.ts';
import { CandidateFeatures } from '../supervised/features.ts';
import { SlateReplay, scratchObservation } from './replay.ts';
import {
  orderedSlateCount,
  SELECTION_RULES,
  SelectionScratch,
  selectSlate,
  slateValue,
  type RowValues,
} from './slate-selection.ts';

/** The most ordered slates `selection: optimal` enumerates per row (N!/(N-K)!). */
export const OPTIMAL_LIMIT = 100_000;

export const slateq = defineAgent({
  name: 'slateq',
  summary:
    'SlateQ: item-wise long-term values combined through the user choice model (Ie et al. ' +
    '2019), deep Q-learning with replay.',
  family: 'rl',
  learns:
    "the long-term value of a user consuming each item (neural, TensorFlow.js), and the users' " +
    'choice model, from its own replayed experience',
  nets: true,
  params: {
    gamma: {
      type: 'number',
      default: 0.99,
      min: 0,
      max: 1,
      doc: 'discount per step; 0 is the myopic control (the value of a click is its reward)',
    },
    target: {
      type: 'enum',
      default: 'q-learning',
      values: ['q-learning', 'sarsa'],
      doc: 'next slate of the TD target: the best by the target network (q-learning) or the one played (sarsa)',
    },
    selection: {
      type: 'enum',
      default: 'greedy',
      values: SELECTION_RULES,
      doc:
        'slate choice from item values: top-k, greedy (slot by slot) or optimal (every ordered ' +
        'slate; small N and K)',
    },
    choiceModel: {
      type: 'enum',
      default: 'learned',
      values: ['learned', 'world'],
      doc:
        "the users' choice model: learned from observed clicks, or the world's declared one on " +
        'affinities (an oracle assumption)',
    },
    noClickValue: {
      type: 'enum',
      default: 'learned',
      values: ['learned', 'zero'],
      doc: 'value of a step without a click: learned from such steps, or 0 with such steps skipped (RecSim)',
    },
    hidden: {
      type: 'int',
      default: 64,
      min: 1,
      max: 4096,
      doc: 'units of each of the two hidden layers of the Q-network (the choice network has half, one layer)',
    },
    learningRate: { type: 'number', default: 0.001, min: 0, doc: 'Adam step size (both networks)' },
    batch: { type: 'int', default: 64, min: 1, max: 100_000, doc: 'replayed transitions per gradient step' },
    replayRatio: {
      type: 'number',
      default: 4,
      min: 0,
      doc: 'replayed transitions per new training step (gradient steps = new steps x ratio / batch)',
    },
    replayCapacity: {
      type: 'int',
      default: 50_000,
      min: 1,
      max: 100_000_000,
      doc: 'transitions the replay buffer holds; beyond, the oldest are overwritten',
    },
    learningStarts: { type: 'int', default: 2_000, min: 0, doc: 'training steps before the first gradient step' },
    targetUpdateEvery: {
      type: 'int',
      default: 200,
      min: 1,
      doc: 'gradient steps between copies of the Q-network into the target network',
    },
    epsilonStart: {
      type: 'number',
      default: 1,
      min: 0,
      max: 1,
      doc: 'probability of a random slate at the start of training',
    },
    epsilonEnd: { type: 'number', default: 0.05, min: 0, max: 1, doc: 'probability of a random slate after the decay' },
    epsilonDecaySteps: {
      type: 'int',
      default: 50_000,
      min: 1,
      doc: 'training steps over which epsilon falls linearly from start to end',
    },
    rewardScale: {
      type: 'number',
      default: 0.1,
      min: 0,
      doc:
        "rewards are multiplied by it before learning, to keep the networks' targets near 1-100 (a " +
        'learning setting: it changes the steps Adam takes, so what is learned)',
    },
  },
  unsupported: (spec, hp) => {
    if (!spec.choiceModel.singleChoice) {
      return (
        "SlateQ's decomposition needs users who consume at most one item of a slate, and this " +
        "world's users click slots independently"
      );
    }
    if (hp.selection === 'optimal' && orderedSlateCount(spec.numCandidates, spec.slateSize) > OPTIMAL_LIMIT) {
      return {
        field: 'selection',
        message:
          `optimal enumerates ${orderedSlateCount(spec.numCandidates, spec.slateSize)} ordered ` +
          `slates per user-step (N = ${spec.numCandidates}, K = ${spec.slateSize}), more than ` +
          `${OPTIMAL_LIMIT}; use greedy or top-k`,
      };
    }
    return null;
  },
  check: (hp) =>
    hp.rewardScale > 0
      ? []
      : [
          {
            field: 'rewardScale',
            message: `must be above 0 (rewards are multiplied by it: 0 would learn nothing), got ${hp.rewardScale}`,
          },
        ],
  notes: (hp) => [
    hp.choiceModel === 'world'
      ? "uses the world's declared choice model on the true user-item affinities, not one learned " +
        "from clicks (an oracle assumption, as RecSim's SlateQ agent makes)"
      : 'learns the choice model from observed clicks (a conditional logit)',
    ...(hp.noClickValue === 'zero'
      ? ["values a step without a click at 0 and learns nothing from such steps (as RecSim's agent)"]
      : []),
  ],
  warmupSteps: (hp) => hp.learningStarts,
  // Networks cannot be built before their backend is loaded: the replay buffer, the acting and
  // training inputs, and the Q-network twice (target) and the choice network, each weight with
  // Adam's two moments.
  memory: (hp, spec) => {
    const f = inputWidth(spec);
    const n = spec.numCandidates;
    const weights =
      f * hp.hidden + hp.hidden * hp.hidden + hp.hidden + 1 + f * (hp.hidden >> 1 || 1) + (hp.hidden >> 1 || 1);
    const acting = spec.batchSize * (n + 1) * f * 4 * 3;
    const training = hp.batch * (n + spec.slateSize + 3) * f * 4 * 3;
    return SlateReplay.bytes(spec, hp.replayCapacity) + weights * 4 * 4 + acting + training;
  },
  create: (hp, { spec, streams }) => {
    const tf = tfjs();
    const { numCandidates: n, slateSize: k, batchSize: b } = spec;
    const candidates = new CandidateFeatures(spec);
    const f = inputWidth(spec);
    const learnedChoice = hp.choiceModel === 'learned';
    const qNet = new Mlp([f, hp.hidden, hp.hidden, 1], streams.init, 'slateq/q');
    const targetNet = new Mlp([f, hp.hidden, hp.hidden, 1], streams.init, 'slateq/target');
    copyWeights(qNet, targetNet);
    const choiceNet = learnedChoice ? new Mlp([f, hp.hidden >> 1 || 1, 1], streams.init, 'slateq/choice') : null;
    const qOptimizer = tf.train.adam(hp.learningRate);
    const choiceOptimizer = choiceNet ? tf.train.adam(hp.learningRate) : null;
    // The learned model's scores are logits relative to the no-click item's: a logit of 0 for it.
    const choice: ChoiceModel = learnedChoice ? multinomialLogit({ noClickLogit: 0 }) : spec.choiceModel;

    // Acting: B x (N + 1) inputs (each candidate, then nothing), their values and choice scores.
    const block = new Float64Array(n * candidates.size);
    const actInputs = new Float32Array(b * (n + 1) * f);
    const actQ = new Float32Array(b * (n + 1));
    const actLogits = new Float32Array(b * (n + 1));
    const rowQ = new Float64Array(b * n);
    const rowScores = new Float64Array(b * n);
    const rowNothing = new Float64Array(b);
    const userRow = new Float64Array(spec.affinityDim); // gatherAffinities' scratch
    const scratch = new SelectionScratch(n, k);
    const exploration = new EpsilonSlates(spec);

    // Training: a batch of replayed transitions, their observations before and after.
    const m = hp.batch;
    const picked = new Int32Array(m);
    const beforeRows = scratchObservation(spec, m);
    const afterRows = scratchObservation(spec, m);
    const candidateBlock = new Float32Array((n + 1) * f); // one transition's candidates at s, then nothing
    const slateInputs = new Float32Array(m * (k + 1) * f); // each transition's slate items, then nothing
    const chosenInputs = new Float32Array(m * f);
    const nextInputs = new Float32Array(m * (n + 1) * f);
    const nextQ = new Float32Array(m * (n + 1));
    const nextLogits = new Float32Array(m * (n + 1));
    const nextValuesQ = new Float64Array(m * n); // each transition's candidates' target values at s'
    const nextScores = new Float64Array(m * n); // each transition's candidates' choice scores at s'
    const nextSlate = new Int32Array(k);
    const targets = new Float32Array(m);
    const mask = new Float32Array(m);
    const labels = new Float32Array(m * (k + 1));
    const replay = new SlateReplay(spec, hp.replayCapacity);

    let trainSteps = 0;
    let owed = 0;
    let gradientSteps = 0;
    let sums = { qLoss: 0, choiceLoss: 0, q: 0, steps: 0 };

    const epsilonAt = (steps: number) =>
      hp.epsilonStart + (hp.epsilonEnd - hp.epsilonStart) * Math.min(1, steps / hp.epsilonDecaySteps);

    /** Writes row `row`'s N + 1 input rows (candidates, then nothing) at out[at ..]. */
    const encode = (observation: Observation, row: number, out: Float32Array, at: number) => {
      candidates.encodeRow(observation, row, block);
      const u = spec.userFeatureDim;
      const user = observation.userFeatures.subarray(row * u, (row + 1) * u);
      for (let c = 0; c <= n; c++) {
        const base = at + c * f;
        if (c < n) for (let j = 0; j < candidates.size; j++) out[base + j] = block[c * candidates.size + j];
        else out.fill(0, base, base + candidates.size);
        out.set(user, base + candidates.size);
        out[base + f - 1] = c === n ? 1 : 0;
      }
    };

    /**
     * Choice scores of the candidates of every active row of `observation` (B x N into out): the
     * learned logits minus nothing's (logits: B x (N + 1)), or the world's affinities.
     */
    const scoresOf = (observation: Observation, rows: number, logits: Float32Array, out: Float64Array) => {
      if (!learnedChoice) {
        gatherAffinities(observation, spec, out, userRow);
        return;
      }
      for (let row = 0; row < rows; row++) {
        if (observation.active[row] === 0) continue;
        const at = row * (n + 1);
        for (let c = 0; c < n; c++) out[row * n + c] = logits[at + c] - logits[at + n];
      }
    };

    const qNothing = (values: Float32Array, at: number) => (hp.noClickValue === 'learned' ? values[at + n] : 0);

    /** One gradient step of each network on a replayed batch. */
    const trainStep = () => {
      const count = replay.sample(streams.update, m, hp.target === 'sarsa', picked);
      if (count === 0) return;
      for (let i = 0; i < count; i++) {
        const slot = picked[i];
        replay.before.read(slot, beforeRows, i);
        if (replay.hasNext[slot] === 1) replay.after.read(slot, afterRows, i);
      }
      // Inputs: the slate's items and nothing at s (choice), the chosen one (Q), every candidate at s'.
      for (let i = 0; i < count; i++) {
        const slot = picked[i];
        encode(beforeRows, i, candidateBlock, 0);
        for (let s = 0; s < k; s++)
          slateInputs.set(
            candidateBlock.subarray(replay.slates[slot * k + s] * f, (replay.slates[slot * k + s] + 1) * f),
            (i * (k + 1) + s) * f,
          );
        slateInputs.set(candidateBlock.subarray(n * f, (n + 1) * f), (i * (k + 1) + k) * f);
        const chosen = replay.chosen[slot];
        const chosenItem = chosen < 0 ? n : replay.slates[slot * k + chosen];
        chosenInputs.set(candidateBlock.subarray(chosenItem * f, (chosenItem + 1) * f), i * f);
        labels.fill(0, i * (k + 1), (i + 1) * (k + 1));
        labels[i * (k + 1) + (chosen < 0 ? k : chosen)] = 1;
        if (replay.hasNext[slot] === 1) encode(afterRows, i, nextInputs, i * (n + 1) * f);
        else nextInputs.fill(0, i * (n + 1) * f, (i + 1) * (n + 1) * f);
      }
      forward(targetNet, nextInputs, count * (n + 1), f, nextQ);
      if (choiceNet) forward(choiceNet, nextInputs, count * (n + 1), f, nextLogits);
      scoresOf(afterRows, count, nextLogits, nextScores);
      // TD targets (eq. 5) on the next observation.
      for (let i = 0; i < count; i++) {
        const slot = picked[i];
        const chosen = replay.chosen[slot];
        mask[i] = chosen < 0 && hp.noClickValue === 'zero' ? 0 : 1;
        let future = 0;
        if (replay.terminal[slot] === 0 && hp.gamma > 0) {
          const at = i * (n + 1);
          for (let c = 0; c < n; c++) nextValuesQ[i * n + c] = nextQ[at + c];
          const values: RowValues = {
            model: choice,
            scores: nextScores,
            q: nextValuesQ,
            base: i * n,
            qNothing: qNothing(nextQ, at),
          };
          if (hp.target === 'sarsa') {
            for (let s = 0; s < k; s++) nextSlate[s] = replay.nextSlates[slot * k + s];
            future = slateValue(values, nextSlate, k, scratch);
          } else future = selectSlate(hp.selection, values, n, k, nextSlate, 0, scratch);
        }
        targets[i] = hp.rewardScale * replay.reward[slot] + hp.gamma * future;
      }
      const masked = mask.subarray(0, count).reduce((sum, v) => sum + v, 0);
      if (masked > 0) {
        const [loss, mean] = tf.tidy(() => {
          const xs = tf.tensor2d(chosenInputs.subarray(0, count * f), [count, f]);
          const ys = tf.tensor1d(targets.subarray(0, count));
          const weights = tf.tensor1d(mask.subarray(0, count));
          let predictedMean: TF.Scalar | null = null;
          const value = qOptimizer.minimize(
            () => {
              const predicted = tf.reshape(qNet.apply(xs), [count]);
              predictedMean = tf.keep(tf.div(tf.sum(tf.mul(predicted, weights)), masked)) as TF.Scalar;
              return tf.div(tf.sum(tf.mul(weights, tf.square(tf.sub(predicted, ys)))), masked) as TF.Scalar;
            },
            true,
            qNet.variables(),
          )!;
          return [value, predictedMean!];
        });
        sums.qLoss += loss.dataSync()[0];
        sums.q += mean.dataSync()[0] / hp.rewardScale;
        loss.dispose();
        mean.dispose();
      }
      if (choiceNet) {
        const loss = tf.tidy(() => {
          const xs = tf.tensor2d(slateInputs.subarray(0, count * (k + 1) * f), [count * (k + 1), f]);
          const ys = tf.tensor2d(labels.subarray(0, count * (k + 1)), [count, k + 1]);
          return choiceOptimizer!.minimize(
            () => tf.losses.softmaxCrossEntropy(ys, tf.reshape(choiceNet.apply(xs), [count, k + 1])) as TF.Scalar,
            true,
            choiceNet.variables(),
          )!;
        });
        sums.choiceLoss += loss.dataSync()[0];
        loss.dispose();
      }
      sums.steps++;
      gradientSteps++;
      if (gradientSteps % hp.targetUpdateEvery === 0) copyWeights(qNet, targetNet);
    };

    /**
     * Scores every active row of `observation`: Qbar of each candidate into rowQ and of no click
     * into rowNothing (B), the choice scores into rowScores (B x N). Returns the rows.
     */
    const evaluate = (observation: Observation): number => {
      const rows = rowsOf(observation);
      for (let row = 0; row < rows; row++)
        if (observation.active[row] === 1) encode(observation, row, actInputs, row * (n + 1) * f);
      forward(qNet, actInputs, rows * (n + 1), f, actQ);
      if (choiceNet) forward(choiceNet, actInputs, rows * (n + 1), f, actLogits);
      scoresOf(observation, rows, actLogits, rowScores);
      for (let row = 0; row < rows; row++) {
        if (observation.active[row] === 0) continue;
        const at = row * (n + 1);
        if (!Number.isFinite(actQ[at]))
          throw new Error(
            `slateq: the Q-network's values are not finite numbers (${actQ[at]}): training diverged; ` +
              `lower learningRate or rewardScale`,
          );
        for (let c = 0; c < n; c++) rowQ[row * n + c] = actQ[at + c];
        rowNothing[row] = qNothing(actQ, at);
      }
      return rows;
    };

    const agent: SlateQAgent = {
      itemValues(observation, row) {
        evaluate(observation);
        const values = rowQ.subarray(row * n, (row + 1) * n);
        return {
          q: values.map((v) => v / hp.rewardScale),
          qNothing: rowNothing[row] / hp.rewardScale,
          scores: rowScores.slice(row * n, (row + 1) * n),
        };
      },
      act(observation, rowRngs, action, mode) {
        const rows = evaluate(observation);
        for (let row = 0; row < rows; row++) {
          if (observation.active[row] === 0) continue;
          const values: RowValues = {
            model: choice,
            scores: rowScores,
            q: rowQ,
            base: row * n,
            qNothing: rowNothing[row],
          };
          selectSlate(hp.selection, values, n, k, action.slates, row * k, scratch);
        }
        exploration.explore(observation, rows, rowRngs, action, mode === 'train' ? epsilonAt(trainSteps) : 0);
      },
      slotMarginals(row, out) {
        exploration.slotMarginals(row, out);
      },
      observe(transition) {
        replay.add(transition);
        let active = 0;
        for (let row = 0; row < transition.episode.length; row++) if (transition.episode[row] >= 0) active++;
        trainSteps += active;
        if (trainSteps >= hp.learningStarts) owed += (active * hp.replayRatio) / hp.batch;
      },
      update() {
        while (owed >= 1) {
          trainStep();
          owed -= 1;
        }
        const stats: Record<string, number> = { epsilon: epsilonAt(trainSteps), replay: replay.size, gradientSteps };
        if (sums.steps > 0) {
          stats.qLoss = sums.qLoss / sums.steps;
          stats.q = sums.q / sums.steps;
          if (choiceNet) stats.choiceLoss = sums.choiceLoss / sums.steps;
          sums = { qLoss: 0, choiceLoss: 0, q: 0, steps: 0 };
        }
        return stats;
      },
      // The networks that act: the Q-network and the choice network (the replay and the target are training buffers).
      save: () => ({
        inputs: inputNames(spec, candidates),
        q: weightsOf(qNet),
        choice: choiceNet ? weightsOf(choiceNet) : null,
      }),
      load(state) {
        const saved = new StateReader(state, 'slateq');
        saved.expect('inputs', inputNames(spec, candidates), 'inputs');
        assignWeights(qNet, saved.optional('q'), 'Q-network');
        copyWeights(qNet, targetNet);
        if (choiceNet) assignWeights(choiceNet, saved.optional('choice'), 'choice network');
      },
      dispose() {
        for (const net of [qNet, targetNet, choiceNet]) net?.dispose();
        qOptimizer.dispose();
        choiceOptimizer?.dispose();
      },
    };
    return agent;
  },
});

/**
 * A SlateQ agent, with what it believes of one row's candidates (tests and inspection; not part of the Agent contract).
 */
export interface SlateQAgent extends Agent {
  /**
   * Row `row`'s item values Qbar(s, i) and Qbar(s, nothing), in reward units (the rewardScale
   * undone), and the choice scores it would weigh them with (learned logits relative to nothing's,
   * or the world's affinities).
   */
  itemValues(observation: Observation, row: number): { q: Float64Array; qNothing: number; scores: Float64Array };
}

/** Inputs per item: the candidate features (features.ts), the user's features, and a flag for the no-click item. */
function inputWidth(spec: WorldSpec): number {
  return new CandidateFeatures(spec).size + spec.userFeatureDim + 1;
}

function inputNames(spec: WorldSpec, candidates: CandidateFeatures): string[] {
  return [...candidates.names, ...spec.observationLayout.userFeatures.map((name) => `user.${name}`), 'nothing'];
}

function copyWeights(from: Mlp, to: Mlp): void {
  const source = from.variables();
  to.variables().forEach((variable, i) => {
    variable.assign(source[i]);
  });
}
