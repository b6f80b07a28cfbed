// syscall collector: per-(syscall, process) latency histograms, call and error counts, aggregated in the
// kernel by bpf/syscall.bpf.c (tp_btf sys_enter/sys_exit) and read once per snapshot.
import type {
  Collector,
  CollectorContext,
  CollectorDef,
  CollectorMetrics,
  CollectorStats,
  LiveReading,
  MetricFamily,
} from '../types.js';
import { OTHER_COMM, type SignalsPart, type SyscallEntry, type SyscallSignals } from '../../signals/types.js';
import { bpfStats, dropsFrom, loadBpfObject, type DropIndexes, type LoadedBpf } from '../bpf-loader.js';
import type { DropCounts } from '../../events/stream.js';
import {
  cString,
  commHistReduce,
  foldedEntries,
  readCommOf,
  readComms,
  readCounter,
  readCounters,
  readPerCpuMax,
} from '../../bpf/read.js';
import { defineLayout } from '../../bpf/layout.js';
import { readdirSync } from 'node:fs';
import { processAlive } from '../procfs/process-alive.js';
import {
  addHistogramDelta,
  cloneHistogram,
  emptyHistogram,
  histCount,
  mergeHistogram,
  percentiles,
  quantile,
  readHistogram,
  readU64,
  type Histogram,
  type HistReading,
  HIST_LAYOUT,
} from '../../bpf/histogram.js';
import { SYSCALL_NAMES_X86_64, ERRNO_NAMES } from './tables.js';
import { BLOCKING_SYSCALLS } from './blocking.js';

// Layouts: bpf/syscall.h (checked against the object's BTF at load)
const KEY = defineLayout('syscall_key', 8, { nr: 0, tgid: 4 });
const VALUE = defineLayout('syscall_value', 24 + HIST_LAYOUT.size, { errors: 0, comm: 8, h: 24 });
const ERRNO_KEY = defineLayout('syscall_errno_key', 12, { nr: 0, tgid: 4, err: 8 });
const SLOWEST = defineLayout('syscall_slowest', 16, { max_ns: 0, nr: 8, tgid: 12 });
const LAYOUTS = [KEY, VALUE, ERRNO_KEY, SLOWEST, HIST_LAYOUT];
const VALUE_HIST = VALUE.offset.h;
const REDUCE = commHistReduce(VALUE.offset.comm, VALUE_HIST);
/** `counters` indexes (SYSCALL_CNT_* in bpf/syscall.h). */
const COUNTER = { events: 0, overflowed: 1, startFail: 2, errnoFull: 4, shared: 5 };
/** Losses for coverage: keys that found `hists`, `hists_shared` or `errnos` full (their samples went to the
 * overflow bucket, or their errno went uncounted), and enter timestamps that could not be stored. */
const DROPS: DropIndexes = {
  map_full: [COUNTER.overflowed, COUNTER.errnoFull],
  unspecified: [COUNTER.startFail],
};

/** How often the collector checks whether the maps are filling up (a read of the per-CPU counters). */
export const COMPACT_CHECK_MS = 250;
/**
 * Longest wait after compactions that deleted nothing. When the maps are full of live processes' keys
 * (a node with thousands of processes), every check sees pressure and a compaction walks every key and asks
 * /proc about every process for nothing: with 3 334 live processes that was most of a CPU. Each futile
 * compaction doubles the wait (from COMPACT_CHECK_MS) up to this; one that deletes keys resets it.
 */
export const COMPACT_MAX_BACKOFF_MS = 2000;

/** Bounds of the snapshot (design: bounded key count with an "other" bucket). */
export const SYSCALL_LIMITS = {
  /** (syscall, comm) entries kept by p99 among non-blocking syscalls. */
  byLatency: 48,
  /** … by error count. */
  byErrors: 32,
  /** … by call count. */
  byCount: 32,
  /** "[other]" buckets (one per syscall) kept, by count. */
  otherBuckets: 16,
  /** errnos kept per entry. */
  errnosPerEntry: 4,
};

const BLOCKING = new Set(BLOCKING_SYSCALLS);

/** bpf/syscall.h SYSCALL_LIVE_WAIT_WORDS: the `live_waits` bitmap covers syscalls 0..511. */
const LIVE_WAIT_WORDS = 8;

/**
 * The blocking list as the BPF program's `live_waits` bitmap, so the live view's "slowest" is never an
 * idle wait (epoll_wait, a read on a pipe) — the same list the snapshot marks `blocking`.
 */
export function liveWaitsBitmap(): Buffer {
  const words = new BigUint64Array(LIVE_WAIT_WORDS);
  for (const [nr, name] of SYSCALL_NAMES_X86_64)
    if (BLOCKING.has(name) && nr < LIVE_WAIT_WORDS * 64) words[nr >> 6]! |= 1n << BigInt(nr & 63);
  return Buffer.from(words.buffer);
}

/** bpf/syscall.h SYSCALL_NR_FILE_BIT: a read of a regular file or block device, not of a pipe or socket. */
export const NR_FILE_BIT = 1 << 29;

export function syscallName(nr: number): string {
  if (nr & NR_FILE_BIT) return `${syscallName(nr & ~NR_FILE_BIT)}[file]`;
  return SYSCALL_NAMES_X86_64.get(nr) ?? `syscall_${nr}`;
}

interface Agg {
  nr: number;
  comm: string;
  errors: number;
  hist: Histogram;
  errnos: Map<number, number>;
}

/**
 * One kernel entry, cumulative since attach: a (nr, tgid) key of `hists` or of `hists_shared`, or an
 * overflow bucket (nr), as its struct syscall_value (per-CPU copies of `hists` folded; the other two maps
 * are shared, one copy). `value` is a view into
 * a chunk buffer, valid only while the visitor runs: decoded if a window needs it, copied compactly
 * (BaseKey) when it becomes a baseline.
 */
interface RawKey {
  /** Which entry: "h<nr>:<tgid>" (hists), "s<nr>:<tgid>" (hists_shared), "o<nr>" (overflow). */
  id: string;
  nr: number;
  /** 0 for the overflow bucket. */
  tgid: number;
  comm: string;
  value: Buffer;
}

const keyErrors = (r: RawKey): number => readU64(r.value, VALUE.offset.errors);
const keyCount = (r: RawKey): number => histCount(r.value, VALUE_HIST);

/** A key whose process exited: deleted from its map after the walk that found it. */
interface DeadKey {
  id: string;
  nr: number;
  tgid: number;
}

/**
 * Whether a key's process has exited (0 = overflow bucket: never). One listing of /proc per walk answers
 * for every process that existed before it; only a tgid missing from it (exited, or started since) is
 * asked about on its own. With thousands of processes that is a handful of getdents calls instead of a
 * stat per process (3 334 stats were most of a compaction: bench/snapshot-cost --phases idle --hold).
 */
function exitTracker(): { dead: Set<number>; exited(tgid: number): boolean } {
  const listed = liveTgids();
  const alive = new Set<number>();
  const dead = new Set<number>();
  return {
    dead,
    exited(tgid) {
      if (tgid === 0 || alive.has(tgid) || listed.has(tgid)) return false;
      if (dead.has(tgid) || !processAlive(tgid)) {
        dead.add(tgid);
        return true;
      }
      alive.add(tgid);
      return false;
    },
  };
}

/** The tgids /proc lists now (empty if it cannot be read: every tgid is then asked about on its own). */
function liveTgids(): Set<number> {
  const out = new Set<number>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const n of names) {
    const c = n.charCodeAt(0);
    if (c >= 48 && c <= 57) out.add(Number(n));
  }
  return out;
}

/** A key as the window began: its counters and non-empty slots, independent of any dump buffer. */
interface BaseKey {
  errors: number;
  hist: HistReading;
}

interface Baseline {
  keys: Map<string, BaseKey>;
  errnos: Map<string, number>;
}

export const METRIC_SYSCALLS = 32;

/** The /metrics families metrics() reports, declared where their values are made. */
export const SYSCALL_FAMILIES: readonly MetricFamily[] = [
  {
    name: 'syscall_duration_seconds',
    type: 'histogram',
    labels: ['syscall'],
    help: 'Syscall latency (entry to exit) by syscall; the top syscalls by calls, the rest under "[other]".',
  },
  { name: 'syscalls_total', type: 'counter', labels: ['syscall'], help: 'Syscalls completed, by syscall.' },
  {
    name: 'syscall_errors_total',
    type: 'counter',
    labels: ['syscall'],
    help: 'Syscalls that returned an error, by syscall.',
  },
];

export const syscallDef: CollectorDef = {
  name: 'syscall',
  bpf: true,
  create: () => new SyscallCollector(),
  description: 'syscall latency and errors per process',
  families: SYSCALL_FAMILIES,
};

export interface SyscallCollectorOptions {
  /** Lower max_entries for named maps (e.g. `hists`): a host with more keys than entries, at test size. */
  maxEntries?: Readonly<Record<string, number>>;
}

export class SyscallCollector implements Collector {
  readonly name = 'syscall';
  readonly #opts: SyscallCollectorOptions;
  #bpf: LoadedBpf | undefined;
  #baseline: Baseline | undefined;
  /**
   * /metrics state: cumulative totals per syscall name, fed with each key's growth since it was last
   * seen. A scrape decodes only the keys that changed, and a key pruned after its process exited has
   * already left its totals here.
   */
  #cumulative = new Map<string, { hist: Histogram; errors: number }>();
  #lastSeen = new Map<string, BaseKey>();
  #events = 0;
  #drops: Partial<DropCounts> = {};
  /**
   * The window's share of keys deleted mid-window because their process exited (compact()): a host
   * running short-lived processes (shell scripts, a build) inserts a (syscall, tgid) key per syscall per
   * process and would fill the maps within seconds, sending the rest of the window to "[other]" and the
   * errno breakdown to the floor.
   */
  #folded = new Map<string, Agg>();
  #pressure = 0;
  /** compactUnderPressure() skips checks until then (performance.now()) after compactions that deleted nothing. */
  #compactAfter = 0;
  #backoffMs = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: SyscallCollectorOptions = {}) {
    this.#opts = opts;
  }

  async start(ctx: CollectorContext): Promise<void> {
    this.#bpf = await loadBpfObject(
      'syscall',
      [
        {
          programs: ['sys_enter', 'sys_exit', 'sched_process_exec', 'task_rename'],
          unusedMaps: ['start_hash'],
        },
        { programs: ['sys_enter_hash', 'sys_exit_hash', 'sched_process_exec', 'task_rename'] },
      ],
      LAYOUTS,
      { live_waits: liveWaitsBitmap() },
      undefined,
      this.#opts.maxEntries,
    );
    this.#timer = setInterval(() => {
      try {
        this.compactUnderPressure();
      } catch (err) {
        clearInterval(this.#timer);
        ctx.fault(err);
      }
    }, COMPACT_CHECK_MS);
    this.#timer.unref();
  }

  /**
   * Compacts when the maps show pressure since the last check: keys spilled to the shared map (the per-CPU
   * pool ran dry), to the overflow bucket, or errnos went uncounted. A quiet host costs one counter read.
   */
  private compactUnderPressure(): void {
    if (!this.#bpf) return;
    const c = readCounters(this.#bpf.obj);
    const pressure = (c[COUNTER.shared] ?? 0) + (c[COUNTER.overflowed] ?? 0) + (c[COUNTER.errnoFull] ?? 0);
    if (pressure === this.#pressure) return;
    const now = performance.now();
    if (now < this.#compactAfter) return;
    this.#pressure = pressure;
    if (this.compact() > 0) {
      this.#backoffMs = 0;
      this.#compactAfter = 0;
    } else {
      this.#backoffMs = Math.min(COMPACT_MAX_BACKOFF_MS, Math.max(COMPACT_CHECK_MS, this.#backoffMs * 2));
      this.#compactAfter = now + this.#backoffMs;
    }
  }

  /**
   * Deletes the keys of processes that have exited, after folding what they did in this window into
   * #folded (and their growth into the /metrics totals), so the window loses nothing and the maps have
   * room again. Returns how many keys it deleted.
   */
  compact(): number {
    const obj = this.#bpf?.obj;
    if (!obj) return 0;
    const base = this.#baseline;
    const dead: DeadKey[] = [];
    const exits = exitTracker();
    const commOf = new Map<string, string>();
    this.visitKeys((r) => {
      if (!exits.exited(r.tgid)) return;
      // Its last growth goes to the totals; no reading is kept, the key is deleted below.
      this.accumulate(r, false);
      const b = base?.keys.get(r.id);
      if (keyCount(r) - (b?.hist.count ?? 0) > 0) {
        const agg = aggFor(this.#folded, r.nr, r.comm);
        addHistogramDelta(agg.hist, r.value, VALUE_HIST, b?.hist);
        agg.errors += Math.max(0, keyErrors(r) - (b?.errors ?? 0));
      }
      commOf.set(`${r.nr}:${r.tgid}`, r.comm);
      dead.push({ id: r.id, nr: r.nr, tgid: r.tgid });
    });
    if (dead.length === 0) return 0;
    this.deleteKeys(dead);
    for (const r of dead) base?.keys.delete(r.id);
    const gone: [number, number, number][] = [];
    for (const [k, count] of this.readErrnos()) {
      const [nr, tgid, err] = k.split(':').map(Number) as [number, number, number];
      if (!exits.dead.has(tgid)) continue;
      const n = count - (base?.errnos.get(k) ?? 0);
      const comm = commOf.get(`${nr}:${tgid}`);
      const agg = comm !== undefined ? this.#folded.get(`${nr}\0${comm}`) : undefined;
      if (agg && n > 0) agg.errnos.set(err, (agg.errnos.get(err) ?? 0) + n);
      gone.push([nr, tgid, err]);
      base?.errnos.delete(k);
    }
    this.deleteErrnos(gone);
    return dead.length;
  }

  /**
   * Deletes keys from their kernel map (after a walk: deleting during it would disturb the batch cursor),
   * all of a map's keys in one native call: compacting ~10 000 keys of exited processes one bpf() call
   * each was most of compact() (bench/snapshot-cost).
   */
  private deleteKeys(dead: readonly DeadKey[]): void {
    const obj = this.#bpf!.obj;
    for (const map of ['hists', 'hists_shared'] as const) {
      const mine = dead.filter((r) => r.id.startsWith(map === 'hists' ? 'h' : 's'));
      if (mine.length === 0) continue;
      const keys = Buffer.alloc(mine.length * KEY.size);
      mine.forEach((r, i) => {
        keys.writeUInt32LE(r.nr, i * KEY.size + KEY.offset.nr);
        keys.writeUInt32LE(r.tgid, i * KEY.size + KEY.offset.tgid);
      });
      obj.map(map).deleteMany(keys);
    }
    for (const r of dead) this.#lastSeen.delete(r.id);
  }

  /** Deletes (nr, tgid, errno) keys from `errnos`, in one native call like deleteKeys. */
  private deleteErrnos(gone: readonly (readonly [number, number, number])[]): void {
    const keys = Buffer.alloc(gone.length * ERRNO_KEY.size);
    gone.forEach(([nr, tgid, err], i) => {
      const at = i * ERRNO_KEY.size;
      keys.writeUInt32LE(nr, at + ERRNO_KEY.offset.nr);
      keys.writeUInt32LE(tgid, at + ERRNO_KEY.offset.tgid);
      keys.writeUInt32LE(err, at + ERRNO_KEY.offset.err);
    });
    this.#bpf!.obj.map('errnos').deleteMany(keys);
  }

  stats(): CollectorStats {
    return bpfStats(this.#bpf, 4, { events: this.#events, drops: this.#drops }, DROPS);
  }

  /**
   * Each loss counter on its own (coverage sums them by reason): keys whose samples went to the overflow
   * bucket, errnos not counted, enter timestamps not stored.
   */
  lossCounters(): { overflowed: number; errnoFull: number; startFail: number } {
    const c = this.readDropCounters();
    return {
      overflowed: c[COUNTER.overflowed] ?? 0,
      errnoFull: c[COUNTER.errnoFull] ?? 0,
      startFail: c[COUNTER.startFail] ?? 0,
    };
  }

  /** Syscalls so far and the slowest one that is not a wait: two small per-CPU lookups and one comm. */
  live(): LiveReading {
    const obj = this.#bpf?.obj;
    if (!obj) throw new Error('syscall: live read before start');
    const events = readCounter(obj, COUNTER.events) ?? this.#events;
    const worst = readPerCpuMax(obj, 'slowest', SLOWEST.offset.max_ns);
    if (!worst) return { events };
    const nr = worst.readUInt32LE(SLOWEST.offset.nr);
    const tgid = worst.readUInt32LE(SLOWEST.offset.tgid);
    const comm = readCommOf(obj, tgid) ?? `pid ${tgid}`;
    return {
      events,
      top: {
        label: `slowest ${syscallName(nr)} · ${comm} (${tgid})`,
        value: Number(worst.readBigUInt64LE(SLOWEST.offset.max_ns)),
        unit: 'ns',
      },
    };
  }

  private readDropCounters(): number[] {
    const c = readCounters(this.#bpf!.obj);
    this.#events = c[COUNTER.events] ?? 0;
    this.#drops = dropsFrom(c, DROPS);
    return c;
  }

  /**
   * Visits everything the kernel aggregated since attach, chunk by chunk (no copy of the maps is kept).
   * A key present in both `hists` and `hists_shared` (the per-CPU pool ran dry once) is visited once per
   * map under two ids: windows and totals are sums of each entry's growth, so its two parts add up.
   */
  private visitKeys(fn: (r: RawKey) => void): void {
    const bpf = this.#bpf;
    if (!bpf) throw new Error('syscall: read before start');
    const obj = bpf.obj;
    const comms = readComms(obj);
    for (const { map, key, value } of foldedEntries(obj, ['hists', 'hists_shared', 'overflow'], REDUCE)) {
      const nr = key.readUInt32LE(KEY.offset.nr); // overflow's key is a u32 slot: the same offset
      if (map === 'overflow') {
        if (histCount(value, VALUE_HIST) > 0) fn({ id: `o${nr}`, nr, tgid: 0, comm: OTHER_COMM, value });
        continue;
      }
      const tgid = key.readUInt32LE(KEY.offset.tgid);
      const comm = comms.get(tgid) || cString(value, VALUE.offset.comm, 16) || `pid ${tgid}`;
      fn({ id: `${map === 'hists' ? 'h' : 's'}${nr}:${tgid}`, nr, tgid, comm, value });
    }
  }

  /** Errno counts keyed "nr:tgid:errno" (by tgid: a process's comm changes at execve). */
  private readErrnos(): Map<string, number> {
    const errnos = new Map<string, number>();
    for (const { key, value } of this.#bpf!.obj.map('errnos').dump()) {
      errnos.set(
        `${key.readUInt32LE(ERRNO_KEY.offset.nr)}:${key.readUInt32LE(ERRNO_KEY.offset.tgid)}:${key.readUInt32LE(ERRNO_KEY.offset.err)}`,
        Number(value.readBigUInt64LE(0)),
      );
    }
    return errnos;
  }

  async snapshot(_windowNs: number): Promise<SignalsPart> {
    const base = this.#baseline;
    const aggs = new Map<string, Agg>();
    for (const [k, a] of this.#folded)
      aggs.set(k, { ...a, hist: cloneHistogram(a.hist), errnos: new Map(a.errnos) });
    /** "nr:tgid" → comm of the keys active in the window, for the errno breakdown. */
    const commOf = new Map<string, string>();
    this.visitKeys((r) => {
      const b = base?.keys.get(r.id);
      // Unchanged since the baseline (most keys, between two scrapes): nothing to decode.
      if (keyCount(r) - (b?.hist.count ?? 0) <= 0) return;
      const agg = aggFor(aggs, r.nr, r.comm);
      addHistogramDelta(agg.hist, r.value, VALUE_HIST, b?.hist);
      agg.errors += Math.max(0, keyErrors(r) - (b?.errors ?? 0));
      if (r.tgid !== 0) commOf.set(`${r.nr}:${r.tgid}`, r.comm);
    });
    for (const [k, count] of this.readErrnos()) {
      const n = count - (base?.errnos.get(k) ?? 0);
      if (n <= 0) continue;
      const [nr, tgid, err] = k.split(':').map(Number) as [number, number, number];
      const comm = commOf.get(`${nr}:${tgid}`) ?? OTHER_COMM;
      const agg = aggs.get(`${nr}\0${comm}`);
      if (agg) agg.errnos.set(err, (agg.errnos.get(err) ?? 0) + n);
    }
    this.readDropCounters();
    return { syscall: buildSignals(aggs) };
  }

  /**
   * New window: the current cumulative reading becomes the baseline. Keys of processes that have exited
   * are deleted from the kernel maps here (the kernel never deletes them, and a long-running daemon would
   * fill the maps); their totals are folded into the metrics state first, so metrics() stays cumulative.
   */
  async reset(): Promise<void> {
    const obj = this.#bpf?.obj;
    if (!obj) return;
    const keys = new Map<string, BaseKey>();
    const dead: DeadKey[] = [];
    const exits = exitTracker();
    this.visitKeys((r) => {
      // Totals first: a key about to be pruned leaves its last growth in the metrics state (and no reading).
      const gone = exits.exited(r.tgid);
      this.accumulate(r, !gone);
      if (gone) {
        dead.push({ id: r.id, nr: r.nr, tgid: r.tgid });
        return;
      }
      // accumulate() just left a reading with this count in #lastSeen (readings are replaced, never
      // mutated): the baseline shares its slots instead of decoding the key a second time. Errors are taken
      // from this read, as before: the kernel bumps them a moment after the count.
      const seen = this.#lastSeen.get(r.id)!;
      const errors = keyErrors(r);
      keys.set(r.id, seen.errors === errors ? seen : { errors, hist: seen.hist });
    });
    this.deleteKeys(dead);
    const errnos = this.readErrnos();
    const gone: [number, number, number][] = [];
    for (const k of [...errnos.keys()]) {
      const [nr, tgid, err] = k.split(':').map(Number) as [number, number, number];
      if (!exits.dead.has(tgid)) continue;
      gone.push([nr, tgid, err]);
      errnos.delete(k);
    }
    this.deleteErrnos(gone);
    this.#baseline = { keys, errnos };
    this.#folded.clear();
    // The live view's slowest is per window too (nothing else reads it).
    obj.map('slowest').clear();
  }

  /** Adds a key's growth since it was last seen to the per-name metrics totals. */
  private accumulate(r: RawKey, remember = true): void {
    const last = this.#lastSeen.get(r.id);
    const count = keyCount(r);
    if (last && count === last.hist.count) return;
    // A count below the last one means the key was deleted and re-created: all of it is new.
    const since = last && count > last.hist.count ? last : undefined;
    const name = syscallName(r.nr);
    let x = this.#cumulative.get(name);
    if (!x) this.#cumulative.set(name, (x = { hist: emptyHistogram(), errors: 0 }));
    addHistogramDelta(x.hist, r.value, VALUE_HIST, since?.hist);
    x.errors += Math.max(0, keyErrors(r) - (since?.errors ?? 0));
    if (remember)
      this.#lastSeen.set(r.id, { errors: keyErrors(r), hist: readHistogram(r.value, VALUE_HIST) });
    else this.#lastSeen.delete(r.id);
  }

  /** Cumulative per-syscall-name series (bounded: top METRIC_SYSCALLS by calls, the rest "[other]"). */
  async metrics(): Promise<CollectorMetrics> {
    this.visitKeys((r) => this.accumulate(r));
    this.readDropCounters();
    const ranked = [...this.#cumulative.entries()]
      .map(([name, x]): [string, { hist: Histogram; errors: number }] => [
        name,
        { hist: cloneHistogram(x.hist), errors: x.errors },
      ])
      .sort((a, b) => b[1].hist.count - a[1].hist.count);
    const other = { hist: emptyHistogram(), errors: 0 };
    const series: [string, { hist: Histogram; errors: number }][] = ranked.slice(0, METRIC_SYSCALLS);
    for (const [, x] of ranked.slice(METRIC_SYSCALLS)) {
      mergeHistogram(other.hist, x.hist);
      other.errors += x.errors;
    }
    if (other.hist.count > 0) series.push([OTHER_COMM, other]);
    return {
      histograms: {
        syscall_duration_seconds: series.map(([syscall, x]) => ({ labels: { syscall }, value: x.hist })),
      },
      counters: {
        syscalls_total: series.map(([syscall, x]) => ({ labels: { syscall }, value: x.hist.count })),
        syscall_errors_total: series.map(([syscall, x]) => ({ labels: { syscall }, value: x.errors })),
      },
    };
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#bpf?.close();
  }
}

function aggFor(aggs: Map<string, Agg>, nr: number, comm: string): Agg {
  const k = `${nr}\0${comm}`;
  let a = aggs.get(k);
  if (!a) aggs.set(k, (a = { nr, comm, errors: 0, hist: emptyHistogram(), errnos: new Map() }));
  return a;
}

function add(aggs: Map<string, Agg>, nr: number, comm: string, errors: number, h: Histogram): void {
  const k = `${nr}\0${comm}`;
  const a = aggs.get(k);
  if (a) {
    a.errors += errors;
    mergeHistogram(a.hist, h);
  } else aggs.set(k, { nr, comm, errors, hist: h, errnos: new Map() });
}

function toEntry(a: Agg): SyscallEntry {
  const name = syscallName(a.nr);
  const errnos = [...a.errnos.entries()]
    .sort((x, y) => y[1] - x[1])
    .slice(0, SYSCALL_LIMITS.errnosPerEntry)
    // The errno map is read a moment after the histograms: clamp so a breakdown never exceeds the total.
    .map(([errno, count]) => ({
      errno,
      name: ERRNO_NAMES.get(errno) ?? `E${errno}`,
      count: Math.min(count, a.errors),
    }));
  return {
    nr: a.nr,
    name,
    comm: a.comm,
    count: a.hist.count,
    errors: a.errors,
    errnos,
    latency: percentiles(a.hist),
    blocking: BLOCKING.has(name),
  };
}

/** Bounded, ranked view: the entries rules care about survive; the rest fold into per-syscall "[other]". */
export function buildSignals(aggs: Map<string, Agg>): SyscallSignals {
  // Percentiles cost a walk over 272 slots: with 10 000 keys, compute them only where they can matter.
  const all = [...aggs.values()];
  let totalCount = 0;
  let totalErrors = 0;
  for (const a of all) {
    totalCount += a.hist.count;
    totalErrors += a.errors;
  }
  const named = all.filter((a) => a.comm !== OTHER_COMM);
  const keep = new Set<Agg>();
  const top = (list: Agg[], n: number, score: (a: Agg) => number): void => {
    for (const a of [...list].sort((p, q) => score(q) - score(p)).slice(0, n)) if (score(a) > 0) keep.add(a);
  };
  // Top by p99 among non-blocking syscalls: a blocking one's p99 is how long it waited, and idle waits would
  // take every latency slot from calls whose time is work (they stay in the snapshot by count and errors).
  // p99 never exceeds the max, so candidates are visited by max and the walk stops once no remaining max can beat the n-th best p99 found.
  const candidates = named
    .filter((a) => !BLOCKING.has(syscallName(a.nr)))
    .sort((p, q) => q.hist.maxNs - p.hist.maxNs);
  const best: { a: Agg; p99: number }[] = [];
  for (const a of candidates) {
    if (best.length >= SYSCALL_LIMITS.byLatency && a.hist.maxNs <= best[best.length - 1]!.p99) break;
    const p99 = quantile(a.hist, 0.99);
    if (p99 <= 0) continue;
    best.push({ a, p99 });
    best.sort((p, q) => q.p99 - p.p99);
    if (best.length > SYSCALL_LIMITS.byLatency) best.pop();
  }
  for (const b of best) keep.add(b.a);
  top(named, SYSCALL_LIMITS.byErrors, (a) => a.errors);
  top(named, SYSCALL_LIMITS.byCount, (a) => a.hist.count);
  // Everything not kept (and the kernel's own overflow bucket) folds into one "[other]" entry per syscall.
  const other = new Map<string, Agg>();
  for (const a of all) {
    if (keep.has(a)) continue;
    const copy = emptyHistogram();
    mergeHistogram(copy, a.hist);
    add(other, a.nr, OTHER_COMM, a.errors, copy);
    const o = other.get(`${a.nr}\0${OTHER_COMM}`)!;
    for (const [k, v] of a.errnos) o.errnos.set(k, (o.errnos.get(k) ?? 0) + v);
  }
  const otherEntries = [...other.values()]
    .sort((p, q) => q.hist.count - p.hist.count)
    .slice(0, SYSCALL_LIMITS.otherBuckets)
    .map(toEntry);
  const entries = [...[...keep].map(toEntry), ...otherEntries].sort(
    (p, q) => q.latency.p99 - p.latency.p99 || q.count - p.count,
  );
  return { totalCount, totalErrors, entries, blockingSyscalls: [...BLOCKING_SYSCALLS] };
}
