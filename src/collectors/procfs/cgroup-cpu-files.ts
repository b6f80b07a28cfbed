// Readers for CPU bandwidth control (CFS quota) files, cgroup v1 and v2, and where their hierarchies live.
//
// v2: cpu.max "<quota> <period>" ("max <period>" = no quota) and cpu.stat (usage_usec, nr_periods,
//     nr_throttled, throttled_usec; the nr_* lines exist only where the cpu controller is enabled).
// v1: cpu.cfs_quota_us (-1 = no quota) and cpu.cfs_period_us; the cpu controller's cpu.stat (nr_periods,
//     nr_throttled, throttled_time in ns) has no usage: that is cpuacct.usage (ns) in the cpuacct hierarchy,
//     co-mounted with cpu on most distributions ("cpu,cpuacct") and a separate mount on others (this VM).
// Reads are synchronous pseudo-file reads (see readPseudoFile); callers batch them with mapSliced.

import { DEFAULT_CGROUP_BASE, MOUNTINFO_PATH, parseCgroupMounts } from './cgroup-mounts.js';
import { parseKeyValues } from './cgroup-memory-files.js';
import { readPseudoFile, readTextIfPresent } from './read-text.js';

/** A directory tree to scan for CPU-limited cgroups. */
export interface CpuHierarchy {
  version: 1 | 2;
  root: string;
  /** v1: the cpuacct hierarchy's root (the same directory when co-mounted), if one is mounted. */
  cpuacctRoot?: string;
}

export interface CpuQuota {
  quotaUs: number;
  periodUs: number;
}

/** Cumulative counters of one cgroup, in one unit whatever the version. */
export interface CpuCounters {
  periods: number;
  throttledPeriods: number;
  throttledNs: number;
  /** Undefined when unknown (v1 with no cpuacct cgroup at the same path). */
  usageNs?: number;
}

/** v2 cpu.max: the quota, or undefined for "max" (no quota) and for anything unparseable. */
export function parseCpuMax(text: string): CpuQuota | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || quota === 'max' || !/^\d+$/.test(quota)) return undefined;
  const periodUs = period !== undefined && /^\d+$/.test(period) ? Number(period) : 100_000;
  const quotaUs = Number(quota);
  return quotaUs > 0 && periodUs > 0 ? { quotaUs, periodUs } : undefined;
}

/** v1 cpu.cfs_quota_us / cpu.cfs_period_us: undefined for -1 (no quota) and for anything unparseable. */
export function parseCfsQuota(quotaText: string, periodText: string | undefined): CpuQuota | undefined {
  const q = quotaText.trim();
  if (!/^\d+$/.test(q)) return undefined; // "-1": unlimited
  const p = (periodText ?? '').trim();
  const periodUs = /^\d+$/.test(p) ? Number(p) : 100_000;
  const quotaUs = Number(q);
  return quotaUs > 0 && periodUs > 0 ? { quotaUs, periodUs } : undefined;
}

/** cpu.stat into counters: v2 times are µs, v1 throttled_time is ns (and v1 has no usage line). */
export function parseCpuStat(version: 1 | 2, text: string): CpuCounters {
  const kv = parseKeyValues(text);
  const counters: CpuCounters = {
    periods: kv.get('nr_periods') ?? 0,
    throttledPeriods: kv.get('nr_throttled') ?? 0,
    throttledNs: version === 2 ? (kv.get('throttled_usec') ?? 0) * 1000 : (kv.get('throttled_time') ?? 0),
  };
  const usageUs = kv.get('usage_usec');
  if (version === 2 && usageUs !== undefined) counters.usageNs = usageUs * 1000;
  return counters;
}

/** The quota set on this cgroup itself; undefined when it has none or vanished. */
export function readOwnQuota(h: CpuHierarchy, dir: string): CpuQuota | undefined {
  if (h.version === 2) {
    const text = readPseudoFile(`${dir}/cpu.max`);
    return text === undefined ? undefined : parseCpuMax(text);
  }
  const quota = readPseudoFile(`${dir}/cpu.cfs_quota_us`);
  return quota === undefined ? undefined : parseCfsQuota(quota, readPseudoFile(`${dir}/cpu.cfs_period_us`));
}

/**
 * The cumulative counters of the cgroup at `rel` (relative to the hierarchy root, "/" for the root);
 * undefined when its cpu.stat is gone (the cgroup vanished).
 */
export function readCpuCounters(h: CpuHierarchy, rel: string): CpuCounters | undefined {
  const sub = rel === '/' ? '' : rel;
  const stat = readPseudoFile(`${h.root}${sub}/cpu.stat`);
  if (stat === undefined) return undefined;
  const counters = parseCpuStat(h.version, stat);
  if (h.version === 1 && h.cpuacctRoot !== undefined) {
    const usage = readPseudoFile(`${h.cpuacctRoot}${sub}/cpuacct.usage`)?.trim();
    if (usage !== undefined && /^\d+$/.test(usage)) counters.usageNs = Number(usage);
  }
  return counters;
}

async function controllersAt(dir: string): Promise<string[] | undefined> {
  return (await readTextIfPresent(`${dir}/cgroup.controllers`))?.split(/\s+/);
}

/** v2 if `dir` is a cgroup2 directory offering the cpu controller, v1 if a cpu-v1 directory. */
async function cpuHierarchyAt(dir: string): Promise<CpuHierarchy | undefined> {
  const controllers = await controllersAt(dir);
  if (controllers !== undefined) return controllers.includes('cpu') ? { version: 2, root: dir } : undefined;
  if ((await readTextIfPresent(`${dir}/cpu.cfs_quota_us`)) === undefined) return undefined;
  const h: CpuHierarchy = { version: 1, root: dir };
  if ((await readTextIfPresent(`${dir}/cpuacct.usage`)) !== undefined) h.cpuacctRoot = dir;
  return h;
}

/**
 * Where CPU-limited cgroups live. With `base` (option or KERNO_CGROUP_ROOT) the tree is probed: `base`
 * itself, else `base/unified` (hybrid v2) and the v1 cpu mount (`base/cpu,cpuacct`, `base/cpu`) with its
 * cpuacct at `base/cpuacct` when not co-mounted. Without `base`, /proc/self/mountinfo names the mounts:
 * every cgroup2 mount whose cgroup.controllers lists cpu and the v1 mount carrying the cpu controller. Both
 * can be present on a hybrid host, and both are scanned (v2 first).
 */
export async function findCpuHierarchies(base?: string): Promise<CpuHierarchy[]> {
  if (base !== undefined) return probeBase(base);
  const mountinfo = await readTextIfPresent(MOUNTINFO_PATH);
  if (mountinfo === undefined) return probeBase(DEFAULT_CGROUP_BASE);
  const mounts = parseCgroupMounts(mountinfo);
  const seen = new Set<string>();
  const found: CpuHierarchy[] = [];
  for (const m of mounts) {
    if (seen.has(m.device)) continue;
    if (m.version === 1 && !m.options.includes('cpu')) continue;
    const h = await cpuHierarchyAt(m.mountPoint);
    if (h === undefined || h.version !== m.version) continue;
    seen.add(m.device);
    if (h.version === 1 && h.cpuacctRoot === undefined) {
      const acct = mounts.find((a) => a.version === 1 && a.options.includes('cpuacct'));
      if (acct !== undefined) h.cpuacctRoot = acct.mountPoint;
    }
    found.push(h);
  }
  return found.sort((a, b) => b.version - a.version);
}

async function probeBase(base: string): Promise<CpuHierarchy[]> {
  const self = await cpuHierarchyAt(base);
  if (self) return [self];
  const found: CpuHierarchy[] = [];
  const v2 = await cpuHierarchyAt(`${base}/unified`);
  if (v2) found.push(v2);
  for (const dir of [`${base}/cpu,cpuacct`, `${base}/cpu`]) {
    const v1 = await cpuHierarchyAt(dir);
    if (v1 === undefined) continue;
    if (
      v1.cpuacctRoot === undefined &&
      (await readTextIfPresent(`${base}/cpuacct/cpuacct.usage`)) !== undefined
    )
      v1.cpuacctRoot = `${base}/cpuacct`;
    found.push(v1);
    break; // cpu is usually a symlink to cpu,cpuacct: one hierarchy, not two
  }
  return found.sort((a, b) => b.version - a.version);
}
