// The command line end to end, as a user runs it: `node bin/slatelab.js ...` in a child process.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { agents } from '../../agents/index.ts';
import { policies } from '../../policies/index.ts';
import { worlds } from '../../sim/presets/index.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

function slatelab(...args: string[]) {
  const result = spawnSync(process.execPath, [join(root, 'bin/slatelab.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const scratch = mkdtempSync(join(tmpdir(), 'slatelab-e2e-'));

describe('slatelab list', () => {
  it('prints every registered world and policy with their parameters', () => {
    const { code, stdout } = slatelab('list');
    expect(code).toBe(0);
    for (const name of [...Object.keys(worlds), ...Object.keys(policies)]) expect(stdout).toContain(`  ${name}`);
    // a parameter line: name, then its description with type, range and default
    expect(stdout).toMatch(/\n\s+candidates\s+documents offered per step .*\(int 1\.\.10000; default 10\)/);
    // Every parameter shows its type: booleans and unbounded numbers too.
    expect(stdout).toMatch(/\n\s+resampleDocuments\s+.*\(true or false; default true\)/);
    expect(stdout).toMatch(/\n\s+minUtility\s+mean quality of the worst cluster \(number; default -3\)/);
  });

  it("prints each world's observation layout: feature columns, context and named fields", () => {
    const { stdout } = slatelab('list');
    expect(stdout).toMatch(
      /userFeatures: history\.0, history\.1, history\.2, \.\.\., history\.12, history\.13, history\.14, history\.15 \(16\): the user's engagement history/,
    );
    expect(stdout).toContain(
      'itemFeatures: topic.0, topic.1, topic.2, ..., format.photo, format.video, format.reel, lengthMinutes (20)',
    );
    expect(stdout).toContain(
      'fields.source [per candidate]: the retrieval source that proposed the post (0 following, 1 topic, 2 trending, 3 fresh, 4 random)',
    );
    expect(stdout).toContain('fields.sessionPosts [per row]:');
    expect(stdout).toContain('userFeatures: none: the user is hidden, as in RecSim');
  });

  it('prints every learning agent with its family, what it learns and its hyper-parameters, and the training block', () => {
    const { stdout } = slatelab('list');
    for (const [name, agent] of Object.entries(agents))
      expect(stdout).toContain(`  ${name} [${agent.family}]: ${agent.summary}`);
    expect(stdout).toMatch(/\n\s+alpha\s+width of the confidence bound.*\(number >= 0; default 0\.5\)/);
    expect(stdout).toMatch(/\n\s+evalEvery\s+training steps between checkpoints/);
  });
});

describe('slatelab run', () => {
  it('runs a tiny experiment, prints where the results are and the summary table', () => {
    const out = join(scratch, 'tiny');
    const { code, stdout, stderr } = slatelab(
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
    );
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

  it('reports a bad config as one line per problem, exit 2, no stack trace', () => {
    const file = join(scratch, 'bad.yaml');
    writeFileSync(file, 'world: { preset: recsim-interest-evolutoin }\nagents: [{ name: random, kind: random }]\n');
    const { code, stdout, stderr } = slatelab('run', file);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `slatelab: ${file}: world.preset: unknown world "recsim-interest-evolutoin"; known: ${Object.keys(worlds).join(', ')} (did you mean "recsim-interest-evolution"?)\n`,
    );
  });

  it('rejects a bad option value with exit 2', () => {
    const { code, stderr } = slatelab('run', 'experiments/recsim-parity.yaml', '--episodes', '0');
    expect(code).toBe(2);
    expect(stderr).toBe('slatelab: --episodes: expected a whole number >= 1, got "0"\n');
  });
});

describe('slatelab run, interrupted', () => {
  it('stops on Ctrl-C, writes the summary of the runs that finished, and exits 130', async () => {
    const out = join(scratch, 'interrupted');
    // 2 agents x 6 seeds of 3,000 RecSim episodes on one thread: a run takes a moment, the lot far longer.
    const child = spawn(
      process.execPath,
      [
        join(root, 'bin/slatelab.js'),
        'run',
        'experiments/recsim-parity.yaml',
        '--out',
        out,
        '--seeds',
        '6',
        '--episodes',
        '3000',
        '--threads',
        '1',
      ],
      { cwd: root },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      // Interrupt as soon as the first run has finished.
      if (!stderr.includes('[1/12]') && (stderr + text).includes('[1/12]')) child.kill('SIGINT');
      stderr += text;
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(stderr).toContain('slatelab: interrupted; writing the summary of the runs that finished');
    expect(stderr).toMatch(/slatelab: interrupted: \d+ of 12 runs finished; the summary covers them/);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      complete: boolean;
      runs: unknown[];
      interrupted: unknown[];
    };
    expect(manifest.complete).toBe(false);
    expect(manifest.runs.length).toBeGreaterThanOrEqual(1);
    expect(manifest.runs.length + manifest.interrupted.length).toBe(12);
    expect(existsSync(join(out, 'summary.json'))).toBe(true);
  }, 60_000);
});

describe('slatelab run, interrupted during its only run', () => {
  it('notices Ctrl-C while the run is going (runs are on a worker thread) and exits 130', async () => {
    const out = join(scratch, 'interrupted-one');
    const file = join(scratch, 'one-run.yaml');
    // One run far longer than the test: without a prompt interrupt this would time out.
    writeFileSync(
      file,
      'world: { preset: recsim-interest-evolution }\nseeds: [0]\nagents: [{ name: random, kind: random }]\nevaluation: { episodes: 1000000 }\n',
    );
    const child = spawn(process.execPath, [join(root, 'bin/slatelab.js'), 'run', file, '--out', out], { cwd: root });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      if (!stderr.includes('(1 run)') && (stderr + text).includes('(1 run)'))
        setTimeout(() => child.kill('SIGINT'), 1500);
      stderr += text;
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    expect(stderr).toContain('slatelab: interrupted: 0 of 1 runs finished');
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      complete: boolean;
      interrupted: unknown[];
    };
    expect(manifest).toMatchObject({ complete: false, interrupted: [{ agent: 'random', seed: 0 }] });
  }, 60_000);
});

describe('slatelab usage errors', () => {
  it('answers an unknown command with one line and exit 2', () => {
    const { code, stderr } = slatelab('frobnicate');
    expect(code).toBe(2);
    expect(stderr).toBe(
      'slatelab: unknown command "frobnicate"; commands: run, resume, report, compare, list, bench, calibrate, new-policy, try, evaluate, obp-synthetic, merge, slurm, kubernetes (slatelab --help shows them)\n',
    );
  });

  it('shows the help for --help and -h, exit 0', () => {
    for (const flag of ['--help', '-h']) {
      const { code, stdout } = slatelab('run', flag);
      expect(code).toBe(0);
      expect(stdout).toContain('slatelab run <config>');
      expect(stdout).toContain('--episodes');
    }
  });
});

describe('slatelab bench', () => {
  it('prints exactly {"<world>/<policy>": {"stepsPerSecond": n}} with --json', () => {
    const { code, stdout } = slatelab(
      'bench',
      '--json',
      '--seconds',
      '0.05',
      '--only',
      'recsim-interest-evolution/random',
    );
    expect(code).toBe(0);
    const results = JSON.parse(stdout) as Record<string, { stepsPerSecond: number }>;
    expect(Object.keys(results)).toEqual(['recsim-interest-evolution/random']);
    expect(Object.keys(results['recsim-interest-evolution/random'])).toEqual(['stepsPerSecond']);
    expect(results['recsim-interest-evolution/random'].stepsPerSecond).toBeGreaterThan(0);
  });

  it('refuses --against a directory that is not a checkout, saying how to make one', () => {
    const { code, stderr } = slatelab('bench', '--against', '/nonexistent/dir');
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      'slatelab: --against: /nonexistent/dir is not a slatelab checkout (no sim/presets/index.ts); make one with: git worktree add /nonexistent/dir <commit>',
    );
  });

  it('shows the median, the spread of the timed windows and the target in its table', () => {
    const { code, stdout } = slatelab('bench', '--seconds', '0.05', '--only', 'feed/random');
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
