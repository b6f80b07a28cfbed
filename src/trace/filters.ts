// What `kerno trace` filters on, parsed from flag text and encoded as the `const volatile` rodata the
// trace_*.bpf.c programs compare against (bpf/trace.h). Parsing is here, not in the CLI, so every caller
// (tests, a future daemon endpoint) gets the same validation and the same encoding.
import { parseDuration } from '../util/duration.js';
import { SYSCALL_NAMES_X86_64 } from '../collectors/syscall/tables.js';

/** A filter value that cannot be used; the message names the flag and the accepted forms. */
export class TraceFilterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceFilterError';
  }
}

/** The kernel's comm is 15 bytes and a NUL (TASK_COMM_LEN). */
export const COMM_BYTES = 16;

export interface CommonFilters {
  /** Process id (tgid); 0 = every process. */
  pid: number;
  /** Thread or process name, lower-cased, at most 15 bytes; '' = every name. */
  comm: string;
  /** Only events at least this slow, ns; 0 = all. */
  minLatencyNs: number;
}

export interface SyscallFilters extends CommonFilters {
  /** x86_64 syscall number; -1 = every syscall. */
  nr: number;
}

export const DISK_OPS = ['read', 'write', 'sync'] as const;
export type DiskOp = (typeof DISK_OPS)[number];

export interface DiskFilters extends CommonFilters {
  /** Operation classes to trace; empty = all. Index in DISK_OPS = DISK_OP_* (bpf/disk.h). */
  ops: DiskOp[];
}

export type SchedFilters = CommonFilters;

const SYSCALL_NUMBERS: ReadonlyMap<string, number> = new Map(
  [...SYSCALL_NAMES_X86_64].map(([nr, name]) => [name, nr]),
);
/** Highest x86_64 syscall number the kernel accepts is below this (x32 numbers start at 512). */
const MAX_SYSCALL_NR = 1024;

/** Syscall name (case-insensitive) or number → x86_64 number. */
export function parseSyscall(text: string): number {
  const t = text.trim().toLowerCase();
  if (/^\d+$/.test(t)) {
    const nr = Number(t);
    if (nr >= MAX_SYSCALL_NR)
      throw new TraceFilterError(`syscall number ${nr} is out of range (0…${MAX_SYSCALL_NR - 1})`);
    return nr;
  }
  const nr = SYSCALL_NUMBERS.get(t.replace(/^sys_/, ''));
  if (nr === undefined) {
    const near = nearest(t, [...SYSCALL_NUMBERS.keys()]);
    throw new TraceFilterError(
      `unknown syscall "${text}" (x86_64 names or numbers${near.length ? `; did you mean ${near.join(', ')}?` : ''})`,
    );
  }
  return nr;
}

/** Up to three names within two edits of `word`, closest first (typos: "getppidd", "opnat"). */
function nearest(word: string, names: readonly string[]): string[] {
  const scored = names.map((n) => [n, editDistance(word, n)] as const).filter(([, d]) => d <= 2);
  return scored
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    .slice(0, 3)
    .map(([n]) => n);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

export function syscallNameOf(nr: number): string {
  return SYSCALL_NAMES_X86_64.get(nr) ?? `syscall_${nr}`;
}

/** A process id: a positive integer below 2^22 (pid_max's ceiling); "0" means every process. */
export function parsePid(text: string): number {
  if (!/^\d+$/.test(text.trim()))
    throw new TraceFilterError(`expected a process id (a number), got "${text}"`);
  const pid = Number(text.trim());
  if (pid > 4194304) throw new TraceFilterError(`process id ${pid} is above the kernel's maximum (4194304)`);
  return pid;
}

/**
 * A comm filter: lower-cased (the kernel compares case-insensitively) and cut to the 15 bytes the kernel
 * keeps, so the full name of a long program ("systemd-journald") still matches its comm.
 */
export function parseComm(text: string): string {
  const t = text.trim().toLowerCase();
  if (t === '') throw new TraceFilterError('expected a process name, got an empty string');
  if (/[^\x20-\x7e]/.test(t))
    throw new TraceFilterError(`process name "${text}" has non-ASCII or control characters`);
  return t.slice(0, COMM_BYTES - 1);
}

/** "read", "write", "sync" or r / w / s, comma-separated ("read,sync"). */
export function parseOps(text: string): DiskOp[] {
  const out = new Set<DiskOp>();
  for (const part of text.split(',')) {
    const p = part.trim().toLowerCase();
    const op = DISK_OPS.find((o) => o === p || o[0] === p);
    if (!op)
      throw new TraceFilterError(`unknown operation "${part}" (expected read, write, sync or r, w, s)`);
    out.add(op);
  }
  return DISK_OPS.filter((o) => out.has(o));
}

/** A Go-style duration ("10ms", "0" = off) in ns. */
export function parseLatency(text: string): number {
  try {
    return parseDuration(text.trim());
  } catch (err) {
    throw new TraceFilterError((err as Error).message);
  }
}

/** One `const volatile` global and its bytes (little-endian, the C type's size). */
export interface RodataValue {
  name: string;
  value: Buffer;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
function s32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
}
function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
}
/** Lower-cased here too: the kernel side compares against a lower-case filter, whoever built `f`. */
function comm(text: string): Buffer {
  const b = Buffer.alloc(COMM_BYTES);
  b.write(text.toLowerCase().slice(0, COMM_BYTES - 1), 'latin1');
  return b;
}

function common(f: CommonFilters): RodataValue[] {
  return [
    { name: 'filter_tgid', value: u32(f.pid) },
    { name: 'filter_comm', value: comm(f.comm) },
    { name: 'min_latency_ns', value: u64(f.minLatencyNs) },
  ];
}

export function syscallRodata(f: SyscallFilters): RodataValue[] {
  return [...common(f), { name: 'filter_nr', value: s32(f.nr) }];
}

export function diskRodata(f: DiskFilters): RodataValue[] {
  const mask = f.ops.reduce((m, op) => m | (1 << DISK_OPS.indexOf(op)), 0);
  return [...common(f), { name: 'op_mask', value: u32(mask) }];
}

export function schedRodata(f: SchedFilters): RodataValue[] {
  return common(f);
}
