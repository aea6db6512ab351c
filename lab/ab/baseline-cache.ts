// The trained baselines of `slatelab try`: a learning agent (the value-model ranker by default) is
// trained once per world, seeds and version, then kept in a cache folder and loaded (`init:`) by
// every later A/B test in that world. A changed world, seed list, baseline, slatelab version, git
// commit or dependency version is another key: the baseline is trained again.
//
// The cache: $SLATELAB_CACHE, else $XDG_CACHE_HOME/slatelab, else ~/.cache/slatelab; each baseline
// is a normal results directory under baselines/ (its manifest says how it was trained).
import { createHash } from 'node:crypto';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { validateExperiment } from '../config/config.ts';
import type { Registries } from '../config/registries.ts';
import { runExperiment, type Progress } from '../run/runner.ts';
import { environmentInfo } from '../store/provenance.ts';

/** How a baseline learns before it is compared, by default: the budget of experiments/feed-ranker.yaml. */
export const BASELINE_TRAINING = { steps: 60_000, batchSize: 64 } as const;

/** The baseline's name in its cached experiment (try's configs load it by this name). */
export const CACHED_AGENT = 'baseline';

/** The cache folder (see the top of this file). */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SLATELAB_CACHE) return resolve(env.SLATELAB_CACHE);
  return join(env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), '.cache'), 'slatelab');
}

/** What a cached baseline was trained as: its world, seeds and agent. */
export interface BaselineSpec {
  readonly preset: string;
  /** The experiment seed (the world's catalog and users). */
  readonly seed: number;
  readonly seeds: readonly number[];
  readonly kind: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly backend: string;
  /** Training steps a seed (default BASELINE_TRAINING.steps). */
  readonly steps: number;
  /** A baseline in the user's file: the hash of its code (lab/config/user-code.ts), else null. */
  readonly codeHash: string | null;
}

/** What else makes a trained baseline stale: the code that trained it. */
export interface CodeVersions {
  readonly slatelab: string;
  readonly gitCommit: string | null;
  readonly dependencies: Readonly<Record<string, string | null>>;
}

/** The cache key: a hash of everything the trained baseline depends on. */
export function baselineKey(spec: BaselineSpec, versions: CodeVersions): string {
  const text = JSON.stringify({ format: 1, spec, batchSize: BASELINE_TRAINING.batchSize, versions });
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The folder of a baseline's cached experiment. */
export function baselineDir(root: string, spec: BaselineSpec, key: string): string {
  const kind = spec.kind.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '');
  return join(root, 'baselines', `${kind}-${spec.preset}-${key}`);
}

export interface CachedBaseline {
  /** The cached experiment (load its agent CACHED_AGENT with init). */
  readonly dir: string;
  /** Trained now (first use), rather than found in the cache. */
  readonly trained: boolean;
}

/**
 * The trained baseline for `spec`: from the cache, or trained now (on `threads` worker threads)
 * and cached. Training goes to a private folder first, renamed into place once every run finished,
 * so an interrupted or failed training never leaves a baseline half-made.
 */
export async function trainedBaseline(
  spec: BaselineSpec,
  options: {
    readonly registries: Registries;
    readonly root?: string;
    readonly threads?: number;
    readonly progress?: Progress;
    readonly signal?: AbortSignal;
  },
): Promise<CachedBaseline> {
  const environment = await environmentInfo();
  const key = baselineKey(spec, environment);
  const dir = baselineDir(options.root ?? cacheRoot(), spec, key);
  if (existsSync(join(dir, 'manifest.json'))) return { dir, trained: false };
  const raw = {
    name: `baseline-${CACHED_AGENT}`,
    seed: spec.seed,
    world: { preset: spec.preset },
    seeds: [...spec.seeds],
    agents: [{ name: CACHED_AGENT, kind: spec.kind, params: spec.params }],
    // One checkpoint at the end: the baseline's own learning curve is not what try reports.
    training: { steps: spec.steps, batchSize: BASELINE_TRAINING.batchSize, evalEvery: spec.steps, evalEpisodes: 10 },
    evaluation: { episodes: 10 },
    backend: spec.backend,
  };
  const { config, shape } = validateExperiment(raw, `the baseline ${spec.kind}`, options.registries);
  options.progress?.line(
    `training the control ${spec.kind} in ${spec.preset} (${spec.steps} steps a seed, ` +
      `${spec.seeds.length} seeds): first use; cached in ${dir}`,
  );
  const staging = `${dir}.training-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    const outcome = await runExperiment({
      config,
      shape,
      outDir: staging,
      registries: options.registries,
      threads: options.threads,
      progress: options.progress,
      signal: options.signal,
      charts: false,
    });
    if (outcome.interrupted.length > 0)
      throw new BaselineError('interrupted while the baseline trained; nothing was cached');
    if (outcome.failures.length > 0) {
      const first = outcome.failures[0];
      throw new BaselineError(
        `the baseline ${spec.kind} failed to train (${outcome.failures.length} of ${spec.seeds.length} seeds; ` +
          `seed ${first.seed}: ${first.error}); nothing was cached`,
      );
    }
    try {
      renameSync(staging, dir);
    } catch (error) {
      // Another try trained the same baseline meanwhile: theirs stands (the same numbers).
      if (!existsSync(join(dir, 'manifest.json'))) throw error;
    }
    return { dir, trained: true };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** The baseline could not be trained: try stops with this one line. */
export class BaselineError extends Error {
  override readonly name = 'BaselineError';
}
