// A config's `kind` may name a file instead of a built-in: `kind: ./policies/mine.ts`, relative to
// the config (.ts, .mts, .js or .mjs). The file's default export (or its only exported definition)
// is a policy (`definePolicy`) or a learning agent (`defineAgent`), loaded without a build step:
// TypeScript through tsx, in the main thread and in every worker thread. Its `import ... from
// 'slatelab'` resolves to the very modules the runner runs (sources or dist/), from any folder, so
// the definitions it builds on are the runner's own.
//
// Config validation is synchronous, so the files are imported first (a pre-pass over the raw
// config's kinds, loadUserKinds) and the registries extended with them, keyed by the kind as the
// config writes it; workers get the kind -> file map and import the same files.
import { existsSync } from 'node:fs';
import { register as registerHooks } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AgentDefinition } from '../../agents/agent.ts';
import type { PolicyDefinition } from '../../policies/policy.ts';
import { ConfigError } from './config-error.ts';
import { isPathKind, USER_KIND_EXTENSIONS } from './path-kind.ts';
import { codeHash } from './user-code.ts';
import { defaultRegistries, type Registries } from './registries.ts';

/** The absolute file a path kind names, relative to the config's folder. */
export function userKindFile(kind: string, configFile: string): string {
  return path.resolve(path.dirname(path.resolve(configFile)), kind);
}

/** The runner's own entry module (the library's index), as the sources or dist/ run it. */
const LIBRARY_URL = new URL(import.meta.url.endsWith('.ts') ? '../../index.ts' : '../../index.js', import.meta.url)
  .href;

/** The runner's own folder: its .ts files are ES modules already (package.json type: module). */
const PACKAGE_URL = new URL(import.meta.url.endsWith('.ts') ? '../../' : '../../../', import.meta.url).href;

let hooked = false;
/**
 * In this thread: `slatelab` imports resolve to the runner's own library, and TypeScript loads (tsx;
 * already registered when the sources run, here when dist/ runs). Once per thread.
 */
async function prepareImports(): Promise<void> {
  if (hooked) return;
  hooked = true;
  const hooks = `
    export async function resolve(specifier, context, next) {
      if (specifier === 'slatelab') return next(${JSON.stringify(LIBRARY_URL)}, context);
      const resolved = await next(specifier, context);
      if (/.ts$/.test(resolved.url) && !resolved.url.includes('/node_modules/') && !resolved.url.startsWith(${JSON.stringify(PACKAGE_URL)}))
        return { ...resolved, format: 'module' };
      return resolved;
    }`;
  registerHooks(`data:text/javascript,${encodeURIComponent(hooks)}`);
  if (!import.meta.url.endsWith('.ts')) {
    const { register } = await import('tsx/esm/api');
    register();
  }
}

type Definition = PolicyDefinition | AgentDefinition;

function isDefinition(value: unknown): value is Definition {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Record<string, unknown>;
  const creates = typeof candidate.create === 'function' || typeof candidate.createWithTruth === 'function';
  return typeof candidate.name === 'string' && creates && 'params' in candidate;
}

/** The definition a user file exports: its default export, or its one exported definition. */
function definitionOf(module: Record<string, unknown>, kind: string, configFile: string): Definition {
  if (isDefinition(module.default)) return module.default;
  const exported = Object.values(module).filter(isDefinition);
  if (exported.length === 1) return exported[0];
  throw new ConfigError([
    exported.length === 0
      ? `${configFile}: agents: kind "${kind}" exports no policy or agent; export default definePolicy({...}) (or defineAgent) from it`
      : `${configFile}: agents: kind "${kind}" exports ${exported.length} definitions; export the one to run as default`,
  ]);
}

/** Whether a definition is a learning agent's (defineAgent's `learns` and `family`) rather than a policy's. */
function isAgent(definition: Definition): definition is AgentDefinition {
  return 'family' in definition && 'learns' in definition;
}

/**
 * Registries with the path kinds of `files` (kind as the config writes it -> absolute file) added:
 * each file imported, its definition checked. `base` is what they extend (the defaults).
 */
export async function withUserKinds(
  files: Readonly<Record<string, string>>,
  base: Registries = defaultRegistries,
  configFile = 'config',
): Promise<Registries> {
  const kinds = Object.keys(files);
  if (kinds.length === 0) return base;
  await prepareImports();
  const policies = { ...base.policies };
  const agents = { ...(base.agents ?? {}) };
  for (const kind of kinds) {
    const file = files[kind];
    let module: Record<string, unknown>;
    try {
      module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ConfigError([
        code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(file)
          ? `${configFile}: agents: kind "${kind}": no such file ${file}; check the path (relative to the config)`
          : `${configFile}: agents: kind "${kind}" (${file}) failed to load: ${(error as Error).message.split('\n')[0]}`,
      ]);
    }
    const definition = definitionOf(module, kind, configFile);
    // Ground truth is for the built-in oracles (policies/policy.ts createPolicy): a user's file that
    // asks for it is refused, so that no user policy is scored as if it were deployable with it.
    if ((definition as { evaluationOnly?: unknown }).evaluationOnly === true || 'createWithTruth' in definition)
      throw new ConfigError([
        `${configFile}: agents: kind "${kind}" declares an oracle (evaluationOnly, createWithTruth); ` +
          'a policy in a file gets the world through its observations only: remove them',
      ]);
    if (isAgent(definition)) agents[kind] = definition;
    else policies[kind] = definition;
  }
  return {
    ...base,
    policies,
    agents,
    userKinds: { ...(base.userKinds ?? {}), ...files },
    extends: base.extends ?? base,
  };
}

/**
 * The path kinds of a raw (unvalidated) config's agents, each with its absolute file; other kinds
 * are left to validation. Refuses an extension it cannot load.
 */
export function pathKindsOf(raw: unknown, configFile: string): Record<string, string> {
  const files: Record<string, string> = {};
  const agents = (raw as { agents?: unknown } | null)?.agents;
  if (!Array.isArray(agents)) return files;
  agents.forEach((agent, i) => {
    const kind = (agent as { kind?: unknown } | null)?.kind;
    if (typeof kind !== 'string' || !isPathKind(kind)) return;
    if (!USER_KIND_EXTENSIONS.some((extension) => kind.endsWith(extension)))
      throw new ConfigError([
        `${configFile}: agents[${i}].kind: "${kind}" is a path without a module's extension; name the file with ` +
          `its extension (${USER_KIND_EXTENSIONS.join(', ')})`,
      ]);
    files[kind] = userKindFile(kind, configFile);
  });
  return files;
}

/**
 * The registries a config's path kinds need (`base` extended with them; `base` itself when it has
 * none): read the config's raw text first, since validation is synchronous.
 */
export async function registriesFor(
  raw: unknown,
  configFile: string,
  base: Registries = defaultRegistries,
): Promise<Registries> {
  return withUserKinds(pathKindsOf(raw, configFile), base, configFile);
}

/** A worker thread's registries: the defaults with the run's path kinds (kind -> file), imported once per thread. */
const loaded = new Map<string, Promise<Registries>>();
export function workerRegistries(files: Readonly<Record<string, string>>): Promise<Registries> {
  const key = JSON.stringify(files);
  let registries = loaded.get(key);
  if (!registries) {
    registries = withUserKinds(files);
    loaded.set(key, registries);
  }
  return registries;
}

/**
 * The registries to resume an experiment whose manifest records user files: each file must be
 * where it was with the same code (a ConfigError naming the file otherwise).
 */
export async function resumeRegistries(
  dir: string,
  userCode: Readonly<Record<string, { file: string; sha256: string }>> | undefined,
  base: Registries = defaultRegistries,
): Promise<Registries> {
  if (!userCode || Object.keys(userCode).length === 0) return base;
  const files: Record<string, string> = {};
  for (const [kind, { file, sha256 }] of Object.entries(userCode)) {
    if (!existsSync(file))
      throw new ConfigError([
        `${dir}: agent kind "${kind}" was the file ${file}, which is gone; put it back to resume (slatelab report needs no file)`,
      ]);
    if (codeHash(file) !== sha256)
      throw new ConfigError([
        `${dir}: the code of agent kind "${kind}" (${file} or a local file it imports) changed since the ` +
          'experiment started; restore it to resume, or run the experiment again with slatelab run',
      ]);
    files[kind] = file;
  }
  return withUserKinds(files, base, dir);
}
