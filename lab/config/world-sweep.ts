// A world sweep (config `sweep: { world: { grid | variants } }`): the world's parameters varied,
// each variant a whole experiment of its own (other users, so nothing pairs across worlds), run
// into <out>/worlds/<variant>/ and compared unpaired in the sweep's report
// (lab/run/world-sweep.ts, lab/report/world-sweep.ts). Each world's config is the config with the
// variant's parameters over world.params and without sweep.world, validated like any config.
import { readFileSync } from 'node:fs';
import { ConfigError, type ConfigOverrides, loadExperiment, type ValidExperiment } from './config.ts';
import { parseConfigText } from './parse.ts';
import { defaultRegistries, type Registries } from './registries.ts';
import { SAFE_NAME } from './safe-name.ts';
import { variantLabel, variantsOf } from './sweep.ts';
import { registriesFor } from './user-kinds.ts';

export interface WorldVariant {
  /** Names its directory (worlds/<name>): what it sets, e.g. churn-0.05. */
  readonly name: string;
  /** The world parameters it sets (over the config's world.params). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly experiment: ValidExperiment;
}

export interface WorldSweep {
  readonly name: string;
  readonly worlds: readonly WorldVariant[];
  readonly registries: Registries;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether a parsed config sweeps its world. */
export function sweepsWorld(raw: unknown): boolean {
  return isMapping(raw) && isMapping(raw.sweep) && 'world' in raw.sweep;
}

/**
 * Reads `file` as a world sweep: each world variant's config, validated. Problems (of the sweep,
 * or of the worlds' configs, each said once) throw ConfigError. Null when the config sweeps no world.
 */
export async function loadWorldSweep(
  file: string,
  base: Registries = defaultRegistries,
  overrides: ConfigOverrides = {},
): Promise<WorldSweep | null> {
  let raw: unknown;
  try {
    raw = parseConfigText(readFileSync(file, 'utf8'), file);
  } catch {
    return null; // loadExperiment says why
  }
  if (!sweepsWorld(raw)) return null;
  const given = raw as Record<string, unknown>;
  const sweep = given.sweep as Record<string, unknown>;
  const issues: string[] = [];
  const variants = variantsOf('sweep.world', sweep.world, (field, message) =>
    issues.push(`${file}: ${field}: ${message}`),
  );
  if (variants === null) throw new ConfigError(issues);
  const registries = await registriesFor(raw, file, base);
  const { world: _world, ...rest } = sweep;
  const world = isMapping(given.world) ? given.world : {};
  const baseParams = isMapping(world.params) ? world.params : {};
  const worlds: WorldVariant[] = [];
  const said = new Set<string>();
  const taken = new Set<string>();
  variants.forEach((params, i) => {
    let name = variantLabel(params);
    if (!SAFE_NAME.test(name) || taken.has(name.toLowerCase())) name = `world-${i}`;
    for (let again = 2; taken.has(name.toLowerCase()); again++) name = `world-${i}-${again}`;
    taken.add(name.toLowerCase());
    const one = {
      ...given,
      world: { ...world, params: { ...baseParams, ...params } },
      ...(Object.keys(rest).length > 0 ? { sweep: rest } : {}),
    };
    if (Object.keys(rest).length === 0) delete (one as Record<string, unknown>).sweep;
    try {
      worlds.push({ name, params, experiment: loadExperiment(file, registries, overrides, one) });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      // A problem every world shares is said once; a world's own names the variant.
      for (const line of error.issues) {
        const worldField = /^[^:]+: world\.params\.([A-Za-z0-9_]+)/.exec(line);
        const own = worldField !== null && worldField[1] in params;
        const text = own ? `${line} (world variant ${name}, sweep.world)` : line;
        if (!said.has(text)) issues.push(text);
        said.add(text);
      }
    }
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return { name: worlds[0].experiment.config.name, worlds, registries };
}
