import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  identifyCgroup,
  isUidLike,
  parseCgroupPath,
  type PodLookup,
  type PodRef,
} from '../../../src/collectors/procfs/cgroup-paths.js';

const UID = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const UID_ESCAPED = UID.replace(/-/g, '_');
const CID = 'a'.repeat(8) + '0123456789abcdef'.repeat(3) + 'b'.repeat(8);

test('k8s cgroupfs driver: burstable pod, bare container id', () => {
  assert.equal(CID.length, 64);
  assert.deepEqual(parseCgroupPath(`/kubepods/burstable/pod${UID}/${CID}`), {
    podUid: UID,
    qos: 'burstable',
    containerId: CID,
  });
});

test('k8s cgroupfs driver: guaranteed pods have no QoS level in the path', () => {
  const m = parseCgroupPath(`/kubepods/pod${UID}/${CID}`);
  assert.equal(m.qos, 'guaranteed');
  assert.equal(m.podUid, UID);
});

test('k8s cgroupfs driver: besteffort pod level (no container yet)', () => {
  assert.deepEqual(parseCgroupPath(`/kubepods/besteffort/pod${UID}`), { podUid: UID, qos: 'besteffort' });
});

test('k8s systemd driver: escaped UID restored, containerd scope', () => {
  const path = `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_ESCAPED}.slice/cri-containerd-${CID}.scope`;
  assert.deepEqual(parseCgroupPath(path), {
    podUid: UID,
    qos: 'burstable',
    containerId: CID,
    runtime: 'containerd',
    slice: `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_ESCAPED}.slice`,
  });
});

test('k8s systemd driver: guaranteed pod with a docker scope, CRI-O scope, conmon is not a container', () => {
  const docker = parseCgroupPath(`/kubepods.slice/kubepods-pod${UID_ESCAPED}.slice/docker-${CID}.scope`);
  assert.equal(docker.qos, 'guaranteed');
  assert.equal(docker.runtime, 'docker');
  assert.equal(docker.containerId, CID);
  assert.equal(docker.unit, undefined, 'a container scope is not reported as a unit');

  const crio = parseCgroupPath(
    `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_ESCAPED}.slice/crio-${CID}.scope`,
  );
  assert.deepEqual([crio.qos, crio.runtime, crio.containerId, crio.podUid], ['besteffort', 'crio', CID, UID]);

  const conmon = parseCgroupPath(`/kubepods.slice/kubepods-pod${UID_ESCAPED}.slice/crio-conmon-${CID}.scope`);
  assert.equal(conmon.containerId, undefined);
  assert.equal(conmon.podUid, UID);
  assert.equal(conmon.unit, `crio-conmon-${CID}.scope`);
});

test('kind-style nesting below kubelet.slice still finds pod and container', () => {
  const m = parseCgroupPath(
    `/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/kubelet-kubepods-burstable-pod${UID_ESCAPED}.slice/cri-containerd-${CID}.scope`,
  );
  assert.equal(m.podUid, UID);
  assert.equal(m.qos, 'burstable');
  assert.equal(m.containerId, CID);
  assert.equal(m.runtime, 'containerd');
});

test('docker standalone: cgroupfs /docker/<id> and systemd docker-<id>.scope', () => {
  assert.deepEqual(parseCgroupPath(`/docker/${CID}`), { containerId: CID, runtime: 'docker' });
  assert.deepEqual(parseCgroupPath(`/system.slice/docker-${CID}.scope`), {
    containerId: CID,
    runtime: 'docker',
    slice: 'system.slice',
  });
});

test('podman: libpod scope under a user slice', () => {
  const m = parseCgroupPath(
    `/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${CID}.scope/container`,
  );
  assert.equal(m.runtime, 'podman');
  assert.equal(m.containerId, CID);
  assert.equal(m.unit, 'user@1000.service');
});

test('plain systemd services, sessions and the root', () => {
  assert.deepEqual(parseCgroupPath('/system.slice/nginx.service'), {
    unit: 'nginx.service',
    slice: 'system.slice',
  });
  assert.deepEqual(parseCgroupPath('/system.slice/system-getty.slice/getty@tty1.service'), {
    unit: 'getty@tty1.service',
    slice: 'system.slice/system-getty.slice',
  });
  assert.deepEqual(parseCgroupPath('/user.slice/user-1000.slice/session-3.scope'), {
    unit: 'session-3.scope',
    slice: 'user.slice/user-1000.slice',
  });
  assert.deepEqual(parseCgroupPath('/init.scope'), { unit: 'init.scope' });
  assert.deepEqual(parseCgroupPath('/'), {});
  assert.deepEqual(parseCgroupPath('/kerno-test-1234'), {});
});

test('UID-like: ≥32 of hex, dash, underscore', () => {
  assert.ok(isUidLike(UID));
  assert.ok(isUidLike(UID_ESCAPED));
  assert.ok(isUidLike('0123456789abcdef0123456789abcdef'));
  assert.ok(!isUidLike('0123456789abcdef'));
  assert.ok(!isUidLike('nginx-deployment-5c689d88bb-q7zvf-xxxxxxxx'));
  // a too-short "pod…" component is not a pod UID
  assert.equal(parseCgroupPath('/kubepods/burstable/podcast').podUid, undefined);
});

/** Stand-in for a Kubernetes adapter (no API server exists here): a fixed table by UID. */
class FakePodLookup implements PodLookup {
  calls = 0;
  constructor(private readonly pods: Map<string, PodRef>) {}
  lookup(key: { podUid?: string }): PodRef | undefined {
    this.calls++;
    return key.podUid === undefined ? undefined : this.pods.get(key.podUid);
  }
}

test('identifyCgroup: names come from the lookup when it knows the pod', async () => {
  const lookup = new FakePodLookup(
    new Map([[UID, { namespace: 'shop', name: 'cart-7d9f', container: 'app' }]]),
  );
  const id = await identifyCgroup(`/kubepods/burstable/pod${UID}/${CID}`, lookup);
  assert.equal(id.pod, 'cart-7d9f');
  assert.equal(id.namespace, 'shop');
  assert.equal(id.container, 'app');
  assert.equal(id.podUid, UID);

  const unknown = await identifyCgroup(`/kubepods/pod${'1'.repeat(32)}/${CID}`, lookup);
  assert.equal(unknown.pod, undefined);
  assert.equal(unknown.podUid, '1'.repeat(32));
});

test('identifyCgroup: no lookup for non-container paths; a failing lookup is reported, not thrown', async () => {
  const lookup = new FakePodLookup(new Map());
  await identifyCgroup('/system.slice/nginx.service', lookup);
  assert.equal(lookup.calls, 0);

  const errors: unknown[] = [];
  const failing: PodLookup = {
    lookup: () => Promise.reject(new Error('kubelet unreachable')),
  };
  const id = await identifyCgroup(`/kubepods/pod${UID}/${CID}`, failing, (e) => errors.push(e));
  assert.equal(id.pod, undefined);
  assert.equal(id.podUid, UID);
  assert.match(String(errors[0]), /kubelet unreachable/);
});
