// REINFORCE with the top-K off-policy correction (Chen et al. 2019, "Top-K Off-Policy Correction
// for a REINFORCE Recommender System", WSDM).
//
// Policy: a softmax over the N candidates of a row, pi(a | s) = exp(l_a) / sum_b exp(l_b), with
// logits l from an MLP over each candidate's features (supervised/features.ts) and the user's
// features (the context is among the candidate features). Training plays a page of K sampled
// without replacement (Plackett-Luce: sequential softmax draws renormalised over the candidates
// left), from the row's stream; evaluation plays the top K by probability (by logit: the same order), deterministic. The
// propensity of the ordered page played is its exact Plackett-Luce probability.
//
// Learning (section 3-4): the agent's own earlier selves are the behaviour policy beta. Each step
// is kept in a replay with, per item of its page, beta(item | s): the softmax probability the
// item had at acting time (the first-slot probability, as the paper's per-item correction uses).
// A gradient step samples kept steps and minimises, per chosen item a,
//   - w(a) lambda_K(a) (G - V(s)) log pi(a | s)                               (eq. 6 with 4.3)
// with
//   w(a) = min(pi(a | s) / beta(a | s), weightCap), normalised to mean 1 over the batch (section
//          4.3: capping and normalised importance sampling; `normalise`);
//   lambda_K(a) = K (1 - pi(a | s))^(K - 1), the top-K multiplier (section 4.2, eq. 7; `topK: false`
//          leaves it 1, the standard correction). The paper derives it for a page of K independent
//          draws from pi; pages here are drawn without replacement, so it is the paper's
//          approximation, not the exact gradient of the probability that an item is on the page.
// The returns: G_t = r_t + d_t G_{t+1}, with d_t = gamma per step (`discount: step`; gamma 0 is the
// myopic control) or gammaPerHour^(hours from step t to step t + 1: the step's minutes and, where
// the session ended, the hours to the next; `discount: hour`). Trajectories are cut every
// `rolloutSteps` steps (as A2C does, so that learning needs no episode to end) and at the loop's
// step limit: a cut bootstraps from V(s') of the next observation; a terminated episode does not.
// V(s) is a small MLP on the user's features and the mean of the candidates' features, trained by
// regression to the returns; G - V(s) is the advantage (the variance-reducing baseline).
// All the terms w, lambda, the advantage and the statistics are pure functions below
// (correctionCoefficients, policyLoss), which the toy problems of test/agents/rl/reinforce.test.ts
// exercise.
import type * as TF from '@tensorflow/tfjs';
import type { Observation, WorldSpec } from '../../sim/env.ts';
import type { Rng } from '../../sim/rng.ts';
import { defineAgent, type Agent } from '../agent.ts';
import { estimatePropensities, rowsOf } from '../bandits/common.ts';
import { Mlp } from '../nets/dense.ts';
import { tfjs } from '../nets/tf.ts';
import { assignWeights, forward, weightsOf } from '../nets/weights.ts';
import { StateReader, type AgentState } from '../state.ts';
import { CandidateFeatures } from '../supervised/features.ts';
import { headsOf } from '../supervised/signal-log.ts';
import { VALUE_WEIGHTS, ValueModel, valueModelMemory } from '../supervised/value-model.ts';
import { ObservationRows, scratchObservation } from './replay.ts';
import {
  entropyOf,
  orderedPrefixes,
  plackettLuceMarginals,
  samplePage,
  softmaxInto,
  topKInto,
} from './plackett-luce.ts';
import { discountedReturns, stepDiscount } from './returns.ts';
import { behaviourLoss, correctionCoefficients, policyLoss } from './top-k-correction.ts';

/** The most ordered prefixes of K - 1 candidates ((N)_(K-1)) whose slot marginals are computed exactly; beyond, by draws. */
export const EXACT_MARGINALS_LIMIT = 20_000;

export const reinforce = defineAgent({
  name: 'reinforce',
  summary:
    'REINFORCE with the top-K off-policy correction (Chen et al. 2019): a softmax policy over the ' +
    'candidates, pages sampled without replacement, learned from its replayed earlier selves.',
  family: 'rl',
  learns:
    'a softmax policy over the candidates (neural, TensorFlow.js) from discounted returns, with a ' +
    'learned value baseline, importance-weighted against the policy that acted',
  nets: true,
  params: {
    gamma: {
      type: 'number',
      default: 0.99,
      min: 0,
      max: 1,
      doc: 'discount per step (discount: step); 0 is the myopic control (the return is the reward)',
    },
    discount: {
      type: 'enum',
      default: 'step',
      values: ['step', 'hour'],
      doc: "discount per step (gamma), or per hour of the world's clock (gammaPerHour; worlds with a clock)",
    },
    gammaPerHour: {
      type: 'number',
      default: 0.98,
      min: 0,
      max: 1,
      doc: 'discount per hour between steps, a session gap included (discount: hour)',
    },
    topK: {
      type: 'boolean',
      default: true,
      doc: 'the top-K multiplier K (1 - pi)^(K - 1) (section 4.2); false is the standard off-policy correction',
    },
    weightCap: {
      type: 'number',
      default: 10,
      min: 1,
      doc: 'cap of the importance weight pi / beta of each item (section 4.3)',
    },
    normalise: {
      type: 'boolean',
      default: true,
      doc: "importance weights divided by the batch's mean (normalised importance sampling)",
    },
    entropyBonus: { type: 'number', default: 0, min: 0, doc: "weight of the policy's entropy in the loss" },
    hidden: {
      type: 'int',
      default: 64,
      min: 1,
      max: 4096,
      doc: 'units of the hidden layer of the policy network and of the value network',
    },
    learningRate: {
      type: 'number',
      // 0.001 collapsed the policy on some feed seeds (entropy near 0, importance weights near 0.2:
      // the replay's pages far from it); 0.0003 did not (experiments/myopic-vs-longterm.yaml's
      // world, seeds 0 and 1, README).
      default: 0.0003,
      min: 0,
      doc: 'Adam step size (both networks)',
    },
    batch: { type: 'int', default: 64, min: 1, max: 100_000, doc: 'replayed steps per gradient step' },
    replayRatio: {
      type: 'number',
      default: 2,
      min: 0,
      doc: 'replayed steps per step whose return became known (gradient steps = such steps x ratio / batch)',
    },
    replayCapacity: {
      type: 'int',
      default: 20_000,
      min: 1,
      max: 100_000_000,
      doc: 'steps the replay holds; beyond, the oldest are overwritten',
    },
    rolloutSteps: {
      type: 'int',
      default: 32,
      min: 1,
      max: 100_000,
      doc: "steps of a row's trajectory before its returns are cut and bootstrapped from V(s')",
    },
    behaviour: {
      type: 'enum',
      default: 'recorded',
      values: ['recorded', 'learned'],
      doc:
        "beta, the policy that acted: the probabilities recorded when it acted, or a learned head's " +
        "estimate (the paper's, for logs whose propensities are unknown): a softmax network on the " +
        'same inputs, fitted to the pages in the replay by cross-entropy',
    },
    credit: {
      type: 'enum',
      default: 'seen',
      values: ['seen', 'page'],
      doc:
        "the items a step's advantage is credited to: the page's items the user saw (where the world " +
        'observes impressions; every item elsewhere), or every item of the page (the paper)',
    },
    rewardScale: {
      type: 'number',
      default: 0.1,
      min: 0,
      doc: 'rewards are multiplied by it before learning (keeps returns and values near 1-100)',
    },
    prior: {
      type: 'enum',
      // From scratch, the policy learned too little from page returns in the feed (README, Planning
      // in the feed): 133 minutes per user where the value model's own softmax earns 229.
      default: 'value-model',
      values: ['none', 'value-model'],
      doc:
        "what the policy starts from: nothing, or the ranker's value model (a multi-task network of " +
        "every signal, fitted to the policy's own impressions as the ranker's is): each candidate's " +
        'predicted signals join its inputs and priorWeight x its predicted value joins its logit, so ' +
        'the network learns a correction to the value model',
    },
    priorWeight: {
      type: 'number',
      default: 1,
      min: 0,
      doc: "logit per unit of the value model's value, in the reward's units (prior: value-model)",
    },
    priorRetrainEvery: {
      type: 'int',
      default: 5000,
      min: 1,
      doc: 'training steps between refits of the value model on the impressions (prior: value-model)',
    },
    correctionPenalty: {
      type: 'number',
      // Picked on tuning seeds (experiment seed 100, seeds 0-1; README, Planning in the feed): 0,
      // 0.1, 1 and 10 earned 199, 223, 250 and 245 minutes per user.
      default: 1,
      min: 0,
      doc: "weight of the mean square of the network's correction in the loss (prior: value-model): keeps the policy near the value model",
    },
    value: VALUE_WEIGHTS,
    propensitySamples: {
      type: 'int',
      default: 1000,
      min: 1,
      max: 1_000_000,
      doc:
        'pages drawn to estimate the slot marginals when there are too many ordered pages to sum ' +
        'exactly (propensities for off-policy evaluation only)',
    },
  },
  notInStreamKey: ['propensitySamples'],
  unsupported: (spec, hp) => {
    if (hp.discount === 'hour' && !spec.clock)
      return { field: 'discount', message: 'discount: hour needs a world with a clock; this one has none (use step)' };
    if (hp.replayCapacity < 2 * spec.batchSize * hp.rolloutSteps)
      return {
        field: 'replayCapacity',
        message:
          `must hold at least two rollouts of every training row (2 x ${spec.batchSize} rows x ` +
          `${hp.rolloutSteps} rolloutSteps = ${2 * spec.batchSize * hp.rolloutSteps}), got ${hp.replayCapacity}`,
      };
    return null;
  },
  check: (hp) =>
    hp.rewardScale > 0
      ? []
      : [{ field: 'rewardScale', message: `must be above 0 (0 would learn nothing), got ${hp.rewardScale}` }],
  notes: (hp) => [
    ...(hp.topK
      ? [
          'the top-K multiplier K (1 - pi)^(K - 1) assumes K independent draws; pages are drawn ' +
            "without replacement, so it is the paper's approximation",
        ]
      : []),
    `returns are cut every ${hp.rolloutSteps} steps and bootstrapped from the learned value`,
    ...(hp.prior === 'value-model'
      ? [`starts from the ranker's value model: logits = ${hp.priorWeight} x value + the network's correction`]
      : []),
    ...(hp.behaviour === 'learned'
      ? ['estimates the behaviour policy (beta) with a learned head instead of using the recorded propensities']
      : []),
  ],
  // The replay and the networks (policy f-h-1, value (u + F)-h-1, each weight with Adam's two moments);
  // the acting and training inputs.
  memory: (hp, spec) => {
    const f = policyWidth(spec, hp.prior);
    const v = valueWidth(spec);
    const { numCandidates: n, slateSize: k, batchSize: b } = spec;
    const weights =
      (f + 2) * hp.hidden + 1 + (v + 2) * hp.hidden + 1 + (hp.behaviour === 'learned' ? (f + 2) * hp.hidden + 1 : 0);
    const replay = hp.replayCapacity * (ObservationRows.width(spec) * 4 + k * 12 + 8 + 8 + 4 + 1);
    const acting = b * n * (f * 4 + 8 * 3) + b * n * k * 8;
    const training = hp.batch * n * (f * 4 * 3 + 8) + hp.batch * v * 4 * 3;
    const prior =
      hp.prior === 'value-model' ? valueModelMemory(spec, PRIOR_NET) + Math.max(b, hp.batch) * n * f * 4 : 0;
    return replay + weights * 4 * 3 + acting + training + prior;
  },
  create: (hp, { spec, streams }) => {
    const tf = tfjs();
    const { numCandidates: n, slateSize: k, batchSize: b } = spec;
    const candidates = new CandidateFeatures(spec);
    const cf = candidates.size;
    const u = spec.userFeatureDim;
    const f = policyWidth(spec, hp.prior);
    const v = valueWidth(spec);
    const policyNet = new Mlp([f, hp.hidden, 1], streams.init, 'reinforce/policy');
    // From a prior, the network is a correction that starts at 0: the first policy is the value
    // model's softmax, not the value model plus a random net's noise.
    if (hp.prior === 'value-model') {
      const output = policyNet.layers[policyNet.layers.length - 1];
      output.w.assign(tf.zerosLike(output.w));
    }
    const valueNet = new Mlp([v, hp.hidden, 1], streams.init, 'reinforce/value');
    const policyOptimizer = tf.train.adam(hp.learningRate);
    const valueOptimizer = tf.train.adam(hp.learningRate);
    // The paper's beta head, made after the other two (their weights stay as they are without it).
    const behaviourNet = hp.behaviour === 'learned' ? new Mlp([f, hp.hidden, 1], streams.init, 'reinforce/beta') : null;
    const behaviourOptimizer = behaviourNet ? tf.train.adam(hp.learningRate) : null;
    // The value model the policy starts from (prior: value-model), made last for the same reason.
    const model =
      hp.prior === 'value-model'
        ? new ValueModel(
            spec,
            { ...PRIOR_NET, retrainEvery: hp.priorRetrainEvery, value: hp.value },
            streams.init,
            'reinforce/prior',
          )
        : null;
    const h = model ? model.heads.length : 0;
    const rowsAtOnce = Math.max(b, hp.batch);
    const priorInputs = model ? new Float32Array(rowsAtOnce * n * cf) : null;
    const priorPredictions = model ? new Float32Array(rowsAtOnce * n * h) : null;
    const priorValues = model ? new Float64Array(rowsAtOnce * n) : null;
    /** B x N (acting) and m x N (training): priorWeight x each candidate's value, added to its logit. */
    const actBase = new Float32Array(b * n);
    const trainBase = new Float32Array(hp.batch * n);

    // Acting: B x N x f inputs, B x N logits and probabilities; B x K the train pages' beta per item.
    const block = new Float64Array(n * cf);
    const actInputs = new Float32Array(b * n * f);
    const actLogits = new Float32Array(b * n);
    const actProbs = new Float64Array(b * n);
    const actBeta = new Float64Array(b * k);
    const remaining = new Uint8Array(n);
    const marginals = new Float64Array(b * n * k); // B x N x K: slot marginals of the last training act
    const oneSlate = new Int32Array(k);
    let lastWasEval = false;
    const lastSlates = new Int32Array(b * k);

    // Replay: per kept step its observation, page (K), beta per item (K), return, and whether known.
    const cap = hp.replayCapacity;
    const kept = new ObservationRows(spec, cap);
    const keptSlates = new Int32Array(cap * k);
    const keptBeta = new Float64Array(cap * k);
    // Per kept step: how many of its page's items are credited (credit: seen: the impressions).
    const keptSeen = new Int32Array(cap);
    const creditSeen = hp.credit === 'seen' && spec.impressionsObserved;
    const usedItems = new Int32Array(hp.batch);
    const keptReturn = new Float64Array(cap);
    const keptReady = new Uint8Array(cap);
    const keptSerial = new Float64Array(cap).fill(-1);
    let cursor = 0;
    let size = 0;
    let added = 0;

    // Per training row, its open trajectory (B x rolloutSteps): slots, their serials, rewards, discounts.
    const openSlots = new Int32Array(b * hp.rolloutSteps);
    const openSerials = new Float64Array(b * hp.rolloutSteps);
    const openRewards = new Float64Array(b * hp.rolloutSteps);
    const openDiscounts = new Float64Array(b * hp.rolloutSteps);
    const openReturns = new Float64Array(b * hp.rolloutSteps);
    const openCount = new Int32Array(b);
    const bootstrap = new Float64Array(b); // V(s') of the rows cut this round
    const bootstrapRows = new Int32Array(b);
    const bootInputs = new Float32Array(b * v);
    const bootValues = new Float32Array(b);

    // Training: a batch of kept steps.
    const m = hp.batch;
    const picked = new Int32Array(m);
    const rows = scratchObservation(spec, m);
    const trainInputs = new Float32Array(m * n * f);
    const valueInputs = new Float32Array(m * v);
    const trainLogits = new Float32Array(m * n);
    const trainValues = new Float32Array(m);
    const trainProbs = new Float64Array(m * n);
    // The learned beta head's logits and probabilities, and each page's items as its targets (m x N).
    const betaLogits = behaviourNet ? new Float32Array(m * n) : null;
    const betaProbs = behaviourNet ? new Float64Array(m * n) : null;
    const betaTargets = behaviourNet ? new Float32Array(m * n) : null;
    const returns = new Float32Array(m);
    const advantages = new Float64Array(m);
    const piItem = new Float64Array(m * k);
    const betaItem = new Float64Array(m * k);
    const coefficientsItem = new Float64Array(m * k);
    const coefficients = new Float32Array(m * n); // m x N: each chosen item's coefficient on log pi

    let owed = 0;
    let gradientSteps = 0;
    let sums = { loss: 0, meanWeight: 0, cappedShare: 0, entropy: 0, valueLoss: 0, behaviourLoss: 0, steps: 0 };

    /** Row `row`'s N policy inputs (each candidate's features, then the user's) at out[at ..], and its value input at valueOut[valueAt ..]. */
    const encode = (
      observation: Observation,
      row: number,
      out: Float32Array | null,
      at: number,
      valueOut: Float32Array,
      valueAt: number,
    ) => {
      candidates.encodeRow(observation, row, block);
      const user = observation.userFeatures.subarray(row * u, (row + 1) * u);
      valueOut.fill(0, valueAt, valueAt + v);
      valueOut.set(user, valueAt);
      for (let c = 0; c < n; c++) {
        for (let j = 0; j < cf; j++) valueOut[valueAt + u + j] += block[c * cf + j] / n;
        if (!out) continue;
        const base = at + c * f;
        for (let j = 0; j < cf; j++) out[base + j] = block[c * cf + j];
        out.set(user, base + cf);
      }
    };

    /** Softmax probabilities (float64) of `count` rows of N logits into probs. */
    const softmaxRows = (logits: Float32Array, count: number, probs: Float64Array, active?: Uint8Array) => {
      for (let row = 0; row < count; row++) {
        if (active && active[row] === 0) continue;
        softmaxInto(logits, row * n, n, probs);
      }
    };

    /**
     * With a prior, the value model's predictions for `count` rows of encoded inputs (count x N x f):
     * written into the inputs after the user's features, and priorWeight x each value into base.
     */
    const applyPrior = (inputs: Float32Array, count: number, base: Float32Array) => {
      if (!model || !priorInputs || !priorPredictions || !priorValues) return;
      for (let i = 0; i < count * n; i++) priorInputs.set(inputs.subarray(i * f, i * f + cf), i * cf);
      model.predict(priorInputs, count * n, priorPredictions, priorValues);
      for (let i = 0; i < count * n; i++) {
        inputs.set(priorPredictions.subarray(i * h, (i + 1) * h), i * f + cf + u);
        base[i] = hp.priorWeight * priorValues[i];
      }
    };

    const valueScratch = new Float32Array(b * v);
    /** The policy's probabilities for every active row of `observation` (B x N into actProbs). */
    const policyOf = (observation: Observation): number => {
      const count = rowsOf(observation);
      for (let row = 0; row < count; row++)
        if (observation.active[row] === 1) encode(observation, row, actInputs, row * n * f, valueScratch, row * v);
      applyPrior(actInputs, count, actBase);
      forward(policyNet, actInputs, count * n, f, actLogits);
      if (model) for (let i = 0; i < count * n; i++) actLogits[i] += actBase[i];
      for (let row = 0; row < count; row++) {
        if (observation.active[row] === 0) continue;
        if (!Number.isFinite(actLogits[row * n]))
          throw new Error(
            `reinforce: the policy's logits are not finite numbers (${actLogits[row * n]}): training ` +
              `diverged; lower learningRate or rewardScale${model ? ' or priorWeight' : ''}`,
          );
      }
      softmaxRows(actLogits, count, actProbs, observation.active);
      return count;
    };

    /** Closes row `row`'s open trajectory: returns backwards from `tail` (the bootstrap), the steps become sampleable. */
    const close = (row: number, tail: number) => {
      const base = row * hp.rolloutSteps;
      discountedReturns(openRewards, openDiscounts, base, openCount[row], tail, openReturns);
      for (let i = openCount[row] - 1; i >= 0; i--) {
        const g = openReturns[base + i];
        const slot = openSlots[base + i];
        if (keptSerial[slot] !== openSerials[base + i]) continue; // overwritten meanwhile
        keptReturn[slot] = g;
        keptReady[slot] = 1;
        owed += hp.replayRatio / hp.batch;
      }
      openCount[row] = 0;
    };

    /** One gradient step of each network on a replayed batch. */
    const trainStep = (rng: Rng) => {
      let count = 0;
      for (let tries = 0; count < m && tries < m * 20; tries++) {
        const slot = rng.int(size);
        if (keptReady[slot] === 1) picked[count++] = slot;
      }
      if (count === 0) return;
      for (let i = 0; i < count; i++) {
        const slot = picked[i];
        kept.read(slot, rows, i);
        encode(rows, i, trainInputs, i * n * f, valueInputs, i * v);
        returns[i] = keptReturn[slot];
      }
      applyPrior(trainInputs, count, trainBase);
      forward(policyNet, trainInputs, count * n, f, trainLogits);
      if (model) for (let i = 0; i < count * n; i++) trainLogits[i] += trainBase[i];
      forward(valueNet, valueInputs, count, v, trainValues);
      softmaxRows(trainLogits, count, trainProbs);
      if (behaviourNet && betaLogits && betaProbs && betaTargets) {
        forward(behaviourNet, trainInputs, count * n, f, betaLogits);
        softmaxRows(betaLogits, count, betaProbs);
        betaTargets.fill(0, 0, count * n);
      }
      for (let i = 0; i < count; i++) {
        advantages[i] = returns[i] - trainValues[i];
        const slot = picked[i];
        usedItems[i] = keptSeen[slot];
        for (let s = 0; s < k; s++) {
          const item = keptSlates[slot * k + s];
          piItem[i * k + s] = trainProbs[i * n + item];
          if (betaProbs && betaTargets) {
            betaItem[i * k + s] = betaProbs[i * n + item];
            betaTargets[i * n + item] += 1;
          } else betaItem[i * k + s] = keptBeta[slot * k + s];
        }
      }
      const stats = correctionCoefficients(
        piItem,
        betaItem,
        advantages,
        count,
        k,
        { slateSize: k, weightCap: hp.weightCap, normalise: hp.normalise, topK: hp.topK },
        coefficientsItem,
        usedItems,
      );
      coefficients.fill(0, 0, count * n);
      for (let i = 0; i < count; i++)
        for (let s = 0; s < k; s++) coefficients[i * n + keptSlates[picked[i] * k + s]] += coefficientsItem[i * k + s];
      let entropy = 0;
      for (let i = 0; i < count; i++) entropy += entropyOf(trainProbs, i * n, n) / count;
      const [policyLossValue, valueLossValue] = tf.tidy(() => {
        const xs = tf.tensor2d(trainInputs.subarray(0, count * n * f), [count * n, f]);
        const cs = tf.tensor2d(coefficients.subarray(0, count * n), [count, n]);
        const base = model ? tf.tensor2d(trainBase.subarray(0, count * n), [count, n]) : null;
        // With a prior, the network's output is a correction to priorWeight x value, kept near 0 by
        // correctionPenalty x its mean square unless the returns pay for it.
        const lossOf = () => {
          const output = tf.reshape(policyNet.apply(xs), [count, n]) as TF.Tensor2D;
          if (!base) return policyLoss(output, cs, hp.entropyBonus);
          const loss = policyLoss(tf.add(output, base) as TF.Tensor2D, cs, hp.entropyBonus);
          return hp.correctionPenalty > 0
            ? (tf.add(loss, tf.mul(hp.correctionPenalty, tf.mean(tf.square(output)))) as TF.Scalar)
            : loss;
        };
        const policyValue = policyOptimizer.minimize(lossOf, true, policyNet.variables())!;
        const vs = tf.tensor2d(valueInputs.subarray(0, count * v), [count, v]);
        const ys = tf.tensor1d(returns.subarray(0, count));
        const valueValue = valueOptimizer.minimize(
          () => tf.losses.meanSquaredError(ys, tf.reshape(valueNet.apply(vs), [count])) as TF.Scalar,
          true,
          valueNet.variables(),
        )!;
        return [policyValue, valueValue];
      });
      if (behaviourNet && behaviourOptimizer && betaTargets) {
        const behaviourValue = tf.tidy(() => {
          const xs = tf.tensor2d(trainInputs.subarray(0, count * n * f), [count * n, f]);
          const ts = tf.tensor2d(betaTargets.subarray(0, count * n), [count, n]);
          return behaviourOptimizer.minimize(
            () => behaviourLoss(tf.reshape(behaviourNet.apply(xs), [count, n]) as TF.Tensor2D, ts),
            true,
            behaviourNet.variables(),
          )!;
        });
        sums.behaviourLoss += behaviourValue.dataSync()[0];
        behaviourValue.dispose();
      }
      sums.loss += policyLossValue.dataSync()[0];
      sums.valueLoss += valueLossValue.dataSync()[0];
      policyLossValue.dispose();
      valueLossValue.dispose();
      sums.meanWeight += stats.meanWeight;
      sums.cappedShare += stats.cappedShare;
      sums.entropy += entropy;
      sums.steps++;
      gradientSteps++;
    };

    const agent: Agent = {
      act(observation, rowRngs, action, mode) {
        const count = policyOf(observation);
        lastWasEval = mode === 'eval';
        for (let row = 0; row < count; row++) {
          if (observation.active[row] === 0) continue;
          if (mode === 'eval') {
            // By the logits: the probabilities' order, without the ties of those that underflow to 0.
            topKInto(actLogits, row * n, n, k, action.slates, row * k);
            continue;
          }
          const p = samplePage(actProbs, row * n, n, k, rowRngs[row], remaining, action.slates, row * k);
          for (let s = 0; s < k; s++) actBeta[row * k + s] = actProbs[row * n + action.slates[row * k + s]];
          if (action.propensities) action.slateProb[row] = p;
        }
        if (mode === 'eval') {
          lastSlates.set(action.slates.subarray(0, count * k));
          return;
        }
        if (!action.propensities) return;
        const exact = orderedPrefixes(n, k - 1) <= EXACT_MARGINALS_LIMIT;
        for (let row = 0; row < count; row++) {
          if (observation.active[row] === 0) continue;
          const base = row * n * k;
          if (exact) {
            plackettLuceMarginals(actProbs, row * n, n, k, marginals.subarray(base, base + n * k), remaining);
            for (let s = 0; s < k; s++)
              action.slotProb[row * k + s] = marginals[base + action.slates[row * k + s] * k + s];
          } else {
            const slateProb = action.slateProb[row];
            const draw = (out: Int32Array) => samplePage(actProbs, row * n, n, k, streams.update, remaining, out, 0);
            estimatePropensities(row, hp.propensitySamples, n, k, draw, action, marginals, oneSlate);
            action.slateProb[row] = slateProb; // the exact one, not the draws' estimate
          }
        }
      },
      slotMarginals(row, out) {
        if (lastWasEval) {
          out.fill(0, 0, n * k);
          for (let s = 0; s < k; s++) out[lastSlates[row * k + s] * k + s] = 1;
        } else out.set(marginals.subarray(row * n * k, (row + 1) * n * k));
      },
      beginEpisode(row, _episode, mode) {
        if (mode === 'train') openCount[row] = 0;
      },
      observe(t) {
        model?.observe(t);
        let cuts = 0;
        for (let row = 0; row < t.episode.length; row++) {
          if (t.episode[row] < 0) continue;
          const slot = cursor;
          kept.write(slot, t.before, row);
          keptSlates.set(t.action.slates.subarray(row * k, (row + 1) * k), slot * k);
          keptBeta.set(actBeta.subarray(row * k, (row + 1) * k), slot * k);
          keptSeen[slot] = creditSeen ? t.impressions[row] : k;
          keptReady[slot] = 0;
          keptSerial[slot] = added;
          const at = row * hp.rolloutSteps + openCount[row]++;
          openSlots[at] = slot;
          openSerials[at] = added++;
          openRewards[at] = hp.rewardScale * t.reward[row];
          openDiscounts[at] = stepDiscount(hp, t, row);
          cursor = (cursor + 1) % cap;
          size = Math.min(size + 1, cap);
          if (t.terminated[row] === 1) close(row, 0);
          else if (t.truncated[row] === 1 || openCount[row] === hp.rolloutSteps) {
            // Cut: bootstrap from V(s') (computed below for all the round's cuts at once).
            encode(t.after, row, null, 0, bootInputs, cuts * v);
            bootstrapRows[cuts++] = row;
          }
        }
        if (cuts > 0) {
          forward(valueNet, bootInputs, cuts, v, bootValues);
          for (let i = 0; i < cuts; i++) bootstrap[bootstrapRows[i]] = bootValues[i];
          for (let i = 0; i < cuts; i++) close(bootstrapRows[i], bootstrap[bootstrapRows[i]]);
        }
      },
      update() {
        model?.refitIfDue(streams.update);
        while (owed >= 1) {
          trainStep(streams.update);
          owed -= 1;
        }
        const stats: Record<string, number> = { replay: size, gradientSteps };
        if (model && !Number.isNaN(model.lastLoss)) stats.priorLoss = model.lastLoss;
        if (sums.steps > 0) {
          stats.loss = sums.loss / sums.steps;
          stats.meanWeight = sums.meanWeight / sums.steps;
          stats.cappedShare = sums.cappedShare / sums.steps;
          stats.entropy = sums.entropy / sums.steps;
          stats.valueLoss = sums.valueLoss / sums.steps;
          if (behaviourNet) stats.behaviourLoss = sums.behaviourLoss / sums.steps;
          sums = { loss: 0, meanWeight: 0, cappedShare: 0, entropy: 0, valueLoss: 0, behaviourLoss: 0, steps: 0 };
        }
        return stats;
      },
      save: () => ({
        inputs: inputNames(spec, candidates, model),
        policy: weightsOf(policyNet),
        value: weightsOf(valueNet),
        ...(model ? { prior: model.save() } : {}),
      }),
      load(state) {
        const saved = new StateReader(state, 'reinforce');
        saved.expect('inputs', inputNames(spec, candidates, model), 'inputs');
        assignWeights(policyNet, saved.optional('policy'), 'policy network');
        assignWeights(valueNet, saved.optional('value'), 'value network');
        if (model) model.load(new StateReader(saved.optional('prior') as AgentState, 'reinforce value model'));
      },
      dispose() {
        policyNet.dispose();
        valueNet.dispose();
        policyOptimizer.dispose();
        valueOptimizer.dispose();
        behaviourNet?.dispose();
        behaviourOptimizer?.dispose();
        model?.dispose();
      },
    };
    return agent;
  },
});

/** The prior's network: the ranker's defaults. */
export const PRIOR_NET = { hidden: 64, learningRate: 0.003, fitBatch: 512, logSize: 200_000, epochs: 2 } as const;

/** Policy inputs per candidate: its features (features.ts), the user's features, then (prior: value-model) the predicted signals. */
function policyWidth(spec: WorldSpec, prior: string): number {
  return new CandidateFeatures(spec).size + spec.userFeatureDim + (prior === 'value-model' ? headsOf(spec).length : 0);
}

/** Value inputs: the user's features, then the mean of the candidates' features (the context among them). */
function valueWidth(spec: WorldSpec): number {
  return spec.userFeatureDim + new CandidateFeatures(spec).size;
}

function inputNames(spec: WorldSpec, candidates: CandidateFeatures, model: ValueModel | null): string[] {
  return [
    ...candidates.names,
    ...spec.observationLayout.userFeatures.map((name) => `user.${name}`),
    ...(model ? model.heads.map((head) => `predicted.${head.signal}`) : []),
  ];
}
