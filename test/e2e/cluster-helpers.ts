// What the scheduler tests (slurm.test.ts, kubernetes.test.ts) share: a folder of their own, a
// process runner in it, the small experiment they split, and the one-machine comparison.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const root = fileURLToPath(new URL('../..', import.meta.url));
/** The command that runs this checkout's slatelab, for scripts and manifests. */
export const slatelabBin = join(root, 'bin/slatelab.js');

/** A folder for one test file, with a runner of processes in it. */
export function clusterHome(prefix: string) {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const run = (command: string, args: string[], env: Record<string, string> = {}) => {
    const result = spawnSync(command, args, {
      cwd: home,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const slatelab = (...args: string[]) => run(process.execPath, [slatelabBin, ...args]);
  return { home, run, slatelab };
}

/** Writes `exp.yaml`: 2 agents x 2 seeds in a small bandit world (4 runs), named `name`. */
export function writeExperiment(home: string, name: string): void {
  writeFileSync(
    join(home, 'exp.yaml'),
    `name: ${name}
world: { preset: bandit, params: { catalog: 20, candidates: 5, slateSize: 2, horizon: 6 } }
seeds: 2
agents:
  - { name: random, kind: random }
  - { name: pctr, kind: greedy-pctr }
evaluation: { episodes: 16 }
`,
  );
}

/** The merged directory's summary and reports are `whole`'s, byte for byte. */
export function expectSameResults(merged: string, whole: string): void {
  for (const file of ['summary.json', 'summary.csv', 'report.md'])
    expect(readFileSync(join(merged, file), 'utf8'), file).toBe(readFileSync(join(whole, file), 'utf8'));
}
