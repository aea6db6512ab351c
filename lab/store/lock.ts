// One slatelab process at a time in an experiment's directory: `run` and `resume` hold
// DIR/.lock (the process id) while they write there, so that a second `resume` (or a resume of an
// experiment still running) is refused instead of both rewriting the manifest and one deleting
// the other's half-written files. A lock whose process is gone (killed) is taken over.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The directory is in use by another slatelab process (the CLI shows it with exit 2). */
export class LockError extends Error {
  override name = 'LockError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs `work` holding `dir`'s lock (lockDir), released however it ends. */
export async function withLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const release = lockDir(dir);
  try {
    return await work();
  } finally {
    release();
  }
}

/** Directories this process holds, with how many holders (resume holds it, then runExperiment within it). */
const held = new Map<string, number>();

/**
 * Takes `dir`'s lock for this process (again, if it holds it already); returns its release. Throws LockError when a
 * live process holds it.
 */
export function lockDir(dir: string): () => void {
  const file = join(resolve(dir), '.lock');
  const holders = held.get(file) ?? 0;
  if (holders > 0) {
    held.set(file, holders + 1);
    return () => void held.set(file, held.get(file)! - 1);
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      held.set(file, 1);
      const release = () => {
        held.delete(file);
        process.off('exit', release);
        try {
          if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
        } catch {
          // Already gone.
        }
      };
      process.on('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new LockError(
          `${dir} is in use by another slatelab process (pid ${pid}); wait for it to finish or stop ` +
            `it (if no slatelab runs there, delete ${file})`,
        );
      }
      rmSync(file, { force: true }); // its process is gone: take it over
    }
  }
  throw new LockError(`${dir}: could not take its lock (${file}); try again`);
}
