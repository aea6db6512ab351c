// Charts of an experiment's results: vega-lite specs rendered headless to SVG (vega's View.toSVG)
// and PNG (resvg), for papers, and compiled to vega specs for report.html, which draws them live
// (tooltips, agents hidden and shown from the legend; lab/report/html.ts). resvg draws no text
// unless it is given fonts, so system fonts are loaded and DejaVu Sans is named explicitly where
// the machine has it.
import { existsSync } from 'node:fs';
import type * as Vega from 'vega';
import type * as VegaLite from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { Summary } from '../store/summary.ts';
import { formatNumber } from './tables.ts';
import type * as ResvgModule from '@resvg/resvg-js';

/**
 * The renderers, loaded on first use: vega, vega-lite and resvg take about a second to import,
 * and worker threads and commands without charts never need them. runExperiment starts loading
 * them while the runs go (loadRenderers), so the charts do not wait for them at the end.
 */
let renderers: Promise<{
  vega: typeof Vega;
  vegaLite: typeof VegaLite;
  renderAsync: typeof ResvgModule.renderAsync;
}> | null = null;
export function loadRenderers(): Promise<{
  vega: typeof Vega;
  vegaLite: typeof VegaLite;
  renderAsync: typeof ResvgModule.renderAsync;
}> {
  renderers ??= Promise.all([import('vega'), import('vega-lite'), import('@resvg/resvg-js')]).then(
    ([vega, vegaLite, resvg]) => ({ vega, vegaLite, renderAsync: resvg.renderAsync }),
  );
  return renderers;
}

/** A mean with its 95% confidence interval over seeds. */
export interface Interval {
  readonly mean: number;
  /**
   * null when there is no interval (fewer than two seeds); bounds that are not finite numbers
   * (NaN for n = 0, which JSON turns into null) count as no interval too.
   */
  readonly ci95: readonly [number, number] | null;
  /** The seeds behind the mean (a summary's MetricSummary has them), for the live charts' tooltips. */
  readonly seeds?: readonly number[];
}

export interface AgentChartData {
  readonly agent: string;
  /** Metric name -> mean and CI over seeds. */
  readonly metrics: Readonly<Record<string, Interval>>;
  /** Reward per day (index = day), mean and CI over seeds. */
  readonly daily: readonly Interval[];
  /** Share of users active (who made a request) on each day, mean and CI over seeds. */
  readonly retention: readonly Interval[];
  /** Reads ground truth (an oracle): a reference point, labelled "name †" as in the reports. */
  readonly evaluationOnly?: boolean;
}

/** The range a quantity can take; CI bounds are clipped to it (a t interval knows no bounds). */
export type Range = readonly [number, number];

const UNBOUNDED: Range = [-Infinity, Infinity];
const SHARE: Range = [0, 1];
/**
 * Metrics that cannot be negative whatever the reward weights. Reward-based metrics (return,
 * reward per day) are left unbounded: the skip and "see less" weights may be negative.
 */
export const METRIC_RANGES: Readonly<Record<string, Range>> = {
  clicks: [0, Infinity],
  episodeLength: [0, Infinity],
};

const FONT = 'DejaVu Sans';
const FONT_FILES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
].filter((file) => existsSync(file));

/** Opacity of a CI band: light enough that the lines drawn over it stay clear with several bands overlapping. */
const BAND_OPACITY = 0.1;

const baseConfig = {
  font: FONT,
  background: 'white',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  title: { fontSize: 14 },
};

/** The name shown in charts: "name †" for evaluation-only agents, as in the reports. */
export function agentLabel(agent: AgentChartData): string {
  return agent.evaluationOnly ? `${agent.agent} †` : agent.agent;
}

/**
 * The CI of `interval` clipped to `range`, or null when there is none to draw: no interval, a
 * bound that is not a finite number, or a degenerate one (lo = hi, e.g. a single seed).
 */
export function clippedInterval(interval: Interval, range: Range = UNBOUNDED): { lo: number; hi: number } | null {
  const ci = interval.ci95;
  if (!ci || !Number.isFinite(ci[0]) || !Number.isFinite(ci[1]) || !(ci[0] < ci[1])) return null;
  const lo = Math.min(Math.max(ci[0], range[0]), range[1]);
  const hi = Math.max(Math.min(ci[1], range[1]), range[0]);
  return { lo, hi };
}

/**
 * One datum per point: mean, and lo/hi only when there is an interval (else the point stands
 * alone). A live chart's datum also carries the texts its tooltip shows, formatted as the tables are.
 */
function datum(interval: Interval, range: Range, fields: Record<string, string | number>, live = false) {
  const ci = clippedInterval(interval, range);
  const point = ci ? { ...fields, mean: interval.mean, lo: ci.lo, hi: ci.hi } : { ...fields, mean: interval.mean };
  if (!live) return point;
  const seeds = interval.seeds ?? [];
  return {
    ...point,
    meanText: formatNumber(interval.mean),
    ciText: ci ? `${formatNumber(ci.lo)} to ${formatNumber(ci.hi)}` : seeds.length === 1 ? 'none (1 seed)' : 'none',
    seedsText: seedsText(seeds),
  };
}

/**
 * "0–7 (n = 8)", "0–1, 5 (n = 3)": which seeds and how many, runs of consecutive seeds shortened
 * (at most six parts).
 */
export function seedsText(seeds: readonly number[]): string {
  if (seeds.length === 0) return '—';
  const parts: string[] = [];
  let start = seeds[0];
  for (let i = 1; i <= seeds.length; i++) {
    if (i < seeds.length && seeds[i] === seeds[i - 1] + 1) continue;
    const end = seeds[i - 1];
    parts.push(end === start ? String(start) : `${start}–${end}`);
    if (i < seeds.length) start = seeds[i];
  }
  const shown = parts.length > 6 ? [...parts.slice(0, 5), '…', parts[parts.length - 1]] : parts;
  return `${shown.join(', ')} (n = ${seeds.length})`;
}

/**
 * How an agent is drawn in every chart, by its place among the experiment's agents: a colour (vega's
 * tableau10, its default) and a dash pattern, so that lines that lie on one another (three bandits
 * that learned the same) still show each colour in turn. report.html draws its legend from these.
 */
export const AGENT_COLORS = [
  '#4c78a8',
  '#f58518',
  '#e45756',
  '#72b7b2',
  '#54a24b',
  '#eeca3b',
  '#b279a2',
  '#ff9da6',
  '#9d755d',
  '#bab0ac',
];
export const AGENT_DASHES: readonly (readonly number[])[] = [
  [1, 0],
  [6, 3],
  [2, 2],
  [8, 3, 2, 3],
  [12, 4],
  [4, 2, 1, 2],
  [2, 5],
];

/** The same look for an agent in every chart: the domain is every agent, in the given order. */
function agentScale<T extends string | readonly number[]>(
  agents: readonly AgentChartData[],
  range: readonly T[],
): { domain: string[]; range: T[] } {
  const domain = agents.map(agentLabel);
  return { domain, range: domain.map((_, i) => range[i % range.length]) };
}
function colorScale(agents: readonly AgentChartData[]) {
  return agentScale(agents, AGENT_COLORS);
}

/** A live chart's filter: the agents the reader hid (the `hidden` signal, report.html's legend sets it). */
const NOT_HIDDEN = { filter: 'indexof(hidden, datum.agent) < 0' };
const HIDDEN_PARAM = { name: 'hidden', value: [] as string[] };

/**
 * The extent of the means and intervals with 5% of it added on each side (so no point sits on
 * the axis), kept within the metric's range (no axis below 0 for counts).
 */
export function paddedDomain(
  values: readonly { mean: number; lo?: number; hi?: number }[],
  range: Range = UNBOUNDED,
): [number, number] | undefined {
  const numbers = values.flatMap((v) => [v.mean, v.lo ?? v.mean, v.hi ?? v.mean]).filter(Number.isFinite);
  if (numbers.length === 0) return undefined;
  const min = numbers.reduce((a, b) => Math.min(a, b), Infinity);
  const max = numbers.reduce((a, b) => Math.max(a, b), -Infinity);
  const pad = 0.05 * (max - min || Math.abs(max) || 1);
  return [Math.max(range[0], min - pad), Math.min(range[1], max + pad)];
}

/**
 * Mean and 95% CI of `metric` for every agent, as points with error bars. `live`: the version
 * report.html draws (as wide as the page, tooltips, hidden agents left out).
 */
export function comparisonSpec(
  agents: readonly AgentChartData[],
  metric: string,
  title: string,
  range: Range = METRIC_RANGES[metric] ?? UNBOUNDED,
  live = false,
): TopLevelSpec {
  const values = agents
    .filter((a) => a.metrics[metric] && Number.isFinite(a.metrics[metric].mean))
    .map((a) => datum(a.metrics[metric], range, { agent: agentLabel(a) }, live));
  // Not from zero: the intervals are what is compared, and a zero-based axis squeezes them together.
  const domain = paddedDomain(values, range);
  const x = { type: 'quantitative', scale: { zero: false, nice: true, ...(domain ? { domain } : {}) } } as const;
  const hidden = live ? [NOT_HIDDEN] : [];
  // On a phone the metric's name and all the rest do not fit under the axis: the title names the metric.
  const axisTitle = live ? 'mean and 95% CI over seeds' : `${metric} (mean, 95% CI over seeds)`;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    // report.html puts a live chart's title above it, in the page (where a long one wraps on a phone).
    ...(live ? {} : { title }),
    width: live ? 'container' : 420,
    // A live chart's height is fixed (vega-lite fits only a fixed size to the page): the agents
    // hidden leave room to the others.
    height: live ? 28 * Math.max(1, values.length) : { step: 28 },
    ...(live ? { params: [HIDDEN_PARAM] } : {}),
    data: { values },
    encoding: { y: { field: 'agent', type: 'nominal', sort: { field: 'mean', order: 'descending' }, title: null } },
    layer: [
      {
        transform: [...hidden, { filter: 'isValid(datum.lo) && isValid(datum.hi)' }],
        mark: { type: 'rule', strokeWidth: 2, color: '#555' },
        encoding: { x: { ...x, field: 'lo', title: axisTitle }, x2: { field: 'hi' } },
      },
      {
        ...(live ? { transform: hidden } : {}),
        mark: { type: 'point', filled: true, size: live ? 110 : 70, opacity: 1 },
        encoding: {
          x: { ...x, field: 'mean', title: axisTitle },
          color: { field: 'agent', type: 'nominal', legend: null, scale: colorScale(agents) },
          tooltip: live
            ? liveTooltip([])
            : [
                { field: 'agent' },
                { field: 'mean', format: '.3f' },
                { field: 'lo', format: '.3f' },
                { field: 'hi', format: '.3f' },
              ],
        },
      },
    ],
    config: baseConfig,
  };
}

/** The tooltip of a live chart's point: agent, `fields` (e.g. the day), mean, interval and seeds. */
function liveTooltip(fields: readonly { field: string; title: string }[]) {
  return [
    { field: 'agent', title: 'agent' },
    ...fields.map((f) => ({ ...f, type: 'quantitative' as const, format: ',~r' })),
    { field: 'meanText', title: 'mean' },
    { field: 'ciText', title: '95% CI' },
    { field: 'seedsText', title: 'seeds' },
  ];
}

/**
 * One line per agent over days with its CI band (`pick` chooses daily reward or retention). Band
 * bounds are clipped to `range`, and `domain`, when given, fixes the y axis. The bands are drawn
 * first and faint, the lines over them; the legend shows the line colours.
 */
export function overTimeSpec(
  agents: readonly AgentChartData[],
  pick: (agent: AgentChartData) => readonly Interval[],
  title: string,
  yTitle: string,
  { range = UNBOUNDED, domain, live = false }: { range?: Range; domain?: Range; live?: boolean } = {},
): TopLevelSpec {
  const series = agents.map((a) => ({ agent: a, points: pick(a).map((interval, day) => ({ x: day, interval })) }));
  const x = { field: 'day', title: 'day', integer: true };
  return linesSpec(series, agents, title, x, yTitle, { range, domain, live });
}

/** One series of a line chart: an agent's points (x, mean and CI). */
export interface LineSeries {
  readonly agent: AgentChartData;
  readonly points: readonly { readonly x: number; readonly interval: Interval }[];
}

/**
 * A learning curve: one line per agent against training steps, with its CI band over seeds.
 * `agents` fixes the colours (every agent of the experiment, so colours match the other charts).
 */
export function curveSpec(
  series: readonly LineSeries[],
  agents: readonly AgentChartData[],
  title: string,
  yTitle: string,
  range: Range = UNBOUNDED,
  live = false,
): TopLevelSpec {
  const x = { field: 'steps', title: 'training steps', integer: false };
  return linesSpec(series, agents, title, x, yTitle, { range, live });
}

/**
 * Lines over x with CI bands clipped to `range`; `domain`, when given, fixes the y axis. The bands
 * are drawn first and faint, the lines over them; the legend shows the line colours and dashes.
 * A live chart has no legend of its own (report.html draws one that hides and shows agents) and,
 * over its points, larger invisible ones that carry the tooltips (a 6-pixel point is hard to hover).
 */
function linesSpec(
  series: readonly LineSeries[],
  agents: readonly AgentChartData[],
  title: string,
  x: { field: string; title: string; integer: boolean },
  yTitle: string,
  { range = UNBOUNDED, domain, live = false }: { range?: Range; domain?: Range; live?: boolean },
): TopLevelSpec {
  const values = series.flatMap((s) =>
    s.points.flatMap((point) =>
      Number.isFinite(point.interval.mean)
        ? [datum(point.interval, range, { agent: agentLabel(s.agent), [x.field]: point.x }, live)]
        : [],
    ),
  );
  const yScale = domain ? { domain: [...domain] } : {};
  const color = { field: 'agent', type: 'nominal', scale: colorScale(agents) } as const;
  // Colours come from every agent (the same in every chart); the legend names only the lines drawn.
  const drawnSeries = series.filter((s) => s.points.some((p) => Number.isFinite(p.interval.mean)));
  const drawn = [...new Set(drawnSeries.map((s) => agentLabel(s.agent)))];
  const legend = live
    ? null
    : { symbolType: 'stroke', symbolStrokeWidth: 3, symbolSize: 700, symbolOpacity: 1, values: drawn };
  const hidden = live ? [NOT_HIDDEN] : [];
  const y = { field: 'mean', type: 'quantitative', title: yTitle, scale: yScale } as const;
  const dash = { field: 'agent', type: 'nominal', scale: agentScale(agents, AGENT_DASHES) } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    // report.html puts a live chart's title above it, in the page (where a long one wraps on a phone).
    ...(live ? {} : { title }),
    width: live ? 'container' : 520,
    height: 300,
    ...(live ? { params: [HIDDEN_PARAM] } : {}),
    data: { values },
    encoding: {
      x: { field: x.field, type: 'quantitative', title: x.title, axis: x.integer ? { tickMinStep: 1 } : {} },
    },
    layer: [
      {
        transform: [...hidden, { filter: 'isValid(datum.lo) && isValid(datum.hi)' }],
        mark: { type: 'area', fillOpacity: BAND_OPACITY },
        encoding: {
          y: { field: 'lo', type: 'quantitative', title: yTitle, scale: yScale },
          y2: { field: 'hi' },
          color,
        },
      },
      {
        ...(live ? { transform: hidden } : {}),
        mark: { type: 'line', strokeWidth: 2, point: { filled: true, size: 30 } },
        encoding: {
          y,
          color: { ...color, title: 'agent', legend },
          strokeDash: { ...dash, title: 'agent', legend },
        },
      },
      ...(live
        ? [
            {
              transform: hidden,
              mark: { type: 'point', filled: true, size: 400, opacity: 0 },
              encoding: { y, tooltip: liveTooltip([{ field: x.field, title: x.title }]) },
            },
          ]
        : []),
    ],
    config: baseConfig,
  } as TopLevelSpec;
}

/**
 * Loads the renderers and draws two small charts that are thrown away, so that the first real
 * chart does not pay for compiling vega's code: runExperiment calls it while the runs go.
 */
export async function warmRenderers(): Promise<void> {
  const interval = (mean: number) => ({ mean, ci95: [mean - 1, mean + 1] as const, n: 2 });
  const agents: AgentChartData[] = ['a', 'b'].map((agent, i) => ({
    agent,
    metrics: { return: interval(i + 1) },
    daily: [interval(1), interval(2)],
    retention: [interval(0.5), interval(0.4)],
  }));
  const { vegaLite } = await loadRenderers();
  for (const { spec, live } of experimentSpecs(agents, ['return'])) {
    vegaLite.compile(live);
    await svgToPng(await toSvg(spec));
  }
}

/** Renders a vega-lite spec to SVG markup. */
export async function toSvg(spec: TopLevelSpec): Promise<string> {
  const { vega, vegaLite } = await loadRenderers();
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises SVG markup to PNG bytes at twice the nominal size, for sharp text. */
export async function svgToPng(svg: string): Promise<Uint8Array> {
  const { renderAsync } = await loadRenderers();
  // On the thread pool, so the next chart's SVG is drawn meanwhile (experimentCharts).
  const image = await renderAsync(svg, {
    fitTo: { mode: 'zoom', value: 2 },
    background: 'white',
    // Scanning the system's fonts costs more than drawing a small chart: only without DejaVu Sans.
    font: { loadSystemFonts: FONT_FILES.length === 0, fontFiles: FONT_FILES, defaultFontFamily: FONT },
  });
  return image.asPng();
}

export interface RenderedChart {
  /** File stem, e.g. "return" for return.svg and return.png. */
  readonly name: string;
  readonly title: string;
  readonly svg: string;
  readonly png: Uint8Array;
  /** The live chart as a vega spec (compiled from vega-lite when the charts are written), for report.html. */
  readonly vega: object;
  /** The agents drawn (their labels, in the experiment's order), for report.html's legend; none without one. */
  readonly agents: readonly string[];
}

export interface ChartSpec {
  readonly name: string;
  readonly title: string;
  /** The chart for files (SVG, PNG): a fixed size, its own legend. */
  readonly spec: TopLevelSpec;
  /** The chart report.html draws: the page's width, tooltips, agents hidden from the page's legend. */
  readonly live: TopLevelSpec;
  /** Whether report.html gives it a legend (lines; a comparison names the agents on its axis). */
  readonly legend: boolean;
  /** The world metric a learning curve draws (learning-<metric>). */
  readonly metric?: string;
}

/** A chart and its live version from one builder. */
function bothSpecs(name: string, title: string, build: (live: boolean) => TopLevelSpec, legend = true): ChartSpec {
  return { name, title, spec: build(false), live: build(true), legend };
}

/** The specs of the standard charts of a run: final comparison per metric, and engagement and retention over days. */
export function experimentSpecs(agents: readonly AgentChartData[], metrics: readonly string[]): ChartSpec[] {
  const specs: ChartSpec[] = metrics.map((metric) =>
    bothSpecs(
      `compare-${metric}`,
      `${metric} by agent`,
      (live) => comparisonSpec(agents, metric, `${metric} by agent`, undefined, live),
      false,
    ),
  );
  const days = Math.max(0, ...agents.map((a) => a.daily.length));
  if (days > 1) {
    // Reward per day is not clipped: with negative skip or "see less" weights it can be below 0.
    const reward = (live: boolean) =>
      overTimeSpec(agents, (a) => a.daily, 'Reward per day', 'mean reward per user', { live });
    specs.push(bothSpecs('engagement-over-time', 'Reward per day', reward));
    const active = (live: boolean) =>
      overTimeSpec(agents, (a) => a.retention, 'Users active per day', 'share of users active', {
        range: SHARE,
        domain: SHARE,
        live,
      });
    specs.push(bothSpecs('retention', 'Users active per day', active));
  }
  return specs;
}

/** A chart left out because it would show no difference between agents: a flat line says nothing a sentence cannot. */
export interface ConstantChart {
  readonly name: string;
  readonly title: string;
  /** Why, for the reports: "100 throughout", "the same for every agent in every seed" or "no value". */
  readonly why: string;
}

/** The numbers a chart plots (means and interval bounds). */
function plotted(spec: TopLevelSpec): number[] {
  type Datum = { mean: number; lo?: number; hi?: number };
  const values = (spec as { data?: { values?: readonly Datum[] } }).data?.values ?? [];
  return values.flatMap((v) => [v.mean, v.lo ?? v.mean, v.hi ?? v.mean]).filter(Number.isFinite);
}

/**
 * The charts worth drawing, and those left out because every mean and bound in them is the same
 * number (a metric equal for every agent and day, e.g. the bandit world's fixed episode length;
 * an all-zero statistic) or there is none. Equal to within 1e-9 of its size: sums of the same
 * numbers in another order differ in the last bits.
 */
export function leaveOutConstant(specs: readonly ChartSpec[]): { drawn: ChartSpec[]; constant: ConstantChart[] } {
  const drawn: ChartSpec[] = [];
  const constant: ConstantChart[] = [];
  for (const chart of specs) {
    const numbers = plotted(chart.spec);
    const first = numbers[0];
    const flat = numbers.every((value) => Math.abs(value - first) <= 1e-9 * Math.max(1, Math.abs(first)));
    // Six significant digits, trailing zeros dropped: the value is exact, not an estimate to round.
    const why = numbers.length > 0 ? `${Number(first.toPrecision(6))} throughout` : 'no value';
    if (flat) constant.push({ name: chart.name, title: chart.title, why });
    else drawn.push(chart);
  }
  return { drawn, constant };
}

/**
 * The standard charts of a run (see experimentSpecs), then `extra` specs (e.g. learning curves),
 * rendered, less those that would plot a constant (leaveOutConstant), which `constant` names.
 */
export async function experimentCharts(
  agents: readonly AgentChartData[],
  metrics: readonly string[],
  extra: readonly ChartSpec[] = [],
): Promise<{ charts: RenderedChart[]; constant: ConstantChart[] }> {
  const { drawn, constant } = leaveOutConstant([...experimentSpecs(agents, metrics), ...extra]);
  return { charts: await renderCharts(drawn), constant };
}

/** Each chart as SVG and PNG, and its live version compiled to vega. */
export async function renderCharts(specs: readonly ChartSpec[]): Promise<RenderedChart[]> {
  const { vegaLite } = await loadRenderers();
  // Each chart's SVG is drawn in turn (vega, this thread) while the PNGs of those before it are
  // rasterised on the thread pool. The charts with the most points go first: their PNGs take
  // longest, and the small ones' SVGs are drawn meanwhile (the files are the same in any order).
  const points = specs.map(({ spec }) => JSON.stringify(spec).length);
  const order = specs.map((_, index) => index).sort((a, b) => points[b] - points[a] || a - b);
  const charts: Promise<RenderedChart>[] = new Array(specs.length);
  for (const index of order) {
    const { name, title, spec, live, legend } = specs[index];
    const svg = await toSvg(spec);
    const vega = vegaLite.compile(live).spec;
    const values = (live as { data: { values: { agent: string }[] } }).data.values;
    const agents = legend ? [...new Set(values.map((d) => d.agent))] : [];
    charts[index] = svgToPng(svg).then((png) => ({ name, title, svg, png, vega, agents }));
  }
  return Promise.all(charts);
}

/** The summary in the shape the charts take. */
export function chartData(summary: Summary): AgentChartData[] {
  return Object.entries(summary.agents)
    .filter(([, metrics]) => metrics.return.n > 0)
    .map(([agent, metrics]) => ({
      agent,
      metrics,
      daily: summary.daily[agent]?.reward ?? [],
      retention: summary.daily[agent]?.active ?? [],
      evaluationOnly: summary.evaluationOnly.includes(agent),
    }));
}
