// Interaction logs for off-policy evaluation (config `log`, agents/logging.ts,
// lab/store/interaction-log.ts): what the logging policy saw and did, with exact propensities,
// written compactly and read back by streaming.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Agent } from '../../../agents/agent.ts';
import { epsilonLogging, exactMarginal, LoggingPolicyError } from '../../../agents/logging.ts';
import { evaluateLogs } from '../../../lab/ope/evaluate.ts';
import { policyAgent } from '../../../agents/policy-agent.ts';
import { createPolicy } from '../../../policies/policy.ts';
import { ConfigError, validateConfig } from '../../../lab/config/config.ts';
import { defaultRegistries } from '../../../lab/config/registries.ts';
import { runAgentSeed } from '../../../lab/loop/agent-run.ts';
import { evaluate } from '../../../lab/loop/rollout.ts';
import { runExperiment } from '../../../lab/run/runner.ts';
import { type Interaction, InteractionLogWriter, readInteractionLog } from '../../../lab/store/interaction-log.ts';
import { readManifest } from '../../../lab/store/manifest.ts';
import { defaultParams } from '../../../sim/params.ts';
import { worlds } from '../../../sim/presets/index.ts';

const scratch = mkdtempSync(join(tmpdir(), 'slatelab-log-'));

/** A small bandit world: N = 4 candidates, K = 2 slots (12 ordered pages). */
const bandit = { preset: 'bandit', params: { catalog: 12, dim: 2, candidates: 4, slateSize: 2, horizon: 8 } };
const feed = { preset: 'feed', params: { candidates: 8, slateSize: 3, horizonDays: 3 } };
/** The bandit world's parameters resolved as a config resolves them (defaults filled in). */
const banditParams = { ...defaultParams(worlds.bandit.params), ...bandit.params };

const config = (
  world: object,
  log: object | undefined,
  batchSize = 8,
  agents = [{ name: 'pctr', kind: 'greedy-pctr' }],
) =>
  validateConfig(
    { name: 'log-test', world, seeds: [0], agents, evaluation: { episodes: 24, batchSize }, ...(log ? { log } : {}) },
    'test.yaml',
  );

function interactions(bytes: Uint8Array): {
  header: ReturnType<typeof readInteractionLog>['header'];
  rows: Interaction[];
} {
  const file = join(scratch, `log-${Math.random().toString(36).slice(2)}.log`);
  writeFileSync(file, bytes);
  const log = readInteractionLog(file, 7); // chunks of 7 records: the stream crosses chunk boundaries
  return { header: log.header, rows: [...log.interactions()] };
}

describe('an interaction log', () => {
  it('holds every step of the logging rollout, as the loop saw it, in (episode, step) order', () => {
    const spec = worlds.bandit.create(banditParams, { seed: { experiment: 0, run: 0 }, batchSize: 5 }).spec;
    const env = worlds.bandit.create(banditParams, { seed: { experiment: 0, run: 0 }, batchSize: 5 });
    const seen: { episode: number; step: number; user: number[]; slate: number[]; reward: number }[] = [];
    const writer = new InteractionLogWriter(env.spec, env.observation.userFeatures.length / 5);
    writer.setCatalog(env.observation);
    const pending = new Map<number, (typeof seen)[number]>();
    const u = env.observation.userFeatures.length / 5;
    const policy = defaultRegistries.policies['greedy-pctr'];
    const agent = epsilonLogging(policyAgent(createPolicy(policy, {}, env)), spec, 0.3, null);
    evaluate(env, agent, {
      episodes: 9,
      seed: { experiment: 0, run: 0 },
      streamKey: 'log-test',
      propensities: true,
      logger: {
        acted(observation, action, episodes, steps) {
          writer.acted(observation, action, episodes, steps);
          for (let row = 0; row < 5; row++)
            if (episodes[row] >= 0)
              pending.set(row, {
                episode: episodes[row],
                step: steps[row],
                user: Array.from(observation.userFeatures.subarray(row * u, (row + 1) * u)),
                slate: Array.from(action.slates.subarray(row * 2, row * 2 + 2)),
                reward: Number.NaN,
              });
        },
        stepped(result) {
          writer.stepped(result);
          for (const [row, entry] of pending) seen.push({ ...entry, reward: result.reward[row] });
          pending.clear();
        },
      },
    });
    const { header, rows } = interactions(
      writer.finish({
        agent: 'pctr',
        kind: 'greedy-pctr',
        policy: 'epsilon-greedy',
        epsilon: 0.3,
        propensities: 'exact',
      }),
    );
    seen.sort((a, b) => a.episode - b.episode || a.step - b.step);
    expect(header.records).toBe(seen.length);
    expect(rows.length).toBe(seen.length);
    expect(header.recordBytes).toBe(writer.recordBytes);
    rows.forEach((row, i) => {
      expect(row.episode).toBe(seen[i].episode);
      expect(row.step).toBe(seen[i].step);
      expect(Array.from(row.slate as Int32Array)).toEqual(seen[i].slate);
      expect(Array.from(row.userFeatures as Float32Array)).toEqual(seen[i].user.map(Math.fround));
      expect(row.reward).toBe(Math.fround(seen[i].reward));
    });
  });

  it('has exact propensities: epsilon-greedy closed forms, the prefix of one slot its marginal, of all slots the page', () => {
    const run = runAgentSeed(config(bandit, { epsilon: 0.3 }), 0, 0, defaultRegistries);
    const { rows } = interactions(run.log!);
    const ordered = 12;
    let greedy = 0;
    for (const row of rows) {
      const slateProb = row.slateProb as number;
      const slot = row.slotProb as Float64Array;
      const prefix = row.prefixProb as Float64Array;
      const isGreedy = slateProb > 0.5;
      if (isGreedy) greedy++;
      expect(slateProb).toBeCloseTo(0.3 / ordered + (isGreedy ? 0.7 : 0), 12);
      expect(prefix[1]).toBe(slateProb);
      expect(prefix[0]).toBeCloseTo(slot[0], 12);
      expect([0.3 / 4, 0.3 / 4 + 0.7].some((p) => Math.abs(slot[1] - p) < 1e-12)).toBe(true);
    }
    // The greedy page is played with probability 0.7 + 0.3 / 12 = 0.725: within 4 sd over the rows.
    const p = 0.7 + 0.3 / ordered;
    const sd = Math.sqrt((p * (1 - p)) / rows.length);
    expect(Math.abs(greedy / rows.length - p)).toBeLessThan(4 * sd);
  });

  it("mixes a stochastic policy's own propensities with the exploration's (random stays uniform)", () => {
    const run = runAgentSeed(
      config(bandit, { epsilon: 0.3 }, 8, [{ name: 'random', kind: 'random' }]),
      0,
      0,
      defaultRegistries,
    );
    for (const row of interactions(run.log!).rows) {
      expect(row.slateProb).toBeCloseTo(1 / 12, 12);
      expect(Array.from(row.slotProb as Float64Array)).toEqual([0.25, 0.25].map((x) => expect.closeTo(x, 12)));
      expect((row.prefixProb as Float64Array)[0]).toBeCloseTo(0.25, 12);
    }
  });

  it('refuses an evaluation policy that draws its pages without saying how likely another page was', () => {
    const spec = worlds.bandit.create(banditParams, { seed: { experiment: 0, run: 0 }, batchSize: 2 }).spec;
    const env = worlds.bandit.create(banditParams, { seed: { experiment: 0, run: 0 }, batchSize: 2 });
    const drawing: Agent = {
      act(_observation, _rngs, action) {
        for (let row = 0; row < 2; row++) {
          action.slates[row * 2] = 0;
          action.slates[row * 2 + 1] = 1;
          if (action.propensities) action.slateProb[row] = 0.5;
        }
      },
    };
    expect(() =>
      evaluate(env, epsilonLogging(drawing, spec, 0.1, null), {
        episodes: 2,
        seed: { experiment: 0, run: 0 },
        streamKey: 'x',
        propensities: true,
      }),
    ).toThrow(LoggingPolicyError);
  });

  it("does not depend on evaluation.batchSize, and changes none of the run's other numbers", () => {
    const small = runAgentSeed(config(feed, { epsilon: 0.2, episodes: 10 }, 4), 0, 0, defaultRegistries);
    const large = runAgentSeed(config(feed, { epsilon: 0.2, episodes: 10 }, 16), 0, 0, defaultRegistries);
    const none = runAgentSeed(config(feed, undefined, 16), 0, 0, defaultRegistries);
    expect(Buffer.from(small.log!).equals(Buffer.from(large.log!))).toBe(true);
    expect(none.log).toBeUndefined();
    expect(large.episodes).toEqual(none.episodes);
    // The feed's header: its shape, its fields, and what an interaction costs.
    const { header, rows } = interactions(large.log!);
    expect(header.world).toMatchObject({
      preset: 'feed',
      numCandidates: 8,
      slateSize: 3,
      catalogSize: expect.any(Number),
    });
    expect(header.world.fields.map((f) => f.name)).toContain('followsCreator');
    expect(new Set(rows.map((row) => row.episode))).toEqual(new Set(Array.from({ length: 10 }, (_, i) => i)));
    expect(header.recordBytes).toBeLessThan(600);
  });
});

describe('logging from a config', () => {
  it('writes runs/<agent>/seed-<s>.log, named in the manifest; the summary is the one without logging', async () => {
    const raw = {
      name: 'logged',
      world: bandit,
      seeds: [0, 1],
      agents: [{ name: 'pctr', kind: 'greedy-pctr' }],
      evaluation: { episodes: 12 },
    };
    const logged = join(scratch, 'logged');
    const plain = join(scratch, 'plain');
    await runExperiment({
      config: validateConfig({ ...raw, log: { epsilon: 0.5 } }, 'a.yaml'),
      outDir: logged,
      charts: false,
    });
    await runExperiment({ config: validateConfig(raw, 'a.yaml'), outDir: plain, charts: false });
    expect(readFileSync(join(logged, 'summary.json'), 'utf8')).toBe(readFileSync(join(plain, 'summary.json'), 'utf8'));
    const manifest = readManifest(logged);
    expect(manifest.config.log).toEqual({
      policy: 'epsilon-greedy',
      epsilon: 0.5,
      temperature: 1,
      samples: 1000,
      episodes: 12,
    });
    for (const run of manifest.runs) {
      expect(run.logFile).toBe(`runs/pctr/seed-${run.seed}.log`);
      expect(readInteractionLog(join(logged, run.logFile!)).header.logging).toEqual({
        agent: 'pctr',
        kind: 'greedy-pctr',
        policy: 'epsilon-greedy',
        epsilon: 0.5,
        propensities: 'exact',
      });
    }
    expect(readManifest(plain).runs.every((run) => run.logFile === undefined)).toBe(true);
  });

  it('validates the log block in one line naming the field', () => {
    const raw = { name: 'x', world: bandit, agents: [{ name: 'r', kind: 'random' }], log: { epsilon: 2 } };
    expect(() => validateConfig(raw, 'bad.yaml')).toThrow(ConfigError);
    try {
      validateConfig(raw, 'bad.yaml');
    } catch (error) {
      expect((error as ConfigError).issues.join('\n')).toMatch(/^bad\.yaml: log\.epsilon: /);
    }
    expect(() => validateConfig({ ...raw, log: { rate: 0.1 } }, 'bad.yaml')).toThrow(
      /^bad\.yaml: log\.rate: unknown field; known: policy, epsilon, temperature, samples, episodes/,
    );
  });
});

describe('softmax logging (log: { policy: softmax })', () => {
  it("draws pages from a softmax over the agent's scores, with exact page, prefix and (pages of up to 3) slot probabilities", () => {
    const run = runAgentSeed(config(bandit, { policy: 'softmax', temperature: 0.2 }), 0, 0, defaultRegistries);
    const { header, rows } = interactions(run.log!);
    expect(header.logging).toEqual({
      agent: 'pctr',
      kind: 'greedy-pctr',
      policy: 'softmax',
      temperature: 0.2,
      propensities: 'exact',
    });
    for (const row of rows) {
      const prefix = row.prefixProb as Float64Array;
      const slot = row.slotProb as Float64Array;
      expect(prefix[1]).toBe(row.slateProb);
      expect(prefix[0]).toBeCloseTo(slot[0], 12);
      expect(slot[1]).toBeGreaterThan(0);
      expect(slot[1]).toBeLessThanOrEqual(1);
    }
  });

  it('exact slot marginals are those of Plackett-Luce, by enumerating every ordered page of 3 out of 4', () => {
    const p = [0.4, 0.3, 0.2, 0.1];
    const marginal = Array.from({ length: 3 }, () => new Array(4).fill(0));
    for (let a = 0; a < 4; a++)
      for (let b = 0; b < 4; b++)
        for (let c = 0; c < 4; c++) {
          if (a === b || a === c || b === c) continue;
          const prob = p[a] * (p[b] / (1 - p[a])) * (p[c] / (1 - p[a] - p[b]));
          marginal[0][a] += prob;
          marginal[1][b] += prob;
          marginal[2][c] += prob;
        }
    for (let slot = 0; slot < 3; slot++)
      for (let i = 0; i < 4; i++)
        expect(exactMarginal(Float64Array.from(p), slot, i)).toBeCloseTo(marginal[slot][i], 12);
  });

  it('estimates slot marginals by Monte Carlo on pages of more than 3, and says so with the sample count', () => {
    const wide = { preset: 'feed', params: { candidates: 6, slateSize: 4, horizonDays: 2 } };
    const run = runAgentSeed(config(wide, { policy: 'softmax', samples: 200, episodes: 4 }), 0, 0, defaultRegistries);
    const { header, rows } = interactions(run.log!);
    expect(header.logging.propensities).toEqual({ slotProb: 'monte-carlo', samples: 200 });
    for (const row of rows) expect((row.prefixProb as Float64Array)[3]).toBe(row.slateProb);
  });

  it('refuses an agent that writes no scores', () => {
    expect(() =>
      runAgentSeed(
        config(bandit, { policy: 'softmax' }, 8, [{ name: 'random', kind: 'random' }]),
        0,
        0,
        defaultRegistries,
      ),
    ).toThrow(/wrote no scores .*log it with epsilon instead/);
  });

  it("lets evaluate estimate a policy from softmax logs: independent IPS within 4 standard errors of greedy-pctr's truth", async () => {
    const outDir = join(scratch, 'softmax');
    const raw = {
      name: 'softmax',
      world: bandit,
      seeds: [0, 1],
      agents: [{ name: 'pctr', kind: 'greedy-pctr' }],
      evaluation: { episodes: 200 },
      log: { policy: 'softmax', temperature: 0.3 },
    };
    await runExperiment({ config: validateConfig(raw, 's.yaml'), outDir, charts: false, threads: 1 });
    const result = evaluateLogs({ dir: outDir, policy: 'greedy-pctr', registries: defaultRegistries });
    const estimate = result.estimators['independent-ips'];
    const se = (estimate.ci95![1] - estimate.ci95![0]) / 2 / 1.96;
    expect(Math.abs(estimate.value - result.truth)).toBeLessThan(4 * se);
  }, 60_000);
});
