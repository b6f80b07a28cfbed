import type { CgroupMemoryEntry, CgroupMemorySignals } from '../../src/signals/types.js';
import { formatBytes } from '../../src/doctor/format.js';
import { sh } from './shell.js';

const MIB = 1024 * 1024;

/** "ns/pod (container api)", "ns/pod", "nginx.service", or the cgroup path: how an operator names it. */
export function cgroupLabel(
  e: Pick<CgroupMemoryEntry, 'cgroupPath' | 'pod' | 'namespace' | 'container' | 'unit'>,
): string {
  const pod = podLabel(e);
  if (pod !== undefined) return pod;
  if (e.unit !== undefined && e.unit !== '') return e.unit;
  return e.cgroupPath;
}

/** "ns/pod (container api)" when the pod is known (names from the kubelet's pod list), else undefined. */
export function podLabel(e: { pod?: string; namespace?: string; container?: string }): string | undefined {
  if (e.pod === undefined || e.pod === '') return undefined;
  const pod = e.namespace ? `${e.namespace}/${e.pod}` : e.pod;
  return e.container ? `${pod} (container ${e.container})` : pod;
}

/**
 * The root of the memory hierarchy of a given version. The collector reports one root per hierarchy it
 * scanned, comma-separated on hybrid hosts ("/sys/fs/cgroup/unified, /sys/fs/cgroup/memory"); a v1 memory
 * controller mount cannot hold a v2 cgroup and the bare v2 mount holds no v1 memory files.
 */
function hierarchyRoot(root: string | undefined, version: 1 | 2): string {
  const roots = (root ?? '')
    .split(/,\s*/)
    .map((r) => r.trim().replace(/\/+$/, ''))
    .filter((r) => r !== '');
  const isV1 = (r: string): boolean => /\/memory$/.test(r);
  const pick = version === 1 ? roots.find(isV1) : roots.find((r) => !isV1(r));
  if (pick !== undefined) return pick;
  if (roots.length === 1 && !roots[0]!.startsWith('/sys/fs/cgroup')) return roots[0]!; // KERNO_CGROUP_ROOT tree
  return version === 1 ? '/sys/fs/cgroup/memory' : '/sys/fs/cgroup';
}

/**
 * The cgroupfs directory of a cgroup. Collectors report paths relative to their hierarchy root
 * ("/kubepods/…", as in /proc/<pid>/cgroup), some absolute; both become a directory a shell command can read.
 */
export function cgroupDir(root: string | undefined, version: 1 | 2, path: string): string {
  if (path.startsWith('/sys/')) return path;
  const base = hierarchyRoot(root, version);
  if (path === base || path.startsWith(`${base}/`)) return path;
  const rel = path === '/' ? '' : path.startsWith('/') ? path : `/${path}`;
  return `${base}${rel}`;
}

/** Commands to inspect a cgroup's memory accounting, v1 or v2 file names. */
export function cgroupInspectCommands(dir: string, version: 1 | 2): string[] {
  const d = sh(dir);
  if (version === 1) {
    return [
      `cat ${d}/memory.usage_in_bytes ${d}/memory.limit_in_bytes ${d}/memory.failcnt ${d}/memory.oom_control`,
      `grep -E '^total_(rss|cache|inactive_file|active_file|swap) ' ${d}/memory.stat   # cache is reclaimable, rss is not`,
    ];
  }
  return [
    `cat ${d}/memory.current ${d}/memory.max ${d}/memory.high ${d}/memory.events`,
    `grep -E '^(anon|file|inactive_file|active_file|shmem) ' ${d}/memory.stat   # file/inactive_file are reclaimable`,
  ];
}

/** How to raise the limit for this kind of workload (Kubernetes, systemd, raw cgroup). */
export function raiseLimitCommands(e: CgroupMemoryEntry, dir: string, file: 'max' | 'high'): string[] {
  const base = file === 'high' ? (e.highBytes > 0 ? e.highBytes : e.limitBytes) : e.limitBytes;
  const suggested = Math.ceil((base * 1.5) / MIB) * MIB;
  const out: string[] = [];
  if (e.pod !== undefined && e.pod !== '') {
    const ns = e.namespace ? `-n ${sh(e.namespace)} ` : '';
    out.push(
      `kubectl ${ns}describe pod ${sh(e.pod)}   # then raise resources.limits.memory in its workload spec`,
    );
  }
  if (e.unit !== undefined && e.unit !== '') {
    const prop = file === 'high' ? 'MemoryHigh' : e.version === 1 ? 'MemoryLimit' : 'MemoryMax';
    out.push(
      `systemctl set-property ${sh(e.unit)} ${prop}=${suggested}   # +50% (${formatBytes(suggested)})`,
    );
  }
  const f = e.version === 1 ? 'memory.limit_in_bytes' : file === 'high' ? 'memory.high' : 'memory.max';
  out.push(
    `echo ${suggested} > ${sh(`${dir}/${f}`)}   # +50% (${formatBytes(suggested)}), until the next deploy`,
  );
  return out;
}

/** The cgroup-memory entry for a path (OOM events carry a path; the entry knows version and limits). */
export function findCgroup(cm: CgroupMemorySignals | undefined, path: string): CgroupMemoryEntry | undefined {
  if (cm === undefined || path === '' || path === '/') return undefined;
  // One side may be absolute (/sys/fs/cgroup/memory/x) and the other relative (/x): match on a "/" boundary.
  const suffixOf = (long: string, short: string): boolean =>
    short.length > 1 && long.endsWith(short) && (short.startsWith('/') || long.endsWith(`/${short}`));
  return cm.containers.find(
    (c) => c.cgroupPath === path || suffixOf(c.cgroupPath, path) || suffixOf(path, c.cgroupPath),
  );
}
