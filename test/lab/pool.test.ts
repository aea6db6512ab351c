import { describe, expect, it } from 'vitest';
import { runTasks, type Task } from '../../lab/pool.ts';

const fixture = new URL('./pool-fixture.ts', import.meta.url).href;
const tasks: Task[] = Array.from({ length: 5 }, (_, i) => ({ module: fixture, fn: 'drawSum', args: [`pool/${i}`, 10_000] }));

describe('worker pool', () => {
  it('gives the same results in task order with 1 or 2 threads', async () => {
    const inProcess = await runTasks<number>(tasks, 1);
    const threaded = await runTasks<number>(tasks, 2);
    expect(threaded).toEqual(inProcess);
    expect(inProcess.every((o) => o.ok)).toBe(true);
  });

  it('reports a failing task without losing the others, and tells each as it settles', async () => {
    const mixed: Task[] = [tasks[0], { module: fixture, fn: 'fail', args: ['boom on purpose'] }, tasks[2]];
    const settled: number[] = [];
    const outcomes = await runTasks<number>(mixed, 2, (index) => {
      settled.push(index);
    });
    expect(outcomes[0].ok && outcomes[2].ok).toBe(true);
    expect(outcomes[1].ok).toBe(false);
    if (!outcomes[1].ok) expect(outcomes[1].error.message).toBe('boom on purpose');
    expect(settled.sort()).toEqual([0, 1, 2]);
  });
});
