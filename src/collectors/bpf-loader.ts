// Loads one collector's BPF object: tries program variants in order (e.g. task-storage programs, then the
// hash fallback), filters kerno's own PID, attaches, and reports loaded/total for coverage and readiness.
import { existsSync } from 'node:fs';
import { BpfObject, type Link } from '../bpf/object.js';
import { possibleCpus } from '../bpf/map.js';
import type { PerCpuReduce } from '../bpf/native.js';
import { HIST_MAX_OFFSET } from '../bpf/histogram.js';
import type { CollectorStats } from './types.js';
import { bpfObjectPath } from '../bpf/paths.js';
import { toBpfError } from '../bpf/errors.js';

export interface ProgramVariant {
  /** Programs to load and attach together. */
  programs: string[];
  /** Preallocated maps this variant does not use: shrunk to 1 entry so they cost no memory. */
  unusedMaps?: string[];
}

export interface LoadedBpf {
  obj: BpfObject;
  links: Link[];
  variant: ProgramVariant;
  programsLoaded: number;
  programsTotal: number;
  close(): void;
}

/**
 * Kernel memory one per-CPU hash may take when full (entries × value × possible CPUs). A 10 240-key map of
 * 2.2 KB histograms is 45 MB on 2 CPUs but 1.4 GB on a 64-CPU host: there it holds fewer keys, and the
 * programs put the rest in their shared (non-per-CPU) fallback maps (bpf/syscall.h, bpf/sched.h).
 */
export const PERCPU_MAP_BUDGET = 64 << 20;

/** max_entries for a per-CPU hash under PERCPU_MAP_BUDGET (never raised, never below 64). */
export function perCpuMaxEntries(maxEntries: number, valueSize: number, cpus: number): number {
  const perKey = ((valueSize + 7) & ~7) * Math.max(1, cpus);
  return Math.min(maxEntries, Math.max(64, Math.floor(PERCPU_MAP_BUDGET / perKey)));
}

export async function loadBpfObject(objectName: string, variants: ProgramVariant[]): Promise<LoadedBpf> {
  let firstError: unknown;
  for (const variant of variants) {
    const obj = BpfObject.open(bpfObjectPath(objectName));
    try {
      obj.selectPrograms(variant.programs);
      obj.setGlobal('self_tgid', process.pid, 4);
      for (const m of variant.unusedMaps ?? []) obj.setMaxEntries(m, 1);
      for (const m of obj.mapInfos()) {
        if (m.type !== 'percpu_hash' && m.type !== 'lru_percpu_hash') continue;
        const cap = perCpuMaxEntries(m.maxEntries, m.valueSize, possibleCpus());
        if (cap < m.maxEntries) obj.setMaxEntries(m.name, cap);
      }
      await obj.load();
      const links = obj.attachAll();
      return {
        obj,
        links,
        variant,
        programsLoaded: links.length,
        programsTotal: variant.programs.length,
        close: () => obj.close(),
      };
    } catch (err) {
      obj.close();
      firstError ??= err;
    }
  }
  const e = toBpfError(firstError);
  e.message = `${objectName}: ${e.message}`;
  throw e;
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

/** A NUL-padded C string from a fixed-size char array. */
export function cString(buf: Buffer, offset: number, size: number): string {
  const end = buf.indexOf(0, offset);
  return buf.toString('utf8', offset, end < 0 || end > offset + size ? offset + size : end);
}

/** tgid → latest comm (the `comms` LRU map every per-process program keeps; rewritten at exec). */
export function readComms(obj: BpfObject): Map<number, string> {
  const out = new Map<number, string>();
  for (const { key, value } of obj.map('comms').dump()) out.set(key.readUInt32LE(0), cString(value, 0, 16));
  return out;
}

/** Whether a process still exists (for pruning kernel keys of exited processes). */
export function processAlive(tgid: number): boolean {
  return existsSync(`/proc/${tgid}`);
}

/**
 * One `counters` entry summed over CPUs (a single map lookup): cheap enough for stats(), which the live
 * UI and /healthz call several times a second. Index 0 is "events recorded" in every kerno program.
 */
export function readCounter(bpf: LoadedBpf | undefined, index = 0): number | undefined {
  if (!bpf || bpf.obj.closed) return undefined;
  const m = bpf.obj.map('counters');
  const key = Buffer.alloc(4);
  key.writeUInt32LE(index);
  const v = m.lookup(key);
  if (!v) return undefined;
  let sum = 0;
  for (const cpu of m.perCpuValues(v)) sum += Number(cpu.readBigUInt64LE(0));
  return sum;
}

/**
 * stats() of a BPF collector: programs from its loaded object (the variant's size before it loads), events
 * read live from counters[0] (falling back to the last snapshot's figure once the object is closed).
 */
export function bpfStats(
  bpf: LoadedBpf | undefined,
  programsTotal: number,
  lastEvents: number,
  eventsDropped: number,
): CollectorStats {
  return {
    programsLoaded: bpf?.programsLoaded ?? 0,
    programsTotal: bpf?.programsTotal ?? programsTotal,
    events: readCounter(bpf) ?? lastEvents,
    eventsDropped,
  };
}
