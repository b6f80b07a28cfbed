import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enrichSignals, namesFor } from '../../../src/k8s/enrich.js';
import { parsePodList, type PodIndex } from '../../../src/k8s/pod-list.js';
import { parseCgroupPath } from '../../../src/k8s/cgroup-path.js';
import type { Signals } from '../../../src/signals/types.js';
import { fullSignals } from '../../fixtures/render/report.js';
import { PODS_JSON } from './fake-kubelet.js';

const UID = '1f3e8a52-9c1d-4f0e-b6a7-2d5c9e0f7a11';
const API = '9a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809';
const ENVOY = '5e'.repeat(32);
const SYSTEMD_PATH = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID.replace(/-/g, '_')}.slice/cri-containerd-${API}.scope`;

const index: PodIndex = parsePodList(PODS_JSON);

/** Signals naming cgroups the way the collectors do: paths, pod UIDs and container ids, no names. */
function rawSignals(): Signals {
  const s = fullSignals() as Signals;
  const meta = parseCgroupPath(SYSTEMD_PATH);
  const { pod: _p, namespace: _n, container: _c, ...entry } = s.cgroupMemory!.containers[0]!;
  const { pod: _p2, namespace: _n2, container: _c2, ...oom } = s.oom!.events[0]!;
  const { pod: _p3, namespace: _n3, container: _c3, ...ns } = s.tcp!.namespaces[0]!;
  return {
    ...s,
    cgroupMemory: {
      ...s.cgroupMemory!,
      containers: [
        { ...entry, cgroupPath: SYSTEMD_PATH, podUid: meta.podUid, containerId: meta.containerId },
        {
          ...entry,
          cgroupPath: '/system.slice/nginx.service',
          podUid: undefined,
          containerId: undefined,
          unit: 'nginx.service',
        },
      ],
    },
    oom: { ...s.oom!, events: [{ ...oom, cgroupPath: `/kubepods/burstable/pod${UID}/${ENVOY}` }] },
    tcp: { ...s.tcp!, namespaces: [{ ...ns, podUid: UID, containerId: undefined }] },
  };
}

test('every place that names a cgroup gets namespace, pod and container', () => {
  const raw = rawSignals();
  const out = enrichSignals(raw, index);
  const [k8s, nginx] = out.cgroupMemory!.containers;
  assert.deepEqual([k8s!.namespace, k8s!.pod, k8s!.container], ['payments', 'checkout-7d9f-x2', 'api']);
  assert.deepEqual([nginx!.pod, nginx!.container, nginx!.unit], [undefined, undefined, 'nginx.service']);
  const oom = out.oom!.events[0]!;
  assert.deepEqual([oom.namespace, oom.pod, oom.container], ['payments', 'checkout-7d9f-x2', 'envoy']);
  const ns = out.tcp!.namespaces[0]!;
  assert.deepEqual([ns.namespace, ns.pod, ns.container], ['payments', 'checkout-7d9f-x2', undefined]);
  // Pure: the input snapshot is untouched.
  assert.equal(raw.cgroupMemory!.containers[0]!.pod, undefined);
  assert.equal(raw.oom!.events[0]!.pod, undefined);
});

test('an empty pod list (lookup not ready) returns the snapshot as it was', () => {
  const raw = rawSignals();
  assert.equal(enrichSignals(raw, { pods: new Map(), containers: new Map() }), raw);
});

test('namesFor: container id alone finds its pod; an id listed under another pod is not this container', () => {
  assert.deepEqual(namesFor(index, undefined, API), {
    pod: 'checkout-7d9f-x2',
    namespace: 'payments',
    container: 'api',
  });
  assert.deepEqual(namesFor(index, '7c2d9e41-3b5a-4f6c-8d7e-9f0a1b2c3d4e', API), {
    pod: 'coredns-5d78c9869d-7xk2p',
    namespace: 'kube-system',
  });
  assert.deepEqual(namesFor(index, 'ffffffff-0000-0000-0000-000000000000', undefined), {});
});

test('findings on an enriched snapshot name the pod and container, not the cgroup path', async () => {
  const { memoryLimitPressure } = await import('../../../rules/memory_limit_pressure.js');
  const { oomKillOccurred } = await import('../../../rules/oom_kill_occurred.js');
  const { DEFAULT_THRESHOLDS } = await import('../../../src/doctor/thresholds.js');
  const out = enrichSignals(rawSignals(), index);
  const [mem] = memoryLimitPressure.evaluate(out, DEFAULT_THRESHOLDS);
  assert.match(mem!.title, /^payments\/checkout-7d9f-x2 \(container api\) is 97/);
  assert.equal(mem!.subject, SYSTEMD_PATH, 'the subject stays the cgroup path (it identifies the finding)');
  assert.ok(mem!.fix.some((f) => f.startsWith('kubectl -n payments describe pod checkout-7d9f-x2')));
  const [oom] = oomKillOccurred.evaluate(out, DEFAULT_THRESHOLDS);
  assert.match(oom!.cause, / in payments\/checkout-7d9f-x2 \(container envoy\)/);

  // Without the pod list the same findings fall back to the path.
  const [rawMem] = memoryLimitPressure.evaluate(rawSignals(), DEFAULT_THRESHOLDS);
  assert.match(rawMem!.title, /^\/kubepods\.slice\/.*cri-containerd-9a2b.*\.scope is 97/);
});

test('per-cgroup metric series get namespace, pod and container labels; others are untouched', async () => {
  const { nameCgroupSeries } = await import('../../../src/k8s/enrich.js');
  const series: Array<{ labels: Record<string, string>; value: number }> = [
    { labels: { cgroup: SYSTEMD_PATH }, value: 1 },
    { labels: { cgroup: '/system.slice/nginx.service' }, value: 2 },
    { labels: { device: 'sda' }, value: 3 },
  ];
  const out = nameCgroupSeries(series, index);
  assert.deepEqual(out[0]!.labels, {
    cgroup: SYSTEMD_PATH,
    namespace: 'payments',
    pod: 'checkout-7d9f-x2',
    container: 'api',
  });
  assert.equal(out[1], series[1]);
  assert.equal(out[2], series[2]);
});
