import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DaemonClientError, fetchFindings, findingsUrl } from '../../../src/daemon/client.js';
import { SCHEMA_VERSION } from '../../../src/signals/types.js';
import { fullReport } from '../../fixtures/render/report.js';

const report = fullReport();

describe('findingsUrl', () => {
  test('adds the scheme and /findings where missing; keeps another path', () => {
    assert.equal(findingsUrl('10.0.0.5:9733'), 'http://10.0.0.5:9733/findings');
    assert.equal(findingsUrl('http://h:9733'), 'http://h:9733/findings');
    assert.equal(findingsUrl('http://h:9733/'), 'http://h:9733/findings');
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
    await fails(`${base}/hang/findings`, 'timeout', /no complete answer within 0\.2s/, { timeoutMs: 200 });
  });
});

describe('fetchFindings against a hostile server (issue 15 items 10-13)', () => {
  let server: Server;
  let base: string;
  before(async () => {
    server = createServer((req, res) => {
      switch (req.url) {
        case '/endless/findings': {
          // chunked, never ending: must be cut at the cap, not buffered
          res.writeHead(200, { 'Content-Type': 'application/json' });
          const chunk = Buffer.alloc(64 * 1024, 0x20);
          const pump = (): void => {
            while (!res.destroyed && res.write(chunk));
            if (!res.destroyed) res.once('drain', pump);
          };
          return pump();
        }
        case '/declared-huge/findings':
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(2 ** 31) });
          return res.write('{');
        case '/drip/findings': {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          const t = setInterval(() => (res.destroyed ? clearInterval(t) : res.write(' ')), 50);
          return;
        }
        case '/bad-report/findings':
          res.writeHead(200, { 'Content-Type': 'application/json' });
          return res.end(`{"schemaVersion":${SCHEMA_VERSION},"findings":[{}],"summary":{},"coverage":[{}]}`);
        case '/ansi/findings':
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          return res.end(`\x1b[2J\x1b]0;owned\x07line one\nline two\r\x1b[31mred${'A'.repeat(100_000)}`);
        case '/loop/findings':
          res.writeHead(302, { Location: '/loop/findings' });
          return res.end();
        default:
          res.writeHead(404);
          return res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const cases: {
    name: string;
    url: () => string;
    opts?: Parameters<typeof fetchFindings>[1];
    kind: DaemonClientError['kind'];
    re: RegExp;
  }[] = [
    {
      name: 'an endless chunked body is cut at the cap',
      url: () => `${base}/endless/findings`,
      opts: { maxBytes: 1024 * 1024 },
      kind: 'too_large',
      re: /the answer is larger than 1 MiB/,
    },
    {
      name: 'a declared length over the cap is refused before reading',
      url: () => `${base}/declared-huge/findings`,
      kind: 'too_large',
      re: /larger than 16 MiB/,
    },
    {
      name: 'a dripping body hits the one deadline',
      url: () => `${base}/drip/findings`,
      opts: { timeoutMs: 300 },
      kind: 'timeout',
      re: /no complete answer within 0\.3s/,
    },
    {
      name: 'a report that fails the schema names the field',
      url: () => `${base}/bad-report/findings`,
      kind: 'schema',
      re: /invalid report: \w+(\.\w+)*: /,
    },
    {
      name: 'remote error text loses its escapes and is capped',
      url: () => `${base}/ansi/findings`,
      kind: 'http',
      re: /HTTP 500: line one line two redA+…$/,
    },
    {
      name: 'a redirect loop says redirect',
      url: () => `${base}/loop/findings`,
      kind: 'http',
      re: /HTTP 302 redirect to \/loop\/findings: kerno does not follow redirects/,
    },
    {
      name: 'a refused connection says so (on a port fetch() would call bad)',
      url: () => 'http://127.0.0.1:6666',
      kind: 'unreachable',
      re: /connection refused/,
    },
    { name: 'an empty URL', url: () => '', kind: 'bad_url', re: /empty URL/ },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      await assert.rejects(fetchFindings(c.url(), c.opts), (e: Error) => {
        assert.ok(e instanceof DaemonClientError, `not a DaemonClientError: ${e}`);
        assert.equal(e.kind, c.kind, e.message);
        assert.match(e.message, c.re);
        // eslint-disable-next-line no-control-regex -- looking for control characters
        assert.ok(!/[\n\r\x1b\x07]/.test(e.message), 'one line, no control characters');
        assert.ok(e.message.length < 400, `capped (${e.message.length} chars)`);
        return true;
      });
    });
  }
});
