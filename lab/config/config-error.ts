// The error of a config that cannot be used, apart so that reading and validating share it.

/** A config that cannot be used; `issues` holds one line each (file and field included). */
export class ConfigError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(issues.join('\n'));
    this.name = 'ConfigError';
  }
}
