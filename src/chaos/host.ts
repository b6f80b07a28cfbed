// Detects the machine facts that shape a scenario: CPUs, which cgroup hierarchy has the memory controller,
// a disk-backed scratch directory and the disk under it.
import { accessSync, constants, existsSync, readFileSync, realpathSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { HostFacts } from './types.js';

export interface MountEntry {
  majMin: string;
  root: string;
  mountPoint: string;
  fsType: string;
  source: string;
  superOptions: string[];
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-', 6);
    if (sep < 0 || f.length < sep + 3) continue;
    out.push({
      majMin: f[2]!,
      root: unescapeMount(f[3]!),
      mountPoint: unescapeMount(f[4]!),
      fsType: f[sep + 1]!,
      source: unescapeMount(f[sep + 2]!),
      superOptions: (f[sep + 3] ?? '').split(','),
    });
  }
  return out;
}

function readMounts(): MountEntry[] {
  try {
    return parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return [];
  }
}

function readControllers(mountPoint: string): string[] {
  try {
    return readFileSync(join(mountPoint, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
  } catch {
    return [];
  }
}

export interface CgroupLayout {
  memory?: { version: 1 | 2; root: string };
  /** A cgroup2 mount that does not carry the memory controller (hybrid layout): per-cgroup PSI only. */
  pressureRoot?: string;
}

/**
 * cgroup v2 with the memory controller wins (most production hosts); otherwise the v1 memory hierarchy
 * (this VM). On hybrid hosts the v2 mount without controllers still gives per-cgroup pressure files.
 */
export function pickCgroupLayout(
  mounts: MountEntry[],
  controllersOf: (mountPoint: string) => string[],
): CgroupLayout {
  const v2 = mounts.filter((m) => m.fsType === 'cgroup2');
  const v2mem = v2.find((m) => controllersOf(m.mountPoint).includes('memory'));
  if (v2mem) return { memory: { version: 2, root: v2mem.mountPoint } };
  const v1mem = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes('memory'));
  const layout: CgroupLayout = {};
  if (v1mem) layout.memory = { version: 1, root: v1mem.mountPoint };
  if (v2[0]) layout.pressureRoot = v2[0].mountPoint;
  return layout;
}

export function detectCgroupLayout(): CgroupLayout {
  return pickCgroupLayout(readMounts(), readControllers);
}

/** Where CPU-quota cgroups are created (HostFacts.cpuCgroup). */
export type CpuCgroupLayout = NonNullable<HostFacts['cpuCgroup']>;

/**
 * cgroup2 with the cpu controller wins; otherwise the v1 cpu hierarchy, with the v1 cpuacct hierarchy for
 * usage (the same mount when co-mounted as cpu,cpuacct; a separate one on this VM).
 */
export function pickCpuCgroup(
  mounts: MountEntry[],
  controllersOf: (mountPoint: string) => string[],
): CpuCgroupLayout | undefined {
  const v2 = mounts.find((m) => m.fsType === 'cgroup2' && controllersOf(m.mountPoint).includes('cpu'));
  if (v2) return { version: 2, root: v2.mountPoint };
  const v1 = (opt: string) => mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes(opt));
  const cpu = v1('cpu');
  if (!cpu) return undefined;
  const acct = v1('cpuacct');
  return acct
    ? { version: 1, root: cpu.mountPoint, cpuacctRoot: acct.mountPoint }
    : { version: 1, root: cpu.mountPoint };
}

/** Every cgroup root a scenario may create directories in (for the orphan sweep). */
export function detectCgroupRoots(): string[] {
  const l = detectCgroupLayout();
  const cpu = pickCpuCgroup(readMounts(), readControllers);
  const roots = [l.memory?.root, l.pressureRoot, detectBlkioRoot(), cpu?.root, cpu?.cpuacctRoot];
  return [...new Set(roots.filter((r): r is string => r !== undefined))];
}

/** The cgroup v1 blkio hierarchy (I/O throttling on hosts whose cgroup2 mount has no io controller). */
export function detectBlkioRoot(): string | undefined {
  return readMounts().find((m) => m.fsType === 'cgroup' && m.superOptions.includes('blkio'))?.mountPoint;
}

/** Candidate parents for scenario files, in order of preference: /var/tmp is disk-backed by convention. */
export function scratchCandidates(): string[] {
  return [...new Set(['/var/tmp', tmpdir()])];
}

/** The mount that holds `path` (longest mount-point prefix). */
export function mountOf(path: string, mounts: MountEntry[]): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const m of mounts) {
    const mp = m.mountPoint;
    const inside = path === mp || path.startsWith(mp.endsWith('/') ? mp : `${mp}/`);
    if (inside && (!best || mp.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

const MEMORY_FS = new Set(['tmpfs', 'ramfs', 'devtmpfs']);

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** The whole disk behind a block device (a partition maps to its parent), from sysfs. */
export function wholeDisk(majMin: string): { dev: string; name: string } | undefined {
  const sys = `/sys/dev/block/${majMin}`;
  if (!existsSync(sys)) return undefined;
  try {
    const real = realpathSync(sys);
    const diskDir = existsSync(join(real, 'partition')) ? dirname(real) : real;
    const dev = readFileSync(join(diskDir, 'dev'), 'utf8').trim();
    return { dev, name: basename(diskDir) };
  } catch {
    return undefined;
  }
}

export function detectHostFacts(): HostFacts {
  const mounts = readMounts();
  const layout = pickCgroupLayout(mounts, readControllers);
  let scratchDir = tmpdir();
  let scratchOnDisk = false;
  let scratchDevice: HostFacts['scratchDevice'];
  for (const dir of scratchCandidates()) {
    if (!writable(dir)) continue;
    const real = realpathSync(dir);
    const m = mountOf(real, mounts);
    if (m && MEMORY_FS.has(m.fsType)) continue;
    scratchDir = real;
    scratchOnDisk = true;
    scratchDevice = m ? wholeDisk(m.majMin) : undefined;
    break;
  }
  const facts: HostFacts = {
    cpus: availableParallelism(),
    isRoot: typeof process.getuid === 'function' ? process.getuid() === 0 : false,
    scratchDir,
    scratchOnDisk,
    psi: existsSync('/proc/pressure/memory'),
  };
  if (layout.memory) facts.memoryCgroup = layout.memory;
  const cpu = pickCpuCgroup(mounts, readControllers);
  if (cpu) facts.cpuCgroup = cpu;
  if (layout.pressureRoot) facts.pressureCgroupRoot = layout.pressureRoot;
  if (scratchDevice) facts.scratchDevice = scratchDevice;
  return facts;
}
