// disk collector: block-request latency (issue → completion) per whole disk and operation class, from
// in-kernel histograms filled by bpf/disk.bpf.c (block_rq_issue / block_rq_complete).
import { readFile } from 'node:fs/promises';
import type { Collector, CollectorContext, CollectorStats } from './types.js';
import type { DiskDevice, SignalsPart } from '../signals.js';
import { loadBpfObject, readCounters, type LoadedBpf } from './bpf-loader.js';
import { addHistogram, emptyHistogram, mergeHistogram, percentiles, type Histogram } from '../bpf/histogram.js';

// Layout: bpf/disk.h
const V_BYTES = 0;
const V_HIST = 8;
const OP_READ = 0;
const OP_WRITE = 1;
const OP_SYNC = 2;
const CNT_EVENTS = 0;
const CNT_INFLIGHT_FULL = 1;
const CNT_HISTS_FULL = 2;

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

export class DiskCollector implements Collector {
  readonly name = 'disk';
  #bpf: LoadedBpf | undefined;
  #events = 0;
  #dropped = 0;

  async start(_ctx: CollectorContext): Promise<void> {
    this.#bpf = await loadBpfObject('disk', [{ programs: ['block_rq_issue', 'block_rq_complete'] }]);
  }

  stats(): CollectorStats {
    return {
      programsLoaded: this.#bpf?.programsLoaded ?? 0,
      programsTotal: this.#bpf?.programsTotal ?? 2,
      events: this.#events,
      eventsDropped: this.#dropped,
    };
  }

  async snapshot(_windowNs: number): Promise<SignalsPart> {
    const obj = this.#bpf?.obj;
    if (!obj) throw new Error('disk: snapshot before start');
    const hists = obj.map('hists');
    const devs = new Map<number, DevAgg>();
    for (const { key, value } of hists.dump()) {
      const dev = key.readUInt32LE(0);
      const op = key.readUInt32LE(4);
      if (op > OP_SYNC) continue;
      let d = devs.get(dev);
      if (!d) devs.set(dev, (d = { hists: [emptyHistogram(), emptyHistogram(), emptyHistogram()], readBytes: 0, writeBytes: 0 }));
      for (const cpu of hists.perCpuValues(value)) {
        const bytes = Number(cpu.readBigUInt64LE(V_BYTES));
        if (op === OP_READ) d.readBytes += bytes;
        else d.writeBytes += bytes;
        addHistogram(d.hists[op as 0 | 1 | 2], cpu, V_HIST);
      }
    }
    const all: [Histogram, Histogram, Histogram] = [emptyHistogram(), emptyHistogram(), emptyHistogram()];
    const devices: DiskDevice[] = [];
    let readBytes = 0;
    let writeBytes = 0;
    for (const [dev, d] of devs) {
      const id = devString(dev);
      for (const op of [OP_READ, OP_WRITE, OP_SYNC] as const) mergeHistogram(all[op], d.hists[op]);
      readBytes += d.readBytes;
      writeBytes += d.writeBytes;
      devices.push({
        dev: id,
        name: await deviceName(id),
        read: percentiles(d.hists[OP_READ]),
        write: percentiles(d.hists[OP_WRITE]),
        sync: percentiles(d.hists[OP_SYNC]),
        readBytes: d.readBytes,
        writeBytes: d.writeBytes,
      });
    }
    devices.sort((a, b) => b.sync.p99 - a.sync.p99 || b.write.p99 - a.write.p99);
    const c = readCounters(obj);
    this.#events = c[CNT_EVENTS] ?? 0;
    this.#dropped = (c[CNT_INFLIGHT_FULL] ?? 0) + (c[CNT_HISTS_FULL] ?? 0);
    const [r, w, s] = all.map(percentiles) as [ReturnType<typeof percentiles>, ReturnType<typeof percentiles>, ReturnType<typeof percentiles>];
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
    const obj = this.#bpf?.obj;
    if (!obj) return;
    obj.map('hists').clear();
    obj.map('counters').clear();
  }

  async stop(): Promise<void> {
    this.#bpf?.close();
  }
}
