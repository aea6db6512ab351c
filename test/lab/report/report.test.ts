// What report.html and report.md show besides the numbers, and how: the viewport and tables that
// scroll in their own box, the live charts' specs (tooltips, agents hidden from the legend), the
// resolved config and the provenance that started the experiment, the baseline the config names,
// and the charts left out because they would show no difference between agents. The page in a real
// browser: test/e2e/report.test.ts.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig, type ExperimentConfig } from '../../../lab/config/config.ts';
import type { Registries } from '../../../lab/config/registries.ts';
import { defaultRegistries } from '../../../lab/config/registries.ts';
import {
  AGENT_DASHES,
  comparisonSpec,
  experimentCharts,
  experimentSpecs,
  leaveOutConstant,
  loadRenderers,
  overTimeSpec,
  seedsText,
  type AgentChartData,
  type ChartSpec,
  type Interval,
} from '../../../lab/report/charts.ts';
import { experimentInfo, type ReportProvenance } from '../../../lab/report/experiment-info.ts';
import { reportHtml, type HtmlChart } from '../../../lab/report/html.ts';
import { learningCharts, sameForEveryAgent } from '../../../lab/report/learning-charts.ts';
import { reportMarkdown } from '../../../lab/report/markdown.ts';
import { rebuildReports } from '../../../lab/report/rebuild.ts';
import { runExperiment } from '../../../lab/run/runner.ts';
import { buildSummary, type RunMeans, type Summary } from '../../../lab/store/summary.ts';
import { randomPolicy } from '../../../policies/random.ts';
import { bandit } from '../../../sim/presets/bandit.ts';

const raw = (extra: Record<string, unknown> = {}) => ({
  name: 'report-test',
  world: { preset: 'bandit', params: { catalog: 30, dim: 3 } },
  seeds: 3,
  agents: [
    { name: 'random', kind: 'random' },
    { name: 'eps', kind: 'epsilon-greedy', params: { epsilon: 0.2 } },
    { name: 'lin', kind: 'linucb' },
  ],
  training: { steps: 3000, evalEvery: 1000, evalEpisodes: 20 },
  evaluation: { episodes: 40, batchSize: 7 },
  ...extra,
});
const configOf = (extra: Record<string, unknown> = {}) => validateConfig(raw(extra), 'report.yaml', defaultRegistries);

/** Per-seed means: return grows with the agent's place, optimalReturn is the same for every agent. */
function runMeans(config: ExperimentConfig): RunMeans {
  return new Map(
    config.agents.map((agent, a) => [
      agent.name,
      new Map(config.seeds.map((seed) => [seed, { return: 10 * a + seed, optimalReturn: 50 + seed }])),
    ]),
  );
}
const summaryOf = (config: ExperimentConfig): Summary =>
  buildSummary(config, ['return', 'optimalReturn'], runMeans(config), []);

const provenance: ReportProvenance & Record<string, unknown> = {
  slatelab: '9.8.7',
  node: 'v20.99.0',
  dependencies: { vega: '6.4.0', yaml: '2.9.1' },
  gitCommit: 'abcdef0123456789abcdef0123456789abcdef01',
  gitDirty: true,
  code: 'dist',
  // What a manifest also holds but the reports must not show (it differs between a resumed run and
  // an uninterrupted one).
  resumes: [{ slatelab: '9.9.9', node: 'v22.0.0', runs: 3 }],
};

const interval = (mean: number, halfWidth = 1, seeds = [0, 1, 2]): Interval => ({
  mean,
  ci95: [mean - halfWidth, mean + halfWidth],
  seeds,
});
const agents: AgentChartData[] = ['random', 'eps', 'oracle'].map((agent, i) => ({
  agent,
  evaluationOnly: agent === 'oracle',
  metrics: { return: interval(10 + 5 * i), episodeLength: { mean: 100, ci95: null } },
  daily: [interval(3 + i), interval(2 + i), interval(1 + i)],
  retention: [interval(1, 0), interval(1, 0), interval(1, 0)],
}));

describe('report.html: the page', () => {
  const html = reportHtml(summaryOf(configOf()), [], [], {
    experiment: experimentInfo(configOf(), defaultRegistries, provenance),
  });

  it('has a viewport meta tag, so that a phone lays it out at its own width', () => {
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  });

  it('puts every table in a box of its own that scrolls sideways (the page never does)', () => {
    const tables = html.match(/<table/g)!.length;
    expect(tables).toBeGreaterThanOrEqual(8);
    expect(html.match(/<div class="scroll"[^>]*><table/g)).toHaveLength(tables);
    expect(html).toMatch(/\.scroll \{ overflow-x: auto;/);
  });

  it('ships no script without charts, and the charts as JSON that no "</script>" inside can end early', () => {
    expect(html).not.toContain('<script');
    const chart: HtmlChart = { name: 'c', title: 'c', vega: { description: '</script><b>bold</b>' }, agents: ['a'] };
    const withChart = reportHtml(summaryOf(configOf()), [], [chart]);
    expect(withChart.match(/<\/script>/g)).toHaveLength(3); // the specs, vega, the page's own
    expect(withChart).toContain('\\u003c/script>\\u003cb>bold\\u003c/b>');
  });
});

describe('report.html and report.md: the experiment', () => {
  const config = configOf();
  const about = { experiment: experimentInfo(config, defaultRegistries, provenance) };
  const html = reportHtml(summaryOf(config), [], [], about);
  const markdown = reportMarkdown(summaryOf(config), [], [], about);

  it("shows the world's parameters that differ from its defaults, with the defaults", () => {
    expect(html).toContain('<td class="name">catalog</td><td>30</td><td>0</td>');
    expect(html).toContain('<td class="name">dim</td><td>3</td><td>8</td>');
    expect(html).toContain('bandit (2 of 9 parameters changed)');
    expect(markdown).toContain(
      "World parameters that differ from bandit's defaults: `catalog` 30 (default 0); `dim` 3 (default 8).",
    );
  });

  it("shows each agent's kind and the parameters it changed, and all of them on demand", () => {
    expect(html).toContain(
      '<td class="name">eps</td><td>epsilon-greedy</td><td>yes</td><td>—</td><td>epsilon 0.2 (default 0.1)</td>',
    );
    expect(html).toContain('<td class="name">lin</td><td>linucb</td><td>yes</td><td>—</td><td>defaults</td>');
    expect(html).toMatch(
      /<summary>All parameters of each agent<\/summary>.*<h4>lin \(linucb\)<\/h4>.*"name">ridge<\/td><td>1<\/td>/,
    );
    expect(markdown).toContain('| eps | epsilon-greedy | yes | — | epsilon 0.2 (default 0.1) |');
  });

  it('shows training, evaluation and the baseline, not the evaluation batch size (results do not depend on it)', () => {
    const rows = html.match(/<th scope="row">([^<]*)<\/th><td>([^<]*)<\/td>/g)!.join('\n');
    expect(rows).toContain(
      '<th scope="row">training</th><td>3000 user-steps per run; batches of 64 users; ' +
        'a checkpoint every 1000 steps on 20 evaluation users</td>',
    );
    expect(rows).toContain(
      '<th scope="row">evaluation</th><td>40 episodes per run; at most 100000 steps per episode</td>',
    );
    expect(rows).toContain('<th scope="row">seeds</th><td>0–2 (n = 3)</td>');
    expect(rows).toContain('<th scope="row">baseline</th><td>random (the paired differences are against it)</td>');
    const otherBatch = configOf({ evaluation: { episodes: 40, batchSize: 1 } });
    expect(
      reportHtml(summaryOf(otherBatch), [], [], {
        experiment: experimentInfo(otherBatch, defaultRegistries, provenance),
      }),
    ).toBe(html);
  });

  it('shows the versions and commit that started it, and nothing of the resumes', () => {
    for (const text of [html, markdown]) {
      expect(text).toContain('9.8.7');
      expect(text).toContain('abcdef0123456789abcdef0123456789abcdef01 (with uncommitted changes)');
      expect(text).toContain('v20.99.0');
      expect(text).not.toContain('dist/');
      expect(text).not.toContain('9.9.9');
      expect(text).not.toContain('v22.0.0');
    }
    expect(html).toContain('<summary>Dependencies (2)</summary>');
    expect(html).toContain('<th scope="row">vega</th><td>6.4.0</td>');
  });

  it('names the network backend only when an agent has networks', () => {
    expect(html).not.toContain('<th scope="row">backend</th>');
    const nets = { ...provenance, networks: { backend: 'wasm', tfjs: '4.22.0' } };
    const info = experimentInfo(config, defaultRegistries, nets);
    expect(info.settings).toContainEqual(['backend', 'wasm (TensorFlow.js 4.22.0)']);
    expect(info.provenance).toContainEqual(['networks', 'backend wasm, TensorFlow.js 4.22.0']);
  });

  it('reads the same from the config in memory and from the manifest (JSON): a rebuilt report is the same', () => {
    // A config built in code (the library) may hold what JSON cannot: the manifest has null for it.
    const inMemory = { ...config, evaluation: { ...config.evaluation, maxStepsPerEpisode: Infinity } };
    const fromManifest = JSON.parse(JSON.stringify(inMemory)) as ExperimentConfig;
    const info = experimentInfo(inMemory, defaultRegistries, provenance);
    expect(experimentInfo(fromManifest, defaultRegistries, JSON.parse(JSON.stringify(provenance)))).toEqual(info);
    expect(info.provenance).toEqual(about.experiment.provenance);
  });
});

describe('the baseline of the paired comparisons (config baseline:)', () => {
  it('is the first agent by default, and summary.json keeps its bytes when the config names no baseline', () => {
    const plain = summaryOf(configOf());
    expect(plain.paired.baseline).toBe('random');
    expect(JSON.stringify(summaryOf(configOf({ baseline: 'random' })))).toBe(JSON.stringify(plain));
  });

  it('takes the paired differences against the agent the config names, in the summary and both reports', () => {
    const summary = summaryOf(configOf({ baseline: 'lin' }));
    expect(summary.paired.baseline).toBe('lin');
    expect(Object.keys(summary.paired.agents)).toEqual(['random', 'eps']);
    // return: agent a has 10 a + seed, so random - lin = -20 in every seed.
    expect(summary.paired.agents.random.return).toMatchObject({ mean: -20, n: 3 });
    expect(reportHtml(summary, [], [])).toContain('<h2 id="paired">Paired differences against lin</h2>');
    expect(reportMarkdown(summary, [])).toContain('## Paired differences against lin');
  });
});

describe('charts that would show no difference between agents', () => {
  const spec = (name: string, values: { mean: number; lo?: number; hi?: number }[]): ChartSpec => {
    const chart = { data: { values } } as never;
    return { name, title: name, spec: chart, live: chart, legend: true };
  };

  it('are left out when every mean and bound is one number (for every agent and day, or all zero), and named', () => {
    const { drawn, constant } = leaveOutConstant([
      spec('same-everywhere', [{ mean: 100 }, { mean: 100 }, { mean: 100, lo: 100, hi: 100 }]),
      spec('all-zero', [{ mean: 0, lo: 0, hi: 0 }, { mean: 0 }]),
      spec('rounding-noise', [{ mean: 0.1 }, { mean: 0.1 + 1e-15 }]),
      spec('empty', []),
      spec('one-interval-differs', [{ mean: 100 }, { mean: 100, lo: 99, hi: 101 }]),
      spec('one-mean-differs', [{ mean: 0 }, { mean: 0.001 }]),
    ]);
    expect(drawn.map((c) => c.name)).toEqual(['one-interval-differs', 'one-mean-differs']);
    expect(constant).toEqual([
      { name: 'same-everywhere', title: 'same-everywhere', why: '100 throughout' },
      { name: 'all-zero', title: 'all-zero', why: '0 throughout' },
      { name: 'rounding-noise', title: 'rounding-noise', why: '0.1 throughout' },
      { name: 'empty', title: 'empty', why: 'no value' },
    ]);
  });

  it('are not drawn (episode length 100 for every agent; all active every day), and the reports say so', async () => {
    const { charts, constant } = await experimentCharts(agents, ['return', 'episodeLength']);
    expect(charts.map((c) => c.name)).toEqual(['compare-return', 'engagement-over-time']);
    expect(constant.map((c) => [c.name, c.why])).toEqual([
      ['compare-episodeLength', '100 throughout'],
      ['retention', '1 throughout'],
    ]);
    const summary = summaryOf(configOf());
    const text =
      'Not drawn, as they show no difference between agents: episodeLength by agent (100 throughout); ' +
      'Users active per day (1 throughout).';
    expect(reportMarkdown(summary, [], charts, { constant })).toContain(text);
    expect(reportHtml(summary, [], charts, { constant })).toContain(text);
  });

  it("leave out the curves of a metric the same for every agent in every seed (the users' optimal return)", () => {
    const summary = summaryOf(configOf());
    expect(sameForEveryAgent(summary, ['return', 'optimalReturn'])).toEqual(['optimalReturn']);
    const steps = [0, 1000];
    const curve = (mean: number) => [interval(mean), interval(mean + 1)];
    const training = {
      ...configOf().training!,
      agents: Object.fromEntries(
        ['random', 'eps', 'lin'].map((agent, i) => [
          agent,
          {
            learns: i > 0,
            steps,
            curves: { return: curve(i), optimalReturn: curve(50) },
            regret: null,
            stats: {},
            totals: null,
          },
        ]),
      ),
    } as unknown as Summary['training'];
    const chartAgents = ['random', 'eps', 'lin'].map((agent) => ({ agent, metrics: {}, daily: [], retention: [] }));
    const { drawn, alike } = learningCharts({ ...summary, training }, chartAgents, ['optimalReturn']);
    expect(drawn.map((c) => c.name)).toEqual(['learning-return']);
    expect(alike).toEqual([
      {
        name: 'learning-optimalReturn',
        title: 'Learning curves: optimalReturn',
        why: 'the same for every agent in every seed',
      },
    ]);
  });
});

describe('the live charts report.html draws', () => {
  type Layer = {
    transform?: { filter: string }[];
    mark: { type: string; opacity?: number };
    encoding: Record<string, unknown>;
  };
  type Spec = {
    width: unknown;
    params?: { name: string; value: unknown }[];
    data: { values: Record<string, unknown>[] };
    layer: Layer[];
  };

  it('fit the page, leave out the agents the legend hid, and carry tooltips: agent, mean, interval, seeds', () => {
    const live = comparisonSpec(agents, 'return', 'return by agent', undefined, true) as unknown as Spec;
    expect(live.width).toBe('container');
    expect(live.params).toEqual([{ name: 'hidden', value: [] }]);
    for (const layer of live.layer)
      expect(layer.transform?.[0]).toEqual({ filter: 'indexof(hidden, datum.agent) < 0' });
    expect(live.data.values[0]).toMatchObject({
      agent: 'random',
      meanText: '10.00',
      ciText: '9.000 to 11.00',
      seedsText: '0–2 (n = 3)',
    });
    const tooltip = live.layer[1].encoding.tooltip as { title: string }[];
    expect(tooltip.map((t) => t.title)).toEqual(['agent', 'mean', '95% CI', 'seeds']);
  });

  it('draw a dash per agent, a legend in the files only (the page has its own), invisible points for tooltips', () => {
    const staticSpec = overTimeSpec(agents, (a) => a.daily, 'Reward per day', 'reward') as unknown as Spec;
    const line = staticSpec.layer[1].encoding as { strokeDash: { scale: { range: unknown[] }; legend: unknown } };
    expect(line.strokeDash.scale.range).toEqual([AGENT_DASHES[0], AGENT_DASHES[1], AGENT_DASHES[2]]);
    expect(line.strokeDash.legend).toMatchObject({ values: ['random', 'eps', 'oracle †'] });
    expect(staticSpec.width).toBe(520);
    const live = overTimeSpec(agents, (a) => a.daily, 'Reward per day', 'reward', { live: true }) as unknown as Spec;
    expect((live.layer[1].encoding as { strokeDash: { legend: unknown } }).strokeDash.legend).toBeNull();
    const hit = live.layer[2];
    expect(hit.mark).toMatchObject({ type: 'point', opacity: 0 });
    expect((hit.encoding.tooltip as { title: string }[]).map((t) => t.title)).toEqual([
      'agent',
      'day',
      'mean',
      '95% CI',
      'seeds',
    ]);
  });

  it('compile to vega with the hidden signal; a legend entry per agent drawn (none for comparisons)', async () => {
    const { vegaLite } = await loadRenderers();
    const specs = experimentSpecs(agents, ['return']);
    const compiled = vegaLite.compile(specs[1].live).spec as { signals: { name: string }[] };
    expect(compiled.signals.map((s) => s.name)).toContain('hidden');
    const { charts } = await experimentCharts(agents, ['return']);
    expect(charts.map((c) => [c.name, c.agents])).toEqual([
      ['compare-return', []],
      ['engagement-over-time', ['random', 'eps', 'oracle †']],
    ]);
    const html = reportHtml(summaryOf(configOf()), [], charts);
    expect(
      html
        .match(/<figure id="engagement-over-time" data-chart="engagement-over-time">.*?<\/figure>/)![0]
        .match(/<button /g),
    ).toHaveLength(3);
    expect(html).toContain('<button type="button" data-agent="oracle †" aria-pressed="true"><svg');
    expect(html).not.toMatch(/<figure id="compare-return"[^\n]*<button/);
  });

  it('name the seeds behind a point in short', () => {
    expect(seedsText([0, 1, 2, 3, 4, 5, 6, 7])).toBe('0–7 (n = 8)');
    expect(seedsText([0, 1, 5])).toBe('0–1, 5 (n = 3)');
    expect(seedsText([3])).toBe('3 (n = 1)');
    expect(seedsText([0, 2, 4, 6, 8, 10, 12, 14])).toBe('0, 2, 4, 6, 8, …, 14 (n = 8)');
    expect(seedsText([])).toBe('—');
  });
});

describe('an experiment written and rebuilt (`slatelab report`)', () => {
  it("writes no file for a chart left out, removes an older version's, shows the manifest's provenance", async () => {
    // The bandit world's episodes all last `horizon` steps: episodeLength is 20 for every agent.
    const registries: Registries = { worlds: { bandit }, policies: { random: randomPolicy } };
    const config = validateConfig(
      {
        name: 'constant',
        world: { preset: 'bandit', params: { catalog: 20, dim: 2, candidates: 5, slateSize: 2, horizon: 20 } },
        seeds: 2,
        agents: [{ name: 'random', kind: 'random' }],
        evaluation: { episodes: 8 },
      },
      'constant.yaml',
      registries,
    );
    const outDir = join(mkdtempSync(join(tmpdir(), 'slatelab-report-')), 'out');
    await runExperiment({ config, outDir, registries });
    expect(existsSync(join(outDir, 'charts/compare-return.svg'))).toBe(true);
    expect(existsSync(join(outDir, 'charts/compare-episodeLength.svg'))).toBe(false);
    expect(readFileSync(join(outDir, 'report.md'), 'utf8')).toContain('episodeLength by agent (20 throughout)');
    const before = readFileSync(join(outDir, 'report.html'), 'utf8');

    // As an earlier version left it, started by another slatelab.
    for (const ext of ['svg', 'png']) writeFileSync(join(outDir, `charts/compare-episodeLength.${ext}`), 'stale');
    const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(outDir, 'manifest.json'), JSON.stringify({ ...manifest, slatelab: '0.0.1' }));
    await rebuildReports(outDir, { registries });
    expect(existsSync(join(outDir, 'charts/compare-episodeLength.svg'))).toBe(false);
    expect(existsSync(join(outDir, 'charts/compare-episodeLength.png'))).toBe(false);
    const after = readFileSync(join(outDir, 'report.html'), 'utf8');
    expect(after).toContain('<th scope="row">slatelab</th><td>0.0.1</td>');
    expect(after.replace('<td>0.0.1</td>', `<td>${String(manifest.slatelab)}</td>`)).toBe(before);
  });
});
