// `slatelab try POLICY`: a simulated A/B test of a policy against a production-like control, on the
// same users, printed as an online experiment's readout (lab/ab/try.ts runs it).
import { DEFAULT_CONTROL, DEFAULT_TRY_SEEDS, DEFAULT_TRY_USERS, runTry } from '../ab/try.ts';
import { readoutText } from '../ab/readout.ts';
import { BASELINE_TRAINING, BaselineError, cacheRoot } from '../ab/baseline-cache.ts';
import { threadCount } from '../run/runner.ts';
import type { Command } from './command.ts';
import { UsageError, usersToFixAsync } from './errors.ts';
import { progressTo, withInterrupt } from './experiment-output.ts';
import { positiveInt, singleString, THREADS_OPTION } from './options.ts';

export const tryCommand: Command = {
  usage: 'try <policy>',
  describe: 'a simulated A/B test: your policy against the trained ranker (or --against), on the same users',
  missing: 'try: name a policy file or kind, e.g. slatelab try ./policies/mine.ts',
  options: (y) =>
    y
      .positional('policy', { type: 'string', demandOption: true, describe: 'the treatment: a policy file or kind' })
      .option('against', {
        type: 'string',
        describe: `the control: a policy or agent kind, or a file (default ${DEFAULT_CONTROL}, trained once and cached)`,
      })
      .option('world', { type: 'string', describe: 'the world preset (default feed)' })
      .option('seeds', { type: 'string', describe: `seeds 0..N-1 (default ${DEFAULT_TRY_SEEDS})` })
      .option('users', {
        type: 'string',
        describe: `users per seed, the same in both arms (default ${DEFAULT_TRY_USERS})`,
      })
      .option('control-steps', {
        type: 'string',
        describe: `training steps a seed of a learning control (default ${BASELINE_TRAINING.steps}; each budget is cached apart)`,
      })
      .option('out', {
        type: 'string',
        describe: 'output directory, new or empty (default results/try-<policy>/<UTC time>)',
      })
      .option('threads', THREADS_OPTION),
  run: async (args, { io, registries }) => {
    const policy = String(args.policy);
    const against = singleString('--against', args.against, 'a kind or a file', 'greedy-pctr');
    const world = singleString('--world', args.world, 'a world preset', 'feed');
    const seeds = positiveInt('--seeds', args.seeds);
    const users = positiveInt('--users', args.users);
    const controlSteps = positiveInt('--control-steps', args['control-steps']);
    const out = singleString('--out', args.out, 'a directory', 'results/my-try');
    const requestedThreads = positiveInt('--threads', args.threads);
    if (seeds === 1) throw new UsageError('--seeds: 1 seed gives no interval; give at least 2 (default 5)');
    const progress = progressTo(io);
    const threads = threadCount(requestedThreads, 2 * (seeds ?? DEFAULT_TRY_SEEDS), {
      line: (text) => io.stderr(`slatelab: ${text}\n`),
    });
    const tried = await withInterrupt(io, (signal) =>
      usersToFixAsync(() =>
        runTry({
          policy,
          against,
          world,
          seeds,
          users,
          controlSteps,
          out,
          threads,
          registries,
          progress,
          signal,
        }).catch((error) => {
          throw error instanceof BaselineError ? new Error(error.message) : error;
        }),
      ),
    );
    const { outcome, baseline, readout } = tried;
    if (baseline)
      io.stderr(
        `control ${tried.control}: ${baseline.trained ? 'trained now and cached' : 'trained earlier, from the cache'} ` +
          `(${baseline.dir}; the cache folder is ${cacheRoot()})\n`,
      );
    io.stdout(`\nresults: ${outcome.outDir} (open report.html in a browser; the readout is in try.md)\n\n`);
    if (readout) io.stdout(readoutText(readout));
    if (outcome.failures.length > 0) {
      for (const failure of outcome.failures)
        io.stderr(`slatelab: ${failure.agent} seed ${failure.seed}: ${failure.error}\n`);
      io.stderr(
        `slatelab: ${outcome.failures.length} runs failed${readout ? ' (the readout covers the seeds both arms finished)' : ': no readout'}; ` +
          `slatelab resume ${outcome.outDir} runs them again\n`,
      );
      return 1;
    }
    if (outcome.interrupted.length > 0) {
      io.stderr(`slatelab: interrupted; slatelab resume ${outcome.outDir} finishes the runs\n`);
      return 130;
    }
    return 0;
  },
};
