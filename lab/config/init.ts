// Saved agents: every run of a learning agent leaves what it learned next to its records
// (runs/<agent>/seed-<s>.agent.json, lab/store/saved-agent-file.ts), and a later config starts an
// agent from them with `init:` (read here from that experiment's manifest), so that a ranker
// trained once can be evaluated or A/B-tested again without training it again.
//
//   agents:
//     - name: ranker
//       init: results/feed-ranker/20261130-101500             # the agent of the same name there
//     - name: champion
//       init: { from: results/feed-ranker/20261130-101500, agent: ranker }
//
// `kind` and `params` default to the saved agent's; params given override them (e.g. epsilon for
// training on). Each run seed loads the state saved for that seed.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ManifestError, readManifest, RESULTS_HINT, type Manifest } from '../store/manifest.ts';

/** Where a config's agent starts from (config `agents[].init`). */
export interface InitSource {
  /** The experiment directory, as the config gives it (relative to the working directory). */
  readonly from: string;
  /** The agent's name in that experiment. */
  readonly agent: string;
  readonly kind: string;
  /** Per run seed: the saved state's file, an absolute path (the config may run again elsewhere: resume). */
  readonly files: Readonly<Record<string, string>>;
  /** Whether the saved agent was trained in this config's world: the same preset, parameters and experiment seed. */
  readonly sameWorld: boolean;
  /** The network backend it was trained on (agents with networks), else null: results differ across backends. */
  readonly backend: string | null;
}

/** What a config's `init` resolves to: the source and the saved agent's parameters. */
export interface ResolvedInit {
  readonly source: InitSource;
  readonly params: Record<string, unknown>;
}

const INIT_HINT =
  'give the directory of an earlier run (it holds manifest.json), e.g. init: ' +
  'results/feed-ranker/20261130-101500, or init: { from: DIR, agent: NAME }';

/**
 * Resolves `agents[i].init` against the saved experiment, reporting each problem (one line, the
 * field and the fix) through `report`; null when it cannot be used.
 */
export function resolveInit(
  given: unknown,
  agentName: string,
  field: string,
  seeds: readonly number[],
  world: {
    readonly preset: string | null;
    readonly params: Record<string, unknown>;
    readonly defaults?: Record<string, unknown>;
  },
  experimentSeed: number,
  report: (field: string, message: string) => void,
): ResolvedInit | null {
  let from: string;
  let agent = agentName;
  if (typeof given === 'string') from = given;
  else if (typeof given === 'object' && given !== null && !Array.isArray(given)) {
    const { from: dir, agent: name, ...rest } = given as Record<string, unknown>;
    for (const key of Object.keys(rest)) report(`${field}.${key}`, 'unknown field; known: from, agent');
    if (typeof dir !== 'string') {
      report(`${field}.from`, `expected the experiment directory (a string); ${INIT_HINT}`);
      return null;
    }
    from = dir;
    if (name !== undefined) {
      if (typeof name !== 'string') {
        report(`${field}.agent`, 'expected the name of an agent of that experiment (a string)');
        return null;
      }
      agent = name;
    }
  } else {
    report(field, `expected a directory or { from, agent }; ${INIT_HINT}`);
    return null;
  }
  const fromField = typeof given === 'string' ? field : `${field}.from`;
  if (!existsSync(from) || !statSync(from).isDirectory()) {
    report(fromField, `no directory "${from}" (relative to the working directory); ${INIT_HINT}`);
    return null;
  }
  let manifest: Manifest;
  try {
    manifest = readManifest(from);
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    report(fromField, `"${from}": ${error.problem}; ${error.fix === RESULTS_HINT ? INIT_HINT : error.fix}`);
    return null;
  }
  const agents = manifest.config.agents;
  const saved = agents.find((candidate) => candidate.name === agent);
  if (!saved) {
    report(
      typeof given === 'string' ? field : `${field}.agent`,
      `the experiment in "${from}" has no agent "${agent}"; its agents: ` +
        `${agents.map((a) => a.name).join(', ') || 'none'} (name one with init: { from, agent })`,
    );
    return null;
  }
  const files: Record<string, string> = {};
  // Absolute: `slatelab resume` may run the config again from another working directory.
  for (const run of manifest.runs) {
    if (run.agent === agent && run.agentFile) files[String(run.seed)] = resolve(from, run.agentFile);
  }
  const savedSeeds = Object.keys(files)
    .map(Number)
    .sort((a, b) => a - b);
  if (savedSeeds.length === 0) {
    report(
      fromField,
      `agent "${agent}" in "${from}" saved no state ` +
        `(${saved.learns === false ? `"${saved.kind}" is a fixed policy: it learns nothing` : 'no run of it finished'})`,
    );
    return null;
  }
  const missing = seeds.filter((seed) => files[String(seed)] === undefined);
  if (missing.length > 0) {
    report(
      fromField,
      `agent "${agent}" in "${from}" was saved for seeds ${savedSeeds.join(', ')}, not ` +
        `${missing.join(', ')}; run those seeds (seeds: [${savedSeeds.join(', ')}])`,
    );
    return null;
  }
  const savedWorld = manifest.config.world;
  if (world.preset !== null && savedWorld.preset !== world.preset) {
    const trained = `agent "${agent}" in "${from}" was trained in world "${savedWorld.preset}"`;
    report(fromField, `${trained}, not "${world.preset}"; set world.preset: ${savedWorld.preset}`);
    return null;
  }
  const sameSeed = manifest.config.seed === experimentSeed;
  const sameWorld = sameParams(savedWorld.params, world.params, world.defaults ?? {}) && sameSeed;
  const picked: Record<string, string> = {};
  for (const seed of seeds) picked[String(seed)] = files[String(seed)];
  return {
    source: { from, agent, kind: saved.kind, files: picked, sameWorld, backend: manifest.networks?.backend ?? null },
    params: saved.params,
  };
}

/**
 * Whether saved world parameters are the current ones: a parameter the saved manifest lacks (one
 * added to the world since) counts as its default, and the order of keys does not matter.
 */
function sameParams(saved: unknown, current: Record<string, unknown>, defaults: Record<string, unknown>): boolean {
  if (typeof saved !== 'object' || saved === null || Array.isArray(saved)) return false;
  const old = saved as Record<string, unknown>;
  const keys = new Set([...Object.keys(old), ...Object.keys(current)]);
  for (const key of keys) {
    const before = Object.hasOwn(old, key) ? old[key] : defaults[key];
    if (JSON.stringify(before) !== JSON.stringify(current[key])) return false;
  }
  return true;
}

/** `base` with `over` on top, mapping by mapping (a params group given in part keeps the rest of the saved one). */
export function overlayParams(base: Record<string, unknown>, over: unknown): Record<string, unknown> {
  if (typeof over !== 'object' || over === null || Array.isArray(over)) return base;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const inner = out[key];
    out[key] =
      typeof inner === 'object' &&
      inner !== null &&
      !Array.isArray(inner) &&
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value)
        ? overlayParams(inner as Record<string, unknown>, value)
        : value;
  }
  return out;
}
