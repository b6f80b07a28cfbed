// syscall_error_rate — a (syscall, process) pair fails often (reference §4.2). At most one finding per run:
// the headline is the highest failure share, others in the evidence.
//
// What counts as a failure: not every negative return. EAGAIN from a non-blocking socket, EINTR, a
// non-blocking connect's EINPROGRESS, stat()'s ENOENT, isatty()'s ENOTTY are answers a healthy program
// expects, and an idle event loop produces them by the thousand (the original counted them, so it fired on
// idle hosts). Those are set aside (rules/lib/syscalls.ts); the rest are failures. Blocking syscalls are
// excluded as in syscall_latency_high. So is the "[other]" overflow bucket — unlike for latency: errors
// add up across the many processes folded into it, so it reports the sum of everyone's benign start-up
// misses (measured here: openat([other]) 40 % failing at 500/s from dozens of short-lived shell tools)
// while the rule's claim is that one process keeps failing.
//
// Defaults: a pair must fail ≥ `syscall_error_warning_pct` (5 %) of its calls, and either fail with real
// errors (EACCES, EBADF, ECONNREFUSED, ENOSPC …) at least `syscall_error_min_per_sec` (10/s) times, or
// with anything including lookup misses (open → ENOENT) at least `syscall_lookup_miss_min_per_sec`
// (200/s) times. Below 5 %, a busy server's normal churn (clients hanging up: EPIPE, ECONNRESET)
// dominates; lookup misses get the higher floor because process start-up produces them in bulk (see
// rules/lib/syscalls.ts). At 25 % a quarter of a process's calls fail: a broken dependency (CRITICAL).
import type { SyscallEntry } from '../src/signals.js';
import type { Rule } from '../src/doctor/types.js';
import { pickThresholds, type Thresholds } from '../src/doctor/thresholds.js';
import { formatCount, formatPct, formatRate } from '../src/doctor/format.js';
import {
  errnoHint,
  errorBreakdown,
  isBlocking,
  OTHER_COMM,
  syscallSubject,
  type ErrorBreakdown,
} from './lib/syscalls.js';
import { pidsOf } from './lib/shell.js';

type T = Pick<
  Thresholds,
  | 'syscall_error_warning_pct'
  | 'syscall_error_critical_pct'
  | 'syscall_error_min_per_sec'
  | 'syscall_lookup_miss_min_per_sec'
>;

const MAX_LISTED = 6;

interface Failing {
  entry: SyscallEntry;
  breakdown: ErrorBreakdown;
  pct: number;
  perSec: number;
}

function errnoList(b: ErrorBreakdown): string {
  const parts = b.failing.slice(0, 3).map((x) => `${x.name} ×${formatCount(x.count)}`);
  return parts.length > 0 ? parts.join(', ') : 'errno not itemised';
}

function line(f: Failing): string {
  return (
    `${syscallSubject(f.entry)}: ${formatPct(f.pct)} of ${formatCount(f.entry.count)} calls failed ` +
    `(${formatCount(f.breakdown.failures)}, ${formatRate(f.perSec)}): ${errnoList(f.breakdown)}`
  );
}

export const syscallErrorRate: Rule<T> = {
  id: 'syscall_error_rate',
  signal: 'syscall',
  description: 'A process keeps getting real errors (not EAGAIN/EINTR-style answers) from a syscall.',
  defaults: pickThresholds(
    'syscall_error_warning_pct',
    'syscall_error_critical_pct',
    'syscall_error_min_per_sec',
    'syscall_lookup_miss_min_per_sec',
  ),
  doc: {
    severity: 'WARNING, CRITICAL',
    trigger: (t) =>
      `a (syscall, process) pair fails ≥ ${formatPct(t.syscall_error_warning_pct)} of its calls (WARNING) or ≥ ` +
      `${formatPct(t.syscall_error_critical_pct)} (CRITICAL), at ≥ ${formatRate(t.syscall_error_min_per_sec)} ` +
      `(≥ ${formatRate(t.syscall_lookup_miss_min_per_sec)} when the failures are open() → ENOENT lookup misses); ` +
      'EAGAIN, EINTR, EINPROGRESS and probe answers (stat ENOENT, isatty ENOTTY …) are not failures',
    why: 'A process that keeps failing the same call is usually stuck retrying: a missing file, a denied permission, a dependency that refuses connections. It is busy and useless at once.',
    fix: [
      'strace -f -Z -e trace=<syscall> -p "$(pgrep -d, -x <comm>)"   # -Z: failing calls only, with the path/address',
      'the errno says where to look: ENOENT path, EACCES/EPERM permission or LSM, ECONNREFUSED dependency down, EMFILE fd limit',
    ],
    chaos: 'syscall-errors',
  },
  evaluate(signals, t) {
    const sc = signals.syscall;
    if (sc === undefined) return [];
    const windowS = Math.max(signals.durationNs, 1e9) / 1e9;
    const failing: Failing[] = [];
    for (const entry of sc.entries) {
      if (entry.comm === OTHER_COMM || isBlocking(entry, sc) || !(entry.count > 0) || !(entry.errors > 0))
        continue;
      const breakdown = errorBreakdown(entry);
      const pct = (breakdown.failures / entry.count) * 100;
      const perSec = breakdown.failures / windowS;
      const hardPerSec = (breakdown.failures - breakdown.lookupMisses) / windowS;
      const enough = hardPerSec >= t.syscall_error_min_per_sec || perSec >= t.syscall_lookup_miss_min_per_sec;
      if (pct >= t.syscall_error_warning_pct && enough) {
        failing.push({ entry, breakdown, pct, perSec });
      }
    }
    failing.sort((a, b) => b.pct - a.pct || b.breakdown.failures - a.breakdown.failures);
    const top = failing[0];
    if (top === undefined) return [];
    const critical = top.pct >= t.syscall_error_critical_pct;
    const threshold = critical ? t.syscall_error_critical_pct : t.syscall_error_warning_pct;
    const e = top.entry;
    const evidence = [
      `${failing.length} (syscall, process) pair${failing.length === 1 ? '' : 's'} fail ≥ ${formatPct(t.syscall_error_warning_pct)} ` +
        `of calls at ≥ ${formatRate(t.syscall_error_min_per_sec)}, lookup misses at ≥ ` +
        `${formatRate(t.syscall_lookup_miss_min_per_sec)} (critical ${formatPct(t.syscall_error_critical_pct)})`,
      ...failing.slice(0, MAX_LISTED).map(line),
    ];
    if (failing.length > MAX_LISTED) evidence.push(`… and ${failing.length - MAX_LISTED} more`);
    if (top.breakdown.expected.length > 0) {
      evidence.push(
        `not counted for ${syscallSubject(e)} (normal control flow): ` +
          top.breakdown.expected.map((x) => `${x.name} ×${formatCount(x.count)}`).join(', '),
      );
    }
    const fix = [
      `strace -f -Z -e trace=${e.name} -p ${pidsOf(e.comm)}   # -Z: failing calls only, with their arguments`,
    ];
    for (const x of top.breakdown.failing.slice(0, 2)) {
      const hint = errnoHint(x.errno);
      if (hint !== undefined) fix.push(hint);
    }
    const worstErrno = top.breakdown.failing[0];
    return [
      {
        rule: 'syscall_error_rate',
        severity: critical ? 'critical' : 'warning',
        title:
          failing.length === 1
            ? `High ${e.name}() Error Rate`
            : `High Syscall Error Rate (${failing.length} affected)`,
        signal: 'syscall',
        subject: syscallSubject(e),
        cause:
          `${formatPct(top.pct)} of ${e.name}() calls in ${e.comm} fail` +
          (worstErrno !== undefined ? `, mostly with ${worstErrno.name}` : '') +
          ` (${formatRate(top.perSec)}).`,
        impact: `${e.comm} is most likely stuck retrying an operation that cannot succeed: its work does not get done while it burns CPU.`,
        evidence,
        fix,
        metric: 'syscall_error_pct_max',
        value: top.pct,
        threshold,
        process: e.comm,
      },
    ];
  },
};
