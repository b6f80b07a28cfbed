// `kerno netconsole setup`: make this node send its kernel log to a kerno receiver over UDP, so its last
// words survive a panic (docs/netconsole.md). A dry run by default: it prints the configfs steps and the
// equivalent module/boot parameter; --apply performs them, or fails with the one-sentence reason this
// kernel cannot (exit 4: a missing kernel feature, nothing to degrade to).
import { Command, Option } from 'commander';
import {
  applyNetconsole,
  detectNetconsoleSupport,
  netconsoleSetupPlan,
  type NetconsoleSetupInput,
  type NetconsoleSetupPlan,
} from '../netconsole/index.js';
import { commandContext, ExitError } from './context.js';
import { EXIT, UsageError, type CliIO } from './io.js';
import type { CommandModule } from './main.js';

interface SetupFlags {
  target: string;
  interface?: string;
  localIp?: string;
  targetMac?: string;
  apply?: boolean;
  output: 'text' | 'json';
}

export const netconsoleCommand: CommandModule = {
  register(program: Command, io: CliIO, setExit: (code: number) => void) {
    const nc = program
      .command('netconsole')
      .description(
        "send this node's kernel log to a kerno receiver over UDP (netconsole), so panics are caught",
      );
    nc.command('setup')
      .description('configure netconsole on this node (a dry run that prints the steps, unless --apply)')
      .requiredOption(
        '--target <host:port>',
        'the receiver (kerno start --netconsole-listen); an IP address: the kernel does no DNS',
      )
      .option('--interface <if>', 'network interface to send from (default: the kernel picks the route)')
      .option('--local-ip <ip>', 'source address (default: the interface address)')
      .option(
        '--target-mac <mac>',
        "next hop's MAC: the receiver's, or the gateway's across subnets (default broadcast)",
      )
      .option('--apply', 'configure it now through configfs (needs root)')
      .addOption(
        new Option('-o, --output <format>', 'output format of the plan (the dry run)')
          .choices(['text', 'json'])
          .default('text'),
      )
      .addHelpText(
        'after',
        `
Examples:
  kerno netconsole setup --target 10.0.0.2:6666                 print the steps (nothing changes)
  sudo kerno netconsole setup --target 10.0.0.2:6666 --interface eth0 --apply

Exit status: 0 ok, 1 a configfs step failed, 2 bad usage, 4 not root or this kernel has no netconsole.`,
      )
      .action(async (opts: SetupFlags, cmd: Command) => {
        setExit(await runSetup(opts, cmd, io));
      });
  },
};

async function runSetup(opts: SetupFlags, cmd: Command, io: CliIO): Promise<number> {
  const input: NetconsoleSetupInput = { target: opts.target };
  if (opts.interface !== undefined) input.iface = opts.interface;
  if (opts.localIp !== undefined) input.localIp = opts.localIp;
  if (opts.targetMac !== undefined) input.targetMac = opts.targetMac;
  try {
    netconsoleSetupPlan(input); // flag validation only: before any detection or configuration
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  commandContext(cmd, io);
  const plan = netconsoleSetupPlan({ ...input, support: detectNetconsoleSupport() });
  if (!opts.apply) {
    io.out(opts.output === 'json' ? JSON.stringify(plan, null, 2) + '\n' : renderPlan(plan));
    return EXIT.OK;
  }
  if (!plan.supported) throw new ExitError(sentence(plan.reason), EXIT.PRIVILEGES);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new ExitError(
      `netconsole setup --apply needs root: it writes to /sys/kernel/config (re-run with sudo, or use --target without --apply to see the steps)`,
      EXIT.PRIVILEGES,
    );
  }
  try {
    await applyNetconsole(plan);
  } catch (err) {
    const code = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code;
    throw new ExitError(
      (err as Error).message.replace(/\s*\n\s*/g, '; '),
      code === 'EACCES' || code === 'EPERM' ? EXIT.PRIVILEGES : EXIT.FAILURE,
    );
  }
  io.out(
    `netconsole: this node now sends its kernel log to ${formatTarget(plan)} (extended format, ${plan.steps.targetDir})\n`,
  );
  return EXIT.OK;
}

export function renderPlan(plan: NetconsoleSetupPlan): string {
  const lines = [
    `netconsole target ${formatTarget(plan)}${plan.iface ? ` via ${plan.iface}` : ''} (extended format: sequence numbers let the receiver reorder and deduplicate)`,
    '',
    `This node: ${sentence(plan.reason)}`,
    '',
    plan.supported
      ? 'What --apply does (configfs):'
      : 'On a kernel with netconsole, --apply would run (configfs):',
    ...plan.configfsCommands.map((c) => `  ${c}`),
    '',
    'Or as a module / kernel command-line parameter:',
    `  modprobe netconsole ${plan.moduleParam}`,
    `  ${plan.moduleParam}   (kernel command line)`,
    '',
    plan.supported
      ? 'Nothing was changed. Re-run with --apply (as root) to configure this node.'
      : 'Nothing was changed: this kernel cannot send its log over netconsole.',
  ];
  return lines.join('\n') + '\n';
}

function formatTarget(plan: NetconsoleSetupPlan): string {
  const { host, port } = plan.target;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function sentence(text: string): string {
  return text.endsWith('.') ? text : `${text}.`;
}
