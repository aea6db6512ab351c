// What an experiment reports while it runs (stderr in the CLI): one status line over all runs
// (runs done of total, training steps, evaluation episodes, elapsed, time left), rewritten in place
// on a terminal and printed as a plain line at least every 10 s otherwise, so a long run is never
// silent in a log file. Wall time enters only this display, never the results.
import type { RunProgress } from './training.ts';

/** Where progress goes. `update` rewrites the current line (terminals); without it, lines are appended. */
export interface Progress {
  line(text: string): void;
  update?(text: string): void;
}

/** One run's share of the work, for the status line. */
export interface RunPlan {
  /** Training budget of a learning run (null for a fixed policy, or the other budget's unit). */
  readonly trainSteps: number | null;
  readonly trainEpisodes: number | null;
  readonly evalEpisodes: number;
}

/** Seconds between plain status lines when progress cannot rewrite a line (not a terminal). */
export const PLAIN_EVERY_SECONDS = 10;
/** Seconds between rewrites of the live line on a terminal. */
const LIVE_EVERY_SECONDS = 0.25;
/** Share of a learning run's time taken by training (the rest: its final evaluation), for the estimate of the time left. */
const TRAINING_SHARE = 0.85;

export class ExperimentStatus {
  private readonly state: { train: number; eval: number; done: boolean }[];
  private readonly started: number;
  private lastShown = -Infinity;
  private lastLine: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly plans: readonly RunPlan[],
    private readonly progress: Progress | undefined,
    private readonly now: () => number = () => performance.now() / 1000,
    /** Runs that had finished before (`slatelab resume`): counted as done in "runs k/N". */
    private readonly finishedBefore = 0,
  ) {
    this.state = plans.map(() => ({ train: 0, eval: 0, done: false }));
    this.started = this.now();
    this.lastLine = this.started;
  }

  /**
   * Starts the clock: every second it rewrites the live line (the elapsed time goes on during a
   * long refit that reports nothing), or prints a plain line when nothing was printed for
   * PLAIN_EVERY_SECONDS.
   */
  start(): void {
    if (!this.progress) return;
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** A line printed by the runner (a run finished or failed): it counts as output. */
  printed(): void {
    this.lastLine = this.now();
  }

  running(index: number, progress: RunProgress): void {
    const run = this.state[index];
    if (progress.phase === 'train') run.train = progress.budgetSteps !== null ? progress.steps : progress.episodes;
    else run.eval = progress.episodes;
    this.show(false);
  }

  finished(index: number): void {
    const run = this.state[index];
    const plan = this.plans[index];
    run.done = true;
    run.train = plan.trainSteps ?? plan.trainEpisodes ?? 0;
    run.eval = plan.evalEpisodes;
  }

  /** Prints the status on a terminal (throttled), or as a plain line once PLAIN_EVERY_SECONDS passed without output. */
  tick(): void {
    this.show(false);
  }

  private show(force: boolean): void {
    if (!this.progress) return;
    const now = this.now();
    if (this.progress.update) {
      if (!force && now - this.lastShown < LIVE_EVERY_SECONDS) return;
      this.lastShown = now;
      this.progress.update(`${bar(this.fraction())} ${this.text()}`);
    } else if (force || now - this.lastLine >= PLAIN_EVERY_SECONDS) {
      this.lastLine = now;
      this.progress.line(this.text());
    }
  }

  /** The fraction of the work done: finished runs count whole, running ones by their training and evaluation. */
  fraction(): number {
    let sum = 0;
    this.state.forEach((run, i) => {
      if (run.done) {
        sum += 1;
        return;
      }
      const plan = this.plans[i];
      const trainBudget = plan.trainSteps ?? plan.trainEpisodes;
      const evaluation = run.eval / plan.evalEpisodes;
      sum += trainBudget ? TRAINING_SHARE * Math.min(1, run.train / trainBudget) + (1 - TRAINING_SHARE) * evaluation : evaluation;
    });
    return this.state.length === 0 ? 1 : sum / this.state.length;
  }

  text(): string {
    const elapsed = this.now() - this.started;
    const done = this.state.filter((run) => run.done).length;
    const parts = [`runs ${this.finishedBefore + done}/${this.finishedBefore + this.state.length}`];
    const total = (pick: (plan: RunPlan) => number | null) => this.plans.reduce((sum, plan) => sum + (pick(plan) ?? 0), 0);
    const sum = (pick: (run: { train: number; eval: number }, plan: RunPlan) => number) => this.state.reduce((acc, run, i) => acc + pick(run, this.plans[i]), 0);
    const steps = total((plan) => plan.trainSteps);
    const episodes = total((plan) => plan.trainEpisodes);
    if (steps > 0) parts.push(`training ${count(sum((run, plan) => (plan.trainSteps !== null ? run.train : 0)))}/${count(steps)} steps`);
    if (episodes > 0) parts.push(`training ${count(sum((run, plan) => (plan.trainEpisodes !== null ? run.train : 0)))}/${count(episodes)} episodes`);
    parts.push(`evaluation ${count(sum((run) => run.eval))}/${count(total((plan) => plan.evalEpisodes))} episodes`);
    parts.push(`${clock(elapsed)} elapsed`);
    const fraction = this.fraction();
    // Too early to tell: the first seconds include start-up and say little of the rest.
    if (fraction > 0.01 && elapsed >= 3 && fraction < 1) parts.push(`about ${clock((elapsed * (1 - fraction)) / fraction)} left`);
    return parts.join(', ');
  }
}

/** A 20-character bar of the work done and its percentage, for the live line on a terminal. */
export function bar(fraction: number): string {
  const filled = Math.round(20 * Math.min(1, Math.max(0, fraction)));
  return `[${'#'.repeat(filled)}${'-'.repeat(20 - filled)}] ${String(Math.floor(100 * fraction)).padStart(3)}%`;
}

/** 1234 -> "1234", 123456 -> "123k", 12345678 -> "12.3M". */
function count(n: number): string {
  if (n < 10_000) return String(Math.round(n));
  if (n < 1_000_000) return `${Math.round(n / 1000)}k`;
  return `${(n / 1_000_000).toPrecision(3)}M`;
}

/** Seconds as m:ss or h:mm:ss. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  return hours > 0 ? `${hours}:${pad(minutes)}:${pad(s % 60)}` : `${minutes}:${pad(s % 60)}`;
}
