// `slatelab resume DIR`: finish a stopped experiment (Ctrl-C, kill, crash, failed runs): only the
// missing (agent, seed) runs, then the summary, charts and reports.
import { defaultRegistries } from '../config/registries.ts';
import { join } from 'node:path';
import { emptyShard } from '../run/merge.ts';
import { registriesFor, resumeRegistries } from '../config/user-kinds.ts';
import { checkMemory, estimateMemory } from '../run/plan.ts';
import { checkKinds } from '../store/experiment-dir.ts';
import { resumeExperiment } from '../run/resume.ts';
import { shardRuns } from '../run/run-order.ts';
import { readManifest } from '../store/manifest.ts';
import { threadCount } from '../run/runner.ts';
import { readSweep, resumeWorldSweep } from '../run/world-sweep.ts';
import { finishSweep } from './world-sweep.ts';
import type { Command } from './command.ts';
import { usersToFix, usersToFixAsync } from './errors.ts';
import { finishCommand, progressTo, withInterrupt } from './experiment-output.ts';
import { bytesOption, MAX_MEMORY_OPTION, positiveInt, THREADS_OPTION } from './options.ts';

export const resumeCommand: Command = {
  usage: 'resume <dir>',
  describe:
    'finish an experiment that was stopped (Ctrl-C, kill, crash) or had failed runs: runs only ' +
    'the missing (agent, seed) runs, then writes the summary, charts and reports',
  missing: "resume: name an experiment's results directory, e.g. slatelab resume results/quickstart/20261130-101500",
  options: (y) =>
    y
      .positional('dir', {
        type: 'string',
        demandOption: true,
        describe: "the experiment's results directory (the --out of slatelab run)",
      })
      .option('threads', THREADS_OPTION)
      .option('max-memory', MAX_MEMORY_OPTION),
  run: async (args, { io, registries: given, verbose }) => {
    const dir = String(args.dir);
    const requested = positiveInt('--threads', args.threads);
    const maxMemory = bytesOption(args['max-memory']);
    const progress = progressTo(io);
    // A world sweep's directory: each world finished in turn (lab/run/world-sweep.ts).
    const sweep = usersToFix(() => readSweep(dir));
    if (sweep !== null) {
      const outcome = await usersToFixAsync(() =>
        withInterrupt(io, (signal) =>
          resumeWorldSweep(dir, {
            registries: given === defaultRegistries ? undefined : given,
            // A world's user files: where a started world found them (their code checked), or as its config names them.
            registriesOf: async (worldDir, config) => {
              const found =
                emptyShard(worldDir) === null
                  ? await resumeRegistries(worldDir, readManifest(worldDir).userCode, given)
                  : await registriesFor(config, sweep.configFile ?? join(dir, 'sweep.json'), given);
              const runs = config.agents.length * config.seeds.length;
              checkMemory(estimateMemory(config, found), threadCount(requested, runs), maxMemory);
              return found === defaultRegistries ? undefined : found;
            },
            progress,
            verbose,
            threads: requested,
            signal,
          }),
        ),
      );
      return finishSweep(outcome, io);
    }
    const manifest = usersToFix(() => readManifest(dir));
    // Kinds that name a user's file: the file where it was, with the code it had (user-kinds.ts).
    const registries = await resumeRegistries(dir, manifest.userCode, given);
    const config = usersToFix(() => {
      checkKinds(dir, manifest.config, registries);
      return manifest.config;
    });
    const threads = threadCount(requested, config.agents.length * config.seeds.length, {
      line: (text) => io.stderr(`slatelab: ${text}\n`),
    });
    usersToFix(() => checkMemory(estimateMemory(config, registries), threads, maxMemory));
    const outcome = await usersToFixAsync(() =>
      withInterrupt(io, (signal) =>
        resumeExperiment(dir, {
          registries: registries === defaultRegistries ? undefined : registries,
          progress,
          verbose,
          threads,
          signal,
        }),
      ),
    );
    return finishCommand(outcome, outcome.config, io, shardRuns(outcome.config, manifest.shard).length);
  },
};
