// report.md: the summary's tables and the charts as PNGs, for people who paste figures into papers.
import type { FailureRecord, Summary } from '../store/summary.ts';
import { changedParams, type ExperimentInfo, type ReportAbout } from './experiment-info.ts';
import {
  constantChartsText,
  markdownTable,
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

export function reportMarkdown(
  summary: Summary,
  failures: readonly FailureRecord[],
  charts: readonly { name: string; title: string }[] = [],
  about: ReportAbout = {},
): string {
  const parts = [`# ${summary.name}`, ...reportIntro(summary), markdownTable(summaryRows(summary))];
  if (summary.evaluationOnly.length > 0) {
    parts.push("† evaluation only: reads the world's ground truth; a reference point, not a deployable policy.");
  }
  const glossary = metricGlossary(summary);
  if (glossary.length > 0) parts.push('Metrics (per episode, then averaged):', glossaryList(glossary));
  const runMetrics = summary.runMetrics ?? [];
  if (runMetrics.length > 0) {
    parts.push('## Run metrics', RUN_METRICS_INTRO, markdownTable(summaryRows(summary, runMetrics)));
    const runGlossary = metricGlossary(summary, runMetrics);
    if (runGlossary.length > 0) parts.push(glossaryList(runGlossary));
  }
  if (Object.keys(summary.paired.agents).length > 0) {
    parts.push(
      `## Paired differences against ${summary.paired.baseline}`,
      'Per seed, agent minus baseline (both met the same simulated users and items), then mean ± 95% t half-width over seeds. ' +
        '`*`: the interval excludes 0.',
      markdownTable(pairedRows(summary)),
    );
    if (runMetrics.length > 0) parts.push('Run metrics:', markdownTable(pairedRows(summary, runMetrics)));
  }
  if (summary.tuning)
    parts.push('## Tuning', ...tuningLines(summary.tuning, summary.seeds), markdownTable(tuningRows(summary.tuning)));
  if (summary.training) {
    parts.push('## Training', ...trainingIntro(summary.training));
    const rows = trainingRows(summary.training);
    if (rows.length > 1) parts.push(markdownTable(rows));
  }
  const constant = about.constant ?? [];
  if (charts.length > 0 || constant.length > 0) parts.push('## Charts');
  if (charts.length > 0) parts.push(charts.map((c) => `![${c.title}](charts/${c.name}.png)`).join('\n\n'));
  if (constant.length > 0) parts.push(constantChartsText(constant));
  if (about.experiment) parts.push(...configMarkdown(about.experiment));
  if (failures.length > 0) {
    parts.push(
      '## Runs that did not finish',
      failures.map((f) => `- ${f.agent}, seed ${f.seed}: ${f.error}`).join('\n'),
    );
  }
  return `${parts.join('\n\n')}\n`;
}

function glossaryList(glossary: readonly [string, string][]): string {
  return glossary.map(([metric, doc]) => `- \`${metric}\`: ${doc}`).join('\n');
}

/** A table cell: a "|" would end it. */
const cell = (text: string) => text.replace(/\|/g, '\\|');

function configMarkdown(info: ExperimentInfo): string[] {
  const parts = ['## Configuration', info.settings.map(([field, value]) => `- ${field}: ${value}`).join('\n')];
  const changed = info.worldParams.filter((line) => line.default !== null);
  const params = changed.map((line) => `\`${line.name}\` ${line.value} (default ${line.default})`).join('; ');
  parts.push(
    changed.length > 0
      ? `World parameters that differ from ${info.world}'s defaults: ${params}.`
      : `World parameters: all at ${info.world}'s defaults.`,
  );
  parts.push(
    markdownTable([
      ['agent', 'kind', 'learns', 'starts from', 'parameters changed from the defaults'],
      ...info.agents.map((a) => {
        const learns = a.learns ? 'yes' : 'no';
        return [a.name, a.kind, learns, cell(a.init ?? '—'), cell(changedParams(a.params))];
      }),
    ]),
  );
  if (info.provenance.length > 0) {
    parts.push(
      '## Provenance',
      'What started the experiment, as manifest.json records it (a resume keeps it there, and lists what resumed it).',
    );
    parts.push(info.provenance.map(([field, value]) => `- ${field}: ${value}`).join('\n'));
  }
  return parts;
}
