// The package's root folder, the same whether the code runs from its TypeScript sources (through
// tsx) or from the JavaScript that `npm run build` emits into dist/ (the library, `import 'slatelab'`):
// dist/ mirrors the sources one level deeper (lab/store/summary.ts -> dist/lab/store/summary.js), so a path
// like new URL('../../package.json', import.meta.url) finds package.json only from the sources.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The nearest folder above the caller's file (packageRoot(import.meta.url)) that holds a
 * package.json: the project root from the sources and from dist/, which has no package.json of
 * its own (adding one there would move this root).
 */
export function packageRoot(importMetaUrl: string): string {
  const start = dirname(fileURLToPath(importMetaUrl));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json in ${start} or any folder above it`);
  }
}
