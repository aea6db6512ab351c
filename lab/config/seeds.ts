// A config's run seeds (`seeds:`) and tuning seeds (`tuning.seeds`): a count or a list, each
// problem reported on its own line by field.
import { describe } from './describe-value.ts';

export const DEFAULT_SEEDS = 5;
/**
 * At most this many run seeds. Every seed is a run of every agent with its own result file and
 * progress line; more replications than this say nothing a few hundred would not.
 */
export const MAX_SEEDS = 10_000;

/**
 * The tuning seeds: a list apart from the reporting seeds, or a count N (the N seeds after the
 * largest reporting seed).
 */
export function resolveTuning(
  value: unknown,
  seeds: readonly number[],
  report: (field: string, message: string) => void,
  seedsOption?: string,
): number[] | undefined {
  const problems: [string, string][] = [];
  let tuning: number[];
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_SEEDS) {
    const after = Math.max(-1, ...seeds) + 1;
    tuning = Array.from({ length: value }, (_, i) => after + i);
  } else {
    tuning = resolveSeeds(value, (field, message) => problems.push([`tuning.${field}`, message]));
  }
  for (const [field, message] of problems) report(field, message);
  if (problems.length > 0) return undefined;
  if (seeds.length + tuning.length > MAX_SEEDS)
    report(
      'tuning.seeds',
      `${seeds.length} reporting and ${tuning.length} tuning seeds are more than ${MAX_SEEDS} in all; every seed is a run of every agent`,
    );
  const shared = tuning.filter((seed) => seeds.includes(seed));
  if (shared.length > 0)
    report(
      'tuning.seeds',
      `${shared.join(', ')} ${shared.length === 1 ? 'is' : 'are'} also reporting seeds${seedsOption ? ` (set by ${seedsOption})` : ''}; ` +
        'tuning seeds must be fresh ones (e.g. a count: tuning: { seeds: 3 } takes the 3 after the last reporting seed)',
    );
  return tuning;
}

const SEEDS_HINT = 'a count like 4 (seeds 0..3) or a list of whole numbers >= 0 like [0, 1, 2, 3]';

/** The run seeds of `seeds` (a count, a list, or absent for the default), reporting each problem. */
export function resolveSeeds(value: unknown, report: (field: string, message: string) => void): number[] {
  if (value === undefined) return Array.from({ length: DEFAULT_SEEDS }, (_, i) => i);
  if (typeof value === 'number' && Number.isInteger(value)) {
    if (value < 1) report('seeds', `give at least one seed (a count >= 1, or a list of whole numbers), got ${value}`);
    else if (value > MAX_SEEDS)
      report('seeds', `must be at most ${MAX_SEEDS} seeds, got ${describe(value)}; every seed is a run of every agent`);
    else return Array.from({ length: value }, (_, i) => i);
    return [];
  }
  if (!Array.isArray(value)) {
    report('seeds', `expected ${SEEDS_HINT}, got ${describe(value)}`);
    return [];
  }
  if (value.length === 0) report('seeds', 'give at least one seed (a list of whole numbers, or a count)');
  if (value.length > MAX_SEEDS)
    report('seeds', `must list at most ${MAX_SEEDS} seeds, got ${value.length}; every seed is a run of every agent`);
  const seeds: number[] = [];
  const seen = new Set<number>();
  value.forEach((seed: unknown, i) => {
    if (typeof seed === 'number' && Number.isInteger(seed) && seed > Number.MAX_SAFE_INTEGER) {
      report(`seeds[${i}]`, `must be at most ${Number.MAX_SAFE_INTEGER}, got ${describe(seed)}`);
    } else if (!(typeof seed === 'number' && Number.isInteger(seed) && seed >= 0)) {
      report(`seeds[${i}]`, `expected a whole number >= 0, got ${describe(seed)}`);
    } else if (seen.has(seed)) {
      report(`seeds[${i}]`, `duplicate seed ${seed}; list each seed once`);
    } else {
      seen.add(seed);
      seeds.push(seed);
    }
  });
  return seeds;
}
