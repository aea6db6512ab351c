// What the reports say of how an experiment was set up and what ran it: the resolved config (the
// world's parameters that differ from its defaults, each agent's kind and parameters, training and
// evaluation) and the provenance that started it (versions, commit, backend). Only what a resumed,
// rebuilt or merged experiment shares with an uninterrupted one: the start's provenance (a resume
// keeps it in the manifest), never wall times, hosts or the resumes themselves.
import type { ExperimentConfig } from '../config/config.ts';
import type { Registries } from '../config/registries.ts';
import { isPathKind } from '../config/path-kind.ts';
import { findKind } from '../config/registries.ts';
import { defaultParams, type ParamSpecs } from '../../sim/params.ts';
import { seedsText, type ConstantChart } from './charts.ts';
import { baselineOf } from '../store/summary.ts';
import type { Provenance } from '../store/manifest.ts';

/** What started the experiment, as its manifest records it (a resume keeps it). */
export type ReportProvenance = Provenance;

/** A parameter as the reports show it: its path, its value and, where it differs, the default. */
export interface ParamLine {
  readonly name: string;
  readonly value: string;
  /** The default, when the value differs from it; null when it is the default. */
  readonly default: string | null;
}

export interface AgentInfo {
  readonly name: string;
  readonly kind: string;
  readonly learns: boolean;
  /** Every parameter, defaults included, in declaration order. */
  readonly params: readonly ParamLine[];
  /** "agent X of DIR" for an agent started from a saved one (config `init:`), else null. */
  readonly init: string | null;
}

export interface ExperimentInfo {
  /** [field, value] rows: world, seeds, evaluation, training, baseline, backend. */
  readonly settings: readonly (readonly [string, string])[];
  readonly world: string;
  /** The world's parameters, defaults included, in declaration order. */
  readonly worldParams: readonly ParamLine[];
  readonly agents: readonly AgentInfo[];
  /** [what, value] rows: slatelab, commit, Node, networks; empty without provenance. */
  readonly provenance: readonly (readonly [string, string])[];
  /** Each dependency and its installed version. */
  readonly dependencies: readonly (readonly [string, string])[];
}

/** What the reports say besides the summary: the charts left out, and the experiment's config and provenance. */
export interface ReportAbout {
  readonly constant?: readonly ConstantChart[];
  readonly experiment?: ExperimentInfo;
}

/** "name value (default d)" for each parameter that differs from its default; "defaults" when none does. */
export function changedParams(lines: readonly ParamLine[]): string {
  const changed = lines.filter((line) => line.default !== null);
  return changed.length === 0
    ? 'defaults'
    : changed.map((line) => `${line.name} ${line.value} (default ${line.default})`).join('; ');
}

/**
 * The experiment as the reports show it. The config goes through JSON first, as the manifest
 * stores it, so that a report rebuilt from the manifest (`slatelab report`) shows the same text.
 */
export function experimentInfo(
  given: ExperimentConfig,
  registries: Registries,
  provenance: ReportProvenance | null,
): ExperimentInfo {
  const config = JSON.parse(JSON.stringify(given)) as ExperimentConfig;
  const worldSpecs = registries.worlds[config.world.preset]?.params as ParamSpecs | undefined;
  const worldParams = paramLines(config.world.params, worldSpecs ? jsonCopy(defaultParams(worldSpecs)) : {});
  const agents = config.agents.map((agent): AgentInfo => {
    // A policy in the user's file: its parameters as the config gives them (a report rebuilt
    // without the file shows the same).
    const specs = isPathKind(agent.kind)
      ? undefined
      : (findKind(registries, agent.kind)?.definition.params as ParamSpecs | undefined);
    return {
      name: agent.name,
      kind: agent.kind,
      learns: agent.learns,
      params: paramLines(agent.params, specs ? jsonCopy(defaultParams(specs)) : {}),
      init: agent.init ? `agent ${agent.init.agent} of ${agent.init.from}` : null,
    };
  });
  const { evaluation, training } = config;
  const changed = worldParams.filter((line) => line.default !== null).length;
  const worldText = changed === 0 ? 'default parameters' : `${changed} of ${worldParams.length} parameters changed`;
  const budget =
    training && (training.steps !== null ? `${training.steps} user-steps` : `${training.episodes} episodes`);
  const settings: [string, string][] = [
    ['world', `${config.world.preset} (${worldText})`],
    ['seeds', seedsText(config.seeds)],
    ['experiment seed', String(config.seed)],
    // Not evaluation.batchSize: rows stepped together, which results do not depend on (nor do these reports).
    [
      'evaluation',
      `${evaluation.episodes} episodes per run; at most ${evaluation.maxStepsPerEpisode} steps per episode`,
    ],
    [
      'training',
      training === null
        ? 'none'
        : `${budget} per run; batches of ${training.batchSize} users; ` +
          `a checkpoint every ${training.evalEvery} steps on ${training.evalEpisodes} evaluation users`,
    ],
    ['baseline', `${baselineOf(config)} (the paired differences are against it)`],
  ];
  // The backend matters only to agents with networks (the manifest's `networks` names it then).
  if (provenance?.networks)
    settings.push(['backend', `${provenance.networks.backend} (TensorFlow.js ${provenance.networks.tfjs})`]);
  else if (config.agents.some((agent) => registries.agents?.[agent.kind]?.nets))
    settings.push(['backend', config.backend]);
  return {
    settings,
    world: config.world.preset,
    worldParams,
    agents,
    provenance: provenance ? provenanceRows(provenance) : [],
    dependencies: Object.entries(provenance?.dependencies ?? {}).map(([name, version]) => [
      name,
      version ?? 'not installed',
    ]),
  };
}

/**
 * Not `code` (the build or the sources): they give the same results, and the reports of both are the
 * same bytes (test/e2e/library.test.ts); manifest.json has it.
 */
function provenanceRows(p: ReportProvenance): [string, string][] {
  const rows: [string, string][] = [];
  if (p.slatelab !== undefined) rows.push(['slatelab', p.slatelab]);
  if (p.gitCommit !== undefined) {
    const dirty = p.gitDirty === true ? ' (with uncommitted changes)' : '';
    rows.push(['git commit', p.gitCommit === null ? 'none (not run from a git checkout)' : `${p.gitCommit}${dirty}`]);
  }
  if (p.node !== undefined) rows.push(['Node', p.node]);
  if (p.networks) rows.push(['networks', `backend ${p.networks.backend}, TensorFlow.js ${p.networks.tfjs}`]);
  return rows;
}

function jsonCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Every leaf of `values` (nested groups as dotted paths), with its default where it differs. */
function paramLines(
  values: Readonly<Record<string, unknown>>,
  defaults: Readonly<Record<string, unknown>>,
  prefix = '',
): ParamLine[] {
  const lines: ParamLine[] = [];
  for (const [name, value] of Object.entries(values)) {
    const fallback = defaults[name];
    if (isMapping(value)) {
      lines.push(...paramLines(value, isMapping(fallback) ? fallback : {}, `${prefix}${name}.`));
      continue;
    }
    const shown = formatValue(value);
    const defaultShown = fallback === undefined ? null : formatValue(fallback);
    lines.push({
      name: `${prefix}${name}`,
      value: shown,
      default: defaultShown === shown ? null : (defaultShown ?? '—'),
    });
  }
  return lines;
}

/** A parameter's value in config syntax: numbers and words as they are, lists in brackets. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (isMapping(value))
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${k}: ${formatValue(v)}`)
      .join(', ')} }`;
  return String(value);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
