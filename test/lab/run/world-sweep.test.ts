// World sweeps: each world variant is an experiment of its own (the same bytes as running its
// config alone), compared unpaired in the sweep's report; shards merge world by world to the same
// bytes, and resume starts a world that never started.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from '../../../lab/config/config.ts';
import { loadWorldSweep, type WorldSweep } from '../../../lab/config/world-sweep.ts';
import { welchDifference } from '../../../eval/stats.ts';
import { runExperiment } from '../../../lab/run/runner.ts';
import { mergeWorldSweeps, readSweep, resumeWorldSweep, runWorldSweep } from '../../../lab/run/world-sweep.ts';
import type { SweepSummary } from '../../../lab/report/world-sweep.ts';
import type { Summary } from '../../../lab/store/summary.ts';
import { claimOutDir } from '../../../lab/store/outdir.ts';
import { readManifest, writeManifest } from '../../../lab/store/manifest.ts';
import { compareExperiments } from '../../../lab/report/compare.ts';

const scratch = mkdtempSync(join(tmpdir(), 'slatelab-world-sweep-'));
const config = `name: worlds
world: { preset: bandit, params: { catalog: 30, candidates: 5, slateSize: 2, horizon: 8 } }
seeds: 3
agents:
  - { name: random, kind: random }
  - { name: pctr, kind: greedy-pctr }
sweep:
  world: { grid: { catalog: [30, 300] } }
evaluation: { episodes: 30 }
`;
const file = join(scratch, 'worlds.yaml');
writeFileSync(file, config);
const read = (...path: string[]) => readFileSync(join(scratch, ...path), 'utf8');
const run = async (name: string, sweep: WorldSweep, shard?: { index: number; count: number }) => {
  const outDir = claimOutDir(join(scratch, name));
  await runWorldSweep(sweep, outDir, { charts: false, threads: 1, shard });
  return outDir;
};

/** The problems loadWorldSweep reports for a config text. */
async function problems(text: string): Promise<string[]> {
  const bad = join(scratch, 'bad.yaml');
  writeFileSync(bad, text);
  try {
    await loadWorldSweep(bad);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  return [];
}

describe('a world sweep', () => {
  it('is one experiment per world, each the same bytes as its config run alone, compared unpaired', async () => {
    const sweep = (await loadWorldSweep(file)) as WorldSweep;
    expect(sweep.worlds.map((world) => [world.name, world.params])).toEqual([
      ['catalog-30', { catalog: 30 }],
      ['catalog-300', { catalog: 300 }],
    ]);
    const dir = await run('whole', sweep);
    // The second world alone: its config is the sweep's, its world parameters overlaid.
    const alone = validateConfig(
      {
        name: 'worlds',
        world: { preset: 'bandit', params: { catalog: 300, candidates: 5, slateSize: 2, horizon: 8 } },
        seeds: 3,
        agents: [
          { name: 'random', kind: 'random' },
          { name: 'pctr', kind: 'greedy-pctr' },
        ],
        evaluation: { episodes: 30 },
      },
      'alone.yaml',
    );
    await runExperiment({ config: alone, outDir: join(scratch, 'alone'), charts: false, threads: 1 });
    expect(read('whole/worlds/catalog-300/summary.json')).toBe(read('alone/summary.json'));

    const summaries = ['catalog-30', 'catalog-300'].map(
      (world) => JSON.parse(read(`whole/worlds/${world}/summary.json`)) as Summary,
    );
    const sweepSummary = JSON.parse(read('whole/sweep-summary.json')) as SweepSummary;
    const cell = sweepSummary.agents.pctr['catalog-300']?.return;
    const welch = welchDifference(summaries[0].agents.pctr.return.values, summaries[1].agents.pctr.return.values);
    expect(cell?.difference?.mean).toBeCloseTo(welch.mean, 12);
    expect(cell?.difference?.ci95).toEqual(welch.ci95);
    expect(sweepSummary.agents.pctr['catalog-30']?.return.difference).toBeUndefined();
    expect(read('whole/sweep-report.md')).toMatch(
      /\| agent \| catalog-30 \| catalog-300 \| catalog-300 − catalog-30 \|/,
    );
    const page = read('whole/sweep-report.html');
    expect(page).toContain('<a href="worlds/catalog-300/report.html">catalog-300</a>: catalog 300');
    expect(page).toMatch(/<th>catalog-300 − catalog-30<\/th>/);
    // The sweep's directory holds worlds, not runs: no manifest of its own.
    expect(readSweep(dir)?.worlds.map((world) => world.dir)).toEqual(['worlds/catalog-30', 'worlds/catalog-300']);
    expect(() => read('whole/manifest.json')).toThrow();
    expect(() => compareExperiments(dir, join(scratch, 'alone'))).toThrow(
      /a world sweep, whose worlds are experiments/,
    );
  }, 60_000);

  it('merges its shards world by world into the same bytes, and resume starts a world that never started', async () => {
    const sweep = (await loadWorldSweep(file)) as WorldSweep;
    const shards = [await run('s0', sweep, { index: 0, count: 2 }), await run('s1', sweep, { index: 1, count: 2 })];
    const merged = claimOutDir(join(scratch, 'merged'));
    const outcome = await mergeWorldSweeps(shards, merged, { charts: false });
    expect(outcome.runs).toBe(12);
    expect(outcome.missing).toBe(0);
    for (const path of [
      'sweep-summary.json',
      'sweep-report.md',
      'sweep-report.html',
      'worlds/catalog-30/summary.json',
      'worlds/catalog-300/report.md',
    ])
      expect(read('merged', path), path).toBe(read('whole', path));

    rmSync(join(scratch, 'whole/worlds/catalog-300'), { recursive: true });
    const resumed = await resumeWorldSweep(join(scratch, 'whole'), { charts: false, threads: 1 });
    expect(resumed.worlds.map((world) => world.name)).toEqual(['catalog-300']);
    expect(read('whole/worlds/catalog-300/summary.json')).toBe(read('alone/summary.json'));
    expect(read('whole/sweep-summary.json')).toBe(read('merged/sweep-summary.json'));

    // A world with a failed run (its manifest complete, the run among its failures) is resumed:
    // that run again, the same bytes.
    const worldDir = join(scratch, 'whole/worlds/catalog-30');
    const manifest = readManifest(worldDir);
    const lost = manifest.runs[1];
    rmSync(join(worldDir, lost.file));
    writeManifest(worldDir, {
      ...manifest,
      runs: manifest.runs.filter((run) => run !== lost),
      failures: [{ agent: lost.agent, seed: lost.seed, error: 'boom' }],
    });
    // The other world killed before its first manifest: only its claim is left.
    rmSync(join(scratch, 'whole/worlds/catalog-300'), { recursive: true });
    claimOutDir(join(scratch, 'whole/worlds/catalog-300'));
    const again = await resumeWorldSweep(join(scratch, 'whole'), { charts: false, threads: 1 });
    expect(again.worlds.map((world) => world.name)).toEqual(['catalog-30', 'catalog-300']);
    expect(read('whole/worlds/catalog-30', lost.file)).toBe(read('merged/worlds/catalog-30', lost.file));
    expect(read('whole/worlds/catalog-30/summary.json')).toBe(read('merged/worlds/catalog-30/summary.json'));
    expect(read('whole/sweep-summary.json')).toBe(read('merged/sweep-summary.json'));
  }, 60_000);

  it("reports a world variant's bad parameter once, naming the variant, and a malformed sweep by field", async () => {
    const bad = config.replace('catalog: [30, 300]', 'catalog: [30, -1], slateSize: [2]');
    expect(await problems(bad)).toEqual([
      expect.stringMatching(
        /bad\.yaml: world\.params\.catalog: .*-1.* \(world variant catalog--1_slateSize-2, sweep\.world\)$/,
      ),
    ]);
    expect(
      await problems(config.replace('world: { grid: { catalog: [30, 300] } }', 'world: { catalog: [30, 300] }')),
    ).toEqual([expect.stringMatching(/^.*bad\.yaml: sweep\.world: give a grid or a list of variants/)]);
  });
});
