// Speed of the worlds: user-steps per second with a baseline policy on one core, batched; and
// speed of training: user-steps per second of the training loop (lab/loop.ts train: act, step,
// observe, update every round) per learning agent.
// Figures are medians of repeated timed windows; compare them as ratios, not across machines.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { agents } from '../agents/index.ts';
import { train } from '../lab/loop.ts';
import { defaultParams } from '../sim/params.ts';
import { worlds } from '../sim/presets/index.ts';
import { Rng } from '../sim/rng.ts';
import { policies } from '../policies/index.ts';

export interface BenchCase {
  /**
   * A world preset, stepped by the fixed policy `policy`; for a training case, the label of the
   * world and its parameters (training.preset, training.params). `${world}/${policy}` is the key.
   */
  readonly world: string;
  /** A policy; for a training case, the agent and ':train'. */
  readonly policy: string;
  /** Minimum user-steps per second this project promises (README, issue targets), if any. */
  readonly target?: number;
  /** A training case: the agent learns while it steps (observe and update every round). */
  readonly training?: TrainingCase;
}

export interface TrainingCase {
  readonly preset: string;
  /** Parameters that differ from the preset's defaults. */
  readonly params: Readonly<Record<string, unknown>>;
  /** An agent of agents/index.ts, with its default hyper-parameters. */
  readonly agent: string;
}

/** The bandit world of the shipped bandit experiment: a catalog of 200 items, dim 5 (20 candidates, slate 3). */
const BANDIT_EXPERIMENT = { catalog: 200, dim: 5 };

/** A training case of `agent` in world `label` (preset, params). */
function trainingCase(label: string, preset: string, params: Record<string, unknown>, agent: string, target?: number): BenchCase {
  return { world: label, policy: `${agent}:train`, training: { preset, params, agent }, ...(target === undefined ? {} : { target }) };
}

export const benchCases: readonly BenchCase[] = [
  { world: 'recsim-interest-evolution', policy: 'random', target: 1_000_000 },
  { world: 'recsim-interest-evolution', policy: 'greedy-pctr' },
  { world: 'feed', policy: 'random', target: 250_000 },
  { world: 'feed', policy: 'greedy-pctr' },
  { world: 'long-term-satisfaction', policy: 'random' },
  { world: 'bandit', policy: 'random' },
  // Training, batch 64, in the world of the shipped bandit experiment.
  trainingCase('bandit-catalog200-dim5', 'bandit', BANDIT_EXPERIMENT, 'epsilon-greedy'),
  trainingCase('bandit-catalog200-dim5', 'bandit', BANDIT_EXPERIMENT, 'ucb1'),
  trainingCase('bandit-catalog200-dim5', 'bandit', BANDIT_EXPERIMENT, 'thompson'),
  trainingCase('bandit-catalog200-dim5', 'bandit', BANDIT_EXPERIMENT, 'linucb', 100_000), // the target
  trainingCase('bandit-catalog200-dim5', 'bandit', BANDIT_EXPERIMENT, 'lin-ts'),
  trainingCase('bandit-catalog200-dim5', 'bandit', BANDIT_EXPERIMENT, 'pctr'),
  // The supervised ranker in its own world: acting, logging and refitting on the default feed.
  trainingCase('feed', 'feed', {}, 'pctr'),
  trainingCase('feed', 'feed', {}, 'ranker'),
  trainingCase('feed', 'feed', {}, 'cluster'),
  // For the record: the default bandit world (dim 8, so 64 outer-product features) with a catalog.
  trainingCase('bandit-catalog200', 'bandit', { catalog: 200 }, 'linucb'),
];

/** A case's key: "world/policy" (for a training case "label/agent:train"), what --only names. */
export function benchKey(c: BenchCase): string {
  return `${c.world}/${c.policy}`;
}

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
  for (const c of benchCases) {
    const key = benchKey(c);
    if (options.only && !options.only.includes(key)) continue;
    if (c.training ? !thisTree.agents?.[c.training.agent] || !worlds[c.training.preset] : !worlds[c.world] || !policies[c.policy]) continue;
    // An agent with networks needs its backend (the default, wasm) before it is created.
    if (c.training && thisTree.agents?.[c.training.agent]?.nets) await (await import('../agents/nets/backend.ts')).useBackend('wasm');
    const rates: number[] = [];
    for (let repeat = 0; repeat < repeats; repeat++) {
      const run = c.training ? makeTrainingStepper(thisTree, c.training, batchSize, repeat) : makeStepper(thisTree, c.world, c.policy, batchSize, repeat);
      rates.push(measure(run, seconds));
    }
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
  /** For training cases (a tree from before the agents has neither). */
  readonly agents?: typeof agents;
  readonly train?: typeof train;
}

export const thisTree: Tree = { worlds, policies, defaultParams, Rng, agents, train };

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

/**
 * A training case's timed stepper: a fresh agent (as lab/training.ts builds one: default
 * hyper-parameters, streams init and update) in a world of batch `batchSize`, trained by the
 * loop's `train`. run(ms) trains for about ms milliseconds, mostly in one `train` call whose step
 * budget is sized from the rate so far, and returns its user-steps per second. The agent keeps
 * what it learned from one call to the next; each call starts again at the first training episode
 * (the same users: what a step costs does not depend on which user it is).
 */
export function makeTrainingStepper(tree: Tree, training: TrainingCase, batchSize: number, repeat: number): (ms: number) => number {
  const world = tree.worlds[training.preset];
  const definition = tree.agents?.[training.agent];
  if (!world || !definition || !tree.train) throw new Error(`no world ${training.preset} or agent ${training.agent} (or training loop) in this tree`);
  const train = tree.train;
  const seed = { experiment: 0, run: repeat };
  const env = world.create({ ...tree.defaultParams(world.params), ...training.params }, { seed, batchSize });
  const agent = definition.create(tree.defaultParams(definition.params), {
    spec: env.spec,
    seed,
    streams: { init: tree.Rng.derive(seed, training.agent, 'init'), update: tree.Rng.derive(seed, training.agent, 'update') },
  });
  let rate = 0; // user-steps per millisecond of the last call (0: not known yet)
  return (ms) => {
    const start = performance.now();
    const end = start + ms;
    let steps = 0;
    let now = start;
    do {
      // Sized to the time left at the last call's rate; 16 rounds at least (and while it is unknown).
      const budget = Math.max(16 * batchSize, Math.round(rate * (end - now)));
      const before = now;
      const taken = train(env, agent, { seed, streamKey: training.agent, steps: budget, episodes: Infinity }).steps;
      now = performance.now();
      steps += taken;
      rate = taken / Math.max(now - before, 1e-3);
    } while (now < end);
    return steps / ((now - start) / 1000);
  };
}

/** User-steps per second over one window, after a warm-up of the JIT. */
function measure(run: (ms: number) => number, seconds: number): number {
  run(Math.min(300, seconds * 300));
  return run(seconds * 1000);
}

/** compareTrees cannot compare this case with that tree (it predates what the case needs): a note, not a failure. */
export class SkipComparison extends Error {
  override readonly name = 'SkipComparison';
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
 * machine this resolves differences of a few percent that separate runs cannot. A training case
 * trains each tree's own agent in each tree's own loop; against a tree without that agent or
 * without the training loop it throws SkipComparison.
 */
export async function compareTrees(otherDir: string, key: string, options: { pairs?: number; windowMs?: number; batchSize?: number } = {}): Promise<Comparison> {
  const found = benchCases.find((c) => benchKey(c) === key);
  const [worldName, policyName] = key.split('/');
  const load = (path: string) => import(pathToFileURL(resolve(otherDir, path)).href);
  const [presets, params, rng, policyRegistry] = await Promise.all([
    load('sim/presets/index.ts'),
    load('sim/params.ts'),
    load('sim/rng.ts'),
    load('policies/index.ts'),
  ]);
  let other: Tree = { worlds: presets.worlds, policies: policyRegistry.policies, defaultParams: params.defaultParams, Rng: rng.Rng };
  const batchSize = options.batchSize ?? 64;
  let makeRun: (tree: Tree) => (ms: number) => number;
  if (found?.training) {
    const training = found.training;
    // A tree from before the agents (or without this one) has nothing to compare: skipped, not failed.
    const loadIfThere = (path: string) => (existsSync(resolve(otherDir, path)) ? load(path) : null);
    const [agentRegistry, loop] = await Promise.all([loadIfThere('agents/index.ts'), loadIfThere('lab/loop.ts')]);
    if (!agentRegistry?.agents?.[training.agent] || typeof loop?.train !== 'function') {
      throw new SkipComparison(`${otherDir} has no agent ${training.agent} or no training loop (lab/loop.ts train)`);
    }
    if (!other.worlds?.[training.preset]) throw new Error(`${otherDir} has no world ${training.preset} for benchmark ${key}`);
    other = { ...other, agents: agentRegistry.agents, train: loop.train };
    makeRun = (tree) => makeTrainingStepper(tree, training, batchSize, 0);
  } else {
    if (!other.worlds?.[worldName] || !other.policies?.[policyName]) throw new Error(`${otherDir} has no benchmark ${key}`);
    makeRun = (tree) => makeStepper(tree, worldName, policyName, batchSize, 0);
  }
  const windowMs = options.windowMs ?? 100;
  const pairs = options.pairs ?? 40;
  const mine = makeRun(thisTree);
  const theirs = makeRun(other);
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
