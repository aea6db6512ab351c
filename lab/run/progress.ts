// What an experiment reports while it runs (stderr in the CLI): one status line over all runs
// (runs done of total, training steps, evaluation episodes, elapsed, time left), rewritten in place
// on a terminal and printed as a plain line at least every 10 s otherwise, so a long run is never
// silent in a log file. Wall time enters only this display, never the results.
import type { RunProgress } from '../loop/agent-run.ts';

/** Where progress goes. `update` rewrites the current line (terminals); without it, lines are appended. */
export interface Progress {
  line(text: string): void;
  update?(text: string): void;
}

/** One run's share of the work, for the status line. */
export interface RunPlan {
  /** The agent: runs of one agent take about as long as each other (the estimate of the time left). */
  readonly agent?: string;
  /** Training budget of a learning run (null for a fixed policy, or the other budget's unit). */
  readonly trainSteps: number | null;
  readonly trainEpisodes: number | null;
  readonly evalEpisodes: number;
}

/** Seconds between plain status lines when progress cannot rewrite a line (not a terminal): at most this. */
export const PLAIN_EVERY_SECONDS = 10;
/**
 * Seconds between the clock's checks: a plain line comes PLAIN_EVERY_SECONDS - TICK_SECONDS to PLAIN_EVERY_SECONDS
 * after the last.
 */
const TICK_SECONDS = 0.5;
/** Seconds between rewrites of the live line on a terminal. */
const LIVE_EVERY_SECONDS = 0.25;
/**
 * Share of a learning run's time taken by training (the rest: its final evaluation), for the estimate of the time left.
 */
const TRAINING_SHARE = 0.85;

interface RunState {
  train: number;
  eval: number;
  done: boolean;
  /** When the run started and finished (this display's clock), null until then. */
  startedAt: number | null;
  finishedAt: number | null;
  /** The first progress it reported (time, fraction done): its pace is measured from there, past its start-up. */
  firstReport: { at: number; fraction: number } | null;
}

export class ExperimentStatus {
  private readonly state: RunState[];
  private readonly clockStart: number;
  private lastShown = -Infinity;
  private lastLine: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly plans: readonly RunPlan[],
    private readonly progress: Progress | undefined,
    private readonly now: () => number = () => performance.now() / 1000,
    /** Runs that had finished before (`slatelab resume`): counted as done in "runs k/N". */
    private readonly finishedBefore = 0,
    /** Runs going at once (worker threads), for the time left. */
    private readonly threads = 1,
  ) {
    this.state = plans.map(() => ({
      train: 0,
      eval: 0,
      done: false,
      startedAt: null,
      finishedAt: null,
      firstReport: null,
    }));
    this.clockStart = this.now();
    this.lastLine = this.clockStart;
  }

  /**
   * Starts the clock: every half second it rewrites the live line (the elapsed time goes on
   * during a long refit that reports nothing), or prints a plain line once nothing was printed
   * for PLAIN_EVERY_SECONDS less a tick (so never more than PLAIN_EVERY_SECONDS apart).
   */
  start(): void {
    if (!this.progress) return;
    this.timer = setInterval(() => this.tick(), TICK_SECONDS * 1000);
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

  /** A run started on its thread. */
  started(index: number): void {
    this.state[index].startedAt ??= this.now();
  }

  running(index: number, progress: RunProgress): void {
    const run = this.state[index];
    run.startedAt ??= this.now();
    if (progress.phase === 'train') run.train = progress.budgetSteps !== null ? progress.steps : progress.episodes;
    else run.eval = progress.episodes;
    run.firstReport ??= { at: this.now(), fraction: this.runFraction(index) };
    this.show(false);
  }

  /** A run ended; one that failed (`ok` false) says nothing of how long its agent's runs take. */
  finished(index: number, ok = true): void {
    const run = this.state[index];
    const plan = this.plans[index];
    run.done = true;
    if (ok) run.finishedAt = this.now();
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
      // The bar: the runs' work done, which only grows (a share of the time moved back whenever a
      // slower agent's pace became known).
      this.progress.update(`${bar(this.fraction())} ${this.text()}`);
    } else if (force || now - this.lastLine >= PLAIN_EVERY_SECONDS - TICK_SECONDS) {
      this.lastLine = now;
      this.progress.line(this.text());
    }
  }

  /** The fraction of the runs' work done: finished runs count whole, running ones by their training and evaluation. */
  fraction(): number {
    let sum = 0;
    for (let i = 0; i < this.state.length; i++) sum += this.runFraction(i);
    return this.state.length === 0 ? 1 : sum / this.state.length;
  }

  /** One run's fraction done, by its training and evaluation (TRAINING_SHARE of a learning run is training). */
  private runFraction(index: number): number {
    const run = this.state[index];
    if (run.done) return 1;
    const plan = this.plans[index];
    const trainBudget = plan.trainSteps ?? plan.trainEpisodes;
    const evaluation = run.eval / plan.evalEpisodes;
    return trainBudget
      ? TRAINING_SHARE * Math.min(1, run.train / trainBudget) + (1 - TRAINING_SHARE) * evaluation
      : evaluation;
  }

  /**
   * Seconds left, from how long each agent's runs take: the mean time of its finished runs, or
   * while none has finished, a running one's time so far and the rest at its pace since its first
   * report. An agent with no
   * run under way yet is taken to be as slow as the others of its kind (learning or not); with
   * none of its kind seen either, it is left out and the time is a lower bound (`atLeast`). The
   * runs left share the threads, and the longest of them bounds the time from below. Null while
   * nothing is known (the first seconds).
   */
  timeLeft(): { seconds: number; atLeast: boolean } | null {
    const now = this.now();
    const key = (i: number) => this.plans[i].agent ?? JSON.stringify(this.plans[i]);
    const learns = (i: number) => (this.plans[i].trainSteps ?? this.plans[i].trainEpisodes) !== null;
    const finished = new Map<string, number[]>();
    const extrapolated = new Map<string, number[]>();
    this.state.forEach((run, i) => {
      if (run.startedAt === null) return;
      if (run.done && run.finishedAt !== null) push(finished, key(i), run.finishedAt - run.startedAt);
      else if (!run.done && run.firstReport) {
        // Its pace since its first report (start-up, such as loading TensorFlow.js, is not
        // extrapolated), then the whole run at that pace after the time it has taken so far.
        const fraction = this.runFraction(i);
        const gained = fraction - run.firstReport.fraction;
        const spent = now - run.firstReport.at;
        if (gained >= 0.02 && spent >= 1)
          push(extrapolated, key(i), now - run.startedAt + ((1 - fraction) * spent) / gained);
      }
    });
    const duration = new Map<string, number>();
    for (const [agent, times] of extrapolated) duration.set(agent, mean(times));
    for (const [agent, times] of finished) duration.set(agent, mean(times));
    if (duration.size === 0) return null;
    const learnsOf = new Map(this.plans.map((_, i) => [key(i), learns(i)]));
    const byKind = (learning: boolean) => {
      const known = [...duration].filter(([agent]) => learnsOf.get(agent) === learning).map(([, seconds]) => seconds);
      return known.length > 0 ? mean(known) : null;
    };
    const kindDuration = [byKind(false), byKind(true)];
    let total = 0;
    let longest = 0;
    let unfinished = 0;
    let atLeast = false;
    this.state.forEach((run, i) => {
      if (run.done) return;
      unfinished++;
      const expected = duration.get(key(i)) ?? kindDuration[learns(i) ? 1 : 0];
      if (expected === null) {
        atLeast = true;
        return;
      }
      const left = run.startedAt === null ? expected : Math.max(0, expected - (now - run.startedAt));
      total += left;
      longest = Math.max(longest, left);
    });
    if (unfinished === 0) return { seconds: 0, atLeast: false };
    return { seconds: Math.max(longest, total / Math.min(this.threads, unfinished)), atLeast };
  }

  text(): string {
    const elapsed = this.now() - this.clockStart;
    const done = this.state.filter((run) => run.done).length;
    // The time first, then the counts: a narrow terminal cuts the end of the line.
    const parts = [
      `runs ${this.finishedBefore + done}/${this.finishedBefore + this.state.length}`,
      `${clock(elapsed)} elapsed`,
    ];
    const left = this.timeLeft();
    // Too early to tell in the first seconds: they include start-up and say little of the rest.
    // ("At least 0:00" would say nothing: nothing is shown until a run of every kind is timed.)
    if (left && elapsed >= 3 && done < this.state.length && !(left.atLeast && left.seconds < 1))
      parts.push(`${left.atLeast ? 'at least' : 'about'} ${clock(left.seconds)} left`);
    const total = (pick: (plan: RunPlan) => number | null) =>
      this.plans.reduce((sum, plan) => sum + (pick(plan) ?? 0), 0);
    const sum = (pick: (run: { train: number; eval: number }, plan: RunPlan) => number) =>
      this.state.reduce((acc, run, i) => acc + pick(run, this.plans[i]), 0);
    const steps = total((plan) => plan.trainSteps);
    const episodes = total((plan) => plan.trainEpisodes);
    if (steps > 0)
      parts.push(
        `training ${count(sum((run, plan) => (plan.trainSteps !== null ? run.train : 0)))}/${count(steps)} steps`,
      );
    if (episodes > 0)
      parts.push(
        `training ${count(sum((run, plan) => (plan.trainEpisodes !== null ? run.train : 0)))}/${count(episodes)} episodes`,
      );
    parts.push(`evaluation ${count(sum((run) => run.eval))}/${count(total((plan) => plan.evalEpisodes))} episodes`);
    return parts.join(', ');
  }
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/**
 * The live line cut to `width` characters: without its bar first (the percentage stays), then
 * at the last whole part that fits, marked with "…", so that a narrow terminal keeps the times
 * and never shows half a number.
 */
export function fitLine(line: string, width: number): string {
  if (line.length <= width) return line;
  const bare = line.replace(/^\[[#-]+\] +/, '');
  if (bare.length <= width) return bare;
  const cut = bare.lastIndexOf(', ', width - 1);
  return cut > 0 ? `${bare.slice(0, cut)}, …` : `${bare.slice(0, width - 1)}…`;
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
