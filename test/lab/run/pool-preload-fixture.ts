// A task module whose loading leaves a mark: the file named by SLATELAB_PRELOAD_MARK (the pool
// test sees from it that a started worker loads its task module before any task arrives).
import { writeFileSync } from 'node:fs';

const mark = process.env.SLATELAB_PRELOAD_MARK;
if (mark) writeFileSync(mark, 'loaded');

export function nothing(): number {
  return 0;
}
