// disk collector: block-request latency (queued → completion, as iostat await) per whole disk and operation class, from
// in-kernel histograms filled by bpf/disk.bpf.c (block_rq_issue / block_rq_complete).
import { readFile } from 'node:fs/promises';
import type {
  Collector,
  CollectorContext,
  CollectorDef,
  CollectorMetrics,
  CollectorStats,
  LiveReading,
  MetricFamily,
} from './types.js';
import type { DiskDevice, Percentiles, SignalsPart } from '../signals/types.js';
import { bpfStats, dropsFrom, loadBpfObject, type DropIndexes, type LoadedBpf } from './bpf-loader.js';
import type { DropCounts } from '../events/stream.js';
import { readCounter, readCounters } from '../bpf/read.js';
import { defineLayout } from '../bpf/layout.js';
import {
  addHistogram,
  emptyHistogram,
  histCount,
  HIST_MAX_OFFSET,
  mergeHistogram,
  percentiles,
  subtractHistogram,
  type Histogram,
  HIST_LAYOUT,
} from '../bpf/histogram.js';

// Layouts: bpf/disk.h (checked against the object's BTF at load)
const KEY = defineLayout('disk_key', 8, { dev: 0, op: 4 });
const VALUE = defineLayout('disk_value', 8 + HIST_LAYOUT.size, { bytes: 0, h: 8 });
const LAYOUTS = [KEY, VALUE, HIST_LAYOUT];
const OP_READ = 0;
const OP_WRITE = 1;
const OP_SYNC = 2;
const OP_NAMES = ['read', 'write', 'sync'];
/** `counters` indexes (DISK_CNT_* in bpf/disk.h). */
const COUNTER = { events: 0, inflightFull: 1, histsFull: 2, noStart: 3, blockStart: 7 };
/** Losses for coverage: requests not measured because `starts` or `hists` was full. */
const DROPS: DropIndexes = {
  map_full: [COUNTER.inflightFull, COUNTER.histsFull],
  // Completions whose issue kerno did not see (in flight at attach) are timed from the block layer's own
  // start time; only those it kept none for (no io stats, no scheduler) happened and were not timed.
  no_start: [COUNTER.noStart],
};

/** "maj:min" from the kernel's MKDEV encoding (major << 20 | minor). */
export function devString(dev: number): string {
  return `${dev >>> 20}:${dev & 0xfffff}`;
}

/** Device name (e.g. "vda") from /sys/dev/block/<maj:min>/uevent; "" when unknown. */
export async function deviceName(dev: string, sysRoot = '/sys/dev/block'): Promise<string> {
  try {
    const m = /^DEVNAME=(.+)$/m.exec(await readFile(`${sysRoot}/${dev}/uevent`, 'utf8'));
    return m?.[1] ?? '';
  } catch {
    return '';
  }
}

interface DevAgg {
  hists: [Histogram, Histogram, Histogram];
  readBytes: number;
  writeBytes: number;
}

/** The /metrics families metrics() reports, declared where their values are made. */
export const DISK_FAMILIES: readonly MetricFamily[] = [
  {
    name: 'disk_io_duration_seconds',
    type: 'histogram',
    labels: ['device', 'op'],
    help: 'Block I/O latency from entering the block layer (queueing included) to completion, by device and operation.',
  },
  {
    name: 'disk_io_bytes_total',
    type: 'counter',
    labels: ['device', 'op'],
    help: 'Bytes of block I/O completed, by device and operation.',
  },
];

export const diskDef: CollectorDef = {
  name: 'disk',
  bpf: true,
  create: () => new DiskCollector(),
  description: 'block I/O latency by device and op',
  families: DISK_FAMILIES,
};

export class DiskCollector implements Collector {
  readonly name = 'disk';
  #bpf: LoadedBpf | undefined;
  #baseline: Map<string, { dev: number; op: number; bytes: number; hist: Histogram }> | undefined;
  #names = new Map<string, string>();
  #events = 0;
  #drops: Partial<DropCounts> = {};

  async start(_ctx: CollectorContext): Promise<void> {
    this.#bpf = await loadBpfObject('disk', [{ programs: ['block_rq_issue', 'block_rq_complete'] }], LAYOUTS);
  }

  stats(): CollectorStats {
    return bpfStats(this.#bpf, 2, { events: this.#events, drops: this.#drops }, DROPS);
  }

  /**
   * Completions whose issue kerno never saw (requests in flight at attach): `timed` from the block layer's
   * start time, `untimed` without one (also in stats() as no_start drops).
   */
  issuedBeforeAttach(): { timed: number; untimed: number } {
    const obj = this.#bpf?.obj;
    if (!obj) throw new Error('disk: read before start');
    const c = readCounters(obj);
    return { timed: c[COUNTER.blockStart] ?? 0, untimed: c[COUNTER.noStart] ?? 0 };
  }

  /**
   * Requests so far and the disk that completed the most of them in the window: `hists` has a key per
   * (disk, op), folded natively — a handful of entries.
   */
  async live(): Promise<LiveReading> {
    const obj = this.#bpf?.obj;
    if (!obj) throw new Error('disk: live read before start');
    const events = readCounter(obj, COUNTER.events) ?? this.#events;
    const perDev = new Map<number, number>();
    const reduce = { max: [VALUE.offset.h + HIST_MAX_OFFSET] };
    for (const { key, value } of obj.map('hists').dump({ reduce })) {
      const dev = key.readUInt32LE(KEY.offset.dev);
      const op = key.readUInt32LE(KEY.offset.op);
      if (op > OP_SYNC) continue;
      const n = histCount(value, VALUE.offset.h) - (this.#baseline?.get(`${dev}:${op}`)?.hist.count ?? 0);
      perDev.set(dev, (perDev.get(dev) ?? 0) + n);
    }
    let best: [number, number] | undefined;
    for (const [dev, n] of perDev) if (n > (best?.[1] ?? 0)) best = [dev, n];
    if (!best) return { events };
    const id = devString(best[0]);
    return {
      events,
      top: { label: `busiest ${(await this.name_(id)) || id}`, value: best[1], unit: 'I/Os' },
    };
  }

  /** Cumulative per (dev, op) since attach, keyed "dev:op". */
  private readRaw(): Map<string, { dev: number; op: number; bytes: number; hist: Histogram }> {
    const obj = this.#bpf?.obj;
    if (!obj) throw new Error('disk: read before start');
    const hists = obj.map('hists');
    const out = new Map<string, { dev: number; op: number; bytes: number; hist: Histogram }>();
    for (const { key, value } of hists.dump()) {
      const dev = key.readUInt32LE(KEY.offset.dev);
      const op = key.readUInt32LE(KEY.offset.op);
      if (op > OP_SYNC) continue;
      const hist = emptyHistogram();
      let bytes = 0;
      for (const cpu of hists.perCpuValues(value)) {
        bytes += Number(cpu.readBigUInt64LE(VALUE.offset.bytes));
        addHistogram(hist, cpu, VALUE.offset.h);
      }
      out.set(`${dev}:${op}`, { dev, op, bytes, hist });
    }
    const c = readCounters(obj);
    this.#events = c[COUNTER.events] ?? 0;
    this.#drops = dropsFrom(c, DROPS);
    return out;
  }

  async snapshot(_windowNs: number): Promise<SignalsPart> {
    const raw = this.readRaw();
    const devs = new Map<number, DevAgg>();
    for (const [k, r] of raw) {
      const b = this.#baseline?.get(k);
      const hist = b ? subtractHistogram(r.hist, b.hist) : r.hist;
      const bytes = r.bytes - (b?.bytes ?? 0);
      let d = devs.get(r.dev);
      if (!d)
        devs.set(
          r.dev,
          (d = {
            hists: [emptyHistogram(), emptyHistogram(), emptyHistogram()],
            readBytes: 0,
            writeBytes: 0,
          }),
        );
      if (r.op === OP_READ) d.readBytes += bytes;
      else d.writeBytes += bytes;
      mergeHistogram(d.hists[r.op as 0 | 1 | 2], hist);
    }
    const all: [Histogram, Histogram, Histogram] = [emptyHistogram(), emptyHistogram(), emptyHistogram()];
    const devices: DiskDevice[] = [];
    let readBytes = 0;
    let writeBytes = 0;
    for (const [dev, d] of devs) {
      if (d.hists.every((h) => h.count === 0)) continue;
      const id = devString(dev);
      for (const op of [OP_READ, OP_WRITE, OP_SYNC] as const) mergeHistogram(all[op], d.hists[op]);
      readBytes += d.readBytes;
      writeBytes += d.writeBytes;
      devices.push({
        dev: id,
        name: await this.name_(id),
        read: percentiles(d.hists[OP_READ]),
        write: percentiles(d.hists[OP_WRITE]),
        sync: percentiles(d.hists[OP_SYNC]),
        readBytes: d.readBytes,
        writeBytes: d.writeBytes,
      });
    }
    devices.sort((a, b) => b.sync.p99 - a.sync.p99 || b.write.p99 - a.write.p99);
    const [r, w, s] = all.map(percentiles) as [Percentiles, Percentiles, Percentiles];
    return {
      disk: {
        totalReads: r.count,
        totalWrites: w.count,
        totalSyncs: s.count,
        readBytes,
        writeBytes,
        readLatency: r,
        writeLatency: w,
        syncLatency: s,
        devices,
      },
    };
  }

  async reset(): Promise<void> {
    if (this.#bpf) this.#baseline = this.readRaw();
  }

  async metrics(): Promise<CollectorMetrics> {
    const histograms: NonNullable<CollectorMetrics['histograms']>[string] = [];
    const bytes: NonNullable<CollectorMetrics['counters']>[string] = [];
    for (const r of this.readRaw().values()) {
      const id = devString(r.dev);
      const device = (await this.name_(id)) || id;
      const op = OP_NAMES[r.op]!;
      histograms.push({ labels: { device, op }, value: r.hist });
      if (r.op !== OP_SYNC) bytes.push({ labels: { device, op }, value: r.bytes });
    }
    return { histograms: { disk_io_duration_seconds: histograms }, counters: { disk_io_bytes_total: bytes } };
  }

  /** Device names are stable for the life of the device: cache them. */
  private async name_(id: string): Promise<string> {
    let n = this.#names.get(id);
    if (n === undefined) this.#names.set(id, (n = await deviceName(id)));
    return n;
  }

  async stop(): Promise<void> {
    this.#bpf?.close();
  }
}
