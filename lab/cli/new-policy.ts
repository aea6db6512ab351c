// `slatelab new-policy NAME [--dir DIR] [--world WORLD]`: writes a commented starting file for a
// policy of one's own (DIR/NAME.ts: the Policy contract, the world's observation layout, an
// example that re-ranks the candidates by a hand-made value model with a diversity rule) and a
// small test for it that runs with `node --test` (DIR/NAME.test.ts). A config names the file by
// path (`kind: ./policies/NAME.ts`, lab/config/user-kinds.ts).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { WorldSpec } from '../../sim/env.ts';
import { defaultParams } from '../../sim/params.ts';
import type { Command } from './command.ts';
import { UsageError } from './errors.ts';
import { singleString } from './options.ts';

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export const newPolicyCommand: Command = {
  usage: 'new-policy <name>',
  describe:
    'write a commented starting file for your own policy (NAME.ts) and a small test for it ' +
    '(NAME.test.ts, run with node --import tsx --test); name it in a config by path',
  missing: 'new-policy: name the policy, e.g. slatelab new-policy diverse-match',
  options: (y) =>
    y
      .positional('name', { type: 'string', demandOption: true, describe: 'the policy: lowercase words joined by -' })
      .option('dir', { type: 'string', default: 'policies', describe: 'folder to write the two files into' })
      .option('world', {
        type: 'string',
        default: 'feed',
        describe: 'the world whose observations the file documents',
      }),
  run: (args, { io, registries }) => {
    const name = String(args.name);
    if (!NAME.test(name))
      throw new UsageError(
        `new-policy: "${name}" is not a policy name; use lowercase words joined by -, e.g. diverse-match`,
      );
    const dir = singleString('--dir', args.dir, 'a folder', 'policies') ?? 'policies';
    const worldName = singleString('--world', args.world, 'a world', 'feed') ?? 'feed';
    const world = registries.worlds[worldName];
    if (!world)
      throw new UsageError(
        `new-policy: --world ${worldName} is not a world; use one of ${Object.keys(registries.worlds).join(', ')}`,
      );
    const spec = world.create(defaultParams(world.params), { seed: { experiment: 0, run: 0 }, batchSize: 1 }).spec;
    const policyFile = join(dir, `${name}.ts`);
    const testFile = join(dir, `${name}.test.ts`);
    for (const file of [policyFile, testFile])
      if (existsSync(file)) throw new UsageError(`new-policy: ${file} exists; choose another name or --dir`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(policyFile, policySource(name, worldName, spec));
    writeFileSync(testFile, testSource(name, worldName));
    const shown = relative(process.cwd(), policyFile) || policyFile;
    io.stdout(
      `wrote ${policyFile} and ${testFile}\n` +
        `name it in a config: agents: [{ name: ${name}, kind: ./${shown} }] (the path relative to the config)\n` +
        `test it: node --import tsx --test ${testFile} (in a project with slatelab and tsx installed)\n` +
        `try it: slatelab try ${shown}${worldName === 'feed' ? '' : ` --world ${worldName}`} (a simulated A/B test against the trained ranker, ` +
        'on the same users)\n',
    );
    return 0;
  },
};

/** The layout of the world's observation, as comment lines. */
function layoutComment(spec: WorldSpec): string {
  const layout = spec.observationLayout;
  const list = (names: readonly string[]) =>
    names.length <= 8 ? names.join(', ') : `${names.slice(0, 3).join(', ')}, ..., ${names.slice(-2).join(', ')}`;
  const lines = [
    `B rows (users) x N = ${spec.numCandidates} candidates; a page is K = ${spec.slateSize} of them.`,
    `userFeatures (B x ${layout.userFeatures.length}): ${list(layout.userFeatures)}: ${layout.userFeaturesDoc}.`,
    `itemFeatures (a table; a candidate's row is candidateItems[b * N + c]), ${layout.itemFeatures.length} columns: ${list(layout.itemFeatures)}.`,
    `The first ${spec.affinityDim} columns of both are the interest space: their dot product is the user-post match.`,
    `context (B x 3): ${layout.contextDoc}.`,
    'fields, by name (B x N for a candidate field, B for a row field):',
    ...layout.fields.map(
      (field) =>
        `  ${field.name} (${field.scope}${field.categories ? `; codes ${field.categories.join(', ')}` : ''}): ${field.doc}`,
    ),
    'active (B): 1 while the row holds a user, 0 once masked (write nothing there).',
  ];
  return lines.map((line) => `//   ${line}`).join('\n');
}

function policySource(name: string, worldName: string, spec: WorldSpec): string {
  return `// ${name}: a policy of your own for slatelab. Name it in an experiment config by path,
//   agents: [{ name: ${name}, kind: ./policies/${name}.ts, params: { likesWeight: 0.5 } }]
// and run the config with \`slatelab run\` like any other: it runs on worker threads, its
// parameters are validated, and the manifest records a hash of this file's code.
//
// The Policy contract (slatelab's PolicyContext, Policy):
//   - create(values, { spec }) runs once per world instance: values are the declared params, spec
//     the world's shape. A policy never sees the world itself, only observations.
//   - act(observation, rowRngs, slates, scores) writes, for every active row b, K distinct
//     candidate indices (0..N-1), best first, into slates[b * K .. b * K + K). rowRngs[b] is row
//     b's random stream: draw only from it, so that results are reproducible. Pages are checked.
//     A policy that ranks by scores may write them into scores[b * N + c] (when given): a NaN or
//     infinite score stops the run with a message, where pages ranked by it would be arbitrary.
//     An act call that takes longer than evaluation.actTimeLimitMs (5 s) stops the run too.
//
// The ${worldName} world's observation:
${layoutComment(spec)}
//
// The example below re-ranks the candidates by a small hand-made value model (the user-post
// match, plus the crowd's likes per view and a bonus for followed creators where the world has
// them), then keeps two posts of one creator apart. Change the model, or the rule, and compare
// it with the built-in ranker in a config.
import { definePolicy, type Observation, type Rng } from 'slatelab';

export default definePolicy({
  name: '${name}',
  summary: 'match + likes per view + followed creators, no creator twice in a row',
  params: {
    matchWeight: { type: 'number', default: 5, doc: 'weight of the user-post match' },
    likesWeight: { type: 'number', default: 0.2, doc: 'weight of the log likes-per-view ratio' },
    followWeight: { type: 'number', default: 0.5, doc: 'bonus of a followed creator' },
    diversity: { type: 'boolean', default: true, doc: 'never two posts of one creator in a row' },
  },
  create: (values, { spec }) => {
    const { numCandidates: n, slateSize: k, affinityDim: a, userFeatureDim: u, itemFeatureDim: d } = spec;
    const scores = new Float64Array(n);
    const order = Array.from({ length: n }, (_, c) => c);
    return {
      act(observation: Observation, _rowRngs: readonly Rng[], slates: Int32Array, given?: Float32Array) {
        const { likes, views, followsCreator, creator } = observation.fields;
        for (let b = 0; b < observation.active.length; b++) {
          if (observation.active[b] === 0) continue;
          for (let c = 0; c < n; c++) {
            const item = observation.candidateItems[b * n + c];
            let match = 0;
            for (let j = 0; j < a; j++) match += observation.userFeatures[b * u + j] * observation.itemFeatures[item * d + j];
            let score = values.matchWeight * match;
            if (likes && views) score += values.likesWeight * Math.log((1 + likes[b * n + c]) / (1 + views[b * n + c]));
            if (followsCreator) score += values.followWeight * followsCreator[b * n + c];
            scores[c] = score;
            if (given) given[b * n + c] = score;
          }
          order.sort((x, y) => scores[y] - scores[x] || x - y);
          // Best first; with diversity, skip a post whose creator is the previous slot's when another is left.
          const taken = new Set<number>();
          let previous = -1;
          for (let slot = 0; slot < k; slot++) {
            let pick = order.find((c) => !taken.has(c) && (!values.diversity || !creator || creator[b * n + c] !== previous));
            pick ??= order.find((c) => !taken.has(c)) as number;
            taken.add(pick);
            slates[b * k + slot] = pick;
            previous = creator ? creator[b * n + pick] : -1;
          }
        }
      },
    };
  },
});
`;
}

function testSource(name: string, worldName: string): string {
  return `// A small test of ${name}.ts: run it with node --import tsx --test ${name}.test.ts
// (node's own test runner; tsx loads the TypeScript).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPolicy, defaultParams, policies, runEpisodes, worlds } from 'slatelab';
import policy from './${name}.ts';

const world = worlds['${worldName}'];
const seed = { experiment: 0, run: 0 };

test('writes K distinct candidates for every user, and no creator twice in a row', () => {
  const env = world.create(defaultParams(world.params), { seed, batchSize: 8 });
  for (let row = 0; row < 8; row++) env.resetRow(row, row);
  const { numCandidates: n, slateSize: k } = env.spec;
  const slates = new Int32Array(8 * k);
  createPolicy(policy, defaultParams(policy.params), env).act(env.observation, [], slates);
  const creator = env.observation.fields.creator;
  for (let row = 0; row < 8; row++) {
    const page = Array.from(slates.subarray(row * k, (row + 1) * k));
    assert.equal(new Set(page).size, k);
    for (const c of page) assert.ok(c >= 0 && c < n);
    if (creator) for (let s = 1; s < k; s++) assert.notEqual(creator[row * n + page[s]], creator[row * n + page[s - 1]]);
  }
});

test('earns more than random over 20 users (the same users for both)', () => {
  const returnOf = (definition: Parameters<typeof createPolicy>[0]) => {
    const env = world.create(defaultParams(world.params), { seed, batchSize: 8 });
    const records = runEpisodes(env, createPolicy(definition, defaultParams(definition.params), env), {
      episodes: 20,
      seed,
      streamKey: '${name}-test',
    });
    return records.reduce((total, record) => total + record.return, 0) / records.length;
  };
  const mine = returnOf(policy);
  const random = returnOf(policies.random);
  assert.ok(mine > random, \`\${mine} against random's \${random}\`);
});
`;
}
