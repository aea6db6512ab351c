// The summary as text: numbers and intervals formatted for people, the tables the terminal,
// report.md and report.html share, and summary.csv.
import type { Summary, TrainingSummary, TuningSummary } from '../store/summary.ts';
import type { ConstantChart } from './charts.ts';

/** Full precision, so the CSV round-trips; empty where undefined (no finished seed). */
function csvNumber(x: number): string {
  return Number.isFinite(x) ? String(x) : '';
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Every metric of the summary: the per-episode ones, then the world's run metrics. */
export function summaryMetrics(summary: Summary): readonly string[] {
  return summary.runMetrics ? [...summary.metrics, ...summary.runMetrics] : summary.metrics;
}

export function summaryCsv(summary: Summary): string {
  const lines = ['agent,metric,mean,ci95_lo,ci95_hi,n'];
  for (const [agent, metrics] of Object.entries(summary.agents)) {
    for (const metric of summaryMetrics(summary)) {
      const m = metrics[metric];
      lines.push(
        [
          csvField(agent),
          csvField(metric),
          csvNumber(m.mean),
          csvNumber(m.ci95?.[0] ?? Number.NaN),
          csvNumber(m.ci95?.[1] ?? Number.NaN),
          String(m.n),
        ].join(','),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Four significant digits without exponents for everyday magnitudes. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return '—';
  // Rounding noise of a quantity that is 0 in exact arithmetic (an oracle's regret) reads as 0.
  if (Math.abs(x) < 1e-9) return '0';
  const magnitude = Math.floor(Math.log10(Math.abs(x)));
  if (magnitude >= 4) return Math.round(x).toString();
  if (magnitude < -4) return x.toExponential(2);
  return x.toFixed(Math.max(0, 3 - magnitude));
}

/** "mean ± half-width" of the 95% interval; "mean (1 seed)" without an interval. */
export function formatInterval(
  m: { mean: number; ci95: readonly [number, number] | null; n: number },
  signed = false,
): string {
  if (m.n === 0) return '—';
  const sign = signed && m.mean > 0 ? '+' : '';
  const centre = `${sign}${formatNumber(m.mean)}`;
  if (m.ci95 === null) return `${centre} (${m.n} seed)`;
  const halfWidth = (m.ci95[1] - m.ci95[0]) / 2;
  if (!(halfWidth > 1e-9)) return centre;
  // Below the fixed-point digits (e.g. float rounding in an oracle's regret): exponents, not 0.000000.
  if (halfWidth < 1e-6) return `${centre} ± ${halfWidth.toExponential(1)}`;
  // Two significant digits of the half-width, and the mean to the same decimals: digits beyond
  // the interval's own precision are noise.
  const decimals = Math.min(6, Math.max(0, 1 - Math.floor(Math.log10(halfWidth))));
  return `${sign}${withoutNegativeZero(m.mean.toFixed(decimals))} ± ${halfWidth.toFixed(decimals)}`;
}

/** "-0" or "-0.00" (a small negative rounded away) reads as a sign that is not there. */
function withoutNegativeZero(text: string): string {
  return /^-0(\.0+)?$/.test(text) ? text.slice(1) : text;
}

/** Rows of cells: a header row, then one row per agent; the per-episode metrics unless `metrics` names others. */
export function summaryRows(summary: Summary, metrics: readonly string[] = summary.metrics): string[][] {
  const rows: string[][] = [['agent', ...metrics]];
  for (const [agent, values] of Object.entries(summary.agents)) {
    const label = summary.evaluationOnly.includes(agent) ? `${agent} †` : agent;
    rows.push([label, ...metrics.map((metric) => formatInterval(values[metric]))]);
  }
  return rows;
}

export function pairedRows(summary: Summary, metrics: readonly string[] = summary.metrics): string[][] {
  const rows: string[][] = [['agent', ...metrics]];
  for (const [agent, differences] of Object.entries(summary.paired.agents)) {
    const label = summary.evaluationOnly.includes(agent) ? `${agent} †` : agent;
    rows.push([
      label,
      ...metrics.map((metric) => {
        const m = differences[metric];
        // A paired interval that excludes zero: the difference is not just this set of seeds' luck.
        const clear = m.ci95 !== null && (m.ci95[0] > 0 || m.ci95[1] < 0);
        return `${formatInterval(m, true)}${clear ? ' *' : ''}`;
      }),
    ]);
  }
  return rows;
}

/** Sentences that say how the agents trained (shared by report.md and report.html). */
export function trainingIntro(training: TrainingSummary): string[] {
  const budget = training.steps !== null ? `${training.steps} user-steps` : `${training.episodes} episodes`;
  const hasRegret = Object.values(training.agents).some((agent) => agent.regret !== null);
  return [
    `Learning agents trained for ${budget} per run, ${training.batchSize} users stepping ` +
      `together (the agent updates once per round of them), ` +
      `with a checkpoint every ${training.evalEvery} steps evaluated on ${training.evalEpisodes} ` +
      `evaluation users (the same users at every checkpoint, never met in training). ` +
      'Fixed policies do not train: their one evaluation is drawn flat across the curves. The ' +
      'summary tables above are the final evaluation; ' +
      `the return columns below are the first and last checkpoints (${training.evalEpisodes} users).`,
    ...(hasRegret
      ? [
          'Online regret: the expected reward the learner lost against the best slate while it ' +
            'learned, summed over training steps; ' +
            'second/first half below 1 means it paid less as it learned (sublinear regret).',
        ]
      : []),
  ];
}

/** Per learning agent: evaluation return before and after training, and the online regret. */
export function trainingRows(training: TrainingSummary): string[][] {
  const hasRegret = Object.values(training.agents).some((agent) => agent.regret !== null);
  const header = ['agent', 'return at start', 'return at end of training', 'training steps'];
  if (hasRegret) header.push('online regret', 'regret 2nd / 1st half');
  const rows: string[][] = [header];
  for (const [agent, entry] of Object.entries(training.agents)) {
    if (!entry.learns || !entry.totals) continue;
    const curve = entry.curves.return ?? [];
    const row = [
      agent,
      curve[0] ? formatInterval(curve[0]) : '—',
      curve.length > 0 ? formatInterval(curve[curve.length - 1]) : '—',
      formatInterval(entry.totals.steps),
    ];
    if (hasRegret) row.push(formatInterval(entry.totals.onlineRegret), formatInterval(entry.totals.regretRatio));
    rows.push(row);
  }
  return rows;
}

export function markdownTable(rows: string[][]): string {
  const [header, ...body] = rows;
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const row of body) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

/** A plain aligned table for the terminal. */
export function textTable(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => [...row[column]].length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** [metric, meaning] for the metrics the world documents, in table order (the per-episode ones unless told). */
export function metricGlossary(summary: Summary, metrics: readonly string[] = summary.metrics): [string, string][] {
  return metrics.flatMap((metric): [string, string][] =>
    summary.metricDocs[metric] ? [[metric, summary.metricDocs[metric]]] : [],
  );
}

/** What the run metrics' table holds (report.md and report.html). */
export const RUN_METRICS_INTRO =
  "Measured once per (agent, seed) run over all of the run's evaluation users together, not per " +
  'episode; each cell: the mean over seeds ± the half-width of its 95% t interval.';

/** The summary as the terminal shows it after a run. */
export function summaryText(summary: Summary): string {
  const parts = [textTable(summaryRows(summary))];
  if (summary.runMetrics)
    parts.push(`\nRun metrics (over all of a run's users):\n${textTable(summaryRows(summary, summary.runMetrics))}`);
  if (summary.evaluationOnly.length > 0) parts.push('† evaluation only (reads ground truth)');
  if (summary.tuning) parts.push('', ...tuningLines(summary.tuning, summary.seeds));
  for (const note of summary.notes ?? []) parts.push(`Note: ${note}.`);
  return `${parts.join('\n')}\n`;
}

/** Sentences that say how to read the tables (shared by report.md and report.html). */
export function reportIntro(summary: Summary): string[] {
  const lines = [
    `World ${summary.world}; ${summary.episodes} episodes per (agent, seed); seeds ` +
      `${summary.seeds.join(', ')} (experiment seed ${summary.seed}).`,
    'Each cell: the mean over seeds of the per-seed mean over episodes, ± the half-width of ' +
      'its 95% t interval over seeds.',
  ];
  for (const [name, source] of Object.entries(summary.loaded ?? {})) {
    const what = summary.training ? 'started from' : 'loaded from, not trained here:';
    const world = source.sameWorld
      ? 'trained in this same world'
      : 'trained in another version of this world (other parameters or experiment seed)';
    // Networks give other numbers on another backend: say so when the saved one differs.
    const backend =
      source.backend !== null && source.backend !== summary.backend
        ? `; its networks were trained on backend ${source.backend}, this run uses ${summary.backend}`
        : '';
    lines.push(`Agent ${name} ${what} agent ${source.agent} of ${source.from}, per seed (${world}${backend}).`);
  }
  for (const note of summary.notes ?? []) lines.push(`Note: ${note}.`);
  if (summary.truncatedEpisodes > 0) {
    lines.push(
      `Warning: ${summary.truncatedEpisodes} episodes were cut at evaluation.maxStepsPerEpisode ` +
        `before the world ended them; ` +
        'their metrics cover only the steps taken (raise the limit to see whole episodes).',
    );
  }
  return lines;
}

/** The charts left out because they would show no difference between agents, and why (report.md and report.html). */
export function constantChartsText(constant: readonly ConstantChart[]): string {
  const charts = constant.map((chart) => `${chart.title} (${chart.why})`);
  return `Not drawn, as they show no difference between agents: ${charts.join('; ')}.`;
}

/** The parameters a variant sets, as "alpha 0.3, ridge 1". */
function paramsText(params: Readonly<Record<string, unknown>>): string {
  return Object.entries(params)
    .map(([name, value]) => `${name} ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
}

/** Sentences on the choice (report.md, report.html and the terminal): the seeds, then one per swept agent. */
export function tuningLines(tuning: TuningSummary, reportingSeeds: readonly number[]): string[] {
  const lines = [
    `Each swept agent's variant was chosen by its mean ${tuning.metric} (${tuning.better} is better) on the tuning seeds ` +
      `${tuning.seeds.join(', ')}; the results above are on seeds ${reportingSeeds.join(', ')}, which the choice never saw. ` +
      'A margin is measured after choosing, so it flatters the winner; the reporting seeds are the honest test.',
  ];
  for (const [agent, choice] of Object.entries(tuning.agents)) {
    if (choice.winner === null) {
      lines.push(
        `${agent}: no choice, as no tuning seed has a finished run of every variant; all its variants are shown.`,
      );
      continue;
    }
    const by = choice.margin
      ? ` by ${formatInterval({ ...choice.margin, n: choice.seeds.length }, true)} over ${choice.margin.over} (paired, ${choice.seeds.length} seeds)`
      : ' (its only variant)';
    lines.push(`${agent}: ${choice.winner} won${by}.`);
  }
  return lines;
}

/** One table of every variant's score on the tuning seeds: agent, variant, parameters, mean, chosen. */
export function tuningRows(tuning: TuningSummary): string[][] {
  const rows = [['agent', 'variant', 'parameters', `${tuning.metric} on tuning seeds`, 'chosen']];
  for (const [agent, choice] of Object.entries(tuning.agents))
    for (const variant of choice.variants)
      rows.push([
        agent,
        variant.name,
        paramsText(variant.params),
        variant.mean === null ? '—' : formatNumber(variant.mean),
        variant.name === choice.winner ? 'yes' : '',
      ]);
  return rows;
}
