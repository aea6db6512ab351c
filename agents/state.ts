// What a learning agent has learned, as plain data: `Agent.save` gives it after a run, the run
// writes it next to its records (runs/<agent>/seed-<s>.agent.json, lab/store/saved-agent-file.ts), and a
// later config loads it (`init:`) into a fresh agent of the same kind with `Agent.load`.
//
// Typed arrays are kept bit for bit (base64 of their bytes, not decimal text), so a loaded agent
// acts exactly as the one that was saved: evaluating it again gives byte-identical records.
import { Buffer } from 'node:buffer';

export type StateValue =
  | number
  | string
  | boolean
  | null
  | Float64Array
  | Float32Array
  | Int32Array
  | readonly StateValue[]
  | { readonly [key: string]: StateValue };

/** An agent's learned parameters (its statistics, weights, clusters), by name. */
export type AgentState = { readonly [key: string]: StateValue };

/** A saved state that does not fit the agent loading it (another world shape, other hyper-parameters). */
export class StateMismatch extends Error {
  override name = 'StateMismatch';
}

const ARRAY_TAGS = { $float64: Float64Array, $float32: Float32Array, $int32: Int32Array } as const;
type ArrayTag = keyof typeof ARRAY_TAGS;

/**
 * JSON text of a state. Typed arrays become {"$float64" | "$float32" | "$int32": base64 of their
 * little-endian bytes} (every machine Node runs on is little-endian); numbers JSON cannot hold
 * (NaN, +-Infinity) become {"$number": "NaN"}.
 */
export function encodeState(state: AgentState): string {
  return JSON.stringify(stateToJson(state));
}

/** The JSON value of a state (what encodeState writes), to embed in a larger document. */
export function stateToJson(state: AgentState): unknown {
  return toJson(state);
}

function toJson(value: StateValue): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : { $number: String(value) };
  if (value === null || typeof value !== 'object') return value;
  for (const [tag, type] of Object.entries(ARRAY_TAGS)) {
    if (value instanceof type)
      return { [tag]: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  }
  if (Array.isArray(value)) return value.map(toJson);
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, toJson(inner as StateValue)]));
}

/** The state of encodeState's text. */
export function decodeState(text: string): AgentState {
  return stateFromJson(JSON.parse(text) as unknown);
}

/** The state of stateToJson's value. */
export function stateFromJson(json: unknown): AgentState {
  const value = fromJson(json);
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value))
    throw new StateMismatch('a saved agent state is a mapping');
  return value as AgentState;
}

function fromJson(value: unknown): StateValue {
  if (value === null || typeof value !== 'object') return value as StateValue;
  if (Array.isArray(value)) return value.map(fromJson);
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [tag, inner] = entries[0];
    if (tag === '$number' && typeof inner === 'string') {
      if (inner !== 'NaN' && inner !== 'Infinity' && inner !== '-Infinity')
        throw new StateMismatch(`a saved number is "${inner}", not NaN, Infinity or -Infinity`);
      return Number(inner);
    }
    if (Object.hasOwn(ARRAY_TAGS, tag) && typeof inner === 'string') {
      const bytes = Buffer.from(inner, 'base64');
      // Node decodes any text as base64, skipping what is not: a damaged array must not pass as data.
      if (bytes.toString('base64') !== inner)
        throw new StateMismatch(`a saved ${tag.slice(1)} array is not valid base64 (a damaged file?)`);
      const type = ARRAY_TAGS[tag as ArrayTag];
      // A copy into fresh, aligned memory (a Buffer may sit at any offset of a shared pool).
      const copy = new Uint8Array(bytes);
      if (copy.byteLength % type.BYTES_PER_ELEMENT !== 0)
        throw new StateMismatch(
          `a saved ${tag.slice(1)} array has ${copy.byteLength} bytes, not a whole number of values`,
        );
      return new type(copy.buffer, 0, copy.byteLength / type.BYTES_PER_ELEMENT);
    }
  }
  return Object.fromEntries(entries.map(([key, inner]) => [key, fromJson(inner)]));
}

/**
 * Reads saved values back into an agent, checking each against what the agent needs: a missing
 * field or an array of another length throws StateMismatch naming it and the likely cause.
 */
export class StateReader {
  constructor(
    private readonly state: AgentState,
    private readonly what: string,
  ) {}

  private field(key: string): StateValue {
    if (!Object.hasOwn(this.state, key))
      throw new StateMismatch(
        `the saved ${this.what} has no "${key}": it was saved by another kind of agent or version`,
      );
    return this.state[key];
  }

  /** Copies the saved array `key` into `into`, which must have as many values. */
  array(key: string, into: Float64Array | Float32Array | Int32Array): void {
    into.set(this.arrayOf(key, into.length));
  }

  /** The saved array `key`, checked to hold `length` values. */
  arrayOf(key: string, length: number): Float64Array | Float32Array | Int32Array {
    const value = this.field(key);
    if (!ArrayBuffer.isView(value)) throw new StateMismatch(`the saved ${this.what}'s "${key}" is not an array`);
    if (value.length !== length) {
      throw new StateMismatch(
        `the saved ${this.what}'s "${key}" has ${value.length} values where this one needs ` +
          `${length}: it was trained in a world of another shape or with other hyper-parameters`,
      );
    }
    return value;
  }

  number(key: string): number {
    const value = this.field(key);
    if (typeof value !== 'number') throw new StateMismatch(`the saved ${this.what}'s "${key}" is not a number`);
    return value;
  }

  boolean(key: string): boolean {
    const value = this.field(key);
    if (typeof value !== 'boolean') throw new StateMismatch(`the saved ${this.what}'s "${key}" is not true or false`);
    return value;
  }

  /** The saved value `key` when present (null when it was saved as null). */
  optional(key: string): StateValue | undefined {
    return Object.hasOwn(this.state, key) ? this.state[key] : undefined;
  }

  /** Checks that the saved value `key` equals `expected` (a list of names, a count). */
  expect(key: string, expected: StateValue, meaning: string): void {
    const value = this.field(key);
    if (JSON.stringify(value) !== JSON.stringify(expected)) {
      throw new StateMismatch(
        `the saved ${this.what} has ${meaning} ${JSON.stringify(value)} where this one has ` +
          `${JSON.stringify(expected)}: it was trained in a world of another shape or with other ` +
          `hyper-parameters`,
      );
    }
  }
}
