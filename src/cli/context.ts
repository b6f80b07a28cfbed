// Shared by every command: global flags → configuration (flags > env > file > defaults) and a logger.
// Configuration problems become one line on stderr and exit code 3.
import type { Command } from 'commander';
import { loadConfig, ConfigError, type Config, type ConfigFlags } from '../config/index.js';
import { createLogger, type Logger } from '../runtime/log.js';
import { EXIT, UsageError, type CliIO } from './io.js';
import { colorEnabled } from '../render/color.js';
import { faultSpecFromEnv, FaultSpecError } from '../runtime/fault-inject.js';
import { statSync } from 'node:fs';
import type { GlobalOptions } from './main.js';

// The global flags are declared in main.ts (which must stay free of the configuration's imports); commands
// read them through this module.
export type { GlobalOptions };

export class ExitError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'ExitError';
  }
}

export interface CommandContext {
  config: Config;
  logger: Logger;
  warnings: string[];
  color: boolean;
}

/** A command's own config flags with the global ones (`--log-level`, `-v`, `--log-format`) laid over them. */
export function withGlobalFlags(cmd: Command, flags: ConfigFlags): ConfigFlags {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  return {
    ...flags,
    ...(g.logLevel !== undefined ? { log_level: g.logLevel as never } : {}),
    ...(g.verbose ? { log_level: 'debug' as never } : {}),
    ...(g.logFormat !== undefined ? { log_format: g.logFormat as never } : {}),
  };
}

export function commandContext(
  cmd: Command,
  io: CliIO,
  flags: ConfigFlags = {},
  flagNames: Record<string, string> = {},
): CommandContext {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const merged = withGlobalFlags(cmd, flags);
  const names = { ...flagNames, log_level: '--log-level', log_format: '--log-format' };
  let result;
  try {
    result = loadConfig({ flags: merged, flagNames: names, env: io.env, explicitPath: g.config });
  } catch (err) {
    if (err instanceof ConfigError) {
      // A bad flag value (`--duration 10m`) is a bad command line (exit 2), not a bad config file (exit 3).
      if (onlyFlagProblems(err, Object.values(names))) throw new UsageError(err.message);
      throw new ExitError(err.message, EXIT.CONFIG);
    }
    throw err;
  }
  const { config, warnings } = result;
  checkEnvironment(config, io.env);
  const format = config.log_format === 'auto' ? (process.stderr.isTTY ? 'text' : 'json') : config.log_format;
  const logger = createLogger({ level: config.log_level, format, write: (l) => io.err(l) });
  for (const w of warnings) io.err(`kerno: warning: ${w}\n`);
  const color = colorEnabled({
    colorFlag: g.color !== false && !config.no_color,
    env: io.env,
    isTTY: io.stdoutIsTTY,
  });
  return { config, logger, warnings, color };
}

/**
 * Settings read later, deep in the runtime, are checked here so a bad one is one line and exit 3 rather
 * than a crash record (KERNO_FAULT_INJECT) or a collector fault logged on every restart (cgroup_root).
 */
function checkEnvironment(config: Config, env: NodeJS.ProcessEnv): void {
  try {
    faultSpecFromEnv(env);
  } catch (err) {
    if (err instanceof FaultSpecError) throw new ExitError(err.message, EXIT.CONFIG);
    throw err;
  }
  const root = config.cgroup_root;
  if (root !== undefined) {
    const from = env.KERNO_CGROUP_ROOT?.trim() === root ? 'KERNO_CGROUP_ROOT' : 'cgroup_root';
    let st;
    try {
      st = statSync(root);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new ExitError(`${from}: ${root}: ${code === 'ENOENT' ? 'no such directory' : code}`, EXIT.CONFIG);
    }
    if (!st.isDirectory()) throw new ExitError(`${from}: ${root}: not a directory`, EXIT.CONFIG);
  }
}

/** loadConfig names the flag typed ("--duration: …") when a value came from the command line. */
function onlyFlagProblems(err: ConfigError, flags: string[]): boolean {
  return (
    err.problems.length > 0 &&
    err.problems.every(
      (p) => flags.some((f) => p.startsWith(`${f}: `)) || p.endsWith('(from command-line flags)'),
    )
  );
}
