import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { memoryPressureStall } from '../../../rules/memory_pressure_stall.js';
import { cpuPressureStall } from '../../../rules/cpu_pressure_stall.js';
import { ioPressureStall } from '../../../rules/io_pressure_stall.js';
import { DEFAULT_THRESHOLDS as D } from '../../../src/doctor/thresholds.js';
import { MS, pctl, psiWindow, quietSignals, runRule } from './fixtures.js';

describe('memory_pressure_stall', () => {
  function withMem(some: number, full: number) {
    const s = quietSignals();
    s.pressure!.memory = psiWindow(some, full);
    return s;
  }

  it('stays quiet on an idle host', () => {
    assert.deepEqual(runRule(memoryPressureStall, quietSignals()), []);
  });

  it('full: quiet just below the warning share, WARNING at it, CRITICAL at the critical share', () => {
    assert.deepEqual(runRule(memoryPressureStall, withMem(4.9, D.psi_memory_full_warning_pct - 0.01)), []);
    const [w] = runRule(memoryPressureStall, withMem(6, D.psi_memory_full_warning_pct));
    assert.equal(w!.severity, 'warning');
    assert.equal(w!.metric, 'psi_memory_full_pct');
    assert.equal(w!.threshold, D.psi_memory_full_warning_pct);
    assert.equal(
      runRule(memoryPressureStall, withMem(30, D.psi_memory_full_critical_pct - 0.01))[0]!.severity,
      'warning',
    );
    const [c] = runRule(memoryPressureStall, withMem(30, D.psi_memory_full_critical_pct));
    assert.equal(c!.severity, 'critical');
    assert.equal(c!.threshold, D.psi_memory_full_critical_pct);
    assert.equal(c!.subject, '');
  });

  it('some alone: quiet just below psi_memory_some_warning_pct, WARNING at it', () => {
    assert.deepEqual(runRule(memoryPressureStall, withMem(D.psi_memory_some_warning_pct - 0.01, 1)), []);
    const [f] = runRule(memoryPressureStall, withMem(D.psi_memory_some_warning_pct, 1));
    assert.equal(f!.metric, 'psi_memory_some_pct');
    assert.equal(f!.severity, 'warning');
  });

  it('evidence: share, stall time in seconds, kernel averages', () => {
    const [f] = runRule(memoryPressureStall, withMem(41, 23));
    assert.equal(f!.evidence[0], 'all non-idle tasks stalled on memory for 23% of the window ≥ 20%');
    assert.equal(
      f!.evidence[1],
      'memory pressure: some 41% (12.3s), full 23% (6.9s) of the window; kernel avg10 some 41%, full 23%',
    );
  });

  it('falls back to memory.psi when the pressure collector is absent', () => {
    const s = quietSignals();
    delete s.pressure;
    s.memory!.psi = psiWindow(10, 6);
    assert.equal(runRule(memoryPressureStall, s).length, 1);
  });

  it('a cgroup v2 container with PSI gets its own finding, subject = its path', () => {
    const s = quietSignals();
    s.cgroupMemory!.containers[1]!.psi = psiWindow(40, 22);
    const fs = runRule(memoryPressureStall, s);
    assert.equal(fs.length, 1);
    assert.equal(fs[0]!.subject, '/kubepods/burstable/pod123/ctr');
    assert.equal(fs[0]!.title, 'Memory Pressure Stall: shop/web-0');
    assert.equal(fs[0]!.severity, 'critical');
    assert.ok(fs[0]!.fix[0]!.startsWith('cat /sys/fs/cgroup/kubepods/burstable/pod123/ctr/memory.pressure'));
  });
});

describe('cpu_pressure_stall', () => {
  function withCpu(some: number) {
    const s = quietSignals();
    s.pressure!.cpu = psiWindow(some, 0);
    return s;
  }

  it('stays quiet on an idle host and on a busy but healthy one (20 %)', () => {
    assert.deepEqual(runRule(cpuPressureStall, quietSignals()), []);
    assert.deepEqual(runRule(cpuPressureStall, withCpu(20)), []);
  });

  it('quiet just below the warning share, WARNING at it, CRITICAL at the critical share', () => {
    assert.deepEqual(runRule(cpuPressureStall, withCpu(D.psi_cpu_some_warning_pct - 0.01)), []);
    const [w] = runRule(cpuPressureStall, withCpu(D.psi_cpu_some_warning_pct));
    assert.equal(w!.severity, 'warning');
    assert.equal(w!.threshold, D.psi_cpu_some_warning_pct);
    assert.equal(
      runRule(cpuPressureStall, withCpu(D.psi_cpu_some_critical_pct - 0.01))[0]!.severity,
      'warning',
    );
    const [c] = runRule(cpuPressureStall, withCpu(D.psi_cpu_some_critical_pct));
    assert.equal(c!.severity, 'critical');
    assert.equal(c!.threshold, D.psi_cpu_some_critical_pct);
    assert.equal(c!.metric, 'psi_cpu_some_pct');
  });

  it('evidence cross-references the run-queue delay', () => {
    const s = withCpu(85);
    s.sched!.runqDelay = pctl(50_000, 2 * MS, 15 * MS, 30 * MS);
    const [f] = runRule(cpuPressureStall, s);
    assert.ok(f!.evidence.includes('run-queue delay p99 30ms over 50,000 wakeups'));
  });
});

describe('io_pressure_stall', () => {
  function withIo(some: number, full: number) {
    const s = quietSignals();
    s.pressure!.io = psiWindow(some, full);
    return s;
  }

  it('stays quiet on an idle host, and on high "some" alone (a backup running)', () => {
    assert.deepEqual(runRule(ioPressureStall, quietSignals()), []);
    assert.deepEqual(runRule(ioPressureStall, withIo(90, 2)), []);
  });

  it('quiet just below the warning share, WARNING at it, CRITICAL at the critical share', () => {
    assert.deepEqual(runRule(ioPressureStall, withIo(50, D.psi_io_full_warning_pct - 0.01)), []);
    const [w] = runRule(ioPressureStall, withIo(50, D.psi_io_full_warning_pct));
    assert.equal(w!.severity, 'warning');
    assert.equal(w!.threshold, D.psi_io_full_warning_pct);
    assert.equal(
      runRule(ioPressureStall, withIo(50, D.psi_io_full_critical_pct - 0.01))[0]!.severity,
      'warning',
    );
    const [c] = runRule(ioPressureStall, withIo(70, D.psi_io_full_critical_pct));
    assert.equal(c!.severity, 'critical');
    assert.equal(c!.metric, 'psi_io_full_pct');
  });

  it('evidence names the device latencies and the fix targets it', () => {
    const s = withIo(70, 35);
    s.disk!.devices[0]!.sync = pctl(3000, 40 * MS, 180 * MS, 260 * MS);
    const [f] = runRule(ioPressureStall, s);
    assert.ok(
      f!.evidence.some((l) =>
        l.startsWith('vda: read p99 2ms (40), write p99 8ms (300), sync p99 260ms (3,000)'),
      ),
    );
    assert.ok(f!.fix.some((c) => c.startsWith('iostat -x vda 1 5')));
    assert.match(f!.cause, /busiest device vda/);
  });
});
