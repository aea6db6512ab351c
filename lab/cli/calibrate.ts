// `slatelab calibrate [CONFIG]`: the feed (the default one, or a config's with its seeds) under a
// fixed policy, next to the published figures it is calibrated to (lab/report/calibrate.ts).
// Progress on stderr, one line per (policy, seed).
import { defaultRegistries, type Registries } from '../config/registries.ts';
import { loadExperiment } from '../config/config.ts';
import { suggest } from '../config/suggest.ts';
import { worldSpec } from '../config/world-shape.ts';
import {
  calibrationJson,
  calibrationPolicies,
  calibrationText,
  DEFAULT_CALIBRATION_EPISODES,
  DEFAULT_CALIBRATION_POLICY,
  DEFAULT_CALIBRATION_RUNS,
  DEFAULT_INSERT_SHARE,
  MAX_CALIBRATION_USERS,
  MAX_INSERT_SHARE,
  registryPolicy,
  runCalibration,
} from '../report/calibrate.ts';
import { feed, type FeedParams } from '../../sim/feed/env.ts';
import { defaultParams } from '../../sim/params.ts';
import type { WorldSpec } from '../../sim/env.ts';
import type { Command } from './command.ts';
import { UsageError } from './errors.ts';
import type { Io } from './io.ts';
import { positiveInt, singleString } from './options.ts';

export const calibrateCommand: Command = {
  usage: 'calibrate [config]',
  describe: 'measure the feed world against the published figures it is calibrated to',
  options: (y) =>
    y
      .positional('config', {
        type: 'string',
        describe:
          'an experiment config whose feed world (parameters, seed and seeds) to measure (default: ' +
          'the default feed, experiment seed 0, seeds 0, 1, 2)',
      })
      .option('policy', {
        type: 'string',
        describe: `the policy to measure under (default ${DEFAULT_CALIBRATION_POLICY}; slatelab list shows them)`,
      })
      .option('episodes', { type: 'string', describe: `users per seed (default ${DEFAULT_CALIBRATION_EPISODES})` })
      .option('insert-share', {
        type: 'string',
        describe:
          `share of the policy's slots shown a video drawn uniformly from the catalog, in a second run ` +
          `of the policy (0 to ${MAX_INSERT_SHARE}, default ${DEFAULT_INSERT_SHARE}; 0: no second run)`,
      })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'print one JSON object: the figures and the reference list with measured values',
      }),
  run: (args, { io, registries }) =>
    calibrate(
      {
        config: args.config === undefined ? undefined : String(args.config),
        policy: singleString('--policy', args.policy, 'a policy', 'greedy-pctr') ?? DEFAULT_CALIBRATION_POLICY,
        episodes: positiveInt('--episodes', args.episodes) ?? DEFAULT_CALIBRATION_EPISODES,
        insertShare: insertShareOption(args['insert-share']) ?? DEFAULT_INSERT_SHARE,
        json: args.json === true,
      },
      io,
      registries,
    ),
};

/** --insert-share: a decimal number from 0 to MAX_INSERT_SHARE, as typed. */
function insertShareOption(value: unknown): number | undefined {
  const text = singleString('--insert-share', value, 'a share', '0.01');
  if (text === undefined) return undefined;
  const share = Number(text);
  if (!/^\s*(\d+\.?\d*|\.\d+)\s*$/.test(text) || !(share <= MAX_INSERT_SHARE))
    throw new UsageError(`--insert-share: expected a share from 0 to ${MAX_INSERT_SHARE}, got "${text}"`);
  return share;
}

function calibrate(
  options: { config?: string; policy: string; episodes: number; insertShare: number; json: boolean },
  io: Io,
  registries: Registries,
): number {
  const { policy, episodes } = options;
  if (!Object.hasOwn(registries.policies, policy)) {
    const known = Object.keys(registries.policies);
    const learns = registries.agents && Object.hasOwn(registries.agents, policy);
    const hint = suggest(policy, known);
    throw new UsageError(
      learns
        ? `--policy: "${policy}" is a learning agent; calibrate measures a fixed policy: ${known.join(', ')}`
        : `--policy: unknown policy "${policy}"; choices: ` +
            `${known.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`,
    );
  }
  let params: FeedParams = defaultParams(feed.params);
  let experiment = 0;
  let runs: readonly number[] = DEFAULT_CALIBRATION_RUNS;
  // What a one-row feed says of itself (validating a config learnt it).
  let spec: WorldSpec | null = null;
  if (options.config !== undefined) {
    const { config, shape } = loadExperiment(options.config, registries);
    if (config.world.preset !== feed.name) {
      throw new UsageError(
        `${options.config}: world.preset: calibrate needs the feed world (preset: feed), got "${config.world.preset}"`,
      );
    }
    params = config.world.params as FeedParams;
    experiment = config.seed;
    runs = config.seeds;
    spec = shape.spec;
  }
  if (episodes * runs.length > MAX_CALIBRATION_USERS) {
    throw new UsageError(
      `--episodes: ${episodes} users x ${runs.length} seeds is more than ` +
        `${MAX_CALIBRATION_USERS} users (calibrate keeps every video impression in memory); ` +
        `lower --episodes${options.config === undefined ? '' : ' or list fewer seeds in the config'}`,
    );
  }
  // Policies the figures are published under (random, greedy-pctr) are run too: take them from the
  // registry, or the built-in ones where an injected registry lacks them.
  const policies = { ...defaultRegistries.policies, ...registries.policies };
  spec ??= worldSpec(feed, params, { experiment, run: runs[0] });
  for (const name of calibrationPolicies(policy)) {
    const why = policies[registryPolicy(name)].unsupported?.(spec);
    if (why) throw new UsageError(`--policy: ${name} cannot run in this feed: ${why}`);
  }
  const calibration = runCalibration(
    {
      params,
      configFile: options.config ?? null,
      experiment,
      runs,
      episodes,
      policy,
      policies,
      insertShare: options.insertShare,
    },
    (line) => io.stderr(`${line}\n`),
  );
  io.stdout(options.json ? calibrationJson(calibration) : calibrationText(calibration));
  return 0;
}
