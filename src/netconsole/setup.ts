// `kerno netconsole setup --target HOST:PORT [--interface IF]`: make this node send its kernel log to a
// kerno receiver. Three parts so each can be tested on its own:
//   detectNetconsoleSupport()  what this kernel offers: a configfs netconsole directory (dynamic targets),
//                              a loadable module, or the build config (CONFIG_NETCONSOLE, _DYNAMIC)
//   netconsoleSetupPlan()      pure: the configfs steps and the equivalent module/boot parameter
//   applyNetconsole()          performs the configfs steps, or fails with one sentence saying why not
// Extended mode is always requested: sequence numbers let the receiver reorder and deduplicate.

import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rmdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { release as osRelease } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { DEFAULT_NETCONSOLE_PORT } from './listen.js';

export const CONFIGFS_ROOT = '/sys/kernel/config';
export const TARGET_NAME = 'kerno';

export type KconfigValue = 'y' | 'm' | 'n' | 'unknown';

export interface NetconsoleSupport {
  kernelRelease: string;
  /** /sys/kernel/config/netconsole exists: targets can be created now. */
  configfsNetconsole: boolean;
  /** configfs is mounted at /sys/kernel/config. */
  configfsMounted: boolean;
  /** netconsole.ko is present under /lib/modules/<release>. */
  moduleAvailable: boolean;
  /** CONFIG_NETCONSOLE / CONFIG_NETCONSOLE_DYNAMIC / CONFIG_CONFIGFS_FS, from /boot/config-* or /proc/config.gz. */
  config: { netconsole: KconfigValue; dynamic: KconfigValue; configfs: KconfigValue; source?: string };
  /** Whether applyNetconsole() can configure a target on this kernel. */
  supported: boolean;
  /** One sentence: how it would be done, or why it cannot. */
  reason: string;
}

export interface DetectOptions {
  release?: string;
  configfsRoot?: string;
  modulesRoot?: string;
  bootDir?: string;
  procConfigGz?: string;
  mountsPath?: string;
}

export function detectNetconsoleSupport(opts: DetectOptions = {}): NetconsoleSupport {
  const rel = opts.release ?? osRelease();
  const configfsRoot = opts.configfsRoot ?? CONFIGFS_ROOT;
  const configfsNetconsole = isDir(join(configfsRoot, 'netconsole'));
  const configfsMounted =
    readText(opts.mountsPath ?? '/proc/mounts')
      ?.split('\n')
      .some((l) => l.split(' ')[1] === configfsRoot && l.split(' ')[2] === 'configfs') ?? false;
  const moduleAvailable = findModule(join(opts.modulesRoot ?? '/lib/modules', rel));
  const config = readKconfig(rel, opts);
  const s: NetconsoleSupport = {
    kernelRelease: rel,
    configfsNetconsole,
    configfsMounted,
    moduleAvailable,
    config,
    supported: false,
    reason: '',
  };
  const verdict = assess(s);
  s.supported = verdict.supported;
  s.reason = verdict.reason;
  return s;
}

function assess(s: NetconsoleSupport): { supported: boolean; reason: string } {
  const k = `this kernel (${s.kernelRelease})`;
  const { netconsole, dynamic, configfs } = s.config;
  if (s.configfsNetconsole) {
    return {
      supported: true,
      reason: `${k} has netconsole with dynamic targets at ${CONFIGFS_ROOT}/netconsole`,
    };
  }
  if (netconsole === 'n') {
    const noConfigfs = configfs === 'n' ? ' and without configfs' : '';
    return {
      supported: false,
      reason:
        `netconsole is not available on ${k}: it was built without CONFIG_NETCONSOLE${noConfigfs}, so kerno cannot ` +
        `make it send its kernel log; use a kernel with CONFIG_NETCONSOLE=m (or =y) and CONFIG_NETCONSOLE_DYNAMIC=y`,
    };
  }
  if (dynamic === 'n' || configfs === 'n') {
    return {
      supported: false,
      reason:
        `netconsole on ${k} has no dynamic targets (CONFIG_NETCONSOLE_DYNAMIC or CONFIG_CONFIGFS_FS is off), so it ` +
        `can only be configured with the netconsole= boot or module parameter`,
    };
  }
  if (s.moduleAvailable) {
    return {
      supported: true,
      reason: `${k} has the netconsole module: it is loaded with modprobe and configured through configfs`,
    };
  }
  if (netconsole === 'y' && dynamic === 'y') {
    return {
      supported: true,
      reason: `${k} has netconsole built in with dynamic targets, configured through configfs`,
    };
  }
  return {
    supported: false,
    reason:
      `netconsole is not available on ${k}: there is no ${CONFIGFS_ROOT}/netconsole, no netconsole module under ` +
      `/lib/modules/${s.kernelRelease} and no kernel config saying it is built in`,
  };
}

function findModule(dir: string): boolean {
  const builtin = readText(join(dir, 'modules.builtin'));
  if (builtin && /(^|\/)netconsole\.ko$/m.test(builtin)) return true;
  const netDir = join(dir, 'kernel', 'drivers', 'net');
  try {
    return readdirSync(netDir).some((f) => /^netconsole\.ko(\.(xz|zst|gz))?$/.test(f));
  } catch {
    return false;
  }
}

function readKconfig(rel: string, opts: DetectOptions): NetconsoleSupport['config'] {
  const candidates: [string, () => string | undefined][] = [
    [
      join(opts.bootDir ?? '/boot', `config-${rel}`),
      () => readText(join(opts.bootDir ?? '/boot', `config-${rel}`)),
    ],
    [
      opts.procConfigGz ?? '/proc/config.gz',
      () => {
        try {
          return gunzipSync(readFileSync(opts.procConfigGz ?? '/proc/config.gz')).toString('utf8');
        } catch {
          return undefined;
        }
      },
    ],
  ];
  for (const [source, read] of candidates) {
    const text = read();
    if (text === undefined) continue;
    return {
      netconsole: kconfig(text, 'CONFIG_NETCONSOLE'),
      dynamic: kconfig(text, 'CONFIG_NETCONSOLE_DYNAMIC'),
      configfs: kconfig(text, 'CONFIG_CONFIGFS_FS'),
      source,
    };
  }
  return { netconsole: 'unknown', dynamic: 'unknown', configfs: 'unknown' };
}

export function kconfig(text: string, symbol: string): KconfigValue {
  const m = new RegExp(`^${symbol}=([ymn])$`, 'm').exec(text);
  if (m) return m[1] as KconfigValue;
  if (new RegExp(`^# ${symbol} is not set$`, 'm').test(text)) return 'n';
  return 'n';
}

// ------------------------------------------------------------------------------------------------ plan

export interface NetconsoleSetupInput {
  /** "HOST:PORT" or "[v6]:PORT" of the kerno receiver; HOST must be an IP (the kernel does no DNS). */
  target: string;
  iface?: string;
  localIp?: string;
  /** Next hop's MAC (the receiver's, or the gateway's across subnets); default broadcast. */
  targetMac?: string;
  /** What detectNetconsoleSupport() found; without it the plan cannot say whether it applies here. */
  support?: NetconsoleSupport;
  /** configfs target directory name. */
  name?: string;
}

export interface NetconsoleSetupPlan {
  target: { host: string; port: number };
  iface?: string;
  /** Shell commands equivalent to what applyNetconsole() does (for review or for other machines). */
  configfsCommands: string[];
  /** `netconsole=…` for the kernel command line or `modprobe netconsole netconsole=…`. */
  moduleParam: string;
  supported: boolean;
  reason: string;
  /** Internal: the configfs writes applyNetconsole performs, in order. */
  steps: { targetDir: string; attributes: [string, string][]; mountConfigfs: boolean; modprobe: boolean };
}

export function netconsoleSetupPlan(input: NetconsoleSetupInput): NetconsoleSetupPlan {
  const target = parseTarget(input.target);
  if (input.iface !== undefined && !/^[A-Za-z0-9_.:@-]{1,15}$/.test(input.iface)) {
    throw new Error(`invalid interface name ${JSON.stringify(input.iface)}`);
  }
  if (input.localIp !== undefined && isIP(input.localIp) === 0)
    throw new Error(`invalid local IP ${JSON.stringify(input.localIp)}`);
  if (input.localIp !== undefined && isIP(input.localIp) !== isIP(target.host)) {
    throw new Error(`local IP ${input.localIp} and target ${target.host} are not the same address family`);
  }
  if (input.targetMac !== undefined && !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(input.targetMac)) {
    throw new Error(`invalid target MAC ${JSON.stringify(input.targetMac)}: expected aa:bb:cc:dd:ee:ff`);
  }
  const name = input.name ?? TARGET_NAME;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name))
    throw new Error(`invalid netconsole target name ${JSON.stringify(name)}`);
  const dir = `${CONFIGFS_ROOT}/netconsole/${name}`;
  const attributes: [string, string][] = [];
  if (input.iface) attributes.push(['dev_name', input.iface]);
  if (input.localIp) attributes.push(['local_ip', input.localIp]);
  attributes.push(['remote_ip', target.host]);
  attributes.push(['remote_port', String(target.port)]);
  if (input.targetMac) attributes.push(['remote_mac', input.targetMac.toLowerCase()]);
  attributes.push(['extended', '1']);
  attributes.push(['enabled', '1']);

  const support = input.support;
  const modprobe = !!support && !support.configfsNetconsole && support.moduleAvailable;
  const mountConfigfs = !!support && !support.configfsNetconsole && !support.configfsMounted;
  const commands: string[] = [];
  if (modprobe) commands.push('modprobe netconsole');
  if (mountConfigfs) commands.push(`mount -t configfs configfs ${CONFIGFS_ROOT}`);
  commands.push(`mkdir -p ${dir}`);
  for (const [attr, value] of attributes) commands.push(`echo ${value} > ${dir}/${attr}`);

  const moduleParam = `netconsole=+@${input.localIp ?? ''}/${input.iface ?? ''},${target.port}@${target.host}/${input.targetMac?.toLowerCase() ?? ''}`;

  const plan: NetconsoleSetupPlan = {
    target,
    configfsCommands: commands,
    moduleParam,
    supported: support?.supported ?? false,
    reason:
      support?.reason ?? 'netconsole support was not detected (pass detectNetconsoleSupport() as support)',
    steps: { targetDir: dir, attributes, mountConfigfs, modprobe },
  };
  if (input.iface) plan.iface = input.iface;
  return plan;
}

export function parseTarget(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text.trim()) ?? /^([^:[\]]+)(?::(\d{1,5}))?$/.exec(text.trim());
  if (!m)
    throw new Error(
      `invalid netconsole target ${JSON.stringify(text)}: expected HOST:PORT, e.g. 10.0.0.2:6666`,
    );
  const host = m[1] as string;
  if (isIP(host) === 0) {
    throw new Error(
      `invalid netconsole target ${JSON.stringify(text)}: ${host} is not an IP address (the kernel cannot resolve names)`,
    );
  }
  const port = m[2] === undefined ? DEFAULT_NETCONSOLE_PORT : Number(m[2]);
  if (port < 1 || port > 65535)
    throw new Error(
      `invalid netconsole target ${JSON.stringify(text)}: port ${port} is out of range 1-65535`,
    );
  return { host, port };
}

// ------------------------------------------------------------------------------------------------ apply

export interface ApplyOptions {
  /** Runs modprobe/mount; default execFile. */
  run?: (cmd: string, args: string[]) => Promise<void>;
}

const execFileP = promisify(execFile);

/**
 * Configure the netconsole target through configfs. Fails with one sentence when the plan is not
 * supported on this kernel. A half-configured target is removed again on error.
 */
export async function applyNetconsole(plan: NetconsoleSetupPlan, opts: ApplyOptions = {}): Promise<void> {
  if (!plan.supported) throw new Error(plan.reason.endsWith('.') ? plan.reason : `${plan.reason}.`);
  const run = opts.run ?? (async (cmd: string, args: string[]) => void (await execFileP(cmd, args)));
  const { targetDir, attributes, mountConfigfs, modprobe } = plan.steps;
  if (modprobe) await step('modprobe netconsole', () => run('modprobe', ['netconsole']));
  if (mountConfigfs)
    await step(`mount configfs at ${CONFIGFS_ROOT}`, () =>
      run('mount', ['-t', 'configfs', 'configfs', CONFIGFS_ROOT]),
    );
  const created = !existsSync(targetDir);
  await step(`create ${targetDir}`, () => mkdir(targetDir, { recursive: true }));
  try {
    // A target's parameters can only be changed while it is disabled.
    if (!created) await writeFile(join(targetDir, 'enabled'), '0').catch(() => undefined);
    for (const [attr, value] of attributes)
      await step(`write ${value} to ${targetDir}/${attr}`, () => writeFile(join(targetDir, attr), value));
  } catch (err) {
    if (created) await rmdir(targetDir).catch(() => undefined);
    throw err;
  }
}

async function step(what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    throw new Error(`netconsole setup: ${what}: ${(err as Error).message}`, { cause: err });
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
