// Shards (`run --shard i/n`) and `merge`: the shards of one experiment joined give the same summary
// and reports, byte for byte, as running everything at once.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lab/config/config.ts';
import { MergeError, mergeShards } from '../../../lab/run/merge.ts';
import { runExperiment } from '../../../lab/run/runner.ts';
import { readManifest, writeManifest } from '../../../lab/store/manifest.ts';
import { resumeExperiment } from '../../../lab/run/resume.ts';
import { readTimeline } from '../../../lab/store/timeline.ts';

const scratch = mkdtempSync(join(tmpdir(), 'slatelab-merge-'));
const raw = {
  name: 'sharded',
  world: { preset: 'bandit', params: { catalog: 20, candidates: 5, slateSize: 2, horizon: 6 } },
  seeds: [0, 1, 2],
  agents: [
    { name: 'random', kind: 'random' },
    { name: 'pctr', kind: 'greedy-pctr' },
  ],
  evaluation: { episodes: 20 },
};
const config = validateConfig(raw, 'sharded.yaml');
const run = (name: string, shard?: { index: number; count: number }, from = config) =>
  runExperiment({ config: from, outDir: join(scratch, name), charts: false, threads: 1, shard }).then(() =>
    join(scratch, name),
  );
const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');

describe('shards and merge', () => {
  it('runs each slice once, and the merged shards give the one-machine summary and reports byte for byte', async () => {
    const whole = await run('whole');
    const s0 = await run('s0', { index: 0, count: 2 });
    const s1 = await run('s1', { index: 1, count: 2 });
    const m0 = readManifest(s0);
    const m1 = readManifest(s1);
    expect(m0.shard).toEqual({ index: 0, count: 2 });
    // Runs in config order 0..5, alternating: shard 0 holds 0, 2, 4.
    expect(m0.runs.map((r) => `${r.agent}/${r.seed}`)).toEqual(['random/0', 'random/2', 'pctr/1']);
    expect(m1.runs.map((r) => `${r.agent}/${r.seed}`)).toEqual(['random/1', 'pctr/0', 'pctr/2']);
    expect(m0.complete).toBe(true);
    const merged = join(scratch, 'merged');
    const outcome = await mergeShards([s1, s0], merged, { charts: false });
    expect(outcome.runs).toBe(6);
    expect(outcome.missing).toEqual([]);
    for (const file of ['summary.json', 'summary.csv', 'report.md', 'runs/pctr/seed-1.jsonl'])
      expect(read(merged, file), file).toBe(read(whole, file));
    expect(readManifest(merged).mergedFrom).toEqual([s0, s1]);
    expect(readManifest(merged).complete).toBe(true);
    // Hosts and times: each shard's timeline, listed in the merge's (and never in the manifest).
    const shardTimeline = readTimeline(s0);
    expect(shardTimeline.sessions).toHaveLength(1);
    expect(shardTimeline.sessions[0]).toMatchObject({
      command: 'run',
      host: hostname(),
      runs: 3,
      shard: { index: 0, count: 2 },
    });
    const { started, finished } = shardTimeline.sessions[0];
    expect(Date.parse(finished as string)).toBeGreaterThanOrEqual(Date.parse(started));
    const timeline = readTimeline(merged);
    expect(timeline.sessions.map((s) => [s.command, s.runs])).toEqual([['merge', 6]]);
    expect(timeline.shards?.map((s) => [s.dir, s.index, s.sessions[0].runs])).toEqual([
      [s0, 0, 3],
      [s1, 1, 3],
    ]);
    expect(read(merged, 'manifest.json')).not.toMatch(/\d{4}-\d\d-\d\dT|"host"/);
  }, 60_000);

  it("resumes a shard that lost a run: that run again, none of the other shard's", async () => {
    const dir = await run('s0-resume', { index: 0, count: 2 });
    const before = readManifest(dir);
    // As if pctr seed 1 had not finished: its records gone, the manifest without it.
    rmSync(join(dir, 'runs/pctr/seed-1.jsonl'));
    writeManifest(dir, { ...before, complete: false, runs: before.runs.filter((r) => r.agent !== 'pctr') });
    await resumeExperiment(dir, { charts: false, threads: 1 });
    const after = readManifest(dir);
    expect(after.runs.map((r) => `${r.agent}/${r.seed}`)).toEqual(['random/0', 'random/2', 'pctr/1']);
    expect(after.shard).toEqual({ index: 0, count: 2 });
    expect(read(dir, 'runs/pctr/seed-1.jsonl')).toBe(read(join(scratch, 'whole'), 'runs/pctr/seed-1.jsonl'));
    // The resume's own session, with the one run it finished.
    expect(readTimeline(dir).sessions.map((s) => [s.command, s.runs])).toEqual([
      ['run', 3],
      ['resume', 1],
    ]);
  }, 60_000);

  it("reports a missing shard's runs as missing, and refuses shards of another experiment or a shard given twice", async () => {
    const s0 = join(scratch, 's0');
    const partial = await mergeShards([s0], join(scratch, 'partial'), { charts: false });
    expect(partial.missing.map((r) => `${r.agent}/${r.seed}`)).toEqual(['random/1', 'pctr/0', 'pctr/2']);
    await expect(mergeShards([s0, s0], join(scratch, 'twice'), { charts: false })).rejects.toThrow(
      /shard 0 again .*give each shard once/,
    );
    const other = await run(
      'other',
      { index: 1, count: 2 },
      validateConfig({ ...raw, evaluation: { episodes: 10 } }, 'o.yaml'),
    );
    await expect(mergeShards([s0, other], join(scratch, 'mixed'), { charts: false })).rejects.toThrow(MergeError);
    await expect(mergeShards([join(scratch, 'whole')], join(scratch, 'unsharded'), { charts: false })).rejects.toThrow(
      /not a shard/,
    );
  }, 60_000);
});
