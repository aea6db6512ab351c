// The (agent, seed) runs of an experiment in config order: agent by agent, then seed by seed.
// Runs finish in any order on the pool; the manifest and the reports list them in this order.
import type { AgentConfig, ExperimentConfig } from '../config/config.ts';

export interface RunName {
  readonly agent: string;
  readonly seed: number;
}

/** A run still to do: its agent's config and index in config.agents, and its seed. */
export interface PendingRun {
  readonly agent: AgentConfig;
  readonly agentIndex: number;
  readonly seed: number;
}

export interface RunOrder {
  /** The run's place among all the config's runs. */
  readonly index: (run: RunName) => number;
  /** A comparator by that place. */
  readonly compare: (a: RunName, b: RunName) => number;
  /** `runs` sorted by that place (a copy). */
  readonly sorted: <T extends RunName>(runs: readonly T[]) => T[];
}

export function runOrder(config: ExperimentConfig): RunOrder {
  const agentOrder = new Map(config.agents.map((agent, index) => [agent.name, index]));
  const seedOrder = new Map(config.seeds.map((seed, index) => [seed, index]));
  const index = (run: RunName) => agentOrder.get(run.agent)! * config.seeds.length + seedOrder.get(run.seed)!;
  const compare = (a: RunName, b: RunName) => index(a) - index(b);
  return { index, compare, sorted: (runs) => [...runs].sort(compare) };
}

/**
 * One of n deterministic slices of an experiment's runs (`slatelab run --shard i/n`): the runs whose
 * place in config order is i modulo n, so that every slice holds agents and seeds alike.
 */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** The config's runs (the shard's, given one), in config order. */
export function shardRuns(config: ExperimentConfig, shard?: Shard | null): RunName[] {
  const order = runOrder(config);
  return config.agents
    .flatMap((agent) => config.seeds.map((seed) => ({ agent: agent.name, seed })))
    .filter((run) => !shard || order.index(run) % shard.count === shard.index);
}

/** The config's runs (the shard's, given one) that are not among `done`, in config order. */
export function pendingRuns(config: ExperimentConfig, done: readonly RunName[], shard?: Shard | null): PendingRun[] {
  const order = runOrder(config);
  const finished = new Set(done.map(order.index));
  return config.agents
    .flatMap((agent, agentIndex) => config.seeds.map((seed) => ({ agent, agentIndex, seed })))
    .filter((run) => {
      const place = order.index({ agent: run.agent.name, seed: run.seed });
      return !finished.has(place) && (!shard || place % shard.count === shard.index);
    });
}
