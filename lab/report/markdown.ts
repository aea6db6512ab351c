// report.md: the summary's tables and the charts as PNGs, for people who paste figures into papers.
import type { FailureRecord, Summary } from '../store/summary.ts';
import { markdownTable, metricGlossary, pairedRows, reportIntro, summaryRows, trainingIntro, trainingRows } from './tables.ts';

export function reportMarkdown(summary: Summary, failures: readonly FailureRecord[], charts: readonly { name: string; title: string }[] = []): string {
  const parts = [`# ${summary.name}`, ...reportIntro(summary), markdownTable(summaryRows(summary))];
  if (summary.evaluationOnly.length > 0) {
    parts.push('† evaluation only: reads the world\'s ground truth; a reference point, not a deployable policy.');
  }
  const glossary = metricGlossary(summary);
  if (glossary.length > 0) parts.push('Metrics (per episode, then averaged):', glossary.map(([metric, doc]) => `- \`${metric}\`: ${doc}`).join('\n'));
  if (Object.keys(summary.paired.agents).length > 0) {
    parts.push(
      `## Paired differences against ${summary.paired.baseline}`,
      'Per seed, agent minus baseline (both met the same users and posts), then mean ± 95% t half-width over seeds. ' +
        '`*`: the interval excludes 0.',
      markdownTable(pairedRows(summary)),
    );
  }
  if (summary.training) {
    parts.push('## Training', ...trainingIntro(summary.training));
    const rows = trainingRows(summary.training);
    if (rows.length > 1) parts.push(markdownTable(rows));
  }
  if (charts.length > 0) {
    parts.push('## Charts', charts.map((c) => `![${c.title}](charts/${c.name}.png)`).join('\n\n'));
  }
  if (failures.length > 0) {
    parts.push('## Runs that did not finish', failures.map((f) => `- ${f.agent}, seed ${f.seed}: ${f.error}`).join('\n'));
  }
  return `${parts.join('\n\n')}\n`;
}

