// What a run leaves behind and how the CLI guards it: fresh output directories, a manifest that
// follows the runs as they finish, episodes cut by the safety valve, option values as typed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../lab/config/config.ts';
import type { Registries } from '../../../lab/config/registries.ts';
import { program as main } from '../../../cli.ts';
import type { Io } from '../../../lab/cli/io.ts';
import { claimDefaultOutDir, claimOutDir, OutDirError } from '../../../lab/store/outdir.ts';
import { formatInterval } from '../../../lab/report/tables.ts';
import { runExperiment } from '../../../lab/run/runner.ts';
import { randomPolicy } from '../../../policies/random.ts';
import { feed } from '../../../sim/feed/env.ts';
import { recsimInterestEvolution } from '../../../sim/presets/recsim-interest-evolution.ts';

const scratch = mkdtempSync(join(tmpdir(), 'slatelab-outputs-'));
const registries: Registries = {
  worlds: { 'recsim-interest-evolution': recsimInterestEvolution },
  policies: { random: randomPolicy },
};

function capture(): Io & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => out.push(t), stderr: (t) => err.push(t), stderrIsTTY: false };
}

const tinyConfig = (extra: Record<string, unknown> = {}) => ({
  name: 'outputs-test',
  world: { preset: 'recsim-interest-evolution' },
  seeds: [0, 1],
  agents: [{ name: 'random', kind: 'random' }],
  evaluation: { episodes: 6, batchSize: 3, ...extra },
});

function configFile(name: string, extra: Record<string, unknown> = {}): string {
  const file = join(scratch, name);
  writeFileSync(file, JSON.stringify(tinyConfig(extra)));
  return file;
}

describe('output directories', () => {
  it('gives two runs started in the same second two directories', () => {
    const root = join(scratch, 'results');
    const now = new Date(Date.UTC(2026, 10, 30, 3, 4, 5));
    const first = claimDefaultOutDir('x', now, root);
    const second = claimDefaultOutDir('x', now, root);
    expect(first).toBe(join(root, 'x', '20261130-030405'));
    expect(second).toBe(join(root, 'x', '20261130-030405-2'));
  });

  it('takes a new or empty --out, and refuses one that holds files or is a file', () => {
    expect(claimOutDir(join(scratch, 'new', 'nested'))).toBe(join(scratch, 'new', 'nested'));
    // A new directory is claimed too: a second run naming it cannot take it.
    expect(() => claimOutDir(join(scratch, 'new', 'nested'))).toThrow(/already holds files/);
    const empty = join(scratch, 'empty');
    mkdirSync(empty);
    expect(claimOutDir(empty)).toBe(empty);
    // Claimed at once (two runs started on one empty directory cannot both take it).
    expect(() => claimOutDir(empty)).toThrow(/already holds files/);
    const used = join(scratch, 'used');
    mkdirSync(used);
    writeFileSync(join(used, 'summary.json'), '{}');
    expect(() => claimOutDir(used)).toThrow(
      new OutDirError(
        `--out ${used}: already holds files (an earlier run's results?); name a new or empty directory (slatelab never writes over results)`,
      ),
    );
    const file = join(scratch, 'a-file');
    writeFileSync(file, '');
    expect(() => claimOutDir(file)).toThrow(/is a file, not a directory/);
    expect(() => claimOutDir(join(file, 'below'))).toThrow(/is a file, not a directory/);
    expect(() => claimOutDir('  ')).toThrow('--out: needs a directory name');
  });

  it('refuses --out on a system file system instead of hanging', () => {
    expect(() => claimOutDir('/proc/slatelab-results')).toThrow(/system file system/);
  });

  it('makes `slatelab run --out` into a used directory exit 2 with one line, before running', async () => {
    const used = join(scratch, 'used-cli');
    mkdirSync(used);
    writeFileSync(join(used, 'notes.txt'), 'mine');
    const io = capture();
    const code = await main(['run', configFile('used.json'), '--out', used], io, registries);
    expect(code).toBe(2);
    expect(io.err).toEqual([
      `slatelab: --out ${used}: already holds files (an earlier run's results?); name a new or empty directory (slatelab never writes over results)\n`,
    ]);
    expect(readFileSync(join(used, 'notes.txt'), 'utf8')).toBe('mine');
  });
});

describe('option values, as typed', () => {
  const file = configFile('options.json');
  const cases: [string[], string][] = [
    [['--seeds', 'abc'], '--seeds: expected a whole number >= 1, got "abc"'],
    [['--seeds', '1.5'], '--seeds: expected a whole number >= 1, got "1.5"'],
    [['--seeds', '0x2'], '--seeds: expected a whole number >= 1, got "0x2"'],
    [['--episodes', '0'], '--episodes: expected a whole number >= 1, got "0"'],
    [['--episodes', '-1'], '--episodes: expected a whole number >= 1, got "-1"'],
    [['--threads', ''], '--threads: needs a whole number >= 1, e.g. --threads 4'],
    [['--out'], '--out: needs a directory, e.g. --out results/mine'],
    [['--out', 'a', '--out', 'b'], '--out: given 2 times; give it once'],
  ];
  it('checks bench options the same way', async () => {
    const bench = async (...args: string[]) => {
      const io = capture();
      expect(await main(['bench', ...args], io, registries)).toBe(2);
      return io.err.at(-1);
    };
    expect(await bench('--seconds', 'abc')).toBe('slatelab: --seconds: expected a positive number, got "abc"\n');
    expect(await bench('--seconds', '0')).toBe('slatelab: --seconds: expected a positive number, got "0"\n');
    expect(await bench('--only')).toBe('slatelab: --only: needs a world/policy, e.g. --only feed/random\n');
  });
  for (const [args, message] of cases) {
    it(`rejects ${args.join(' ') || '""'} with exit 2: ${message}`, async () => {
      const io = capture();
      expect(await main(['run', file, ...args], io, registries)).toBe(2);
      expect(io.err.at(-1)).toBe(`slatelab: ${message}\n`);
    });
  }

  it('names an unknown command, a missing config and an unknown option in words a user can act on', async () => {
    const last = async (argv: string[]) => {
      const io = capture();
      expect(await main(argv, io, registries)).toBe(2);
      return io.err.at(-1);
    };
    expect(await last(['frobnicate'])).toBe(
      'slatelab: unknown command "frobnicate"; commands: run, resume, report, compare, list, bench, calibrate (slatelab --help shows them)\n',
    );
    expect(await last(['run'])).toBe(
      'slatelab: run: name an experiment config, e.g. slatelab run experiments/quickstart.yaml\n',
    );
    expect(await last(['run', file, '--sedes', '2'])).toBe(
      'slatelab: unknown option --sedes; slatelab run --help lists the options\n',
    );
    expect(await last(['--sedes', '2', 'run', file])).toBe(
      'slatelab: unknown option --sedes; slatelab run --help lists the options\n',
    );
    expect(await last(['--verbose', 'frobnicate'])).toBe(
      'slatelab: unknown command "frobnicate"; commands: run, resume, report, compare, list, bench, calibrate (slatelab --help shows them)\n',
    );
    expect(await last(['--verbose', 'run'])).toBe(
      'slatelab: run: name an experiment config, e.g. slatelab run experiments/quickstart.yaml\n',
    );
    expect(await last(['list', '-xy'])).toBe(
      'slatelab: unknown option -x, -y; slatelab list --help lists the options\n',
    );
    expect(await last(['list', '--no-foo'])).toBe(
      'slatelab: unknown option --no-foo; slatelab list --help lists the options\n',
    );
    expect(await last(['run', file, 'extra.yaml'])).toBe(
      'slatelab: unexpected argument "extra.yaml"; slatelab run --help shows what run takes\n',
    );
    expect(await last(['list', 'foo'])).toBe(
      'slatelab: unexpected argument "foo"; slatelab list --help shows what list takes\n',
    );
  });
});

describe('the manifest while runs finish', () => {
  it('lists each finished run as it settles, and says complete only once everything is written', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'slatelab-manifest-'));
    const config = validateConfig(tinyConfig(), 'test.json', registries);
    const seen: { runs: number; complete: boolean }[] = [];
    const readManifest = () =>
      JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as {
        runs: unknown[];
        complete: boolean;
        gitDirty: boolean | null;
        gitCommit: string | null;
      };
    await runExperiment({
      config,
      outDir,
      registries,
      charts: false,
      progress: {
        line: () => {
          const manifest = readManifest();
          seen.push({ runs: manifest.runs.length, complete: manifest.complete });
        },
      },
    });
    // What an interrupted experiment would have left after each run.
    expect(seen).toEqual([
      { runs: 1, complete: false },
      { runs: 2, complete: false },
    ]);
    const manifest = readManifest();
    expect(manifest.complete).toBe(true);
    // Whether the source differed from the recorded commit, as git itself says.
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const status = execFileSync('git', ['status', '--porcelain'], { cwd: root }).toString().trim();
    expect(manifest.gitDirty).toBe(manifest.gitCommit === null ? null : status !== '');
  });
});

describe('an interrupted experiment (Ctrl-C)', () => {
  it('summarises the runs that finished, lists the others as interrupted, and is not complete', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'slatelab-interrupt-'));
    const config = validateConfig({ ...tinyConfig(), seeds: [0, 1, 2] }, 'test.json', registries);
    const stop = new AbortController();
    const outcome = await runExperiment({
      config,
      outDir,
      registries,
      charts: false,
      signal: stop.signal,
      progress: { line: () => stop.abort() },
    });
    expect(outcome.interrupted).toEqual([
      { agent: 'random', seed: 1 },
      { agent: 'random', seed: 2 },
    ]);
    const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as {
      complete: boolean;
      runs: { seed: number }[];
      interrupted: unknown[];
    };
    expect(manifest.complete).toBe(false);
    expect(manifest.runs.map((run) => run.seed)).toEqual([0]);
    expect(manifest.interrupted).toEqual(outcome.interrupted);
    const summary = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as {
      agents: { random: { return: { n: number; ci95: unknown } } };
    };
    expect(summary.agents.random.return.n).toBe(1);
    expect(summary.agents.random.return.ci95).toBeNull();
    expect((summary.agents.random.return as unknown as { sd: unknown }).sd).toBeNull();
    expect(readFileSync(join(outDir, 'report.md'), 'utf8')).toContain(
      '- random, seed 2: did not finish: the experiment was interrupted',
    );
  });
});

describe('episodes cut by evaluation.maxStepsPerEpisode', () => {
  it('are marked in the records and the manifest, and `slatelab run` warns', async () => {
    const out = join(scratch, 'truncated');
    const io = capture();
    // RecSim's users last far more than 3 steps (a 200-minute budget): every episode is cut.
    const code = await main(
      ['run', configFile('cut.json', { maxStepsPerEpisode: 3 }), '--out', out, '--threads', '1'],
      io,
      registries,
    );
    expect(code).toBe(0);
    const records = readFileSync(join(out, 'runs/random/seed-0.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { length: number; truncated?: boolean });
    expect(records.map((r) => [r.length, r.truncated])).toEqual(Array(6).fill([3, true]));
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      runs: { truncatedEpisodes: number }[];
    };
    expect(manifest.runs.map((run) => run.truncatedEpisodes)).toEqual([6, 6]);
    expect(io.err.join('')).toContain(
      'slatelab: warning: 12 episodes were cut at evaluation.maxStepsPerEpisode (3 steps)',
    );
    expect(
      (JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { truncatedEpisodes: number }).truncatedEpisodes,
    ).toBe(12);
    for (const report of ['report.md', 'report.html']) {
      expect(readFileSync(join(out, report), 'utf8')).toContain(
        'Warning: 12 episodes were cut at evaluation.maxStepsPerEpisode',
      );
    }
  });

  it('are not marked when the world ends them', async () => {
    const out = join(scratch, 'whole');
    const io = capture();
    expect(await main(['run', configFile('whole.json'), '--out', out, '--threads', '1'], io, registries)).toBe(0);
    expect(readFileSync(join(out, 'runs/random/seed-0.jsonl'), 'utf8')).not.toContain('truncated');
    expect(readFileSync(join(out, 'report.md'), 'utf8')).not.toContain('Warning');
    expect(io.err.join('')).not.toContain('warning');
  });
});

describe('large runs', () => {
  it('summarise 150,000 episodes of one run (per-episode spreads once overflowed the stack)', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'slatelab-large-'));
    // One step per episode (cut by the safety valve) keeps this quick.
    const config = validateConfig(
      { ...tinyConfig({ episodes: 150_000, batchSize: 1024, maxStepsPerEpisode: 1 }), seeds: [0] },
      'test.json',
      registries,
    );
    const outcome = await runExperiment({ config, outDir, registries, charts: false });
    expect(outcome.failures).toEqual([]);
    expect(outcome.summary.agents.random.episodeLength.mean).toBe(1);
    expect(outcome.truncatedEpisodes).toBe(150_000);
  }, 60_000);
});

describe('daily series', () => {
  it('count a user as active on a day with a request, whatever the reward', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'slatelab-daily-'));
    const withFeed: Registries = { worlds: { feed }, policies: { random: randomPolicy } };
    // Every reward weight 0: no reward at all, yet every user visits on day 0 (the first session).
    const reward = { view: 0, skip: 0, watchMinutes: 0, like: 0, comment: 0, share: 0, follow: 0, seeLess: 0 };
    const config = validateConfig(
      {
        name: 'daily',
        world: { preset: 'feed', params: { reward } },
        seeds: [0, 1],
        agents: [{ name: 'random', kind: 'random' }],
        evaluation: { episodes: 30 },
      },
      'test.json',
      withFeed,
    );
    const { summary } = await runExperiment({ config, outDir, registries: withFeed, charts: false });
    const { reward: perDay, active } = summary.daily.random;
    expect(perDay.every((day) => day.mean === 0)).toBe(true);
    expect(active[0].mean).toBe(1);
    // Later days: some users come back, some do not.
    expect(active.slice(1).some((day) => day.mean > 0 && day.mean < 1)).toBe(true);
    // Exactly the share of users with a request on the day, per seed, then averaged over seeds;
    // users away on a day before their last one (gap days: common) do not count.
    const perSeed = [0, 1].map((seed) =>
      readFileSync(join(outDir, `runs/random/seed-${seed}.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { length: number; dailySteps: number[] }),
    );
    for (const records of perSeed)
      for (const record of records) expect(record.dailySteps.reduce((a, b) => a + b, 0)).toBe(record.length);
    expect(perSeed.flat().some((record) => record.dailySteps.slice(0, -1).includes(0))).toBe(true);
    active.forEach((day, index) => {
      const shares = perSeed.map(
        (records) => records.filter((record) => (record.dailySteps[index] ?? 0) > 0).length / records.length,
      );
      expect(day.mean).toBeCloseTo((shares[0] + shares[1]) / 2, 12);
    });
  });
});

describe('table cells', () => {
  it('show a one-seed metric without an interval, and never "-0"', () => {
    expect(formatInterval({ mean: 39.9, ci95: null, n: 1 })).toBe('39.90 (1 seed)');
    expect(formatInterval({ mean: -0.3, ci95: [-11.3, 10.7], n: 3 })).toBe('0 ± 11');
    expect(formatInterval({ mean: -3, ci95: [-14, 8], n: 3 })).toBe('-3 ± 11');
  });

  it("show rounding noise around an exact 0 (an oracle's regret) as 0", () => {
    expect(formatInterval({ mean: 3e-16, ci95: [-2e-16, 8e-16], n: 8 })).toBe('0');
    expect(formatInterval({ mean: 3e-12, ci95: [-1.6e-12, 7.6e-12], n: 8 })).toBe('0');
    expect(formatInterval({ mean: 2e-7, ci95: [1e-7, 3e-7], n: 8 })).toBe('2.00e-7 ± 1.0e-7');
    // A small but real interval keeps its digits.
    expect(formatInterval({ mean: 0.002, ci95: [0.001, 0.003], n: 8 })).toBe('0.0020 ± 0.0010');
  });
});
