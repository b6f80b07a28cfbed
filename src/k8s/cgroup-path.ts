// What a cgroup path says about its owner, without asking anyone: the Kubernetes pod UID and QoS class
// (cgroupfs and systemd cgroup drivers), the container id (docker, containerd, CRI-O, podman) and the
// systemd unit. Names (pod name, namespace, container name) need an outside source: the kubelet's pod list
// (kubelet.ts, pod-names.ts), joined in by enrich.ts.

export type QosClass = 'guaranteed' | 'burstable' | 'besteffort';
export type ContainerRuntime = 'docker' | 'containerd' | 'crio' | 'podman';

export interface CgroupMeta {
  /** Pod UID in its canonical dashed form (the systemd driver escapes '-' as '_'; undone here). */
  podUid?: string;
  qos?: QosClass;
  /** 64-hex container id. */
  containerId?: string;
  /** Known only when the path names it (docker-/cri-containerd-/crio-/libpod- scopes, /docker/<id>). */
  runtime?: ContainerRuntime;
  /** Deepest `.service` component, else the deepest `.scope` that is not a container scope. */
  unit?: string;
  /** `.slice` components from the top, joined with '/' (e.g. "system.slice" or "kubepods.slice/…"). */
  slice?: string;
}

/**
 * A UID-like string: at least 32 characters drawn from hex digits, '-' and '_' (the kubelet's pod UIDs are
 * RFC 4122 UUIDs; static pods use a 32-hex hash).
 */
export function isUidLike(s: string): boolean {
  return /^[0-9a-fA-F_-]{32,}$/.test(s);
}

const POD_CGROUPFS = /^pod([0-9a-fA-F_-]{32,})$/; // /kubepods/burstable/pod<uid>
// kubepods-burstable-pod<uid>.slice, also with a kubelet cgroup-root prefix (kubelet-kubepods-…, as in kind)
const POD_SYSTEMD = /kubepods(?:-(burstable|besteffort))?-pod([0-9a-fA-F_-]{32,})\.slice$/;
const QOS_SYSTEMD = /kubepods-(burstable|besteffort)\.slice$/;
const CONTAINER_PREFIXED = /^(docker|cri-containerd|crio|libpod)-([0-9a-f]{64})(?:\.scope)?$/;
const CONTAINER_BARE = /^[0-9a-f]{64}$/;

const RUNTIME_BY_PREFIX: Record<string, ContainerRuntime> = {
  docker: 'docker',
  'cri-containerd': 'containerd',
  crio: 'crio',
  libpod: 'podman',
};

export function parseCgroupPath(path: string): CgroupMeta {
  const parts = path.split('/').filter((p) => p !== '');
  const meta: CgroupMeta = {};
  let inKubepods = false;
  let containerAt = -1;
  const slices: string[] = [];

  parts.forEach((part, i) => {
    if (part === 'kubepods' || part.startsWith('kubepods.') || part.startsWith('kubepods-'))
      inKubepods = true;
    if (part.endsWith('.slice')) slices.push(part);

    let m = POD_CGROUPFS.exec(part);
    if (m) meta.podUid = canonicalUid(m[1]!);
    m = POD_SYSTEMD.exec(part);
    if (m) {
      meta.podUid = canonicalUid(m[2]!);
      if (m[1]) meta.qos = m[1] as QosClass;
    }
    if (inKubepods && (part === 'burstable' || part === 'besteffort')) meta.qos = part;
    m = QOS_SYSTEMD.exec(part);
    if (m) meta.qos = m[1] as QosClass;

    // The deepest container-looking component wins: a container may nest its own sub-cgroups below it.
    m = CONTAINER_PREFIXED.exec(part);
    if (m) {
      meta.containerId = m[2]!;
      meta.runtime = RUNTIME_BY_PREFIX[m[1]!];
      containerAt = i;
    } else if (CONTAINER_BARE.test(part)) {
      meta.containerId = part;
      delete meta.runtime;
      if (parts[i - 1] === 'docker') meta.runtime = 'docker';
      containerAt = i;
    }
  });

  if (meta.podUid && !meta.qos) meta.qos = 'guaranteed';
  if (slices.length > 0) meta.slice = slices.join('/');

  const unitAt = lastIndexWhere(parts, (p) => p.endsWith('.service'));
  const scopeAt = lastIndexWhere(parts, (p, i) => p.endsWith('.scope') && i !== containerAt);
  const at = unitAt >= 0 ? unitAt : scopeAt;
  if (at >= 0) meta.unit = parts[at]!;
  return meta;
}

function canonicalUid(raw: string): string {
  return raw.replace(/_/g, '-').toLowerCase();
}

function lastIndexWhere(parts: string[], pred: (p: string, i: number) => boolean): number {
  for (let i = parts.length - 1; i >= 0; i--) if (pred(parts[i]!, i)) return i;
  return -1;
}

/**
 * Records on a cgroup entry what its path itself says (pod UID, container id, systemd unit); names are
 * joined in later from the kubelet's list (enrich.ts), so a snapshot never waits on the network.
 */
export function notePathIdentity(e: {
  cgroupPath: string;
  podUid?: string;
  containerId?: string;
  unit?: string;
}): void {
  const id = parseCgroupPath(e.cgroupPath);
  if (id.podUid !== undefined) e.podUid = id.podUid;
  if (id.containerId !== undefined) e.containerId = id.containerId;
  if (id.unit !== undefined) e.unit = id.unit;
}
