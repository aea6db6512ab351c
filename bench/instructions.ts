// Instructions per user-step, by function: a speed measure that does not depend on what else the
// machine is doing. Runs the bench loop of one world/policy for a fixed number of batch steps
// under valgrind's callgrind, twice (so that start-up cancels out), and names the JIT-compiled
// code from the symbol map node writes with --perf-basic-prof.
//
//   node --import tsx bench/instructions.ts [world/policy] [--top N]
//
// Needs valgrind (Debian: apt install valgrind). Each run takes about a minute. Instructions are
// not time (cache misses cost time without instructions), so confirm a gain with
// `slatelab bench --against`; but a count does not drift with the machine's load.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBatchStepper, thisTree } from './benchmarks.ts';

const BATCH_SIZE = 64;
/** Batch steps of the two runs: the difference is what is counted. */
const SHORT_RUN = 500;
const LONG_RUN = 1500;

/** Instructions of each named piece of code (JIT functions by name, native code as "(native)"). */
export type CostByName = Map<string, number>;

/**
 * Self instruction counts by function, from a callgrind file made with --dump-instr=yes and the
 * perf map of the same process (lines "start size name", hex). Instructions outside every mapped
 * range count as "(native)". Call lines (the line after "calls=") carry inclusive costs and are
 * skipped.
 */
export function costsByName(callgrind: string, perfMap: string): CostByName {
  const ranges = perfMap
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [start, size, ...name] = line.split(' ');
      return { start: parseInt(start, 16), end: parseInt(start, 16) + parseInt(size, 16), name: name.join(' ') };
    })
    .sort((a, b) => a.start - b.start);
  const starts = ranges.map((r) => r.start);
  const costs: CostByName = new Map();
  let position = 0;
  let skipNext = false;
  for (const line of callgrind.split('\n')) {
    const first = line.charCodeAt(0);
    if ((first >= 97 && first <= 122) || (first >= 65 && first <= 90)) {
      if (line.startsWith('calls=')) skipNext = true;
      continue;
    }
    const fields = line.split(' ');
    const address = fields[0];
    if (address === '' || !/^[0-9+\-*]/.test(address)) continue;
    position = nextPosition(position, address);
    if (skipNext) {
      skipNext = false;
      continue;
    }
    if (fields.length < 3) continue;
    const range = ranges[upperBound(starts, position) - 1];
    const name = range !== undefined && position < range.end ? range.name : '(native)';
    costs.set(name, (costs.get(name) ?? 0) + Number(fields[2]));
  }
  return costs;
}

/** Callgrind's position compression: absolute, "+d" / "-d" relative, or "*" (the same). */
function nextPosition(previous: number, text: string): number {
  if (text === '*') return previous;
  const parse = (digits: string) => (digits.startsWith('0x') ? parseInt(digits, 16) : Number(digits));
  if (text[0] === '+') return previous + parse(text.slice(1));
  if (text[0] === '-') return previous - parse(text.slice(1));
  return parse(text);
}

/** First index i with values[i] > x. */
function upperBound(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Instructions per user-step of each function: the long run minus the short one. */
export function perStep(short: CostByName, long: CostByName, userSteps: number): [string, number][] {
  const names = new Set([...short.keys(), ...long.keys()]);
  return [...names]
    .map((name): [string, number] => [name, ((long.get(name) ?? 0) - (short.get(name) ?? 0)) / userSteps])
    .sort((a, b) => b[1] - a[1]);
}

async function countRun(key: string, batches: number, dir: string): Promise<CostByName> {
  const out = join(dir, `callgrind-${batches}.out`);
  const self = fileURLToPath(import.meta.url);
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--dump-instr=yes',
      `--callgrind-out-file=${out}`,
      process.execPath,
      // Optimise on the main thread, so that the counted steps run optimised code.
      '--no-concurrent-recompilation',
      '--perf-basic-prof',
      '--import',
      'tsx',
      self,
      '--child',
      key,
      String(batches),
    ],
    { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const status = await new Promise<number | null>((resolve, reject) => {
    child.on('error', (error) =>
      reject(new Error(`could not start valgrind (${error.message}); install it, e.g. apt install valgrind`)),
    );
    child.on('close', resolve);
  });
  if (status !== 0) throw new Error(`the counted run failed:\n${stderr.slice(-2000)}`);
  const callgrind = readFileSync(out, 'utf8');
  const pid = /^pid: (\d+)$/m.exec(callgrind)?.[1];
  const mapFile = `/tmp/perf-${pid}.map`;
  if (pid === undefined || !existsSync(mapFile)) throw new Error('node wrote no perf map (--perf-basic-prof)');
  const costs = costsByName(callgrind, readFileSync(mapFile, 'utf8'));
  rmSync(mapFile);
  return costs;
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--child') {
    const [world, policy] = argv[1].split('/');
    makeBatchStepper(thisTree, world, policy, BATCH_SIZE, 0)(Number(argv[2]));
    return;
  }
  const key = argv.find((a) => !a.startsWith('--') && a.includes('/')) ?? 'feed/random';
  const topAt = argv.indexOf('--top');
  const top = topAt >= 0 ? Number(argv[topAt + 1]) : 15;
  const [world, policy] = key.split('/');
  if (!thisTree.worlds[world] || !thisTree.policies[policy]) throw new Error(`no world/policy ${key}`);
  const dir = mkdtempSync(join(tmpdir(), 'slatelab-instructions-'));
  try {
    process.stderr.write(
      `${key}: counting ${SHORT_RUN} and ${LONG_RUN} batch steps under callgrind (a minute or two)...\n`,
    );
    // The two runs side by side (one per core): instruction counts do not mind sharing.
    const [short, long] = await Promise.all([countRun(key, SHORT_RUN, dir), countRun(key, LONG_RUN, dir)]);
    const rows = perStep(short, long, (LONG_RUN - SHORT_RUN) * BATCH_SIZE);
    const total = rows.reduce((sum, [, n]) => sum + n, 0);
    console.log(`${key}: ${Math.round(total)} instructions per user-step (batch ${BATCH_SIZE})`);
    for (const [name, n] of rows.slice(0, top)) console.log(`${Math.round(n).toString().padStart(8)}  ${name}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: Error) => {
    process.stderr.write(`bench/instructions: ${error.message}\n`);
    process.exitCode = 1;
  });
}
