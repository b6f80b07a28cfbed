// Load policy of a collector's BPF object: tries program variants in order (e.g. task-storage programs,
// then the hash fallback), checks the record layouts the collector decodes against the object's BTF, caps
// per-CPU maps by memory, filters kerno's own PID, attaches, and reports loaded/total for coverage and
// readiness. Reading helpers live with the facade (src/bpf/read.ts).
import { BpfObject, type AttachOptions, type Link } from '../bpf/object.js';
import { possibleCpus } from '../bpf/map.js';
import { layoutDrift, type StructLayout } from '../bpf/layout.js';
import { readCounters } from '../bpf/read.js';
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
      for (const m of obj.mapInfos()) {
        if (m.type !== 'percpu_hash' && m.type !== 'lru_percpu_hash') continue;
        const cap = perCpuMaxEntries(m.maxEntries, m.valueSize, possibleCpus());
        if (cap < m.maxEntries) obj.setMaxEntries(m.name, cap);
      }
      for (const m of obj.mapInfos()) {
        const want = maxEntries[m.name];
        if (want !== undefined && want < m.maxEntries) obj.setMaxEntries(m.name, want);
      }
      await obj.load();
      const links = obj.attachAll(attach);
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
  const drops = live ? dropsFrom(live, dropIndexes) : last.drops;
  return {
    programsLoaded: bpf?.programsLoaded ?? 0,
    programsTotal: bpf?.programsTotal ?? programsTotal,
    // counters[0] is "events recorded" in every kerno program.
    events: live?.[0] ?? last.events,
    eventsDropped: sumDrops(drops),
    droppedByReason: drops,
  };
}
