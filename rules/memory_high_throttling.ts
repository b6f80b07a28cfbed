// memory_high_throttling — a cgroup's allocations are throttled into synchronous reclaim.
//
// cgroup v2: the `high` counter of memory.events counts the times tasks were throttled and sent to direct
// reclaim for exceeding memory.high; ≥ `cgroup_memory_high_events_per_sec` (1/s, as the original) means the
// workload lives above its high boundary. cgroup v1 has no memory.high: memory.failcnt counts charges that
// hit memory.limit_in_bytes and had to reclaim. Each tick is a charge batch, so a cache-heavy but healthy
// container at its limit trims clean page cache at tens per second; `cgroup_memory_failcnt_per_sec`
// defaults to 100/s, where allocations are continuously stalled in reclaim. WARNING only: throttling is
// slowness, not loss (memory_limit_pressure covers the OOM side).
import type { CgroupMemoryEntry } from '../src/signals/types.js';
import type { Finding, Rule } from '../src/doctor/types.js';
import { pickThresholds, type Thresholds } from '../src/doctor/thresholds.js';
import { formatBytes, formatCount, formatPct, formatRate } from '../src/doctor/format.js';
import { cgroupDir, cgroupInspectCommands, cgroupLabel, raiseLimitCommands } from './lib/cgroup.js';
import { psiLine } from './lib/psi.js';

type T = Pick<Thresholds, 'cgroup_memory_high_events_per_sec' | 'cgroup_memory_failcnt_per_sec'>;

function limitOrNone(bytes: number): string {
  return bytes > 0 ? formatBytes(bytes) : 'none';
}

export const memoryHighThrottling: Rule<T> = {
  id: 'memory_high_throttling',
  signal: 'cgroupMemory',
  description:
    'A cgroup keeps hitting its memory.high (v2) or limit (v1 failcnt) and is throttled into reclaim.',
  defaults: pickThresholds('cgroup_memory_high_events_per_sec', 'cgroup_memory_failcnt_per_sec'),
  doc: {
    severity: 'WARNING',
    trigger: (t) =>
      `cgroup v2 memory.events "high" grows ≥ ${formatRate(t.cgroup_memory_high_events_per_sec)}, or cgroup v1 ` +
      `memory.failcnt grows ≥ ${formatRate(t.cgroup_memory_failcnt_per_sec)}`,
    why: 'Throttled tasks reclaim memory synchronously before every allocation: the workload slows down without any error or OOM to explain it.',
    fix: [
      'cat <cgroup>/memory.events <cgroup>/memory.high <cgroup>/memory.current   # v1: memory.failcnt, memory.limit_in_bytes',
      "grep -E '^(anon|file|inactive_file) ' <cgroup>/memory.stat",
      'raise memory.high (systemctl set-property <unit> MemoryHigh=…) or reduce the working set',
    ],
  },
  evaluate(signals, t) {
    const cm = signals.cgroupMemory;
    if (cm === undefined) return [];
    const out: Finding[] = [];
    for (const e of cm.containers) {
      const v2 = e.version === 2;
      const rate = v2 ? e.highEventRatePerSec : e.failcntRatePerSec;
      const threshold = v2 ? t.cgroup_memory_high_events_per_sec : t.cgroup_memory_failcnt_per_sec;
      if (!(rate >= threshold) || !(rate > 0)) continue;
      const label = cgroupLabel(e);
      const dir = cgroupDir(cm.root, e.version, e.cgroupPath);
      const evidence = v2
        ? [
            `memory.events high +${formatRate(rate)} ≥ ${formatRate(threshold)} (total ${formatCount(e.events.high)})`,
            `current ${formatBytes(e.currentBytes)}, memory.high ${limitOrNone(e.highBytes)}, memory.max ${limitOrNone(e.limitBytes)}`,
          ]
        : [
            `memory.failcnt +${formatRate(rate)} ≥ ${formatRate(threshold)} (total ${formatCount(e.failcnt)})`,
            `current ${formatBytes(e.currentBytes)} of limit ${limitOrNone(e.limitBytes)} (${formatPct(e.usedPct)})`,
          ];
      if (e.psi !== undefined) evidence.push(psiLine('cgroup memory pressure', e.psi));
      out.push(throttlingFinding(e, label, dir, rate, threshold, evidence, v2));
    }
    return out;
  },
  judgedBy(f) {
    return f.metric === 'cgroup_memory_high_events_per_sec'
      ? 'cgroup_memory_high_events_per_sec'
      : 'cgroup_memory_failcnt_per_sec';
  },
};

function throttlingFinding(
  e: CgroupMemoryEntry,
  label: string,
  dir: string,
  rate: number,
  threshold: number,
  evidence: string[],
  v2: boolean,
): Finding {
  return {
    rule: 'memory_high_throttling',
    severity: 'warning',
    title: `Memory High Throttling: ${label}`,
    signal: 'cgroupMemory',
    subject: e.cgroupPath,
    cause: v2
      ? `${label} allocates above its memory.high boundary, so its tasks are throttled into direct reclaim (${formatRate(rate)}).`
      : `${label} keeps hitting its memory limit, so every charge there reclaims first (failcnt ${formatRate(rate)}).`,
    impact:
      'Allocations stall in synchronous reclaim: the workload slows down with no error and no OOM to explain it.',
    evidence,
    fix: [
      ...cgroupInspectCommands(dir, e.version),
      ...raiseLimitCommands(e, dir, v2 ? 'high' : 'max'),
      'or shrink the working set (cache sizes, heap limits) to fit under the boundary',
    ],
    metric: v2 ? 'cgroup_memory_high_events_per_sec' : 'cgroup_memory_failcnt_per_sec',
    unit: 'per_sec',
    value: rate,
    threshold,
    ...(e.pod !== undefined && e.pod !== '' ? { process: e.pod } : {}),
  };
}
