// `kerno preflight`: can `kerno start` run here? The original's ten checks (reference §1.10) plus what kerno
// itself needs: every BPF program loads (bpf-verify's loader, nothing attached), bpf_stats_enabled, the
// memlock limit, and the kubelet when pod names are configured. Exit 1 when any check fails, so it can gate
// a Helm init container or a systemd ExecStartPre.
import { Command, Option } from 'commander';
import type { ConfigFlags } from '../config/index.js';
import { commandContext } from './context.js';
import { type CliIO, UsageError } from './io.js';
import type { CommandModule } from './main.js';
import { runChecks } from './preflight-checks.js';
import {
  preflightExitCode,
  preflightReport,
  renderJson,
  renderPretty,
  renderRemediation,
} from './preflight-render.js';

interface PreflightFlags {
  listen?: string;
  stateDir?: string;
  output: 'pretty' | 'json';
}

/** The same flags as `kerno start`, so one set of arguments means the same address and directory in both. */
const FLAG_NAMES: Readonly<Record<string, string>> = {
  'daemon.listen': '--listen',
  'daemon.state_dir': '--state-dir',
};

export const preflightCommand: CommandModule = {
  register(program: Command, io: CliIO, setExit: (code: number) => void) {
    program
      .command('preflight')
      .description(
        'check that this host and configuration can run kerno start (kernel, BTF, capabilities, …)',
      )
      .option(
        '--listen <host:port>',
        'the address kerno start will serve on (default: daemon.listen, 127.0.0.1:9733)',
      )
      .option(
        '--state-dir <dir>',
        'the state directory kerno start will use (default: daemon.state_dir, /var/lib/kerno)',
      )
      .addOption(
        new Option('-o, --output <format>', 'output format').choices(['pretty', 'json']).default('pretty'),
      )
      .addHelpText(
        'after',
        `
Checks, in order: kernel ≥ 5.8, BTF, cgroup hierarchy (v1 passes with a note), CAP_BPF, CAP_PERFMON,
/proc, CAP_NET_ADMIN (warn only), state directory writable, listen address (and the netconsole UDP
address, when configured) bindable, tracefs (warn only), every BPF program loads (none is attached),
kernel.bpf_stats_enabled readable (warn only), locked-memory limit, and the kubelet when pod names are
configured (kubernetes.enabled). docs/preflight.md describes each.

Examples:
  sudo kerno preflight
  sudo kerno preflight --listen 0.0.0.0:9733 --state-dir /var/lib/kerno
  sudo kerno preflight -o json | jq '.checks[] | select(.status != "pass")'

KERNO_BTF_PATH makes the BTF check open another file than /sys/kernel/btf/vmlinux (tests, odd kernels);
it does not change what the BPF loader uses.
One line of remediation per warning or failure goes to stderr. JSON: docs/preflight.schema.json.

Exit status: 0 ready (warnings allowed), 1 a check failed, 2 bad usage, 3 bad configuration.`,
      )
      .action(async (opts: PreflightFlags, cmd: Command) => {
        if (opts.listen !== undefined && opts.listen.trim() === '')
          throw new UsageError('--listen: must not be empty');
        const flags: ConfigFlags = { daemon: { listen: opts.listen, state_dir: opts.stateDir } };
        const { config, color } = commandContext(cmd, io, flags, FLAG_NAMES);
        const report = preflightReport(await runChecks({ config, env: io.env, signal: io.signal }));
        io.out(opts.output === 'json' ? renderJson(report) : renderPretty(report, color));
        io.err(renderRemediation(report));
        setExit(preflightExitCode(report));
      });
  },
};
