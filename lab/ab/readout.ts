// A simulated A/B test's readout, as an online experiment's reads: per metric the treatment's and
// the control's means, the lift, and the paired difference with its 95% interval over seeds (every
// seed's users met both arms: common random numbers). Guardrail metrics that moved the wrong way are
// flagged. Built from the summary and the run records only, like every report.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pairedDifferences, summarize } from '../../eval/stats.ts';
import type { MetricSummary, Summary } from '../store/summary.ts';
import { formatNumber, summaryMetrics, textTable } from '../report/tables.ts';

/** Metrics that must not get worse while the goal improves, and which way is worse. */
export const GUARDRAILS: Readonly<Record<string, 'up' | 'down'>> = {
  churned: 'up',
  minutesPerActiveDay: 'down',
  'seeLess per user': 'up',
};

export interface ReadoutRow {
  readonly metric: string;
  readonly treatment: number;
  readonly control: number;
  /** treatment - control, per seed, summarised (mean and 95% t interval over seeds). */
  readonly difference: { readonly mean: number; readonly ci95: readonly [number, number] | null; readonly n: number };
  /** difference / control, null where the control's mean is 0. */
  readonly lift: number | null;
  /** The interval excludes 0. */
  readonly significant: boolean;
  /** For a guardrail: the direction that is worse; null otherwise. */
  readonly guardrail: 'up' | 'down' | null;
  /** A guardrail that moved the worse way (significant or not: `significant` says). */
  readonly worse: boolean;
}

export interface Readout {
  readonly treatment: string;
  readonly control: string;
  readonly seeds: readonly number[];
  readonly episodes: number;
  readonly rows: readonly ReadoutRow[];
}

/**
 * Per seed, the mean per user of each signal (likes, shares, "see less", ...) in an agent's records:
 * the summary keeps the world's metrics, the records keep every signal.
 */
export function signalMeans(dir: string, agent: string, seeds: readonly number[]): Map<string, Map<number, number>> {
  const means = new Map<string, Map<number, number>>();
  for (const seed of seeds) {
    let text: string;
    try {
      text = readFileSync(join(dir, 'runs', agent, `seed-${seed}.jsonl`), 'utf8');
    } catch {
      continue; // a failed run: its seed is left out, as the summary leaves it out
    }
    const sums = new Map<string, number>();
    let users = 0;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const record = JSON.parse(line) as { signals?: Record<string, number | null> };
      users++;
      for (const [signal, value] of Object.entries(record.signals ?? {}))
        sums.set(signal, (sums.get(signal) ?? 0) + (value ?? Number.NaN));
    }
    for (const [signal, sum] of sums) {
      const name = `${signal} per user`;
      if (!means.has(name)) means.set(name, new Map());
      means.get(name)?.set(seed, sum / users);
    }
  }
  return means;
}

function row(
  metric: string,
  treatment: ReadonlyMap<number, number>,
  control: ReadonlyMap<number, number>,
  seeds: readonly number[],
): ReadoutRow {
  const difference = pairedDifferences(treatment, control, seeds);
  const shared = difference.seeds;
  const treatmentMean = summarize(shared.map((seed) => treatment.get(seed) ?? Number.NaN)).mean;
  const controlMean = summarize(shared.map((seed) => control.get(seed) ?? Number.NaN)).mean;
  const significant = difference.ci95 !== null && (difference.ci95[0] > 0 || difference.ci95[1] < 0);
  const guardrail = GUARDRAILS[metric] ?? null;
  const worse = guardrail === 'up' ? difference.mean > 0 : guardrail === 'down' ? difference.mean < 0 : false;
  return {
    metric,
    treatment: treatmentMean,
    control: controlMean,
    difference: { mean: difference.mean, ci95: difference.ci95, n: difference.n },
    lift: controlMean !== 0 && Number.isFinite(controlMean) ? difference.mean / Math.abs(controlMean) : null,
    significant,
    guardrail,
    worse,
  };
}

const bySeed = (summary: MetricSummary): Map<number, number> =>
  new Map(summary.seeds.map((seed, i) => [seed, summary.values[i]]));

/** The readout of `treatment` against `control` in an experiment's results directory. */
export function abReadout(dir: string, summary: Summary, treatment: string, control: string): Readout {
  const rows: ReadoutRow[] = [];
  const t = summary.agents[treatment];
  const c = summary.agents[control];
  for (const metric of summaryMetrics(summary)) {
    if (!t?.[metric] || !c?.[metric]) continue;
    rows.push(row(metric, bySeed(t[metric]), bySeed(c[metric]), summary.seeds));
  }
  const treatmentSignals = signalMeans(dir, treatment, summary.seeds);
  const controlSignals = signalMeans(dir, control, summary.seeds);
  for (const [metric, values] of treatmentSignals) {
    const other = controlSignals.get(metric);
    if (!other) continue;
    const signal = row(metric, values, other, summary.seeds);
    // A signal a metric already counts (views as clicks, minutes watched as the return) is not repeated.
    if (!rows.some((earlier) => same(earlier, signal))) rows.push(signal);
  }
  // As an online experiment's readout: the goal first, then the guardrails, then the rest.
  const rank = (r: ReadoutRow) => (r.metric === 'return' ? 0 : r.guardrail ? 1 : 2);
  rows.sort((a, b) => rank(a) - rank(b));
  return { treatment, control, seeds: summary.seeds, episodes: summary.episodes, rows };
}

function same(a: ReadoutRow, b: ReadoutRow): boolean {
  // (Relative 1e-6: a world may sum a signal in float32 and its metric in float64.)
  const close = (x: number, y: number) => Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(x), Math.abs(y));
  return close(a.treatment, b.treatment) && close(a.control, b.control) && close(a.difference.mean, b.difference.mean);
}

function signed(x: number): string {
  return `${x > 0 ? '+' : ''}${formatNumber(x)}`;
}

/** The difference and its interval, to two significant digits of the interval's half-width. */
function differenceText(d: ReadoutRow['difference']): string {
  if (d.ci95 === null) return signed(d.mean);
  const halfWidth = (d.ci95[1] - d.ci95[0]) / 2;
  if (!(halfWidth > 1e-9)) return signed(d.mean);
  const decimals = Math.min(6, Math.max(0, 1 - Math.floor(Math.log10(halfWidth))));
  const fixed = (x: number) => {
    const text = x.toFixed(decimals);
    return /^-0(\.0+)?$/.test(text) ? text.slice(1) : `${x > 0 && Number(text) !== 0 ? '+' : ''}${text}`;
  };
  return `${fixed(d.mean)} [${fixed(d.ci95[0])}, ${fixed(d.ci95[1])}]`;
}

function liftText(lift: number | null): string {
  if (lift === null) return '—';
  const percent = 100 * lift + 0; // (+ 0: no "-0.0%")
  if (Math.abs(percent) < 0.05) return '0%';
  return `${percent > 0 ? '+' : ''}${Math.abs(percent) >= 100 ? percent.toFixed(0) : percent.toFixed(1)}%`;
}

function verdict(row: ReadoutRow): string {
  if (row.difference.ci95 === null) return 'one seed: no interval';
  const moved = row.significant ? 'significant' : 'not significant';
  if (row.guardrail === null) return moved;
  if (!row.worse) return `guardrail ok (${moved})`;
  return row.significant ? 'GUARDRAIL WORSE (significant)' : 'guardrail: worse, not significant';
}

/** The readout as the terminal prints it (and try.md holds). */
export function readoutText(readout: Readout): string {
  const rows: string[][] = [['metric', 'treatment', 'control', 'lift', 'difference (95% interval)', '']];
  for (const r of readout.rows) {
    rows.push([
      r.guardrail ? `${r.metric} (guardrail)` : r.metric,
      formatNumber(r.treatment),
      formatNumber(r.control),
      liftText(r.lift),
      differenceText(r.difference),
      verdict(r),
    ]);
  }
  const n = readout.seeds.length;
  const goal = readout.rows.find((r) => r.metric === 'return');
  const bad = readout.rows.filter((r) => r.worse && r.significant).map((r) => r.metric);
  const lines = [
    `treatment ${readout.treatment} against control ${readout.control}: ${n} seed${n === 1 ? '' : 's'} x ` +
      `${readout.episodes} users, the same users in both arms; differences paired by seed, 95% t intervals over seeds`,
    '',
    textTable(rows),
    '',
  ];
  if (goal) {
    const direction = goal.difference.mean > 0 ? 'more' : 'less';
    lines.push(
      goal.significant
        ? `return: ${readout.treatment} earns ${direction} per user than ${readout.control}, ` +
            `${differenceText(goal.difference)} (significant at 95%)`
        : `return: no significant difference from ${readout.control} at this sample size, ` +
            `${differenceText(goal.difference)} (the interval includes 0)`,
    );
  }
  lines.push(
    bad.length === 0 ? 'guardrails: none significantly worse' : `guardrails significantly worse: ${bad.join(', ')}`,
  );
  return `${lines.join('\n')}\n`;
}
