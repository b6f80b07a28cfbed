// memory_pressure_stall — tasks lost time waiting for memory (PSI, /proc/pressure/memory and v2 cgroup
// memory.pressure), measured as the share of the window from the kernel's cumulative `total` counters.
//
// Why these defaults. memory "some" is the time at least one task waited on reclaim, swap-in or refaults of
// evicted working set; "full" is the time every non-idle task waited at once — the machine (or container)
// made no progress at all. An idle host and a healthy busy one sit at 0 % for both: page-cache churn on a
// host with free memory does not stall anybody. full ≥ 5 % of the window (1.5 s in 30 s) already means the
// workload stops dead repeatedly: WARNING. full ≥ 20 % is CRITICAL, still well below systemd-oomd's default
// kill line (60 % full averaged over 30 s) so the finding arrives before the killing starts. some ≥ 25 %
// without much full is one task thrashing while others still run: WARNING.
//
// Findings: one for the host (subject "") and one per cgroup v2 container with PSI data (subject = path).
import type { PsiWindow } from '../src/signals/types.js';
import type { Finding, Rule, Severity } from '../src/doctor/types.js';
import { pickThresholds, type Thresholds } from '../src/doctor/thresholds.js';
import { formatBytes, formatPct } from '../src/doctor/format.js';
import { cgroupDir, cgroupLabel } from './lib/cgroup.js';
import { hostMemoryPsi, psiLine } from './lib/psi.js';
import { sh } from './lib/shell.js';

type T = Pick<
  Thresholds,
  'psi_memory_full_warning_pct' | 'psi_memory_full_critical_pct' | 'psi_memory_some_warning_pct'
>;

interface Verdict {
  severity: Severity;
  metric: string;
  value: number;
  threshold: number;
  text: string;
}

function judge(w: PsiWindow, t: T): Verdict | undefined {
  if (w.fullPct >= t.psi_memory_full_critical_pct)
    return {
      severity: 'critical',
      metric: 'psi_memory_full_pct',
      value: w.fullPct,
      threshold: t.psi_memory_full_critical_pct,
      text: 'all non-idle tasks',
    };
  if (w.fullPct >= t.psi_memory_full_warning_pct)
    return {
      severity: 'warning',
      metric: 'psi_memory_full_pct',
      value: w.fullPct,
      threshold: t.psi_memory_full_warning_pct,
      text: 'all non-idle tasks',
    };
  if (w.somePct >= t.psi_memory_some_warning_pct)
    return {
      severity: 'warning',
      metric: 'psi_memory_some_pct',
      value: w.somePct,
      threshold: t.psi_memory_some_warning_pct,
      text: 'at least one task',
    };
  return undefined;
}

export const memoryPressureStall: Rule<T> = {
  id: 'memory_pressure_stall',
  signal: 'pressure',
  description: 'Tasks spend a large share of the window stalled on memory (reclaim, swap-in, thrashing).',
  defaults: pickThresholds(
    'psi_memory_full_warning_pct',
    'psi_memory_full_critical_pct',
    'psi_memory_some_warning_pct',
  ),
  doc: {
    severity: 'WARNING, CRITICAL',
    trigger: (t) =>
      `memory PSI "full" ≥ ${formatPct(t.psi_memory_full_warning_pct)} of the window (WARNING) or ≥ ` +
      `${formatPct(t.psi_memory_full_critical_pct)} (CRITICAL), or "some" ≥ ${formatPct(t.psi_memory_some_warning_pct)} (WARNING); host and each cgroup v2 container`,
    why: 'Memory stalls are invisible in CPU and memory-usage graphs: the machine looks busy but is waiting on reclaim and refaults. It is the step before the OOM killer.',
    fix: [
      'cat /proc/pressure/memory',
      'vmstat 1 5   # si/so: swapping; high "wa" and "b"',
      "grep -E 'pgmajfault|pswpin|pswpout|workingset_refault' /proc/vmstat   # thrashing shows as refaults",
      'ps aux --sort=-rss | head -15; reduce the working set or add memory',
    ],
  },
  evaluate(signals, t) {
    const out: Finding[] = [];
    const host = hostMemoryPsi(signals);
    if (host !== undefined) {
      const v = judge(host, t);
      if (v !== undefined) {
        const evidence = [
          `${v.text} stalled on memory for ${formatPct(v.value)} of the window ≥ ${formatPct(v.threshold)}`,
          psiLine('memory pressure', host),
        ];
        const m = signals.memory;
        if (m !== undefined) {
          evidence.push(
            `memory used ${formatPct(m.usedPct)} (${formatBytes(m.availableBytes)} available); swap ${formatBytes(m.swapUsedBytes)} of ${formatBytes(m.swapTotalBytes)}`,
          );
        }
        const stalled = (signals.cgroupMemory?.containers ?? [])
          .filter((c) => c.psi !== undefined && c.psi.somePct > 0)
          .sort((a, b) => b.psi!.somePct - a.psi!.somePct)
          .slice(0, 3);
        for (const c of stalled)
          evidence.push(
            `${cgroupLabel(c)}: some ${formatPct(c.psi!.somePct)}, full ${formatPct(c.psi!.fullPct)}`,
          );
        out.push({
          rule: 'memory_pressure_stall',
          severity: v.severity,
          title: 'Memory Pressure Stall',
          signal: 'pressure',
          subject: '',
          cause: `${v.text === 'at least one task' ? 'At least one task' : 'Every non-idle task'} waited on memory (reclaim, swap-in, refaults) ${formatPct(v.value)} of the time.`,
          impact:
            'Work stops while the kernel reclaims and refaults pages: latency rises across processes although CPU ' +
            'and memory graphs look merely busy. The OOM killer is the next step.',
          evidence,
          fix: [
            'cat /proc/pressure/memory',
            'vmstat 1 5   # si/so: swapping; high "b": tasks blocked',
            "grep -E 'pgmajfault|pswpin|pswpout|workingset_refault' /proc/vmstat   # thrashing shows as refaults",
            'ps aux --sort=-rss | head -15   # then reduce the working set or add memory',
          ],
          metric: v.metric,
          unit: 'percent',
          value: v.value,
          threshold: v.threshold,
        });
      }
    }
    const cm = signals.cgroupMemory;
    for (const c of cm?.containers ?? []) {
      if (c.psi === undefined) continue;
      const v = judge(c.psi, t);
      if (v === undefined) continue;
      const label = cgroupLabel(c);
      const dir = cgroupDir(cm?.root, c.version, c.cgroupPath);
      out.push({
        rule: 'memory_pressure_stall',
        severity: v.severity,
        title: `Memory Pressure Stall: ${label}`,
        signal: 'pressure',
        subject: c.cgroupPath,
        cause: `In ${label}, ${v.text} stalled on memory ${formatPct(v.value)} of the time.`,
        impact:
          'The container spends its time reclaiming and refaulting instead of working; at its limit it gets OOM-killed.',
        evidence: [
          `${v.text} stalled for ${formatPct(v.value)} of the window ≥ ${formatPct(v.threshold)}`,
          psiLine('cgroup memory pressure', c.psi),
          `current ${formatBytes(c.currentBytes)} of limit ${c.limitBytes > 0 ? formatBytes(c.limitBytes) : 'none'}`,
        ],
        fix: [
          `cat ${sh(`${dir}/memory.pressure`)} ${sh(`${dir}/memory.events`)}`,
          `grep -E '^(anon|file|workingset_refault_(anon|file)|pgmajfault) ' ${sh(`${dir}/memory.stat`)}`,
          'raise the container memory limit or shrink its working set',
        ],
        metric: v.metric,
        unit: 'percent',
        value: v.value,
        threshold: v.threshold,
        ...(c.pod !== undefined && c.pod !== '' ? { process: c.pod } : {}),
      });
    }
    return out;
  },
  judgedBy(f) {
    if (f.metric === 'psi_memory_some_pct') return 'psi_memory_some_warning_pct';
    return f.severity === 'critical' ? 'psi_memory_full_critical_pct' : 'psi_memory_full_warning_pct';
  },
};
