// Evaluation mode neither explores nor learns (agents/agent.ts): an agent's 'eval' slates depend
// only on the observation, whatever its row streams, and acting in 'eval' leaves nothing behind
// that changes what it does next.
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../agents/nets/backend.ts';
import { allocateAction, type Agent } from '../../agents/agent.ts';
import { ArmStats } from '../../agents/bandits/common.ts';
import { HybridLinearModel } from '../../agents/bandits/linear.ts';
import { evaluate } from '../../lab/loop/rollout.ts';
import { topKByScore } from '../../policies/slate.ts';
import type { Observation } from '../../sim/env.ts';
import {
  AGENT_KINDS,
  BANDIT_KINDS,
  banditWorld,
  contractSetting,
  contractTrained,
  contractUsers,
  makeAgent,
  rowStreams,
  SEED,
  snapshot,
  trainFor,
  type ContractSetting,
} from './helpers.ts';

const ROWS = 8;

/** z . beta-hat + theta-hat_a of candidate c of row `row`. */
function linearMean(model: HybridLinearModel, observation: Observation, row: number, c: number): number {
  const z = new Float64Array(model.k);
  model.encode(observation, row, c, z);
  let mean = model.theta(observation.candidateArms[row * WORLD.candidates + c]);
  for (let p = 0; p < model.k; p++) mean += z[p] * model.beta[p];
  return mean;
}
const WORLD = { catalog: 12, candidates: 6, slateSize: 3, dim: 3 };
const K = WORLD.slateSize;

/** A bandit of `kind` trained for 400 steps (batch 4) in the small catalog world; the same every call. */
function trained(kind: (typeof BANDIT_KINDS)[number]): Agent {
  const env = banditWorld(WORLD, 4);
  const { agent, key } = makeAgent(kind, { ...env.spec, batchSize: ROWS });
  trainFor(env, agent, key, 400);
  return agent;
}

/** Eight fresh users (evaluation episodes 0..7), one per row. */
function users(): Observation {
  const env = banditWorld(WORLD, ROWS);
  for (let row = 0; row < ROWS; row++) env.resetRow(row, row);
  return snapshot(env.observation);
}

function act(
  agent: Agent,
  observation: Observation,
  streams: string,
  mode: 'train' | 'eval',
  propensities = false,
  k = K,
): Int32Array {
  const action = allocateAction(ROWS, k);
  action.propensities = propensities;
  agent.act(observation, rowStreams(streams, ROWS), action, mode);
  return action.slates;
}

// The networks (ranker, slateq) need their backend.
beforeAll(() => useBackend('wasm'), 60_000);

describe('evaluation mode', () => {
  // Every registered agent, trained for 400 steps in the first small world it supports, with the
  // small settings of test/agents/helpers.ts.
  for (const kind of AGENT_KINDS) {
    describe(kind, () => {
      let setting: ContractSetting;
      let k: number;
      beforeAll(() => {
        setting = contractSetting(kind);
        k = setting.spec.slateSize;
      });

      it('plays the same slates whatever the row streams (two sets of streams, with and without propensities)', () => {
        const agent = contractTrained(setting, ROWS);
        const observation = contractUsers(setting, ROWS);
        const first = act(agent, observation, 'eval-streams-a', 'eval', false, k);
        expect(Array.from(act(agent, observation, 'eval-streams-b', 'eval', false, k))).toEqual(Array.from(first));
        expect(Array.from(act(agent, observation, 'eval-streams-c', 'eval', true, k))).toEqual(Array.from(first));
        // A slate of distinct candidates per row.
        for (let row = 0; row < ROWS; row++) expect(new Set(first.subarray(row * k, (row + 1) * k)).size).toBe(k);
      });

      it('leaves no trace: acting in eval changes neither later eval slates nor later training slates', () => {
        const observation = contractUsers(setting, ROWS);
        const witness = contractTrained(setting, ROWS);
        const evaluated = contractTrained(setting, ROWS);
        const before = act(evaluated, observation, 'eval-streams-a', 'eval', false, k);
        for (let i = 0; i < 5; i++) act(evaluated, observation, `eval-streams-${i}`, 'eval', i % 2 === 0, k);
        expect(Array.from(act(evaluated, observation, 'eval-streams-z', 'eval', false, k))).toEqual(Array.from(before));
        // The same training act (same streams) from an agent that never acted in eval.
        const trainAct = (agent: Agent) => Array.from(act(agent, observation, 'train-streams', 'train', false, k));
        expect(trainAct(evaluated)).toEqual(trainAct(witness));
      });
    });
  }

  it('ranks by the estimate alone, without bonus or draw: per-arm agents by their click-rate estimate, linear ones by z . beta-hat + theta-hat_a (8 users)', () => {
    const observation = users();
    const n = WORLD.candidates;
    const estimates: Record<
      (typeof BANDIT_KINDS)[number],
      (stats: ArmStats, model: HybridLinearModel, row: number, c: number) => number
    > = {
      'epsilon-greedy': (stats, _model, row, c) => stats.mean(observation.candidateArms[row * n + c]),
      ucb1: (stats, _model, row, c) => stats.mean(observation.candidateArms[row * n + c]),
      // Beta(1 + clicks, 1 + pulls - clicks): posterior mean (clicks + 1) / (pulls + 2) where clicks <= pulls.
      thompson: (stats, _model, row, c) => {
        const arm = observation.candidateArms[row * n + c];
        return (1 + stats.clicks[arm]) / (2 + stats.clicks[arm] + Math.max(0, stats.pulls[arm] - stats.clicks[arm]));
      },
      linucb: (_stats, model, row, c) => linearMean(model, observation, row, c),
      'lin-ts': (_stats, model, row, c) => linearMean(model, observation, row, c),
    };
    for (const kind of BANDIT_KINDS) {
      // Train briefly (60 steps) while a twin of the statistics (ArmStats; the default linear model:
      // outer features, per-arm intercepts, ridge 1) sees the same transitions.
      const env = banditWorld(WORLD, 4);
      const { agent: inner, key } = makeAgent(kind, { ...env.spec, batchSize: ROWS });
      const stats = new ArmStats(env.spec);
      const model = new HybridLinearModel(env.spec, 'outer', true, 1);
      const agent: Agent = {
        act: (o, rngs, action, mode) => inner.act(o, rngs, action, mode),
        observe: (transition) => {
          inner.observe!(transition);
          stats.observe(transition);
          model.observe(transition);
        },
        update: (round) => {
          model.refresh();
          return inner.update!(round);
        },
      };
      trainFor(env, agent, key, 60);
      const scores = new Float64Array(ROWS * n);
      for (let row = 0; row < ROWS; row++)
        for (let c = 0; c < n; c++) scores[row * n + c] = estimates[kind](stats, model, row, c);
      const expected = new Int32Array(ROWS * K);
      topKByScore(scores, observation.active, n, K, expected);
      expect(Array.from(act(inner, observation, 'eval-estimate', 'eval')), kind).toEqual(Array.from(expected));
      // Training would rank otherwise for some user (a bonus or a draw), so the check has teeth.
      expect(Array.from(act(inner, observation, 'train-estimate', 'train')), kind).not.toEqual(Array.from(expected));
    }
  });

  it('explores only while training: train-mode slates of the stochastic agents do depend on the row streams (five sets of streams)', () => {
    const observation = users();
    for (const kind of ['epsilon-greedy', 'thompson', 'lin-ts'] as const) {
      const agent = trained(kind);
      const played = new Set(
        ['a', 'b', 'c', 'd', 'e'].map((streams) =>
          Array.from(act(agent, observation, `train-streams-${streams}`, 'train')).join(','),
        ),
      );
      expect(played.size, kind).toBeGreaterThan(1);
    }
  });

  it('is never shown a transition: the loop calls neither observe nor update while evaluating', () => {
    const env = banditWorld(WORLD, 3);
    const { agent: inner } = makeAgent('thompson', env.spec);
    let observed = 0;
    let updated = 0;
    const agent: Agent = {
      act: (observation, rowRngs, action, mode) => {
        expect(mode).toBe('eval');
        inner.act(observation, rowRngs, action, mode);
      },
      observe: () => void observed++,
      update: () => {
        updated++;
        return {};
      },
    };
    const records = evaluate(env, agent, { episodes: 5, seed: SEED, streamKey: 'thompson', maxStepsPerEpisode: 20 });
    expect(records).toHaveLength(5);
    expect(observed).toBe(0);
    expect(updated).toBe(0);
  });
});
