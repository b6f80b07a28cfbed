// `kubectl kerno doctor` (bin/kubectl-kerno.ts as a child process) against a fake Kubernetes API server:
// HTTPS with a certificate made here by openssl, a bearer token required, v1 NodeList / Node / PodList / Pod
// / Secret / Status objects in the shapes of the Kubernetes API reference, and the pod proxy
// (…/pods/<name>:<port>/proxy/<path>) forwarding to a real `kerno start` on this host — stripping the
// caller's Authorization as the real API server does. The API server is the one thing faked (no cluster
// exists here); the daemon, its BPF programs and its findings are real.
//
// Cluster: node-a runs a kerno pod whose daemon is up; node-b's kerno pod points at a port nothing listens
// on (a daemon that is down). Pod shop/web runs on node-a, its UID in the name of a real v1 memory cgroup
// holding 56 MiB of a 64 MiB limit (memory_limit_pressure, 87.5 % ≥ 85 %); shop/idle runs on node-a too
// and owns nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { request as httpRequest } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { requireKernel } from '../helpers/kernel.js';
import { get, startDaemon, type DaemonProcess } from './daemon-harness.js';
import { packageRoot } from '../../src/bpf/paths.js';

requireKernel();

const NS = 'kerno-system';
const API_TOKEN = `api-${randomBytes(8).toString('hex')}`;
const DAEMON_TOKEN = `daemon-${randomBytes(8).toString('hex')}`;
const V1_MEMORY = '/sys/fs/cgroup/memory';
const MiB = 1024 * 1024;

interface FakePod {
  namespace: string;
  name: string;
  uid: string;
  node: string;
  labels: Record<string, string>;
  ip: string;
  port?: number;
}

function podObject(p: FakePod): object {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      uid: p.uid,
      resourceVersion: '1001',
      creationTimestamp: '2026-12-06T20:00:00Z',
      labels: p.labels,
    },
    spec: {
      nodeName: p.node,
      containers: [
        {
          name: p.port ? 'kerno' : 'app',
          image: 'example/app:1',
          ...(p.port ? { ports: [{ name: 'metrics', containerPort: p.port, protocol: 'TCP' }] } : {}),
        },
      ],
    },
    status: { phase: 'Running', hostIP: p.ip, podIP: p.ip, podIPs: [{ ip: p.ip }] },
  };
}

function status(code: number, reason: string, message: string, details?: object): object {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

/** The fake API server: what it was asked (path and headers), for the assertions. */
interface FakeApi {
  server: Server;
  url: string;
  requests: { path: string; auth?: string; kernoAuth?: string; proxiedAuth?: string }[];
}

async function startFakeApi(pods: FakePod[], nodes: string[], cert: Buffer, key: Buffer): Promise<FakeApi> {
  const requests: FakeApi['requests'] = [];
  const server = createHttpsServer({ cert, key }, (req, res) => {
    const send = (code: number, body: object): void => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const u = new URL(req.url ?? '/', 'https://x');
    const rec: FakeApi['requests'][number] = { path: u.pathname + u.search };
    if (req.headers.authorization) rec.auth = req.headers.authorization;
    if (typeof req.headers['x-kerno-authorization'] === 'string')
      rec.kernoAuth = req.headers['x-kerno-authorization'];
    requests.push(rec);
    if (req.headers.authorization !== `Bearer ${API_TOKEN}`)
      return send(401, status(401, 'Unauthorized', 'Unauthorized'));
    const path = u.pathname.split('/').map(decodeURIComponent);
    // /api/v1/nodes[/name]
    if (u.pathname === '/api/v1/nodes')
      return send(200, {
        kind: 'NodeList',
        apiVersion: 'v1',
        metadata: { resourceVersion: '1001' },
        items: nodes.map((n) => ({ metadata: { name: n, uid: randomUUID() }, spec: {}, status: {} })),
      });
    if (path[3] === 'nodes' && path.length === 5) {
      const n = path[4]!;
      if (!nodes.includes(n))
        return send(404, status(404, 'NotFound', `nodes "${n}" not found`, { name: n, kind: 'nodes' }));
      return send(200, { kind: 'Node', apiVersion: 'v1', metadata: { name: n }, spec: {}, status: {} });
    }
    if (path[3] === 'namespaces' && path[5] === 'secrets' && path.length === 7) {
      if (path[4] === NS && path[6] === 'kerno-metrics-token')
        return send(200, {
          kind: 'Secret',
          apiVersion: 'v1',
          metadata: { name: path[6], namespace: NS },
          type: 'Opaque',
          data: { token: Buffer.from(DAEMON_TOKEN).toString('base64') },
        });
      return send(404, status(404, 'NotFound', `secrets "${path[6]}" not found`));
    }
    if (path[3] === 'namespaces' && path[5] === 'pods') {
      const ns = path[4]!;
      if (path.length === 6) {
        // List: labelSelector equality terms and the spec.nodeName field selector, as the API server does.
        const terms = (u.searchParams.get('labelSelector') ?? '').split(',').filter((t) => t !== '');
        const field = u.searchParams.get('fieldSelector');
        const node = field?.startsWith('spec.nodeName=') ? field.slice('spec.nodeName='.length) : undefined;
        if (field && node === undefined)
          return send(400, status(400, 'BadRequest', `bad field selector ${field}`));
        const items = pods.filter(
          (p) =>
            p.namespace === ns &&
            (node === undefined || p.node === node) &&
            terms.every((t) => {
              const [k, v] = t.split('=');
              return p.labels[k!] === v;
            }),
        );
        return send(200, {
          kind: 'PodList',
          apiVersion: 'v1',
          metadata: { resourceVersion: '1001' },
          items: items.map(podObject),
        });
      }
      const [name, port] = path[6]!.split(':');
      const pod = pods.find((p) => p.namespace === ns && p.name === name);
      if (!pod) return send(404, status(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' }));
      if (path.length === 7) return send(200, podObject(pod));
      if (path[7] === 'proxy') {
        // The real API server consumes the caller's Authorization and does not forward it.
        const headers = { ...req.headers };
        delete headers.authorization;
        delete headers.host;
        const target = `http://${pod.ip}:${port}/${path.slice(8).join('/')}`;
        const up = httpRequest(target, { method: 'GET', headers, agent: false }, (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        });
        up.on('error', (err: NodeJS.ErrnoException) =>
          send(
            503,
            status(
              503,
              'ServiceUnavailable',
              `error trying to reach service: dial tcp ${pod.ip}:${port}: connect: ${err.code === 'ECONNREFUSED' ? 'connection refused' : err.message}`,
            ),
          ),
        );
        up.end();
        return;
      }
    }
    send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { server, url: `https://127.0.0.1:${port}`, requests };
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function plugin(args: string[], env: Record<string, string>): Promise<Run> {
  const root = packageRoot();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'bin', 'kubectl-kerno.ts'), ...args],
      {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent-home', NO_COLOR: '1', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('kubectl kerno doctor through a fake API server to real daemons', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kerno-test-kubectl-'));
  const webUid = randomUUID();
  const cgroupDir = `${V1_MEMORY}/kerno-test-kubectl-${process.pid}-pod${webUid}`;
  let daemon: DaemonProcess | undefined;
  let api: FakeApi | undefined;
  let hog: ChildProcess | undefined;
  let env: Record<string, string> = {};

  before(async () => {
    // The API server's certificate, self-signed for 127.0.0.1: the kubeconfig trusts it as its CA.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=kerno-test-apiserver',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const tokenFile = join(dir, 'daemon-token');
    writeFileSync(tokenFile, `${DAEMON_TOKEN}\n`);
    chmodSync(tokenFile, 0o600);

    // shop/web's cgroup: 56 MiB charged against a 64 MiB limit (v1 charges what is allocated after the move).
    mkdirSync(cgroupDir);
    writeFileSync(`${cgroupDir}/memory.limit_in_bytes`, String(64 * MiB));
    hog = spawn(
      process.execPath,
      [
        '-e',
        "process.stdout.write('ready\\n'); process.stdin.once('data', () => { globalThis.held = Buffer.alloc(56 * 1024 * 1024, 1); process.stdout.write('held\\n'); setInterval(() => {}, 1e6); });",
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: hog.stdout! });
    const seen = (word: string): Promise<void> =>
      new Promise((resolve) => lines.on('line', (l) => l === word && resolve()));
    await seen('ready');
    writeFileSync(`${cgroupDir}/cgroup.procs`, String(hog.pid));
    hog.stdin!.write('go\n');
    await seen('held');

    daemon = await startDaemon({ args: ['--interval', '3s', '--metrics-token-file', tokenFile] });
    const port = Number(new URL(daemon.url).port);
    // The first window that saw the cgroup: /findings answers 200 once a window completed.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await get(`${daemon.url}/findings`, { Authorization: `Bearer ${DAEMON_TOKEN}` });
      if (r.status === 200 && r.body.includes(webUid)) break;
      if (Date.now() > deadline) throw new Error(`no window naming the cgroup within 60 s: ${r.status}`);
      await new Promise((res) => setTimeout(res, 500));
    }

    const kerno = { 'app.kubernetes.io/name': 'kerno', 'app.kubernetes.io/component': 'daemon' };
    const pods: FakePod[] = [
      {
        namespace: NS,
        name: 'kerno-aaaaa',
        uid: randomUUID(),
        node: 'node-a',
        labels: kerno,
        ip: '127.0.0.1',
        port,
      },
      {
        namespace: NS,
        name: 'kerno-bbbbb',
        uid: randomUUID(),
        node: 'node-b',
        labels: kerno,
        ip: '127.0.0.1',
        port: await freePort(),
      },
      { namespace: 'shop', name: 'web', uid: webUid, node: 'node-a', labels: { app: 'web' }, ip: '10.0.0.7' },
      {
        namespace: 'shop',
        name: 'idle',
        uid: randomUUID(),
        node: 'node-a',
        labels: { app: 'idle' },
        ip: '10.0.0.8',
      },
    ];
    const cert = readFileSync(join(dir, 'cert.pem'));
    api = await startFakeApi(pods, ['node-a', 'node-b'], cert, readFileSync(join(dir, 'key.pem')));
    const kubeconfig = join(dir, 'config');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: test',
        'clusters:',
        '- name: fake',
        '  cluster:',
        `    server: ${api.url}`,
        `    certificate-authority-data: ${cert.toString('base64')}`,
        'contexts:',
        '- name: test',
        '  context: {cluster: fake, user: tester}',
        '- name: wrong-token',
        '  context: {cluster: fake, user: nobody}',
        'users:',
        '- name: tester',
        `  user: {token: ${API_TOKEN}}`,
        '- name: nobody',
        '  user: {token: not-the-token}',
        '',
      ].join('\n'),
    );
    // KUBECONFIG as a list: the first file is read.
    env = { KUBECONFIG: `${kubeconfig}:/nonexistent/second` };
  });

  after(async () => {
    await daemon?.stop();
    if (hog && hog.exitCode === null) {
      const exited = new Promise((r) => hog!.once('exit', r));
      hog.kill('SIGKILL');
      await exited;
    }
    try {
      rmdirSync(cgroupDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    await new Promise<void>((r) => (api ? api.server.close(() => r()) : r()));
    rmSync(dir, { recursive: true, force: true });
  });

  test("--all-nodes -o json: node-a has the daemon's report, node-b says unreachable, exit 1", async () => {
    const r = await plugin(['doctor', '--all-nodes', '-o', 'json'], env);
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      nodes: {
        node: string;
        pod?: string;
        report?: { schemaVersion: number; findings: { rule: string; subject: string }[] };
        error?: string;
      }[];
    };
    assert.deepEqual(
      doc.nodes.map((n) => n.node),
      ['node-a', 'node-b'],
    );
    const [a, b] = doc.nodes;
    assert.equal(a!.pod, `${NS}/kerno-aaaaa`);
    assert.equal(a!.report?.schemaVersion, 2);
    assert.ok(
      a!.report.findings.some((f) => f.rule === 'memory_limit_pressure' && f.subject.includes(webUid)),
      `node-a's findings: ${JSON.stringify(a!.report.findings.map((f) => [f.rule, f.subject]))}`,
    );
    assert.equal(b!.report, undefined);
    assert.match(
      b!.error ?? '',
      /^unreachable: pod kerno-system\/kerno-bbbbb: API server: HTTP 503: error trying to reach service: dial tcp 127\.0\.0\.1:\d+: connect: connection refused$/,
    );
    assert.equal(r.stderr, '');
    // The daemon's token went in X-Kerno-Authorization (from the Secret); the API server's in Authorization.
    const proxied = api!.requests.filter((q) => q.path.includes('/proxy/findings'));
    assert.equal(proxied.length, 2);
    for (const q of proxied) {
      assert.equal(q.auth, `Bearer ${API_TOKEN}`);
      assert.equal(q.kernoAuth, `Bearer ${DAEMON_TOKEN}`);
    }
  });

  test("--node node-a -o pretty and -o md: one section with the local doctor's report, exit 0", async () => {
    const pretty = await plugin(['doctor', '--node', 'node-a'], env);
    assert.equal(pretty.code, 0, pretty.stderr);
    assert.match(pretty.stdout, /^━━ node node-a · pod kerno-system\/kerno-aaaaa ━+$/m);
    assert.match(pretty.stdout, /memory_limit_pressure|memory limit/i);
    assert.ok(pretty.stdout.includes(webUid), 'the finding names the cgroup');
    assert.doesNotMatch(pretty.stdout, /node-b/);
    const md = await plugin(['doctor', '--node', 'node-a', '-o', 'md'], env);
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /^# Node node-a \(kerno pod kerno-system\/kerno-aaaaa\)$/m);
    assert.match(md.stdout, /^### Findings: /m);
    const b = await plugin(['doctor', '--node', 'node-b', '-o', 'md'], env);
    assert.equal(b.code, 1);
    assert.match(b.stdout, /^> ❌ \*\*unreachable: .*connection refused\*\*$/m);
  });

  test('--pod: the findings naming the pod (by its UID in the cgroup path), none for another pod', async () => {
    const web = await plugin(['doctor', '--pod', 'shop/web', '-o', 'json'], env);
    assert.equal(web.code, 0, web.stderr);
    const doc = JSON.parse(web.stdout) as {
      pod: { namespace: string; name: string };
      nodes: {
        node: string;
        report: {
          findings: { rule: string; subject: string }[];
          summary: { warning: number; critical: number; info: number };
        };
      }[];
    };
    assert.deepEqual(doc.pod, { namespace: 'shop', name: 'web' });
    assert.equal(doc.nodes.length, 1);
    assert.equal(doc.nodes[0]!.node, 'node-a');
    const findings = doc.nodes[0]!.report.findings;
    assert.ok(findings.length >= 1);
    for (const f of findings)
      assert.ok(JSON.stringify(f).includes(webUid), `${f.rule} ${f.subject} does not name the pod`);
    assert.ok(findings.some((f) => f.rule === 'memory_limit_pressure'));
    const s = doc.nodes[0]!.report.summary;
    assert.equal(s.warning + s.critical + s.info, findings.length);

    const idle = await plugin(['doctor', '--pod', 'shop/idle', '-o', 'json'], env);
    assert.equal(idle.code, 0, idle.stderr);
    const idleDoc = JSON.parse(idle.stdout) as { nodes: { report: { findings: unknown[] } }[] };
    assert.deepEqual(idleDoc.nodes[0]!.report.findings, []);
  });

  test('--pod of a pod that does not exist, --node of a node that does not exist: one line, exit 1', async () => {
    const r = await plugin(['doctor', '--pod', 'shop/nope'], env);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'kubectl-kerno: pod shop/nope not found\n');
    const n = await plugin(['doctor', '--node', 'node-z'], env);
    assert.equal(n.code, 1);
    assert.equal(n.stderr, 'kubectl-kerno: node node-z not found\n');
  });

  test('bad kubeconfigs and credentials: one line each, no stack trace', async () => {
    const broken = join(dir, 'broken');
    writeFileSync(broken, 'clusters: [\n');
    const cases: { args: string[]; env?: Record<string, string>; code: number; line: RegExp }[] = [
      {
        args: ['--kubeconfig', join(dir, 'missing')],
        code: 3,
        line: /^kubectl-kerno: kubeconfig \S+missing: cannot read: no such file$/,
      },
      { args: ['--kubeconfig', broken], code: 3, line: /^kubectl-kerno: kubeconfig \S+broken: not YAML: / },
      {
        args: ['--context', 'nope'],
        code: 3,
        line: /^kubectl-kerno: kubeconfig \S+config: no context named "nope" in contexts$/,
      },
      {
        args: ['--context', 'wrong-token'],
        code: 1,
        line: /^kubectl-kerno: API server https:\/\/127\.0\.0\.1:\d+: GET \/api\/v1\/nodes\/node-a: HTTP 401: Unauthorized$/,
      },
      {
        args: [],
        env: { KUBECONFIG: '', HOME: join(dir, 'no-home') },
        code: 3,
        line: /^kubectl-kerno: kubeconfig \S+no-home\/\.kube\/config: cannot read: no such file$/,
      },
    ];
    for (const c of cases) {
      const r = await plugin(['doctor', '--node', 'node-a', ...c.args], { ...env, ...c.env });
      assert.equal(r.code, c.code, `${c.args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
      assert.match(r.stderr.trimEnd(), c.line);
      assert.equal(r.stdout, '');
    }
  });

  test('a CA that did not sign the server certificate is refused, naming TLS', async () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=kerno-test-other-ca',
        '-keyout',
        join(dir, 'other-key.pem'),
        '-out',
        join(dir, 'other-cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const other = join(dir, 'other');
    const cfg = readFileSync(join(dir, 'config'), 'utf8').replace(
      /certificate-authority-data: \S+/,
      `certificate-authority-data: ${readFileSync(join(dir, 'other-cert.pem')).toString('base64')}`,
    );
    writeFileSync(other, cfg);
    const r = await plugin(['doctor', '--node', 'node-a', '--kubeconfig', other], env);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^kubectl-kerno: API server https:\/\/127\.0\.0\.1:\d+: GET \/api\/v1\/nodes\/node-a: TLS: the server's certificate is not signed by the kubeconfig's certificate-authority \(\w+\)\n$/,
    );
    assert.equal(r.stdout, '');
  });
});
