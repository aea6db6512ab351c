// Finishing an experiment from its directory: `slatelab resume DIR` runs only the (agent, seed)
// pairs whose records are not there (stopped by Ctrl-C, SIGKILL, a crash or a failure) and then
// writes the summary, charts and reports from all the records, the same bytes as an uninterrupted
// run (a run is byte-identical whenever it runs). `slatelab report DIR` is lab/report/rebuild.ts.
import { shardRuns } from './run-order.ts';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ExperimentConfig } from '../config/config.ts';
import type { Registries } from '../config/registries.ts';
import { defaultRegistries } from '../config/registries.ts';
import { worldShape } from '../config/world-shape.ts';
import { withLock } from '../store/lock.ts';
import type { Progress } from './progress.ts';
import { readManifest } from '../store/manifest.ts';
import { checkKinds, provenanceOf, runsOnDisk } from '../store/experiment-dir.ts';
import { environmentInfo } from '../store/provenance.ts';
import { runExperiment, type ExperimentOutcome } from './runner.ts';

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
      `warning: ${dir} was started by slatelab ${manifest.slatelab} at commit ` +
        `${manifest.gitCommit?.slice(0, 12) ?? 'unknown'}, this is ${here.slatelab} at ` +
        `${here.gitCommit?.slice(0, 12) ?? 'unknown'}${why}: ` +
        'the runs made now may not match those made then',
    );
  }
  const total = shardRuns(manifest.config, manifest.shard).length;
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
    shard: manifest.shard,
    earlier: { provenance: provenanceOf(manifest), resumes: manifest.resumes ?? [] },
  });
  return { ...outcome, config: manifest.config, kept: kept.length };
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
