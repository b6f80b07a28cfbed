// The trace ring-buffer records (bpf/trace.h), declared once and checked against each object's BTF at
// load, and their decoding into the events `kerno trace` prints. Timestamps arrive as CLOCK_MONOTONIC
// (bpf_ktime_get_ns); a MonoClock turns them into wall-clock time.
import { defineLayout } from '../bpf/layout.js';
import { cString } from '../bpf/read.js';
import { monotonicNs } from '../util/clock.js';
import { DISK_OPS, syscallNameOf, type DiskOp } from './filters.js';

export const SYSCALL_EVENT = defineLayout('trace_syscall_event', 56, {
  ts_ns: 0,
  latency_ns: 8,
  ret: 16,
  pid: 24,
  tid: 28,
  nr: 32,
  pad: 36,
  comm: 40,
});

export const TOP_KEY = defineLayout('trace_top_key', 12, { nr: 0, tgid: 4, gen: 8 });
export const TOP_VALUE = defineLayout('trace_top_value', 2216, { comm: 0, h: 16 });

export const DISK_EVENT = defineLayout('trace_disk_event', 56, {
  ts_ns: 0,
  latency_ns: 8,
  sector: 16,
  pid: 24,
  dev: 28,
  bytes: 32,
  op: 36,
  comm: 40,
});

export const SCHED_EVENT = defineLayout('trace_sched_event', 48, {
  ts_ns: 0,
  delay_ns: 8,
  pid: 16,
  tid: 20,
  cpu: 24,
  prev_pid: 28,
  comm: 32,
});

/** `counters` indexes (TRACE_CNT_* in bpf/trace.h). */
export const COUNTER = { events: 0, ringbufFull: 1, mapFull: 2 } as const;

export interface SyscallEvent {
  timestamp: string;
  pid: number;
  tid: number;
  comm: string;
  syscall: string;
  syscallNr: number;
  latencyNs: number;
  ret: number;
}

export interface DiskEvent {
  timestamp: string;
  pid: number;
  comm: string;
  op: DiskOp;
  latencyNs: number;
  /** "major:minor" of the whole disk. */
  dev: string;
  /** First 512-byte sector; null for requests without data (a flush). */
  sector: number | null;
  bytes: number;
}

export interface SchedEvent {
  timestamp: string;
  pid: number;
  tid: number;
  comm: string;
  cpu: number;
  runqDelayNs: number;
  /** The process the waiting task replaced on the CPU (0 = the idle task). */
  prevPid: number;
}

/** CLOCK_MONOTONIC ns → ISO wall time, from one offset taken at start (a trace lasts minutes, not days). */
export class MonoClock {
  readonly #offsetMs: number;
  constructor(nowWallMs = Date.now(), nowMonoNs = monotonicNs()) {
    this.#offsetMs = nowWallMs - nowMonoNs / 1e6;
  }
  iso(monoNs: number): string {
    return new Date(this.#offsetMs + monoNs / 1e6).toISOString();
  }
}

const u64 = (b: Buffer, off: number): number => Number(b.readBigUInt64LE(off));

export function decodeSyscallEvent(rec: Buffer, clock: MonoClock): SyscallEvent | undefined {
  if (rec.length < SYSCALL_EVENT.size) return undefined;
  const at = SYSCALL_EVENT.offset;
  const nr = rec.readUInt32LE(at.nr);
  return {
    timestamp: clock.iso(u64(rec, at.ts_ns)),
    pid: rec.readUInt32LE(at.pid),
    tid: rec.readUInt32LE(at.tid),
    comm: cString(rec, at.comm, 16),
    syscall: syscallNameOf(nr),
    syscallNr: nr,
    latencyNs: u64(rec, at.latency_ns),
    ret: Number(rec.readBigInt64LE(at.ret)),
  };
}

/** bpf/disk.h packs dev as major << 20 | minor (the kernel's MKDEV). */
export function devName(dev: number): string {
  return `${dev >>> 20}:${dev & 0xfffff}`;
}

export function decodeDiskEvent(rec: Buffer, clock: MonoClock): DiskEvent | undefined {
  if (rec.length < DISK_EVENT.size) return undefined;
  const at = DISK_EVENT.offset;
  const op = DISK_OPS[rec.readUInt32LE(at.op)];
  if (!op) return undefined;
  return {
    timestamp: clock.iso(u64(rec, at.ts_ns)),
    pid: rec.readUInt32LE(at.pid),
    comm: cString(rec, at.comm, 16),
    op,
    latencyNs: u64(rec, at.latency_ns),
    dev: devName(rec.readUInt32LE(at.dev)),
    // A flush has no position: the block layer leaves __sector at (sector_t)-1.
    sector: rec.readBigUInt64LE(at.sector) === 0xffffffffffffffffn ? null : u64(rec, at.sector),
    bytes: rec.readUInt32LE(at.bytes),
  };
}

export function decodeSchedEvent(rec: Buffer, clock: MonoClock): SchedEvent | undefined {
  if (rec.length < SCHED_EVENT.size) return undefined;
  const at = SCHED_EVENT.offset;
  return {
    timestamp: clock.iso(u64(rec, at.ts_ns)),
    pid: rec.readUInt32LE(at.pid),
    tid: rec.readUInt32LE(at.tid),
    comm: cString(rec, at.comm, 16),
    cpu: rec.readUInt32LE(at.cpu),
    runqDelayNs: u64(rec, at.delay_ns),
    prevPid: rec.readUInt32LE(at.prev_pid),
  };
}
