// The command table (like prom-client's defaultMetrics: a list of modules, each registering itself).
// Modules are imported on demand: `kerno doctor` loads only doctor's code (start-up time is part of the
// doctor's fixed overhead, bench/doctor-startup); --version loads none; help, completion of unknown commands
// and suggestions load them all.
import type { CommandModule } from './main.js';

const TABLE: Record<string, () => Promise<CommandModule>> = {
  doctor: async () => (await import('./doctor-cmd.js')).doctorCommand,
  start: async () => (await import('./start-cmd.js')).startCommand,
  signals: async () => (await import('./signals-cmd.js')).signalsCommand,
  explain: async () => (await import('./explain-cmd.js')).explainCommand,
  chaos: async () => (await import('./chaos-cmd.js')).chaosCommand,
  watch: async () => (await import('./watch-cmd.js')).watchCommand,
  predict: async () => (await import('./predict-cmd.js')).predictCommand,
  panics: async () => (await import('./panics-cmd.js')).panicsCommand,
  trace: async () => (await import('./trace-cmd.js')).traceCommand,
  audit: async () => (await import('./audit-cmd.js')).auditCommand,
  netconsole: async () => (await import('./netconsole-cmd.js')).netconsoleCommand,
  preflight: async () => (await import('./preflight-cmd.js')).preflightCommand,
  version: async () => (await import('./version-cmd.js')).versionCommand,
  // Completion and man describe every command: they get the table's loader rather than importing it.
  completion: async () => (await import('./completion-cmd.js')).completionCommand(allCommands),
  man: async () => (await import('./completion-cmd.js')).manCommand(allCommands),
};

export const COMMAND_NAMES: readonly string[] = Object.keys(TABLE);

/** Every command module (help, completion, man). */
export function allCommands(): Promise<CommandModule[]> {
  return Promise.all(COMMAND_NAMES.map((n) => TABLE[n]!()));
}

/** The command modules needed to parse `argv`: just the named command when there is one, none for -V. */
export async function commands(argv: readonly string[]): Promise<CommandModule[]> {
  // `kerno --version` prints a constant: loading every command (and the configuration) for it cost ~180 ms.
  if (argv.length > 0 && argv.every((a) => a === '-V' || a === '--version')) return [];
  const first = argv.find((a) => !a.startsWith('-'));
  // Global options take a value (`--config x doctor`): only trust `first` when it names a command.
  const names = first !== undefined && first in TABLE && argv[0] === first ? [first] : COMMAND_NAMES;
  return Promise.all(names.map((n) => TABLE[n]!()));
}
