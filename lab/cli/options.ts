// Option values as typed: numbers are read as text and parsed here (yargs turns "abc" into NaN
// and "0x2" into 2), and each problem is one line naming the option and what it takes.
import { BACKENDS, type BackendName } from '../../agents/nets/backend-names.ts';
import { DEFAULT_MEMORY_SHARE, parseBytes } from '../run/plan.ts';
import { UsageError } from './errors.ts';

/** Options shared by run and resume. */
export const THREADS_OPTION = {
  type: 'string',
  describe: 'worker threads for runs (default: all cores; results do not depend on it)',
} as const;
export const MAX_MEMORY_OPTION = {
  type: 'string',
  describe:
    `memory the runs may hold at once, e.g. 6G (default ` +
    `${Math.round(DEFAULT_MEMORY_SHARE * 100)}% of this machine's); runs that need more are ` +
    `refused before they start`,
} as const;

/** An option given once, with a value (yargs gives '' for a bare `--out` and an array for a repeated one). */
export function singleString(option: string, value: unknown, what: string, example: string): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new UsageError(`${option}: given ${value.length} times; give it once`);
  if (typeof value !== 'string' || value.trim() === '')
    throw new UsageError(`${option}: needs ${what}, e.g. ${option} ${example}`);
  return value;
}

/** A positive decimal number, as typed. */
export function positiveNumber(option: string, value: unknown): number | undefined {
  const text = singleString(option, value, 'a positive number', '4');
  if (text === undefined) return undefined;
  const number = Number(text);
  if (!/^\s*(\d+\.?\d*|\.\d+)\s*$/.test(text) || !(number > 0))
    throw new UsageError(`${option}: expected a positive number, got "${text}"`);
  return number;
}

/** A list option given with at least one non-empty value. */
export function nonEmptyList(option: string, value: string[] | undefined, what: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (value.length === 0 || value.some((item) => item.trim() === '')) throw new UsageError(`${option}: needs ${what}`);
  return value;
}

/** A whole number >= 1 written in decimal, as typed (the message echoes the user's text). */
export function positiveInt(option: string, value: unknown): number | undefined {
  const text = singleString(option, value, 'a whole number >= 1', '4');
  if (text === undefined) return undefined;
  const number = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(number) || number < 1) {
    throw new UsageError(`${option}: expected a whole number >= 1, got "${text}"`);
  }
  return number;
}

/** --backend: one of the backends, or absent (the config's, default wasm). */
export function backendOption(value: unknown): BackendName | undefined {
  if (value === undefined) return undefined;
  const text = singleString('--backend', value, 'a backend', 'wasm');
  if (!(BACKENDS as readonly string[]).includes(text ?? ''))
    throw new UsageError(`--backend: "${text}" is not a backend; use one of ${BACKENDS.join(', ')}`);
  return text as BackendName;
}

/** --max-memory: a size like 6G, 800M or 2e9 (bytes). */
export function bytesOption(value: unknown): number | undefined {
  const text = singleString('--max-memory', value, 'a size', '6G');
  if (text === undefined) return undefined;
  const bytes = parseBytes(text);
  if (bytes === null) throw new UsageError(`--max-memory: expected a size like 6G, 800M or 2e9 (bytes), got "${text}"`);
  return bytes;
}
