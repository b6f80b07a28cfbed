// A stand-in kubelet for tests (no real one can run here): HTTPS with a certificate from a throw-away CA made
// by the openssl CLI, GET /pods answering what the test sets, and a bearer token required like the real
// kubelet's webhook authentication (401 without it).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type FakeAnswer =
  { kind: 'pods'; body: string } | { kind: 'status'; status: number } | { kind: 'hang' };

export interface FakeKubelet {
  url: string;
  dir: string;
  caFile: string;
  tokenFile: string;
  /** A CA that did not sign the server's certificate. */
  otherCaFile: string;
  answer: FakeAnswer;
  requests: number;
  close(): Promise<void>;
}

export const TOKEN = 'kerno-test-token.eyJhbGciOiJSUzI1NiJ9';

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '1',
    '-subj',
    `/CN=kerno-test-${name}`,
  ]);
}

/** CA, then a serving certificate for localhost / 127.0.0.1 signed by it (as a kubelet's would be). */
function makeCerts(dir: string): void {
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  openssl(dir, [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=kerno-test-kubelet',
  ]);
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '1',
    '-extfile',
    'server.ext',
  ]);
}

export async function startFakeKubelet(answer: FakeAnswer): Promise<FakeKubelet> {
  const dir = mkdtempSync(join(tmpdir(), 'kerno-test-kubelet-'));
  makeCerts(dir);
  writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
  const hung: Array<() => void> = [];
  const fake: FakeKubelet = {
    url: '',
    dir,
    caFile: join(dir, 'ca.crt'),
    tokenFile: join(dir, 'token'),
    otherCaFile: join(dir, 'other-ca.crt'),
    answer,
    requests: 0,
    close: async () => {
      for (const end of hung) end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const server = https.createServer(
    { key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.crt')) },
    (req, res) => {
      fake.requests++;
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401, { 'Content-Type': 'text/plain' }).end('Unauthorized');
        return;
      }
      if (req.method !== 'GET' || req.url !== '/pods') {
        res.writeHead(404).end('404 page not found');
        return;
      }
      const a = fake.answer;
      if (a.kind === 'hang') {
        hung.push(() => res.destroy());
        return;
      }
      if (a.kind === 'status') {
        res.writeHead(a.status).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(a.body);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

export const PODS_JSON = readFileSync(new URL('../../fixtures/k8s/pods.json', import.meta.url), 'utf8');

/** The fixture without the pod named `name` (it was deleted from the node). */
export function podsWithout(name: string): string {
  const list = JSON.parse(PODS_JSON) as { items: Array<{ metadata: { name: string } }> };
  list.items = list.items.filter((p) => p.metadata.name !== name);
  return JSON.stringify(list);
}
