import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectEnvironment, type EnvironmentProbe } from '../../../src/k8s/environment.js';

const CID = 'ab'.repeat(32);

function probe(env: Record<string, string>, files: Record<string, string> = {}): EnvironmentProbe {
  return { env, exists: (p) => p in files, read: (p) => files[p] };
}

test('kubernetes: service env or mounted service account; node name from the downward API env', () => {
  assert.deepEqual(detectEnvironment(probe({ KUBERNETES_SERVICE_HOST: '10.96.0.1', NODE_NAME: 'node-a1' })), {
    kind: 'kubernetes',
    nodeName: 'node-a1',
  });
  assert.deepEqual(
    detectEnvironment(
      probe(
        { KUBERNETES_NODE_NAME: 'node-b2' },
        { '/var/run/secrets/kubernetes.io/serviceaccount/token': 'x' },
      ),
    ),
    { kind: 'kubernetes', nodeName: 'node-b2' },
  );
  assert.deepEqual(detectEnvironment(probe({ KUBERNETES_SERVICE_HOST: '10.96.0.1', NODE_NAME: '' })), {
    kind: 'kubernetes',
  });
  // The env var names are configurable.
  assert.equal(
    detectEnvironment(probe({ KUBERNETES_SERVICE_HOST: 'x', MY_NODE: 'n3' }), ['MY_NODE']).nodeName,
    'n3',
  );
});

test('container: docker/podman marks, $container, or pid 1 in a container cgroup', () => {
  assert.equal(detectEnvironment(probe({}, { '/.dockerenv': '' })).kind, 'container');
  assert.equal(detectEnvironment(probe({}, { '/run/.containerenv': '' })).kind, 'container');
  assert.equal(detectEnvironment(probe({ container: 'podman' })).kind, 'container');
  assert.equal(
    detectEnvironment(probe({}, { '/proc/1/cgroup': `12:memory:/docker/${CID}\n11:cpu:/docker/${CID}\n` }))
      .kind,
    'container',
  );
});

test('systemd host, else bare metal (a host cgroup for pid 1 is not a container)', () => {
  const systemd = { '/run/systemd/system': '', '/proc/1/cgroup': '0::/init.scope\n' };
  assert.deepEqual(detectEnvironment(probe({}, systemd)), { kind: 'systemd' });
  assert.deepEqual(detectEnvironment(probe({}, { '/proc/1/cgroup': '0::/\n' })), { kind: 'bare-metal' });
  assert.deepEqual(detectEnvironment(probe({})), { kind: 'bare-metal' });
});
