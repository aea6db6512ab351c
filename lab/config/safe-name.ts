// Names that become file and directory names (experiments, agents, a sweep's variants and worlds).

/** A name that is safe as a file or directory name on every platform. */
export const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const SAFE_NAME_HINT = 'use letters, digits, ".", "_" or "-" (starting with a letter or digit, at most 64)';
