import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Agent, Transition } from '../../../agents/agent.ts';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, validateConfig } from '../../../lab/config/config.ts';
import { type Registries, defaultRegistries } from '../../../lab/config/registries.ts';
import { evaluate, train } from '../../../lab/loop/rollout.ts';
import { TRAINING_EPISODE_BASE } from '../../../lab/config/episodes.ts';
import type { Summary } from '../../../lab/store/summary.ts';
import { runExperiment } from '../../../lab/run/runner.ts';
import { runAgentSeed } from '../../../lab/loop/agent-run.ts';
import { trainingSpecs } from '../../../lab/report/learning-charts.ts';
import { chartData } from '../../../lab/report/charts.ts';
import { SESSION_END, type Env } from '../../../sim/env.ts';
import { defaultParams } from '../../../sim/params.ts';
import { worlds } from '../../../sim/presets/index.ts';
import { ECOSYSTEM_METRICS } from '../../../sim/feed/ecosystem.ts';
import { FEED_METRICS, type FeedEnv } from '../../../sim/feed/env.ts';
import { Rng } from '../../../sim/rng.ts';
import { agents as agentsRegistry } from '../../../agents/index.ts';
import type { WorldDefinition } from '../../../sim/world.ts';

const SEED = { experiment: 0, run: 2 };

/** A small bandit world with a catalog: every learner has something to find. */
const banditWorld = { preset: 'bandit', params: { catalog: 30, dim: 3, candidates: 8, slateSize: 2, horizon: 20 } };

const learnerConfig = (
  evaluationBatch: number,
  agents: { name: string; kind: string; params?: object }[],
  training: object = { steps: 1500, batchSize: 16, evalEvery: 500, evalEpisodes: 12 },
) => ({
  name: 'training-test',
  world: banditWorld,
  seeds: [0, 1],
  agents,
  training,
  evaluation: { episodes: 24, batchSize: evaluationBatch },
});

async function runConfig(raw: object, threads: number) {
  const outDir = mkdtempSync(join(tmpdir(), 'slatelab-train-'));
  const config = validateConfig(raw, 'test.yaml');
  await runExperiment({ config, outDir, threads, charts: false });
  return { outDir, read: (file: string) => readFileSync(join(outDir, file), 'utf8') };
}

/** Every results file but the manifest (the output's own config file and provenance) and the timeline (hosts and times). */
function resultFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(dir, relative), { withFileTypes: true })) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path);
      else if (!['manifest.json', 'timeline.json'].includes(entry.name))
        files[path] = readFileSync(join(dir, path), 'utf8');
    }
  };
  walk('');
  return files;
}

const learners = [
  { name: 'random', kind: 'random' },
  { name: 'eps', kind: 'epsilon-greedy' },
  { name: 'ts', kind: 'thompson' },
  { name: 'lin', kind: 'lin-ts' },
];

describe('training runs: reproducibility', () => {
  it('gives byte-identical results, curves included, for 1 and 2 threads and evaluation batch sizes 1 and 64', async () => {
    const one = await runConfig(learnerConfig(64, learners), 1);
    const two = await runConfig(learnerConfig(1, learners), 2);
    const a = resultFiles(one.outDir);
    const b = resultFiles(two.outDir);
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    expect(Object.keys(a)).toContain('runs/lin/seed-1.curve.jsonl');
    for (const file of Object.keys(a)) expect(b[file], file).toBe(a[file]);
  });

  it('gives the same numbers to an agent under another name (streams are keyed by kind and settings)', () => {
    const named = (name: string) =>
      validateConfig(
        learnerConfig(8, [
          { name: 'random', kind: 'random' },
          { name, kind: 'thompson', params: { priorMisses: 2 } },
        ]),
        'test.yaml',
      );
    const first = runAgentSeed(named('thompson-a'), 1, 0, defaultRegistries);
    const renamed = runAgentSeed(named('renamed'), 1, 0, defaultRegistries);
    expect(renamed).toEqual(first);
    // A different setting is a different agent: its exploration streams differ.
    const other = validateConfig(
      learnerConfig(8, [{ name: 'x', kind: 'thompson', params: { priorMisses: 3 } }]),
      'test.yaml',
    );
    expect(runAgentSeed(other, 0, 0, defaultRegistries).curve).not.toEqual(first.curve);
  });
});

/** The bandit world with every resetRow recorded per instance (its batch size tells training from evaluation). */
function spiedRegistries(log: { batchSize: number; episode: number; firstUser: number }[]): Registries {
  const bandit = worlds.bandit as WorldDefinition<any>;
  const spy: WorldDefinition<any> = {
    ...bandit,
    create: (values, options) => {
      const env = bandit.create(values, options);
      const resetRow = env.resetRow.bind(env);
      env.resetRow = (row, episode) => {
        resetRow(row, episode);
        const u = env.spec.userFeatureDim;
        log.push({ batchSize: options.batchSize, episode, firstUser: env.observation.userFeatures[row * u] });
      };
      return env;
    },
  };
  return { ...defaultRegistries, worlds: { bandit: spy } };
}

describe('training runs: who meets which users', () => {
  it('trains on episodes from 2^30 up and evaluates on episodes 0..E-1: disjoint users', () => {
    const log: { batchSize: number; episode: number; firstUser: number }[] = [];
    const config = validateConfig(learnerConfig(8, [{ name: 'eps', kind: 'epsilon-greedy' }]), 'test.yaml');
    runAgentSeed(config, 0, 0, spiedRegistries(log));
    const trainingEpisodes = log.filter((entry) => entry.batchSize === 16).map((entry) => entry.episode);
    const evaluationEpisodes = log.filter((entry) => entry.batchSize === 8).map((entry) => entry.episode);
    // 1500 steps of 20-step episodes: at least 75 training users.
    expect(new Set(trainingEpisodes).size).toBeGreaterThanOrEqual(75);
    expect(Math.min(...trainingEpisodes)).toBe(TRAINING_EPISODE_BASE);
    expect(Math.max(...evaluationEpisodes)).toBe(23); // evaluation.episodes - 1
    const evaluationSet = new Set(evaluationEpisodes);
    expect(trainingEpisodes.filter((episode) => evaluationSet.has(episode))).toEqual([]);
    // Different episodes are different users: their first contexts differ.
    const trainingUsers = new Set(log.filter((entry) => entry.batchSize === 16).map((entry) => entry.firstUser));
    expect(log.filter((entry) => entry.batchSize === 8).some((entry) => trainingUsers.has(entry.firstUser))).toBe(
      false,
    );
  });

  it('evaluates every agent of a seed, learning or not, on the same evaluation users', () => {
    const episodesOf = (kind: string) => {
      const log: { batchSize: number; episode: number; firstUser: number }[] = [];
      const config = validateConfig(learnerConfig(8, [{ name: 'a', kind }]), 'test.yaml');
      runAgentSeed(config, 0, 1, spiedRegistries(log));
      return log.filter((entry) => entry.batchSize === 8).map((entry) => [entry.episode, entry.firstUser]);
    };
    const random = episodesOf('random');
    // Checkpoint evaluations (12 users) and the final one (24 users), all from episodes 0..23.
    expect(new Set(random.map(([episode]) => episode)).size).toBe(24);
    const sorted = (pairs: number[][]) => [...new Set(pairs.map((pair) => pair.join(':')))].sort();
    expect(sorted(episodesOf('linucb'))).toEqual(sorted(random));
    expect(sorted(episodesOf('ucb1'))).toEqual(sorted(random));
  });
});

/** Acts uniformly at random and records every training transition's per-row facts. */
function recordingAgent(env: Env, record: (t: Transition, row: number) => void): Agent {
  const { numCandidates: n, slateSize: k } = env.spec;
  return {
    act(observation, rowRngs, action) {
      for (let row = 0; row < observation.active.length; row++)
        if (observation.active[row] === 1) rowRngs[row].sampleDistinct(n, k, action.slates, row * k);
    },
    observe(t) {
      for (let row = 0; row < t.episode.length; row++) record(t, row);
    },
    update() {
      return {};
    },
  };
}

describe('the loop: how episodes end', () => {
  const create = (preset: string, batchSize: number, params: object = {}) => {
    const world = worlds[preset];
    return world.create({ ...defaultParams(world.params), ...params }, { seed: SEED, batchSize });
  };
  const endings = (
    env: Env,
    episodes: number,
    extra: (t: Transition, row: number) => Record<string, number> = () => ({}),
    maxStepsPerEpisode?: number,
  ) => {
    const ends: Record<string, number>[] = [];
    train(
      env,
      recordingAgent(env, (t, row) => {
        if (t.episode[row] >= 0 && (t.terminated[row] === 1 || t.truncated[row] === 1)) {
          ends.push({
            terminated: t.terminated[row],
            truncated: t.truncated[row],
            hasNext: t.hasNext[row],
            step: t.step[row],
            ...extra(t, row),
          });
        }
      }),
      { seed: SEED, streamKey: 'recorder', steps: Infinity, episodes, maxStepsPerEpisode },
    );
    return ends;
  };

  it('bandit: every episode is truncated at the horizon (the world is stateless and would go on), with the next request to bootstrap from', () => {
    const env = create('bandit', 4, { horizon: 7 });
    const d = env.spec.userFeatureDim;
    // The next observation is a fresh request: a new context, not the one the last slate answered.
    const ends = endings(env, 10, (t, row) => ({
      newContext: t.after.userFeatures[row * d] !== t.before.userFeatures[row * d] ? 1 : 0,
    }));
    expect(ends).toHaveLength(10);
    for (const end of ends) expect(end).toEqual({ terminated: 0, truncated: 1, hasNext: 1, step: 6, newContext: 1 });
    expect(env.spec.endings.truncated).not.toBe('');
  });

  for (const preset of ['recsim-interest-evolution', 'long-term-satisfaction']) {
    it(`${preset}: every episode is terminated (the user's time budget is spent)`, () => {
      const env = create(preset, 5);
      const ends = endings(env, 12);
      expect(ends).toHaveLength(12);
      for (const end of ends) expect(end).toMatchObject({ terminated: 1, truncated: 0, hasNext: 0 });
      expect(env.spec.endings.terminated).not.toBe('');
    });
  }

  it('feed: churned users are terminated, users still there at the horizon truncated', () => {
    // A short horizon and quick churn so both endings occur.
    const feedDynamics = (defaultParams(worlds.feed.params) as { dynamics: Record<string, unknown> }).dynamics;
    const env = create('feed', 6, {
      horizonDays: 3,
      dynamics: { ...feedDynamics, churnSessions: 1, churnThreshold: -0.1 },
    }) as FeedEnv;
    const ends = endings(env, 40, (_t, row) => ({ churned: env.users.churned[row] }));
    expect(ends).toHaveLength(40);
    const churned = ends.filter((end) => end.churned === 1);
    expect(churned.length).toBeGreaterThan(0);
    expect(churned.length).toBeLessThan(40);
    for (const end of ends) {
      expect(end.terminated).toBe(end.churned);
      expect(end.truncated).toBe(1 - end.churned);
      // A user the horizon cut off has a next request to bootstrap from; a churned one has none.
      expect(end.hasNext).toBe(1 - end.churned);
    }
  });

  it("cuts at the loop's step limit as a truncation with a next observation, and counts the cut episodes", () => {
    const env = create('bandit', 3, { horizon: 50 });
    const ends = endings(env, 5, () => ({}), 4);
    expect(ends).toHaveLength(5);
    for (const end of ends) expect(end).toEqual({ terminated: 0, truncated: 1, hasNext: 1, step: 3 });
    const totals = train(
      create('bandit', 3, { horizon: 50 }),
      recordingAgent(env, () => {}),
      { seed: SEED, streamKey: 'r', steps: Infinity, episodes: 5, maxStepsPerEpisode: 4 },
    );
    expect(totals).toEqual({ steps: 20, episodes: 5, cutEpisodes: 5, rounds: 8 });
  });

  it('gives masked rows no stale signals: zero reward and signals, episode -1', () => {
    const env = create('bandit', 8, { horizon: 5 });
    let masked = 0;
    let active = 0;
    train(
      env,
      recordingAgent(env, (t, row) => {
        const k = env.spec.slateSize;
        const signals = Array.from(t.signals.subarray(row * k, (row + 1) * k));
        if (t.episode[row] < 0) {
          masked++;
          expect(t.reward[row]).toBe(0);
          expect(signals).toEqual(new Array(k).fill(0));
        } else active++;
      }),
      { seed: SEED, streamKey: 'recorder', steps: Infinity, episodes: 11 },
    );
    // 11 episodes on 8 rows: rows go idle as the last episodes finish.
    expect(active).toBe(55);
    expect(masked).toBeGreaterThan(0);
  });

  it('hands the agent a snapshot of the observation the slates were chosen from, not the next one', () => {
    const env = create('bandit', 2, { horizon: 3 });
    const seen: number[][] = [];
    const befores: number[][] = [];
    const agent = recordingAgent(env, (t, row) => {
      if (row === 0 && t.episode[0] >= 0) befores.push(Array.from(t.before.userFeatures.subarray(0, 3)));
    });
    const act = agent.act.bind(agent);
    agent.act = (observation, rowRngs, action, mode) => {
      if (observation.active[0] === 1) seen.push(Array.from(observation.userFeatures.subarray(0, 3)));
      act(observation, rowRngs, action, mode);
    };
    train(env, agent, { seed: SEED, streamKey: 'recorder', steps: Infinity, episodes: 2 });
    expect(befores.length).toBeGreaterThan(0);
    expect(befores).toEqual(seen.slice(0, befores.length));
  });

  it('hands the agent the clock between steps: session endings, minutes and hours to the next session (feed)', () => {
    const env = create('feed', 4, { horizonDays: 3 }) as FeedEnv;
    const users = env.users;
    const before = new Float64Array(4);
    const extra = new Float64Array(FEED_METRICS.length);
    const sessionEnds = new Map<number, number>();
    const checked = { returns: 0, gone: 0, horizon: 0, episodes: 0 };
    const agent = recordingAgent(env, (t, row) => {
      if (t.episode[row] < 0) {
        expect([t.sessionEnded[row], t.stepMinutes[row]]).toEqual([0, 0]);
        expect(t.hoursToNextSession[row]).toBeNaN();
        return;
      }
      const reason = t.sessionEndReason[row];
      const minutes = t.stepMinutes[row];
      expect(minutes).toBeGreaterThan(0);
      expect(t.sessionEnded[row]).toBe(reason === SESSION_END.none ? 0 : 1);
      sessionEnds.set(t.episode[row], (sessionEnds.get(t.episode[row]) ?? 0) + t.sessionEnded[row]);
      if (reason === SESSION_END.returns) {
        checked.returns++;
        expect(users.nowHours[row]).toBeCloseTo(before[row] + minutes / 60 + t.hoursToNextSession[row], 9);
      } else expect(t.hoursToNextSession[row]).toBeNaN();
      if (t.terminated[row] === 0 && t.truncated[row] === 0) return;
      // The episode ended: so did its last session, and the feed counted as many as the agent saw.
      expect(reason).toBe(t.truncated[row] === 1 ? SESSION_END.horizon : SESSION_END.gone);
      checked[reason === SESSION_END.gone ? 'gone' : 'horizon']++;
      checked.episodes++;
      env.episodeMetrics(row, extra);
      expect(sessionEnds.get(t.episode[row])).toBe(extra[FEED_METRICS.indexOf('sessions')]);
    });
    const act = agent.act.bind(agent);
    agent.act = (observation, rowRngs, action, mode) => {
      before.set(users.nowHours);
      act(observation, rowRngs, action, mode);
    };
    train(env, agent, { seed: SEED, streamKey: 'recorder', steps: Infinity, episodes: 10 });
    expect(checked.episodes).toBe(10);
    expect(checked.returns).toBeGreaterThan(0);
    expect(checked.horizon).toBeGreaterThan(0);
  });

  it('evaluates without observing or updating', () => {
    const env = create('bandit', 4, { horizon: 5 });
    let observed = 0;
    const agent = recordingAgent(env, () => observed++);
    agent.update = () => {
      throw new Error('update in evaluation');
    };
    const records = evaluate(env, agent, { episodes: 6, seed: SEED, streamKey: 'recorder' });
    expect(records).toHaveLength(6);
    expect(observed).toBe(0);
  });
});

describe('training runs: checkpoints, curves and the summary', () => {
  it('checkpoints at 0, every evalEvery steps (at round boundaries) and at the end, and summarises them over seeds', async () => {
    const { read } = await runConfig(
      learnerConfig(8, learners.slice(0, 2), { steps: 1000, batchSize: 64, evalEvery: 250, evalEpisodes: 10 }),
      1,
    );
    const curve = read('runs/eps/seed-0.curve.jsonl')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(curve.filter((line) => line.kind === 'checkpoint').map((line) => line.steps)).toEqual([
      0, 256, 512, 768, 1024,
    ]);
    const totals = curve.find((line) => line.kind === 'totals');
    expect(totals).toMatchObject({ steps: 1024, rounds: 16, cutEpisodes: 0 });
    expect(totals.regretFirstHalf + totals.regretSecondHalf).toBeCloseTo(totals.onlineRegret, 6);
    const summary = JSON.parse(read('summary.json')) as Summary;
    const eps = summary.training!.agents.eps;
    expect(eps.steps).toEqual([0, 256, 512, 768, 1024]);
    expect(eps.curves.return).toHaveLength(5);
    expect(eps.curves.return[4].n).toBe(2);
    expect(eps.regret![4].mean).toBeCloseTo(eps.totals!.onlineRegret.mean, 6);
    expect(eps.stats.epsilon[1].mean).toBe(0.1);
    // A fixed policy: one checkpoint, no totals; its curve is drawn flat.
    expect(summary.training!.agents.random).toMatchObject({ learns: false, totals: null });
    expect(summary.training!.agents.random.curves.return).toHaveLength(1);
    expect(read('report.md')).toContain('## Training');

    // The charts of training: return, the world's metrics, regret and each statistic; a legend
    // names only the agents drawn (random has no regret and no statistics).
    const specs = trainingSpecs(summary.training, chartData(summary), ['regret', 'optimalReturn']);
    expect(specs.map((spec) => spec.name)).toEqual([
      'learning-return',
      'learning-regret',
      'learning-optimalReturn',
      'online-regret',
      'training-epsilon',
    ]);
    const legend = (name: string) =>
      JSON.stringify(specs.find((spec) => spec.name === name)!.spec).match(/"values":\["[^\]]*\]/)?.[0];
    expect(legend('learning-return')).toBe('"values":["random","eps"]');
    expect(legend('learning-regret')).toBe('"values":["random","eps"]');
    expect(legend('online-regret')).toBe('"values":["eps"]');
    expect(legend('training-epsilon')).toBe('"values":["eps"]');
  });
});

describe('training runs: an episodes budget', () => {
  it("aligns seeds by the checkpoint schedule, and summarises every seed's end of training as the last point", async () => {
    // RecSim users end when their time budget runs out, so 30 training users take a different
    // number of steps in each seed, and the seeds reach different numbers of checkpoints.
    const raw = {
      name: 'episodes-budget',
      world: { preset: 'recsim-interest-evolution', params: { candidates: 10, slateSize: 2 } },
      seeds: [0, 1, 2],
      agents: [{ name: 'eps', kind: 'epsilon-greedy' }],
      training: { episodes: 30, batchSize: 8, evalEvery: 600, evalEpisodes: 5 },
      evaluation: { episodes: 10, batchSize: 4 },
    };
    const { read } = await runConfig(raw, 1);
    const curves = [0, 1, 2].map((seed) =>
      read(`runs/eps/seed-${seed}.curve.jsonl`)
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
        .filter((line) => line.kind === 'checkpoint'),
    );
    const finalSteps = curves.map((curve) => curve[curve.length - 1].steps);
    expect(new Set(finalSteps).size).toBeGreaterThan(1);
    for (const curve of curves) {
      expect(curve[0].target).toBe(0);
      expect(curve[curve.length - 1].target).toBeNull();
      curve.slice(1, -1).forEach((checkpoint: { target: number; steps: number }, i: number) => {
        expect(checkpoint.target).toBe(600 * (i + 1));
        expect(checkpoint.steps).toBeGreaterThanOrEqual(checkpoint.target);
      });
    }
    const eps = (JSON.parse(read('summary.json')) as Summary).training!.agents.eps;
    const last = eps.curves.return[eps.curves.return.length - 1];
    expect(last.n).toBe(3);
    expect(last.values).toEqual(curves.map((curve) => curve[curve.length - 1].metrics.return));
    expect(eps.steps[eps.steps.length - 1]).toBeCloseTo(finalSteps.reduce((a, b) => a + b, 0) / 3, 9);
    // The points are the targets every seed reached, then the end: every point holds every seed,
    // and the end is the rightmost point (targets only the longer seeds reached are left out).
    const reach = Math.min(...finalSteps);
    const kept = [0, 600, 1200, 1800, 2400, 3000, 3600, 4200, 4800, 5400, 6000].filter((target) => target <= reach);
    expect(eps.steps).toHaveLength(kept.length + 1);
    for (const point of eps.curves.return) expect(point.n).toBe(3);
    expect(Math.max(...eps.steps)).toBe(eps.steps[eps.steps.length - 1]);
  });

  it("logs the exploring policy's propensities while training when asked", () => {
    const world = worlds.bandit;
    const env = world.create(
      { ...defaultParams(world.params), catalog: 30, candidates: 6, slateSize: 2 },
      { seed: SEED, batchSize: 8 },
    );
    const agent = agentsRegistry['epsilon-greedy'].create(
      { epsilon: 0.5, epsilonFinal: 0.5, decaySteps: 0 },
      { spec: env.spec, seed: SEED, streams: { init: new Rng('i'), update: new Rng('u') } },
    );
    const slateProbs: number[] = [];
    train(env, agent, {
      seed: SEED,
      streamKey: 'eps',
      steps: 400,
      episodes: Infinity,
      propensities: true,
      onAction: (action) => slateProbs.push(...action.slateProb),
    });
    // With epsilon 0.5 over 6 x 5 ordered slates: the greedy slate 0.5 + 0.5/30, any other 0.5/30.
    expect(new Set(slateProbs.map((p) => p.toFixed(6)))).toEqual(
      new Set([(0.5 + 0.5 / 30).toFixed(6), (0.5 / 30).toFixed(6)]),
    );
  });
});

describe('training statistics', () => {
  // 1500 training steps in checkpoints of 500 (16 users a round): the bandits' exploration shrinks as they learn.
  for (const [kind, stat] of [
    ['ucb1', 'bonus'],
    ['thompson', 'posteriorSd'],
    ['linucb', 'bonus'],
    ['epsilon-greedy', 'epsilon'],
  ] as const) {
    it(`${kind} reports ${stat} at every checkpoint after the first${kind === 'epsilon-greedy' ? '' : ', shrinking as it learns'}`, () => {
      const config = validateConfig(learnerConfig(8, [{ name: kind, kind }]), 'test.yaml');
      const { curve } = runAgentSeed(config, 0, 0, defaultRegistries);
      const values = curve!.slice(1).map((checkpoint) => checkpoint.stats[stat]);
      expect(values).toHaveLength(3);
      for (const value of values) expect(Number.isFinite(value)).toBe(true);
      if (kind === 'epsilon-greedy') for (const value of values) expect(value).toBeCloseTo(0.1, 12);
      else expect(values[2]).toBeLessThan(values[0]);
    });
  }
});

describe('config: the training block', () => {
  const issues = (raw: object): string[] => {
    try {
      validateConfig(raw, 'c.yaml');
    } catch (error) {
      if (error instanceof ConfigError) return [...error.issues];
      throw error;
    }
    return [];
  };
  const base = { world: banditWorld, agents: [{ name: 'l', kind: 'linucb' }] };

  it('asks for a training block when an agent learns', () => {
    expect(issues(base)).toEqual([
      'c.yaml: agents[0].kind: agent "linucb" learns: add a training block, e.g. training: { steps: 100000 } (slatelab list shows its fields), or start it from a saved agent with init:',
    ]);
  });

  it('needs exactly one budget, and evalEvery with an episodes budget', () => {
    expect(issues({ ...base, training: {} })[0]).toContain('training: give a budget: steps');
    expect(issues({ ...base, training: { steps: 10, episodes: 10 } })[0]).toContain(
      'give one budget, steps or episodes, not both',
    );
    expect(issues({ ...base, training: { episodes: 10 } })[0]).toContain(
      'training.evalEvery: needed with an episodes budget',
    );
    expect(issues({ ...base, training: { steps: 10, batchsize: 4 } })[0]).toContain(
      'training.batchsize: unknown field',
    );
    expect(issues({ ...base, training: { steps: 10, evalEpisodes: 500 } })[0]).toContain(
      'training.evalEpisodes: 500 is more than evaluation.episodes (100)',
    );
  });

  it('fills defaults: 20 checkpoints, 100 evaluation users at most, a training batch of 64', () => {
    const config = validateConfig({ ...base, training: { steps: 1000 }, evaluation: { episodes: 40 } }, 'c.yaml');
    expect(config.training).toEqual({ steps: 1000, episodes: null, batchSize: 64, evalEvery: 50, evalEpisodes: 40 });
    expect(config.agents[0]).toMatchObject({ learns: true, streamKey: 'linucb' });
  });

  it('shrinks the checkpoints with a smaller run asked for by --episodes', () => {
    const file = fileURLToPath(new URL('../../../experiments/bandits.yaml', import.meta.url));
    expect(loadConfig(file, defaultRegistries, { episodes: 20 }).training!.evalEpisodes).toBe(20);
    expect(loadConfig(file).training!.evalEpisodes).toBe(100);
  });

  it('says when a bandit cannot run in a world, and how to fix it', () => {
    const fresh = {
      ...base,
      world: { preset: 'bandit' },
      agents: [{ name: 'u', kind: 'ucb1' }],
      training: { steps: 100 },
    };
    expect(issues(fresh)[0]).toContain('agents[0].kind: agent "ucb1" cannot run in world "bandit": nothing recurs');
    expect(issues(fresh)[0]).toContain('world.params.catalog');
    const wide = { ...base, world: { preset: 'feed' }, training: { steps: 100 } };
    expect(issues(wide)).toEqual([
      'c.yaml: agents[0].params.features: agent "linucb" cannot run in world "feed" this way: features: outer gives 16 x 20 = 320 features here (at most 256); use features: product',
    ]);
  });
});

/** The feed with every switch of its run-metrics tally and every episode started while it is on recorded. */
function tallySpy(log: { batchSize: number; event: string; episode?: number }[]): Registries {
  const feed = worlds.feed as WorldDefinition<any>;
  const spy: WorldDefinition<any> = {
    ...feed,
    create: (values, options) => {
      const env = feed.create(values, options) as FeedEnv;
      const { batchSize } = options;
      let on = false;
      const [start, stop, resetRow] = [
        env.startRunMetrics.bind(env),
        env.stopRunMetrics.bind(env),
        env.resetRow.bind(env),
      ];
      env.startRunMetrics = () => {
        on = true;
        log.push({ batchSize, event: 'start' });
        start();
      };
      env.stopRunMetrics = () => {
        on = false;
        log.push({ batchSize, event: 'stop' });
        stop();
      };
      env.resetRow = (row, episode) => {
        if (on) log.push({ batchSize, event: 'episode', episode });
        resetRow(row, episode);
      };
      return env;
    },
  };
  return { ...defaultRegistries, worlds: { feed: spy } };
}

describe("training runs: the world's run metrics", () => {
  const smallFeed = { preset: 'feed', params: { horizonDays: 2, creators: 80, posts: 1500 } };

  it("cover the final evaluation's users alone: not training, not the checkpoints on the same world", () => {
    const log: { batchSize: number; event: string; episode?: number }[] = [];
    const config = validateConfig(
      {
        name: 'tally',
        world: smallFeed,
        seeds: [0],
        agents: [{ name: 'eps', kind: 'epsilon-greedy' }],
        training: { steps: 300, batchSize: 16, evalEvery: 100, evalEpisodes: 4 },
        evaluation: { episodes: 6, batchSize: 3 },
      },
      'test.yaml',
    );
    const result = runAgentSeed(config, 0, 0, tallySpy(log));
    // Checkpoints evaluated 4 users each, 4 times, on the evaluation world: none of them counted.
    expect(result.curve!.length).toBeGreaterThanOrEqual(4);
    expect(log.map((entry) => (entry.event === 'episode' ? entry.episode : entry.event))).toEqual([
      'start',
      0,
      1,
      2,
      3,
      4,
      5,
      'stop',
    ]);
    expect(log.every((entry) => entry.batchSize === 3)).toBe(true);
    expect(Object.keys(result.runMetrics!)).toEqual(ECOSYSTEM_METRICS);
  });

  it('are null in a world without run metrics', () => {
    const config = validateConfig(learnerConfig(8, [{ name: 'random', kind: 'random' }]), 'test.yaml');
    expect(runAgentSeed(config, 0, 0, defaultRegistries).runMetrics).toBeNull();
  });
});
