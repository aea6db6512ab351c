// report.html: the experiment's summary as one offline file. The charts are inlined as SVG, so the
// page needs no script, no network and no neighbouring files: it can be mailed or archived alone.
import { metricGlossary, pairedRows, reportIntro, summaryRows, trainingIntro, trainingRows } from './tables.ts';
import type { FailureRecord, Summary } from '../store/summary.ts';

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function htmlTable(rows: string[][]): string {
  const [header, ...body] = rows;
  const cells = (row: string[], tag: 'th' | 'td') => row.map((cell, i) => `<${tag}${i === 0 ? ' class="name"' : ''}>${escapeHtml(cell)}</${tag}>`).join('');
  return `<table><thead><tr>${cells(header, 'th')}</tr></thead><tbody>${body.map((row) => `<tr>${cells(row, 'td')}</tr>`).join('')}</tbody></table>`;
}

const STYLE = `
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.5rem 0; }
th, td { padding: 0.3rem 0.6rem; border-bottom: 1px solid #ddd; text-align: right; white-space: nowrap; }
th.name, td.name { text-align: left; }
.note { color: #555; font-size: 0.9rem; }
figure { margin: 1rem 0; } figure svg { max-width: 100%; height: auto; }
.failed { color: #a00; }
`;

export function reportHtml(summary: Summary, failures: readonly FailureRecord[], charts: readonly { name: string; title: string; svg: string }[]): string {
  const parts: string[] = [
    `<h1>${escapeHtml(summary.name)}</h1>`,
    ...reportIntro(summary).map((line) => `<p class="note">${escapeHtml(line)}</p>`),
    htmlTable(summaryRows(summary)),
  ];
  if (summary.evaluationOnly.length > 0) {
    parts.push('<p class="note">† evaluation only: reads the world\'s ground truth; a reference point, not a deployable policy.</p>');
  }
  const glossary = metricGlossary(summary);
  if (glossary.length > 0) {
    parts.push(
      '<p class="note">Metrics (per episode, then averaged):</p>',
      `<ul class="note">${glossary.map(([metric, doc]) => `<li><code>${escapeHtml(metric)}</code>: ${escapeHtml(doc)}</li>`).join('')}</ul>`,
    );
  }
  if (Object.keys(summary.paired.agents).length > 0) {
    parts.push(
      `<h2>Paired differences against ${escapeHtml(summary.paired.baseline)}</h2>`,
      '<p class="note">Per seed, agent minus baseline (both met the same users and posts), then mean ± 95% t half-width over seeds. *: the interval excludes 0.</p>',
      htmlTable(pairedRows(summary)),
    );
  }
  if (summary.training) {
    parts.push('<h2>Training</h2>', ...trainingIntro(summary.training).map((line) => `<p class="note">${escapeHtml(line)}</p>`));
    const rows = trainingRows(summary.training);
    if (rows.length > 1) parts.push(htmlTable(rows));
  }
  if (charts.length > 0) {
    parts.push('<h2>Charts</h2>', ...charts.map((chart) => `<figure id="${escapeHtml(chart.name)}">${chart.svg}</figure>`));
  }
  if (failures.length > 0) {
    parts.push(
      '<h2 class="failed">Runs that did not finish</h2>',
      `<ul>${failures.map((f) => `<li>${escapeHtml(f.agent)}, seed ${f.seed}: ${escapeHtml(f.error)}</li>`).join('')}</ul>`,
    );
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(summary.name)} — slatelab</title><style>${STYLE}</style></head>
<body>
${parts.join('\n')}
</body></html>
`;
}
