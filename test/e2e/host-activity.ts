// What else ran on the host during a doctor window. A specificity result ("no finding") only means
// something when the host was idle before the window and nobody else's work ran during it; the benign
// workload under test and doctor itself are "ours" and excluded.
import { readdirSync, readFileSync } from 'node:fs';
import type { Report } from '../../src/doctor/types.js';
import { describeFinding, isAlarm, round, sleep } from './harness.js';

const HZ = 100; // USER_HZ, the unit of /proc/<pid>/stat and /proc/stat times on Linux

export interface ProcTicks {
  comm: string;
  pgrp: number;
  ticks: number;
}

/** CPU time (ticks) and process group of every process now, by pid. */
function processTicks(): Map<number, ProcTicks> {
  const out = new Map<number, ProcTicks>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      out.set(Number(name), {
        comm: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')),
        pgrp: Number(f[2]),
        // utime + stime only: cutime/cstime would credit a reaper (pid 1) with its dead children's whole lives.
        ticks: Number(f[11]) + Number(f[12]),
      });
    } catch {
      // exited
    }
  }
  return out;
}

/** Busy ticks (everything but idle and iowait) per CPU and in total. */
function cpuBusy(): { total: number; perCpu: number[] } {
  const lines = readFileSync('/proc/stat', 'utf8').split('\n');
  const busy = (l: string) => {
    const v = l.trim().split(/\s+/).slice(1).map(Number);
    return v.reduce((a, b) => a + b, 0) - v[3]! - v[4]!;
  };
  return {
    total: busy(lines[0]!),
    perCpu: lines.filter((l) => /^cpu\d+ /.test(l)).map(busy),
  };
}

export interface Activity {
  seconds: number;
  busyCpus: number;
  perCpu: number[];
  /** CPUs used by processes that are not this test's (the test, doctor, the benign workload). */
  foreignCpus: number;
  top: string[];
  foreignTop: string[];
}

export type IsOurs = (pid: number, p: ProcTicks) => boolean;

export class ActivityMeter {
  private readonly t0 = performance.now();
  private readonly procs0 = processTicks();
  private readonly cpu0 = cpuBusy();

  read(isOurs: IsOurs = () => false): Activity {
    const seconds = (performance.now() - this.t0) / 1000;
    const cpu1 = cpuBusy();
    const used = [...processTicks()]
      .map(([pid, p]) => ({ pid, p, d: p.ticks - (this.procs0.get(pid)?.ticks ?? 0) }))
      .filter((x) => x.d > 0)
      .sort((a, b) => b.d - a.d);
    const label = (x: (typeof used)[number]) =>
      `${x.p.comm}(${x.pid}) ${round((x.d / HZ / seconds) * 100)} %`;
    const foreign = used.filter(
      (x) => x.pid !== process.pid && x.pid !== process.ppid && !isOurs(x.pid, x.p),
    );
    return {
      seconds,
      busyCpus: (cpu1.total - this.cpu0.total) / HZ / seconds,
      perCpu: cpu1.perCpu.map((b, i) => (b - (this.cpu0.perCpu[i] ?? 0)) / HZ / seconds),
      foreignCpus: foreign.reduce((a, x) => a + x.d, 0) / HZ / seconds,
      top: used.slice(0, 6).map(label),
      foreignTop: foreign.slice(0, 6).map(label),
    };
  }
}

/** Max CPUs other people's processes may use during a window before the result says nothing about kerno. */
export const FOREIGN_CPU_LIMIT = 0.25;

/**
 * Waits (bounded) for the host to be idle: under 0.2 CPUs busy over a second. Fails with the busiest
 * processes when it never is: a specificity result on a host busy with unknown work means nothing.
 */
export async function waitForIdleHost(limitMs = 90_000): Promise<void> {
  const end = performance.now() + limitMs;
  let last: Activity | undefined;
  while (performance.now() < end) {
    const m = new ActivityMeter();
    await sleep(1000);
    last = m.read();
    if (last.busyCpus < 0.2) return;
  }
  throw new Error(
    `HOST NOT IDLE: ${round(last?.busyCpus ?? NaN)} CPUs busy (busiest: ${last?.top.join(', ')}); ` +
      `for ${limitMs / 1000} s. ` +
      'The specificity test needs a host without other work — this is a failure, not a skip',
  );
}

/** Fails (before judging the findings) when other people's work ran during the window. */
// Idle tooling waiting on pipes (an esbuild service, an editor's agent) is part of a normal idle host: since
// read()/recv() waits count as blocking, it must not (and does not) raise a finding, so it is not excluded.
export function assertWindowWasOurs(act: Activity, report: Report): void {
  if (act.foreignCpus <= FOREIGN_CPU_LIMIT) return;
  throw new Error(
    `HOST NOT IDLE DURING THE WINDOW: other processes used ${round(act.foreignCpus)} CPUs (${act.foreignTop.join(', ')}); ` +
      'Findings, not judged: ' +
      `${report.findings.map((f) => `${f.rule} ${f.severity} ${f.subject || '(host-wide)'}`).join('; ') || 'none'}`,
  );
}

export function alarms(report: Report): string[] {
  return report.findings.filter(isAlarm).map(describeFinding);
}
