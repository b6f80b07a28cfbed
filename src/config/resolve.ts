/** Turning the config's "auto" and "default" choices into concrete ones; callers supply the facts (TTY). */
import type { CollectorName } from '../signals/types.js';
import type { FailurePolicy } from './failure-policy.js';
import type { Config, LogFormat, OutputFormat } from './schema.js';

/** `auto` renders pretty (Ink) on a terminal and plain text when stdout is piped or redirected. */
export function resolveOutput(output: OutputFormat, stdoutIsTTY: boolean): Exclude<OutputFormat, 'auto'> {
  if (output !== 'auto') return output;
  return stdoutIsTTY ? 'pretty' : 'plain';
}

/** `auto` logs text when stderr is a terminal, JSON lines otherwise (reference §1.1). */
export function resolveLogFormat(format: LogFormat, stderrIsTTY: boolean): Exclude<LogFormat, 'auto'> {
  if (format !== 'auto') return format;
  return stderrIsTTY ? 'text' : 'json';
}

export function failurePolicyFor(config: Config, collector: CollectorName): FailurePolicy {
  return config.runtime.failure_policy.overrides[collector] ?? config.runtime.failure_policy.default;
}
