// sched collector: run-queue delay (runnable → running) host-wide and per process, from in-kernel
// log-linear histograms filled by bpf/sched.bpf.c (sched_wakeup, sched_wakeup_new, sched_switch).
import type { Collector, CollectorContext, CollectorMetrics, CollectorStats } from './types.js';
import type { SchedDelayed, SignalsPart } from '../signals.js';
import {
  bpfStats,
  loadBpfObject,
  readCounters,
  cString,
  readComms,
  processAlive,
  type LoadedBpf,
} from './bpf-loader.js';
import {
  addHistogram,
  emptyHistogram,
  percentiles,
  subtractHistogram,
  type Histogram,
} from '../bpf/histogram.js';

// Layout: bpf/sched.h
const V_COMM = 0;
const V_HIST = 16;
const CNT_EVENTS = 0;
const CNT_STORAGE_FAIL = 2;

export const SCHED_LIMITS = {
  topDelayed: 16,
  /** A process needs this many delays in the window to rank: one unlucky wakeup is not contention. */
  minSamples: 20,
};

export class SchedCollector implements Collector {
  readonly name = 'sched';
  #bpf: LoadedBpf | undefined;
  #baseline: { global: Histogram; procs: Map<number, { comm: string; hist: Histogram }> } | undefined;
  #events = 0;
  #dropped = 0;

  async start(_ctx: CollectorContext): Promise<void> {
    this.#bpf = await loadBpfObject('sched', [
      { programs: ['sched_wakeup', 'sched_wakeup_new', 'sched_switch', 'sched_process_exec'] },
    ]);
  }

  stats(): CollectorStats {
    return bpfStats(this.#bpf, 4, this.#events, this.#dropped);
  }

  private readRaw(): { global: Histogram; procs: Map<number, { comm: string; hist: Histogram }> } {
    const obj = this.#bpf?.obj;
    if (!obj) throw new Error('sched: read before start');
    const runq = obj.map('runq');
    const global = emptyHistogram();
    const v = runq.lookup(Buffer.alloc(4));
    if (v) for (const cpu of runq.perCpuValues(v)) addHistogram(global, cpu, 0);
    const procs = new Map<number, { comm: string; hist: Histogram }>();
    const comms = readComms(obj);
    // A process's totals are its per-CPU copies in `procs` plus its entry in `procs_shared` (bpf/sched.h).
    for (const mapName of ['procs', 'procs_shared']) {
      const pm = obj.map(mapName);
      for (const { key, value } of pm.dump()) {
        const pid = key.readUInt32LE(0);
        let p = procs.get(pid);
        if (!p) procs.set(pid, (p = { comm: comms.get(pid) ?? '', hist: emptyHistogram() }));
        for (const cpu of pm.perCpuValues(value)) {
          if (!p.comm) p.comm = cString(cpu, V_COMM, 16);
          addHistogram(p.hist, cpu, V_HIST);
        }
      }
    }
    for (const [pid, p] of procs) p.comm ||= `pid ${pid}`;
    const c = readCounters(obj);
    this.#events = c[CNT_EVENTS] ?? 0;
    this.#dropped = c[CNT_STORAGE_FAIL] ?? 0;
    return { global, procs };
  }

  async snapshot(_windowNs: number): Promise<SignalsPart> {
    const raw = this.readRaw();
    const base = this.#baseline;
    const global = base ? subtractHistogram(raw.global, base.global) : raw.global;
    const delayed: SchedDelayed[] = [];
    for (const [pid, p] of raw.procs) {
      const b = base?.procs.get(pid);
      const h = b ? subtractHistogram(p.hist, b.hist) : p.hist;
      if (h.count < SCHED_LIMITS.minSamples) continue;
      delayed.push({ pid, comm: p.comm, runqDelay: percentiles(h), totalDelayNs: h.sumNs });
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

  /** New window; per-process keys of exited processes are deleted (the kernel never deletes them). */
  async reset(): Promise<void> {
    const obj = this.#bpf?.obj;
    if (!obj) return;
    const raw = this.readRaw();
    for (const pid of [...raw.procs.keys()]) {
      if (processAlive(pid)) continue;
      const key = Buffer.alloc(4);
      key.writeUInt32LE(pid);
      obj.map('procs').delete(key);
      obj.map('procs_shared').delete(key);
      raw.procs.delete(pid);
    }
    this.#baseline = raw;
  }

  async metrics(): Promise<CollectorMetrics> {
    return { histograms: { runqueue_delay_seconds: [{ labels: {}, value: this.readRaw().global }] } };
  }

  async stop(): Promise<void> {
    this.#bpf?.close();
  }
}
