// The manifest of an experiment's results directory (manifest.json): what the experiment is (its
// resolved config), what ran it (versions, git, the network backend) and how far it got (the runs
// that finished, failed or were interrupted). One schema for the writers (a running experiment's
// lab/run/manifest-log.ts, and the claim of a directory in lab/store/outdir.ts) and every reader:
// resume (lab/run/resume.ts), report (lab/report/rebuild.ts), compare (lab/report/compare.ts) and a
// config's `init:` (lab/config/init.ts).
//
// Versioned by its first key, `format`. The number changes when a reader of the previous format
// would misread a new manifest; a field that older readers may ignore is added without a change.
// Manifests written before the field existed (slatelab 0.1.0) are format 1.
//
// zod lives here, so worker threads never import this module (test/lab/run/run-task.test.ts).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { BACKENDS } from '../../agents/nets/backend-names.ts';
import type { AgentConfig, ExperimentConfig } from '../config/config.ts';
import { writeJsonAtomic } from './atomic.ts';
import type { FailureRecord } from './summary.ts';
import { fieldPath, valueAt } from '../config/field-path.ts';
import { DEFAULT_ACT_TIME_LIMIT_MS, DEFAULT_WORKER_HEAP_MB } from '../config/episodes.ts';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'slatelab-manifest/1';

const count = z.number().int().min(0);
const seed = z.number().int().min(0);
const params = z.record(z.string(), z.unknown());

// Keys in the order validateConfig writes them: resume writes the config it read back.
const configObject = z.object({
  name: z.string(),
  seed,
  world: z.object({ preset: z.string(), params }),
  seeds: z.array(seed),
  agents: z.array(
    z.object({
      name: z.string(),
      kind: z.string(),
      params,
      learns: z.boolean(),
      streamKey: z.string(),
      init: z
        .object({
          from: z.string(),
          agent: z.string(),
          kind: z.string(),
          files: z.record(z.string(), z.string()),
          sameWorld: z.boolean(),
          backend: z.string().nullable(),
        })
        .nullable(),
      // A sweep's variant (lab/config/sweep.ts).
      variant: z.object({ agent: z.string(), params }).optional(),
    }),
  ),
  // actTimeLimitMs, workerHeapMb: absent from manifests written before they existed (slatelab 0.1.0).
  evaluation: z.object({
    episodes: count,
    batchSize: count,
    maxStepsPerEpisode: count,
    actTimeLimitMs: z.number().positive().default(DEFAULT_ACT_TIME_LIMIT_MS),
    workerHeapMb: z.number().int().positive().default(DEFAULT_WORKER_HEAP_MB),
  }),
  training: z
    .object({
      steps: count.nullable(),
      episodes: count.nullable(),
      batchSize: count,
      evalEvery: count,
      evalEpisodes: count,
    })
    .nullable(),
  backend: z.enum(BACKENDS),
  // Present only when the config names one (validateConfig writes it last).
  baseline: z.string().optional(),
  // policy, temperature and samples: absent from manifests written before softmax logging (default epsilon-greedy).
  log: z
    .object({
      policy: z.enum(['epsilon-greedy', 'softmax']).default('epsilon-greedy'),
      epsilon: z.number().min(0).max(1),
      temperature: z.number().positive().default(1),
      samples: count.default(1000),
      episodes: count,
    })
    .optional(),
  // Present only with tuning seeds (config `tuning:`).
  tuning: z.object({ seeds: z.array(seed), metric: z.string(), better: z.enum(['higher', 'lower']) }).optional(),
});
const configSchema: z.ZodType<ExperimentConfig> = configObject;

/** True when A and B are the same type (a compile-time check). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// The schema names every field of ExperimentConfig and AgentConfig, optional ones too: zod drops a
// key it does not know, so a field missing here would vanish from a resumed manifest.
true satisfies Same<keyof z.output<typeof configObject>, keyof ExperimentConfig>;
true satisfies Same<keyof z.output<typeof configObject>['agents'][number], keyof AgentConfig>;

/** A finished run as the manifest lists it (paths relative to the experiment directory). */
const runEntrySchema = z.object({
  agent: z.string(),
  seed,
  /** The episode records (lab/store/run-records.ts). */
  file: z.string(),
  /** The learning curve (learning agents). */
  curveFile: z.string().optional(),
  /** What the agent learned (lab/store/saved-agent-file.ts). */
  agentFile: z.string().optional(),
  /**
   * The world's run metrics over the run's evaluation (lab/store/run-records.ts): in worlds that
   * have them, and only in runs recorded since they exist (older runs report them as absent).
   */
  runMetricsFile: z.string().optional(),
  /** The run's interaction log (config `log`; lab/store/interaction-log.ts). */
  logFile: z.string().optional(),
  episodes: count,
  /** Episodes cut short by evaluation.maxStepsPerEpisode. */
  truncatedEpisodes: count,
});
export type RunEntry = z.output<typeof runEntrySchema>;

const failureSchema: z.ZodType<FailureRecord> = z.object({ agent: z.string(), seed, error: z.string() });

/** What ran an experiment (lab/store/provenance.ts environmentInfo). */
const versionsSchema = z.object({
  slatelab: z.string(),
  node: z.string(),
  dependencies: z.record(z.string(), z.string().nullable()),
  gitCommit: z.string().nullable(),
  /** Whether the source tree differed from gitCommit; null outside git. */
  gitDirty: z.boolean().nullable(),
  /** The TypeScript sources (through tsx) or the JavaScript built into dist/. */
  code: z.enum(['sources', 'dist']),
});
/** Present when an agent has neural networks: results differ across backends. */
const networksSchema = z.object({ backend: z.string(), tfjs: z.string() });

const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  name: z.string(),
  configFile: z.string().nullable(),
  config: configSchema,
  seeds: z.array(seed).readonly(),
  // What started the experiment.
  ...versionsSchema.shape,
  networks: networksSchema.optional(),
  /**
   * Kinds that name a user's file (lab/config/user-kinds.ts): the file and a hash of its code (the
   * file and the local files it imports), which `resume` checks.
   */
  userCode: z.record(z.string(), z.object({ file: z.string(), sha256: z.string() })).optional(),
  /** What ran each `slatelab resume` since, and how many runs it finished. */
  resumes: z
    .array(versionsSchema.extend({ networks: networksSchema.optional(), runs: count }))
    .readonly()
    .optional(),
  /** True once every run has finished or failed and the summary and reports are written. */
  complete: z.boolean(),
  runs: z.array(runEntrySchema).readonly(),
  failures: z.array(failureSchema).readonly(),
  /** The runs a Ctrl-C stopped. */
  interrupted: z.array(z.object({ agent: z.string(), seed })).readonly(),
  /** A shard's (`run --shard i/n`): which slice of the runs this directory holds. */
  shard: z.object({ index: z.number().int().min(0), count }).optional(),
  /** A merge's (`slatelab merge`): the shard directories it was made from, in shard order. */
  mergedFrom: z.array(z.string()).readonly().optional(),
});

export type Manifest = z.output<typeof manifestSchema>;
/** What ran an experiment: versions, git and the network backend (the manifest's provenance fields). */
export type Provenance = Pick<Manifest, keyof z.output<typeof versionsSchema> | 'networks'>;
/** What ran one `slatelab resume` of an experiment, and how many runs it finished. */
export type ResumeRecord = NonNullable<Manifest['resumes']>[number];

/** What a directory's manifest says is wrong with it, one line: where, the problem, the fix. */
export class ManifestError extends Error {
  override name = 'ManifestError';
  constructor(
    /** The directory, or the manifest file when the problem is in it. */
    readonly where: string,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${where}: ${problem}; ${fix}`);
  }
}

/** What to give where a results directory is wanted. */
export const RESULTS_HINT = 'give the output directory of slatelab run (its --out, or results/<name>/<time>)';
const DAMAGED_FIX = 'restore it from a copy, or run the experiment again with slatelab run';

/** Writes `dir`'s manifest (atomically: a reader sees the last one whole), format first. */
export function writeManifest(dir: string, manifest: Omit<Manifest, 'format'>): void {
  writeJsonAtomic(join(dir, MANIFEST_FILE), { format: MANIFEST_FORMAT, ...manifest });
}

/**
 * The text that claims a new results directory before its experiment starts (lab/store/outdir.ts):
 * a manifest without a config, which readers call a directory that holds no results.
 */
export const CLAIMED_MANIFEST_TEXT = `{"format": "${MANIFEST_FORMAT}", "complete": false}\n`;

/** `dir`'s manifest, checked against the schema; a ManifestError (one line) when it cannot be used. */
export function readManifest(dir: string): Manifest {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    throw new ManifestError(dir, 'no such directory', RESULTS_HINT);
  }
  if (!isDirectory) throw new ManifestError(dir, "is a file, not an experiment's results", RESULTS_HINT);
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new ManifestError(dir, `not an experiment's results (no ${MANIFEST_FILE})`, RESULTS_HINT);
    }
    throw new ManifestError(file, `cannot be read (${code ?? (error as Error).message})`, 'check its permissions');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const why = (error as Error).message.split('\n')[0];
    throw new ManifestError(file, `is damaged: not valid JSON (${why})`, DAMAGED_FIX);
  }
  if (!isMapping(raw)) throw new ManifestError(file, `is damaged: ${describe(raw)}, not a manifest`, DAMAGED_FIX);
  // Before this field existed, every manifest was format 1.
  const format = raw.format ?? MANIFEST_FORMAT;
  if (format !== MANIFEST_FORMAT) {
    const version = typeof format === 'string' ? /^slatelab-manifest\/(\d+)$/.exec(format) : null;
    if (version && Number(version[1]) > 1) {
      const by = typeof raw.slatelab === 'string' ? `slatelab ${raw.slatelab}` : 'the slatelab that wrote it';
      const problem = `has format ${format}, newer than this slatelab reads (${MANIFEST_FORMAT})`;
      throw new ManifestError(file, problem, `read it with ${by} or later`);
    }
    const problem = `has an unknown format ${JSON.stringify(format)} (this slatelab reads ${MANIFEST_FORMAT})`;
    throw new ManifestError(file, problem, DAMAGED_FIX);
  }
  // The claim of a directory whose experiment stopped before its first manifest (CLAIMED_MANIFEST_TEXT).
  const noRuns = raw.runs === undefined || (Array.isArray(raw.runs) && raw.runs.length === 0);
  if (raw.config === undefined && noRuns) {
    const fix = 'run the experiment again with slatelab run';
    throw new ManifestError(dir, 'holds no results (its run stopped before it started)', fix);
  }
  const parsed = manifestSchema.safeParse({ ...raw, format });
  if (!parsed.success) {
    const [first, ...rest] = parsed.error.issues;
    const field = fieldPath(first.path) || 'the manifest';
    const what = issueText(first, valueAt(raw, first.path)) + (rest.length > 0 ? ` (and ${rest.length} more)` : '');
    const problem = `is not a valid ${MANIFEST_FORMAT} manifest: ${field}: ${what}`;
    throw new ManifestError(file, problem, DAMAGED_FIX);
  }
  return parsed.data;
}

/** One issue in words: missing (string); expected number, got "x"; too small: expected number to be >=0, got -1. */
function issueText(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === 'invalid_type') {
    return value === undefined ? `missing (${issue.expected})` : `expected ${issue.expected}, got ${describe(value)}`;
  }
  return `${issue.message.charAt(0).toLowerCase()}${issue.message.slice(1)}, got ${describe(value)}`;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
