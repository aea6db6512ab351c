// Functions the pool test runs in worker threads.
import { Rng } from '../../../sim/rng.ts';
import { actStarting } from '../../../lab/loop/act-clock.ts';

export function drawSum(key: string, count: number): number {
  const rng = new Rng(key);
  let sum = 0;
  for (let i = 0; i < count; i++) sum += rng.normal();
  return sum;
}

export function fail(message: string): never {
  throw new Error(message);
}

/** Counts to n, reporting each number, and returns n. */
export function countTo(n: number, report?: (value: number) => void): number {
  for (let i = 1; i <= n; i++) report?.(i);
  return n;
}

/** When the task started, on the clock all threads share (ms since the epoch). */
export function startedAt(): number {
  return performance.timeOrigin + performance.now();
}

/** Starts an act (lab/loop/act-clock.ts) that never returns: an endless loop. */
export function stuckAct(): never {
  actStarting();
  for (;;) {}
}

/** Holds ever more JavaScript objects: a leak, until the thread's heap cap stops it. */
export function leak(): never {
  const held: unknown[] = [];
  for (;;) held.push(Array.from({ length: 10_000 }, (_, i) => ({ i })));
}
