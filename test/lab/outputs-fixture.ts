// What the tests of a run's outputs share: a scratch folder, a tiny recsim config as a file, the
// registries that keep runs in this process, and captured CLI output.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Registries } from '../../lab/config/registries.ts';
import type { Io } from '../../lab/cli/io.ts';
import { randomPolicy } from '../../policies/random.ts';
import { recsimInterestEvolution } from '../../sim/presets/recsim-interest-evolution.ts';

export const scratch = mkdtempSync(join(tmpdir(), 'slatelab-outputs-'));
export const registries: Registries = {
  worlds: { 'recsim-interest-evolution': recsimInterestEvolution },
  policies: { random: randomPolicy },
};

export function capture(): Io & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t), stderrIsTTY: false };
}

export const tinyConfig = (extra: Record<string, unknown> = {}) => ({
  name: 'outputs-test',
  world: { preset: 'recsim-interest-evolution' },
  seeds: [0, 1],
  agents: [{ name: 'random', kind: 'random' }],
  evaluation: { episodes: 6, batchSize: 3, ...extra },
});

export function configFile(name: string, extra: Record<string, unknown> = {}): string {
  const file = join(scratch, name);
  writeFileSync(file, JSON.stringify(tinyConfig(extra)));
  return file;
}
