/**
 * A configuration problem the user must fix. The message is one line naming the key (or env var, flag or
 * file) and the bad value, so the CLI can print it as-is after `Error: `; several problems are joined with
 * "; " and also kept separately in `problems`.
 */
export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: string | readonly string[]) {
    const list = typeof problems === 'string' ? [problems] : problems;
    super(list.join('; '));
    this.name = 'ConfigError';
    this.problems = list;
  }
}
