import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isUidLike, parseCgroupPath, type CgroupMeta } from '../../../src/k8s/cgroup-path.js';

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

// One row per naming scheme, in the formats the runtimes really write (as /proc/<pid>/cgroup shows them, and
// as absolute cgroupfs paths on v1 hierarchies).
const TABLE: Array<[string, string, CgroupMeta]> = [
  [
    'v2, systemd driver, containerd, burstable',
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_ESCAPED}.slice/cri-containerd-${CID}.scope`,
    { podUid: UID, qos: 'burstable', containerId: CID, runtime: 'containerd' },
  ],
  [
    'v2, systemd driver, CRI-O, guaranteed',
    `/kubepods.slice/kubepods-pod${UID_ESCAPED}.slice/crio-${CID}.scope`,
    { podUid: UID, qos: 'guaranteed', containerId: CID, runtime: 'crio' },
  ],
  [
    'v2, systemd driver, docker (cri-dockerd), besteffort',
    `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${UID_ESCAPED}.slice/docker-${CID}.scope`,
    { podUid: UID, qos: 'besteffort', containerId: CID, runtime: 'docker' },
  ],
  [
    'v1 memory hierarchy, cgroupfs driver, containerd, burstable (absolute path)',
    `/sys/fs/cgroup/memory/kubepods/burstable/pod${UID}/${CID}`,
    { podUid: UID, qos: 'burstable', containerId: CID },
  ],
  [
    'v1, cgroupfs driver, guaranteed',
    `/kubepods/pod${UID}/${CID}`,
    { podUid: UID, qos: 'guaranteed', containerId: CID },
  ],
  [
    'v1, cgroupfs driver, CRI-O names its container crio-<id>',
    `/kubepods/besteffort/pod${UID}/crio-${CID}`,
    { podUid: UID, qos: 'besteffort', containerId: CID, runtime: 'crio' },
  ],
  [
    'v1, systemd driver, containerd (absolute path)',
    `/sys/fs/cgroup/memory/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_ESCAPED}.slice/cri-containerd-${CID}.scope`,
    { podUid: UID, qos: 'burstable', containerId: CID, runtime: 'containerd' },
  ],
  ['docker, cgroupfs driver', `/docker/${CID}`, { containerId: CID, runtime: 'docker' }],
  ['docker, systemd driver', `/system.slice/docker-${CID}.scope`, { containerId: CID, runtime: 'docker' }],
  ['systemd service', '/system.slice/nginx.service', { unit: 'nginx.service' }],
  [
    'systemd template service in a sub-slice',
    '/system.slice/system-postgresql.slice/postgresql@16-main.service',
    { unit: 'postgresql@16-main.service' },
  ],
  [
    'static pod (32-hex UID, no dashes)',
    `/kubepods/burstable/pod${'c'.repeat(32)}`,
    { podUid: 'c'.repeat(32), qos: 'burstable' },
  ],
];

for (const [name, path, want] of TABLE) {
  test(`table: ${name}`, () => {
    const got = parseCgroupPath(path);
    const picked = Object.fromEntries(
      (['podUid', 'qos', 'containerId', 'runtime', 'unit'] as const)
        .filter((k) => got[k] !== undefined)
        .map((k) => [k, got[k]]),
    );
    assert.deepEqual(picked, want);
  });
}
