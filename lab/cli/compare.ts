// `slatelab compare A B`: how two experiments' configs and versions differ, then B - A per agent
// and metric with 95% intervals.
import { CompareError, compareExperiments, comparisonText } from '../report/compare.ts';
import type { Command } from './command.ts';
import { UsageError } from './errors.ts';

export const compareCommand: Command = {
  usage: 'compare <a> <b>',
  describe:
    "compare two experiments' results: how their configs and versions differ, then B - A per " +
    'agent and metric with 95% intervals',
  missing:
    'compare: name two results directories, e.g. slatelab compare results/a/20261130-101500 results/b/20261130-103000',
  options: (y) =>
    y
      .positional('a', {
        type: 'string',
        demandOption: true,
        describe: 'results directory A (the --out of slatelab run)',
      })
      .positional('b', { type: 'string', demandOption: true, describe: 'results directory B' }),
  run: (args, { io }) => {
    try {
      io.stdout(comparisonText(compareExperiments(String(args.a), String(args.b))));
    } catch (error) {
      if (error instanceof CompareError) throw new UsageError(error.message);
      throw error;
    }
    return 0;
  },
};
