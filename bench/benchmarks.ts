// Speed of the worlds: user-steps per second with a baseline policy on one core, batched.
// Figures are medians of repeated timed windows; compare them as ratios, not across machines.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
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
    options.onResult?.(key, results[key].stepsPerSecond, results[key].windows);
    // Yield between cases so a caller's progress output gets through.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return results;
}

/** What a stepper needs of a source tree (this one, or another checkout to compare against). */
export interface Tree {
  readonly worlds: typeof worlds;
  readonly policies: typeof policies;
  readonly defaultParams: typeof defaultParams;
  readonly Rng: typeof Rng;
}

export const thisTree: Tree = { worlds, policies, defaultParams, Rng };

/**
 * The bench loop of one world/policy: returns stepBatches(n), which steps the whole batch n
 * times. Rows restart with fresh episodes as they finish, so the batch stays full.
 */
export function makeBatchStepper(tree: Tree, worldName: string, policyName: string, batchSize: number, repeat: number): (batches: number) => void {
  const world = tree.worlds[worldName];
  const env = world.create(tree.defaultParams(world.params), { seed: { experiment: 0, run: repeat }, batchSize });
  const definition = tree.policies[policyName];
  const policy = definition.create(tree.defaultParams(definition.params), { spec: env.spec, env });
  const slates = new Int32Array(batchSize * env.spec.slateSize);
  const rngs = Array.from({ length: batchSize }, (_, row) => new tree.Rng(`bench/${repeat}/${row}`));
  let nextEpisode = 0;
  for (let row = 0; row < batchSize; row++) env.resetRow(row, nextEpisode++);
  return (batches) => {
    for (let i = 0; i < batches; i++) {
      policy.act(env.observation, rngs, slates);
      const result = env.step(slates);
      for (let row = 0; row < batchSize; row++) if (result.done[row] === 1) env.resetRow(row, nextEpisode++);
    }
  };
}

/** As makeBatchStepper, timed: run(ms) steps for ms milliseconds and returns user-steps per second. */
function makeStepper(tree: Tree, worldName: string, policyName: string, batchSize: number, repeat: number): (ms: number) => number {
  const stepBatches = makeBatchStepper(tree, worldName, policyName, batchSize, repeat);
  return (ms) => {
    let steps = 0;
    const start = performance.now();
    const end = start + ms;
    let now = start;
    while (now < end) {
      stepBatches(16);
      steps += 16 * batchSize;
      now = performance.now();
    }
    return steps / ((now - start) / 1000);
  };
}

/** User-steps per second over one window, after a warm-up of the JIT. */
function measure(worldName: string, policyName: string, batchSize: number, seconds: number, repeat: number): number {
  const run = makeStepper(thisTree, worldName, policyName, batchSize, repeat);
  run(Math.min(300, seconds * 300));
  return run(seconds * 1000);
}

export interface Comparison {
  /** Medians over the windows, user-steps per second. */
  readonly thisTree: number;
  readonly otherTree: number;
  /** Median and quartiles of the per-pair ratios this / other. */
  readonly ratio: number;
  readonly ratioQuartiles: readonly [number, number];
  readonly pairs: number;
}

/**
 * This tree against another checkout (`git worktree add DIR REV`), side by side in one process:
 * the two steppers alternate short windows (who goes first alternates too), so that the
 * machine's slow and fast phases hit both alike, and the ratio is taken pair by pair. On a shared
 * machine this resolves differences of a few percent that separate runs cannot.
 */
export async function compareTrees(otherDir: string, key: string, options: { pairs?: number; windowMs?: number; batchSize?: number } = {}): Promise<Comparison> {
  const [worldName, policyName] = key.split('/');
  const load = (path: string) => import(pathToFileURL(resolve(otherDir, path)).href);
  const [presets, params, rng, policyRegistry] = await Promise.all([
    load('sim/presets/index.ts'),
    load('sim/params.ts'),
    load('sim/rng.ts'),
    load('policies/index.ts'),
  ]);
  const other: Tree = { worlds: presets.worlds, policies: policyRegistry.policies, defaultParams: params.defaultParams, Rng: rng.Rng };
  if (!other.worlds?.[worldName] || !other.policies?.[policyName]) throw new Error(`${otherDir} has no benchmark ${key}`);
  const batchSize = options.batchSize ?? 64;
  const windowMs = options.windowMs ?? 100;
  const pairs = options.pairs ?? 40;
  const mine = makeStepper(thisTree, worldName, policyName, batchSize, 0);
  const theirs = makeStepper(other, worldName, policyName, batchSize, 0);
  mine(500);
  theirs(500);
  const a: number[] = [];
  const b: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < pairs; i++) {
    const x = i % 2 === 0 ? mine(windowMs) : theirs(windowMs);
    const y = i % 2 === 0 ? theirs(windowMs) : mine(windowMs);
    const [m, t] = i % 2 === 0 ? [x, y] : [y, x];
    a.push(m);
    b.push(t);
    ratios.push(m / t);
  }
  const sorted = (values: number[]) => [...values].sort((p, q) => p - q);
  const at = (values: number[], q: number) => sorted(values)[Math.min(values.length - 1, Math.floor(q * values.length))];
  return {
    thisTree: Math.round(at(a, 0.5)),
    otherTree: Math.round(at(b, 0.5)),
    ratio: at(ratios, 0.5),
    ratioQuartiles: [at(ratios, 0.25), at(ratios, 0.75)],
    pairs,
  };
}
