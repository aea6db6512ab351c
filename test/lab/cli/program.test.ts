// The command line in-process: `program(argv, io)` (cli.ts), what bin/slatelab.js runs, with its
// output captured. Runs go in-process too (registries other than the defaults never reach a worker
// thread). The same commands as child processes, Ctrl-C as a real signal: test/e2e/cli.test.ts.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { agents } from '../../../agents/index.ts';
import { slatelab } from './in-process.ts';
import { policies } from '../../../policies/index.ts';
import { worlds } from '../../../sim/presets/index.ts';

const scratch = mkdtempSync(join(tmpdir(), 'slatelab-program-'));

describe('slatelab list, in-process', () => {
  it("prints every world, policy and learning agent with their parameters, and each world's observation layout", async () => {
    const { code, stdout } = await slatelab(['list']);
    expect(code).toBe(0);
    for (const name of [...Object.keys(worlds), ...Object.keys(policies)]) expect(stdout).toContain(`  ${name}`);
    expect(stdout).toMatch(/\n\s+candidates\s+documents offered per step .*\(int 1\.\.10000; default 10\)/);
    expect(stdout).toMatch(/\n\s+resampleDocuments\s+.*\(true or false; default true\)/);
    expect(stdout).toMatch(/\n\s+minUtility\s+mean quality of the worst cluster \(number; default -3\)/);
    expect(stdout).toContain(
      'itemFeatures: topic.0, topic.1, topic.2, ..., format.photo, format.video, format.reel, lengthMinutes (20)',
    );
    expect(stdout).toContain('userFeatures: none: the user is hidden, as in RecSim');
    for (const [name, agent] of Object.entries(agents))
      expect(stdout).toContain(`  ${name} [${agent.family}]: ${agent.summary}`);
    expect(stdout).toMatch(/\n\s+evalEvery\s+training steps between checkpoints/);
  });
});

describe('slatelab run, in-process', () => {
  it('runs a tiny experiment, prints where the results are and the summary table', async () => {
    const out = join(scratch, 'tiny');
    const { code, stdout, stderr } = await slatelab([
      'run',
      'experiments/recsim-parity.yaml',
      '--out',
      out,
      '--seeds',
      '2',
      '--episodes',
      '20',
      '--batch-size',
      '4',
    ]);
    expect(stderr).not.toContain('slatelab:');
    expect(code).toBe(0);
    expect(stdout).toContain(`results: ${out}`);
    expect(stdout).toMatch(/\nagent\s+return\s+episodeLength\s+clicks\s+clickRate\s+meanClickedQuality\n/);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
      seeds: number[];
      episodes: number;
      agents: Record<string, unknown>;
    };
    expect(summary.seeds).toEqual([0, 1]);
    expect(summary.episodes).toBe(20);
    expect(Object.keys(summary.agents)).toEqual(['random', 'myopic']);
    expect(existsSync(join(out, 'runs/myopic/seed-1.jsonl'))).toBe(true);
  });

  it('reports a bad config as one line per problem, exit 2, nothing on stdout', async () => {
    const file = join(scratch, 'bad.yaml');
    writeFileSync(file, 'world: { preset: recsim-interest-evolutoin }\nagents: [{ name: random, kind: random }]\n');
    const { code, stdout, stderr } = await slatelab(['run', file]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `slatelab: ${file}: world.preset: unknown world "recsim-interest-evolutoin"; known: ${Object.keys(worlds).join(', ')} (did you mean "recsim-interest-evolution"?)\n`,
    );
  });

  it('on Ctrl-C stops starting runs, writes the summary of the runs that finished, and exits 130', async () => {
    const out = join(scratch, 'interrupted');
    // 2 agents x 3 seeds, in-process: the signal arrives as the first run ends; the run going then finishes.
    let sent = false;
    const { code, stderr } = await slatelab(
      ['run', 'experiments/recsim-parity.yaml', '--out', out, '--seeds', '3', '--episodes', '10'],
      (text) => {
        if (!sent && text.includes('[1/6]')) {
          sent = true;
          process.emit('SIGINT', 'SIGINT');
        }
      },
    );
    expect(sent).toBe(true);
    expect(code).toBe(130);
    expect(stderr).toContain(
      'slatelab: interrupted; writing the summary of the runs that finished (Ctrl-C again to quit now)',
    );
    expect(stderr).toMatch(/slatelab: interrupted: \d+ of 6 runs finished; the summary covers them/);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      complete: boolean;
      runs: unknown[];
      interrupted: unknown[];
    };
    expect(manifest.complete).toBe(false);
    expect(manifest.runs.length).toBeGreaterThanOrEqual(1);
    expect(manifest.runs.length).toBeLessThan(6);
    expect(manifest.runs.length + manifest.interrupted.length).toBe(6);
    expect(existsSync(join(out, 'summary.json'))).toBe(true);
    // The handler is gone once the command returns.
    expect(process.listenerCount('SIGINT')).toBe(0);
  });
});

describe('slatelab usage, in-process', () => {
  it('shows the help for --help and -h, exit 0', async () => {
    // yargs prints the help with console.log, not through the Io.
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      for (const flag of ['--help', '-h']) {
        log.mockClear();
        const { code, stdout } = await slatelab(['run', flag]);
        const help = stdout + log.mock.calls.map((call) => call.join(' ')).join('\n');
        expect(code).toBe(0);
        expect(help).toContain('slatelab run <config>');
        expect(help).toContain('--episodes');
      }
    } finally {
      log.mockRestore();
    }
  });
});

describe('slatelab bench, in-process', () => {
  it('prints exactly {"<world>/<policy>": {"stepsPerSecond": n}} with --json', async () => {
    const { code, stdout } = await slatelab([
      'bench',
      '--json',
      '--seconds',
      '0.05',
      '--only',
      'recsim-interest-evolution/random',
    ]);
    expect(code).toBe(0);
    const results = JSON.parse(stdout) as Record<string, { stepsPerSecond: number }>;
    expect(Object.keys(results)).toEqual(['recsim-interest-evolution/random']);
    expect(Object.keys(results['recsim-interest-evolution/random'])).toEqual(['stepsPerSecond']);
    expect(results['recsim-interest-evolution/random'].stepsPerSecond).toBeGreaterThan(0);
  });

  it('refuses --against a directory that is not a checkout, saying how to make one', async () => {
    const { code, stderr } = await slatelab(['bench', '--against', '/nonexistent/dir']);
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      'slatelab: --against: /nonexistent/dir is not a slatelab checkout (no sim/presets/index.ts); make one with: git worktree add /nonexistent/dir <commit>',
    );
  });

  it('shows the median, the spread of the timed windows and the target in its table', async () => {
    const { code, stdout } = await slatelab(['bench', '--seconds', '0.05', '--only', 'feed/random']);
    expect(code).toBe(0);
    const row = stdout.split('\n').find((line) => line.startsWith('feed/random'));
    expect(row).toBeDefined();
    const [, median, spread, , target] = row!.trim().split(/\s+/);
    const [low, high] = spread.split('-').map(Number);
    expect(low).toBeLessThanOrEqual(Number(median));
    expect(high).toBeGreaterThanOrEqual(Number(median));
    expect(target).toBe('250000');
  });
});
