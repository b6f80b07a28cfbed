// syscall_error_rate — a (syscall, process) pair fails often (reference §4.2). At most one finding per run:
// the headline is the highest failure share, others in the evidence.
//
// What counts is decided by what the errno means (rules/lib/syscalls.ts): `failure` errnos (ECONNREFUSED,
// EIO, ENOSPC, EACCES …) say the work did not get done and count at the normal bar; `answer` errnos
// (EAGAIN, EINTR, ENOENT, ESPIPE, ENOTTY, ENOSYS …) answer a probe and never warn on their own, whatever
// their volume — a hand-kept list of benign (syscall, errno) pairs always missed the next program's probe
// (CPython's lseek ESPIPE on piped stdio fired this rule at 32/s); `other` errnos (EINVAL, EBADF …, and
// errors the top-N errno list does not itemise) are a bug in one program and a probe in the next, so they
// need a much higher bar and warn at most. Blocking syscalls are excluded as in syscall_latency_high. So is
// the "[other]" overflow bucket: errors add up across the many processes folded into it, while the rule's
// claim is that one process keeps failing.
//
// Defaults: failure-class errors in ≥ `syscall_error_warning_pct` (5 %) of a pair's calls at ≥
// `syscall_error_min_per_sec` (10/s) warn; at `syscall_error_critical_pct` (25 %) a quarter of the calls
// fail: a broken dependency (CRITICAL). Below 5 %, a busy server's normal churn (clients hanging up: EPIPE,
// ECONNRESET) dominates. Other-class errors need ≥ `syscall_error_other_pct` (50 %) at ≥
// `syscall_error_other_min_per_sec` (100/s): half of all calls failing, fast, whatever the errno means.
import { OTHER_COMM, type SyscallEntry } from '../src/signals/types.js';
import type { Rule } from '../src/doctor/types.js';
import { pickThresholds, type Thresholds } from '../src/doctor/thresholds.js';
import { formatCount, formatPct, formatRate } from '../src/doctor/format.js';
import {
  ERRNO_CLASS_DOCS,
  errnoHint,
  errorBreakdown,
  excludedAsWaiting,
  syscallSubject,
  type ErrorBreakdown,
} from './lib/syscalls.js';
import { pidsOf } from './lib/shell.js';

type T = Pick<
  Thresholds,
  | 'syscall_error_warning_pct'
  | 'syscall_error_critical_pct'
  | 'syscall_error_min_per_sec'
  | 'syscall_error_other_pct'
  | 'syscall_error_other_min_per_sec'
>;

const MAX_LISTED = 6;

interface Failing {
  entry: SyscallEntry;
  breakdown: ErrorBreakdown;
  /** The class that crossed its bar; failure outranks other. */
  cls: 'failure' | 'other';
  /** Errors of that class. */
  errors: number;
  pct: number;
  perSec: number;
}

const CLASS_RANK = { failure: 0, other: 1 } as const;

function errnoList(f: Failing): string {
  const xs = f.cls === 'failure' ? f.breakdown.failing : f.breakdown.otherErrnos;
  const parts = xs.slice(0, 3).map((x) => `${x.name} ×${formatCount(x.count)}`);
  return parts.length > 0 ? parts.join(', ') : 'errno not itemised';
}

function line(f: Failing): string {
  return (
    `${syscallSubject(f.entry)}: ${formatPct(f.pct)} of ${formatCount(f.entry.count)} calls failed ` +
    `(${formatCount(f.errors)}, ${formatRate(f.perSec)}, ${f.cls} class): ${errnoList(f)}`
  );
}

/** The class of a pair's errors that crosses its bar, if any. */
function judge(entry: SyscallEntry, windowS: number, t: T): Failing | undefined {
  const breakdown = errorBreakdown(entry);
  const at = (cls: Failing['cls'], errors: number): Failing => ({
    entry,
    breakdown,
    cls,
    errors,
    pct: (errors / entry.count) * 100,
    perSec: errors / windowS,
  });
  const failure = at('failure', breakdown.failures);
  if (failure.pct >= t.syscall_error_warning_pct && failure.perSec >= t.syscall_error_min_per_sec)
    return failure;
  const other = at('other', breakdown.other);
  const otherPct = Math.max(t.syscall_error_warning_pct, t.syscall_error_other_pct);
  if (other.pct >= otherPct && other.perSec >= t.syscall_error_other_min_per_sec) return other;
  return undefined;
}

export const syscallErrorRate: Rule<T> = {
  id: 'syscall_error_rate',
  signal: 'syscall',
  description:
    'A process keeps getting errors that mean its work is failing (not EAGAIN/ENOENT-style answers).',
  defaults: pickThresholds(
    'syscall_error_warning_pct',
    'syscall_error_critical_pct',
    'syscall_error_min_per_sec',
    'syscall_error_other_pct',
    'syscall_error_other_min_per_sec',
  ),
  doc: {
    severity: 'WARNING, CRITICAL',
    trigger: (t) =>
      `errors are judged by what their errno means. A (syscall, process) pair whose failure-class errors ` +
      `reach ${formatPct(t.syscall_error_warning_pct)} of its calls (WARNING; ${formatPct(t.syscall_error_critical_pct)} ` +
      `CRITICAL) at ≥ ${formatRate(t.syscall_error_min_per_sec)}; other-class errors need ` +
      `≥ ${formatPct(t.syscall_error_other_pct)} at ≥ ${formatRate(t.syscall_error_other_min_per_sec)} (WARNING); ` +
      `answer-class errors never fire. Classes — ${ERRNO_CLASS_DOCS.failure}; ${ERRNO_CLASS_DOCS.answer}; ` +
      `${ERRNO_CLASS_DOCS.other}`,
    why: 'A process that keeps failing the same call is usually stuck retrying: a dependency that refuses connections, a full disk, a denied permission. It is busy and useless at once. Errors that answer a probe (is stdin seekable? does this file exist?) are how healthy programs ask questions, and are never reported on their own.',
    fix: [
      'strace -f -Z -e trace=<syscall> -p "$(pgrep -d, -x <comm>)"   # -Z: failing calls only, with the path/address',
      'the errno says where to look: ECONNREFUSED dependency down, ENOSPC disk full, EACCES/EPERM permission or LSM, EMFILE fd limit',
    ],
  },
  evaluate(signals, t) {
    const sc = signals.syscall;
    if (sc === undefined) return [];
    const windowS = Math.max(signals.durationNs, 1e9) / 1e9;
    const failing: Failing[] = [];
    for (const entry of sc.entries) {
      if (entry.comm === OTHER_COMM || excludedAsWaiting(entry) || !(entry.count > 0) || !(entry.errors > 0))
        continue;
      const f = judge(entry, windowS, t);
      if (f !== undefined) failing.push(f);
    }
    failing.sort((a, b) => CLASS_RANK[a.cls] - CLASS_RANK[b.cls] || b.pct - a.pct || b.errors - a.errors);
    const top = failing[0];
    if (top === undefined) return [];
    const critical = top.cls === 'failure' && top.pct >= t.syscall_error_critical_pct;
    const threshold = critical
      ? t.syscall_error_critical_pct
      : top.cls === 'failure'
        ? t.syscall_error_warning_pct
        : Math.max(t.syscall_error_warning_pct, t.syscall_error_other_pct);
    const e = top.entry;
    const evidence = [
      `${failing.length} (syscall, process) pair${failing.length === 1 ? '' : 's'} over the bar: failure-class errors ` +
        `≥ ${formatPct(t.syscall_error_warning_pct)} of calls at ≥ ${formatRate(t.syscall_error_min_per_sec)} ` +
        `(critical ${formatPct(t.syscall_error_critical_pct)}), other-class ≥ ${formatPct(t.syscall_error_other_pct)} ` +
        `at ≥ ${formatRate(t.syscall_error_other_min_per_sec)}`,
      ...failing.slice(0, MAX_LISTED).map(line),
    ];
    if (failing.length > MAX_LISTED) evidence.push(`… and ${failing.length - MAX_LISTED} more`);
    evidence.push(`why ${syscallSubject(e)} counts — ${ERRNO_CLASS_DOCS[top.cls]}`);
    if (top.breakdown.answering.length > 0) {
      evidence.push(
        `not counted for ${syscallSubject(e)} (answers to probes): ` +
          top.breakdown.answering.map((x) => `${x.name} ×${formatCount(x.count)}`).join(', '),
      );
    }
    const fix = [
      `strace -f -Z -e trace=${e.name} -p ${pidsOf(e.comm)}   # -Z: failing calls only, with their arguments`,
    ];
    const errnos = top.cls === 'failure' ? top.breakdown.failing : top.breakdown.otherErrnos;
    for (const x of errnos.slice(0, 2)) {
      const hint = errnoHint(x.errno);
      if (hint !== undefined) fix.push(hint);
    }
    const worstErrno = errnos[0];
    const meaning =
      top.cls === 'failure'
        ? 'errors that mean the operation did not get done'
        : 'errors whose meaning depends on the program; at this share and rate most likely a bug or a broken configuration';
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
          ` (${formatRate(top.perSec)}): ${meaning}.`,
        impact:
          top.cls === 'failure'
            ? `${e.comm} is most likely stuck retrying an operation that cannot succeed: its work does not get done while it burns CPU.`
            : `${e.comm} keeps making calls the kernel rejects: it is probably not doing what it is meant to.`,
        evidence,
        fix,
        metric: 'syscall_error_pct_max',
        unit: 'percent',
        value: top.pct,
        threshold,
        process: e.comm,
      },
    ];
  },
  judgedBy(f) {
    return f.severity === 'critical' ? 'syscall_error_critical_pct' : 'syscall_error_warning_pct';
  },
};
