// Progress of a long experiment (lab/run/progress.ts): a status line over all runs, rewritten on a
// terminal, a plain line at least every 10 s otherwise; the thread count capped at the cores.
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { bar, clock, ExperimentStatus, fitLine, PLAIN_EVERY_SECONDS, type RunPlan } from '../../../lab/run/progress.ts';
import { threadCount } from '../../../lab/run/runner.ts';

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
  const progress = terminal
    ? { line: (t: string) => lines.push(t), update: (t: string) => updates.push(t) }
    : { line: (t: string) => lines.push(t) };
  const s = new ExperimentStatus(plans, progress, () => now);
  return { s, lines, updates, advance: (seconds: number) => (now += seconds) };
}

describe('the status line', () => {
  it('counts runs, training steps and evaluation episodes over all runs, with elapsed time and the time left', () => {
    const { s, advance } = status(true);
    s.finished(0);
    // Run 1's first report starts its pace (what came before it, its start-up, is not extrapolated).
    s.running(1, { phase: 'train', steps: 0, budgetSteps: 10_000, episodes: 0, budgetEpisodes: null });
    advance(30);
    s.running(1, { phase: 'train', steps: 5000, budgetSteps: 10_000, episodes: 250, budgetEpisodes: null });
    // Done: run 0 whole, run 1 half of its training (0.85 x 0.5): (1 + 0.425) / 4 of the work in 30 s.
    expect(s.fraction()).toBeCloseTo((1 + 0.425) / 4, 12);
    // Time left: run 1 would take 30 / 0.425 s, and so would run 2 (the same plan); no fixed
    // policy's time is known (run 0 finished before the clock saw it start), so run 3 is left out
    // and the time is a lower bound.
    const run = 30 / 0.425;
    expect(s.timeLeft()).toEqual({ seconds: expect.closeTo(run - 30 + run, 9), atLeast: true });
    expect(s.text()).toBe(
      `runs 1/4, 0:30 elapsed, at least ${clock(run - 30 + run)} left, training 5000/20k steps, evaluation 100/400 episodes`,
    );
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
    expect(updates[1]).toMatch(/^\[-+\] +\d+% runs 0\/4, 0:00 elapsed, training 300\/20k steps/);
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
    expect(lines).toEqual([
      expect.stringMatching(/^runs 0\/4, 0:10 elapsed, .*training 100\/20k steps, evaluation 0\/400 episodes$/),
    ]);
    advance(5);
    s.printed(); // a run finished and said so
    advance(9);
    s.tick();
    expect(lines).toHaveLength(1);
    // The clock ticks every half second: half a second early, so a line is never more than 10 s late.
    advance(0.5);
    s.tick();
    expect(lines).toHaveLength(2);
    expect(updates).toEqual([]);
  });

  it("takes the time left from how long each agent's runs take: cheap runs first do not make expensive ones look cheap", () => {
    // Five quick runs of a fixed policy (1 s each), then five learners of about 70 s each.
    const mixed: RunPlan[] = [
      ...Array.from({ length: 5 }, () => ({
        agent: 'random',
        trainSteps: null,
        trainEpisodes: null,
        evalEpisodes: 100,
      })),
      ...Array.from({ length: 5 }, () => ({
        agent: 'slateq',
        trainSteps: 300_000,
        trainEpisodes: null,
        evalEpisodes: 100,
      })),
    ];
    for (const threads of [1, 2]) {
      let now = 0;
      const s = new ExperimentStatus(mixed, { line: () => undefined }, () => now, 0, threads);
      for (let i = 0; i < 5; i++) {
        s.started(i);
        now += 1;
        s.finished(i);
      }
      // No learner has started: nothing of its kind is known, so the time left is a lower bound,
      // and a bound of 0 is not shown.
      expect(s.timeLeft()).toEqual({ seconds: 0, atLeast: true });
      expect(s.text()).not.toMatch(/left/);
      s.started(5);
      if (threads === 2) s.started(6);
      const start = { phase: 'train', steps: 0, budgetSteps: 300_000, episodes: 0, budgetEpisodes: null } as const;
      s.running(5, start);
      if (threads === 2) s.running(6, start);
      now += 6;
      // 10% of the training (0.85 of a learner's work) in 6 s: a learner takes 6 / 0.085 s.
      s.running(5, { phase: 'train', steps: 30_000, budgetSteps: 300_000, episodes: 300, budgetEpisodes: null });
      if (threads === 2)
        s.running(6, { phase: 'train', steps: 30_000, budgetSteps: 300_000, episodes: 300, budgetEpisodes: null });
      const run = 6 / 0.085;
      // Left: what remains of the running learners, and the others whole, shared by the threads.
      const expected = threads === 1 ? run - 6 + 4 * run : (2 * (run - 6) + 3 * run) / 2;
      expect(s.timeLeft()!.atLeast).toBe(false);
      expect(s.timeLeft()!.seconds).toBeCloseTo(expected, 9);
      // Counting runs alike, as the estimate did before, says about 10 s: a thirtieth of it.
      expect((11 * (1 - s.fraction())) / s.fraction()).toBeLessThan(expected / 10);
      // A learner that failed at once says nothing of how long the others take.
      s.started(9);
      s.finished(9, false);
      expect(s.timeLeft()!.seconds).toBeCloseTo(threads === 1 ? run - 6 + 3 * run : (2 * (run - 6) + 2 * run) / 2, 9);
      // The learners that finished tell the rest: the mean of their times.
      s.finished(5);
      // (Runs 6 to 8 are left, the failed run 9 is done; on two threads run 6 is at its end.)
      expect(s.timeLeft()!.seconds).toBeCloseTo(threads === 1 ? 3 * 6 : (0 + 2 * 6) / 2, 9);
    }
  });

  it('puts the time before the counts, so a narrow terminal cuts the counts', () => {
    const { s, advance } = status(true);
    s.running(1, { phase: 'train', steps: 0, budgetSteps: 10_000, episodes: 0, budgetEpisodes: null });
    advance(30);
    s.running(1, { phase: 'train', steps: 5000, budgetSteps: 10_000, episodes: 250, budgetEpisodes: null });
    expect(`${bar(0.5)} ${s.text()}`.slice(0, 79)).toMatch(
      /^\[#+-+\] +\d+% runs 0\/4, 0:30 elapsed, (about|at least) \d+:\d\d left/,
    );
  });

  it("measures a run's pace from its first report: its start-up is not extrapolated", () => {
    let now = 0;
    const one: RunPlan[] = [{ agent: 'slateq', trainSteps: 1000, trainEpisodes: null, evalEpisodes: 100 }];
    const s = new ExperimentStatus(one, { line: () => undefined }, () => now);
    s.started(0);
    now += 10; // loading its backend, say
    s.running(0, { phase: 'train', steps: 0, budgetSteps: 1000, episodes: 0, budgetEpisodes: null });
    now += 10;
    // Half its work (training 0.85 x 0.5 plus no evaluation is 0.425) in the 10 s since: 0.575 of it at that pace is
    // left.
    s.running(0, { phase: 'train', steps: 500, budgetSteps: 1000, episodes: 0, budgetEpisodes: null });
    expect(s.timeLeft()!.seconds).toBeCloseTo((0.575 * 10) / 0.425, 9);
  });

  it("never moves the bar backwards when a slower agent's pace becomes known", () => {
    let now = 0;
    const shown: number[] = [];
    const mixed: RunPlan[] = [
      { agent: 'random', trainSteps: null, trainEpisodes: null, evalEpisodes: 100 },
      { agent: 'random', trainSteps: null, trainEpisodes: null, evalEpisodes: 100 },
      { agent: 'slateq', trainSteps: 100_000, trainEpisodes: null, evalEpisodes: 100 },
    ];
    const s = new ExperimentStatus(
      mixed,
      { line: () => undefined, update: (text) => shown.push(Number(/(\d+)%/.exec(text)![1])) },
      () => now,
    );
    for (const i of [0, 1]) {
      s.started(i);
      now += 0.5;
      s.finished(i);
    }
    s.started(2);
    for (let steps = 0; steps <= 50_000; steps += 10_000) {
      s.running(2, { phase: 'train', steps, budgetSteps: 100_000, episodes: 0, budgetEpisodes: null });
      now += 5;
    }
    expect(shown.length).toBeGreaterThan(3);
    for (let i = 1; i < shown.length; i++)
      expect(shown[i], `update ${i}: ${shown.join(', ')}`).toBeGreaterThanOrEqual(shown[i - 1]);
  });

  it('fits the live line to a narrow terminal: the bar goes first, then whole parts from the end', () => {
    const line =
      '[##########----------]  50% runs 2/4, 0:04 elapsed, about 0:16 left, training 12345/120k steps, evaluation 100/400 episodes';
    expect(fitLine(line, 200)).toBe(line);
    expect(fitLine(line, 100)).toBe(
      ' 50% runs 2/4, 0:04 elapsed, about 0:16 left, training 12345/120k steps, evaluation 100/400 episodes'.trimStart(),
    );
    expect(fitLine(line, 60)).toBe('50% runs 2/4, 0:04 elapsed, about 0:16 left, …');
    expect(fitLine(line, 30)).toBe('50% runs 2/4, 0:04 elapsed, …');
  });

  it('draws a bar of 20 characters with the percentage done', () => {
    expect([bar(0), bar(0.5), bar(0.999), bar(1)]).toEqual([
      '[--------------------]   0%',
      '[##########----------]  50%',
      '[####################]  99%',
      '[####################] 100%',
    ]);
  });

  it('counts the runs that finished before a resume as done', () => {
    let now = 0;
    const s = new ExperimentStatus(plans, { line: () => undefined }, () => now, 6);
    s.finished(0);
    now += 1;
    expect(s.text()).toMatch(/^runs 7\/10, /);
  });

  it('formats durations as m:ss and h:mm:ss', () => {
    expect([clock(0), clock(59.6), clock(61), clock(3599), clock(3600), clock(36_061)]).toEqual([
      '0:00',
      '1:00',
      '1:01',
      '59:59',
      '1:00:00',
      '10:01:01',
    ]);
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
