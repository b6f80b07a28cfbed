// fd collector: descriptors created and closed per process, counted in the kernel (bpf/fd.bpf.c on
// sys_exit), plus the current descriptor count and soft limit from /proc for the top processes — the
// headroom the fd_leak rule turns into an ETA.
import type {
  Collector,
  CollectorContext,
  CollectorDef,
  CollectorMetrics,
  CollectorStats,
  LiveReading,
  MetricFamily,
} from './types.js';
import type { FdEntry, SignalsPart } from '../signals/types.js';
import { bpfStats, dropsFrom, loadBpfObject, type DropIndexes, type LoadedBpf } from './bpf-loader.js';
import type { DropCounts } from '../events/stream.js';
import { cString, readCommOf, readComms, readCounter, readCounters } from '../bpf/read.js';
import { defineLayout } from '../bpf/layout.js';
import { countFds, readComm, softFdLimit } from './procfs/pid-fds.js';
import { monotonicNs } from '../util/clock.js';

// Layout: bpf/fd.h (checked against the object's BTF at load; `kerno watch fd` reads the same map)
export const FD_VALUE_LAYOUT = defineLayout('fd_value', 40, {
  opens: 0,
  closes: 8,
  first_seen_ns: 16,
  comm: 24,
});
const VALUE = FD_VALUE_LAYOUT;
const LAYOUTS = [VALUE];
/**
 * Per-CPU fold (live and snapshot reads): opens/closes summed; first_seen_ns and comm are set only in the
 * inserting CPU's copy (the others are 0), so the max is that copy's time and the first non-empty comm its name.
 */
const LIVE_REDUCE = { max: [VALUE.offset.first_seen_ns], first: [[VALUE.offset.comm, 16] as const] };
/** `counters` indexes (FD_CNT_* in bpf/fd.h). */
const COUNTER = { events: 0, mapFull: 1, opens: 2, closes: 3 };
/** Losses for coverage: processes that found `procs` full (their descriptors stay in the totals only). */
const DROPS: DropIndexes = { map_full: [COUNTER.mapFull] };

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

interface RawFd {
  byPid: Map<number, { opens: number; closes: number; firstSeen: number; comm: string }>;
  opens: number;
  closes: number;
}

/** The /metrics families metrics() reports, declared where their values are made. */
export const FD_FAMILIES: readonly MetricFamily[] = [
  {
    name: 'fd_opens_total',
    type: 'counter',
    labels: [],
    help: 'File descriptors opened (open, socket, dup …).',
  },
  { name: 'fd_closes_total', type: 'counter', labels: [], help: 'File descriptors closed.' },
];

export const fdDef: CollectorDef = {
  name: 'fd',
  bpf: true,
  create: () => new FdCollector(),
  description: 'file-descriptor growth per process',
  families: FD_FAMILIES,
};

export class FdCollector implements Collector {
  readonly name = 'fd';
  #bpf: LoadedBpf | undefined;
  #baseline: RawFd | undefined;
  #windowStartNs = 0;
  #events = 0;
  #drops: Partial<DropCounts> = {};

  async start(_ctx: CollectorContext): Promise<void> {
    this.#bpf = await loadBpfObject(
      'fd',
      [{ programs: ['sys_exit', 'sched_process_exit', 'sched_process_exec', 'task_rename'] }],
      LAYOUTS,
    );
    this.#windowStartNs = monotonicNs();
  }

  stats(): CollectorStats {
    return bpfStats(this.#bpf, 4, { events: this.#events, drops: this.#drops }, DROPS);
  }

  /**
   * Events so far and the process whose descriptor count grew the most in the window. `procs` holds live
   * processes only (entries go at exit) with 40-byte values, folded natively: one small dump, no /proc.
   */
  live(): LiveReading {
    const obj = this.#bpf?.obj;
    if (!obj) throw new Error('fd: live read before start');
    const events = readCounter(obj, COUNTER.events) ?? this.#events;
    const base = this.#baseline?.byPid;
    let best: { pid: number; net: number; comm: string } | undefined;
    for (const { key, value } of obj.map('procs').dump({ reduce: LIVE_REDUCE })) {
      const pid = key.readUInt32LE(0);
      let net =
        Number(value.readBigUInt64LE(VALUE.offset.opens)) -
        Number(value.readBigUInt64LE(VALUE.offset.closes));
      // As in snapshot(): a baseline only for the same process (same first-seen time), not a recycled pid.
      const b = base?.get(pid);
      if (b && b.firstSeen === Number(value.readBigUInt64LE(VALUE.offset.first_seen_ns)))
        net -= b.opens - b.closes;
      if (net > (best?.net ?? 0)) best = { pid, net, comm: cString(value, VALUE.offset.comm, 16) };
    }
    if (!best) return { events };
    const comm = readCommOf(obj, best.pid) || best.comm || `pid ${best.pid}`;
    return { events, top: { label: `grew ${comm} (${best.pid})`, value: best.net, unit: 'fds' } };
  }

  private readRaw(): RawFd {
    const obj = this.#bpf?.obj;
    if (!obj) throw new Error('fd: read before start');
    const procs = obj.map('procs');
    const comms = readComms(obj);
    const byPid = new Map<number, { opens: number; closes: number; firstSeen: number; comm: string }>();
    // Folded natively (one 40-byte struct per process, not one per CPU): with thousands of processes the
    // per-CPU decode in JS was most of the read (bench/fd-scale).
    for (const { key, value } of procs.dump({ reduce: LIVE_REDUCE })) {
      const pid = key.readUInt32LE(0); // key: __u32 tgid
      const comm = cString(value, VALUE.offset.comm, 16);
      byPid.set(pid, {
        opens: Number(value.readBigUInt64LE(VALUE.offset.opens)),
        closes: Number(value.readBigUInt64LE(VALUE.offset.closes)),
        firstSeen: Number(value.readBigUInt64LE(VALUE.offset.first_seen_ns)),
        comm: comms.get(pid) || comm || `pid ${pid}`,
      });
    }
    const c = readCounters(obj);
    this.#events = c[COUNTER.events] ?? 0;
    this.#drops = dropsFrom(c, DROPS);
    return { byPid, opens: c[COUNTER.opens] ?? 0, closes: c[COUNTER.closes] ?? 0 };
  }

  async snapshot(windowNs: number): Promise<SignalsPart> {
    const now = monotonicNs();
    const raw = this.readRaw();
    const base = this.#baseline;
    const entries: FdEntry[] = [];
    for (const [pid, p] of raw.byPid) {
      // A pid seen before the window but with a different first-seen time is a recycled pid: no baseline.
      const b = base?.byPid.get(pid);
      const same = b && b.firstSeen === p.firstSeen;
      const opens = p.opens - (same ? b.opens : 0);
      const closes = p.closes - (same ? b.closes : 0);
      if (opens === 0 && closes === 0) continue;
      const span = Math.max(
        now - Math.max(p.firstSeen, this.#windowStartNs),
        Math.min(windowNs, FD_LIMITS.minRateSpanNs),
      );
      const netDelta = opens - closes;
      entries.push({
        pid,
        comm: p.comm,
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
    // The kernel records comm when it first sees a pid, which may be before an execve: prefer the live name.
    await Promise.all(
      top.map(async (e, i) => {
        e.comm = (await readComm(e.pid).catch(() => '')) || e.comm;
        if (i >= FD_LIMITS.procLookups) return;
        e.currentFds = await countFds(e.pid);
        e.fdLimit = await softFdLimit(e.pid);
      }),
    );
    const totalOpens = raw.opens - (base?.opens ?? 0);
    const totalCloses = raw.closes - (base?.closes ?? 0);
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
    if (!this.#bpf) return;
    this.#baseline = this.readRaw();
    this.#windowStartNs = monotonicNs();
  }

  async metrics(): Promise<CollectorMetrics> {
    const raw = this.readRaw();
    return {
      counters: {
        fd_opens_total: [{ labels: {}, value: raw.opens }],
        fd_closes_total: [{ labels: {}, value: raw.closes }],
      },
    };
  }

  async stop(): Promise<void> {
    this.#bpf?.close();
  }
}
