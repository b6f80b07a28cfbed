// Joins pod and container names into a Signals snapshot, between the collectors and the rules: every place a
// snapshot names a cgroup (cgroup memory entries, OOM victims, network namespaces) gets the namespace, pod
// and container that own it, where the pod list knows them. Pure: the pod list is handed in, nothing here
// waits on the kubelet, and the rules keep reading plain Signals.
import type { CgroupMemoryEntry, OomEvent, Signals, TcpNamespace } from '../signals/types.js';
import { parseCgroupPath } from './cgroup-path.js';
import type { PodIndex } from './pod-list.js';

/** The names a pod list gives one cgroup. */
export interface WorkloadNames {
  namespace?: string;
  pod?: string;
  container?: string;
}

/** Names for a pod UID and/or container id; the container's pod wins when the path named no pod UID. */
export function namesFor(index: PodIndex, podUid?: string, containerId?: string): WorkloadNames {
  const c = containerId !== undefined ? index.containers.get(containerId.toLowerCase()) : undefined;
  const uid = podUid ?? c?.podUid;
  const p = uid !== undefined ? index.pods.get(uid) : undefined;
  const out: WorkloadNames = {};
  if (p !== undefined) {
    out.pod = p.name;
    if (p.namespace !== '') out.namespace = p.namespace;
  }
  // A container id recorded under another pod than the path's is a stale or reused id: not this container.
  if (c !== undefined && (podUid === undefined || c.podUid === podUid)) out.container = c.name;
  return out;
}

function namesForPath(index: PodIndex, cgroupPath: string): WorkloadNames {
  if (cgroupPath === '' || cgroupPath === '/') return {};
  const meta = parseCgroupPath(cgroupPath);
  return namesFor(index, meta.podUid, meta.containerId);
}

function isEmpty(n: WorkloadNames): boolean {
  return n.pod === undefined && n.container === undefined;
}

/** A copy of `signals` with names joined in; the same object when the pod list names nothing in it. */
export function enrichSignals(signals: Signals, index: PodIndex): Signals {
  if (index.pods.size === 0 && index.containers.size === 0) return signals;
  const out: Signals = { ...signals };
  if (signals.cgroupMemory !== undefined) {
    out.cgroupMemory = {
      ...signals.cgroupMemory,
      containers: signals.cgroupMemory.containers.map((e) => named(e, namesOfEntry(index, e))),
    };
  }
  if (signals.cgroupCpu !== undefined) {
    out.cgroupCpu = {
      ...signals.cgroupCpu,
      cgroups: signals.cgroupCpu.cgroups.map((e) => named(e, namesOfEntry(index, e))),
    };
  }
  if (signals.oom !== undefined) {
    out.oom = {
      ...signals.oom,
      events: signals.oom.events.map((e: OomEvent) => named(e, namesForPath(index, e.cgroupPath))),
    };
  }
  if (signals.tcp !== undefined) {
    out.tcp = {
      ...signals.tcp,
      namespaces: signals.tcp.namespaces.map((ns: TcpNamespace) =>
        named(ns, namesFor(index, ns.podUid, ns.containerId)),
      ),
    };
  }
  if (signals.dns !== undefined) {
    out.dns = {
      ...signals.dns,
      clients: signals.dns.clients.map((c) => named(c, namesFor(index, c.podUid, c.containerId))),
    };
  }
  return out;
}

function namesOfEntry(
  index: PodIndex,
  e: Pick<CgroupMemoryEntry, 'podUid' | 'containerId' | 'cgroupPath'>,
): WorkloadNames {
  if (e.podUid !== undefined || e.containerId !== undefined) return namesFor(index, e.podUid, e.containerId);
  return namesForPath(index, e.cgroupPath);
}

function named<T extends WorkloadNames>(x: T, names: WorkloadNames): T {
  return isEmpty(names) ? x : { ...x, ...names };
}

/**
 * Fills `namespace`, `pod` and `container` on metric series that carry a `cgroup` label (a label set whose
 * names the pod list knows). The names follow from the cgroup, so they add no series: the exporter's
 * per-family series cap bounds these families exactly as before. Series with no known pod keep "" there.
 */
export function nameCgroupSeries<T extends { labels: Record<string, string> }>(
  series: readonly T[],
  index: PodIndex,
): T[] {
  return series.map((s) => {
    const cgroup = s.labels.cgroup;
    if (cgroup === undefined) return s;
    const names = namesForPath(index, cgroup);
    if (isEmpty(names)) return s;
    return {
      ...s,
      labels: {
        ...s.labels,
        namespace: names.namespace ?? '',
        pod: names.pod ?? '',
        container: names.container ?? '',
      },
    };
  });
}
