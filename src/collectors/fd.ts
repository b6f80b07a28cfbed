// fd collector: descriptors created and closed per process, counted in the kernel (bpf/fd.bpf.c on
// sys_exit), plus the current descriptor count and soft limit from /proc for the top processes — the
// headroom the fd_leak rule turns into an ETA.
import type { Collector, CollectorContext, CollectorStats } from './types.js';
import type { FdEntry, SignalsPart } from '../signals.js';
import { loadBpfObject, readCounters, cString, type LoadedBpf } from './bpf-loader.js';
import { countFds, softFdLimit } from './procfs/pid-fds.js';
import { monotonicNs } from '../util/clock.js';

// Layout: bpf/fd.h
const V_OPENS = 0;
const V_CLOSES = 8;
const V_FIRST_SEEN = 16;
const V_COMM = 24;
const CNT_EVENTS = 0;
const CNT_MAP_FULL = 1;
const CNT_OPENS = 2;
const CNT_CLOSES = 3;

export const FD_LIMITS = {
  /** Entries reported (by net growth). */
  entries: 16,
  /** Entries whose current FD count and limit are read from /proc. */
  procLookups: 5,
  /**
   * A process first seen late in the window gets its rate over at least this long (or the whole window if
   * shorter): a burst of opens at startup is not a sustained leak.
   */
  minRateSpanNs: 10e9,
};

export class FdCollector implements Collector {
  readonly name = 'fd';
  #bpf: LoadedBpf | undefined;
  #windowStartNs = 0;
  #events = 0;
  #dropped = 0;

  async start(_ctx: CollectorContext): Promise<void> {
    this.#bpf = await loadBpfObject('fd', [{ programs: ['sys_exit', 'sched_process_exit'] }]);
    this.#windowStartNs = monotonicNs();
  }

  stats(): CollectorStats {
    return {
      programsLoaded: this.#bpf?.programsLoaded ?? 0,
      programsTotal: this.#bpf?.programsTotal ?? 2,
      events: this.#events,
      eventsDropped: this.#dropped,
    };
  }

  async snapshot(windowNs: number): Promise<SignalsPart> {
    const obj = this.#bpf?.obj;
    if (!obj) throw new Error('fd: snapshot before start');
    const now = monotonicNs();
    const procs = obj.map('procs');
    const entries: FdEntry[] = [];
    for (const { key, value } of procs.dump()) {
      const pid = key.readUInt32LE(0);
      let opens = 0;
      let closes = 0;
      let firstSeen = 0;
      let comm = '';
      for (const cpu of procs.perCpuValues(value)) {
        opens += Number(cpu.readBigUInt64LE(V_OPENS));
        closes += Number(cpu.readBigUInt64LE(V_CLOSES));
        const fs = Number(cpu.readBigUInt64LE(V_FIRST_SEEN));
        if (fs > 0 && (firstSeen === 0 || fs < firstSeen)) firstSeen = fs;
        if (!comm) comm = cString(cpu, V_COMM, 16);
      }
      const span = Math.max(now - Math.max(firstSeen, this.#windowStartNs), Math.min(windowNs, FD_LIMITS.minRateSpanNs));
      const netDelta = opens - closes;
      entries.push({
        pid,
        comm: comm || `pid ${pid}`,
        opens,
        closes,
        netDelta,
        growthRatePerSec: span > 0 ? netDelta / (span / 1e9) : 0,
        currentFds: -1,
        fdLimit: -1,
      });
    }
    entries.sort((a, b) => b.netDelta - a.netDelta || b.opens - a.opens);
    const top = entries.slice(0, FD_LIMITS.entries);
    await Promise.all(
      top.slice(0, FD_LIMITS.procLookups).map(async (e) => {
        e.currentFds = await countFds(e.pid);
        e.fdLimit = await softFdLimit(e.pid);
      }),
    );
    const c = readCounters(obj);
    this.#events = c[CNT_EVENTS] ?? 0;
    this.#dropped = c[CNT_MAP_FULL] ?? 0;
    const totalOpens = c[CNT_OPENS] ?? 0;
    const totalCloses = c[CNT_CLOSES] ?? 0;
    const seconds = Math.max(windowNs, 1) / 1e9;
    return {
      fd: {
        totalOpens,
        totalCloses,
        netDelta: totalOpens - totalCloses,
        growthRatePerSec: (totalOpens - totalCloses) / seconds,
        entries: top,
      },
    };
  }

  async reset(): Promise<void> {
    const obj = this.#bpf?.obj;
    if (!obj) return;
    obj.map('procs').clear();
    obj.map('counters').clear();
    this.#windowStartNs = monotonicNs();
  }

  async stop(): Promise<void> {
    this.#bpf?.close();
  }
}
