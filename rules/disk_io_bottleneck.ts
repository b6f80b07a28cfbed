// disk_io_bottleneck — flush/sync/FUA write latency per device (reference §4.2, thresholds §5.6).
//
// Sync writes are the ones applications wait for (fsync, O_DSYNC, journal commits), so their latency is
// what turns a slow disk into slow requests. Per device rather than host-wide, so the finding names the
// disk to look at. A p99 must be backed by `disk_min_slow_ios` I/Os at least that slow: an idle host's
// handful of journal flushes in a window would otherwise fire on one slow flush of a virtual disk.
import type { Finding, Rule } from '../src/doctor/types.js';
import { pickThresholds, type Thresholds } from '../src/doctor/thresholds.js';
import { formatCount, formatNs } from '../src/doctor/format.js';
import { minSamplesAtOrAbove, slowEnough } from './lib/percentiles.js';
import { diskCommands, diskTargets, ioPressureLine, latencyLine } from './lib/disk.js';

type T = Pick<Thresholds, 'disk_p99_warning_ns' | 'disk_p99_critical_ns' | 'disk_min_slow_ios'>;

export const diskIoBottleneck: Rule<T> = {
  id: 'disk_io_bottleneck',
  signal: 'disk',
  description: 'Flush/sync write latency on a block device is high enough to stall applications that fsync.',
  defaults: pickThresholds('disk_p99_warning_ns', 'disk_p99_critical_ns', 'disk_min_slow_ios'),
  doc: {
    severity: 'WARNING, CRITICAL',
    trigger: (t) =>
      `a device's flush/sync write p99 ≥ ${formatNs(t.disk_p99_warning_ns)} (WARNING) or ≥ ` +
      `${formatNs(t.disk_p99_critical_ns)} (CRITICAL), with at least ${t.disk_min_slow_ios} I/Os that slow`,
    why: 'fsync and O_SYNC writes block the caller until the device confirms: database commits, journal writes and log flushes all wait this long, and writers pile up behind them.',
    fix: [
      'iostat -x <dev> 1 5   # w_await and aqu-sz show per-write wait and queue depth',
      'pidstat -d 1 5   # which processes write the most',
      'batch or make fsync asynchronous, or move the workload to faster storage',
    ],
  },
  evaluate(signals, t) {
    const disk = signals.disk;
    if (disk === undefined) return [];
    const out: Finding[] = [];
    for (const target of diskTargets(disk, 'sync')) {
      const p = target.latency;
      if (!slowEnough(p, t.disk_p99_warning_ns, t.disk_min_slow_ios)) continue;
      const critical = slowEnough(p, t.disk_p99_critical_ns, t.disk_min_slow_ios);
      const threshold = critical ? t.disk_p99_critical_ns : t.disk_p99_warning_ns;
      const cmd = diskCommands(target);
      const on = target.device !== undefined ? ` on ${target.label}` : '';
      const evidence = [
        `sync write p99 ${formatNs(p.p99)} ≥ ${formatNs(threshold)} ${critical ? 'critical' : 'warning'} threshold` +
          ` (warning ${formatNs(t.disk_p99_warning_ns)}, critical ${formatNs(t.disk_p99_critical_ns)})`,
        latencyLine('flush/sync writes', p),
        `at least ${formatCount(minSamplesAtOrAbove(p, threshold))} of them took ≥ ${formatNs(threshold)}`,
      ];
      const d = target.device;
      if (d !== undefined) {
        evidence.push(
          `${target.label}: read p99 ${formatNs(d.read.p99)} (${formatCount(d.read.count)}), write p99 ` +
            `${formatNs(d.write.p99)} (${formatCount(d.write.count)})`,
        );
      }
      const psi = ioPressureLine(signals.pressure);
      if (psi !== undefined) evidence.push(psi);
      out.push({
        rule: 'disk_io_bottleneck',
        severity: critical ? 'critical' : 'warning',
        title: (critical ? 'Disk I/O Bottleneck Detected' : 'Elevated Disk Sync Latency') + on,
        signal: 'disk',
        subject: target.subject,
        cause: `Flush/sync writes${on} take ${formatNs(p.p99)} at p99: the device cannot keep up with the durable-write rate.`,
        impact:
          'Every fsync()/fdatasync()/O_SYNC write waits this long: database commits and journal flushes slow ' +
          'down and writers queue up in uninterruptible sleep.',
        evidence,
        fix: critical
          ? [
              cmd.iostat,
              cmd.inflight,
              'pidstat -d 1 5   # which processes write the most',
              'batch or make fsync asynchronous, or move the workload to faster storage',
            ]
          : [
              cmd.iostat,
              cmd.inflight,
              'pidstat -d 1 5   # look for a noisy neighbour writing to the same disk',
            ],
        metric: 'disk_sync_p99',
        unit: 'ns',
        value: p.p99,
        threshold,
      });
    }
    return out;
  },
  judgedBy(f) {
    return f.severity === 'critical' ? 'disk_p99_critical_ns' : 'disk_p99_warning_ns';
  },
};
