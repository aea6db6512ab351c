// Helpers shared by the agent tests: a small bandit world with a catalog, agents built from the
// registry as the lab builds them, hand-made transitions and observation snapshots.
import { allocateAction, type Action, type Agent, type Transition } from '../../agents/agent.ts';
import { agents } from '../../agents/index.ts';
import { streamKey } from '../../agents/stream-key.ts';
import { train } from '../../lab/loop/rollout.ts';
import type { Env, Observation, WorldSpec } from '../../sim/env.ts';
import { defaultParams } from '../../sim/params.ts';
import { bandit, banditParams, type BanditParams } from '../../sim/presets/bandit.ts';
import { Rng, type SeedKey } from '../../sim/rng.ts';

export const SEED: SeedKey = { experiment: 0, run: 11 };

export const AGENT_KINDS = ['epsilon-greedy', 'ucb1', 'thompson', 'linucb', 'lin-ts', 'pctr', 'ranker', 'cluster'] as const;
export type AgentKind = (typeof AGENT_KINDS)[number];
/** The bandits (agents/bandits/): the kinds whose estimates tests can recompute from arm statistics or the linear model. */
export const BANDIT_KINDS = ['epsilon-greedy', 'ucb1', 'thompson', 'linucb', 'lin-ts'] as const;

/** A bandit world with a catalog (arms = catalog items); small by default. */
export function banditWorld(overrides: Partial<BanditParams> = {}, batchSize = 1, seed: SeedKey = SEED): Env {
  const p: BanditParams = { ...defaultParams(banditParams), catalog: 8, candidates: 4, slateSize: 2, dim: 2, horizon: 1000, ...overrides };
  return bandit.create(p, { seed, batchSize });
}

/** An agent of `kind` from the registry, with its streams named by its stable key (as lab/loop/agent-run.ts does). */
export function makeAgent(kind: AgentKind, spec: WorldSpec, overrides: Record<string, unknown> = {}, seed: SeedKey = SEED): { agent: Agent; key: string } {
  const definition = agents[kind];
  const values = { ...defaultParams(definition.params), ...overrides };
  const key = streamKey(kind, definition.params, values);
  const agent = definition.create(values, {
    spec,
    seed,
    streams: { init: Rng.derive(seed, key, 'init'), update: Rng.derive(seed, key, 'update') },
  });
  return { agent, key };
}

/** Trains `agent` in `env` for (at least) `steps` user-steps through the loop. */
export function trainFor(env: Env, agent: Agent, key: string, steps: number, seed: SeedKey = SEED): void {
  train(env, agent, { seed, streamKey: key, steps, episodes: Infinity });
}

/** `count` row streams with fixed keys `${prefix}/${row}`. */
export function rowStreams(prefix: string, count: number): Rng[] {
  return Array.from({ length: count }, (_, row) => new Rng(`${prefix}/${row}`));
}

/** A deep copy of an observation (worlds overwrite theirs in place). */
export function snapshot(observation: Observation): Observation {
  const candidateItems = Int32Array.from(observation.candidateItems);
  return {
    userFeatures: Float32Array.from(observation.userFeatures),
    candidateItems,
    candidateArms: observation.candidateArms === observation.candidateItems ? candidateItems : Int32Array.from(observation.candidateArms),
    itemFeatures: Float32Array.from(observation.itemFeatures),
    itemIds: Int32Array.from(observation.itemIds),
    fields: Object.fromEntries(Object.entries(observation.fields).map(([name, values]) => [name, Float32Array.from(values)])),
    context: Int32Array.from(observation.context),
    active: Uint8Array.from(observation.active),
  };
}

/** The observation of a fresh user (episode `episode`) in row 0 of a batch-1 world. */
export function freshObservation(env: Env, episode: number): Observation {
  env.resetRow(0, episode);
  return snapshot(env.observation);
}

/**
 * A transition by hand: `slates` (B x K) shown on `before`, `clicks` (B x K, 0/1) the click
 * signal of each slot (the world has one signal, the click), `episode` per row (-1 = masked).
 */
export function handTransition(spec: WorldSpec, before: Observation, slates: number[], clicks: number[], episode: number[]): Transition {
  const rows = episode.length;
  const action: Action = allocateAction(rows, spec.slateSize);
  action.slates.set(slates);
  const signals = Float32Array.from(clicks);
  const reward = new Float32Array(rows);
  for (let row = 0; row < rows; row++) for (let slot = 0; slot < spec.slateSize; slot++) reward[row] += clicks[row * spec.slateSize + slot];
  return {
    before,
    action,
    signals,
    reward,
    impressions: Int32Array.from(episode, (e) => (e < 0 ? 0 : spec.slateSize)),
    after: before,
    hasNext: new Uint8Array(rows).fill(1),
    episode: Int32Array.from(episode),
    step: new Int32Array(rows),
    terminated: new Uint8Array(rows),
    truncated: new Uint8Array(rows),
  };
}

/** The slate of row `row` as a string key like "2,0". */
export function slateKey(slates: Int32Array, row: number, k: number): string {
  return Array.from(slates.subarray(row * k, (row + 1) * k)).join(',');
}
