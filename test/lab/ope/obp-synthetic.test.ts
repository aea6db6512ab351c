// The replication of OBP's synthetic benchmark (lab/ope/obp-synthetic.ts) on a small setting:
// runs are reproducible, every estimator gives a finite error, and SLOPE picks from the list.
import { describe, expect, it } from 'vitest';
import { OBP_SETTING, obpBenchmark, obpRun } from '../../../lab/ope/obp-synthetic.ts';

const small = { ...OBP_SETTING, runs: 2, rounds: 2000, actions: 10 };

describe("OBP's synthetic benchmark, replicated", () => {
  it('is reproducible run by run, with finite errors, a truth between 0 and 1 and SLOPE lambdas from the list', () => {
    const first = obpRun(1, small);
    expect(obpRun(1, small)).toEqual(first);
    expect(first.truth).toBeGreaterThan(0);
    expect(first.truth).toBeLessThan(1);
    for (const error of Object.values(first.relErrors)) expect(Number.isFinite(error)).toBe(true);
    for (const lambda of Object.values(first.lambdas))
      expect([10, 50, 100, 500, 1000, 5000, 10_000, Infinity]).toContain(lambda);
    // Switch-DR with lambda = infinity is DR.
    if (first.lambdas['switch-dr'] === Infinity) expect(first.relErrors['switch-dr']).toBe(first.relErrors.dr);
  }, 60_000);

  it('summarises each estimator over the runs: mean, 95% interval and sd', () => {
    const summary = obpBenchmark(small);
    expect(summary.runs).toHaveLength(2);
    const dr = summary.estimators.dr;
    expect(dr.n).toBe(2);
    expect(dr.mean).toBeCloseTo((summary.runs[0].relErrors.dr + summary.runs[1].relErrors.dr) / 2, 12);
    expect(dr.ci95).not.toBeNull();
  }, 60_000);
});
