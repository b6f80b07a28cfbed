// oom_imminent — host memory is nearly exhausted and still growing (reference §4.2).
//
// The original warned at ≥ 90 % used whether or not memory was moving, so every database, JVM or cache host
// that sizes itself to fill RAM by design (a benign busy host) was permanently in WARNING. The explain
// catalogue of the original already said ">90 AND growth>0"; we follow it, with a floor: used memory must
// grow by at least `oom_min_growth_bytes_per_sec` (1 MiB/s) over the window — smaller moves are allocator
// noise and would give an ETA of weeks. A host above the critical level (95 %) that is flat still gets a
// WARNING: it has no headroom for the next spike. "Used" is MemTotal − MemAvailable, so reclaimable page
// cache does not count. A negative `oom_memory_pct` disables the rule.
import type { Rule } from '../src/doctor/types.js';
import { pickThresholds, type Thresholds } from '../src/doctor/thresholds.js';
import { formatByteRate, formatBytes, formatEta, formatPct } from '../src/doctor/format.js';
import { etaFromRate } from '../src/doctor/eta.js';
import { hostMemoryPsi, psiLine } from './lib/psi.js';

type T = Pick<Thresholds, 'oom_memory_pct' | 'oom_memory_critical_pct' | 'oom_min_growth_bytes_per_sec'>;

export const oomImminent: Rule<T> = {
  id: 'oom_imminent',
  signal: 'memory',
  description: 'Host memory is nearly exhausted and still growing: the OOM killer is next.',
  defaults: pickThresholds('oom_memory_pct', 'oom_memory_critical_pct', 'oom_min_growth_bytes_per_sec'),
  doc: {
    severity: 'WARNING, CRITICAL',
    trigger: (t) =>
      `host memory used ≥ ${formatPct(t.oom_memory_pct)} and growing ≥ ${formatByteRate(t.oom_min_growth_bytes_per_sec)} ` +
      `(WARNING); > ${formatPct(t.oom_memory_critical_pct)} and growing (CRITICAL, with ETA); > ` +
      `${formatPct(t.oom_memory_critical_pct)} flat (WARNING)`,
    why: 'When MemAvailable reaches zero the kernel OOM killer picks a victim — usually the biggest process, often the one that matters most.',
    fix: [
      'ps aux --sort=-rss | head -15   # who holds the memory',
      'free -h; grep -E "MemAvailable|Committed_AS|Shmem:|SUnreclaim" /proc/meminfo',
      'cap the growing process (systemctl set-property <unit> MemoryMax=…) or add memory/swap',
    ],
  },
  evaluate(signals, t) {
    const m = signals.memory;
    if (m === undefined || t.oom_memory_pct < 0 || !(m.totalBytes > 0)) return [];
    const used = m.usedPct;
    const growth = m.growthRateBytesPerSec;
    const growing = growth >= t.oom_min_growth_bytes_per_sec && growth > 0;
    const overCritical = used > t.oom_memory_critical_pct;
    let severity: 'warning' | 'critical';
    let threshold: number;
    let title: string;
    if (overCritical && growing) {
      severity = 'critical';
      threshold = t.oom_memory_critical_pct;
      title = 'OOM Imminent — Memory Nearly Exhausted';
    } else if (used >= t.oom_memory_pct && growing) {
      severity = 'warning';
      threshold = t.oom_memory_pct;
      title = 'Memory Pressure — OOM Risk';
    } else if (overCritical) {
      severity = 'warning';
      threshold = t.oom_memory_critical_pct;
      title = 'Memory Nearly Exhausted (flat)';
    } else {
      return [];
    }
    const etaNs = growing ? etaFromRate(m.availableBytes, growth) : undefined;
    const evidence = [
      `used ${formatPct(used)} of RAM (${formatBytes(m.usedBytes)} of ${formatBytes(m.totalBytes)}; ` +
        `${formatBytes(m.availableBytes)} available) ≥ ${formatPct(threshold)}`,
      growing
        ? `growing ${formatByteRate(growth)} over the window (≥ ${formatByteRate(t.oom_min_growth_bytes_per_sec)})`
        : `flat: ${formatByteRate(growth)} over the window (< ${formatByteRate(t.oom_min_growth_bytes_per_sec)} counts as noise)`,
    ];
    if (etaNs !== undefined) evidence.push(`available memory runs out in ${formatEta(etaNs)} at this rate`);
    if (m.swapTotalBytes > 0)
      evidence.push(`swap: ${formatBytes(m.swapUsedBytes)} of ${formatBytes(m.swapTotalBytes)} used`);
    else evidence.push('no swap configured');
    const psi = hostMemoryPsi(signals);
    if (psi !== undefined) evidence.push(psiLine('memory pressure', psi));
    return [
      {
        rule: 'oom_imminent',
        severity,
        title,
        signal: 'memory',
        subject: '',
        cause: growing
          ? `Host memory is ${formatPct(used)} used and growing ${formatByteRate(growth)}: something is allocating without releasing.`
          : `Host memory is ${formatPct(used)} used with only ${formatBytes(m.availableBytes)} available.`,
        impact:
          etaNs !== undefined
            ? `At this rate the kernel OOM killer starts killing processes in ${formatEta(etaNs)} — usually the largest, often the one that matters.`
            : 'The next allocation spike has no headroom: the kernel will reclaim hard, then OOM-kill the largest process.',
        evidence,
        fix: [
          'ps aux --sort=-rss | head -15   # who holds the memory',
          "free -h; grep -E 'MemAvailable|Committed_AS|Shmem:|SUnreclaim' /proc/meminfo   # kernel slab and shmem are not in any process RSS",
          'cap the growing process (systemctl set-property <unit> MemoryMax=<bytes>) or add memory/swap',
        ],
        ...(etaNs !== undefined ? { etaNs } : {}),
        metric: 'memory_used_pct',
        unit: 'percent',
        value: used,
        threshold,
      },
    ];
  },
  judgedBy(f) {
    // A flat host above the critical line warns against the critical level; the scenario grows.
    return f.severity === 'critical' ? 'oom_memory_critical_pct' : 'oom_memory_pct';
  },
};
