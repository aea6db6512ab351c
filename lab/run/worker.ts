// The body of a pool worker: runs named exported functions of our modules, taking task after task
// from the list it was given (lab/run/pool.ts), until none is left.
import { parentPort, workerData } from 'node:worker_threads';
import { installActClock } from '../loop/act-clock.ts';
import type { TaskList, TaskReply, WorkerStart } from './pool.ts';

const port = parentPort;
if (!port) throw new Error('lab/run/worker.ts must run in a worker thread');

// The tasks' module, loading while the task list is on its way (the task's own import below waits
// for the same load, and reports its error if it fails).
const { preload } = (workerData ?? {}) as WorkerStart;
if (preload) void import(preload).catch(() => undefined);

port.once('message', async ({ tasks, next, progress, actClock, running }: TaskList) => {
  if (actClock) installActClock(actClock);
  // The task this thread runs (id + 1; 0 between tasks), in memory the pool reads without a
  // message: a thread that dies (out of memory) may die before its 'started' message is read.
  const current = running ? new Int32Array(running) : null;
  // Each worker claims the next task itself (one atomic add on the counter all workers share), so
  // it never waits for the main thread between tasks, however busy that is.
  for (let id = Atomics.add(next, 0, 1); id < tasks.length; id = Atomics.add(next, 0, 1)) {
    if (current) current[0] = id + 1;
    port.postMessage({ id, kind: 'started' } satisfies TaskReply);
    const report = (value: unknown) => port.postMessage({ id, kind: 'progress', value } satisfies TaskReply);
    let reply: TaskReply;
    try {
      const task = tasks[id];
      const module = (await import(task.module)) as Record<string, (...args: unknown[]) => unknown>;
      const value = await module[task.fn](...(progress ? [...task.args, report] : task.args));
      reply = { id, kind: 'done', ok: true, value };
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      reply = { id, kind: 'done', ok: false, message: err.message, stack: err.stack ?? '' };
    }
    if (current) current[0] = 0;
    port.postMessage(reply);
  }
  port.postMessage({ id: -1, kind: 'idle' } satisfies TaskReply);
});
