// Saved agents (lab/config/init.ts): every learning run leaves its agent next to its records, and a
// later config that starts from it (`init:`) evaluates it again without training: byte-identical
// records, per seed, under its own name or another; with a training block it trains on from there.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText, validateConfig, type ExperimentConfig } from '../../../lab/config/config.ts';
import { defaultRegistries, type Registries } from '../../../lab/config/registries.ts';
import { runExperiment } from '../../../lab/run/runner.ts';
import { writeManifest } from '../../../lab/store/manifest.ts';
import { buildSummary, type Summary } from '../../../lab/store/summary.ts';
import { reportIntro } from '../../../lab/report/tables.ts';

const world = { preset: 'bandit', params: { catalog: 30, dim: 3, candidates: 8, slateSize: 2, horizon: 20 } };
const training = { steps: 1200, batchSize: 16, evalEvery: 600, evalEpisodes: 12 };
const learners = [
  { name: 'lin', kind: 'linucb' },
  { name: 'pctr', kind: 'pctr', params: { retrainEvery: 300 } },
  { name: 'ranker', kind: 'ranker', params: { retrainEvery: 300, hidden: 8 } },
  { name: 'cluster', kind: 'cluster', params: { reclusterEvery: 300, clusters: 3 } },
];

/** The default registries, but not the same object: the runner then runs in this process, no worker to start. */
const inProcess: Registries = { ...defaultRegistries };

/** Runs `raw` on `threads` worker threads, or in this process. */
async function run(raw: object, threads?: number): Promise<{ dir: string; read: (file: string) => string }> {
  const dir = mkdtempSync(join(tmpdir(), 'slatelab-saved-'));
  await runExperiment({
    config: validateConfig(raw, 'test.yaml'),
    outDir: dir,
    ...(threads ? { threads } : { registries: inProcess }),
    charts: false,
  });
  return { dir, read: (file: string) => readFileSync(join(dir, file), 'utf8') };
}

/** The messages of validating `raw`, or [] if it is valid. */
function problems(raw: object): string[] {
  try {
    validateConfig(raw, 'test.yaml');
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
}

/** The manifest `slatelab run` writes for `config` once every run saved its agent (networks on wasm). */
function writeStandIn(dir: string, config: ExperimentConfig): void {
  const runs = config.agents.flatMap(({ name }) =>
    config.seeds.map((seed) => {
      const file = join('runs', name, `seed-${seed}.jsonl`);
      const agentFile = join('runs', name, `seed-${seed}.agent.json`);
      return { agent: name, seed, file, agentFile, episodes: 1, truncatedEpisodes: 0 };
    }),
  );
  writeManifest(dir, {
    ...{ name: config.name, configFile: null, config, seeds: config.seeds },
    ...{ slatelab: '0.1.0', node: process.version, dependencies: {}, gitCommit: null, gitDirty: null, code: 'sources' },
    ...{ networks: { backend: 'wasm', tfjs: '4.22.0' }, complete: true, runs, failures: [], interrupted: [] },
  });
}

let trained: Awaited<ReturnType<typeof run>>;
beforeAll(async () => {
  // On worker threads: the agents saved there are loaded in this process by the runs below.
  trained = await run(
    {
      name: 'trained',
      world,
      seeds: [0, 1],
      agents: [{ name: 'random', kind: 'random' }, ...learners],
      training,
      evaluation: { episodes: 24 },
    },
    2,
  );
}, 300_000);

describe('saving agents with the run', () => {
  it("writes each learning run's agent next to its records, listed in the manifest; fixed policies save none", () => {
    const manifest = JSON.parse(trained.read('manifest.json')) as {
      runs: { agent: string; seed: number; agentFile?: string }[];
    };
    for (const { name, kind } of learners) {
      for (const seed of [0, 1]) {
        const run = manifest.runs.find((r) => r.agent === name && r.seed === seed)!;
        expect(run.agentFile).toBe(join('runs', name, `seed-${seed}.agent.json`));
        const saved = JSON.parse(trained.read(run.agentFile!)) as {
          format: string;
          kind: string;
          seed: number;
          trainedSteps: number;
          networks: unknown;
          state: object;
        };
        expect(saved).toMatchObject({ format: 'slatelab-agent/1', kind, seed });
        expect(saved.trainedSteps).toBeGreaterThanOrEqual(training.steps);
        expect(saved.networks === null).toBe(kind !== 'ranker');
      }
    }
    expect(manifest.runs.find((r) => r.agent === 'random')!.agentFile).toBeUndefined();
    expect(existsSync(join(trained.dir, 'runs', 'random', 'seed-0.agent.json'))).toBe(false);
  });
});

describe('starting from a saved agent (init:)', () => {
  it('evaluates the saved agents again without training: the same records byte for byte, under their names or another', async () => {
    const again = await run({
      name: 'again',
      world,
      seeds: [0, 1],
      agents: [
        { name: 'random', kind: 'random' },
        ...learners.map(({ name }) => ({ name, init: trained.dir })),
        { name: 'champion', init: { from: trained.dir, agent: 'ranker' } },
      ],
      evaluation: { episodes: 24 },
    });
    for (const seed of [0, 1]) {
      for (const { name } of learners)
        expect(again.read(`runs/${name}/seed-${seed}.jsonl`), `${name} seed ${seed}`).toBe(
          trained.read(`runs/${name}/seed-${seed}.jsonl`),
        );
      expect(again.read(`runs/champion/seed-${seed}.jsonl`)).toBe(trained.read(`runs/ranker/seed-${seed}.jsonl`));
      // Saved again as it was loaded.
      const state = (text: string) => JSON.stringify((JSON.parse(text) as { state: unknown }).state);
      expect(state(again.read(`runs/champion/seed-${seed}.agent.json`))).toBe(
        state(trained.read(`runs/ranker/seed-${seed}.agent.json`)),
      );
    }
    const summary = JSON.parse(again.read('summary.json')) as Summary;
    expect(summary.loaded?.champion).toEqual({ from: trained.dir, agent: 'ranker', sameWorld: true, backend: 'wasm' });
    expect(again.read('report.md')).toContain(
      `Agent champion loaded from, not trained here: agent ranker of ${trained.dir}`,
    );
    // A learning run of 0 steps has no curve.
    expect(existsSync(join(again.dir, 'runs', 'champion', 'seed-0.curve.jsonl'))).toBe(false);
  }, 300_000);

  it("trains on from the saved state when the config trains: its first checkpoint is the saved agent's last", async () => {
    const more = await run({
      name: 'more',
      world,
      seeds: [0],
      agents: [
        { name: 'random', kind: 'random' },
        { name: 'pctr', init: trained.dir },
      ],
      training,
      evaluation: { episodes: 24 },
    });
    const checkpoints = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { kind: string; metrics: Record<string, number> })
        .filter((line) => line.kind === 'checkpoint');
    const before = checkpoints(trained.read('runs/pctr/seed-0.curve.jsonl'));
    const after = checkpoints(more.read('runs/pctr/seed-0.curve.jsonl'));
    expect(after[0].metrics).toEqual(before[before.length - 1].metrics);
    expect(more.read('report.md')).toContain('Agent pctr started from agent pctr of');
  }, 300_000);

  it('a run whose saved state does not fit the agent fails with the reason, and the others finish', async () => {
    const bad = await run({
      name: 'bad',
      world,
      seeds: [0],
      agents: [
        { name: 'random', kind: 'random' },
        { name: 'ranker', init: trained.dir, params: { hidden: 16 } },
      ],
      evaluation: { episodes: 24 },
    });
    const manifest = JSON.parse(bad.read('manifest.json')) as {
      failures: { agent: string; error: string }[];
      runs: { agent: string }[];
    };
    expect(manifest.runs.map((r) => r.agent)).toEqual(['random']);
    expect(manifest.failures).toHaveLength(1);
    expect(manifest.failures[0].error).toMatch(
      /^agent ranker: init .* \(agent ranker, seed 0\): the saved ranker has layer sizes \(inputs, hidden\.\.\., heads\) \[\d+,8,4,1\] where this one has \[\d+,16,8,1\]: it was trained in a world of another shape or with other hyper-parameters$/,
    );
  }, 300_000);

  it('refuses an init it cannot use, one line each naming the field and the fix', () => {
    const config = (agent: object, extra: object = {}) => ({
      world,
      seeds: [0, 1],
      agents: [{ name: 'base', kind: 'random' }, agent],
      evaluation: { episodes: 4 },
      ...extra,
    });
    expect(problems(config({ name: 'x', init: join(trained.dir, 'nowhere') }))).toEqual([
      expect.stringMatching(
        /^test\.yaml: agents\[1\]\.init: no directory ".*nowhere" \(relative to the working directory\); give the directory of an earlier run/,
      ),
    ]);
    expect(problems(config({ name: 'x', init: tmpdir() }))[0]).toMatch(
      /agents\[1\]\.init: ".*": not an experiment's results \(no manifest\.json\); give the directory of an earlier/,
    );
    expect(problems(config({ name: 'nobody', init: trained.dir }))[0]).toMatch(
      /agents\[1\]\.init: the experiment in ".*" has no agent "nobody"; its agents: random, lin, pctr, ranker, cluster/,
    );
    expect(problems(config({ name: 'random', init: trained.dir }))[0]).toMatch(
      /agents\[1\]\.init: agent "random" in ".*" saved no state \("random" is a fixed policy: it learns nothing\)/,
    );
    expect(problems(config({ name: 'lin', init: trained.dir }, { seeds: [0, 1, 2] }))[0]).toMatch(
      /agents\[1\]\.init: agent "lin" in ".*" was saved for seeds 0, 1, not 2; run those seeds \(seeds: \[0, 1\]\)/,
    );
    expect(problems(config({ name: 'lin', kind: 'lin-ts', init: trained.dir }))[0]).toMatch(
      /agents\[1\]\.kind: "lin-ts" differs from the saved agent's kind "linucb"/,
    );
    expect(
      problems(config({ name: 'lin', init: trained.dir }, { world: { preset: 'recsim-interest-evolution' } }))[0],
    ).toMatch(/was trained in world "bandit", not "recsim-interest-evolution"; set world.preset: bandit/);
    expect(problems(config({ name: 'lin', init: { from: trained.dir, agnet: 'x' } }))[0]).toMatch(
      /agents\[1\]\.init\.agnet: unknown field; known: from, agent/,
    );
    expect(problems(config({ name: 'lin' }))[0]).toMatch(/agents\[1\]\.kind: missing; add it/);
    // A loaded agent needs no training block; one that starts untrained does.
    expect(problems(config({ name: 'lin', init: trained.dir }))).toEqual([]);
    expect(problems(config({ name: 'lin', kind: 'linucb' }))[0]).toMatch(/learns: add a training block/);
  });

  it('says in the report when the saved networks were trained on another backend', () => {
    const intro = (backend: string) => {
      const config = validateConfig(
        { world, seeds: [0], backend, agents: [{ name: 'ranker', init: trained.dir }], evaluation: { episodes: 4 } },
        'test.yaml',
      );
      return reportIntro(buildSummary(config, ['return'], new Map([['ranker', new Map()]]), [])).join('\n');
    };
    expect(intro('cpu')).toContain('its networks were trained on backend wasm, this run uses cpu');
    expect(intro('wasm')).not.toContain('backend');
  });

  it('the shipped A/B config (experiments/feed-ranker-ab.yaml) is valid against a trained feed-ranker directory, and says what to run when there is none', () => {
    const text = readFileSync(new URL('../../../experiments/feed-ranker-ab.yaml', import.meta.url), 'utf8');
    const missing = join(tmpdir(), 'slatelab-no-such-run');
    expect(
      problems(parseConfigText(text.replaceAll('results/feed-ranker-trained', missing), 'ab.yaml') as object),
    ).toEqual(
      [1, 2, 3].map((i) =>
        expect.stringMatching(new RegExp(`^test\\.yaml: agents\\[${i}\\]\\.init(\\.from)?: no directory`)),
      ),
    );
    // A stand-in for `slatelab run experiments/feed-ranker.yaml --out ...`: its manifest is what init reads.
    const dir = mkdtempSync(join(tmpdir(), 'slatelab-feed-ranker-'));
    const feed = validateConfig(
      { seeds: 5, agents: [{ name: 'ranker', kind: 'ranker' }], training: { steps: 10 } },
      'feed-ranker.yaml',
    );
    writeStandIn(dir, feed);
    const config = validateConfig(
      parseConfigText(text.replaceAll('results/feed-ranker-trained', dir), 'ab.yaml'),
      'ab.yaml',
    );
    expect(config.agents.map((agent) => [agent.name, agent.kind, agent.init?.agent ?? null])).toEqual([
      ['greedy-pctr', 'greedy-pctr', null],
      ['ranker', 'ranker', 'ranker'],
      ['ranker-shares', 'ranker', 'ranker'],
      ['ranker-no-diversity', 'ranker', 'ranker'],
    ]);
    expect(config.agents[2].params.value).toMatchObject({ share: 10, follow: 15, watchMinutes: 1 });
    expect(config.agents[1].init?.sameWorld).toBe(true);
  });

  it('counts a world parameter added since the agent was saved as its default, and the order of keys as no difference', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slatelab-recsim-saved-'));
    const recsim = validateConfig(
      {
        world: { preset: 'recsim-interest-evolution' },
        seeds: 1,
        agents: [{ name: 'q', kind: 'slateq' }],
        training: { steps: 10 },
      },
      'saved.yaml',
    );
    const save = (params: Record<string, unknown>) =>
      writeStandIn(dir, { ...recsim, world: { preset: 'recsim-interest-evolution', params } });
    const sameWorld = (worldParams: Record<string, unknown> = {}) =>
      validateConfig(
        {
          world: { preset: 'recsim-interest-evolution', params: worldParams },
          seeds: [0],
          agents: [{ name: 'q', init: dir }],
          evaluation: { episodes: 4 },
        },
        'load.yaml',
      ).agents[0].init?.sameWorld;
    // Saved before observeQuality existed, keys in another order.
    const { observeQuality: _added, ...older } = recsim.world.params;
    save(Object.fromEntries(Object.entries(older).reverse()));
    expect(sameWorld()).toBe(true);
    expect(sameWorld({ observeQuality: true })).toBe(false);
    save({ ...older, candidates: 20 });
    expect(sameWorld()).toBe(false);
  });

  it('takes the saved parameters, with those given on top', () => {
    const config = validateConfig(
      {
        world,
        seeds: [0],
        agents: [{ name: 'ranker', init: trained.dir, params: { epsilon: 0.3, value: { like: 2 } } }],
        evaluation: { episodes: 4 },
      },
      'test.yaml',
    );
    const params = config.agents[0].params as {
      hidden: number;
      retrainEvery: number;
      epsilon: number;
      value: Record<string, number>;
    };
    expect(params).toMatchObject({ hidden: 8, retrainEvery: 300, epsilon: 0.3 });
    expect(params.value).toMatchObject({ like: 2, watchMinutes: 1, seeLess: -5 });
    const unchanged = validateConfig(
      { world, seeds: [0], agents: [{ name: 'ranker', init: trained.dir }], evaluation: { episodes: 4 } },
      'test.yaml',
    );
    const original = validateConfig(
      { world, seeds: [0], agents: [learners[2]], training, evaluation: { episodes: 12 } },
      'test.yaml',
    );
    // The same parameters give the same random streams, so evaluation repeats exactly.
    expect(unchanged.agents[0].streamKey).toBe(original.agents[0].streamKey);
    expect(unchanged.agents[0].init?.sameWorld).toBe(true);
    // Absolute, so that `slatelab resume` finds them from any working directory.
    expect(unchanged.agents[0].init?.files['0']).toBe(join(trained.dir, 'runs', 'ranker', 'seed-0.agent.json'));
    const otherWorld = validateConfig(
      { world, seed: 7, seeds: [0], agents: [{ name: 'ranker', init: trained.dir }], evaluation: { episodes: 4 } },
      'test.yaml',
    );
    expect(otherWorld.agents[0].init?.sameWorld).toBe(false);
  });
});
