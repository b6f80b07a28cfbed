import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { defaultConfig, type Config } from '../../../src/config/index.js';
import { panicsHandler, panicsQuery, startPanicReceiver } from '../../../src/daemon/panics.js';
import type { ListOptions, PanicIncident } from '../../../src/netconsole/index.js';
import { createLogger } from '../../../src/runtime/log.js';
import { plainPackets, udpSender } from '../netconsole/fixtures.js';

const q = (s: string) => new URLSearchParams(s);

describe('panicsQuery', () => {
  test('defaults and valid filters', () => {
    assert.deepEqual(panicsQuery(q('')), { limit: 100 });
    assert.deepEqual(panicsQuery(q('limit=5&node=node-a&kind=oops')), {
      limit: 5,
      node: 'node-a',
      kind: 'oops',
    });
    assert.equal(panicsQuery(q('since=2026-01-02T03:04:05Z')).sinceMs, Date.parse('2026-01-02T03:04:05Z'));
    assert.equal(panicsQuery(q('since=1h'), 10_000_000).sinceMs, 10_000_000 - 3_600_000);
  });

  test('bad values are one-line errors naming the parameter', () => {
    assert.throws(
      () => panicsQuery(q('limit=0')),
      /^QueryError: limit: expected an integer between 1 and 1000, got "0"$/,
    );
    assert.throws(() => panicsQuery(q('limit=abc')), /limit:/);
    assert.throws(() => panicsQuery(q('limit=5000')), /limit:/);
    assert.throws(() => panicsQuery(q('kind=meltdown')), /kind: unknown incident kind "meltdown"/);
    assert.throws(() => panicsQuery(q('since=yesterday')), /since: expected an RFC 3339 time or a duration/);
  });

  test('the handler answers 400 on a bad query and passes the filters to the lister', async () => {
    const seen: ListOptions[] = [];
    const h = panicsHandler(async (o) => (seen.push(o), []));
    const bad = await h({ method: 'GET', path: '/panics', query: q('limit=-1'), headers: {} });
    assert.equal(bad.status, 400);
    const ok = await h({ method: 'GET', path: '/panics', query: q('kind=panic'), headers: {} });
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(String(ok.body)), { count: 0, corruptRecords: 0, incidents: [] });
    assert.deepEqual(seen, [{ limit: 100, kind: 'panic' }]);
  });
});

describe('startPanicReceiver', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'kerno-test-panics-'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  function config(over: Partial<Config['daemon']>): Config {
    const c = defaultConfig();
    return { ...c, daemon: { ...c.daemon, state_dir: stateDir, ...over } };
  }

  test('without --netconsole-listen: lists what the state directory holds (nothing), no socket', async () => {
    const r = await startPanicReceiver(config({}), new Registry(), createLogger({ write: () => {} }));
    assert.equal(r.address, undefined);
    assert.deepEqual(await r.list({}), []);
    await r.stop();
  });

  test('with --netconsole-listen: a panic sent over UDP is recorded, listed and counted', async () => {
    const registry = new Registry();
    const r = await startPanicReceiver(
      config({ netconsole_listen: 'udp://127.0.0.1:0', netconsole_nodes: { '127.0.0.2': 'node-a' } }),
      registry,
      createLogger({ write: () => {} }),
    );
    const sender = await udpSender('127.0.0.2');
    try {
      assert.match(r.address!, /^udp:\/\/127\.0\.0\.1:\d+$/);
      const port = Number(r.address!.split(':').at(-1));
      for (const p of plainPackets('panic-null-deref.log')) await sender.send(p, port);
      // The metric counts an incident once it is durably recorded: wait for it, then list.
      const counted = /kerno_node_kernel_panics_total\{node="node-a",kind="panic"\} 1/;
      let text = '';
      const deadline = Date.now() + 10_000;
      while (!counted.test(text) && Date.now() < deadline) {
        text = await registry.metrics();
        if (!counted.test(text)) await new Promise((res) => setTimeout(res, 20));
      }
      assert.match(text, counted);
      const incidents: PanicIncident[] = await r.list({});
      assert.equal(incidents.length, 1);
      assert.equal(incidents[0]!.node, 'node-a');
      assert.equal(incidents[0]!.kind, 'panic');
    } finally {
      await sender.close();
      await r.stop();
    }
    // After the receiver stopped, the state directory still answers (what GET /panics serves on restart).
    const again = await startPanicReceiver(config({}), new Registry(), createLogger({ write: () => {} }));
    assert.equal((await again.list({})).length, 1);
  });

  test('the configured incident bound is the one the receiver keeps to', async () => {
    const r = await startPanicReceiver(
      config({ netconsole_listen: 'udp://127.0.0.1:0', netconsole_max_incident_lines: 10 }),
      new Registry(),
      createLogger({ write: () => {} }),
    );
    const sender = await udpSender('127.0.0.2');
    try {
      const port = Number(r.address!.split(':').at(-1));
      const packets = plainPackets('panic-null-deref.log');
      assert.ok(packets.length > 20, 'the fixture is longer than the bound');
      for (const p of packets) await sender.send(p, port);
      let incidents: PanicIncident[] = [];
      const deadline = Date.now() + 10_000;
      while (incidents.length === 0 && Date.now() < deadline) {
        incidents = await r.list({});
        if (incidents.length === 0) await new Promise((res) => setTimeout(res, 20));
      }
      // The report's later trigger lines ("Kernel panic - not syncing") may open a second incident once
      // the first is cut: every incident keeps to the bound, and the first one says it was cut.
      await new Promise((res) => setTimeout(res, 300));
      incidents = await r.list({});
      assert.ok(incidents.length >= 1);
      for (const i of incidents)
        assert.ok(i.context.length < 10, `context kept to the bound (${i.context.length} lines)`);
      const first = incidents.find((i) => i.reason.startsWith('BUG: kernel NULL pointer dereference'));
      assert.ok(first, 'the opening report is recorded');
      assert.equal(first.truncated, true);
      assert.equal(first.endedBy, 'line-limit');
    } finally {
      await sender.close();
      await r.stop();
    }
  });

  test('a port that cannot be bound is an error, and the store is released', async () => {
    const first = await startPanicReceiver(
      config({ netconsole_listen: 'udp://127.0.0.1:0' }),
      new Registry(),
      createLogger({ write: () => {} }),
    );
    try {
      await assert.rejects(
        startPanicReceiver(
          config({ netconsole_listen: first.address! }),
          new Registry(),
          createLogger({ write: () => {} }),
        ),
        /bind netconsole udp:\/\/127\.0\.0\.1:\d+: .*EADDRINUSE/,
      );
    } finally {
      await first.stop();
    }
  });
});
