// The shipped bandit experiment (experiments/bandits.yaml), scaled down to fit the test suite:
// 5 seeds, 20,000 training steps per run (the shipped one: 8 seeds, 100,000), 200 evaluation
// users per run. What the README claims of the full experiment must already hold here.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigText, validateConfig } from '../../lab/config/config.ts';
import { runExperiment } from '../../lab/run/runner.ts';
import type { MetricSummary, Summary } from '../../lab/store/summary.ts';
import { pairedDifferences } from '../../eval/stats.ts';

const FILE = new URL('../../experiments/bandits.yaml', import.meta.url);
const raw = parseConfigText(readFileSync(FILE, 'utf8'), 'bandits.yaml') as Record<string, any>;
const scaled = {
  ...raw,
  seeds: 5,
  training: { ...raw.training, steps: 20_000, evalEvery: 5_000, evalEpisodes: 50 },
  evaluation: { ...raw.evaluation, episodes: 200 },
};
const config = validateConfig(scaled, 'bandits.yaml');
const outDir = mkdtempSync(join(tmpdir(), 'slatelab-bandits-'));
const summary: Summary = (await runExperiment({ config, outDir, charts: false, threads: 2 })).summary;

const LEARNERS = ['epsilon-greedy', 'ucb1', 'thompson', 'linucb', 'lin-ts'];
const lowerBound = (m: { ci95: readonly [number, number] | null }) => m.ci95?.[0] ?? Number.NaN;

/** Per-seed return differences a - b over the shared seeds, with their 95% t interval. */
function pairedReturn(a: string, b: string) {
  const bySeed = (m: MetricSummary) => new Map(m.seeds.map((seed, i) => [seed, m.values[i]]));
  return pairedDifferences(bySeed(summary.agents[a].return), bySeed(summary.agents[b].return), summary.seeds);
}

describe('experiments/bandits.yaml (5 seeds, 20,000 training steps)', () => {
  it('runs the agents the issue names', () => {
    expect(config.agents.map((agent) => agent.name)).toEqual(['random', ...LEARNERS, 'oracle']);
    expect(summary.metrics).toContain('regret');
  });

  for (const learner of LEARNERS) {
    it(`${learner} beats random on evaluation return (paired 95% interval above 0)`, () => {
      const paired = summary.paired.agents[learner].return;
      expect(paired.n).toBe(5);
      expect(lowerBound(paired)).toBeGreaterThan(0);
    });
  }

  for (const learner of ['linucb', 'lin-ts']) {
    it(`${learner} has sublinear regret: its second half of training costs under 0.6x the first (95% upper bound)`, () => {
      const ratio = summary.training!.agents[learner].totals!.regretRatio;
      expect(ratio.n).toBe(5);
      expect(ratio.ci95![1]).toBeLessThan(0.6);
    });

    for (const rival of ['ucb1', 'thompson']) {
      it(`${learner} beats ${rival} on evaluation return (paired 95% interval above 0)`, () => {
        expect(lowerBound(pairedReturn(learner, rival))).toBeGreaterThan(0);
      });
    }
  }
});
