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

/** The config's runs that are not among `done`, in config order. */
export function pendingRuns(config: ExperimentConfig, done: readonly RunName[]): PendingRun[] {
  const order = runOrder(config);
  const finished = new Set(done.map(order.index));
  return config.agents
    .flatMap((agent, agentIndex) => config.seeds.map((seed) => ({ agent, agentIndex, seed })))
    .filter((run) => !finished.has(order.index({ agent: run.agent.name, seed: run.seed })));
}
