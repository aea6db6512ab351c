// `slatelab calibrate` through main(argv, io): the JSON shape and its values, byte-identical
// repeats, a personalised ranker against a random one, the text report, and one-line errors for
// bad input. Small runs (a few hundred users per seed) keep it to a few seconds; the bands
// themselves are test/sim/feed-calibration.test.ts's.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { program as main } from '../../../cli.ts';
import type { Io } from '../../../lab/cli/io.ts';
import { policies } from '../../../policies/index.ts';
import { FEED_REFERENCE, GAP_BUCKETS, RATE_NAMES } from '../../../sim/feed/calibration.ts';

const scratch = mkdtempSync(join(tmpdir(), 'slatelab-calibrate-'));

/**
 * `slatelab calibrate --json --policy greedy-pctr` at the tests' size, run once for the tests that
 * read it (a run repeats byte for byte: the random policy's run is repeated and compared below).
 */
let greedyJson: Promise<{ code: number; stdout: string; stderr: string }> | null = null;
const greedyRun = () =>
  (greedyJson ??= slatelab('calibrate', '--json', '--episodes', EPISODES, '--policy', 'greedy-pctr'));

async function slatelab(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { stdout: (text) => out.push(text), stderr: (text) => err.push(text), stderrIsTTY: false };
  const code = await main(argv, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

interface ReferenceEntry {
  figure: string;
  value: number;
  low: number;
  high: number;
  policy: string;
  source: string;
  measuredUnder: string;
  measured: number;
  inBand: boolean;
  policyValue: number;
}

interface CalibrationJson {
  world: string;
  policy: string;
  impressions: number;
  rates: Record<string, number>;
  watchRatio: { median: number; overOne: number };
  returnGapDays: Record<string, number>;
  pagesPerSession: { median: number; mean: number };
  viewRateBySlot: number[];
  seeds: number[];
  experimentSeed: number;
  episodes: number;
  reference: ReferenceEntry[];
}

const EPISODES = '150';

describe('slatelab calibrate --json', () => {
  let random: { code: number; stdout: string; stderr: string };
  let figures: CalibrationJson;
  beforeAll(async () => {
    random = await slatelab('calibrate', '--json', '--episodes', EPISODES);
    figures = JSON.parse(random.stdout) as CalibrationJson;
    // About 1.5 s; a shared machine can make it several times that.
  }, 60_000);

  it('prints one JSON object with every field of the shape, and plausible values', () => {
    expect(random.code).toBe(0);
    expect(random.stdout.endsWith('}\n')).toBe(true);
    expect(random.stdout.trim().split('\n')).toHaveLength(1);
    expect(figures.world).toBe('feed');
    expect(figures.policy).toBe('random');
    expect(figures).toMatchObject({ experimentSeed: 0, seeds: [0, 1, 2], episodes: 150 });
    expect(figures.impressions).toBeGreaterThan(10_000);
    expect(Object.keys(figures.rates)).toEqual([...RATE_NAMES]);
    for (const name of RATE_NAMES) {
      expect(figures.rates[name]).toBeGreaterThanOrEqual(0);
      expect(figures.rates[name]).toBeLessThanOrEqual(1);
    }
    expect(figures.rates.view).toBeGreaterThan(0.05);
    expect(figures.rates.longView).toBeLessThan(figures.rates.view);
    expect(figures.watchRatio.median).toBeGreaterThan(0);
    expect(figures.watchRatio.median).toBeLessThan(1);
    expect(figures.watchRatio.overOne).toBeGreaterThan(0);
    expect(figures.watchRatio.overOne).toBeLessThan(0.5);
    expect(Object.keys(figures.returnGapDays)).toEqual([...GAP_BUCKETS]);
    const shares = Object.values(figures.returnGapDays);
    for (const share of shares) expect(share).toBeGreaterThanOrEqual(0);
    expect(Math.abs(shares.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-9);
    expect(figures.pagesPerSession.median).toBeGreaterThanOrEqual(1);
    expect(figures.pagesPerSession.mean).toBeGreaterThanOrEqual(1);
    expect(figures.viewRateBySlot).toHaveLength(10);
    for (const rate of figures.viewRateBySlot) {
      expect(rate).toBeGreaterThan(0);
      expect(rate).toBeLessThanOrEqual(1);
    }
  });

  it('lists every reference figure with its measured value, under the policy it was published under', () => {
    expect(figures.reference.map((entry) => entry.figure)).toEqual(FEED_REFERENCE.map((reference) => reference.figure));
    for (const entry of figures.reference) {
      expect(entry.measuredUnder).toBe(entry.policy);
      expect(entry.inBand).toBe(entry.measured >= entry.low && entry.measured <= entry.high);
    }
    const row = (figure: string, policy: string) =>
      figures.reference.find((entry) => entry.figure === figure && entry.policy === policy)!;
    // Under random itself: its own figures.
    expect(row('pagesPerSession.median', 'random').measured).toBe(figures.pagesPerSession.median);
    // The random-exposure rates are measured on the videos inserted into the stand-in's feed.
    expect(row('inserted.rates.view', 'stand-in').measuredUnder).toBe('stand-in');
    expect(row('inserted.rates.view', 'stand-in').measured).toBeGreaterThan(0);
    // Return gaps are compared under greedy-pctr, run alongside; random's own value is kept apart.
    expect(row('returnGapDays.1', 'greedy-pctr').measuredUnder).toBe('greedy-pctr');
    expect(row('returnGapDays.1', 'greedy-pctr').policyValue).toBe(figures.returnGapDays['1']);
    expect(row('returnGapDays.1', 'greedy-pctr').measured).not.toBe(figures.returnGapDays['1']);
  });

  it('reports progress on stderr, one line per policy and seed, then per seed of the insertion run', () => {
    const lines = random.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(12);
    expect(lines[0]).toBe('calibrate: random, seed 1/3 (experiment 0, run 0): 150 users');
    expect(lines[3]).toBe(
      'calibrate: stand-in with 2% random videos inserted, seed 1/3 (experiment 0, run 0): 150 users',
    );
    expect(lines[8]).toBe('calibrate: greedy-pctr, seed 3/3 (experiment 0, run 2): 150 users');
    expect(lines[11]).toBe(
      'calibrate: random with 2% random videos inserted, seed 3/3 (experiment 0, run 2): 150 users',
    );
  });

  it('prints the same output byte for byte when run again', async () => {
    const again = await slatelab('calibrate', '--json', '--episodes', EPISODES);
    expect(again.stdout).toBe(random.stdout);
  });

  it('measures a personalised ranker (greedy-pctr) at a higher view rate than random', async () => {
    const { code, stdout } = await greedyRun();
    expect(code).toBe(0);
    const greedy = JSON.parse(stdout) as CalibrationJson;
    expect(greedy.policy).toBe('greedy-pctr');
    expect(greedy.rates.view).toBeGreaterThan(1.1 * figures.rates.view);
    // The inserted videos' rates are compared under the stand-in: the same run as `--policy random`'s, same users.
    const view = greedy.reference.find((entry) => entry.figure === 'inserted.rates.view')!;
    const randomView = figures.reference.find((entry) => entry.figure === 'inserted.rates.view')!;
    expect(view).toMatchObject({ measuredUnder: 'stand-in', measured: randomView.measured });
    const pages = greedy.reference.find(
      (entry) => entry.figure === 'pagesPerSession.median' && entry.policy === 'random',
    )!;
    expect(pages).toMatchObject({ measuredUnder: 'random', policyValue: greedy.pagesPerSession.median });
  });
});

describe("slatelab calibrate: uniformly random videos inserted into the policy's feed (KuaiRand)", () => {
  // 150 users x 3 seeds under greedy-pctr: tens of thousands of video impressions of its own and, at the
  // default share 2%, a few thousand inserted ones.
  let greedy: CalibrationJson & {
    inserted: {
      share: number;
      impressions: number;
      rates: Record<string, number>;
      policyImpressions: number;
      policyRates: Record<string, number>;
    };
    lift: Record<string, number>;
  };
  let greedyText: string;
  beforeAll(async () => {
    greedy = JSON.parse((await greedyRun()).stdout);
    greedyText = (await slatelab('calibrate', '--episodes', EPISODES, '--policy', 'greedy-pctr')).stdout;
  }, 60_000);

  it("reports the inserted impressions, their rates and the policy's own, and lift = own rate / inserted rate", () => {
    const { inserted, lift } = greedy;
    expect(inserted.share).toBe(0.02);
    expect(inserted.impressions).toBeGreaterThan(1000);
    expect(Object.keys(inserted.rates)).toEqual([...RATE_NAMES]);
    expect(Object.keys(lift)).toEqual(['view', 'longView', 'like', 'seeLess']);
    for (const name of Object.keys(lift)) expect(lift[name]).toBe(inserted.policyRates[name] / inserted.rates[name]);
    // The insertion run's own impressions are the policy's minus the slots given away (about 2%).
    expect(inserted.policyImpressions / greedy.impressions).toBeGreaterThan(0.95);
    // Not exactly: after the first inserted video the run's sessions go their own way (measured
    // 0.98-1.0002 at 150-300 users a seed).
    expect(inserted.policyImpressions / greedy.impressions).toBeLessThan(1.02);
  });

  it('finds a personalised ranker well above the random videos on views, below them on "see less"', () => {
    // Inserted view rate about 0.13 on about 1,700 impressions (standard error about 0.008), the
    // ranker's about 0.23: a lift near 1.8, more than 10 standard errors above 1.3.
    expect(greedy.lift.view).toBeGreaterThan(1.3);
    expect(greedy.lift.seeLess).toBeLessThan(1);
  });

  it("leaves the policy's own figures as they are, whatever the share (the insertion is a run of its own)", async () => {
    const none = JSON.parse(
      (await slatelab('calibrate', '--json', '--episodes', EPISODES, '--policy', 'greedy-pctr', '--insert-share', '0'))
        .stdout,
    );
    // The reference rows move with the share (the stand-in's run carries the insertions); the
    // policy's own figures do not.
    const { inserted, lift, reference, ...rest } = greedy;
    const { inserted: noneInserted, lift: noneLift, reference: noneReference, ...noneRest } = none;
    expect(JSON.stringify(noneRest)).toBe(JSON.stringify(rest));
    expect(noneReference.find((entry: ReferenceEntry) => entry.figure === 'inserted.rates.view').measured).toBeNull();
    // No insertion run: no inserted impressions, no rates, no lift; the policy's own rates are its figures'.
    expect(noneInserted.impressions).toBe(0);
    expect(noneInserted.rates.view).toBeNull();
    expect(noneLift.view).toBeNull();
    expect(noneInserted.policyRates).toEqual(none.rates);
  });

  it("prints the inserted impressions and rates beside the policy's own, and the lifts", () => {
    expect(greedyText).toMatch(/2% of its slots showing a video drawn uniformly/);
    expect(greedyText).toMatch(/\n {2}greedy-pctr's own\s+[\d,]+\s+0\.\d+/);
    expect(greedyText).toMatch(/\n {2}inserted\s+[\d,]+\s+0\.\d+/);
    expect(greedyText).toMatch(/\n {2}lift \(own \/ inserted\)\s+\d\.\d+/);
  });
});

describe('slatelab calibrate CONFIG, as text', () => {
  it("measures the config's feed (its parameters and seeds) and prints the table, the sources and the other figures", async () => {
    const file = join(scratch, 'feed.yaml');
    writeFileSync(
      file,
      'seed: 7\nworld: { preset: feed, params: { slateSize: 8 } }\nseeds: [5]\nagents: [{ name: random, kind: random }]\n',
    );
    const { code, stdout, stderr } = await slatelab('calibrate', file, '--episodes', '100');
    expect(code).toBe(0);
    expect(stderr).toBe(
      'calibrate: random, seed 1/1 (experiment 7, run 5): 100 users\n' +
        'calibrate: stand-in with 2% random videos inserted, seed 1/1 (experiment 7, run 5): 100 users\n' +
        'calibrate: greedy-pctr, seed 1/1 (experiment 7, run 5): 100 users\n' +
        'calibrate: random with 2% random videos inserted, seed 1/1 (experiment 7, run 5): 100 users\n',
    );
    expect(stdout).toContain(`the feed of ${file} under random: 1 seed (experiment 7, runs 5) x 100 users, pooled\n`);
    const lines = stdout.split('\n');
    const header = lines.findIndex((line) => line.startsWith('figure '));
    for (const [i, reference] of FEED_REFERENCE.entries()) {
      const row = lines[header + 1 + i];
      expect(row.startsWith(`${reference.figure} `), reference.figure).toBe(true);
      expect(row, reference.figure).toBeDefined();
      const [, measured, under] = row!.split(/\s+/);
      // n/a: nothing to measure in so small a run (a lift without an inserted event).
      if (measured !== 'n/a') expect(Number(measured)).toBeGreaterThanOrEqual(0);
      expect(under).toBe(reference.policy);
      // Compared under another policy than the one measured: the row says so, and gives random's own value.
      if (reference.policy === 'greedy-pctr') expect(row).toMatch(/greedy-pctr \*\s.*\s(yes|NO)\s+\[\d+\]\s+\d/);
      expect(row).toMatch(/\s(yes|NO|n\/a)\s+\[\d+\]/);
    }
    expect(stdout).toContain('* published under another policy than random, so measured under that policy');
    expect(stdout).toContain(`  [1] ${FEED_REFERENCE[0].source}\n`);
    expect(stdout).toMatch(/\n {2}pages per session\s+median \d+, mean \d/);
    expect(stdout).toMatch(/\n {2}watch ratio by length\s+median \d/);
    // The config's slate of 8.
    expect(stdout).toMatch(/\n {2}view rate by slot\s+1: [\d.]+, 2: .*, 8: [\d.]+\n/);
    expect(stdout).not.toContain(', 9: ');
    expect(stdout).toMatch(/\n {2}photos\s+[\d,]+ impressions/);
    // Days and sessions of every policy run: random, the stand-in, greedy-pctr.
    expect(stdout).toContain('Days and sessions under every policy run');
    for (const policy of ['random', 'stand-in', 'greedy-pctr'])
      expect(stdout).toMatch(
        new RegExp(`\\n {2}${policy}\\s+0\\.\\d+\\s+\\d+\\.\\d+\\s+[\\d.]+\\s+[\\d.]+%\\s+median \\d+`),
      );
  });
});

describe('slatelab calibrate, bad input', () => {
  const rejects = async (argv: string[], message: string | RegExp) => {
    const { code, stdout, stderr } = await slatelab('calibrate', ...argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')).toHaveLength(2); // one line, then the newline
    if (typeof message === 'string') expect(stderr).toBe(`slatelab: ${message}\n`);
    else expect(stderr).toMatch(message);
  };

  it('rejects --episodes that is not a whole number >= 1', async () => {
    await rejects(['--episodes', '0'], '--episodes: expected a whole number >= 1, got "0"');
    await rejects(['--episodes', '2.5'], '--episodes: expected a whole number >= 1, got "2.5"');
  });

  it('rejects an unknown policy, listing the choices, and a learning agent', async () => {
    const choices = Object.keys(policies).join(', ');
    await rejects(['--policy', 'nope'], `--policy: unknown policy "nope"; choices: ${choices}`);
    await rejects(
      ['--policy', 'greedy-pctrr'],
      `--policy: unknown policy "greedy-pctrr"; choices: ${choices} (did you mean "greedy-pctr"?)`,
    );
    await rejects(
      ['--policy', 'linucb'],
      `--policy: "linucb" is a learning agent; calibrate measures a fixed policy: ${choices}`,
    );
  });

  it('rejects a config whose world is not the feed, naming world.preset', async () => {
    const file = join(scratch, 'recsim.yaml');
    writeFileSync(file, 'world: { preset: recsim-interest-evolution }\nagents: [{ name: random, kind: random }]\n');
    await rejects(
      [file],
      `${file}: world.preset: calibrate needs the feed world (preset: feed), got "recsim-interest-evolution"`,
    );
  });

  it('rejects --insert-share outside 0 to 0.02', async () => {
    await rejects(['--insert-share', '0.03'], '--insert-share: expected a share from 0 to 0.02, got "0.03"');
    await rejects(['--insert-share', '-0.01'], '--insert-share: expected a share from 0 to 0.02, got "-0.01"');
    await rejects(['--insert-share', 'abc'], '--insert-share: expected a share from 0 to 0.02, got "abc"');
  });

  it('rejects more users than it can hold in memory', async () => {
    await rejects(['--episodes', '20000'], /^slatelab: --episodes: 20000 users x 3 seeds is more than 50000 users/);
  });
});
