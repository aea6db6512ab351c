// Functions the pool test runs in worker threads.
import { Rng } from '../../sim/rng.ts';

export function drawSum(key: string, count: number): number {
  const rng = new Rng(key);
  let sum = 0;
  for (let i = 0; i < count; i++) sum += rng.normal();
  return sum;
}

export function fail(message: string): never {
  throw new Error(message);
}
