// SIGHUP: which configuration changes the running daemon applies and which need a restart (reference §5.1
// step 8, issue #34). Pure: a diff of two resolved configurations, key by key.
//
// Applied live: log level and format, doctor thresholds (the next diagnosis window uses them), the metrics
// token file (and the token in it, re-read on every SIGHUP), the diagnosis interval (the next wait uses it).
// Everything else is bound to something already built — the listening socket, the collectors and their
// BPF programs, the supervisor's policies, the netconsole socket and store — and is reported as needing a
// restart. Keys the daemon does not use (doctor.duration, doctor.output …) are reported as ignored.

import type { Config } from '../config/index.js';

export interface ConfigDiff {
  /** Keys whose new value is in force now. */
  applied: string[];
  /** Keys that changed but keep their old value until the daemon restarts. */
  restartRequired: string[];
  /** Keys that changed but mean nothing to `kerno start`. */
  ignored: string[];
}

const LIVE_PREFIXES = [
  'log_level',
  'log_format',
  'doctor.thresholds.',
  'daemon.metrics_token_file',
  'daemon.interval',
];
const IGNORED_PREFIXES = ['no_color', 'doctor.duration', 'doctor.interval', 'doctor.output'];

function matches(key: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => (p.endsWith('.') ? key.startsWith(p) : key === p || key.startsWith(`${p}.`)));
}

/** Flattens a config to dotted keys → JSON values (maps such as netconsole_nodes compare as a whole). */
function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  // Unset optional keys are absent in one config and `undefined` in another: the same thing.
  if (value === undefined) return;
  if (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    prefix !== 'daemon.netconsole_nodes'
  ) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      flatten(v, prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  out.set(prefix, JSON.stringify(value));
}

export function diffConfig(before: Config, after: Config): ConfigDiff {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  flatten(before, '', a);
  flatten(after, '', b);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  const diff: ConfigDiff = { applied: [], restartRequired: [], ignored: [] };
  for (const key of keys) {
    if (a.get(key) === b.get(key)) continue;
    if (matches(key, LIVE_PREFIXES)) diff.applied.push(key);
    else if (matches(key, IGNORED_PREFIXES)) diff.ignored.push(key);
    else diff.restartRequired.push(key);
  }
  return diff;
}

/**
 * The configuration in force after a reload: the new values of live keys over the old configuration, so
 * what the daemon reports (and diffs against next time) matches what it actually runs with.
 */
export function effectiveConfig(before: Config, after: Config): Config {
  return {
    ...before,
    log_level: after.log_level,
    log_format: after.log_format,
    doctor: { ...before.doctor, thresholds: after.doctor.thresholds },
    daemon: {
      ...before.daemon,
      metrics_token_file: after.daemon.metrics_token_file,
      interval: after.daemon.interval,
    },
  };
}
