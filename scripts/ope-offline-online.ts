// Offline against online (issue 26): every agent of an experiment run with `log:` estimated from
// one agent's logs (`slatelab evaluate`, trained agents loaded with --init), beside its online
// results on the same users (the experiment's own evaluation, paired against the logging agent as
// `slatelab try` pairs a treatment with its control), and the rank correlation of the two.
//   npm run ope:offline-online -- results/ope-feed [--logger ranker]
import { defaultRegistries } from '../lab/config/registries.ts';
import { isPathKind } from '../lab/config/path-kind.ts';
import { withUserKinds } from '../lab/config/user-kinds.ts';
import { evaluateLogs } from '../lab/ope/evaluate.ts';
import { formatInterval, textTable } from '../lab/report/tables.ts';
import { readManifest } from '../lab/store/manifest.ts';
import type { Summary } from '../lab/store/summary.ts';
import { spearman } from '../eval/rank.ts';
import { useBackend } from '../agents/nets/backend.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: npm run ope:offline-online -- RESULTS_DIR [--logger AGENT]');
  process.exit(2);
}
const at = process.argv.indexOf('--logger');
const manifest = readManifest(dir);
const logger = at > 0 ? process.argv[at + 1] : manifest.config.agents[0].name;
const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
await useBackend(manifest.config.backend);
const ESTIMATORS = [
  'independent-ips',
  'independent-dr',
  'reward-interaction-ips',
  'cascade-dr',
  'pseudo-inverse',
] as const;
const rows: { agent: string; estimates: Record<string, number>; perStep: number; return: number }[] = [];
for (const agent of manifest.config.agents) {
  const learns = defaultRegistries.agents?.[agent.kind] !== undefined;
  let registries = defaultRegistries;
  // A policy in a file: where the manifest recorded it.
  const file = manifest.userCode?.[agent.kind]?.file;
  if (isPathKind(agent.kind) && file) registries = await withUserKinds({ [agent.kind]: file }, registries, dir);
  process.stderr.write(`estimating ${agent.name} from ${logger}'s logs\n`);
  const result = evaluateLogs({
    dir,
    policy: learns ? agent.name : agent.kind,
    init: learns ? dir : undefined,
    logger,
    registries,
    params: learns ? undefined : agent.params,
  });
  const online = summary.agents[agent.name];
  rows.push({
    agent: agent.name,
    estimates: Object.fromEntries(ESTIMATORS.map((name) => [name, result.estimators[name]?.value ?? Number.NaN])),
    perStep: online.return.mean / online.episodeLength.mean,
    return: online.return.mean,
  });
}
const table = [
  [
    'agent',
    ...ESTIMATORS.map((name) => `${name} (per step)`),
    'online: reward per step',
    'online: return',
    `A/B minus ${logger}`,
  ],
];
for (const row of rows) {
  const paired = summary.paired.baseline === row.agent ? null : summary.paired.agents[row.agent]?.return;
  table.push([
    row.agent,
    ...ESTIMATORS.map((name) => (Number.isFinite(row.estimates[name]) ? row.estimates[name].toFixed(3) : '—')),
    row.perStep.toFixed(3),
    row.return.toFixed(1),
    paired ? formatInterval(paired, true) : '(control)',
  ]);
}
console.log(`${textTable(table)}\n`);
const correlations = [['estimator', 'policies', 'Spearman rho vs reward per step', 'p', 'vs return', 'p']];
for (const name of ESTIMATORS) {
  // A model-based estimate of a policy that draws its pages is not computed (yet): that policy is left out.
  const estimated = rows.filter((row) => Number.isFinite(row.estimates[name]));
  const estimates = estimated.map((row) => row.estimates[name]);
  const perStep = spearman(
    estimates,
    estimated.map((row) => row.perStep),
  );
  const total = spearman(
    estimates,
    estimated.map((row) => row.return),
  );
  correlations.push([
    name,
    String(estimated.length),
    perStep.rho.toFixed(2),
    pValue(perStep.p),
    total.rho.toFixed(2),
    pValue(total.p),
  ]);
}
console.log(textTable(correlations));

function pValue(p: number): string {
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}
