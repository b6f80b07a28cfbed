// cpu_pressure_stall — runnable tasks waited for a CPU a large share of the window (PSI,
// /proc/pressure/cpu "some"; the host-level "full" is always 0 and is not used).
//
// Why these defaults. cpu "some" is the share of time at least one runnable task had no CPU. An idle host
// shows ~0 %, and a healthy busy service host (even at 70–80 % utilisation) rarely queues long: single
// digits to ~20 %. At 50 % of the window something was waiting half the time — the host runs more work than
// it has CPUs: WARNING. At 80 % it is saturated nearly continuously: CRITICAL. A batch or CI host that is
// saturated by design will fire; raise `psi_cpu_some_*_pct` there. scheduler_contention measures the same
// condition from the other side (how long each wakeup waited).
import type { Rule } from '../src/doctor/types.js';
import { pickThresholds, type Thresholds } from '../src/doctor/thresholds.js';
import { formatCount, formatNs, formatPct } from '../src/doctor/format.js';
import { psiLine } from './lib/psi.js';

type T = Pick<Thresholds, 'psi_cpu_some_warning_pct' | 'psi_cpu_some_critical_pct'>;

export const cpuPressureStall: Rule<T> = {
  id: 'cpu_pressure_stall',
  signal: 'pressure',
  description: 'Runnable tasks spend a large share of the window waiting for a CPU.',
  defaults: pickThresholds('psi_cpu_some_warning_pct', 'psi_cpu_some_critical_pct'),
  doc: {
    severity: 'WARNING, CRITICAL',
    trigger: (t) =>
      `cpu PSI "some" ≥ ${formatPct(t.psi_cpu_some_warning_pct)} of the window (WARNING) or ≥ ${formatPct(t.psi_cpu_some_critical_pct)} (CRITICAL)`,
    why: 'When runnable work exceeds the CPUs, every task takes turns: throughput flattens and latency grows with the queue.',
    fix: [
      'cat /proc/pressure/cpu; cat /proc/loadavg; nproc',
      'top -b -n 1 -o %CPU | head -20',
      'mpstat -P ALL 1 5   # %steal: the hypervisor takes the CPU',
    ],
  },
  evaluate(signals, t) {
    const cpu = signals.pressure?.cpu;
    if (cpu === undefined) return [];
    const critical = cpu.somePct >= t.psi_cpu_some_critical_pct;
    if (!critical && cpu.somePct < t.psi_cpu_some_warning_pct) return [];
    const threshold = critical ? t.psi_cpu_some_critical_pct : t.psi_cpu_some_warning_pct;
    const evidence = [
      `runnable tasks waited for a CPU ${formatPct(cpu.somePct)} of the window ≥ ${formatPct(threshold)}`,
      psiLine('cpu pressure', cpu),
    ];
    const sched = signals.sched;
    if (sched !== undefined && sched.runqDelay.count > 0) {
      evidence.push(
        `run-queue delay p99 ${formatNs(sched.runqDelay.p99)} over ${formatCount(sched.runqDelay.count)} wakeups`,
      );
      const top = sched.topDelayed[0];
      if (top !== undefined)
        evidence.push(
          `most delayed: ${top.comm} (pid ${top.pid}) waited ${formatNs(top.totalDelayNs)} in total, p99 ${formatNs(top.runqDelay.p99)}`,
        );
    }
    return [
      {
        rule: 'cpu_pressure_stall',
        severity: critical ? 'critical' : 'warning',
        title: 'CPU Pressure Stall',
        signal: 'pressure',
        subject: '',
        cause: `At least one runnable task had no CPU ${formatPct(cpu.somePct)} of the time: more work is runnable than there are CPUs.`,
        impact: 'Tasks take turns on the CPUs: throughput flattens and every request waits in the run queue.',
        evidence,
        fix: [
          'cat /proc/pressure/cpu; cat /proc/loadavg; nproc',
          'top -b -n 1 -o %CPU | head -20   # who uses the CPUs',
          'mpstat -P ALL 1 5   # %steal > 0 on a VM: the hypervisor takes the CPU',
          'reduce busy threads, add CPUs, or cap batch work with a cgroup CPU quota',
        ],
        metric: 'psi_cpu_some_pct',
        unit: 'percent',
        value: cpu.somePct,
        threshold,
      },
    ];
  },
  judgedBy(f) {
    return f.severity === 'critical' ? 'psi_cpu_some_critical_pct' : 'psi_cpu_some_warning_pct';
  },
};
