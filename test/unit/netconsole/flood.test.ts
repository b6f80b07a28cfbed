// Floods and store failures at the receiver (issue 15 items 1 and 4): one incident id is one record, one
// count and one announcement whatever the source port; rate limits drop (counted) instead of buffering;
// incidents the store refused wait and are written in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetconsoleReceiver } from '../../../src/netconsole/receiver.js';
import { IncidentStore } from '../../../src/netconsole/store.js';
import type { PanicIncident } from '../../../src/netconsole/incident.js';

const panicLine = (n: number): Buffer =>
  Buffer.from(`[  ${100 + n}.000000] Kernel panic - not syncing: flood test ${n}\n`);

test('400 source ports x 100 distinct panics: 100 records, 100 counts, 100 announcements', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kerno-test-flood-'));
  try {
    const store = await IncidentStore.open(dir);
    let t = 1_000;
    const r = new NetconsoleReceiver({
      listen: 'udp://127.0.0.1:0',
      store,
      idleTimeoutMs: 500,
      now: () => t,
    });
    const announced: PanicIncident[] = [];
    r.on('incident', (i) => announced.push(i));
    // 400 senders (one address, 400 source ports), each sending one of 100 distinct panics
    for (let port = 10_000; port < 10_400; port++) {
      r.ingest(panicLine(port % 100), { address: '10.1.1.1', port }, t);
      t += 1;
    }
    t += 10_000;
    r.tick(t);
    await r.stop();
    const st = r.stats();
    const stored = await store.list({ limit: 1_000 });
    assert.equal(new Set(stored.map((i) => i.id)).size, 100);
    assert.equal(stored.length, 100);
    assert.equal(st.incidents, 100);
    assert.equal(announced.length, 100);
    assert.equal(st.duplicateIncidents, 300);
    await store.close();
    // After a restart the same incidents are still recognised.
    const again = await IncidentStore.open(dir);
    const r2 = new NetconsoleReceiver({
      listen: 'udp://127.0.0.1:0',
      store: again,
      idleTimeoutMs: 500,
      now: () => t,
    });
    r2.ingest(panicLine(7), { address: '10.1.1.1', port: 20_000 }, t);
    t += 10_000;
    r2.tick(t);
    await r2.stop();
    assert.equal(r2.stats().incidents, 0);
    assert.equal(r2.stats().duplicateIncidents, 1);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rate limits: per address (any port) and global; drops are counted', () => {
  const r = new NetconsoleReceiver({
    listen: 'udp://127.0.0.1:0',
    senderRate: { ratePerSec: 100, burst: 200 },
    globalRate: { ratePerSec: 1_000, burst: 500 },
  });
  const t = 5_000;
  for (let i = 0; i < 1_000; i++)
    r.ingest(Buffer.from(`line ${i}\n`), { address: '10.2.2.2', port: 1_000 + i }, t);
  assert.equal(r.stats().rateLimited.sender, 800, 'one address, 1,000 ports: 200 pass');
  for (let a = 0; a < 10; a++)
    for (let i = 0; i < 100; i++) r.ingest(Buffer.from('x\n'), { address: `10.3.3.${a}`, port: 6665 }, t);
  assert.equal(r.stats().rateLimited.global, 1_200 - 500);
  assert.equal(r.stats().stream.packets, 500);
});

test('a store that fails keeps the incidents in order and writes them when it recovers', async () => {
  const written: string[] = [];
  let failures = 3;
  const store = {
    recentIds: [] as string[],
    corrupt: 0,
    async append(i: PanicIncident) {
      if (failures > 0) {
        failures--;
        throw new Error('append to panics.jsonl: ENOSPC: no space left on device');
      }
      written.push(i.id);
      return { incident: i, offset: 0, end: 0 };
    },
    async list() {
      return [];
    },
  } as unknown as IncidentStore;
  let t = 1_000;
  const logs: string[] = [];
  const r = new NetconsoleReceiver({
    listen: 'udp://127.0.0.1:0',
    store,
    idleTimeoutMs: 500,
    storeRetryMs: 100,
    now: () => t,
    log: (level, msg) => logs.push(`${level} ${msg}`),
  });
  const order: string[] = [];
  r.on('incident', (i) => order.push(i.id));
  for (let n = 0; n < 5; n++) r.ingest(panicLine(n), { address: `10.4.4.${n}`, port: 6665 }, t);
  t += 1_000;
  r.tick(t);
  await r.settled();
  assert.equal(r.stats().unstored, 5);
  assert.equal(r.stats().incidents, 0, 'nothing announced before it is stored');
  for (let i = 0; i < 20 && r.stats().unstored > 0; i++) {
    t += 1_000;
    r.tick(t);
    await r.settled();
  }
  await r.stop();
  assert.equal(r.stats().storeErrors, 3);
  assert.equal(r.stats().incidents, 5);
  assert.deepEqual(order, written, 'announced in the order written');
  assert.equal(written.length, 5);
  assert.ok(logs.some((l) => l.startsWith('error netconsole: could not record incident; will retry')));
});
