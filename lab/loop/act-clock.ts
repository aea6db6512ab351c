// When this thread's current act call started, in memory its pool reads (lab/run/pool.ts): a
// policy stuck in an endless loop cannot be interrupted inside its thread, so the pool watches
// this clock and stops a worker whose act has not returned in time. Wall-clock time, read only to
// stop a stuck run; it never enters results. Without a pool (in-process) nothing is installed.

/** [0]: Date.now() when the current act started, 0 between calls. */
let clock: Float64Array | null = null;

/** Called by a pool worker with the memory its pool reads. */
export function installActClock(buffer: SharedArrayBuffer): void {
  clock = new Float64Array(buffer);
}

export function actStarting(): void {
  if (clock) clock[0] = Date.now();
}

export function actEnded(): void {
  if (clock) clock[0] = 0;
}
