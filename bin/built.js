// Whether the JavaScript that `npm ci` builds into dist/ (its `prepare` step) is current: built
// from exactly the sources there are now. The build starts by stamping dist/ with a hash of its
// inputs (`node bin/built.js stamp`, before tsc reads them); bin/slatelab.js runs the build only when the inputs still
// hash to the stamp, else the TypeScript sources. A hash, not modification times: an install from
// a tarball gives every file its extraction time, and a copy can keep old ones.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** What the build reads (tsconfig.build.json `include`, and the configs). */
const BUILD_INPUTS = [
  'index.ts',
  'cli.ts',
  'bench',
  'sim',
  'policies',
  'agents',
  'eval',
  'lab',
  'package.json',
  'tsconfig.json',
  'tsconfig.build.json',
];
export const DIST = join(root, 'dist');
export const BUILT = join(DIST, 'cli.js');
const STAMP = join(DIST, '.inputs-sha1');

/** Every file under `path`, sorted (the hash must not depend on the order a directory lists). */
function files(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((entry) => files(join(path, entry)));
}

/** SHA-1 of the build's inputs: each file's path and bytes (about 80 files, 1 MB: a few ms). */
export function inputsHash() {
  const hash = createHash('sha1');
  for (const input of BUILD_INPUTS) {
    for (const file of files(join(root, input))) {
      hash.update(`${relative(root, file)}\0`);
      hash.update(readFileSync(file));
      hash.update('\0');
    }
  }
  return hash.digest('hex');
}

/** False when SLATELAB_FROM_SOURCE=1 (forces the sources), or the build is missing or was made from other sources. */
export function builtIsCurrent() {
  if (process.env.SLATELAB_FROM_SOURCE === '1' || !existsSync(BUILT) || !existsSync(STAMP)) return false;
  try {
    return readFileSync(STAMP, 'utf8').trim() === inputsHash();
  } catch {
    return false;
  }
}

// `node bin/built.js stamp`: the step of `npm run build` before tsc.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv[2] === 'stamp') {
  mkdirSync(DIST, { recursive: true });
  writeFileSync(STAMP, `${inputsHash()}\n`);
}
