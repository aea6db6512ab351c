// The results store: what an experiment leaves in its output directory, written atomically
// (a temporary file renamed into place), so a reader never sees half a file and an interrupted
// run never leaves a truncated one.
//
//   manifest.json               resolved config, seeds, versions, git commit, failures (no timestamps)
//   runs/<agent>/seed-<s>.jsonl one record per episode (the final evaluation)
//   runs/<agent>/seed-<s>.curve.jsonl  learning curve: one line per checkpoint, then the training totals
//   runs/<agent>/seed-<s>.agent.json   what a learning agent learned (lab/saved-agents.ts; config init: loads it)
//   summary.json                per agent and metric: mean, 95% CI over seeds, n, per-seed values;
//                               paired differences against the first agent
//   summary.csv                 agent,metric,mean,ci95_lo,ci95_hi,n
//   charts/<name>.svg|png       comparisons per metric; reward and active users per day
//   report.md, report.html      the summary as tables, with the charts (report.html is offline, one file)
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from './package-root.ts';
import { pairedDifferences, summarize } from '../eval/stats.ts';
import type { AgentChartData } from './charts.ts';
import type { ExperimentConfig, TrainingConfig } from './config.ts';
import type { Checkpoint, TrainingTotals } from './training.ts';

/** Writes `text` to `path` atomically: a sibling temporary file, then a rename over the target. */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

export function writeBinaryAtomic(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, path);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** One metric of one agent over seeds. */
export interface MetricSummary {
  readonly mean: number;
  /** null when fewer than two seeds finished (no spread to estimate). */
  readonly ci95: readonly [number, number] | null;
  readonly n: number;
  /** Per-seed means, in seed order (seeds whose run failed are left out; see `seeds`). */
  readonly values: readonly number[];
  /** null when fewer than two seeds finished. */
  readonly sd: number | null;
  /** The seeds behind `values`. */
  readonly seeds: readonly number[];
}

export interface Summary {
  readonly name: string;
  readonly world: string;
  readonly worldParams: Record<string, unknown>;
  readonly seed: number;
  readonly seeds: readonly number[];
  readonly episodes: number;
  readonly metrics: readonly string[];
  /** Agents that read ground truth (oracles): reference points, not deployable policies. */
  readonly evaluationOnly: readonly string[];
  /** Episodes cut at evaluation.maxStepsPerEpisode before the world ended them, over all runs. */
  readonly truncatedEpisodes: number;
  /** What each metric means in this world (WorldSpec.metricDocs). */
  readonly metricDocs: Readonly<Record<string, string>>;
  readonly agents: Record<string, Record<string, MetricSummary>>;
  readonly paired: {
    readonly baseline: string;
    /** agent - baseline, per shared seed, for every agent but the baseline. */
    readonly agents: Record<string, Record<string, MetricSummary>>;
  };
  /** Per agent, per simulated day: mean reward per user, and the share of users active that day. */
  readonly daily: Record<string, { readonly reward: readonly MetricSummary[]; readonly active: readonly MetricSummary[] }>;
  /** Learning curves and training totals; null when the config has no training block. */
  readonly training: TrainingSummary | null;
  /** Agents started from a saved agent (config `init:`), by name; absent when none was. */
  readonly loaded?: Record<string, { readonly from: string; readonly agent: string; readonly sameWorld: boolean; readonly backend: string | null }>;
  /** The network backend of the agents with networks (config `backend`); absent when no agent has networks. */
  readonly backend?: string;
  /**
   * What the world's and agents' parameters assume that a reader must know (ground truth in the
   * observations, an oracle choice model), one sentence each; absent when there is nothing to say.
   */
  readonly notes?: readonly string[];
}

/** The training of every agent, summarised over seeds (config `training:`). */
export interface TrainingSummary extends TrainingConfig {
  readonly agents: Record<string, AgentTraining>;
}

export interface AgentTraining {
  /** False for fixed policies: their one checkpoint stands for every point of training. */
  readonly learns: boolean;
  /** Training steps at each checkpoint (mean over the seeds that reached it). */
  readonly steps: readonly number[];
  /** Per evaluation metric (return, ...): its summary over seeds at each checkpoint. */
  readonly curves: Record<string, readonly MetricSummary[]>;
  /** Cumulative online regret at each checkpoint; null where the world does not know the optimum. */
  readonly regret: readonly MetricSummary[] | null;
  /** The agent's training statistics (mean over the updates since the previous checkpoint), per checkpoint. */
  readonly stats: Record<string, readonly MetricSummary[]>;
  /**
   * Over seeds: training steps and episodes, online regret (all of training, first and second half
   * of its steps, and second half / first half: below 1 when the learner pays less as it learns).
   * null for fixed policies.
   */
  readonly totals: Record<TotalName, MetricSummary> | null;
}

export const TOTAL_NAMES = ['steps', 'episodes', 'cutEpisodes', 'onlineRegret', 'regretFirstHalf', 'regretSecondHalf', 'regretRatio'] as const;
export type TotalName = (typeof TOTAL_NAMES)[number];

/** Per-run training: runTraining.get(agent).get(seed) = the run's curve and totals. */
export type RunTraining = Map<string, Map<number, { readonly curve: readonly Checkpoint[]; readonly totals: TrainingTotals | null }>>;

function metricSummaryOf(values: readonly number[], seeds: readonly number[]): MetricSummary {
  const { mean, ci95, n, sd } = summarize(values);
  return { mean, ci95, n, values, sd, seeds };
}

/** Learning curves over seeds, checkpoint by checkpoint (a seed that has no checkpoint i is left out of point i). */
export function trainingSummary(config: ExperimentConfig, metrics: readonly string[], runTraining: RunTraining): TrainingSummary | null {
  if (!config.training) return null;
  const agents: Record<string, AgentTraining> = {};
  for (const agent of config.agents) {
    const bySeed = runTraining.get(agent.name);
    const seeds = config.seeds.filter((seed) => bySeed?.has(seed));
    const runs = seeds.map((seed) => bySeed!.get(seed)!);
    // Points of the curve: the schedule's targets (0, evalEvery, 2 evalEvery, ...) that every seed
    // reached, then the end of training. Seeds are aligned by target, not by position: with an
    // episodes budget they train for different numbers of steps, so a target only the longer seeds
    // reached is left out (it would sit beyond the end, which averages every seed). A seed whose
    // last round passed a target has its end checkpoint stand for it.
    const endOf = (run: (typeof runs)[number]) => run.curve.find((c) => c.target === null);
    const reach = Math.min(...runs.map((run) => endOf(run)?.steps ?? Math.max(...run.curve.map((c) => c.target ?? 0))));
    const targets = [...new Set(runs.flatMap((run) => run.curve.flatMap((c) => (c.target === null ? [] : [c.target]))))]
      .filter((target) => target <= reach)
      .sort((a, b) => a - b);
    const hasEnd = runs.some((run) => endOf(run) !== undefined);
    const checkpointAt = (run: (typeof runs)[number], point: number): Checkpoint | undefined => {
      const end = endOf(run);
      if (point >= targets.length) return end;
      return run.curve.find((c) => c.target === targets[point]) ?? (end && end.steps >= targets[point] ? end : undefined);
    };
    const points = targets.length + (hasEnd ? 1 : 0);
    /** A quantity of each seed's run summarised over the seeds that have it (a finite number). */
    const overSeeds = (pick: (run: (typeof runs)[number]) => number | null | undefined): MetricSummary => {
      const values: number[] = [];
      const used: number[] = [];
      runs.forEach((run, i) => {
        const value = pick(run);
        if (typeof value === 'number' && Number.isFinite(value)) {
          values.push(value);
          used.push(seeds[i]);
        }
      });
      return metricSummaryOf(values, used);
    };
    const at = (index: number, pick: (checkpoint: Checkpoint) => number | null | undefined): MetricSummary =>
      overSeeds((run) => {
        const checkpoint = checkpointAt(run, index);
        return checkpoint === undefined ? undefined : pick(checkpoint);
      });
    const indices = Array.from({ length: points }, (_, i) => i);
    const curves: Record<string, MetricSummary[]> = {};
    for (const metric of metrics) curves[metric] = indices.map((i) => at(i, (c) => c.metrics[metric]));
    const statNames = [...new Set(runs.flatMap((run) => run.curve.flatMap((c) => Object.keys(c.stats))))].sort();
    const stats: Record<string, MetricSummary[]> = {};
    for (const name of statNames) stats[name] = indices.map((i) => at(i, (c) => c.stats[name]));
    const hasRegret = runs.some((run) => run.curve.some((c) => c.regret !== null));
    let totals: Record<TotalName, MetricSummary> | null = null;
    if (agent.learns) {
      const total = (pick: (t: TrainingTotals) => number | null): MetricSummary => overSeeds((run) => (run.totals ? pick(run.totals) : null));
      totals = {
        steps: total((t) => t.steps),
        episodes: total((t) => t.episodes),
        cutEpisodes: total((t) => t.cutEpisodes),
        onlineRegret: total((t) => t.onlineRegret),
        regretFirstHalf: total((t) => t.regretFirstHalf),
        regretSecondHalf: total((t) => t.regretSecondHalf),
        regretRatio: total((t) => (t.regretFirstHalf !== null && t.regretSecondHalf !== null && t.regretFirstHalf > 0 ? t.regretSecondHalf / t.regretFirstHalf : null)),
      };
    }
    agents[agent.name] = {
      learns: agent.learns,
      steps: indices.map((i) => at(i, (c) => c.steps).mean),
      curves,
      regret: hasRegret ? indices.map((i) => at(i, (c) => c.regret)) : null,
      stats,
      totals,
    };
  }
  return { ...config.training, agents };
}

/** Per-run daily series: runDaily.get(agent).get(seed) = { reward[day], active[day] }. */
export type RunDaily = Map<string, Map<number, { readonly reward: readonly number[]; readonly active: readonly number[] }>>;

/** Summarises each day's per-seed values over seeds (days a run never reached count as 0). */
export function dailySeries(config: ExperimentConfig, runDaily: RunDaily): Summary['daily'] {
  const daily: Record<string, { reward: MetricSummary[]; active: MetricSummary[] }> = {};
  for (const agent of config.agents) {
    const bySeed = runDaily.get(agent.name) ?? new Map();
    const seeds = config.seeds.filter((seed) => bySeed.has(seed));
    const days = Math.max(0, ...seeds.map((seed) => bySeed.get(seed)!.reward.length));
    const series = (pick: 'reward' | 'active') =>
      Array.from({ length: days }, (_, day) => {
        const values = seeds.map((seed) => bySeed.get(seed)![pick][day] ?? 0);
        const { mean, ci95, n, sd } = summarize(values);
        return { mean, ci95, n, values, sd, seeds };
      });
    daily[agent.name] = { reward: series('reward'), active: series('active') };
  }
  return daily;
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

/** Per-run means: runMeans.get(agent).get(seed) = { metric: mean over the run's episodes }. */
export type RunMeans = Map<string, Map<number, Record<string, number>>>;

export function buildSummary(
  config: ExperimentConfig,
  metrics: readonly string[],
  runMeans: RunMeans,
  evaluationOnly: readonly string[],
  daily: Summary['daily'] = {},
  truncatedEpisodes = 0,
  metricDocs: Readonly<Record<string, string>> = {},
  training: TrainingSummary | null = null,
  notes: readonly string[] = [],
): Summary {
  const perSeed = (agent: string, metric: string): Map<number, number> => {
    const bySeed = new Map<number, number>();
    for (const seed of config.seeds) {
      const means = runMeans.get(agent)?.get(seed);
      if (means) bySeed.set(seed, means[metric]);
    }
    return bySeed;
  };
  const agents: Summary['agents'] = {};
  const paired: Summary['paired']['agents'] = {};
  const baseline = config.agents[0].name;
  for (const agent of config.agents) {
    const entry: Record<string, MetricSummary> = {};
    for (const metric of metrics) {
      const bySeed = perSeed(agent.name, metric);
      const values = [...bySeed.values()];
      const { mean, ci95, n, sd } = summarize(values);
      entry[metric] = { mean, ci95, n, values, sd, seeds: [...bySeed.keys()] };
    }
    agents[agent.name] = entry;
    if (agent.name === baseline) continue;
    const differences: Record<string, MetricSummary> = {};
    for (const metric of metrics) {
      const { mean, ci95, n, sd, values, seeds } = pairedDifferences(perSeed(agent.name, metric), perSeed(baseline, metric), config.seeds);
      differences[metric] = { mean, ci95, n, values, sd, seeds };
    }
    paired[agent.name] = differences;
  }
  return {
    name: config.name,
    world: config.world.preset,
    worldParams: config.world.params,
    seed: config.seed,
    seeds: config.seeds,
    episodes: config.evaluation.episodes,
    metrics,
    evaluationOnly,
    truncatedEpisodes,
    metricDocs: Object.fromEntries(metrics.filter((metric) => metricDocs[metric] !== undefined).map((metric) => [metric, metricDocs[metric]])),
    agents,
    paired: { baseline, agents: paired },
    daily,
    training,
    ...loadedAgents(config),
    ...(notes.length > 0 ? { notes } : {}),
  };
}

function loadedAgents(config: ExperimentConfig): Pick<Summary, 'loaded' | 'backend'> {
  const loaded = config.agents.filter((agent) => agent.init !== null);
  if (loaded.length === 0) return {};
  return {
    loaded: Object.fromEntries(loaded.map((agent) => [agent.name, { from: agent.init!.from, agent: agent.init!.agent, sameWorld: agent.init!.sameWorld, backend: agent.init!.backend }])),
    backend: config.backend,
  };
}

/** Full precision, so the CSV round-trips; empty where undefined (no finished seed). */
function csvNumber(x: number): string {
  return Number.isFinite(x) ? String(x) : '';
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function summaryCsv(summary: Summary): string {
  const lines = ['agent,metric,mean,ci95_lo,ci95_hi,n'];
  for (const [agent, metrics] of Object.entries(summary.agents)) {
    for (const metric of summary.metrics) {
      const m = metrics[metric];
      lines.push([csvField(agent), csvField(metric), csvNumber(m.mean), csvNumber(m.ci95?.[0] ?? Number.NaN), csvNumber(m.ci95?.[1] ?? Number.NaN), String(m.n)].join(','));
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
export function formatInterval(m: { mean: number; ci95: readonly [number, number] | null; n: number }, signed = false): string {
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

/** Rows of cells: a header row, then one row per agent. */
export function summaryRows(summary: Summary): string[][] {
  const rows: string[][] = [['agent', ...summary.metrics]];
  for (const [agent, metrics] of Object.entries(summary.agents)) {
    const label = summary.evaluationOnly.includes(agent) ? `${agent} †` : agent;
    rows.push([label, ...summary.metrics.map((metric) => formatInterval(metrics[metric]))]);
  }
  return rows;
}

export function pairedRows(summary: Summary): string[][] {
  const rows: string[][] = [['agent', ...summary.metrics]];
  for (const [agent, metrics] of Object.entries(summary.paired.agents)) {
    const label = summary.evaluationOnly.includes(agent) ? `${agent} †` : agent;
    rows.push([
      label,
      ...summary.metrics.map((metric) => {
        const m = metrics[metric];
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
    `Learning agents trained for ${budget} per run, ${training.batchSize} users stepping together (the agent updates once per round of them), ` +
      `with a checkpoint every ${training.evalEvery} steps evaluated on ${training.evalEpisodes} evaluation users (the same users at every checkpoint, never met in training). ` +
      'Fixed policies do not train: their one evaluation is drawn flat across the curves. The summary tables above are the final evaluation; ' +
      `the return columns below are the first and last checkpoints (${training.evalEpisodes} users).`,
    ...(hasRegret
      ? [
          'Online regret: the expected reward the learner lost against the best slate while it learned, summed over training steps; ' +
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
    const row = [agent, curve[0] ? formatInterval(curve[0]) : '—', curve.length > 0 ? formatInterval(curve[curve.length - 1]) : '—', formatInterval(entry.totals.steps)];
    if (hasRegret) row.push(formatInterval(entry.totals.onlineRegret), formatInterval(entry.totals.regretRatio));
    rows.push(row);
  }
  return rows;
}

function markdownTable(rows: string[][]): string {
  const [header, ...body] = rows;
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const row of body) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

/** A plain aligned table for the terminal. */
export function textTable(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => [...row[column]].length)));
  return rows
    .map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ').trimEnd())
    .join('\n');
}

export interface FailureRecord {
  readonly agent: string;
  readonly seed: number;
  readonly error: string;
}

/** [metric, meaning] for the metrics the world documents, in table order. */
export function metricGlossary(summary: Summary): [string, string][] {
  return summary.metrics.flatMap((metric): [string, string][] => (summary.metricDocs[metric] ? [[metric, summary.metricDocs[metric]]] : []));
}

/** The summary as the terminal shows it after a run. */
export function summaryText(summary: Summary): string {
  const parts = [textTable(summaryRows(summary))];
  if (summary.evaluationOnly.length > 0) parts.push('† evaluation only (reads ground truth)');
  for (const note of summary.notes ?? []) parts.push(`Note: ${note}.`);
  return `${parts.join('\n')}\n`;
}

/** Sentences that say how to read the tables (shared by report.md and report.html). */
export function reportIntro(summary: Summary): string[] {
  const lines = [
    `World ${summary.world}; ${summary.episodes} episodes per (agent, seed); seeds ${summary.seeds.join(', ')} (experiment seed ${summary.seed}).`,
    'Each cell: the mean over seeds of the per-seed mean over episodes, ± the half-width of its 95% t interval over seeds.',
  ];
  for (const [name, source] of Object.entries(summary.loaded ?? {})) {
    const what = summary.training ? 'started from' : 'loaded from, not trained here:';
    const world = source.sameWorld ? 'trained in this same world' : 'trained in another version of this world (other parameters or experiment seed)';
    // Networks give other numbers on another backend: say so when the saved one differs.
    const backend = source.backend !== null && source.backend !== summary.backend ? `; its networks were trained on backend ${source.backend}, this run uses ${summary.backend}` : '';
    lines.push(`Agent ${name} ${what} agent ${source.agent} of ${source.from}, per seed (${world}${backend}).`);
  }
  for (const note of summary.notes ?? []) lines.push(`Note: ${note}.`);
  if (summary.truncatedEpisodes > 0) {
    lines.push(
      `Warning: ${summary.truncatedEpisodes} episodes were cut at evaluation.maxStepsPerEpisode before the world ended them; ` +
        'their metrics cover only the steps taken (raise the limit to see whole episodes).',
    );
  }
  return lines;
}

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

const PROJECT_ROOT = packageRoot(import.meta.url);

/** Whether two paths name the same folder (symbolic links resolved). */
function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}
const execFileAsync = promisify(execFile);

/** Versions that explain a result: slatelab, Node, each dependency as installed, the git commit. */
export async function environmentInfo(): Promise<{
  slatelab: string;
  node: string;
  dependencies: Record<string, string | null>;
  gitCommit: string | null;
  /** Whether the source tree differed from gitCommit (changed or new files) when the experiment ran (null outside git). */
  gitDirty: boolean | null;
  /** What ran: the TypeScript sources (through tsx) or the JavaScript built into dist/ (bin/slatelab.js picks). */
  code: 'sources' | 'dist';
}> {
  // Both git commands at once, in child processes, started first: they run while this thread reads
  // the versions and the caller prepares the experiment (runExperiment awaits them before the
  // first manifest).
  const git = async (...args: string[]): Promise<string | null> => {
    try {
      const { stdout } = await execFileAsync('git', args, { cwd: PROJECT_ROOT });
      return stdout.trim();
    } catch {
      return null;
    }
  };
  // An installed copy (node_modules/slatelab) has no .git of its own: git would find the user's
  // project around it. Only a repository whose top is this package's folder counts.
  const asked = Promise.all([git('rev-parse', '--show-toplevel', 'HEAD'), git('status', '--porcelain')]);
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    version: string;
    dependencies?: Record<string, string>;
  };
  const dependencies: Record<string, string | null> = {};
  for (const name of Object.keys(pkg.dependencies ?? {}).sort()) {
    const file = join(PROJECT_ROOT, 'node_modules', name, 'package.json');
    dependencies[name] = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : null;
  }
  const [where, status] = await asked;
  const [top, commit] = where?.split('\n') ?? [];
  const ours = top !== undefined && samePath(top, PROJECT_ROOT);
  const gitCommit = (ours && commit) || null;
  const gitDirty = gitCommit === null || status === null ? null : status !== '';
  return { slatelab: pkg.version, node: process.version, dependencies, gitCommit, gitDirty, code: import.meta.url.endsWith('.ts') ? 'sources' : 'dist' };
}
