// The kubelet's /pods answer (a core/v1 PodList) reduced to the two joins kerno needs: pod UID → namespace
// and name, container id → container name. Pure; reads only the fields it uses and ignores the rest, so a
// newer kubelet adding fields changes nothing.

/** Who a pod is. */
export interface PodName {
  namespace: string;
  name: string;
}

/** A container as the cgroup path names it (its id) resolved to the pod spec's name. */
export interface ContainerName {
  podUid: string;
  name: string;
}

export interface PodIndex {
  /** Canonical (dashed, lower-case) pod UID → pod. */
  pods: Map<string, PodName>;
  /** 64-hex container id (runtime prefix stripped) → container. */
  containers: Map<string, ContainerName>;
}

export class PodListError extends Error {
  constructor(message: string) {
    super(`kubelet /pods: ${message}`);
    this.name = 'PodListError';
  }
}

const STATUS_LISTS = ['initContainerStatuses', 'containerStatuses', 'ephemeralContainerStatuses'] as const;

/**
 * Parses a PodList body. Throws PodListError when it is not JSON or not a PodList (no `items` array); single
 * malformed items are skipped, since one odd pod must not cost the names of all the others. At most
 * `maxPods` pods are kept (the rest are dropped: the cache is bounded).
 */
export function parsePodList(body: string, maxPods = Number.POSITIVE_INFINITY): PodIndex {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (err) {
    throw new PodListError(
      `not JSON (${(err as Error).message}); first bytes: ${JSON.stringify(body.slice(0, 40))}`,
    );
  }
  if (!isObject(doc) || !Array.isArray(doc.items)) {
    const kind = isObject(doc) && typeof doc.kind === 'string' ? ` (kind ${doc.kind})` : '';
    throw new PodListError(`not a PodList: no "items" array${kind}`);
  }
  const index: PodIndex = { pods: new Map(), containers: new Map() };
  for (const item of doc.items) {
    if (index.pods.size >= maxPods) break;
    if (!isObject(item) || !isObject(item.metadata)) continue;
    const { uid, namespace, name } = item.metadata;
    if (typeof uid !== 'string' || typeof name !== 'string' || uid === '' || name === '') continue;
    const podUid = uid.toLowerCase();
    index.pods.set(podUid, { namespace: typeof namespace === 'string' ? namespace : '', name });
    const status = isObject(item.status) ? item.status : {};
    for (const list of STATUS_LISTS) {
      const statuses = status[list];
      if (!Array.isArray(statuses)) continue;
      for (const cs of statuses) {
        if (!isObject(cs) || typeof cs.name !== 'string') continue;
        const id = containerIdOf(cs.containerID);
        if (id !== undefined) index.containers.set(id, { podUid, name: cs.name });
      }
    }
  }
  return index;
}

/** "containerd://<id>", "cri-o://<id>", "docker://<id>" → "<id>"; undefined when not yet started (""). */
export function containerIdOf(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw === '') return undefined;
  const at = raw.indexOf('://');
  const id = (at >= 0 ? raw.slice(at + 3) : raw).toLowerCase();
  return id === '' ? undefined : id;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
