// Regressions: behaviours of the bandit agents that once contradicted their contract
// (agents/agent.ts) or their declared parameter ranges, found by review, each with the fault it
// caught in a comment.
import { describe, expect, it } from 'vitest';
import { allocateAction } from '../../agents/agent.ts';
import { sampleBeta } from '../../agents/bandits/common.ts';
import { Rng } from '../../sim/rng.ts';
import { banditWorld, makeAgent, rowStreams, snapshot, trainFor } from './helpers.ts';

const WORLD = { catalog: 8, candidates: 4, slateSize: 2, dim: 2 };
const N = WORLD.candidates;
const K = WORLD.slateSize;

function users(rows: number) {
  const env = banditWorld(WORLD, rows);
  for (let row = 0; row < rows; row++) env.resetRow(row, 100 + row);
  return snapshot(env.observation);
}

describe('regression: epsilon-greedy propensities once epsilon has decayed to 0', () => {
  it('reports slateProb 1 and slotProb 1 for the greedy slate it then plays, in the action buffer the loop reuses every round', () => {
    // agents/bandits/epsilon-greedy.ts: `if (epsilon === 0) return;` comes before the propensity
    // writes, so a round with epsilon 0 leaves the previous round's values in the buffer (the loop
    // allocates it once per rollout; lab/loop/rollout.ts allocateAction).
    const env = banditWorld(WORLD, 4);
    const { agent, key } = makeAgent('epsilon-greedy', env.spec, { epsilon: 0.5, epsilonFinal: 0, decaySteps: 8 });
    const observation = users(4);
    const action = allocateAction(4, K);
    action.propensities = true;
    agent.act(observation, rowStreams('decay-before', 4), action, 'train'); // epsilon 0.5
    trainFor(env, agent, key, 8); // epsilon now 0: the greedy slate with probability 1
    expect(agent.update!(0).epsilon).toBe(0);
    agent.act(observation, rowStreams('decay-after', 4), action, 'train');
    expect(Array.from(action.slateProb)).toEqual([1, 1, 1, 1]);
    expect(Array.from(action.slotProb)).toEqual(new Array(4 * K).fill(1));
  });
});

describe('regression: thompson and lin-ts slot marginals after an evaluation act', () => {
  for (const kind of ['thompson', 'lin-ts'] as const) {
    it(`${kind}: slotMarginals describes the last act, which in eval is deterministic: the 0/1 matrix of the eval slate`, () => {
      // agents/agent.ts: slotMarginals "writes N x K: for row `row` of the last act, the
      // probability that candidate n sits in slot k under the acting policy". In eval the agent
      // plays the posterior mean (deterministic), but the method returns whatever the last
      // training act with propensities estimated (here: never, so zeros; columns sum to 0).
      const env = banditWorld(WORLD, 4);
      const { agent, key } = makeAgent(kind, env.spec);
      trainFor(env, agent, key, 40);
      const observation = users(1);
      const action = allocateAction(1, K);
      action.propensities = true;
      agent.act(observation, rowStreams(`${kind}-eval`, 1), action, 'eval');
      const marginals = new Float64Array(N * K);
      agent.slotMarginals!(0, marginals);
      const expected = new Array(N * K).fill(0);
      for (let slot = 0; slot < K; slot++) expected[action.slates[slot] * K + slot] = 1;
      expect(Array.from(marginals)).toEqual(expected);
    });
  }
});

describe('regression: Beta draws for the small priors thompson accepts (priorClicks, priorMisses >= 1e-6)', () => {
  it('sampleBeta(1e-3, 1e-3) is never NaN and falls on either side of 1/2 equally often (2,000 draws; 4 standard errors)', () => {
    // agents/bandits/common.ts sampleBeta: X / (X + Y) with both Gamma draws underflowing to 0
    // (the U^(1/a) boost of sampleGamma) gives 0 / 0.
    const rng = new Rng('tiny-beta');
    let nan = 0;
    let above = 0;
    const draws = 2_000;
    for (let i = 0; i < draws; i++) {
      const x = sampleBeta(rng, 1e-3, 1e-3);
      if (Number.isNaN(x)) nan++;
      else if (x > 0.5) above++;
    }
    expect(nan).toBe(0);
    expect(Math.abs(above / draws - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / draws));
  });

  it('thompson with priorClicks = priorMisses = 1e-6 explores arms it has never seen (200 row streams: more than one top candidate)', () => {
    // With NaN draws for every unseen arm, topKByScore keeps the first K candidates: the slate is
    // always [0, 1], whatever the row stream.
    const env = banditWorld(WORLD, 1);
    const { agent } = makeAgent('thompson', env.spec, { priorClicks: 1e-6, priorMisses: 1e-6 });
    const observation = users(1);
    const action = allocateAction(1, K);
    const tops = new Set<number>();
    for (let draw = 0; draw < 200; draw++) {
      agent.act(observation, [new Rng(`haldane/${draw}`)], action, 'train');
      tops.add(action.slates[0]);
    }
    expect(tops.size).toBeGreaterThan(1);
  });
});

describe('regression: Monte Carlo propensities of zero for the slate actually played', () => {
  for (const kind of ['thompson', 'lin-ts'] as const) {
    it(`${kind} (default propensitySamples 200; 20 candidates, slates of 3, 2,000 training steps): never reports slateProb or slotProb 0 for what it played (320 rows)`, () => {
      // agents/bandits/common.ts estimatePropensities counts the played slate among fresh draws
      // only, so a slate rarer than about 1 / samples gets probability 0: an inverse-propensity
      // weight of 1 / 0 for an action that was in fact played.
      const world = { catalog: 200, candidates: 20, slateSize: 3, dim: 4 };
      const env = banditWorld(world, 16);
      const { agent, key } = makeAgent(kind, env.spec);
      trainFor(env, agent, key, 2_000);
      const users = banditWorld(world, 16);
      let zeroSlate = 0;
      let zeroSlot = 0;
      for (let block = 0; block < 20; block++) {
        for (let row = 0; row < 16; row++) users.resetRow(row, block * 16 + row);
        const action = allocateAction(16, 3);
        action.propensities = true;
        agent.act(snapshot(users.observation), rowStreams(`zero-propensity/${block}`, 16), action, 'train');
        for (let row = 0; row < 16; row++) {
          if (action.slateProb[row] === 0) zeroSlate++;
          if (action.slotProb.subarray(row * 3, row * 3 + 3).some((p) => p === 0)) zeroSlot++;
        }
      }
      expect({ zeroSlate, zeroSlot }).toEqual({ zeroSlate: 0, zeroSlot: 0 });
    });
  }
});
