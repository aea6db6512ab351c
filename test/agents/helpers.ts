// Helpers shared by the agent tests: a small bandit world with a catalog, agents built from the
// registry as the lab builds them, the small worlds and settings every registered agent's contract
// is tested in, hand-made transitions and observation snapshots.
import { allocateAction, type Action, type Agent, type Transition } from '../../agents/agent.ts';
import { agents } from '../../agents/index.ts';
import { streamKey } from '../../agents/stream-key.ts';
import { train } from '../../lab/loop/rollout.ts';
import type { Env, Observation, WorldSpec } from '../../sim/env.ts';
import { defaultParams } from '../../sim/params.ts';
import { bandit, banditParams, type BanditParams } from '../../sim/presets/bandit.ts';
import { worlds } from '../../sim/presets/index.ts';
import { Rng, type SeedKey } from '../../sim/rng.ts';

export const SEED: SeedKey = { experiment: 0, run: 11 };

/** Every registered learning agent (agents/index.ts): the contract tests loop over them. */
export const AGENT_KINDS: readonly string[] = Object.keys(agents);
export type AgentKind = string;
/**
 * The bandits (agents/bandits/): the kinds whose estimates tests can recompute from arm statistics or the linear model.
 */
export const BANDIT_KINDS = ['epsilon-greedy', 'ucb1', 'thompson', 'linucb', 'lin-ts'] as const;

export interface ContractWorld {
  readonly preset: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly otherShape: Readonly<Record<string, unknown>>;
}

/**
 * The small worlds the registry-wide contract tests (save-load, eval-mode, propensities) run an
 * agent in: the first one it supports. `otherShape` changes what a saved state's shape depends on
 * (more items, wider features; the candidates' quality field), for the tests that a state saved in
 * one shape is refused in the other.
 */
export const CONTRACT_WORLDS: readonly ContractWorld[] = [
  {
    preset: 'bandit',
    params: { catalog: 12, candidates: 6, slateSize: 3, dim: 3, horizon: 1000 },
    otherShape: { catalog: 16, dim: 4 },
  },
  {
    preset: 'recsim-interest-evolution',
    params: { candidates: 6, slateSize: 3 },
    otherShape: { observeQuality: true },
  },
];

/**
 * Hyper-parameters that keep an agent's contract tests short while 400 training steps (batch 4)
 * still leave something learned: the supervised agents refit and the cluster bandit re-clusters
 * every 100 steps; SlateQ's networks are tiny and learn from step 100; REINFORCE's are tiny and cut its
 * returns every 8 steps. A kind not named here runs
 * with its defaults.
 */
export const SMALL_SETTINGS: Readonly<Record<string, Record<string, unknown>>> = {
  pctr: { retrainEvery: 100 },
  ranker: { retrainEvery: 100 },
  cluster: { reclusterEvery: 100 },
  slateq: {
    hidden: 8,
    batch: 16,
    learningStarts: 100,
    replayCapacity: 1000,
    targetUpdateEvery: 20,
    epsilonDecaySteps: 300,
  },
  reinforce: { hidden: 8, batch: 16, rolloutSteps: 8, replayCapacity: 1000 },
};

/** Where and how the contract tests run an agent of `kind`. */
export interface ContractSetting {
  readonly kind: string;
  readonly world: ContractWorld;
  readonly overrides: Readonly<Record<string, unknown>>;
  /** The world's spec (one row): N, K and the rest. */
  readonly spec: WorldSpec;
}

/** The contract setting of `kind`: its small settings, in the first contract world it supports. */
export function contractSetting(kind: string): ContractSetting {
  const definition = agents[kind];
  const overrides = SMALL_SETTINGS[kind] ?? {};
  const values = { ...defaultParams(definition.params), ...overrides };
  for (const world of CONTRACT_WORLDS) {
    const spec = contractWorld({ world }, 1).spec;
    if (!definition.unsupported?.(spec, values)) return { kind, world, overrides, spec };
  }
  const presets = CONTRACT_WORLDS.map((world) => world.preset).join(', ');
  throw new Error(
    `${kind} runs in none of the contract worlds (${presets}): ` +
      'add a small world it supports to CONTRACT_WORLDS (test/agents/helpers.ts)',
  );
}

/** The setting's world with `batchSize` rows; `otherShape` makes saved states of the usual shape not fit. */
export function contractWorld(
  setting: Pick<ContractSetting, 'world'>,
  batchSize: number,
  otherShape = false,
  seed: SeedKey = SEED,
): Env {
  const world = worlds[setting.world.preset];
  const shape = otherShape ? setting.world.otherShape : {};
  const params = { ...defaultParams(world.params), ...setting.world.params, ...shape };
  return world.create(params, { seed, batchSize });
}

/** A bandit world with a catalog (arms = catalog items); small by default. */
export function banditWorld(overrides: Partial<BanditParams> = {}, batchSize = 1, seed: SeedKey = SEED): Env {
  const p: BanditParams = {
    ...defaultParams(banditParams),
    catalog: 8,
    candidates: 4,
    slateSize: 2,
    dim: 2,
    horizon: 1000,
    ...overrides,
  };
  return bandit.create(p, { seed, batchSize });
}

/** An agent of `kind` from the registry, with its streams named by its stable key (as lab/loop/agent-run.ts does). */
export function makeAgent(
  kind: string,
  spec: WorldSpec,
  overrides: Record<string, unknown> = {},
  seed: SeedKey = SEED,
): { agent: Agent; key: string } {
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

/** A fresh agent of the setting that acts on up to `rows` rows; `otherShape`: made for the world's other shape. */
export function contractAgent(setting: ContractSetting, rows: number, otherShape = false): Agent {
  const env = contractWorld(setting, 4, otherShape);
  return makeAgent(setting.kind, { ...env.spec, batchSize: rows }, setting.overrides).agent;
}

/** An agent of the setting trained for `steps` (400) user-steps in rows of 4; the same every call. */
export function contractTrained(setting: ContractSetting, rows: number, steps = 400): Agent {
  const env = contractWorld(setting, 4);
  const { agent, key } = makeAgent(setting.kind, { ...env.spec, batchSize: rows }, setting.overrides);
  trainFor(env, agent, key, steps);
  return agent;
}

/** `rows` fresh users of the setting's world: evaluation episodes first..first + rows - 1, one per row. */
export function contractUsers(setting: ContractSetting, rows: number, first = 0): Observation {
  const env = contractWorld(setting, rows);
  for (let row = 0; row < rows; row++) env.resetRow(row, first + row);
  return snapshot(env.observation);
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
    candidateArms:
      observation.candidateArms === observation.candidateItems
        ? candidateItems
        : Int32Array.from(observation.candidateArms),
    itemFeatures: Float32Array.from(observation.itemFeatures),
    itemIds: Int32Array.from(observation.itemIds),
    fields: Object.fromEntries(
      Object.entries(observation.fields).map(([name, values]) => [name, Float32Array.from(values)]),
    ),
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
export function handTransition(
  spec: WorldSpec,
  before: Observation,
  slates: number[],
  clicks: number[],
  episode: number[],
): Transition {
  const rows = episode.length;
  const action: Action = allocateAction(rows, spec.slateSize);
  action.slates.set(slates);
  const signals = Float32Array.from(clicks);
  const reward = new Float32Array(rows);
  for (let row = 0; row < rows; row++)
    for (let slot = 0; slot < spec.slateSize; slot++) reward[row] += clicks[row * spec.slateSize + slot];
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
    ...sessionless(rows),
  };
}

/** The session fields of a transition in a world without a clock: no session ends, no minutes. */
export function sessionless(rows: number) {
  return {
    sessionEnded: new Uint8Array(rows),
    sessionEndReason: new Uint8Array(rows),
    stepMinutes: new Float64Array(rows),
    hoursToNextSession: new Float64Array(rows).fill(Number.NaN),
  };
}

/** The slate of row `row` as a string key like "2,0". */
export function slateKey(slates: Int32Array, row: number, k: number): string {
  return Array.from(slates.subarray(row * k, (row + 1) * k)).join(',');
}
