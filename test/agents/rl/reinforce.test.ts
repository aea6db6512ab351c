// REINFORCE with the top-K off-policy correction (agents/rl/reinforce.ts). The paper's two toy
// problems (Chen et al. 2019, section 4.2 and figure 1) run the agent's own correction and loss
// (correctionCoefficients, policyLoss) on a single state whose logits are free parameters, learned
// from logs of a behaviour policy; then Plackett-Luce pages and their probabilities; then the
// agent in the default feed world. Seeded; tolerances and sample sizes are stated with each test.
import { beforeAll, describe, expect, it } from 'vitest';
import { allocateAction } from '../../../agents/agent.ts';
import { useBackend } from '../../../agents/nets/backend.ts';
import { tfjs } from '../../../agents/nets/tf.ts';
import {
  pageProbability,
  plackettLuceMarginals,
  samplePage,
  softmaxInto,
  topKInto,
} from '../../../agents/rl/plackett-luce.ts';
import { PRIOR_NET } from '../../../agents/rl/reinforce.ts';
import { discountedReturns, stepDiscount } from '../../../agents/rl/returns.ts';
import { agents } from '../../../agents/index.ts';
import { StateReader, type AgentState } from '../../../agents/state.ts';
import { ValueModel } from '../../../agents/supervised/value-model.ts';
import {
  behaviourLoss,
  correctionCoefficients,
  policyLoss,
  type CorrectionOptions,
} from '../../../agents/rl/top-k-correction.ts';
import { train } from '../../../lab/loop/rollout.ts';
import { defaultParams } from '../../../sim/params.ts';
import { worlds } from '../../../sim/presets/index.ts';
import { Rng } from '../../../sim/rng.ts';
import {
  contractSetting,
  contractTrained,
  contractUsers,
  contractWorld,
  handTransition,
  makeAgent,
  rowStreams,
} from '../helpers.ts';

beforeAll(() => useBackend('wasm'), 60_000);

interface Toy {
  readonly rewards: readonly number[];
  /** The behaviour policy that logged the data (sums to 1). */
  readonly beta: readonly number[];
  /** Logged items per gradient step, and gradient steps. */
  readonly events: number;
  readonly steps: number;
  /** null: no correction at all (w = 1, lambda = 1). */
  readonly correction: CorrectionOptions | null;
  /**
   * Estimate beta from the logged items with the agent's behaviour head loss (free logits, Adam
   * 0.05, one step per gradient step) instead of using the logging probabilities: the paper's beta
   * head for logs whose propensities are unknown. learnToy then also returns the estimate.
   */
  readonly learnBeta?: boolean;
}

/**
 * A single-state softmax policy (N free logits, from 0) learned by Adam (0.05) from logs of beta:
 * each gradient step draws `events` items from beta, each with its reward as the advantage (one
 * item per logged row), and minimises the agent's loss with the agent's coefficients. Returns pi at
 * the end, averaged over the last 50 steps.
 */
function learnToy(toy: Toy, seed: string, betaOut?: Float64Array): Float64Array {
  const tf = tfjs();
  const n = toy.rewards.length;
  const rng = new Rng(seed);
  const logits = tf.variable(tf.zeros([1, n]));
  const optimizer = tf.train.adam(0.05);
  const betaLogits = tf.variable(tf.zeros([1, n]));
  const betaOptimizer = tf.train.adam(0.05);
  const betaEstimate = new Float64Array(n);
  const counts = new Float32Array(n);
  const pi = new Float64Array(n);
  const piItem = new Float64Array(toy.events);
  const betaItem = new Float64Array(toy.events);
  const advantages = new Float64Array(toy.events);
  const items = new Int32Array(toy.events);
  const out = new Float64Array(toy.events);
  const perItem = new Float32Array(n);
  const average = new Float64Array(n);
  for (let step = 0; step < toy.steps; step++) {
    softmaxInto(logits.dataSync(), 0, n, pi);
    if (step >= toy.steps - 50) for (let c = 0; c < n; c++) average[c] += pi[c] / 50;
    if (toy.learnBeta) softmaxInto(betaLogits.dataSync(), 0, n, betaEstimate);
    counts.fill(0);
    for (let e = 0; e < toy.events; e++) {
      items[e] = rng.categorical(toy.beta);
      piItem[e] = pi[items[e]];
      betaItem[e] = toy.learnBeta ? betaEstimate[items[e]] : toy.beta[items[e]];
      advantages[e] = toy.rewards[items[e]];
      counts[items[e]] += 1 / toy.events;
    }
    if (toy.learnBeta)
      tf.tidy(() => {
        const targets = tf.tensor2d(counts, [1, n]);
        betaOptimizer.minimize(() => behaviourLoss(betaLogits as never, targets), false, [betaLogits]);
      });
    if (toy.correction) correctionCoefficients(piItem, betaItem, advantages, toy.events, 1, toy.correction, out);
    else out.set(advantages);
    // One state: the events' coefficients summed per item, over the events (the loss's rows).
    perItem.fill(0);
    for (let e = 0; e < toy.events; e++) perItem[items[e]] += out[e] / toy.events;
    tf.tidy(() => {
      const coefficients = tf.tensor2d(perItem, [1, n]);
      optimizer.minimize(() => policyLoss(logits as never, coefficients, 0), false, [logits]);
    });
  }
  if (betaOut) softmaxInto(betaLogits.dataSync(), 0, n, betaOut);
  logits.dispose();
  optimizer.dispose();
  betaLogits.dispose();
  betaOptimizer.dispose();
  return average;
}

describe('the off-policy correction on the paper’s toy problems (single state, free logits)', () => {
  // Toy 1: 10 items with reward i, logged by beta proportional to 11 - i (skewed to the low items).
  const rewards = Array.from({ length: 10 }, (_, i) => i + 1);
  const betaWeights = rewards.map((r) => 11 - r);
  const beta = betaWeights.map((w) => w / 55);
  const STEPS = 600;
  const EVENTS = 500;

  it('without correction learns pi proportional to r x beta (600 steps of 500 logged items; each probability within 0.02; measured 0.007)', () => {
    const pi = learnToy({ rewards, beta, events: EVENTS, steps: STEPS, correction: null }, 'toy1/none');
    const rb = rewards.map((r, i) => r * beta[i]);
    const total = rb.reduce((a, b) => a + b, 0);
    for (let i = 0; i < 10; i++) expect(Math.abs(pi[i] - rb[i] / total), `item ${i + 1}`).toBeLessThan(0.02);
  });

  it('with the correction (uncapped, normalised) concentrates on item 10 (600 steps of 2,000 logged items; pi(10) > 0.9, measured 0.995)', () => {
    // Uncapped: at the cap's default 10, item 10's weight pi / beta = 55 pi is capped once pi(10) > 0.18,
    // and the capped gradient's fixed point favours item 9 (see the agent's weightCap). 2,000 logged
    // items a step: item 10 is 1 in 55 of them and carries the gradient, and 500 a step left pi(10)
    // wandering between 0.8 and 0.91 (item 9 the rest).
    const correction = { slateSize: 1, weightCap: 1e9, normalise: true, topK: false };
    const pi = learnToy({ rewards, beta, events: 4 * EVENTS, steps: STEPS, correction }, 'toy1/corrected');
    expect(pi[9]).toBeGreaterThan(0.9);
  });

  it('with the correction and beta learned by the behaviour head (no recorded propensities), still concentrates on item 10 (600 steps of 2,000; pi(10) > 0.9, beta within 0.02)', () => {
    const learned = new Float64Array(10);
    const pi = learnToy(
      {
        rewards,
        beta,
        events: 2000,
        steps: STEPS,
        correction: { slateSize: 1, weightCap: 1e9, normalise: true, topK: false },
        learnBeta: true,
      },
      'toy1/learned-beta',
      learned,
    );
    for (let i = 0; i < 10; i++) expect(Math.abs(learned[i] - beta[i]), `beta of item ${i + 1}`).toBeLessThan(0.02);
    expect(pi[9]).toBeGreaterThan(0.9);
  });

  it("capped at the default 10, stops short of item 10: the cap's bias (600 steps of 2,000; pi(10) < 0.5, measured 0.23 with 0.42 on item 9)", () => {
    const correction = { slateSize: 1, weightCap: 10, normalise: true, topK: false };
    const pi = learnToy({ rewards, beta, events: 4 * EVENTS, steps: STEPS, correction }, 'toy1/corrected');
    expect(pi[9]).toBeLessThan(0.5);
    expect(pi[7] + pi[8] + pi[9]).toBeGreaterThan(0.9);
  });

  // Toy 2: K = 2, rewards 10, 9 and eight of 1, uniform behaviour. The standard correction's
  // gradient is the on-policy one, whose optimum puts all mass on item 1; the top-K multiplier
  // 2 (1 - pi) scales each item's reward, and its fixed point 10 (1 - pi1) = 9 (1 - pi2) with
  // pi1 + pi2 = 1 puts 9/19 = 0.47 on item 2: the page {1, 2} of two independent draws.
  const rewards2 = [10, 9, 1, 1, 1, 1, 1, 1, 1, 1];
  const uniform = new Array(10).fill(0.1);

  it('standard correction (K = 2): almost all mass on item 1 (600 steps of 500; pi(1) > 0.9, pi(2) < 0.1; measured 0.994, 0.006)', () => {
    const correction = { slateSize: 2, weightCap: 10, normalise: true, topK: false };
    const pi = learnToy({ rewards: rewards2, beta: uniform, events: EVENTS, steps: STEPS, correction }, 'toy2/std');
    expect(pi[0]).toBeGreaterThan(0.9);
    expect(pi[1]).toBeLessThan(0.1);
  });

  it('top-K correction (K = 2): item 2 keeps substantial mass (600 steps of 500; pi(2) within 0.1 of 9/19; measured 0.464)', () => {
    const correction = { slateSize: 2, weightCap: 10, normalise: true, topK: true };
    const pi = learnToy({ rewards: rewards2, beta: uniform, events: EVENTS, steps: STEPS, correction }, 'toy2/topk');
    expect(Math.abs(pi[1] - 9 / 19)).toBeLessThan(0.1);
    expect(pi[0] + pi[1]).toBeGreaterThan(0.9);
  });

  it('caps and normalises the weights, and reports the mean capped weight and the share capped', () => {
    const pi = Float64Array.from([0.5, 0.1, 0.9, 0.2]);
    const b = Float64Array.from([0.01, 0.1, 0.3, 0.4]);
    const adv = Float64Array.from([1, -2]);
    const out = new Float64Array(4);
    // Raw weights 50 (capped to 10), 1, 3, 0.5: mean 14.5 / 4, one of four capped.
    const stats = correctionCoefficients(
      pi,
      b,
      adv,
      2,
      2,
      { slateSize: 2, weightCap: 10, normalise: true, topK: true },
      out,
    );
    expect(stats.meanWeight).toBeCloseTo(14.5 / 4, 12);
    expect(stats.cappedShare).toBe(0.25);
    const scale = 4 / 14.5;
    const lambda = (p: number) => 2 * (1 - p);
    const expected = [10 * lambda(0.5) * 1, 1 * lambda(0.1) * 1, 3 * lambda(0.9) * -2, 0.5 * lambda(0.2) * -2];
    for (let j = 0; j < 4; j++) expect(out[j]).toBeCloseTo(expected[j] * scale, 12);
  });

  it('credits only the items a user saw when told how many (credit: seen): the others get 0 and count in no statistic', () => {
    const pi = Float64Array.from([0.5, 0.1, 0.9, 0.2]);
    const b = Float64Array.from([0.01, 0.1, 0.3, 0.4]);
    const adv = Float64Array.from([1, -2]);
    const out = new Float64Array(4).fill(7);
    // Row 0 saw one item (weight 50, capped to 10), row 1 both (3, 0.5): mean 13.5 / 3, one of three capped.
    const stats = correctionCoefficients(
      pi,
      b,
      adv,
      2,
      2,
      { slateSize: 2, weightCap: 10, normalise: true, topK: false },
      out,
      Int32Array.from([1, 2]),
    );
    expect(stats.meanWeight).toBeCloseTo(13.5 / 3, 12);
    expect(stats.cappedShare).toBeCloseTo(1 / 3, 12);
    const scale = 3 / 13.5;
    expect(out[1]).toBe(0);
    expect(out[0]).toBeCloseTo(10 * scale, 12);
    expect(out[2]).toBeCloseTo(3 * scale * -2, 12);
    expect(out[3]).toBeCloseTo(0.5 * scale * -2, 12);
  });
});

describe('Plackett-Luce pages', () => {
  const N = 5;
  const K = 3;
  const probs = new Float64Array(N);
  softmaxInto([1.2, -0.3, 0.5, 0, 2], 0, N, probs);
  const pages: number[][] = [];
  for (let a = 0; a < N; a++)
    for (let b = 0; b < N; b++) for (let c = 0; c < N; c++) if (a !== b && b !== c && a !== c) pages.push([a, b, c]);

  it('gives the 60 ordered pages of 3 of 5 probabilities that sum to 1, and the exact slot marginals', () => {
    expect(pages).toHaveLength(60);
    let total = 0;
    const marginals = new Float64Array(N * K);
    for (const page of pages) {
      const p = pageProbability(probs, 0, K, page);
      total += p;
      for (let s = 0; s < K; s++) marginals[page[s] * K + s] += p;
    }
    expect(total).toBeCloseTo(1, 12);
    const exact = new Float64Array(N * K);
    plackettLuceMarginals(probs, 0, N, K, exact, new Uint8Array(N));
    for (let j = 0; j < N * K; j++) expect(exact[j]).toBeCloseTo(marginals[j], 12);
    // The first slot is the softmax itself.
    for (let c = 0; c < N; c++) expect(exact[c * K]).toBeCloseTo(probs[c], 12);
  });

  it("samples each page at its probability (60,000 draws; 4 binomial standard errors) and returns the drawn page's exact probability", () => {
    const draws = 60_000;
    const rng = new Rng('reinforce/plackett-luce');
    const page = new Int32Array(K);
    const remaining = new Uint8Array(N);
    const counts = new Map<string, number>();
    for (let d = 0; d < draws; d++) {
      const p = samplePage(probs, 0, N, K, rng, remaining, page, 0);
      if (d < 100) expect(p).toBeCloseTo(pageProbability(probs, 0, K, page), 12);
      const key = page.join(',');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(60);
    for (const candidate of pages) {
      const p = pageProbability(probs, 0, K, candidate);
      const se = Math.sqrt((p * (1 - p)) / draws);
      expect(Math.abs((counts.get(candidate.join(',')) ?? 0) / draws - p), candidate.join(',')).toBeLessThan(4 * se);
    }
  });

  it('plays the top K by probability, best first, ties to the lower index', () => {
    const out = new Int32Array(K);
    topKInto(probs, 0, N, K, out, 0);
    expect(Array.from(out)).toEqual([4, 0, 2]);
    topKInto(Float64Array.from([0.2, 0.3, 0.2, 0.3]), 0, 4, 3, out, 0);
    expect(Array.from(out)).toEqual([1, 3, 0]);
  });
});

/**
 * The training statistics of each round of 300 user-steps of reinforce in the default feed (10
 * users a round, tiny networks), with `overrides` on top.
 */
function trainInFeed(overrides: Record<string, unknown>): Record<string, number>[] {
  const world = worlds.feed;
  const seed = { experiment: 5, run: 1 };
  const env = world.create(defaultParams(world.params), { seed, batchSize: 10 });
  const tiny = { hidden: 4, batch: 16, rolloutSteps: 8, replayCapacity: 1000, replayRatio: 2 };
  const { agent, key } = makeAgent('reinforce', env.spec, { ...tiny, ...overrides });
  const stats: Record<string, number>[] = [];
  train(env, agent, {
    seed,
    streamKey: key,
    steps: 300,
    episodes: Infinity,
    onRound: (report) => stats.push(report.stats),
  });
  agent.dispose?.();
  return stats;
}

describe('the reinforce agent', () => {
  it("evaluates deterministically: its page is the top K of the training policy's first-slot probabilities (8 users, after 400 training steps)", () => {
    const setting = contractSetting('reinforce');
    const { numCandidates: n, slateSize: k } = setting.spec;
    const agent = contractTrained(setting, 8);
    const users = contractUsers(setting, 8);
    const trainAction = allocateAction(8, k);
    trainAction.propensities = true;
    agent.act(users, rowStreams('reinforce-train', 8), trainAction, 'train');
    // The first slot's marginals are the policy's softmax (before the eval act: marginals are the last act's).
    const marginals = new Float64Array(n * k);
    const firstSlots = Array.from({ length: 8 }, (_, row) => {
      agent.slotMarginals!(row, marginals);
      return Float64Array.from({ length: n }, (_, c) => marginals[c * k]);
    });
    const expected = new Int32Array(k);
    const evalAction = allocateAction(8, k);
    agent.act(users, rowStreams('reinforce-eval', 8), evalAction, 'eval');
    const evalAgain = allocateAction(8, k);
    agent.act(users, rowStreams('reinforce-eval-2', 8), evalAgain, 'eval');
    expect(Array.from(evalAgain.slates)).toEqual(Array.from(evalAction.slates));
    for (let row = 0; row < 8; row++) {
      const firstSlot = firstSlots[row];
      topKInto(firstSlot, 0, n, k, expected, 0);
      expect(Array.from(evalAction.slates.subarray(row * k, (row + 1) * k)), `row ${row}`).toEqual(
        Array.from(expected),
      );
      // Its training page's probability is the product of the Plackett-Luce draws.
      expect(trainAction.slateProb[row]).toBeCloseTo(
        pageProbability(firstSlot, 0, k, trainAction.slates.subarray(row * k, (row + 1) * k)),
        12,
      );
    }
  });

  it('trains in the default feed world (300 user-steps, 10 users a round, tiny networks) with finite statistics, the same twice', () => {
    const stats = trainInFeed({});
    const learned = stats.filter((s) => s.loss !== undefined);
    expect(learned.length).toBeGreaterThan(5);
    for (const s of learned)
      for (const name of ['loss', 'meanWeight', 'cappedShare', 'entropy', 'valueLoss'])
        expect(Number.isFinite(s[name]), name).toBe(true);
    expect(JSON.stringify(trainInFeed({}))).toBe(JSON.stringify(stats));
  });

  it('with behaviour: learned, fits its beta head in the feed too (300 user-steps): a finite cross-entropy that falls', () => {
    const stats = trainInFeed({ behaviour: 'learned' });
    const losses = stats.filter((s) => s.behaviourLoss !== undefined).map((s) => s.behaviourLoss);
    expect(losses.length).toBeGreaterThan(5);
    for (const loss of losses) expect(Number.isFinite(loss)).toBe(true);
    // A page of 10 of 50 candidates under a uniform head: 10 ln 50 = 39.1 nats; the fit lowers it.
    expect(losses[0]).toBeGreaterThan(30);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
  });
});

describe('reinforce from the value model (prior: value-model)', () => {
  it("fits the value model to its impressions and, at a large priorWeight, evaluates the value model's top K (16 users, after 600 training steps)", () => {
    const world = worlds.feed;
    const seed = { experiment: 5, run: 3 };
    const env = world.create(defaultParams(world.params), { seed, batchSize: 10 });
    const params = {
      hidden: 4,
      batch: 16,
      rolloutSteps: 8,
      replayCapacity: 1000,
      prior: 'value-model',
      priorRetrainEvery: 200,
    };
    const { agent: learner, key } = makeAgent('reinforce', { ...env.spec, batchSize: 16 }, params);
    const stats: Record<string, number>[] = [];
    train(env, learner, { seed, streamKey: key, steps: 600, episodes: Infinity, onRound: (r) => stats.push(r.stats) });
    const losses = stats.filter((s) => s.priorLoss !== undefined).map((s) => s.priorLoss);
    expect(losses.length).toBeGreaterThan(10);
    for (const loss of losses) expect(Number.isFinite(loss)).toBe(true);
    // Loaded into an agent whose priorWeight is 1e4, the eval pages are the value model's top K (1e4
    // x the value outweighs the network's correction), as the saved value model, rebuilt apart, ranks
    // 16 fresh users' candidates.
    const saved = learner.save!();
    learner.dispose?.();
    const { agent } = makeAgent('reinforce', { ...env.spec, batchSize: 16 }, { ...params, priorWeight: 1e4 });
    agent.load!(saved);
    const spec = { ...env.spec, batchSize: 16 };
    const model = new ValueModel(
      spec,
      { ...PRIOR_NET, retrainEvery: 1, value: defaultParams(agents.reinforce.params).value as Record<string, number> },
      new Rng('unused'),
      'check',
    );
    model.load(new StateReader(saved.prior as AgentState, 'prior'));
    const users = world.create(defaultParams(world.params), { seed, batchSize: 16 });
    for (let row = 0; row < 16; row++) users.resetRow(row, 1000 + row);
    const { numCandidates: n, slateSize: k } = spec;
    const f = model.features.size;
    const inputs = new Float32Array(16 * n * f);
    const block = new Float64Array(n * f);
    for (let row = 0; row < 16; row++) {
      model.features.encodeRow(users.observation, row, block);
      inputs.set(block, row * n * f);
    }
    const values = new Float64Array(16 * n);
    model.predict(inputs, 16 * n, new Float32Array(16 * n * model.heads.length), values);
    const action = allocateAction(16, k);
    agent.act(users.observation, rowStreams('prior-eval', 16), action, 'eval');
    const expected = new Int32Array(k);
    for (let row = 0; row < 16; row++) {
      topKInto(values, row * n, n, k, expected, 0);
      expect(Array.from(action.slates.subarray(row * k, (row + 1) * k)), `row ${row}`).toEqual(Array.from(expected));
    }
    model.dispose();
    agent.dispose?.();
  });
});

describe('reinforce returns', () => {
  /**
   * The value loss of the one gradient step that follows one observed step of one user, with no
   * reward, the same observation after as before, and frozen networks (learning rate 0); undefined
   * when the step's return is not known yet. With gamma 1 its return is then V(s') where it bootstraps (a loss of
   * exactly 0) and 0 where it does not (a loss of V(s)^2, above 0 for an untrained network).
   */
  function valueLossAfter(end: 'terminated' | 'truncated' | 'neither'): number | undefined {
    const setting = contractSetting('reinforce');
    const env = contractWorld(setting, 1);
    env.resetRow(0, 0);
    const params = { ...setting.overrides, learningRate: 0, gamma: 1, batch: 1, replayRatio: 1, rolloutSteps: 2 };
    const { agent } = makeAgent('reinforce', env.spec, params);
    const action = allocateAction(1, env.spec.slateSize);
    agent.act(env.observation, rowStreams('reinforce-cut', 1), action, 'train');
    const clicks = new Array(env.spec.slateSize).fill(0);
    const t = handTransition(env.spec, env.observation, Array.from(action.slates), clicks, [0]);
    if (end === 'terminated') (t.terminated as Uint8Array)[0] = 1;
    if (end === 'truncated') (t.truncated as Uint8Array)[0] = 1;
    agent.observe!(t);
    const stats = agent.update!(1);
    agent.dispose?.();
    return stats.valueLoss;
  }

  it("bootstraps from V(s') where the window closed on a user who would go on (truncated), not where the user churned (terminated)", () => {
    expect(valueLossAfter('truncated')).toBe(0);
    expect(valueLossAfter('terminated')).toBeGreaterThan(1e-8);
    // Neither, one step into a rollout of two: the return is not known, nothing is learned yet.
    expect(valueLossAfter('neither')).toBeUndefined();
  });

  it('discounts back from the tail: G_i = r_i + d_i G_(i+1), the tail V(s) at a cut and 0 at termination', () => {
    const rewards = Float64Array.from([9, 1, 2, 3]);
    const discounts = Float64Array.from([9, 0.5, 0.5, 0.5]);
    const out = new Float64Array(4).fill(-1);
    // Steps 1..3 of a row whose trajectory starts at index 1; bootstrapped from V(s') = 10.
    discountedReturns(rewards, discounts, 1, 3, 10, out);
    expect(Array.from(out)).toEqual([-1, 1 + 0.5 * (2 + 0.5 * (3 + 0.5 * 10)), 2 + 0.5 * (3 + 0.5 * 10), 3 + 0.5 * 10]);
    discountedReturns(rewards, discounts, 1, 3, 0, out);
    expect(out[3]).toBe(3);
    expect(out[1]).toBe(1 + 0.5 * (2 + 0.5 * 3));
  });

  it('discounts per step by gamma, or per hour by gammaPerHour to the hours until the next step', () => {
    const t = {
      stepMinutes: Float64Array.from([30, 30, 30]),
      sessionEnded: Uint8Array.from([0, 1, 1]),
      // Row 1 comes back 10 hours later; row 2 ended its last session (churned or the horizon): NaN.
      hoursToNextSession: Float64Array.from([Number.NaN, 10, Number.NaN]),
    };
    const perStep = { discount: 'step', gamma: 0.9, gammaPerHour: 0.5 };
    for (const row of [0, 1, 2]) expect(stepDiscount(perStep, t, row)).toBe(0.9);
    const perHour = { discount: 'hour', gamma: 0.9, gammaPerHour: 0.98 };
    expect(stepDiscount(perHour, t, 0)).toBeCloseTo(0.98 ** 0.5, 14);
    expect(stepDiscount(perHour, t, 1)).toBeCloseTo(0.98 ** 10.5, 14);
    expect(stepDiscount(perHour, t, 2)).toBeCloseTo(0.98 ** 0.5, 14);
  });
});
