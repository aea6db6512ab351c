// `slatelab list`: the worlds, policies and learning agents with their parameters (from the
// registries' declarations), and what a recommender observes in each world. `slatelab list FILE...`
// lists the policies and agents in the user's own files the same way (as a config names them by path).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { USER_KIND_EXTENSIONS } from '../config/path-kind.ts';
import type { Registries } from '../config/registries.ts';
import { withUserKinds } from '../config/user-kinds.ts';
import { worldSpec } from '../config/world-shape.ts';
import { defaultParams, describeParam, type ParamSpecs } from '../../sim/params.ts';
import type { Command } from './command.ts';
import { UsageError } from './errors.ts';

export const listCommand: Command = {
  usage: 'list [files..]',
  describe: 'list worlds, policies and learning agents with their parameters; or those of your own files',
  options: (y) =>
    y.positional('files', {
      type: 'string',
      array: true,
      describe: `policy or agent files of yours (${USER_KIND_EXTENSIONS.join(', ')}): list their parameters`,
    }),
  run: async (args, { io, registries }) => {
    const files = (args.files as string[] | undefined) ?? [];
    if (files.length === 0) {
      io.stdout(listText(registries));
      return 0;
    }
    const kinds: Record<string, string> = {};
    for (const file of files) {
      if (!USER_KIND_EXTENSIONS.some((extension) => file.endsWith(extension)))
        throw new UsageError(
          `list: ${file} is not a module; name a policy or agent file (${USER_KIND_EXTENSIONS.join(', ')})`,
        );
      const absolute = path.resolve(file);
      if (!existsSync(absolute)) throw new UsageError(`list: no such file ${absolute}; check the path`);
      kinds[file] = absolute;
    }
    io.stdout(userKindsText(await withUserKinds(kinds, registries, 'slatelab list'), files));
    return 0;
  },
};

function paramLines(specs: ParamSpecs, indent: string): string[] {
  const names = Object.keys(specs);
  if (names.length === 0) return [`${indent}(no parameters)`];
  const width = Math.max(...names.map((name) => name.length));
  const lines: string[] = [];
  for (const name of names) {
    const spec = specs[name];
    if (spec.type === 'group') {
      lines.push(`${indent}${name}: ${spec.doc}`);
      lines.push(...paramLines(spec.params, `${indent}  `));
    } else {
      lines.push(`${indent}${name.padEnd(width)}  ${describeParam(spec)}`);
    }
  }
  return lines;
}

export function listText(registries: Registries): string {
  const lines: string[] = ['Worlds (config: world.preset, parameters under world.params)', ''];
  for (const [name, world] of Object.entries(registries.worlds)) {
    lines.push(`  ${name}: ${world.summary}`, ...paramLines(world.params, '      '), ...observationLines(world), '');
  }
  lines.push('Policies (config: agents[].kind, parameters under agents[].params)', '');
  for (const name of Object.keys(registries.policies)) lines.push(...policyLines(registries, name));
  lines.push(
    'Agents that learn (config: agents[].kind, hyper-parameters under agents[].params; they need a training block)',
    '',
  );
  for (const name of Object.keys(registries.agents ?? {})) lines.push(...agentLines(registries, name));
  lines.push(
    'Training (config: training, for configs with learning agents)',
    '',
    '  steps         budget: user-steps of training per run (or episodes; give one)',
    '  episodes      budget: training episodes per run',
    `  batchSize     users stepping together while training; the agent updates once per round ` +
      `of them, so learning depends on it (default 64)`,
    '  evalEvery     training steps between checkpoints (default: steps / 20; needed with an episodes budget)',
    '  evalEpisodes  evaluation episodes per checkpoint (default: min(100, evaluation.episodes))',
    '',
  );
  return lines.join('\n');
}

function policyLines(registries: Registries, kind: string): string[] {
  const policy = registries.policies[kind];
  const flag = policy.evaluationOnly ? ' [evaluation only: reads ground truth]' : '';
  return [`  ${kind}${flag}: ${policy.summary}`, ...paramLines(policy.params, '      '), ''];
}

function agentLines(registries: Registries, kind: string): string[] {
  const agent = registries.agents?.[kind];
  if (!agent) return [];
  return [
    `  ${kind} [${agent.family}]: ${agent.summary}`,
    `      learns: ${agent.learns}`,
    ...paramLines(agent.params, '      '),
    '',
  ];
}

/** The user's files (loaded into `registries` under the kinds `files`), as `list` shows built-ins. */
export function userKindsText(registries: Registries, files: readonly string[]): string {
  const lines: string[] = [];
  for (const file of files) {
    const isAgent = registries.agents?.[file] !== undefined;
    lines.push(
      isAgent
        ? `A learning agent (config: kind: ${file}, relative to the config; hyper-parameters under params; it needs a training block)`
        : `A policy (config: kind: ${file}, relative to the config; parameters under params)`,
      '',
      ...(isAgent ? agentLines(registries, file) : policyLines(registries, file)),
    );
  }
  return lines.join('\n');
}

/** What a recommender sees in a world at its default parameters (WorldSpec.observationLayout). */
function observationLines(world: Registries['worlds'][string]): string[] {
  const spec = worldSpec(world, defaultParams(world.params), { experiment: 0, run: 0 });
  const layout = spec.observationLayout;
  const columns = (names: readonly string[]): string =>
    names.length === 0
      ? 'none'
      : names.length > 8
        ? `${names.slice(0, 3).join(', ')}, ..., ${names.slice(-4).join(', ')} (${names.length})`
        : names.join(', ');
  const lines = [
    '      observation (at the default parameters):',
    `        userFeatures: ` +
      `${layout.userFeatures.length === 0 ? '' : `${columns(layout.userFeatures)}: `}${layout.userFeaturesDoc}`,
    `        itemFeatures: ${columns(layout.itemFeatures)}`,
    `        context: ${layout.contextDoc}`,
  ];
  for (const field of layout.fields) {
    const codes = field.categories ? ` (${field.categories.map((name, code) => `${code} ${name}`).join(', ')})` : '';
    lines.push(`        fields.${field.name} [per ${field.scope}]: ${field.doc}${codes}`);
  }
  return lines;
}
