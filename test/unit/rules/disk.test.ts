import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { diskIoBottleneck } from '../../../rules/disk_io_bottleneck.js';
import { diskIoWriteHigh } from '../../../rules/disk_io_write_high.js';
import { DEFAULT_THRESHOLDS as D } from '../../../src/doctor/thresholds.js';
import { diskDevice, MS, pctl, psiWindow, quietSignals, runRule } from './fixtures.js';

function withSync(p99: number, count = 2000, p95 = p99 / 2) {
  const s = quietSignals();
  s.disk!.devices[0]!.sync = pctl(count, 1 * MS, p95, p99, p99 * 2);
  return s;
}

describe('disk_io_bottleneck', () => {
  it('stays quiet on an idle host (a few slow journal flushes)', () => {
    assert.deepEqual(runRule(diskIoBottleneck, quietSignals()), []);
  });

  it('stays quiet just below the warning threshold', () => {
    assert.deepEqual(runRule(diskIoBottleneck, withSync(D.disk_p99_warning_ns - 1)), []);
  });

  it('warns at the warning threshold, reporting the warning threshold', () => {
    const [f, ...rest] = runRule(diskIoBottleneck, withSync(D.disk_p99_warning_ns));
    assert.equal(rest.length, 0);
    assert.equal(f!.severity, 'warning');
    assert.equal(f!.title, 'Elevated Disk Sync Latency on vda');
    assert.equal(f!.threshold, D.disk_p99_warning_ns);
    assert.equal(f!.value, 50 * MS);
    assert.equal(f!.metric, 'disk_sync_p99');
    assert.equal(f!.subject, '/dev/vda (253:0)');
  });

  it('stays WARNING just below the critical threshold and is CRITICAL at it', () => {
    assert.equal(runRule(diskIoBottleneck, withSync(D.disk_p99_critical_ns - 1))[0]!.severity, 'warning');
    const [f] = runRule(diskIoBottleneck, withSync(D.disk_p99_critical_ns));
    assert.equal(f!.severity, 'critical');
    assert.equal(f!.title, 'Disk I/O Bottleneck Detected on vda');
    assert.equal(f!.threshold, D.disk_p99_critical_ns);
  });

  it('needs disk_min_slow_ios I/Os that slow: one slow flush in four does not fire', () => {
    // 4 flushes, p99 = max = 300 ms, p95 also the max, p50 fast: exactly one slow flush is guaranteed.
    const s = quietSignals();
    s.disk!.devices[0]!.sync = pctl(4, 1 * MS, 300 * MS, 300 * MS);
    assert.deepEqual(runRule(diskIoBottleneck, s), []);
    // Ten flushes with the median already at 300 ms: at least 6 were that slow.
    s.disk!.devices[0]!.sync = pctl(10, 300 * MS, 300 * MS, 300 * MS);
    assert.equal(runRule(diskIoBottleneck, s)[0]!.severity, 'critical');
    // The floor is configurable.
    s.disk!.devices[0]!.sync = pctl(4, 1 * MS, 300 * MS, 300 * MS);
    assert.equal(runRule(diskIoBottleneck, s, { disk_min_slow_ios: 1 }).length, 1);
  });

  it('evidence carries the numbers with units, the device and io pressure', () => {
    const s = withSync(260 * MS, 3000, 180 * MS);
    s.pressure!.io = psiWindow(70, 35);
    const [f] = runRule(diskIoBottleneck, s);
    assert.match(f!.evidence[0]!, /sync write p99 260ms ≥ 200ms critical threshold/);
    assert.match(f!.evidence[1]!, /over 3,000 I\/Os/);
    assert.match(f!.evidence[2]!, /at least 31 of them took ≥ 200ms/);
    assert.ok(f!.evidence.some((l) => l.includes('full 35%')));
    assert.ok(f!.fix.some((c) => c.startsWith('iostat -x vda 1 5')));
    assert.ok(f!.fix.some((c) => c.startsWith('cat /sys/block/vda/inflight')));
  });

  it('one finding per device; a device without a name uses maj:min', () => {
    const s = withSync(100 * MS);
    s.disk!.devices.push(diskDevice({ dev: '8:16', name: '', sync: pctl(500, 1 * MS, 90 * MS, 120 * MS) }));
    const fs = runRule(diskIoBottleneck, s);
    assert.deepEqual(
      fs.map((f) => f.subject),
      ['/dev/vda (253:0)', '8:16'],
    );
    assert.ok(fs[1]!.fix.some((c) => c.includes('/sys/dev/block/8:16')));
  });

  it('falls back to the host-wide aggregate when there is no per-device data', () => {
    const s = quietSignals();
    s.disk!.devices = [];
    s.disk!.syncLatency = pctl(1000, 10 * MS, 100 * MS, 150 * MS);
    const [f] = runRule(diskIoBottleneck, s);
    assert.equal(f!.subject, '');
    assert.equal(f!.title, 'Elevated Disk Sync Latency');
  });

  it('skips when the disk collector delivered nothing', () => {
    const s = quietSignals();
    delete s.disk;
    assert.deepEqual(runRule(diskIoBottleneck, s), []);
  });
});

describe('disk_io_write_high', () => {
  function withWrite(p99: number, count = 2000) {
    const s = quietSignals();
    s.disk!.devices[0]!.write = pctl(count, 1 * MS, p99 / 2, p99);
    return s;
  }

  it('stays quiet on an idle host and below the critical threshold', () => {
    assert.deepEqual(runRule(diskIoWriteHigh, quietSignals()), []);
    assert.deepEqual(runRule(diskIoWriteHigh, withWrite(D.disk_p99_critical_ns - 1)), []);
  });

  it('is CRITICAL at the critical threshold, per device, with smartctl on the real device', () => {
    const [f, ...rest] = runRule(diskIoWriteHigh, withWrite(D.disk_p99_critical_ns));
    assert.equal(rest.length, 0);
    assert.equal(f!.severity, 'critical');
    assert.equal(f!.metric, 'disk_write_p99');
    assert.equal(f!.threshold, D.disk_p99_critical_ns);
    assert.equal(f!.subject, '/dev/vda (253:0)');
    assert.ok(f!.fix.some((c) => c.startsWith('smartctl -a /dev/vda')));
    assert.match(f!.evidence[0]!, /write p99 200ms ≥ 200ms/);
  });

  it('one slow write is not enough', () => {
    assert.deepEqual(runRule(diskIoWriteHigh, withWrite(D.disk_p99_critical_ns, 3)), []);
  });
});
