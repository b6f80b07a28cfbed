// kerno's own cost as the kernel counts it: each loaded program's run count and run time
// (`bpf_prog_info.run_cnt` / `run_time_ns`) and the events the kernel skipped for it (`recursion_misses`).
// The kernel counts run time only while BPF statistics are enabled; a BPF_ENABLE_STATS handle enables them
// for as long as it is open and, once closed, leaves `kernel.bpf_stats_enabled` as it found it (a counted
// reference, not a write to the sysctl). The counters are cumulative per program: a window is a baseline
// and a difference.
import { readFileSync } from 'node:fs';
import type { ProgramCost, SelfCost } from '../signals/types.js';
import { native } from './native.js';
import { BpfObject } from './object.js';

export interface ProgramCounters {
  object: string;
  program: string;
  runs: number;
  runTimeNs: number;
  recursionMisses: number;
}

/** Cumulative counters of every program loaded in this process, by kernel program id. */
export function programCounters(): Map<number, ProgramCounters> {
  const out = new Map<number, ProgramCounters>();
  for (const obj of BpfObject.loadedObjects()) {
    for (const [id, c] of objectProgramCounters(obj)) out.set(id, c);
  }
  return out;
}

/** Cumulative counters of one object's loaded programs, by kernel program id (none once it is closed). */
export function objectProgramCounters(obj: BpfObject): Map<number, ProgramCounters> {
  const out = new Map<number, ProgramCounters>();
  if (obj.closed) return out;
  for (const p of obj.programs()) {
    if (!p.autoload) continue;
    const info = obj.programInfo(p.name);
    if (info === null) continue; // not loaded (an optional program the kernel lacks)
    out.set(info.id, {
      object: obj.name,
      program: p.name,
      runs: info.runCount,
      runTimeNs: info.runTimeNs,
      recursionMisses: info.recursionMisses,
    });
  }
  return out;
}

/** Runs the kernel skipped for the object's loaded programs (`recursion_misses`, cumulative since load). */
export function objectRecursionMisses(obj: BpfObject): number {
  let n = 0;
  for (const c of objectProgramCounters(obj).values()) n += c.recursionMisses;
  return n;
}

function sysctlOn(): boolean {
  try {
    return readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

/** Keeps the kernel counting program run time while open. */
export class RunStatsHandle {
  #fd: number | undefined;
  readonly counting: boolean;
  readonly reason: string | undefined;

  private constructor(fd: number | undefined, reason: string | undefined) {
    this.#fd = fd;
    this.counting = fd !== undefined || sysctlOn();
    this.reason = this.counting ? undefined : reason;
  }

  /** Never throws: a kernel or a process that cannot enable statistics yields a handle that says why. */
  static open(): RunStatsHandle {
    try {
      return new RunStatsHandle(native().enableStats(), undefined);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      return new RunStatsHandle(undefined, `BPF run-time statistics unavailable (${msg})`);
    }
  }

  /** A handle that enables nothing: figures are counted only if the sysctl is on anyway. */
  static off(): RunStatsHandle {
    return new RunStatsHandle(undefined, 'BPF run-time statistics off (runtime.bpf_stats: false)');
  }

  close(): void {
    if (this.#fd === undefined) return;
    native().closeFd(this.#fd);
    this.#fd = undefined;
  }
}

/** One window of program cost: a baseline taken by `mark()`, differences read by `read()`. */
export class CostWindow {
  #baseline = new Map<number, ProgramCounters>();

  constructor(private readonly stats: RunStatsHandle) {}

  mark(): void {
    this.#baseline = programCounters();
  }

  /**
   * The window's cost. A program loaded after `mark()` (a collector restarted) counts from its load; one
   * closed during the window (the collector it belonged to restarted) is not in the figures.
   */
  read(windowNs: number): SelfCost {
    const programs: ProgramCost[] = [];
    for (const [id, now] of programCounters()) {
      const base = this.#baseline.get(id);
      const runs = Math.max(0, now.runs - (base?.runs ?? 0));
      const runTimeNs = Math.max(0, now.runTimeNs - (base?.runTimeNs ?? 0));
      programs.push({
        object: now.object,
        program: now.program,
        runs,
        runTimeNs,
        avgNs: runs > 0 ? runTimeNs / runs : 0,
        recursionMisses: Math.max(0, now.recursionMisses - (base?.recursionMisses ?? 0)),
      });
    }
    programs.sort(
      (a, b) => b.runTimeNs - a.runTimeNs || a.object.localeCompare(b.object) || a.program.localeCompare(b.program),
    );
    const totalRuns = programs.reduce((n, p) => n + p.runs, 0);
    const totalRunTimeNs = programs.reduce((n, p) => n + p.runTimeNs, 0);
    // Another process may hold statistics on (a BPF_ENABLE_STATS handle does not show in the sysctl): run
    // time that grew was counted, whoever turned the counting on.
    const counted = this.stats.counting || totalRunTimeNs > 0;
    return {
      counted,
      ...(!counted && this.stats.reason !== undefined ? { reason: this.stats.reason } : {}),
      windowNs,
      programs,
      totalRuns,
      totalRunTimeNs,
      cpuPctOfOneCore: windowNs > 0 ? (totalRunTimeNs / windowNs) * 100 : 0,
      totalRecursionMisses: programs.reduce((n, p) => n + p.recursionMisses, 0),
    };
  }
}
