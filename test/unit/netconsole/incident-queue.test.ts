// The receiver's incident queue is an EventStream (issue 14): floods past `events.queue_size` drop what the
// `events.drop_policy` says, and every drop is counted (incidentsLost, incidentDrops and
// kerno_events_dropped_total{collector="netconsole"}) so that pushed = kept + dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { NetconsoleReceiver } from '../../../src/netconsole/receiver.js';
import { registerNetconsoleMetrics } from '../../../src/netconsole/metrics.js';
import type { IncidentStore } from '../../../src/netconsole/store.js';
import type { PanicIncident } from '../../../src/netconsole/incident.js';
import { udpSender, waitFor } from './fixtures.js';

const panicLine = (n: number): Buffer =>
  Buffer.from(`[  ${100 + n}.000000] Kernel panic - not syncing: incident queue test ${n}\n`);

/** A store whose disk is full until `heal()`: every append fails, then every append succeeds. */
function flakyStore() {
  const written: PanicIncident[] = [];
  let healthy = false;
  const store = {
    recentIds: [] as string[],
    corrupt: 0,
    async append(i: PanicIncident): Promise<void> {
      if (!healthy) throw new Error('ENOSPC: no space left on device');
      written.push(i);
    },
    async list(): Promise<PanicIncident[]> {
      return [...written].reverse();
    },
  };
  return { store: store as unknown as IncidentStore, written, heal: () => (healthy = true) };
}

for (const dropPolicy of ['oldest', 'newest'] as const) {
  test(`a store that cannot write: a flood past the queue drops the ${dropPolicy} incidents, all counted`, async () => {
    const { store, written, heal } = flakyStore();
    let t = 1_000;
    const logged: string[] = [];
    const r = new NetconsoleReceiver({
      listen: 'udp://127.0.0.1:0',
      store,
      idleTimeoutMs: 500,
      storeRetryMs: 10,
      events: { queueSize: 8, dropPolicy },
      now: () => t,
      log: (_level, msg, fields) => {
        if (msg.includes('incident queue is full')) logged.push(String(fields?.id));
      },
    });
    const total = 30;
    for (let n = 0; n < total; n++) r.ingest(panicLine(n), { address: '10.2.0.1', port: 20_000 + n }, t);
    t += 1_000;
    r.tick(t);
    await r.settled();
    const full = r.stats();
    // One incident is being written (and retried), `queueSize` wait behind it, the rest were dropped.
    assert.equal(full.unstored, 1 + 8);
    assert.equal(full.incidentsLost, total - full.unstored, 'dropped = pushed - kept');
    assert.deepEqual(full.incidentDrops, {
      queue_full: total - 9,
      ring_full: 0,
      map_full: 0,
      no_start: 0,
      recursion: 0,
      unspecified: 0,
    });
    assert.equal(logged.length, full.incidentsLost, 'each drop is logged with its id');
    heal();
    t += 60_000;
    r.tick(t);
    await r.settled();
    await r.stop();
    const reasons = written.map((i) => Number(/test (\d+)$/.exec(i.reason)?.[1]));
    // The first incident was in flight either way; the policy decides which others survived.
    const expected =
      dropPolicy === 'oldest'
        ? [0, ...Array.from({ length: 8 }, (_, i) => total - 8 + i)]
        : Array.from({ length: 9 }, (_, i) => i);
    assert.deepEqual(reasons, expected, 'written in order, the survivors of the policy');
    assert.equal(r.stats().incidents, 9);
    assert.equal(r.stats().incidentsLost, total - 9);
  });
}

test('a dropped incident is forgotten: a resend of it is recorded', async () => {
  const { store, written, heal } = flakyStore();
  let t = 1_000;
  const r = new NetconsoleReceiver({
    listen: 'udp://127.0.0.1:0',
    store,
    idleTimeoutMs: 500,
    storeRetryMs: 10,
    events: { queueSize: 1, dropPolicy: 'newest' },
    now: () => t,
  });
  for (let n = 0; n < 3; n++) r.ingest(panicLine(n), { address: '10.2.0.2', port: 21_000 + n }, t);
  t += 1_000;
  r.tick(t);
  await r.settled();
  assert.equal(r.stats().incidentsLost, 1, 'one in flight, one waiting, one refused');
  heal();
  t += 60_000;
  r.tick(t);
  await r.settled();
  // From another source port (the same port's stream would suppress the repeated line itself).
  r.ingest(panicLine(2), { address: '10.2.0.2', port: 21_100 }, t);
  t += 1_000;
  r.tick(t);
  await r.stop();
  assert.equal(written.length, 3);
  assert.equal(r.stats().duplicateIncidents, 0);
});

test('UDP flood on loopback without a store: the in-memory list holds queue_size, the rest are counted', async () => {
  const queueSize = 16;
  const senders = 40;
  const registry = new Registry();
  const r = new NetconsoleReceiver({
    listen: 'udp://127.0.0.1:0',
    idleTimeoutMs: 300,
    events: { queueSize, dropPolicy: 'oldest' },
  });
  registerNetconsoleMetrics(registry, r);
  const announced: PanicIncident[] = [];
  r.on('incident', (i) => announced.push(i));
  const { port } = await r.start();
  const socks = await Promise.all(Array.from({ length: senders }, () => udpSender('127.0.0.1')));
  try {
    for (const [n, s] of socks.entries()) await s.send(panicLine(n), port);
    await waitFor(() => r.stats().incidents >= senders, 10_000, `${senders} incidents`);
    const st = r.stats();
    assert.equal(announced.length, senders, 'every incident was detected and announced');
    const listed = await r.listIncidents({ limit: 1_000 });
    assert.equal(listed.length, queueSize);
    assert.equal(st.incidentsLost, senders - queueSize, 'dropped = pushed - kept');
    assert.equal(st.incidentDrops.queue_full, senders - queueSize);
    // The newest survive (policy oldest): the list is the last `queueSize` announced.
    assert.deepEqual(new Set(listed.map((i) => i.id)), new Set(announced.slice(-queueSize).map((i) => i.id)));
    const text = await registry.metrics();
    assert.match(
      text,
      new RegExp(
        `^kerno_events_dropped_total\\{collector="netconsole",reason="queue_full"\\} ${senders - queueSize}$`,
        'm',
      ),
    );
  } finally {
    await Promise.all(socks.map((s) => s.close()));
    await r.stop();
  }
});
