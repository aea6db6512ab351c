// An agent's streams are named by a stable key, never by its display name: renaming an agent in a
// config leaves its numbers unchanged. The key is the kind, plus a hash of the hyper-parameters
// that differ from their defaults (so two agents of one kind with different settings explore
// differently, and adding a new hyper-parameter with a default changes no existing key).
import { defaultParams, type ParamSpecs } from '../sim/params.ts';

export function streamKey(
  kind: string,
  specs: ParamSpecs,
  values: Record<string, unknown>,
  ignored: readonly string[] = [],
): string {
  // Settings that change no decision (how many draws estimate a propensity) stay out of the key.
  const kept = Object.fromEntries(Object.entries(values).filter(([name]) => !ignored.includes(name)));
  const changed = nonDefault(defaultParams(specs) as Record<string, unknown>, kept);
  return changed === undefined ? kind : `${kind}~${fnv1a(canonicalJson(changed))}`;
}

/** The values that differ from the defaults (nested groups compared field by field), or undefined. */
function nonDefault(
  defaults: Record<string, unknown>,
  values: Record<string, unknown>,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(values).sort()) {
    const value = values[key];
    const base = defaults[key];
    if (isObject(value) && isObject(base)) {
      const inner = nonDefault(base, value);
      if (inner !== undefined) out[key] = inner;
    } else if (canonicalJson(value) !== canonicalJson(base)) out[key] = value;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON with object keys sorted, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value))
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** 32-bit FNV-1a of the text's UTF-16 code units, as 8 hex digits. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}
