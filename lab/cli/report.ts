// `slatelab report DIR`: rebuild an experiment's summary, charts and reports from its records.
import { join } from 'node:path';
import { defaultRegistries } from '../config/registries.ts';
import { summaryText } from '../report/tables.ts';
import { rebuildReports } from '../report/rebuild.ts';
import type { Command } from './command.ts';
import { usersToFix, usersToFixAsync } from './errors.ts';
import { readSweep, rebuildWorldSweep } from '../run/world-sweep.ts';
import { sweepText } from '../report/world-sweep.ts';

export const reportCommand: Command = {
  usage: 'report <dir>',
  describe: "rebuild an experiment's summary, charts and reports from its records (the runs that finished)",
  missing: "report: name an experiment's results directory, e.g. slatelab report results/quickstart/20261130-101500",
  options: (y) =>
    y.positional('dir', { type: 'string', demandOption: true, describe: "the experiment's results directory" }),
  run: async (args, { io, registries }) => {
    const dir = String(args.dir);
    if (usersToFix(() => readSweep(dir)) !== null) {
      const summary = await usersToFixAsync(() =>
        rebuildWorldSweep(dir, { registries: registries === defaultRegistries ? undefined : registries }),
      );
      io.stdout(`report: ${dir} (a world sweep: ${join(dir, 'sweep-report.md')})\n\n${sweepText(summary)}`);
      return 0;
    }
    const rebuilt = await usersToFixAsync(() =>
      rebuildReports(dir, { registries: registries === defaultRegistries ? undefined : registries }),
    );
    // (A shard's runs are its slice: what it finished and what it misses.)
    const total = rebuilt.runs + rebuilt.missing.length;
    io.stdout(
      `report: ${dir} (${rebuilt.runs} of ${total} runs; open ${join(dir, 'report.html')} in a ` +
        `browser)\n\n${summaryText(rebuilt.summary)}`,
    );
    if (rebuilt.missing.length > 0)
      io.stderr(
        `slatelab: ${rebuilt.missing.length} runs are missing from the summary; slatelab resume ${dir} runs them\n`,
      );
    return 0;
  },
};
