// A world sweep through the command line, in-process: run (and --dry-run), report, resume, and
// merge of its shards with --replace; each prints the sweep's comparison.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimOutDir } from '../../../lab/store/outdir.ts';
import { slatelab } from './in-process.ts';

const home = mkdtempSync(join(tmpdir(), 'slatelab-cli-sweep-'));
const file = join(home, 'worlds.yaml');
writeFileSync(
  file,
  `name: worlds
world: { preset: bandit, params: { catalog: 20, candidates: 5, slateSize: 2, horizon: 6 } }
seeds: 2
agents:
  - { name: random, kind: random }
  - { name: pctr, kind: greedy-pctr }
sweep: { world: { variants: [{ catalog: 20 }, { catalog: 60, candidates: 8 }] } }
evaluation: { episodes: 10 }
`,
);
const at = (...path: string[]) => join(home, ...path);
const read = (...path: string[]) => readFileSync(at(...path), 'utf8');

describe('slatelab run, report, resume and merge of a world sweep', () => {
  it('dry-runs each world and the sweep in all, runs it, and rebuilds and resumes it', async () => {
    const dry = await slatelab(['run', file, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^world catalog-20:\n/);
    expect(dry.stdout).toMatch(/\nworld catalog-60_candidates-8:\n/);
    expect(dry.stdout).toMatch(/\nall 2 worlds:\ncpu: about [\d.e-]+ CPU-hours in all\nwithin an hour: /);

    const ran = await slatelab(['run', file, '--out', at('whole')]);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toMatch(/worlds: a world sweep of 2 worlds, each 2 agents x 2 seeds in bandit \(8 runs\)/);
    expect(ran.stdout).toMatch(/return, by world \(differences from catalog-20 unpaired, Welch\):/);
    expect(ran.stdout).toMatch(/catalog-60_candidates-8 − catalog-20\n/);
    const comparison = read('whole/sweep-report.md');

    // report rebuilds every world and the comparison: the same bytes.
    rmSync(at('whole/sweep-report.md'));
    const rebuilt = await slatelab(['report', at('whole')]);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(read('whole/sweep-report.md')).toBe(comparison);

    // resume starts the world that never started (its directory gone), and the comparison is whole again.
    rmSync(at('whole/worlds/catalog-60_candidates-8'), { recursive: true });
    const resumed = await slatelab(['resume', at('whole')]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/world catalog-60_candidates-8: starting/);
    expect(read('whole/sweep-report.md')).toBe(comparison);
  }, 60_000);

  it('merges its shards, again with --replace, into the one-machine comparison', async () => {
    for (const index of [0, 1]) {
      const shard = await slatelab(['run', file, '--shard', `${index}/2`, '--out', at(`shard-${index}`)]);
      expect(shard.code, shard.stderr).toBe(0);
    }
    const shards = [at('shard-0'), at('shard-1')];
    const merged = await slatelab(['merge', ...shards, '--out', at('merged')]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toMatch(/merged: .*merged \(a world sweep, 8 runs;/);
    expect(read('merged/sweep-report.md')).toBe(read('whole/sweep-report.md'));
    const again = await slatelab(['merge', ...shards, '--out', at('merged'), '--replace']);
    expect(again.code, again.stderr).toBe(0);
    expect(read('merged/sweep-summary.json')).toBe(read('whole/sweep-summary.json'));
    // A merge stopped before its manifest (only its claim and some copied records) is replaced too.
    const stopped = at('stopped');
    claimOutDir(stopped);
    writeFileSync(join(stopped, 'stray.jsonl'), '');
    const plain = await slatelab(['merge', ...shards, '--out', stopped, '--replace']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(read('stopped/sweep-summary.json')).toBe(read('whole/sweep-summary.json'));
    // Once resume has made results no shard holds, the sweep is no longer a merge's to replace.
    rmSync(at('merged/worlds/catalog-20'), { recursive: true });
    const resumed = await slatelab(['resume', at('merged')]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const refused = await slatelab(['merge', ...shards, '--out', at('merged'), '--replace']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--replace .*merged: not an earlier merge's results/);
    expect(read('merged/worlds/catalog-20/summary.json')).toBe(read('whole/worlds/catalog-20/summary.json'));
    // One shard: the other's runs are missing (exit 1), and the comparison covers what there is.
    const partial = await slatelab(['merge', at('shard-0'), at('never-ran'), '--out', at('partial')]);
    expect(partial.code).toBe(1);
    expect(partial.stderr).toMatch(/4 runs are missing: resume or rerun their shard, then merge again/);
  }, 60_000);
});
