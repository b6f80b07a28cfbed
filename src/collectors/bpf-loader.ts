// Load policy of a collector's BPF object: tries program variants in order (e.g. task-storage programs,
// then the hash fallback), checks the record layouts the collector decodes against the object's BTF, caps
// per-CPU maps by memory, filters kerno's own PID, attaches, and reports loaded/total for coverage and
// readiness. Reading helpers live with the facade (src/bpf/read.ts).
import { BpfObject, type AttachOptions, type Link } from '../bpf/object.js';
import type { RawMap } from '../bpf/native.js';
import { possibleCpus } from '../bpf/map.js';
import { layoutDrift, type StructLayout } from '../bpf/layout.js';
import { readCounter } from '../bpf/read.js';
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
    // counters[0] is "events recorded" in every kerno program.
    events: (bpf && readCounter(bpf.obj, 0)) ?? lastEvents,
    eventsDropped,
  };
}
