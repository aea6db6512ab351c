// The summary, charts and reports of an experiment, built from the record files of its finished
// runs (lab/store/run-records.ts), never from memory: `slatelab run` at the end, `slatelab resume` after
// finishing the missing runs and `slatelab report` on its own all call this, so they write the
// same bytes from the same records.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { experimentCharts, type ConstantChart, type RenderedChart } from './charts.ts';
import type { ExperimentConfig } from '../config/config.ts';
import type { Registries } from '../config/registries.ts';
import { isPathKind } from '../config/path-kind.ts';
import { findKind } from '../config/registries.ts';
import type { WorldShape } from '../config/world-shape.ts';
import { learningCharts } from './learning-charts.ts';
import type { EpisodeRecord } from '../loop/rollout.ts';
import { reportHtml } from './html.ts';
import {
  buildSummary,
  dailySeries,
  trainingSummary,
  type FailureRecord,
  type RunDaily,
  type RunMeans,
  type RunTraining,
  type Summary,
} from '../store/summary.ts';
import { chartData } from './charts.ts';
import { chooseVariants, reportingConfig } from './tuning.ts';
import { reportMarkdown } from './markdown.ts';
import { experimentInfo, type ReportProvenance } from './experiment-info.ts';
import { summaryCsv } from './tables.ts';
import { writeBinaryAtomic, writeFileAtomic, writeJsonAtomic } from '../store/atomic.ts';
import { parseCurve, parseEpisodeJsonl, parseRunMetrics, type RecordNames } from '../store/run-records.ts';
import type { Checkpoint, TrainingTotals } from '../loop/agent-run.ts';
import { episodeMeans } from '../loop/agent-run.ts';
import type { RunEntry } from '../store/manifest.ts';

/** The metrics compared in charts (the rest are in the tables). */
const CHARTED_METRICS = ['return', 'clicks', 'episodeLength'];

export interface Outputs {
  readonly summary: Summary;
  /** Episodes cut short by evaluation.maxStepsPerEpisode, over all runs. */
  readonly truncatedEpisodes: number;
  /** Training episodes cut short by evaluation.maxStepsPerEpisode, over all runs. */
  readonly cutTrainingEpisodes: number;
}

/**
 * Writes summary.json, summary.csv, the charts (unless `charts` is false) and report.md/html of
 * the runs listed, reading their records from `outDir`, or from `read` where a run's files were
 * already read (runExperiment reads each run's text as it writes it: the same text, the same
 * numbers). `missing` lists the runs that did not finish (failed or interrupted), for the reports.
 * `provenance` is what started the experiment (the manifest's; a resume keeps it), which the
 * reports show beside the config.
 */
export async function writeOutputs(
  outDir: string,
  config: ExperimentConfig,
  shape: WorldShape,
  registries: Registries,
  runs: readonly RunEntry[],
  missing: readonly FailureRecord[],
  charts = true,
  read?: ReadonlyMap<string, RunAggregate>,
  provenance: ReportProvenance | null = null,
): Promise<Outputs> {
  const { spec, metrics, evaluationOnly } = shape;
  const runMeans: RunMeans = new Map(config.agents.map((agent) => [agent.name, new Map()]));
  const runDaily: RunDaily = new Map(config.agents.map((agent) => [agent.name, new Map()]));
  const runTraining: RunTraining = new Map(config.agents.map((agent) => [agent.name, new Map()]));
  let truncatedEpisodes = 0;
  let cutTrainingEpisodes = 0;
  // The world's run metrics that some run recorded: none in an experiment recorded before they
  // existed, whose summary and reports then stay as they were.
  const reported = new Set<string>();
  for (const run of runs) {
    const aggregate = read?.get(runKey(run)) ?? readRunAggregate(outDir, run, spec, metrics);
    const runMetrics = finiteRunMetrics(aggregate.runMetrics, spec.runMetricNames ?? []);
    for (const name in runMetrics) reported.add(name);
    runMeans.get(run.agent)!.set(run.seed, { ...aggregate.means, ...runMetrics });
    runDaily.get(run.agent)!.set(run.seed, aggregate.daily);
    truncatedEpisodes += aggregate.truncatedEpisodes;
    if (aggregate.training) {
      runTraining.get(run.agent)!.set(run.seed, aggregate.training);
      cutTrainingEpisodes += aggregate.training.totals?.cutEpisodes ?? 0;
    }
  }
  // With tuning seeds: each swept agent's variant chosen on them, the rest reported on the others.
  const tuning = chooseVariants(config, runMeans);
  const shown = reportingConfig(config, tuning);
  const summary: Summary = {
    ...buildSummary(
      shown,
      metrics,
      runMeans,
      evaluationOnly,
      dailySeries(shown, runDaily),
      truncatedEpisodes,
      spec.metricDocs,
      trainingSummary(shown, metrics, runTraining),
      experimentNotes(shown, registries),
      (spec.runMetricNames ?? []).filter((name) => reported.has(name)),
    ),
    ...(tuning ? { tuning } : {}),
  };
  writeJsonAtomic(join(outDir, 'summary.json'), summary);
  writeFileAtomic(join(outDir, 'summary.csv'), summaryCsv(summary));
  let chartFiles: RenderedChart[] = [];
  let constant: ConstantChart[] = [];
  if (charts && runs.length > 0) {
    const agentsData = chartData(summary);
    const learning = learningCharts(summary, agentsData, spec.episodeMetricNames);
    const made = await experimentCharts(agentsData, CHARTED_METRICS, learning.drawn);
    constant = [...made.constant, ...learning.alike];
    for (const chart of made.charts) {
      writeFileAtomic(join(outDir, 'charts', `${chart.name}.svg`), chart.svg);
      writeBinaryAtomic(join(outDir, 'charts', `${chart.name}.png`), chart.png);
    }
    // A chart left out now may be on disk from an earlier version (`slatelab report` rebuilds in place).
    for (const chart of constant) {
      for (const ext of ['svg', 'png']) rmSync(join(outDir, 'charts', `${chart.name}.${ext}`), { force: true });
    }
    chartFiles = made.charts;
  }
  const about = { constant, experiment: experimentInfo(config, registries, provenance) };
  const chartNames = chartFiles.map((c) => ({ name: c.name, title: c.title }));
  writeFileAtomic(join(outDir, 'report.md'), reportMarkdown(summary, missing, chartNames, about));
  writeFileAtomic(join(outDir, 'report.html'), reportHtml(summary, missing, chartFiles, about));
  return { summary, truncatedEpisodes, cutTrainingEpisodes };
}

/** The world's and each agent's notes for the reports (WorldDefinition.notes, AgentDefinition.notes). */
export function experimentNotes(config: ExperimentConfig, registries: Registries): string[] {
  const world = registries.worlds[config.world.preset];
  const notes = [...(world?.notes?.(config.world.params as never) ?? [])];
  for (const agent of config.agents) {
    // A user file's notes are its own (a report rebuilt without the file could not repeat them).
    if (isPathKind(agent.kind)) continue;
    const definition = findKind(registries, agent.kind)?.definition as
      | { notes?: (values: unknown) => string[] }
      | undefined;
    for (const note of definition?.notes?.(agent.params) ?? []) notes.push(`${agent.name}: ${note}`);
  }
  return notes;
}

/** What the summary takes from one run's files. */
export interface RunAggregate {
  readonly means: Record<string, number>;
  readonly daily: { reward: number[]; active: number[] };
  readonly truncatedEpisodes: number;
  readonly training: { curve: Checkpoint[]; totals: TrainingTotals | null } | null;
  /** The world's run metrics as recorded (NaN where undefined); null for a run without them. */
  readonly runMetrics: Readonly<Record<string, number>> | null;
}

/**
 * The world's run metrics of a run that have a value: one with nothing to measure (NaN) or not
 * recorded is absent, and its seed is left out of that metric's summary (not counted as 0).
 */
function finiteRunMetrics(
  recorded: Readonly<Record<string, number>> | null,
  names: readonly string[],
): Record<string, number> {
  const values: Record<string, number> = {};
  for (const name of names) {
    const value = recorded?.[name];
    if (value !== undefined && Number.isFinite(value)) values[name] = value;
  }
  return values;
}

/** The key of a run in writeOutputs' `read` map. */
export function runKey(run: { readonly agent: string; readonly seed: number }): string {
  return `${run.agent}\u0000${run.seed}`;
}

/**
 * A run's aggregate from the text of its records, curve and run-metrics files (each of the last
 * two null without one). `files` names them for errors.
 */
export function aggregateRun(
  texts: { readonly records: string; readonly curve: string | null; readonly runMetrics: string | null },
  spec: RecordNames,
  metrics: readonly string[],
  files: { readonly records: string; readonly runMetrics?: string },
): RunAggregate {
  const parsed = parseEpisodeJsonl(texts.records, spec, files.records);
  return {
    means: episodeMeans(parsed, metrics),
    daily: dailyOf(parsed),
    truncatedEpisodes: parsed.filter((record) => record.truncated).length,
    training: texts.curve === null ? null : parseCurve(texts.curve),
    runMetrics: texts.runMetrics === null ? null : parseRunMetrics(texts.runMetrics, files.runMetrics ?? ''),
  };
}

function readRunAggregate(outDir: string, run: RunEntry, spec: RecordNames, metrics: readonly string[]): RunAggregate {
  const read = (file: string | undefined) => (file ? readFileSync(join(outDir, file), 'utf8') : null);
  const records = join(outDir, run.file);
  const runMetrics = run.runMetricsFile ? join(outDir, run.runMetricsFile) : undefined;
  return aggregateRun(
    { records: readFileSync(records, 'utf8'), curve: read(run.curveFile), runMetrics: read(run.runMetricsFile) },
    spec,
    metrics,
    { records, runMetrics },
  );
}

/**
 * Per day: mean reward per user (0 for users who were gone) and the share of users active (who made a request that
 * day).
 */
export function dailyOf(records: readonly EpisodeRecord[]): { reward: number[]; active: number[] } {
  let days = 0; // a loop, not Math.max(...): a spread of 10^5 arguments overflows the stack
  for (const record of records) days = Math.max(days, record.dailyReturn.length);
  const reward = new Array<number>(days).fill(0);
  const active = new Array<number>(days).fill(0);
  for (const record of records) {
    record.dailyReturn.forEach((value, day) => {
      reward[day] += value;
      if (record.dailySteps[day] > 0) active[day] += 1;
    });
  }
  return { reward: reward.map((sum) => sum / records.length), active: active.map((count) => count / records.length) };
}
