// memory_limit_pressure — a container/cgroup is near its memory limit (reference §4.2, PR #62).
//
// One finding per leaf cgroup (the collector reports leaves only, and findings are keyed by cgroup path).
// WARNING at `cgroup_memory_warning_pct` (85 %); CRITICAL at `cgroup_memory_critical_pct` (95 %) while still
// growing, or when a v1 cgroup is under OOM right now. The OOM-kill ETA is given whenever the cgroup grows at
// least `cgroup_memory_eta_min_growth_bytes_per_sec` (1 MiB/s), for warnings too (the original gave it for
// CRITICAL only, which hid "85 % and 30 s from the limit"); slower growth extrapolated from one window is
// not a forecast. Caveat: current usage includes page cache, which the kernel reclaims at the limit, so
// the fix steps show how much of it is reclaimable.
import type { CgroupMemoryEntry } from '../src/signals/types.js';
import type { Finding, Rule } from '../src/doctor/types.js';
import { pickThresholds, type Thresholds } from '../src/doctor/thresholds.js';
import {
  formatByteRate,
  formatBytes,
  formatCount,
  formatEta,
  formatPct,
  formatRate,
} from '../src/doctor/format.js';
import { etaFromRate } from '../src/doctor/eta.js';
import { cgroupDir, cgroupInspectCommands, cgroupLabel, raiseLimitCommands } from './lib/cgroup.js';
import { psiLine } from './lib/psi.js';

type T = Pick<
  Thresholds,
  'cgroup_memory_warning_pct' | 'cgroup_memory_critical_pct' | 'cgroup_memory_eta_min_growth_bytes_per_sec'
>;

function usedPct(e: CgroupMemoryEntry): number {
  return Number.isFinite(e.usedPct) ? e.usedPct : (e.currentBytes / e.limitBytes) * 100;
}

function eventsLine(e: CgroupMemoryEntry): string {
  if (e.version === 1) {
    return (
      `memory.failcnt ${formatCount(e.failcnt)} (+${formatRate(e.failcntRatePerSec)}); oom_kill ${formatCount(e.events.oomKill)}; ` +
      `under_oom ${e.underOom ? 'yes' : 'no'}`
    );
  }
  const ev = e.events;
  return `memory.events: high ${formatCount(ev.high)}, max ${formatCount(ev.max)}, oom ${formatCount(ev.oom)}, oom_kill ${formatCount(ev.oomKill)}`;
}

export const memoryLimitPressure: Rule<T> = {
  id: 'memory_limit_pressure',
  signal: 'cgroupMemory',
  description:
    'A container (memory cgroup) is close to its memory limit; at the limit the kernel OOM-kills inside it.',
  defaults: pickThresholds(
    'cgroup_memory_warning_pct',
    'cgroup_memory_critical_pct',
    'cgroup_memory_eta_min_growth_bytes_per_sec',
  ),
  doc: {
    severity: 'WARNING, CRITICAL',
    trigger: (t) =>
      `a cgroup uses ≥ ${formatPct(t.cgroup_memory_warning_pct)} of its memory limit (WARNING); ≥ ` +
      `${formatPct(t.cgroup_memory_critical_pct)} and growing, or under OOM (CRITICAL); ETA to the OOM kill when ` +
      `growing ≥ ${formatByteRate(t.cgroup_memory_eta_min_growth_bytes_per_sec)}`,
    why: 'A cgroup at its limit first reclaims (slowing everything in it), then the kernel OOM-kills a process inside it — in Kubernetes, the container restarts as OOMKilled.',
    fix: [
      'cat <cgroup>/memory.current <cgroup>/memory.max <cgroup>/memory.events   # v1: memory.usage_in_bytes, memory.limit_in_bytes, memory.failcnt',
      "grep -E '^(anon|file|inactive_file) ' <cgroup>/memory.stat   # how much is reclaimable cache",
      'raise the limit (kubectl resources.limits.memory, systemctl set-property <unit> MemoryMax=…) or heap-profile the workload',
    ],
  },
  evaluate(signals, t) {
    const cm = signals.cgroupMemory;
    if (cm === undefined) return [];
    const out: Finding[] = [];
    for (const e of cm.containers) {
      if (!(e.limitBytes > 0)) continue;
      const used = usedPct(e);
      if (used < t.cgroup_memory_warning_pct && !e.underOom) continue;
      const growth = e.growthRateBytesPerSec;
      const critical = e.underOom || (used >= t.cgroup_memory_critical_pct && growth > 0);
      const threshold = critical ? t.cgroup_memory_critical_pct : t.cgroup_memory_warning_pct;
      const etaNs =
        growth >= t.cgroup_memory_eta_min_growth_bytes_per_sec
          ? etaFromRate(e.limitBytes - e.currentBytes, growth)
          : undefined;
      const label = cgroupLabel(e);
      const dir = cgroupDir(cm.root, e.version, e.cgroupPath);
      let impact: string;
      if (e.underOom)
        impact = 'The cgroup is under OOM right now: its processes are stalled or being killed.';
      else if (etaNs !== undefined)
        impact = `OOM kill expected in ${formatEta(etaNs)} at ${formatByteRate(growth)}; until then reclaim slows every process in it.`;
      else if (critical)
        impact =
          `Trending up, no reliable ETA: growth ${formatByteRate(growth)} is below ${formatByteRate(t.cgroup_memory_eta_min_growth_bytes_per_sec)}. ` +
          'The next spike is OOM-killed.';
      else
        impact =
          'Reclaim inside the cgroup slows its processes; at the limit the kernel OOM-kills one of them.';
      const evidence = [
        `current ${formatBytes(e.currentBytes)} of limit ${formatBytes(e.limitBytes)} (${formatPct(used)}) ≥ ${formatPct(threshold)}`,
        `growth ${formatByteRate(growth)} over the window`,
        eventsLine(e),
      ];
      if (e.highBytes > 0) evidence.push(`memory.high ${formatBytes(e.highBytes)}`);
      if (etaNs !== undefined) evidence.push(`limit reached in ${formatEta(etaNs)} at this rate`);
      if (e.psi !== undefined) evidence.push(psiLine('cgroup memory pressure', e.psi));
      out.push({
        rule: 'memory_limit_pressure',
        severity: critical ? 'critical' : 'warning',
        title: `${label} is ${formatPct(used)} of its memory limit (${formatBytes(e.currentBytes)} / ${formatBytes(e.limitBytes)})`,
        signal: 'cgroupMemory',
        subject: e.cgroupPath,
        cause: `Memory charged to ${label} (anonymous memory plus page cache) is close to its cgroup limit.`,
        impact,
        evidence,
        fix: [
          ...cgroupInspectCommands(dir, e.version),
          ...raiseLimitCommands(e, dir, 'max'),
          'if anonymous memory keeps growing, heap-profile the workload: the limit only postpones a leak',
        ],
        ...(etaNs !== undefined ? { etaNs } : {}),
        metric: 'cgroup_memory_used_pct',
        unit: 'percent',
        value: used,
        threshold,
        ...(e.pod !== undefined && e.pod !== '' ? { process: e.pod } : {}),
      });
    }
    return out;
  },
  judgedBy(f) {
    return f.severity === 'critical' ? 'cgroup_memory_critical_pct' : 'cgroup_memory_warning_pct';
  },
};
