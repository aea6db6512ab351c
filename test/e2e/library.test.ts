// slatelab as a library: `import { ... } from 'slatelab'` resolves, through package.json `exports`,
// to the JavaScript that `npm run build` emits into dist/ (npm ci runs it as `prepare`). Examples
// run with plain node (no tsx) from a folder outside the project, as a user's project runs them.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtIsCurrent } from '../../bin/built.js';
import { createPolicy, defaultParams, mean, policies, runEpisodes, worlds } from '../../index.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Written by every build (each starts from an empty dist/). */
const BUILT = join(ROOT, 'dist', 'index.js');

/** The README's "Use as a library" example, read from the README: an experiment from a config object. */
const README_EXAMPLE = (() => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use as a library'));
  const block = /```js\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README.md: no ```js block under "## Use as a library"');
  return block[1];
})();

/** A fixed policy evaluated in a world instance through the loop, without the runner. */
const EVALUATE_EXAMPLE = `
import { createPolicy, defaultParams, mean, policies, runEpisodes, worlds } from 'slatelab';

const seed = { experiment: 0, run: 3 };
const world = worlds.bandit;
const env = world.create(defaultParams(world.params), { seed, batchSize: 16 });
const oracle = policies['oracle-myopic'];
const policy = createPolicy(oracle, defaultParams(oracle.params), env);
const records = runEpisodes(env, policy, { episodes: 40, seed, streamKey: 'oracle-myopic' });
console.log(mean(records.map((record) => record.return)));
`;

/**
 * Runs `npm run build` (what npm ci's prepare runs) when dist/ is missing or was built from other
 * sources (bin/built.js: a hash of the inputs): a full type-check and emit, 10-20 s on two cores.
 */
function ensureBuilt(): void {
  if (existsSync(BUILT) && builtIsCurrent()) return;
  try {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'pipe' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(
      `npm run build failed, so dist/ (what \`import 'slatelab'\` loads) is stale:\n${stdout ?? ''}${stderr ?? ''}`,
    );
  }
}

/** Runs `source` as an .mjs file in `dir` with plain node (no tsx loader) and returns its stdout. */
function runNode(dir: string, name: string, source: string): string {
  const file = join(dir, name);
  writeFileSync(file, source);
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  try {
    return execFileSync(process.execPath, [file], { cwd: dir, env, stdio: 'pipe' }).toString();
  } catch (error) {
    const { stderr } = error as { stderr?: Buffer };
    throw new Error(`node ${name} failed:\n${stderr ?? ''}`);
  }
}

describe('slatelab as a library', () => {
  let project: string;

  beforeAll(() => {
    ensureBuilt();
    // A user's project: slatelab in its node_modules (a symlink, as `npm install <folder>` makes).
    project = mkdtempSync(join(tmpdir(), 'slatelab-library-'));
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(ROOT, join(project, 'node_modules', 'slatelab'), 'junction');
  }, 120_000);

  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('runs the README example: an experiment on worker threads, with its result files', () => {
    const printed = runNode(project, 'readme-example.mjs', README_EXAMPLE);
    const outDir = join(project, 'results', 'library-example');
    const summary = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as {
      agents: Record<string, { return: { mean: number; n: number } }>;
    };
    expect(Number(printed.trim())).toBe(summary.agents.linucb.return.mean);
    expect(summary.agents.linucb.return.n).toBe(2);
    expect(Number.isFinite(summary.agents.random.return.mean)).toBe(true);
    const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as {
      complete: boolean;
      failures: unknown[];
      slatelab: string;
    };
    expect(manifest.failures).toEqual([]);
    expect(manifest.complete).toBe(true);
    expect(manifest.slatelab).toBe(
      (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version,
    );
  });

  it("records git only from its own repository: a copy installed in a user's git project says null, not the project's commit", () => {
    // A user's git project with a commit, and slatelab copied (not linked) into its node_modules.
    const user = mkdtempSync(join(tmpdir(), 'slatelab-user-git-'));
    try {
      const git = (...args: string[]) => execFileSync('git', args, { cwd: user, stdio: 'pipe' }).toString().trim();
      git('init', '-q');
      writeFileSync(join(user, 'notes.txt'), 'mine\n');
      git('add', '.');
      git('-c', 'user.name=u', '-c', 'user.email=u@example.com', 'commit', '-qm', 'mine');
      const installed = join(user, 'node_modules', 'slatelab');
      cpSync(join(ROOT, 'dist'), join(installed, 'dist'), { recursive: true });
      cpSync(join(ROOT, 'package.json'), join(installed, 'package.json'));
      const ask = (results: string) =>
        JSON.parse(
          runNode(
            user,
            'where.mjs',
            `const { environmentInfo } = await import(${JSON.stringify(pathToFileURL(results).href)});\nconsole.log(JSON.stringify(await environmentInfo()));\n`,
          ),
        ) as { gitCommit: string | null; gitDirty: boolean | null };
      expect(ask(join(installed, 'dist', 'lab', 'store', 'provenance.js'))).toMatchObject({
        gitCommit: null,
        gitDirty: null,
      });
      // The clone itself (a git repository here) does record its commit.
      const own = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
      if (own.status === 0)
        expect(ask(join(ROOT, 'dist', 'lab', 'store', 'provenance.js')).gitCommit).toBe(own.stdout.trim());
    } finally {
      rmSync(user, { recursive: true, force: true });
    }
  });

  it('the command runs the build when it is current, and gives the same results as from the sources', () => {
    const config = join(project, 'tiny.yaml');
    writeFileSync(
      config,
      'world: { preset: bandit, params: { catalog: 30 } }\nseeds: 2\nagents: [{ name: random, kind: random }, { name: lin, kind: linucb }]\ntraining: { steps: 2000 }\nevaluation: { episodes: 40 }\n',
    );
    const run = (out: string, env: Record<string, string>) => {
      const result = spawnSync(
        process.execPath,
        [join(ROOT, 'bin', 'slatelab.js'), 'run', config, '--out', out, '--threads', '1'],
        { cwd: project, encoding: 'utf8', env: { ...process.env, ...env } },
      );
      expect(result.status, result.stderr).toBe(0);
    };
    run(join(project, 'built'), {});
    run(join(project, 'sources'), { SLATELAB_FROM_SOURCE: '1' });
    const code = (dir: string) =>
      (JSON.parse(readFileSync(join(project, dir, 'manifest.json'), 'utf8')) as { code: string }).code;
    expect([code('built'), code('sources')]).toEqual(['dist', 'sources']);
    for (const file of [
      'runs/random/seed-0.jsonl',
      'runs/lin/seed-1.jsonl',
      'runs/lin/seed-1.curve.jsonl',
      'runs/lin/seed-1.agent.json',
      'summary.json',
      'report.md',
    ]) {
      expect(readFileSync(join(project, 'built', file), 'utf8'), file).toBe(
        readFileSync(join(project, 'sources', file), 'utf8'),
      );
    }
  });

  it('evaluates a policy in a world to the same number as the TypeScript sources', () => {
    const printed = runNode(project, 'evaluate-example.mjs', EVALUATE_EXAMPLE).trim();
    // The same computation in this process, from the sources: the build must not change a number.
    const seed = { experiment: 0, run: 3 };
    const world = worlds.bandit;
    const env = world.create(defaultParams(world.params), { seed, batchSize: 16 });
    const oracle = policies['oracle-myopic'];
    const policy = createPolicy(oracle, defaultParams(oracle.params), env);
    const records = runEpisodes(env, policy, { episodes: 40, seed, streamKey: 'oracle-myopic' });
    expect(printed).toBe(String(mean(records.map((record) => record.return))));
  });
});
