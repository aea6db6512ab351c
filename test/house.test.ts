// The house's rules, read from the sources' import statements (DESIGN.md section 1): imports flow
// one way between the top-level rooms, and a worker thread's modules reach no config parser and no
// chart code (a worker starts for every experiment: zod, yaml and vega would cost its start-up).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROOMS = ['sim', 'policies', 'agents', 'eval', 'lab', 'bench'] as const;

/** Every TypeScript or JavaScript module under `dir`, relative to the root. */
function modules(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(join(ROOT, path)).isDirectory()) return modules(path);
    return /\.(ts|mts|mjs|js)$/.test(entry) && !entry.endsWith('.d.ts') ? [path] : [];
  });
}

/**
 * The module specifiers a file imports, statically or by a literal dynamic import; `types` says whether type-only ones
 * count.
 */
function imports(file: string, types: boolean): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm)) {
    if (types || !match[2]) found.push(match[3]);
  }
  for (const match of text.matchAll(/^\s*import\s+'([^']+)'/gm)) found.push(match[1]);
  for (const match of text.matchAll(/await import\('([^']+)'\)/g)) found.push(match[1]);
  return found;
}

/** The repository path a relative specifier names, or null for a package. */
function target(file: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  return relative(ROOT, resolve(ROOT, dirname(file), specifier));
}

const roomOf = (path: string) => path.split('/')[0];

/** Which top-level rooms each room may import (type-only imports included: they are arrows too). */
const ALLOWED: Record<(typeof ROOMS)[number], readonly string[]> = {
  sim: [],
  policies: ['sim'],
  agents: ['policies', 'sim'],
  eval: [],
  lab: ['agents', 'policies', 'sim', 'eval'],
  bench: ['lab', 'agents', 'policies', 'sim', 'eval', 'bin'],
};

describe('the house', () => {
  it('imports flow one way: lab -> agents -> policies -> sim, lab -> eval, bench -> lab; nothing imports upwards', () => {
    const wrong: string[] = [];
    for (const room of ROOMS) {
      for (const file of modules(room)) {
        for (const specifier of imports(file, true)) {
          const path = target(file, specifier);
          if (path === null || roomOf(path) === room) continue;
          if (!ALLOWED[room].includes(roomOf(path))) wrong.push(`${file} imports ${path}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it("a worker thread's modules load no zod, yaml, vega or resvg (only what a run needs)", () => {
    const heavy = ['zod', 'yaml', 'vega', 'vega-lite', '@resvg/resvg-js', 'yargs'];
    const seen = new Set<string>();
    const reached: string[] = [];
    const visit = (file: string, via: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const specifier of imports(file, false)) {
        const path = target(file, specifier);
        if (path === null) {
          if (heavy.some((name) => specifier === name || specifier.startsWith(`${name}/`)))
            reached.push(`${via} -> ${file} -> ${specifier}`);
        } else if (existsSync(join(ROOT, path))) visit(path, `${via} -> ${file}`);
      }
    };
    // The worker's body and the module each task names (lab/run/runner.ts passes run-task.ts).
    for (const entry of ['lab/run/worker.ts', 'lab/run/run-task.ts']) visit(entry, 'worker');
    expect(seen.size).toBeGreaterThan(20);
    expect(reached).toEqual([]);
  });
});
