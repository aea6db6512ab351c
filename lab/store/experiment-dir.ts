// Reading an experiment's results directory back (resume and report): which listed runs have
// their files whole, which runs never ran, whether this version still has the world and the kinds,
// and what started the experiment.
import { shardRuns } from '../run/run-order.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExperimentConfig } from '../config/config.ts';
import { isPathKind } from '../config/path-kind.ts';
import type { Registries } from '../config/registries.ts';
import type { Manifest, Provenance, RunEntry } from './manifest.ts';

/** An experiment directory this version cannot finish (the CLI shows it with exit 2). */
export class ExperimentDirError extends Error {}

/**
 * The listed runs whose files are all there and whose records hold every episode (a run is listed
 * only after its files are written; this also guards against files removed or damaged since, e.g.
 * cut short by a power loss): the others run again.
 */
export function runsOnDisk(dir: string, manifest: Manifest): RunEntry[] {
  return manifest.runs.filter((run) => {
    const files = [run.file, run.curveFile, run.agentFile, run.runMetricsFile, run.logFile];
    if (!files.every((file) => file === undefined || existsSync(join(dir, file)))) return false;
    const text = readFileSync(join(dir, run.file), 'utf8');
    let lines = 0;
    for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lines++;
    return lines === run.episodes && text.endsWith('\n');
  });
}

/** Runs of the config that the manifest lists neither as finished nor as failed or interrupted. */
export function neverRan(manifest: Manifest, finished: readonly RunEntry[]): { agent: string; seed: number }[] {
  const known = new Set(
    [...finished, ...manifest.failures, ...manifest.interrupted].map((run) => `${run.agent}\u0000${run.seed}`),
  );
  // A shard's runs are its slice of the config's (lab/run/run-order.ts).
  return shardRuns(manifest.config, manifest.shard).filter((run) => !known.has(`${run.agent}\u0000${run.seed}`));
}

/**
 * The world and every built-in agent kind must still exist in this version (ExperimentDirError, one
 * line, when not). Kinds that name a user's file are checked where they are needed (resume), not here.
 */
export function checkKinds(dir: string, config: ExperimentConfig, registries: Registries): void {
  if (!registries.worlds[config.world.preset])
    throw new ExperimentDirError(`${dir}: world "${config.world.preset}" is not in this version of slatelab`);
  for (const agent of config.agents) {
    if (isPathKind(agent.kind) && !registries.userKinds?.[agent.kind]) continue;
    if (!registries.policies[agent.kind] && !registries.agents?.[agent.kind])
      throw new ExperimentDirError(`${dir}: agent kind "${agent.kind}" is not in this version of slatelab`);
  }
}

/** What started the experiment, as its manifest says (a resume keeps it: lab/run/manifest-log.ts). */
export function provenanceOf(manifest: Manifest): Provenance {
  const { slatelab, node, dependencies, gitCommit, gitDirty, code, networks } = manifest;
  return { slatelab, node, dependencies, gitCommit, gitDirty, code, ...(networks ? { networks } : {}) };
}
