// Experiment configs: read a YAML or JSON file once, at the edge, into a typed and defaulted
// ExperimentConfig. Every problem becomes one line naming the file, the field path, the bad value
// and a fix; all problems are collected and reported together, so one edit fixes them all.
//
// zod checks the top-level shape; world and agent parameters are checked by the declarations of
// the world and policy themselves (sim/params.ts resolveParams), then the world's cross-field
// check and each policy's `unsupported(spec)` against an instance of the world. What that instance
// says of the world (lab/config/world-shape.ts) comes with the config, for the runner and reports.
import { BACKENDS, type BackendName } from '../../agents/nets/backend-names.ts';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { streamKey } from '../../agents/stream-key.ts';
import { DEFAULT_ACT_TIME_LIMIT_MS, DEFAULT_WORKER_HEAP_MB, MAX_TRAINING_EPISODES } from './episodes.ts';
import type { WorldSpec } from '../../sim/env.ts';
import { defaultParams, resolveParams } from '../../sim/params.ts';
import { defaultWorld } from '../../sim/presets/index.ts';
import { ConfigError } from './config-error.ts';
import { firstLine, parseConfigText } from './parse.ts';
import { overlayParams, resolveInit, type InitSource } from './init.ts';
import { defaultRegistries, findKind, type Registries } from './registries.ts';
import { shapeOf, worldSpec, type WorldShape } from './world-shape.ts';
import { fieldPath, valueAt } from './field-path.ts';
import { suggest, unknownName, withSuggestion } from './suggest.ts';
import { expandSweep, type VariantOf } from './sweep.ts';
import { SAFE_NAME, SAFE_NAME_HINT } from './safe-name.ts';
import { resolveSeeds, resolveTuning } from './seeds.ts';
import { describe } from './describe-value.ts';

export { DEFAULT_SEEDS, MAX_SEEDS } from './seeds.ts';

export { ConfigError } from './config-error.ts';
export { parseConfigText } from './parse.ts';

// The registries live in lab/config/registries.ts (worker threads load them without zod and yaml).

export interface AgentConfig {
  /** Unique within the experiment; names the agent's result files. */
  readonly name: string;
  /** A registered policy or agent name. */
  readonly kind: string;
  /** Every declared parameter, defaults filled in. */
  readonly params: Record<string, unknown>;
  /** True for learning agents (agents/), false for fixed policies. */
  readonly learns: boolean;
  /** Names the agent's random streams: stable under renaming (agents/stream-key.ts). */
  readonly streamKey: string;
  /** The saved agent it starts from (config `init:`, lab/config/init.ts), or null: it starts untrained. */
  readonly init: InitSource | null;
  /** A sweep's variant (config `sweep:`, lab/config/sweep.ts): the agent it varies and what it sets. */
  readonly variant?: VariantOf;
}

/** How learning agents train in each run (config `training:`); fixed policies skip it. */
export interface TrainingConfig {
  /** The budget: environment (user) steps per run, or null when `episodes` is the budget. */
  readonly steps: number | null;
  /** The budget: training episodes per run, or null when `steps` is the budget. */
  readonly episodes: number | null;
  /**
   * Users stepping together while training. A training parameter: the agent updates once per round
   * of this many user-steps, so what it learns depends on it (evaluation results never depend on
   * evaluation.batchSize).
   */
  readonly batchSize: number;
  /** Training steps between checkpoints (each evaluates the agent on evalEpisodes users). */
  readonly evalEvery: number;
  /** Evaluation episodes per checkpoint: evaluation users 0..evalEpisodes-1, the same at every checkpoint. */
  readonly evalEpisodes: number;
}

export interface ExperimentConfig {
  readonly name: string;
  /** The experiment seed: with a run seed, it names every random stream. */
  readonly seed: number;
  readonly world: { readonly preset: string; readonly params: Record<string, unknown> };
  /** Run seeds, in the order results list them. */
  readonly seeds: readonly number[];
  readonly agents: readonly AgentConfig[];
  readonly evaluation: {
    /** Episodes per (agent, seed) run. */
    readonly episodes: number;
    /** Rows stepped together; results do not depend on it. */
    readonly batchSize: number;
    /** Safety valve: an episode is cut after this many steps. */
    readonly maxStepsPerEpisode: number;
    /**
     * Milliseconds one act call (a round of up to batchSize users) may take; a run whose policy
     * takes longer fails, naming the rule (lab/loop/rollout.ts ActTimeLimitError).
     */
    readonly actTimeLimitMs: number;
    /**
     * Each worker thread's JavaScript heap in MB (resourceLimits): a run whose thread goes over it
     * fails, naming the cap, and the other runs go on. Typed arrays and wasm memory are not counted.
     */
    readonly workerHeapMb: number;
  };
  /** null when the config has no `training:` block (then no agent learns). */
  readonly training: TrainingConfig | null;
  /**
   * The neural-network backend of agents with networks (agents/nets/backend.ts): results differ
   * across backends, so it is chosen explicitly (default wasm) and recorded in the manifest.
   */
  readonly backend: BackendName;
  /**
   * The agent the paired differences are taken against (config `baseline`). Absent when the config
   * names none: then it is the first agent (lab/store/summary.ts baselineOf), and the manifest
   * keeps the bytes it had.
   */
  readonly baseline?: string;
  /**
   * Logging for off-policy evaluation (config `log`, `slatelab run --log`): after its evaluation,
   * each run logs `episodes` users under its agent's policy explored with probability epsilon
   * (agents/logging.ts) to runs/<agent>/seed-<s>.log (lab/store/interaction-log.ts). Present only
   * when asked for, so that configs without it give the same files as before it existed.
   */
  readonly log?: LogConfig;
  /**
   * Tuning apart from reporting (config `tuning:`): the swept agents' variants also run on these
   * seeds (the last of `seeds`, which lists every run's seed), each swept agent's best variant by
   * `metric` on them is chosen, and the summary and reports show it on the other seeds only
   * (lab/report/tuning.ts).
   */
  readonly tuning?: TuningConfig;
}

export interface TuningConfig {
  readonly seeds: readonly number[];
  /** The per-episode metric a variant is chosen by. */
  readonly metric: string;
  /** Whether a higher or a lower mean of the metric is better (default higher). */
  readonly better: 'higher' | 'lower';
}

export interface LogConfig {
  /**
   * The logging policy: the agent's page explored with probability epsilon (`epsilon-greedy`), or a
   * page drawn from softmax(scores / temperature) over the scores the agent ranked by (`softmax`).
   */
  readonly policy: 'epsilon-greedy' | 'softmax';
  /** epsilon-greedy: the chance of a uniformly random page instead of the agent's. */
  readonly epsilon: number;
  /** softmax: the temperature of the softmax over the agent's scores. */
  readonly temperature: number;
  /** softmax, pages of more than 3: Monte Carlo draws per slot marginal (smaller pages get exact ones). */
  readonly samples: number;
  /** Users logged per run: episodes 0..episodes-1, the evaluation's users (default: evaluation.episodes). */
  readonly episodes: number;
}

/** The logging policy's exploration when the config does not say (`--log`). */
export const DEFAULT_LOG_EPSILON = 0.1;

/** Overrides from the command line, applied before validation. */
export interface ConfigOverrides {
  /** A seed count N: seeds 0..N-1. */
  readonly seeds?: number;
  readonly episodes?: number;
  readonly batchSize?: number;
  readonly backend?: BackendName;
  /** `--log`: log every run (with the config's log block, or its defaults). */
  readonly log?: boolean;
}

export const DEFAULT_EPISODES = 100;
export const DEFAULT_BATCH_SIZE = 64;
export const DEFAULT_MAX_STEPS = 100_000;

/**
 * At most this many episodes per (agent, seed) run: a run keeps every episode's record in memory
 * (about 400 bytes each) and writes them as one string (V8 caps strings at 2^29 characters, about
 * 1.6 million default feed episodes).
 */
export const MAX_EPISODES = 1_000_000;
/** Episode lengths are counted in 32-bit integers. */
export const MAX_STEPS_PER_EPISODE = 1_000_000_000;
/** Training steps per run: far beyond what a run finishes in a day here, and exact in a double. */
export const MAX_TRAINING_STEPS = 1e12;
export const DEFAULT_TRAINING_BATCH = 64;
/** Checkpoints per run when training.evalEvery is not given (with a steps budget). */
export const DEFAULT_CHECKPOINTS = 20;
export const DEFAULT_EVAL_EPISODES = 100;

const agentSchema = z.strictObject({
  name: z.string().regex(SAFE_NAME, { error: SAFE_NAME_HINT }),
  // Optional with init (the saved agent's kind); checked below.
  kind: z.string().optional(),
  // Checked by the policy's own declaration below.
  params: z.unknown().optional(),
  // Checked against the saved experiment below (lab/config/init.ts).
  init: z.unknown().optional(),
});

const configSchema = z.strictObject({
  name: z.string().regex(SAFE_NAME, { error: SAFE_NAME_HINT }).optional(),
  seed: z.number().int().min(0).default(0),
  world: z
    .strictObject({
      preset: z.string().default(defaultWorld),
      params: z.unknown().optional(),
    })
    .default({ preset: defaultWorld }),
  // A count or a list, checked element by element by resolveSeeds.
  seeds: z.unknown().optional(),
  agents: z.array(agentSchema).min(1, { error: 'list at least one agent, e.g. [{ name: random, kind: random }]' }),
  evaluation: z
    .strictObject({
      episodes: z.number().int().min(1).max(MAX_EPISODES).default(DEFAULT_EPISODES),
      batchSize: z.number().int().min(1).max(65_536).default(DEFAULT_BATCH_SIZE),
      maxStepsPerEpisode: z.number().int().min(1).max(MAX_STEPS_PER_EPISODE).default(DEFAULT_MAX_STEPS),
      actTimeLimitMs: z.number().positive().default(DEFAULT_ACT_TIME_LIMIT_MS),
      workerHeapMb: z.number().int().min(16).max(1_048_576).default(DEFAULT_WORKER_HEAP_MB),
    })
    .default({
      episodes: DEFAULT_EPISODES,
      batchSize: DEFAULT_BATCH_SIZE,
      maxStepsPerEpisode: DEFAULT_MAX_STEPS,
      actTimeLimitMs: DEFAULT_ACT_TIME_LIMIT_MS,
      workerHeapMb: DEFAULT_WORKER_HEAP_MB,
    }),
  training: z
    .strictObject({
      steps: z.number().int().min(1).max(MAX_TRAINING_STEPS).optional(),
      episodes: z.number().int().min(1).max(MAX_TRAINING_EPISODES).optional(),
      batchSize: z.number().int().min(1).max(65_536).default(DEFAULT_TRAINING_BATCH),
      evalEvery: z.number().int().min(1).max(MAX_TRAINING_STEPS).optional(),
      evalEpisodes: z.number().int().min(1).max(MAX_EPISODES).optional(),
    })
    .optional(),
  backend: z.enum(BACKENDS).default('wasm'),
  // An agent's name, checked against the agents below.
  baseline: z.string().optional(),
  log: z
    .strictObject({
      policy: z.enum(['epsilon-greedy', 'softmax']).default('epsilon-greedy'),
      epsilon: z.number().min(0).max(1).default(DEFAULT_LOG_EPSILON),
      temperature: z.number().positive().default(1),
      samples: z.number().int().min(10).max(1_000_000).default(1000),
      episodes: z.number().int().min(1).max(MAX_EPISODES).optional(),
    })
    .optional(),
  // Expanded and checked by lab/config/sweep.ts.
  sweep: z.unknown().optional(),
  // seeds: a count or a list, checked by resolveSeeds.
  tuning: z
    .strictObject({
      seeds: z.unknown(),
      metric: z.string().default('return'),
      better: z.enum(['higher', 'lower']).default('higher'),
    })
    .optional(),
});

/** Known fields at each level of the shape, for "unknown field" hints. */
function knownFields(path: readonly PropertyKey[]): string[] {
  if (path.length === 0) return Object.keys(configSchema.shape);
  if (path[0] === 'world') return ['preset', 'params'];
  if (path[0] === 'evaluation')
    return ['episodes', 'batchSize', 'maxStepsPerEpisode', 'actTimeLimitMs', 'workerHeapMb'];
  if (path[0] === 'agents') return ['name', 'kind', 'params', 'init'];
  if (path[0] === 'training') return ['steps', 'episodes', 'batchSize', 'evalEvery', 'evalEpisodes'];
  if (path[0] === 'log') return ['policy', 'epsilon', 'temperature', 'samples', 'episodes'];
  if (path[0] === 'tuning') return ['seeds', 'metric', 'better'];
  return [];
}

/**
 * A validated config and what validation learnt of its world, for the runner and the reports
 * (runExperiment's `shape`): nothing builds the world again to ask. Only the config is written to
 * the manifest and sent to worker threads.
 */
export interface ValidExperiment {
  readonly config: ExperimentConfig;
  readonly shape: WorldShape;
}

/** Reads and validates a config file. Throws ConfigError with every problem found. */
export function loadConfig(
  file: string,
  registries: Registries = defaultRegistries,
  overrides: ConfigOverrides = {},
): ExperimentConfig {
  return loadExperiment(file, registries, overrides).config;
}

/** loadConfig, with the world's shape; `parsed` is the file's config when it has been read already. */
export function loadExperiment(
  file: string,
  registries: Registries = defaultRegistries,
  overrides: ConfigOverrides = {},
  parsed?: unknown,
): ValidExperiment {
  // A config already read and parsed (a world sweep's variant, lab/config/world-sweep.ts).
  if (parsed !== undefined)
    return validateExperiment(applyOverrides(parsed, overrides), file, registries, overriddenFields(overrides));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new ConfigError([`cannot read config "${file}": ${why}; check the path`]);
  }
  const raw = parseConfigText(text, file);
  return validateExperiment(applyOverrides(raw, overrides), file, registries, overriddenFields(overrides));
}

/** The CLI option that set each overridden field, for messages. */
function overriddenFields(overrides: ConfigOverrides): Record<string, string> {
  const fields: Record<string, string> = {};
  if (overrides.seeds !== undefined) fields.seeds = '--seeds';
  if (overrides.episodes !== undefined) fields['evaluation.episodes'] = '--episodes';
  if (overrides.batchSize !== undefined) fields['evaluation.batchSize'] = '--batch-size';
  if (overrides.backend !== undefined) fields.backend = '--backend';
  return fields;
}

function applyOverrides(raw: unknown, overrides: ConfigOverrides): unknown {
  if (!isMapping(raw)) return raw;
  const config = { ...(raw as Record<string, unknown>) };
  if (overrides.seeds !== undefined) config.seeds = overrides.seeds;
  if (overrides.backend !== undefined) config.backend = overrides.backend;
  if (overrides.log === true && config.log === undefined) config.log = {};
  if (overrides.episodes !== undefined || overrides.batchSize !== undefined) {
    const base = isMapping(config.evaluation) ? config.evaluation : {};
    config.evaluation = {
      ...base,
      ...(overrides.episodes !== undefined ? { episodes: overrides.episodes } : {}),
      ...(overrides.batchSize !== undefined ? { batchSize: overrides.batchSize } : {}),
    };
  }
  return config;
}

/**
 * Validates a parsed config object. `file` prefixes every message (and names the experiment
 * when the config has no `name`); `overridden` maps fields set on the command line to their
 * option, which messages about them name. Throws ConfigError with every problem found.
 */
export function validateConfig(
  raw: unknown,
  file: string,
  registries: Registries = defaultRegistries,
  overridden: Readonly<Record<string, string>> = {},
): ExperimentConfig {
  return validateExperiment(raw, file, registries, overridden).config;
}

/** validateConfig, with the world's shape. */
export function validateExperiment(
  raw: unknown,
  file: string,
  registries: Registries = defaultRegistries,
  overridden: Readonly<Record<string, string>> = {},
): ValidExperiment {
  const issues: string[] = [];
  const report = (field: string, message: string): void => {
    const option = overridden[field];
    issues.push(`${file}: ${field ? `${field}${option ? ` (set by ${option})` : ''}: ` : ''}${message}`);
  };
  if (!isMapping(raw)) {
    report('', `expected a mapping with name, world, seeds, agents and evaluation, got ${describe(raw)}`);
    throw new ConfigError(issues);
  }
  // The shape first, then (even where the shape is wrong elsewhere) the names and parameters
  // that can be checked, so that one pass reports every problem.
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const [field, message] of formatZodIssue(issue, raw)) report(field, message);
    }
  }
  const given = raw as Record<string, unknown>;
  const shape = parsed.success ? parsed.data : null;
  const experimentSeed = shape?.seed ?? 0;

  const seeds = resolveSeeds(given.seeds, report);

  // The world: a known preset, its declared parameters, then its cross-field check.
  const worldGiven = isMapping(given.world) ? given.world : {};
  // A world without a preset is the default world (as the schema defaults it), its params checked.
  const givenPreset = worldGiven.preset;
  const preset = typeof givenPreset === 'string' ? givenPreset : givenPreset === undefined ? defaultWorld : null;
  let worldParams: Record<string, unknown> = {};
  let spec: WorldSpec | null = null;
  const world = preset === null ? undefined : registries.worlds[preset];
  const worldDefaults = world ? (defaultParams(world.params) as Record<string, unknown>) : {};
  if (preset !== null && !world) {
    report('world.preset', unknownName('world', preset, Object.keys(registries.worlds)));
  } else if (world) {
    const resolved = resolveParams(world.params, worldGiven.params, 'world.params');
    for (const issue of resolved.issues) report(issue.field, withSuggestion(issue.field, issue.message));
    worldParams = resolved.values as Record<string, unknown>;
    // Unknown names leave every value valid, so the cross-field check still means something;
    // a bad value was replaced by its default, and checking that would mislead.
    if (resolved.issues.every((issue) => issue.message.startsWith('unknown parameter'))) {
      const crossIssues = world.check?.(resolved.values) ?? [];
      for (const issue of crossIssues) report(`world.params.${issue.field}`, issue.message);
      if (crossIssues.length === 0) {
        // A one-row instance tells the policies what shape of world they will face.
        try {
          spec = worldSpec(world, resolved.values, { experiment: experimentSeed, run: seeds[0] ?? 0 });
        } catch (error) {
          report(
            'world.params',
            `the world cannot be built with these parameters: ${firstLine((error as Error).message)}`,
          );
        }
      }
    }
  }

  const agents: AgentConfig[] = [];
  const names = new Map<string, number>();
  // The variants of a grid share their problems: each is said once.
  const said = new Set<string>();
  const reportOnce = (field: string, message: string) => {
    if (!said.has(`${field}\u0000${message}`)) report(field, message);
    said.add(`${field}\u0000${message}`);
  };
  // A swept agent becomes its variants (lab/config/sweep.ts); each is checked like any agent, and
  // messages name the agent's place in the config's own list.
  for (const { raw: agent, index: i, variant, paramsField } of expandSweep(given, report)) {
    if (
      !isMapping(agent) ||
      typeof agent.name !== 'string' ||
      (agent.kind !== undefined && typeof agent.kind !== 'string')
    )
      continue;
    // Case-insensitive, since names become file names (macOS and Windows fold case).
    const previous = names.get(agent.name.toLowerCase());
    if (previous !== undefined) {
      report(
        `agents[${i}].name`,
        `duplicate agent name "${agent.name}" (also agents[${previous}]); give each agent its own name`,
      );
    } else names.set(agent.name.toLowerCase(), i);
    // A saved agent to start from: its kind and parameters are the defaults.
    const init =
      agent.init === undefined
        ? null
        : resolveInit(
            agent.init,
            agent.name,
            `agents[${i}].init`,
            seeds,
            { preset, params: worldParams, defaults: worldDefaults },
            experimentSeed,
            report,
          );
    if (agent.init !== undefined && !init) continue;
    const kind = typeof agent.kind === 'string' ? agent.kind : init?.source.kind;
    if (kind === undefined) {
      report(
        `agents[${i}].kind`,
        'missing; add it (a policy or agent name, e.g. kind: random), or start from a saved agent with init:',
      );
      continue;
    }
    if (init && kind !== init.source.kind) {
      report(
        `agents[${i}].kind`,
        `"${kind}" differs from the saved agent's kind "${init.source.kind}" (init ` +
          `${init.source.from}); remove kind or make it ${init.source.kind}`,
      );
      continue;
    }
    const found = findKind(registries, kind);
    if (!found) {
      const known = [...Object.keys(registries.policies), ...Object.keys(registries.agents ?? {})];
      report(`agents[${i}].kind`, unknownName('policy or agent', kind, known));
      continue;
    }
    const what = found.learns ? 'agent' : 'policy';
    const givenParams =
      init && (agent.params === undefined || isMapping(agent.params))
        ? overlayParams(init.params, agent.params)
        : agent.params;
    const resolved = resolveParams(found.definition.params, givenParams, `agents[${i}].params`);
    // A variant's problem with a parameter it sets is the sweep's.
    const fieldOf = (field: string) => {
      const param = field.slice(`agents[${i}].params.`.length).split(/[.[]/)[0];
      return variant && param in variant.params
        ? `${paramsField}.${field.slice(`agents[${i}].params.`.length)}`
        : field;
    };
    for (const issue of resolved.issues) reportOnce(fieldOf(issue.field), withSuggestion(issue.field, issue.message));
    const valid = resolved.issues.length === 0;
    if (found.learns && valid) {
      for (const issue of found.definition.check?.(resolved.values) ?? [])
        reportOnce(fieldOf(`agents[${i}].params.${issue.field}`), issue.message);
    }
    if (spec) {
      const why = found.learns
        ? valid
          ? found.definition.unsupported?.(spec, resolved.values)
          : null
        : found.definition.unsupported?.(spec);
      if (typeof why === 'string')
        report(`agents[${i}].kind`, `${what} "${kind}" cannot run in world "${spec.preset}": ${why}`);
      else if (why)
        reportOnce(
          fieldOf(`agents[${i}].params.${why.field}`),
          `${what} "${kind}" cannot run in world "${spec.preset}" this way: ${why.message}`,
        );
    }
    // A loaded agent may be evaluated as it is; one that starts untrained must train.
    if (found.learns && given.training === undefined && !init) {
      report(
        `agents[${i}].kind`,
        `agent "${kind}" learns: add a training block, e.g. training: { steps: 100000 } (slatelab ` +
          `list shows its fields), or start it from a saved agent with init:`,
      );
    }
    const params = resolved.values as Record<string, unknown>;
    agents.push({
      name: agent.name,
      kind,
      params,
      learns: found.learns,
      streamKey: streamKey(
        kind,
        found.definition.params,
        params,
        found.learns ? (found.definition.notInStreamKey ?? []) : [],
      ),
      init: init?.source ?? null,
      ...(variant ? { variant } : {}),
    });
  }

  // The baseline names one of the agents (checked even when the shape is wrong elsewhere).
  if (typeof given.baseline === 'string') {
    const named = (Array.isArray(given.agents) ? given.agents : []).flatMap((agent: unknown) =>
      isMapping(agent) && typeof agent.name === 'string' ? [agent.name] : [],
    );
    if (!named.includes(given.baseline)) report('baseline', unknownName('agent', given.baseline, named));
    else if (agents.some((agent) => agent.variant?.agent === given.baseline))
      report(
        'baseline',
        `"${given.baseline}" is swept, so it is several agents; name an agent that is not swept (or leave baseline out: the first agent)`,
      );
  }

  const tuning =
    shape?.tuning === undefined ? undefined : resolveTuning(shape.tuning.seeds, seeds, report, overridden.seeds);
  if (tuning !== undefined && !agents.some((agent) => agent.variant))
    report(
      'tuning',
      'tunes the variants of a sweep: add sweep: { agents: { <agent>: { grid: {...} } } }, or remove tuning',
    );

  const training =
    shape?.training === undefined
      ? null
      : resolveTraining(
          shape.training,
          shape.evaluation.episodes,
          overridden['evaluation.episodes'] !== undefined,
          report,
        );

  // Without issues the world was built (a world that could not be is an issue).
  if (issues.length > 0 || !shape || !spec) throw new ConfigError(issues);
  const config: ExperimentConfig = {
    name: shape.name ?? defaultName(file),
    seed: shape.seed,
    world: { preset: shape.world.preset, params: worldParams },
    // Every run's seed: the reporting seeds, then the tuning seeds.
    seeds: tuning ? [...seeds, ...tuning] : seeds,
    agents,
    evaluation: shape.evaluation,
    training,
    backend: shape.backend,
    ...(shape.baseline !== undefined ? { baseline: shape.baseline } : {}),
    ...(shape.log !== undefined
      ? {
          log: {
            policy: shape.log.policy,
            epsilon: shape.log.epsilon,
            temperature: shape.log.temperature,
            samples: shape.log.samples,
            episodes: shape.log.episodes ?? shape.evaluation.episodes,
          },
        }
      : {}),
    ...(tuning && shape.tuning
      ? { tuning: { seeds: tuning, metric: shape.tuning.metric, better: shape.tuning.better } }
      : {}),
  };
  const worldShape = shapeOf(config, spec, registries);
  if (config.tuning && !worldShape.metrics.includes(config.tuning.metric))
    throw new ConfigError([
      `${file}: tuning.metric: ${unknownName('metric', config.tuning.metric, [...worldShape.metrics])}`,
    ]);
  return { config, shape: worldShape };
}

/** The training block with its defaults and cross-field rules (exactly one budget). */
function resolveTraining(
  given: { steps?: number; episodes?: number; batchSize: number; evalEvery?: number; evalEpisodes?: number },
  evaluationEpisodes: number,
  episodesOverridden: boolean,
  report: (field: string, message: string) => void,
): TrainingConfig | null {
  if ((given.steps === undefined) === (given.episodes === undefined)) {
    report(
      'training',
      given.steps === undefined
        ? 'give a budget: steps (user-steps per run) or episodes (training episodes per run), e.g. steps: 100000'
        : 'give one budget, steps or episodes, not both',
    );
    return null;
  }
  let evalEvery = given.evalEvery;
  if (evalEvery === undefined) {
    if (given.steps === undefined) {
      report(
        'training.evalEvery',
        'needed with an episodes budget: training steps between checkpoints, e.g. evalEvery: 10000',
      );
      return null;
    }
    evalEvery = Math.max(1, Math.ceil(given.steps / DEFAULT_CHECKPOINTS));
  }
  // A smaller run asked for on the command line (--episodes) shrinks the checkpoints with it.
  const evalEpisodes =
    episodesOverridden && given.evalEpisodes !== undefined
      ? Math.min(given.evalEpisodes, evaluationEpisodes)
      : given.evalEpisodes;
  if (evalEpisodes !== undefined && evalEpisodes > evaluationEpisodes) {
    report(
      'training.evalEpisodes',
      `${given.evalEpisodes} is more than evaluation.episodes (${evaluationEpisodes}): ` +
        `checkpoints evaluate on the first evalEpisodes of the evaluation users; lower it or raise ` +
        `evaluation.episodes`,
    );
    return null;
  }
  return {
    steps: given.steps ?? null,
    episodes: given.episodes ?? null,
    batchSize: given.batchSize,
    evalEvery,
    evalEpisodes: evalEpisodes ?? Math.min(DEFAULT_EVAL_EPISODES, evaluationEpisodes),
  };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The config file's base name, made safe, names an experiment without `name`. */
function defaultName(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? 'experiment';
  const stem = base
    .replace(/\.(ya?ml|json)$/i, '')
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '');
  return stem.slice(0, 64) || 'experiment';
}

const TYPE_WORDS: Record<string, string> = {
  int: 'a whole number',
  number: 'a number',
  string: 'a string',
  array: 'a list',
  object: 'a mapping',
  boolean: 'true or false',
};

/** Why a limit exists and what to do instead, where it is not obvious. */
const TOO_BIG_HINTS: Record<string, string> = {
  'evaluation.episodes': 'a run keeps every episode in memory, so add seeds for more episodes in all',
};

/** One (field, message) per problem, in words a config author knows. */
function formatZodIssue(issue: z.core.$ZodIssue, raw: unknown): [string, string][] {
  const value = valueAt(raw, issue.path);
  const field = fieldPath(issue.path);
  switch (issue.code) {
    case 'invalid_type': {
      const expected = TYPE_WORDS[issue.expected] ?? issue.expected;
      if (value === undefined) return [[field, `missing; add it (${expected})`]];
      return [[field, `expected ${expected}, got ${describe(value)}`]];
    }
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const known = knownFields(issue.path);
        const hint = suggest(key, known);
        return [
          fieldPath([...issue.path, key]),
          `unknown field; known: ${known.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`,
        ];
      });
    case 'too_small':
      if (issue.origin === 'array') return [[field, issue.message]];
      return [[field, `must be at least ${String(issue.minimum)}, got ${describe(value)}`]];
    case 'too_big': {
      const why = TOO_BIG_HINTS[field];
      return [[field, `must be at most ${String(issue.maximum)}, got ${describe(value)}${why ? `; ${why}` : ''}`]];
    }
    default:
      return [[field, `${issue.message}, got ${describe(value)}`]];
  }
}
