// Claiming an experiment's output directory. Results are never written over: the default
// directory gets a fresh name even when two runs start in the same second (mkdir of the final
// component is atomic, so two processes cannot both claim it), and an explicit --out must be new
// or empty.
import {
  accessSync,
  constants,
  mkdirSync,
  readdirSync,
  readFileSync,
  type Stats,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CLAIMED_MANIFEST_TEXT, MANIFEST_FILE } from './manifest.ts';

const ALREADY_USED =
  "already holds files (an earlier run's results?); name a new or empty directory (slatelab never writes over results)";

/** A problem with the output directory that the user can fix (the CLI shows it with exit 2). */
export class OutDirError extends Error {
  override name = 'OutDirError';
}

/**
 * results/<name>/<UTC time>[-2, -3, ...]: created here, so no other run can take it. Only this name reads the clock.
 */
export function claimDefaultOutDir(name: string, now: Date, root = 'results'): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const runId =
    `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}-` +
    `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
  const parent = join(root, name);
  makeParents(parent, 'the results directory');
  for (let suffix = 1; ; suffix++) {
    const dir = join(parent, suffix === 1 ? runId : `${runId}-${suffix}`);
    if (tryMkdir(dir, 'the results directory')) return dir;
  }
}

/**
 * An explicit --out (or a library caller's outDir, named `option` in the errors): created if
 * missing; an existing one must be an empty directory.
 */
export function claimOutDir(dir: string, option = '--out'): string {
  if (dir.trim() === '') throw new OutDirError(`${option}: needs a directory name`);
  let stats: Stats | null;
  try {
    stats = statSync(dir);
  } catch {
    stats = null;
  }
  if (stats) {
    if (!stats.isDirectory())
      throw new OutDirError(`${option} ${dir}: is a file, not a directory; name a new directory`);
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch (error) {
      throw new OutDirError(
        `${option} ${dir}: cannot read the directory (${describe(error)}); choose a place you can write to`,
      );
    }
    if (entries.length > 0) throw new OutDirError(`${option} ${dir}: ${ALREADY_USED}`);
    checkWritable(dir, `${option} ${dir}`);
  } else {
    makeParents(dirname(resolve(dir)), `${option} ${dir}`);
    // A directory another process created meanwhile is fine if empty: the claim below decides.
    tryMkdir(dir, `${option} ${dir}`);
  }
  // Take the directory before anything else can: the first file, created exclusively, decides
  // between two runs started on it at once (runExperiment replaces it with the real manifest).
  try {
    writeFileSync(join(dir, MANIFEST_FILE), CLAIMED_MANIFEST_TEXT, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new OutDirError(`${option} ${dir}: ${ALREADY_USED}`);
    throw new OutDirError(`${option} ${dir}: cannot write in it (${describe(error)}); choose a writable place`);
  }
  return dir;
}

/**
 * Whether `dir`'s manifest is still only its claim (claimOutDir's placeholder): whatever claimed it
 * stopped before writing a manifest of its own (a run before its first run, a merge before its end).
 */
export function isOnlyClaimed(dir: string): boolean {
  try {
    return readFileSync(join(dir, MANIFEST_FILE), 'utf8') === CLAIMED_MANIFEST_TEXT;
  } catch {
    return false;
  }
}

/** mkdir of one level: true if created, false if it already existed; other failures are the user's to fix. */
function tryMkdir(dir: string, what: string): boolean {
  try {
    mkdirSync(dir);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new OutDirError(`${what}: cannot create ${dir} (${describe(error)}); choose a writable place`);
  }
}

/**
 * Creates the missing parents of a directory, after checking that the nearest existing ancestor
 * is a writable directory (mkdir -p on some special file systems, e.g. /proc, never returns).
 */
function makeParents(dir: string, what: string): void {
  let existing = resolve(dir);
  while (!exists(existing)) existing = dirname(existing);
  if (!statSync(existing).isDirectory())
    throw new OutDirError(`${what}: ${existing} is a file, not a directory; choose another place`);
  checkWritable(existing, what);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new OutDirError(`${what}: cannot create ${dir} (${describe(error)}); choose a writable place`);
  }
}

function checkWritable(dir: string, what: string): void {
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new OutDirError(`${what}: ${dir} is not writable; choose a writable place`);
  }
  // /proc and /sys say they are writable to root but take no new directories.
  if (/^\/(proc|sys)(\/|$)/.test(resolve(dir)))
    throw new OutDirError(`${what}: ${dir} is a system file system; choose another place`);
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e.code ?? (e.message || String(error));
}
