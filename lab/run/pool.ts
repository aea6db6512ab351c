// A small worker-thread pool for independent runs. Each task names an exported function of one of
// our modules and its (structured-cloneable) arguments, so a task runs the same code in a worker
// as in-process: results cannot depend on the number of threads, only the wall time does.
import { Worker } from 'node:worker_threads';

/**
 * The worker's entry. From the sources (run through tsx) it is worker-boot.mjs, which registers tsx
 * in the thread first; from the emitted JavaScript (dist/, the library) it is worker.js itself.
 */
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './worker-boot.mjs' : './worker.js', import.meta.url);

export interface Task {
  /** File URL of the module (e.g. import.meta.url, when a module names one of its own functions). */
  readonly module: string;
  /** Name of the exported function to call. */
  readonly fn: string;
  readonly args: readonly unknown[];
}

/** What a worker is given once: every task, and the counter from which it claims the next one. */
export interface TaskList {
  readonly tasks: readonly Task[];
  /** Index of the next task to start, shared by all the pool's workers (Atomics.add claims one). */
  readonly next: Int32Array;
  /** Append a progress callback to each task's arguments (its values reach RunTasksOptions.onProgress). */
  readonly progress: boolean;
  /** This worker's act clock (lab/loop/act-clock.ts), which the pool watches (RunTasksOptions.actTimeLimitMs). */
  readonly actClock?: SharedArrayBuffer;
  /** Int32: the task this worker runs, id + 1 (0 between tasks), written by the worker as it claims one. */
  readonly running?: SharedArrayBuffer;
}

/** What a worker is started with (its workerData). */
export interface WorkerStart {
  /** A module to import at once, before any task arrives (startWorkers). */
  readonly preload?: string;
}

export type TaskReply =
  | { readonly id: number; readonly kind: 'started' }
  | { readonly id: number; readonly kind: 'progress'; readonly value: unknown }
  | { readonly id: number; readonly kind: 'done'; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly kind: 'done'; readonly ok: false; readonly message: string; readonly stack: string }
  /** No task is left to claim: the worker has finished. */
  | { readonly id: -1; readonly kind: 'idle' };

export type TaskOutcome<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: Error };

export interface RunTasksOptions<R> {
  /** Fires as each task ends, in completion order, so callers can save finished work straight away. */
  readonly onSettled?: (index: number, outcome: TaskOutcome<R>) => void | Promise<void>;
  /**
   * Receives what a task reports while it runs: each task gets a callback as an extra last
   * argument, and its values arrive here (from worker threads too).
   */
  readonly onProgress?: (index: number, value: unknown) => void;
  /** Fires as a task starts (on its thread), e.g. for a progress display's time per task. */
  readonly onStarted?: (index: number) => void;
  /**
   * Stops the pool: no task starts any more and the workers are stopped at once; tasks that had
   * not finished have no outcome (a hole in the returned array). In-process, the running task
   * finishes first (JavaScript cannot stop it midway, nor see a signal while it runs).
   */
  readonly signal?: AbortSignal;
  /**
   * Run on worker threads even with one thread (default: only when threads > 1). A worker keeps
   * the main thread free to notice Ctrl-C while a long task runs.
   */
  readonly workers?: boolean;
  /**
   * On worker threads: a task whose act call (lab/loop/act-clock.ts) has not returned this many
   * milliseconds after the limit its run checks itself (so: limit + STUCK_GRACE_MS) is stuck (an
   * endless loop cannot be interrupted inside its thread): the pool terminates that worker, fails
   * the task with the reason, and starts a fresh worker that goes on claiming tasks.
   */
  readonly actTimeLimitMs?: number;
  /**
   * On worker threads: each worker's JavaScript heap in MB (resourceLimits.maxOldGenerationSizeMb).
   * A task whose worker goes over it fails with a message naming the cap, and a fresh worker goes
   * on. It counts the JavaScript heap only: typed arrays' buffers and WebAssembly memory (the
   * networks' tensors) are outside it. Absent: Node's own limit (about a quarter of the memory, up to 4 GB).
   */
  readonly heapLimitMb?: number;
}

/** Beyond an act's own limit, how long the pool waits before it calls the act stuck. */
export const STUCK_GRACE_MS = 1000;

/**
 * Runs every task on `threads` worker threads (in-process when threads <= 1, unless `workers`)
 * and returns their outcomes in task order. A failing task does not stop the others.
 */
export async function runTasks<R>(
  tasks: readonly Task[],
  threads: number,
  options: RunTasksOptions<R> = {},
): Promise<TaskOutcome<R>[]> {
  const { onSettled, onProgress, onStarted, signal } = options;
  const outcomes: TaskOutcome<R>[] = new Array(tasks.length);
  if (tasks.length === 0) return outcomes; // (no thread to start)
  const settle = async (index: number, outcome: TaskOutcome<R>) => {
    outcomes[index] = outcome;
    await onSettled?.(index, outcome);
  };
  if (!options.workers && (threads <= 1 || tasks.length <= 1)) {
    for (let index = 0; index < tasks.length; index++) {
      // Let a signal handler run between tasks.
      await new Promise((resolve) => setImmediate(resolve));
      if (signal?.aborted) break;
      const task = tasks[index];
      onStarted?.(index);
      const args = onProgress ? [...task.args, (value: unknown) => onProgress(index, value)] : task.args;
      try {
        const module = (await import(task.module)) as Record<string, (...args: unknown[]) => unknown>;
        await settle(index, { ok: true, value: (await module[task.fn](...args)) as R });
      } catch (error) {
        await settle(index, { ok: false, error: error instanceof Error ? error : new Error(String(error)) });
      }
    }
    return outcomes;
  }

  const workerCount = Math.max(1, Math.min(threads, tasks.length));
  // Workers claim tasks from a shared counter (lab/run/worker.ts): none waits for this thread between
  // tasks. A task list is sent whole, once per worker (tasks sharing one config clone it once).
  const next = new Int32Array(new SharedArrayBuffer(4));
  const list: TaskList = { tasks, next, progress: onProgress !== undefined };
  const workers: Worker[] = [];
  // Saves of finished tasks still in progress: the pool returns only after them.
  const saving = new Set<Promise<void>>();
  let settleError: { error: unknown } | null = null;
  const limit = options.actTimeLimitMs ?? Infinity;
  const runWorker = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const worker = takeWorker(options.heapLimitMb);
      workers.push(worker);
      let current = -1;
      let stopped = false;
      // The worker's act clock: Date.now() when its current act started, 0 between calls.
      const actClock = new SharedArrayBuffer(8);
      const actStart = new Float64Array(actClock);
      const running = new SharedArrayBuffer(4);
      const runningTask = new Int32Array(running);
      let claimedAny = false;
      // Replaced (stuck or died): what its thread still sends is about a task already failed.
      let dead = false;
      /** A task failed by its thread's end (stuck, or the thread died): the task fails, a fresh worker goes on. */
      const replace = (message: string) => {
        if (stopped) return;
        stopped = true;
        dead = true;
        clearInterval(watch);
        signal?.removeEventListener('abort', stop);
        const failed = current;
        current = -1;
        const saved = Promise.resolve(settle(failed, { ok: false, error: new Error(message) })).catch(
          (error: unknown) => {
            settleError ??= { error };
          },
        );
        saving.add(saved);
        void saved.finally(() => saving.delete(saved));
        void worker.terminate().then(() => resolve(runWorker()), reject);
      };
      const watch = setInterval(
        () => {
          const started = actStart[0];
          if (current >= 0 && started > 0 && Date.now() - started > limit + STUCK_GRACE_MS)
            replace(
              `act did not return within ${limit + STUCK_GRACE_MS} ms (evaluation.actTimeLimitMs ${limit} ms ` +
                `and ${STUCK_GRACE_MS} ms of grace): stuck, perhaps in an endless loop; its worker thread was stopped`,
            );
        },
        Math.max(50, Math.min(500, limit / 4)),
      );
      if (limit === Infinity) clearInterval(watch);
      watch.unref();
      const stop = () => {
        if (stopped) return;
        stopped = true;
        clearInterval(watch);
        // No worker claims another task.
        Atomics.store(next, 0, tasks.length);
        signal?.removeEventListener('abort', stop);
        void worker.terminate().then(() => resolve());
      };
      signal?.addEventListener('abort', stop, { once: true });
      worker.on('message', (reply: TaskReply) => {
        if (dead) return;
        if (reply.kind === 'idle') return stop();
        if (reply.kind === 'started') {
          current = reply.id;
          claimedAny = true;
          if (!signal?.aborted) onStarted?.(reply.id);
          return;
        }
        if (reply.kind === 'progress') {
          if (!signal?.aborted) onProgress?.(reply.id, reply.value);
          return;
        }
        current = -1;
        // A task that finished as the pool stopped still counts: its result is here. Meanwhile
        // the worker has gone on to its next task.
        const outcome: TaskOutcome<R> = reply.ok
          ? { ok: true, value: reply.value as R }
          : { ok: false, error: Object.assign(new Error(reply.message), { stack: reply.stack }) };
        // An error while saving fails the pool, even after this worker has stopped (runTasks rethrows it).
        const saved = Promise.resolve(settle(reply.id, outcome)).catch((error: unknown) => {
          settleError ??= { error };
          reject(error);
        });
        saving.add(saved);
        void saved.finally(() => saving.delete(saved));
      });
      worker.on('error', (error) => {
        // The thread died while it ran a task (out of memory, say): that task fails, a fresh
        // worker goes on. The task is read from shared memory: the thread may have died before
        // its 'started' message was read. Dead before any task (its code failed to load): the pool fails.
        const claimed = runningTask[0] - 1;
        if (claimed >= 0 && !outcomes[claimed]) {
          current = claimed;
          return replace(threadDeath(error, options.heapLimitMb));
        }
        if (current >= 0 && !outcomes[current]) return replace(threadDeath(error, options.heapLimitMb));
        if (claimedAny && !stopped) {
          // Between tasks, after running some: no task is lost; a fresh worker goes on.
          stopped = true;
          clearInterval(watch);
          signal?.removeEventListener('abort', stop);
          void worker.terminate().then(() => resolve(runWorker()), reject);
          return;
        }
        clearInterval(watch);
        reject(error);
      });
      if (signal?.aborted) stop();
      else worker.postMessage({ ...list, actClock, running } satisfies TaskList);
    });
  try {
    await Promise.all(Array.from({ length: workerCount }, runWorker));
    await Promise.all(saving);
    // (Set by a save's callback: TypeScript cannot see that it may no longer be null here.)
    const failed = settleError as { error: unknown } | null;
    if (failed) throw failed.error;
  } catch (error) {
    // A thread died or onSettled threw: stop the other threads too, or they keep the process alive.
    Atomics.store(next, 0, tasks.length);
    await Promise.all(workers.map((worker) => worker.terminate()));
    throw error;
  }
  return outcomes;
}

/** Why a worker thread died while it ran a task, for that task's error. */
function threadDeath(error: Error, heapLimitMb: number | undefined): string {
  if ((error as NodeJS.ErrnoException).code !== 'ERR_WORKER_OUT_OF_MEMORY')
    return `its worker thread died: ${error.message}`;
  const limit = heapLimitMb === undefined ? "Node's own heap limit" : `evaluation.workerHeapMb ${heapLimitMb} MB`;
  return (
    `its worker thread ran out of memory: the JavaScript heap went over ${limit} ` +
    `(typed arrays and WebAssembly memory are not counted in it); the thread was stopped`
  );
}

/**
 * Worker threads started ahead of a pool (startWorkers), so that their start (tens of
 * milliseconds each) overlaps the caller's own preparation. Unreferenced until taken: spares
 * never keep the process alive.
 */
const spares: { worker: Worker; failed: boolean; heapLimitMb: number | undefined }[] = [];

/**
 * Starts worker threads for a pool about to run, up to `count` waiting. Each imports `preload` (a
 * task module's URL) as soon as it is up, so that loading the tasks' code (tens of milliseconds)
 * overlaps the caller's preparation too; a module that fails to load fails its tasks as before.
 */
export function startWorkers(count: number, preload?: string, heapLimitMb?: number): void {
  while (spares.length < count) {
    const spare = { worker: newWorker(heapLimitMb, { preload }), failed: false, heapLimitMb };
    spare.worker.unref();
    // A spare that fails to start is replaced when taken (the error would otherwise be uncaught).
    spare.worker.once('error', () => {
      spare.failed = true;
    });
    spares.push(spare);
  }
}

/** How many started workers wait for a pool. */
export function spareWorkerCount(): number {
  return spares.length;
}

/** Stops the spare workers no pool took (e.g. when an experiment fails before its runs). */
export async function stopSpareWorkers(): Promise<void> {
  await Promise.all(spares.splice(0).map(({ worker }) => worker.terminate()));
}

function takeWorker(heapLimitMb: number | undefined): Worker {
  for (let spare = spares.shift(); spare; spare = spares.shift()) {
    if (spare.failed) continue;
    // A spare started with another heap limit cannot be changed: a new one is started instead.
    if (spare.heapLimitMb !== heapLimitMb) {
      void spare.worker.terminate();
      continue;
    }
    spare.worker.removeAllListeners('error');
    spare.worker.ref();
    return spare.worker;
  }
  return newWorker(heapLimitMb, {});
}

function newWorker(heapLimitMb: number | undefined, start: WorkerStart): Worker {
  return new Worker(WORKER_URL, {
    workerData: start,
    ...(heapLimitMb === undefined ? {} : { resourceLimits: { maxOldGenerationSizeMb: heapLimitMb } }),
  });
}
