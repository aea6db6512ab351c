// The Policy contract: deciding slates without learning. A policy is a SlateDecider (sim/env.ts)
// built from declared, validated parameters for one world instance.
import type { Env, Observation, SlateDecider, WorldSpec } from '../sim/env.ts';
import type { ParamSpecs, ParamValues } from '../sim/params.ts';

export interface Policy extends SlateDecider {
  /**
   * A stochastic policy's propensities for the slates it just wrote (B x K): per active row, the
   * probability of the whole ordered slate (slateProb, B) and, per slot, the probability that the
   * candidate played there sits there (slotProb, B x K). Deterministic policies leave this out: 1.
   */
  propensities?(observation: Observation, slates: Int32Array, slateProb: Float64Array, slotProb: Float64Array): void;
  /** A stochastic policy's N x K slot marginals for one row of its last act (agents/agent.ts Agent.slotMarginals). */
  slotMarginals?(row: number, out: Float64Array): void;
}

export interface PolicyContext {
  readonly spec: WorldSpec;
  /**
   * The environment, for evaluation-only policies (oracles) that read its ground truth
   * (`env.truth`). Ordinary policies must only use the observation passed to `act`.
   */
  readonly env: Env;
}

export interface PolicyDefinition<S extends ParamSpecs = ParamSpecs> {
  readonly name: string;
  /** One line for `slatelab list`. */
  readonly summary: string;
  readonly params: S;
  /** True for oracles: they read ground truth, so they are reference points, not deployable policies. */
  readonly evaluationOnly?: boolean;
  /** Why this policy cannot run in a world of this shape (e.g. no popularity counters), or null. */
  unsupported?(spec: WorldSpec): string | null;
  create(values: ParamValues<S>, context: PolicyContext): Policy;
}

export function definePolicy<S extends ParamSpecs>(definition: PolicyDefinition<S>): PolicyDefinition<S> {
  return definition;
}
