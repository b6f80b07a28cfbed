// oom collector: OOM-killer victims from tp_btf mark_victim through a ring buffer (rare events), kept in
// memory so a victim that is long gone by snapshot time is still reported, with its memory cgroup path.
import { readFileSync } from 'node:fs';
import {
  type CollectorDef,
  CGROUP_LABELS,
  type Collector,
  type CollectorContext,
  type CollectorMetrics,
  type CollectorStats,
  type LiveReading,
  type MetricFamily,
} from './types.js';
import type { OomEvent, SignalsPart } from '../signals/types.js';
import { bpfStats, loadBpfObject, type LoadedBpf } from './bpf-loader.js';
import { cString, readCounter, readCounters } from '../bpf/read.js';
import { defineLayout } from '../bpf/layout.js';
import type { RingBuffer } from '../bpf/ringbuf.js';
import { CgroupIdResolver } from './procfs/cgroup-ids.js';
import { findV1Mount } from './procfs/cgroup-mounts.js';
import { EventStream, type EventStreamSettings } from '../events/stream.js';

// Layout: bpf/oom.h (checked against the object's BTF at load)
const OOM_EVENT = defineLayout('oom_event', 112, {
  ts_boot_ns: 0,
  memcg_id: 8,
  cgroup_id: 16,
  rss_anon_pages: 24,
  rss_file_pages: 32,
  rss_shmem_pages: 40,
  total_vm_pages: 48,
  pid: 56,
  tid: 60,
  uid: 64,
  oom_score_adj: 68,
  trigger_pid: 72,
  flags: 76,
  comm: 80,
  trigger_comm: 96,
});
const LAYOUTS = [OOM_EVENT];
// `at.pid` reads as "the offset of pid".
const at = OOM_EVENT.offset;
/** `counters` indexes (OOM_CNT_* in bpf/oom.h). */
const COUNTER = { events: 0, ringbufFull: 1 };
const PAGE_SIZE = 4096;

/** CLOCK_BOOTTIME now, ns (bpf_ktime_get_boot_ns origin), from /proc/uptime. */
function bootNowNs(): number {
  const [up] = readFileSync('/proc/uptime', 'utf8').split(' ');
  return Math.round(Number(up) * 1e9);
}

export function decodeOomEvent(rec: Buffer, nowWallMs: number, nowBootNs: number): OomEvent | undefined {
  if (rec.length < OOM_EVENT.size) return undefined;
  const ts = Number(rec.readBigUInt64LE(at.ts_boot_ns));
  const pages =
    Number(rec.readBigUInt64LE(at.rss_anon_pages)) +
    Number(rec.readBigUInt64LE(at.rss_file_pages)) +
    Number(rec.readBigUInt64LE(at.rss_shmem_pages));
  const pid = rec.readUInt32LE(at.pid) || rec.readUInt32LE(at.tid);
  return {
    timestamp: new Date(nowWallMs - (nowBootNs - ts) / 1e6).toISOString(),
    pid,
    comm: cString(rec, at.comm, 16),
    cgroupId: Number(rec.readBigUInt64LE(at.memcg_id)),
    cgroupPath: '',
    rssBytes: pages * PAGE_SIZE,
    totalVmBytes: Number(rec.readBigUInt64LE(at.total_vm_pages)) * PAGE_SIZE,
    oomScoreAdj: rec.readInt32LE(at.oom_score_adj),
    triggeredPid: rec.readUInt32LE(at.trigger_pid),
    triggeredComm: cString(rec, at.trigger_comm, 16),
  };
}

export interface OomCollectorOptions {
  /** The `events` config section: how many victims are kept per window and which a full queue gives up. */
  events?: EventStreamSettings | undefined;
}

export const OOM_FAMILIES: readonly MetricFamily[] = [
  {
    name: 'oom_kills_total',
    type: 'counter',
    labels: CGROUP_LABELS,
    help: 'Processes killed by the OOM killer, by the victim memory cgroup (pod/namespace when known).',
  },
];

export const oomDef: CollectorDef = {
  name: 'oom',
  bpf: true,
  create: (opts) => new OomCollector({ events: opts.events }),
  description: 'OOM-killer victims',
  families: OOM_FAMILIES,
};

export class OomCollector implements Collector {
  readonly name = 'oom';
  #bpf: LoadedBpf | undefined;
  #rb: RingBuffer | undefined;
  // No `sampleable`: an OOM kill is the finding itself, never thinned by sampling. The queue only bounds
  // memory; #count and the per-cgroup totals count every kill, kept or dropped.
  readonly #stream: EventStream<OomEvent>;
  #count = 0;
  /** The window's latest victim, for the live view (the stream may have dropped it under a storm). */
  #latest: OomEvent | undefined;
  #resolver: CgroupIdResolver | undefined;
  #stats = { events: 0 };
  #pending: Promise<void>[] = [];
  #killsByCgroup = new Map<string, number>();

  constructor(opts: OomCollectorOptions = {}) {
    this.#stream = new EventStream<OomEvent>({ ...opts.events });
  }

  async #resolvePath(e: OomEvent): Promise<void> {
    try {
      if (!e.cgroupId) return;
      e.cgroupPath = (await this.#resolver?.resolve(e.cgroupId))?.path ?? '';
    } catch {
      /* cgroup gone: path stays unknown */
    } finally {
      const k = e.cgroupPath || '[unknown]';
      this.#killsByCgroup.set(k, (this.#killsByCgroup.get(k) ?? 0) + 1);
    }
  }

  async start(ctx: CollectorContext): Promise<void> {
    this.#bpf = await loadBpfObject('oom', [{ programs: ['mark_victim'] }], LAYOUTS);
    // memcg_id is a kernfs id of the memory controller's hierarchy: the v1 memory mount where it exists
    // (ids are only unique within one hierarchy), else the cgroup2 mount.
    const v1 = await findV1Mount('memory');
    this.#resolver = new CgroupIdResolver(v1 ? { root: v1 } : {});
    this.#rb = this.#bpf.obj.ringBuffer(
      'events',
      (recs) => {
        try {
          this.onRecords(recs, Date.now(), bootNowNs());
        } catch (err) {
          ctx.fault(err);
        }
      },
      { intervalMs: 100 },
    );
  }

  /** One ring-buffer batch (public for tests: the same path the drain takes, without the kernel). */
  onRecords(recs: readonly Buffer[], nowWallMs: number, nowBootNs: number): void {
    for (const r of recs) {
      const e = decodeOomEvent(r, nowWallMs, nowBootNs);
      if (!e) continue;
      this.#count++;
      this.#latest = e;
      this.#stream.push(e);
      // Resolve now: a killed container's cgroup is often removed within moments.
      this.#pending.push(this.#resolvePath(e));
    }
  }

  stats(): CollectorStats {
    const s = this.#stream.stats();
    // The stream's drops (ring_full set at each snapshot from the counters, queue_full as it happens).
    return {
      ...bpfStats(this.#bpf, 1, { events: this.#stats.events, drops: {} }, {}),
      eventsDropped: s.droppedTotal,
      droppedByReason: s.dropped,
    };
  }

  /** Kills so far and the latest victim with its RSS, from memory: the drainer already decoded them. */
  live(): LiveReading {
    const obj = this.#bpf?.obj;
    if (!obj) throw new Error('oom: live read before start');
    const events = readCounter(obj, COUNTER.events) ?? this.#stats.events;
    const v = this.#latest;
    if (!v) return { events };
    return {
      events,
      top: { label: `killed ${v.comm || 'pid'} (${v.pid})`, value: v.rssBytes, unit: 'bytes' },
    };
  }

  async snapshot(_windowNs: number): Promise<SignalsPart> {
    const obj = this.#bpf?.obj;
    if (!obj) throw new Error('oom: snapshot before start');
    // Every victim the kernel recorded so far, without waiting for the drainer's next interval.
    await this.#rb?.flush();
    const c = readCounters(obj);
    this.#stats.events = c[COUNTER.events] ?? 0;
    // Lost before JS saw them: the BPF program's reserve failures and the native drain's overflow.
    this.#stream.setDroppedTotal(
      'ring_full',
      (c[COUNTER.ringbufFull] ?? 0) + (this.#rb?.stats().droppedRecords ?? 0),
    );
    return this.events();
  }

  /** The window's victims so far (cgroup paths resolved). */
  async events(): Promise<SignalsPart> {
    const pending = this.#pending;
    this.#pending = [];
    await Promise.all(pending);
    return { oom: { count: this.#count, events: this.#stream.entries().map(({ event }) => ({ ...event })) } };
  }

  /**
   * Hands over every victim recorded so far, each exactly once, with its cgroup path resolved, and empties
   * the stream (`kerno watch oom` polls this). The take is synchronous once nothing is left to resolve, so a
   * victim arriving meanwhile is either in this batch or in the next, never cleared unseen.
   */
  async drain(): Promise<OomEvent[]> {
    await this.#rb?.flush();
    while (this.#pending.length > 0) {
      const pending = this.#pending;
      this.#pending = [];
      await Promise.all(pending);
    }
    const out = this.#stream.entries().map(({ event }) => ({ ...event }));
    this.#stream.clear();
    return out;
  }

  async reset(): Promise<void> {
    await Promise.all(this.#pending);
    this.#stream.clear();
    this.#count = 0;
    this.#latest = undefined;
  }

  /** Cumulative kills per victim cgroup (bounded: the exporter caps label sets; paths are few). */
  async metrics(): Promise<CollectorMetrics> {
    await Promise.all(this.#pending);
    return {
      counters: {
        oom_kills_total: [...this.#killsByCgroup.entries()].map(([cgroup, value]) => ({
          labels: { cgroup },
          value,
        })),
      },
    };
  }

  async stop(): Promise<void> {
    this.#rb?.stop();
    this.#bpf?.close();
  }
}
