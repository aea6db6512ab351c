// Loading a config whose kinds may name a user's files (lab/config/user-kinds.ts): apart from
// user-kinds.ts, which worker threads load without the config parser's dependencies (zod, yaml).
import { readFileSync } from 'node:fs';
import { loadExperiment, type ConfigOverrides, type ValidExperiment } from './config.ts';
import { parseConfigText } from './parse.ts';
import { defaultRegistries, type Registries } from './registries.ts';
import { registriesFor } from './user-kinds.ts';

/**
 * loadExperiment (config.ts) for a config whose kinds may name files: those are imported first;
 * returns the registries that hold them with the validated config.
 */
export async function loadExperimentWithKinds(
  file: string,
  base: Registries = defaultRegistries,
  overrides: ConfigOverrides = {},
): Promise<ValidExperiment & { registries: Registries }> {
  let raw: unknown = null;
  try {
    raw = parseConfigText(readFileSync(file, 'utf8'), file);
  } catch {
    // Unreadable or not YAML: loadExperiment says why.
  }
  const registries = await registriesFor(raw, file, base);
  return { ...loadExperiment(file, registries, overrides), registries };
}
