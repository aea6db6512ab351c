// A policy in the user's own file, named by path in a config (lab/config/user-kinds.ts), run by the
// command line as a user runs it: from a folder outside the project, on worker threads.
import { spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtIsCurrent } from '../../bin/built.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Outside the project: no node_modules above it, so `slatelab` resolves only through the runner.
const home = mkdtempSync(join(tmpdir(), 'slatelab-user-policy-'));

function slatelab(cwd: string, ...args: string[]) {
  return slatelabWith({}, cwd, ...args);
}

function slatelabWith(env: Record<string, string>, cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [join(root, 'bin/slatelab.js'), ...args], {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

// A TypeScript policy importing the public API, with a parameter and a local import. It checks that
// the row streams it is given are instances of the Rng class it imported: only the runner's own
// module instance passes.
const POLICY = `import { definePolicy, Rng, type Observation } from 'slatelab';
import { firstK } from './helpers.ts';

export default definePolicy({
  name: 'lowest-first',
  summary: 'the K candidates of lowest index, maybe reversed',
  params: { reverse: { type: 'boolean', default: false, doc: 'reverse the page' } },
  create: (values, { spec }) => ({
    act(observation: Observation, rowRngs: Rng[], slates: Int32Array) {
      if (!(rowRngs[0] instanceof Rng)) throw new Error('another slatelab instance');
      if (process.env.LOWEST_FAILS) throw new Error('told to fail');
      const k = spec.slateSize;
      for (let row = 0; row < observation.active.length; row++) firstK(slates, row, k, values.reverse);
    },
  }),
});
`;
const HELPERS = `export function firstK(slates: Int32Array, row: number, k: number, reverse: boolean): void {
  for (let s = 0; s < k; s++) slates[row * k + s] = reverse ? k - 1 - s : s;
}
`;
// The same policy in plain JavaScript (.mjs), its only export a named one.
const POLICY_MJS = `import { definePolicy } from 'slatelab';
export const lowest = definePolicy({
  name: 'lowest-mjs',
  summary: 'the K candidates of lowest index',
  params: {},
  create: (_values, { spec }) => ({
    act(observation, _rowRngs, slates) {
      const k = spec.slateSize;
      for (let row = 0; row < observation.active.length; row++)
        for (let s = 0; s < k; s++) slates[row * k + s] = s;
    },
  }),
});
`;

function config(agents: string): string {
  return `name: mine
seed: 0
world: { preset: feed }
seeds: 2
agents:
${agents}
evaluation: { episodes: 16, batchSize: 8 }
`;
}

mkdirSync(join(home, 'policies'));
writeFileSync(join(home, 'policies/lowest.ts'), POLICY);
writeFileSync(join(home, 'policies/helpers.ts'), HELPERS);
writeFileSync(join(home, 'policies/lowest.mjs'), POLICY_MJS);
const AGENTS = `  - { name: random, kind: random }
  - { name: lowest, kind: ./policies/lowest.ts }
  - { name: reversed, kind: ./policies/lowest.ts, params: { reverse: true } }
  - { name: lowest-mjs, kind: ./policies/lowest.mjs }`;
writeFileSync(join(home, 'mine.yaml'), config(AGENTS));

describe('a policy in a file, by path', () => {
  it('runs from a folder outside the project on two worker threads, the same records as on one', () => {
    const two = slatelab(home, 'run', 'mine.yaml', '--out', 'two', '--threads', '2');
    expect(two.stderr + two.stdout).toContain('running 8 runs on 2 worker threads');
    expect(two.code, two.stderr).toBe(0);
    const one = slatelab(home, 'run', 'mine.yaml', '--out', 'one', '--threads', '1');
    expect(one.code, one.stderr).toBe(0);
    const summary = (dir: string) => readFileSync(join(home, dir, 'summary.json'), 'utf8');
    expect(summary('two')).toBe(summary('one'));
    const agents = Object.keys(JSON.parse(summary('two')).agents);
    expect(agents).toEqual(['random', 'lowest', 'reversed', 'lowest-mjs']);
    // The .ts and the .mjs file play the same pages: the same records.
    const records = (dir: string, agent: string) =>
      readFileSync(join(home, dir, 'runs', agent, 'seed-0.jsonl'), 'utf8');
    expect(records('two', 'lowest')).toBe(records('two', 'lowest-mjs'));
    expect(records('two', 'lowest')).not.toBe(records('two', 'reversed'));
  });

  it("validates the file's declared parameters like a built-in's, in one line naming the field", () => {
    writeFileSync(
      join(home, 'bad-param.yaml'),
      config('  - { name: lowest, kind: ./policies/lowest.ts, params: { reverse: 3 } }'),
    );
    const { code, stderr } = slatelab(home, 'run', 'bad-param.yaml', '--out', 'bad-param');
    expect(code).toBe(2);
    expect(stderr).toMatch(/bad-param\.yaml: agents\[0\]\.params\.reverse: .*true or false/);
  });

  it('refuses a missing file and a file that exports no policy, naming the kind and the fix', () => {
    writeFileSync(join(home, 'missing.yaml'), config('  - { name: gone, kind: ./policies/gone.ts }'));
    const missing = slatelab(home, 'run', 'missing.yaml', '--out', 'missing');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /missing\.yaml: agents: kind "\.\/policies\/gone\.ts": no such file .*gone\.ts; check the path/,
    );
    writeFileSync(join(home, 'policies/empty.ts'), 'export const nothing = 1;\n');
    writeFileSync(join(home, 'empty.yaml'), config('  - { name: empty, kind: ./policies/empty.ts }'));
    const empty = slatelab(home, 'run', 'empty.yaml', '--out', 'empty');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/exports no policy or agent; export default definePolicy/);
  });
});

describe("a user file's code in the manifest: report without it, resume only with the same code", () => {
  it('records the file and its hash; resume refuses changed or missing code; report needs no file', () => {
    const dir = join(home, 'code');
    mkdirSync(join(dir, 'policies'), { recursive: true });
    writeFileSync(join(dir, 'policies/lowest.ts'), POLICY);
    writeFileSync(join(dir, 'policies/helpers.ts'), HELPERS);
    writeFileSync(
      join(dir, 'code.yaml'),
      config('  - { name: random, kind: random }\n  - { name: lowest, kind: ./policies/lowest.ts }'),
    );
    // The policy's runs fail (it is told to), random's finish: an experiment to resume.
    const failed = slatelabWith({ LOWEST_FAILS: '1' }, dir, 'run', 'code.yaml', '--out', 'out');
    expect(failed.code, failed.stderr).toBe(1);
    const manifest = JSON.parse(readFileSync(join(dir, 'out/manifest.json'), 'utf8'));
    expect(manifest.userCode['./policies/lowest.ts'].file).toBe(join(dir, 'policies/lowest.ts'));
    expect(manifest.userCode['./policies/lowest.ts'].sha256).toMatch(/^[0-9a-f]{64}$/);
    // A local file it imports changed: refused, naming the kind and the file.
    writeFileSync(join(dir, 'policies/helpers.ts'), `${HELPERS}// edited\n`);
    const changed = slatelab(dir, 'resume', 'out');
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(
      /the code of agent kind "\.\/policies\/lowest\.ts" \(.*lowest\.ts or a local file it imports\) changed/,
    );
    // Restored: resume runs the two failed runs.
    writeFileSync(join(dir, 'policies/helpers.ts'), HELPERS);
    const resumed = slatelab(dir, 'resume', 'out');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(Object.keys(JSON.parse(readFileSync(join(dir, 'out/summary.json'), 'utf8')).agents)).toEqual([
      'random',
      'lowest',
    ]);
    // The file gone: report rebuilds from the records, the same bytes; resume refuses.
    const summary = readFileSync(join(dir, 'out/summary.json'), 'utf8');
    const html = readFileSync(join(dir, 'out/report.md'), 'utf8');
    rmSync(join(dir, 'policies/lowest.ts'));
    const report = slatelab(dir, 'report', 'out');
    expect(report.code, report.stderr).toBe(0);
    expect(readFileSync(join(dir, 'out/summary.json'), 'utf8')).toBe(summary);
    expect(readFileSync(join(dir, 'out/report.md'), 'utf8')).toBe(html);
    const gone = slatelab(dir, 'resume', 'out');
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/agent kind "\.\/policies\/lowest\.ts" was the file .*lowest\.ts, which is gone/);
  });
});

describe('ground truth is out of reach of a policy in a file', () => {
  it('fails the run of a policy that reads context.env.truth (the old way in); the others finish', () => {
    writeFileSync(
      join(home, 'policies/peek.ts'),
      `import { definePolicy } from 'slatelab';
export default definePolicy({
  name: 'peek',
  summary: 'reads the truth the old way',
  params: {},
  create: (_values, context) => {
    const truth = (context as unknown as { env: { truth: { longTermValue(w: number, out: Float32Array): void } } }).env.truth;
    return { act() { truth.longTermValue(1, new Float32Array(1)); } };
  },
});
`,
    );
    writeFileSync(
      join(home, 'peek.yaml'),
      config('  - { name: random, kind: random }\n  - { name: peek, kind: ./policies/peek.ts }'),
    );
    const { code, stderr, stdout } = slatelab(home, 'run', 'peek.yaml', '--out', 'peek');
    expect(code).toBe(1);
    expect(stderr + stdout).toMatch(/peek seed 0: .*Cannot read properties of undefined \(reading 'truth'\)/);
    const { agents } = JSON.parse(readFileSync(join(home, 'peek/summary.json'), 'utf8'));
    expect(agents.random.return.n).toBe(2);
    expect(agents.peek.return.n).toBe(0);
    const { failures } = JSON.parse(readFileSync(join(home, 'peek/manifest.json'), 'utf8'));
    expect(failures.map((failure: { agent: string }) => failure.agent)).toEqual(['peek', 'peek']);
  });

  it('refuses a file that declares an oracle', () => {
    writeFileSync(
      join(home, 'policies/oracle.mjs'),
      `export default {
  name: 'my-oracle', summary: 'wants the truth', params: {}, evaluationOnly: true,
  createWithTruth: (_values, context) => ({ act() { void context.truth; } }),
};
`,
    );
    writeFileSync(join(home, 'oracle.yaml'), config('  - { name: mine, kind: ./policies/oracle.mjs }'));
    const { code, stderr } = slatelab(home, 'run', 'oracle.yaml', '--out', 'oracle');
    expect(code).toBe(2);
    expect(stderr).toMatch(/oracle\.yaml: agents: kind "\.\/policies\/oracle\.mjs" declares an oracle/);
  });
});

describe('slatelab new-policy', () => {
  it('writes a starting file and its test; the test passes with node --test, and a config runs the file', () => {
    // A user's project: slatelab (built, as npm install builds it) and tsx in its node_modules.
    if (!builtIsCurrent()) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'pipe' });
    const project = mkdtempSync(join(tmpdir(), 'slatelab-new-policy-'));
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(root, join(project, 'node_modules', 'slatelab'), 'junction');
    symlinkSync(join(root, 'node_modules', 'tsx'), join(project, 'node_modules', 'tsx'), 'junction');
    const made = slatelab(project, 'new-policy', 'diverse-match');
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain('kind: ./policies/diverse-match.ts');
    for (const file of ['policies/diverse-match.ts', 'policies/diverse-match.test.ts'])
      expect(existsSync(join(project, file)), file).toBe(true);
    const source = readFileSync(join(project, 'policies/diverse-match.ts'), 'utf8');
    // The world's layout, documented in the file.
    expect(source).toMatch(/likes \(candidate\): its public like counter/);
    expect(slatelab(project, 'new-policy', 'diverse-match').stderr).toMatch(
      /diverse-match\.ts exists; choose another name/,
    );
    expect(slatelab(project, 'new-policy', 'Bad_Name').stderr).toMatch(/"Bad_Name" is not a policy name/);
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const tested = spawnSync(process.execPath, ['--import', 'tsx', '--test', 'policies/diverse-match.test.ts'], {
      cwd: project,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(tested.status, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/# pass 2/);
    writeFileSync(
      join(project, 'try.yaml'),
      config('  - { name: random, kind: random }\n  - { name: diverse-match, kind: ./policies/diverse-match.ts }'),
    );
    const run = slatelab(project, 'run', 'try.yaml', '--out', 'out');
    expect(run.code, run.stderr).toBe(0);
    const { agents } = JSON.parse(readFileSync(join(project, 'out/summary.json'), 'utf8'));
    expect(agents['diverse-match'].return.n).toBe(2);
  });
});

describe('a policy over the time limit of an act call', () => {
  it('fails its runs naming the rule; the other runs finish', () => {
    writeFileSync(
      join(home, 'policies/slow.mjs'),
      `import { definePolicy } from 'slatelab';
export default definePolicy({
  name: 'slow', summary: 'random, 300 ms a call', params: {},
  create: (_values, { spec }) => ({
    act(observation, rowRngs, slates) {
      const until = performance.now() + 300;
      while (performance.now() < until) {}
      for (let row = 0; row < observation.active.length; row++)
        for (let s = 0; s < spec.slateSize; s++) slates[row * spec.slateSize + s] = s;
    },
  }),
});
`,
    );
    writeFileSync(
      join(home, 'slow.yaml'),
      config('  - { name: random, kind: random }\n  - { name: slow, kind: ./policies/slow.mjs }').replace(
        'evaluation: { episodes: 16, batchSize: 8 }',
        'evaluation: { episodes: 16, batchSize: 8, actTimeLimitMs: 100 }',
      ),
    );
    const { code, stderr, stdout } = slatelab(home, 'run', 'slow.yaml', '--out', 'slow');
    expect(code).toBe(1);
    expect(stderr + stdout).toMatch(
      /slow seed 0: .*act took \d+ ms in evaluation round 0 .*over the limit of 100 ms a call \(evaluation\.actTimeLimitMs\)/,
    );
    const { agents } = JSON.parse(readFileSync(join(home, 'slow/summary.json'), 'utf8'));
    expect(agents.random.return.n).toBe(2);
    expect(agents.slow.return.n).toBe(0);
  });
});

describe('a policy stuck in an endless loop', () => {
  it('has its worker stopped and its runs failed with the reason; the other runs finish', () => {
    writeFileSync(
      join(home, 'policies/stuck.mjs'),
      `import { definePolicy } from 'slatelab';
export default definePolicy({
  name: 'stuck', summary: 'never returns', params: {},
  create: () => ({ act() { for (;;) {} } }),
});
`,
    );
    writeFileSync(
      join(home, 'stuck.yaml'),
      config('  - { name: random, kind: random }\n  - { name: stuck, kind: ./policies/stuck.mjs }').replace(
        'evaluation: { episodes: 16, batchSize: 8 }',
        'evaluation: { episodes: 16, batchSize: 8, actTimeLimitMs: 200 }',
      ),
    );
    const { code, stderr, stdout } = slatelab(home, 'run', 'stuck.yaml', '--out', 'stuck', '--threads', '2');
    expect(code).toBe(1);
    expect(stderr + stdout).toMatch(
      /stuck seed \d: .*act did not return within 1200 ms .*its worker thread was stopped/,
    );
    const { agents } = JSON.parse(readFileSync(join(home, 'stuck/summary.json'), 'utf8'));
    expect(agents.random.return.n).toBe(2);
    expect(agents.stuck.return.n).toBe(0);
  });
});

describe('a policy that leaks memory', () => {
  it('has its worker stopped at evaluation.workerHeapMb and its runs failed, naming the cap; the other runs finish', () => {
    writeFileSync(
      join(home, 'policies/leaky.mjs'),
      `import { definePolicy } from 'slatelab';
const held = [];
export default definePolicy({
  name: 'leaky', summary: 'holds everything it ever saw', params: {},
  create: () => ({ act() { for (;;) held.push(Array.from({ length: 10000 }, (_, i) => ({ i }))); } }),
});
`,
    );
    writeFileSync(
      join(home, 'leaky.yaml'),
      config('  - { name: random, kind: random }\n  - { name: leaky, kind: ./policies/leaky.mjs }').replace(
        'evaluation: { episodes: 16, batchSize: 8 }',
        // (A time limit far off: near its heap cap a thread spends seconds collecting garbage, and
        // the test is of the cap, not of the stuck-act watchdog.)
        'evaluation: { episodes: 16, batchSize: 8, workerHeapMb: 256, actTimeLimitMs: 120000 }',
      ),
    );
    const { code, stderr, stdout } = slatelab(home, 'run', 'leaky.yaml', '--out', 'leaky', '--threads', '2');
    expect(code).toBe(1);
    expect(stderr + stdout).toMatch(
      /leaky seed \d: FAILED: its worker thread ran out of memory: the JavaScript heap went over evaluation\.workerHeapMb 256 MB/,
    );
    const { agents } = JSON.parse(readFileSync(join(home, 'leaky/summary.json'), 'utf8'));
    expect(agents.random.return.n).toBe(2);
    expect(agents.leaky.return.n).toBe(0);
  });
});

// A learning agent in the user's file (defineAgent): the mean minutes watched per post (arm) when
// it reached the screen, epsilon-greedy while training; its statistics go to the learning curves.
const AGENT = `import { defineAgent, type Action, type Mode, type Observation, type Rng, type Transition } from 'slatelab';

export default defineAgent({
  name: 'arm-means',
  summary: 'ranks posts by the mean minutes watched when shown, epsilon-greedy while training',
  family: 'bandit',
  learns: 'mean watch minutes per post',
  params: {
    epsilon: { type: 'number', default: 0.2, min: 0, max: 1, doc: 'share of random pages while training' },
  },
  create: (values, { spec }) => {
    const { numCandidates: n, slateSize: k, armCount } = spec;
    const watched = spec.signalNames.indexOf('watchMinutes');
    const sum = new Float64Array(armCount);
    const shown = new Float64Array(armCount);
    let seen = 0;
    const order = new Int32Array(n);
    return {
      act(observation: Observation, rowRngs: readonly Rng[], action: Action, mode: Mode) {
        for (let row = 0; row < observation.active.length; row++) {
          if (!observation.active[row]) continue;
          const arms = observation.candidateArms.subarray(row * n, (row + 1) * n);
          for (let c = 0; c < n; c++) order[c] = c;
          if (mode === 'train' && rowRngs[row].uniform() < values.epsilon) rowRngs[row].shuffle(order);
          else {
            // Unseen posts first (optimism), then by mean minutes.
            const mean = (c: number) => (shown[arms[c]] === 0 ? Infinity : sum[arms[c]] / shown[arms[c]]);
            order.sort((a, b) => mean(b) - mean(a) || a - b);
          }
          for (let s = 0; s < k; s++) action.slates[row * k + s] = order[s];
        }
      },
      observe(t: Transition) {
        const signals = spec.signalNames.length;
        for (let row = 0; row < t.episode.length; row++) {
          if (t.episode[row] < 0) continue;
          for (let s = 0; s < t.impressions[row]; s++) {
            const arm = t.before.candidateArms[row * n + t.action.slates[row * k + s]];
            shown[arm] += 1;
            sum[arm] += t.signals[(row * k + s) * signals + watched];
            seen++;
          }
        }
      },
      update: () => ({ impressionsSeen: seen }),
    };
  },
});
`;

describe('a learning agent in a file, by path', () => {
  mkdirSync(join(home, 'agents'), { recursive: true });
  writeFileSync(join(home, 'agents/arm-means.ts'), AGENT);
  const trainingConfig = `name: learner
seed: 0
world: { preset: feed }
seeds: 2
agents:
  - { name: random, kind: random }
  - { name: arm-means, kind: ./agents/arm-means.ts, params: { epsilon: 0.3 } }
training: { steps: 2000, batchSize: 16, evalEvery: 1000, evalEpisodes: 8 }
evaluation: { episodes: 16, batchSize: 8 }
`;
  writeFileSync(join(home, 'learner.yaml'), trainingConfig);

  it('trains on two worker threads with the same records as on one, its statistics in the curves, its code in the manifest', () => {
    const two = slatelab(home, 'run', 'learner.yaml', '--out', 'learner-two', '--threads', '2');
    expect(two.code, two.stderr).toBe(0);
    const one = slatelab(home, 'run', 'learner.yaml', '--out', 'learner-one', '--threads', '1');
    expect(one.code, one.stderr).toBe(0);
    const summary = (dir: string) => readFileSync(join(home, dir, 'summary.json'), 'utf8');
    expect(summary('learner-two')).toBe(summary('learner-one'));
    const { training } = JSON.parse(summary('learner-two'));
    const agent = training.agents['arm-means'];
    expect(agent.learns).toBe(true);
    // Checkpoints at the first round past each evalEvery (rounds of 16 users).
    expect(agent.steps).toHaveLength(3);
    expect(agent.steps[0]).toBe(0);
    expect(agent.steps[1]).toBeGreaterThanOrEqual(1000);
    expect(agent.steps[2]).toBe(2000);
    // It observed what users saw: impressions counted at every checkpoint after the first round.
    const seen = agent.stats.impressionsSeen.map((point: { mean: number }) => point.mean);
    expect(seen[seen.length - 1]).toBeGreaterThan(1000);
    const manifest = JSON.parse(readFileSync(join(home, 'learner-two/manifest.json'), 'utf8'));
    expect(manifest.userCode['./agents/arm-means.ts'].file).toBe(join(home, 'agents/arm-means.ts'));
  });

  it('is listed with its hyper-parameters by slatelab list FILE, and a bad value is refused naming the field', () => {
    const listed = slatelab(home, 'list', './agents/arm-means.ts', 'policies/lowest.ts');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('A learning agent (config: kind: ./agents/arm-means.ts');
    expect(listed.stdout).toMatch(/\.\/agents\/arm-means\.ts \[bandit\]: ranks posts by the mean minutes watched/);
    expect(listed.stdout).toMatch(/epsilon +share of random pages while training \(number 0\.\.1; default 0\.2\)/);
    expect(listed.stdout).toContain('A policy (config: kind: policies/lowest.ts');
    expect(listed.stdout).toMatch(/reverse +reverse the page \(true or false; default false\)/);
    const missing = slatelab(home, 'list', './agents/gone.ts');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^slatelab: list: no such file .*gone\.ts; check the path\n$/);
    writeFileSync(join(home, 'bad-epsilon.yaml'), trainingConfig.replace('epsilon: 0.3', 'epsilon: 3'));
    const bad = slatelab(home, 'run', 'bad-epsilon.yaml', '--out', 'bad-epsilon');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/agents\[1\]\.params\.epsilon: /);
  });
});

describe('slatelab try: a simulated A/B test from the command line', () => {
  const cache = { SLATELAB_CACHE: join(home, 'cache') };

  it('trains the control once, caches it, prints the readout; try.yaml reruns to the same summary', () => {
    const args = ['try', './policies/lowest.ts', '--seeds', '2', '--users', '8', '--control-steps', '300'];
    const first = slatelabWith(cache, home, ...args, '--out', 'try-1');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(
      /training the control ranker in feed \(300 steps a seed, 2 seeds\): first use; cached in .*cache\/baselines\/ranker-feed-/,
    );
    expect(first.stderr).toContain('control ranker: trained now and cached');
    expect(first.stdout).toContain('treatment lowest against control ranker: 2 seeds x 8 users');
    expect(first.stdout).toMatch(/\nreturn +[-\d.]+ +[-\d.]+ +[-+\d.%]+ +[-+\d.]+ \[/);
    expect(first.stdout).toMatch(/churned \(guardrail\)/);
    expect(first.stdout).toMatch(/\nreturn: /);
    const second = slatelabWith(cache, home, ...args, '--out', 'try-2');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).not.toContain('training the control');
    expect(second.stderr).toContain('control ranker: trained earlier, from the cache');
    const summary = (dir: string) => readFileSync(join(home, dir, 'summary.json'), 'utf8');
    expect(summary('try-2')).toBe(summary('try-1'));
    // The config it ran is a config like any other.
    const again = slatelab(home, 'run', 'try-1/try.yaml', '--out', 'try-again');
    expect(again.code, again.stderr).toBe(0);
    expect(summary('try-again')).toBe(summary('try-1'));
    expect(readFileSync(join(home, 'try-1/try.md'), 'utf8')).toContain('treatment lowest against control ranker');
  });

  it('refuses bad input in one line naming the option', () => {
    const one = slatelabWith(cache, home, 'try', './policies/lowest.ts', '--seeds', '1');
    expect(one.code).toBe(2);
    expect(one.stderr).toBe('slatelab: --seeds: 1 seed gives no interval; give at least 2 (default 5)\n');
    const gone = slatelabWith(cache, home, 'try', './policies/nothing.ts');
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/^slatelab: try: POLICY \.\/policies\/nothing\.ts: no such file .*; check the path\n$/);
  });
});

describe('slatelab evaluate: a policy in a file, estimated from logs', () => {
  it('prints the estimators beside the truth, and --json the same numbers', () => {
    writeFileSync(
      join(home, 'ope.yaml'),
      `name: ope
world: { preset: bandit, params: { catalog: 30, candidates: 5, slateSize: 2, horizon: 5 } }
seeds: 2
agents:
  - { name: random, kind: random }
evaluation: { episodes: 60 }
log: { epsilon: 1 }
`,
    );
    const run = slatelab(home, 'run', 'ope.yaml', '--out', 'ope');
    expect(run.code, run.stderr).toBe(0);
    const text = slatelab(home, 'evaluate', '--logs', 'ope', '--policy', './policies/lowest.ts');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('./policies/lowest.ts estimated from 600 interactions of random (seeds 0, 1)');
    expect(text.stdout).toMatch(/\nslate-ips +[\d.]+ +\[/);
    expect(text.stdout).toMatch(/truth \(the target's expected reward per step on the logged users\): [\d.]+/);
    const json = slatelab(home, 'evaluate', '--logs', 'ope', '--policy', './policies/lowest.ts', '--json');
    expect(json.code, json.stderr).toBe(0);
    const result = JSON.parse(json.stdout);
    expect(result.interactions).toBe(600);
    expect(result.stateful).toBe(false);
    expect(Object.keys(result.estimators)).toContain('independent-ips');
    const ips = result.estimators['slate-ips'];
    expect(ips.relError).toBeCloseTo((ips.value - result.truth) / result.truth, 9);
    const missing = slatelab(home, 'evaluate', '--logs', 'ope');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('slatelab: evaluate: name the target policy with --policy KIND|FILE\n');
  });
});
