// The registries that names are looked up in (worlds, policies, learning agents), and the lookup
// of a config's `kind`. Apart from lab/config/config.ts so that a worker thread, which runs a validated
// config, loads them without the config parser's dependencies (zod, yaml).
import type { AgentDefinition } from '../../agents/agent.ts';
import { agents as defaultAgents } from '../../agents/index.ts';
import type { AnyPolicyDefinition } from '../../policies/policy.ts';
import { policies as defaultPolicies } from '../../policies/index.ts';
import { worlds as defaultWorlds } from '../../sim/presets/index.ts';
import type { WorldDefinition } from '../../sim/world.ts';

/** What config validation and the runner look names up in; tests inject their own. */
// biome-ignore-start lint/suspicious/noExplicitAny: a registry holds definitions of many parameter types
export interface Registries {
  readonly worlds: Readonly<Record<string, WorldDefinition<any>>>;
  readonly policies: Readonly<Record<string, AnyPolicyDefinition<any>>>;
  /** Learning agents (optional in injected test registries). */
  readonly agents?: Readonly<Record<string, AgentDefinition<any>>>;
  /** Kinds that name a file (lab/config/user-kinds.ts): kind as the config writes it -> absolute file. */
  readonly userKinds?: Readonly<Record<string, string>>;
  /** The registries these extend with userKinds; a worker thread rebuilds them when they are the defaults. */
  readonly extends?: Registries;
}

export const defaultRegistries: Registries = {
  worlds: defaultWorlds,
  policies: defaultPolicies,
  agents: defaultAgents,
};

/** What a config's `kind` names: a fixed policy's definition or a learning agent's. */
export type KindDefinition =
  | { readonly learns: false; readonly definition: AnyPolicyDefinition<any> }
  | { readonly learns: true; readonly definition: AgentDefinition<any> };
// biome-ignore-end lint/suspicious/noExplicitAny: the registries' types end here

/** Looks a kind up in the policies, then the agents. */
export function findKind(registries: Registries, kind: string): KindDefinition | null {
  const policy = Object.hasOwn(registries.policies, kind) ? registries.policies[kind] : undefined;
  if (policy) return { learns: false, definition: policy };
  const agent = registries.agents && Object.hasOwn(registries.agents, kind) ? registries.agents[kind] : undefined;
  return agent ? { learns: true, definition: agent } : null;
}

/** Whether a worker thread can rebuild these registries: the defaults, or the defaults with path kinds. */
export function reachWorkers(registries: Registries): boolean {
  return registries === defaultRegistries || registries.extends === defaultRegistries;
}
