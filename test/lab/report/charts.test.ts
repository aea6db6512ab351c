import { describe, expect, it } from 'vitest';
import {
  comparisonSpec,
  experimentCharts,
  experimentSpecs,
  overTimeSpec,
  toSvg,
  type AgentChartData,
  type Interval,
} from '../../../lab/report/charts.ts';
import { chartData } from '../../../lab/report/charts.ts';
import type { Summary } from '../../../lab/store/summary.ts';

const interval = (mean: number, halfWidth = 1): Interval => ({ mean, ci95: [mean - halfWidth, mean + halfWidth] });
const agents: AgentChartData[] = ['random', 'oracle-quality'].map((agent, i) => ({
  agent,
  evaluationOnly: agent.startsWith('oracle'),
  metrics: { return: interval(10 + 5 * i) },
  daily: [interval(3 + i), interval(2 + i), interval(1 + i)],
  retention: [interval(1), interval(0.8), interval(0.5 + 0.1 * i)],
}));

// Loosely typed views of a compiled-to-be vega-lite spec, for inspection.
type Datum = { agent: string; mean: number; lo?: number; hi?: number; day?: number };
type Layer = {
  mark: Record<string, unknown>;
  encoding: Record<string, { scale?: Record<string, unknown>; legend?: unknown }>;
};
type Spec = { data: { values: Datum[] }; layer: Layer[] };
const asSpec = (spec: unknown) => spec as Spec;
const specNamed = (name: string, data = agents, metrics = ['return']) =>
  asSpec(experimentSpecs(data, metrics).find((s) => s.name === name)!.spec);

/** The attributes of every element of `cls` in the SVG (e.g. "role-legend-symbol"). */
function marks(svg: string, cls: string): string[] {
  return [...svg.matchAll(new RegExp(`<g class="[^"]*${cls}[^"]*"[^>]*>(<path [^>]*>)`, 'g'))].map((m) => m[1]);
}
const attribute = (element: string, name: string) => element.match(new RegExp(` ${name}="([^"]*)"`))?.[1];

describe('charts', () => {
  it("plots each agent's mean with its confidence interval", () => {
    const spec = asSpec(comparisonSpec(agents, 'return', 'return by agent'));
    expect(spec.data.values).toEqual([
      { agent: 'random', mean: 10, lo: 9, hi: 11 },
      { agent: 'oracle-quality †', mean: 15, lo: 14, hi: 16 },
    ]);
  });

  it('renders the comparison, engagement-over-time and retention charts to SVG with text and to PNG', async () => {
    const { charts } = await experimentCharts(agents, ['return']);
    expect(charts.map((c) => c.name)).toEqual(['compare-return', 'engagement-over-time', 'retention']);
    for (const chart of charts) {
      expect(chart.svg.startsWith('<svg')).toBe(true);
      expect(chart.svg).toContain('oracle-quality');
      // PNG signature, then an IHDR chunk with a non-trivial width.
      expect(Array.from(chart.png.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
      const width = new DataView(chart.png.buffer, chart.png.byteOffset).getUint32(16);
      expect(width).toBeGreaterThan(400);
    }
  });

  it('draws no over-time charts for worlds without days', async () => {
    const flat = agents.map((a) => ({ ...a, daily: [interval(1)], retention: [interval(1)] }));
    expect((await experimentCharts(flat, ['return'])).charts.map((c) => c.name)).toEqual(['compare-return']);
  });

  it('clips the retention bands to [0, 1] and fixes its y axis to [0, 1]', async () => {
    // Two seeds give wide t intervals: these run from -2 to 3.
    const wide = agents.map((a) => ({ ...a, retention: [interval(1, 2), interval(0.5, 2.5), interval(0.2, 2)] }));
    const spec = specNamed('retention', wide);
    const bounds = spec.data.values.flatMap((d) => [d.lo!, d.hi!]);
    expect(Math.min(...bounds)).toBe(0);
    expect(Math.max(...bounds)).toBe(1);
    for (const layer of spec.layer) expect(layer.encoding.y.scale).toEqual({ domain: [0, 1] });
    const svg = (await experimentCharts(wide, ['return'])).charts.find((c) => c.name === 'retention')!.svg;
    expect(svg).toContain("Y-axis titled 'share of users active' for a linear scale with values from 0.0 to 1.0");
  });

  it('does not clip reward per day, which negative reward weights can push below 0', () => {
    const negative = agents.map((a) => ({ ...a, daily: [interval(0.5, 2), interval(0.2, 2)] }));
    const spec = specNamed('engagement-over-time', negative);
    expect(Math.min(...spec.data.values.map((d) => d.lo!))).toBe(-1.8);
    expect(spec.layer[0].encoding.y.scale).toEqual({});
  });

  it('draws faint bands under the lines', async () => {
    const spec = asSpec(overTimeSpec(agents, (a) => a.retention, 'Users active per day', 'share of users active'));
    expect(spec.layer.map((l) => l.mark.type)).toEqual(['area', 'line']);
    expect(spec.layer[0].mark.fillOpacity).toBeLessThanOrEqual(0.12);
    const svg = await toSvg(spec as never);
    // Lines come after (over) the bands in the SVG.
    expect(svg.lastIndexOf('mark-area role-mark')).toBeLessThan(svg.indexOf('mark-line role-mark'));
    const lines = marks(svg, 'mark-line role-mark');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(attribute(line, 'opacity') ?? attribute(line, 'stroke-opacity') ?? '1').toBe('1');
    const bands = marks(svg, 'mark-area role-mark');
    expect(bands).toHaveLength(2);
    for (const band of bands) expect(Number(attribute(band, 'fill-opacity'))).toBeLessThanOrEqual(0.12);
  });

  it('shows the line colours in the legend, not the pale band colours', async () => {
    const svg = await toSvg(overTimeSpec(agents, (a) => a.retention, 'Users active per day', 'share of users active'));
    const lineColours = marks(svg, 'mark-line role-mark').map((line) => attribute(line, 'stroke'));
    expect(lineColours).toHaveLength(2);
    const symbols = marks(svg, 'role-legend-symbol');
    expect(symbols).toHaveLength(2);
    expect(symbols.map((s) => attribute(s, 'stroke')).sort()).toEqual(lineColours.sort());
    for (const symbol of symbols) expect(attribute(symbol, 'opacity') ?? '1').toBe('1');
  });

  it('labels evaluation-only agents "name †" in every chart', async () => {
    for (const chart of (await experimentCharts(agents, ['return'])).charts) {
      expect(chart.svg).toContain('oracle-quality †');
      expect(chart.svg).not.toContain('random †');
    }
  });

  it('takes evaluation-only agents from the summary', () => {
    const metric = { mean: 1, ci95: null, n: 1, values: [1], sd: null, seeds: [0] };
    const summary = {
      evaluationOnly: ['oracle'],
      agents: { random: { return: metric }, oracle: { return: metric } },
      daily: {},
    } as unknown as Summary;
    expect(chartData(summary).map((a) => [a.agent, a.evaluationOnly])).toEqual([
      ['random', false],
      ['oracle', true],
    ]);
  });

  it('does not start the comparison axis at zero, so that the intervals stay apart', async () => {
    const close = agents.map((a, i) => ({ ...a, metrics: { return: interval(150 + 20 * i, 5) } }));
    const spec = asSpec(comparisonSpec(close, 'return', 'return by agent'));
    for (const layer of spec.layer) expect(layer.encoding.x.scale).toMatchObject({ zero: false });
    const [lo, hi] = spec.layer[0].encoding.x.scale!.domain as [number, number];
    expect(lo).toBeGreaterThan(140);
    expect(lo).toBeLessThan(145);
    expect(hi).toBeGreaterThan(175);
    expect(hi).toBeLessThan(180);
    const svg = await toSvg(spec as never);
    expect(svg).not.toMatch(/X-axis titled '[^']*' for a linear scale with values from 0 /);
  });

  it('clips comparison intervals of counts at 0', () => {
    const counts = agents.map((a) => ({ ...a, metrics: { clicks: interval(1, 3) } }));
    const spec = asSpec(comparisonSpec(counts, 'clicks', 'clicks by agent'));
    expect(spec.data.values.map((d) => [d.lo, d.hi])).toEqual([
      [0, 4],
      [0, 4],
    ]);
    expect((spec.layer[0].encoding.x.scale!.domain as number[])[0]).toBe(0);
  });

  it('draws just the point or line where there is no interval (ci95 null, NaN or zero-width)', async () => {
    const noCi = (mean: number): Interval => ({ mean, ci95: null });
    const oneSeed: AgentChartData[] = [
      { agent: 'random', metrics: { return: noCi(10) }, daily: [noCi(3), noCi(2)], retention: [noCi(1), noCi(0.6)] },
      {
        agent: 'oracle-quality',
        evaluationOnly: true,
        metrics: { return: { mean: 15, ci95: [15, 15] } },
        daily: [{ mean: 4, ci95: [Number.NaN, Number.NaN] }, interval(3)],
        retention: [
          { mean: 1, ci95: [1, 1] },
          { mean: 0.7, ci95: null },
        ],
      },
    ];
    expect(asSpec(comparisonSpec(oneSeed, 'return', 'return')).data.values).toEqual([
      { agent: 'random', mean: 10 },
      { agent: 'oracle-quality †', mean: 15 },
    ]);
    const { charts } = await experimentCharts(oneSeed, ['return']);
    expect(charts.map((c) => c.name)).toEqual(['compare-return', 'engagement-over-time', 'retention']);
    const [compare, engagement, retention] = charts;
    expect(marks(compare.svg, 'mark-rule role-mark')).toHaveLength(0);
    expect(marks(compare.svg, 'mark-symbol role-mark')).toHaveLength(1); // one group of points
    expect(compare.svg.match(/aria-roledescription="point"/g)).toHaveLength(2);
    expect(marks(engagement.svg, 'mark-line role-mark')).toHaveLength(2);
    expect(marks(retention.svg, 'mark-line role-mark')).toHaveLength(2);
    expect(marks(retention.svg, 'mark-area role-mark')).toHaveLength(0);
  });
});
