// The code of a policy or agent in a user's file (a config kind that names a file,
// lab/config/user-kinds.ts), hashed for the manifest: `resume` refuses code that changed since.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Relative module specifiers a source file imports (static and dynamic imports with a string, re-exports). */
const LOCAL_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

/**
 * A hash of a user file's code: the file and, transitively, the local files it imports (relative
 * specifiers; packages are the installed versions the manifest records). Each file counts with its
 * path relative to the first, so the hash does not depend on where the folder sits.
 */
export function codeHash(file: string): string {
  const hash = createHash('sha256');
  const seen = new Set<string>();
  const visit = (current: string) => {
    if (seen.has(current) || !existsSync(current)) return;
    seen.add(current);
    const text = readFileSync(current, 'utf8');
    hash.update(`${path.relative(path.dirname(file), current)}\u0000${text}\u0000`);
    for (const match of text.matchAll(LOCAL_IMPORT)) visit(path.resolve(path.dirname(current), match[1]));
  };
  visit(file);
  return hash.digest('hex');
}

/** Each path kind's file and code hash, for the manifest (Manifest.userCode). */
export function userCodeOf(files: Readonly<Record<string, string>>): Record<string, { file: string; sha256: string }> {
  return Object.fromEntries(Object.entries(files).map(([kind, file]) => [kind, { file, sha256: codeHash(file) }]));
}
