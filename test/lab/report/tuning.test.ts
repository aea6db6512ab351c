// Tuning apart from reporting: the choice uses the tuning seeds only, and the summary reports the
// chosen variant on the other seeds only; sharded and merged, the same bytes.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ExperimentConfig, validateConfig } from '../../../lab/config/config.ts';
import { chooseVariants, reportingConfig } from '../../../lab/report/tuning.ts';
import { mergeShards } from '../../../lab/run/merge.ts';
import { runExperiment } from '../../../lab/run/runner.ts';
import type { RunMeans, Summary } from '../../../lab/store/summary.ts';
import { parseEpisodeJsonl } from '../../../lab/store/run-records.ts';

const world = { preset: 'bandit', params: { catalog: 30, candidates: 6, slateSize: 2, horizon: 8 } };
const raw = {
  name: 'tuned',
  world,
  seeds: 3,
  agents: [
    { name: 'random', kind: 'random' },
    { name: 'eg', kind: 'epsilon-greedy' },
  ],
  sweep: { agents: { eg: { grid: { epsilon: [1, 0.02, 0.3] } } } },
  tuning: { seeds: 2 },
  training: { steps: 1500, batchSize: 32, evalEvery: 1500, evalEpisodes: 10 },
  evaluation: { episodes: 40 },
};
const config = validateConfig(raw, 'tuned.yaml');

/** runMeans from a table of return by agent and seed. */
function means(table: Record<string, Record<number, number>>): RunMeans {
  return new Map(
    Object.entries(table).map(([agent, bySeed]) => [
      agent,
      new Map(Object.entries(bySeed).map(([seed, value]) => [Number(seed), { return: value, regret: -value }])),
    ]),
  );
}

describe('choosing variants on the tuning seeds', () => {
  const names = config.agents.map((agent) => agent.name);

  it('picks the best mean on the tuning seeds, whatever the reporting seeds say, with a paired margin over the runner-up', () => {
    expect(names).toEqual(['random', 'eg_epsilon-1', 'eg_epsilon-0.02', 'eg_epsilon-0.3']);
    expect(config.seeds).toEqual([0, 1, 2, 3, 4]);
    // eg_epsilon-1 is best on the reporting seeds 0-2, eg_epsilon-0.3 on the tuning seeds 3-4.
    const runMeans = means({
      random: { 0: 1, 1: 1, 2: 1, 3: 1, 4: 1 },
      'eg_epsilon-1': { 0: 9, 1: 9, 2: 9, 3: 2, 4: 2 },
      'eg_epsilon-0.02': { 0: 1, 1: 1, 2: 1, 3: 3, 4: 4 },
      'eg_epsilon-0.3': { 0: 1, 1: 1, 2: 1, 3: 5, 4: 5 },
    });
    const tuning = chooseVariants(config, runMeans)!;
    expect(tuning.agents.eg.winner).toBe('eg_epsilon-0.3');
    expect(tuning.agents.eg.variants.map((v) => v.mean)).toEqual([2, 3.5, 5]);
    expect(tuning.agents.eg.margin?.over).toBe('eg_epsilon-0.02');
    expect(tuning.agents.eg.margin?.mean).toBeCloseTo(1.5, 12);
    const shown = reportingConfig(config, tuning);
    expect(shown.seeds).toEqual([0, 1, 2]);
    expect(shown.agents.map((agent) => agent.name)).toEqual(['random', 'eg_epsilon-0.3']);
    // Lower is better: the smallest regret (the largest return here) wins too.
    const lower: ExperimentConfig = { ...config, tuning: { ...config.tuning!, metric: 'regret', better: 'lower' } };
    expect(chooseVariants(lower, runMeans)?.agents.eg.winner).toBe('eg_epsilon-0.3');
  });

  it('compares variants on the tuning seeds they all finished; with none, no choice, and every variant is shown', () => {
    const partial = means({
      random: { 0: 1, 3: 1, 4: 1 },
      'eg_epsilon-1': { 3: 9, 4: 1 },
      'eg_epsilon-0.02': { 3: 8, 4: 0 },
      // Seed 3 failed: its best seed would otherwise lift it above the others.
      'eg_epsilon-0.3': { 4: 7 },
    });
    const tuning = chooseVariants(config, partial)!;
    expect(tuning.agents.eg.seeds).toEqual([4]);
    expect(tuning.agents.eg.winner).toBe('eg_epsilon-0.3');
    // A variant that failed on every tuning seed is out of the choice; the others are still compared.
    const failed = chooseVariants(config, means({ 'eg_epsilon-1': { 3: 2, 4: 2 }, 'eg_epsilon-0.3': { 3: 4, 4: 1 } }))!;
    expect(failed.agents.eg.winner).toBe('eg_epsilon-0.3');
    expect(failed.agents.eg.seeds).toEqual([3, 4]);
    expect(failed.agents.eg.variants.map((v) => v.mean)).toEqual([2, null, 2.5]);
    const none = chooseVariants(
      config,
      means({ random: { 3: 1 }, 'eg_epsilon-1': { 3: 1 }, 'eg_epsilon-0.3': { 4: 1 } }),
    )!;
    expect(none.agents.eg.winner).toBeNull();
    expect(reportingConfig(config, none).agents.map((agent) => agent.name)).toEqual(names);
  });
});

describe('a tuned experiment', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'slatelab-tuning-'));
  const run = (name: string, shard?: { index: number; count: number }) =>
    runExperiment({ config, outDir: join(scratch, name), charts: false, threads: 1, shard }).then(() =>
      join(scratch, name),
    );

  it('reports the variant that wins on the tuning seeds, on the reporting seeds only; shards merge to the same bytes', async () => {
    const whole = await run('whole');
    const summary = JSON.parse(readFileSync(join(whole, 'summary.json'), 'utf8')) as Summary;
    // The choice, recomputed from the records themselves: mean return on seeds 3 and 4.
    const returnOf = (agent: string, seed: number) => {
      const text = readFileSync(join(whole, `runs/${agent}/seed-${seed}.jsonl`), 'utf8');
      const records = parseEpisodeJsonl(
        text,
        { signalNames: [], episodeMetricNames: ['regret', 'optimalReturn'], clock: false },
        'x',
      );
      return records.reduce((sum, record) => sum + record.return, 0) / records.length;
    };
    const variants = ['eg_epsilon-1', 'eg_epsilon-0.02', 'eg_epsilon-0.3'];
    const tuningMeans = variants.map((agent) => (returnOf(agent, 3) + returnOf(agent, 4)) / 2);
    const best = variants[tuningMeans.indexOf(Math.max(...tuningMeans))];
    expect(summary.tuning?.agents.eg.winner).toBe(best);
    expect(summary.tuning?.agents.eg.variants.map((v) => v.mean)).toEqual(tuningMeans.map((m) => expect.closeTo(m, 9)));
    // The tables: the fixed agent and the winner, on seeds 0-2 only.
    expect(summary.seeds).toEqual([0, 1, 2]);
    expect(Object.keys(summary.agents)).toEqual(['random', best]);
    expect(summary.agents[best].return.seeds).toEqual([0, 1, 2]);
    expect(summary.agents[best].return.mean).toBeCloseTo(
      (returnOf(best, 0) + returnOf(best, 1) + returnOf(best, 2)) / 3,
      9,
    );
    const report = readFileSync(join(whole, 'report.md'), 'utf8');
    expect(report).toContain('## Tuning');
    expect(readFileSync(join(whole, 'report.html'), 'utf8')).toMatch(
      /<h2 id="tuning">Tuning<\/h2>[\s\S]*eg: eg_epsilon-/,
    );
    expect(report).toMatch(
      new RegExp(
        `eg: ${best.replace('.', '\\.')} won by [+-]?[\\d.]+ ± [\\d.]+ over eg_epsilon-[\\d.]+ \\(paired, 2 seeds\\)`,
      ),
    );

    const shards = [
      await run('s0', { index: 0, count: 3 }),
      await run('s1', { index: 1, count: 3 }),
      await run('s2', { index: 2, count: 3 }),
    ];
    const merged = join(scratch, 'merged');
    await mergeShards(shards, merged, { charts: false });
    for (const file of ['summary.json', 'summary.csv', 'report.md'])
      expect(readFileSync(join(merged, file), 'utf8'), file).toBe(readFileSync(join(whole, file), 'utf8'));
  }, 120_000);
});
