// The kernel collector against the real kernel: real counters, real /dev/kmsg, real taint. Lines a process
// writes to /dev/kmsg (facility user) must never raise a finding; a real kernel record (drop_caches logs one
// at KERN_INFO, facility kernel) must be seen; on this healthy machine the kernel rules report nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, constants, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { requireKernel } from '../helpers/kernel.js';
import { KernelCollector } from '../../src/collectors/kernel.js';
import type { CollectorContext } from '../../src/collectors/types.js';
import { SCHEMA_VERSION, type Signals } from '../../src/signals/types.js';
import { parseKmsgRecord, type KmsgRecord } from '../../src/kernel-log/record.js';
import { ALL_RULES } from '../../rules/index.js';
import { applyNetconsole, detectNetconsoleSupport, netconsoleSetupPlan } from '../../src/netconsole/setup.js';

function context(): { ctx: CollectorContext; faults: unknown[]; abort: AbortController } {
  const abort = new AbortController();
  const faults: unknown[] = [];
  return { ctx: { signal: abort.signal, fault: (e) => faults.push(e), log: () => undefined }, faults, abort };
}

/** Ground truth, independent of the collector: every record currently in the ring buffer. */
function readWholeKmsg(): KmsgRecord[] {
  const fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
  const buf = Buffer.alloc(16 * 1024);
  const out: KmsgRecord[] = [];
  try {
    for (;;) {
      try {
        const n = readSync(fd, buf, 0, buf.length, null);
        const r = parseKmsgRecord(buf.toString('utf8', 0, n));
        if (r) out.push(r);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') continue;
        if (code === 'EAGAIN') return out;
        throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
}

const num = (path: string) => Number(readFileSync(path, 'utf8').trim());

test('kernel collector: user-space /dev/kmsg lines never count, real kernel records do, healthy machine → no findings', async () => {
  requireKernel();
  const collector = new KernelCollector({ pollIntervalMs: 100 });
  const { ctx, faults, abort } = context();
  await collector.start(ctx);
  try {
    const tag = `kerno-test-${process.pid}`;
    // A process can ask for any level, and even for facility 0 ("<4>"): the kernel stores it as user facility.
    writeFileSync('/dev/kmsg', `<12>${tag} BUG: fake user-space line\n`);
    writeFileSync('/dev/kmsg', `<4>${tag} Oops: 0002 [#1] fake\n`);
    writeFileSync('/dev/kmsg', `<0>${tag} Kernel panic - not syncing: fake\n`);
    // A real kernel record (facility 0, KERN_INFO): "<comm> (<pid>): drop_caches: 1".
    writeFileSync('/proc/sys/vm/drop_caches', '1');
    await new Promise((r) => setTimeout(r, 300));
    const part = await collector.snapshot(1e9);
    const k = part.kernel;
    assert.ok(k, 'the collector fills Signals.kernel');

    // the lines really are in the ring buffer, as user facility, and the drop_caches record as kernel facility
    const ring = readWholeKmsg();
    const ours = ring.filter((r) => r.message.startsWith(tag));
    assert.equal(ours.length, 3, 'all three user lines reached /dev/kmsg');
    assert.ok(
      ours.every((r) => r.facility === 1),
      `facilities ${ours.map((r) => r.facility).join(',')}`,
    );
    assert.ok(
      ring.some((r) => r.facility === 0 && /drop_caches: 1$/.test(r.message)),
      'drop_caches logged a kernel record',
    );
    assert.ok(collector.stats().events >= 1, 'the collector saw the kernel record during the window');

    // real counters, read independently
    assert.equal(k.oopsCount, num('/sys/kernel/oops_count'));
    assert.equal(k.warnCount, num('/sys/kernel/warn_count'));
    assert.equal(k.taint, num('/proc/sys/kernel/tainted'));
    assert.equal(k.oopsDelta, 0);
    assert.equal(k.warnDelta, 0);
    assert.ok(!k.messages.some((m) => m.line.includes(tag) || m.context.some((l) => l.includes(tag))));

    const signals: Signals = {
      schemaVersion: SCHEMA_VERSION,
      windowStart: new Date().toISOString(),
      windowEnd: new Date().toISOString(),
      durationNs: 1e9,
      host: { hostname: 'test', kernelRelease: '', arch: '', bootId: '' },
      coverage: [],
      kernel: k,
    };
    const findings = ALL_RULES.filter((r) => r.id.startsWith('kernel_')).flatMap((r) =>
      r.evaluate(signals, r.defaults),
    );
    // This VM: oops_count 0, warn_count 0, taint 0, no pstore backend → nothing. Should the machine ever boot
    // with a benign taint, the only allowed finding is that taint, at info.
    if (k.oopsCount === 0 && k.warnCount === 0 && k.taint === 0) {
      assert.deepEqual(findings, []);
    } else {
      assert.ok(
        findings.every((f) => f.rule === 'kernel_taint' && f.severity === 'info'),
        JSON.stringify(findings, null, 1),
      );
    }
    assert.deepEqual(faults, []);
  } finally {
    abort.abort();
    await collector.stop();
  }
});

test('kernel collector: reset re-baselines and a second window sees only its own records', async () => {
  requireKernel();
  const collector = new KernelCollector({ pollIntervalMs: 50 });
  const { ctx, abort } = context();
  await collector.start(ctx);
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '1');
    await collector.snapshot(1e9);
    const before = collector.stats().events;
    assert.ok(before >= 1);
    await collector.reset();
    assert.equal(collector.stats().events, 0);
    writeFileSync('/proc/sys/vm/drop_caches', '1');
    await collector.snapshot(1e9);
    assert.ok(collector.stats().events >= 1);
  } finally {
    abort.abort();
    await collector.stop();
  }
});

test('netconsole setup on this kernel: unsupported, and apply says so in one sentence', async () => {
  requireKernel();
  const support = detectNetconsoleSupport();
  assert.equal(support.supported, false);
  assert.equal(support.configfsNetconsole, false);
  assert.equal(support.config.netconsole, 'n');
  const plan = netconsoleSetupPlan({ target: '127.0.0.1:6666', iface: 'lo', support });
  assert.equal(plan.supported, false);
  await assert.rejects(applyNetconsole(plan), (err: Error) => {
    assert.match(
      err.message,
      /^netconsole is not available on this kernel \([^)]+\): it was built without CONFIG_NETCONSOLE/,
    );
    assert.ok(!err.message.includes('\n'));
    assert.equal(err.message.split('. ').length, 1, 'one sentence');
    assert.ok(err.message.endsWith('.'));
    return true;
  });
});
