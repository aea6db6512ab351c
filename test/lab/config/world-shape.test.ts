// What validation learns of a config's world (lab/config/world-shape.ts) is learnt once and passed
// along: the runner, the records and the reports take it; only a config read back from a manifest
// (resume, report) learns it again, once. Building even a one-row world makes its whole catalogue.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateExperiment } from '../../../lab/config/config.ts';
import type { Registries } from '../../../lab/config/registries.ts';
import { worldShape } from '../../../lab/config/world-shape.ts';
import { CORE_METRICS } from '../../../lab/config/episodes.ts';
import { estimateMemory } from '../../../lab/run/plan.ts';
import { rebuildReports } from '../../../lab/report/rebuild.ts';
import { resumeExperiment } from '../../../lab/run/resume.ts';
import { runExperiment } from '../../../lab/run/runner.ts';
import { policies } from '../../../policies/index.ts';
import { bandit } from '../../../sim/presets/bandit.ts';
import { feed } from '../../../sim/feed/env.ts';
import { defaultParams } from '../../../sim/params.ts';
import type { WorldDefinition } from '../../../sim/world.ts';

/** Batch sizes of the worlds built, in order. */
const built: number[] = [];
/** The bandit world, counting the worlds it builds. */
const counted: WorldDefinition<any> = {
  ...bandit,
  create: (values, options) => {
    built.push(options.batchSize);
    return bandit.create(values, options);
  },
};
// Injected registries: the runs go in-process.
const registries: Registries = { worlds: { bandit: counted }, policies };
const raw = {
  name: 'shape-test',
  world: { preset: 'bandit', params: { catalog: 30, dim: 3, candidates: 8, slateSize: 2, horizon: 20 } },
  seeds: [0, 1],
  agents: [
    { name: 'random', kind: 'random' },
    { name: 'oracle', kind: 'oracle-myopic' },
  ],
  // Runs step 4 rows at a time: a one-row world is a probe.
  evaluation: { episodes: 8, batchSize: 4 },
};

/** The batch sizes of the worlds `action` builds. */
async function worldsBuiltBy(action: () => unknown): Promise<number[]> {
  built.length = 0;
  await action();
  return [...built];
}

describe("the world's shape, from config to report", () => {
  it('validation builds one one-row world; the run, its records and reports build none to ask again', async () => {
    let experiment: ReturnType<typeof validateExperiment> | undefined;
    expect(await worldsBuiltBy(() => (experiment = validateExperiment(raw, 'shape.yaml', registries)))).toEqual([1]);
    const { config, shape } = experiment!;
    const outDir = mkdtempSync(join(tmpdir(), 'slatelab-shape-'));
    // One evaluation world per run (2 agents x 2 seeds), at the run's rows.
    const run = () => runExperiment({ config, shape, outDir, registries, charts: false });
    expect(await worldsBuiltBy(run)).toEqual([4, 4, 4, 4]);
    // A config read back from the manifest: learnt once, and nothing to run.
    expect(await worldsBuiltBy(() => rebuildReports(outDir, { registries, charts: false }))).toEqual([1]);
    expect(await worldsBuiltBy(() => resumeExperiment(outDir, { registries, charts: false }))).toEqual([1]);
  });

  it('a library caller that passes no shape: the runner learns it once', async () => {
    const { config } = validateExperiment(raw, 'shape.yaml', registries);
    const outDir = mkdtempSync(join(tmpdir(), 'slatelab-shape-'));
    const run = () => runExperiment({ config, outDir, registries, charts: false });
    expect(await worldsBuiltBy(run)).toEqual([1, 4, 4, 4, 4]);
  });

  it("the memory plan builds worlds only to measure them (1 and 9 rows): the one-row one's spec is read", async () => {
    const { config } = validateExperiment(raw, 'shape.yaml', registries);
    expect(await worldsBuiltBy(() => estimateMemory(config, registries))).toEqual([1, 9]);
  });

  it("is the world's own: metrics and what they mean, signals, clock, observation layout; and the oracles", () => {
    const { config, shape } = validateExperiment(
      {
        world: { params: { posts: 500, creators: 50 } },
        seeds: [3],
        agents: [
          { name: 'random', kind: 'random' },
          { name: 'quality', kind: 'oracle-quality' },
        ],
      },
      'feed.yaml',
    );
    const params = { ...defaultParams(feed.params), posts: 500, creators: 50 };
    const spec = feed.create(params, { seed: { experiment: 0, run: 3 }, batchSize: 1 }).spec;
    const { choiceModel: _code, ...facts } = spec;
    expect(shape.spec).toMatchObject(facts);
    expect(shape.metrics).toEqual([...CORE_METRICS, ...spec.episodeMetricNames]);
    expect(shape.evaluationOnly).toEqual(['quality']);
    // Learnt again from the config alone (a manifest's), it is the same.
    const again = worldShape(config, { worlds: { feed }, policies });
    expect(again.spec).toMatchObject(facts);
    expect({ ...again, spec: null }).toEqual({ ...shape, spec: null });
  });
});
