// The parameters of the scenarios added for issue 13 §4, checked against the production thresholds of their
// rules (by construction, before any kernel is involved), and the cleanup of the resources they add.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INTENSITIES } from '../../../src/chaos/types.js';
import { DEFAULT_THRESHOLDS as T } from '../../../src/doctor/thresholds.js';
import { rttAddresses, tcpRttParams } from '../../../src/chaos/scenarios/tcp-rtt.js';
import { slowIoParams } from '../../../src/chaos/scenarios/slow-io.js';
import { slowDiskParams } from '../../../src/chaos/scenarios/slow-disk.js';
import { FLOOR_PCT, hostMemoryParams, hostMemoryPlan } from '../../../src/chaos/scenarios/host-memory.js';
import { stressNgCpuHogs } from '../../../src/chaos/scenarios/cpu.js';
import { removeIoThrottle, removeLoops } from '../../../src/chaos/removers.js';

const GiB = 2 ** 30;

test('tcp-rtt: two /30s in the benchmarking range, and a queue that holds ≥ the RTT threshold', () => {
  const a = rttAddresses('0a1b2c3d');
  for (const ip of Object.values(a)) assert.match(ip, /^198\.(18|19)\.\d+\.\d+$/);
  assert.equal(new Set(Object.values(a)).size, 4);
  const last = (ip: string) => Number(ip.split('.')[3]);
  assert.equal(last(a.rtrA) - last(a.snd), 1, 'sender and router side A share a /30');
  assert.equal(last(a.rcv) - last(a.rtrB), 1, 'router side B and receiver share a /30');
  assert.ok(Math.floor(last(a.snd) / 4) !== Math.floor(last(a.rcv) / 4), 'two different /30s');
  for (const i of INTENSITIES) {
    const p = tcpRttParams(i);
    assert.ok(p.queueMs * 1e6 > T.tcp_rtt_p99_warning_ns, `${i}: a full queue delays ≥ the threshold`);
  }
});

test('slow-io: every pwrite waits past the syscall latency threshold at every intensity', () => {
  for (const i of INTENSITIES)
    assert.ok(
      slowIoParams(i).expectedCallNs >= T.syscall_p99_warning_ns,
      `${i}: ${slowIoParams(i).expectedCallNs}`,
    );
  assert.ok(slowIoParams('medium').expectedCallNs >= T.syscall_p99_critical_ns, 'medium reaches critical');
});

test('slow-disk: the last write of a batch waits past the critical line, and the writer never outpaces the throttle', () => {
  const throttle = 1024 * 1024;
  const block = 256 * 1024;
  for (const i of INTENSITIES) {
    const p = slowDiskParams(i);
    const lastWaitNs = ((p.blocks * block) / throttle) * 1e9;
    assert.ok(lastWaitNs > T.disk_p99_critical_ns, `${i}: ${lastWaitNs} ns`);
    assert.ok((p.blocks * block) / p.periodS <= throttle, `${i}: bounded backlog`);
  }
});

test('host-memory: the plan crosses the warning line, leaves the floor, and refuses a host already past it', () => {
  for (const i of INTENSITIES) {
    const p = hostMemoryParams(i);
    assert.ok(p.startPct >= T.oom_memory_pct && p.endPct > p.startPct);
    assert.ok(100 - p.endPct >= FLOOR_PCT, `${i}: leaves ≥ ${FLOOR_PCT} %`);
    const growth = (((p.endPct - p.startPct) / 100) * 24 * GiB) / (p.rampMs / 1000);
    assert.ok(growth >= 10 * T.oom_min_growth_bytes_per_sec, `${i}: growth ${growth} B/s`);
  }
  assert.ok(hostMemoryParams('high').startPct > T.oom_memory_critical_pct, 'high is critical');
  const plan = hostMemoryPlan('medium', 24 * GiB, 2 * GiB);
  assert.equal(plan.startBytes, Math.floor(24 * GiB * 0.91 - 2 * GiB));
  assert.equal(plan.endBytes, Math.floor(24 * GiB * 0.94 - 2 * GiB));
  assert.throws(
    () => hostMemoryPlan('medium', 24 * GiB, 22 * GiB),
    /already 91\.67 % used \(≥ 91 %\): not adding/,
  );
});

test('stress-ng cpu hogs outnumber one CPU at every intensity', () => {
  for (const i of INTENSITIES) assert.ok(stressNgCpuHogs(i) >= 4);
});

test('removeIoThrottle deletes only our device line, and refuses anything but maj:min', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kerno-test-'));
  try {
    const f = join(dir, 'blkio.throttle.write_bps_device');
    writeFileSync(f, '7:1 1048576\n');
    removeIoThrottle(f, '7:1');
    assert.equal(readFileSync(f, 'utf8'), '7:1 0', 'a 0 limit deletes the rule');
    writeFileSync(f, '8:0 5\n');
    removeIoThrottle(f, '7:1');
    assert.equal(readFileSync(f, 'utf8'), '8:0 5\n', 'another device is left alone');
    assert.throws(() => removeIoThrottle(f, '7:1 0\n8:0'), /refusing/);
    removeIoThrottle(join(dir, 'missing'), '7:1'); // hierarchy gone: nothing to do
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('removeLoops never detaches a loop device that does not end at a kerno-chaos file', async () => {
  await assert.rejects(
    removeLoops('/var/lib/images/disk.img'),
    /refusing to remove loop backing file "disk\.img"/,
  );
  await removeLoops('/var/tmp/kerno-chaos-wdisk-0a1b2c3d'); // ours, absent: nothing attached, no error
});
