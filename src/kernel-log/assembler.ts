// Groups kernel log lines into reports: a line that announces trouble (classify.ts) opens a report and the
// lines after it (CPU/PID/Comm, RIP, registers, call trace) are its context, until the log goes quiet for
// `idleGapMs`, a bound is reached, the panic's closing line arrives, or an unrelated report starts. Pure and
// clock-free: callers pass times (kernel time for /dev/kmsg, receive time for netconsole), so the same
// logic serves both and tests drive it without timers.

import {
  classifyKernelLine,
  continuesReport,
  endsReport,
  escalate,
  type KernelEventKind,
} from './classify.js';

export type ReportEnd = 'idle' | 'end-marker' | 'line-limit' | 'byte-limit' | 'next-report' | 'flush';

export interface AssembledReport {
  kind: KernelEventKind;
  /** The line that opened the report (the root cause, e.g. "BUG: kernel NULL pointer dereference …"). */
  line: string;
  /** Every report-announcing line, in order, the opener included (bounded by maxTriggers). */
  triggers: string[];
  /** Lines after the opener. */
  context: string[];
  firstTimeMs: number;
  lastTimeMs: number;
  /** Metadata of the opening line, as given to push(). */
  meta: LineMeta;
  truncated: boolean;
  endedBy: ReportEnd;
}

export interface LineMeta {
  tsUsec?: number;
  seq?: number;
  level?: number;
}

export interface AssemblerOptions {
  /** Kinds that open a report; other announced kinds are ordinary context lines. Default: all. */
  kinds?: ReadonlySet<KernelEventKind>;
  idleGapMs: number;
  maxLines: number;
  maxBytes: number;
  maxTriggers?: number;
  /**
   * Close a report at "---[ end trace … ]---". Right for a live kernel's log (/dev/kmsg: a WARN or an oops
   * the kernel survived ends there); wrong for netconsole, where a panic usually follows the end of the trace.
   */
  endAtTraceEnd?: boolean;
}

interface OpenReport extends Omit<AssembledReport, 'endedBy'> {
  bytes: number;
}

export class ReportAssembler {
  private current: OpenReport | undefined;
  private readonly maxTriggers: number;

  constructor(private readonly opts: AssemblerOptions) {
    this.maxTriggers = opts.maxTriggers ?? 8;
  }

  get open(): boolean {
    return this.current !== undefined;
  }

  /** Bytes held by the open report (for memory-bound checks). */
  get bufferedBytes(): number {
    return this.current?.bytes ?? 0;
  }

  /** Feed one prefix-free line; returns the reports this line completed (0, 1 or 2). */
  push(text: string, timeMs: number, meta: LineMeta = {}): AssembledReport[] {
    const done: AssembledReport[] = [];
    const cur = this.current;
    if (cur && timeMs - cur.lastTimeMs > this.opts.idleGapMs) done.push(this.close('idle'));
    let kind = classifyKernelLine(text);
    if (kind && this.opts.kinds && !this.opts.kinds.has(kind)) kind = undefined;

    const open = this.current;
    if (!open) {
      if (kind) this.start(kind, text, timeMs, meta);
      return done;
    }
    if (kind && !continuesReport(open.kind, kind)) {
      done.push(this.close('next-report'));
      this.start(kind, text, timeMs, meta);
      return done;
    }
    if (kind) {
      open.kind = escalate(open.kind, kind);
      if (open.triggers.length < this.maxTriggers) open.triggers.push(text);
    }
    const size = Buffer.byteLength(text) + 1;
    if (open.context.length + 2 > this.opts.maxLines) {
      open.truncated = true;
      done.push(this.close('line-limit'));
      return done;
    }
    if (open.bytes + size > this.opts.maxBytes) {
      open.truncated = true;
      done.push(this.close('byte-limit'));
      return done;
    }
    open.context.push(text);
    open.bytes += size;
    open.lastTimeMs = timeMs;
    if (endsReport(text) || (this.opts.endAtTraceEnd && /^---\[ end trace\b/.test(text.trimStart()))) {
      done.push(this.close('end-marker'));
    }
    return done;
  }

  /** Close the open report if the log has been quiet for longer than idleGapMs at `nowMs`. */
  expire(nowMs: number): AssembledReport[] {
    const cur = this.current;
    if (cur && nowMs - cur.lastTimeMs > this.opts.idleGapMs) return [this.close('idle')];
    return [];
  }

  /** A copy of the open report, left open (a mid-window snapshot must not split a report in two). */
  peek(): AssembledReport | undefined {
    const cur = this.current;
    if (!cur) return undefined;
    const { bytes: _bytes, ...rest } = cur;
    return { ...rest, triggers: [...cur.triggers], context: [...cur.context], endedBy: 'flush' };
  }

  /** Close whatever is open (shutdown, end of a doctor window, sender evicted). */
  flush(): AssembledReport[] {
    return this.current ? [this.close('flush')] : [];
  }

  private start(kind: KernelEventKind, text: string, timeMs: number, meta: LineMeta): void {
    // An opener longer than the byte bound is cut rather than refused: the report matters more than the tail.
    const line = Buffer.byteLength(text) > this.opts.maxBytes ? text.slice(0, this.opts.maxBytes) : text;
    this.current = {
      kind,
      line,
      triggers: [line],
      context: [],
      firstTimeMs: timeMs,
      lastTimeMs: timeMs,
      meta,
      truncated: line !== text,
      bytes: Buffer.byteLength(line) + 1,
    };
  }

  private close(endedBy: ReportEnd): AssembledReport {
    const cur = this.current as OpenReport;
    this.current = undefined;
    const { bytes: _bytes, ...rest } = cur;
    return { ...rest, endedBy };
  }
}
