// A running `kerno trace` stream: the loaded object, its ring buffer drained on a timer, records decoded
// in batches, and the drop accounting the user is shown (kernel-side reserve failures and state-map
// overflows from the per-CPU `counters`, user-side batches the drainer had to give up).
import type { RingBuffer } from '../bpf/ringbuf.js';
import type { BpfObject } from '../bpf/object.js';
import { readCounters } from '../bpf/read.js';
import { loadTraceObject, type LoadedTrace } from './loader.js';
import {
  COUNTER,
  DISK_EVENT,
  MonoClock,
  SCHED_EVENT,
  SYSCALL_EVENT,
  decodeDiskEvent,
  decodeSchedEvent,
  decodeSyscallEvent,
  type DiskEvent,
  type SchedEvent,
  type SyscallEvent,
} from './records.js';
import {
  diskRodata,
  schedRodata,
  syscallRodata,
  type DiskFilters,
  type SchedFilters,
  type SyscallFilters,
} from './filters.js';
import type { StructLayout } from '../bpf/layout.js';
import type { RodataValue } from './filters.js';

export interface TraceDrops {
  /** Records the kernel could not reserve: the ring buffer was full. */
  ringbufFull: number;
  /** Events not followed: no room for their start state (task storage, in-flight requests, top keys). */
  mapFull: number;
  /** Records read from the ring buffer but dropped in user space (the consumer fell behind). */
  userDropped: number;
}

export interface TraceStats {
  /** Events that passed every filter in the kernel. */
  events: number;
  /** Records delivered to the consumer. */
  records: number;
  drops: TraceDrops;
}

export function totalDrops(d: TraceDrops): number {
  return d.ringbufFull + d.mapFull + d.userDropped;
}

export interface TraceStreamOptions<T> {
  /** One call per drained batch, in ring-buffer order. */
  onEvents(events: T[]): void;
  /** How often the ring buffer is drained. Default 20 ms. */
  drainIntervalMs?: number;
}

export class TraceSession<T> {
  #records = 0;
  #last: TraceStats = { events: 0, records: 0, drops: { ringbufFull: 0, mapFull: 0, userDropped: 0 } };
  readonly #rb: RingBuffer;

  private constructor(
    private readonly loaded: LoadedTrace,
    decode: (rec: Buffer, clock: MonoClock) => T | undefined,
    opts: TraceStreamOptions<T>,
  ) {
    const clock = new MonoClock();
    this.#rb = loaded.obj.ringBuffer(
      'events',
      (recs) => {
        const out: T[] = [];
        for (const r of recs) {
          const e = decode(r, clock);
          if (e !== undefined) out.push(e);
        }
        this.#records += out.length;
        if (out.length > 0) opts.onEvents(out);
      },
      { intervalMs: opts.drainIntervalMs ?? 20 },
    );
  }

  static async start<T>(
    object: string,
    programs: string[],
    rodata: RodataValue[],
    layout: StructLayout,
    decode: (rec: Buffer, clock: MonoClock) => T | undefined,
    opts: TraceStreamOptions<T>,
  ): Promise<TraceSession<T>> {
    const loaded = await loadTraceObject({ object, programs, rodata, layouts: [layout] });
    try {
      return new TraceSession(loaded, decode, opts);
    } catch (err) {
      loaded.obj.close();
      throw err;
    }
  }

  /** The loaded object (tests and diagnostics: program run counts, maps). */
  get object(): BpfObject {
    return this.loaded.obj;
  }

  stats(): TraceStats {
    if (this.loaded.obj.closed) return structuredClone(this.#last);
    const c = readCounters(this.loaded.obj);
    const rb = this.#rb.stats();
    this.#last = {
      events: c[COUNTER.events] ?? 0,
      records: this.#records,
      drops: {
        ringbufFull: c[COUNTER.ringbufFull] ?? 0,
        mapFull: c[COUNTER.mapFull] ?? 0,
        userDropped: rb.droppedRecords,
      },
    };
    return structuredClone(this.#last);
  }

  /** Detaches, delivers what the kernel had written, and frees the object. Idempotent. */
  async stop(): Promise<TraceStats> {
    if (this.loaded.obj.closed) return structuredClone(this.#last);
    for (const l of this.loaded.links) l.destroy();
    await this.#rb.flush();
    const s = this.stats();
    this.loaded.obj.close();
    return s;
  }
}

export function startSyscallTrace(
  f: SyscallFilters,
  opts: TraceStreamOptions<SyscallEvent>,
): Promise<TraceSession<SyscallEvent>> {
  return TraceSession.start(
    'trace_syscall',
    ['sys_enter', 'sys_exit'],
    syscallRodata(f),
    SYSCALL_EVENT,
    decodeSyscallEvent,
    opts,
  );
}

export function startDiskTrace(
  f: DiskFilters,
  opts: TraceStreamOptions<DiskEvent>,
): Promise<TraceSession<DiskEvent>> {
  return TraceSession.start(
    'trace_disk',
    ['block_rq_issue', 'block_rq_complete'],
    diskRodata(f),
    DISK_EVENT,
    decodeDiskEvent,
    opts,
  );
}

export function startSchedTrace(
  f: SchedFilters,
  opts: TraceStreamOptions<SchedEvent>,
): Promise<TraceSession<SchedEvent>> {
  return TraceSession.start(
    'trace_sched',
    ['sched_wakeup', 'sched_wakeup_new', 'sched_switch'],
    schedRodata(f),
    SCHED_EVENT,
    decodeSchedEvent,
    opts,
  );
}
