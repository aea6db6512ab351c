// The runner's overhead figure (bench/runner-overhead.ts): the share of an experiment's wall time
// spent outside its runs. Not a timed test: it checks the figure is measured and consistent.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runnerOverhead } from '../../bench/runner-overhead.ts';

describe('runner overhead', () => {
  it('is 1 - (time in runs) / (wall time), per repeat, with the median reported', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'slatelab-overhead-')), 'tiny.yaml');
    writeFileSync(
      file,
      'world: { preset: bandit, params: { catalog: 30 } }\nseeds: 2\nagents: [{ name: random, kind: random }, { name: greedy, kind: greedy-pctr }]\nevaluation: { episodes: 50 }\n',
    );
    const result = await runnerOverhead(file, 3);
    expect(result.shares).toHaveLength(3);
    expect([...result.shares]).toEqual([...result.shares].sort((a, b) => a - b));
    expect(result.share).toBe(result.shares[1]);
    for (const share of result.shares) {
      expect(share).toBeGreaterThan(0);
      expect(share).toBeLessThan(1);
    }
    // The runs took time, and less than the whole.
    expect(result.runSeconds).toBeGreaterThan(0);
    expect(result.runSeconds).toBeLessThan(result.wallSeconds);
  }, 120_000);
});
