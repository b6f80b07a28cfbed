// Load policy of a collector's BPF object: tries program variants in order (e.g. task-storage programs,
// then the hash fallback), checks the record layouts the collector decodes against the object's BTF, caps
// per-CPU maps by memory, filters kerno's own PID, attaches, and reports loaded/total for coverage and
// readiness. Reading helpers live with the facade (src/bpf/read.ts).
import { BpfObject, type AttachOptions, type Link } from '../bpf/object.js';
import { possibleCpus } from '../bpf/map.js';
import { layoutDrift, type StructLayout } from '../bpf/layout.js';
import { readCounter } from '../bpf/read.js';
import type { CollectorStats } from './types.js';
import { sumDrops, type DropCounts } from '../events/stream.js';
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
 * stats() of a BPF collector: programs from its loaded object (the variant's size before it loads), events
 * read live from counters[0] (falling back to the last snapshot's figure once the object is closed), and
 * the drops its counters name plus the events the kernel skipped for its programs (`recursion_misses`).
 */
export function bpfStats(
  bpf: LoadedBpf | undefined,
  programsTotal: number,
  lastEvents: number,
  drops: Partial<DropCounts>,
): CollectorStats {
  const droppedByReason: Partial<DropCounts> = { ...drops };
  const recursion = bpf ? recursionMisses(bpf.obj) : 0;
  if (recursion > 0) droppedByReason.recursion = (droppedByReason.recursion ?? 0) + recursion;
  return {
    programsLoaded: bpf?.programsLoaded ?? 0,
    programsTotal: bpf?.programsTotal ?? programsTotal,
    // counters[0] is "events recorded" in every kerno program.
    events: (bpf && readCounter(bpf.obj, 0)) ?? lastEvents,
    eventsDropped: sumDrops(droppedByReason),
    droppedByReason,
  };
}

/** Runs the kernel skipped for the object's loaded programs (cumulative since load; counted without BPF stats). */
function recursionMisses(obj: BpfObject): number {
  if (obj.closed) return 0;
  let n = 0;
  for (const p of obj.programs()) {
    if (!p.autoload) continue;
    n += obj.programInfo(p.name)?.recursionMisses ?? 0;
  }
  return n;
}
