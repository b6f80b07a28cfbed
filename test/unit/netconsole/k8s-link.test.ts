// `kerno start --netconsole-k8s`: a kernel panic sent over real UDP netconsole packets to the daemon's real
// receiver, linked through the real @kubernetes/client-node to a fake API server over HTTPS (token and CA
// from a kubeconfig). The fake answers in the API's JSON shapes and keeps Events and annotations, so what is
// asserted is what a cluster would hold: the Node mapped from the sender IP, the pods listed by
// spec.nodeName, the merge patches and Events (method, path, content type, body), nothing new on
// redelivery, and every failure (unknown IP, API down, 401, 403, timeout, pod gone, garbage) ending as a
// reason in the record with the receiver still working.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { defaultConfig, type Config } from '../../../src/config/index.js';
import { startPanicReceiver, type PanicReceiver } from '../../../src/daemon/panics.js';
import { createKubeApi } from '../../../src/k8s/api.js';
import {
  IncidentK8sLinker,
  NodeCache,
  eventName,
  matchNode,
  senderAddress,
} from '../../../src/netconsole/k8s-link.js';
import type { PanicIncident } from '../../../src/netconsole/incident.js';
import { createLogger } from '../../../src/runtime/log.js';
import { netconsoleK8sProblem } from '../../../src/cli/start-cmd.js';
import { FakeKubeApi, selfSignedCert, status } from './fake-kube-api.js';
import { plainPackets, udpSender } from './fixtures.js';

const tls = selfSignedCert();
interface EventBody {
  metadata: { name: string };
  involvedObject: Record<string, string>;
  reason: string;
  type: string;
  reportingComponent: string;
  source: { component: string };
  message: string;
}
const NODE_A_PODS = [
  'kube-system/coredns-7c65d6cfc9-x2kq8',
  'shop/checkout-5d8f9b7c6-4h7tz',
  'shop/nightly-report-29411520-9qv2d',
];

let api: FakeKubeApi;
let dir: string;
let logs: { level: string; msg: string }[];

beforeEach(async () => {
  api = new FakeKubeApi(tls);
  await api.start();
  dir = mkdtempSync(join(tmpdir(), 'kerno-test-k8s-'));
  logs = [];
});
afterEach(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

function config(over: Partial<Config['daemon']> = {}): Config {
  const c = defaultConfig();
  return {
    ...c,
    daemon: {
      ...c.daemon,
      state_dir: join(dir, 'state'),
      netconsole_listen: 'udp://127.0.0.1:0',
      netconsole_k8s: true,
      netconsole_k8s_kubeconfig: api.kubeconfig(dir),
      netconsole_k8s_timeout: 2_000_000_000,
      ...over,
    },
  };
}

async function start(c: Config, registry = new Registry()): Promise<PanicReceiver> {
  return startPanicReceiver(
    c,
    registry,
    createLogger({
      write: (line) => {
        const j = JSON.parse(line) as { level: string; msg: string };
        logs.push({ level: j.level, msg: j.msg });
      },
    }),
  );
}

/** Send a fixture from `address` and wait until the record of its id carries the k8s link. */
async function sendPanic(
  r: PanicReceiver,
  address: string,
  fixture = 'panic-null-deref.log',
): Promise<PanicIncident> {
  const port = Number(r.address!.split(':').at(-1));
  const sender = await udpSender(address);
  try {
    for (const p of plainPackets(fixture)) await sender.send(p, port);
  } finally {
    await sender.close();
  }
  const deadline = Date.now() + 20_000;
  for (;;) {
    const linked = (await r.list({})).find((i) => i.sender.startsWith(`${address}:`) && i.k8s);
    if (linked) return linked;
    if (Date.now() > deadline) throw new Error(`no linked incident from ${address} within 20 s`);
    await new Promise((res) => setTimeout(res, 25));
  }
}

describe('netconsole k8s link, end to end through the receiver', () => {
  test('a panic from a known node: Node mapped, its pods listed, pods and Node annotated, Events created; redelivery writes nothing new', async () => {
    const registry = new Registry();
    const r = await start(config({ netconsole_k8s_writes: true }), registry);
    let incident: PanicIncident;
    try {
      incident = await sendPanic(r, '127.0.0.2');
      const k = incident.k8s!;
      assert.equal(k.node, 'node-a');
      assert.equal(k.matchedBy, 'InternalIP');
      assert.equal(k.reason, undefined);
      assert.deepEqual(
        k.pods!.map((p) => `${p.namespace}/${p.name}`),
        NODE_A_PODS,
        'only the pods of node-a, all namespaces',
      );
      assert.deepEqual(k.pods![1], {
        namespace: 'shop',
        name: 'checkout-5d8f9b7c6-4h7tz',
        uid: '6b7c8d9e-0f1a-4b2c-8d3e-4f5a6b7c8d92',
        containers: ['checkout', 'envoy'],
        phase: 'Running',
      });
      assert.deepEqual(k.writes, {
        podsAnnotated: 3,
        podsGone: 0,
        eventsCreated: 4,
        eventsExisting: 0,
        nodeAnnotated: true,
      });
      // The first record (without the link) and the linked one: /panics shows the linked one, once.
      assert.equal((await r.list({})).length, 1);

      // Every request carried the token; the reads are the list calls the RBAC grants.
      assert.ok(api.requests.every((q) => q.authorization === `Bearer ${api.token}`));
      assert.equal(api.of('GET', '/api/v1/nodes').length, 1);
      const podList = api.of('GET', '/api/v1/pods');
      assert.equal(podList.length, 1);
      assert.equal(podList[0]!.query.get('fieldSelector'), 'spec.nodeName=node-a');

      const patches = api.of('PATCH', '/api/v1/namespaces/');
      assert.deepEqual(
        patches.map((p) => p.path),
        NODE_A_PODS.map((p) => `/api/v1/namespaces/${p.replace('/', '/pods/')}`),
      );
      for (const p of patches) {
        assert.equal(p.contentType, 'application/merge-patch+json');
        assert.deepEqual(p.body, {
          metadata: {
            annotations: {
              'kerno.dev/node-kernel-incident': incident.id,
              'kerno.dev/node-kernel-incident-kind': 'panic',
              'kerno.dev/node-kernel-incident-summary': `node node-a kernel panic: ${incident.reason}`,
            },
          },
        });
      }
      const nodePatch = api.of('PATCH', '/api/v1/nodes/node-a');
      assert.equal(nodePatch.length, 1);
      assert.equal(nodePatch[0]!.contentType, 'application/merge-patch+json');
      assert.equal(api.annotations.get('node/node-a')!['kerno.dev/last-kernel-incident'], incident.id);
      assert.equal(api.annotations.get('node/node-a')!['kerno.dev/last-kernel-incident-kind'], 'panic');

      const posts = api.of('POST', '/api/v1/namespaces/');
      assert.deepEqual(posts.map((p) => p.path).sort(), [
        '/api/v1/namespaces/default/events',
        '/api/v1/namespaces/kube-system/events',
        '/api/v1/namespaces/shop/events',
        '/api/v1/namespaces/shop/events',
      ]);
      for (const p of posts) assert.equal(p.contentType, 'application/json');
      const nodeEv = posts.find((p) => p.path.includes('/default/'))!.body as EventBody;
      assert.equal(nodeEv.metadata.name, eventName(incident.id, 'Node/node-a'));
      assert.deepEqual(nodeEv.involvedObject, { apiVersion: 'v1', kind: 'Node', name: 'node-a' });
      assert.equal(nodeEv.reason, 'KernelPanic');
      assert.equal(nodeEv.type, 'Warning');
      assert.equal(nodeEv.reportingComponent, 'kerno');
      assert.equal(nodeEv.source.component, 'kerno');
      assert.match(nodeEv.message, /^node node-a kernel panic: BUG: kernel NULL pointer dereference/);
      assert.match(nodeEv.message, new RegExp(`kerno incident ${incident.id}`));
      const podEv = posts.find((p) => p.path.includes('/kube-system/'))!.body as EventBody;
      assert.deepEqual(podEv.involvedObject, {
        apiVersion: 'v1',
        kind: 'Pod',
        name: 'coredns-7c65d6cfc9-x2kq8',
        namespace: 'kube-system',
        uid: '3f0a9c1e-5b7d-4e2a-9c8b-1d2e3f4a5b61',
      });
      assert.equal(podEv.reason, 'NodeKernelPanic');
      assert.equal(api.events.size, 4);

      const metrics = await registry.metrics();
      assert.match(metrics, /kerno_netconsole_k8s_calls_total\{op="create_event",outcome="ok"\} 4/);
      assert.match(metrics, /kerno_netconsole_k8s_calls_total\{op="patch_pod",outcome="ok"\} 3/);
      assert.match(metrics, /kerno_netconsole_k8s_incidents_total\{outcome="mapped"\} 1/);

      // The same panic again, to the same receiver: one incident id, nothing sent to the API.
      const before = api.requests.length;
      const port = Number(r.address!.split(':').at(-1));
      const again = await udpSender('127.0.0.2');
      for (const p of plainPackets('panic-null-deref.log')) await again.send(p, port);
      await again.close();
      await new Promise((res) => setTimeout(res, 1_500));
      assert.equal(api.requests.length, before, 'a repeated incident is not linked twice');
    } finally {
      await r.stop();
    }

    // Delivered again after a restart that lost the state (another receiver, same cluster): the same Event
    // names answer 409 and the patches carry the same values — the cluster holds what it held.
    rmSync(join(dir, 'state'), { recursive: true, force: true });
    const eventsBefore = JSON.stringify([...api.events.keys()].sort());
    const annotationsBefore = JSON.stringify([...api.annotations.entries()].sort());
    const r2 = await start(config({ netconsole_k8s_writes: true }));
    try {
      const second = await sendPanic(r2, '127.0.0.2');
      assert.equal(second.id, incident.id, 'the incident id comes from the kernel timestamp');
      assert.deepEqual(second.k8s!.writes, {
        podsAnnotated: 3,
        podsGone: 0,
        eventsCreated: 0,
        eventsExisting: 4,
        nodeAnnotated: true,
      });
      assert.equal(JSON.stringify([...api.events.keys()].sort()), eventsBefore);
      assert.equal(JSON.stringify([...api.annotations.entries()].sort()), annotationsBefore);
    } finally {
      await r2.stop();
    }
  });

  test('writes off (the default): reads only — no PATCH, no POST', async () => {
    const r = await start(config());
    try {
      const incident = await sendPanic(r, '127.0.0.2');
      assert.equal(incident.k8s!.node, 'node-a');
      assert.equal(incident.k8s!.pods!.length, 3);
      assert.equal(incident.k8s!.writes, undefined);
      assert.deepEqual(
        [...new Set(api.requests.map((q) => q.method))],
        ['GET'],
        'reads only without --netconsole-k8s-writes',
      );
    } finally {
      await r.stop();
    }
  });

  test('an IP no Node has: recorded with node null and the reason; no pod list, no writes', async () => {
    const r = await start(config({ netconsole_k8s_writes: true }));
    try {
      const incident = await sendPanic(r, '127.0.0.3');
      assert.deepEqual(
        { node: incident.k8s!.node, reason: incident.k8s!.reason },
        { node: null, reason: 'no Node has InternalIP or ExternalIP 127.0.0.3' },
      );
      assert.equal(incident.kind, 'panic');
      // The list was just taken: a miss does not list again within minRefreshMs (NodeCache test below).
      assert.equal(api.of('GET', '/api/v1/nodes').length, 1);
      assert.equal(api.of('GET', '/api/v1/pods').length, 0);
      assert.equal(api.requests.filter((q) => q.method !== 'GET').length, 0);
    } finally {
      await r.stop();
    }
  });

  test('ExternalIP is the fallback; the --netconsole-nodes name is cross-checked but the API wins', async () => {
    const r = await start(config({ netconsole_nodes: { '127.0.0.4': 'old-name' } }));
    try {
      const incident = await sendPanic(r, '127.0.0.4');
      assert.equal(incident.node, 'old-name', 'the incident keeps the name it was recorded with');
      assert.equal(incident.k8s!.node, 'node-b');
      assert.equal(incident.k8s!.matchedBy, 'ExternalIP');
      assert.equal(incident.k8s!.nodeMapName, 'old-name');
      assert.deepEqual(
        incident.k8s!.pods!.map((p) => p.name),
        ['kube-proxy-8kq2m'],
      );
      assert.ok(logs.some((l) => l.level === 'warn' && /node map and the API disagree/.test(l.msg)));
    } finally {
      await r.stop();
    }
  });

  test('API down (connection refused): the incident is recorded with the reason and the receiver keeps working', async () => {
    // A port that was free a moment ago and has nothing listening.
    const probe = createServer();
    await new Promise<void>((res) => probe.listen(0, '127.0.0.1', res));
    const deadPort = (probe.address() as { port: number }).port;
    await new Promise<void>((res) => probe.close(() => res()));
    const r = await start(config({ netconsole_k8s_kubeconfig: api.kubeconfig(dir, api.token, deadPort) }));
    try {
      const t0 = Date.now();
      const first = await sendPanic(r, '127.0.0.2');
      assert.equal(first.k8s!.node, null);
      assert.match(first.k8s!.reason!, /^Node list failed: list nodes: API server ECONNREFUSED$/);
      // Three attempts with 250 ms and 500 ms backoff: bounded, well under the 20 s wait.
      assert.ok(Date.now() - t0 < 10_000, `linking took ${Date.now() - t0} ms`);
      // The receiver still records (and links) the next incident, from another node.
      const second = await sendPanic(r, '127.0.0.5', 'hung-task.log');
      assert.equal(second.kind, 'hung_task');
      assert.match(second.k8s!.reason!, /ECONNREFUSED/);
      assert.equal((await r.list({})).length, 2);
    } finally {
      await r.stop();
    }
  });
});

describe('NodeCache', () => {
  test('lists once per TTL; a miss lists again, at most once per minRefreshMs', async () => {
    let t = 0;
    let lists = 0;
    let nodes = [{ name: 'n1', addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] }];
    const c = new NodeCache(
      async () => (lists++, nodes),
      60_000,
      10_000,
      () => t,
    );
    assert.deepEqual(await c.resolve('10.0.0.1'), { name: 'n1', type: 'InternalIP' });
    assert.equal(await c.resolve('10.0.0.2'), undefined);
    assert.equal(lists, 1, 'a miss right after a list does not list again');
    nodes = [...nodes, { name: 'n2', addresses: [{ type: 'InternalIP', address: '10.0.0.2' }] }];
    t = 10_000;
    assert.deepEqual(await c.resolve('10.0.0.2'), { name: 'n2', type: 'InternalIP' });
    assert.equal(lists, 2, 'a node that joined is found by the refresh on miss');
    t = 15_000;
    assert.deepEqual(await c.resolve('10.0.0.1'), { name: 'n1', type: 'InternalIP' });
    assert.equal(lists, 2, 'a hit within the TTL lists nothing');
    t = 80_000;
    await c.resolve('10.0.0.1');
    assert.equal(lists, 3, 'the TTL expired');
  });

  test('::ffff:-mapped senders and "[v6]:port" senders match', () => {
    assert.equal(senderAddress('[fd00::1]:6665'), 'fd00::1');
    assert.equal(senderAddress('10.0.0.5:6665'), '10.0.0.5');
    assert.deepEqual(
      matchNode([{ name: 'n', addresses: [{ type: 'ExternalIP', address: '10.0.0.5' }] }], '::ffff:10.0.0.5'),
      { name: 'n', type: 'ExternalIP' },
    );
  });
});

describe('netconsole k8s link: API failures, through the real client', () => {
  async function linker(over: { token?: string; timeoutMs?: number; writes?: boolean } = {}) {
    const kubeApi = await createKubeApi({
      kubeconfig: api.kubeconfig(dir, over.token ?? api.token),
      timeoutMs: over.timeoutMs ?? 2_000,
    });
    return new IncidentK8sLinker({
      api: kubeApi,
      writes: over.writes ?? true,
      log: (level, msg) => logs.push({ level, msg }),
    });
  }
  const incident: PanicIncident = {
    id: '0123456789abcdef0123456789abcdef',
    time: '2026-12-06T23:20:01.000Z',
    node: '127.0.0.2',
    sender: '127.0.0.2:6665',
    kind: 'panic',
    reason: 'BUG: kernel NULL pointer dereference, address: 0000000000000008',
    triggers: [],
    context: ['CPU: 1 PID: 4242 Comm: kworker/1:2 Not tainted 6.18.0', 'RIP: 0010:nvme_ns_remove+0x2a/0x1c0'],
    truncated: false,
    endedBy: 'end_marker' as PanicIncident['endedBy'],
  };

  test('401: the record says Unauthorized, one error line, no retry', async () => {
    const l = await linker({ token: 'wrong' });
    const out = await l.link(incident);
    assert.equal(out.k8s!.node, null);
    assert.match(
      out.k8s!.reason!,
      /list nodes: 401 Unauthorized \(service-account token missing, expired or rejected\)/,
    );
    assert.equal(api.requests.length, 1, 'a 401 is not retried');
    const errors = logs.filter((x) => x.level === 'error');
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.msg, /401 Unauthorized/);
  });

  test('403 on the pod list: Node mapped, one error line naming the verb and resource', async () => {
    api.override = (q) =>
      q.path === '/api/v1/pods'
        ? {
            status: 403,
            body: status(
              403,
              'Forbidden',
              'pods is forbidden: User "system:serviceaccount:kerno-system:kerno" cannot list resource "pods" in API group "" at the cluster scope',
              { kind: 'pods' },
            ),
          }
        : undefined;
    const l = await linker({ writes: false });
    const out = await l.link(incident);
    assert.equal(out.k8s!.node, 'node-a');
    assert.equal(out.k8s!.pods, undefined);
    assert.match(
      out.k8s!.reason!,
      /^pod list failed: list pods \(spec\.nodeName=node-a\): 403 Forbidden: RBAC does not allow "list" on "pods"/,
    );
    const errors = logs.filter((x) => x.level === 'error');
    assert.equal(errors.length, 1);
    assert.match(
      errors[0]!.msg,
      /^netconsole k8s: list pods \(spec\.nodeName=node-a\): 403 Forbidden: RBAC does not allow "list" on "pods" .*: pods is forbidden: User "system:serviceaccount:kerno-system:kerno" cannot list resource "pods"/,
    );
    assert.doesNotMatch(errors[0]!.msg, /\n/);
    assert.deepEqual(l.stats().calls, { 'list_nodes ok': 1, 'list_pods forbidden': 1 });
  });

  test('403 on pod patches: the first refusal stops the other patches; Events still go out', async () => {
    api.override = (q) =>
      q.method === 'PATCH' && q.path.includes('/pods/')
        ? {
            status: 403,
            body: status(403, 'Forbidden', 'pods "x" is forbidden: cannot patch resource "pods"'),
          }
        : undefined;
    const l = await linker();
    const out = await l.link(incident);
    assert.equal(api.of('PATCH', '/api/v1/namespaces/').length, 1);
    assert.equal(out.k8s!.writes!.podsAnnotated, 0);
    assert.equal(out.k8s!.writes!.eventsCreated, 4);
    assert.deepEqual(out.k8s!.writes!.errors!.length, 1);
    assert.match(
      out.k8s!.writes!.errors![0]!,
      /patch pods kube-system\/coredns-7c65d6cfc9-x2kq8: 403 Forbidden: RBAC does not allow "patch" on "pods"/,
    );
  });

  test('timeout: a silent API server ends in "no answer", bounded attempts', async () => {
    api.override = () => 'hang';
    const l = await linker({ timeoutMs: 300 });
    const t0 = Date.now();
    const out = await l.link(incident);
    const took = Date.now() - t0;
    assert.equal(out.k8s!.node, null);
    assert.match(out.k8s!.reason!, /list nodes: no answer within 300 ms/);
    assert.equal(api.requests.length, 3, 'three attempts');
    // 3 × 300 ms plus backoff of at most 250 + 500 ms.
    assert.ok(took >= 900 && took < 4_000, `took ${took} ms`);
  });

  test('shutdown with the API silent: the link under way ends at its deadline, the queued ones are given up', async () => {
    api.override = () => 'hang';
    const l = await linker({ timeoutMs: 300 });
    for (const n of [1, 2, 3]) l.enqueue({ ...incident, id: `${incident.id.slice(0, 31)}${n}` });
    await new Promise((res) => setTimeout(res, 50));
    const t0 = Date.now();
    await l.stop();
    const took = Date.now() - t0;
    assert.ok(took < 4_000, `stop took ${took} ms`);
    assert.equal(l.stats().incidents.dropped, 2);
    assert.equal(l.stats().incidents.api_error, 1);
    assert.equal(api.requests.length, 3, 'only the first incident was tried (three attempts)');
  });

  test('a pod deleted since the list (404 on patch): skipped, no Event for it, the others done', async () => {
    api.gone.add('shop/nightly-report-29411520-9qv2d');
    const l = await linker();
    const out = await l.link(incident);
    assert.deepEqual(out.k8s!.writes, {
      podsAnnotated: 2,
      podsGone: 1,
      eventsCreated: 3,
      eventsExisting: 0,
      nodeAnnotated: true,
    });
    assert.ok(![...api.events.values()].some((e) => JSON.stringify(e).includes('nightly-report')));
  });

  test('garbage: a truncated NodeList and a 200 that is no list are "bad_response", not a crash', async () => {
    api.override = (q) =>
      q.path === '/api/v1/nodes'
        ? { status: 200, body: '{"kind":"NodeList","items":[{"metadata":' }
        : undefined;
    const l = await linker();
    const out = await l.link(incident);
    assert.equal(out.k8s!.node, null);
    assert.match(out.k8s!.reason!, /^Node list failed: list nodes: /);
    assert.deepEqual(Object.keys(l.stats().calls), ['list_nodes bad_response']);

    api.override = (q) =>
      q.path === '/api/v1/nodes' ? { status: 200, body: '{"kind":"Status","apiVersion":"v1"}' } : undefined;
    const l2 = await linker();
    const out2 = await l2.link(incident);
    assert.match(out2.k8s!.reason!, /list nodes: the answer is not a NodeList/);
  });

  test('configuration: writes without the link, the link without a listener, no cluster — one-line errors', async () => {
    const c = defaultConfig();
    assert.match(
      netconsoleK8sProblem({ ...c, daemon: { ...c.daemon, netconsole_k8s_writes: true } })!,
      /^daemon\.netconsole_k8s_writes \(--netconsole-k8s-writes\): needs daemon\.netconsole_k8s/,
    );
    assert.match(
      netconsoleK8sProblem({ ...c, daemon: { ...c.daemon, netconsole_k8s: true } })!,
      /needs daemon\.netconsole_listen/,
    );
    await assert.rejects(
      createKubeApi({ timeoutMs: 1000, env: {} }),
      /^KubeApiError: kubernetes client: not in a Kubernetes pod \(no KUBERNETES_SERVICE_HOST\) and no kubeconfig given/,
    );
    await assert.rejects(
      createKubeApi({ timeoutMs: 1000, kubeconfig: join(dir, 'missing.yaml') }),
      /^KubeApiError: kubernetes client: ENOENT/,
    );
  });
});
