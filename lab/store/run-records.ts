// A run's record files, both ways: the lines a finished run writes (runs/<agent>/seed-<s>.jsonl,
// .curve.jsonl, .run-metrics.json) and parsing them back. The summary, charts and reports are always built from the
// files (lab/report/outputs.ts), so an experiment finished in one go, one resumed after a crash
// (`slatelab resume`) and one whose reports are rebuilt (`slatelab report`) give the same bytes.
// JSON keeps every double exactly (shortest round-trip form), so nothing is lost on the way.
import type { WorldSpec } from '../../sim/env.ts';
import type { EpisodeRecord } from '../loop/rollout.ts';
import type { Checkpoint, TrainingTotals } from '../loop/agent-run.ts';

/** The world's names for a run's record lines: its extra metrics and signals, and whether it has a clock. */
export type RecordNames = Pick<WorldSpec, 'episodeMetricNames' | 'signalNames' | 'clock'>;

/** One line per episode (the README's Results section lists the fields). */
export function episodeJsonl(records: readonly EpisodeRecord[], names: RecordNames): string {
  const { episodeMetricNames: extraNames, signalNames, clock } = names;
  let text = '';
  for (const record of records) {
    const signals: Record<string, number> = {};
    signalNames.forEach((name, i) => {
      signals[name] = record.signalTotals[i];
    });
    const line: Record<string, number | boolean | readonly number[] | Record<string, number>> = {
      episode: record.episode,
      return: record.return,
      length: record.length,
      clicks: record.clicks,
      impressions: record.impressions,
      signals,
    };
    extraNames.forEach((name, i) => {
      line[name] = record.extra[i];
    });
    // Worlds with a clock: the reward and steps of each day of the episode, even a one-day one.
    if (clock) {
      line.dailyReturn = record.dailyReturn;
      line.dailySteps = record.dailySteps;
    }
    if (record.truncated) line.truncated = true; // cut by evaluation.maxStepsPerEpisode
    text += `${JSON.stringify(line)}\n`;
  }
  return text;
}

/** The records of episodeJsonl's text. A world without a clock has one day: the episode's return and length. */
export function parseEpisodeJsonl(text: string, names: RecordNames, file: string): EpisodeRecord[] {
  const records: EpisodeRecord[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line === '') return;
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(
        `${file}: line ${i + 1} is not a record (a file cut short?); run the seed again with slatelab resume`,
      );
    }
    // JSON writes NaN and +-Infinity as null: read null back as NaN (a world's metric may be undefined for an episode).
    const number = (key: string): number => {
      const x = value[key];
      if (x === null) return Number.NaN;
      if (typeof x !== 'number')
        throw new Error(`${file}: line ${i + 1} has no number "${key}"; it was written by another version of slatelab`);
      return x;
    };
    const numbers = (key: string): number[] => {
      const list = value[key];
      if (!Array.isArray(list))
        throw new Error(`${file}: line ${i + 1} has no list "${key}"; it was written by another version of slatelab`);
      return list.map((x) => (x === null ? Number.NaN : (x as number)));
    };
    const signals = (value.signals ?? {}) as Record<string, number | null>;
    const total = number('return');
    const length = number('length');
    records.push({
      episode: number('episode'),
      return: total,
      length,
      clicks: number('clicks'),
      impressions: number('impressions'),
      signalTotals: names.signalNames.map((name) => (signals[name] === null ? Number.NaN : (signals[name] ?? 0))),
      dailyReturn: names.clock ? numbers('dailyReturn') : [total],
      dailySteps: names.clock ? numbers('dailySteps') : [length],
      extra: names.episodeMetricNames.map((name) => number(name)),
      truncated: value.truncated === true,
    });
  });
  return records;
}

/** The learning curve: one line per checkpoint, then one line with the run's training totals. */
export function curveJsonl(curve: readonly Checkpoint[], totals: TrainingTotals | null): string {
  let text = '';
  for (const checkpoint of curve) text += `${JSON.stringify({ kind: 'checkpoint', ...checkpoint })}\n`;
  if (totals) text += `${JSON.stringify({ kind: 'totals', ...totals })}\n`;
  return text;
}

/** The checkpoints and totals of curveJsonl's text. */
export function parseCurve(text: string): { curve: Checkpoint[]; totals: TrainingTotals | null } {
  const curve: Checkpoint[] = [];
  let totals: TrainingTotals | null = null;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const { kind, ...rest } = JSON.parse(line) as { kind: string };
    if (kind === 'checkpoint') {
      // A metric that was NaN was written as null (JSON has no NaN).
      const checkpoint = rest as Checkpoint & { metrics: Record<string, number | null> };
      for (const name in checkpoint.metrics)
        if (checkpoint.metrics[name] === null) checkpoint.metrics[name] = Number.NaN;
      curve.push(checkpoint);
    } else if (kind === 'totals') totals = rest as TrainingTotals;
  }
  return { curve, totals };
}

/**
 * The world's run metrics of a run (WorldSpec.runMetricNames), one JSON object by name in the
 * world's order; NaN (a metric with nothing to measure) is written as null.
 */
export function runMetricsJson(runMetrics: Readonly<Record<string, number>>): string {
  return `${JSON.stringify(runMetrics)}\n`;
}

/** The run metrics of runMetricsJson's text, null read back as NaN. */
export function parseRunMetrics(text: string, file: string): Record<string, number> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not a run's metrics (a file cut short?); run the seed again with slatelab resume`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${file} is not a run's metrics; it was written by another version of slatelab`);
  const metrics: Record<string, number> = {};
  for (const [name, x] of Object.entries(value)) {
    if (x !== null && typeof x !== 'number')
      throw new Error(`${file}: "${name}" is not a number; it was written by another version of slatelab`);
    metrics[name] = x === null ? Number.NaN : x;
  }
  return metrics;
}
