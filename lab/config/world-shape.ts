// What a config's world looks like, learnt once from a one-row instance: its names (signals,
// metrics and what each means), observation layout and clock, and which agents are evaluation-only.
// Config validation learns it (it checks each policy against the world's spec) and hands it on to
// the runner, the records and the reports; a config read back from a manifest (resume, report)
// learns it again, once. It holds code (the spec's choice model), so it stays on the main thread:
// worker threads build their own worlds.
import type { WorldSpec } from '../../sim/env.ts';
import type { SeedKey } from '../../sim/rng.ts';
import { CORE_METRICS } from './episodes.ts';
import type { ExperimentConfig } from './config.ts';
import type { Registries } from './registries.ts';

export interface WorldShape {
  /** The spec of a one-row instance (batchSize 1): names, layout, clock, metric docs. */
  readonly spec: WorldSpec;
  /** Every run's metrics, in the order the summary lists them: the core metrics, then the world's episode metrics. */
  readonly metrics: readonly string[];
  /** The agents (by name) whose kind is evaluation-only: oracles that read ground truth. */
  readonly evaluationOnly: readonly string[];
}

/** The spec of a one-row instance of `world` at `params` (built for it: the feed's catalogue takes tens of ms). */
export function worldSpec(
  world: Registries['worlds'][string],
  params: Record<string, unknown>,
  seed: SeedKey,
): WorldSpec {
  return world.create(params, { seed, batchSize: 1 }).spec;
}

/** The shape of `config`'s world from its spec (as validation built it from the config's first seed). */
export function shapeOf(config: ExperimentConfig, spec: WorldSpec, registries: Registries): WorldShape {
  return {
    spec,
    metrics: [...CORE_METRICS, ...spec.episodeMetricNames],
    evaluationOnly: config.agents
      .filter((agent) => registries.policies[agent.kind]?.evaluationOnly === true)
      .map((agent) => agent.name),
  };
}

/** Learns the shape of a config that was not validated here: one read from a manifest, or a library caller's. */
export function worldShape(config: ExperimentConfig, registries: Registries): WorldShape {
  const world = registries.worlds[config.world.preset];
  const spec = worldSpec(world, config.world.params, { experiment: config.seed, run: config.seeds[0] });
  return shapeOf(config, spec, registries);
}
