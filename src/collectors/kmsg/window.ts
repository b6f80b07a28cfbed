// Turns the raw /dev/kmsg records of one doctor window into KernelMessage reports. Only facility 0 (the
// kernel) counts: anything a process writes to /dev/kmsg is stored with facility 1 (user) or higher — the
// kernel never lets userspace claim facility 0 — so `echo "BUG: …" > /dev/kmsg` cannot fake a finding.
// Finished reports go through an EventStream (bounded, drop policy and sampling from the `events` config);
// the collector owns it, so its drop counters outlive the window.

import type { KernelMessage } from '../../signals/types.js';
import { ReportAssembler, type AssembledReport } from '../../kernel-log/assembler.js';
import { parseKmsgRecord } from '../../kernel-log/record.js';
import { EventStream } from '../../events/stream.js';

export interface KmsgWindowOptions {
  /** Records with seq <= this were in the buffer before the window began. */
  afterSeq: number;
  /** Wall-clock ms at which the kernel's printk clock read 0 (now − monotonic uptime). */
  bootTimeMs: number;
  /** Where finished reports go; a default stream (1024, oldest dropped, no sampling) when absent. */
  stream?: EventStream<KernelMessage>;
  maxContextLines?: number;
  maxContextBytes?: number;
  /** Kernel-time quiet gap that ends a report. */
  idleGapMs?: number;
}

export interface KmsgWindowStats {
  /** Kernel (facility 0) records seen in the window. */
  kernelRecords: number;
  /** Records from other facilities (userspace writes), ignored. */
  ignoredRecords: number;
  malformed: number;
}

/**
 * Kernel WARNINGs are the only sampleable reports: they come in storms (one WARN_ON hit in a loop) and say
 * "something is off" rather than "something broke". An oops, BUG, lockup, hung task, RCU stall, MCE or
 * panic is a finding in itself and is never sampled out.
 */
export const isSampleableKernelMessage = (m: KernelMessage): boolean => m.kind === 'warning';

export class KmsgWindow {
  private readonly assembler: ReportAssembler;
  readonly stream: EventStream<KernelMessage>;
  readonly stats: KmsgWindowStats = { kernelRecords: 0, ignoredRecords: 0, malformed: 0 };
  private lastSeq: number;

  constructor(private readonly opts: KmsgWindowOptions) {
    this.stream = opts.stream ?? new EventStream({ sampleable: isSampleableKernelMessage });
    this.lastSeq = opts.afterSeq;
    this.assembler = new ReportAssembler({
      idleGapMs: opts.idleGapMs ?? 2_000,
      maxLines: opts.maxContextLines ?? 48,
      maxBytes: opts.maxContextBytes ?? 8 * 1024,
      endAtTraceEnd: true,
    });
  }

  /** Highest sequence number consumed so far. */
  get seq(): number {
    return this.lastSeq;
  }

  addRaw(raw: string): void {
    const rec = parseKmsgRecord(raw);
    if (!rec) {
      this.stats.malformed++;
      return;
    }
    if (rec.seq <= this.lastSeq) return;
    this.lastSeq = rec.seq;
    if (rec.facility !== 0) {
      this.stats.ignoredRecords++;
      return;
    }
    this.stats.kernelRecords++;
    const done = this.assembler.push(rec.message, rec.tsUsec / 1000, {
      seq: rec.seq,
      level: rec.level,
      tsUsec: rec.tsUsec,
    });
    for (const r of done) this.keep(r);
  }

  /** Records the kernel overwrote before we read them (EPIPE on /dev/kmsg). */
  addOverwritten(count: number): void {
    this.stream.addDropped('ring_full', count);
  }

  /** Reports so far, the still-open one included (it stays open: later records may extend it). */
  messages(): KernelMessage[] {
    const out = this.stream.entries().map(({ event, weight }) => (weight > 1 ? { ...event, weight } : event));
    const open = this.assembler.peek();
    if (open && out.length < this.stream.settings.queueSize)
      out.push(toKernelMessage(open, this.opts.bootTimeMs));
    return out;
  }

  private keep(r: AssembledReport): void {
    this.stream.push(toKernelMessage(r, this.opts.bootTimeMs));
  }
}

export function toKernelMessage(r: AssembledReport, bootTimeMs: number): KernelMessage {
  const tsUsec = r.meta.tsUsec ?? r.firstTimeMs * 1000;
  return {
    timestamp: new Date(bootTimeMs + tsUsec / 1000).toISOString(),
    seq: r.meta.seq ?? -1,
    level: r.meta.level ?? 4,
    kind: r.kind,
    line: r.line,
    context: r.context,
  };
}
