// Everything the receiver knows about one sender between packets: the half line of plain mode, the
// fragments of an extended record still being reassembled, a short reorder hold, and the keys of recent
// lines for duplicate suppression. UDP gives no ordering or delivery promise, so:
//   - extended records carry a sequence number: duplicates are dropped by (seq, timestamp), records are held
//     up to `reorderHoldMs` and released in sequence order (at once when they continue the sequence);
//     a record older than what was already released is passed on immediately (late beats lost);
//   - plain lines carry a printk timestamp when CONFIG_PRINTK_TIME is on: duplicates are dropped by the
//     whole line (timestamp included), lines are reordered by timestamp; without a timestamp a line can be
//     neither deduplicated nor reordered and is passed on in arrival order;
//   - lost packets leave gaps: a record whose fragments never all arrive is released with what arrived.
// Every buffer is capped; `bufferedBytes` is the (approximate) total the receiver bounds across senders.

import { createHash } from 'node:crypto';
import { stripConsolePrefix } from '../kernel-log/classify.js';
import { splitRecordBody } from '../kernel-log/record.js';
import {
  DEFAULT_PARSE_LIMITS,
  parsePacket,
  sanitizeText,
  type ExtendedPacket,
  type ParseLimits,
} from './parser.js';

export interface StreamLine {
  /** Message text without console prefixes. */
  text: string;
  tsUsec?: number;
  seq?: number;
  level?: number;
  receivedAt: number;
}

export interface StreamLimits {
  parse: ParseLimits;
  /** Longest line kept; longer plain lines are cut and the rest starts a new line. */
  maxLineBytes: number;
  /** Bytes of incomplete extended records held for reassembly. */
  maxFragmentBytes: number;
  fragmentTimeoutMs: number;
  reorderHoldMs: number;
  maxHeldBytes: number;
  /** Line keys remembered for duplicate suppression. */
  dedupeWindow: number;
  /** A plain half line with no newline after this long is released as a line. */
  partialFlushMs: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  parse: DEFAULT_PARSE_LIMITS,
  maxLineBytes: 4 * 1024,
  maxFragmentBytes: 64 * 1024,
  fragmentTimeoutMs: 2_000,
  reorderHoldMs: 150,
  maxHeldBytes: 64 * 1024,
  dedupeWindow: 2_048,
  partialFlushMs: 1_000,
};

export interface StreamCounters {
  packets: number;
  bytes: number;
  rejectedEmpty: number;
  rejectedOversized: number;
  rejectedBinary: number;
  duplicates: number;
  /** Records released with fragments missing (loss), or evicted to honour maxFragmentBytes. */
  incompleteRecords: number;
  lateLines: number;
  linesCut: number;
}

interface PendingRecord {
  header: ExtendedPacket;
  total: number;
  chunks: Map<number, Buffer>;
  bytes: number;
  firstAt: number;
}

interface Held {
  line: StreamLine;
  key: number;
  order: number;
  bytes: number;
}

export function zeroStreamCounters(): StreamCounters {
  return {
    packets: 0,
    bytes: 0,
    rejectedEmpty: 0,
    rejectedOversized: 0,
    rejectedBinary: 0,
    duplicates: 0,
    incompleteRecords: 0,
    lateLines: 0,
    linesCut: 0,
  };
}

const DEDUPE_KEY_BYTES = 48;

export class SenderStream {
  readonly counters: StreamCounters = zeroStreamCounters();
  private partial = '';
  private partialAt = 0;
  private readonly pending = new Map<string, PendingRecord>();
  private pendingBytes = 0;
  private held: Held[] = [];
  private heldBytes = 0;
  private order = 0;
  private lastSeq: number | undefined;
  private lastPlainTs = 0;
  private readonly seen = new Set<string>();
  private readonly seenOrder: string[] = [];
  private seenHead = 0;
  lastPacketAt = 0;

  constructor(readonly limits: StreamLimits = DEFAULT_STREAM_LIMITS) {}

  get bufferedBytes(): number {
    return (
      Buffer.byteLength(this.partial) + this.pendingBytes + this.heldBytes + this.seen.size * DEDUPE_KEY_BYTES
    );
  }

  /** True when nothing is waiting in any buffer (the dedupe memory aside). */
  get idle(): boolean {
    return this.partial.length === 0 && this.pending.size === 0 && this.held.length === 0;
  }

  /** Take one datagram; returns the lines now ready, in order. */
  ingest(buf: Buffer, now: number): StreamLine[] {
    this.counters.packets++;
    this.counters.bytes += buf.length;
    this.lastPacketAt = now;
    const p = parsePacket(buf, this.limits.parse);
    const out: StreamLine[] = [];
    if (p.type === 'rejected') {
      if (p.reason === 'empty') this.counters.rejectedEmpty++;
      else if (p.reason === 'oversized') this.counters.rejectedOversized++;
      else this.counters.rejectedBinary++;
      return out;
    }
    if (p.type === 'plain') {
      for (const line of this.splitPlain(p.text, now)) this.admitPlain(line, now, out);
    } else if (p.fragment) {
      this.addFragment(p, now, out);
    } else {
      this.admitRecord(p, p.body, now, out);
    }
    this.releaseContiguous(out);
    return out;
  }

  /** Release what has waited long enough: held lines, stale fragments, a stale half line. */
  expire(now: number): StreamLine[] {
    const out: StreamLine[] = [];
    for (const [key, rec] of this.pending) {
      if (now - rec.firstAt > this.limits.fragmentTimeoutMs) this.completePartialRecord(key, rec, now, out);
    }
    if (this.partial.length > 0 && now - this.partialAt > this.limits.partialFlushMs) {
      const line = this.partial;
      this.partial = '';
      this.admitPlain(line, this.partialAt, out);
    }
    this.releaseContiguous(out);
    this.releaseExpired(now, out);
    return out;
  }

  /** Release everything now (shutdown, eviction). */
  flush(now: number): StreamLine[] {
    const out: StreamLine[] = [];
    for (const [key, rec] of this.pending) this.completePartialRecord(key, rec, now, out);
    if (this.partial.length > 0) {
      const line = this.partial;
      this.partial = '';
      this.admitPlain(line, now, out);
    }
    while (this.held.length > 0) this.releaseHead(out);
    return out;
  }

  // ------------------------------------------------------------------------------------------ plain

  private splitPlain(text: string, now: number): string[] {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    this.partialAt = now;
    const lines: string[] = [];
    for (const part of parts) lines.push(...this.cut(part));
    if (Buffer.byteLength(this.partial) > this.limits.maxLineBytes) {
      const pieces = this.cut(this.partial);
      this.partial = pieces.pop() ?? '';
      lines.push(...pieces);
    }
    return lines;
  }

  private cut(line: string): string[] {
    if (Buffer.byteLength(line) <= this.limits.maxLineBytes) return [line];
    this.counters.linesCut++;
    const out: string[] = [];
    let rest = Buffer.from(line, 'utf8');
    while (rest.length > 0) {
      let end = Math.min(rest.length, this.limits.maxLineBytes);
      // Never split a UTF-8 sequence: back up to the start of the character that straddles the cut.
      while (end < rest.length && end > 0 && ((rest[end] as number) & 0xc0) === 0x80) end--;
      if (end === 0) end = Math.min(rest.length, this.limits.maxLineBytes);
      out.push(rest.toString('utf8', 0, end));
      rest = rest.subarray(end);
    }
    return out;
  }

  private admitPlain(raw: string, now: number, out: StreamLine[]): void {
    if (raw.trim().length === 0) return;
    const c = stripConsolePrefix(raw);
    const line: StreamLine = { text: c.text, receivedAt: now };
    if (c.level !== undefined) line.level = c.level;
    if (c.tsUsec === undefined) {
      // Nothing to order or deduplicate by; keep it after the line it followed.
      this.hold(line, this.lastPlainTs, out);
      return;
    }
    line.tsUsec = c.tsUsec;
    if (this.isDuplicate('p' + hashKey(raw))) return;
    if (c.tsUsec > this.lastPlainTs) this.lastPlainTs = c.tsUsec;
    this.hold(line, c.tsUsec, out);
  }

  // ------------------------------------------------------------------------------------------ extended

  private addFragment(p: ExtendedPacket, now: number, out: StreamLine[]): void {
    const frag = p.fragment as { offset: number; total: number };
    const key = `${p.seq}:${p.tsUsec}`;
    if (this.seen.has('x' + key)) {
      this.counters.duplicates++;
      return;
    }
    let rec = this.pending.get(key);
    if (rec && rec.total !== frag.total) {
      // Same record id, different length: not the same record (or garbage); start over.
      this.dropPending(key, rec);
      rec = undefined;
    }
    if (!rec) {
      rec = { header: p, total: frag.total, chunks: new Map(), bytes: 0, firstAt: now };
      this.pending.set(key, rec);
    }
    if (rec.chunks.has(frag.offset)) {
      this.counters.duplicates++;
      return;
    }
    rec.chunks.set(frag.offset, Buffer.from(p.body));
    rec.bytes += p.body.length;
    this.pendingBytes += p.body.length;
    const whole = assemble(rec);
    if (whole) {
      this.dropPending(key, rec);
      this.admitRecord(rec.header, whole, now, out);
    }
    while (this.pendingBytes > this.limits.maxFragmentBytes && this.pending.size > 0) {
      const [oldKey, oldest] = this.pending.entries().next().value as [string, PendingRecord];
      this.completePartialRecord(oldKey, oldest, now, out);
    }
  }

  private completePartialRecord(key: string, rec: PendingRecord, now: number, out: StreamLine[]): void {
    this.dropPending(key, rec);
    this.counters.incompleteRecords++;
    const parts = [...rec.chunks.entries()].sort((a, b) => a[0] - b[0]);
    const pieces: string[] = [];
    let expected = 0;
    for (const [offset, chunk] of parts) {
      if (offset > expected) pieces.push(' […] ');
      pieces.push(chunk.toString('utf8'));
      expected = offset + chunk.length;
    }
    if (expected < rec.total) pieces.push(' […]');
    // It was received when its first fragment arrived: that is what the reorder hold and idle timers measure.
    this.admitRecord(rec.header, Buffer.from(pieces.join('')), Math.min(now, rec.firstAt), out);
  }

  private dropPending(key: string, rec: PendingRecord): void {
    if (this.pending.delete(key)) this.pendingBytes -= rec.bytes;
  }

  private admitRecord(h: ExtendedPacket, body: Buffer, now: number, out: StreamLine[]): void {
    if (this.isDuplicate(`x${h.seq}:${h.tsUsec}`)) return;
    const { message } = splitRecordBody(body.toString('utf8'));
    const text = sanitizeText(message);
    const pieces = this.cut(text);
    const first = pieces[0] ?? '';
    const line: StreamLine = { text: first, seq: h.seq, tsUsec: h.tsUsec, level: h.level, receivedAt: now };
    if (this.lastSeq !== undefined && h.seq + 4_096 < this.lastSeq) {
      // The sequence restarted: the sender rebooted. Start ordering afresh.
      this.lastSeq = undefined;
    }
    if (this.lastSeq !== undefined && h.seq <= this.lastSeq) {
      this.counters.lateLines++;
      out.push(line);
      return;
    }
    this.hold(line, h.seq, out);
  }

  // ------------------------------------------------------------------------------------------ ordering

  private isDuplicate(key: string): boolean {
    if (this.seen.has(key)) {
      this.counters.duplicates++;
      return true;
    }
    this.seen.add(key);
    if (this.seenOrder.length < this.limits.dedupeWindow) {
      this.seenOrder.push(key);
    } else {
      const old = this.seenOrder[this.seenHead] as string;
      this.seen.delete(old);
      this.seenOrder[this.seenHead] = key;
      this.seenHead = (this.seenHead + 1) % this.limits.dedupeWindow;
    }
    return false;
  }

  private hold(line: StreamLine, key: number, out: StreamLine[]): void {
    const h: Held = { line, key, order: this.order++, bytes: Buffer.byteLength(line.text) + 64 };
    // Insert keeping (key, order) ascending; arrivals are mostly in order, so scan from the back.
    let i = this.held.length;
    while (i > 0 && (this.held[i - 1] as Held).key > key) i--;
    this.held.splice(i, 0, h);
    this.heldBytes += h.bytes;
    while (this.heldBytes > this.limits.maxHeldBytes && this.held.length > 0) this.releaseHead(out);
  }

  /** Extended records that continue the sequence need not wait. */
  private releaseContiguous(out: StreamLine[]): void {
    while (this.held.length > 0) {
      const head = this.held[0] as Held;
      if (head.line.seq === undefined || this.lastSeq === undefined || head.line.seq !== this.lastSeq + 1)
        return;
      this.releaseHead(out);
    }
  }

  /** Once the longest-waiting line has waited reorderHoldMs, release everything ordered before it too. */
  private releaseExpired(now: number, out: StreamLine[]): void {
    for (;;) {
      let oldest: Held | undefined;
      for (const h of this.held) if (!oldest || h.line.receivedAt < oldest.line.receivedAt) oldest = h;
      if (!oldest || now - oldest.line.receivedAt < this.limits.reorderHoldMs) return;
      while (this.held.length > 0) {
        const head = this.held[0] as Held;
        this.releaseHead(out);
        if (head === oldest) break;
      }
      this.releaseContiguous(out);
    }
  }

  private releaseHead(out: StreamLine[]): void {
    const h = this.held.shift();
    if (!h) return;
    this.heldBytes -= h.bytes;
    if (h.line.seq !== undefined && (this.lastSeq === undefined || h.line.seq > this.lastSeq))
      this.lastSeq = h.line.seq;
    out.push(h.line);
  }
}

function assemble(rec: PendingRecord): Buffer | undefined {
  if (rec.bytes < rec.total) return undefined;
  const parts = [...rec.chunks.entries()].sort((a, b) => a[0] - b[0]);
  let expected = 0;
  for (const [offset, chunk] of parts) {
    if (offset !== expected) return undefined;
    expected += chunk.length;
  }
  return expected === rec.total ? Buffer.concat(parts.map((p) => p[1])) : undefined;
}

function hashKey(text: string): string {
  return createHash('sha1').update(text).digest('base64').slice(0, 16);
}
