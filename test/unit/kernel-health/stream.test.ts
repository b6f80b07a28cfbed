// The kernel collector's reports go through its EventStream (issue 14). The collector reads a FIFO here
// instead of /dev/kmsg (one record per read, as /dev/kmsg gives them): a flood of reports past
// `events.queue_size` is cut by the drop policy and counted (dropped = pushed - kept), and with a sample
// rate the WARNINGs beyond it are folded into the weight of the last one kept — never an oops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelCollector } from '../../../src/collectors/kernel.js';
import type { CollectorContext } from '../../../src/collectors/types.js';
import type { EventStreamSettings } from '../../../src/events/stream.js';
import type { KernelMessage } from '../../../src/signals/types.js';

async function withFifoCollector(
  events: EventStreamSettings,
  fn: (c: KernelCollector, write: (record: string) => Promise<void>) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kerno-test-kmsg-stream-'));
  const fifo = join(dir, 'kmsg');
  execFileSync('mkfifo', [fifo]);
  const c = new KernelCollector({
    kmsgPath: fifo,
    counterPaths: { sysKernel: join(dir, 'none'), procSysKernel: join(dir, 'none') },
    pstore: { dir: join(dir, 'pstore'), mountsPath: join(dir, 'none') },
    pollIntervalMs: 60_000,
    events,
  });
  const abort = new AbortController();
  const faults: unknown[] = [];
  const ctx: CollectorContext = { signal: abort.signal, fault: (e) => faults.push(e), log: () => undefined };
  await c.start(ctx);
  // Opened after the collector's non-blocking reader, so the open does not wait for a reader.
  const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    // One record per write, each read before the next is written: a pipe would otherwise join them.
    await fn(c, async (record) => {
      writeSync(fd, record);
      await c.snapshot(1e9);
    });
    assert.deepEqual(faults, []);
  } finally {
    closeSync(fd);
    abort.abort();
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

let seq = 100;
/** One report: its opening line, then the end-of-trace marker that closes it. */
function report(line: string, tsSec: number): string[] {
  const ts = tsSec * 1_000_000;
  return [`4,${seq++},${ts},-;${line}\n`, `4,${seq++},${ts + 10},-;---[ end trace 0000000000000000 ]---\n`];
}

async function messages(c: KernelCollector): Promise<KernelMessage[]> {
  return (await c.snapshot(1e9)).kernel?.messages ?? [];
}

for (const dropPolicy of ['oldest', 'newest'] as const) {
  test(`kernel log: a flood of oopses past the queue (policy ${dropPolicy}) is cut and every drop counted`, async () => {
    const queueSize = 8;
    const pushed = 30;
    await withFifoCollector({ queueSize, dropPolicy, sampleRatePerSec: 0 }, async (c, write) => {
      for (let i = 0; i < pushed; i++)
        for (const r of report(`Oops: 0000 [#${i}] SMP NOPTI`, 100 + i)) await write(r);
      const kept = await messages(c);
      assert.equal(kept.length, queueSize);
      const first = dropPolicy === 'oldest' ? pushed - queueSize : 0;
      assert.deepEqual(
        kept.map((m) => m.line),
        Array.from({ length: queueSize }, (_, i) => `Oops: 0000 [#${first + i}] SMP NOPTI`),
      );
      const st = c.stats();
      assert.equal(st.eventsDropped, pushed - queueSize, 'dropped = pushed - kept');
      assert.equal(st.droppedByReason?.queue_full, pushed - queueSize);
      assert.equal(st.sampledOut, 0);
      // A new window empties the queue; the drop counter is cumulative (the supervisor windows it).
      await c.reset();
      assert.deepEqual(await messages(c), []);
      assert.equal(c.stats().eventsDropped, pushed - queueSize);
    });
  });
}

test('kernel log: a WARNING storm is sampled, its weights add up, and an oops in it is always kept', async () => {
  const pushed = 60;
  await withFifoCollector(
    { queueSize: 1_000, dropPolicy: 'oldest', sampleRatePerSec: 5 },
    async (c, write) => {
      for (let i = 0; i < pushed; i++) {
        const line =
          i === 30 ? 'Oops: 0000 [#1] SMP NOPTI' : `WARNING: CPU: 0 PID: 1 at kernel/kerno.c:${i} f+0x1/0x2`;
        for (const r of report(line, 100 + i)) await write(r);
      }
      const kept = await messages(c);
      const st = c.stats();
      assert.ok((st.sampledOut ?? 0) > 0, 'the storm went past 5 per second');
      assert.equal(st.eventsDropped, 0, 'sampling is not a loss');
      assert.equal(kept.length + (st.sampledOut ?? 0), pushed, 'every report is kept or sampled out');
      assert.ok(
        kept.some((m) => m.kind === 'oops'),
        'the oops was not sampled out',
      );
      assert.ok(
        kept.some((m) => (m.weight ?? 1) > 1),
        'a kept WARNING carries the ones sampled out',
      );
      assert.ok(kept.every((m) => m.kind === 'warning' || m.weight === undefined));
      const warnings = kept.filter((m) => m.kind === 'warning');
      assert.equal(
        warnings.reduce((n, m) => n + (m.weight ?? 1), 0),
        pushed - 1,
        'the weights count every WARNING',
      );
    },
  );
});
