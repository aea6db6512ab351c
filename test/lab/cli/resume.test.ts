// Resume, report and compare in-process, through `program(argv, io)` (cli.ts): an experiment
// interrupted mid-way is finished by `slatelab resume` with the same summary, charts and reports,
// byte for byte, as an uninterrupted run; `slatelab report` rebuilds them from the records alone.
// The same as child processes, killed with SIGKILL: test/e2e/resume.test.ts.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { slatelab } from './in-process.ts';

const scratch = mkdtempSync(join(tmpdir(), 'slatelab-resume-in-process-'));
const config = join(scratch, 'resume.yaml');
const full = join(scratch, 'full');

/** Every file under dir but the manifest and the timeline (the commands' own provenance, hosts and times), by relative path. */
function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(dir, relative), { withFileTypes: true })) {
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path);
      else if (!['manifest.json', 'timeline.json'].includes(path)) out[path] = readFileSync(join(dir, path), 'base64');
    }
  };
  walk('');
  return out;
}

beforeAll(async () => {
  // 3 agents x 2 seeds, two of them learning (curves and saved agents).
  writeFileSync(
    config,
    [
      'name: resume-test',
      'world: { preset: bandit, params: { catalog: 30, dim: 3, candidates: 8, slateSize: 2, horizon: 20 } }',
      'seeds: 2',
      'agents:',
      '  - { name: random, kind: random }',
      '  - { name: lin, kind: linucb }',
      '  - { name: eps, kind: epsilon-greedy }',
      'training: { steps: 3000, batchSize: 16, evalEvery: 1000, evalEpisodes: 20 }',
      'evaluation: { episodes: 200 }',
      '',
    ].join('\n'),
  );
  const { code, stderr } = await slatelab(['run', config, '--out', full]);
  expect(code, stderr).toBe(0);
}, 120_000);

describe('slatelab resume, in-process', () => {
  it('finishes an interrupted experiment: only the missing runs run, and every result file is byte-identical to an uninterrupted run', async () => {
    const out = join(scratch, 'interrupted');
    let sent = false;
    const first = await slatelab(['run', config, '--out', out], (text) => {
      if (!sent && text.includes('[2/6]')) {
        sent = true;
        process.emit('SIGINT', 'SIGINT');
      }
    });
    expect(first.code).toBe(130);
    const stopped = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      complete: boolean;
      runs: unknown[];
    };
    expect(stopped.complete).toBe(false);
    expect(stopped.runs.length).toBeGreaterThanOrEqual(2);
    expect(stopped.runs.length).toBeLessThan(6);
    // What a write cut short by a kill would leave (files are written to a temporary name, then renamed).
    writeFileSync(join(out, 'runs', 'random', 'seed-1.jsonl.tmp-99999'), '{"episode": 0, "ret');
    // And a finished run's records damaged since (cut short, as by a power loss): that run runs again.
    const damaged = join(out, 'runs', 'random', 'seed-0.jsonl');
    writeFileSync(damaged, readFileSync(damaged, 'utf8').split('\n').slice(0, 100).join('\n'));
    const kept = stopped.runs.length - 1;
    const resumed = await slatelab(['resume', out]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`${out}: ${kept} of 6 runs had finished; running the other ${6 - kept}`);
    // Only the missing runs ran: the progress lines count from the kept ones.
    expect(resumed.stderr).not.toMatch(new RegExp(`\\[${kept}/6\\]`));
    expect(resumed.stderr).toContain('[6/6]');
    expect(resumed.stdout).toContain(`results: ${out} (open ${join(out, 'report.html')} in a browser`);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      complete: boolean;
      runs: unknown[];
      resumes: { runs: number }[];
    };
    expect(manifest.complete).toBe(true);
    expect(manifest.runs).toHaveLength(6);
    expect(manifest.resumes).toEqual([expect.objectContaining({ runs: 6 - kept })]);
    const a = files(full);
    const b = files(out);
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    expect(Object.keys(a)).toEqual(
      expect.arrayContaining([
        'summary.json',
        'summary.csv',
        'report.md',
        'report.html',
        'charts/compare-return.png',
        'runs/lin/seed-1.agent.json',
      ]),
    );
    for (const file of Object.keys(a)) expect(b[file], file).toBe(a[file]);
  });

  it('says so, one line and exit 2, for a world this version lacks, or no directory', async () => {
    const gone = join(scratch, 'gone');
    cpSync(full, gone, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(gone, 'manifest.json'), 'utf8')) as {
      config: { world: { preset: string } };
    };
    manifest.config.world.preset = 'atlantis';
    writeFileSync(join(gone, 'manifest.json'), JSON.stringify(manifest));
    expect(await slatelab(['resume', gone])).toMatchObject({
      code: 2,
      stderr: `slatelab: ${gone}: world "atlantis" is not in this version of slatelab\n`,
    });
    expect(await slatelab(['resume'])).toMatchObject({
      code: 2,
      stderr:
        "slatelab: resume: name an experiment's results directory, e.g. slatelab resume results/quickstart/20261130-101500\n",
    });
  });
});

describe('one slatelab per experiment directory, in-process', () => {
  it('refuses to resume or report a directory another live slatelab holds, and takes over the lock of one that died', async () => {
    const busy = join(scratch, 'busy');
    cpSync(full, busy, { recursive: true });
    // A live process other than this one (its parent) stands for another slatelab holding it.
    const holder = process.ppid;
    writeFileSync(join(busy, '.lock'), `${holder}\n`);
    for (const command of ['resume', 'report']) {
      expect(await slatelab([command, busy])).toMatchObject({
        code: 2,
        stderr: `slatelab: ${busy} is in use by another slatelab process (pid ${holder}); wait for it to finish or stop it (if no slatelab runs there, delete ${join(busy, '.lock')})\n`,
      });
    }
    // A process id that is no longer running: its lock is stale.
    writeFileSync(join(busy, '.lock'), '999999999\n');
    expect((await slatelab(['report', busy])).code).toBe(0);
    expect(existsSync(join(busy, '.lock'))).toBe(false);
  });
});

describe('slatelab report, in-process', () => {
  it('rebuilds the summary, charts and reports from the records, byte for byte', async () => {
    const copy = join(scratch, 'copy');
    cpSync(full, copy, { recursive: true });
    for (const file of ['summary.json', 'summary.csv', 'report.md', 'report.html']) rmSync(join(copy, file));
    rmSync(join(copy, 'charts'), { recursive: true });
    const { code, stdout, stderr } = await slatelab(['report', copy]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(`report: ${copy} (6 of 6 runs; open ${join(copy, 'report.html')} in a browser)`);
    expect(files(copy)).toEqual(files(full));
  });
});

describe('slatelab compare, in-process', () => {
  it('prints two experiments side by side: here the same one twice, so no differences and every difference 0', async () => {
    const { code, stdout, stderr } = await slatelab(['compare', full, full]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('No differences: same config, seeds and versions.');
    expect(stdout).toMatch(/B − A paired by seed/);
    expect(stdout).toMatch(/\n {2}lin +\S+ ± \S+ +\S+ ± \S+ +0\n/);
  });

  it('refuses a directory without results, one line and exit 2', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'slatelab-empty-'));
    const { code, stderr } = await slatelab(['compare', full, empty]);
    expect(code).toBe(2);
    expect(stderr.split('\n')).toHaveLength(2);
    expect(stderr).toContain(empty);
  });
});
