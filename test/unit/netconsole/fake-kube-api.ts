// A fake Kubernetes API server for the netconsole k8s link tests (no real API server can run here): HTTPS
// with a self-signed certificate made by openssl for 127.0.0.1, a bearer token required on every request,
// answers in the API's own JSON shapes (NodeList and PodList from test/fixtures/k8s, the created Event echoed
// with server fields, Status objects for errors), and the state a real server keeps for what we test: Events
// by name (a second create of one name is 409 AlreadyExists) and pod/node annotations (merge patch).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FIXTURES = join(import.meta.dirname, '../../fixtures/k8s');
type Obj = Record<string, unknown>;

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  authorization: string | undefined;
  body: unknown;
}

/** What to do with one request instead of the normal answer; undefined = answer normally. */
export type Override = (req: RecordedRequest) => { status: number; body: string } | 'hang' | undefined;

export function status(code: number, reason: string, message: string, details?: Obj): string {
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  });
}

export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  readonly events = new Map<string, Obj>();
  readonly annotations = new Map<string, Record<string, string>>();
  override: Override | undefined;
  readonly nodes = JSON.parse(readFileSync(join(FIXTURES, 'nodelist.json'), 'utf8')) as Obj;
  readonly pods = JSON.parse(readFileSync(join(FIXTURES, 'podlist.json'), 'utf8')) as Obj;
  /** Pods deleted since they were listed: a patch answers 404. */
  readonly gone = new Set<string>();
  private server: Server | undefined;
  private readonly hung: ServerResponse[] = [];
  port = 0;

  constructor(
    private readonly tls: { cert: string; key: string },
    readonly token = 'kerno-test-token',
  ) {}

  async start(): Promise<void> {
    this.server = createServer(this.tls, (req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const r of this.hung) r.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** A kubeconfig for this server, trusting its certificate. */
  kubeconfig(dir: string, token = this.token, port = this.port): string {
    const path = join(dir, `kubeconfig-${port}-${token}.yaml`);
    writeFileSync(
      path,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: fake',
        '  cluster:',
        `    server: https://127.0.0.1:${port}`,
        `    certificate-authority-data: ${Buffer.from(this.tls.cert).toString('base64')}`,
        'users:',
        '- name: kerno',
        '  user:',
        `    token: ${token}`,
        'contexts:',
        '- name: fake',
        '  context:',
        '    cluster: fake',
        '    user: kerno',
        'current-context: fake',
        '',
      ].join('\n'),
    );
    return path;
  }

  of(method: string, pathPrefix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(pathPrefix));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const r: RecordedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      contentType: req.headers['content-type'],
      authorization: req.headers.authorization,
      body,
    };
    this.requests.push(r);
    const send = (code: number, payload: string): void => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(payload);
    };
    const o = this.override?.(r);
    if (o === 'hang') {
      this.hung.push(res);
      return;
    }
    if (o) return send(o.status, o.body);
    if (r.authorization !== `Bearer ${this.token}`)
      return send(401, status(401, 'Unauthorized', 'Unauthorized'));
    const pod = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(r.path);
    const node = /^\/api\/v1\/nodes\/([^/]+)$/.exec(r.path);
    const events = /^\/api\/v1\/namespaces\/([^/]+)\/events$/.exec(r.path);
    if (r.method === 'GET' && r.path === '/api/v1/nodes') return send(200, JSON.stringify(this.nodes));
    if (r.method === 'GET' && r.path === '/api/v1/pods') {
      const sel = r.query.get('fieldSelector') ?? '';
      const m = /^spec\.nodeName=(.+)$/.exec(sel);
      const items = (this.pods.items as Obj[]).filter((p) => !m || (p.spec as Obj).nodeName === m[1]);
      return send(200, JSON.stringify({ ...this.pods, items }));
    }
    if (r.method === 'PATCH' && pod) {
      const [, ns, name] = pod;
      const found = (this.pods.items as Obj[]).find(
        (p) => (p.metadata as Obj).namespace === ns && (p.metadata as Obj).name === name,
      );
      if (!found || this.gone.has(`${ns}/${name}`))
        return send(404, status(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' }));
      if (r.contentType !== 'application/merge-patch+json')
        return send(
          415,
          status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format`),
        );
      const ann = ((body as Obj).metadata as Obj).annotations as Record<string, string>;
      const key = `${ns}/${name}`;
      this.annotations.set(key, { ...this.annotations.get(key), ...ann });
      const meta = { ...(found.metadata as Obj), annotations: this.annotations.get(key) };
      return send(200, JSON.stringify({ kind: 'Pod', apiVersion: 'v1', ...found, metadata: meta }));
    }
    if (r.method === 'PATCH' && node) {
      const name = node[1]!;
      const found = (this.nodes.items as Obj[]).find((n) => (n.metadata as Obj).name === name);
      if (!found)
        return send(404, status(404, 'NotFound', `nodes "${name}" not found`, { name, kind: 'nodes' }));
      if (r.contentType !== 'application/merge-patch+json')
        return send(
          415,
          status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format`),
        );
      const ann = ((body as Obj).metadata as Obj).annotations as Record<string, string>;
      const key = `node/${name}`;
      this.annotations.set(key, { ...this.annotations.get(key), ...ann });
      return send(200, JSON.stringify({ kind: 'Node', apiVersion: 'v1', ...found }));
    }
    if (r.method === 'POST' && events) {
      const ev = body as Obj;
      const name = String((ev.metadata as Obj).name);
      const key = `${events[1]}/${name}`;
      if (this.events.has(key))
        return send(
          409,
          status(409, 'AlreadyExists', `events "${name}" already exists`, { name, kind: 'events' }),
        );
      const created = {
        kind: 'Event',
        apiVersion: 'v1',
        ...ev,
        metadata: {
          ...(ev.metadata as Obj),
          uid: `00000000-0000-4000-8000-${String(this.events.size).padStart(12, '0')}`,
          resourceVersion: String(184100 + this.events.size),
          creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        },
      };
      this.events.set(key, created);
      return send(201, JSON.stringify(created));
    }
    send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
  }
}

/** A self-signed certificate for 127.0.0.1 (openssl), in a temp dir removed at once. */
export function selfSignedCert(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kerno-test-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-sha256',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'pipe' },
    );
    return {
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
