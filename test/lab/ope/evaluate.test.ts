// slatelab evaluate (lab/ope/evaluate.ts): a policy estimated from an experiment's interaction
// logs, beside its true value. Seeded; statistical checks state their tolerance.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lab/config/config.ts';
import { defaultRegistries } from '../../../lab/config/registries.ts';
import { evaluateLogs } from '../../../lab/ope/evaluate.ts';
import { runExperiment } from '../../../lab/run/runner.ts';
import { readInteractionLog } from '../../../lab/store/interaction-log.ts';
import { readManifest } from '../../../lab/store/manifest.ts';

const scratch = mkdtempSync(join(tmpdir(), 'slatelab-ope-'));
const bandit = { preset: 'bandit', params: { catalog: 40, candidates: 5, slateSize: 2, horizon: 10 } };

async function logged(name: string, world: object, agents: object[], log: object, episodes: number, seeds = [0, 1, 2]) {
  const outDir = join(scratch, name);
  const config = validateConfig({ name, world, seeds, agents, evaluation: { episodes }, log }, `${name}.yaml`);
  await runExperiment({ config, outDir, charts: false, threads: 1 });
  return outDir;
}

/** 3 seeds x 300 users x 10 steps of uniformly random pages, logged once for the tests that read them. */
let uniform: Promise<string> | null = null;
const uniformLogs = () => {
  uniform ??= logged('uniform', bandit, [{ name: 'random', kind: 'random' }], { epsilon: 1 }, 300);
  return uniform;
};

describe('slatelab evaluate in the bandit world (stateless: the truth is the estimand)', () => {
  it('estimates greedy-pctr from uniform logs: every estimator within 4 standard errors of the truth', async () => {
    // 3 seeds x 300 users x 10 steps = 9,000 logged pages of 2 out of 5 candidates (20 ordered pages).
    const dir = await uniformLogs();
    const result = evaluateLogs({ dir, policy: 'greedy-pctr', registries: defaultRegistries });
    expect(result.interactions).toBe(9000);
    expect(result.stateful).toBe(false);
    expect(Object.keys(result.estimators)).toEqual([
      'slate-ips',
      'slate-snips',
      'independent-ips',
      'reward-interaction-ips',
      'slate-dm',
      'independent-dr',
      'cascade-dr',
      'sndr',
      'switch-dr',
      'dr-os',
    ]);
    expect(result.skipped['pseudo-inverse']).toBeDefined();
    // Every estimator but DM and DR-os is unbiased here (clicks add up over positions: no
    // interaction, a cascade trivially); DM is as right as its per-(slot, item) means and DR-os
    // shrinks towards it, and their intervals do not cover that bias: they are left out of this check.
    for (const [name, estimate] of Object.entries(result.estimators)) {
      if (name === 'slate-dm' || name === 'dr-os') continue;
      const se = (estimate.ci95![1] - estimate.ci95![0]) / 2 / 1.96;
      expect(Math.abs(estimate.value - result.truth), name).toBeLessThan(4 * se);
      expect(estimate.relError).toBeCloseTo((estimate.value - result.truth) / result.truth, 12);
    }
    // Slots do not interact here (clicks add up over positions): independent IPS keeps far more of the data.
    expect(result.estimators['independent-ips'].ess).toBeGreaterThan(3 * result.estimators['slate-ips'].ess);
    // The model as control variate narrows independent IPS's interval.
    const width = (name: string) => result.estimators[name].ci95![1] - result.estimators[name].ci95![0];
    expect(width('independent-dr')).toBeLessThan(width('independent-ips'));
  }, 60_000);

  it("estimates the logging policy itself exactly by its own log: weights 1, the log's mean reward", async () => {
    const dir = await logged('self', bandit, [{ name: 'random', kind: 'random' }], { epsilon: 0.5 }, 100, [0]);
    const result = evaluateLogs({ dir, policy: 'random', registries: defaultRegistries });
    // A stochastic target: the model's expectation under it is not computed (yet), and says so.
    expect(result.skipped['independent-dr']).toMatch(/the target draws its pages/);
    const log = readInteractionLog(join(dir, readManifest(dir).runs[0].logFile!));
    let total = 0;
    for (const record of log.interactions()) total += record.reward as number;
    expect(result.estimators['slate-ips'].value).toBeCloseTo(total / result.interactions, 9);
    expect(result.estimators['slate-ips'].ess).toBeCloseTo(result.interactions, 6);
    // The truth is random's expected reward on the same users' contexts: the logged mean within 4 SE.
    const se = (result.estimators['slate-ips'].ci95![1] - result.estimators['slate-ips'].ci95![0]) / 2 / 1.96;
    expect(Math.abs(result.truth - total / result.interactions)).toBeLessThan(4 * se);
  }, 60_000);
});

describe('slatelab evaluate --sizes: estimator error against data, over seeds', () => {
  it("measures each seed's estimates on its first interactions against its own truth; all of one seed's log is the headline", async () => {
    const dir = await logged('single', bandit, [{ name: 'random', kind: 'random' }], { epsilon: 1 }, 100, [0]);
    const result = evaluateLogs({ dir, policy: 'greedy-pctr', registries: defaultRegistries, sizes: [100, 1000] });
    expect(result.interactions).toBe(1000);
    expect(result.bySize?.map((point) => point.interactions)).toEqual([100, 1000]);
    const all = result.bySize![1].estimators;
    for (const name of ['slate-ips', 'independent-ips', 'independent-dr', 'slate-dm']) {
      expect(all[name].relError.n).toBe(1);
      expect(all[name].relError.mean).toBeCloseTo(result.estimators[name].relError!, 12);
      expect(all[name].absRelError.mean).toBeCloseTo(Math.abs(result.estimators[name].relError!), 12);
    }
    expect(() => evaluateLogs({ dir, policy: 'greedy-pctr', registries: defaultRegistries, sizes: [5000] })).toThrow(
      "--sizes: 5000 interactions a seed, but a seed's log holds only 1000; log more users",
    );
  }, 60_000);

  it('over several seeds: one error per seed, and the error shrinks with data (independent IPS, 100 against 3,000 a seed)', async () => {
    const dir = await uniformLogs();
    const result = evaluateLogs({ dir, policy: 'greedy-pctr', registries: defaultRegistries, sizes: [100, 3000] });
    const [small, large] = result.bySize!;
    expect(small.estimators['independent-ips'].absRelError.n).toBe(3);
    // Its standard error falls as 1 / sqrt(n): about 5.5 times from 100 to 3,000; asked: at least 2 times.
    expect(large.estimators['independent-ips'].absRelError.mean).toBeLessThan(
      small.estimators['independent-ips'].absRelError.mean / 2,
    );
  }, 60_000);
});

describe('slatelab evaluate: the pseudo-inverse estimator', () => {
  it('on epsilon-greedy logs of a deterministic agent (its own pages logged): within 4 standard errors of the truth, as slot rewards add up here', async () => {
    const dir = await logged('greedy', bandit, [{ name: 'pctr', kind: 'greedy-pctr' }], { epsilon: 0.5 }, 300);
    const log = readInteractionLog(join(dir, readManifest(dir).runs[0].logFile!));
    expect(log.header.columns.map((column) => column.name)).toContain('loggingPage');
    const result = evaluateLogs({ dir, policy: 'greedy-pctr', registries: defaultRegistries });
    const pi = result.estimators['pseudo-inverse'];
    expect(pi).toBeDefined();
    const se = (pi.ci95![1] - pi.ci95![0]) / 2 / 1.96;
    expect(Math.abs(pi.value - result.truth)).toBeLessThan(4 * se);
    // Random's logs hold no page of its own (it draws them): no Gamma, and evaluate says why.
    const uniform = evaluateLogs({ dir: await uniformLogs(), policy: 'greedy-pctr', registries: defaultRegistries });
    expect(uniform.skipped['pseudo-inverse']).toMatch(/epsilon-greedy logs of a deterministic agent/);
  }, 60_000);
});

describe('slatelab evaluate of a trained agent (--init)', () => {
  it("loads each seed's saved agent and estimates it from another agent's logs, within 4 standard errors of its truth", async () => {
    const outDir = join(scratch, 'trained');
    const config = validateConfig(
      {
        name: 'trained',
        world: bandit,
        seeds: [0, 1],
        agents: [
          { name: 'random', kind: 'random' },
          { name: 'linucb', kind: 'linucb' },
        ],
        training: { steps: 3000, batchSize: 16 },
        evaluation: { episodes: 300 },
        log: { epsilon: 1 },
      },
      'trained.yaml',
    );
    await runExperiment({ config, outDir, charts: false, threads: 1 });
    const result = evaluateLogs({
      dir: outDir,
      policy: 'linucb',
      init: outDir,
      logger: 'random',
      registries: defaultRegistries,
    });
    expect(result.interactions).toBe(6000);
    const estimate = result.estimators['independent-ips'];
    const se = (estimate.ci95![1] - estimate.ci95![0]) / 2 / 1.96;
    expect(Math.abs(estimate.value - result.truth)).toBeLessThan(4 * se);
    // Its truth is its own: the saved agent, not random (whose truth on the same users differs).
    const random = evaluateLogs({ dir: outDir, policy: 'random', logger: 'random', registries: defaultRegistries });
    expect(result.truth).not.toBeCloseTo(random.truth, 3);
    expect(() =>
      evaluateLogs({ dir: outDir, policy: 'nobody', init: outDir, logger: 'random', registries: defaultRegistries }),
    ).toThrow(/--init .*nobody/);
  }, 60_000);
});

describe('slatelab evaluate in the feed (with state)', () => {
  it("logs each page's reward as the sum of its slots' weighted signals; gives the on-policy figure, no relative error", async () => {
    const feed = { preset: 'feed', params: { candidates: 6, slateSize: 2, horizonDays: 2 } };
    const dir = await logged('feed', feed, [{ name: 'pctr', kind: 'greedy-pctr' }], { epsilon: 0.5 }, 20, [0]);
    const log = readInteractionLog(join(dir, readManifest(dir).runs[0].logFile!));
    const weights = log.header.world.slotRewardWeights!;
    expect(weights).toHaveLength(log.header.world.signalNames.length);
    const s = weights.length;
    for (const record of log.interactions()) {
      const signals = record.signals as Float32Array;
      let sum = 0;
      for (let x = 0; x < signals.length; x++) sum += weights[x % s] * signals[x];
      expect(Math.abs(sum - (record.reward as number))).toBeLessThan(1e-4 * Math.max(1, Math.abs(sum)));
    }
    const result = evaluateLogs({ dir, policy: 'random', registries: defaultRegistries });
    expect(result.stateful).toBe(true);
    for (const estimate of Object.values(result.estimators)) expect(estimate.relError).toBeNull();
    expect(result.truth).toBeGreaterThan(0);
    expect(() => evaluateLogs({ dir, policy: 'random', registries: defaultRegistries, sizes: [10] })).toThrow(
      /--sizes measures estimators' errors, which needs a world without state/,
    );
  }, 60_000);
});

describe('slatelab evaluate: what it refuses', () => {
  it('a directory without logs, an oracle, a learning agent, and several loggers without --logger', async () => {
    const plain = join(scratch, 'plain');
    await runExperiment({
      config: validateConfig(
        { name: 'p', world: bandit, seeds: [0], agents: [{ name: 'r', kind: 'random' }], evaluation: { episodes: 4 } },
        'p.yaml',
      ),
      outDir: plain,
      charts: false,
    });
    const refuse = (dir: string, policy: string, logger?: string) => () =>
      evaluateLogs({ dir, policy, logger, registries: defaultRegistries });
    expect(refuse(plain, 'random')).toThrow(/no interaction logs; run the experiment with --log/);
    const two = await logged(
      'two',
      bandit,
      [
        { name: 'a', kind: 'random' },
        { name: 'b', kind: 'greedy-pctr' },
      ],
      { epsilon: 0.2 },
      4,
      [0],
    );
    expect(refuse(two, 'random')).toThrow(/logs of several agents; name one with --logger \(a, b\)/);
    expect(refuse(two, 'random', 'c')).toThrow(/no logs of agent "c"/);
    expect(refuse(two, 'oracle-quality', 'a')).toThrow(/reads the world's ground truth/);
    expect(refuse(two, 'ranker', 'a')).toThrow(
      /--policy ranker is a learning agent: name the experiment that trained it with --init DIR/,
    );
    expect(refuse(two, 'popular', 'a')).toThrow(/--policy popular cannot run in bandit: .*no public view counters/);
  }, 60_000);
});
