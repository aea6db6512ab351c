import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AgentDefinition, Mode } from '../../agents/agent.ts';
import { useBackend } from '../../agents/nets/backend.ts';
import { CandidateFeatures } from '../../agents/supervised/features.ts';
import { MultiTaskNet } from '../../agents/supervised/multitask.ts';
import { headsOf, type SignalLog } from '../../agents/supervised/signal-log.ts';
import {
  benchCases,
  benchKey,
  compareTrees,
  makeActingStepper,
  makeFitStepStepper,
  runBenchmarks,
  thisTree,
  type Tree,
} from '../../bench/benchmarks.ts';
import { program as main } from '../../cli.ts';
import { defaultParams } from '../../sim/params.ts';
import { worlds } from '../../sim/presets/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ACT = 'feed/ranker:act';
const FIT_STEP = 'feed/ranker:fit-step';
const feedSpec = worlds.feed.create(defaultParams(worlds.feed.params), {
  seed: { experiment: 0, run: 0 },
  batchSize: 1,
}).spec;

// Plumbing only: the windows are a few milliseconds, so no rate here says anything about speed.
describe('bench: the value-model ranker acting and its network training', () => {
  it('has an acting case and a fit-step case for the ranker in the default feed', () => {
    const act = benchCases.find((c) => benchKey(c) === ACT);
    const fitStep = benchCases.find((c) => benchKey(c) === FIT_STEP);
    expect(act?.acting).toMatchObject({ preset: 'feed', params: {}, agent: 'ranker' });
    expect(act?.training).toBeUndefined();
    expect(fitStep?.fitStep).toMatchObject({ preset: 'feed', params: {} });
    expect(fitStep?.fitStep?.batches).toBeGreaterThan(0);
    // The training case stays alongside them.
    expect(benchCases.map(benchKey)).toContain('feed/ranker:train');
  });

  it('runs both (short windows) and reports a finite positive rate per window', async () => {
    const results = await runBenchmarks({ seconds: 0.02, repeats: 1, only: [ACT, FIT_STEP] });
    expect(Object.keys(results)).toEqual([ACT, FIT_STEP]);
    for (const key of [ACT, FIT_STEP]) {
      expect(Number.isFinite(results[key].stepsPerSecond)).toBe(true);
      expect(results[key].stepsPerSecond).toBeGreaterThan(0);
      expect(results[key].windows).toHaveLength(1);
    }
  });

  it('times the ranker in evaluation only, once its network has fitted', async () => {
    await useBackend('wasm');
    // The ranker, watched: which mode each act is in, and whether a loss had been reported by then.
    const ranker = thisTree.agents!.ranker;
    const acts: { mode: Mode; fitted: boolean }[] = [];
    const watched: AgentDefinition<any> = {
      ...ranker,
      // Its first refit after 500 logged impressions (the default waits for 5,000): the same plumbing, trained for
      // less.
      params: { ...ranker.params, retrainEvery: { ...ranker.params.retrainEvery, default: 500 } },
      create: (values, context) => {
        const agent = ranker.create(values, context);
        let fitted = false;
        return {
          ...agent,
          act: (observation, rowRngs, action, mode) => {
            acts.push({ mode, fitted });
            agent.act(observation, rowRngs, action, mode);
          },
          update: (round) => {
            const stats = agent.update!(round);
            if (stats.loss !== undefined) fitted = true;
            return stats;
          },
        };
      },
    };
    const tree: Tree = { ...thisTree, agents: { ...thisTree.agents, ranker: watched } };
    const acting = benchCases.find((c) => benchKey(c) === ACT)!.acting!;
    const run = makeActingStepper(tree, { ...acting, trainSteps: 1000 }, 8, 0);
    const trainingActs = acts.length;
    expect(acts.some((a) => a.mode === 'train' && a.fitted)).toBe(true);
    expect(run(5)).toBeGreaterThan(0);
    const timed = acts.slice(trainingActs);
    expect(timed.length).toBeGreaterThan(0);
    expect(timed.every((a) => a.mode === 'eval' && a.fitted)).toBe(true);
    run.dispose?.();
  });

  it('stops with a message when the agent never fits before acting', async () => {
    // UCB1 learns by counts: it never reports a loss.
    expect(() =>
      makeActingStepper(thisTree, { preset: 'bandit', params: {}, agent: 'ucb1', trainSteps: 64 }, 8, 0),
    ).toThrow(/ucb1 reported no loss \(never fitted\) in 640 training user-steps/);
  });

  it("times whole Adam steps of the multi-task network at the ranker's default sizes in the feed", async () => {
    await useBackend('wasm');
    const built: { width: number; heads: unknown; options: unknown }[] = [];
    const fits: { size: number; epochs: number }[] = [];
    class WatchedNet extends MultiTaskNet {
      constructor(...args: ConstructorParameters<typeof MultiTaskNet>) {
        super(...args);
        built.push({ width: args[0], heads: args[1], options: args[2] });
      }
      override fit(log: SignalLog, rng: Parameters<MultiTaskNet['fit']>[1], epochs: number): number {
        fits.push({ size: log.size, epochs });
        return super.fit(log, rng, epochs);
      }
    }
    const tree: Tree = { ...thisTree, supervised: { ...thisTree.supervised!, MultiTaskNet: WatchedNet } };
    const run = makeFitStepStepper(tree, { preset: 'feed', params: {}, batches: 3 }, 0);
    const rate = run(1);
    expect(Number.isFinite(rate)).toBe(true);
    expect(rate).toBeGreaterThan(0);
    expect(built).toEqual([
      {
        width: new CandidateFeatures(feedSpec).size,
        heads: headsOf(feedSpec),
        options: { hidden: [64, 32], learningRate: 0.003, batchSize: 512 },
      },
    ]);
    // One epoch per fit over exactly 3 full batches of 512: each fit is 3 Adam steps.
    expect(fits.length).toBeGreaterThan(0);
    for (const fit of fits) expect(fit).toEqual({ size: 3 * 512, epochs: 1 });
    run.dispose?.();
  });

  it('compares both side by side with a tree that has them', async () => {
    for (const key of [FIT_STEP, ACT]) {
      const c = await compareTrees(root, key, { pairs: 2, windowMs: 5, batchSize: 64, warmupMs: 5 });
      expect(c.thisTree).toBeGreaterThan(0);
      expect(c.otherTree).toBeGreaterThan(0);
      expect(Number.isFinite(c.ratio)).toBe(true);
    }
  });

  it('skips both (SkipComparison) against a tree without agents', async () => {
    const old = mkdtempSync(join(tmpdir(), 'slatelab-noagents-'));
    try {
      for (const dir of ['sim', 'policies']) symlinkSync(join(root, dir), join(old, dir));
      for (const key of [ACT, FIT_STEP]) {
        await expect(compareTrees(old, key, { pairs: 2, windowMs: 5 })).rejects.toMatchObject({
          name: 'SkipComparison',
          message: expect.stringMatching(/no agent ranker/),
        });
      }
    } finally {
      rmSync(old, { recursive: true, force: true });
    }
  });

  it('keeps --json to {"<key>": {"stepsPerSecond": n}} for the new cases', async () => {
    const out: string[] = [];
    const io = { stdout: (text: string) => void out.push(text), stderr: () => {}, stderrIsTTY: false };
    expect(await main(['bench', '--json', '--only', FIT_STEP, '--seconds', '0.01'], io)).toBe(0);
    const json = JSON.parse(out.join(''));
    expect(Object.keys(json)).toEqual([FIT_STEP]);
    expect(Object.keys(json[FIT_STEP])).toEqual(['stepsPerSecond']);
    expect(json[FIT_STEP].stepsPerSecond).toBeGreaterThan(0);
  });
});
