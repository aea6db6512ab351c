// Before anything runs: how much memory each run will hold, whether the runs that share the
// machine fit its memory, and (for `slatelab run --dry-run`) how long they will take.
//
// Memory is counted, not guessed. A world is built at two batch sizes and the typed arrays
// reachable from it are summed, which gives a fixed part (the catalog, the population) and a part
// per row, scaled to the config's batch sizes. An agent declares its memory
// (AgentDefinition.memory: its logs, statistics and networks, at a batch size), since it keeps its
// arrays in closures. Episode records held until a run ends are counted per episode.
// Time comes from a short timed sample of each agent: evaluation episodes and training steps.
import { availableParallelism, freemem, totalmem } from 'node:os';
import type { Env } from '../../sim/env.ts';
import { Rng } from '../../sim/rng.ts';
import { findKind, type Registries } from '../config/registries.ts';
import type { ExperimentConfig } from '../config/config.ts';
import { evaluate, train } from '../loop/rollout.ts';
import { clock } from './progress.ts';
import { createAgent } from '../loop/agent-run.ts';

/** The default memory budget: this share of the machine's memory (or of the container's limit). */
export const DEFAULT_MEMORY_SHARE = 0.7;
/** A worker thread's own memory: V8, the modules, buffers (measured: 40-60 MB). */
const THREAD_BYTES = 64e6;
/** TensorFlow.js and its wasm backend in a thread that runs networks. */
const NETWORK_RUNTIME_BYTES = 96e6;
/** An episode's record in memory and its line of JSON while written: one day's worth, and per extra day. */
const RECORD_BYTES = 600;
const RECORD_DAY_BYTES = 48;

/** A problem that stops the experiment before it starts (the CLI shows it with exit 2). */
export class PlanError extends Error {
  override name = 'PlanError';
}

export interface RunMemory {
  readonly agent: string;
  /** Bytes of one run of the agent. */
  readonly bytes: number;
  /** Runs of the agent (its seeds): as many may hold their memory at once, one per thread. */
  readonly runs: number;
  /** What the bytes are, largest first: "world feed x 64 rows 2.1 MB", ..., with what would lower each. */
  readonly parts: readonly MemoryPart[];
}

export interface MemoryPart {
  readonly what: string;
  readonly bytes: number;
  /** What lowers it, e.g. "lower evaluation.batchSize"; null for a thread's own memory (fewer threads). */
  readonly fix: string | null;
}

/**
 * Bytes reachable from `root` through its own properties: every typed array's buffer once, and 8
 * bytes per element of a plain array or property of a plain object. Exact and deterministic for
 * worlds (class instances holding typed arrays); closures are out of its reach (agents: see
 * allocated).
 */
export function reachableBytes(root: unknown): number {
  const seen = new Set<object>();
  const buffers = new Set<ArrayBufferLike>();
  let bytes = 0;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null || seen.has(value)) continue;
    seen.add(value);
    if (ArrayBuffer.isView(value)) {
      if (!buffers.has(value.buffer)) {
        buffers.add(value.buffer);
        bytes += value.buffer.byteLength;
      }
      continue;
    }
    if (value instanceof Map || value instanceof Set) {
      for (const entry of value instanceof Map ? value.entries() : value.values()) stack.push(entry);
      bytes += 16 * value.size;
      continue;
    }
    const names = Object.getOwnPropertyNames(value);
    bytes += 8 * names.length;
    for (const name of names) {
      const descriptor = Object.getOwnPropertyDescriptor(value, name);
      if (descriptor && 'value' in descriptor) stack.push(descriptor.value);
    }
  }
  return bytes;
}

/**
 * Bytes of something built at `rows` rows, from its reachable bytes built at 1 (`one`, when known)
 * and 9 rows: fixed + per row x rows.
 */
function scaled(build: (rows: number) => unknown, rows: number, one = reachableBytes(build(1))): number {
  const nine = reachableBytes(build(9));
  const perRow = Math.max(0, (nine - one) / 8);
  return Math.max(0, one - perRow) + perRow * rows;
}

/**
 * The agent's parameters that its memory grows with, most first: those whose halving would save
 * at least a quarter of it (e.g. SlateQ's replayCapacity), for the advice of a refusal.
 */
function sizingParams(
  params: Record<string, unknown>,
  memory: (values: Record<string, unknown>) => number,
  bytes: number,
): string[] {
  const savings: { name: string; saved: number }[] = [];
  if (!(bytes > 0)) return [];
  for (const [name, value] of Object.entries(params)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 2) continue;
    let saved: number;
    try {
      // An agent's memory() may refuse a value its schema would not allow: that parameter is not named.
      saved = bytes - memory({ ...params, [name]: Number.isInteger(value) ? Math.floor(value / 2) : value / 2 });
    } catch {
      continue;
    }
    if (saved > 0 && saved >= bytes / 4) savings.push({ name, saved });
  }
  return savings.sort((a, b) => b.saved - a.saved).map(({ name }) => name);
}

/** Estimates the memory of one run of each agent (seed: the config's first). */
export function estimateMemory(config: ExperimentConfig, registries: Registries): RunMemory[] {
  const world = registries.worlds[config.world.preset];
  const seed = { experiment: config.seed, run: config.seeds[0] };
  const makeWorld = (rows: number): Env => world.create(config.world.params, { seed, batchSize: rows });
  const evalBatch = Math.min(config.evaluation.batchSize, config.evaluation.episodes);
  const training = config.training;
  // The one-row world is measured and read: its spec is the one agents declare their memory against.
  const oneRow = makeWorld(1);
  const oneRowBytes = reachableBytes(oneRow);
  const evalWorld = scaled(makeWorld, evalBatch, oneRowBytes);
  // Days of a record's daily series: the world's horizon where it states one in days (the feed's horizonDays), else a
  // month.
  const horizonDays = (config.world.params as { horizonDays?: unknown }).horizonDays;
  const days = oneRow.spec.clock ? (typeof horizonDays === 'number' ? horizonDays : 31) : 1;
  const records = config.evaluation.episodes * (RECORD_BYTES + RECORD_DAY_BYTES * days);
  let trainWorld: number | undefined;
  return config.agents.map((agent, index) => {
    const found = findKind(registries, agent.kind)!;
    const parts: MemoryPart[] = [
      {
        what: `world ${config.world.preset} x ${evalBatch} evaluation rows`,
        bytes: evalWorld,
        fix: "lower evaluation.batchSize (users stepped together) or the world's size",
      },
      { what: `${config.evaluation.episodes} episode records`, bytes: records, fix: 'lower evaluation.episodes' },
      { what: 'the thread', bytes: THREAD_BYTES, fix: null },
    ];
    if (found.learns) {
      // A learning agent holds its memory whether it trains here or was loaded (init) to be evaluated.
      if (training) {
        trainWorld ??= scaled(makeWorld, training.batchSize, oneRowBytes);
        parts.push({
          what: `world ${config.world.preset} x ${training.batchSize} training rows`,
          bytes: trainWorld,
          fix: 'lower training.batchSize (users stepped together)',
        });
      }
      const rows = Math.max(evalBatch, training?.batchSize ?? 0);
      const definition = found.definition;
      const rowsFix = training ? 'lower training.batchSize or evaluation.batchSize' : 'lower evaluation.batchSize';
      if (definition.memory) {
        const spec = { ...oneRow.spec, batchSize: rows };
        const memory = (values: Record<string, unknown>) => definition.memory!(values, spec);
        const bytes = memory(agent.params);
        const sizing = sizingParams(agent.params, memory, bytes);
        const fix =
          sizing.length > 0 ? `lower ${sizing.map((name) => `agents[${index}].params.${name}`).join(' or ')}` : rowsFix;
        parts.push({ what: `agent ${agent.kind}`, bytes, fix });
      } else if (!definition.nets) {
        const make = (batch: number) => {
          const streams = { init: new Rng('plan/init'), update: new Rng('plan/update') };
          return definition.create(agent.params, { spec: { ...oneRow.spec, batchSize: batch }, seed, streams });
        };
        // An agent that does not declare its memory: what is reachable from it (its arrays held in
        // closures are out of reach, so agents declare theirs).
        parts.push({ what: `agent ${agent.kind}`, bytes: scaled(make, rows), fix: rowsFix });
      }
      if (definition.nets) parts.push({ what: 'TensorFlow.js', bytes: NETWORK_RUNTIME_BYTES, fix: null });
    }
    parts.sort((a, b) => b.bytes - a.bytes);
    return {
      agent: agent.name,
      bytes: parts.reduce((sum, part) => sum + part.bytes, 0),
      parts,
      runs: config.seeds.length,
    };
  });
}

/**
 * The memory budget: `maxMemory` bytes if given, else DEFAULT_MEMORY_SHARE of the machine's (or container's) memory.
 */
export function memoryBudget(maxMemory?: number): { bytes: number; why: string } {
  if (maxMemory !== undefined) return { bytes: maxMemory, why: '--max-memory' };
  const machine = machineMemory();
  return {
    bytes: DEFAULT_MEMORY_SHARE * machine,
    why:
      `${Math.round(DEFAULT_MEMORY_SHARE * 100)}% of this machine's ${formatBytes(machine)}; ` +
      `${formatBytes(freemem())} free now`,
  };
}

/** The machine's memory, or the container's limit when lower. */
function machineMemory(): number {
  const limit = process.constrainedMemory?.() ?? 0;
  return limit > 0 && limit < totalmem() ? limit : totalmem();
}

/**
 * The most memory the runs hold at once: the `threads` largest runs side by side (several of one agent's seeds among
 * them).
 */
export function peakMemory(runs: readonly RunMemory[], threads: number): number {
  const sizes = runs
    .flatMap((run) => new Array<number>(Math.min(run.runs, threads)).fill(run.bytes))
    .sort((a, b) => b - a);
  return sizes.slice(0, threads).reduce((sum, bytes) => sum + bytes, 0);
}

/**
 * The experiment's process besides its runs: Node, the modules, the chart renderers and the
 * finished runs' figures (measured: 244 MB at most for the quick start on one thread, of which
 * about 70 MB its run).
 */
export const PROCESS_BYTES = 175e6;

/** The experiment's memory at its peak: this process and its largest runs at once. */
export function experimentMemory(runs: readonly RunMemory[], threads: number): number {
  return PROCESS_BYTES + peakMemory(runs, threads);
}

/** Throws PlanError, one line with the estimate and the fix, when the runs would not fit the budget. */
export function checkMemory(runs: readonly RunMemory[], threads: number, maxMemory?: number): void {
  const peak = experimentMemory(runs, threads);
  const budget = memoryBudget(maxMemory);
  if (peak <= budget.bytes) return;
  const largest = [...runs].sort((a, b) => b.bytes - a.bytes)[0];
  const biggestPart = largest.parts[0];
  const threadsText =
    `this process ${formatBytes(PROCESS_BYTES)} and ` + `${threads > 1 ? `${threads} runs at once` : 'one run'}; `;
  // The fixes of what takes most (parts of at least a quarter of the largest), then fewer
  // threads, then a larger budget where the machine has the memory.
  // (None of the runs' fixes helps when this process alone is over the budget.)
  const fixes =
    PROCESS_BYTES >= budget.bytes
      ? []
      : [
          ...new Set(
            largest.parts
              .filter((part) => part.bytes >= biggestPart.bytes / 4 && part.fix !== null)
              .map((part) => part.fix!),
          ),
        ];
  // Fewer threads help only if this process and one run fit.
  if (threads > 1 && PROCESS_BYTES + largest.bytes <= budget.bytes) fixes.push('run fewer at once (--threads 1)');
  const machine = machineMemory();
  const raised = Math.min(machine, Math.ceil(peak / 1e9) * 1e9);
  fixes.push(
    peak <= machine
      ? `raise the budget (--max-memory ${formatBytes(raised)})`
      : `use a machine with more than ${formatBytes(peak)} of memory (this one has ${formatBytes(machine)})`,
  );
  throw new PlanError(
    `the experiment needs about ${formatBytes(peak)} of memory (${threadsText}the largest, ` +
      `${largest.agent}, about ${formatBytes(largest.bytes)}, most of it ${biggestPart.what}: ` +
      `${formatBytes(biggestPart.bytes)}), ` +
      `more than the budget of ${formatBytes(budget.bytes)} (${budget.why}); ` +
      `${fixes.slice(0, -1).join(', ')}${fixes.length > 1 ? ', or ' : ''}${fixes[fixes.length - 1]}`,
  );
}

/** "12G", "800M", "1.5GB", "2e9": bytes; null when not a size. */
export function parseBytes(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*([kmgt]?)i?b?\s*$/i.exec(text);
  if (!match) return null;
  const scale = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 }[match[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const bytes = Number(match[1]) * scale;
  return bytes > 0 && Number.isFinite(bytes) ? bytes : null;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toPrecision(3)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toPrecision(3)} MB`;
  return `${Math.max(0, Math.round(bytes / 1e3))} kB`;
}

/** Seconds one run of each agent is estimated to take, from a short timed sample of it. */
export interface RunTime {
  readonly agent: string;
  readonly seconds: number;
  /** How it was measured, e.g. "12.4 us/training step, 3.1 ms/episode". */
  readonly how: string;
}

/** A run's time: seconds under 10 s (a quick start's runs take tenths), m:ss above. */
function runDuration(seconds: number): string {
  const shown = seconds < 1 ? seconds.toFixed(2) : seconds.toFixed(1);
  return Number(shown) < 10 ? `${shown} s` : clock(seconds);
}

/** Wall time of a sample: seconds. Only the dry run reads the clock, and its figures enter no result. */
function timed(work: () => void): number {
  const start = performance.now();
  work();
  return (performance.now() - start) / 1000;
}

/**
 * Times each agent on the first seed: training steps (two equal segments, at least half of
 * `sampleSeconds` and one period of the agent's refits, AgentDefinition.updateEvery), then
 * evaluation episodes (doubling batches until `sampleSeconds` / 2 or all of them), and scales up:
 * the training budget at the sampled cost per step (growing with the steps when the second segment
 * took clearly longer: refits over a growing log), plus (checkpoints x evalEpisodes + episodes) x
 * time per episode. Rough: a log that stops growing at its capacity makes the estimate high.
 */
export function estimateTime(config: ExperimentConfig, registries: Registries, sampleSeconds = 1): RunTime[] {
  const world = registries.worlds[config.world.preset];
  const seed = { experiment: config.seed, run: config.seeds[0] };
  const training = config.training;
  const evalBatch = Math.min(config.evaluation.batchSize, config.evaluation.episodes);
  const maxSteps = config.evaluation.maxStepsPerEpisode;
  return config.agents.map((agent, index) => {
    // Building the worlds and the agent is part of every run (tens of milliseconds for the feed's
    // catalog: most of a short run's time).
    const building = performance.now();
    const evalEnv = world.create(config.world.params, { seed, batchSize: evalBatch });
    const trainEnv =
      agent.learns && training ? world.create(config.world.params, { seed, batchSize: training.batchSize }) : null;
    const decider = createAgent(
      config,
      index,
      seed,
      registries,
      evalEnv,
      Math.max(evalBatch, training?.batchSize ?? 0),
    );
    const buildSeconds = (performance.now() - building) / 1000;
    try {
      // Training: two equal segments of steps, the first long enough to take half the sample's
      // time and to include the agent's periodic refit; a second that takes clearly longer means
      // refits that grow with the data (cost per step a + b s), else a constant cost per step.
      let perStep = 0;
      let stepsPerEpisode: number | null = null;
      let trainingTime = (_steps: number) => 0;
      let grows = false;
      if (trainEnv && training) {
        const definition = findKind(registries, agent.kind)!.definition as {
          updateEvery?: (values: unknown) => number;
          warmupSteps?: (values: unknown) => number;
        };
        const every = definition.updateEvery?.(agent.params) ?? 0;
        const stepBudget = training.steps ?? Infinity;
        const episodeBudget = training.episodes ?? Infinity;
        const segment = (steps: number) => {
          let result = { steps: 0, episodes: 0 };
          const seconds = timed(() => {
            result = train(trainEnv, decider, {
              seed,
              streamKey: agent.streamKey,
              steps,
              episodes: episodeBudget,
              maxStepsPerEpisode: maxSteps,
            });
          });
          return { seconds, ...result };
        };
        // An agent that learns only after a warm-up (a replay buffer filling) is timed past it
        // first, so that the two segments compare steady costs, not the warm-up's with training's.
        // Timed in doubling chunks, for at most twice the sample's time: a warm-up longer than that
        // is counted at the cost per step of its part that ran.
        const warmup = Math.min(stepBudget, definition.warmupSteps?.(agent.params) ?? 0);
        const warm = { seconds: 0, steps: 0, episodes: 0 };
        for (let chunk = training.batchSize; warm.steps < warmup && warm.seconds < 2 * sampleSeconds; chunk *= 2) {
          const more = segment(Math.min(chunk, warmup - warm.steps));
          if (more.steps === 0) break;
          warm.seconds += more.seconds;
          warm.steps += more.steps;
          warm.episodes += more.episodes;
        }
        if (warm.steps > 0 && warm.steps < warmup) {
          warm.seconds *= warmup / warm.steps;
          warm.episodes *= warmup / warm.steps;
          warm.steps = warmup;
        }
        const rest = stepBudget - warm.steps;
        let first = { seconds: 0, steps: 0, episodes: 0 };
        for (
          let chunk = training.batchSize;
          first.steps < rest / 2 && (first.seconds < sampleSeconds / 2 || first.steps <= every);
          chunk *= 2
        ) {
          const more = segment(Math.min(chunk, Math.ceil(rest / 2) - first.steps));
          if (more.steps === 0) break;
          first = {
            seconds: first.seconds + more.seconds,
            steps: first.steps + more.steps,
            episodes: first.episodes + more.episodes,
          };
        }
        const second = first.steps > 0 && 2 * first.steps < rest ? segment(first.steps) : null;
        const sampledSteps = first.steps + (second?.steps ?? 0);
        const sampledEpisodes = warm.episodes + first.episodes + (second?.episodes ?? 0);
        stepsPerEpisode = sampledEpisodes > 0 ? (warm.steps + sampledSteps) / sampledEpisodes : null;
        perStep =
          sampledSteps > 0
            ? (first.seconds + (second?.seconds ?? 0)) / sampledSteps
            : warm.steps > 0
              ? warm.seconds / warm.steps
              : 0;
        // Only refits (updateEvery) grow with the data: another agent's slower second segment is
        // the machine's noise, which extrapolated as growth over a long run made a 6-minute
        // experiment look like 49.
        grows = every > 0 && second !== null && second.seconds > 1.2 * first.seconds;
        const steadyTime = (steps: number) => {
          if (!grows || !second) return perStep * steps;
          // t1 = a S + b S^2 / 2 and t2 = a S + 3 b S^2 / 2 for segments of S steps.
          const s1 = first.steps;
          const b = (second.seconds - first.seconds) / (s1 * s1);
          const a = Math.max(0, (first.seconds - (b * s1 * s1) / 2) / s1);
          return a * steps + (b * steps * steps) / 2;
        };
        trainingTime = (steps: number) =>
          steps <= warm.steps ? (warm.seconds * steps) / warm.steps : warm.seconds + steadyTime(steps - warm.steps);
      }
      // Evaluation: doubling batches of episodes until half the sample's time is spent (or all of them).
      let sampled = 0;
      let spent = 0;
      let evalSteps = 0;
      while ((spent < sampleSeconds / 2 || sampled === 0) && sampled < config.evaluation.episodes) {
        const episodes = Math.min(config.evaluation.episodes, Math.max(evalBatch, sampled * 2));
        let records: { length: number }[] = [];
        spent = timed(() => {
          records = evaluate(evalEnv, decider, {
            episodes,
            seed,
            streamKey: agent.streamKey,
            maxStepsPerEpisode: maxSteps,
          });
        });
        sampled = episodes;
        evalSteps = records.reduce((sum, record) => sum + record.length, 0);
      }
      const perEpisode = spent / sampled;
      // An episodes budget: steps per training episode as sampled, or, when the sample finished
      // none, as long as an evaluation episode (the same world).
      const trainingSteps =
        !trainEnv || !training ? 0 : (training.steps ?? (stepsPerEpisode ?? evalSteps / sampled) * training.episodes!);
      const trainSeconds = trainingTime(trainingSteps);
      const checkpoints = !training ? 0 : trainEnv ? Math.ceil(trainingSteps / training.evalEvery) + 1 : 1;
      const seconds =
        buildSeconds +
        trainSeconds +
        perEpisode * (config.evaluation.episodes + checkpoints * (training?.evalEpisodes ?? 0));
      const how = `${trainEnv ? `${(perStep * 1e6).toPrecision(3)} us/training step${grows ? ' (growing with its log)' : ''}, ` : ''}${(perEpisode * 1e3).toPrecision(3)} ms/evaluation episode`;
      return { agent: agent.name, seconds, how };
    } finally {
      decider.dispose?.();
    }
  });
}

/** Wall time of the experiment: every seed of every agent, on `threads` threads (longest runs first). */
export function experimentSeconds(times: readonly RunTime[], seeds: number, threads: number): number {
  const runs = times.flatMap((time) => Array.from({ length: seeds }, () => time.seconds)).sort((a, b) => b - a);
  const load = new Array<number>(Math.max(1, threads)).fill(0);
  for (const seconds of runs) {
    const least = load.indexOf(Math.min(...load));
    load[least] += seconds;
  }
  return Math.max(...load);
}

/** The dry run's table: per agent, runs, memory per run and time per run; then the totals. */
export function planText(
  config: ExperimentConfig,
  memory: readonly RunMemory[],
  times: readonly RunTime[] | null,
  threads: number,
  maxMemory?: number,
): string {
  const rows = [['agent', 'kind', 'runs', 'memory per run', 'time per run', 'measured']];
  config.agents.forEach((agent, i) => {
    rows.push([
      agent.name,
      agent.kind,
      String(config.seeds.length),
      formatBytes(memory[i].bytes),
      times ? runDuration(times[i].seconds) : '—',
      times ? times[i].how : 'not timed: would not fit',
    ]);
  });
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const table = rows
    .map((row) =>
      row
        .map((cell, c) => (c >= 2 && c <= 4 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
  const peak = experimentMemory(memory, threads);
  const budget = memoryBudget(maxMemory);
  return [
    table,
    '',
    `${config.agents.length * config.seeds.length} ` +
      `run${config.agents.length * config.seeds.length === 1 ? '' : 's'} on ${threads} ` +
      `thread${threads === 1 ? '' : 's'}${times ? `: about ${clock(experimentSeconds(times, config.seeds.length, threads))} in all (rough: from a short sample of each agent on seed ${config.seeds[0]})` : ''}`,
    `memory: about ${formatBytes(peak)} at once, of a budget of ${formatBytes(budget.bytes)} ` +
      `(${budget.why})${peak > budget.bytes ? ': TOO MUCH, the run would be refused' : ''}`,
    ...(times ? clusterLines(times, config.seeds.length) : []),
    '',
  ].join('\n');
}

/** Machine sizes (cores) the dry run sizes a cluster in: this one's, and common node sizes. */
const NODE_CORES = [8, 32, 64];

/**
 * What the experiment costs a cluster: its CPU-hours, and how many machines of each size would
 * finish it within an hour (one run per core, longest first; shards of `slatelab slurm`).
 */
export function clusterLines(
  times: readonly RunTime[],
  seeds: number,
  cores = availableParallelism(),
  maxShards = times.length * seeds,
): string[] {
  const cpuSeconds = times.reduce((sum, time) => sum + time.seconds * seeds, 0);
  const hours = cpuSeconds / 3600;
  const longest = times.reduce((worst, time) => (time.seconds > worst.seconds ? time : worst), times[0]);
  const lines = [`cpu: about ${hours >= 100 ? Math.round(hours) : Number(hours.toPrecision(2))} CPU-hours in all`];
  if (longest === undefined) return lines;
  if (longest.seconds > 3600) {
    lines.push(
      `within an hour: not on any number of machines, as one run of ${longest.agent} takes about ${clock(longest.seconds)}; ` +
        `with one core per run, about ${clock(longest.seconds)}`,
    );
    return lines;
  }
  const sizes = [...new Set([cores, ...NODE_CORES])].sort((a, b) => a - b);
  const runs = times.length * seeds;
  const fits: string[] = [];
  for (const size of sizes) {
    let machines = Math.max(1, Math.ceil(cpuSeconds / (3600 * size)));
    while (machines * size < runs && experimentSeconds(times, seeds, machines * size) > 3600) machines++;
    fits.push(
      machines === 1
        ? `1 machine of ${size} cores`
        : `${machines} machines of ${size} cores (slurm --shards ${Math.min(maxShards, machines * size)})`,
    );
    // Larger machines than one that suffices say nothing more.
    if (machines === 1) break;
  }
  lines.push(`within an hour: ${fits.join(', or ')} (one run per core)`);
  return lines;
}
