import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  benchCases,
  benchKey,
  compareTrees,
  makeTrainingStepper,
  runBenchmarks,
  thisTree,
} from '../../bench/benchmarks.ts';
import { agents } from '../../agents/index.ts';
import { program as main } from '../../cli.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const trainingCases = benchCases.filter((c) => c.training !== undefined);
const trainingKeys = trainingCases.map(benchKey);

// Plumbing only: the windows are a few milliseconds, so no rate here says anything about speed.
describe('bench: training throughput cases', () => {
  it("times bandits and pctr in the bandit experiment's world, supervised agents in the feed, linucb at dim 8", () => {
    const agentsIn = (world: string) =>
      trainingCases
        .filter((c) => c.world === world)
        .map((c) => c.training!.agent)
        .sort();
    const bandits = ['epsilon-greedy', 'lin-ts', 'linucb', 'pctr', 'thompson', 'ucb1'];
    expect(agentsIn('bandit-catalog200-dim5')).toEqual(bandits);
    expect(agentsIn('feed')).toEqual(['cluster', 'pctr', 'ranker', 'reinforce']);
    for (const c of trainingCases.filter((c) => c.world === 'bandit-catalog200-dim5')) {
      expect(c.training).toEqual({ preset: 'bandit', params: { catalog: 200, dim: 5 }, agent: c.training!.agent });
    }
    expect(trainingKeys).toContain('bandit-catalog200/linucb:train');
    // Keys are what --only names: distinct, and distinct from the world/policy cases.
    expect(new Set(benchCases.map(benchKey)).size).toBe(benchCases.length);
  });

  it('names only registered agents (a case per agent is optional: a new agent needs none)', () => {
    for (const c of trainingCases) expect(Object.keys(agents), benchKey(c)).toContain(c.training!.agent);
  });

  it("marks LinUCB training with the issue's target of 100,000 user-steps per second", () => {
    const linucb = benchCases.find((c) => benchKey(c) === 'bandit-catalog200-dim5/linucb:train');
    expect(linucb?.target).toBe(100_000);
  });

  it('runs every training case (short windows) and reports a positive rate per window', async () => {
    const seen: string[] = [];
    const results = await runBenchmarks({
      seconds: 0.02,
      repeats: 1,
      only: trainingKeys,
      onResult: (key) => seen.push(key),
    });
    expect(Object.keys(results)).toEqual(trainingKeys);
    expect(seen).toEqual(trainingKeys);
    for (const key of trainingKeys) {
      expect(results[key].stepsPerSecond).toBeGreaterThan(0);
      expect(results[key].windows).toHaveLength(1);
      expect(results[key].windows[0]).toBeGreaterThan(0);
    }
  });

  it('keeps the agent learning from one window to the next', () => {
    const linucb = trainingCases.find((c) => c.training!.agent === 'linucb')!;
    const run = makeTrainingStepper(thisTree, linucb.training!, 8, 0);
    expect(run(5)).toBeGreaterThan(0);
    expect(run(5)).toBeGreaterThan(0);
  });

  it('prints the training rows with their target verdict, and keeps --json to {"<key>": {"stepsPerSecond": n}}', async () => {
    const out: string[] = [];
    const io = { stdout: (text: string) => void out.push(text), stderr: () => {}, stderrIsTTY: false };
    const key = 'bandit-catalog200-dim5/linucb:train';
    expect(await main(['bench', '--only', key, 'bandit/random', '--seconds', '0.01'], io)).toBe(0);
    const table = out.join('');
    expect(table).toMatch(/bandit-catalog200-dim5\/linucb:train .*100000 (met|NOT met)/);
    expect(table).toMatch(/bandit\/random /);

    out.length = 0;
    expect(await main(['bench', '--json', '--only', key, '--seconds', '0.01'], io)).toBe(0);
    const json = JSON.parse(out.join(''));
    expect(Object.keys(json)).toEqual([key]);
    expect(Object.keys(json[key])).toEqual(['stepsPerSecond']);
    expect(json[key].stepsPerSecond).toBeGreaterThan(0);
  });

  it('compares a training case side by side with a tree that has the agents', async () => {
    const c = await compareTrees(root, 'bandit-catalog200-dim5/ucb1:train', {
      pairs: 2,
      windowMs: 5,
      batchSize: 8,
      warmupMs: 5,
    });
    expect(c.thisTree).toBeGreaterThan(0);
    expect(c.otherTree).toBeGreaterThan(0);
  });

  it('skips (SkipComparison, not a failure) a training case against a tree without agents, and the CLI says so', async () => {
    // A "checkout" with the worlds and policies but from before the agents.
    const old = mkdtempSync(join(tmpdir(), 'slatelab-noagents-'));
    try {
      for (const dir of ['sim', 'policies']) symlinkSync(join(root, dir), join(old, dir));
      await expect(
        compareTrees(old, 'bandit-catalog200-dim5/linucb:train', { pairs: 2, windowMs: 5 }),
      ).rejects.toMatchObject({ name: 'SkipComparison' });

      const out: string[] = [];
      const io = { stdout: (text: string) => void out.push(text), stderr: () => {}, stderrIsTTY: false };
      expect(await main(['bench', '--against', old, '--only', 'bandit-catalog200-dim5/linucb:train'], io)).toBe(0);
      expect(out.join('')).toMatch(/skipped bandit-catalog200-dim5\/linucb:train: .*no agent linucb/);
    } finally {
      rmSync(old, { recursive: true, force: true });
    }
  });
});
