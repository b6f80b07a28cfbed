// Kernel memory of BPF maps: what the kernel accounts now (`memlock` in /proc/self/fdinfo/<map fd>, the
// figure `bpftool map show` prints: the map type's map_mem_usage()) and a model of it from the map's
// definition and a CPU count, so the worst case on a host with many CPUs can be stated without one. The
// model follows kernel/bpf/{arraymap,hashtab,ringbuf,bpf_local_storage}.c (6.x, 64-bit); its fixed struct
// sizes were measured on 6.18 and are small next to the entries, so other 6.x kernels land within bytes.
import { readFileSync } from 'node:fs';
import type { RawMap } from './native.js';

export type MapDefinition = Pick<RawMap, 'name' | 'type' | 'keySize' | 'valueSize' | 'maxEntries' | 'flags'>;

const BPF_F_NO_PREALLOC = 1;
const BPF_F_MMAPABLE = 1 << 10;
const PAGE = 4096;
const PTR = 8;

/** sizeof(struct bpf_array) before its values. */
const ARRAY_HEADER = 312;
/** sizeof(struct bpf_htab). */
const HTAB_HEADER = 832;
/** sizeof(struct htab_elem) before its key; sizeof(struct bucket); HASHTAB_MAP_LOCK_COUNT ints per CPU. */
const HTAB_ELEM = 48;
const HTAB_BUCKET = 16;
const HTAB_LOCKS_PER_CPU = 8 * 4;
/** struct llist_node: what a no-prealloc element adds for its deferred free. */
const LLIST_NODE = 8;
/** sizeof(struct bpf_local_storage_map); one 16-byte bucket per possible CPU (power of two, at least 2). */
const LOCAL_STORAGE_HEADER = 480;
/** sizeof(struct bpf_ringbuf_map) + RINGBUF_NR_META_PAGES. */
const RINGBUF_HEADER = 304;
const RINGBUF_META_PAGES = 3;

const PER_CPU = new Set(['percpu_hash', 'lru_percpu_hash', 'percpu_array']);
const HASHES = new Set(['hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash']);
const ARRAYS = new Set(['array', 'percpu_array']);
const LOCAL_STORAGE = new Set(['task_storage', 'sk_storage', 'inode_storage', 'cgrp_storage']);

const round8 = (n: number): number => Math.ceil(n / 8) * 8;
const pageAlign = (n: number): number => Math.ceil(n / PAGE) * PAGE;
const pow2 = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

/** Whether a map's memory grows only as entries are inserted (a no-prealloc hash). */
export function growsWithEntries(def: MapDefinition): boolean {
  return HASHES.has(def.type) && !def.type.startsWith('lru') && (def.flags & BPF_F_NO_PREALLOC) !== 0;
}

/**
 * The kernel's map_mem_usage() for `def` on a host with `cpus` possible CPUs, holding `entries` entries
 * (only no-prealloc hashes depend on it; the default, max_entries, is the map full: the worst case).
 * Undefined for a map type the model does not know. Local storage counts its buckets only, as the kernel
 * does: each task's or socket's element is charged to that task or socket.
 */
export function modelMapBytes(def: MapDefinition, cpus: number, entries = def.maxEntries): number | undefined {
  const percpu = PER_CPU.has(def.type);
  const value = round8(def.valueSize);
  const max = def.maxEntries;
  if (ARRAYS.has(def.type)) {
    if (percpu) return ARRAY_HEADER + max * PTR + max * value * cpus;
    if (def.flags & BPF_F_MMAPABLE) return pageAlign(ARRAY_HEADER) + pageAlign(max * value);
    return ARRAY_HEADER + max * value;
  }
  if (HASHES.has(def.type)) {
    const lru = def.type.startsWith('lru');
    const elem = HTAB_ELEM + round8(def.keySize) + (percpu ? PTR : value);
    let bytes = HTAB_HEADER + HTAB_BUCKET * pow2(max) + HTAB_LOCKS_PER_CPU * cpus;
    if (!growsWithEntries(def)) {
      const n = max + (!percpu && !lru ? cpus : 0); // per-CPU spare elements of a plain prealloc hash
      bytes += elem * n;
      if (percpu) bytes += value * cpus * n;
      else if (!lru) bytes += PTR * cpus;
      return bytes;
    }
    const held = Math.min(entries, max);
    bytes += (elem + LLIST_NODE) * held;
    if (percpu) bytes += (LLIST_NODE + PTR) * held + value * cpus * held;
    return bytes;
  }
  if (LOCAL_STORAGE.has(def.type)) return LOCAL_STORAGE_HEADER + HTAB_BUCKET * Math.max(2, pow2(cpus));
  if (def.type === 'ringbuf') {
    const data = Math.floor(max / PAGE);
    return RINGBUF_HEADER + (RINGBUF_META_PAGES + data) * PAGE + (RINGBUF_META_PAGES + 2 * data) * PTR;
  }
  return undefined;
}

/** The kernel's own figure for a loaded map (`memlock:` of its fd), or undefined when it is not shown. */
export function memlockOf(fd: number): number | undefined {
  if (fd < 0) return undefined;
  try {
    const m = /^memlock:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface MapMemory {
  name: string;
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** Kernel-accounted bytes now (bpftool's memlock); undefined when the map is not loaded. */
  memlockBytes?: number;
  /** Modelled bytes when full, at each CPU count asked for (key: CPU count). */
  worstCaseBytes: Record<number, number>;
}

/**
 * Each map of a (loaded) object: its memlock now and its modelled worst case at `cpuCounts`. `sizeAt` gives
 * the max_entries the map would have at a CPU count (a loader that sizes maps by memory); by default the
 * map's own.
 */
export function mapMemory(
  maps: readonly RawMap[],
  cpuCounts: readonly number[],
  sizeAt: (m: RawMap, cpus: number) => number = (m) => m.maxEntries,
): MapMemory[] {
  return maps.map((m) => ({
    name: m.name,
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    ...(m.fd >= 0 ? { memlockBytes: memlockOf(m.fd) } : {}),
    worstCaseBytes: Object.fromEntries(
      cpuCounts.map((n) => [n, modelMapBytes({ ...m, maxEntries: sizeAt(m, n) }, n) ?? 0]),
    ),
  }));
}
