// The few Kubernetes API calls the netconsole receiver makes for a kernel incident (list Nodes, list the pods
// of one node, merge-patch annotations, create Events), through the official client @kubernetes/client-node.
// The client is imported only when the feature is on (it is large). Every call has its own deadline, is
// retried a bounded number of times with backoff when the failure is transient (unreachable, timeout, 5xx,
// 429), and fails with a KubeApiError whose message names the verb and resource — so a missing RBAC rule is
// one log line saying which rule, not a stack trace.

import type * as K8s from '@kubernetes/client-node';
import { backoffDelayMs, type BackoffOptions } from '../runtime/backoff.js';

export type KubeApiErrorKind =
  | 'config' // no kubeconfig / not in a cluster
  | 'unreachable' // connection refused, reset, no route, name not resolved, TLS
  | 'timeout'
  | 'unauthorized' // 401
  | 'forbidden' // 403: RBAC
  | 'not_found' // 404
  | 'conflict' // 409 AlreadyExists
  | 'http' // another status
  | 'bad_response'; // not JSON, or not the object asked for

/** What a call does, for messages and metrics: `list nodes`, `patch pods kube-system/coredns-1`. */
export interface KubeOp {
  verb: 'list' | 'get' | 'patch' | 'create';
  resource: 'nodes' | 'pods' | 'events';
  /** namespace/name or name; cluster scope when unset. */
  target?: string;
}

export class KubeApiError extends Error {
  constructor(
    readonly kind: KubeApiErrorKind,
    readonly op: KubeOp,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export interface NodeAddresses {
  name: string;
  addresses: { type: string; address: string }[];
}

export interface PodSummary {
  namespace: string;
  name: string;
  uid: string;
  containers: string[];
  phase?: string;
}

export interface CoreEvent {
  metadata: { name: string; namespace: string };
  involvedObject: { apiVersion: 'v1'; kind: 'Pod' | 'Node'; name: string; namespace?: string; uid?: string };
  reason: string;
  message: string;
  type: 'Warning' | 'Normal';
  source: { component: string; host?: string };
  reportingComponent: string;
  reportingInstance: string;
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
}

/** The calls the incident linker needs; an interface so the linker's logic does not depend on the client. */
export interface KubeApi {
  listNodes(): Promise<NodeAddresses[]>;
  /** Pods with spec.nodeName = node, all namespaces; `total` is the list's length before `max`. */
  listPodsOnNode(node: string, max: number): Promise<{ pods: PodSummary[]; total: number }>;
  patchPodAnnotations(namespace: string, name: string, annotations: Record<string, string>): Promise<void>;
  patchNodeAnnotations(name: string, annotations: Record<string, string>): Promise<void>;
  /** `exists` when an Event of that name is already there (a redelivered incident): not an error. */
  createEvent(event: CoreEvent): Promise<'created' | 'exists'>;
}

export interface KubeApiOptions {
  /** A kubeconfig file; unset = in-cluster (service-account token and CA, KUBERNETES_SERVICE_HOST). */
  kubeconfig?: string;
  /** One request's deadline. */
  timeoutMs: number;
  /** Attempts per call for transient failures (1 = no retry). */
  attempts?: number;
  backoff?: BackoffOptions;
  env?: Readonly<Record<string, string | undefined>>;
  /** Called before each retry (metrics, logs). */
  onRetry?: (err: KubeApiError, attempt: number, delayMs: number) => void;
}

const RETRY_BACKOFF: BackoffOptions = { baseMs: 250, maxMs: 2_000, jitter: 0.2 };
const UNREACHABLE_CODES =
  /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE|ETIMEDOUT)$/;

export function describeOp(op: KubeOp): string {
  return `${op.verb} ${op.resource}${op.target ? ` ${op.target}` : ''}`;
}

/** Build the client: one-line KubeApiError('config') when there is no usable configuration. */
export async function createKubeApi(opts: KubeApiOptions): Promise<KubeApi> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  const env = opts.env ?? process.env;
  const configOp: KubeOp = { verb: 'get', resource: 'nodes' };
  try {
    if (opts.kubeconfig !== undefined) kc.loadFromFile(opts.kubeconfig);
    else if (env.KUBERNETES_SERVICE_HOST) kc.loadFromCluster();
    else
      throw new Error(
        'not in a Kubernetes pod (no KUBERNETES_SERVICE_HOST) and no kubeconfig given (--netconsole-k8s-kubeconfig)',
      );
  } catch (err) {
    throw new KubeApiError('config', configOp, `kubernetes client: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!kc.getCurrentCluster())
    throw new KubeApiError('config', configOp, 'kubernetes client: the kubeconfig names no current cluster');
  return new ClientKubeApi(k8s, kc.makeApiClient(k8s.CoreV1Api), opts);
}

class ClientKubeApi implements KubeApi {
  private readonly attempts: number;
  constructor(
    private readonly k8s: typeof K8s,
    private readonly core: K8s.CoreV1Api,
    private readonly opts: KubeApiOptions,
  ) {
    this.attempts = Math.max(1, opts.attempts ?? 3);
  }

  async listNodes(): Promise<NodeAddresses[]> {
    const op: KubeOp = { verb: 'list', resource: 'nodes' };
    const list = await this.call(op, (o) => this.core.listNode({}, o));
    const items = itemsOf<K8s.V1Node>(list, op, 'NodeList');
    return items.map((n) => ({
      name: String(n.metadata?.name ?? ''),
      addresses: (n.status?.addresses ?? []).map((a) => ({
        type: String(a.type),
        address: String(a.address),
      })),
    }));
  }

  async listPodsOnNode(node: string, max: number): Promise<{ pods: PodSummary[]; total: number }> {
    const op: KubeOp = { verb: 'list', resource: 'pods', target: `(spec.nodeName=${node})` };
    const list = await this.call(op, (o) =>
      this.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` }, o),
    );
    const items = itemsOf<K8s.V1Pod>(list, op, 'PodList');
    return {
      total: items.length,
      pods: items.slice(0, max).map((p) => {
        const pod: PodSummary = {
          namespace: String(p.metadata?.namespace ?? ''),
          name: String(p.metadata?.name ?? ''),
          uid: String(p.metadata?.uid ?? ''),
          containers: (p.spec?.containers ?? []).map((c) => String(c.name)),
        };
        if (p.status?.phase) pod.phase = p.status.phase;
        return pod;
      }),
    };
  }

  async patchPodAnnotations(namespace: string, name: string, annotations: Record<string, string>) {
    const op: KubeOp = { verb: 'patch', resource: 'pods', target: `${namespace}/${name}` };
    await this.call(
      op,
      (o) => this.core.patchNamespacedPod({ name, namespace, body: { metadata: { annotations } } }, o),
      true,
    );
  }

  async patchNodeAnnotations(name: string, annotations: Record<string, string>) {
    const op: KubeOp = { verb: 'patch', resource: 'nodes', target: name };
    await this.call(op, (o) => this.core.patchNode({ name, body: { metadata: { annotations } } }, o), true);
  }

  async createEvent(event: CoreEvent): Promise<'created' | 'exists'> {
    const op: KubeOp = {
      verb: 'create',
      resource: 'events',
      target: `${event.metadata.namespace}/${event.metadata.name}`,
    };
    try {
      await this.call(op, (o) =>
        this.core.createNamespacedEvent(
          { namespace: event.metadata.namespace, body: event as unknown as K8s.CoreV1Event },
          o,
        ),
      );
      return 'created';
    } catch (err) {
      if (err instanceof KubeApiError && err.kind === 'conflict') return 'exists';
      throw err;
    }
  }

  /** One call with a deadline, retried with backoff while the failure is transient. */
  private async call<T>(
    op: KubeOp,
    fn: (options: K8s.ConfigurationOptions) => Promise<T>,
    mergePatch = false,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(op, fn, mergePatch);
      } catch (err) {
        const e = err as KubeApiError;
        const transient =
          e.kind === 'unreachable' ||
          e.kind === 'timeout' ||
          (e.kind === 'http' && (e.status === 429 || (e.status ?? 0) >= 500));
        if (!transient || attempt >= this.attempts) throw e;
        const delay = backoffDelayMs(attempt, Math.random, this.opts.backoff ?? RETRY_BACKOFF);
        this.opts.onRetry?.(e, attempt, delay);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async once<T>(
    op: KubeOp,
    fn: (options: K8s.ConfigurationOptions) => Promise<T>,
    mergePatch: boolean,
  ): Promise<T> {
    const abort = new AbortController();
    const { Observable } = this.k8s;
    // The generated client takes a per-request signal only through middleware.
    const middleware: NonNullable<K8s.ConfigurationOptions['middleware']> = [
      {
        pre: (ctx) => {
          ctx.setSignal(abort.signal);
          // The client would send a JSON patch (its first media type); annotations want a merge patch.
          if (mergePatch) ctx.setHeaderParam('Content-Type', 'application/merge-patch+json');
          return new Observable(Promise.resolve(ctx));
        },
        post: (res) => new Observable(Promise.resolve(res)),
      },
    ];
    const timer = setTimeout(() => abort.abort(), this.opts.timeoutMs);
    try {
      return await fn({ middleware, middlewareMergeStrategy: 'append' });
    } catch (err) {
      if (abort.signal.aborted)
        throw new KubeApiError(
          'timeout',
          op,
          `${describeOp(op)}: no answer within ${this.opts.timeoutMs} ms`,
        );
      throw classify(this.k8s, op, err);
    } finally {
      clearTimeout(timer);
    }
  }
}

function itemsOf<T>(list: unknown, op: KubeOp, kind: string): T[] {
  const items = (list as { items?: unknown } | null)?.items;
  if (!Array.isArray(items))
    throw new KubeApiError('bad_response', op, `${describeOp(op)}: the answer is not a ${kind}`);
  return items as T[];
}

/** The Status object's message (the client hands the error body over as text or parsed). */
function statusMessage(body: unknown): string {
  let b: unknown = body;
  if (typeof body === 'string') {
    try {
      b = JSON.parse(body);
    } catch {
      return body.slice(0, 200);
    }
  }
  const m = (b as { message?: unknown } | null)?.message;
  return typeof m === 'string' ? m.slice(0, 300) : '';
}

function classify(k8s: typeof K8s, op: KubeOp, err: unknown): KubeApiError {
  const what = describeOp(op);
  if (err instanceof k8s.ApiException) {
    const status = err.code;
    const detail = statusMessage(err.body);
    const suffix = detail ? `: ${detail}` : '';
    if (status === 401)
      return new KubeApiError(
        'unauthorized',
        op,
        `${what}: 401 Unauthorized (service-account token missing, expired or rejected)${suffix}`,
        status,
      );
    if (status === 403)
      return new KubeApiError(
        'forbidden',
        op,
        `${what}: 403 Forbidden: RBAC does not allow "${op.verb}" on "${op.resource}" (see deploy/helm/kerno rbac: netconsole.kubernetes)${suffix}`,
        status,
      );
    if (status === 404) return new KubeApiError('not_found', op, `${what}: 404 Not Found${suffix}`, status);
    if (status === 409) return new KubeApiError('conflict', op, `${what}: 409 Conflict${suffix}`, status);
    if (status >= 200 && status < 300)
      return new KubeApiError('bad_response', op, `${what}: unreadable answer (HTTP ${status})`, status);
    return new KubeApiError('http', op, `${what}: HTTP ${status}${suffix}`, status);
  }
  if (err instanceof SyntaxError)
    return new KubeApiError('bad_response', op, `${what}: the answer is not JSON (${err.message})`);
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? (e.message.split('\n')[0] ?? '') : String(err);
  if (UNREACHABLE_CODES.test(code)) return new KubeApiError('unreachable', op, `${what}: API server ${code}`);
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME/.test(code))
    return new KubeApiError('unreachable', op, `${what}: TLS: ${code}`);
  if (/invalid json|Unexpected token|JSON/i.test(message))
    return new KubeApiError('bad_response', op, `${what}: the answer is not JSON`);
  return new KubeApiError('unreachable', op, `${what}: ${code || message}`);
}
