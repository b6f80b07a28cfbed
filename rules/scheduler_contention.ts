// scheduler_contention — runnable tasks wait too long for a CPU (run-queue delay, reference §4.2).
//
// Fixes the original's reporting defect: `threshold` is the threshold that was crossed (the critical one for
// a CRITICAL finding), not always the warning value. Needs `sched_min_slow_wakeups` wakeups at or above the
// threshold, so a single delayed wakeup on an idle host (a vCPU descheduled by the hypervisor once) is not
// "contention". The most-delayed processes are named as the victims; the cause is host-wide, so the subject
// is empty.
import type { Rule } from '../src/doctor/types.js';
import { pickThresholds, type Thresholds } from '../src/doctor/thresholds.js';
import { formatCount, formatNs, formatPct } from '../src/doctor/format.js';
import { minSamplesAtOrAbove, slowEnough } from './lib/percentiles.js';

type T = Pick<
  Thresholds,
  | 'sched_delay_warning_ns'
  | 'sched_delay_critical_ns'
  | 'sched_min_slow_wakeups'
  | 'sched_min_cpu_pressure_pct'
>;

export const schedulerContention: Rule<T> = {
  id: 'scheduler_contention',
  signal: 'sched',
  description: 'Runnable tasks wait too long in the run queue before getting a CPU.',
  defaults: pickThresholds(
    'sched_delay_warning_ns',
    'sched_delay_critical_ns',
    'sched_min_slow_wakeups',
    'sched_min_cpu_pressure_pct',
  ),
  doc: {
    severity: 'WARNING, CRITICAL',
    trigger: (t) =>
      `run-queue delay p99 ≥ ${formatNs(t.sched_delay_warning_ns)} (WARNING) or ≥ ${formatNs(t.sched_delay_critical_ns)} ` +
      `(CRITICAL), with at least ${t.sched_min_slow_wakeups} wakeups that delayed`,
    why: 'A woken task that waits for a CPU adds that wait to whatever it was about to do: request latency rises even though nothing is "slow".',
    fix: [
      'top -H -b -n 1 -o %CPU | head -25   # which threads hold the CPUs',
      'cat /proc/loadavg; nproc',
      'mpstat -P ALL 1 5   # %steal > 0 on a VM means the hypervisor takes the CPU',
      'fewer busy threads, more CPUs, or a cgroup cpu.max/CPU quota for the noisy neighbour',
    ],
  },
  evaluate(signals, t) {
    const sched = signals.sched;
    if (sched === undefined) return [];
    const p = sched.runqDelay;
    if (!slowEnough(p, t.sched_delay_warning_ns, t.sched_min_slow_wakeups)) return [];
    // Corroboration: a handful of slow wakeups while the CPUs were almost never short (PSI cpu some) is a
    // task placed on a busy CPU next to an idle one — a scheduling quirk, not contention. Where PSI is not
    // available, run-queue delay alone decides.
    const cpuPressure = signals.pressure?.cpu;
    if (cpuPressure !== undefined && cpuPressure.somePct < t.sched_min_cpu_pressure_pct) return [];
    const critical = slowEnough(p, t.sched_delay_critical_ns, t.sched_min_slow_wakeups);
    const threshold = critical ? t.sched_delay_critical_ns : t.sched_delay_warning_ns;
    // Victims: the processes that lost the most time waiting (a p99 over a handful of wakeups costs little).
    const victims = [...sched.topDelayed].sort((a, b) => b.totalDelayNs - a.totalDelayNs).slice(0, 3);
    const top = victims[0];
    const evidence = [
      `run-queue delay p99 ${formatNs(p.p99)} ≥ ${formatNs(threshold)} ${critical ? 'critical' : 'warning'} threshold ` +
        `(warning ${formatNs(t.sched_delay_warning_ns)}, critical ${formatNs(t.sched_delay_critical_ns)})`,
      `p50 ${formatNs(p.p50)}, p95 ${formatNs(p.p95)}, max ${formatNs(p.max)} over ${formatCount(p.count)} wakeups; ` +
        `at least ${formatCount(minSamplesAtOrAbove(p, threshold))} waited ≥ ${formatNs(threshold)}`,
      ...victims.map(
        (v) =>
          `most delayed: ${v.comm} (pid ${v.pid}) waited ${formatNs(v.totalDelayNs)} in total over ` +
          `${formatCount(v.runqDelay.count)} wakeups, p99 ${formatNs(v.runqDelay.p99)}`,
      ),
    ];
    const cpu = signals.pressure?.cpu;
    if (cpu !== undefined)
      evidence.push(`cpu pressure over the window: some ${formatPct(cpu.somePct)} of the time`);
    const fix = [
      'top -H -b -n 1 -o %CPU | head -25   # which threads hold the CPUs',
      'cat /proc/loadavg; nproc',
    ];
    if (top !== undefined) {
      fix.push(
        `pidstat -w -p ${top.pid} 1 5   # context switches of the most-delayed process`,
        `cat /proc/${top.pid}/cgroup   # then check cpu.max / cpu.stat nr_throttled of that cgroup`,
      );
    }
    fix.push(
      'mpstat -P ALL 1 5   # %steal > 0 on a VM means the hypervisor takes the CPU',
      'reduce busy threads, add CPUs, or cap the noisy neighbour with a cgroup CPU quota',
    );
    return [
      {
        rule: 'scheduler_contention',
        severity: critical ? 'critical' : 'warning',
        title: 'CPU Scheduler Contention',
        signal: 'sched',
        subject: '',
        cause: `Woken tasks wait ${formatNs(p.p99)} (p99) for a CPU: more threads are runnable than there are CPUs to run them.`,
        impact:
          'Every wakeup — a request arriving, a lock released, I/O completing — is followed by this wait before ' +
          'the task runs, so latency rises across all processes.',
        evidence,
        fix,
        metric: 'sched_runq_p99',
        unit: 'ns',
        value: p.p99,
        threshold,
        ...(top !== undefined ? { process: top.comm, pid: top.pid } : {}),
      },
    ];
  },
  judgedBy(f) {
    return f.severity === 'critical' ? 'sched_delay_critical_ns' : 'sched_delay_warning_ns';
  },
};
