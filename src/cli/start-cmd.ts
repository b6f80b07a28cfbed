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
  netconsoleK8s?: boolean;
  netconsoleK8sWrites?: boolean;
  netconsoleK8sKubeconfig?: string;
}

/** Flag → config key, for error messages that name the flag the user typed. */
export const START_FLAG_NAMES: Readonly<Record<string, string>> = {
  'daemon.listen': '--listen',
  'daemon.interval': '--interval',
  'daemon.state_dir': '--state-dir',
  'daemon.metrics_token_file': '--metrics-token-file',
  'daemon.netconsole_listen': '--netconsole-listen',
  'daemon.netconsole_k8s': '--netconsole-k8s',
  'daemon.netconsole_k8s_writes': '--netconsole-k8s-writes',
  'daemon.netconsole_k8s_kubeconfig': '--netconsole-k8s-kubeconfig',
};

function configFlags(opts: StartFlags): ConfigFlags {
  return {
    daemon: {
      listen: opts.listen,
      interval: opts.interval,
      state_dir: opts.stateDir,
      metrics_token_file: opts.metricsTokenFile,
      netconsole_listen: opts.netconsoleListen,
      netconsole_k8s: opts.netconsoleK8s,
      netconsole_k8s_writes: opts.netconsoleK8sWrites,
      netconsole_k8s_kubeconfig: opts.netconsoleK8sKubeconfig,
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
      .option(
        '--netconsole-k8s',
        'link each received incident to its Kubernetes Node (by IP) and the pods on it (reads nodes, pods)',
      )
      .option(
        '--netconsole-k8s-writes',
        'with --netconsole-k8s: annotate those pods and the Node and create Warning Events (writes)',
      )
      .option(
        '--netconsole-k8s-kubeconfig <file>',
        'kubeconfig for --netconsole-k8s (default: the in-cluster service account)',
      )
      .addHelpText(
        'after',
        `
Examples:
  sudo kerno start                                    serve on 127.0.0.1:9733
  sudo kerno start --listen 0.0.0.0:9733 --metrics-token-file /etc/kerno/token
  sudo kerno start --interval 30s --netconsole-listen udp://0.0.0.0:6666
  sudo kerno start --netconsole-listen udp://0.0.0.0:6666 --netconsole-k8s --netconsole-k8s-writes
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
          ['--netconsole-k8s-kubeconfig', opts.netconsoleK8sKubeconfig],
        ] as const)
          if (v !== undefined && v.trim() === '')
            throw new UsageError(`${flag}: must not be empty (omit the flag to leave it off)`);
        const flags = configFlags(opts);
        const { config } = commandContext(cmd, io, flags, START_FLAG_NAMES);
        const k8sProblem = netconsoleK8sProblem(config);
        if (k8sProblem) throw new ExitError(k8sProblem, EXIT.CONFIG);
        const reloadConfig = (): Config => reloadFromSources(cmd, io, flags);
        setExit(EXIT_FOR[await runDaemon({ config, reloadConfig, rules: ALL_RULES }, io)]);
      });
  },
};

/** Cross-key checks of the Kubernetes link; a one-line problem or undefined. */
export function netconsoleK8sProblem(config: Config): string | undefined {
  const d = config.daemon;
  if (d.netconsole_k8s_writes && !d.netconsole_k8s)
    return 'daemon.netconsole_k8s_writes (--netconsole-k8s-writes): needs daemon.netconsole_k8s (--netconsole-k8s)';
  if (d.netconsole_k8s && !d.netconsole_listen)
    return 'daemon.netconsole_k8s (--netconsole-k8s): needs daemon.netconsole_listen (--netconsole-listen): it links received incidents';
  return undefined;
}

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
