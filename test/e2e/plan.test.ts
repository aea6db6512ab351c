// `slatelab run` planning as a user runs it: `node bin/slatelab.js ...` in a child process refuses a
// config that would not fit before anything runs, and `--dry-run` prints the plan and writes nothing.
// The same in-process: test/lab/run/plan.test.ts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'slatelab-plan-'));

function slatelab(...args: string[]) {
  const result = spawnSync(process.execPath, [join(root, 'bin/slatelab.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('slatelab run, before anything runs', () => {
  it('refuses a config whose batch x candidates would not fit, exit 2, one line, no results directory', () => {
    const file = join(scratch, 'huge.yaml');
    const out = join(scratch, 'huge-out');
    // About 10 GB: 65,536 users stepped together, 10,000 candidates each. The budget is given, so the test does not
    // depend on this machine's memory.
    writeFileSync(
      file,
      'world: { preset: feed, params: { candidates: 10000, posts: 30000 } }\nseeds: 1\nagents: [{ name: random, kind: random }]\nevaluation: { episodes: 65536, batchSize: 65536 }\n',
    );
    const { code, stderr } = slatelab('run', file, '--out', out, '--max-memory', '4G');
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(
      /^slatelab: the experiment needs about [\d.]+ GB of memory \(this process 175 MB and one run; the largest, random, about [\d.]+ GB, most of it world feed x 65536 evaluation rows: [\d.]+ GB\), more than the budget of 4.00 GB \(--max-memory\); lower evaluation.batchSize/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('--max-memory sets the budget; a bad size is named', () => {
    const small = slatelab('run', 'experiments/quickstart.yaml', '--max-memory', '1M', '--out', join(scratch, 'never'));
    expect(small.code).toBe(2);
    expect(small.stderr).toMatch(/more than the budget of 1.00 MB \(--max-memory\)/);
    expect(slatelab('run', 'experiments/quickstart.yaml', '--max-memory', 'lots')).toMatchObject({
      code: 2,
      stderr: 'slatelab: --max-memory: expected a size like 6G, 800M or 2e9 (bytes), got "lots"\n',
    });
  });

  it("--dry-run validates, prints each agent's runs, memory and time and the totals, and writes nothing", () => {
    const file = join(scratch, 'dry.yaml');
    writeFileSync(
      file,
      'name: dry\nworld: { preset: bandit, params: { catalog: 30 } }\nseeds: 3\nagents: [{ name: random, kind: random }, { name: lin, kind: linucb }]\ntraining: { steps: 20000 }\nevaluation: { episodes: 200 }\n',
    );
    const {
      status: code,
      stdout,
      stderr,
    } = spawnSync(process.execPath, [join(root, 'bin/slatelab.js'), 'run', file, '--dry-run', '--threads', '1'], {
      cwd: scratch,
      encoding: 'utf8',
      timeout: 120_000,
    });
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
    expect(existsSync(join(scratch, 'results'))).toBe(false);
  });

  it('--dry-run of runs that would be refused prints their memory, samples nothing, and fails as run would: exit 2, the refusal on stderr', () => {
    // About 10 GB at 65,536 users stepped together: timing a sample would build that world.
    const file = join(scratch, 'dry-huge.yaml');
    writeFileSync(
      file,
      'name: dry\nworld: { preset: feed, params: { candidates: 10000, posts: 30000 } }\nseeds: 1\nagents: [{ name: random, kind: random }]\nevaluation: { episodes: 65536, batchSize: 65536 }\n',
    );
    const {
      status: code,
      stdout,
      stderr,
    } = spawnSync(process.execPath, [join(root, 'bin/slatelab.js'), 'run', file, '--dry-run', '--max-memory', '4G'], {
      cwd: scratch,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(code, stderr).toBe(2);
    expect(stdout).toMatch(/\nrandom +random +1 +[\d.]+ GB +— +not timed: would not fit\n/);
    expect(stdout).toMatch(
      /\n1 run on 1 thread\nmemory: about [\d.]+ GB at once, of a budget of 4.00 GB \(--max-memory\): TOO MUCH, the run would be refused\n/,
    );
    expect(stderr).toMatch(
      /^slatelab: the experiment needs about [\d.]+ GB of memory .* more than the budget of 4.00 GB \(--max-memory\); .*\n$/,
    );
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(scratch, 'results'))).toBe(false);
  });
});
