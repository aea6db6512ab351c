// The manifest of a running experiment (lab/run/manifest-log.ts): it lists each run as it settles,
// says complete only once everything is written, and after Ctrl-C lists what did not finish.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lab/config/config.ts';
import { runExperiment } from '../../../lab/run/runner.ts';

import { registries, tinyConfig } from '../outputs-fixture.ts';

describe('the manifest while runs finish', () => {
  it('lists each finished run as it settles, and says complete only once everything is written', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'slatelab-manifest-'));
    const config = validateConfig(tinyConfig(), 'test.json', registries);
    const seen: { runs: number; complete: boolean }[] = [];
    const readManifest = () =>
      JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as {
        runs: unknown[];
        complete: boolean;
        gitDirty: boolean | null;
        gitCommit: string | null;
      };
    await runExperiment({
      config,
      outDir,
      registries,
      charts: false,
      progress: {
        line: () => {
          const manifest = readManifest();
          seen.push({ runs: manifest.runs.length, complete: manifest.complete });
        },
      },
    });
    // What an interrupted experiment would have left after each run.
    expect(seen).toEqual([
      { runs: 1, complete: false },
      { runs: 2, complete: false },
    ]);
    const manifest = readManifest();
    expect(manifest.complete).toBe(true);
    // Whether the source differed from the recorded commit, as git itself says.
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const status = execFileSync('git', ['status', '--porcelain'], { cwd: root }).toString().trim();
    expect(manifest.gitDirty).toBe(manifest.gitCommit === null ? null : status !== '');
  });
});

describe('an interrupted experiment (Ctrl-C)', () => {
  it('summarises the runs that finished, lists the others as interrupted, and is not complete', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'slatelab-interrupt-'));
    const config = validateConfig({ ...tinyConfig(), seeds: [0, 1, 2] }, 'test.json', registries);
    const stop = new AbortController();
    const outcome = await runExperiment({
      config,
      outDir,
      registries,
      charts: false,
      signal: stop.signal,
      progress: { line: () => stop.abort() },
    });
    expect(outcome.interrupted).toEqual([
      { agent: 'random', seed: 1 },
      { agent: 'random', seed: 2 },
    ]);
    const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as {
      complete: boolean;
      runs: { seed: number }[];
      interrupted: unknown[];
    };
    expect(manifest.complete).toBe(false);
    expect(manifest.runs.map((run) => run.seed)).toEqual([0]);
    expect(manifest.interrupted).toEqual(outcome.interrupted);
    const summary = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as {
      agents: { random: { return: { n: number; ci95: unknown } } };
    };
    expect(summary.agents.random.return.n).toBe(1);
    expect(summary.agents.random.return.ci95).toBeNull();
    expect((summary.agents.random.return as unknown as { sd: unknown }).sd).toBeNull();
    expect(readFileSync(join(outDir, 'report.md'), 'utf8')).toContain(
      '- random, seed 2: did not finish: the experiment was interrupted',
    );
  });
});
