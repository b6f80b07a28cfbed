// Real memory cgroups for the memory scenarios: v2 (memory.max) where the memory controller is on cgroup2,
// v1 (memory.limit_in_bytes) otherwise. Created at the top of the hierarchy, named kerno-chaos-<tag>-<id>.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectBlkioRoot } from './host.js';
import { readPids } from './proc.js';
import type { ChaosSession } from './session.js';
import type { ChaosSubject, HostFacts } from './types.js';

export interface MemoryCgroup {
  version: 1 | 2;
  dir: string;
  /** Path inside the hierarchy, as /proc/<pid>/cgroup shows it. */
  path: string;
  procsFile: string;
  limitBytes: number;
  usageBytes(): number;
  /** Kernel OOM kills inside this cgroup so far (v1 memory.oom_control / v2 memory.events oom_kill). */
  oomKills(): number;
  failcnt(): number;
  subject(): ChaosSubject;
}

function readNumber(file: string): number {
  return Number(readFileSync(file, 'utf8').trim());
}

function readKey(file: string, key: string): number {
  try {
    const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(readFileSync(file, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function tryWrite(file: string, value: string): boolean {
  try {
    writeFileSync(file, value);
    return true;
  } catch {
    return false;
  }
}

/** Any active swap area (/proc/swaps lists more than its header). */
function swapConfigured(): boolean {
  try {
    return readFileSync('/proc/swaps', 'utf8').trim().split('\n').length > 1;
  } catch {
    return true; // unknown: keep swap out of the picture
  }
}

export function requireMemoryCgroup(host: HostFacts): { version: 1 | 2; root: string } {
  if (!host.memoryCgroup) {
    throw new Error(
      'this scenario needs the cgroup memory controller (neither cgroup v2 with memory nor a v1 memory mount found)',
    );
  }
  return host.memoryCgroup;
}

export function createMemoryCgroup(
  session: ChaosSession,
  host: HostFacts,
  tag: string,
  limitBytes: number,
  opts: { oomKill?: boolean } = {},
): MemoryCgroup {
  const { version, root } = requireMemoryCgroup(host);
  const name = session.name(tag);
  const dir = join(root, name);
  if (version === 2) {
    // The memory controller must be enabled for children of the root before memory.max exists.
    const ctl = join(root, 'cgroup.subtree_control');
    if (!readFileSync(ctl, 'utf8').split(/\s+/).includes('memory')) writeFileSync(ctl, '+memory');
  }
  session.register({ kind: 'cgroup', dir });
  mkdirSync(dir);
  if (version === 1) {
    writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limitBytes));
    // With swap, anonymous memory over the limit would be swapped instead of reclaimed or OOM-killed: cap
    // memory+swap too. Only then: with a memsw limit, charges fail on memsw first and memory.failcnt stays 0
    // (measured here, kernel 6.18: 300 MB streamed through a 64 MiB group, failcnt 116 without, 0 with),
    // which would hide the throttling memory_high_throttling reads.
    if (swapConfigured()) tryWrite(join(dir, 'memory.memsw.limit_in_bytes'), String(limitBytes));
    // The OOM killer on (the default), or off where a scenario wants a task that cannot charge to wait
    // (v1 only: v2 has no switch for it).
    tryWrite(join(dir, 'memory.oom_control'), opts.oomKill === false ? '1' : '0');
  } else {
    writeFileSync(join(dir, 'memory.max'), String(limitBytes));
    if (existsSync(join(dir, 'memory.swap.max'))) tryWrite(join(dir, 'memory.swap.max'), '0');
  }
  const usageFile = join(dir, version === 1 ? 'memory.usage_in_bytes' : 'memory.current');
  return {
    version,
    dir,
    path: `/${name}`,
    procsFile: join(dir, 'cgroup.procs'),
    limitBytes,
    usageBytes: () => readNumber(usageFile),
    oomKills: () =>
      version === 1
        ? readKey(join(dir, 'memory.oom_control'), 'oom_kill')
        : readKey(join(dir, 'memory.events'), 'oom_kill'),
    failcnt: () =>
      version === 1 ? readNumber(join(dir, 'memory.failcnt')) : readKey(join(dir, 'memory.events'), 'max'),
    subject: () => ({ kind: 'cgroup', version, path: `/${name}`, dir }),
  };
}

export interface PressureCgroup {
  dir: string;
  procsFile: string;
  /** memory.pressure / io.pressure / cpu.pressure of this group. */
  pressureFile(resource: 'memory' | 'io' | 'cpu'): string;
}

/**
 * On hybrid hosts (memory on v1, a cgroup2 mount without controllers) a v2 group still gives per-cgroup
 * PSI: workloads join it too, so the stall can be attributed to them. Undefined when not applicable.
 */
export function createPressureCgroup(
  session: ChaosSession,
  host: HostFacts,
  tag: string,
): PressureCgroup | undefined {
  if (!host.isRoot || !host.pressureCgroupRoot || host.memoryCgroup?.version === 2) return undefined;
  const dir = join(host.pressureCgroupRoot, session.name(tag));
  session.register({ kind: 'cgroup', dir });
  try {
    mkdirSync(dir);
  } catch {
    return undefined; // optional: the scenario works without per-cgroup pressure
  }
  if (!existsSync(join(dir, 'memory.pressure'))) return undefined;
  return { dir, procsFile: join(dir, 'cgroup.procs'), pressureFile: (r) => join(dir, `${r}.pressure`) };
}

/** The pressure file for a memory cgroup on v2 (the group itself), or the hybrid pressure group. */
export function pressureFileFor(
  cg: MemoryCgroup | undefined,
  pg: PressureCgroup | undefined,
  resource: 'memory' | 'io' | 'cpu',
): string | undefined {
  if (cg?.version === 2) return join(cg.dir, `${resource}.pressure`);
  return pg?.pressureFile(resource);
}

export interface TaskCgroup {
  dir: string;
  procsFile: string;
  /** The pids inside now (stress-ng's stressors are its children: this is how they are found). */
  pids(): number[];
  /** cpu.pressure / io.pressure of this group, when it is a cgroup2 group. */
  pressureFile?: (resource: 'memory' | 'io' | 'cpu') => string;
}

/**
 * A cgroup that only holds a workload's processes, so that every process it forks is found and killed at
 * cleanup (removeCgroup kills the members). cgroup2 where there is one (per-cgroup PSI too), else the v1
 * memory hierarchy without a limit.
 */
export function createTaskCgroup(session: ChaosSession, host: HostFacts, tag: string): TaskCgroup {
  const v2Root = host.memoryCgroup?.version === 2 ? host.memoryCgroup.root : host.pressureCgroupRoot;
  const root = v2Root ?? requireMemoryCgroup(host).root;
  const dir = join(root, session.name(tag));
  session.register({ kind: 'cgroup', dir });
  mkdirSync(dir);
  const procsFile = join(dir, 'cgroup.procs');
  return {
    dir,
    procsFile,
    pids: () => readPids(procsFile),
    ...(v2Root !== undefined
      ? { pressureFile: (r: 'memory' | 'io' | 'cpu') => join(dir, `${r}.pressure`) }
      : {}),
  };
}

export interface IoThrottleCgroup {
  version: 1 | 2;
  dir: string;
  procsFile: string;
}

/**
 * A cgroup whose writes to one device are limited to `bps` bytes per second: v1 blkio throttling where the
 * blkio hierarchy is mounted, else cgroup2 io.max. Only the processes inside are slowed; the device and
 * everyone else keep their speed.
 */
export function createIoThrottleCgroup(
  session: ChaosSession,
  host: HostFacts,
  tag: string,
  dev: string,
  bps: number,
): IoThrottleCgroup {
  const name = session.name(tag);
  const blkio = detectBlkioRoot();
  if (blkio !== undefined && existsSync(join(blkio, 'blkio.throttle.write_bps_device'))) {
    const dir = join(blkio, name);
    session.register({ kind: 'cgroup', dir });
    mkdirSync(dir);
    writeFileSync(join(dir, 'blkio.throttle.write_bps_device'), `${dev} ${Math.round(bps)}`);
    return { version: 1, dir, procsFile: join(dir, 'cgroup.procs') };
  }
  const root = host.memoryCgroup?.version === 2 ? host.memoryCgroup.root : undefined;
  if (root === undefined || !readFileSync(join(root, 'cgroup.controllers'), 'utf8').includes('io')) {
    throw new Error(
      'this scenario needs I/O throttling: the v1 blkio hierarchy or the cgroup2 io controller',
    );
  }
  const ctl = join(root, 'cgroup.subtree_control');
  if (!readFileSync(ctl, 'utf8').split(/\s+/).includes('io')) writeFileSync(ctl, '+io');
  const dir = join(root, name);
  session.register({ kind: 'cgroup', dir });
  mkdirSync(dir);
  writeFileSync(join(dir, 'io.max'), `${dev} wbps=${Math.round(bps)}`);
  return { version: 2, dir, procsFile: join(dir, 'cgroup.procs') };
}

export interface CpuCgroupStat {
  periods: number;
  throttledPeriods: number;
  throttledNs: number;
  /** CPU time used so far (v2 usage_usec, v1 cpuacct.usage); undefined without a cpuacct group. */
  usageNs?: number;
}

export interface CpuCgroup {
  version: 1 | 2;
  dir: string;
  /** Path inside the hierarchy, as /proc/<pid>/cgroup shows it. */
  path: string;
  /** The cgroup.procs files a workload joins: the cpu group and, on v1, its cpuacct twin of the same name. */
  procsFiles: string[];
  quotaUs: number;
  periodUs: number;
  stat(): CpuCgroupStat;
  subject(): ChaosSubject;
}

export function requireCpuCgroup(host: HostFacts): NonNullable<HostFacts['cpuCgroup']> {
  if (!host.cpuCgroup) {
    throw new Error(
      'this scenario needs the cgroup cpu controller (neither cgroup v2 with cpu nor a v1 cpu mount found)',
    );
  }
  return host.cpuCgroup;
}

/**
 * A cgroup with a CPU quota of `quotaUs` per `periodUs`: v2 cpu.max where cgroup2 has the cpu controller,
 * else v1 cpu.cfs_quota_us (plus a cpuacct group of the same name when cpuacct is a separate hierarchy, so
 * its usage is measured). Its weight is set to the maximum: the quota is the only limit the workload
 * meets, so it reaches its quota early in every period even while the rest of the host keeps the CPUs busy.
 * Measured here at load 27 on 2 CPUs, one spinner under 0.2 cores: at the default weight 64-94 % of periods
 * throttled and as little as 31 % of the time (it took ~70 ms to get its 20 ms); at the maximum weight
 * 94-100 % of periods and 72-78 % of the time. The weight never lets it exceed the quota.
 */
export function createCpuCgroup(
  session: ChaosSession,
  host: HostFacts,
  tag: string,
  quotaUs: number,
  periodUs: number,
): CpuCgroup {
  const { version, root, cpuacctRoot } = requireCpuCgroup(host);
  const name = session.name(tag);
  const dir = join(root, name);
  if (version === 2) {
    const ctl = join(root, 'cgroup.subtree_control');
    if (!readFileSync(ctl, 'utf8').split(/\s+/).includes('cpu')) writeFileSync(ctl, '+cpu');
  }
  session.register({ kind: 'cgroup', dir });
  mkdirSync(dir);
  const procsFiles = [join(dir, 'cgroup.procs')];
  let acctDir: string | undefined;
  if (version === 2) {
    writeFileSync(join(dir, 'cpu.max'), `${quotaUs} ${periodUs}`);
    tryWrite(join(dir, 'cpu.weight'), '10000');
  } else {
    // The period first: a quota is validated against the current period.
    writeFileSync(join(dir, 'cpu.cfs_period_us'), String(periodUs));
    writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quotaUs));
    tryWrite(join(dir, 'cpu.shares'), '262144');
    if (cpuacctRoot !== undefined && cpuacctRoot !== root) {
      acctDir = join(cpuacctRoot, name);
      session.register({ kind: 'cgroup', dir: acctDir });
      mkdirSync(acctDir);
      procsFiles.push(join(acctDir, 'cgroup.procs'));
    } else if (cpuacctRoot !== undefined) {
      acctDir = dir;
    }
  }
  return {
    version,
    dir,
    path: `/${name}`,
    procsFiles,
    quotaUs,
    periodUs,
    stat: () => {
      const statFile = join(dir, 'cpu.stat');
      const s: CpuCgroupStat = {
        periods: readKey(statFile, 'nr_periods'),
        throttledPeriods: readKey(statFile, 'nr_throttled'),
        throttledNs:
          version === 2 ? readKey(statFile, 'throttled_usec') * 1000 : readKey(statFile, 'throttled_time'),
      };
      if (version === 2) s.usageNs = readKey(statFile, 'usage_usec') * 1000;
      else if (acctDir !== undefined) s.usageNs = readNumber(join(acctDir, 'cpuacct.usage'));
      return s;
    },
    subject: () => ({ kind: 'cgroup', version, path: `/${name}`, dir }),
  };
}
