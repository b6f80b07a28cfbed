// Pod and container names for a collection session: where kerno runs (report header) and, when it runs on a
// Kubernetes node (or is told to), the kubelet pod-name cache built from the `kubernetes:` config section.
import type { CollectorMetrics, MetricSeries } from '../collectors/types.js';
import type { Config } from '../config/index.js';
import { nameCgroupSeries } from '../k8s/enrich.js';
import type { PodIndex } from '../k8s/pod-list.js';
import {
  detectEnvironment,
  NODE_NAME_ENV,
  systemProbe,
  type DetectedEnvironment,
} from '../k8s/environment.js';
import { fetchPods, KubeletError } from '../k8s/kubelet.js';
import { PodNames } from '../k8s/pod-names.js';

export interface KubernetesSetup {
  environment: DetectedEnvironment;
  /** Absent when the lookup is off (kubernetes.enabled false, or auto outside Kubernetes). */
  podNames?: PodNames;
}

/** Where this process would ask for pod names, and whether it would at all (`kerno preflight` asks once). */
export interface KubeletTarget {
  environment: DetectedEnvironment;
  /** kubernetes.enabled true, or auto on a Kubernetes node. */
  on: boolean;
  /** Absent when there is no kubelet to ask (no URL, no node name): fetch then rejects with a 'config' error. */
  url?: string;
  fetch(): Promise<PodIndex>;
}

export function kubeletTarget(config: Pick<Config, 'kubernetes'>, env: NodeJS.ProcessEnv): KubeletTarget {
  const k = config.kubernetes;
  const detected = detectEnvironment(systemProbe(env));
  const nodeName = k.node_name ?? detected.nodeName ?? NODE_NAME_ENV.map((n) => env[n]).find((v) => !!v);
  const environment: DetectedEnvironment =
    detected.kind === 'kubernetes' && nodeName !== undefined ? { ...detected, nodeName } : detected;
  const on = k.enabled === 'auto' ? detected.kind === 'kubernetes' : k.enabled;
  const url = k.kubelet_url ?? (nodeName !== undefined ? `https://${nodeName}:10250` : undefined);
  const timeoutMs = k.timeout / 1e6;
  const fetch =
    url === undefined
      ? () =>
          Promise.reject(
            new KubeletError(
              'config',
              'no kubelet to ask: set kubernetes.kubelet_url, kubernetes.node_name, or NODE_NAME from the downward API (spec.nodeName)',
            ),
          )
      : () =>
          fetchPods({
            url,
            tokenFile: k.token_file,
            caFile: k.insecure_skip_tls_verify ? undefined : k.ca_file,
            insecureSkipTlsVerify: k.insecure_skip_tls_verify,
            timeoutMs,
            maxPods: k.max_pods,
          });
  return { environment, on, ...(url !== undefined ? { url } : {}), fetch };
}

export function setUpKubernetes(config: Pick<Config, 'kubernetes'>, env: NodeJS.ProcessEnv): KubernetesSetup {
  const t = kubeletTarget(config, env);
  if (!t.on) return { environment: t.environment };
  return {
    environment: t.environment,
    podNames: new PodNames({ fetch: t.fetch, ttlMs: config.kubernetes.ttl / 1e6 }),
  };
}

/** Every collector's per-cgroup series with pod names filled in (the rest untouched). */
export function nameMetrics(
  metrics: Map<string, CollectorMetrics>,
  index: PodIndex,
): Map<string, CollectorMetrics> {
  if (index.pods.size === 0) return metrics;
  const each = <T>(r: Record<string, MetricSeries<T>[]> | undefined) =>
    r && Object.fromEntries(Object.entries(r).map(([k, v]) => [k, nameCgroupSeries(v, index)]));
  return new Map(
    [...metrics].map(([name, m]) => [
      name,
      { histograms: each(m.histograms), counters: each(m.counters), gauges: each(m.gauges) },
    ]),
  );
}
