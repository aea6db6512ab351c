// Progress of a long experiment (lab/progress.ts): a status line over all runs, rewritten on a
// terminal, a plain line at least every 10 s otherwise; the thread count capped at the cores.
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { bar, clock, ExperimentStatus, PLAIN_EVERY_SECONDS, type RunPlan } from '../../lab/progress.ts';
import { threadCount } from '../../lab/runner.ts';

const plans: RunPlan[] = [
  { trainSteps: null, trainEpisodes: null, evalEpisodes: 100 }, // a fixed policy
  { trainSteps: 10_000, trainEpisodes: null, evalEpisodes: 100 },
  { trainSteps: 10_000, trainEpisodes: null, evalEpisodes: 100 },
  { trainSteps: null, trainEpisodes: null, evalEpisodes: 100 },
];

/** A status with a hand-driven clock and captured output. */
function status(terminal: boolean) {
  let now = 0;
  const lines: string[] = [];
  const updates: string[] = [];
  const progress = terminal ? { line: (t: string) => lines.push(t), update: (t: string) => updates.push(t) } : { line: (t: string) => lines.push(t) };
  const s = new ExperimentStatus(plans, progress, () => now);
  return { s, lines, updates, advance: (seconds: number) => (now += seconds) };
}

describe('the status line', () => {
  it('counts runs, training steps and evaluation episodes over all runs, with elapsed time and the time left', () => {
    const { s, advance } = status(true);
    s.finished(0);
    s.running(1, { phase: 'train', steps: 5000, budgetSteps: 10_000, episodes: 250, budgetEpisodes: null });
    advance(30);
    // Done: run 0 whole, run 1 half of its training (0.85 x 0.5): (1 + 0.425) / 4 of the work in 30 s.
    expect(s.fraction()).toBeCloseTo((1 + 0.425) / 4, 12);
    const left = (30 * (1 - 1.425 / 4)) / (1.425 / 4);
    expect(s.text()).toBe(`runs 1/4, training 5000/20k steps, evaluation 100/400 episodes, 0:30 elapsed, about ${clock(left)} left`);
    s.running(1, { phase: 'eval', episodes: 40, of: 100 });
    expect(s.fraction()).toBeCloseTo((1 + 0.425 + 0.15 * 0.4) / 4, 12);
  });

  it('on a terminal: rewrites one line as runs report, at most four times a second', () => {
    const { s, updates, lines, advance } = status(true);
    s.running(1, { phase: 'train', steps: 100, budgetSteps: 10_000, episodes: 5, budgetEpisodes: null });
    s.running(1, { phase: 'train', steps: 200, budgetSteps: 10_000, episodes: 10, budgetEpisodes: null });
    expect(updates).toHaveLength(1);
    advance(0.3);
    s.running(1, { phase: 'train', steps: 300, budgetSteps: 10_000, episodes: 15, budgetEpisodes: null });
    expect(updates).toHaveLength(2);
    expect(updates[1]).toMatch(/^\[-+\] +\d+% runs 0\/4, training 300\/20k steps/);
    expect(lines).toEqual([]);
  });

  it(`off a terminal: a plain line when nothing was printed for ${PLAIN_EVERY_SECONDS} s, never more often`, () => {
    const { s, lines, updates, advance } = status(false);
    advance(9);
    s.running(1, { phase: 'train', steps: 100, budgetSteps: 10_000, episodes: 5, budgetEpisodes: null });
    s.tick();
    expect(lines).toEqual([]);
    advance(1);
    s.tick();
    expect(lines).toEqual([expect.stringMatching(/^runs 0\/4, training 100\/20k steps, evaluation 0\/400 episodes, 0:10 elapsed/)]);
    advance(5);
    s.printed(); // a run finished and said so
    advance(9);
    s.tick();
    expect(lines).toHaveLength(1);
    advance(1);
    s.tick();
    expect(lines).toHaveLength(2);
    expect(updates).toEqual([]);
  });

  it('draws a bar of 20 characters with the percentage done', () => {
    expect([bar(0), bar(0.5), bar(0.999), bar(1)]).toEqual(['[--------------------]   0%', '[##########----------]  50%', '[####################]  99%', '[####################] 100%']);
  });

  it('counts the runs that finished before a resume as done', () => {
    let now = 0;
    const s = new ExperimentStatus(plans, { line: () => undefined }, () => now, 6);
    s.finished(0);
    now += 1;
    expect(s.text()).toMatch(/^runs 7\/10, /);
  });

  it('formats durations as m:ss and h:mm:ss', () => {
    expect([clock(0), clock(59.6), clock(61), clock(3599), clock(3600), clock(36_061)]).toEqual(['0:00', '1:00', '1:01', '59:59', '1:00:00', '10:01:01']);
  });
});

describe('threads', () => {
  it('defaults to the cores, caps a larger request at them with a warning, and never exceeds the runs', () => {
    const cores = availableParallelism();
    const warnings: string[] = [];
    const progress = { line: (text: string) => warnings.push(text) };
    expect(threadCount(undefined, 100, progress)).toBe(cores);
    expect(threadCount(1, 100, progress)).toBe(1);
    expect(warnings).toEqual([]);
    expect(threadCount(cores + 62, 100, progress)).toBe(cores);
    expect(warnings).toEqual([
      `warning: ${cores + 62} threads asked for, but this machine has ${cores} cores; using ${cores} (more threads than cores only slow runs down and use more memory)`,
    ]);
    expect(threadCount(undefined, 1, progress)).toBe(1);
  });
});
