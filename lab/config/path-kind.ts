// Whether a config's `kind` names a file (lab/config/user-kinds.ts loads those) rather than a
// built-in: apart, so that reports can tell without loading the file loader.

export const USER_KIND_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'] as const;

/** A path (./, ../ or absolute) or a name with a module's extension. */
export function isPathKind(kind: string): boolean {
  return (
    kind.startsWith('./') ||
    kind.startsWith('../') ||
    kind.startsWith('/') ||
    USER_KIND_EXTENSIONS.some((extension) => kind.endsWith(extension))
  );
}
