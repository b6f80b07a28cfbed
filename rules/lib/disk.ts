import type { DiskDevice, DiskSignals, Percentiles, PressureSignals } from '../../src/signals/types.js';
import { formatCount, formatNs, formatPct } from '../../src/doctor/format.js';
import { deviceLabel, deviceSubject } from './subjects.js';

/** One latency series to judge: a device, or the host-wide aggregate when no per-device data exists. */
export interface DiskTarget {
  device?: DiskDevice;
  subject: string;
  label: string;
  latency: Percentiles;
}

/** Per-device series when the collector split by device (one finding per device), else the aggregate. */
export function diskTargets(disk: DiskSignals, op: 'sync' | 'write'): DiskTarget[] {
  if (disk.devices.length > 0) {
    return disk.devices.map((d) => ({
      device: d,
      subject: deviceSubject(d),
      label: deviceLabel(d),
      latency: d[op],
    }));
  }
  return [{ subject: '', label: 'all disks', latency: op === 'sync' ? disk.syncLatency : disk.writeLatency }];
}

export function latencyLine(what: string, p: Percentiles): string {
  return `${what}: p50 ${formatNs(p.p50)}, p95 ${formatNs(p.p95)}, p99 ${formatNs(p.p99)}, max ${formatNs(p.max)} over ${formatCount(p.count)} I/Os`;
}

export function ioPressureLine(pressure: PressureSignals | undefined): string | undefined {
  const io = pressure?.io;
  if (io === undefined) return undefined;
  return `io pressure over the window: some ${formatPct(io.somePct)}, full ${formatPct(io.fullPct)} of the time`;
}

/** Commands that name the device when it is known. */
export function diskCommands(t: DiskTarget): {
  iostat: string;
  inflight: string;
  smart: string;
  scheduler: string;
} {
  const d = t.device;
  if (d !== undefined && d.name !== '') {
    return {
      iostat: `iostat -x ${d.name} 1 5   # w_await/aqu-sz: per-write wait and queue depth`,
      inflight: `cat /sys/block/${d.name}/inflight   # reads, writes in flight right now`,
      smart: `smartctl -a /dev/${d.name}   # media errors, reallocated sectors (physical disks only)`,
      scheduler: `cat /sys/block/${d.name}/queue/scheduler`,
    };
  }
  const sys = d !== undefined ? `/sys/dev/block/${d.dev}` : '/sys/block/<dev>';
  return {
    iostat: 'iostat -x 1 5   # w_await/aqu-sz per device',
    inflight: `cat ${sys}/inflight`,
    smart: 'smartctl -a /dev/<dev>',
    scheduler: `cat ${sys}/queue/scheduler`,
  };
}
