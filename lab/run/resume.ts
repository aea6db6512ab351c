// Finishing and re-summarising an experiment from its directory. `slatelab resume DIR` runs only
// the (agent, seed) pairs whose records are not there (stopped by Ctrl-C, SIGKILL, a crash or a
// failure) and then writes the summary, charts and reports from all the records, the same bytes as
// an uninterrupted run (a run is byte-identical whenever it runs). `slatelab report DIR` rebuilds
// the summary, charts and reports from the records alone.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ExperimentConfig, Registries } from '../config/config.ts';
import { defaultRegistries } from '../config/config.ts';
import { worldShape } from '../config/world-shape.ts';
import { withLock } from './lock.ts';
import type { Progress } from './progress.ts';
import { readManifest, type Manifest, type Provenance, type RunEntry } from '../store/manifest.ts';
import { environmentInfo } from '../store/provenance.ts';
import type { FailureRecord } from '../store/summary.ts';
import { runExperiment, type ExperimentOutcome } from './runner.ts';
import { writeOutputs, type Outputs } from '../report/outputs.ts';

/** An experiment directory this version cannot finish (the CLI shows it with exit 2). */
export class ExperimentDirError extends Error {}

/**
 * The listed runs whose files are all there and whose records hold every episode (a run is listed
 * only after its files are written; this also guards against files removed or damaged since, e.g.
 * cut short by a power loss): the others run again.
 */
function runsOnDisk(dir: string, manifest: Manifest): RunEntry[] {
  return manifest.runs.filter((run) => {
    if (![run.file, run.curveFile, run.agentFile].every((file) => file === undefined || existsSync(join(dir, file))))
      return false;
    const text = readFileSync(join(dir, run.file), 'utf8');
    let lines = 0;
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lines++;
    return lines === run.episodes && text.endsWith('\n');
  });
}

/** Runs of the config that the manifest lists neither as finished nor as failed or interrupted. */
function neverRan(manifest: Manifest, finished: readonly RunEntry[]): { agent: string; seed: number }[] {
  const known = new Set(
    [...finished, ...manifest.failures, ...manifest.interrupted].map((run) => `${run.agent}\u0000${run.seed}`),
  );
  return manifest.config.agents
    .flatMap((agent) => manifest.config.seeds.map((seed) => ({ agent: agent.name, seed })))
    .filter((run) => !known.has(`${run.agent}\u0000${run.seed}`));
}

export interface ResumeOptions {
  readonly registries?: Registries;
  readonly progress?: Progress;
  readonly verbose?: boolean;
  readonly threads?: number;
  readonly charts?: boolean;
  readonly signal?: AbortSignal;
}

export interface ResumeOutcome extends ExperimentOutcome {
  readonly config: ExperimentConfig;
  /** Runs that had finished before and were kept. */
  readonly kept: number;
}

/** Runs what `dir`'s experiment is missing, then writes its summary, charts and reports. */
export async function resumeExperiment(dir: string, options: ResumeOptions = {}): Promise<ResumeOutcome> {
  readManifest(dir); // an experiment's directory, before its lock is taken
  // Held from before the temporary files are removed: they may be another live process's.
  return withLock(dir, () => resumeLocked(dir, options));
}

async function resumeLocked(dir: string, options: ResumeOptions): Promise<ResumeOutcome> {
  const manifest = readManifest(dir);
  const registries = options.registries ?? defaultRegistries;
  checkKinds(dir, manifest.config, registries);
  const kept = runsOnDisk(dir, manifest);
  removeTemporaryFiles(dir);
  const here = await environmentInfo();
  const dirty = manifest.gitDirty === true || here.gitDirty === true;
  const otherCommit = manifest.gitCommit && here.gitCommit && manifest.gitCommit !== here.gitCommit;
  if (manifest.slatelab !== here.slatelab || otherCommit || dirty) {
    const why = dirty ? ' with uncommitted changes to the source' : '';
    options.progress?.line(
      `warning: ${dir} was started by slatelab ${manifest.slatelab} at commit ${manifest.gitCommit?.slice(0, 12) ?? 'unknown'}, this is ${here.slatelab} at ${here.gitCommit?.slice(0, 12) ?? 'unknown'}${why}: ` +
        'the runs made now may not match those made then',
    );
  }
  const total = manifest.config.agents.length * manifest.config.seeds.length;
  options.progress?.line(
    `${dir}: ${kept.length} of ${total} runs had finished; running the other ${total - kept.length}`,
  );
  const outcome = await runExperiment({
    config: manifest.config,
    // Learnt once from the config read back: the runs and reports need the world's names.
    shape: worldShape(manifest.config, registries),
    outDir: dir,
    registries: options.registries,
    configFile: manifest.configFile ?? undefined,
    progress: options.progress,
    verbose: options.verbose,
    threads: options.threads,
    charts: options.charts,
    signal: options.signal,
    done: kept,
    earlier: { provenance: provenanceOf(manifest), resumes: manifest.resumes ?? [] },
  });
  return { ...outcome, config: manifest.config, kept: kept.length };
}

/** Rebuilds `dir`'s summary, charts and reports from the records of its finished runs. */
export async function rebuildReports(
  dir: string,
  options: { registries?: Registries; charts?: boolean } = {},
): Promise<Outputs & { config: ExperimentConfig; runs: number; missing: readonly FailureRecord[] }> {
  readManifest(dir); // an experiment's directory, before its lock is taken
  return withLock(dir, () => rebuildLocked(dir, options));
}

async function rebuildLocked(
  dir: string,
  options: { registries?: Registries; charts?: boolean },
): Promise<Outputs & { config: ExperimentConfig; runs: number; missing: readonly FailureRecord[] }> {
  const manifest = readManifest(dir);
  const registries = options.registries ?? defaultRegistries;
  checkKinds(dir, manifest.config, registries);
  const runs = runsOnDisk(dir, manifest);
  // In the order `slatelab run` lists them: failures, then interrupted runs (each in run order).
  const missing: FailureRecord[] = [
    ...manifest.failures,
    ...manifest.interrupted.map((run) => ({ ...run, error: 'did not finish: the experiment was interrupted' })),
    ...neverRan(manifest, runs).map((run) => ({
      ...run,
      error: 'did not finish: the experiment stopped before it (slatelab resume runs it)',
    })),
  ];
  // The world's names, learnt once from the config read back; the reports show what started it.
  const shape = worldShape(manifest.config, registries);
  const charts = options.charts !== false;
  const outputs = await writeOutputs(
    dir,
    manifest.config,
    shape,
    registries,
    runs,
    missing,
    charts,
    undefined,
    provenanceOf(manifest),
  );
  return { ...outputs, config: manifest.config, runs: runs.length, missing };
}

/**
 * Removes what a write cut short left behind: files are written to `<name>.tmp-<pid>` and renamed
 * into place (lab/store/atomic.ts writeFileAtomic), so a process killed mid-write leaves such a file.
 */
function removeTemporaryFiles(dir: string): void {
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && /\.tmp-\d+$/.test(entry.name)) rmSync(join(entry.parentPath, entry.name), { force: true });
  }
}

/** The world and every agent kind must still exist in this version (ExperimentDirError, one line, when not). */
export function checkKinds(dir: string, config: ExperimentConfig, registries: Registries): void {
  if (!registries.worlds[config.world.preset])
    throw new ExperimentDirError(`${dir}: world "${config.world.preset}" is not in this version of slatelab`);
  for (const agent of config.agents) {
    if (!registries.policies[agent.kind] && !registries.agents?.[agent.kind])
      throw new ExperimentDirError(`${dir}: agent kind "${agent.kind}" is not in this version of slatelab`);
  }
}

/** What started the experiment, as its manifest says (the resume keeps it: lab/run/runner.ts). */
function provenanceOf(manifest: Manifest): Provenance {
  const { slatelab, node, dependencies, gitCommit, gitDirty, code, networks } = manifest;
  return { slatelab, node, dependencies, gitCommit, gitDirty, code, ...(networks ? { networks } : {}) };
}
