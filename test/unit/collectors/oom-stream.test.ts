// The OOM collector's victims go through its EventStream (issue 14): a flood of well-formed ring-buffer
// records past `events.queue_size` keeps what `events.drop_policy` says, counts every kill in `count`, and
// counts each victim it could not keep as a queue_full drop (dropped = pushed - kept).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OomCollector } from '../../../src/collectors/oom.js';
import type { OomEvent } from '../../../src/signals/types.js';

// struct oom_event (bpf/oom.h; the layout is checked against BTF by test/kernel/layouts.test.ts).
function oomRecord(pid: number, bootNs: bigint): Buffer {
  const b = Buffer.alloc(112);
  b.writeBigUInt64LE(bootNs, 0); // ts_boot_ns
  b.writeBigUInt64LE(0n, 8); // memcg_id 0: no cgroup to resolve
  b.writeBigUInt64LE(256n, 24); // rss_anon_pages
  b.writeBigUInt64LE(1024n, 48); // total_vm_pages
  b.writeUInt32LE(pid, 56);
  b.writeUInt32LE(pid, 60);
  b.writeInt32LE(0, 68);
  b.writeUInt32LE(1, 72); // trigger_pid
  b.write(`victim${pid}`, 80, 15, 'latin1');
  b.write('trigger', 96, 15, 'latin1');
  return b;
}

async function flood(collector: OomCollector, from: number, n: number): Promise<OomEvent[]> {
  const bootNow = 10_000_000_000n;
  // Delivered in batches, as the ring-buffer drain does.
  for (let i = 0; i < n; i += 50) {
    const recs = [];
    for (let pid = from + i; pid < from + Math.min(n, i + 50); pid++) recs.push(oomRecord(pid, bootNow));
    collector.onRecords(recs, Date.UTC(2025, 0, 1), Number(bootNow));
  }
  const part = await collector.events();
  return part.oom?.events ?? [];
}

for (const [dropPolicy, survivors] of [
  ['oldest', (n: number, size: number) => Array.from({ length: size }, (_, i) => 1_000 + n - size + i)],
  ['newest', (_n: number, size: number) => Array.from({ length: size }, (_, i) => 1_000 + i)],
] as const) {
  test(`oom: a flood of kills past the queue keeps the ${dropPolicy === 'oldest' ? 'latest' : 'first'} victims, counts every drop`, async () => {
    const queueSize = 32;
    const pushed = 300;
    const c = new OomCollector({ events: { queueSize, dropPolicy, sampleRatePerSec: 1_000 } });
    const events = await flood(c, 1_000, pushed);
    assert.deepEqual(
      events.map((e) => e.pid),
      survivors(pushed, queueSize),
    );
    assert.equal((await c.events()).oom?.count, pushed, 'count is every kill, kept or not');
    const st = c.stats();
    assert.equal(st.eventsDropped, pushed - queueSize, 'dropped = pushed - kept');
    assert.deepEqual(st.droppedByReason, {
      queue_full: pushed - queueSize,
      ring_full: 0,
      map_full: 0,
      no_start: 0,
      recursion: 0,
      unspecified: 0,
    });
    assert.equal(st.sampledOut ?? 0, 0, 'an OOM kill is never sampled, whatever the configured rate');
    const m = await c.metrics();
    const kills = m.counters?.oom_kills_total?.reduce((n, s) => n + s.value, 0);
    assert.equal(kills, pushed, 'the per-cgroup totals count every kill too');
  });
}

test('oom: a new window empties the queue and keeps the drop counters', async () => {
  const c = new OomCollector({ events: { queueSize: 4, dropPolicy: 'oldest', sampleRatePerSec: 0 } });
  await flood(c, 1, 10);
  await c.reset();
  const events = await flood(c, 100, 2);
  assert.deepEqual(
    events.map((e) => e.pid),
    [100, 101],
  );
  assert.equal((await c.events()).oom?.count, 2);
  assert.equal(c.stats().eventsDropped, 6, 'cumulative: the supervisor windows it');
});

test('oom: without configuration the queue holds the default 1024 victims, the oldest dropped', async () => {
  const c = new OomCollector();
  const events = await flood(c, 1, 1_100);
  assert.equal(events.length, 1_024);
  assert.equal(events[0]?.pid, 77);
  assert.equal(c.stats().eventsDropped, 76);
});
