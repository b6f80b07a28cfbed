import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DaemonClientError, fetchFindings, findingsUrl } from '../../../src/daemon/client.js';
import { SCHEMA_VERSION } from '../../../src/signals.js';

const report = {
  schemaVersion: SCHEMA_VERSION,
  tool: { name: 'kerno', version: '1' },
  findings: [],
  summary: { critical: 0, warning: 0, info: 0, eventsCollected: 0 },
  coverage: [],
};

describe('findingsUrl', () => {
  test('adds the scheme and /findings where missing; keeps another path', () => {
    assert.equal(findingsUrl('10.0.0.5:9090'), 'http://10.0.0.5:9090/findings');
    assert.equal(findingsUrl('http://h:9090'), 'http://h:9090/findings');
    assert.equal(findingsUrl('http://h:9090/'), 'http://h:9090/findings');
    assert.equal(findingsUrl('https://proxy/kerno/node-a/findings'), 'https://proxy/kerno/node-a/findings');
    assert.throws(
      () => findingsUrl('ftp://h/'),
      (e: Error) => e instanceof DaemonClientError && e.kind === 'bad_url',
    );
    assert.throws(() => findingsUrl('http://[bad'), /is not a URL/);
  });
});

describe('fetchFindings', () => {
  let server: Server;
  let base: string;
  let lastAuth: string | undefined;
  before(async () => {
    server = createServer((req, res) => {
      lastAuth = req.headers.authorization;
      const send = (status: number, body: string, type = 'application/json') => {
        res.writeHead(status, { 'Content-Type': type });
        res.end(body);
      };
      switch (req.url) {
        case '/findings':
          return send(200, JSON.stringify(report));
        case '/auth/findings':
          return req.headers.authorization === 'Bearer good'
            ? send(200, JSON.stringify(report))
            : send(401, '{"error":"bearer token required"}');
        case '/pending/findings':
          return send(
            503,
            '{"status":"pending","message":"no diagnosis window has completed yet; the first completes in 42s"}',
          );
        case '/html/findings':
          return send(200, '<html>hello</html>', 'text/html');
        case '/v2/findings':
          return send(200, JSON.stringify({ ...report, schemaVersion: SCHEMA_VERSION + 1 }));
        case '/notreport/findings':
          return send(200, '{"hello":"world"}');
        case '/boom/findings':
          return send(500, '{"error":"internal error (see the kerno log)"}');
        case '/hang/findings':
          return; // never answers
        default:
          return send(404, '{"error":"not found"}');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const fails = async (url: string, kind: DaemonClientError['kind'], re: RegExp, opts = {}) => {
    await assert.rejects(fetchFindings(url, opts), (e: Error) => {
      assert.ok(e instanceof DaemonClientError, `not a DaemonClientError: ${e}`);
      assert.equal(e.kind, kind);
      assert.match(e.message, re);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    });
  };

  test('a daemon report comes back as a Report', async () => {
    const r = await fetchFindings(base);
    assert.equal(r.schemaVersion, SCHEMA_VERSION);
    assert.equal(lastAuth, undefined);
  });

  test('the token is sent as a bearer header; 401 says whether one was missing or wrong', async () => {
    assert.equal((await fetchFindings(`${base}/auth/findings`, { token: 'good' })).tool.name, 'kerno');
    assert.equal(lastAuth, 'Bearer good');
    await fails(`${base}/auth/findings`, 'unauthorized', /401 Unauthorized: a bearer token is required/);
    await fails(`${base}/auth/findings`, 'unauthorized', /the bearer token was rejected/, { token: 'bad' });
  });

  test('connection refused names the address and what to check', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    await fails(
      `127.0.0.1:${port}`,
      'unreachable',
      new RegExp(`^kerno daemon at http://127\\.0\\.0\\.1:${port}/findings: connection refused`),
    );
  });

  test('503 before the first window, non-JSON, wrong schema, other HTTP errors, timeout', async () => {
    await fails(
      `${base}/pending/findings`,
      'not_ready',
      /not ready: no diagnosis window has completed yet; the first completes in 42s/,
    );
    await fails(`${base}/html/findings`, 'not_json', /not JSON \(text\/html\): is this a kerno daemon\?/);
    await fails(
      `${base}/v2/findings`,
      'schema',
      new RegExp(
        `report has schemaVersion ${SCHEMA_VERSION + 1}; this kerno reads schemaVersion ${SCHEMA_VERSION}`,
      ),
    );
    await fails(`${base}/notreport/findings`, 'schema', /report has no schemaVersion/);
    await fails(`${base}/boom/findings`, 'http', /HTTP 500: internal error/);
    await fails(`${base}/elsewhere/findings`, 'http', /HTTP 404.*is this a kerno daemon\?/);
    await fails(`${base}/hang/findings`, 'timeout', /no answer within 0\.2s/, { timeoutMs: 200 });
  });
});
