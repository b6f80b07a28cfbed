import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { fetchPods, KubeletError, type KubeletClientOptions } from '../../../src/k8s/kubelet.js';
import { PodNames } from '../../../src/k8s/pod-names.js';
import { PODS_JSON, podsWithout, startFakeKubelet, type FakeKubelet } from './fake-kubelet.js';

const CHECKOUT_UID = '1f3e8a52-9c1d-4f0e-b6a7-2d5c9e0f7a11';
const API_ID = '9a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809';

let kubelet: FakeKubelet;
before(async () => {
  kubelet = await startFakeKubelet({ kind: 'pods', body: PODS_JSON });
});
after(() => kubelet.close());

function opts(over: Partial<KubeletClientOptions> = {}): KubeletClientOptions {
  return { url: kubelet.url, tokenFile: kubelet.tokenFile, caFile: kubelet.caFile, timeoutMs: 2000, ...over };
}

async function kubeletError(p: Promise<unknown>): Promise<KubeletError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof KubeletError, `expected a KubeletError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the request to fail');
}

test('GET /pods over TLS with the bearer token: pods by UID, containers by id (init ones too)', async () => {
  kubelet.answer = { kind: 'pods', body: PODS_JSON };
  const index = await fetchPods(opts());
  assert.deepEqual(index.pods.get(CHECKOUT_UID), { namespace: 'payments', name: 'checkout-7d9f-x2' });
  assert.deepEqual(index.containers.get(API_ID), { podUid: CHECKOUT_UID, name: 'api' });
  assert.equal(index.containers.get('4c'.repeat(32))?.name, 'migrate');
  assert.equal(index.pods.size, 3);
  // The pending pod's container has no id yet: nothing to map, and no empty-string key.
  assert.equal(index.containers.size, 4);
  assert.ok(!index.containers.has(''));
});

test('a wrong or missing token: 401 → unauthorized', async () => {
  kubelet.answer = { kind: 'pods', body: PODS_JSON };
  const { writeFileSync } = await import('node:fs');
  const bad = `${kubelet.dir}/bad-token`;
  writeFileSync(bad, 'not-the-token\n');
  const err = await kubeletError(fetchPods(opts({ tokenFile: bad })));
  assert.equal(err.kind, 'unauthorized');
  assert.equal(err.status, 401);
  assert.match(err.message, /401 Unauthorized/);
  assert.equal((await kubeletError(fetchPods(opts({ tokenFile: undefined })))).kind, 'unauthorized');
});

test('403 → forbidden, naming the RBAC the service account lacks', async () => {
  kubelet.answer = { kind: 'status', status: 403 };
  const err = await kubeletError(fetchPods(opts()));
  assert.equal(err.kind, 'forbidden');
  assert.match(err.message, /nodes\/proxy/);
});

test('a kubelet that never answers: the request fails as timeout within its timeout', async () => {
  kubelet.answer = { kind: 'hang' };
  const t0 = performance.now();
  const err = await kubeletError(fetchPods(opts({ timeoutMs: 300 })));
  const took = performance.now() - t0;
  assert.equal(err.kind, 'timeout');
  assert.ok(took >= 290, `gave up after ${took} ms, before its timeout`);
  assert.ok(took < 2000, `took ${took} ms for a 300 ms timeout`);
});

test('garbage instead of a PodList → bad_response; a JSON non-list too', async () => {
  kubelet.answer = { kind: 'pods', body: '<html>oops' };
  const err = await kubeletError(fetchPods(opts()));
  assert.equal(err.kind, 'bad_response');
  assert.match(err.message, /not JSON/);
  kubelet.answer = { kind: 'pods', body: '{"kind":"Status","status":"Failure"}' };
  assert.match((await kubeletError(fetchPods(opts()))).message, /not a PodList.*kind Status/);
  kubelet.answer = { kind: 'pods', body: PODS_JSON.slice(0, 500) };
  assert.equal((await kubeletError(fetchPods(opts()))).kind, 'bad_response');
});

test('a serving certificate from another CA → tls; insecure_skip_tls_verify accepts it', async () => {
  kubelet.answer = { kind: 'pods', body: PODS_JSON };
  const err = await kubeletError(fetchPods(opts({ caFile: kubelet.otherCaFile })));
  assert.equal(err.kind, 'tls');
  const index = await fetchPods(opts({ caFile: kubelet.otherCaFile, insecureSkipTlsVerify: true }));
  assert.equal(index.pods.size, 3);
});

test('nothing listening → unreachable; missing token file and http:// URL → config', async () => {
  const port = await closedPort();
  const err = await kubeletError(fetchPods(opts({ url: `https://127.0.0.1:${port}` })));
  assert.equal(err.kind, 'unreachable');
  assert.match(err.message, /ECONNREFUSED/);
  const noToken = await kubeletError(fetchPods(opts({ tokenFile: `${kubelet.dir}/absent` })));
  assert.equal(noToken.kind, 'config');
  assert.match(noToken.message, /absent: ENOENT/);
  assert.equal((await kubeletError(fetchPods(opts({ url: 'http://127.0.0.1:10255' })))).kind, 'config');
});

test('an answer over the size bound is refused, not buffered', async () => {
  kubelet.answer = { kind: 'pods', body: PODS_JSON };
  const err = await kubeletError(fetchPods(opts({ maxBytes: 1024 })));
  assert.equal(err.kind, 'bad_response');
  assert.match(err.message, /larger than 1024 bytes/);
});

test('cache bound: at most maxPods pods are kept from one list', async () => {
  kubelet.answer = { kind: 'pods', body: PODS_JSON };
  const index = await fetchPods(opts({ maxPods: 2 }));
  assert.equal(index.pods.size, 2);
  // Containers of dropped pods are not kept either.
  for (const c of index.containers.values()) assert.ok(index.pods.has(c.podUid));
});

test('PodNames: a pod deleted from the node is forgotten at the next refresh', async () => {
  kubelet.answer = { kind: 'pods', body: PODS_JSON };
  let now = 0;
  const names = new PodNames({ fetch: () => fetchPods(opts()), ttlMs: 1000, now: () => now });
  await names.refresh();
  assert.equal(names.current().pods.get(CHECKOUT_UID)?.name, 'checkout-7d9f-x2');
  kubelet.answer = { kind: 'pods', body: podsWithout('checkout-7d9f-x2') };
  now = 1500;
  // Stale-while-revalidate: the old list answers at once, the refresh runs behind it.
  assert.equal(names.current().pods.get(CHECKOUT_UID)?.name, 'checkout-7d9f-x2');
  await names.refresh();
  assert.equal(names.current().pods.get(CHECKOUT_UID), undefined);
  assert.equal(names.current().containers.get(API_ID), undefined);
  assert.deepEqual(names.status(), { state: 'ok', pods: 2 });
});

test('PodNames on a hung kubelet: reads return at once, then say timeout', async () => {
  kubelet.answer = { kind: 'hang' };
  const names = new PodNames({ fetch: () => fetchPods(opts({ timeoutMs: 200 })), ttlMs: 1000 });
  // Synchronous by construction: a read cannot wait on the network, it answers from what is held (nothing).
  const first = names.current();
  assert.ok(!(first instanceof Promise));
  assert.equal(first.pods.size, 0);
  assert.equal(names.status().state, 'pending');
  const before = kubelet.requests;
  names.current(); // a second read while the first request is in flight shares it
  await names.refresh();
  assert.equal(kubelet.requests - before, 1);
  const s = names.status();
  assert.equal(s.state, 'unavailable');
  assert.equal(s.error, 'timeout');
  assert.match(s.reason ?? '', /no answer within 200 ms/);
});

test('PodNames: a failing refresh keeps the last list until it is too old, and says it is stale', async () => {
  kubelet.answer = { kind: 'pods', body: PODS_JSON };
  let now = 0;
  const names = new PodNames({
    fetch: () => fetchPods(opts()),
    ttlMs: 1000,
    maxStaleMs: 5000,
    now: () => now,
  });
  await names.refresh();
  kubelet.answer = { kind: 'status', status: 401 };
  now = 2000;
  await names.refresh();
  assert.equal(names.current().pods.size, 3);
  assert.equal(names.status().state, 'ok');
  assert.match(names.status().reason ?? '', /stale list: .*401/);
  now = 6000;
  assert.equal(names.current().pods.size, 0);
  assert.equal(names.status().error, 'unauthorized');
  await names.refresh(); // let the refresh that read started settle before the server closes
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

test('PodNames: a failing kubelet is asked again after a TTL, not on every read', async () => {
  kubelet.answer = { kind: 'status', status: 401 };
  let now = 0;
  const names = new PodNames({ fetch: () => fetchPods(opts()), ttlMs: 1000, now: () => now });
  const before = kubelet.requests;
  await names.refresh();
  for (let i = 0; i < 5; i++) names.current();
  now = 500;
  names.current();
  await names.refresh(); // explicit refreshes always ask
  assert.equal(kubelet.requests - before, 2);
  now = 2000;
  names.current();
  await names.refresh(); // settles the read-started one (shared), no third of its own
  assert.equal(kubelet.requests - before, 3);
  assert.equal(names.status().error, 'unauthorized');
});
