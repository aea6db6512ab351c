// Charts of an experiment's results: vega-lite specs rendered headless to SVG (vega's View.toSVG)
// and PNG (resvg). resvg draws no text unless it is given fonts, so system fonts are loaded and
// DejaVu Sans is named explicitly where the machine has it.
import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

/** A mean with its 95% confidence interval over seeds. */
export interface Interval {
  readonly mean: number;
  readonly ci95: readonly [number, number];
}

export interface AgentChartData {
  readonly agent: string;
  /** Metric name -> mean and CI over seeds. */
  readonly metrics: Readonly<Record<string, Interval>>;
  /** Reward per day (index = day), mean and CI over seeds. */
  readonly daily: readonly Interval[];
  /** Share of users still active (reward > 0) on each day, mean and CI over seeds. */
  readonly retention: readonly Interval[];
}

const FONT = 'DejaVu Sans';
const FONT_FILES = ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf'].filter((file) =>
  existsSync(file),
);

const baseConfig = {
  font: FONT,
  background: 'white',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14 },
};

/** Mean and 95% CI of `metric` for every agent, as points with error bars. */
export function comparisonSpec(agents: readonly AgentChartData[], metric: string, title: string): TopLevelSpec {
  const values = agents
    .filter((a) => a.metrics[metric])
    .map((a) => ({ agent: a.agent, mean: a.metrics[metric].mean, lo: a.metrics[metric].ci95[0], hi: a.metrics[metric].ci95[1] }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 420,
    height: { step: 28 },
    data: { values },
    encoding: { y: { field: 'agent', type: 'nominal', sort: { field: 'mean', order: 'descending' }, title: null } },
    layer: [
      {
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: { x: { field: 'lo', type: 'quantitative', title: `${metric} (mean, 95% CI over seeds)` }, x2: { field: 'hi' } },
      },
      {
        mark: { type: 'point', filled: true, size: 70 },
        encoding: {
          x: { field: 'mean', type: 'quantitative' },
          color: { field: 'agent', type: 'nominal', legend: null },
          tooltip: [{ field: 'agent' }, { field: 'mean', format: '.3f' }, { field: 'lo', format: '.3f' }, { field: 'hi', format: '.3f' }],
        },
      },
    ],
    config: baseConfig,
  };
}

/** One line per agent over days with its CI band (`pick` chooses daily reward or retention). */
export function overTimeSpec(
  agents: readonly AgentChartData[],
  pick: (agent: AgentChartData) => readonly Interval[],
  title: string,
  yTitle: string,
): TopLevelSpec {
  const values = agents.flatMap((a) => pick(a).map((point, day) => ({ agent: a.agent, day, mean: point.mean, lo: point.ci95[0], hi: point.ci95[1] })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 520,
    height: 300,
    data: { values },
    encoding: {
      x: { field: 'day', type: 'quantitative', title: 'day', axis: { tickMinStep: 1 } },
      color: { field: 'agent', type: 'nominal', title: 'agent' },
    },
    layer: [
      { mark: { type: 'area', opacity: 0.18 }, encoding: { y: { field: 'lo', type: 'quantitative', title: yTitle }, y2: { field: 'hi' } } },
      { mark: { type: 'line', point: true }, encoding: { y: { field: 'mean', type: 'quantitative' } } },
    ],
    config: baseConfig,
  };
}

/** Renders a vega-lite spec to SVG markup. */
export async function toSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises SVG markup to PNG bytes at twice the nominal size, for sharp text. */
export function svgToPng(svg: string): Uint8Array {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: 2 },
    background: 'white',
    font: { loadSystemFonts: true, fontFiles: FONT_FILES, defaultFontFamily: FONT },
  });
  return resvg.render().asPng();
}

export interface RenderedChart {
  /** File stem, e.g. "return" for return.svg and return.png. */
  readonly name: string;
  readonly title: string;
  readonly svg: string;
  readonly png: Uint8Array;
}

/** The standard charts of a run: final comparison per metric, and engagement and retention over days. */
export async function experimentCharts(agents: readonly AgentChartData[], metrics: readonly string[]): Promise<RenderedChart[]> {
  const specs: { name: string; title: string; spec: TopLevelSpec }[] = metrics.map((metric) => ({
    name: `compare-${metric}`,
    title: `${metric} by agent`,
    spec: comparisonSpec(agents, metric, `${metric} by agent`),
  }));
  const days = Math.max(0, ...agents.map((a) => a.daily.length));
  if (days > 1) {
    specs.push({ name: 'engagement-over-time', title: 'Reward per day', spec: overTimeSpec(agents, (a) => a.daily, 'Reward per day', 'mean reward per user') });
    specs.push({ name: 'retention', title: 'Users active per day', spec: overTimeSpec(agents, (a) => a.retention, 'Users active per day', 'share of users active') });
  }
  const charts: RenderedChart[] = [];
  for (const { name, title, spec } of specs) {
    const svg = await toSvg(spec);
    charts.push({ name, title, svg, png: svgToPng(svg) });
  }
  return charts;
}
