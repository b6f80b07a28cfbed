// commander wiring only: each command lives in its own module and receives a CliIO. Nothing here may import
// the configuration (zod): `kerno --version` loads this module and no command (bench/doctor-startup).
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { EXIT, UsageError, type CliIO } from './io.js';

export interface CommandModule {
  register(program: Command, io: CliIO, setExit: (code: number) => void): void;
}

/** The flags every command accepts; commandContext (context.ts) turns them into configuration. */
export interface GlobalOptions {
  config?: string;
  logLevel?: string;
  logFormat?: string;
  color?: boolean;
  verbose?: boolean;
}

export function addGlobalOptions(program: Command): Command {
  return program
    .option(
      '--config <file>',
      'config file (YAML); default: $KERNO_CONFIG, /etc/kerno/config.yaml, $XDG_CONFIG_HOME/kerno/config.yaml (~/.config)',
    )
    .option('--log-level <level>', 'debug | info | warn | error')
    .option('--log-format <format>', 'auto | text | json')
    .option('--no-color', 'disable colours (NO_COLOR is honoured too)')
    .option('-v, --verbose', 'debug logging (includes libbpf output)');
}

/** The root command, global options included, before any command module registers itself. */
export function createProgram(io: CliIO): Command {
  const program = new Command('kerno')
    .description(
      'eBPF kernel diagnosis for Linux: run `kerno doctor` during an incident and it names the cause.',
    )
    .version(VERSION, '-V, --version', 'print the version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s),
      // commander prints "error: unknown option '--x'" itself; keep it to that one line.
      writeErr: (s) => io.err(s.startsWith('error:') ? `kerno: ${s}` : s),
    });
  program.addHelpText(
    'after',
    `
Examples:
  sudo kerno doctor                  diagnose this host over a 30 s window
  sudo kerno doctor --duration 10s --output json
  sudo kerno start                   daemon: Prometheus /metrics, /healthz, /readyz
  sudo kerno chaos --list            incident scenarios paired with the rule they must fire

Run as root, or with CAP_BPF and CAP_PERFMON. Docs: README.md`,
  );
  return addGlobalOptions(program);
}

export async function run(argv: string[], io: CliIO, modules: CommandModule[] = []): Promise<number> {
  let exitCode: number = EXIT.OK;
  const program = createProgram(io);
  for (const m of modules) m.register(program, io, (c) => (exitCode = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
        return EXIT.OK;
      if (err.code === 'commander.executeSubCommandAsync') return err.exitCode;
      return EXIT.USAGE;
    }
    if (err instanceof UsageError) {
      io.err(`kerno: ${err.message}\n`);
      return EXIT.USAGE;
    }
    const e = err as { exitCode?: number; message?: string };
    if (typeof e?.exitCode === 'number') {
      io.err(`kerno: ${e.message}\n`);
      return e.exitCode;
    }
    throw err;
  }
  return exitCode;
}
