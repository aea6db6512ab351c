import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lab/config/config.ts';
import type { Registries } from '../../../lab/config/registries.ts';
import { runEpisodes } from '../../../lab/loop/rollout.ts';
import type { Summary } from '../../../lab/store/summary.ts';
import { runExperiment } from '../../../lab/run/runner.ts';
import { program as main } from '../../../cli.ts';
import { definePolicy } from '../../../policies/policy.ts';
import { randomPolicy } from '../../../policies/random.ts';
import { feed } from '../../../sim/feed/env.ts';
import { bandit } from '../../../sim/presets/bandit.ts';
import { recsimInterestEvolution } from '../../../sim/presets/recsim-interest-evolution.ts';

/** Always shows the first K candidates: deterministic, draws nothing. */
const firstK = definePolicy({
  name: 'first-k',
  summary: 'test: candidates 0..K-1',
  params: {},
  create: (_values, { spec }) => ({
    act(_observation, _rowRngs, slates) {
      for (let i = 0; i < slates.length; i++) slates[i] = i % spec.slateSize;
    },
  }),
});

/** Like random, but its second instance (the second seed of its agent) throws mid-run. */
function throwingOnSecondRun() {
  let created = 0;
  return definePolicy({
    name: 'flaky',
    summary: 'test: fails on its second run',
    params: {},
    create: (values, context) => {
      created++;
      const inner = randomPolicy.create(values, context);
      if (created !== 2) return inner;
      let steps = 0;
      return {
        act(observation, rowRngs, slates) {
          if (++steps > 10) throw new Error('flaky policy gave up');
          inner.act(observation, rowRngs, slates);
        },
      };
    },
    evaluationOnly: false,
  });
}

const registries = (): Registries => ({
  worlds: { 'recsim-interest-evolution': recsimInterestEvolution },
  policies: { random: randomPolicy, 'first-k': firstK, flaky: throwingOnSecondRun() },
});

const rawConfig = (
  batchSize: number,
  agents = [
    { name: 'random', kind: 'random' },
    { name: 'first', kind: 'first-k' },
  ],
) => ({
  name: 'runner-test',
  world: { preset: 'recsim-interest-evolution', params: { candidates: 10, slateSize: 2 } },
  seeds: [3, 1, 2],
  agents,
  evaluation: { episodes: 40, batchSize },
});

async function run(batchSize: number, reg = registries(), agents?: { name: string; kind: string }[], charts = false) {
  const outDir = mkdtempSync(join(tmpdir(), 'slatelab-run-'));
  const config = validateConfig(rawConfig(batchSize, agents), 'test.yaml', reg);
  const lines: string[] = [];
  const outcome = await runExperiment({
    config,
    outDir,
    registries: reg,
    charts,
    progress: { line: (text) => lines.push(text) },
  });
  return { outDir, outcome, lines, read: (file: string) => readFileSync(join(outDir, file), 'utf8') };
}

const jsonl = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, number>);

const outputRun = await run(8, registries(), undefined, true);

describe('runner: the output directory', () => {
  const { outDir, outcome, lines, read } = outputRun;
  const summary = JSON.parse(read('summary.json')) as Summary;

  it('refuses a library caller an outDir that holds files, and makes a new one with its parents', async () => {
    const reg = registries();
    const config = validateConfig(rawConfig(8), 'test.yaml', reg);
    // The finished experiment's directory: running again into it would mix two experiments' files.
    await expect(runExperiment({ config, outDir, registries: reg, charts: false })).rejects.toMatchObject({
      name: 'OutDirError',
    });
    await expect(runExperiment({ config, outDir, registries: reg, charts: false })).rejects.toThrow(
      `outDir ${outDir}: already holds files (an earlier run's results?); name a new or empty directory (slatelab never writes over results)`,
    );
    expect(read('summary.json')).toBe(`${JSON.stringify(summary, null, 2)}\n`);
    const fresh = join(mkdtempSync(join(tmpdir(), 'slatelab-run-')), 'a', 'b');
    const second = await runExperiment({ config, outDir: fresh, registries: reg, charts: false });
    expect(second.summary).toEqual(summary);
  });

  it('writes manifest, summary (json and csv), report and one JSONL per (agent, seed)', () => {
    for (const file of [
      'manifest.json',
      'summary.json',
      'summary.csv',
      'report.md',
      'report.html',
      'charts/compare-return.svg',
      'charts/compare-return.png',
    ]) {
      expect(existsSync(join(outDir, file))).toBe(true);
    }
    for (const agent of ['random', 'first']) {
      for (const seed of [3, 1, 2]) expect(jsonl(read(`runs/${agent}/seed-${seed}.jsonl`))).toHaveLength(40);
    }
    expect(readFileSync(join(outDir, 'runs/random/seed-3.jsonl'), 'utf8').split('\n')[0]).toMatch(
      /^\{"episode":0,"return":[\d.]+,"length":\d+,"clicks":\d+,"impressions":\d+,"signals":\{"click":\d+,"watchMinutes":[\d.]+\},"clickRate":[\d.]+,"meanClickedQuality":-?[\d.]+\}$/,
    );
    expect(outcome.failures).toEqual([]);
    expect(lines).toHaveLength(6); // one progress line per run when there is no terminal
  });

  it('records count the whole slate as impressions in RecSim (K per step), and the signals summed over them', () => {
    for (const agent of ['random', 'first']) {
      for (const seed of [3, 1, 2]) {
        for (const line of read(`runs/${agent}/seed-${seed}.jsonl`).trim().split('\n')) {
          const record = JSON.parse(line) as {
            length: number;
            clicks: number;
            impressions: number;
            signals: Record<string, number>;
          };
          expect(record.impressions).toBe(record.length * 2); // slateSize 2
          expect(Object.keys(record.signals)).toEqual(['click', 'watchMinutes']);
          expect(record.signals.click).toBe(record.clicks);
        }
      }
    }
  });

  it('summary.json has the documented shape: agents -> metric -> {mean, ci95, n, values}', () => {
    expect(summary.name).toBe('runner-test');
    expect(summary.world).toBe('recsim-interest-evolution');
    expect(Object.keys(summary.agents)).toEqual(['random', 'first']);
    expect(summary.metrics).toEqual(['return', 'episodeLength', 'clicks', 'clickRate', 'meanClickedQuality']);
    for (const agent of Object.values(summary.agents)) {
      for (const metric of summary.metrics) {
        const m = agent[metric];
        expect(m.n).toBe(3);
        expect(m.values).toHaveLength(3);
        expect(m.ci95).toHaveLength(2);
        // the interval brackets the mean
        expect(m.ci95![0]).toBeLessThanOrEqual(m.mean);
        expect(m.ci95![1]).toBeGreaterThanOrEqual(m.mean);
      }
    }
    expect(summary.paired.baseline).toBe('random');
    expect(Object.keys(summary.paired.agents)).toEqual(['first']);
  });

  it('values are the per-seed means over episodes, in seed order', () => {
    const seeds = [3, 1, 2];
    for (const agent of ['random', 'first']) {
      const expected = seeds.map((seed) => {
        const records = jsonl(read(`runs/${agent}/seed-${seed}.jsonl`));
        let total = 0;
        for (const record of records) total += record.return;
        return total / records.length;
      });
      expect(summary.agents[agent].return.values).toEqual(expected);
      expect(summary.agents[agent].return.seeds).toEqual(seeds);
    }
  });

  it('paired values are per-seed differences against the first agent', () => {
    const first = summary.agents.first.clicks.values;
    const random = summary.agents.random.clicks.values;
    expect(summary.paired.agents.first.clicks.values).toEqual(first.map((v, i) => v - random[i]));
  });

  it('summary.csv has one row per agent and metric', () => {
    const rows = read('summary.csv').trim().split('\n');
    expect(rows[0]).toBe('agent,metric,mean,ci95_lo,ci95_hi,n');
    expect(rows).toHaveLength(1 + 2 * 5); // 2 agents x 5 metrics
    const [agent, metric, mean, lo, hi, n] = rows[1].split(',');
    expect([agent, metric, n]).toEqual(['random', 'return', '3']);
    expect(Number(mean)).toBe(summary.agents.random.return.mean);
    expect([Number(lo), Number(hi)]).toEqual(summary.agents.random.return.ci95);
  });

  it('manifest.json holds the resolved config, seeds and versions, and no timestamps', () => {
    const manifest = JSON.parse(read('manifest.json')) as Record<string, unknown>;
    expect((manifest.config as { world: { params: Record<string, unknown> } }).world.params.timeBudget).toBe(200);
    expect(manifest.seeds).toEqual([3, 1, 2]);
    expect(manifest.node).toBe(process.version);
    expect(manifest.slatelab).toMatch(/^\d+\.\d+\.\d+/);
    expect((manifest.dependencies as Record<string, string>).yaml).toMatch(/^\d+\./);
    expect('gitCommit' in manifest).toBe(true);
    expect(manifest.failures).toEqual([]);
    expect(read('manifest.json')).not.toMatch(/20\d\d-\d\d-\d\dT/);
  });

  it('report.html is one offline page: the tables, and charts drawn by vega inlined in it; nothing else', () => {
    const html = read('report.html');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<td class="name">random</td>');
    // compare-return, -clicks, -episodeLength (one day: no over-time charts)
    expect(html.match(/<figure id="[^"]*" data-chart=/g)).toHaveLength(3);
    expect(html).not.toMatch(/<script[^>]* src=|<link |<img |<iframe /);
    expect(html.match(/<script[ >]/g)).toHaveLength(3); // the charts' specs, vega, the page's own
    // Outside vega's code (which names SVG's namespace), the page names no address.
    expect(html.replace(/<script>[\s\S]*?<\/script>/g, '')).not.toMatch(/https?:\/\//);
    expect(read('report.md')).toContain('![return by agent](charts/compare-return.png)');
  });

  it('report.md and report.html say what each metric means', () => {
    for (const report of ['report.md', 'report.html']) {
      const text = read(report);
      expect(text).toContain('Metrics (per episode, then averaged):');
      expect(text).toContain('minutes watched per episode');
      expect(text).toContain('mean quality of the clicked videos');
    }
  });

  it('report.md tables every agent and metric as mean ± half-width', () => {
    const report = read('report.md');
    expect(report).toContain('| agent | return | episodeLength | clicks |');
    expect(report).toMatch(/\| random \| [\d.]+ ± [\d.]+ \|/);
    expect(report).toContain('## Paired differences against random');
  });
});

describe('runner: reproducibility', () => {
  it('gives byte-identical summary.json and episode records for the same config and seed, whatever the batch size', async () => {
    const a = await run(1);
    const b = await run(5);
    const c = await run(5);
    expect(b.read('summary.json')).toBe(a.read('summary.json'));
    expect(c.read('summary.json')).toBe(b.read('summary.json'));
    expect(b.read('runs/random/seed-1.jsonl')).toBe(a.read('runs/random/seed-1.jsonl'));
    expect(b.read('summary.csv')).toBe(a.read('summary.csv'));
  });
});

describe('runner: reproducibility with the registered worlds and policies', () => {
  it('gives byte-identical summary.json in the feed world for batch sizes 1 and 7, and 1 or 2 worker threads', async () => {
    const summaryFor = async (batchSize: number, threads: number) => {
      const outDir = mkdtempSync(join(tmpdir(), 'slatelab-feed-'));
      const raw = {
        name: 'feed-batch',
        world: { preset: 'feed' },
        seeds: 2,
        agents: [
          { name: 'random', kind: 'random' },
          { name: 'greedy', kind: 'greedy-pctr' },
          { name: 'oracle', kind: 'oracle-quality' },
        ],
        evaluation: { episodes: 30, batchSize },
      };
      await runExperiment({ config: validateConfig(raw, 'feed.yaml'), outDir, threads, charts: false });
      return readFileSync(join(outDir, 'summary.json'), 'utf8');
    };
    expect(await summaryFor(7, 2)).toBe(await summaryFor(1, 1));
  });
});

describe('runner: impressions and signals in the records', () => {
  type Line = {
    episode: number;
    length: number;
    impressions: number;
    signals: Record<string, number>;
    dailyReturn?: number[];
    dailySteps?: number[];
  };
  const worlds: Registries = { worlds: { feed, bandit }, policies: { random: randomPolicy } };
  async function runWorld(preset: 'feed' | 'bandit', params: Record<string, unknown>, episodes: number) {
    const outDir = mkdtempSync(join(tmpdir(), `slatelab-${preset}-`));
    const config = validateConfig(
      {
        name: 'records',
        world: { preset, params },
        seeds: [5],
        agents: [{ name: 'random', kind: 'random' }],
        evaluation: { episodes, batchSize: 4 },
      },
      'test.json',
      worlds,
    );
    await runExperiment({ config, outDir, registries: worlds, charts: false });
    const lines = readFileSync(join(outDir, 'runs/random/seed-5.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Line);
    return { config, lines };
  }

  it('carry the impressions and per-signal totals the loop saw in the feed', async () => {
    const params = { horizonDays: 3 };
    const { config, lines } = await runWorld('feed', params, 12);
    // The same users and policy, one row at a time: sum each episode's step results independently.
    const env = feed.create(config.world.params as Parameters<typeof feed.create>[0], {
      seed: { experiment: config.seed, run: 5 },
      batchSize: 1,
    });
    const names = env.spec.signalNames;
    const seen: { impressions: number; signals: number[] }[] = [];
    let impressions = 0;
    let totals = names.map(() => 0);
    runEpisodes(
      env,
      randomPolicy.create(config.agents[0].params as Parameters<typeof randomPolicy.create>[0], { spec: env.spec }),
      {
        episodes: 12,
        seed: { experiment: config.seed, run: 5 },
        streamKey: config.agents[0].streamKey,
        maxStepsPerEpisode: config.evaluation.maxStepsPerEpisode,
        onStep: (result) => {
          impressions += result.impressions[0];
          for (let slot = 0; slot < env.spec.slateSize; slot++) {
            for (let s = 0; s < names.length; s++) totals[s] += result.signals[slot * names.length + s];
          }
        },
        onEpisode: () => {
          seen.push({ impressions, signals: totals });
          impressions = 0;
          totals = names.map(() => 0);
        },
      },
    );
    expect(lines).toHaveLength(12);
    lines.forEach((line, episode) => {
      expect(line.episode).toBe(episode);
      expect(line.impressions).toBe(seen[episode].impressions);
      expect(Object.keys(line.signals)).toEqual([...names]);
      names.forEach((name, s) => {
        expect(line.signals[name]).toBeCloseTo(seen[episode].signals[s], 6);
      });
      // A page shows at least one post, and every post shown is either viewed or skipped.
      expect(line.impressions).toBeGreaterThanOrEqual(line.length);
      expect(line.signals.view + line.signals.skip).toBe(line.impressions);
    });
    // Users leave pages early: not every slot of every page is shown.
    expect(lines.some((line) => line.impressions < line.length * env.spec.slateSize)).toBe(true);
  }, 60_000);

  it('keep the per-day figures of a one-day feed episode, and a world without a clock has none', async () => {
    const oneDay = await runWorld('feed', { horizonDays: 1 }, 8);
    for (const line of oneDay.lines) {
      expect(line.dailyReturn).toHaveLength(1);
      expect(line.dailySteps).toEqual([line.length]);
    }
    const { lines } = await runWorld('bandit', { horizon: 5 }, 8);
    for (const line of lines) {
      expect(line).not.toHaveProperty('dailyReturn');
      expect(line).not.toHaveProperty('dailySteps');
      expect(line.impressions).toBe(line.length * 3); // the bandit shows its whole slate (K = 3)
    }
  }, 60_000);
});

const failingRun = await run(4, registries(), [
  { name: 'random', kind: 'random' },
  { name: 'flaky', kind: 'flaky' },
]);

describe('runner: a failing run', () => {
  const { outcome, read, lines } = failingRun;

  it('is recorded in the manifest and on the progress stream, and the others still finish', () => {
    expect(outcome.failures).toEqual([{ agent: 'flaky', seed: 1, error: 'flaky policy gave up' }]);
    const manifest = JSON.parse(read('manifest.json')) as { failures: unknown[] };
    expect(manifest.failures).toEqual(outcome.failures);
    expect(lines.filter((line) => line.includes('FAILED'))).toEqual([
      '[5/6] flaky seed 1: FAILED: flaky policy gave up',
    ]);
  });

  it('does not lose the finished runs: their records and summary remain', () => {
    const summary = JSON.parse(read('summary.json')) as Summary;
    expect(summary.agents.random.return.n).toBe(3);
    expect(summary.agents.flaky.return.n).toBe(2);
    expect(summary.agents.flaky.return.seeds).toEqual([3, 2]);
    expect(summary.paired.agents.flaky.return.seeds).toEqual([3, 2]);
    expect(jsonl(read('runs/flaky/seed-2.jsonl'))).toHaveLength(40);
    expect(() => read('runs/flaky/seed-1.jsonl')).toThrow();
    expect(read('report.md')).toContain('## Runs that did not finish\n\n- flaky, seed 1: flaky policy gave up');
  });

  it('makes `slatelab run` exit 1 after writing the results', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slatelab-cli-'));
    const configFile = join(dir, 'flaky.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      configFile,
      JSON.stringify(
        rawConfig(4, [
          { name: 'random', kind: 'random' },
          { name: 'flaky', kind: 'flaky' },
        ]),
      ),
    );
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      ['run', configFile, '--out', join(dir, 'out')],
      { stdout: (t) => out.push(t), stderr: (t) => err.push(t), stderrIsTTY: false },
      registries(),
    );
    expect(code).toBe(1);
    expect(existsSync(join(dir, 'out', 'summary.json'))).toBe(true);
    expect(err.join('')).toContain('slatelab: 1 of 6 runs failed');
    expect(out.join('')).toContain(`results: ${join(dir, 'out')}`);
  });
});
