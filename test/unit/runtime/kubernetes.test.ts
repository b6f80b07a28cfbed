import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig, type Config } from '../../../src/config/index.js';
import { nameMetrics, setUpKubernetes } from '../../../src/runtime/kubernetes.js';
import { PODS_JSON, startFakeKubelet, type FakeKubelet } from '../k8s/fake-kubelet.js';

const API = '9a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809';
const PATH = `/kubepods/burstable/pod1f3e8a52-9c1d-4f0e-b6a7-2d5c9e0f7a11/${API}`;

let kubelet: FakeKubelet;
before(async () => {
  kubelet = await startFakeKubelet({ kind: 'pods', body: PODS_JSON });
});
after(() => kubelet.close());

function config(k: Partial<Config['kubernetes']>): Config {
  const c = defaultConfig();
  return { ...c, kubernetes: { ...c.kubernetes, ...k } };
}

test('enabled: true with the kubelet URL, token and CA from config: names series from /pods', async () => {
  const { podNames } = setUpKubernetes(
    config({
      enabled: true,
      kubelet_url: kubelet.url,
      token_file: kubelet.tokenFile,
      ca_file: kubelet.caFile,
    }),
    {},
  );
  assert.ok(podNames);
  await podNames.refresh();
  assert.deepEqual(podNames.status(), { state: 'ok', pods: 3 });
  const named = nameMetrics(
    new Map([
      ['cgroup_memory', { gauges: { cgroup_memory_usage_bytes: [{ labels: { cgroup: PATH }, value: 7 }] } }],
    ]),
    podNames.current(),
  );
  assert.deepEqual(named.get('cgroup_memory')!.gauges!.cgroup_memory_usage_bytes![0]!.labels, {
    cgroup: PATH,
    namespace: 'payments',
    pod: 'checkout-7d9f-x2',
    container: 'api',
  });
});

test('the kubelet URL defaults to https://$NODE_NAME:10250; without a node name the status says what to set', async () => {
  const none = setUpKubernetes(config({ enabled: true }), {});
  await none.podNames!.refresh();
  const s = none.podNames!.status();
  assert.equal(s.state, 'unavailable');
  assert.equal(s.error, 'config');
  assert.match(s.reason ?? '', /kubernetes\.kubelet_url.*NODE_NAME/);

  // A node name that does not resolve: the default URL was built from it and tried.
  const named = setUpKubernetes(
    config({ enabled: true, token_file: kubelet.tokenFile, ca_file: kubelet.caFile, timeout: 3e9 }),
    { NODE_NAME: 'kerno-test-no-such-node.invalid' },
  );
  await named.podNames!.refresh();
  assert.match(named.podNames!.status().reason ?? '', /https:\/\/kerno-test-no-such-node\.invalid:10250/);
});

test('enabled: false builds no lookup; auto builds one only in Kubernetes', () => {
  assert.equal(
    setUpKubernetes(config({ enabled: false }), { KUBERNETES_SERVICE_HOST: '10.96.0.1' }).podNames,
    undefined,
  );
  const inPod = setUpKubernetes(config({ enabled: 'auto' }), {
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    NODE_NAME: 'n1',
  });
  assert.ok(inPod.podNames);
  assert.deepEqual(inPod.environment, { kind: 'kubernetes', nodeName: 'n1' });
  const outside = setUpKubernetes(config({ enabled: 'auto' }), {});
  if (outside.environment.kind !== 'kubernetes') assert.equal(outside.podNames, undefined);
});

test('a collection whose kubelet hangs still snapshots at once; the report says pending, then timeout', async () => {
  const { Collection } = await import('../../../src/runtime/collection.js');
  const { silentLogger } = await import('../../../src/runtime/log.js');
  const hung = await startFakeKubelet({ kind: 'hang' });
  const base = config({
    enabled: true,
    kubelet_url: hung.url,
    token_file: hung.tokenFile,
    ca_file: hung.caFile,
    timeout: 1500e6,
  });
  // No collectors: this is about the names, which must not hold the snapshot up.
  const off = Object.fromEntries(Object.keys(base.collectors).map((k) => [k, false]));
  const collection = new Collection({
    config: { ...base, collectors: off as Config['collectors'] },
    logger: silentLogger,
    env: {},
  });
  try {
    await collection.start();
    const first = await collection.snapshot();
    assert.equal(first.host.environment?.podNames?.state, 'pending');
    await new Promise((r) => setTimeout(r, 1800));
    const later = await collection.snapshot();
    assert.deepEqual(
      [later.host.environment?.podNames?.state, later.host.environment?.podNames?.error],
      ['unavailable', 'timeout'],
    );
  } finally {
    await collection.stop();
    await hung.close();
  }
});
