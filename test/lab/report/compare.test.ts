import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompareError, compareExperiments, comparisonText, type Comparison } from '../../../lab/report/compare.ts';
import { welchDifference } from '../../../eval/stats.ts';
import { validateConfig } from '../../../lab/config/config.ts';
import type { Registries } from '../../../lab/config/registries.ts';
import type { Summary } from '../../../lab/store/summary.ts';
import { runExperiment } from '../../../lab/run/runner.ts';
import { policies } from '../../../policies/index.ts';
import { bandit } from '../../../sim/presets/bandit.ts';

// Injected registries: the runs go in-process, one after another (a few hundred ms in all).
const registries: Registries = { worlds: { bandit }, policies };

const base = {
  name: 'compare-a',
  world: { preset: 'bandit', params: { catalog: 30, dim: 3, candidates: 8, slateSize: 2, horizon: 20 } },
  seeds: [0, 1, 2],
  agents: [
    { name: 'random', kind: 'random' },
    { name: 'greedy', kind: 'greedy-pctr' },
  ],
  evaluation: { episodes: 20 },
};

async function experiment(raw: object): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'slatelab-compare-'));
  await runExperiment({ config: validateConfig(raw, 'a.yaml', registries), outDir, registries, charts: false });
  return outDir;
}

const readSummary = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;

/** A copy of an experiment's directory with its manifest edited. */
function withManifest(dir: string, edit: (manifest: Record<string, any>) => void): string {
  const copy = mkdtempSync(join(tmpdir(), 'slatelab-compare-copy-'));
  cpSync(dir, copy, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(copy, 'manifest.json'), 'utf8')) as Record<string, any>;
  edit(manifest);
  writeFileSync(join(copy, 'manifest.json'), JSON.stringify(manifest));
  return copy;
}

const dirA = await experiment(base);
const dirSame = await experiment({ ...base, name: 'compare-same' });
const dirWorld = await experiment({
  ...base,
  world: { ...base.world, params: { ...base.world.params, catalog: 50 } },
  evaluation: { episodes: 40 },
});
const dirSeeds = await experiment({ ...base, seeds: [0, 1, 2, 3] });
// random becomes the myopic oracle (same name, other kind); greedy is left out and an oracle added.
const dirKinds = await experiment({
  ...base,
  agents: [
    { name: 'random', kind: 'oracle-myopic' },
    { name: 'oracle', kind: 'oracle-myopic' },
  ],
});

/** The table row of an agent under a metric's heading. */
function rowOf(text: string, metric: string, agent: string): string {
  const lines = text.split('\n');
  const heading = lines.findIndex((line) => line.trim() === metric);
  return lines.slice(heading + 1).find((line) => line.trimStart().startsWith(agent))!;
}

const differenceOf = (c: Comparison, agent: string, metric: string) =>
  c.agents.find((a) => a.agent === agent)!.metrics[metric].difference;

describe('compare: identical experiments', () => {
  const c = compareExperiments(dirA, dirSame);
  const text = comparisonText(c);

  it('finds no difference and says so', () => {
    expect(c.differences).toEqual([]);
    expect(text).toContain('No differences: same config, seeds and versions.');
  });

  it('pairs by seed, and every difference is exactly 0 (the same users met the same policies)', () => {
    expect(c.method).toBe('paired');
    expect(text).toContain('paired by seed');
    expect(c.metrics).toEqual(readSummary(dirA).metrics);
    for (const agent of c.agents) {
      for (const metric of c.metrics) {
        expect(agent.metrics[metric].difference.mean).toBe(0);
        expect(agent.metrics[metric].difference.ci95).toEqual([0, 0]);
        expect(agent.metrics[metric].difference.clear).toBe(false);
      }
    }
    expect(text).not.toMatch(/ \*$/m);
  });
});

describe('compare: another world and episode count', () => {
  const c = compareExperiments(dirA, dirWorld);
  const text = comparisonText(c);

  it('lists the world parameter and the episodes with both values', () => {
    expect(c.differences).toEqual([
      { kind: 'config', what: 'world.params.catalog', a: 30, b: 50 },
      { kind: 'config', what: 'evaluation.episodes', a: 20, b: 40 },
    ]);
    expect(text).toMatch(/^world\.params\.catalog +30 +50$/m);
    expect(text).toMatch(/^evaluation\.episodes +20 +40$/m);
    expect(text).not.toContain('No differences');
  });

  it('cuts a long value to 40 characters in the table (the manifests hold it whole)', () => {
    // A parameter that is an object on one side (the feed's catalog) and a number on the other.
    const catalog = { posts: 30000, creators: 1500, topics: 20, clickbaitShare: 0.2, qualitySpread: 1 };
    const long = withManifest(dirWorld, (m) => (m.config.world.params.catalog = catalog));
    const compared = compareExperiments(dirA, long);
    expect(compared.differences[0]).toEqual({ kind: 'config', what: 'world.params.catalog', a: 30, b: catalog });
    const row = comparisonText(compared)
      .split('\n')
      .find((line) => line.startsWith('world.params.catalog'))!;
    expect(row).toMatch(/ 30 +\{"posts":30000,"creators":1500,"topics"…$/);
    // Two long values alike in their first 40 characters (say, paths of saved agents): the cut
    // shows where they differ.
    const path = (run: string) => `results/a-long-experiment-name/20261130-120000/runs/${run}`;
    const one = withManifest(dirA, (m) => (m.config.world.params.catalog = path('lin')));
    const two = withManifest(dirA, (m) => (m.config.world.params.catalog = path('eps')));
    const pair = comparisonText(compareExperiments(one, two))
      .split('\n')
      .find((line) => line.startsWith('world.params.catalog'))!;
    expect(pair).toMatch(/ …[^ ]*\/runs\/lin +…[^ ]*\/runs\/eps$/);
  });

  it('uses unpaired (Welch) intervals and says why', () => {
    expect(c.method).toBe('welch');
    expect(c.unpairedBecause).toEqual(['world.params differ', 'evaluation.episodes differ']);
    expect(text).toContain('B − A unpaired, Welch t interval (world.params differ, evaluation.episodes differ: ');
  });

  it("gives Welch's interval of the per-seed means (checked by hand)", () => {
    const a = readSummary(dirA).agents.random.return.values;
    const b = readSummary(dirWorld).agents.random.return.values;
    const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = (xs: readonly number[]) => xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1);
    const va = variance(a) / 3;
    const vb = variance(b) / 3;
    const d = differenceOf(c, 'random', 'return');
    expect(d.mean).toBeCloseTo(mean(b) - mean(a), 12);
    expect(d.df).toBeCloseTo((va + vb) ** 2 / (va ** 2 / 2 + vb ** 2 / 2), 12);
    expect(d.df!).toBeGreaterThanOrEqual(2);
    expect(d.df!).toBeLessThanOrEqual(4);
    // The half-width over the standard error is the t quantile at df between 2 and 4: 2.776 to 4.303.
    const ratio = (d.ci95![1] - d.ci95![0]) / 2 / Math.sqrt(va + vb);
    expect(ratio).toBeGreaterThanOrEqual(2.7764);
    expect(ratio).toBeLessThanOrEqual(4.3027);
  });
});

describe('compare: other run seeds', () => {
  const c = compareExperiments(dirA, dirSeeds);

  it('lists the seeds and does not pair', () => {
    expect(c.differences).toEqual([{ kind: 'config', what: 'seeds', a: [0, 1, 2], b: [0, 1, 2, 3] }]);
    expect(comparisonText(c)).toMatch(/^seeds +0\.\.2 +0\.\.3$/m);
    expect(c.method).toBe('welch');
    expect(c.unpairedBecause).toEqual(['the run seeds differ']);
  });
});

describe('compare: the same world and seeds, other agents', () => {
  const c = compareExperiments(dirA, dirKinds);
  const text = comparisonText(c);

  it('pairs by seed: the difference is the mean of the per-seed differences, with their t interval (checked by hand)', () => {
    expect(c.method).toBe('paired');
    const a = readSummary(dirA).agents.random.return;
    const b = readSummary(dirKinds).agents.random.return;
    expect(a.seeds).toEqual([0, 1, 2]);
    expect(b.seeds).toEqual([0, 1, 2]);
    const perSeed = b.values.map((value, i) => value - a.values[i]);
    const mean = perSeed.reduce((s, x) => s + x, 0) / 3;
    const sd = Math.sqrt(perSeed.reduce((s, x) => s + (x - mean) ** 2, 0) / 2);
    const halfWidth = 4.302652729911275 * (sd / Math.sqrt(3)); // t(0.975, 2), from a t table
    const d = differenceOf(c, 'random', 'return');
    expect(d.values).toEqual(perSeed);
    expect(d.seeds).toEqual([0, 1, 2]);
    expect(d.mean).toBeCloseTo(mean, 12);
    // To 1e-8: the library's t quantile and the table's agree to about 1e-10.
    expect(d.ci95![0]).toBeCloseTo(mean - halfWidth, 8);
    expect(d.ci95![1]).toBeCloseTo(mean + halfWidth, 8);
    // Not Welch's interval of the two means: it would be another (here wider) one.
    const welch = welchDifference(a.values, b.values);
    expect(Math.abs(welch.ci95![1] - welch.ci95![0] - 2 * halfWidth)).toBeGreaterThan(1e-6);
  });

  it('marks with * a difference whose interval excludes 0, and only those', () => {
    // The oracle beats random on every seed by about 10 (return about 21 against 11 over 20 users).
    const d = differenceOf(c, 'random', 'return');
    expect(d.clear).toBe(true);
    expect(d.ci95![0]).toBeGreaterThan(0);
    expect(rowOf(text, 'return', 'random')).toMatch(/ \*$/);
    // The optimum does not depend on the policy: exactly 0, no mark.
    expect(differenceOf(c, 'random', 'optimalReturn').mean).toBe(0);
    expect(rowOf(text, 'optimalReturn', 'random')).not.toMatch(/\*/);
  });

  it("lists the agent's other kind, and the agents only in one side", () => {
    expect(c.differences).toEqual([
      { kind: 'config', what: 'agents.random.kind', a: 'random', b: 'oracle-myopic' },
      { kind: 'config', what: 'agents.greedy', a: 'greedy-pctr', b: undefined },
      { kind: 'config', what: 'agents.oracle', a: undefined, b: 'oracle-myopic' },
    ]);
    expect(c.agents.map((agent) => agent.agent)).toEqual(['random']);
    expect(c.agentsOnlyIn).toEqual({ a: ['greedy'], b: ['oracle'] });
    expect(text).toContain('Not compared: agents only in A: greedy; agents only in B: oracle.');
    // random is an oracle in B: marked evaluation-only.
    expect(rowOf(text, 'return', 'random')).toMatch(/^ {2}random †/);
  });
});

describe('compare: experiment seed, training block and agent parameters', () => {
  // Only the manifests' configs are edited: compare reads what differs from them.
  const b = withManifest(dirA, (m) => {
    m.config.seed = 7;
    m.config.training = { steps: 1000, episodes: null, batchSize: 16, evalEvery: 500, evalEpisodes: 10 };
    m.config.agents[1].params = { exploration: 0.1 };
  });
  const c = compareExperiments(dirA, b);

  it('lists each with both values, and does not pair across experiment seeds', () => {
    expect(c.differences).toEqual([
      { kind: 'config', what: 'seed', a: 0, b: 7 },
      { kind: 'config', what: 'training.steps', a: undefined, b: 1000 },
      { kind: 'config', what: 'training.batchSize', a: undefined, b: 16 },
      { kind: 'config', what: 'training.evalEvery', a: undefined, b: 500 },
      { kind: 'config', what: 'training.evalEpisodes', a: undefined, b: 10 },
      { kind: 'config', what: 'agents.greedy.params.exploration', a: undefined, b: 0.1 },
    ]);
    expect(comparisonText(c)).toMatch(/^agents\.greedy\.params\.exploration +— +0\.1$/m);
    expect(c.unpairedBecause).toEqual(['the experiment seeds differ']);
  });
});

describe('compare: versions and network backends', () => {
  const a = withManifest(dirA, (m) => {
    m.networks = { backend: 'wasm', tfjs: '4.22.0' };
    m.gitCommit = '1111111111111111111111111111111111111111';
    m.gitDirty = false;
  });
  const b = withManifest(dirA, (m) => {
    m.networks = { backend: 'cpu', tfjs: '4.21.0' };
    m.dependencies.yaml = '2.8.0';
    m.node = 'v22.1.0';
    m.gitCommit = '2222222222222222222222222222222222222222';
    m.gitDirty = true;
  });
  const c = compareExperiments(a, b);
  const text = comparisonText(c);

  it('lists each version that differs and the backend, and says results differ across backends', () => {
    const versionA = JSON.parse(readFileSync(join(dirA, 'manifest.json'), 'utf8')) as {
      node: string;
      dependencies: Record<string, string>;
    };
    expect(c.differences).toEqual([
      { kind: 'versions', what: 'node', a: versionA.node, b: 'v22.1.0' },
      { kind: 'versions', what: 'dependencies.yaml', a: versionA.dependencies.yaml, b: '2.8.0' },
      {
        kind: 'versions',
        what: 'gitCommit',
        a: '1111111111111111111111111111111111111111',
        b: '2222222222222222222222222222222222222222',
      },
      { kind: 'versions', what: 'gitDirty', a: false, b: true },
      { kind: 'networks', what: 'networks.backend', a: 'wasm', b: 'cpu' },
      { kind: 'networks', what: 'networks.tfjs', a: '4.22.0', b: '4.21.0' },
    ]);
    expect(text).toMatch(/^networks\.backend +wasm +cpu$/m);
    expect(text).toMatch(/^dependencies\.yaml +\S+ +2\.8\.0$/m);
    expect(text).toMatch(/^gitCommit +111111111111 +222222222222$/m);
    expect(text).toContain('Results differ across backends');
  });

  it('still pairs (the config is the same), noting that the world code may have changed', () => {
    expect(c.method).toBe('paired');
    expect(text).toContain("Paired on the assumption that the world's code is the same in both");
  });
});

describe('compare: unfinished and failed runs', () => {
  it('notes an interrupted experiment and failed runs: their seeds are missing from its numbers', () => {
    const b = withManifest(dirA, (m) => {
      m.complete = false;
      m.interrupted = [{ agent: 'greedy', seed: 2 }];
      m.failures = [{ agent: 'random', seed: 1, error: 'boom' }];
    });
    const text = comparisonText(compareExperiments(dirA, b));
    expect(text).toContain(
      `B did not finish (1 run never finished); its numbers cover the runs that did (slatelab resume ${b} finishes it).`,
    );
    expect(text).toContain('B: 1 run failed (random seed 1); those seeds are missing from its numbers.');
  });
});

describe('compare: directories that are not finished results', () => {
  const expectOneLine = (action: () => unknown, ...parts: string[]) => {
    let message = '';
    try {
      action();
    } catch (error) {
      expect(error).toBeInstanceOf(CompareError);
      message = (error as Error).message;
    }
    expect(message).not.toBe('');
    expect(message).not.toContain('\n');
    for (const part of parts) expect(message).toContain(part);
  };

  it('names an interrupted run without summary.json and suggests resume or report', () => {
    const interrupted = withManifest(dirA, (m) => {
      m.complete = false;
    });
    rmSync(join(interrupted, 'summary.json'));
    expectOneLine(
      () => compareExperiments(dirA, interrupted),
      `${interrupted}: no summary.json`,
      `slatelab resume ${interrupted}`,
      `slatelab report ${interrupted}`,
    );
  });

  it('suggests report for a finished run whose summary.json is gone', () => {
    const finished = withManifest(dirA, () => {});
    rmSync(join(finished, 'summary.json'));
    expectOneLine(
      () => compareExperiments(finished, dirA),
      `${finished}: no summary.json`,
      `slatelab report ${finished}`,
    );
  });

  it('says a directory without manifest.json is not an experiment', () => {
    const empty = mkdtempSync(join(tmpdir(), 'slatelab-compare-empty-'));
    expectOneLine(() => compareExperiments(dirA, empty), `${empty}: not an experiment's results (no manifest.json)`);
    expectOneLine(() => compareExperiments(join(empty, 'nope'), dirA), `${join(empty, 'nope')}: no such directory`);
  });

  it('says a claimed directory whose run never started holds no results', () => {
    const claimed = mkdtempSync(join(tmpdir(), 'slatelab-compare-claimed-'));
    writeFileSync(join(claimed, 'manifest.json'), '{"complete": false}\n');
    expectOneLine(() => compareExperiments(dirA, claimed), `${claimed}: holds no results`);
  });
});
