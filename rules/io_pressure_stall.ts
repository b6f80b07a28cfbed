// io_pressure_stall — every non-idle task waited on I/O a large share of the window (PSI,
// /proc/pressure/io "full").
//
// Why "full" and these defaults. io "some" is the time at least one task waited on I/O: any backup, log
// shipper or package install keeps it high on a healthy host, so it is shown as evidence, not judged. io
// "full" is the time all non-idle tasks waited on I/O at once — nothing on the host made progress. An idle
// host and a healthy service host sit near 0 %. 10 % of the window (3 s in 30 s) of total I/O stall is
// already visible as request latency: WARNING; 30 %: CRITICAL. Caveat: on an otherwise idle host a single
// streaming I/O task (dd, a backup) is "all non-idle tasks", so it can show high "full" on its own; the
// evidence names the device latency so the reader can tell a slow disk from a merely busy one.
import type { Rule } from '../src/doctor/types.js';
import { pickThresholds, type Thresholds } from '../src/doctor/thresholds.js';
import { formatCount, formatNs, formatPct } from '../src/doctor/format.js';
import { psiLine } from './lib/psi.js';
import { deviceLabel } from './lib/subjects.js';

type T = Pick<Thresholds, 'psi_io_full_warning_pct' | 'psi_io_full_critical_pct'>;

export const ioPressureStall: Rule<T> = {
  id: 'io_pressure_stall',
  signal: 'pressure',
  description: 'All non-idle tasks spend a large share of the window stalled on I/O at the same time.',
  defaults: pickThresholds('psi_io_full_warning_pct', 'psi_io_full_critical_pct'),
  doc: {
    severity: 'WARNING, CRITICAL',
    trigger: (t) =>
      `io PSI "full" ≥ ${formatPct(t.psi_io_full_warning_pct)} of the window (WARNING) or ≥ ${formatPct(t.psi_io_full_critical_pct)} (CRITICAL)`,
    why: 'While every runnable task waits on the disk, the host does no useful work: requests queue behind storage.',
    fix: [
      'cat /proc/pressure/io',
      'iostat -x 1 5   # which device: r_await/w_await, aqu-sz, %util',
      'pidstat -d 1 5   # which processes do the I/O',
    ],
  },
  evaluate(signals, t) {
    const io = signals.pressure?.io;
    if (io === undefined) return [];
    const critical = io.fullPct >= t.psi_io_full_critical_pct;
    if (!critical && io.fullPct < t.psi_io_full_warning_pct) return [];
    const threshold = critical ? t.psi_io_full_critical_pct : t.psi_io_full_warning_pct;
    const evidence = [
      `all non-idle tasks stalled on I/O ${formatPct(io.fullPct)} of the window ≥ ${formatPct(threshold)}`,
      psiLine('io pressure', io),
    ];
    const devices = [...(signals.disk?.devices ?? [])]
      .filter((d) => d.read.count + d.write.count + d.sync.count > 0)
      .sort(
        (a, b) =>
          Math.max(b.write.p99, b.sync.p99, b.read.p99) - Math.max(a.write.p99, a.sync.p99, a.read.p99),
      )
      .slice(0, 3);
    for (const d of devices) {
      evidence.push(
        `${deviceLabel(d)}: read p99 ${formatNs(d.read.p99)} (${formatCount(d.read.count)}), write p99 ${formatNs(d.write.p99)} ` +
          `(${formatCount(d.write.count)}), sync p99 ${formatNs(d.sync.p99)} (${formatCount(d.sync.count)})`,
      );
    }
    const worst = devices[0];
    return [
      {
        rule: 'io_pressure_stall',
        severity: critical ? 'critical' : 'warning',
        title: 'I/O Pressure Stall',
        signal: 'pressure',
        subject: '',
        cause:
          `Every non-idle task was waiting on I/O ${formatPct(io.fullPct)} of the time` +
          (worst !== undefined ? `; busiest device ${deviceLabel(worst)}.` : '.'),
        impact:
          'While all runnable work waits on storage the host makes no progress: requests queue behind the disk.',
        evidence,
        fix: [
          'cat /proc/pressure/io',
          worst !== undefined && worst.name !== ''
            ? `iostat -x ${worst.name} 1 5   # r_await/w_await, aqu-sz, %util`
            : 'iostat -x 1 5   # which device: r_await/w_await, aqu-sz, %util',
          'pidstat -d 1 5   # which processes do the I/O',
          'move bulk I/O off the hot path (ionice -c3 for batch jobs) or to faster storage',
        ],
        metric: 'psi_io_full_pct',
        unit: 'percent',
        value: io.fullPct,
        threshold,
      },
    ];
  },
  judgedBy(f) {
    return f.severity === 'critical' ? 'psi_io_full_critical_pct' : 'psi_io_full_warning_pct';
  },
};
