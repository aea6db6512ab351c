// `slatelab report DIR`: the summary, charts and reports rebuilt from the records of the runs that
// finished, the same bytes as the run that wrote them (lab/report/outputs.ts builds both).
import type { ExperimentConfig } from '../config/config.ts';
import { defaultRegistries, type Registries } from '../config/registries.ts';
import { worldShape } from '../config/world-shape.ts';
import { checkKinds, neverRan, provenanceOf, runsOnDisk } from '../store/experiment-dir.ts';
import { withLock } from '../store/lock.ts';
import { readManifest } from '../store/manifest.ts';
import type { FailureRecord } from '../store/summary.ts';
import { writeOutputs, type Outputs } from './outputs.ts';

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
