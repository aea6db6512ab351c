import { describe, expect, it } from 'vitest';
import { costsByName, perStep } from '../../bench/instructions.ts';

// A callgrind file in the shape `--dump-instr=yes` writes (positions: instr line): absolute, relative
// (+/-) and repeated (*) addresses; a call line whose inclusive cost must not count as self cost.
const CALLGRIND = `# callgrind format
version: 1
pid: 4242
positions: instr line
events: Ir
summary: 999

ob=(1) ???
fl=(1) ???
fn=(1) 0x0000000000001000
0x1000 0 10
+4 0 5
* 0 1
calls=3 0x2000
+8 0 700
+2 0 20
fn=(2) 0x0000000000002000
0x2000 0 3
-0x10 0 4
0x9000 0 7
`;

const PERF_MAP = `1000 10 JS:*hot file:///x.ts:1:1
1ff0 20 JS:*other file:///y.ts:1:1
`;

describe('bench/instructions: callgrind counts by JIT function', () => {
  it('adds self costs by perf-map range, skips call lines, and counts unmapped code as native', () => {
    const costs = costsByName(CALLGRIND, PERF_MAP);
    // hot = [0x1000, 0x1010): 0x1000 (10), 0x1004 (5, and 1 more by *), 0x100e (20); the call
    // line at 0x100c (700, inclusive) is skipped.
    expect(costs.get('JS:*hot file:///x.ts:1:1')).toBe(36);
    // other = [0x1ff0, 0x2010): 0x2000 (3) and 0x1ff0 (4, written -0x10).
    expect(costs.get('JS:*other file:///y.ts:1:1')).toBe(7);
    // 0x9000 is in no range.
    expect(costs.get('(native)')).toBe(7);
  });

  it('turns two runs into instructions per user-step, largest first', () => {
    const short = new Map([
      ['a', 100],
      ['b', 50],
    ]);
    const long = new Map([
      ['a', 300],
      ['b', 450],
      ['c', 20],
    ]);
    expect(perStep(short, long, 10)).toEqual([
      ['b', 40],
      ['a', 20],
      ['c', 2],
    ]);
  });
});
