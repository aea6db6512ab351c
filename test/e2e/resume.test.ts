// Long experiments you can trust, end to end through the command line: an experiment killed with
// SIGKILL mid-way is finished by `slatelab resume` with the same summary, charts and reports, byte
// for byte, as an uninterrupted run; `slatelab report` rebuilds them from the records alone.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const RESULTS_HINT = 'give the output directory of slatelab run (its --out, or results/<name>/<time>)';
const scratch = mkdtempSync(join(tmpdir(), 'slatelab-resume-'));
const config = join(scratch, 'resume.yaml');

function slatelab(...args: string[]) {
  const result = spawnSync(process.execPath, [join(root, 'bin/slatelab.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

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

const full = join(scratch, 'full');
beforeAll(() => {
  // 3 agents x 3 seeds, two of them learning (curves and saved agents): each run takes a moment.
  writeFileSync(
    config,
    [
      'name: resume-test',
      'world: { preset: bandit, params: { catalog: 30, dim: 3, candidates: 8, slateSize: 2, horizon: 20 } }',
      'seeds: 3',
      'agents:',
      '  - { name: random, kind: random }',
      '  - { name: lin, kind: linucb }',
      '  - { name: eps, kind: epsilon-greedy }',
      'training: { steps: 30000, batchSize: 16, evalEvery: 10000, evalEpisodes: 50 }',
      'evaluation: { episodes: 3000 }',
      '',
    ].join('\n'),
  );
  const { code, stderr } = slatelab('run', config, '--out', full, '--threads', '1');
  expect(code, stderr).toBe(0);
}, 120_000);

describe('slatelab resume', () => {
  it('finishes an experiment killed with SIGKILL: only the missing runs run, and every result file is byte-identical to an uninterrupted run', async () => {
    const out = join(scratch, 'killed');
    const child = spawn(
      process.execPath,
      [join(root, 'bin/slatelab.js'), 'run', config, '--out', out, '--threads', '1'],
      { cwd: root },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      // Kill it hard as soon as two runs have finished: no handler runs, nothing is summarised.
      if (!stderr.includes('[2/9]') && (stderr + text).includes('[2/9]')) child.kill('SIGKILL');
      stderr += text;
    });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('close', (_code, killed) => resolve(killed)),
    );
    expect(signal).toBe('SIGKILL');
    const killed = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      complete: boolean;
      runs: unknown[];
    };
    expect(killed.complete).toBe(false);
    expect(killed.runs.length).toBeGreaterThanOrEqual(2);
    expect(killed.runs.length).toBeLessThan(9);
    expect(existsSync(join(out, 'summary.json'))).toBe(false);

    // What a write cut short by the kill would leave (files are written to a temporary name, then renamed).
    writeFileSync(join(out, 'runs', 'random', 'seed-2.jsonl.tmp-99999'), '{"episode": 0, "ret');
    // And a finished run's records damaged since (cut short, as by a power loss): that run runs again.
    const damaged = join(out, 'runs', 'random', 'seed-0.jsonl');
    writeFileSync(damaged, readFileSync(damaged, 'utf8').split('\n').slice(0, 100).join('\n'));
    const kept = killed.runs.length - 1;
    // As if another version had started it: the manifest keeps what started it, and says what resumed it.
    const started = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(
      join(out, 'manifest.json'),
      JSON.stringify({ ...started, slatelab: '0.0.1', gitCommit: '1'.repeat(40) }, null, 2),
    );
    const resumed = slatelab('resume', out, '--threads', '2');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`${out}: ${kept} of 9 runs had finished; running the other ${9 - kept}`);
    // Only the missing runs ran: the progress lines count from the kept ones.
    expect(resumed.stderr).not.toMatch(new RegExp(`\\[${kept}/9\\]`));
    expect(resumed.stderr).toContain('[9/9]');
    expect(resumed.stdout).toContain(`results: ${out} (open ${join(out, 'report.html')} in a browser`);
    expect(resumed.stderr).toContain(`warning: ${out} was started by slatelab 0.0.1 at commit 111111111111`);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      complete: boolean;
      runs: unknown[];
      slatelab: string;
      gitCommit: string;
      resumes: { slatelab: string; runs: number }[];
    };
    expect(manifest).toMatchObject({ complete: true, slatelab: '0.0.1', gitCommit: '1'.repeat(40) });
    expect(manifest.resumes).toEqual([
      expect.objectContaining({
        slatelab: started.slatelab,
        gitCommit: started.gitCommit,
        node: process.version,
        runs: 9 - kept,
      }),
    ]);
    expect(manifest.runs).toHaveLength(9);
    // The config goes back as it was read, byte for byte, under the format (the manifest's first key).
    expect(JSON.stringify((manifest as { config?: unknown }).config)).toBe(JSON.stringify(started.config));
    expect(Object.keys(manifest)[0]).toBe('format');
    // compare says that its runs come from two versions.
    const compared = slatelab('compare', full, out);
    expect(compared.code, compared.stderr).toBe(0);
    // (Either says "(uncommitted changes)" when the tree was dirty: gitDirty is kept with the rest.)
    expect(compared.stdout).toMatch(
      new RegExp(
        `B was resumed by another version \\(slatelab ${String(started.slatelab).replaceAll('.', '\\.')} at commit ${String(started.gitCommit).slice(0, 12)}( \\(uncommitted changes\\))?\\) ` +
          `for ${9 - kept} runs; it started as slatelab 0\\.0\\.1 at commit 111111111111( \\(uncommitted changes\\))?: its runs come from more than one version\\.`,
      ),
    );
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
        'runs/lin/seed-2.agent.json',
      ]),
    );
    // The reports show what started the experiment (here, as if slatelab 0.0.1 at commit 111...): the
    // same pages once that provenance is put back as the uninterrupted run's.
    const version = {
      'report.md': (v: string) => `- slatelab: ${v}\n`,
      'report.html': (v: string) => `<th scope="row">slatelab</th><td>${v}</td>`,
    };
    for (const [report, line] of Object.entries(version)) {
      const text = Buffer.from(b[report], 'base64').toString('utf8');
      expect(text).toContain(line('0.0.1'));
      expect(text).toContain('1'.repeat(40));
      const restored = text
        .replace(line('0.0.1'), line(String(started.slatelab)))
        .replace('1'.repeat(40), String(started.gitCommit));
      b[report] = Buffer.from(restored, 'utf8').toString('base64');
    }
    for (const file of Object.keys(a)) expect(b[file], file).toBe(a[file]);
  }, 180_000);

  it('says so, one line and exit 2, for a directory that is not an experiment, or one of a world this version lacks', () => {
    const gone = join(scratch, 'gone');
    spawnSync('cp', ['-r', full, gone]);
    const manifest = JSON.parse(readFileSync(join(gone, 'manifest.json'), 'utf8')) as {
      config: { world: { preset: string } };
    };
    manifest.config.world.preset = 'atlantis';
    writeFileSync(join(gone, 'manifest.json'), JSON.stringify(manifest));
    expect(slatelab('resume', gone)).toMatchObject({
      code: 2,
      stderr: `slatelab: ${gone}: world "atlantis" is not in this version of slatelab\n`,
    });
    const empty = mkdtempSync(join(tmpdir(), 'slatelab-empty-'));
    expect(slatelab('resume', empty)).toMatchObject({
      code: 2,
      stderr: `slatelab: ${empty}: not an experiment's results (no manifest.json); ${RESULTS_HINT}\n`,
    });
    expect(slatelab('resume')).toMatchObject({
      code: 2,
      stderr:
        "slatelab: resume: name an experiment's results directory, e.g. slatelab resume results/quickstart/20261130-101500\n",
    });
  });
});

describe('one slatelab process per experiment directory', () => {
  it('refuses to resume or report a directory another live slatelab holds, and takes over the lock of one that died', () => {
    const busy = join(scratch, 'busy');
    spawnSync('cp', ['-r', full, busy]);
    // This test's own process stands for a live slatelab holding it.
    writeFileSync(join(busy, '.lock'), `${process.pid}\n`);
    for (const command of ['resume', 'report']) {
      expect(slatelab(command, busy)).toMatchObject({
        code: 2,
        stderr: `slatelab: ${busy} is in use by another slatelab process (pid ${process.pid}); wait for it to finish or stop it (if no slatelab runs there, delete ${join(busy, '.lock')})\n`,
      });
    }
    // A process id that is no longer running: its lock is stale.
    writeFileSync(join(busy, '.lock'), '999999999\n');
    expect(slatelab('report', busy).code).toBe(0);
    expect(existsSync(join(busy, '.lock'))).toBe(false);
  }, 120_000);
});

describe('slatelab report', () => {
  it('rebuilds the summary, charts and reports from the records, byte for byte', () => {
    const copy = join(scratch, 'copy');
    const result = spawnSync('cp', ['-r', full, copy]);
    expect(result.status).toBe(0);
    for (const file of ['summary.json', 'summary.csv', 'report.md', 'report.html']) rmSync(join(copy, file));
    rmSync(join(copy, 'charts'), { recursive: true });
    const { code, stdout, stderr } = slatelab('report', copy);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(`report: ${copy} (9 of 9 runs; open ${join(copy, 'report.html')} in a browser)`);
    expect(files(copy)).toEqual(files(full));
  }, 120_000);
});

describe('slatelab compare', () => {
  it('prints two experiments side by side: here the same one twice, so no differences and every difference 0', () => {
    const { code, stdout, stderr } = slatelab('compare', full, full);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('No differences: same config, seeds and versions.');
    expect(stdout).toMatch(/B − A paired by seed/);
    expect(stdout).toMatch(/\n {2}lin +\S+ ± \S+ +\S+ ± \S+ +0\n/);
  });

  it('refuses a directory without results, one line and exit 2', () => {
    const empty = mkdtempSync(join(tmpdir(), 'slatelab-empty-'));
    const { code, stderr } = slatelab('compare', full, empty);
    expect(code).toBe(2);
    expect(stderr.split('\n')).toHaveLength(2);
    expect(stderr).toContain(empty);
  });
});
