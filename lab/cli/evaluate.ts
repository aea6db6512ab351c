// `slatelab evaluate --logs DIR --policy KIND|FILE`: off-policy estimates of a policy from an
// experiment's interaction logs, beside its true value from simulation (lab/ope/evaluate.ts).
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { claimOutDir } from '../store/outdir.ts';
import { errorBySizeChart } from '../ope/error-chart.ts';
import { isPathKind } from '../config/path-kind.ts';
import { withUserKinds } from '../config/user-kinds.ts';
import { EvaluateError, evaluateLogs, type EvaluateResult } from '../ope/evaluate.ts';
import { formatNumber, textTable } from '../report/tables.ts';
import type { Command } from './command.ts';
import { UsageError, usersToFix } from './errors.ts';
import { singleString } from './options.ts';

export const evaluateCommand: Command = {
  usage: 'evaluate',
  describe: "estimate a policy off-policy from an experiment's interaction logs (run --log), beside its true value",
  options: (y) =>
    y
      .option('logs', { type: 'string', describe: 'the results directory of an experiment run with --log' })
      .option('policy', { type: 'string', describe: 'the target: a policy kind or your policy file' })
      .option('logger', { type: 'string', describe: 'the logging agent, where several were logged' })
      .option('init', {
        type: 'string',
        describe: 'an experiment that trained the learning agent --policy names (its saved agent, seed by seed)',
      })
      .option('sizes', {
        type: 'string',
        describe:
          "interactions per seed at which to measure each estimator's error over seeds, e.g. 1000,10000,100000 " +
          '(worlds without state)',
      })
      .option('out', {
        type: 'string',
        describe:
          'write ope.json, ope.md and (with --sizes) the chart of error against data into this new or empty folder',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' }),
  run: async (args, { io, registries }) => {
    const dir = singleString('--logs', args.logs, "an experiment's results directory", 'results/ope/20261207-101500');
    const policy = singleString('--policy', args.policy, 'a policy kind or file', 'greedy-pctr');
    if (dir === undefined)
      throw new UsageError('evaluate: name the logs with --logs DIR (an experiment run with --log)');
    if (policy === undefined) throw new UsageError('evaluate: name the target policy with --policy KIND|FILE');
    const logger = singleString('--logger', args.logger, 'an agent name', 'ranker');
    const sizes = sizesOption(singleString('--sizes', args.sizes, 'interaction counts', '1000,10000'));
    const out = singleString('--out', args.out, 'a folder', 'results/ope-errors');
    const init = singleString('--init', args.init, "an experiment's results directory", 'results/feed-ranker-trained');
    if (init !== undefined) {
      // A saved agent with networks needs the backend it was trained on, loaded before it is built.
      const { readManifest } = await import('../store/manifest.ts');
      const { useBackend } = await import('../../agents/nets/backend.ts');
      let backend = 'wasm';
      try {
        backend = readManifest(init).config.backend;
      } catch {
        // Not an experiment: evaluateLogs says so, naming --init.
      }
      await useBackend(backend as 'wasm');
    }
    let kind = policy;
    let withKinds = registries;
    if (isPathKind(policy)) {
      const file = resolve(policy);
      if (!existsSync(file)) throw new UsageError(`evaluate: --policy ${policy}: no such file ${file}; check the path`);
      kind = file;
      withKinds = await withUserKinds({ [file]: file }, registries, 'evaluate');
    }
    let result: EvaluateResult;
    try {
      result = evaluateLogs({ dir, policy: kind, init, logger, registries: withKinds, sizes });
    } catch (error) {
      if (error instanceof EvaluateError) throw new UsageError(`evaluate: ${error.message}`);
      throw error;
    }
    const text = evaluateText(result, policy);
    io.stdout(args.json === true ? `${JSON.stringify(jsonOf(result))}\n` : text);
    if (out !== undefined) {
      const folder = usersToFix(() => claimOutDir(out));
      // claimOutDir takes the folder with a placeholder manifest; this folder holds no experiment.
      rmSync(join(folder, 'manifest.json'), { force: true });
      writeFileSync(join(folder, 'ope.json'), `${JSON.stringify(jsonOf(result), null, 2)}\n`);
      let markdown = `# ${policy}, estimated off-policy\n\n\`\`\`\n${text}\`\`\`\n`;
      if (result.bySize) {
        const { svg, png } = await errorBySizeChart(result.bySize, policy, result.seeds.length);
        mkdirSync(join(folder, 'charts'), { recursive: true });
        writeFileSync(join(folder, 'charts', 'ope-error-by-size.svg'), svg);
        writeFileSync(join(folder, 'charts', 'ope-error-by-size.png'), png);
        markdown += '\n![Error against data](charts/ope-error-by-size.png)\n';
      }
      writeFileSync(join(folder, 'ope.md'), markdown);
      io.stderr(`written: ${folder} (ope.md, ope.json${result.bySize ? ', charts/ope-error-by-size.png' : ''})\n`);
    }
    return 0;
  },
};

/** `--sizes 1000,10000`: whole numbers >= 1, increasing. */
function sizesOption(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const sizes = text.split(',').map((part) => Number(part.trim()));
  if (sizes.some((size) => !Number.isSafeInteger(size) || size < 2))
    throw new UsageError(`--sizes: expected whole numbers >= 2 separated by commas, e.g. 1000,10000, got "${text}"`);
  return [...new Set(sizes)].sort((a, b) => a - b);
}

function jsonOf(result: EvaluateResult) {
  return {
    truth: result.truth,
    stateful: result.stateful,
    interactions: result.interactions,
    logger: result.logger,
    seeds: result.seeds,
    estimators: Object.fromEntries(
      Object.entries(result.estimators).map(([name, e]) => [
        name,
        { value: e.value, ci95: e.ci95, ess: e.ess, relError: e.relError },
      ]),
    ),
    ...(Object.keys(result.skipped).length > 0 ? { skipped: result.skipped } : {}),
    ...(result.bySize ? { bySize: result.bySize } : {}),
  };
}

/** Below this effective sample size an estimate is flagged as unusable. */
export const MIN_EFFECTIVE_SAMPLES = 30;

export function evaluateText(result: EvaluateResult, policy: string): string {
  const rows = [['estimator', 'estimate', '95% interval', 'effective sample size', 'relative error', '']];
  for (const [name, e] of Object.entries(result.estimators))
    rows.push([
      name,
      formatNumber(e.value),
      e.ci95 ? `[${formatNumber(e.ci95[0])}, ${formatNumber(e.ci95[1])}]` : '—',
      formatNumber(e.ess),
      e.relError === null ? '—' : `${(100 * e.relError).toFixed(1)}%`,
      // An estimate from a handful of effective samples looks like a number but is not one.
      e.ess < MIN_EFFECTIVE_SAMPLES
        ? `unusable: ${e.ess < 1 ? 'no' : 'few'} logged pages the target would show (effective sample size under ${MIN_EFFECTIVE_SAMPLES})`
        : '',
    ]);
  const lines = [
    `${policy} estimated from ${result.interactions} interactions of ${result.logger} (seeds ${result.seeds.join(', ')}): reward per step`,
    '',
    textTable(rows),
    '',
    result.stateful
      ? `on-policy reward per step, simulated on the same users: ${formatNumber(result.truth)} (this world has state: ` +
        'the target would lead users elsewhere, so this is not the estimand and no relative error is given)'
      : `truth (the target's expected reward per step on the logged users): ${formatNumber(result.truth)}`,
  ];
  for (const [name, why] of Object.entries(result.skipped)) lines.push(`${name}: not computed: ${why}`);
  if (result.bySize) {
    const names = Object.keys(result.bySize[0]?.estimators ?? {});
    const table = [['interactions a seed', ...names]];
    for (const point of result.bySize)
      table.push([
        String(point.interactions),
        ...names.map((name) => {
          const error = point.estimators[name]?.absRelError;
          if (!error || error.n === 0) return '—';
          const half = error.ci95 ? (error.ci95[1] - error.ci95[0]) / 2 : null;
          return `${(100 * error.mean).toFixed(1)}%${half === null ? '' : ` ± ${(100 * half).toFixed(1)}`}`;
        }),
      ]);
    lines.push(
      '',
      `mean |relative error| over ${result.seeds.length} seeds (each seed against its own truth), by interactions a seed:`,
      '',
      textTable(table),
    );
  }
  return `${lines.join('\n')}\n`;
}
