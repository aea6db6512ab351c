// `slatelab compare A B`: the agents two experiments share, side by side, with B − A per metric and
// a 95% interval, after every way the experiments differ that could explain the numbers (config,
// versions, network backend). Reads the two directories' manifest.json and summary.json only;
// pure otherwise (no clock, no randomness, nothing written).
//
// Paired or unpaired: when both ran the same world, experiment seed, run seeds and evaluation
// episodes, seed s met the same users in both (the world seeds its streams per episode from the
// experiment and run seeds), so the per-seed difference B_s − A_s cancels the seed's own luck and
// its t interval is the honest one. Otherwise the two sets of seeds are independent samples:
// Welch's t interval, which does not assume equal variances.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pairedDifferences, welchDifference } from '../../eval/stats.ts';
import type { ExperimentConfig } from '../config/config.ts';
import { formatInterval, formatNumber, summaryMetrics, textTable } from './tables.ts';
import { ManifestError, readManifest, type Manifest } from '../store/manifest.ts';
import type { MetricSummary, Summary } from '../store/summary.ts';

/** One side of the comparison, as its header line describes it. */
export interface ComparedExperiment {
  readonly dir: string;
  readonly name: string;
  readonly world: string;
  readonly seed: number;
  readonly seeds: readonly number[];
  readonly episodes: number;
}

/** One way the experiments differ. `a` / `b` undefined: absent on that side. */
export interface Difference {
  readonly kind: 'config' | 'versions' | 'networks';
  /**
   * A config path (world.params.catalog, agents.greedy.params.alpha, seeds), a version (node, dependencies.yaml,
   * gitCommit) or networks.backend.
   */
  readonly what: string;
  readonly a: unknown;
  readonly b: unknown;
}

/** B − A of one metric of one agent. */
export interface MetricDifference {
  readonly mean: number;
  /** null with fewer than two seeds (per side for Welch, shared for paired): no spread to estimate. */
  readonly ci95: readonly [number, number] | null;
  /** Whether the interval excludes 0. */
  readonly clear: boolean;
  /** Paired: the shared seeds and B_s − A_s for each; Welch: empty. */
  readonly seeds: readonly number[];
  readonly values: readonly number[];
  /** Welch–Satterthwaite degrees of freedom (null when paired or without an interval). */
  readonly df: number | null;
}

export interface AgentComparison {
  readonly agent: string;
  /** Evaluation-only (an oracle that reads ground truth) in either experiment. */
  readonly evaluationOnly: boolean;
  readonly metrics: Readonly<
    Record<string, { readonly a: MetricSummary; readonly b: MetricSummary; readonly difference: MetricDifference }>
  >;
}

export interface Comparison {
  readonly a: ComparedExperiment;
  readonly b: ComparedExperiment;
  /** Config, then versions, then networks; empty when the experiments are the same but for their names. */
  readonly differences: readonly Difference[];
  readonly method: 'paired' | 'welch';
  /** Why the differences are unpaired (empty when paired). */
  readonly unpairedBecause: readonly string[];
  /** Metrics of both summaries, in A's order. */
  readonly metrics: readonly string[];
  readonly metricsOnlyIn: { readonly a: readonly string[]; readonly b: readonly string[] };
  /** Agents of both experiments (matched by name), in A's order. */
  readonly agents: readonly AgentComparison[];
  readonly agentsOnlyIn: { readonly a: readonly string[]; readonly b: readonly string[] };
  /** Caveats that are not config differences: unfinished or failed runs, uncommitted source, backends. */
  readonly notes: readonly string[];
}

/** A directory that is not a finished experiment's results; the message is one line with the fix. */
export class CompareError extends Error {}

export function compareExperiments(dirA: string, dirB: string): Comparison {
  const a = readExperiment(dirA);
  const b = readExperiment(dirB);
  const configA = a.manifest.config;
  const configB = b.manifest.config;
  const differences = [
    ...configDifferences(configA, configB),
    ...versionDifferences(a.manifest, b.manifest),
    ...networkDifferences(a.manifest, b.manifest),
  ];

  const unpairedBecause = pairingObstacles(configA, configB);
  const method = unpairedBecause.length === 0 ? 'paired' : 'welch';
  // The per-episode metrics, then the world's run metrics (where both experiments recorded them).
  const metricsA = summaryMetrics(a.summary);
  const metricsB = summaryMetrics(b.summary);
  const metrics = metricsA.filter((metric) => metricsB.includes(metric));
  const namesA = Object.keys(a.summary.agents);
  const namesB = Object.keys(b.summary.agents);
  const agents = namesA
    .filter((name) => namesB.includes(name))
    .map((agent): AgentComparison => {
      const entries = metrics.map((metric) => {
        const ma = a.summary.agents[agent][metric];
        const mb = b.summary.agents[agent][metric];
        const difference =
          method === 'paired' ? pairedDifference(ma, mb, configA.seeds) : unpairedDifference(ma.values, mb.values);
        return [metric, { a: ma, b: mb, difference }] as const;
      });
      const evaluationOnly = a.summary.evaluationOnly.includes(agent) || b.summary.evaluationOnly.includes(agent);
      return { agent, evaluationOnly, metrics: Object.fromEntries(entries) };
    });

  return {
    a: describeSide(dirA, a.summary),
    b: describeSide(dirB, b.summary),
    differences,
    method,
    unpairedBecause,
    metrics,
    metricsOnlyIn: {
      a: metricsA.filter((m) => !metricsB.includes(m)),
      b: metricsB.filter((m) => !metricsA.includes(m)),
    },
    agents,
    agentsOnlyIn: {
      a: namesA.filter((name) => !namesB.includes(name)),
      b: namesB.filter((name) => !namesA.includes(name)),
    },
    notes: [
      ...sideNotes('A', dirA, a.manifest, a.summary),
      ...sideNotes('B', dirB, b.manifest, b.summary),
      ...sharedNotes(a.manifest, b.manifest),
      ...(method === 'paired' && differences.some((d) => d.what === 'slatelab' || d.what === 'gitCommit')
        ? [
            "Paired on the assumption that the world's code is the same in both: if it changed between " +
              "these versions, a seed's users may differ (the intervals stay valid, only less sharp).",
          ]
        : []),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Reading a results directory

function readExperiment(dir: string): { manifest: Manifest; summary: Summary } {
  if (existsSync(join(dir, 'sweep.json')))
    throw new CompareError(
      `${dir}: a world sweep, whose worlds are experiments of their own; compare two of them (slatelab compare ` +
        `${shellWord(join(dir, 'worlds', '<a>'))} ${shellWord(join(dir, 'worlds', '<b>'))}), or read ${join(dir, 'sweep-report.md')}`,
    );
  let manifest: Manifest;
  try {
    manifest = readManifest(dir);
  } catch (error) {
    throw error instanceof ManifestError ? new CompareError(error.message) : error;
  }
  const summary = readJson(join(dir, 'summary.json'));
  const where = shellWord(dir);
  if (summary === 'missing') {
    if (manifest.complete !== true) {
      throw new CompareError(
        `${dir}: no summary.json: the experiment did not finish (interrupted?); finish it with ` +
          `slatelab resume ${where}, or summarise the runs that finished with slatelab report ` +
          `${where}`,
      );
    }
    throw new CompareError(`${dir}: no summary.json; rebuild it from the runs with slatelab report ${where}`);
  }
  if (summary === 'malformed' || !isMapping(summary) || !Array.isArray(summary.metrics) || !isMapping(summary.agents)) {
    throw new CompareError(
      `${dir}: summary.json is unreadable (cut short?); rebuild it from the runs with slatelab report ${where}`,
    );
  }
  return { manifest, summary: summary as unknown as Summary };
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return 'missing';
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return 'malformed';
  }
}

/** The directory as a shell word, so the suggested command can be pasted. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function describeSide(dir: string, summary: Summary): ComparedExperiment {
  return {
    dir,
    name: summary.name,
    world: summary.world,
    seed: summary.seed,
    seeds: summary.seeds,
    episodes: summary.episodes,
  };
}

// ---------------------------------------------------------------------------------------------
// How the experiments differ

function configDifferences(a: ExperimentConfig, b: ExperimentConfig): Difference[] {
  const out: Difference[] = [];
  const config = (what: string, va: unknown, vb: unknown) => diffInto(out, 'config', what, va, vb);
  config('world.preset', a.world.preset, b.world.preset);
  config('world.params', a.world.params, b.world.params);
  config('seed', a.seed, b.seed);
  // The run seeds as a set: their order changes only the order results are listed in.
  if (!sameSet(a.seeds, b.seeds)) out.push({ kind: 'config', what: 'seeds', a: [...a.seeds], b: [...b.seeds] });
  // evaluation.batchSize is left out: rows stepped together, which results do not depend on.
  config('evaluation.episodes', a.evaluation.episodes, b.evaluation.episodes);
  config('evaluation.maxStepsPerEpisode', a.evaluation.maxStepsPerEpisode, b.evaluation.maxStepsPerEpisode);
  config('training', a.training, b.training);
  // config.backend matters only with networks: the manifest's `networks` compares it (below).
  const agentsA = new Map(a.agents.map((agent) => [agent.name, agent]));
  const agentsB = new Map(b.agents.map((agent) => [agent.name, agent]));
  for (const name of new Set([...agentsA.keys(), ...agentsB.keys()])) {
    const agentA = agentsA.get(name);
    const agentB = agentsB.get(name);
    if (!agentA || !agentB) {
      out.push({ kind: 'config', what: `agents.${name}`, a: agentA?.kind, b: agentB?.kind });
      continue;
    }
    config(`agents.${name}.kind`, agentA.kind, agentB.kind);
    config(`agents.${name}.params`, agentA.params, agentB.params);
    // Where a loaded agent came from; its per-seed files follow from `from`.
    const origin = (agent: typeof agentA) =>
      agent.init ? { from: agent.init.from, agent: agent.init.agent, backend: agent.init.backend } : null;
    config(`agents.${name}.init`, origin(agentA), origin(agentB));
  }
  return out;
}

function versionDifferences(a: Manifest, b: Manifest): Difference[] {
  const out: Difference[] = [];
  diffInto(out, 'versions', 'slatelab', a.slatelab, b.slatelab);
  diffInto(out, 'versions', 'node', a.node, b.node);
  const names = [...new Set([...Object.keys(a.dependencies ?? {}), ...Object.keys(b.dependencies ?? {})])].sort();
  for (const name of names)
    diffInto(out, 'versions', `dependencies.${name}`, a.dependencies?.[name], b.dependencies?.[name]);
  diffInto(out, 'versions', 'gitCommit', a.gitCommit, b.gitCommit);
  diffInto(out, 'versions', 'gitDirty', a.gitDirty, b.gitDirty);
  return out;
}

function networkDifferences(a: Manifest, b: Manifest): Difference[] {
  const out: Difference[] = [];
  diffInto(out, 'networks', 'networks', a.networks, b.networks);
  return out;
}

/**
 * Appends each leaf where `a` and `b` differ, by path. Mappings are walked key by key (a missing
 * or null side counts as absent at every key), anything else is compared whole.
 */
function diffInto(out: Difference[], kind: Difference['kind'], path: string, a: unknown, b: unknown): void {
  const absent = (value: unknown) => value === undefined || value === null;
  if ((isMapping(a) || absent(a)) && (isMapping(b) || absent(b)) && (isMapping(a) || isMapping(b))) {
    const ma = isMapping(a) ? a : {};
    const mb = isMapping(b) ? b : {};
    for (const key of new Set([...Object.keys(ma), ...Object.keys(mb)]))
      diffInto(out, kind, `${path}.${key}`, ma[key], mb[key]);
    return;
  }
  if (canonicalJson(a ?? null) !== canonicalJson(b ?? null))
    out.push({ kind, what: path, a: a ?? undefined, b: b ?? undefined });
}

/** JSON with keys sorted, so that two equal mappings written in another order compare equal. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isMapping(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Why seed s did not meet the same users in both experiments (empty: it did, so differences pair by seed). */
function pairingObstacles(a: ExperimentConfig, b: ExperimentConfig): string[] {
  const reasons: string[] = [];
  if (a.world.preset !== b.world.preset) reasons.push('the worlds differ');
  else if (canonicalJson(a.world.params) !== canonicalJson(b.world.params)) reasons.push('world.params differ');
  if (a.seed !== b.seed) reasons.push('the experiment seeds differ');
  if (!sameSet(a.seeds, b.seeds)) reasons.push('the run seeds differ');
  // Episode i is the same user whatever the count, but a mean over 20 users and one over 40 are
  // means over different users.
  if (a.evaluation.episodes !== b.evaluation.episodes) reasons.push('evaluation.episodes differ');
  return reasons;
}

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  const set = new Set(a);
  return a.length === b.length && b.every((x) => set.has(x));
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// B − A

const excludesZero = (ci95: readonly [number, number] | null) => ci95 !== null && (ci95[0] > 0 || ci95[1] < 0);

/** Per seed that both ran: B_s − A_s, then its mean and t interval over those seeds (eval/stats.ts). */
function pairedDifference(a: MetricSummary, b: MetricSummary, seedOrder: readonly number[]): MetricDifference {
  const bySeed = (m: MetricSummary) => new Map(m.seeds.map((seed, i) => [seed, m.values[i]]));
  const { mean: centre, ci95, values, seeds } = pairedDifferences(bySeed(b), bySeed(a), seedOrder);
  return { mean: centre, ci95, clear: excludesZero(ci95), seeds, values, df: null };
}

/** B − A of two unpaired samples (eval/stats.ts welchDifference), as compare reports it. */
function unpairedDifference(a: readonly number[], b: readonly number[]): MetricDifference {
  const { mean: centre, ci95, df } = welchDifference(a, b);
  return { mean: centre, ci95, clear: excludesZero(ci95), seeds: [], values: [], df };
}

// ---------------------------------------------------------------------------------------------
// Caveats

function sideNotes(label: 'A' | 'B', dir: string, manifest: Manifest, summary: Summary): string[] {
  const notes: string[] = [];
  const interrupted = manifest.interrupted;
  if (manifest.complete !== true) {
    const runs = interrupted.length > 0 ? `${count(interrupted.length, 'run')} never finished` : 'it was interrupted';
    notes.push(
      `${label} did not finish (${runs}); its numbers cover the runs that did (slatelab resume ` +
        `${shellWord(dir)} finishes it).`,
    );
  }
  const failures = manifest.failures;
  if (failures.length > 0) {
    const which = failures.slice(0, 5).map((f) => `${f.agent} seed ${f.seed}`);
    notes.push(
      `${label}: ${count(failures.length, 'run')} failed ` +
        `(${which.join(', ')}${failures.length > 5 ? ', ...' : ''}); those seeds are missing from ` +
        `its numbers.`,
    );
  }
  if (summary.truncatedEpisodes > 0) {
    notes.push(
      `${label}: ${count(summary.truncatedEpisodes, 'episode')} were cut at ` +
        `evaluation.maxStepsPerEpisode; their metrics cover only the steps taken.`,
    );
  }
  // Versions are compared as the experiments started; a resume by another version that made runs mixes two.
  const differing = (manifest.resumes ?? []).filter((resume) => resume.runs > 0 && versionOf(resume, manifest) !== '');
  if (differing.length > 0) {
    const runs = differing.reduce((sum, resume) => sum + resume.runs, 0);
    const by = [...new Set(differing.map((resume) => versionOf(resume, manifest)))].join('; ');
    notes.push(
      `${label} was resumed by another version (${by}) for ${count(runs, 'run')}; it started as ` +
        `${[...new Set(differing.map((resume) => versionOf(manifest, resume)))].join('; ')}: its ` +
        `runs come from more than one version.`,
    );
  }
  return notes;
}

type Versions = Pick<Manifest, 'slatelab' | 'node' | 'dependencies' | 'gitCommit' | 'gitDirty'>;

/**
 * What `m` ran, in the fields where it differs from `other` (empty when none does; "slatelab 0.1.0 at commit abc…",
 * "Node v20.1.0", "yaml 2.9.1").
 */
function versionOf(m: Versions, other: Versions): string {
  const parts: string[] = [];
  if (m.slatelab !== other.slatelab || m.gitCommit !== other.gitCommit || m.gitDirty !== other.gitDirty) {
    parts.push(
      `slatelab ${m.slatelab ?? 'unknown'} at commit ` +
        `${m.gitCommit?.slice(0, 12) ?? 'unknown'}${m.gitDirty ? ' (uncommitted changes)' : ''}`,
    );
  }
  if (m.node !== other.node) parts.push(`Node ${m.node ?? 'unknown'}`);
  const names = [...new Set([...Object.keys(m.dependencies ?? {}), ...Object.keys(other.dependencies ?? {})])].sort();
  for (const name of names)
    if (m.dependencies?.[name] !== other.dependencies?.[name])
      parts.push(`${name} ${m.dependencies?.[name] ?? 'absent'}`);
  return parts.join(', ');
}

function sharedNotes(a: Manifest, b: Manifest): string[] {
  const notes: string[] = [];
  if (a.networks && b.networks && a.networks.backend !== b.networks.backend) {
    notes.push(
      `Results differ across backends: the networks ran on ${a.networks.backend} in A and ` +
        `${b.networks.backend} in B, which give other numbers from the same config.`,
    );
  }
  // Two dirty trees at one commit may hold different code: nothing here can tell.
  if (a.gitDirty === true && b.gitDirty === true && a.gitCommit === b.gitCommit) {
    notes.push(
      'Both ran from a source tree with uncommitted changes (gitDirty): their code may differ ' +
        'although the commit is the same.',
    );
  }
  return notes;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

// ---------------------------------------------------------------------------------------------
// The text the CLI prints

export function comparisonText(c: Comparison): string {
  const parts: string[] = [[sideLine('A', c.a), sideLine('B', c.b)].join('\n')];

  if (c.differences.length === 0) parts.push('No differences: same config, seeds and versions.');
  else {
    const rows = [['How B differs from A', 'A', 'B'], ...c.differences.map((d) => [d.what, ...shownPair(d)])];
    parts.push(textTable(rows));
  }
  if (c.notes.length > 0) parts.push(c.notes.join('\n'));

  if (c.agents.length === 0)
    parts.push('No agent is in both experiments: nothing to compare (agents are matched by name).');
  else {
    parts.push(
      c.method === 'paired'
        ? 'B − A paired by seed (same world, experiment seed, seeds and episodes: seed s met the ' +
            'same users in both): ' +
            'the mean of B_s − A_s ± its 95% t half-width.'
        : `B − A unpaired, Welch t interval (${c.unpairedBecause.join(', ')}: a seed's users are not ` +
            `the same in both).`,
    );
    const rows = [['metric / agent', 'A', 'B', 'B − A']];
    for (const metric of c.metrics) {
      rows.push([metric, '', '', '']);
      for (const agent of c.agents) {
        const m = agent.metrics[metric];
        rows.push([
          `  ${agent.agent}${agent.evaluationOnly ? ' †' : ''}`,
          formatInterval(m.a),
          formatInterval(m.b),
          differenceText(m.difference),
        ]);
      }
    }
    const legend = [
      'A, B: mean over seeds ± 95% t half-width.',
      '*: the interval of B − A excludes 0 (among many cells, about 1 in 20 does so by chance alone).',
    ];
    if (c.agents.some((agent) => agent.evaluationOnly)) legend.push('† evaluation only (reads ground truth)');
    parts.push(`${textTable(rows)}\n${legend.join('\n')}`);
  }

  const only = [
    ...(c.agentsOnlyIn.a.length > 0 ? [`agents only in A: ${c.agentsOnlyIn.a.join(', ')}`] : []),
    ...(c.agentsOnlyIn.b.length > 0 ? [`agents only in B: ${c.agentsOnlyIn.b.join(', ')}`] : []),
    ...(c.metricsOnlyIn.a.length > 0 ? [`metrics only in A: ${c.metricsOnlyIn.a.join(', ')}`] : []),
    ...(c.metricsOnlyIn.b.length > 0 ? [`metrics only in B: ${c.metricsOnlyIn.b.join(', ')}`] : []),
  ];
  if (only.length > 0) parts.push(`Not compared: ${only.join('; ')}.`);
  return `${parts.join('\n\n')}\n`;
}

function sideLine(label: string, side: ComparedExperiment): string {
  return (
    `${label}: ${side.dir}  (${side.name}: world ${side.world}, seeds ${seedList(side.seeds)}, ` +
    `experiment seed ${side.seed}, ${count(side.episodes, 'episode')} per run)`
  );
}

function differenceText(d: MetricDifference): string {
  if (!Number.isFinite(d.mean)) return '—';
  if (d.ci95 === null) return `${d.mean > 0 ? '+' : ''}${formatNumber(d.mean)} (no interval)`;
  return `${formatInterval({ mean: d.mean, ci95: d.ci95, n: 2 }, true)}${d.clear ? ' *' : ''}`;
}

/**
 * A difference's two values for the table. A long value (a whole parameter object) would stretch
 * the table across many screens: it is cut to MAX_VALUE_WIDTH characters around where the two
 * first differ (the manifests hold them whole).
 */
function shownPair(d: Difference): [string, string] {
  const a = showValue(d, d.a);
  const b = showValue(d, d.b);
  if (a.length <= MAX_VALUE_WIDTH && b.length <= MAX_VALUE_WIDTH) return [a, b];
  let first = 0;
  while (first < a.length && first < b.length && a[first] === b[first]) first++;
  const from = first < MAX_VALUE_WIDTH - 8 ? 0 : first - 8;
  const cut = (text: string) => {
    const end = from + MAX_VALUE_WIDTH - (from > 0 ? 2 : 1);
    return `${from > 0 ? '…' : ''}${text.slice(from, end)}${text.length > end ? '…' : ''}`;
  };
  return [cut(a), cut(b)];
}

function showValue(d: Difference, value: unknown): string {
  if (value === undefined) return '—';
  if (d.what === 'seeds') return seedList(value as number[]);
  // The first 12 hex digits name a commit as well as the 40, at half the width.
  if (d.what === 'gitCommit' && typeof value === 'string') return value.slice(0, 12);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Characters of a value shown in the table of differences. */
const MAX_VALUE_WIDTH = 40;

/** "0..4, 7, 9..11": runs of three or more consecutive seeds as ranges. */
function seedList(seeds: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < seeds.length; ) {
    let j = i;
    while (j + 1 < seeds.length && seeds[j + 1] === seeds[j] + 1) j++;
    if (j - i >= 2) parts.push(`${seeds[i]}..${seeds[j]}`);
    else for (let k = i; k <= j; k++) parts.push(String(seeds[k]));
    i = j + 1;
  }
  return parts.join(', ');
}
