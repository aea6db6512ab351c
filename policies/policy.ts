// The Policy contract: deciding slates without learning. A policy is a SlateDecider (sim/env.ts)
// built from declared, validated parameters for one world instance.
import type { Env, GroundTruth, Observation, SlateDecider, WorldSpec } from '../sim/env.ts';
import type { ParamSpecs, ParamValues } from '../sim/params.ts';

export interface Policy extends SlateDecider {
  /**
   * A stochastic policy's propensities for the slates it just wrote (B x K): per active row, the
   * probability of the whole ordered slate (slateProb, B) and, per slot, the probability that the
   * candidate played there sits there (slotProb, B x K) and the probability of the slate's first
   * k + 1 candidates in their slots (prefixProb, B x K, where given). Computed for the slates
   * passed, whoever chose them. Deterministic policies leave this out: 1.
   */
  propensities?(
    observation: Observation,
    slates: Int32Array,
    slateProb: Float64Array,
    slotProb: Float64Array,
    prefixProb?: Float64Array,
  ): void;
  /** A stochastic policy's N x K slot marginals for one row of its last act (agents/agent.ts Agent.slotMarginals). */
  slotMarginals?(row: number, out: Float64Array): void;
}

/**
 * What a policy is built with: the world's shape, nothing of its hidden state. A policy decides
 * from the observation passed to `act`. (Part of the public API: changing it is a breaking change.)
 */
export interface PolicyContext {
  readonly spec: WorldSpec;
}

/**
 * What an oracle is built with: the world's ground truth besides its shape. Only built-in
 * evaluation code makes one (createPolicy); no policy or agent context carries it.
 */
export interface OracleContext extends PolicyContext {
  readonly truth: GroundTruth;
}

interface DefinitionBase<S extends ParamSpecs> {
  readonly name: string;
  /** One line for `slatelab list`. */
  readonly summary: string;
  readonly params: S;
  /** Why this policy cannot run in a world of this shape (e.g. no popularity counters), or null. */
  unsupported?(spec: WorldSpec): string | null;
  /** Lines the reports show about it with these values (e.g. what of the world it knows). */
  notes?(values: ParamValues<S>): string[];
}

export interface PolicyDefinition<S extends ParamSpecs = ParamSpecs> extends DefinitionBase<S> {
  readonly evaluationOnly?: false;
  create(values: ParamValues<S>, context: PolicyContext): Policy;
}

/** An oracle: it reads ground truth, so it is a reference point, not a deployable policy; reports mark it. */
export interface OracleDefinition<S extends ParamSpecs = ParamSpecs> extends DefinitionBase<S> {
  readonly evaluationOnly: true;
  createWithTruth(values: ParamValues<S>, context: OracleContext): Policy;
}

/** What the registry of policies holds: policies and oracles. */
export type AnyPolicyDefinition<S extends ParamSpecs = ParamSpecs> = PolicyDefinition<S> | OracleDefinition<S>;

export function definePolicy<S extends ParamSpecs>(definition: PolicyDefinition<S>): PolicyDefinition<S> {
  return definition;
}

/** An oracle's definition (built-in only: a user's file cannot define one, lab/config/user-kinds.ts). */
export function defineOracle<S extends ParamSpecs>(definition: OracleDefinition<S>): OracleDefinition<S> {
  return definition;
}

/**
 * A policy for `env`: an ordinary one from the world's shape alone, an oracle with its ground truth
 * too. The one place ground truth is handed to a policy.
 */
export function createPolicy<S extends ParamSpecs>(
  definition: AnyPolicyDefinition<S>,
  values: ParamValues<S>,
  env: Env,
): Policy {
  return definition.evaluationOnly
    ? definition.createWithTruth(values, { spec: env.spec, truth: env.truth })
    : definition.create(values, { spec: env.spec });
}
