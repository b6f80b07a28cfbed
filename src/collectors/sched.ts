// sched collector: run-queue delay (runnable → running) host-wide and per process, from in-kernel
// log-linear histograms filled by bpf/sched.bpf.c (sched_wakeup, sched_wakeup_new, sched_switch).
import type {
  Collector,
  CollectorContext,
  CollectorDef,
  CollectorMetrics,
  CollectorStats,
  LiveReading,
  MetricFamily,
} from './types.js';
import type { SchedDelayed, SignalsPart } from '../signals/types.js';
import { bpfStats, dropsFrom, loadBpfObject, type DropIndexes, type LoadedBpf } from './bpf-loader.js';
import type { DropCounts } from '../events/stream.js';
import {
  cString,
  commHistReduce,
  foldedEntries,
  readCommOf,
  readComms,
  readCounter,
  readCounters,
  readPerCpuMax,
} from '../bpf/read.js';
import { defineLayout } from '../bpf/layout.js';
import { processAlive } from './procfs/process-alive.js';
import {
  addHistogram,
  addHistogramDelta,
  emptyHistogram,
  histCount,
  percentiles,
  readHistogram,
  subtractHistogram,
  type Histogram,
  type HistReading,
  HIST_LAYOUT,
} from '../bpf/histogram.js';

// Layout: bpf/sched.h (checked against the object's BTF at load)
const VALUE = defineLayout('sched_value', 16 + HIST_LAYOUT.size, { comm: 0, h: 16 });
const LONGEST = defineLayout('sched_longest', 16, { max_ns: 0, tgid: 8, pid: 12 });
const LAYOUTS = [VALUE, LONGEST, HIST_LAYOUT];
const REDUCE = commHistReduce(VALUE.offset.comm, VALUE.offset.h);
/** `counters` indexes (SCHED_CNT_* in bpf/sched.h). */
const COUNTER = { events: 0, procsFull: 1, storageFail: 2 };
/** Losses for coverage: delays whose process found `procs` full (host-wide only), and enqueue times stored
 * nowhere. */
const DROPS: DropIndexes = { map_full: [COUNTER.procsFull], unspecified: [COUNTER.storageFail] };

export const SCHED_LIMITS = {
  topDelayed: 16,
  /** A process needs this many delays in the window to rank: one unlucky wakeup is not contention. */
  minSamples: 20,
};

/**
 * One process's entry in `procs` or `procs_shared` (bpf/sched.h), per-CPU copies folded; `value` is a
 * view into a chunk buffer, valid only while the visitor runs.
 */
interface RawProc {
  /** "p<tgid>" (procs) or "s<tgid>" (procs_shared): a process in both is two entries that add up. */
  id: string;
  pid: number;
  comm: string;
  value: Buffer;
}

interface Baseline {
  global: Histogram;
  /** Each entry's counters and non-empty slots as the window began (not a copy of the map). */
  procs: Map<string, HistReading>;
}

/** The /metrics families metrics() reports, declared where their values are made. */
export const SCHED_FAMILIES: readonly MetricFamily[] = [
  {
    name: 'runqueue_delay_seconds',
    type: 'histogram',
    labels: [],
    help: 'Run-queue delay: time from wakeup to running on a CPU.',
  },
];

export const schedDef: CollectorDef = {
  name: 'sched',
  bpf: true,
  create: () => new SchedCollector(),
  description: 'run-queue delay',
  families: SCHED_FAMILIES,
};

export class SchedCollector implements Collector {
  readonly name = 'sched';
  #bpf: LoadedBpf | undefined;
  #baseline: Baseline | undefined;
  #events = 0;
  #drops: Partial<DropCounts> = {};

  async start(_ctx: CollectorContext): Promise<void> {
    this.#bpf = await loadBpfObject(
      'sched',
      [
        {
          programs: ['sched_wakeup', 'sched_wakeup_new', 'sched_switch', 'sched_process_exec', 'task_rename'],
        },
      ],
      LAYOUTS,
    );
  }

  stats(): CollectorStats {
    return bpfStats(this.#bpf, 5, { events: this.#events, drops: this.#drops }, DROPS);
  }

  /** Delays so far and the longest single wait with its process: two small per-CPU lookups and one comm. */
  live(): LiveReading {
    const obj = this.obj();
    const events = readCounter(obj, COUNTER.events) ?? this.#events;
    const worst = readPerCpuMax(obj, 'longest', LONGEST.offset.max_ns);
    if (!worst) return { events };
    const tgid = worst.readUInt32LE(LONGEST.offset.tgid);
    const comm = readCommOf(obj, tgid) ?? `pid ${tgid}`;
    return {
      events,
      top: {
        label: `longest wait ${comm} (${tgid})`,
        value: Number(worst.readBigUInt64LE(LONGEST.offset.max_ns)),
        unit: 'ns',
      },
    };
  }

  private obj() {
    const obj = this.#bpf?.obj;
    if (!obj) throw new Error('sched: read before start');
    return obj;
  }

  /** The host-wide run-queue histogram, cumulative since attach. */
  private readGlobal(): Histogram {
    const runq = this.obj().map('runq');
    const global = emptyHistogram();
    const v = runq.lookup(Buffer.alloc(4));
    if (v) for (const cpu of runq.perCpuValues(v)) addHistogram(global, cpu, 0);
    const c = readCounters(this.obj());
    this.#events = c[COUNTER.events] ?? 0;
    this.#drops = dropsFrom(c, DROPS);
    return global;
  }

  /** Visits every process entry, chunk by chunk (no copy of the maps is kept). */
  private visitProcs(fn: (p: RawProc) => void): void {
    const obj = this.obj();
    const comms = readComms(obj);
    for (const { map, key, value } of foldedEntries(obj, ['procs', 'procs_shared'], REDUCE)) {
      const pid = key.readUInt32LE(0); // key: __u32 tgid
      const comm = comms.get(pid) || cString(value, VALUE.offset.comm, 16) || `pid ${pid}`;
      fn({ id: `${map === 'procs' ? 'p' : 's'}${pid}`, pid, comm, value });
    }
  }

  async snapshot(_windowNs: number): Promise<SignalsPart> {
    const base = this.#baseline;
    const raw = this.readGlobal();
    const global = base ? subtractHistogram(raw, base.global) : raw;
    // A process's window is the growth of its entries (one per map it is in) since the baseline.
    const procs = new Map<number, { comm: string; hist: Histogram }>();
    this.visitProcs((p) => {
      const b = base?.procs.get(p.id);
      if (histCount(p.value, VALUE.offset.h) - (b?.count ?? 0) <= 0) return;
      let x = procs.get(p.pid);
      if (!x) procs.set(p.pid, (x = { comm: p.comm, hist: emptyHistogram() }));
      addHistogramDelta(x.hist, p.value, VALUE.offset.h, b);
    });
    const delayed: SchedDelayed[] = [];
    for (const [pid, { comm, hist }] of procs) {
      if (hist.count < SCHED_LIMITS.minSamples) continue;
      delayed.push({ pid, comm, runqDelay: percentiles(hist), totalDelayNs: hist.sumNs });
    }
    // The victims are the processes that lost the most time waiting, not the ones with the worst single
    // wait: a busy server woken 10 000 times at 5 ms each lost 50 s; a cron job woken once at 60 ms, 60 ms.
    delayed.sort((a, b) => b.totalDelayNs - a.totalDelayNs || b.runqDelay.p99 - a.runqDelay.p99);
    const runqDelay = percentiles(global);
    return {
      sched: {
        totalCount: runqDelay.count,
        runqDelay,
        topDelayed: delayed.slice(0, SCHED_LIMITS.topDelayed),
      },
    };
  }

  /** New window; entries of exited processes are deleted (the kernel never deletes them). */
  async reset(): Promise<void> {
    const obj = this.#bpf?.obj;
    if (!obj) return;
    const global = this.readGlobal();
    const procs = new Map<string, HistReading>();
    const dead: { id: string; pid: number }[] = [];
    this.visitProcs((p) => {
      if (processAlive(p.pid)) procs.set(p.id, readHistogram(p.value, VALUE.offset.h));
      else dead.push({ id: p.id, pid: p.pid });
    });
    // Deleted after the walk: deleting during it would disturb the batch cursor.
    for (const p of dead) {
      const key = Buffer.alloc(4);
      key.writeUInt32LE(p.pid);
      obj.map(p.id.startsWith('s') ? 'procs_shared' : 'procs').delete(key);
    }
    this.#baseline = { global, procs };
    // The live view's longest wait is per window too (nothing else reads it).
    obj.map('longest').clear();
  }

  async metrics(): Promise<CollectorMetrics> {
    return { histograms: { runqueue_delay_seconds: [{ labels: {}, value: this.readGlobal() }] } };
  }

  async stop(): Promise<void> {
    this.#bpf?.close();
  }
}
