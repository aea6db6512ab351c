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

export interface TaskMessage extends Task {
  readonly id: number;
  /** Append a progress callback to the arguments (its values reach RunTasksOptions.onProgress). */
  readonly progress: boolean;
}

export type TaskReply =
  | { readonly id: number; readonly kind: 'progress'; readonly value: unknown }
  | { readonly id: number; readonly kind: 'done'; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly kind: 'done'; readonly ok: false; readonly message: string; readonly stack: string };

export type TaskOutcome<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: Error };

export interface RunTasksOptions<R> {
  /** Fires as each task ends, in completion order, so callers can save finished work straight away. */
  readonly onSettled?: (index: number, outcome: TaskOutcome<R>) => void | Promise<void>;
  /**
   * Receives what a task reports while it runs: each task gets a callback as an extra last
   * argument, and its values arrive here (from worker threads too).
   */
  readonly onProgress?: (index: number, value: unknown) => void;
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
}

/**
 * Runs every task on `threads` worker threads (in-process when threads <= 1, unless `workers`)
 * and returns their outcomes in task order. A failing task does not stop the others.
 */
export async function runTasks<R>(tasks: readonly Task[], threads: number, options: RunTasksOptions<R> = {}): Promise<TaskOutcome<R>[]> {
  const { onSettled, onProgress, signal } = options;
  const outcomes: TaskOutcome<R>[] = new Array(tasks.length);
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

  let next = 0;
  const workerCount = Math.max(1, Math.min(threads, tasks.length));
  const workers: Worker[] = [];
  // Saves of finished tasks still in progress: the pool returns only after them.
  const saving = new Set<Promise<void>>();
  let settleError: { error: unknown } | null = null;
  const runWorker = () =>
    new Promise<void>((resolve, reject) => {
      const worker = new Worker(WORKER_URL);
      workers.push(worker);
      let current = -1;
      let stopped = false;
      const stop = () => {
        if (stopped) return;
        stopped = true;
        signal?.removeEventListener('abort', stop);
        void worker.terminate().then(() => resolve());
      };
      signal?.addEventListener('abort', stop, { once: true });
      const feed = () => {
        if (next >= tasks.length || signal?.aborted) {
          stop();
          return;
        }
        current = next++;
        const message: TaskMessage = { id: current, ...tasks[current], progress: onProgress !== undefined };
        worker.postMessage(message);
      };
      worker.on('message', (reply: TaskReply) => {
        if (reply.kind === 'progress') {
          if (!signal?.aborted) onProgress?.(reply.id, reply.value);
          return;
        }
        const outcome: TaskOutcome<R> = reply.ok
          ? { ok: true, value: reply.value as R }
          : { ok: false, error: Object.assign(new Error(reply.message), { stack: reply.stack }) };
        // The worker takes its next task at once, and the finished one is saved meanwhile (on one
        // thread, saving would otherwise hold the worker idle). A task that finished as the pool
        // stopped still counts: its result is here.
        feed();
        // An error while saving fails the pool, even after this worker has stopped (runTasks rethrows it).
        const saved = Promise.resolve(settle(reply.id, outcome)).catch((error: unknown) => {
          settleError ??= { error };
          reject(error);
        });
        saving.add(saved);
        void saved.finally(() => saving.delete(saved));
      });
      worker.on('error', (error) => {
        // The thread died (not a task error): fail its task and the pool.
        if (current >= 0 && !outcomes[current]) outcomes[current] = { ok: false, error };
        reject(error);
      });
      feed();
    });
  try {
    await Promise.all(Array.from({ length: workerCount }, runWorker));
    await Promise.all(saving);
    // (Set by a save's callback: TypeScript cannot see that it may no longer be null here.)
    const failed = settleError as { error: unknown } | null;
    if (failed) throw failed.error;
  } catch (error) {
    // A thread died or onSettled threw: stop the other threads too, or they keep the process alive.
    await Promise.all(workers.map((worker) => worker.terminate()));
    throw error;
  }
  return outcomes;
}
