// The webhook sink against a real local HTTP receiver: every incident arrives at least once with its stable
// id, including incidents recorded while the receiver was down and while kerno itself was stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IncidentStore } from '../../../src/netconsole/store.js';
import {
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  WebhookSink,
  WEBHOOK_CURSOR_FILE,
} from '../../../src/netconsole/webhook.js';
import { incidentId, type PanicIncident } from '../../../src/netconsole/incident.js';
import { waitFor } from './fixtures.js';

const FAST = { baseMs: 20, maxMs: 200, jitter: 0 };

function incident(n: number): PanicIncident {
  const reason = `Kernel panic - not syncing: Fatal exception #${n}`;
  const time = new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString();
  return {
    id: incidentId('node-a', 'panic', reason, time),
    time,
    node: 'node-a',
    sender: '10.0.0.5:6665',
    kind: 'panic',
    reason,
    triggers: [reason],
    context: ['Call Trace:'],
    truncated: false,
    endedBy: 'end-marker',
  };
}

interface Hook {
  server: Server;
  port: number;
  received: { id: string; header: string | undefined }[];
  close(): Promise<void>;
}

async function hookServer(port = 0, status: (n: number) => number = () => 200): Promise<Hook> {
  const received: Hook['received'] = [];
  let n = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const code = status(n++);
      if (code === 200) {
        const inc = JSON.parse(body) as PanicIncident;
        received.push({ id: inc.id, header: req.headers['idempotency-key'] as string | undefined });
      }
      res.writeHead(code).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function freePort(): Promise<number> {
  const h = await hookServer();
  await h.close();
  return h.port;
}

test('incidents recorded while the webhook receiver is down are delivered once it is up, with stable ids', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kerno-test-webhook-'));
  const store = await IncidentStore.open(dir);
  const port = await freePort();
  const sink = new WebhookSink({
    url: `http://127.0.0.1:${port}/panics`,
    store,
    backoff: FAST,
    timeoutMs: 2_000,
  });
  let hook: Hook | undefined;
  try {
    // two incidents from before the sink existed (kerno was down), two while the receiver is down
    await store.append(incident(1));
    await store.append(incident(2));
    await sink.start();
    await store.append(incident(3));
    await store.append(incident(4));
    await waitFor(() => sink.stats().failures >= 2, 10_000, 'failed attempts against the down receiver');
    assert.equal(sink.stats().delivered, 0);
    hook = await hookServer(port);
    await waitFor(() => sink.stats().delivered >= 4, 15_000, 'all four delivered');
    await store.append(incident(5));
    await sink.idle();
    const ids = [1, 2, 3, 4, 5].map((n) => incident(n).id);
    assert.deepEqual([...new Set(hook.received.map((r) => r.id))], ids, 'every incident, in recorded order');
    assert.ok(
      hook.received.every((r) => r.header === r.id),
      'Idempotency-Key carries the stable id',
    );
    const cursor = JSON.parse(readFileSync(join(dir, WEBHOOK_CURSOR_FILE), 'utf8')) as {
      deliveredUpTo: number;
    };
    assert.equal(cursor.deliveredUpTo, store.endOffset);
  } finally {
    await sink.stop();
    await hook?.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the cursor survives a restart: only incidents after it are sent, including ones recorded while kerno was stopped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kerno-test-webhook-'));
  const hook = await hookServer();
  const url = `http://127.0.0.1:${hook.port}/`;
  try {
    let store = await IncidentStore.open(dir);
    let sink = new WebhookSink({ url, store, backoff: FAST });
    await sink.start();
    await store.append(incident(1));
    await store.append(incident(2));
    await sink.idle();
    await sink.stop();
    await store.close();
    // kerno is down; the receiver side records (another process, same store file)
    store = await IncidentStore.open(dir);
    await store.append(incident(3));
    sink = new WebhookSink({ url, store, backoff: FAST });
    await sink.start();
    await sink.idle();
    await sink.stop();
    await store.close();
    assert.deepEqual(
      hook.received.map((r) => r.id),
      [1, 2, 3].map((n) => incident(n).id),
    );
  } finally {
    await hook.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a full in-memory queue drops (counted) but the store refills it: nothing is lost', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kerno-test-webhook-'));
  const store = await IncidentStore.open(dir);
  let ok = false;
  const hook = await hookServer(0, () => (ok ? 200 : 503));
  const sink = new WebhookSink({ url: `http://127.0.0.1:${hook.port}/`, store, backoff: FAST, maxQueue: 2 });
  try {
    await sink.start();
    for (let n = 1; n <= 8; n++) await store.append(incident(n));
    await waitFor(() => sink.stats().failures >= 1, 10_000, 'a 503');
    assert.ok(sink.stats().dropped >= 1, `dropped ${sink.stats().dropped}`);
    assert.ok(sink.stats().queued <= 2);
    ok = true;
    await waitFor(() => sink.stats().delivered >= 8, 15_000, 'eight delivered');
    await sink.idle();
    assert.deepEqual(
      [...new Set(hook.received.map((r) => r.id))],
      [1, 2, 3, 4, 5, 6, 7, 8].map((n) => incident(n).id),
    );
  } finally {
    await sink.stop();
    await hook.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a 4xx refusal is not retried forever: the incident is skipped and the next one delivered', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kerno-test-webhook-'));
  const store = await IncidentStore.open(dir);
  const hook = await hookServer(0, (n) => (n === 0 ? 400 : 200));
  const sink = new WebhookSink({ url: `http://127.0.0.1:${hook.port}/`, store, backoff: FAST });
  try {
    await sink.start();
    await store.append(incident(1));
    await store.append(incident(2));
    await sink.idle();
    assert.equal(sink.stats().rejected, 1);
    assert.deepEqual(
      hook.received.map((r) => r.id),
      [incident(2).id],
    );
  } finally {
    await sink.stop();
    await hook.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad webhook URLs are refused up front', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kerno-test-webhook-'));
  const store = await IncidentStore.open(dir);
  try {
    assert.throws(() => new WebhookSink({ url: 'not a url', store }), /invalid webhook URL/);
    assert.throws(() => new WebhookSink({ url: 'ftp://x/', store }), /only http/);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every attempt gets the timeout, the first one after a restart included (issue 15 item 15)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kerno-test-webhook-'));
  // A receiver that accepts the connection and never answers.
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
  const port = (silent.address() as AddressInfo).port;
  try {
    const store = await IncidentStore.open(dir);
    await store.append(incident(1));
    // "restart": a fresh sink over a store that already holds an undelivered incident
    const sink = new WebhookSink({
      url: `http://127.0.0.1:${port}/hook`,
      store,
      timeoutMs: 150,
      backoff: FAST,
    });
    await sink.start();
    await waitFor(() => sink.stats().failures >= 3, 5_000, 'three timed-out attempts');
    assert.match(sink.stats().lastError ?? '', /no answer within 0\.15s/);
    await sink.stop();
    await store.close();
  } finally {
    silent.closeAllConnections();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Retry-After on a 429 is honoured over the shorter backoff', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kerno-test-webhook-'));
  const times: number[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      times.push(Date.now());
      if (times.length === 1) res.writeHead(429, { 'Retry-After': '1' }).end();
      else res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  try {
    const store = await IncidentStore.open(dir);
    const sink = new WebhookSink({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
      store,
      backoff: FAST,
    });
    await sink.start();
    await store.append(incident(1));
    await waitFor(() => sink.stats().delivered === 1, 5_000, 'delivery after Retry-After');
    const gap = (times[1] ?? 0) - (times[0] ?? 0);
    // The backoff alone would retry after 20 ms; Retry-After asked for 1 s.
    assert.ok(gap >= 950, `retried after ${gap} ms`);
    await sink.stop();
    await store.close();
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('parseRetryAfter: seconds, HTTP dates, garbage, and the cap', () => {
  const now = Date.UTC(2025, 0, 1);
  assert.equal(parseRetryAfter('3', now), 3_000);
  assert.equal(parseRetryAfter(new Date(now + 5_000).toUTCString(), now), 5_000);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(null, now), undefined);
  assert.equal(parseRetryAfter('999999', now), MAX_RETRY_AFTER_MS);
});
