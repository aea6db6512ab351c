// The world's run metrics through the lab (the feed's ecosystem metrics): each run records them in
// its own file, the summary and reports give them per agent with 95% intervals over seeds and as
// paired differences, and a resumed or rebuilt experiment has the same bytes. An experiment
// recorded before they existed reports and resumes without them: absent, not 0.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { summarize } from '../../../eval/stats.ts';
import { validateConfig } from '../../../lab/config/config.ts';
import type { Registries } from '../../../lab/config/registries.ts';
import { compareExperiments } from '../../../lab/report/compare.ts';
import { rebuildReports } from '../../../lab/report/rebuild.ts';
import { resumeExperiment } from '../../../lab/run/resume.ts';
import { runExperiment } from '../../../lab/run/runner.ts';
import type { Summary } from '../../../lab/store/summary.ts';
import { policies } from '../../../policies/index.ts';
import { ECOSYSTEM_METRICS } from '../../../sim/feed/ecosystem.ts';
import { FEED_METRICS, feed } from '../../../sim/feed/env.ts';

// Injected registries: the runs go in-process, one after another (about a second in all).
const registries: Registries = { worlds: { feed }, policies };
const scratch = mkdtempSync(join(tmpdir(), 'slatelab-run-metrics-'));
const full = join(scratch, 'full');
const SEEDS = [0, 1, 2];

beforeAll(async () => {
  const config = validateConfig(
    {
      name: 'run-metrics',
      world: { preset: 'feed', params: { horizonDays: 2, creators: 80, posts: 1500 } },
      seeds: SEEDS,
      agents: [
        { name: 'random', kind: 'random' },
        { name: 'popular', kind: 'popular' },
      ],
      evaluation: { episodes: 20, batchSize: 8 },
    },
    'run-metrics.yaml',
    registries,
  );
  await runExperiment({ config, outDir: full, registries, charts: false });
}, 60_000);

const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');
const summaryOf = (dir: string) => JSON.parse(read(dir, 'summary.json')) as Summary;
const manifestOf = (dir: string) => JSON.parse(read(dir, 'manifest.json')) as Record<string, any>;

/** Every file under dir but the manifest (which records what ran it), by relative path. */
function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name).slice(dir.length + 1);
    if (entry.isFile() && !['manifest.json', 'timeline.json'].includes(path))
      out[path] = readFileSync(join(dir, path), 'utf8');
  }
  return out;
}

/** A copy of the experiment with the manifest edited (and whatever `edit` removes). */
function copyOf(name: string, edit: (dir: string, manifest: Record<string, any>) => void): string {
  const dir = join(scratch, name);
  cpSync(full, dir, { recursive: true });
  const manifest = manifestOf(dir);
  edit(dir, manifest);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return dir;
}

/** Drops the run of (agent, seed) from the manifest and its files from the directory, as if it never finished. */
function dropRun(dir: string, manifest: Record<string, any>, agent: string, seed: number): void {
  const run = manifest.runs.find((r: { agent: string; seed: number }) => r.agent === agent && r.seed === seed);
  for (const file of [run.file, run.runMetricsFile]) rmSync(join(dir, file));
  manifest.runs = manifest.runs.filter((r: unknown) => r !== run);
  manifest.complete = false;
}

/** What an experiment recorded before run metrics existed looks like: no run-metrics files, none in the manifest. */
function withoutRunMetrics(dir: string, manifest: Record<string, any>): void {
  for (const run of manifest.runs) {
    rmSync(join(dir, run.runMetricsFile));
    delete run.runMetricsFile;
  }
}

describe("the world's run metrics in an experiment's results", () => {
  it('are recorded per run in its own file, listed in the manifest', () => {
    for (const run of manifestOf(full).runs) {
      expect(run.runMetricsFile).toBe(`runs/${run.agent}/seed-${run.seed}.run-metrics.json`);
      expect(Object.keys(JSON.parse(read(full, run.runMetricsFile)))).toEqual(ECOSYSTEM_METRICS);
    }
  });

  it('are summarised over seeds like every other metric, apart from the per-episode ones, with paired differences', () => {
    const summary = summaryOf(full);
    expect(summary.metrics).toEqual(['return', 'episodeLength', 'clicks', ...FEED_METRICS]);
    expect(summary.runMetrics).toEqual(ECOSYSTEM_METRICS);
    const perSeed = (agent: string, metric: string) =>
      SEEDS.map((seed) => JSON.parse(read(full, `runs/${agent}/seed-${seed}.run-metrics.json`))[metric] as number);
    for (const agent of ['random', 'popular']) {
      for (const metric of ECOSYSTEM_METRICS) {
        const values = perSeed(agent, metric);
        const { mean, ci95, n, sd } = summarize(values);
        expect(summary.agents[agent][metric], `${agent} ${metric}`).toEqual({
          mean,
          ci95,
          n,
          values,
          sd,
          seeds: SEEDS,
        });
        expect(n).toBe(3);
      }
    }
    for (const metric of ECOSYSTEM_METRICS) {
      const random = perSeed('random', metric);
      expect(summary.paired.agents.popular[metric].values).toEqual(
        perSeed('popular', metric).map((x, i) => x - random[i]),
      );
      expect(summary.metricDocs[metric]).toBeTruthy();
    }
    const csv = read(full, 'summary.csv');
    for (const metric of ECOSYSTEM_METRICS)
      expect(csv).toContain(`\npopular,${metric},${summary.agents.popular[metric].mean},`);
  });

  it('have their own tables in report.md and report.html, beside the results and the paired differences', () => {
    const markdown = read(full, 'report.md');
    const header = `| agent | ${ECOSYSTEM_METRICS.join(' | ')} |`;
    const section = markdown.slice(markdown.indexOf('## Run metrics'), markdown.indexOf('## Paired differences'));
    expect(section).toContain(header);
    expect(section).toMatch(/\n\| popular \| 0\.\d+ ± 0\.\d+ \|/);
    expect(section).toContain('- `creatorGini`: Gini coefficient');
    const paired = markdown.slice(markdown.indexOf('## Paired differences'));
    expect(paired).toContain(`Run metrics:\n\n${header}`);
    const html = read(full, 'report.html');
    expect(html).toContain('<a href="#run-metrics">Run metrics</a>');
    expect(html).toContain('<h2 id="run-metrics">Run metrics</h2>');
    expect(html).toContain('aria-label="paired differences of the run metrics against random"');
  });

  it('come back byte for byte when a stopped or damaged experiment is resumed, and when the reports are rebuilt', async () => {
    const stopped = copyOf('stopped', (dir, manifest) => {
      dropRun(dir, manifest, 'popular', 1);
      // A run whose run-metrics file went missing since (its records kept) runs again too.
      rmSync(join(dir, 'runs/random/seed-2.run-metrics.json'));
    });
    await resumeExperiment(stopped, { registries, charts: false });
    expect(files(stopped)).toEqual(files(full));
    const rebuilt = copyOf('rebuilt', (dir) => {
      for (const file of ['summary.json', 'summary.csv', 'report.md', 'report.html']) rmSync(join(dir, file));
    });
    await rebuildReports(rebuilt, { registries, charts: false });
    expect(files(rebuilt)).toEqual(files(full));
  });
});

describe('an experiment recorded before run metrics existed', () => {
  it('reports as it did: every other figure the same, no run metrics anywhere', async () => {
    const old = copyOf('old', withoutRunMetrics);
    await rebuildReports(old, { registries, charts: false });
    const summary = summaryOf(old);
    expect(summary).not.toHaveProperty('runMetrics');
    // The full summary less its run metrics is the old one, key for key.
    const expected = summaryOf(full) as any;
    delete expected.runMetrics;
    for (const metric of ECOSYSTEM_METRICS) {
      delete expected.metricDocs[metric];
      for (const agent of ['random', 'popular']) delete expected.agents[agent][metric];
      delete expected.paired.agents.popular[metric];
    }
    expect(read(old, 'summary.json')).toBe(`${JSON.stringify(expected, null, 2)}\n`);
    expect(read(old, 'summary.csv')).not.toContain('postCoverage');
    expect(read(old, 'report.md')).not.toContain('Run metrics');
    expect(read(old, 'report.html')).not.toContain('id="run-metrics"');
    const comparison = compareExperiments(old, full);
    expect(comparison.metricsOnlyIn.b).toEqual(ECOSYSTEM_METRICS);
    expect(comparison.metrics).toEqual(summary.metrics);
  });

  it('resumes: the runs made now have run metrics, the older ones none (left out, not counted as 0)', async () => {
    const old = copyOf('old-stopped', (dir, manifest) => {
      withoutRunMetrics(dir, manifest);
      const run = manifest.runs.find((r: { agent: string; seed: number }) => r.agent === 'popular' && r.seed === 1);
      rmSync(join(dir, run.file));
      manifest.runs = manifest.runs.filter((r: unknown) => r !== run);
      manifest.complete = false;
    });
    await resumeExperiment(old, { registries, charts: false });
    expect(existsSync(join(old, 'runs/popular/seed-1.run-metrics.json'))).toBe(true);
    expect(existsSync(join(old, 'runs/popular/seed-0.run-metrics.json'))).toBe(false);
    const summary = summaryOf(old);
    const fullSummary = summaryOf(full);
    expect(summary.runMetrics).toEqual(ECOSYSTEM_METRICS);
    for (const metric of ECOSYSTEM_METRICS) {
      const popular = summary.agents.popular[metric];
      expect(popular).toMatchObject({ n: 1, seeds: [1], values: [fullSummary.agents.popular[metric].values[1]] });
      expect(summary.agents.random[metric]).toMatchObject({ n: 0, seeds: [], values: [] });
      expect(summary.paired.agents.popular[metric]).toMatchObject({ n: 0, values: [] });
    }
    expect(read(old, 'report.md')).toMatch(/\n\| random \| — \| — \| — \| — \| — \| — \|\n/);
    // The per-episode metrics are the full experiment's.
    for (const metric of summary.metrics)
      expect(summary.agents.popular[metric]).toEqual(fullSummary.agents.popular[metric]);
  });
});
