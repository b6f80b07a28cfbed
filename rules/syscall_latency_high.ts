// syscall_latency_high — a (syscall, process) pair completes slowly (reference §4.2). At most one finding
// per run: the headline is the slowest pair, the others are listed in its evidence.
//
// Excluded: syscalls that block by design (poll, futex, nanosleep …) — waiting is their job, and counting
// them was the original's main idle-host false positive. The "[other]" overflow bucket is kept: its calls are
// real and a slow syscall may hide there when many processes are busy; only its fix steps cannot name a
// process. Each pair also needs `syscall_min_slow_calls` calls at or above the threshold (a lower bound
// from its percentiles): a p99 over eight calls is the maximum, so one slow call would otherwise fire.
import { OTHER_COMM, type SyscallEntry } from '../src/signals/types.js';
import type { Rule } from '../src/doctor/types.js';
import { pickThresholds, type Thresholds } from '../src/doctor/thresholds.js';
import { formatCount, formatNs } from '../src/doctor/format.js';
import { minSamplesAtOrAbove, slowEnough } from './lib/percentiles.js';
import { excludedAsWaiting, syscallResourceHint, syscallSubject } from './lib/syscalls.js';
import { pidsOf } from './lib/shell.js';

type T = Pick<Thresholds, 'syscall_p99_warning_ns' | 'syscall_p99_critical_ns' | 'syscall_min_slow_calls'>;

const MAX_LISTED = 6;

function entryLine(e: SyscallEntry): string {
  const l = e.latency;
  return `${syscallSubject(e)}: p99 ${formatNs(l.p99)}, p50 ${formatNs(l.p50)}, max ${formatNs(l.max)} over ${formatCount(l.count)} calls`;
}

export const syscallLatencyHigh: Rule<T> = {
  id: 'syscall_latency_high',
  signal: 'syscall',
  description: 'Non-blocking syscalls of a process take long to complete.',
  defaults: pickThresholds('syscall_p99_warning_ns', 'syscall_p99_critical_ns', 'syscall_min_slow_calls'),
  doc: {
    severity: 'WARNING, CRITICAL',
    trigger: (t) =>
      `a (syscall, process) p99 ≥ ${formatNs(t.syscall_p99_warning_ns)} (WARNING) or ≥ ${formatNs(t.syscall_p99_critical_ns)} ` +
      `(CRITICAL), with at least ${t.syscall_min_slow_calls} calls that slow; blocking syscalls (poll, futex, nanosleep …) excluded`,
    why: 'A syscall that should return quickly but takes this long means the process waits on a saturated resource — a disk, the network, memory reclaim — and so do its users.',
    fix: [
      'strace -f -T -e trace=<syscall> -p "$(pgrep -d, -x <comm>)"   # -T shows the time spent in each call',
      'perf trace -s -p "$(pgrep -d, -x <comm>)" -- sleep 10   # per-syscall summary',
      'check the saturated resource behind it (iostat -x 1 5; cat /proc/pressure/{io,memory,cpu})',
    ],
  },
  evaluate(signals, t) {
    const sc = signals.syscall;
    if (sc === undefined) return [];
    const slow = sc.entries
      .filter(
        (e) =>
          !excludedAsWaiting(e) && slowEnough(e.latency, t.syscall_p99_warning_ns, t.syscall_min_slow_calls),
      )
      .sort((a, b) => b.latency.p99 - a.latency.p99 || b.latency.count - a.latency.count);
    const top = slow[0];
    if (top === undefined) return [];
    const critical = slow.some((e) =>
      slowEnough(e.latency, t.syscall_p99_critical_ns, t.syscall_min_slow_calls),
    );
    const threshold = critical ? t.syscall_p99_critical_ns : t.syscall_p99_warning_ns;
    const evidence = [
      `${slow.length} (syscall, process) pair${slow.length === 1 ? '' : 's'} with p99 ≥ ${formatNs(t.syscall_p99_warning_ns)}` +
        ` (critical ${formatNs(t.syscall_p99_critical_ns)}); blocking syscalls excluded`,
      ...slow.slice(0, MAX_LISTED).map(entryLine),
      `${top.name}(${top.comm}): at least ${formatCount(minSamplesAtOrAbove(top.latency, t.syscall_p99_warning_ns))} calls took ≥ ${formatNs(t.syscall_p99_warning_ns)}`,
    ];
    if (slow.length > MAX_LISTED) evidence.push(`… and ${slow.length - MAX_LISTED} more`);
    const named = top.comm !== OTHER_COMM;
    const fix = named
      ? [
          `strace -f -T -e trace=${top.name} -p ${pidsOf(top.comm)}   # -T: time spent in each call`,
          `perf trace -s -p ${pidsOf(top.comm)} -- sleep 10   # per-syscall summary for ${top.comm}`,
        ]
      : [
          `perf trace -s -a -e ${top.name} -- sleep 10   # many processes share the overflow bucket: trace system-wide`,
        ];
    const hint = syscallResourceHint(top.name);
    fix.push(
      hint !== undefined
        ? `likely resource — ${hint}`
        : 'check the resource the call waits on (cat /proc/pressure/{io,memory,cpu})',
    );
    return [
      {
        rule: 'syscall_latency_high',
        severity: critical ? 'critical' : 'warning',
        title:
          slow.length === 1
            ? `High ${top.name}() Syscall Latency`
            : `High Syscall Latency (${slow.length} affected)`,
        signal: 'syscall',
        subject: syscallSubject(top),
        cause: `${top.name}() in ${named ? top.comm : 'several processes'} takes ${formatNs(top.latency.p99)} at p99: it waits on a saturated resource.`,
        impact: `Whatever ${named ? top.comm : 'the caller'} does after ${top.name}() — answering a request, committing a write — is delayed by up to this much.`,
        evidence,
        fix,
        metric: 'syscall_p99_max',
        unit: 'ns',
        value: top.latency.p99,
        threshold,
        process: top.comm,
      },
    ];
  },
  judgedBy(f) {
    return f.severity === 'critical' ? 'syscall_p99_critical_ns' : 'syscall_p99_warning_ns';
  },
};
