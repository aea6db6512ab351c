// Speed of the worlds: user-steps per second with a baseline policy on one core, batched; speed of
// training: user-steps per second of the training loop (lab/loop/rollout.ts train: act, step, observe,
// update every round) per learning agent; speed of a trained agent acting in evaluation; and the
// value-model ranker's network alone: Adam steps per second of its multi-task network.
// Figures are medians of repeated timed windows; compare them as ratios, not across machines.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Action, Agent } from '../agents/agent.ts';
import { agents } from '../agents/index.ts';
import { useBackend } from '../agents/nets/backend.ts';
import { CandidateFeatures } from '../agents/supervised/features.ts';
import { MultiTaskNet } from '../agents/supervised/multitask.ts';
import { headsOf, SignalLog } from '../agents/supervised/signal-log.ts';
import { train } from '../lab/loop/rollout.ts';
import type { Env, Observation } from '../sim/env.ts';
import { defaultParams } from '../sim/params.ts';
import { worlds } from '../sim/presets/index.ts';
import { Rng } from '../sim/rng.ts';
import { policies } from '../policies/index.ts';
import { createPolicy } from '../policies/policy.ts';

export interface BenchCase {
  /**
   * A world preset, stepped by the fixed policy `policy`; for a training, acting or fit-step case,
   * the label of the world and its parameters (preset, params). `${world}/${policy}` is the key.
   */
  readonly world: string;
  /** A policy; for a training case, the agent and ':train' (acting: ':act'; fit step: ':fit-step'). */
  readonly policy: string;
  /** Minimum user-steps per second this project promises (README, issue targets), if any. */
  readonly target?: number;
  /** A training case: the agent learns while it steps (observe and update every round). */
  readonly training?: TrainingCase;
  /** An acting case: the agent, trained until it has fitted, acts in 'eval' while the world steps (user-steps/s). */
  readonly acting?: ActingCase;
  /** The ranker's multi-task network alone: its rate is Adam steps per second (ms per step = 1000 / rate). */
  readonly fitStep?: FitStepCase;
}

export interface TrainingCase {
  readonly preset: string;
  /** Parameters that differ from the preset's defaults. */
  readonly params: Readonly<Record<string, unknown>>;
  /** An agent of agents/index.ts, with its default hyper-parameters. */
  readonly agent: string;
  /**
   * User-steps trained before the timing (an agent whose replay buffer must fill before it learns
   * would otherwise be timed mostly filling it); none when absent.
   */
  readonly warmSteps?: number;
}

export interface ActingCase {
  readonly preset: string;
  readonly params: Readonly<Record<string, unknown>>;
  /**
   * An agent of agents/index.ts with its default hyper-parameters, whose `update` reports a `loss` once it has fitted.
   */
  readonly agent: string;
  /** Training user-steps per `train` call before the timing, repeated until the agent reports a loss. */
  readonly trainSteps: number;
}

/**
 * One Adam step of MultiTaskNet.fit at the ranker's default sizes (hidden, fitBatch, learningRate)
 * in world `preset`: features F of CandidateFeatures, heads of headsOf. Timed as epochs over a
 * synthetic log of exactly `batches` full batches, so each epoch is `batches` steps.
 */
export interface FitStepCase {
  readonly preset: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly batches: number;
}

/** The bandit world of the shipped bandit experiment: a catalog of 200 items, dim 5 (20 candidates, slate 3). */
const BANDIT_EXPERIMENT = { catalog: 200, dim: 5 };

/**
 * A training case of `agent` in world `label` (preset, params), with a promised rate (`target`) and steps trained
 * before the timing (`warmSteps`).
 */
function trainingCase(
  label: string,
  preset: string,
  params: Record<string, unknown>,
  agent: string,
  { target, warmSteps }: { target?: number; warmSteps?: number } = {},
): BenchCase {
  return {
    world: label,
    policy: `${agent}:train`,
    training: { preset, params, agent, ...(warmSteps === undefined ? {} : { warmSteps }) },
    ...(target === undefined ? {} : { target }),
  };
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
  trainingCase('bandit-catalog200-dim5', 'bandit', BANDIT_EXPERIMENT, 'linucb', { target: 100_000 }), // the target
  trainingCase('bandit-catalog200-dim5', 'bandit', BANDIT_EXPERIMENT, 'lin-ts'),
  trainingCase('bandit-catalog200-dim5', 'bandit', BANDIT_EXPERIMENT, 'pctr'),
  // The supervised ranker in its own world: acting, logging and refitting on the default feed.
  trainingCase('feed', 'feed', {}, 'pctr'),
  trainingCase('feed', 'feed', {}, 'ranker'),
  trainingCase('feed', 'feed', {}, 'cluster'),
  // The ranker trained (its first refit comes after 5,000 logged impressions, about one per
  // user-step in the feed), then acting in evaluation: its network scores every candidate.
  { world: 'feed', policy: 'ranker:act', acting: { preset: 'feed', params: {}, agent: 'ranker', trainSteps: 6_000 } },
  // Its multi-task network alone: Adam steps per second at the ranker's defaults (batch 512).
  { world: 'feed', policy: 'ranker:fit-step', fitStep: { preset: 'feed', params: {}, batches: 8 } },
  // SlateQ in RecSim's world (10 candidates, slate 2), as experiments/recsim-slateq.yaml trains it:
  // acting for 64 users a round and 4 gradient steps of 64 replayed transitions per round, timed
  // after 5,000 steps (its first gradient step comes at 2,000). 300,000 steps take 300,000 / rate s.
  trainingCase('recsim-interest-evolution', 'recsim-interest-evolution', {}, 'slateq', { warmSteps: 5_000 }),
  // reinforce in the feed, as experiments/myopic-vs-longterm.yaml trains it: sampling pages of 10
  // from its softmax for 64 users a round and gradient steps on replayed pages, timed after its
  // first gradient steps. 60,000 steps take 60,000 / rate s.
  trainingCase('feed', 'feed', {}, 'reinforce', { warmSteps: 2_000 }),
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

/**
 * Per case: the median rate, and every window's rate (ascending) to show the machine's noise. The
 * rate is user-steps per second, but Adam steps per second for a fit-step case.
 */
export type BenchResults = Record<string, { stepsPerSecond: number; windows: number[] }>;

export async function runBenchmarks(options: BenchOptions = {}): Promise<BenchResults> {
  const seconds = options.seconds ?? 1;
  const repeats = options.repeats ?? 3;
  const batchSize = options.batchSize ?? 64;
  const results: BenchResults = {};
  for (const c of benchCases) {
    const key = benchKey(c);
    if (options.only && !options.only.includes(key)) continue;
    if (!inTree(c, thisTree)) continue;
    // An agent with networks needs its backend (the default, wasm) before it is created.
    if (needsNets(c, thisTree)) await thisTree.useBackend!('wasm');
    const rates: number[] = [];
    for (let repeat = 0; repeat < repeats; repeat++) {
      const run = makeRun(thisTree, c, batchSize, repeat);
      rates.push(measure(run, seconds));
      run.dispose?.();
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
/** A policy definition of a tree from before createPolicy. */
interface OlderPolicy {
  create(values: unknown, context: { spec: unknown; env: unknown }): ReturnType<typeof createPolicy>;
}

export interface Tree {
  readonly worlds: typeof worlds;
  readonly policies: typeof policies;
  readonly defaultParams: typeof defaultParams;
  /** Builds a policy (a tree from before createPolicy passed the env in the context instead). */
  readonly createPolicy?: typeof createPolicy;
  readonly Rng: typeof Rng;
  /** For training and acting cases (a tree from before the agents has neither). */
  readonly agents?: typeof agents;
  readonly train?: typeof train;
  /** Chooses the networks' backend (agents/nets/backend.ts), for agents with networks and the fit-step case. */
  readonly useBackend?: typeof useBackend;
  /** For the fit-step case: the ranker's network and what sizes and feeds it. */
  readonly supervised?: Supervised;
}

/** The pieces of agents/supervised/ that the fit-step case builds the ranker's network from. */
export interface Supervised {
  readonly MultiTaskNet: typeof MultiTaskNet;
  readonly SignalLog: typeof SignalLog;
  readonly CandidateFeatures: typeof CandidateFeatures;
  readonly headsOf: typeof headsOf;
}

export const thisTree: Tree = {
  worlds,
  policies,
  defaultParams,
  createPolicy,
  Rng,
  agents,
  train,
  useBackend,
  supervised: { MultiTaskNet, SignalLog, CandidateFeatures, headsOf },
};

/**
 * A timed stepper: run(ms) works for about ms milliseconds and returns its rate per second; dispose frees its tensors.
 */
export type TimedRun = ((ms: number) => number) & { dispose?(): void };

/** The timed stepper of case `c` in `tree`, for repeat `repeat` (its seed). */
function makeRun(tree: Tree, c: BenchCase, batchSize: number, repeat: number): TimedRun {
  if (c.training) return makeTrainingStepper(tree, c.training, batchSize, repeat);
  if (c.acting) return makeActingStepper(tree, c.acting, batchSize, repeat);
  if (c.fitStep) return makeFitStepStepper(tree, c.fitStep, repeat);
  return makeStepper(tree, c.world, c.policy, batchSize, repeat);
}

/** Whether `tree` has what case `c` steps: its world and its policy or agent. */
function inTree(c: BenchCase, tree: Tree): boolean {
  const agentCase = c.training ?? c.acting ?? (c.fitStep && { ...c.fitStep, agent: 'ranker' });
  return agentCase
    ? tree.agents?.[agentCase.agent] !== undefined && tree.worlds[agentCase.preset] !== undefined
    : tree.worlds[c.world] !== undefined && tree.policies[c.policy] !== undefined;
}

/** Whether case `c` runs networks in `tree` (its backend must be chosen first). */
function needsNets(c: BenchCase, tree: Tree): boolean {
  const agent = c.training?.agent ?? c.acting?.agent;
  return c.fitStep !== undefined || (agent !== undefined && tree.agents?.[agent]?.nets === true);
}

/**
 * The bench loop of one world/policy: returns stepBatches(n), which steps the whole batch n
 * times. Rows restart with fresh episodes as they finish, so the batch stays full.
 */
export function makeBatchStepper(
  tree: Tree,
  worldName: string,
  policyName: string,
  batchSize: number,
  repeat: number,
): (batches: number) => void {
  const world = tree.worlds[worldName];
  const env = world.create(tree.defaultParams(world.params), { seed: { experiment: 0, run: repeat }, batchSize });
  const definition = tree.policies[policyName];
  const values = tree.defaultParams(definition.params);
  const policy = tree.createPolicy
    ? tree.createPolicy(definition, values, env)
    : (definition as unknown as OlderPolicy).create(values, { spec: env.spec, env });
  const slates = new Int32Array(batchSize * env.spec.slateSize);
  return batchLoop(tree, env, repeat, slates, (observation, rngs) => policy.act(observation, rngs, slates));
}

/**
 * The loop under makeBatchStepper and the acting case: stepBatches(n) lets `act` write `slates`
 * for the whole batch and steps it, n times; rows restart with fresh episodes (0, 1, ...) as they
 * finish, so the batch stays full, and `beginEpisode` hears of each start.
 */
function batchLoop(
  tree: Tree,
  env: Env,
  repeat: number,
  slates: Int32Array,
  act: (observation: Observation, rngs: readonly Rng[]) => void,
  beginEpisode?: (row: number, episode: number) => void,
): (batches: number) => void {
  const batchSize = env.spec.batchSize;
  const rngs = Array.from({ length: batchSize }, (_, row) => new tree.Rng(`bench/${repeat}/${row}`));
  let nextEpisode = 0;
  const startRow = (row: number) => {
    env.resetRow(row, nextEpisode);
    beginEpisode?.(row, nextEpisode++);
  };
  for (let row = 0; row < batchSize; row++) startRow(row);
  return (batches) => {
    for (let i = 0; i < batches; i++) {
      act(env.observation, rngs);
      const result = env.step(slates);
      for (let row = 0; row < batchSize; row++) if (result.done[row] === 1) startRow(row);
    }
  };
}

/** As makeBatchStepper, timed: run(ms) steps for ms milliseconds and returns user-steps per second. */
function makeStepper(tree: Tree, worldName: string, policyName: string, batchSize: number, repeat: number): TimedRun {
  return timedBatches(makeBatchStepper(tree, worldName, policyName, batchSize, repeat), batchSize);
}

/** run(ms): stepBatches in runs of 16 batches for ms milliseconds; returns user-steps per second. */
function timedBatches(stepBatches: (batches: number) => void, batchSize: number): TimedRun {
  return (ms) =>
    stepsPerSecond(ms, () => {
      stepBatches(16);
      return 16 * batchSize;
    });
}

/**
 * Calls `work` until `ms` milliseconds have passed (at least once) and returns its steps per
 * second; `work` gets the milliseconds left and returns the steps it took.
 */
function stepsPerSecond(ms: number, work: (msLeft: number) => number): number {
  const start = performance.now();
  const end = start + ms;
  let steps = 0;
  let now = start;
  do {
    steps += work(end - now);
    now = performance.now();
  } while (now < end);
  return steps / ((now - start) / 1000);
}

/**
 * A training case's timed stepper: a fresh agent (as lab/loop/agent-run.ts builds one: default
 * hyper-parameters, streams init and update) in a world of batch `batchSize`, trained by the
 * loop's `train`. run(ms) trains for about ms milliseconds, mostly in one `train` call whose step
 * budget is sized from the rate so far, and returns its user-steps per second. The agent keeps
 * what it learned from one call to the next; each call starts again at the first training episode
 * (the same users: what a step costs does not depend on which user it is).
 */
export function makeTrainingStepper(tree: Tree, training: TrainingCase, batchSize: number, repeat: number): TimedRun {
  const { env, agent, seed, train } = freshAgent(tree, training, batchSize, repeat);
  if (training.warmSteps)
    train(env, agent, { seed, streamKey: training.agent, steps: training.warmSteps, episodes: Infinity });
  let rate = 0; // user-steps per millisecond of the last call (0: not known yet)
  const run = (ms: number) =>
    stepsPerSecond(ms, (msLeft) => {
      // Sized to the time left at the last call's rate; 16 rounds at least (and while it is unknown).
      const budget = Math.max(16 * batchSize, Math.round(rate * msLeft));
      const before = performance.now();
      const taken = train(env, agent, { seed, streamKey: training.agent, steps: budget, episodes: Infinity }).steps;
      rate = taken / Math.max(performance.now() - before, 1e-3);
      return taken;
    });
  return Object.assign(run, { dispose: () => agent.dispose?.() });
}

/**
 * A fresh agent as lab/loop/agent-run.ts builds one (default hyper-parameters, streams init and update,
 * named by the agent's kind) in a world of batch `batchSize`, seeded by `repeat`.
 */
function freshAgent(
  tree: Tree,
  c: { preset: string; params: Readonly<Record<string, unknown>>; agent: string },
  batchSize: number,
  repeat: number,
) {
  const world = tree.worlds[c.preset];
  const definition = tree.agents?.[c.agent];
  if (!world || !definition || !tree.train)
    throw new Error(`no world ${c.preset} or agent ${c.agent} (or training loop) in this tree`);
  const seed = { experiment: 0, run: repeat };
  const env = world.create({ ...tree.defaultParams(world.params), ...c.params }, { seed, batchSize });
  const agent: Agent = definition.create(tree.defaultParams(definition.params), {
    spec: env.spec,
    seed,
    streams: { init: tree.Rng.derive(seed, c.agent, 'init'), update: tree.Rng.derive(seed, c.agent, 'update') },
  });
  return { env, agent, seed, train: tree.train };
}

/**
 * An acting case's timed stepper: a fresh agent trains, outside the timing, `trainSteps` user-steps
 * at a time until its update has reported a loss (it has fitted: its model is what acts); then
 * run(ms), as a policy's stepper, has it act in 'eval' (no exploring, no learning) on the batch,
 * steps the world, restarts finished rows with evaluation users, and returns user-steps per second.
 */
export function makeActingStepper(tree: Tree, acting: ActingCase, batchSize: number, repeat: number): TimedRun {
  const { env, agent, seed, train } = freshAgent(tree, acting, batchSize, repeat);
  let fitted = false;
  let trained = 0;
  while (!fitted) {
    // Each call starts again at the first training users; more than one call is a fallback.
    if (trained >= 10 * acting.trainSteps)
      throw new Error(`${acting.agent} reported no loss (never fitted) in ${trained} training user-steps`);
    const onRound = (report: { stats: Readonly<Record<string, number>> }) => {
      if (report.stats.loss !== undefined) fitted = true;
    };
    trained += train(env, agent, {
      seed,
      streamKey: acting.agent,
      steps: acting.trainSteps,
      episodes: Infinity,
      onRound,
    }).steps;
  }
  const slates = new Int32Array(batchSize * env.spec.slateSize);
  // Propensities are not asked for: slateProb and slotProb stay 1, as the loop leaves them.
  const action: Action = {
    slates,
    slateProb: new Float64Array(batchSize).fill(1),
    slotProb: new Float64Array(slates.length).fill(1),
    prefixProb: new Float64Array(slates.length).fill(1),
    propensities: false,
  };
  const stepBatches = batchLoop(
    tree,
    env,
    repeat,
    slates,
    (observation, rngs) => agent.act(observation, rngs, action, 'eval'),
    (row, episode) => agent.beginEpisode?.(row, episode, 'eval'),
  );
  return Object.assign(timedBatches(stepBatches, batchSize), { dispose: () => agent.dispose?.() });
}

/**
 * The fit-step case's timed stepper: the ranker's multi-task network at its default sizes (as
 * agents/supervised/ranker.ts builds it: hidden layers `hidden` and half that, Adam at
 * `learningRate`, `fitBatch` rows a step) on a log of `batches` x fitBatch synthetic impressions
 * drawn from a seeded stream (what the values are does not change what a dense step costs).
 * run(ms) fits one epoch at a time (`batches` Adam steps, each with its batch copy, upload and
 * loss read-back, as in fit) for about ms milliseconds and returns Adam steps per second. The
 * first call also standardises the inputs (once per net): the warm-up takes it.
 */
export function makeFitStepStepper(tree: Tree, fitStep: FitStepCase, repeat: number): TimedRun {
  const world = tree.worlds[fitStep.preset];
  const ranker = tree.agents?.ranker;
  const supervised = tree.supervised;
  if (!world || !ranker || !supervised)
    throw new Error(`no world ${fitStep.preset}, ranker or agents/supervised/ network in this tree`);
  const hp = tree.defaultParams(ranker.params) as { hidden: number; learningRate: number; fitBatch: number };
  const seed = { experiment: 0, run: repeat };
  const spec = world.create({ ...tree.defaultParams(world.params), ...fitStep.params }, { seed, batchSize: 1 }).spec;
  const f = new supervised.CandidateFeatures(spec).size;
  const heads = supervised.headsOf(spec);
  const options = {
    hidden: [hp.hidden, Math.max(1, hp.hidden >> 1)],
    learningRate: hp.learningRate,
    batchSize: hp.fitBatch,
  };
  const net = new supervised.MultiTaskNet(f, heads, options, tree.Rng.derive(seed, 'ranker', 'init'), 'bench-fit-step');
  const draws = new tree.Rng(`bench/fit-step/${repeat}`);
  const log = new supervised.SignalLog(fitStep.batches * hp.fitBatch, f, heads);
  const x = new Float64Array(f);
  const signals = new Float32Array(spec.signalNames.length);
  for (let row = 0; row < log.capacity; row++) {
    for (let j = 0; j < f; j++) x[j] = draws.normal();
    for (const head of heads)
      signals[head.index] = head.kind === 'duration' ? draws.exponential(1) : draws.bernoulli(0.2) ? 1 : 0;
    log.add(x, 0, signals, 0);
  }
  const shuffle = tree.Rng.derive(seed, 'ranker', 'update');
  const run = (ms: number) =>
    stepsPerSecond(ms, () => {
      net.fit(log, shuffle, 1);
      return fitStep.batches;
    });
  return Object.assign(run, { dispose: () => net.dispose() });
}

/** The rate over one window, after a warm-up of the JIT. */
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
 * machine this resolves differences of a few percent that separate runs cannot. A training or
 * acting case runs each tree's own agent in each tree's own loop, the fit-step case each tree's own
 * network; against a tree without that agent, the training loop or the network's modules it
 * throws SkipComparison. Each stepper runs `warmupMs` (default 500) before the windows, so that both
 * are compiled hot when timed (tests of the plumbing pass a few).
 */
export async function compareTrees(
  otherDir: string,
  key: string,
  options: { pairs?: number; windowMs?: number; batchSize?: number; warmupMs?: number } = {},
): Promise<Comparison> {
  const found = benchCases.find((c) => benchKey(c) === key);
  const [worldName, policyName] = key.split('/');
  const load = (path: string) => import(pathToFileURL(resolve(otherDir, path)).href);
  const [presets, params, rng, policyRegistry] = await Promise.all([
    load('sim/presets/index.ts'),
    load('sim/params.ts'),
    load('sim/rng.ts'),
    load('policies/index.ts'),
  ]);
  let other: Tree = {
    worlds: presets.worlds,
    policies: policyRegistry.policies,
    defaultParams: params.defaultParams,
    Rng: rng.Rng,
  };
  const batchSize = options.batchSize ?? 64;
  if (found && (found.training || found.acting || found.fitStep)) {
    other = await agentsOf(otherDir, other, found, key);
    // Each tree's network code reaches TensorFlow.js through its own agents/nets/ (one engine if both resolve one
    // package).
    if (needsNets(found, thisTree)) await thisTree.useBackend!('wasm');
    if (needsNets(found, other)) await other.useBackend!('wasm');
  } else if (!other.worlds?.[worldName] || !other.policies?.[policyName])
    throw new Error(`${otherDir} has no benchmark ${key}`);
  const c = found ?? { world: worldName, policy: policyName };
  const windowMs = options.windowMs ?? 100;
  const pairs = options.pairs ?? 40;
  const mine = makeRun(thisTree, c, batchSize, 0);
  const theirs = makeRun(other, c, batchSize, 0);
  const warmupMs = options.warmupMs ?? 500;
  mine(warmupMs);
  theirs(warmupMs);
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
  mine.dispose?.();
  theirs.dispose?.();
  const sorted = (values: number[]) => [...values].sort((p, q) => p - q);
  const at = (values: number[], q: number) =>
    sorted(values)[Math.min(values.length - 1, Math.floor(q * values.length))];
  return {
    thisTree: Math.round(at(a, 0.5)),
    otherTree: Math.round(at(b, 0.5)),
    ratio: at(ratios, 0.5),
    ratioQuartiles: [at(ratios, 0.25), at(ratios, 0.75)],
    pairs,
  };
}

/**
 * `other` with what training, acting or fit-step case `c` needs of the checkout at otherDir: its
 * agents, training loop, backend and supervised modules. A tree from before them (or without this
 * agent) has nothing to compare: SkipComparison, not a failure.
 */
async function agentsOf(otherDir: string, other: Tree, c: BenchCase, key: string): Promise<Tree> {
  const load = (path: string) =>
    existsSync(resolve(otherDir, path)) ? import(pathToFileURL(resolve(otherDir, path)).href) : null;
  const [agentRegistry, loop, backend, multitask, signalLog, features] = await Promise.all([
    load('agents/index.ts'),
    load('lab/loop/rollout.ts'),
    load('agents/nets/backend.ts'),
    load('agents/supervised/multitask.ts'),
    load('agents/supervised/signal-log.ts'),
    load('agents/supervised/features.ts'),
  ]);
  const agent = c.training?.agent ?? c.acting?.agent ?? 'ranker';
  const preset = (c.training ?? c.acting ?? c.fitStep)!.preset;
  if (!agentRegistry?.agents?.[agent] || (!c.fitStep && typeof loop?.train !== 'function')) {
    throw new SkipComparison(`${otherDir} has no agent ${agent} or no training loop (lab/loop/rollout.ts train)`);
  }
  const supervised =
    multitask?.MultiTaskNet && signalLog?.SignalLog && signalLog.headsOf && features?.CandidateFeatures
      ? {
          MultiTaskNet: multitask.MultiTaskNet,
          SignalLog: signalLog.SignalLog,
          headsOf: signalLog.headsOf,
          CandidateFeatures: features.CandidateFeatures,
        }
      : undefined;
  if (c.fitStep && !supervised)
    throw new SkipComparison(
      `${otherDir} has no multi-task network on an impression log (agents/supervised/multitask.ts, signal-log.ts)`,
    );
  const tree: Tree = {
    ...other,
    agents: agentRegistry.agents,
    train: loop?.train,
    useBackend: backend?.useBackend,
    supervised,
  };
  if (needsNets(c, tree) && typeof tree.useBackend !== 'function')
    throw new SkipComparison(`${otherDir} has no network backend (agents/nets/backend.ts)`);
  if (!tree.worlds?.[preset]) throw new Error(`${otherDir} has no world ${preset} for benchmark ${key}`);
  return tree;
}
