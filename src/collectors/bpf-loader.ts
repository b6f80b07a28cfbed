// Load policy of a collector's BPF object: tries program variants in order (e.g. task-storage programs,
// then the hash fallback), checks the record layouts the collector decodes against the object's BTF, caps
// per-CPU maps by memory, filters kerno's own PID, attaches, and reports loaded/total for coverage and
// readiness. Reading helpers live with the facade (src/bpf/read.ts).
import { BpfObject, type AttachOptions, type Link } from '../bpf/object.js';
import type { RawMap } from '../bpf/native.js';
import { possibleCpus } from '../bpf/map.js';
import { layoutDrift, type StructLayout } from '../bpf/layout.js';
import { readCounters } from '../bpf/read.js';
import { objectRecursionMisses } from '../bpf/run-stats.js';
import type { DropReason } from '../signals/types.js';
import { sumDrops, type DropCounts } from '../events/stream.js';
import type { CollectorStats } from './types.js';
import { bpfObjectPath } from '../bpf/paths.js';
import { BpfError, toBpfError } from '../bpf/errors.js';

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
  /** Its maps as defined (the variant's unused maps shrunk), before the memory budgets: see budgetedMaxEntries. */
  definitions: RawMap[];
  programsLoaded: number;
  programsTotal: number;
  close(): void;
}

const live = new Set<LoadedBpf>();

/** Every collector object this process has loaded and not closed (bpf-verify's map-memory report). */
export function loadedObjects(): LoadedBpf[] {
  return [...live];
}

/**
 * Kernel memory one growable hash of kerno's may take when full, by kind, as a function of the CPU count.
 * A per-CPU hash costs value × possible CPUs per key (one 2.2 KB histogram is 427 KB at 192 CPUs), so on
 * big hosts it holds few keys and the programs put the rest in their shared fallback maps (bpf/syscall.h,
 * bpf/sched.h), themselves capped in bytes. The budgets shrink as 2/cpus from their 2-CPU size to a floor:
 * on a small host the per-CPU copies are cheap and the full key capacity (10 240 syscall keys, 8192
 * processes) is what keeps attribution under process churn (test/kernel/syscall-collector.test.ts), while
 * from 64 CPUs up the floors keep everything kerno loads under 32 MiB full (issue #20; bench/map-memory).
 * Preallocated maps are not capped here: their size is their definition's.
 */
export interface MapBudget {
  /** Bytes on a 2-CPU host (and below). */
  onTwo: number;
  /** Bytes on a big host: the budget never goes lower. */
  floor: number;
}
export const PERCPU_MAP_BUDGET: MapBudget = { onTwo: 64 << 20, floor: 2 << 20 };
export const SHARED_MAP_BUDGET: MapBudget = { onTwo: 32 << 20, floor: 4 << 20 };

/** A budget's bytes on a host of `cpus` possible CPUs. */
export function budgetBytes(b: MapBudget, cpus: number): number {
  return Math.max(b.floor, Math.floor((b.onTwo * 2) / Math.max(2, cpus)));
}

/** max_entries for a per-CPU hash under PERCPU_MAP_BUDGET (never raised, never below 1). */
export function perCpuMaxEntries(maxEntries: number, valueSize: number, cpus: number): number {
  const perKey = ((valueSize + 7) & ~7) * Math.max(1, cpus);
  return Math.min(maxEntries, Math.max(1, Math.floor(budgetBytes(PERCPU_MAP_BUDGET, cpus) / perKey)));
}

/**
 * The max_entries loadBpfObject gives a map on a host with `cpus` possible CPUs: per-CPU hashes under
 * PERCPU_MAP_BUDGET, shared no-prealloc hashes under SHARED_MAP_BUDGET (by value size: the bucket and
 * element headers are small beside kerno's values), everything else as defined. Also what the map-memory
 * model applies to state the worst case at a CPU count this host does not have.
 */
export function budgetedMaxEntries(
  m: { type: string; valueSize: number; maxEntries: number; flags: number },
  cpus: number,
): number {
  if (m.type === 'percpu_hash' || m.type === 'lru_percpu_hash')
    return perCpuMaxEntries(m.maxEntries, m.valueSize, cpus);
  if (m.type === 'hash' && (m.flags & BPF_F_NO_PREALLOC) !== 0) {
    const perKey = (m.valueSize + 7) & ~7;
    return Math.min(m.maxEntries, Math.max(1, Math.floor(budgetBytes(SHARED_MAP_BUDGET, cpus) / perKey)));
  }
  return m.maxEntries;
}

const BPF_F_NO_PREALLOC = 1;

/**
 * Refuses an object whose structs no longer match what the collector decodes: a stale build or a C change
 * without its TypeScript half would otherwise read every field at the wrong offset, silently.
 */
export function checkLayouts(obj: BpfObject, layouts: readonly StructLayout[]): void {
  const problems = layouts.flatMap((l) => layoutDrift(l, obj.btfStruct(l.struct)));
  if (problems.length === 0) return;
  throw new BpfError(
    `record layout drift between bpf/*.h and TypeScript (rebuild the BPF objects, or update ` +
      `the collector's layout): ${problems.join('; ')}`,
    { object: obj.path },
  );
}

export async function loadBpfObject(
  objectName: string,
  variants: ProgramVariant[],
  layouts: readonly StructLayout[] = [],
  /** Collector-specific .rodata values written before load (e.g. syscall's `live_waits` bitmap). */
  globals: Readonly<Record<string, Buffer>> = {},
  /** Where cgroup programs attach (the cgroup v2 root for a host-wide view); other programs ignore it. */
  attach?: AttachOptions,
  /**
   * Lower max_entries per map (never raised): what a host with more keys than entries looks like, at a
   * size a test can fill (the map-full path must reach coverage, and production maps take ~10 000 keys).
   */
  maxEntries: Readonly<Record<string, number>> = {},
): Promise<LoadedBpf> {
  let firstError: unknown;
  for (const variant of variants) {
    const obj = BpfObject.open(bpfObjectPath(objectName));
    try {
      checkLayouts(obj, layouts);
      obj.selectPrograms(variant.programs);
      obj.setGlobal('self_tgid', process.pid, 4);
      for (const [name, value] of Object.entries(globals)) obj.setGlobal(name, value);
      for (const m of variant.unusedMaps ?? []) obj.setMaxEntries(m, 1);
      const definitions = obj.mapInfos();
      for (const m of definitions) {
        const cap = budgetedMaxEntries(m, possibleCpus());
        if (cap < m.maxEntries) obj.setMaxEntries(m.name, cap);
      }
      for (const m of obj.mapInfos()) {
        const want = maxEntries[m.name];
        if (want !== undefined && want < m.maxEntries) obj.setMaxEntries(m.name, want);
      }
      await obj.load();
      const links = obj.attachAll(attach);
      const loaded: LoadedBpf = {
        obj,
        links,
        variant,
        definitions,
        programsLoaded: links.length,
        programsTotal: variant.programs.length,
        close: () => {
          live.delete(loaded);
          obj.close();
        },
      };
      live.add(loaded);
      return loaded;
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
 * The `counters` indexes (a collector's *_CNT_* in bpf/*.h) that count losses, by reason. A key that found
 * its map full is `map_full` even when its event still reached a host-wide total (a "drop of detail": the
 * overflow bucket, the global counters): what the report names is then less than what happened, and
 * coverage must say so rather than stay silent.
 */
export type DropIndexes = Partial<Record<DropReason, readonly number[]>>;

/** A collector's drops by reason from its `counters` (only reasons it has indexes for). */
export function dropsFrom(counters: readonly number[], indexes: DropIndexes): Partial<DropCounts> {
  const out: Partial<DropCounts> = {};
  for (const [reason, idx] of Object.entries(indexes) as [DropReason, readonly number[]][]) {
    out[reason] = idx.reduce((n, i) => n + (counters[i] ?? 0), 0);
  }
  return out;
}

/**
 * stats() of a BPF collector: programs from its loaded object (the variant's size before it loads), events
 * (counters[0]) and drops read live from `counters` (falling back to the last snapshot's figures once the
 * object is closed), so a window's coverage counts the drops up to its very end, not up to the last read.
 */
export function bpfStats(
  bpf: LoadedBpf | undefined,
  programsTotal: number,
  last: { events: number; drops: Partial<DropCounts> },
  dropIndexes: DropIndexes,
): CollectorStats {
  const live = bpf && !bpf.obj.closed ? readCounters(bpf.obj) : undefined;
  const drops: Partial<DropCounts> = live ? dropsFrom(live, dropIndexes) : { ...last.drops };
  // Runs the kernel skipped for the object's programs (`recursion_misses`, counted with or without BPF
  // run-time statistics): events the programs never saw. Read live like the counters.
  if (live && bpf) {
    const recursion = objectRecursionMisses(bpf.obj);
    if (recursion > 0) drops.recursion = recursion;
  }
  return {
    programsLoaded: bpf?.programsLoaded ?? 0,
    programsTotal: bpf?.programsTotal ?? programsTotal,
    // counters[0] is "events recorded" in every kerno program.
    events: live?.[0] ?? last.events,
    eventsDropped: sumDrops(drops),
    droppedByReason: drops,
  };
}
