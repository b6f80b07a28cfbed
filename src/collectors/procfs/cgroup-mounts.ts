import { access } from 'node:fs/promises';
import { readTextIfPresent } from './read-text.js';

export const DEFAULT_CGROUP_BASE = '/sys/fs/cgroup';
export const MOUNTINFO_PATH = '/proc/self/mountinfo';

export interface CgroupMount {
  version: 1 | 2;
  mountPoint: string;
  /** "maj:min" of the superblock: bind mounts of one hierarchy share it. */
  device: string;
  /** v1: controllers from the super options (memory, cpu, name=systemd …); v2: empty (see cgroup.controllers). */
  options: string[];
}

/** A directory tree to scan for memory cgroups. */
export interface MemoryHierarchy {
  version: 1 | 2;
  root: string;
}

/**
 * cgroup mounts from /proc/self/mountinfo. Line format (proc(5)):
 *   36 35 98:0 /root /mnt/point rw,relatime shared:1 - cgroup cgroup rw,memory
 * Optional fields end at " - "; after it come fstype, source and super options. Mount points escape space,
 * tab, newline and backslash as octal (\040).
 */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    if ((fstype !== 'cgroup' && fstype !== 'cgroup2') || pre.length < 5) continue;
    out.push({
      version: fstype === 'cgroup2' ? 2 : 1,
      mountPoint: unescapeOctal(pre[4]!),
      device: pre[2]!,
      options: fstype === 'cgroup' ? superOpts.split(',').filter((o) => o !== 'rw' && o !== 'ro') : [],
    });
  }
  return out;
}

function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false; // absence is the answer we are asking for
  }
}

/** v2 if `dir` is a cgroup2 directory offering the memory controller, v1 if a memory-v1 directory. */
export async function memoryHierarchyAt(dir: string): Promise<MemoryHierarchy | undefined> {
  const controllers = await readTextIfPresent(`${dir}/cgroup.controllers`);
  if (controllers !== undefined) {
    return controllers.split(/\s+/).includes('memory') ? { version: 2, root: dir } : undefined;
  }
  if (await exists(`${dir}/memory.usage_in_bytes`)) return { version: 1, root: dir };
  return undefined;
}

/**
 * Where memory cgroups live. With `base` (option or KERNO_CGROUP_ROOT, e.g. a host's /sys/fs/cgroup
 * mounted at /host/sys/fs/cgroup) the tree is probed: `base` itself if it is a memory hierarchy (pure v2,
 * or a v1 memory subtree), otherwise `base/unified` (hybrid v2) and `base/memory` (v1). Without `base`,
 * /proc/self/mountinfo names the mounts: every v1 mount carrying the memory controller and every cgroup2
 * mount whose cgroup.controllers lists memory, one per hierarchy. Both versions can be present at once on a
 * hybrid host, and both are scanned (v2 first).
 */
export async function findMemoryHierarchies(base?: string): Promise<MemoryHierarchy[]> {
  if (base !== undefined) return probeBase(base);
  const mountinfo = await readTextIfPresent(MOUNTINFO_PATH);
  if (mountinfo === undefined) return probeBase(DEFAULT_CGROUP_BASE);
  const seen = new Set<string>();
  const found: MemoryHierarchy[] = [];
  for (const m of parseCgroupMounts(mountinfo)) {
    if (seen.has(m.device)) continue;
    if (m.version === 1 && !m.options.includes('memory')) continue;
    const h = await memoryHierarchyAt(m.mountPoint);
    if (h && h.version === m.version) {
      seen.add(m.device);
      found.push(h);
    }
  }
  return found.sort((a, b) => b.version - a.version);
}

async function probeBase(base: string): Promise<MemoryHierarchy[]> {
  const self = await memoryHierarchyAt(base);
  if (self) return [self];
  const found: MemoryHierarchy[] = [];
  for (const dir of [`${base}/unified`, `${base}/memory`]) {
    const h = await memoryHierarchyAt(dir);
    if (h) found.push(h);
  }
  return found.sort((a, b) => b.version - a.version);
}

/**
 * The cgroup2 (default hierarchy) mount point: where ids from bpf_get_current_cgroup_id() live. Falls back
 * to /sys/fs/cgroup when mountinfo cannot be read.
 */
export async function findUnifiedMount(): Promise<string | undefined> {
  const mountinfo = await readTextIfPresent(MOUNTINFO_PATH);
  if (mountinfo === undefined) return DEFAULT_CGROUP_BASE;
  return parseCgroupMounts(mountinfo).find((m) => m.version === 2)?.mountPoint;
}

/** The mount point of the v1 hierarchy carrying `controller` (e.g. "memory"), if one is mounted. */
export async function findV1Mount(controller: string): Promise<string | undefined> {
  const mountinfo = await readTextIfPresent(MOUNTINFO_PATH);
  if (mountinfo === undefined) return undefined;
  return parseCgroupMounts(mountinfo).find((m) => m.version === 1 && m.options.includes(controller))
    ?.mountPoint;
}
