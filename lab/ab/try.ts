// `slatelab try POLICY`: a simulated A/B test in one command. The policy (treatment) and a
// production-like baseline (control: the trained value-model ranker unless told otherwise) meet the
// same users, seed by seed; the readout gives each metric's paired difference with its interval and
// flags guardrails that got worse. It writes a normal results directory (with its report), the
// config it ran (try.yaml, to run again with `slatelab run`) and the readout (try.md).
import { existsSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { ConfigError, validateExperiment } from '../config/config.ts';
import { isPathKind, USER_KIND_EXTENSIONS } from '../config/path-kind.ts';
import { findKind, type Registries } from '../config/registries.ts';
import { codeHash } from '../config/user-code.ts';
import { withUserKinds } from '../config/user-kinds.ts';
import { runExperiment, type ExperimentOutcome, type Progress } from '../run/runner.ts';
import { claimDefaultOutDir, claimOutDir } from '../store/outdir.ts';
import { BASELINE_TRAINING, CACHED_AGENT, trainedBaseline, type CachedBaseline } from './baseline-cache.ts';
import { abReadout, readoutText, type Readout } from './readout.ts';

/** The control when none is named: the supervised value-model ranker real feeds use. */
export const DEFAULT_CONTROL = 'ranker';
export const DEFAULT_TRY_SEEDS = 5;
export const DEFAULT_TRY_USERS = 500;

export interface TryOptions {
  /** The treatment: a policy kind, or a policy file (relative to the working directory). */
  readonly policy: string;
  /** The control: a kind or a file; a learning agent is trained first (and cached). */
  readonly against?: string;
  readonly world?: string;
  readonly seeds?: number;
  readonly users?: number;
  /** Training steps a seed of a learning control (default BASELINE_TRAINING.steps). */
  readonly controlSteps?: number;
  readonly out?: string;
  readonly threads?: number;
  readonly registries: Registries;
  readonly progress?: Progress;
  readonly signal?: AbortSignal;
  /** The cache folder (baseline-cache.ts cacheRoot by default). */
  readonly cacheRoot?: string;
  /** Skip the charts (tests). */
  readonly charts?: boolean;
}

export interface TryOutcome {
  readonly outcome: ExperimentOutcome;
  /** Null when the control was trained in the run or does not learn. */
  readonly baseline: CachedBaseline | null;
  /** Null when either arm failed on every seed. */
  readonly readout: Readout | null;
  readonly treatment: string;
  readonly control: string;
}

/** What the command line calls `what`: a kind, or a file made absolute (configs name files relative to themselves). */
function resolveKind(given: string, option: string): { kind: string; file: string | null } {
  if (!isPathKind(given)) return { kind: given, file: null };
  if (!USER_KIND_EXTENSIONS.some((extension) => given.endsWith(extension)))
    throw new ConfigError([
      `try: ${option} ${given}: name a policy file (${USER_KIND_EXTENSIONS.join(', ')}) or a kind`,
    ]);
  const file = resolve(given);
  if (!existsSync(file)) throw new ConfigError([`try: ${option} ${given}: no such file ${file}; check the path`]);
  return { kind: file, file };
}

/** An agent's name in the A/B: the kind, or the file's name without its extension. */
function armName(kind: string, file: string | null): string {
  const name = file ? basename(file, extname(file)) : kind;
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return (safe || 'policy').slice(0, 56);
}

export async function runTry(options: TryOptions): Promise<TryOutcome> {
  const preset = options.world ?? 'feed';
  const seeds = Array.from({ length: options.seeds ?? DEFAULT_TRY_SEEDS }, (_, i) => i);
  const users = options.users ?? DEFAULT_TRY_USERS;
  const treatment = resolveKind(options.policy, 'POLICY');
  const control = resolveKind(options.against ?? DEFAULT_CONTROL, '--against');
  const files: Record<string, string> = {};
  for (const arm of [treatment, control]) if (arm.file) files[arm.kind] = arm.file;
  const registries = await withUserKinds(files, options.registries, 'try');
  if (!Object.hasOwn(registries.worlds, preset))
    throw new ConfigError([
      `try: --world ${preset}: no such world; one of ${Object.keys(registries.worlds).join(', ')}`,
    ]);

  const treatmentKind = findKind(registries, treatment.kind);
  if (!treatmentKind)
    throw new ConfigError([
      `try: POLICY ${options.policy}: no such policy; slatelab list shows them, or name your file`,
    ]);
  if (treatmentKind.learns)
    throw new ConfigError([
      `try: POLICY ${options.policy} is a learning agent; try takes a policy (a learning agent needs a ` +
        'config with a training block: slatelab run)',
    ]);
  const controlKind = findKind(registries, control.kind);
  if (!controlKind)
    throw new ConfigError([
      `try: --against ${options.against}: no such policy or agent; slatelab list shows them, or name a file`,
    ]);

  const treatmentName = armName(treatment.kind, treatment.file);
  let controlName = armName(control.kind, control.file);
  if (controlName === treatmentName) controlName = `${controlName}-control`;

  // Both arms are checked first, the control as a kind, so that an arm that cannot run in the world
  // fails before any training.
  const treatmentAgent = { name: treatmentName, kind: treatment.kind };
  validateArms(preset, seeds, users, [{ name: controlName, kind: control.kind }, treatmentAgent], registries, true);
  let baseline: CachedBaseline | null = null;
  let controlAgent: Record<string, unknown> = { name: controlName, kind: control.kind };
  if (controlKind.learns) {
    // The trained control, from the cache or trained now.
    baseline = await trainedBaseline(
      {
        preset,
        seed: 0,
        seeds,
        kind: control.kind,
        params: {},
        backend: 'wasm',
        steps: options.controlSteps ?? BASELINE_TRAINING.steps,
        codeHash: control.file ? codeHash(control.file) : null,
      },
      {
        registries,
        root: options.cacheRoot,
        threads: options.threads,
        progress: options.progress,
        signal: options.signal,
      },
    );
    controlAgent = { name: controlName, init: { from: baseline.dir, agent: CACHED_AGENT } };
  }
  const raw = abConfig(preset, seeds, users, [controlAgent, treatmentAgent], controlName, treatmentName);
  const { config, shape } = validateArms(preset, seeds, users, [controlAgent, treatmentAgent], registries, false);
  const outDir = options.out ? claimOutDir(options.out) : claimDefaultOutDir(config.name, new Date());
  options.progress?.line(
    `${config.name}: ${treatmentName} (treatment) against ${controlName} (control) in ${preset}, ` +
      `${seeds.length} seeds x ${users} users, the same users in both arms`,
  );
  const configFile = join(outDir, 'try.yaml');
  writeFileSync(
    configFile,
    `# slatelab try ${options.policy}${options.against ? ` --against ${options.against}` : ''}: ` +
      `run again with slatelab run ${configFile}\n${stringify(raw)}`,
  );
  const outcome = await runExperiment({
    config,
    shape,
    outDir,
    registries,
    configFile,
    progress: options.progress,
    threads: options.threads,
    signal: options.signal,
    charts: options.charts,
    claimed: true,
  });
  const complete = (name: string) => outcome.summary.agents[name]?.return?.n > 0;
  const readout =
    complete(treatmentName) && complete(controlName)
      ? abReadout(outDir, outcome.summary, treatmentName, controlName)
      : null;
  if (readout) writeFileSync(join(outDir, 'try.md'), `# slatelab try\n\n\`\`\`\n${readoutText(readout)}\`\`\`\n`);
  return { outcome, baseline, readout, treatment: treatmentName, control: controlName };
}

function abConfig(
  preset: string,
  seeds: readonly number[],
  users: number,
  agents: readonly Record<string, unknown>[],
  control: string,
  treatment: string,
  training = false,
): Record<string, unknown> {
  return {
    name: `try-${treatment}`.slice(0, 64),
    seed: 0,
    world: { preset },
    seeds: [...seeds],
    agents,
    baseline: control,
    ...(training ? { training: { steps: BASELINE_TRAINING.steps } } : {}),
    evaluation: { episodes: users },
  };
}

/** Validates the A/B's config, its messages naming try's options where a field came from one. */
function validateArms(
  preset: string,
  seeds: readonly number[],
  users: number,
  agents: readonly Record<string, unknown>[],
  registries: Registries,
  training: boolean,
) {
  const names = agents.map((agent) => String(agent.name));
  const raw = abConfig(preset, seeds, users, agents, names[0], names[names.length - 1], training);
  const overridden: Record<string, string> = {
    'world.preset': '--world',
    seeds: '--seeds',
    'evaluation.episodes': '--users',
  };
  agents.forEach((_agent, i) => {
    // The control comes first, the treatment second.
    const option = i === 0 ? '--against' : 'POLICY';
    overridden[`agents[${i}].kind`] = option;
    overridden[`agents[${i}].params`] = option;
    overridden[`agents[${i}]`] = option;
  });
  return validateExperiment(raw, 'try', registries, overridden);
}
