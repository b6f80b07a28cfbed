// oom_kill_occurred — the kernel OOM killer killed a process during the window (reference §4.2).
//
// One finding per cgroup (or per victim when the cgroup is unknown) rather than one per kill: a
// crash-looping container killed twenty times is one problem with a count, not twenty findings. RSS and
// total VM come from the kill event itself (the original always reported 0). When the cgroup-memory
// collector knows the victim's cgroup, the finding uses its version, limit and workload name.
import type { OomEvent } from '../src/signals/types.js';
import type { Finding, Rule } from '../src/doctor/types.js';
import { formatBytes, formatCount, formatPct } from '../src/doctor/format.js';
import {
  cgroupDir,
  cgroupInspectCommands,
  cgroupLabel,
  podLabel,
  findCgroup,
  raiseLimitCommands,
} from './lib/cgroup.js';
import { processSubject } from './lib/subjects.js';
import { sh } from './lib/shell.js';

const MAX_LISTED = 5;

function subjectOf(e: OomEvent): string {
  return e.cgroupPath !== '' && e.cgroupPath !== '/' ? e.cgroupPath : processSubject(e.comm, e.pid);
}

function eventLine(e: OomEvent): string {
  const trig =
    e.triggeredPid > 0 && e.triggeredPid !== e.pid
      ? `; allocation by ${e.triggeredComm} (pid ${e.triggeredPid})`
      : '';
  return (
    `${e.timestamp}: killed ${e.comm} (pid ${e.pid}), RSS ${formatBytes(e.rssBytes)}, total VM ` +
    `${formatBytes(e.totalVmBytes)}, oom_score_adj ${e.oomScoreAdj}${trig}`
  );
}

export const oomKillOccurred: Rule<Record<never, number>> = {
  id: 'oom_kill_occurred',
  signal: 'oom',
  description: 'The kernel OOM killer killed a process during the window.',
  defaults: {},
  doc: {
    severity: 'CRITICAL',
    trigger: () => 'any OOM kill during the window (one finding per cgroup, with the kill count)',
    why: 'A process was killed outright: requests in flight were lost, and a supervisor restarting it may hide a memory leak or an undersized limit until the next kill.',
    fix: [
      "dmesg -T | grep -iE 'out of memory|killed process|oom-kill'",
      'cat /proc/<pid-of-the-restarted-process>/cgroup   # which limit applies',
      'raise the memory limit, or find the leak with a heap profile (valgrind --tool=massif, pprof, node --heap-prof)',
    ],
  },
  evaluate(signals) {
    const oom = signals.oom;
    if (oom === undefined || oom.events.length === 0) return [];
    const groups = new Map<string, OomEvent[]>();
    for (const e of oom.events) {
      const key = subjectOf(e);
      const g = groups.get(key);
      if (g === undefined) groups.set(key, [e]);
      else g.push(e);
    }
    const out: Finding[] = [];
    for (const [subject, events] of groups) {
      const last = events[events.length - 1]!;
      const n = events.length;
      const cg = findCgroup(signals.cgroupMemory, last.cgroupPath);
      // The victim's own names first: the cgroup entry may be the pod's while the kill named a container.
      const where =
        podLabel(last) ??
        (cg !== undefined ? cgroupLabel(cg) : last.cgroupPath !== '' ? last.cgroupPath : '');
      const inCgroup = where !== '' ? ` in ${where}` : '';
      const evidence = events.slice(-MAX_LISTED).map(eventLine);
      if (n > MAX_LISTED) evidence.unshift(`${formatCount(n)} kills; the last ${MAX_LISTED}:`);
      const fix = [`dmesg -T | grep -iE 'out of memory|killed process|oom-kill'`];
      if (cg !== undefined) {
        const dir = cgroupDir(signals.cgroupMemory?.root, cg.version, cg.cgroupPath);
        evidence.push(
          `cgroup now at ${formatBytes(cg.currentBytes)} of its ${formatBytes(cg.limitBytes)} limit ` +
            `(${formatPct(cg.usedPct)}); oom_kill counter ${formatCount(cg.events.oomKill)}`,
        );
        fix.push(...cgroupInspectCommands(dir, cg.version), ...raiseLimitCommands(cg, dir, 'max'));
      } else if (last.cgroupPath !== '' && last.cgroupPath !== '/') {
        fix.push(
          `cat ${sh(cgroupDir(undefined, 2, last.cgroupPath))}/memory.max 2>/dev/null || cat ${sh(cgroupDir(undefined, 1, last.cgroupPath))}/memory.limit_in_bytes`,
        );
      } else {
        fix.push('free -h; ps aux --sort=-rss | head -15   # a host-wide OOM: who holds the memory now');
      }
      fix.push(
        `look for a leak in ${last.comm}: heap profile it (valgrind --tool=massif, pprof, node --heap-prof) or raise its limit`,
      );
      out.push({
        rule: 'oom_kill_occurred',
        severity: 'critical',
        title:
          n === 1
            ? `OOM Kill Detected: ${last.comm} (pid ${last.pid})`
            : `${formatCount(n)} OOM Kills${inCgroup}`,
        signal: 'oom',
        subject,
        cause:
          `The kernel OOM killer killed ${last.comm} (pid ${last.pid}, RSS ${formatBytes(last.rssBytes)})${inCgroup}` +
          (n > 1 ? ` and ${n - 1} more` : '') +
          ' because memory could not be allocated within the limit.',
        impact:
          'The process died without cleanup: in-flight requests were lost and its state must be rebuilt; ' +
          'repeated kills mean the limit is too small or the process leaks.',
        evidence,
        fix,
        metric: 'oom_kills',
        unit: 'count',
        value: n,
        threshold: 1,
        process: last.comm,
        pid: last.pid,
      });
    }
    return out;
  },
};
