// Whether the JavaScript that `npm ci` builds into dist/ (its `prepare` step) is current: built
// after the last change to any of its sources. bin/slatelab.js then runs it instead of the
// TypeScript sources; the bench's overhead figure measures what the command runs.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** What the build reads (tsconfig.build.json `include`, and the configs). */
const BUILD_INPUTS = ['index.ts', 'sim', 'policies', 'agents', 'eval', 'lab', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];
export const BUILT = join(root, 'dist', 'lab', 'cli.js');
export const DIST = join(root, 'dist');

/** The newest modification time under `path` (directories count: removing a file changes theirs). */
function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let time = stat.mtimeMs;
  for (const entry of readdirSync(path)) time = Math.max(time, newest(join(path, entry)));
  return time;
}

/** False when SLATELAB_FROM_SOURCE=1 (forces the sources) or the build is missing or older than a source. */
export function builtIsCurrent() {
  if (process.env.SLATELAB_FROM_SOURCE === '1' || !existsSync(BUILT)) return false;
  try {
    const built = statSync(BUILT).mtimeMs;
    return BUILD_INPUTS.every((input) => !existsSync(join(root, input)) || newest(join(root, input)) <= built);
  } catch {
    return false;
  }
}

