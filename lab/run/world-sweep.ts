// Running a world sweep (lab/config/world-sweep.ts): each world variant is an experiment of its
// own, run one after the other into <out>/worlds/<name>/ (a normal results directory: report,
// resume and compare work on it), then the sweep's report compares them, unpaired
// (lab/report/world-sweep.ts). `sweep.json` names the worlds and holds each one's resolved config,
// so that `resume` can start a world that never started. With --shard i/n every world runs its
// i-th slice, and `merge` joins the shards world by world.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ExperimentConfig } from '../config/config.ts';
import type { Registries } from '../config/registries.ts';
import type { WorldSweep } from '../config/world-sweep.ts';
import { rebuildReports } from '../report/rebuild.ts';
import { type SweepSummary, type SweptWorld, writeSweepReport } from '../report/world-sweep.ts';
import { writeJsonAtomic } from '../store/atomic.ts';
import { MANIFEST_FILE, readManifest } from '../store/manifest.ts';
import { claimOutDir, isOnlyClaimed } from '../store/outdir.ts';
import { emptyShard, MergeError, mergeShards } from './merge.ts';
import { type ResumeOptions, resumeExperiment } from './resume.ts';
import type { Shard } from './run-order.ts';
import { type ExperimentOutcome, runExperiment } from './runner.ts';

export const SWEEP_FILE = 'sweep.json';
export const SWEEP_FORMAT = 'slatelab-world-sweep/1';

export interface SweepManifest {
  readonly format: typeof SWEEP_FORMAT;
  readonly name: string;
  readonly configFile: string | null;
  readonly worlds: readonly (SweptWorld & { readonly config: ExperimentConfig })[];
  readonly shard?: Shard;
  readonly mergedFrom?: readonly string[];
}

/**
 * Writes sweep.json into a directory claimed for the sweep, and drops the claim's placeholder
 * manifest.json (the sweep's directory holds worlds, not runs: a manifest there would read as an
 * experiment with no results).
 */
function writeSweepManifest(dir: string, manifest: SweepManifest): void {
  writeJsonAtomic(join(dir, SWEEP_FILE), manifest);
  rmSync(join(dir, MANIFEST_FILE), { force: true });
}

/** Whether `dir` is a world sweep's directory (it has sweep.json). */
export function isSweepDir(dir: string): boolean {
  return existsSync(join(dir, SWEEP_FILE));
}

/** `dir`'s sweep manifest, or null when `dir` is not a world sweep's directory. */
export function readSweep(dir: string): SweepManifest | null {
  const file = join(dir, SWEEP_FILE);
  if (!existsSync(file)) return null;
  const sweep = JSON.parse(readFileSync(file, 'utf8')) as SweepManifest;
  if (sweep.format !== SWEEP_FORMAT)
    throw new MergeError(`${file}: not a ${SWEEP_FORMAT} file; it was written by another slatelab`);
  return sweep;
}

export interface WorldSweepOutcome {
  readonly outDir: string;
  /** Each world's outcome, in sweep order (the worlds an interrupt left unstarted are absent). */
  readonly worlds: readonly { readonly name: string; readonly outcome: ExperimentOutcome }[];
  readonly summary: SweepSummary;
}

/** How each world runs: as a resume does (registries, progress, threads, charts, Ctrl-C). */
type SweepRunOptions = ResumeOptions;

/** Runs every world of `sweep` into `outDir` (claimed by the caller), then the sweep's report. */
export async function runWorldSweep(
  sweep: WorldSweep,
  outDir: string,
  options: SweepRunOptions & { readonly configFile?: string; readonly shard?: Shard } = {},
): Promise<WorldSweepOutcome> {
  const manifest: SweepManifest = {
    format: SWEEP_FORMAT,
    name: sweep.name,
    configFile: options.configFile ?? null,
    worlds: sweep.worlds.map((world) => ({
      name: world.name,
      params: world.params,
      dir: `worlds/${world.name}`,
      config: world.experiment.config,
    })),
    ...(options.shard ? { shard: options.shard } : {}),
  };
  writeSweepManifest(outDir, manifest);
  mkdirSync(join(outDir, 'worlds'), { recursive: true });
  const worlds: WorldSweepOutcome['worlds'][number][] = [];
  for (const [i, world] of sweep.worlds.entries()) {
    if (options.signal?.aborted) break;
    options.progress?.line(`world ${world.name} (${i + 1} of ${sweep.worlds.length})`);
    const outcome = await runExperiment({
      ...options,
      config: world.experiment.config,
      shape: world.experiment.shape,
      outDir: join(outDir, 'worlds', world.name),
    });
    worlds.push({ name: world.name, outcome });
  }
  return { outDir, worlds, summary: writeSweepReport(outDir, manifest.name, manifest.worlds) };
}

/** Whether `dir` holds its claim and nothing else (its run stopped before its first manifest). */
function onlyClaimed(dir: string): boolean {
  return isOnlyClaimed(dir) && readdirSync(dir).length === 1;
}

/**
 * Finishes a sweep: a world whose runs all finished stays; one with failed, interrupted or
 * missing runs is resumed; one that never started runs now (from the config sweep.json keeps);
 * then the sweep's report. `registriesOf` gives a world's registries (user files' kinds).
 */
export async function resumeWorldSweep(
  dir: string,
  options: SweepRunOptions & {
    readonly registriesOf?: (worldDir: string, config: ExperimentConfig) => Promise<Registries | undefined>;
  } = {},
): Promise<WorldSweepOutcome> {
  const sweep = readSweep(dir) as SweepManifest;
  const worlds: WorldSweepOutcome['worlds'][number][] = [];
  for (const world of sweep.worlds) {
    if (options.signal?.aborted) break;
    const worldDir = join(dir, world.dir);
    const started = emptyShard(worldDir) === null;
    if (started) {
      const manifest = readManifest(worldDir);
      if (manifest.complete && manifest.failures.length === 0 && manifest.interrupted.length === 0) continue;
    }
    // Results made now are in no shard: an earlier merge's --replace must not take this sweep for its own.
    if (sweep.mergedFrom) writeSweepManifest(dir, { ...sweep, mergedFrom: undefined });
    options.progress?.line(`world ${world.name}: ${started ? 'resuming' : 'starting'}`);
    const registries = (await options.registriesOf?.(worldDir, world.config)) ?? options.registries;
    // A world killed before its first manifest holds only its claim: it starts afresh.
    if (!started && onlyClaimed(worldDir)) rmSync(worldDir, { recursive: true });
    const outcome = started
      ? await resumeExperiment(worldDir, { ...options, registries })
      : await runExperiment({
          ...options,
          registries,
          config: world.config,
          outDir: claimOutDir(worldDir, 'the world directory'),
          claimed: true,
          configFile: sweep.configFile ?? undefined,
          shard: sweep.shard,
        });
    worlds.push({ name: world.name, outcome });
  }
  return { outDir: dir, worlds, summary: writeSweepReport(dir, sweep.name, sweep.worlds) };
}

/** Rebuilds every world's reports, then the sweep's (`slatelab report` on a sweep). */
export async function rebuildWorldSweep(
  dir: string,
  options: { readonly registries?: Registries; readonly charts?: boolean } = {},
): Promise<SweepSummary> {
  const sweep = readSweep(dir) as SweepManifest;
  for (const world of sweep.worlds)
    if (emptyShard(join(dir, world.dir)) === null) await rebuildReports(join(dir, world.dir), options);
  return writeSweepReport(dir, sweep.name, sweep.worlds);
}

/** Joins a sweep's shards world by world into `outDir` (claimed by the caller), then the sweep's report. */
export async function mergeWorldSweeps(
  dirs: readonly string[],
  outDir: string,
  options: { readonly registries?: Registries; readonly charts?: boolean } = {},
): Promise<{
  readonly summary: SweepSummary;
  readonly runs: number;
  readonly missing: number;
  readonly empty: string[];
}> {
  // A shard directory without sweep.json has no results (its task failed before it began); one
  // with an experiment's manifest instead is another experiment's.
  for (const dir of dirs)
    if (!isSweepDir(dir) && emptyShard(dir) === null)
      throw new MergeError(`${dir}: not a world sweep's shard (no ${SWEEP_FILE}); merge one sweep's shards`);
  const present = dirs.filter(isSweepDir);
  const sweeps = present.map((dir) => readSweep(dir) as SweepManifest);
  if (sweeps.length === 0)
    throw new MergeError(`merge: none of the ${dirs.length} shard directories holds results; run the shards first`);
  const first = sweeps[0];
  const names = JSON.stringify(first.worlds.map((world) => [world.name, world.params]));
  sweeps.forEach((sweep, i) => {
    if (JSON.stringify(sweep.worlds.map((world) => [world.name, world.params])) !== names)
      throw new MergeError(
        `${present[i]}: another sweep (its worlds differ from ${present[0]}'s); merge one sweep's shards`,
      );
  });
  const manifest: SweepManifest = {
    format: SWEEP_FORMAT,
    name: first.name,
    configFile: first.configFile,
    worlds: first.worlds,
    mergedFrom: [...present],
  };
  writeSweepManifest(outDir, manifest);
  let runs = 0;
  let missing = 0;
  const empty: string[] = [];
  for (const world of first.worlds) {
    const shards = present.map((dir) => join(dir, world.dir));
    if (shards.every((shard) => emptyShard(shard) !== null)) {
      empty.push(world.name);
      continue;
    }
    const worldDir = claimOutDir(join(outDir, world.dir), 'the world directory');
    const merged = await mergeShards(shards, worldDir, options);
    runs += merged.runs;
    missing += merged.missing.length;
  }
  return { summary: writeSweepReport(outDir, manifest.name, manifest.worlds), runs, missing, empty };
}
