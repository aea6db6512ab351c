import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTasks, spareWorkerCount, startWorkers, stopSpareWorkers, type Task } from '../../../lab/run/pool.ts';

const fixture = new URL('./pool-fixture.ts', import.meta.url).href;
const tasks: Task[] = Array.from({ length: 5 }, (_, i) => ({
  module: fixture,
  fn: 'drawSum',
  args: [`pool/${i}`, 10_000],
}));

describe('worker pool', () => {
  it('gives the same results in task order with 1 or 2 threads', async () => {
    const inProcess = await runTasks<number>(tasks, 1);
    const threaded = await runTasks<number>(tasks, 2);
    expect(threaded).toEqual(inProcess);
    expect(inProcess.every((o) => o.ok)).toBe(true);
  });

  it('tells each task as it starts, before it settles, on threads and in-process', async () => {
    for (const [threads, workers] of [
      [2, true],
      [1, false],
    ] as const) {
      const events: string[] = [];
      await runTasks<number>(tasks, threads, {
        workers,
        onStarted: (index) => events.push(`start ${index}`),
        onSettled: (index) => void events.push(`end ${index}`),
      });
      for (let index = 0; index < tasks.length; index++) {
        expect(events.indexOf(`start ${index}`), `task ${index}`).toBeGreaterThanOrEqual(0);
        expect(events.indexOf(`start ${index}`)).toBeLessThan(events.indexOf(`end ${index}`));
      }
    }
  });

  it('reports a failing task without losing the others, and tells each as it settles', async () => {
    const mixed: Task[] = [tasks[0], { module: fixture, fn: 'fail', args: ['boom on purpose'] }, tasks[2]];
    const settled: number[] = [];
    const outcomes = await runTasks<number>(mixed, 2, {
      onSettled: (index) => {
        settled.push(index);
      },
    });
    expect(outcomes[0].ok && outcomes[2].ok).toBe(true);
    expect(outcomes[1].ok).toBe(false);
    if (!outcomes[1].ok) expect(outcomes[1].error.message).toBe('boom on purpose');
    expect(settled.sort()).toEqual([0, 1, 2]);
  });

  it('stops a worker whose act never returns, fails that task with the reason, and a fresh worker finishes the others', async () => {
    const withStuck: Task[] = [{ module: fixture, fn: 'stuckAct', args: [] }, ...tasks];
    const settled: number[] = [];
    const outcomes = await runTasks<number>(withStuck, 2, {
      actTimeLimitMs: 100,
      onSettled: (index) => void settled.push(index),
    });
    expect(outcomes[0].ok).toBe(false);
    if (!outcomes[0].ok)
      expect(outcomes[0].error.message).toMatch(
        /^act did not return within 1100 ms .*endless loop; its worker thread was stopped/,
      );
    const threaded = outcomes.slice(1);
    expect(threaded).toEqual(await runTasks<number>(tasks, 1));
    expect(settled.sort()).toEqual([0, 1, 2, 3, 4, 5]);
  }, 30_000);

  it('fails a task whose worker goes over its heap cap, names the cap, and finishes the others on a fresh worker', async () => {
    const withLeak: Task[] = [{ module: fixture, fn: 'leak', args: [] }, ...tasks];
    const outcomes = await runTasks<number>(withLeak, 2, { heapLimitMb: 64 });
    expect(outcomes[0].ok).toBe(false);
    if (!outcomes[0].ok)
      expect(outcomes[0].error.message).toBe(
        'its worker thread ran out of memory: the JavaScript heap went over evaluation.workerHeapMb 64 MB ' +
          '(typed arrays and WebAssembly memory are not counted in it); the thread was stopped',
      );
    expect(outcomes.slice(1)).toEqual(await runTasks<number>(tasks, 1));
  }, 30_000);

  it('stops when aborted: no task starts, running ones are dropped, finished ones kept', async () => {
    // Two quick tasks, then slow ones (seconds each) that must never run to the end.
    const slow: Task[] = [
      ...tasks.slice(0, 2),
      ...Array.from({ length: 2 }, (_, i) => ({ module: fixture, fn: 'drawSum', args: [`slow/${i}`, 100_000_000] })),
    ];
    for (const threads of [1, 2]) {
      const stop = new AbortController();
      const outcomes = await runTasks<number>(slow, threads, { onSettled: () => stop.abort(), signal: stop.signal });
      const finished = outcomes.flatMap((outcome, index) => (outcome ? [index] : []));
      // In-process, the first task's end stops the loop; on threads, the first of the two
      // quick tasks to end stops the pool, and the other may or may not have ended too.
      if (threads === 1) expect(finished).toEqual([0]);
      else expect(finished.length === 1 || (finished[0] === 0 && finished[1] === 1)).toBe(true);
      expect(finished.every((index) => index <= 1)).toBe(true);
    }
  });

  it('runs on a worker even with one thread when asked, with the same results', async () => {
    const inProcess = await runTasks<number>(tasks, 1);
    expect(await runTasks<number>(tasks, 1, { workers: true })).toEqual(inProcess);
  });

  it('passes what tasks report along the way to onProgress, from workers and in-process', async () => {
    const counting: Task[] = [0, 1].map((i) => ({ module: fixture, fn: 'countTo', args: [3 + i] }));
    for (const workers of [false, true]) {
      const heard: [number, unknown][] = [];
      const outcomes = await runTasks<number>(counting, 1, {
        workers,
        onProgress: (index, value) => heard.push([index, value]),
      });
      expect(outcomes.map((o) => o.ok && o.value)).toEqual([3, 4]);
      expect(heard).toEqual([
        [0, 1],
        [0, 2],
        [0, 3],
        [1, 1],
        [1, 2],
        [1, 3],
        [1, 4],
      ]);
    }
  });

  it('returns only after onSettled has finished, even when aborted', async () => {
    const stop = new AbortController();
    let saved = false;
    await runTasks<number>(tasks.slice(0, 2), 2, {
      signal: stop.signal,
      onSettled: async () => {
        stop.abort();
        await new Promise((resolve) => setTimeout(resolve, 200));
        saved = true;
      },
    });
    expect(saved).toBe(true);
  });

  it('fails when saving a result fails, even the last one (a worker takes its next task before the last is saved)', async () => {
    for (const threads of [1, 2]) {
      const failing = runTasks<number>(tasks, threads, {
        workers: true,
        onSettled: async (index) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          if (index === tasks.length - 1) throw new Error('disk full');
        },
      });
      await expect(failing).rejects.toThrow('disk full');
    }
  });

  it('keeps workers going while this thread is busy: each claims its next task itself', async () => {
    // Five tasks of about no time; this thread is then blocked for 1.5 s (room for a slow worker to
    // load the task module on a loaded machine). Were tasks handed out from here as each ended,
    // only the first could start before the block ends.
    const quick: Task[] = Array.from({ length: 5 }, () => ({ module: fixture, fn: 'startedAt', args: [] }));
    startWorkers(1);
    // A started worker is given its tasks at once; the block begins after its start.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const pending = runTasks<number>(quick, 1, { workers: true });
    const blockedUntil = performance.timeOrigin + performance.now() + 1500;
    while (performance.timeOrigin + performance.now() < blockedUntil);
    const starts = (await pending).map((outcome) => (outcome.ok ? outcome.value : NaN));
    expect(starts.every((start) => start < blockedUntil)).toBe(true);
    await stopSpareWorkers();
  });

  it('takes started workers, and stops those no pool took', async () => {
    startWorkers(2);
    expect(spareWorkerCount()).toBe(2);
    const outcomes = await runTasks<number>(tasks, 2);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(spareWorkerCount()).toBe(0);
    startWorkers(1);
    expect(spareWorkerCount()).toBe(1);
    await stopSpareWorkers();
    expect(spareWorkerCount()).toBe(0);
    // Nothing is left to stop, and a pool still starts its own workers.
    await stopSpareWorkers();
    expect((await runTasks<number>(tasks.slice(0, 2), 2)).every((o) => o.ok)).toBe(true);
  });
  it('has a started worker load its task module before any task arrives', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slatelab-preload-'));
    const mark = join(dir, 'loaded');
    // A worker reads the environment it was started with; none may be waiting from before.
    await stopSpareWorkers();
    process.env.SLATELAB_PRELOAD_MARK = mark;
    try {
      startWorkers(1, new URL('./pool-preload-fixture.ts', import.meta.url).href);
      // No task is ever given: only the preload can leave the mark (10 s for a loaded machine).
      for (let waited = 0; !existsSync(mark) && waited < 10_000; waited += 25)
        await new Promise((resolve) => setTimeout(resolve, 25));
      expect(existsSync(mark)).toBe(true);
    } finally {
      delete process.env.SLATELAB_PRELOAD_MARK;
      await stopSpareWorkers();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs tasks on a started worker whose preload failed to load', async () => {
    startWorkers(1, new URL('./no-such-module.ts', import.meta.url).href);
    const outcomes = await runTasks<number>(tasks.slice(0, 2), 1, { workers: true });
    expect(spareWorkerCount()).toBe(0);
    expect(outcomes.every((o) => o.ok)).toBe(true);
  });
});
