// Speed of the worlds: user-steps per second with a baseline policy on one core, batched.
// Figures are medians of repeated timed windows; compare them as ratios, not across machines.
import { defaultParams } from '../sim/params.ts';
import { worlds } from '../sim/presets/index.ts';
import { Rng } from '../sim/rng.ts';
import { policies } from '../policies/index.ts';

export interface BenchCase {
  readonly world: string;
  readonly policy: string;
  /** Minimum user-steps per second this project promises (README, issue targets), if any. */
  readonly target?: number;
}

export const benchCases: readonly BenchCase[] = [
  { world: 'recsim-interest-evolution', policy: 'random', target: 1_000_000 },
  { world: 'recsim-interest-evolution', policy: 'greedy-pctr' },
  { world: 'feed', policy: 'random', target: 250_000 },
  { world: 'feed', policy: 'greedy-pctr' },
  { world: 'long-term-satisfaction', policy: 'random' },
  { world: 'bandit', policy: 'random' },
];

export interface BenchOptions {
  /** Length of each timed window (default 1 s); the median of `repeats` windows is reported. */
  readonly seconds?: number;
  readonly repeats?: number;
  readonly batchSize?: number;
  /** Only these "world/policy" keys. */
  readonly only?: readonly string[];
  /** Called after each case, e.g. to print progress. */
  readonly onResult?: (key: string, stepsPerSecond: number, windows: readonly number[]) => void;
}

/** Per case: the median rate, and every window's rate (ascending) to show the machine's noise. */
export type BenchResults = Record<string, { stepsPerSecond: number; windows: number[] }>;

export async function runBenchmarks(options: BenchOptions = {}): Promise<BenchResults> {
  const seconds = options.seconds ?? 1;
  const repeats = options.repeats ?? 3;
  const batchSize = options.batchSize ?? 64;
  const results: BenchResults = {};
  for (const { world, policy } of benchCases) {
    const key = `${world}/${policy}`;
    if (options.only && !options.only.includes(key)) continue;
    if (!worlds[world] || !policies[policy]) continue;
    const rates: number[] = [];
    for (let repeat = 0; repeat < repeats; repeat++) rates.push(measure(world, policy, batchSize, seconds, repeat));
    rates.sort((a, b) => a - b);
    const median = rates[Math.floor(rates.length / 2)];
    results[key] = { stepsPerSecond: Math.round(median), windows: rates.map(Math.round) };
    options.onResult?.(key, median, results[key].windows);
    // Yield between cases so a caller's progress output gets through.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return results;
}

/** User-steps per second: rows restart with fresh episodes as they finish, so the batch stays full. */
function measure(worldName: string, policyName: string, batchSize: number, seconds: number, repeat: number): number {
  const world = worlds[worldName];
  const env = world.create(defaultParams(world.params), { seed: { experiment: 0, run: repeat }, batchSize });
  const definition = policies[policyName];
  const policy = definition.create(defaultParams(definition.params), { spec: env.spec, env });
  const slates = new Int32Array(batchSize * env.spec.slateSize);
  const rngs = Array.from({ length: batchSize }, (_, row) => new Rng(`bench/${repeat}/${row}`));
  let nextEpisode = 0;
  for (let row = 0; row < batchSize; row++) env.resetRow(row, nextEpisode++);
  const stepBatch = () => {
    policy.act(env.observation, rngs, slates);
    const result = env.step(slates);
    for (let row = 0; row < batchSize; row++) if (result.done[row] === 1) env.resetRow(row, nextEpisode++);
  };
  // Warm up the JIT before timing.
  const warmUntil = performance.now() + Math.min(300, seconds * 300);
  while (performance.now() < warmUntil) stepBatch();
  let steps = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 16; i++) stepBatch();
    steps += 16 * batchSize;
    now = performance.now();
  }
  return steps / ((now - start) / 1000);
}
