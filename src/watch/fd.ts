// `kerno watch fd`: per window, per process, descriptors opened and closed, the net change and its rate;
// a process at or above the threshold rate is a leak suspect. Counted in the kernel by the fd collector's
// program (bpf/fd.bpf.c, cumulative per tgid); a window is the difference of two readings.
import { loadBpfObject, type LoadedBpf } from '../collectors/bpf-loader.js';
import { FD_VALUE_LAYOUT } from '../collectors/fd.js';
import { cString, readComms } from '../bpf/read.js';
import { monotonicNs } from '../util/clock.js';

const V = FD_VALUE_LAYOUT.offset;

/** Cumulative counts of one process since the program first saw it. */
export interface FdReading {
  opens: number;
  closes: number;
  /** Tells a recycled pid from the same process (the kernel's insert time). */
  firstSeenNs: number;
  comm: string;
}

export interface FdWatchProcess {
  pid: number;
  comm: string;
  opens: number;
  closes: number;
  /** opens − closes over the window. */
  net: number;
  /** net ÷ window length, descriptors per second. */
  ratePerSec: number;
  /** ratePerSec ≥ the threshold. */
  leak: boolean;
}

export interface FdWatchWindow {
  timestamp: string;
  intervalNs: number;
  elapsedNs: number;
  thresholdPerSec: number;
  /** Leak suspects, or every process with activity when asked for all; rate descending. May be empty. */
  processes: FdWatchProcess[];
}

/**
 * The window between two readings. A pid absent from `before`, or present with another first-seen time
 * (the pid was reused), counts from zero: it was first seen during the window.
 */
export function fdWindow(
  before: ReadonlyMap<number, FdReading>,
  after: ReadonlyMap<number, FdReading>,
  elapsedNs: number,
  thresholdPerSec: number,
  all = false,
): FdWatchProcess[] {
  const seconds = elapsedNs / 1e9;
  const out: FdWatchProcess[] = [];
  for (const [pid, a] of after) {
    const b = before.get(pid);
    const same = b !== undefined && b.firstSeenNs === a.firstSeenNs;
    const opens = a.opens - (same ? b.opens : 0);
    const closes = a.closes - (same ? b.closes : 0);
    if (opens === 0 && closes === 0) continue;
    const net = opens - closes;
    const ratePerSec = seconds > 0 ? net / seconds : 0;
    // A process whose descriptor count did not grow is not leaking, whatever the threshold (0 included).
    const leak = net > 0 && ratePerSec >= thresholdPerSec;
    if (leak || all) out.push({ pid, comm: a.comm, opens, closes, net, ratePerSec, leak });
  }
  return out.sort((x, y) => y.ratePerSec - x.ratePerSec || y.opens - x.opens || x.pid - y.pid);
}

export class FdWatcher {
  #bpf: LoadedBpf | undefined;
  #before = new Map<number, FdReading>();
  #windowStart = 0;

  constructor(
    private readonly intervalNs: number,
    private readonly thresholdPerSec: number,
    private readonly all = false,
  ) {}

  async start(): Promise<void> {
    this.#bpf = await loadBpfObject(
      'fd',
      [{ programs: ['sys_exit', 'sched_process_exit', 'sched_process_exec', 'task_rename'] }],
      [FD_VALUE_LAYOUT],
    );
    this.#before = this.read();
    this.#windowStart = monotonicNs();
  }

  private read(): Map<number, FdReading> {
    const obj = this.#bpf?.obj;
    if (!obj) throw new Error('watch fd: read before start');
    const procs = obj.map('procs');
    const comms = readComms(obj);
    const out = new Map<number, FdReading>();
    for (const { key, value } of procs.dump()) {
      const pid = key.readUInt32LE(0);
      const r: FdReading = { opens: 0, closes: 0, firstSeenNs: 0, comm: '' };
      // Per-CPU copies: counts sum; first-seen and comm live only in the inserting CPU's copy (bpf/fd.h).
      for (const cpu of procs.perCpuValues(value)) {
        r.opens += Number(cpu.readBigUInt64LE(V.opens));
        r.closes += Number(cpu.readBigUInt64LE(V.closes));
        const fs = Number(cpu.readBigUInt64LE(V.first_seen_ns));
        if (fs > 0 && (r.firstSeenNs === 0 || fs < r.firstSeenNs)) r.firstSeenNs = fs;
        if (!r.comm) r.comm = cString(cpu, V.comm, 16);
      }
      r.comm = comms.get(pid) || r.comm || `pid ${pid}`;
      out.set(pid, r);
    }
    return out;
  }

  /** Ends the current window and returns it; the next one starts now. */
  tick(): FdWatchWindow {
    const now = monotonicNs();
    const after = this.read();
    const elapsedNs = now - this.#windowStart;
    const processes = fdWindow(this.#before, after, elapsedNs, this.thresholdPerSec, this.all);
    this.#before = after;
    this.#windowStart = now;
    return {
      timestamp: new Date().toISOString(),
      intervalNs: this.intervalNs,
      elapsedNs,
      thresholdPerSec: this.thresholdPerSec,
      processes,
    };
  }

  stop(): void {
    this.#bpf?.close();
    this.#bpf = undefined;
  }
}
