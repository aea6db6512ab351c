// `slatelab obp-synthetic`: Open Bandit Pipeline's synthetic off-policy benchmark replicated
// (lab/ope/obp-synthetic.ts), each estimator's relative error beside OBP's published one.
import { OBP_PUBLISHED, OBP_SETTING, obpBenchmark, type ObpSummary } from '../ope/obp-synthetic.ts';
import { textTable } from '../report/tables.ts';
import type { Command } from './command.ts';
import { positiveInt } from './options.ts';

export const obpSyntheticCommand: Command = {
  usage: 'obp-synthetic',
  describe: "replicate Open Bandit Pipeline's synthetic off-policy benchmark; each estimator's error beside OBP's",
  options: (y) =>
    y
      .option('runs', { type: 'string', describe: `runs (default ${OBP_SETTING.runs}, as OBP)` })
      .option('rounds', { type: 'string', describe: `rounds of each log (default ${OBP_SETTING.rounds}, as OBP)` })
      .option('json', { type: 'boolean', default: false, describe: 'print every run and the summary as JSON' }),
  run: (args, { io }) => {
    const runs = positiveInt('--runs', args.runs) ?? OBP_SETTING.runs;
    const rounds = positiveInt('--rounds', args.rounds) ?? OBP_SETTING.rounds;
    const setting = { ...OBP_SETTING, runs, rounds };
    const summary = obpBenchmark(setting, (run) => io.stderr(`obp-synthetic: run ${run + 1}/${runs} done\n`));
    io.stdout(args.json === true ? `${JSON.stringify(summary)}\n` : obpText(summary));
    return 0;
  },
};

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

export function obpText(summary: ObpSummary): string {
  const { setting } = summary;
  const rows = [['estimator', 'slatelab: mean (95% interval)', 'sd', 'OBP published: mean', 'sd', 'slatelab / OBP']];
  for (const [name, ours] of Object.entries(summary.estimators)) {
    const theirs = OBP_PUBLISHED[name];
    rows.push([
      name,
      `${pct(ours.mean)}${ours.ci95 ? ` [${pct(ours.ci95[0])}, ${pct(ours.ci95[1])}]` : ''}`,
      pct(ours.sd),
      pct(theirs.mean),
      pct(theirs.sd),
      (ours.mean / theirs.mean).toFixed(2),
    ]);
  }
  return (
    `relative error |estimate - truth| / truth over ${summary.runs.length} runs: ${setting.rounds} rounds, ` +
    `${setting.actions} actions, ${setting.dimContext}-dimensional contexts, beta ${setting.beta} ` +
    `(OBP: 20 runs of the same design)\n\n${textTable(rows)}\n`
  );
}
