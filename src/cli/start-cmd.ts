// `kerno start`: commander wiring for the daemon (src/daemon/daemon.ts does the work; the CLI hands it the
// rules and turns its outcome into an exit code). Flags map onto
// config keys, so flags > KERNO_* env > config file > defaults, and a bad value names the flag typed.

import { Command } from 'commander';
import { loadConfig, ConfigError, type Config, type ConfigFlags } from '../config/index.js';
import { runDaemon, type DaemonOutcome } from '../daemon/daemon.js';
import { ALL_RULES } from '../../rules/index.js';
import { commandContext, ExitError, withGlobalFlags, type GlobalOptions } from './context.js';
import { EXIT, UsageError, type CliIO } from './io.js';
import type { CommandModule } from './main.js';

const EXIT_FOR: Readonly<Record<DaemonOutcome, number>> = {
  stopped: EXIT.OK,
  bad_config: EXIT.CONFIG,
  failed: EXIT.FAILURE,
};

interface StartFlags {
  listen?: string;
  interval?: string;
  stateDir?: string;
  metricsTokenFile?: string;
  netconsoleListen?: string;
}

/** Flag → config key, for error messages that name the flag the user typed. */
export const START_FLAG_NAMES: Readonly<Record<string, string>> = {
  'daemon.listen': '--listen',
  'daemon.interval': '--interval',
  'daemon.state_dir': '--state-dir',
  'daemon.metrics_token_file': '--metrics-token-file',
  'daemon.netconsole_listen': '--netconsole-listen',
};

function configFlags(opts: StartFlags): ConfigFlags {
  return {
    daemon: {
      listen: opts.listen,
      interval: opts.interval,
      state_dir: opts.stateDir,
      metrics_token_file: opts.metricsTokenFile,
      netconsole_listen: opts.netconsoleListen,
    },
  };
}

export const startCommand: CommandModule = {
  register(program: Command, io: CliIO, setExit: (code: number) => void) {
    program
      .command('start')
      .description(
        'daemon: collectors run continuously; Prometheus /metrics, /healthz, /readyz, /findings, /panics',
      )
      .option(
        '--listen <host:port>',
        'HTTP address for /metrics, probes and /findings (default 127.0.0.1:9733)',
      )
      .option('--interval <duration>', 'diagnosis window: the doctor rules run over each one (default 60s)')
      .option('--state-dir <dir>', 'where netconsole incidents are recorded (default /var/lib/kerno)')
      .option('--metrics-token-file <file>', 'require this bearer token on /metrics, /findings and /panics')
      .option('--netconsole-listen <udp://host:port>', 'receive kernel logs from other nodes over netconsole')
      .addHelpText(
        'after',
        `
Examples:
  sudo kerno start                                    serve on 127.0.0.1:9733
  sudo kerno start --listen 0.0.0.0:9733 --metrics-token-file /etc/kerno/token
  sudo kerno start --interval 30s --netconsole-listen udp://0.0.0.0:6666
  curl -s localhost:9733/readyz; curl -s localhost:9733/findings | jq .summary

Signals: SIGTERM/SIGINT stop gracefully (readiness turns 503 first); SIGHUP reloads the configuration
(log level, thresholds, interval, metrics token; other changes are logged as needing a restart).
Without root (or CAP_BPF + CAP_PERFMON) only the procfs collectors run and /readyz stays 503.`,
      )
      .action(async (opts: StartFlags, cmd: Command) => {
        // An empty flag is a mistake, not "off" (omitting the flag is off), as for --listen ''.
        for (const [flag, v] of [
          ['--netconsole-listen', opts.netconsoleListen],
          ['--metrics-token-file', opts.metricsTokenFile],
        ] as const)
          if (v !== undefined && v.trim() === '')
            throw new UsageError(`${flag}: must not be empty (omit the flag to leave it off)`);
        const flags = configFlags(opts);
        const { config } = commandContext(cmd, io, flags, START_FLAG_NAMES);
        const reloadConfig = (): Config => reloadFromSources(cmd, io, flags);
        setExit(EXIT_FOR[await runDaemon({ config, reloadConfig, rules: ALL_RULES }, io)]);
      });
  },
};

/** The same resolution as at start (file, env, flags), without printing: SIGHUP's view of the config. */
function reloadFromSources(cmd: Command, io: CliIO, flags: ConfigFlags): Config {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const merged = withGlobalFlags(cmd, flags);
  try {
    return loadConfig({
      flags: merged,
      flagNames: { ...START_FLAG_NAMES, log_level: '--log-level', log_format: '--log-format' },
      env: io.env,
      explicitPath: g.config,
    }).config;
  } catch (err) {
    if (err instanceof ConfigError) throw new ExitError(err.message, EXIT.CONFIG);
    throw err;
  }
}
