// What a run leaves behind and how the CLI guards it: fresh output directories, a manifest that
// follows the runs as they finish, episodes cut by the safety valve, option values as typed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateConfig, type Registries } from '../../lab/config.ts';
import { main, type Io } from '../../lab/main.ts';
import { claimDefaultOutDir, claimOutDir, OutDirError } from '../../lab/outdir.ts';
import { formatInterval } from '../../lab/results.ts';
import { runExperiment } from '../../lab/runner.ts';
import { randomPolicy } from '../../policies/random.ts';
import { recsimInterestEvolution } from '../../sim/presets/recsim-interest-evolution.ts';

const scratch = mkdtempSync(join(tmpdir(), 'slatelab-outputs-'));
const registries: Registries = { worlds: { 'recsim-interest-evolution': recsimInterestEvolution }, policies: { random: randomPolicy } };

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
    const empty = join(scratch, 'empty');
    mkdirSync(empty);
    expect(claimOutDir(empty)).toBe(empty);
    // Claimed at once (two runs started on one empty directory cannot both take it).
    expect(() => claimOutDir(empty)).toThrow(/already holds files/);
    const used = join(scratch, 'used');
    mkdirSync(used);
    writeFileSync(join(used, 'summary.json'), '{}');
    expect(() => claimOutDir(used)).toThrow(new OutDirError(`--out ${used}: already holds files (an earlier run's results?); name a new or empty directory (slatelab never writes over results)`));
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
    expect(io.err).toEqual([`slatelab: --out ${used}: already holds files (an earlier run's results?); name a new or empty directory (slatelab never writes over results)\n`]);
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
    expect(await last(['frobnicate'])).toBe('slatelab: unknown command "frobnicate"; commands: run, list, bench (slatelab --help shows them)\n');
    expect(await last(['run'])).toBe('slatelab: run: name an experiment config, e.g. slatelab run experiments/quickstart.yaml\n');
    expect(await last(['run', file, '--sedes', '2'])).toBe('slatelab: unknown option --sedes; slatelab run --help lists the options\n');
    expect(await last(['--sedes', '2', 'run', file])).toBe('slatelab: unknown option --sedes; slatelab --help lists the options\n');
    expect(await last(['run', file, 'extra.yaml'])).toBe('slatelab: unexpected argument "extra.yaml"; slatelab run --help shows what run takes\n');
    expect(await last(['list', 'foo'])).toBe('slatelab: unexpected argument "foo"; slatelab list --help shows what list takes\n');
  });
});

describe('the manifest while runs finish', () => {
  it('lists each finished run as it settles, and says complete only once everything is written', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'slatelab-manifest-'));
    const config = validateConfig(tinyConfig(), 'test.json', registries);
    const seen: { runs: number; complete: boolean }[] = [];
    const readManifest = () => JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as { runs: unknown[]; complete: boolean; gitDirty: boolean | null; gitCommit: string | null };
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
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const status = execFileSync('git', ['status', '--porcelain'], { cwd: root }).toString().trim();
    expect(manifest.gitDirty).toBe(manifest.gitCommit === null ? null : status !== '');
  });
});

describe('an interrupted experiment (Ctrl-C)', () => {
  it('summarises the runs that finished, lists the others as interrupted, and is not complete', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'slatelab-interrupt-'));
    const config = validateConfig({ ...tinyConfig(), seeds: [0, 1, 2] }, 'test.json', registries);
    const stop = new AbortController();
    const outcome = await runExperiment({ config, outDir, registries, charts: false, signal: stop.signal, progress: { line: () => stop.abort() } });
    expect(outcome.interrupted).toEqual([
      { agent: 'random', seed: 1 },
      { agent: 'random', seed: 2 },
    ]);
    const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as { complete: boolean; runs: { seed: number }[]; interrupted: unknown[] };
    expect(manifest.complete).toBe(false);
    expect(manifest.runs.map((run) => run.seed)).toEqual([0]);
    expect(manifest.interrupted).toEqual(outcome.interrupted);
    const summary = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as { agents: { random: { return: { n: number; ci95: unknown } } } };
    expect(summary.agents.random.return.n).toBe(1);
    expect(summary.agents.random.return.ci95).toBeNull();
    expect(readFileSync(join(outDir, 'report.md'), 'utf8')).toContain('- random, seed 2: did not finish: the experiment was interrupted');
  });
});

describe('episodes cut by evaluation.maxStepsPerEpisode', () => {
  it('are marked in the records and the manifest, and `slatelab run` warns', async () => {
    const out = join(scratch, 'truncated');
    const io = capture();
    // RecSim's users last far more than 3 steps (a 200-minute budget): every episode is cut.
    const code = await main(['run', configFile('cut.json', { maxStepsPerEpisode: 3 }), '--out', out, '--threads', '1'], io, registries);
    expect(code).toBe(0);
    const records = readFileSync(join(out, 'runs/random/seed-0.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { length: number; truncated?: boolean });
    expect(records.map((r) => [r.length, r.truncated])).toEqual(Array(6).fill([3, true]));
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { runs: { truncatedEpisodes: number }[] };
    expect(manifest.runs.map((run) => run.truncatedEpisodes)).toEqual([6, 6]);
    expect(io.err.join('')).toContain('slatelab: warning: 12 episodes were cut at evaluation.maxStepsPerEpisode (3 steps)');
  });

  it('are not marked when the world ends them', async () => {
    const out = join(scratch, 'whole');
    const io = capture();
    expect(await main(['run', configFile('whole.json'), '--out', out, '--threads', '1'], io, registries)).toBe(0);
    expect(readFileSync(join(out, 'runs/random/seed-0.jsonl'), 'utf8')).not.toContain('truncated');
    expect(io.err.join('')).not.toContain('warning');
  });
});

describe('table cells', () => {
  it('show a one-seed metric without an interval, and never "-0"', () => {
    expect(formatInterval({ mean: 39.9, ci95: null, n: 1 })).toBe('39.90 (1 seed)');
    expect(formatInterval({ mean: -0.3, ci95: [-11.3, 10.7], n: 3 })).toBe('0 ± 11');
    expect(formatInterval({ mean: -3, ci95: [-14, 8], n: 3 })).toBe('-3 ± 11');
  });
});
