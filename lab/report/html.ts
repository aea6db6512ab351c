// report.html: the experiment as one offline page: the tables, the charts drawn live by vega
// (inlined, with the charts' vega specs compiled from vega-lite when they were written, so vega-lite
// does not ship), the config and what ran it. No network and no neighbouring files: it can be mailed
// or archived alone. Tooltips give each point's agent, mean, interval and seeds; a legend entry hides
// or shows its agent in every chart. Wide tables scroll in their own box, so the page fits a phone.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { AGENT_COLORS, AGENT_DASHES, agentLabel, chartData } from './charts.ts';
import { changedParams, type ExperimentInfo, type ParamLine, type ReportAbout } from './experiment-info.ts';
import {
  constantChartsText,
  metricGlossary,
  pairedRows,
  reportIntro,
  RUN_METRICS_INTRO,
  summaryRows,
  trainingIntro,
  trainingRows,
  tuningLines,
  tuningRows,
} from './tables.ts';
import type { FailureRecord, Summary } from '../store/summary.ts';

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A table in a box of its own that scrolls sideways when the table is wider than the page. */
function htmlTable(rows: readonly (readonly string[])[], label: string, className = ''): string {
  const [header, ...body] = rows;
  const cells = (row: readonly string[], tag: 'th' | 'td') =>
    row.map((cell, i) => `<${tag}${i === 0 ? ' class="name"' : ''}>${escapeHtml(cell)}</${tag}>`).join('');
  const rowsHtml = body.map((row) => `<tr>${cells(row, 'td')}</tr>`).join('');
  const open = className ? `<table class="${className}">` : '<table>';
  return scrollBox(`${open}<thead><tr>${cells(header, 'th')}</tr></thead><tbody>${rowsHtml}</tbody></table>`, label);
}

/** At most this many metric columns (after the agent's) in one table: nine fit a 1280 px page. */
const MAX_METRIC_COLUMNS = 9;

/**
 * A metric table (the agent's column, then one per metric) as htmlTable, split into tables of at
 * most MAX_METRIC_COLUMNS metrics, each with the agent's column, where it has more (the feed has
 * twelve episode metrics): every column then shows on a laptop's page without scrolling.
 */
function metricTables(rows: readonly (readonly string[])[], label: string): string {
  const metrics = rows[0].length - 1;
  if (metrics <= MAX_METRIC_COLUMNS) return htmlTable(rows, label);
  const parts = Math.ceil(metrics / MAX_METRIC_COLUMNS);
  const perPart = Math.ceil(metrics / parts);
  const tables: string[] = [];
  for (let part = 0; part < parts; part++) {
    const from = 1 + part * perPart;
    const to = Math.min(from + perPart, rows[0].length);
    tables.push(
      htmlTable(
        rows.map((row) => [row[0], ...row.slice(from, to)]),
        `${label} (${part + 1} of ${parts})`,
      ),
    );
  }
  return tables.join('');
}

/** A box of its own, focusable and labelled so that a keyboard can scroll it too. */
function scrollBox(table: string, label: string): string {
  return `<div class="scroll" tabindex="0" role="region" aria-label="${escapeHtml(label)}">${table}</div>`;
}

/** A paragraph of notes (escaped). */
function note(text: string): string {
  return `<p class="note">${escapeHtml(text)}</p>`;
}

/** What each metric means, as a list (metricGlossary). */
function glossaryList(glossary: readonly (readonly [string, string])[]): string {
  const items = glossary.map(([metric, doc]) => `<li><code>${escapeHtml(metric)}</code>: ${escapeHtml(doc)}</li>`);
  return `<ul class="note">${items.join('')}</ul>`;
}

/** Field and value rows, the field as a row header. */
function fieldTable(rows: readonly (readonly [string, string])[], label: string): string {
  const body = rows
    .map(([field, value]) => `<tr><th scope="row">${escapeHtml(field)}</th><td>${escapeHtml(value)}</td></tr>`)
    .join('');
  return scrollBox(`<table class="fields"><tbody>${body}</tbody></table>`, label);
}

const STYLE = `
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 2rem auto; max-width: 1280px; color: #222;
  padding: 0 1rem; line-height: 1.4; overflow-wrap: anywhere; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; } h3 { font-size: 1rem; margin-top: 1.5rem; }
nav { font-size: 0.9rem; } nav a { margin-right: 0.8rem; white-space: nowrap; }
.scroll { overflow-x: auto; max-width: 100%; margin: 0.5rem 0;
  /* Shadows at an edge with more table beyond it (they scroll away with the content at its ends). */
  background: linear-gradient(to right, #fff 30%, #fff0) left / 2rem 100% no-repeat local,
    linear-gradient(to left, #fff 30%, #fff0) right / 2rem 100% no-repeat local,
    radial-gradient(farthest-side at 0 50%, #0003, #0000) left / 0.8rem 100% no-repeat scroll,
    radial-gradient(farthest-side at 100% 50%, #0003, #0000) right / 0.8rem 100% no-repeat scroll; }
table { border-collapse: collapse; font-size: 0.82rem; }
th, td { padding: 0.3rem 0.4rem; border-bottom: 1px solid #ddd; text-align: right; white-space: nowrap;
  overflow-wrap: normal; }
th.name, td.name, table.fields th, table.fields td, table.text td, table.text th { text-align: left; }
/* Names and identifiers stay whole; only the last column of a text table, and a field's value, wrap. */
table.fields td, table.text td:last-child { white-space: normal; overflow-wrap: break-word; min-width: 12rem; }
table.fields th { font-weight: normal; color: #555; }
.note { color: #555; font-size: 0.9rem; }
details { margin: 0.5rem 0; } summary { cursor: pointer; color: #333; }
figure { margin: 1.5rem 0; } .chart { width: 100%; } .chart svg { display: block; max-width: 100%; }
figcaption { font-weight: bold; text-align: center; margin-bottom: 0.3rem; }
.legend { display: flex; flex-wrap: wrap; gap: 0.3rem 0.5rem; margin-top: 0.3rem; }
.legend button { font: inherit; font-size: 0.85rem; color: #222; background: #fff; border: 1px solid #ccc;
  border-radius: 1rem; padding: 0.15rem 0.6rem; display: inline-flex; align-items: center; gap: 0.4rem;
  cursor: pointer; }
.legend button[aria-pressed="false"] { opacity: 0.45; text-decoration: line-through; }
.tooltip { position: fixed; z-index: 10; pointer-events: none; background: #fff; border: 1px solid #999;
  border-radius: 4px; padding: 0.3rem 0.5rem; font-size: 0.8rem; box-shadow: 0 2px 6px rgba(0, 0, 0, 0.2);
  max-width: min(20rem, 90vw); }
.tooltip th, .tooltip td { border: 0; padding: 0.05rem 0.3rem; white-space: normal; }
.tooltip th { text-align: left; font-weight: normal; color: #555; } .tooltip td { text-align: left; }
.failed { color: #a00; }
@media (max-width: 600px) {
  body { margin: 1rem auto; padding: 0 0.75rem; }
  h1 { font-size: 1.3rem; }
  table { font-size: 0.8rem; } th, td { padding: 0.25rem 0.4rem; }
}
`;

/**
 * The page's own script: draws each chart with vega's View (SVG), shows tooltips in a box by the
 * pointer, and hides or shows an agent in every chart from a legend entry (the charts' `hidden`
 * signal filters its points out).
 */
const SCRIPT = `
(function () {
  var specs = JSON.parse(document.getElementById('slatelab-charts').textContent);
  var hidden = [];
  var views = [];
  var tip = document.createElement('div');
  tip.className = 'tooltip';
  tip.setAttribute('role', 'tooltip');
  tip.hidden = true;
  document.body.appendChild(tip);
  function showTooltip(handler, event, item, value) {
    if (value == null || value === '' || typeof value !== 'object') { tip.hidden = true; return; }
    var table = document.createElement('table');
    Object.keys(value).forEach(function (key) {
      if (value[key] == null || value[key] === '') return;
      var row = table.insertRow();
      var th = document.createElement('th');
      th.textContent = key;
      row.appendChild(th);
      row.insertCell().textContent = String(value[key]);
    });
    tip.replaceChildren(table);
    tip.hidden = false;
    var x = event.clientX + 12, y = event.clientY + 12;
    var box = tip.getBoundingClientRect();
    if (x + box.width > window.innerWidth - 4) x = Math.max(4, event.clientX - box.width - 12);
    if (y + box.height > window.innerHeight - 4) y = Math.max(4, event.clientY - box.height - 12);
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  }
  window.addEventListener('scroll', function () { tip.hidden = true; }, { passive: true });
  document.querySelectorAll('figure[data-chart]').forEach(function (figure) {
    var box = figure.querySelector('.chart');
    try {
      var runtime = vega.parse(specs[figure.dataset.chart]);
      var view = new vega.View(runtime, { renderer: 'svg', container: box, hover: true });
      view.tooltip(showTooltip);
      views.push(view);
      view.runAsync();
    } catch (error) {
      box.textContent = 'This chart could not be drawn: ' + error.message;
    }
  });
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('.legend button[data-agent]');
    if (!button) return;
    var agent = button.dataset.agent;
    var at = hidden.indexOf(agent);
    if (at >= 0) hidden.splice(at, 1); else hidden.push(agent);
    document.querySelectorAll('.legend button[data-agent]').forEach(function (other) {
      other.setAttribute('aria-pressed', String(hidden.indexOf(other.dataset.agent) < 0));
    });
    views.forEach(function (view) { view.signal('hidden', hidden.slice()).runAsync(); });
  });
})();
`;

let vegaSource: string | null = null;
/** vega's browser build (about 0.5 MB), as installed beside slatelab, safe inside a script element. */
function vegaScript(): string {
  if (vegaSource === null) {
    const entry = createRequire(import.meta.url).resolve('vega');
    vegaSource = readFileSync(join(dirname(entry), 'vega.min.js'), 'utf8').replace(/<\/script/gi, '<\\/script');
  }
  return vegaSource;
}

/** What report.html draws of a chart: its live vega spec and the agents it shows. */
export interface HtmlChart {
  readonly name: string;
  readonly title: string;
  /** The live chart as a vega spec (lab/report/charts.ts renderCharts). */
  readonly vega: object;
  /** The labels of the agents drawn, for the legend. */
  readonly agents: readonly string[];
}

/** A legend entry's sample: the agent's colour and dash, as the charts draw its line. */
function swatch(index: number): string {
  const color = AGENT_COLORS[index % AGENT_COLORS.length];
  const dash = AGENT_DASHES[index % AGENT_DASHES.length].join(',');
  const line = `<line x1="1" y1="5" x2="25" y2="5" stroke="${color}" stroke-width="3" stroke-dasharray="${dash}"/>`;
  return `<svg width="26" height="10" aria-hidden="true">${line}</svg>`;
}

function chartFigure(chart: HtmlChart, labels: readonly string[]): string {
  const open = `<figure id="${escapeHtml(chart.name)}" data-chart="${escapeHtml(chart.name)}">`;
  const caption = `<figcaption>${escapeHtml(chart.title)}</figcaption>`;
  const box = `${caption}<div class="chart" role="img" aria-label="${escapeHtml(chart.title)}"></div>`;
  if (chart.agents.length === 0) return `${open}${box}</figure>`;
  const buttons = chart.agents.map((agent) => {
    const sample = swatch(Math.max(0, labels.indexOf(agent)));
    const name = escapeHtml(agent);
    return `<button type="button" data-agent="${name}" aria-pressed="true">${sample}${name}</button>`;
  });
  const label = escapeHtml(`${chart.title}: agents shown (click to hide or show)`);
  return `${open}${box}<div class="legend" role="group" aria-label="${label}">${buttons.join('')}</div></figure>`;
}

function paramRows(lines: readonly ParamLine[], changedOnly: boolean): string[][] {
  const shown = changedOnly ? lines.filter((line) => line.default !== null) : lines;
  return [
    ['parameter', 'value', 'default'],
    ...shown.map((line) => [line.name, line.value, line.default ?? line.value]),
  ];
}

function configSection(info: ExperimentInfo): string[] {
  const parts = ['<h2 id="config">Configuration</h2>', fieldTable(info.settings, 'settings')];
  const changed = info.worldParams.filter((line) => line.default !== null);
  parts.push(`<h3>World parameters (${escapeHtml(info.world)})</h3>`);
  if (changed.length > 0)
    parts.push(
      '<p class="note">Those that differ from the world\'s defaults:</p>',
      htmlTable(paramRows(info.worldParams, true), 'world parameters changed', 'text'),
    );
  else parts.push('<p class="note">All at the world\'s defaults.</p>');
  if (info.worldParams.length > 0) {
    const table = htmlTable(paramRows(info.worldParams, false), 'all world parameters', 'text');
    parts.push(`<details><summary>All ${info.worldParams.length} world parameters</summary>${table}</details>`);
  }
  parts.push(
    '<h3>Agents</h3>',
    htmlTable(
      [
        ['agent', 'kind', 'learns', 'starts from', 'parameters changed from the defaults'],
        ...info.agents.map((a) => [a.name, a.kind, a.learns ? 'yes' : 'no', a.init ?? '—', changedParams(a.params)]),
      ],
      'agents',
      'text',
    ),
  );
  const withParams = info.agents.filter((agent) => agent.params.length > 0);
  if (withParams.length > 0) {
    const lists = withParams.map((agent) => {
      const heading = `<h4>${escapeHtml(agent.name)} (${escapeHtml(agent.kind)})</h4>`;
      return heading + htmlTable(paramRows(agent.params, false), `parameters of ${agent.name}`, 'text');
    });
    parts.push(`<details><summary>All parameters of each agent</summary>${lists.join('')}</details>`);
  }
  if (info.provenance.length > 0) {
    parts.push(
      '<h2 id="provenance">Provenance</h2>',
      note(
        'What started the experiment, as manifest.json records it ' +
          '(a resume keeps it there, and lists what resumed it).',
      ),
      fieldTable(info.provenance, 'provenance'),
    );
    if (info.dependencies.length > 0) {
      const table = fieldTable(info.dependencies, 'dependencies');
      parts.push(`<details><summary>Dependencies (${info.dependencies.length})</summary>${table}</details>`);
    }
  }
  return parts;
}

export function reportHtml(
  summary: Summary,
  failures: readonly FailureRecord[],
  charts: readonly HtmlChart[],
  about: ReportAbout = {},
): string {
  const paired = Object.keys(summary.paired.agents).length > 0;
  const runMetrics = summary.runMetrics ?? [];
  const links: [string, string][] = [['results', 'Results']];
  if (runMetrics.length > 0) links.push(['run-metrics', 'Run metrics']);
  if (paired) links.push(['paired', 'Paired differences']);
  if (summary.tuning) links.push(['tuning', 'Tuning']);
  if (summary.training) links.push(['training', 'Training']);
  if (charts.length > 0 || (about.constant ?? []).length > 0) links.push(['charts', 'Charts']);
  if (about.experiment) links.push(['config', 'Configuration']);
  if (about.experiment && about.experiment.provenance.length > 0) links.push(['provenance', 'Provenance']);
  if (failures.length > 0) links.push(['failures', 'Runs that did not finish']);
  const parts: string[] = [
    `<h1>${escapeHtml(summary.name)}</h1>`,
    `<nav aria-label="sections">${links.map(([id, text]) => `<a href="#${id}">${text}</a>`).join('')}</nav>`,
    ...reportIntro(summary).map(note),
    '<h2 id="results">Results</h2>',
    metricTables(summaryRows(summary), 'results by agent'),
  ];
  if (summary.evaluationOnly.length > 0) {
    parts.push(note("† evaluation only: reads the world's ground truth; a reference point, not a deployable policy."));
  }
  const glossary = metricGlossary(summary);
  if (glossary.length > 0)
    parts.push('<p class="note">Metrics (per episode, then averaged):</p>', glossaryList(glossary));
  if (runMetrics.length > 0) {
    parts.push(
      '<h2 id="run-metrics">Run metrics</h2>',
      note(RUN_METRICS_INTRO),
      metricTables(summaryRows(summary, runMetrics), 'run metrics by agent'),
    );
    const runGlossary = metricGlossary(summary, runMetrics);
    if (runGlossary.length > 0) parts.push(glossaryList(runGlossary));
  }
  if (paired) {
    parts.push(
      `<h2 id="paired">Paired differences against ${escapeHtml(summary.paired.baseline)}</h2>`,
      '<p class="note">Per seed, agent minus baseline (both met the same simulated users and items), then mean ± 95% t ' +
        "half-width over seeds. *: the interval excludes 0. The config's <code>baseline:</code> names the baseline " +
        '(default: the first agent).</p>',
      metricTables(pairedRows(summary), `paired differences against ${summary.paired.baseline}`),
    );
    if (runMetrics.length > 0) {
      parts.push(
        note('Run metrics:'),
        htmlTable(
          pairedRows(summary, runMetrics),
          `paired differences of the run metrics against ${summary.paired.baseline}`,
        ),
      );
    }
  }
  if (summary.tuning)
    parts.push(
      '<h2 id="tuning">Tuning</h2>',
      ...tuningLines(summary.tuning, summary.seeds).map(note),
      htmlTable(tuningRows(summary.tuning), 'variants on the tuning seeds', 'text'),
    );
  if (summary.training) {
    parts.push('<h2 id="training">Training</h2>', ...trainingIntro(summary.training).map(note));
    const rows = trainingRows(summary.training);
    if (rows.length > 1) parts.push(htmlTable(rows, 'training'));
  }
  const constant = about.constant ?? [];
  if (charts.length > 0 || constant.length > 0) parts.push('<h2 id="charts">Charts</h2>');
  if (charts.length > 0) {
    const labels = chartData(summary).map(agentLabel);
    parts.push(
      note(
        'Point at a point (or tap it) for its agent, mean, 95% interval and seeds. Click an agent in a legend to ' +
          'hide or show it in every chart. charts/ beside this page holds each chart as SVG and PNG.',
      ),
      `<noscript>${note('The charts need JavaScript; charts/ beside this page holds them as SVG and PNG.')}</noscript>`,
      ...charts.map((chart) => chartFigure(chart, labels)),
    );
  }
  if (constant.length > 0) parts.push(note(constantChartsText(constant)));
  if (about.experiment) parts.push(...configSection(about.experiment));
  if (failures.length > 0) {
    parts.push(
      '<h2 class="failed" id="failures">Runs that did not finish</h2>',
      `<ul>${failures.map((f) => `<li>${escapeHtml(f.agent)}, seed ${f.seed}: ${escapeHtml(f.error)}</li>`).join('')}</ul>`,
    );
  }
  // JSON in a script element: only "</" could end it early, and no "<" is left.
  const specs = JSON.stringify(Object.fromEntries(charts.map((c) => [c.name, withoutSchema(c.vega)])));
  const scripts =
    charts.length > 0
      ? [
          `<script type="application/json" id="slatelab-charts">${specs.replace(/</g, '\\u003c')}</script>`,
          `<script>${vegaScript()}</script>`,
          `<script>${SCRIPT}</script>`,
        ]
      : [];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(summary.name)} — slatelab</title><style>${STYLE}</style></head>
<body>
${parts.join('\n')}
${scripts.join('\n')}
</body></html>
`;
}

/**
 * A world sweep's page (sweep-report.html): the worlds, each linked to its own report, then one
 * table per metric with every world and each world's unpaired difference from the first.
 */
export function sweepHtml(
  summary: {
    readonly name: string;
    readonly worlds: readonly { readonly name: string; readonly dir: string; readonly about: string }[];
  },
  intro: readonly string[],
  tables: readonly { readonly metric: string; readonly rows: readonly (readonly string[])[] }[],
): string {
  const worlds = summary.worlds
    .map(
      (world) =>
        `<li><a href="${escapeHtml(world.dir)}/report.html">${escapeHtml(world.name)}</a>: ${escapeHtml(world.about)}</li>`,
    )
    .join('');
  const parts = [
    `<h1>${escapeHtml(summary.name)}: world sweep</h1>`,
    ...intro.map(note),
    `<p class="note">Each world's own report:</p><ul>${worlds}</ul>`,
    ...tables.flatMap(({ metric, rows }) => [
      `<h2 id="${escapeHtml(metric)}">${escapeHtml(metric)}</h2>`,
      htmlTable(rows, `${metric} by world`),
    ]),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(summary.name)}: world sweep — slatelab</title><style>${STYLE}</style></head>
<body>
${parts.join('\n')}
</body></html>
`;
}

/** A vega spec without its $schema (an address the page never loads). */
function withoutSchema(spec: object): object {
  const { $schema: _schema, ...rest } = spec as { $schema?: string };
  return rest;
}
