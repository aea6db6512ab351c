// What a named world (a preset) declares: its parameters and how to build an instance.
import type { Env } from './env.ts';
import { type ParamIssue, type ParamSpecs, type ParamValues, withDefaults } from './params.ts';
import type { SeedKey } from './rng.ts';

export interface WorldOptions {
  /** Seeds every stream of the world (users, posts, responses). */
  readonly seed: SeedKey;
  /** B: rows stepped together. Results do not depend on it. */
  readonly batchSize: number;
}

export interface WorldDefinition<S extends ParamSpecs = ParamSpecs> {
  readonly name: string;
  /** One line for `slatelab list`. */
  readonly summary: string;
  readonly params: S;
  /** Checks across fields (e.g. slateSize <= candidates); field names relative to params. */
  check?(values: ParamValues<S>): ParamIssue[];
  /**
   * Sentences for reports about what these values change that a reader must know (ground truth
   * in observations, say); none by default.
   */
  notes?(values: ParamValues<S>): string[];
  create(values: ParamValues<S>, options: WorldOptions): Env;
}

/**
 * Declares a world with its parameter types inferred from the declaration. Its `create` fills the
 * parameters a caller leaves out with their defaults (configs come resolved already; a library
 * caller's partial values would otherwise build a world of NaNs).
 */
export function defineWorld<S extends ParamSpecs>(definition: WorldDefinition<S>): WorldDefinition<S> {
  return {
    ...definition,
    create: (values, options) => definition.create(withDefaults(definition.params, values), options),
  };
}

/** The usual cross-field check of every slate world. */
export function checkSlateFits(values: { candidates: number; slateSize: number }): ParamIssue[] {
  return values.slateSize > values.candidates
    ? [
        {
          field: 'slateSize',
          message:
            `slate size ${values.slateSize} is larger than candidates ${values.candidates}; lower ` +
            `slateSize or raise candidates`,
        },
      ]
    : [];
}

/**
 * A bound for a "must be at most X" message: `limit` rounded down to 4 significant digits, and
 * lowered further until `ok` accepts it, so that a user who copies X into the config passes the
 * check that printed it. `limit` must be > 0.
 */
export function roundedLimit(limit: number, ok: (value: number) => boolean): number {
  const unit = 10 ** (Math.floor(Math.log10(limit)) - 3);
  let value = Number((Math.floor(limit / unit) * unit).toPrecision(4));
  while (value > 0 && (value > limit || !ok(value))) value = Number((value - unit).toPrecision(4));
  return value;
}
