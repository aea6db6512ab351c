// Planning before running (lab/run/plan.ts): the memory each run holds, measured from its world and
// agent at two batch sizes; a config that would not fit is refused before anything runs, one line
// with the estimate and the fix; `run --dry-run` prints runs, memory and time and runs nothing.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { program } from '../../../cli.ts';
import type { Io } from '../../../lab/cli/io.ts';
import { defaultRegistries, type Registries } from '../../../lab/config/registries.ts';
import { validateConfig } from '../../../lab/config/config.ts';
import {
  clusterLines,
  experimentSeconds,
  checkMemory,
  estimateMemory,
  estimateTime,
  formatBytes,
  parseBytes,
  peakMemory,
  PlanError,
} from '../../../lab/run/plan.ts';
import type { AgentDefinition } from '../../../agents/agent.ts';
import { defaultParams } from '../../../sim/params.ts';

const scratch = mkdtempSync(join(tmpdir(), 'slatelab-plan-'));

/** `slatelab ARGS...` in this process (cli.ts), its output captured. */
async function slatelab(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { stdout: (text) => void out.push(text), stderr: (text) => void err.push(text), stderrIsTTY: false };
  const code = await program(args, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const feedConfig = (batchSize: number, candidates = 50) =>
  validateConfig(
    {
      world: { preset: 'feed', params: { candidates } },
      seeds: 2,
      agents: [
        { name: 'random', kind: 'random' },
        { name: 'pctr', kind: 'pctr' },
      ],
      training: { steps: 1000, batchSize: 64 },
      evaluation: { episodes: 1000, batchSize },
    },
    'plan.yaml',
  );

describe('the memory of a run', () => {
  it("grows with the rows stepped together, per world row as measured, and counts the agent's log", () => {
    const small = estimateMemory(feedConfig(64), defaultRegistries);
    const large = estimateMemory(feedConfig(4096), defaultRegistries);
    const world = (runs: typeof small, agent: number) =>
      runs[agent].parts.find((part) => part.what.includes('evaluation rows'))!.bytes;
    // The feed holds under a kB per row at 50 candidates (the candidates' observation and the users' state; measured
    // 770 B).
    const perRow = (world(large, 0) - world(small, 0)) / (4096 - 64);
    expect(perRow).toBeGreaterThan(300);
    expect(perRow).toBeLessThan(25e3);
    // pctr's log: 100,000 impressions x (52 features + a target) in float32, about 21 MB.
    const agent = small[1].parts.find((part) => part.what === 'agent pctr')!.bytes;
    expect(agent).toBeGreaterThan(0.8 * 100_000 * 53 * 4);
    expect(agent).toBeLessThan(1.5 * 100_000 * 53 * 4 + 5e6);
    expect(small[0].parts.some((part) => part.what.startsWith('agent'))).toBe(false);
    expect(small[1].bytes).toBeGreaterThan(small[0].bytes);
  });

  it('every agent declares its memory (its arrays live in closures, out of reach of a count), growing with the batch', () => {
    const spec = feedConfig(64);
    const world = defaultRegistries.worlds.feed.create(spec.world.params, {
      seed: { experiment: 0, run: 0 },
      batchSize: 1,
    }).spec;
    for (const [kind, definition] of Object.entries(defaultRegistries.agents!)) {
      expect(definition.memory, kind).toBeTypeOf('function');
      const values = {
        ...defaultParams(definition.params),
        ...(kind === 'linucb' || kind === 'lin-ts' ? { features: 'product' } : {}),
      };
      const small = definition.memory!(values, { ...world, batchSize: 1 });
      const large = definition.memory!(values, { ...world, batchSize: 1000 });
      expect(small, kind).toBeGreaterThan(0);
      expect(large, kind).toBeGreaterThan(small);
    }
  });

  it('adds up the largest runs that share the machine, one per thread', () => {
    const runs = [100, 300, 200].map((bytes, i) => ({
      agent: `a${i}`,
      bytes,
      parts: [{ what: 'x', bytes, fix: null }],
      runs: 1,
    }));
    expect([peakMemory(runs, 1), peakMemory(runs, 2), peakMemory(runs, 8)]).toEqual([300, 500, 600]);
    // Several seeds of one agent run at once: two of the 300s on two threads.
    const seeded = runs.map((run) => ({ ...run, runs: 5 }));
    expect([peakMemory(seeded, 1), peakMemory(seeded, 2), peakMemory(seeded, 8)]).toEqual([
      300,
      600,
      5 * 300 + 3 * 200,
    ]);
  });

  it('refuses runs over the budget with the estimate, what takes it and the fixes', () => {
    const runs = estimateMemory(feedConfig(64), defaultRegistries);
    expect(() => checkMemory(runs, 2, 10e9)).not.toThrow();
    expect(() => checkMemory(runs, 2, 200e6)).toThrow(PlanError);
    // The thread's own 64 MB takes most (no config fix lowers it); pctr's log comes next. This
    // process and one run fit in 300 MB: one thread would do.
    expect(() => checkMemory(runs, 2, 300e6)).toThrow(
      /^the experiment needs about \S+ MB of memory \(this process 175 MB and 2 runs at once; the largest, pctr, about \S+ MB, most of it the thread: 64.0 MB\), more than the budget of 300 MB \(--max-memory\); lower agents\[1\].params.logSize, run fewer at once \(--threads 1\), or raise the budget \(--max-memory 1.00 GB\)$/,
    );
    // In 200 MB not even one run fits beside this process: fewer threads are not offered.
    expect(() => checkMemory(runs, 2, 200e6)).toThrow(
      /; lower agents\[1\].params.logSize, or raise the budget \(--max-memory 1.00 GB\)$/,
    );
    // A budget below this process's own memory: no run's fix can help.
    expect(() => checkMemory(runs, 2, 1e6)).toThrow(
      /more than the budget of 1.00 MB \(--max-memory\); raise the budget \(--max-memory 1.00 GB\)$/,
    );
  });

  it("names the parameter that sizes an agent's memory, and no budget beyond the machine's memory", () => {
    const config = validateConfig(
      {
        name: 'replay',
        world: { preset: 'recsim-interest-evolution' },
        seeds: 2,
        agents: [
          { name: 'random', kind: 'random' },
          { name: 'slateq', kind: 'slateq', params: { replayCapacity: 100_000_000 } },
        ],
        training: { steps: 1000 },
        evaluation: { episodes: 100 },
      },
      'replay.yaml',
    );
    const runs = estimateMemory(config, defaultRegistries);
    // A hundred million transitions of RecSim's observations: about 180 GB a run.
    const needed = peakMemory(runs, 1);
    expect(needed).toBeGreaterThan(100e9);
    expect(() => checkMemory(runs, 1, 1e9)).toThrow(
      /most of it agent slateq: \S+ GB\), more than the budget of 1.00 GB \(--max-memory\); lower agents\[1\].params.replayCapacity, or /,
    );
    // A larger budget is offered only up to this machine's memory (or its container's limit).
    let message = '';
    try {
      checkMemory(runs, 1, 1e9);
    } catch (error) {
      message = (error as Error).message;
    }
    const offered = /raise the budget \(--max-memory (\S+) GB\)$/.exec(message);
    if (offered) expect(Number(offered[1]) * 1e9).toBeLessThanOrEqual(totalmem());
    else
      expect(message).toMatch(
        new RegExp(
          `use a machine with more than ${formatBytes(needed + 175e6).replace('.', '\\.')} of memory \\(this one has [\\d.]+ GB\\)$`,
        ),
      );
  });

  it('reads sizes as a user types them', () => {
    expect(['6G', '800M', '1.5GB', '2e9', '512k', '3gib'].map(parseBytes)).toEqual([
      6e9, 800e6, 1.5e9, 2e9, 512e3, 3e9,
    ]);
    expect(['', 'lots', '-1G', '0'].map(parseBytes)).toEqual([null, null, null, null]);
    expect([formatBytes(999), formatBytes(2.5e6), formatBytes(1.234e10)]).toEqual(['1 kB', '2.50 MB', '12.3 GB']);
  });
});

describe('the time of a run, from a short sample', () => {
  /** UCB1 made slower round by round (a wait growing with its rounds), declaring refits or not. */
  const slowing = (updateEvery: boolean): Registries => {
    const ucb1 = defaultRegistries.agents!.ucb1;
    const definition: AgentDefinition<any> = {
      ...ucb1,
      ...(updateEvery ? { updateEvery: () => 64 } : {}),
      create: (values, context) => {
        const agent = ucb1.create(values, context);
        let rounds = 0;
        return {
          ...agent,
          update: (round) => {
            // 40 us more each round: growth that dominates the round's other costs even on a busy machine,
            // where fewer rounds fit in the sample (4 us grew too little there: 1.1x, under the 1.2x threshold).
            const until = performance.now() + 0.04 * ++rounds;
            while (performance.now() < until);
            return agent.update!(round);
          },
        };
      },
    };
    return { ...defaultRegistries, agents: { ...defaultRegistries.agents, ucb1: definition } };
  };
  const config = (registries: Registries) =>
    validateConfig(
      {
        world: { preset: 'bandit', params: { catalog: 20 } },
        seeds: 1,
        agents: [{ name: 'u', kind: 'ucb1' }],
        training: { steps: 2_000_000, batchSize: 64 },
        evaluation: { episodes: 10 },
      },
      'time.yaml',
      registries,
    );
  const perStep = (how: string) => Number(/^([\d.]+) us\/training step/.exec(how)![1]) * 1e-6;

  it('extrapolates a cost per step that grows only for an agent whose refits grow with its log', () => {
    // Without refits, a slower second half of the sample is taken for noise: the cost per step as sampled.
    const plain = slowing(false);
    const [flat] = estimateTime(config(plain), plain, 0.4);
    expect(flat.how).not.toMatch(/growing/);
    expect(flat.seconds).toBeLessThan(1.1 * perStep(flat.how) * 2_000_000 + 1);
    // With refits declared, the same growth is extrapolated: far more than the flat figure.
    const refitting = slowing(true);
    const [growing] = estimateTime(config(refitting), refitting, 0.4);
    expect(growing.how).toMatch(/us\/training step \(growing with its log\)/);
    expect(growing.seconds).toBeGreaterThan(3 * perStep(growing.how) * 2_000_000);
  });
});

describe('slatelab run, before anything runs (in-process; as a child process: test/e2e/plan.test.ts)', () => {
  it('refuses a config whose batch x candidates would not fit, exit 2, one line, no results directory', async () => {
    const file = join(scratch, 'huge.yaml');
    const out = join(scratch, 'huge-out');
    // About 10 GB: 65,536 users stepped together, 10,000 candidates each. The budget is given, so the test does not
    // depend on this machine's memory.
    writeFileSync(
      file,
      'world: { preset: feed, params: { candidates: 10000, posts: 30000 } }\nseeds: 1\nagents: [{ name: random, kind: random }]\nevaluation: { episodes: 65536, batchSize: 65536 }\n',
    );
    const { code, stderr } = await slatelab('run', file, '--out', out, '--max-memory', '4G');
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(
      /^slatelab: the experiment needs about [\d.]+ GB of memory \(this process 175 MB and one run; the largest, random, about [\d.]+ GB, most of it world feed x 65536 evaluation rows: [\d.]+ GB\), more than the budget of 4.00 GB \(--max-memory\); lower evaluation.batchSize/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('--max-memory sets the budget; a bad size is named', async () => {
    const small = await slatelab(
      'run',
      'experiments/quickstart.yaml',
      '--max-memory',
      '1M',
      '--out',
      join(scratch, 'never'),
    );
    expect(small.code).toBe(2);
    expect(small.stderr).toMatch(/more than the budget of 1.00 MB \(--max-memory\)/);
    expect(await slatelab('run', 'experiments/quickstart.yaml', '--max-memory', 'lots')).toMatchObject({
      code: 2,
      stderr: 'slatelab: --max-memory: expected a size like 6G, 800M or 2e9 (bytes), got "lots"\n',
    });
  });

  it("--dry-run validates, prints each agent's runs, memory and time and the totals, and writes nothing", async () => {
    const file = join(scratch, 'dry.yaml');
    writeFileSync(
      file,
      'name: dry\nworld: { preset: bandit, params: { catalog: 30 } }\nseeds: 3\nagents: [{ name: random, kind: random }, { name: lin, kind: linucb }]\ntraining: { steps: 20000 }\nevaluation: { episodes: 200 }\n',
    );
    const out = join(scratch, 'dry-out');
    const { code, stdout, stderr } = await slatelab('run', file, '--dry-run', '--threads', '1', '--out', out);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^agent +kind +runs +memory per run +time per run +measured\n/);
    expect(stdout).toMatch(
      /\nrandom +random +3 +[\d.]+ [kMG]B +(\d\.\d\d? s|\d+:\d\d) +[\d.]+ ms\/evaluation episode\n/,
    );
    expect(stdout).toMatch(
      /\nlin +linucb +3 +[\d.]+ [kMG]B +(\d\.\d\d? s|\d+:\d\d) +[\d.]+ us\/training step, [\d.]+ ms\/evaluation episode\n/,
    );
    expect(stdout).toMatch(
      /\n6 runs on 1 thread: about \d+:\d\d in all \(rough: from a short sample of each agent on seed 0\)\nmemory: about [\d.]+ MB at once, of a budget of/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('--dry-run of runs that would be refused prints their memory, samples nothing, and fails as run would: exit 2, the refusal on stderr', async () => {
    // About 10 GB at 65,536 users stepped together: timing a sample would build that world.
    const file = join(scratch, 'dry-huge.yaml');
    writeFileSync(
      file,
      'name: dry\nworld: { preset: feed, params: { candidates: 10000, posts: 30000 } }\nseeds: 1\nagents: [{ name: random, kind: random }]\nevaluation: { episodes: 65536, batchSize: 65536 }\n',
    );
    const out = join(scratch, 'dry-huge-out');
    const { code, stdout, stderr } = await slatelab('run', file, '--dry-run', '--max-memory', '4G', '--out', out);
    expect(code, stderr).toBe(2);
    expect(stdout).toMatch(/\nrandom +random +1 +[\d.]+ GB +— +not timed: would not fit\n/);
    expect(stdout).toMatch(
      /\n1 run on 1 thread\nmemory: about [\d.]+ GB at once, of a budget of 4.00 GB \(--max-memory\): TOO MUCH, the run would be refused\n/,
    );
    expect(stderr).toMatch(
      /^slatelab: the experiment needs about [\d.]+ GB of memory .* more than the budget of 4.00 GB \(--max-memory\); .*\n$/,
    );
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });
});

describe('what an experiment costs a cluster (run --dry-run)', () => {
  const times = [
    { agent: 'fast', seconds: 600, how: '' },
    { agent: 'slow', seconds: 1200, how: '' },
  ];

  it('counts CPU-hours and the machines of each size that finish within an hour, one run per core', () => {
    // 20 seeds: 20 x 600 s + 20 x 1200 s = 10 CPU-hours.
    expect(clusterLines(times, 20, 2)).toEqual([
      'cpu: about 10 CPU-hours in all',
      'within an hour: 5 machines of 2 cores (slurm --shards 10), or 2 machines of 8 cores (slurm --shards 16), or 1 machine of 32 cores (one run per core)',
    ]);
    // Each machine count is enough (longest runs first) and one fewer is not.
    expect(experimentSeconds(times, 20, 10)).toBeLessThanOrEqual(3600);
    expect(experimentSeconds(times, 20, 8)).toBeGreaterThan(3600);
    // Two runs of 2400 s cannot share a core within the hour: 3 runs need 3 cores, not 2.
    expect(clusterLines([{ agent: 'a', seconds: 2400, how: '' }], 3, 2)[1]).toBe(
      'within an hour: 2 machines of 2 cores (slurm --shards 3), or 1 machine of 8 cores (one run per core)',
    );
  });

  it('says when a single run takes longer than the hour', () => {
    expect(clusterLines([{ agent: 'long', seconds: 4000, how: '' }], 4, 2)).toEqual([
      'cpu: about 4.4 CPU-hours in all',
      'within an hour: not on any number of machines, as one run of long takes about 1:06:40; with one core per run, about 1:06:40',
    ]);
  });
});
