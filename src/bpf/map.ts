// Typed map access. Per-CPU maps come back from the kernel as one 8-byte-aligned slot per possible CPU;
// perCpu() splits them so decoders can sum in TypeScript (design: per-CPU values are summed in TS, maps are
// read once per snapshot).
import type { ObjectHandle, PerCpuReduce, RawMap } from './native.js';
import { native } from './native.js';
import { toBpfError } from './errors.js';

const PER_CPU_TYPES = new Set(['percpu_hash', 'percpu_array', 'lru_percpu_hash', 'percpu_cgroup_storage']);

export interface MapEntry {
  key: Buffer;
  value: Buffer;
}

/** Kernel bytes copied per chunks() step: small enough to stay in cache while it is folded. */
const CHUNK_BYTES = 256 << 10;

let cpuCount: number | undefined;
export function possibleCpus(): number {
  cpuCount ??= native().numPossibleCpus();
  return cpuCount;
}

export class BpfMap {
  readonly name: string;
  readonly type: string;
  readonly keySize: number;
  /** Kernel-side value size (one CPU's slot for per-CPU maps). */
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly perCpu: boolean;
  #chunk: { keys: Buffer; values: Buffer; scratch?: Buffer; entries: number } | undefined;

  constructor(
    private readonly owner: ObjectHandle,
    info: RawMap,
  ) {
    this.name = info.name;
    this.type = info.type;
    this.keySize = info.keySize;
    this.valueSize = info.valueSize;
    this.maxEntries = info.maxEntries;
    this.perCpu = PER_CPU_TYPES.has(info.type);
  }

  /** Bytes per value as user space sees it. */
  get userValueSize(): number {
    return this.perCpu ? this.slotSize * possibleCpus() : this.valueSize;
  }

  /** Aligned size of one CPU's value within a per-CPU buffer. */
  get slotSize(): number {
    return (this.valueSize + 7) & ~7;
  }

  lookup(key: Buffer): Buffer | null {
    return this.call(() => this.owner.raw().mapLookup(this.name, key));
  }

  update(key: Buffer, value: Buffer, flags = 0): void {
    this.call(() => this.owner.raw().mapUpdate(this.name, key, value, flags));
  }

  delete(key: Buffer): boolean {
    return this.call(() => this.owner.raw().mapDelete(this.name, key));
  }

  /**
   * Deletes many keys in one native call (one BPF_MAP_DELETE_BATCH where the map kind supports it): `keys`
   * holds them back to back, `keySize` bytes each. Keys already gone are skipped. Returns how many existed.
   */
  deleteMany(keys: Buffer): number {
    if (keys.length === 0) return 0;
    return this.call(() => this.owner.raw().mapDeleteMany(this.name, keys));
  }

  /** Removes every entry (arrays: zeroes them). Returns how many were affected. */
  clear(): number {
    return this.call(() => this.owner.raw().mapClear(this.name));
  }

  /**
   * Reads the whole map in one native call. Keys/values are views into two shared buffers. With `reduce`, a
   * per-CPU map's copies are folded natively and each value is one `valueSize` struct (the kernel's layout):
   * what a snapshot wants, at 1/ncpu of the bytes crossing into JS.
   */
  dump(opts: { reduce?: PerCpuReduce } = {}): MapEntry[] {
    const d = this.call(() => this.owner.raw().mapDump(this.name, opts.reduce));
    const out: MapEntry[] = new Array(d.count);
    for (let i = 0; i < d.count; i++) {
      out[i] = {
        key: d.keys.subarray(i * d.keySize, (i + 1) * d.keySize),
        value: d.values.subarray(i * d.valueSize, (i + 1) * d.valueSize),
      };
    }
    return out;
  }

  /**
   * The whole map, one piece at a time (≈256 KiB of kernel copies each), through buffers this map keeps:
   * a reader that walks a big map every scrape neither holds a copy of all of it (10 000 histograms are
   * ~22 MB) nor leaves that much garbage for the GC. Each chunk's entries are views that the next chunk
   * overwrites: use or copy them before asking for the next. `reduce` as in dump().
   */
  *chunks(opts: { reduce?: PerCpuReduce } = {}): Generator<MapEntry[]> {
    let cursor: Buffer | null = null;
    for (;;) {
      const into = this.chunkBuffers(opts.reduce !== undefined);
      let r;
      try {
        r = this.owner.raw().mapDumpChunk(this.name, opts.reduce, cursor, into);
      } catch (err) {
        // A hash bucket holding more keys than a chunk: retry the same step with room for twice as many.
        if ((err as { code?: string }).code === 'ENOSPC' && into.entries < this.maxEntries) {
          this.#chunk = undefined;
          this.chunkBuffers(opts.reduce !== undefined, into.entries * 2);
          continue;
        }
        throw toBpfError(err, { object: this.owner.path, map: this.name });
      }
      const out: MapEntry[] = new Array(r.count);
      for (let i = 0; i < r.count; i++) {
        out[i] = {
          key: into.keys.subarray(i * r.keySize, (i + 1) * r.keySize),
          value: into.values.subarray(i * r.valueSize, (i + 1) * r.valueSize),
        };
      }
      if (r.count > 0) yield out;
      if (r.done) return;
      cursor = r.cursor;
    }
  }

  private chunkBuffers(
    reduced: boolean,
    atLeast = 0,
  ): { keys: Buffer; values: Buffer; scratch?: Buffer; entries: number } {
    const fold = reduced && this.perCpu;
    const perKey = this.userValueSize; // what the kernel copies per key
    const entries = Math.min(this.maxEntries, Math.max(atLeast, 64, Math.floor(CHUNK_BYTES / perKey)));
    const c = this.#chunk;
    if (c && c.entries >= entries && (c.scratch !== undefined) === fold) return c;
    this.#chunk = {
      entries,
      keys: Buffer.allocUnsafe(entries * this.keySize),
      values: Buffer.allocUnsafe(entries * (fold ? this.valueSize : perKey)),
      ...(fold ? { scratch: Buffer.allocUnsafe(entries * perKey) } : {}),
    };
    return this.#chunk;
  }

  /** Splits a per-CPU value into one view per CPU (each `valueSize` bytes). */
  perCpuValues(value: Buffer): Buffer[] {
    if (!this.perCpu) return [value];
    const n = Math.floor(value.length / this.slotSize);
    const out: Buffer[] = new Array(n);
    for (let c = 0; c < n; c++) out[c] = value.subarray(c * this.slotSize, c * this.slotSize + this.valueSize);
    return out;
  }

  /**
   * Sums a per-CPU array of u64 counters (e.g. the `counters` map every kerno program has). One dump (a
   * batched lookup), not a lookup per index: every scrape and health check reads each collector's counters,
   * and a bpf() call per index was ~5 ms of each ~35 ms /metrics render here (a CPU profile of 30 scrapes).
   */
  readCounters(): bigint[] {
    const out: bigint[] = new Array<bigint>(this.maxEntries).fill(0n);
    for (const { key, value } of this.dump()) {
      const i = key.readUInt32LE(0);
      if (i >= out.length) continue;
      let sum = 0n;
      for (const slot of this.perCpuValues(value)) sum += slot.readBigUInt64LE(0);
      out[i] = sum;
    }
    return out;
  }

  private call<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw toBpfError(err, { object: this.owner.path, map: this.name });
    }
  }
}
