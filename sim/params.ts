// Parameter declarations: each world, policy and agent declares its parameters once (type,
// default, range, one-line meaning). The lab derives the config schema, validation messages and
// `slatelab list` from these declarations; the core receives plain, defaulted, typed values.

export type ParamSpec =
  | {
      readonly type: 'number';
      readonly default: number;
      readonly min?: number;
      readonly max?: number;
      readonly doc: string;
    }
  | {
      readonly type: 'int';
      readonly default: number;
      readonly min?: number;
      readonly max?: number;
      readonly doc: string;
    }
  | { readonly type: 'boolean'; readonly default: boolean; readonly doc: string }
  | { readonly type: 'enum'; readonly default: string; readonly values: readonly string[]; readonly doc: string }
  | { readonly type: 'group'; readonly params: ParamSpecs; readonly doc: string };

export type ParamSpecs = { readonly [name: string]: ParamSpec };

/** The plain value type of a declaration, e.g. ParamValues<typeof feedParams>. */
export type ParamValues<S extends ParamSpecs> = {
  -readonly [K in keyof S]: S[K] extends { type: 'group'; params: infer G extends ParamSpecs }
    ? ParamValues<G>
    : S[K] extends { type: 'enum'; values: readonly (infer V)[] }
      ? V
      : S[K] extends { default: infer D }
        ? D extends number
          ? number
          : D extends boolean
            ? boolean
            : D
        : never;
};

/** A problem with user-given parameters: the field (relative to the params object) and what to do. */
export interface ParamIssue {
  readonly field: string;
  readonly message: string;
}

/** The declared defaults, as a values object. */
export function defaultParams<S extends ParamSpecs>(specs: S): ParamValues<S> {
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    values[name] = spec.type === 'group' ? defaultParams(spec.params) : spec.default;
  }
  return fastObject(values) as ParamValues<S>;
}

/**
 * `given` with every parameter it leaves out at its default, groups included (no checking: a
 * library caller's partial values, e.g. `bandit.create({ catalog: 50 }, ...)`; configs are checked
 * by resolveParams).
 */
export function withDefaults<S extends ParamSpecs>(specs: S, given: Partial<ParamValues<S>>): ParamValues<S> {
  const values: Record<string, unknown> = {};
  const object = given as Record<string, unknown>;
  for (const [name, spec] of Object.entries(specs)) {
    const value = object[name];
    values[name] =
      spec.type === 'group'
        ? withDefaults(spec.params, (value ?? {}) as Partial<ParamValues<typeof spec.params>>)
        : value === undefined
          ? spec.default
          : value;
  }
  return fastObject(values) as ParamValues<S>;
}

/**
 * Checks `given` (a plain object from a config file) against `specs`, fills defaults, and returns
 * either the values or every issue found, each naming the field path below `path`.
 */
export function resolveParams<S extends ParamSpecs>(
  specs: S,
  given: unknown,
  path: string,
): { values: ParamValues<S>; issues: ParamIssue[] } {
  const issues: ParamIssue[] = [];
  const values = resolveInto(specs, given ?? {}, path, issues);
  return { values: values as ParamValues<S>, issues };
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : Array.isArray(value) ? 'a list' : String(value);
}

function resolveInto(specs: ParamSpecs, given: unknown, path: string, issues: ParamIssue[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  if (typeof given !== 'object' || given === null || Array.isArray(given)) {
    issues.push({ field: path, message: `expected a mapping of parameters, got ${describe(given)}` });
    return defaultParams(specs);
  }
  const object = given as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    if (!(key in specs)) {
      const known = Object.keys(specs).join(', ');
      issues.push({ field: `${path}.${key}`, message: `unknown parameter; known: ${known}` });
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    const field = `${path}.${name}`;
    const value = object[name];
    if (spec.type === 'group') {
      values[name] = resolveInto(spec.params, value ?? {}, field, issues);
      continue;
    }
    if (value === undefined) {
      values[name] = spec.default;
      continue;
    }
    const problem = checkValue(spec, value);
    if (problem) issues.push({ field, message: problem });
    values[name] = problem ? spec.default : value;
  }
  return fastObject(values);
}

/**
 * A copy with V8's fast properties. An object grown key by key past about twenty properties is
 * kept as a hash table, which makes every read on the simulation's hot paths a lookup; a spread
 * copy gets a fixed shape.
 */
function fastObject(values: Record<string, unknown>): Record<string, unknown> {
  return { ...values };
}

function checkValue(spec: Exclude<ParamSpec, { type: 'group' }>, value: unknown): string | null {
  switch (spec.type) {
    case 'boolean':
      return typeof value === 'boolean' ? null : `expected true or false, got ${describe(value)}`;
    case 'enum':
      return typeof value === 'string' && spec.values.includes(value)
        ? null
        : `expected one of ${spec.values.join(', ')}, got ${describe(value)}`;
    case 'int':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return `expected a number, got ${describe(value)}`;
      if (spec.type === 'int' && !Number.isInteger(value)) return `expected a whole number, got ${value}`;
      if (spec.min !== undefined && value < spec.min) return `must be at least ${spec.min}, got ${value}`;
      if (spec.max !== undefined && value > spec.max) return `must be at most ${spec.max}, got ${value}`;
      return null;
    }
  }
}

/** A one-line description of a declaration, for `slatelab list` and the README. */
export function describeParam(spec: ParamSpec): string {
  switch (spec.type) {
    case 'group':
      return spec.doc;
    case 'enum':
      return `${spec.doc} (one of ${spec.values.join(', ')}; default ${spec.default})`;
    case 'boolean':
      return `${spec.doc} (true or false; default ${spec.default})`;
    default: {
      const range =
        spec.min !== undefined && spec.max !== undefined
          ? ` ${spec.min}..${spec.max}`
          : spec.min !== undefined
            ? ` >= ${spec.min}`
            : spec.max !== undefined
              ? ` <= ${spec.max}`
              : '';
      return `${spec.doc} (${spec.type}${range}; default ${spec.default})`;
    }
  }
}
