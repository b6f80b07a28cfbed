// The receiver on a real UDP socket (127.0.0.1, ephemeral port), fed by real sockets bound to distinct
// loopback addresses, replaying netconsole captures: the expected incidents, with their context, and
// nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { NetconsoleReceiver } from '../../../src/netconsole/receiver.js';
import { NodeNameMap } from '../../../src/netconsole/node-names.js';
import { IncidentStore, listIncidents } from '../../../src/netconsole/store.js';
import type { PanicIncident } from '../../../src/netconsole/incident.js';
import { extendedPackets, plainPackets, udpSender, waitFor } from './fixtures.js';

async function withReceiver(
  fn: (ctx: {
    port: number;
    receiver: NetconsoleReceiver;
    incidents: PanicIncident[];
    stateDir: string;
  }) => Promise<void>,
  nodeNames = new NodeNameMap({ '127.0.0.2': 'node-a', '127.0.0.3': 'node-b' }),
): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'kerno-test-netconsole-'));
  const store = await IncidentStore.open(stateDir);
  const receiver = new NetconsoleReceiver({
    listen: 'udp://127.0.0.1:0',
    idleTimeoutMs: 400,
    nodeNames,
    store,
  });
  const incidents: PanicIncident[] = [];
  receiver.on('incident', (i) => incidents.push(i));
  const { port } = await receiver.start();
  try {
    await fn({ port, receiver, incidents, stateDir });
  } finally {
    await receiver.stop();
    await store.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function sendAll(
  sender: { send(b: Buffer, p: number): Promise<void> },
  packets: Buffer[],
  port: number,
): Promise<void> {
  for (const p of packets) await sender.send(p, port);
}

test('a full panic in many plain packets becomes one panic incident with its context', async () => {
  await withReceiver(async ({ port, receiver, incidents, stateDir }) => {
    const a = await udpSender('127.0.0.2');
    try {
      const packets = plainPackets('panic-null-deref.log');
      assert.ok(packets.length > 50);
      await sendAll(a, packets, port);
      await waitFor(() => incidents.length >= 1, 10_000, 'the panic incident');
      await receiver.settled();
      assert.equal(incidents.length, 1);
      const inc = incidents[0] as PanicIncident;
      assert.equal(inc.kind, 'panic');
      assert.equal(inc.node, 'node-a');
      assert.equal(inc.sender, `127.0.0.2:${a.port}`);
      assert.equal(inc.reason, 'BUG: kernel NULL pointer dereference, address: 0000000000000008');
      assert.deepEqual(inc.triggers, [
        'BUG: kernel NULL pointer dereference, address: 0000000000000008',
        'Oops: Oops: 0002 [#1] PREEMPT SMP NOPTI',
        'Kernel panic - not syncing: Fatal exception',
      ]);
      assert.equal(inc.endedBy, 'end-marker');
      assert.equal(inc.truncated, false);
      assert.equal(inc.kernelTimeUs, 8123_403012);
      assert.match(inc.context[4] ?? '', /^CPU: 1 UID: 0 PID: 48211 Comm: insmod/);
      assert.ok(inc.context.includes('RIP: 0010:kerno_crash_init+0x1d/0xff0 [kerno_crash]'));
      assert.ok(inc.context.includes('Call Trace:'));
      assert.ok(inc.context.includes(' do_one_initcall+0x58/0x300'));
      assert.equal(inc.context.at(-1), '---[ end Kernel panic - not syncing: Fatal exception ]---');
      // 63 lines: 2 before the BUG line are not part of it, the BUG line is the reason, 60 follow.
      assert.equal(inc.context.length, 60);
      assert.ok(!inc.context.some((l) => l.includes('triggering NULL dereference')));
      const listed = await listIncidents(stateDir);
      assert.deepEqual(listed, [inc]);
    } finally {
      await a.close();
    }
  });
});

test('extended format: ncfrag fragments, reordering and duplicates give one GPF incident', async () => {
  await withReceiver(async ({ port, receiver, incidents }) => {
    const b = await udpSender('127.0.0.3');
    try {
      const packets = extendedPackets('oops-gpf-extended.jsonl');
      const wire = [...packets];
      for (let i = 0; i + 1 < wire.length; i += 4)
        [wire[i], wire[i + 1]] = [wire[i + 1] as Buffer, wire[i] as Buffer];
      const fragIdx = packets.findIndex((p) => p.includes('ncfrag=0/'));
      // the second fragment first, then the first twice; two record packets repeated
      wire.splice(
        wire.indexOf(packets[fragIdx] as Buffer),
        2,
        packets[fragIdx + 1] as Buffer,
        packets[fragIdx] as Buffer,
        packets[fragIdx] as Buffer,
      );
      wire.push(packets[3] as Buffer, packets[5] as Buffer);
      await sendAll(b, wire, port);
      await waitFor(() => incidents.length >= 1, 10_000, 'the GPF incident');
      await new Promise((r) => setTimeout(r, 600));
      await receiver.settled();
      assert.equal(incidents.length, 1);
      const inc = incidents[0] as PanicIncident;
      assert.equal(inc.kind, 'gpf');
      assert.equal(inc.node, 'node-b');
      assert.equal(inc.seq, 1845);
      assert.equal(
        inc.reason,
        'Oops: general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1] PREEMPT SMP NOPTI',
      );
      assert.equal(inc.endedBy, 'idle');
      assert.match(inc.context[0] ?? '', /PID: 3121 Comm: kworker\/0:2/);
      const modules = inc.context.find((l) => l.startsWith('Modules linked in:'));
      assert.ok(modules, 'the fragmented Modules line is reassembled');
      assert.equal(modules.length, 1599);
      assert.ok(modules.endsWith('last_unloaded: nvme_fabrics'));
      // every record once, in sequence order
      const trace = inc.context.filter((l) => l.startsWith(' '));
      assert.deepEqual(trace.slice(0, 3), [
        ' <TASK>',
        ' ? die_addr+0x36/0x90',
        ' ? exc_general_protection+0x1c5/0x430',
      ]);
      assert.equal(
        new Set(inc.context).size,
        inc.context.length - 1,
        'only the RIP line legitimately repeats',
      );
      assert.ok(receiver.stats().stream.duplicates >= 3);
    } finally {
      await b.close();
    }
  });
});

test('two senders interleaved packet by packet, plus a garbage sender: exactly two incidents, not mixed', async () => {
  await withReceiver(async ({ port, receiver, incidents }) => {
    const a = await udpSender('127.0.0.2');
    const b = await udpSender('127.0.0.3');
    const g = await udpSender('127.0.0.4');
    try {
      const pa = plainPackets('panic-null-deref.log');
      const pb = plainPackets('soft-lockup-panic.log');
      for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
        if (pa[i]) await a.send(pa[i] as Buffer, port);
        if (pb[i]) await b.send(pb[i] as Buffer, port);
        await g.send(randomBytes(1 + (i % 7) * 150), port);
        if (i % 5 === 0) await g.send(Buffer.from('BUG: ' + 'x'.repeat(12_000)), port);
      }
      await waitFor(() => incidents.length >= 2, 10_000, 'two incidents');
      await new Promise((r) => setTimeout(r, 600));
      await receiver.settled();
      assert.equal(incidents.length, 2);
      const byNode = new Map(incidents.map((i) => [i.node, i]));
      const ia = byNode.get('node-a');
      const ib = byNode.get('node-b');
      assert.ok(ia && ib);
      assert.equal(
        ia.kind,
        'panic',
        JSON.stringify({
          endedBy: ia.endedBy,
          n: ia.context.length,
          last: ia.context.slice(-3),
          st: receiver.stats(),
        }),
      );
      assert.equal(ib.kind, 'panic');
      assert.equal(ib.reason, 'watchdog: BUG: soft lockup - CPU#3 stuck for 26s! [stress-ng-cpu:7781]');
      assert.ok(ib.triggers.includes('Kernel panic - not syncing: softlockup: hung tasks'));
      assert.ok(!ia.context.some((l) => l.includes('stress-ng')), 'node-a context has none of node-b');
      assert.ok(
        !ib.context.some((l) => l.includes('insmod') || l.includes('kerno_crash')),
        'node-b context has none of node-a',
      );
      assert.equal(ib.context.length, 24);
      const st = receiver.stats();
      assert.ok(st.stream.rejectedBinary > 0);
      assert.ok(st.stream.rejectedOversized > 0);
    } finally {
      await Promise.all([a.close(), b.close(), g.close()]);
    }
  });
});

test('a sender not in the node map is named by its address and counted as "unknown"', async () => {
  await withReceiver(async ({ port, receiver, incidents }) => {
    const c = await udpSender('127.0.0.9');
    try {
      await sendAll(c, plainPackets('hung-task.log'), port);
      await waitFor(() => incidents.length >= 1, 10_000, 'the hung-task incident');
      const inc = incidents[0] as PanicIncident;
      assert.equal(inc.kind, 'hung_task');
      assert.equal(inc.node, '127.0.0.9');
      assert.equal(receiver.metricNodeLabel(inc), 'unknown');
      assert.equal(inc.reason, 'INFO: task postgres:20117 blocked for more than 122 seconds.');
      assert.equal(inc.context.length, 25);
    } finally {
      await c.close();
    }
  });
});
