// fd_leak — a process keeps opening descriptors without closing them (reference §4.2, `b27cb3b` headroom).
//
// Per process, not host-wide: the original compared the global net growth with the threshold, so many
// processes each opening a few files looked like a leak, and the finding then blamed whichever was first.
// Each process whose net growth reaches `fd_growth_per_sec` (and at least `fd_min_net_fds` over the window,
// so a start-up burst in a short window is not a leak) gets its own finding.
//
// Cross-checked against what the process actually holds: descriptors also disappear without close() —
// dup2() over an open fd, close_range(), O_CLOEXEC at exec, a thread group exiting — so opens − closes can
// grow for a shell that holds five descriptors (measured here: bash, +288 net in 10 s, 5 held). A process
// that leaked N descriptors during the window holds at least N at its end; when /proc/<pid>/fd shows fewer,
// nothing leaked and the rule stays quiet.
//
// ETA only from exact headroom: the soft RLIMIT_NOFILE minus the descriptors the process holds now. The
// original fell back to a guessed 65 536 limit and a window delta; an ETA built on a guess is worse than
// none, so unknown or unlimited limits give no ETA. A process that will hit its limit within
// `fd_eta_critical_ns` (or already has) is CRITICAL: from then on every open/accept fails with EMFILE.
import type { FdEntry } from '../src/signals/types.js';
import type { Finding, Rule } from '../src/doctor/types.js';
import { pickThresholds, type Thresholds } from '../src/doctor/thresholds.js';
import { formatCount, formatEta, formatNs, formatRate } from '../src/doctor/format.js';
import { etaFromRate } from '../src/doctor/eta.js';
import { processSubject } from './lib/subjects.js';

type T = Pick<Thresholds, 'fd_growth_per_sec' | 'fd_min_net_fds' | 'fd_eta_critical_ns'>;

function headroom(e: FdEntry): number | undefined {
  if (e.currentFds < 0 || !(e.fdLimit > 0)) return undefined;
  return e.fdLimit - e.currentFds;
}

export const fdLeak: Rule<T> = {
  id: 'fd_leak',
  signal: 'fd',
  description: 'A process opens file descriptors faster than it closes them and will run out.',
  defaults: pickThresholds('fd_growth_per_sec', 'fd_min_net_fds', 'fd_eta_critical_ns'),
  doc: {
    severity: 'WARNING, CRITICAL',
    trigger: (t) =>
      `one process gains ≥ ${formatRate(t.fd_growth_per_sec)} descriptors net (and ≥ ${t.fd_min_net_fds} over the window); ` +
      `CRITICAL when its descriptor limit is ${formatEta(t.fd_eta_critical_ns)} away or already reached`,
    why: 'At the limit every open(), socket() and accept() fails with EMFILE ("Too many open files"): the service stops taking connections while looking alive.',
    fix: [
      'ls /proc/<pid>/fd | wc -l; grep "open files" /proc/<pid>/limits',
      "lsof -p <pid> | awk 'NR>1 {print $5}' | sort | uniq -c | sort -rn   # what kind of descriptor leaks",
      'close what you open on every path (response bodies, files in error branches)',
    ],
  },
  evaluate(signals, t) {
    const fd = signals.fd;
    if (fd === undefined) return [];
    const out: Finding[] = [];
    const windowS = signals.durationNs / 1e9;
    for (const e of fd.entries) {
      if (e.growthRatePerSec < t.fd_growth_per_sec || e.netDelta < t.fd_min_net_fds) continue;
      if (e.currentFds >= 0 && e.currentFds < e.netDelta) continue; // not held: closed by dup2/exec/close_range
      const room = headroom(e);
      const etaNs = room !== undefined ? etaFromRate(room, e.growthRatePerSec) : undefined;
      const atLimit = room !== undefined && room <= 0;
      const critical = atLimit || (etaNs !== undefined && etaNs <= t.fd_eta_critical_ns);
      const evidence = [
        `${e.comm} (pid ${e.pid}) gained ${formatCount(e.netDelta)} descriptors net` +
          (windowS > 0 ? ` in ${formatNs(signals.durationNs)}` : '') +
          ` (${formatCount(e.opens)} opened, ${formatCount(e.closes)} closed) = ${formatRate(e.growthRatePerSec)} ≥ ${formatRate(t.fd_growth_per_sec)}`,
      ];
      let impact: string;
      if (room !== undefined) {
        evidence.push(
          `holds ${formatCount(e.currentFds)} of ${formatCount(e.fdLimit)} allowed (soft RLIMIT_NOFILE): ${formatCount(Math.max(0, room))} left`,
        );
        impact = atLimit
          ? `${e.comm} is at its limit of ${formatCount(e.fdLimit)} descriptors: open(), socket() and accept() fail with EMFILE now.`
          : etaNs !== undefined
            ? `At this rate ${e.comm} reaches its limit of ${formatCount(e.fdLimit)} descriptors in ${formatEta(etaNs)}; then every open(), socket() and accept() fails with EMFILE.`
            : `${e.comm} will reach its limit of ${formatCount(e.fdLimit)} descriptors if this continues; then open()/accept() fail with EMFILE.`;
        if (etaNs !== undefined) evidence.push(`limit reached in ${formatEta(etaNs)} at the current rate`);
      } else {
        if (e.currentFds < 0) {
          evidence.push(
            'not verified against /proc: the process exited or its descriptors could not be read',
          );
        }
        const why =
          e.fdLimit === 0
            ? 'its descriptor limit is unlimited'
            : e.currentFds < 0
              ? 'its current descriptors could not be read'
              : 'its descriptor limit could not be read';
        evidence.push(`no ETA: ${why}`);
        impact = `If this continues ${e.comm} exhausts its descriptor limit (or the system file table); then open()/accept() fail with EMFILE/ENFILE.`;
      }
      const pid = e.pid;
      out.push({
        rule: 'fd_leak',
        severity: critical ? 'critical' : 'warning',
        title: `File Descriptor Leak Suspected: ${e.comm} (pid ${pid})`,
        signal: 'fd',
        subject: processSubject(e.comm, pid),
        cause: `${e.comm} (pid ${pid}) opens descriptors faster than it closes them (+${formatRate(e.growthRatePerSec)} net).`,
        impact,
        evidence,
        fix: [
          `ls /proc/${pid}/fd | wc -l; grep 'open files' /proc/${pid}/limits`,
          `lsof -p ${pid} | awk 'NR>1 {print $5}' | sort | uniq -c | sort -rn   # what kind of descriptor leaks (REG, IPv4, unix …)`,
          `lsof -p ${pid} | tail -20   # the newest descriptors and what they point to`,
          'close what you open on every path (response bodies, files in error branches)',
          `prlimit --pid ${pid} --nofile=${e.fdLimit > 0 ? e.fdLimit * 2 : 65536}   # buys time only; the leak continues`,
        ],
        ...(etaNs !== undefined ? { etaNs } : {}),
        metric: 'fd_growth_per_sec',
        unit: 'per_sec',
        value: e.growthRatePerSec,
        threshold: t.fd_growth_per_sec,
        process: e.comm,
        pid,
      });
    }
    return out;
  },
  judgedBy() {
    return 'fd_growth_per_sec';
  },
};
