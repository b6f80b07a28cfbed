// cpu_throttled — a cgroup keeps running out of its CPU quota (CFS bandwidth control) and waits.
//
// The number-one mystery incident: the host's CPUs are idle, the service has no errors, yet its latency is
// up by tens of milliseconds, because every time its threads use `quota` µs of CPU in a `period` they stop
// until the next period. One finding per leaf cgroup (the collector reports leaves only).
//
// Two measures, either fires: the share of enforcement periods throttled (how often: 25 %, as Kubernetes'
// CPUThrottlingHigh alert) and the throttled time as a share of the window (how long: 10 %; a many-threaded
// workload can exhaust its quota in milliseconds and then sit throttled through most of only a few
// periods). Neither is judged before the cgroup was active for `cpu_throttled_min_periods` periods: a
// start-up burst clipped at the limit is not an incident. CRITICAL at 75 % of periods or 50 % of the time:
// demand over the quota all the time. A cgroup that stays under its quota is never throttled, whatever its
// usage, so it never fires.
import type { CgroupCpuEntry } from '../src/signals/types.js';
import type { Finding, Rule } from '../src/doctor/types.js';
import { pickThresholds, type Thresholds } from '../src/doctor/thresholds.js';
import { formatCount, formatNs, formatPct } from '../src/doctor/format.js';
import { cgroupLabel } from './lib/cgroup.js';
import { sh } from './lib/shell.js';

type T = Pick<
  Thresholds,
  | 'cpu_throttled_warning_pct'
  | 'cpu_throttled_critical_pct'
  | 'cpu_throttled_time_warning_pct'
  | 'cpu_throttled_time_critical_pct'
  | 'cpu_throttled_min_periods'
>;

const PERIODS_METRIC = 'cgroup_cpu_throttled_periods_pct';
const TIME_METRIC = 'cgroup_cpu_throttled_time_pct';

/** "0.2", "1.5", "0.05": cores read best with two significant digits at most past the point. */
function cores(n: number): string {
  return String(Number(n.toFixed(n >= 10 ? 0 : 2)));
}

/**
 * The cgroupfs directory of an entry. The collector's `root` lists one root per hierarchy, ", "-separated
 * (a v1 root may itself contain a comma: /sys/fs/cgroup/cpu,cpuacct); the v1 cpu root is the one named for
 * the cpu controller.
 */
export function cpuCgroupDir(root: string, e: Pick<CgroupCpuEntry, 'version' | 'cgroupPath'>): string {
  const roots = root
    .split(', ')
    .map((r) => r.trim().replace(/\/+$/, ''))
    .filter((r) => r !== '');
  const isV1 = (r: string): boolean => /(^|[/,])cpu(,[^/]*)?$/.test(r);
  const base =
    (e.version === 1 ? roots.find(isV1) : roots.find((r) => !isV1(r))) ??
    (roots.length === 1 ? roots[0] : e.version === 1 ? '/sys/fs/cgroup/cpu' : '/sys/fs/cgroup');
  return e.cgroupPath === '/' ? base! : `${base}${e.cgroupPath}`;
}

function inspectCommand(dir: string, version: 1 | 2): string {
  const d = sh(dir);
  return version === 2
    ? `cat ${d}/cpu.max ${d}/cpu.stat   # quota and period, nr_periods, nr_throttled, throttled_usec`
    : `cat ${d}/cpu.cfs_quota_us ${d}/cpu.cfs_period_us ${d}/cpu.stat   # quota, period, nr_throttled, throttled_time (ns)`;
}

/** Raise the limit, for the kind of workload it is (Kubernetes, systemd, a raw cgroup). */
function raiseCommands(e: CgroupCpuEntry, dir: string): string[] {
  const doubled = e.quotaCores * 2;
  const out: string[] = [];
  if (e.pod !== undefined && e.pod !== '') {
    const ns = e.namespace ? `-n ${sh(e.namespace)} ` : '';
    out.push(
      `kubectl ${ns}describe pod ${sh(e.pod)}   # then raise resources.limits.cpu, or drop the CPU limit and keep the request`,
    );
  } else if (e.podUid !== undefined) {
    out.push(
      `kubectl get pods -A -o wide | grep ${sh(e.podUid.slice(0, 8))}   # find the pod; raise resources.limits.cpu or drop the CPU limit`,
    );
  }
  if (e.unit !== undefined && e.unit !== '') {
    out.push(
      `systemctl set-property ${sh(e.unit)} CPUQuota=${Math.round(doubled * 100)}%   # ×2; CPUQuota= (empty) removes the limit`,
    );
  }
  const quotaUs = Math.round(doubled * e.periodUs);
  out.push(
    e.version === 2
      ? `echo '${quotaUs} ${e.periodUs}' > ${sh(`${dir}/cpu.max`)}   # ×2 (${cores(doubled)} cores) until the next deploy; 'max ${e.periodUs}' removes it`
      : `echo ${quotaUs} > ${sh(`${dir}/cpu.cfs_quota_us`)}   # ×2 (${cores(doubled)} cores) until the next deploy; -1 removes it`,
  );
  return out;
}

export const cpuThrottled: Rule<T> = {
  id: 'cpu_throttled',
  signal: 'cgroupCpu',
  description:
    'A cgroup keeps using up its CPU quota and is throttled: its tasks wait for the next period even on idle CPUs.',
  defaults: pickThresholds(
    'cpu_throttled_warning_pct',
    'cpu_throttled_critical_pct',
    'cpu_throttled_time_warning_pct',
    'cpu_throttled_time_critical_pct',
    'cpu_throttled_min_periods',
  ),
  doc: {
    severity: 'WARNING, CRITICAL',
    trigger: (t) =>
      `a cgroup with a CPU quota, active for ≥ ${formatCount(t.cpu_throttled_min_periods)} periods in the window, ` +
      `is throttled in ≥ ${formatPct(t.cpu_throttled_warning_pct)} of them or for ≥ ` +
      `${formatPct(t.cpu_throttled_time_warning_pct)} of the window (WARNING); ≥ ` +
      `${formatPct(t.cpu_throttled_critical_pct)} of periods or ≥ ${formatPct(t.cpu_throttled_time_critical_pct)} ` +
      'of the window (CRITICAL)',
    why:
      'A throttled cgroup stops running until the next enforcement period (100 ms by default) however idle the ' +
      'CPUs are: latency grows by tens of milliseconds with no error, no saturation and no log line to explain it.',
    fix: [
      'cat <cgroup>/cpu.max <cgroup>/cpu.stat   # v1: cpu.cfs_quota_us, cpu.cfs_period_us, cpu.stat',
      'top -H -p "$(paste -sd, <cgroup>/cgroup.procs)"   # which threads spin inside the cgroup',
      'raise the limit (kubectl resources.limits.cpu, systemctl set-property <unit> CPUQuota=…), remove it, or fix the spin',
    ],
  },
  evaluate(signals, t) {
    const cc = signals.cgroupCpu;
    if (cc === undefined) return [];
    const out: Finding[] = [];
    for (const e of cc.cgroups) {
      if (!(e.periods >= t.cpu_throttled_min_periods) || !(e.throttledPeriods > 0)) continue;
      const periodsWarn = e.throttledPct >= t.cpu_throttled_warning_pct;
      const timeWarn = e.throttledTimePct >= t.cpu_throttled_time_warning_pct;
      if (!periodsWarn && !timeWarn) continue;
      const periodsCrit = e.throttledPct >= t.cpu_throttled_critical_pct;
      const timeCrit = e.throttledTimePct >= t.cpu_throttled_time_critical_pct;
      const critical = periodsCrit || timeCrit;
      // Quote the measure that reached this severity, the periods share when both did.
      const byPeriods = critical ? periodsCrit : periodsWarn;
      const threshold = byPeriods
        ? critical
          ? t.cpu_throttled_critical_pct
          : t.cpu_throttled_warning_pct
        : critical
          ? t.cpu_throttled_time_critical_pct
          : t.cpu_throttled_time_warning_pct;
      const label = cgroupLabel(e);
      const dir = cpuCgroupDir(cc.root, e);
      const usage = e.usageCores;
      const usageText = usage === undefined ? 'usage unknown' : `using ${cores(usage)}`;
      const evidence = [
        `throttled in ${formatCount(e.throttledPeriods)} of ${formatCount(e.periods)} periods (${formatPct(e.throttledPct)})` +
          (byPeriods ? ` ≥ ${formatPct(threshold)}` : ''),
        `throttled for ${formatNs(e.throttledSec * 1e9)} (${formatPct(e.throttledTimePct)} of the window, summed over CPUs)` +
          (byPeriods ? '' : ` ≥ ${formatPct(threshold)}`),
        `quota ${cores(e.quotaCores)} cores (${formatCount(e.quotaCores * e.periodUs)} µs per ${formatCount(e.periodUs)} µs period, cgroup v${e.version})`,
        usage === undefined
          ? 'CPU usage unknown (cgroup v1 with no cpuacct cgroup at the same path)'
          : `CPU usage ${cores(usage)} cores over the window (${formatPct(e.quotaCores > 0 ? (usage / e.quotaCores) * 100 : 0)} of the quota)`,
      ];
      const who: string[] = [];
      if (e.pod !== undefined && e.pod !== '')
        who.push(`pod ${e.namespace ? `${e.namespace}/` : ''}${e.pod}`);
      else if (e.podUid !== undefined) who.push(`pod UID ${e.podUid}`);
      if (e.containerId !== undefined) who.push(`container ${e.containerId.slice(0, 12)}`);
      if (e.unit !== undefined && e.unit !== '') who.push(`unit ${e.unit}`);
      evidence.push(`cgroup ${e.cgroupPath}${who.length > 0 ? ` (${who.join(', ')})` : ''}`);
      out.push({
        rule: 'cpu_throttled',
        severity: critical ? 'critical' : 'warning',
        title: `${label} is CPU-throttled in ${formatPct(e.throttledPct)} of periods (quota ${cores(e.quotaCores)} cores, ${usageText})`,
        signal: 'cgroupCpu',
        subject: e.cgroupPath,
        cause: `The tasks of ${label} use up its CPU quota of ${cores(e.quotaCores)} cores within the ${formatNs(e.periodUs * 1000)} period and are stopped until the next one.`,
        impact:
          'Every request in flight when the quota runs out waits for the next period (up to ' +
          `${formatNs(e.periodUs * 1000)}), however idle the host's CPUs are: latency without errors or saturation.`,
        evidence,
        fix: [
          inspectCommand(dir, e.version),
          `top -H -p "$(paste -sd, ${sh(`${dir}/cgroup.procs`)})"   # which threads burn the quota: a spin or a busy loop is a bug, not a sizing problem`,
          ...raiseCommands(e, dir),
        ],
        metric: byPeriods ? PERIODS_METRIC : TIME_METRIC,
        unit: 'percent',
        value: byPeriods ? e.throttledPct : e.throttledTimePct,
        threshold,
        ...(e.pod !== undefined && e.pod !== '' ? { process: e.pod } : {}),
      });
    }
    return out;
  },
  judgedBy(f) {
    if (f.metric === TIME_METRIC)
      return f.severity === 'critical' ? 'cpu_throttled_time_critical_pct' : 'cpu_throttled_time_warning_pct';
    return f.severity === 'critical' ? 'cpu_throttled_critical_pct' : 'cpu_throttled_warning_pct';
  },
};
