// disk_io_write_high — device write latency at the critical level (reference §4.2).
//
// Only CRITICAL, as in the original: ordinary writes are mostly writeback that nobody waits for, so a
// warning level would mostly describe a busy disk; at the critical level (default 200 ms per write at the
// device) even writeback throttling (balance_dirty_pages) stalls writers. Can fire together with
// disk_io_bottleneck. Same per-device and minimum-slow-I/O rules.
import type { Finding, Rule } from '../src/doctor/types.js';
import { pickThresholds, type Thresholds } from '../src/doctor/thresholds.js';
import { formatCount, formatNs } from '../src/doctor/format.js';
import { minSamplesAtOrAbove, slowEnough } from './lib/percentiles.js';
import { diskCommands, diskTargets, ioPressureLine, latencyLine } from './lib/disk.js';

type T = Pick<Thresholds, 'disk_p99_critical_ns' | 'disk_min_slow_ios'>;

export const diskIoWriteHigh: Rule<T> = {
  id: 'disk_io_write_high',
  signal: 'disk',
  description: 'Write latency at a block device reached the critical level.',
  defaults: pickThresholds('disk_p99_critical_ns', 'disk_min_slow_ios'),
  doc: {
    severity: 'CRITICAL',
    trigger: (t) =>
      `a device's write p99 ≥ ${formatNs(t.disk_p99_critical_ns)}, with at least ${t.disk_min_slow_ios} writes that slow`,
    why: 'At this latency even buffered writers are throttled in dirty-page writeback, and a failing or saturated device often shows here first.',
    fix: [
      'smartctl -a /dev/<dev>   # media errors, reallocated sectors',
      'cat /sys/block/<dev>/queue/scheduler',
      'iostat -x <dev> 1 5',
    ],
  },
  evaluate(signals, t) {
    const disk = signals.disk;
    if (disk === undefined) return [];
    const out: Finding[] = [];
    for (const target of diskTargets(disk, 'write')) {
      const p = target.latency;
      if (!slowEnough(p, t.disk_p99_critical_ns, t.disk_min_slow_ios)) continue;
      const cmd = diskCommands(target);
      const on = target.device !== undefined ? ` on ${target.label}` : '';
      const evidence = [
        `write p99 ${formatNs(p.p99)} ≥ ${formatNs(t.disk_p99_critical_ns)} critical threshold`,
        latencyLine('writes', p),
        `at least ${formatCount(minSamplesAtOrAbove(p, t.disk_p99_critical_ns))} writes took ≥ ${formatNs(t.disk_p99_critical_ns)}`,
      ];
      const psi = ioPressureLine(signals.pressure);
      if (psi !== undefined) evidence.push(psi);
      out.push({
        rule: 'disk_io_write_high',
        severity: 'critical',
        title: `Critical Disk Write Latency${on}`,
        signal: 'disk',
        subject: target.subject,
        cause: `Writes${on} take ${formatNs(p.p99)} at p99 at the device: it is saturated or degraded.`,
        impact: 'Dirty-page writeback falls behind, so buffered writers get throttled and sync writers wait.',
        evidence,
        fix: [cmd.smart, cmd.scheduler, cmd.iostat],
        metric: 'disk_write_p99',
        unit: 'ns',
        value: p.p99,
        threshold: t.disk_p99_critical_ns,
      });
    }
    return out;
  },
  judgedBy() {
    return 'disk_p99_critical_ns';
  },
};
