// Errors at the command line's edge: every error is one line `slatelab: <message>` on stderr, exit
// 2 for what the user is to fix (bad input, a directory that is not an experiment's, a plan that
// does not fit) and 1 for failed work; stack traces only with --verbose.
import { ConfigError } from '../config/config.ts';
import { LockError } from '../store/lock.ts';
import { PlanError } from '../run/plan.ts';
import { ExperimentDirError } from '../store/experiment-dir.ts';
import { ManifestError } from '../store/manifest.ts';
import { OutDirError } from '../store/outdir.ts';
import type { Io } from './io.ts';

/** Bad input from the user: exit code 2. */
export class UsageError extends Error {}

/** Prints `error` as one line (every issue of a ConfigError) and gives the exit code. */
export function reportError(error: unknown, io: Io, verbose: boolean): number {
  if (error instanceof ConfigError) {
    for (const issue of error.issues) io.stderr(`slatelab: ${issue}\n`);
    return 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(`slatelab: ${message.split('\n')[0]}\n`);
  // A usage error is the user's to fix: its stack would only show yargs' insides.
  if (verbose && !(error instanceof UsageError) && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
  return error instanceof UsageError ? 2 : 1;
}

/** Errors of these classes are the user's to fix: they become UsageErrors (exit 2, one line). */
const USERS_TO_FIX = [PlanError, ExperimentDirError, ManifestError, LockError, OutDirError] as const;

function asUsage(error: unknown): unknown {
  return USERS_TO_FIX.some((kind) => error instanceof kind) ? new UsageError((error as Error).message) : error;
}

/** Runs `action`; a plan that does not fit, a directory that is not an experiment's or not free, is a UsageError. */
export function usersToFix<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    throw asUsage(error);
  }
}

/** usersToFix for asynchronous work. */
export async function usersToFixAsync<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw asUsage(error);
  }
}
