// Propensities for off-policy evaluation (agents/agent.ts Action): with action.propensities set, a
// stochastic policy reports the probability of the ordered slate it played (slateProb) and, per
// slot, the probability that the candidate played there sits there (slotProb); slotMarginals gives
// the whole N x K matrix. Here the reported numbers are checked against the closed forms where
// there are any, and against the empirical frequencies of the policy's own act over many
// independent row streams.
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../agents/nets/backend.ts';
import { allocateAction, type Action, type Agent } from '../../agents/agent.ts';
import { policyAgent } from '../../agents/policy-agent.ts';
import { policies } from '../../policies/index.ts';
import type { Env, Observation } from '../../sim/env.ts';
import {
  AGENT_KINDS,
  banditWorld,
  contractSetting,
  contractTrained,
  contractUsers,
  makeAgent,
  rowStreams,
  slateKey,
  snapshot,
  trainFor,
  type AgentKind,
} from './helpers.ts';
import { createPolicy } from '../../policies/policy.ts';

/** N = 4 candidates, K = 2 slots: 12 ordered slates. */
const WORLD = { catalog: 8, candidates: 4, slateSize: 2, dim: 2 };
const N = WORLD.candidates;
const K = WORLD.slateSize;
const ORDERED = 12;
/** Standard errors allowed between a probability and its estimate. */
const Z = 4;

/** Users of evaluation episodes first..first+rows-1, one per row. */
function users(rows: number, first = 100): Observation {
  const env = banditWorld(WORLD, rows);
  for (let row = 0; row < rows; row++) env.resetRow(row, first + row);
  return snapshot(env.observation);
}

/** Every ordered slate of K = 2 out of N = 4. */
const ALL_SLATES = Array.from({ length: N }, (_, a) => Array.from({ length: N }, (_, b) => [a, b]))
  .flat()
  .filter(([a, b]) => a !== b)
  .map((s) => s.join(','));

/**
 * Empirical frequencies of `draws` acts (each on fresh row streams `${tag}/${draw}/${row}`): per row, of each slate and
 * of each (candidate, slot).
 */
function frequencies(
  agent: Agent,
  observation: Observation,
  draws: number,
  tag: string,
): { slates: Map<string, number>[]; slots: Float64Array[] } {
  const rows = observation.active.length;
  const slates = Array.from({ length: rows }, () => new Map<string, number>());
  const slots = Array.from({ length: rows }, () => new Float64Array(N * K));
  const action = allocateAction(rows, K);
  for (let draw = 0; draw < draws; draw++) {
    agent.act(observation, rowStreams(`${tag}/${draw}`, rows), action, 'train');
    for (let row = 0; row < rows; row++) {
      const key = slateKey(action.slates, row, K);
      slates[row].set(key, (slates[row].get(key) ?? 0) + 1 / draws);
      for (let slot = 0; slot < K; slot++) slots[row][action.slates[row * K + slot] * K + slot] += 1 / draws;
    }
  }
  return { slates, slots };
}

/** |estimate - p| within Z standard errors of two independent estimates of sizes n1 and n2 (n2 = Infinity: p exact). */
function expectWithin(estimate: number, p: number, n1: number, n2 = Infinity, what = ''): void {
  const q = Math.min(Math.max(p, 1 / n1), 1 - 1 / n1); // keep the error bar open at 0 and 1
  const se = Math.sqrt(q * (1 - q) * (1 / n1 + 1 / n2));
  expect(Math.abs(estimate - p), what).toBeLessThanOrEqual(Z * se);
}

// The ranker's network needs its backend.
beforeAll(() => useBackend('wasm'), 60_000);

describe('propensities: the random policy (through policyAgent)', () => {
  for (const [n, k] of [
    [4, 2],
    [6, 3],
  ]) {
    it(`reports slateProb 1 / (N)_K and slotProb 1 / N for every row (N = ${n}, K = ${k}), and uniform slot marginals`, () => {
      const env = banditWorld({ ...WORLD, candidates: n, slateSize: k }, 3);
      for (let row = 0; row < 3; row++) env.resetRow(row, row);
      const agent = policyAgent(createPolicy(policies.random, {}, env));
      let ordered = 1;
      for (let i = 0; i < k; i++) ordered *= n - i;
      const action = allocateAction(3, k);
      action.propensities = true;
      agent.act(env.observation, rowStreams('random-propensities', 3), action, 'train');
      for (let row = 0; row < 3; row++) {
        expect(action.slateProb[row]).toBeCloseTo(1 / ordered, 15);
        for (let slot = 0; slot < k; slot++) expect(action.slotProb[row * k + slot]).toBeCloseTo(1 / n, 15);
      }
      const marginals = new Float64Array(n * k);
      agent.slotMarginals!(1, marginals);
      expect(Array.from(marginals)).toEqual(new Array(n * k).fill(1 / n));
    });
  }

  it('matches the empirical frequencies of its slates (20,000 draws; 4 binomial standard errors)', () => {
    const env = banditWorld(WORLD, 1);
    env.resetRow(0, 0);
    const agent = policyAgent(createPolicy(policies.random, {}, env));
    const { slates, slots } = frequencies(agent, snapshot(env.observation), 20_000, 'random-frequencies');
    expect(slates[0].size).toBe(ORDERED);
    for (const slate of ALL_SLATES) expectWithin(slates[0].get(slate) ?? 0, 1 / ORDERED, 20_000, Infinity, slate);
    for (const frequency of slots[0]) expectWithin(frequency, 1 / N, 20_000);
  });

  it('leaves slateProb and slotProb at 1 when propensities are not asked for', () => {
    const env = banditWorld(WORLD, 2);
    for (let row = 0; row < 2; row++) env.resetRow(row, row);
    const agent = policyAgent(createPolicy(policies.random, {}, env));
    const action = allocateAction(2, K);
    agent.act(env.observation, rowStreams('random-no-propensities', 2), action, 'train');
    expect(Array.from(action.slateProb)).toEqual([1, 1]);
    expect(Array.from(action.slotProb)).toEqual([1, 1, 1, 1]);
  });
});

/** An agent of `kind` trained for `steps` user-steps (batch 4) in the N = 4, K = 2 world. */
function trained(kind: AgentKind, steps: number, overrides: Record<string, unknown> = {}, batchSize = 4): Agent {
  const env: Env = banditWorld(WORLD, 4);
  const { agent, key } = makeAgent(kind, { ...env.spec, batchSize }, overrides);
  if (steps > 0) trainFor(env, agent, key, steps);
  return agent;
}

describe('propensities: epsilon exploration over slates (epsilon 0.3) in training', () => {
  const EPSILON = 0.3;
  const ROWS = 4;
  const DRAWS = 5_000;

  /** Per row: the greedy slate (the eval ranking) and the closed forms. */
  function closedForms(agent: Agent, observation: Observation) {
    const greedy = allocateAction(ROWS, K);
    agent.act(observation, rowStreams('greedy', ROWS), greedy, 'eval');
    const slateProb = (row: number, slate: string) =>
      EPSILON / ORDERED + (slate === slateKey(greedy.slates, row, K) ? 1 - EPSILON : 0);
    const slotProb = (row: number, candidate: number, slot: number) =>
      EPSILON / N + (greedy.slates[row * K + slot] === candidate ? 1 - EPSILON : 0);
    return { slateProb, slotProb };
  }

  // Every agent that explores by epsilon over slates (agents/exploration.ts), as its own logging policy.
  const EPSILON_AGENTS: [AgentKind, Record<string, unknown>][] = [
    ['epsilon-greedy', { epsilon: EPSILON, epsilonFinal: EPSILON }],
    ['cluster', { epsilon: EPSILON, reclusterEvery: 100 }],
    ['pctr', { epsilon: EPSILON, retrainEvery: 100 }],
    ['ranker', { epsilon: EPSILON, retrainEvery: 100 }],
  ];
  for (const [kind, overrides] of EPSILON_AGENTS) {
    it(`${kind}: reports exactly epsilon / (N)_K + (1 - epsilon)[slate = greedy] and epsilon / N + (1 - epsilon)[greedy] per slot, and the N x K slot marginals`, () => {
      const agent = trained(kind, 200, overrides);
      const observation = users(ROWS);
      const { slateProb, slotProb } = closedForms(agent, observation);
      const action = allocateAction(ROWS, K);
      action.propensities = true;
      const marginals = new Float64Array(N * K);
      let greedyPlays = 0;
      let explorations = 0;
      for (let draw = 0; draw < 300; draw++) {
        agent.act(observation, rowStreams(`eg-exact/${draw}`, ROWS), action, 'train');
        for (let row = 0; row < ROWS; row++) {
          const slate = slateKey(action.slates, row, K);
          expect(action.slateProb[row]).toBeCloseTo(slateProb(row, slate), 14);
          if (action.slateProb[row] > 0.5) greedyPlays++;
          else explorations++;
          agent.slotMarginals!(row, marginals);
          for (let slot = 0; slot < K; slot++) {
            const played = action.slates[row * K + slot];
            expect(action.slotProb[row * K + slot]).toBeCloseTo(slotProb(row, played, slot), 14);
            let column = 0;
            for (let candidate = 0; candidate < N; candidate++) {
              expect(marginals[candidate * K + slot]).toBeCloseTo(slotProb(row, candidate, slot), 14);
              column += marginals[candidate * K + slot];
            }
            expect(column).toBeCloseTo(1, 14);
          }
        }
      }
      // Both branches were exercised (a random slate can also be the greedy one).
      expect(greedyPlays).toBeGreaterThan(0);
      expect(explorations).toBeGreaterThan(0);
    });
  }

  it(`matches the empirical frequencies of its own act (${ROWS} users x ${DRAWS} draws; 4 binomial standard errors)`, () => {
    const agent = trained('epsilon-greedy', 200, { epsilon: EPSILON, epsilonFinal: EPSILON });
    const observation = users(ROWS);
    const { slateProb, slotProb } = closedForms(agent, observation);
    const { slates, slots } = frequencies(agent, observation, DRAWS, 'eg-frequencies');
    const marginals = new Float64Array(N * K);
    for (let row = 0; row < ROWS; row++) {
      for (const slate of ALL_SLATES)
        expectWithin(slates[row].get(slate) ?? 0, slateProb(row, slate), DRAWS, Infinity, `row ${row} slate ${slate}`);
      agent.slotMarginals!(row, marginals); // of the last act: epsilon does not change between acts
      for (let candidate = 0; candidate < N; candidate++) {
        for (let slot = 0; slot < K; slot++) {
          expect(marginals[candidate * K + slot]).toBeCloseTo(slotProb(row, candidate, slot), 14);
          expectWithin(
            slots[row][candidate * K + slot],
            marginals[candidate * K + slot],
            DRAWS,
            Infinity,
            `row ${row} candidate ${candidate} slot ${slot}`,
          );
        }
      }
    }
  });
});

describe('propensities: Monte Carlo estimates of thompson and lin-ts', () => {
  const SAMPLES = 20_000;
  const DRAWS = 20_000;
  const PROPENSITY_ACTS = 4;

  for (const kind of ['thompson', 'lin-ts'] as const) {
    it(`${kind}: estimates (${SAMPLES} posterior draws) match the empirical frequencies of its act (2 users x ${DRAWS} row streams; 4 standard errors of the difference)`, () => {
      // Little training: posteriors still wide, so several slates are likely for each user.
      const agent = trained(kind, 40, { propensitySamples: SAMPLES });
      const rows = 2;
      const observation = users(rows, 7);
      const { slates, slots } = frequencies(agent, observation, DRAWS, `${kind}-frequencies`);
      for (let row = 0; row < rows; row++) {
        expect([...slates[row].values()].filter((p) => p >= 0.05).length).toBeGreaterThanOrEqual(3);
        expect(Math.max(...slates[row].values())).toBeLessThan(0.9);
      }
      // The two users' distributions differ (so a mix-up of rows would show).
      expect(
        Math.max(...ALL_SLATES.map((slate) => Math.abs((slates[0].get(slate) ?? 0) - (slates[1].get(slate) ?? 0)))),
      ).toBeGreaterThan(0.05);

      const action = allocateAction(rows, K);
      action.propensities = true;
      const marginals = new Float64Array(N * K);
      for (let act = 0; act < PROPENSITY_ACTS; act++) {
        agent.act(observation, rowStreams(`${kind}-propensities/${act}`, rows), action, 'train');
        for (let row = 0; row < rows; row++) {
          const slate = slateKey(action.slates, row, K);
          expectWithin(action.slateProb[row], slates[row].get(slate) ?? 0, SAMPLES, DRAWS, `row ${row} slate ${slate}`);
          agent.slotMarginals!(row, marginals);
          for (let slot = 0; slot < K; slot++) {
            const played = action.slates[row * K + slot];
            expect(action.slotProb[row * K + slot]).toBe(marginals[played * K + slot]);
            expect(action.slateProb[row]).toBeLessThanOrEqual(action.slotProb[row * K + slot] + 1e-12);
            let column = 0;
            for (let candidate = 0; candidate < N; candidate++) {
              column += marginals[candidate * K + slot];
              expectWithin(
                marginals[candidate * K + slot],
                slots[row][candidate * K + slot],
                SAMPLES,
                DRAWS,
                `row ${row} candidate ${candidate} slot ${slot}`,
              );
            }
            expect(column).toBeCloseTo(1, 9);
          }
        }
      }
    });
  }

  for (const kind of ['epsilon-greedy', 'thompson', 'lin-ts'] as const) {
    it(`${kind}: asking for propensities changes no slate (three consecutive acts on the same row streams, 4 rows)`, () => {
      const rows = 4;
      const observation = users(rows);
      const play = (propensities: boolean) => {
        const agent = trained(kind, 40, { propensitySamples: 50, epsilon: 0.5, epsilonFinal: 0.5 });
        const streams = rowStreams(`${kind}-same-slates`, rows);
        const played: number[][] = [];
        for (let round = 0; round < 3; round++) {
          const action: Action = allocateAction(rows, K);
          action.propensities = propensities;
          agent.act(observation, streams, action, 'train');
          played.push(Array.from(action.slates));
          if (propensities) expect(action.slateProb.every((p) => p < 1)).toBe(true);
        }
        return played;
      };
      expect(play(true)).toEqual(play(false));
    });
  }
});

describe('propensities: deterministic agents', () => {
  for (const kind of ['ucb1', 'linucb'] as const) {
    it(`${kind} leaves slateProb and slotProb at 1 in training and has no slot marginals to report`, () => {
      const agent = trained(kind, 100);
      const observation = users(4);
      const action = allocateAction(4, K);
      action.propensities = true;
      agent.act(observation, rowStreams(`${kind}-deterministic`, 4), action, 'train');
      expect(Array.from(action.slateProb)).toEqual([1, 1, 1, 1]);
      expect(Array.from(action.slotProb)).toEqual(new Array(4 * K).fill(1));
      expect(agent.slotMarginals).toBeUndefined();
    });
  }
});

describe('propensities: what every registered agent reports', () => {
  // Each agent trained for 200 steps in the first small world it supports (test/agents/helpers.ts),
  // then three training acts on 4 users with the same row streams, with and without propensities.
  const ROWS = 4;
  for (const kind of AGENT_KINDS) {
    it(`${kind}: probabilities in (0, 1], the slate's <= each slot's, marginals agree; asking changes no slate`, () => {
      const setting = contractSetting(kind);
      const { numCandidates: n, slateSize: k } = setting.spec;
      const observation = contractUsers(setting, ROWS, 100);
      const play = (propensities: boolean): Action[] => {
        const agent = contractTrained(setting, ROWS, 200);
        const streams = rowStreams(`${kind}-contract`, ROWS);
        return [0, 1, 2].map(() => {
          const action = allocateAction(ROWS, k);
          action.propensities = propensities;
          agent.act(observation, streams, action, 'train');
          if (propensities && agent.slotMarginals) {
            const marginals = new Float64Array(n * k);
            for (let row = 0; row < ROWS; row++) {
              agent.slotMarginals(row, marginals);
              for (let slot = 0; slot < k; slot++) {
                let column = 0;
                for (let candidate = 0; candidate < n; candidate++) column += marginals[candidate * k + slot];
                expect(column, `row ${row} slot ${slot}: marginals sum`).toBeCloseTo(1, 9);
                const played = action.slates[row * k + slot];
                const slotProb = action.slotProb[row * k + slot];
                expect(marginals[played * k + slot], `row ${row} slot ${slot}`).toBeCloseTo(slotProb, 12);
              }
            }
          }
          return action;
        });
      };
      const asked = play(true);
      for (const action of asked) {
        for (let row = 0; row < ROWS; row++) {
          const slateProb = action.slateProb[row];
          expect(slateProb).toBeGreaterThan(0);
          expect(slateProb).toBeLessThanOrEqual(1);
          for (const slotProb of action.slotProb.subarray(row * k, (row + 1) * k)) {
            expect(slotProb).toBeGreaterThan(0);
            expect(slotProb).toBeLessThanOrEqual(1);
            expect(slateProb).toBeLessThanOrEqual(slotProb + 1e-12);
          }
        }
      }
      const slates = (actions: Action[]) => actions.map((action) => Array.from(action.slates));
      expect(slates(play(false))).toEqual(slates(asked));
    });
  }
});
