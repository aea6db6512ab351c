import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Registries } from '../../../lab/config/registries.ts';
import { randomPolicy } from '../../../policies/random.ts';
import { validateConfig } from '../../../lab/config/config.ts';
import { program as main } from '../../../cli.ts';
import { formatInterval } from '../../../lab/report/tables.ts';
import { runExperiment } from '../../../lab/run/runner.ts';
import { feed } from '../../../sim/feed/env.ts';

import { capture, configFile, registries, scratch, tinyConfig } from '../outputs-fixture.ts';

describe('episodes cut by evaluation.maxStepsPerEpisode', () => {
  it('are marked in the records and the manifest, and `slatelab run` warns', async () => {
    const out = join(scratch, 'truncated');
    const io = capture();
    // RecSim's users last far more than 3 steps (a 200-minute budget): every episode is cut.
    const code = await main(
      ['run', configFile('cut.json', { maxStepsPerEpisode: 3 }), '--out', out, '--threads', '1'],
      io,
      registries,
    );
    expect(code).toBe(0);
    const records = readFileSync(join(out, 'runs/random/seed-0.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { length: number; truncated?: boolean });
    expect(records.map((r) => [r.length, r.truncated])).toEqual(Array(6).fill([3, true]));
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      runs: { truncatedEpisodes: number }[];
    };
    expect(manifest.runs.map((run) => run.truncatedEpisodes)).toEqual([6, 6]);
    expect(io.err.join('')).toContain(
      'slatelab: warning: 12 episodes were cut at evaluation.maxStepsPerEpisode (3 steps)',
    );
    expect(
      (JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { truncatedEpisodes: number }).truncatedEpisodes,
    ).toBe(12);
    for (const report of ['report.md', 'report.html']) {
      expect(readFileSync(join(out, report), 'utf8')).toContain(
        'Warning: 12 episodes were cut at evaluation.maxStepsPerEpisode',
      );
    }
  });

  it('are not marked when the world ends them', async () => {
    const out = join(scratch, 'whole');
    const io = capture();
    expect(await main(['run', configFile('whole.json'), '--out', out, '--threads', '1'], io, registries)).toBe(0);
    expect(readFileSync(join(out, 'runs/random/seed-0.jsonl'), 'utf8')).not.toContain('truncated');
    expect(readFileSync(join(out, 'report.md'), 'utf8')).not.toContain('Warning');
    expect(io.err.join('')).not.toContain('warning');
  });
});

describe('large runs', () => {
  it('summarise 150,000 episodes of one run (per-episode spreads once overflowed the stack)', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'slatelab-large-'));
    // One step per episode (cut by the safety valve) keeps this quick.
    const config = validateConfig(
      { ...tinyConfig({ episodes: 150_000, batchSize: 1024, maxStepsPerEpisode: 1 }), seeds: [0] },
      'test.json',
      registries,
    );
    const outcome = await runExperiment({ config, outDir, registries, charts: false });
    expect(outcome.failures).toEqual([]);
    expect(outcome.summary.agents.random.episodeLength.mean).toBe(1);
    expect(outcome.truncatedEpisodes).toBe(150_000);
  }, 60_000);
});

describe('daily series', () => {
  it('count a user as active on a day with a request, whatever the reward', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'slatelab-daily-'));
    const withFeed: Registries = { worlds: { feed }, policies: { random: randomPolicy } };
    // Every reward weight 0: no reward at all, yet every user visits on day 0 (the first session).
    const reward = { view: 0, skip: 0, watchMinutes: 0, like: 0, comment: 0, share: 0, follow: 0, seeLess: 0 };
    const config = validateConfig(
      {
        name: 'daily',
        world: { preset: 'feed', params: { reward } },
        seeds: [0, 1],
        agents: [{ name: 'random', kind: 'random' }],
        evaluation: { episodes: 30 },
      },
      'test.json',
      withFeed,
    );
    const { summary } = await runExperiment({ config, outDir, registries: withFeed, charts: false });
    const { reward: perDay, active } = summary.daily.random;
    expect(perDay.every((day) => day.mean === 0)).toBe(true);
    expect(active[0].mean).toBe(1);
    // Later days: some users come back, some do not.
    expect(active.slice(1).some((day) => day.mean > 0 && day.mean < 1)).toBe(true);
    // Exactly the share of users with a request on the day, per seed, then averaged over seeds;
    // users away on a day before their last one (gap days: common) do not count.
    const perSeed = [0, 1].map((seed) =>
      readFileSync(join(outDir, `runs/random/seed-${seed}.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { length: number; dailySteps: number[] }),
    );
    for (const records of perSeed)
      for (const record of records) expect(record.dailySteps.reduce((a, b) => a + b, 0)).toBe(record.length);
    expect(perSeed.flat().some((record) => record.dailySteps.slice(0, -1).includes(0))).toBe(true);
    active.forEach((day, index) => {
      const shares = perSeed.map(
        (records) => records.filter((record) => (record.dailySteps[index] ?? 0) > 0).length / records.length,
      );
      expect(day.mean).toBeCloseTo((shares[0] + shares[1]) / 2, 12);
    });
  });
});

describe('table cells', () => {
  it('show a one-seed metric without an interval, and never "-0"', () => {
    expect(formatInterval({ mean: 39.9, ci95: null, n: 1 })).toBe('39.90 (1 seed)');
    expect(formatInterval({ mean: -0.3, ci95: [-11.3, 10.7], n: 3 })).toBe('0 ± 11');
    expect(formatInterval({ mean: -3, ci95: [-14, 8], n: 3 })).toBe('-3 ± 11');
  });

  it("show rounding noise around an exact 0 (an oracle's regret) as 0", () => {
    expect(formatInterval({ mean: 3e-16, ci95: [-2e-16, 8e-16], n: 8 })).toBe('0');
    expect(formatInterval({ mean: 3e-12, ci95: [-1.6e-12, 7.6e-12], n: 8 })).toBe('0');
    expect(formatInterval({ mean: 2e-7, ci95: [1e-7, 3e-7], n: 8 })).toBe('2.00e-7 ± 1.0e-7');
    // A small but real interval keeps its digits.
    expect(formatInterval({ mean: 0.002, ci95: [0.001, 0.003], n: 8 })).toBe('0.0020 ± 0.0010');
  });
});
