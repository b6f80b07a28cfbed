// Links a recorded kernel incident to Kubernetes (`kerno start --netconsole-k8s`): the sender's IP is matched
// against the Nodes' status.addresses (InternalIP, then ExternalIP), the pods on that node are listed right
// away (after eviction they are gone), and the incident is recorded again with a `k8s` section — the store
// lists the newest record of an id, so GET /panics shows the linked one. With writes on
// (`--netconsole-k8s-writes`) every listed pod gets merge-patched annotations and a Warning Event, and the
// Node an annotation and an Event; Event names are derived from the incident id and the object, so a
// redelivered incident creates nothing new (409 AlreadyExists counts as done) and re-patching the same
// annotations changes nothing.
//
// It never blocks the receiver: incidents are stored before they reach here, linking runs one at a time from
// a bounded queue (a full queue drops the link, counted, never the incident), and every API failure ends as
// a `reason` in the record and one log line.

import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import {
  describeOp,
  KubeApiError,
  type CoreEvent,
  type KubeApi,
  type KubeOp,
  type NodeAddresses,
  type PodSummary,
} from '../k8s/api.js';
import type { IncidentK8s, IncidentKind, PanicIncident } from './incident.js';
import type { NodeNameMap } from './node-names.js';
import { normalizeAddress } from './node-names.js';
import type { LogFn } from './receiver.js';
import type { IncidentStore } from './store.js';

export const ANNOTATION_PREFIX = 'kerno.dev/';
export const REPORTING_COMPONENT = 'kerno';
/** Events about a Node live in this namespace (as the kubelet's and node-problem-detector's do). */
export const NODE_EVENT_NAMESPACE = 'default';

/** Event reason per incident kind (the pod's is the same prefixed with "Node"). */
export const KIND_REASONS: Readonly<Record<IncidentKind, string>> = {
  panic: 'KernelPanic',
  oops: 'KernelOops',
  bug: 'KernelBug',
  gpf: 'KernelGeneralProtectionFault',
  soft_lockup: 'KernelSoftLockup',
  hard_lockup: 'KernelHardLockup',
  hung_task: 'KernelHungTask',
};

export type LinkCallOutcome = 'ok' | 'exists' | KubeApiError['kind'];
export type LinkIncidentOutcome = 'mapped' | 'unknown_node' | 'api_error' | 'dropped' | 'store_error';

export interface LinkStats {
  /** API calls by "op outcome", e.g. "list_nodes ok", "patch_pod not_found". */
  calls: Record<string, number>;
  incidents: Partial<Record<LinkIncidentOutcome, number>>;
  queued: number;
}

export interface K8sLinkerOptions {
  api: KubeApi;
  /** Where the linked record is appended; without one the result is only emitted ('linked'). */
  store?: IncidentStore;
  nodeNames?: NodeNameMap;
  /** Annotate pods and the Node, create Events. Off: read only. */
  writes?: boolean;
  /** Pods recorded (and written to) per incident; the rest are counted in podsOmitted. */
  maxPods?: number;
  /** Node list age before it is listed again; a miss lists again sooner (after minRefreshMs). */
  nodeTtlMs?: number;
  minRefreshMs?: number;
  /** Incidents waiting to be linked. */
  queueSize?: number;
  now?: () => number;
  log?: LogFn;
}

export interface K8sLinkerEvents {
  linked: [PanicIncident];
}

export class IncidentK8sLinker extends EventEmitter<K8sLinkerEvents> {
  private readonly nodes: NodeCache;
  private readonly queue: PanicIncident[] = [];
  private readonly queueSize: number;
  private readonly maxPods: number;
  private readonly now: () => number;
  private readonly log: LogFn;
  private readonly counters: LinkStats = { calls: {}, incidents: {}, queued: 0 };
  private running: Promise<void> | undefined;
  private readonly host = hostname();

  constructor(private readonly opts: K8sLinkerOptions) {
    super();
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? (() => undefined);
    this.maxPods = opts.maxPods ?? 256;
    this.queueSize = opts.queueSize ?? 256;
    this.nodes = new NodeCache(
      () => this.counted('list_nodes', { verb: 'list', resource: 'nodes' }, () => opts.api.listNodes()),
      opts.nodeTtlMs ?? 60_000,
      opts.minRefreshMs ?? 10_000,
      this.now,
    );
  }

  stats(): LinkStats {
    return {
      calls: { ...this.counters.calls },
      incidents: { ...this.counters.incidents },
      queued: this.queue.length,
    };
  }

  /** Queue an incident for linking; returns at once. */
  enqueue(incident: PanicIncident): void {
    if (incident.k8s) return;
    if (this.queue.length >= this.queueSize) {
      this.bump('dropped');
      this.log('error', 'netconsole k8s: link queue full, incident recorded without its Kubernetes link', {
        id: incident.id,
        queueSize: this.queueSize,
      });
      return;
    }
    this.queue.push(incident);
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  /** Resolves when the queue is empty (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * Shutdown: the link under way finishes (its calls are bounded), the queued ones are given up — they are
   * recorded already, without a link — so a dead API server cannot hold the pod past its grace period.
   */
  async stop(): Promise<void> {
    const left = this.queue.splice(0);
    if (left.length > 0) {
      this.counters.incidents.dropped = (this.counters.incidents.dropped ?? 0) + left.length;
      this.log('warn', 'netconsole k8s: shutting down; incidents left without their Kubernetes link', {
        ids: left.map((i) => i.id),
      });
    }
    await this.idle();
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      let linked: PanicIncident;
      try {
        linked = await this.link(next);
      } catch (err) {
        // A bug here must not stop the queue: the incident is already recorded.
        this.log('error', 'netconsole k8s: linking failed', { id: next.id, error: (err as Error).message });
        continue;
      }
      if (this.opts.store) {
        try {
          await this.opts.store.append(linked);
        } catch (err) {
          this.bump('store_error');
          this.log('error', 'netconsole k8s: could not record the linked incident', {
            id: linked.id,
            error: (err as Error).message,
          });
          continue;
        }
      }
      this.emit('linked', linked);
    }
  }

  /** The incident with its `k8s` section; performs the writes when enabled. Never rejects on API errors. */
  async link(incident: PanicIncident): Promise<PanicIncident> {
    const k8s: IncidentK8s = { node: null, at: new Date(this.now()).toISOString() };
    const ip = senderAddress(incident.sender);
    let node: { name: string; type: string } | undefined;
    try {
      node = ip === undefined ? undefined : await this.nodes.resolve(ip);
    } catch (err) {
      k8s.reason = `Node list failed: ${(err as Error).message}`;
      this.bump('api_error');
      this.logApiError(err, incident.id);
      return { ...incident, k8s };
    }
    if (!node) {
      k8s.reason = `no Node has InternalIP or ExternalIP ${ip ?? incident.sender}`;
      this.bump('unknown_node');
      this.log('warn', 'netconsole k8s: incident from an address no Node has', { id: incident.id, ip });
      return { ...incident, k8s };
    }
    k8s.node = node.name;
    k8s.matchedBy = node.type;
    const mapped = ip === undefined ? undefined : this.opts.nodeNames?.lookup(ip);
    if (mapped !== undefined && mapped !== node.name) {
      // The API is the authority on which Node has the address now; the static map may be stale.
      k8s.nodeMapName = mapped;
      this.log('warn', 'netconsole k8s: the node map and the API disagree; using the API', {
        id: incident.id,
        ip,
        nodeMap: mapped,
        api: node.name,
      });
    }
    this.bump('mapped');
    let pods: PodSummary[];
    try {
      const r = await this.counted(
        'list_pods',
        { verb: 'list', resource: 'pods', target: `(spec.nodeName=${node.name})` },
        () => this.opts.api.listPodsOnNode(node.name, this.maxPods),
      );
      pods = r.pods;
      k8s.pods = pods;
      if (r.total > pods.length) k8s.podsOmitted = r.total - pods.length;
    } catch (err) {
      k8s.reason = `pod list failed: ${(err as Error).message}`;
      this.logApiError(err, incident.id);
      pods = [];
    }
    if (this.opts.writes) k8s.writes = await this.write(incident, node.name, pods);
    return { ...incident, k8s };
  }

  private async write(
    incident: PanicIncident,
    node: string,
    pods: readonly PodSummary[],
  ): Promise<NonNullable<IncidentK8s['writes']>> {
    const w = { podsAnnotated: 0, podsGone: 0, eventsCreated: 0, eventsExisting: 0, nodeAnnotated: false };
    const errors: string[] = [];
    // After a failure that will repeat (RBAC, API down) the remaining calls of that kind are not tried.
    const blocked = new Set<string>();
    const attempt = async <T>(key: string, op: KubeOp, fn: () => Promise<T>): Promise<T | undefined> => {
      if (blocked.has(key)) return undefined;
      try {
        return await this.counted(key, op, fn);
      } catch (err) {
        if (err instanceof KubeApiError && err.kind === 'not_found') throw err;
        blocked.add(key);
        errors.push((err as Error).message);
        this.logApiError(err, incident.id);
        return undefined;
      }
    };
    const nodeAnn = nodeAnnotations(incident);
    w.nodeAnnotated =
      (await attempt('patch_node', { verb: 'patch', resource: 'nodes', target: node }, () =>
        this.opts.api.patchNodeAnnotations(node, nodeAnn).then(() => true),
      ).catch(() => undefined)) === true;
    const ev = async (e: CoreEvent): Promise<void> => {
      const r = await attempt(
        'create_event',
        { verb: 'create', resource: 'events', target: `${e.metadata.namespace}/${e.metadata.name}` },
        () => this.opts.api.createEvent(e),
      ).catch(() => undefined);
      if (r === 'created') w.eventsCreated++;
      else if (r === 'exists') w.eventsExisting++;
    };
    await ev(nodeEvent(incident, node, this.now(), this.host));
    const podAnn = podAnnotations(incident, node);
    for (const pod of pods) {
      let patched: boolean;
      try {
        patched =
          (await attempt(
            'patch_pod',
            { verb: 'patch', resource: 'pods', target: `${pod.namespace}/${pod.name}` },
            () => this.opts.api.patchPodAnnotations(pod.namespace, pod.name, podAnn).then(() => true),
          )) === true;
      } catch {
        // 404: deleted since the list (evicted with its node); no Event for a pod that is gone.
        w.podsGone++;
        continue;
      }
      if (patched) w.podsAnnotated++;
      await ev(podEvent(incident, node, pod, this.now(), this.host));
    }
    return errors.length > 0 ? { ...w, errors: [...new Set(errors)].slice(0, 5) } : w;
  }

  private async counted<T>(key: string, _op: KubeOp, fn: () => Promise<T>): Promise<T> {
    try {
      const r = await fn();
      this.count(key, r === 'exists' ? 'exists' : 'ok');
      return r;
    } catch (err) {
      this.count(key, err instanceof KubeApiError ? err.kind : 'bad_response');
      throw err;
    }
  }

  private count(key: string, outcome: LinkCallOutcome): void {
    const k = `${key} ${outcome}`;
    this.counters.calls[k] = (this.counters.calls[k] ?? 0) + 1;
  }

  private bump(outcome: LinkIncidentOutcome): void {
    this.counters.incidents[outcome] = (this.counters.incidents[outcome] ?? 0) + 1;
  }

  private logApiError(err: unknown, id: string): void {
    const e = err as KubeApiError;
    // RBAC and credentials are configuration mistakes: error level, and the message names the verb and
    // resource the ClusterRole lacks.
    const level = e.kind === 'forbidden' || e.kind === 'unauthorized' ? 'error' : 'warn';
    this.log(level, `netconsole k8s: ${e.message}`, { id, ...(e.op ? { op: describeOp(e.op) } : {}) });
  }
}

/** The Node list, kept for a TTL; an unknown address lists again, at most once per minRefreshMs. */
export class NodeCache {
  private nodes: NodeAddresses[] | undefined;
  private listedAt = -Infinity;
  private inFlight: Promise<NodeAddresses[]> | undefined;

  constructor(
    private readonly list: () => Promise<NodeAddresses[]>,
    private readonly ttlMs: number,
    private readonly minRefreshMs: number,
    private readonly now: () => number,
  ) {}

  async resolve(ip: string): Promise<{ name: string; type: string } | undefined> {
    const age = this.now() - this.listedAt;
    if (!this.nodes || age >= this.ttlMs) await this.refresh();
    const hit = matchNode(this.nodes ?? [], ip);
    if (hit || this.now() - this.listedAt < this.minRefreshMs) return hit;
    // A node that joined since the last list: list again.
    await this.refresh();
    return matchNode(this.nodes ?? [], ip);
  }

  private async refresh(): Promise<void> {
    this.inFlight ??= this.list().finally(() => (this.inFlight = undefined));
    this.nodes = await this.inFlight;
    this.listedAt = this.now();
  }
}

/** InternalIP first: it is what a node's kernel sends netconsole from; ExternalIP as the fallback. */
export function matchNode(
  nodes: readonly NodeAddresses[],
  ip: string,
): { name: string; type: string } | undefined {
  const want = normalizeAddress(ip);
  for (const type of ['InternalIP', 'ExternalIP'])
    for (const n of nodes)
      if (n.addresses.some((a) => a.type === type && normalizeAddress(a.address) === want))
        return { name: n.name, type };
  return undefined;
}

/** "10.0.0.5:6665" → 10.0.0.5; "[fd00::1]:6665" → fd00::1. */
export function senderAddress(sender: string): string | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(sender);
  return m ? normalizeAddress(m[1] as string) : undefined;
}

/**
 * One line for annotations and Event messages: "node n1 kernel panic: BUG: …". No receive time: another
 * receiver (or a restart) records the same incident at another time, and the annotation must not change.
 */
export function incidentSummary(incident: PanicIncident, node: string, max = 1024): string {
  const text = `node ${node} kernel ${incident.kind.replace('_', ' ')}: ${incident.reason}`;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function podAnnotations(incident: PanicIncident, node: string): Record<string, string> {
  return {
    [`${ANNOTATION_PREFIX}node-kernel-incident`]: incident.id,
    [`${ANNOTATION_PREFIX}node-kernel-incident-kind`]: incident.kind,
    [`${ANNOTATION_PREFIX}node-kernel-incident-summary`]: incidentSummary(incident, node),
  };
}

export function nodeAnnotations(incident: PanicIncident): Record<string, string> {
  const reason = incident.reason.length > 1024 ? `${incident.reason.slice(0, 1023)}…` : incident.reason;
  return {
    [`${ANNOTATION_PREFIX}last-kernel-incident`]: incident.id,
    [`${ANNOTATION_PREFIX}last-kernel-incident-kind`]: incident.kind,
    [`${ANNOTATION_PREFIX}last-kernel-incident-reason`]: reason,
  };
}

/** The reason line plus the CPU/PID/Comm and RIP lines of the context. */
function eventMessage(incident: PanicIncident, node: string): string {
  const extra = incident.context.filter((l) => /\bComm:|\bRIP:|\bCPU: \d+/.test(l)).slice(0, 2);
  const text = [incidentSummary(incident, node), ...extra.map((l) => l.trim())].join('\n');
  return `${text.slice(0, 1800)}\n(kerno incident ${incident.id})`;
}

/** Deterministic: the same incident and object always give the same Event name. */
export function eventName(incidentId: string, object: string): string {
  return `kerno.${incidentId}.${createHash('sha256').update(object).digest('hex').slice(0, 10)}`;
}

function baseEvent(
  incident: PanicIncident,
  now: number,
  host: string,
): Pick<
  CoreEvent,
  | 'type'
  | 'source'
  | 'reportingComponent'
  | 'reportingInstance'
  | 'firstTimestamp'
  | 'lastTimestamp'
  | 'count'
> {
  const t = new Date(Date.parse(incident.time) || now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    type: 'Warning',
    source: { component: REPORTING_COMPONENT, host },
    reportingComponent: REPORTING_COMPONENT,
    reportingInstance: host,
    firstTimestamp: t,
    lastTimestamp: t,
    count: 1,
  };
}

export function nodeEvent(incident: PanicIncident, node: string, now: number, host: string): CoreEvent {
  return {
    metadata: { name: eventName(incident.id, `Node/${node}`), namespace: NODE_EVENT_NAMESPACE },
    involvedObject: { apiVersion: 'v1', kind: 'Node', name: node },
    reason: KIND_REASONS[incident.kind],
    message: eventMessage(incident, node),
    ...baseEvent(incident, now, host),
  };
}

export function podEvent(
  incident: PanicIncident,
  node: string,
  pod: PodSummary,
  now: number,
  host: string,
): CoreEvent {
  return {
    metadata: {
      name: eventName(incident.id, `Pod/${pod.uid || `${pod.namespace}/${pod.name}`}`),
      namespace: pod.namespace,
    },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod.name, namespace: pod.namespace, uid: pod.uid },
    reason: `Node${KIND_REASONS[incident.kind]}`,
    message: eventMessage(incident, node),
    ...baseEvent(incident, now, host),
  };
}
