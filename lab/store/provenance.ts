// Provenance: the versions that explain a result (slatelab, Node, each dependency as installed,
// the git commit and whether the tree was dirty), recorded in the manifest.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from './package-root.ts';

const PROJECT_ROOT = packageRoot(import.meta.url);

/** Whether two paths name the same folder (symbolic links resolved). */
function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}
const execFileAsync = promisify(execFile);

/** Versions that explain a result: slatelab, Node, each dependency as installed, the git commit. */
export async function environmentInfo(): Promise<{
  slatelab: string;
  node: string;
  dependencies: Record<string, string | null>;
  gitCommit: string | null;
  /**
   * Whether the source tree differed from gitCommit (changed or new files) when the experiment ran (null outside git).
   */
  gitDirty: boolean | null;
  /** What ran: the TypeScript sources (through tsx) or the JavaScript built into dist/ (bin/slatelab.js picks). */
  code: 'sources' | 'dist';
}> {
  // Both git commands at once, in child processes, started first: they run while this thread reads
  // the versions and the caller prepares the experiment (runExperiment awaits them before the
  // first manifest).
  const git = async (...args: string[]): Promise<string | null> => {
    try {
      const { stdout } = await execFileAsync('git', args, { cwd: PROJECT_ROOT });
      return stdout.trim();
    } catch {
      return null;
    }
  };
  // An installed copy (node_modules/slatelab) has no .git of its own: git would find the user's
  // project around it. Only a repository whose top is this package's folder counts.
  const asked = Promise.all([git('rev-parse', '--show-toplevel', 'HEAD'), git('status', '--porcelain')]);
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    version: string;
    dependencies?: Record<string, string>;
  };
  const dependencies: Record<string, string | null> = {};
  for (const name of Object.keys(pkg.dependencies ?? {}).sort()) {
    const file = join(PROJECT_ROOT, 'node_modules', name, 'package.json');
    dependencies[name] = existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
      : null;
  }
  const [where, status] = await asked;
  const [top, commit] = where?.split('\n') ?? [];
  const ours = top !== undefined && samePath(top, PROJECT_ROOT);
  const gitCommit = (ours && commit) || null;
  const gitDirty = gitCommit === null || status === null ? null : status !== '';
  return {
    slatelab: pkg.version,
    node: process.version,
    dependencies,
    gitCommit,
    gitDirty,
    code: import.meta.url.endsWith('.ts') ? 'sources' : 'dist',
  };
}
