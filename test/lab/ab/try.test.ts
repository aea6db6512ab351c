// slatelab try (lab/ab/): a simulated A/B test's readout and the cache of trained controls.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baselineKey, type BaselineSpec } from '../../../lab/ab/baseline-cache.ts';
import { readoutText, type Readout, type ReadoutRow } from '../../../lab/ab/readout.ts';
import { runTry } from '../../../lab/ab/try.ts';
import { ConfigError } from '../../../lab/config/config.ts';
import { defaultRegistries } from '../../../lab/config/registries.ts';

const scratch = mkdtempSync(join(tmpdir(), 'slatelab-try-'));
const base = { registries: defaultRegistries, charts: false, threads: 2 } as const;

describe('slatelab try: the readout', () => {
  it('gives the paired differences of the summary, signals per user from the records, the goal then the guardrails first', async () => {
    const out = join(scratch, 'pctr-vs-random');
    // 3 seeds x 20 users: small, since what is checked is arithmetic on the records, not an effect.
    const { readout, outcome } = await runTry({
      ...base,
      policy: 'greedy-pctr',
      against: 'random',
      seeds: 3,
      users: 20,
      out,
    });
    expect(readout).not.toBeNull();
    if (!readout) return;
    expect(readout.treatment).toBe('greedy-pctr');
    expect(readout.control).toBe('random');
    const rows = new Map(readout.rows.map((row) => [row.metric, row]));
    const paired = outcome.summary.paired.agents['greedy-pctr'];
    for (const metric of ['return', 'churned', 'minutesPerActiveDay', 'daysActive']) {
      expect(rows.get(metric)?.difference.mean).toBe(paired[metric].mean);
      expect(rows.get(metric)?.difference.ci95).toEqual(paired[metric].ci95);
      expect(rows.get(metric)?.treatment).toBeCloseTo(outcome.summary.agents['greedy-pctr'][metric].mean, 12);
      expect(rows.get(metric)?.control).toBeCloseTo(outcome.summary.agents.random[metric].mean, 12);
    }
    // Likes per user, from the records directly.
    const likes = (agent: string) =>
      [0, 1, 2].map((seed) => {
        const lines = readFileSync(join(out, 'runs', agent, `seed-${seed}.jsonl`), 'utf8')
          .trim()
          .split('\n');
        return lines.reduce((sum, line) => sum + JSON.parse(line).signals.like, 0) / lines.length;
      });
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const like = rows.get('like per user');
    expect(like?.treatment).toBeCloseTo(mean(likes('greedy-pctr')), 12);
    expect(like?.difference.mean).toBeCloseTo(mean(likes('greedy-pctr')) - mean(likes('random')), 12);
    // Views are the clicks metric already: not repeated.
    expect(rows.has('view per user')).toBe(false);
    expect(rows.has('seeLess per user')).toBe(true);
    // More churn, fewer minutes per active day and more "see less" are the bad ways.
    expect(rows.get('churned')?.guardrail).toBe('up');
    expect(rows.get('minutesPerActiveDay')?.guardrail).toBe('down');
    expect(rows.get('seeLess per user')?.guardrail).toBe('up');
    expect(rows.get('return')?.guardrail).toBeNull();
    // Significance is the interval excluding 0; a guardrail is worse when it moved its bad way.
    for (const row of readout.rows) {
      const ci = row.difference.ci95;
      expect(row.significant).toBe(ci !== null && (ci[0] > 0 || ci[1] < 0));
      if (row.guardrail === 'up') expect(row.worse).toBe(row.difference.mean > 0);
      if (row.guardrail === 'down') expect(row.worse).toBe(row.difference.mean < 0);
    }
    expect(readout.rows.slice(0, 4).map((row) => row.metric)).toEqual([
      'return',
      'churned',
      'minutesPerActiveDay',
      'seeLess per user',
    ]);
    // A normal results directory, the config it ran and the readout.
    for (const file of ['manifest.json', 'summary.json', 'report.md', 'try.yaml', 'try.md'])
      expect(existsSync(join(out, file))).toBe(true);
    expect(readFileSync(join(out, 'try.md'), 'utf8')).toContain(readoutText(readout));
  }, 60_000);

  it('says which guardrails got significantly worse, and whether the goal moved', () => {
    const row = (metric: string, mean: number, ci: [number, number], guardrail: 'up' | 'down' | null): ReadoutRow => ({
      metric,
      treatment: 1,
      control: 1,
      difference: { mean, ci95: ci, n: 5 },
      lift: mean,
      significant: ci[0] > 0 || ci[1] < 0,
      guardrail,
      worse: guardrail === 'up' ? mean > 0 : guardrail === 'down' ? mean < 0 : false,
    });
    const readout: Readout = {
      treatment: 'mine',
      control: 'ranker',
      seeds: [0, 1, 2, 3, 4],
      episodes: 500,
      rows: [
        row('return', 12, [4, 20], null),
        row('churned', 0.05, [0.01, 0.09], 'up'),
        row('minutesPerActiveDay', -1, [-3, 1], 'down'),
        row('seeLess per user', -0.1, [-0.2, 0], 'up'),
      ],
    };
    const text = readoutText(readout);
    expect(text).toMatch(/churned \(guardrail\) .* GUARDRAIL WORSE \(significant\)/);
    expect(text).toMatch(/minutesPerActiveDay \(guardrail\) .* guardrail: worse, not significant/);
    expect(text).toMatch(/seeLess per user \(guardrail\) .* guardrail ok \(not significant\)/);
    expect(text).toContain('return: mine earns more per user than ranker, +12.0 [+4.0, +20.0] (significant at 95%)');
    expect(text).toContain('guardrails significantly worse: churned');
  });
});

describe('slatelab try: the trained control', () => {
  it('is trained on first use and cached, then loaded: the same control records, no training', async () => {
    const cacheRoot = join(scratch, 'cache');
    const options = { ...base, policy: 'greedy-pctr', seeds: 2, users: 6, controlSteps: 300, cacheRoot };
    const first = await runTry({ ...options, out: join(scratch, 'first') });
    expect(first.control).toBe('ranker');
    expect(first.baseline?.trained).toBe(true);
    const second = await runTry({ ...options, out: join(scratch, 'second') });
    expect(second.baseline?.trained).toBe(false);
    expect(second.baseline?.dir).toBe(first.baseline?.dir);
    const records = (dir: string) => readFileSync(join(scratch, dir, 'runs/ranker/seed-1.jsonl'), 'utf8');
    expect(records('second')).toBe(records('first'));
    // Nothing half-made is left: one baseline folder, no staging folder.
    expect(readdirSync(join(cacheRoot, 'baselines'))).toEqual([first.baseline?.dir.split('/').pop()]);
    // (Another budget, world or version is another key: the next test.)
  }, 120_000);

  it('is keyed by the world, the seeds, the budget, the baseline and the code that trained it', () => {
    const spec: BaselineSpec = {
      preset: 'feed',
      seed: 0,
      seeds: [0, 1],
      kind: 'ranker',
      params: {},
      backend: 'wasm',
      steps: 60_000,
      codeHash: null,
    };
    const versions = { slatelab: '0.2.0', gitCommit: 'abc', dependencies: { '@tensorflow/tfjs': '4.22.0' } };
    const key = baselineKey(spec, versions);
    expect(baselineKey({ ...spec }, { ...versions })).toBe(key);
    const changed = [
      baselineKey({ ...spec, preset: 'recsim-interest-evolution' }, versions),
      baselineKey({ ...spec, seeds: [0, 1, 2] }, versions),
      baselineKey({ ...spec, steps: 1000 }, versions),
      baselineKey({ ...spec, kind: 'pctr' }, versions),
      baselineKey({ ...spec, codeHash: 'f00' }, versions),
      baselineKey(spec, { ...versions, slatelab: '0.3.0' }),
      baselineKey(spec, { ...versions, gitCommit: 'def' }),
      baselineKey(spec, { ...versions, dependencies: { '@tensorflow/tfjs': '4.23.0' } }),
    ];
    expect(new Set([key, ...changed]).size).toBe(changed.length + 1);
  });
});

describe('slatelab try: bad input', () => {
  const refused = async (options: Partial<Parameters<typeof runTry>[0]>): Promise<string> => {
    try {
      await runTry({ ...base, policy: 'greedy-pctr', seeds: 2, users: 5, out: join(scratch, 'never'), ...options });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).issues.join('\n');
    }
    throw new Error('not refused');
  };

  it('is one line naming the option and the fix', async () => {
    expect(await refused({ policy: 'reinforce' })).toMatch(
      /^try: POLICY reinforce is a learning agent; try takes a policy/,
    );
    expect(await refused({ policy: 'no-such' })).toMatch(
      /^try: POLICY no-such: no such policy; slatelab list shows them/,
    );
    expect(await refused({ policy: './gone.ts' })).toMatch(
      /^try: POLICY \.\/gone\.ts: no such file .*gone\.ts; check the path/,
    );
    expect(await refused({ world: 'moon' })).toMatch(/^try: --world moon: no such world; one of .*\bfeed\b/);
    expect(await refused({ against: 'nobody' })).toMatch(/^try: --against nobody: no such policy or agent/);
    expect(existsSync(join(scratch, 'never'))).toBe(false);
  });

  it('checks both arms against the world before it trains the control', async () => {
    const cacheRoot = join(scratch, 'cache-never');
    expect(await refused({ policy: 'popular', world: 'recsim-interest-evolution', cacheRoot })).toMatch(
      /^try: agents\[1\]\.kind \(set by POLICY\): policy "popular" cannot run in world "recsim-interest-evolution"/,
    );
    expect(existsSync(cacheRoot)).toBe(false);
  });
});
