// Reading kerno's map conventions through the facade: per-CPU folds of comm + histogram values, the
// `counters` array every program keeps, the `comms` LRU map, and C strings. Mechanism only; which maps a
// collector reads and what the numbers mean stay with the collector.
import type { BpfObject } from './object.js';
import type { PerCpuReduce } from './native.js';
import { HIST_MAX_OFFSET } from './histogram.js';

/** A NUL-padded C string from a fixed-size char array. */
export function cString(buf: Buffer, offset: number, size: number): string {
  const end = buf.indexOf(0, offset);
  return buf.toString('utf8', offset, end < 0 || end > offset + size ? offset + size : end);
}

/**
 * How a per-CPU value made of a comm (char[16]) and a struct hist folds: sums, except the histogram's max
 * and the comm, which only the copy of the CPU that inserted the key holds (bpf/syscall.h, bpf/sched.h).
 */
export function commHistReduce(commOffset: number, histOffset: number): PerCpuReduce {
  return { max: [histOffset + HIST_MAX_OFFSET], first: [[commOffset, 16]] };
}

/**
 * Every entry of `maps`, per-CPU copies folded natively, read chunk by chunk (BpfMap.chunks): the views are
 * valid until the next entry is asked for, so use or copy them in the loop body.
 */
export function* foldedEntries(
  obj: BpfObject,
  maps: readonly string[],
  reduce: PerCpuReduce,
): Generator<{ map: string; key: Buffer; value: Buffer }> {
  for (const map of maps)
    for (const chunk of obj.map(map).chunks({ reduce }))
      for (const { key, value } of chunk) yield { map, key, value };
}

/** Reads a `counters` per-CPU array as numbers (indexes documented in bpf/<name>.h). */
export function readCounters(obj: BpfObject, map = 'counters'): number[] {
  return obj
    .map(map)
    .readCounters()
    .map((v) => Number(v));
}

/**
 * One `counters` entry summed over CPUs (a single map lookup): cheap enough for stats(), which the live
 * UI and /healthz call several times a second. Undefined once the object is closed.
 */
export function readCounter(obj: BpfObject, index: number): number | undefined {
  if (obj.closed) return undefined;
  const m = obj.map('counters');
  const key = Buffer.alloc(4);
  key.writeUInt32LE(index);
  const v = m.lookup(key);
  if (!v) return undefined;
  let sum = 0;
  for (const cpu of m.perCpuValues(v)) sum += Number(cpu.readBigUInt64LE(0));
  return sum;
}

/** One tgid's latest comm from `comms` (a single lookup, for the live view); undefined when evicted. */
export function readCommOf(obj: BpfObject, tgid: number): string | undefined {
  const key = Buffer.alloc(4);
  key.writeUInt32LE(tgid);
  const v = obj.map('comms').lookup(key);
  return v ? cString(v, 0, 16) || undefined : undefined;
}

/**
 * The per-CPU copy of a one-entry `PERCPU_ARRAY` whose u64 at `offset` is largest (the live "worst so
 * far" maps): one lookup, ncpu small slots. Undefined when every copy is still zero.
 */
export function readPerCpuMax(obj: BpfObject, map: string, offset = 0): Buffer | undefined {
  const m = obj.map(map);
  const v = m.lookup(Buffer.alloc(4));
  if (!v) return undefined;
  let best: Buffer | undefined;
  let bestValue = 0n;
  for (const cpu of m.perCpuValues(v)) {
    const x = cpu.readBigUInt64LE(offset);
    if (x > bestValue) {
      bestValue = x;
      best = cpu;
    }
  }
  return best;
}

/** tgid → latest comm (the `comms` LRU map every per-process program keeps; rewritten at exec). */
export function readComms(obj: BpfObject): Map<number, string> {
  const out = new Map<number, string>();
  for (const { key, value } of obj.map('comms').dump()) out.set(key.readUInt32LE(0), cString(value, 0, 16));
  return out;
}
