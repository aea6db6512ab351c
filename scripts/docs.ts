// The docs' tables of worlds, policies and agents, generated from the registries' declarations (the
// same ones that validate configs and print `slatelab list`), so that a new world, policy or agent
// appears in them with no hand edit. `npm run docs` rewrites the marked regions of the files below:
//   <!-- generated: NAME -->
//   ...
//   <!-- end generated -->
// and leaves the prose around them alone; test/scripts/docs.test.ts fails when a committed file
// differs from what this would write.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ParamIssue, ParamSpec, ParamSpecs } from '../sim/params.ts';
import { defaultParams } from '../sim/params.ts';
import type { WorldSpec } from '../sim/env.ts';
import { defaultRegistries, type Registries } from '../lab/config/registries.ts';

/** A world's own page (its full parameter table is generated there). */
export const worldPage = (world: string): string => `docs/world-${world}.md`;

/** The files with generated regions, relative to the project's root: every registered world has a page. */
export const DOC_FILES: readonly string[] = [
  'README.md',
  'docs/agents.md',
  ...Object.keys(defaultRegistries.worlds).map(worldPage),
];

/** The command that rewrites them, for messages. */
export const DOCS_COMMAND = 'npm run docs';

const START = /^<!-- generated: ([a-z0-9/-]+) -->$/;
const END = '<!-- end generated -->';

/** A cell of a Markdown table: no line breaks, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function defaultOf(spec: Exclude<ParamSpec, { type: 'group' }>): string {
  return String(spec.default);
}

function rangeOf(spec: Exclude<ParamSpec, { type: 'group' }>): string {
  switch (spec.type) {
    case 'enum':
      return spec.values.join(', ');
    case 'boolean':
      return 'true, false';
    default:
      if (spec.min !== undefined && spec.max !== undefined) return `${spec.min}..${spec.max}`;
      if (spec.min !== undefined) return `>= ${spec.min}`;
      if (spec.max !== undefined) return `<= ${spec.max}`;
      return 'any';
  }
}

/** How many parameters a group holds, its nested groups' included. */
function countParams(specs: ParamSpecs): number {
  let count = 0;
  for (const spec of Object.values(specs)) count += spec.type === 'group' ? countParams(spec.params) : 1;
  return count;
}

/**
 * Every parameter, nested groups as `group.name` rows after a bold row for the group; with
 * `groups: 'collapsed'`, a group is one row that says how many parameters it holds.
 */
export function paramTable(specs: ParamSpecs, groups: 'expanded' | 'collapsed' = 'expanded'): string {
  if (Object.keys(specs).length === 0) return 'No parameters.';
  const rows: string[][] = [];
  const add = (specs: ParamSpecs, prefix: string) => {
    for (const [name, spec] of Object.entries(specs)) {
      if (spec.type !== 'group') {
        rows.push([`\`${prefix}${name}\``, defaultOf(spec), rangeOf(spec), spec.doc]);
      } else if (groups === 'collapsed') {
        const count = countParams(spec.params);
        const members = `a group of ${count} parameter${count === 1 ? '' : 's'}`;
        rows.push([`\`${prefix}${name}\``, '', '', `${spec.doc} (${members})`]);
      } else {
        rows.push([`**${prefix}${name}**`, '', '', spec.doc]);
        add(spec.params, `${prefix}${name}.`);
      }
    }
  };
  add(specs, '');
  return table(['parameter', 'default', 'range', 'meaning'], rows);
}

/** Each world's spec at its default parameters (one row), for the support columns. */
function worldSpecs(registries: Registries): Record<string, WorldSpec> {
  const specs: Record<string, WorldSpec> = {};
  for (const [name, world] of Object.entries(registries.worlds)) {
    const env = world.create(defaultParams(world.params), { seed: { experiment: 0, run: 0 }, batchSize: 1 });
    specs[name] = env.spec;
  }
  return specs;
}

type Refusal = (spec: WorldSpec, values: Record<string, unknown>) => string | ParamIssue | null;

/**
 * The worlds (at their defaults) a policy or agent runs in at its own defaults; where it refuses
 * for one of its enum or boolean parameters, the world with the first value that it accepts.
 */
function runsIn(refusal: Refusal | undefined, params: ParamSpecs, specs: Record<string, WorldSpec>): string {
  const defaults = defaultParams(params) as Record<string, unknown>;
  const worlds: string[] = [];
  for (const [world, spec] of Object.entries(specs)) {
    const refused = refusal?.(spec, defaults) ?? null;
    if (refused === null) {
      worlds.push(world);
    } else if (typeof refused === 'object') {
      const param = params[refused.field];
      const values = param?.type === 'enum' ? param.values : param?.type === 'boolean' ? [!param.default] : [];
      const accepts = (value: unknown) => refusal!(spec, { ...defaults, [refused.field]: value }) === null;
      const fits = values.find((value) => value !== defaults[refused.field] && accepts(value));
      if (fits !== undefined) worlds.push(`${world} (\`${refused.field}: ${String(fits)}\`)`);
    }
  }
  return worlds.length === 0 ? 'none, at the defaults' : worlds.join(', ');
}

function worldsTable(registries: Registries): string {
  const rows = Object.entries(registries.worlds).map(([name, world]) => {
    return [`\`${name}\``, world.summary, String(countParams(world.params))];
  });
  return table(['world', 'what it is', 'parameters'], rows);
}

function policiesTable(registries: Registries, specs: Record<string, WorldSpec>): string {
  const rows = Object.entries(registries.policies).map(([name, policy]) => {
    const params = Object.entries(policy.params as ParamSpecs).map(
      ([param, spec]) => `\`${param}\` (${spec.type === 'group' ? 'a group' : defaultOf(spec)})`,
    );
    const refusal: Refusal | undefined = policy.unsupported && ((spec) => policy.unsupported!(spec));
    const kind = `\`${name}\`${policy.evaluationOnly ? ' †' : ''}`;
    return [kind, policy.summary, params.join(', ') || 'none', runsIn(refusal, policy.params, specs)];
  });
  return table(['kind', 'what it does', 'parameters (default)', 'runs in (worlds at their defaults)'], rows);
}

function agentsTable(registries: Registries, specs: Record<string, WorldSpec>): string {
  const rows = Object.entries(registries.agents ?? {}).map(([name, agent]) => {
    const refusal: Refusal | undefined =
      agent.unsupported && ((spec, values) => agent.unsupported!(spec, values as never));
    return [`\`${name}\``, agent.family, agent.learns, runsIn(refusal, agent.params, specs)];
  });
  return table(['kind', 'family', 'what it learns', 'runs in (worlds at their defaults)'], rows);
}

function agentParams(registries: Registries): string {
  const sections = Object.entries(registries.agents ?? {}).map(([name, agent]) =>
    [`### \`${name}\` (${agent.family})`, '', agent.summary, '', paramTable(agent.params)].join('\n'),
  );
  return sections.join('\n\n');
}

/** What each region holds, by name. */
export function generatedRegions(registries: Registries = defaultRegistries): Record<string, string> {
  const specs = worldSpecs(registries);
  const regions: Record<string, string> = {
    worlds: worldsTable(registries),
    policies: policiesTable(registries, specs),
    agents: agentsTable(registries, specs),
    'agent-params': agentParams(registries),
  };
  for (const [name, world] of Object.entries(registries.worlds)) {
    regions[`world-params/${name}`] = paramTable(world.params, 'collapsed');
    regions[`world-params-full/${name}`] = paramTable(world.params);
  }
  return regions;
}

/** `text` with each marked region's body replaced by its generated text; `file` names it in errors. */
export function rewriteRegions(text: string, regions: Readonly<Record<string, string>>, file: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    out.push(lines[i]);
    const start = START.exec(lines[i]);
    if (!start) continue;
    const name = start[1];
    if (!Object.hasOwn(regions, name)) {
      throw new Error(`${file}:${i + 1}: no generated region "${name}"; known: ${Object.keys(regions).join(', ')}`);
    }
    let end = i + 1;
    while (end < lines.length && lines[end] !== END) {
      if (START.test(lines[end])) {
        throw new Error(`${file}:${i + 1}: region "${name}" is not closed before line ${end + 1}`);
      }
      end++;
    }
    if (end === lines.length) throw new Error(`${file}:${i + 1}: region "${name}" has no "${END}" line`);
    out.push(regions[name], END);
    i = end;
  }
  return out.join('\n');
}

/** Rewrites the regions of DOC_FILES under `root`; returns the files whose text changed. */
export function writeDocs(root: string, registries: Registries = defaultRegistries): string[] {
  const regions = generatedRegions(registries);
  const changed: string[] = [];
  for (const file of DOC_FILES) {
    const path = join(root, file);
    const text = readFileSync(path, 'utf8');
    const next = rewriteRegions(text, regions, file);
    if (next !== text) {
      writeFileSync(path, next);
      changed.push(file);
    }
  }
  return changed;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const changed = writeDocs(join(import.meta.dirname, '..'));
  const done = changed.length === 0 ? 'every generated table is current' : `rewrote ${changed.join(', ')}`;
  console.log(`docs: ${done}`);
}
