// `kerno trace syscall --top`: latency per (syscall, process) aggregated in the kernel into log-linear
// histograms (bpf/hist.h), one generation per window. Each tick advances the generation the programs
// write under, then reads and deletes the previous generations' keys: samples taken while the tick runs
// land in the new window instead of being lost or counted twice. Nothing crosses the ring buffer.
import { commHistReduce, cString, foldedEntries, readCounters } from '../bpf/read.js';
import { addHistogram, emptyHistogram, percentiles, type Histogram } from '../bpf/histogram.js';
import { loadTraceObject, type LoadedTrace } from './loader.js';
import { COUNTER, TOP_KEY, TOP_VALUE } from './records.js';
import { syscallNameOf, syscallRodata, type SyscallFilters } from './filters.js';
import type { TraceStats } from './session.js';

/** The per-CPU map and its shared fallback (bpf/trace.h): a key's window is the sum of both. */
const TOP_MAPS = ['top', 'top_shared'];

export interface TopRow {
  syscall: string;
  syscallNr: number;
  pid: number;
  comm: string;
  count: number;
  p50Ns: number;
  p95Ns: number;
  p99Ns: number;
  maxNs: number;
}

export interface TopWindow {
  /** When the window ended (ISO). */
  timestamp: string;
  /** How long the window lasted, ns. */
  windowNs: number;
  /** Every (syscall, process) seen in the window, slowest p99 first. */
  rows: TopRow[];
}

/** Slowest p99 first; ties by count, then name, so equal rows do not swap places between refreshes. */
export function rankRows(rows: TopRow[]): TopRow[] {
  return rows.sort(
    (a, b) => b.p99Ns - a.p99Ns || b.count - a.count || a.syscall.localeCompare(b.syscall) || a.pid - b.pid,
  );
}

export class SyscallTop {
  #gen = 0;
  #lastTick: number;
  readonly #genKey = Buffer.alloc(4);
  readonly #genValue = Buffer.alloc(4);

  private constructor(private readonly loaded: LoadedTrace) {
    this.#lastTick = Number(process.hrtime.bigint());
  }

  static async start(f: SyscallFilters): Promise<SyscallTop> {
    const loaded = await loadTraceObject({
      object: 'trace_syscall',
      programs: ['sys_enter', 'sys_exit_top'],
      rodata: syscallRodata(f),
      layouts: [TOP_KEY, TOP_VALUE],
    });
    return new SyscallTop(loaded);
  }

  /** Ends the current window and returns it. */
  tick(now = new Date()): TopWindow {
    const obj = this.loaded.obj;
    this.#gen = (this.#gen + 1) >>> 0;
    this.#genValue.writeUInt32LE(this.#gen);
    obj.map('top_gen').update(this.#genKey, this.#genValue);
    const mono = Number(process.hrtime.bigint());
    const windowNs = mono - this.#lastTick;
    this.#lastTick = mono;

    const acc = new Map<string, { nr: number; pid: number; comm: string; h: Histogram }>();
    const stale: { map: string; key: Buffer }[] = [];
    const reduce = commHistReduce(TOP_VALUE.offset.comm, TOP_VALUE.offset.h);
    for (const { map, key, value } of foldedEntries(obj, TOP_MAPS, reduce)) {
      if (key.readUInt32LE(TOP_KEY.offset.gen) === this.#gen) continue;
      stale.push({ map, key: Buffer.from(key) });
      const nr = key.readUInt32LE(TOP_KEY.offset.nr);
      const pid = key.readUInt32LE(TOP_KEY.offset.tgid);
      const id = `${nr}:${pid}`;
      let a = acc.get(id);
      const comm = cString(value, TOP_VALUE.offset.comm, 16);
      if (!a) acc.set(id, (a = { nr, pid, comm, h: emptyHistogram() }));
      else if (!a.comm) a.comm = comm;
      addHistogram(a.h, value, TOP_VALUE.offset.h);
    }
    for (const { map, key } of stale) obj.map(map).delete(key);
    const rows: TopRow[] = [];
    for (const a of acc.values()) {
      const p = percentiles(a.h);
      if (p.count === 0) continue;
      rows.push({
        syscall: syscallNameOf(a.nr),
        syscallNr: a.nr,
        pid: a.pid,
        comm: a.comm,
        count: p.count,
        p50Ns: p.p50,
        p95Ns: p.p95,
        p99Ns: p.p99,
        maxNs: p.max,
      });
    }
    return { timestamp: now.toISOString(), windowNs, rows: rankRows(rows) };
  }

  stats(): TraceStats {
    const c = this.loaded.obj.closed ? [] : readCounters(this.loaded.obj);
    return {
      events: c[COUNTER.events] ?? 0,
      records: 0,
      drops: { ringbufFull: 0, mapFull: c[COUNTER.mapFull] ?? 0, userDropped: 0 },
    };
  }

  stop(): TraceStats {
    const s = this.stats();
    this.loaded.obj.close();
    return s;
  }
}
