// The `kernel` collector: is the kernel quietly unwell? Since-boot counters (oops_count, warn_count, taint)
// with their deltas over the window, the kernel's own reports (oops, BUG, WARNING, hung task, soft/hard
// lockup, RCU stall, MCE, panic) seen in /dev/kmsg DURING the window, and a previous boot's panic in pstore.
//
// /dev/kmsg cannot be seeked from Node (no lseek; pread is ESPIPE), so start() drains the whole ring once,
// remembers the last sequence number and from then on keeps only records after it. A timer drains every
// second so a long window does not lose records to ring-buffer overwrite; EPIPE (overwritten) is counted.
// Finished reports go through one EventStream (the `events` config: size, drop policy, WARNING sampling).

import type {
  Collector,
  CollectorContext,
  CollectorDef,
  CollectorFactory,
  CollectorStats,
  LiveReading,
} from './types.js';
import type { KernelHealthSignals, KernelMessage, SignalsPart } from '../signals/types.js';
import { counterDelta, readKernelCounters, type CounterPaths, type KernelCounters } from './kmsg/counters.js';
import { KmsgReader, KMSG_PATH } from './kmsg/reader.js';
import { parseKmsgRecord } from '../kernel-log/record.js';
import { readPstore, type PstoreOptions } from './kmsg/pstore.js';
import { decodeTaint } from './kmsg/taint.js';
import { KmsgWindow, isSampleableKernelMessage } from './kmsg/window.js';
import { EventStream, type EventStreamSettings } from '../events/stream.js';

export interface KernelCollectorOptions {
  kmsgPath?: string;
  counterPaths?: CounterPaths;
  pstore?: PstoreOptions;
  pollIntervalMs?: number;
  /** The `events` config section: reports kept per window, drop policy, WARNING sample rate. */
  events?: Partial<EventStreamSettings> | undefined;
}

/** Wall-clock ms at which the printk clock read zero. CLOCK_MONOTONIC is what hrtime reads on Linux. */
export function estimateBootTimeMs(): number {
  return Date.now() - Number(process.hrtime.bigint() / 1000n) / 1000;
}

export const kernelDef: CollectorDef = {
  name: 'kernel',
  bpf: false,
  create: (opts) => new KernelCollector({ events: opts.events }),
  description: 'oopses, warnings, taint, kmsg, pstore',
  families: [],
};

export class KernelCollector implements Collector {
  readonly name = 'kernel';
  private readonly reader: KmsgReader;
  private baseline: KernelCounters | undefined;
  private window: KmsgWindow | undefined;
  /** One stream for the collector's life: windows clear it, its drop counters stay cumulative. */
  private readonly stream: EventStream<KernelMessage>;
  private timer: ReturnType<typeof setInterval> | undefined;
  private kmsgOpen = false;
  private bootTimeMs = 0;
  private stopped = false;

  constructor(private readonly opts: KernelCollectorOptions = {}) {
    this.reader = new KmsgReader(opts.kmsgPath ?? KMSG_PATH);
    this.stream = new EventStream({ ...opts.events, sampleable: isSampleableKernelMessage });
  }

  async start(ctx: CollectorContext): Promise<void> {
    this.baseline = readKernelCounters(this.opts.counterPaths);
    this.bootTimeMs = estimateBootTimeMs();
    let afterSeq = -1;
    try {
      this.reader.open();
      this.kmsgOpen = true;
      afterSeq = this.skipBacklog();
    } catch (err) {
      // Counters and taint still tell a lot without /dev/kmsg (e.g. not root, or a locked-down container).
      ctx.log('warn', 'kernel collector: /dev/kmsg unavailable, kernel messages not observed', {
        error: (err as Error).message,
      });
    }
    this.window = this.newWindow(afterSeq);
    if (this.kmsgOpen) {
      this.timer = setInterval(() => {
        try {
          this.poll();
        } catch (err) {
          ctx.fault(err);
        }
      }, this.opts.pollIntervalMs ?? 1_000);
      this.timer.unref();
    }
    ctx.signal.addEventListener('abort', () => void this.stop(), { once: true });
  }

  async snapshot(_windowNs: number): Promise<SignalsPart> {
    if (!this.baseline || !this.window) throw new Error('kernel collector: snapshot before start');
    this.poll();
    const now = readKernelCounters(this.opts.counterPaths);
    const kernel: KernelHealthSignals = {
      oopsCount: now.oopsCount,
      oopsDelta: counterDelta(this.baseline.oopsCount, now.oopsCount),
      warnCount: now.warnCount,
      warnDelta: counterDelta(this.baseline.warnCount, now.warnCount),
      taint: Math.max(0, now.taint),
      taintFlags: decodeTaint(now.taint),
      messages: this.window.messages(),
      pstore: readPstore(this.opts.pstore),
    };
    return { kernel };
  }

  async reset(): Promise<void> {
    this.poll();
    this.baseline = readKernelCounters(this.opts.counterPaths);
    this.window = this.newWindow(this.window?.seq ?? -1);
  }

  stats(): CollectorStats {
    const drops = this.stream.stats();
    return {
      programsLoaded: 0,
      programsTotal: 0,
      events: this.window?.stats.kernelRecords ?? 0,
      eventsDropped: drops.droppedTotal,
      droppedByReason: drops.dropped,
      sampledOut: drops.sampledOut,
    };
  }

  /** Kernel records so far and the latest kernel report (oops, WARNING …) of the window, from memory. */
  live(): LiveReading {
    const events = this.window?.stats.kernelRecords ?? 0;
    const reports = this.window?.messages() ?? [];
    const last = reports[reports.length - 1];
    if (!last) return { events };
    return {
      events,
      top: { label: `latest ${last.kind}: ${last.line}`, value: reports.length, unit: 'reports' },
    };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.kmsgOpen) this.reader.close();
    this.kmsgOpen = false;
  }

  private poll(): void {
    if (!this.kmsgOpen || !this.window) return;
    for (;;) {
      const r = this.reader.drain(10_000);
      for (const raw of r.records) this.window.addRaw(raw);
      if (r.overwritten > 0) this.window.addOverwritten(r.overwritten);
      if (!r.more) return;
    }
  }

  /** Read past everything already in the ring; return the last sequence number seen. */
  private skipBacklog(): number {
    let last = -1;
    for (;;) {
      const r = this.reader.drain(10_000);
      for (const raw of r.records) {
        const rec = parseKmsgRecord(raw);
        if (rec && rec.seq > last) last = rec.seq;
      }
      if (!r.more) return last;
    }
  }

  private newWindow(afterSeq: number): KmsgWindow {
    this.stream.clear();
    return new KmsgWindow({ afterSeq, bootTimeMs: this.bootTimeMs, stream: this.stream });
  }
}

export const createKernelCollector: CollectorFactory = () => new KernelCollector();

export function kernelCollectorFactory(opts: KernelCollectorOptions = {}): CollectorFactory {
  return () => new KernelCollector(opts);
}
