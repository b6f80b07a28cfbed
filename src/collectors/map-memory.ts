// Kernel memory of kerno's collector maps as the collectors load them (issue #20): memlock now, and the
// modelled worst case (every map full) at other CPU counts with the loader's memory budgets applied there.
// What `bpf-verify --json` reports under `mapMemory` and bench/map-memory tabulates.
import { basename } from 'node:path';
import { mapMemory, type MapMemory } from '../bpf/map-memory.js';
import { possibleCpus } from '../bpf/map.js';
import { budgetedMaxEntries, loadedObjects, type LoadedBpf } from './bpf-loader.js';
import { collectorDefs } from './registry.js';
import type { Collector, CollectorContext } from './types.js';

/** The bound kerno's collector maps must stay under, full, at any CPU count (bench/README.md). */
export const MAP_MEMORY_BOUND = 32 << 20;

/** CPU counts the worst case is stated at by default: this host's, and two big hosts'. */
export const DEFAULT_CPU_COUNTS = [2, 16, 64, 192] as const;

export interface ObjectMapMemory {
  object: string;
  maps: MapMemory[];
  /** Sum of the maps' memlock now. */
  memlockBytes: number;
  /** Sum of the maps' modelled worst case at each CPU count (key: CPU count). */
  worstCaseBytes: Record<number, number>;
}

export interface MapMemoryReport {
  /** Possible CPUs of this host (the per-CPU maps' copies). */
  cpus: number;
  objects: ObjectMapMemory[];
  memlockBytes: number;
  worstCaseBytes: Record<number, number>;
  boundBytes: number;
  /** Collectors that did not start (their maps are not counted). */
  errors: { collector: string; error: string }[];
}

/** One loaded collector object's maps; the worst case re-sizes each map as the loader would at that CPU count. */
export function loadedMapMemory(loaded: LoadedBpf, cpuCounts: readonly number[]): ObjectMapMemory {
  const defs = new Map(loaded.definitions.map((d) => [d.name, d]));
  const maps = mapMemory(loaded.obj.mapInfos(), cpuCounts, (m, cpus) =>
    budgetedMaxEntries(defs.get(m.name) ?? m, cpus),
  );
  return {
    object: basename(loaded.obj.path).replace(/\.bpf\.o$/, ''),
    maps,
    memlockBytes: maps.reduce((s, m) => s + (m.memlockBytes ?? 0), 0),
    worstCaseBytes: sumBy(maps, cpuCounts),
  };
}

function sumBy(xs: readonly { worstCaseBytes: Record<number, number> }[], cpuCounts: readonly number[]) {
  return Object.fromEntries(
    cpuCounts.map((n) => [n, xs.reduce((s, x) => s + (x.worstCaseBytes[n] ?? 0), 0)]),
  );
}

export function mapMemoryReport(
  objects: ObjectMapMemory[],
  cpuCounts: readonly number[],
  errors: MapMemoryReport['errors'] = [],
): MapMemoryReport {
  return {
    cpus: possibleCpus(),
    objects,
    memlockBytes: objects.reduce((s, o) => s + o.memlockBytes, 0),
    worstCaseBytes: sumBy(objects, cpuCounts),
    boundBytes: MAP_MEMORY_BOUND,
    errors,
  };
}

/**
 * Starts every BPF collector of the default configuration (what `kerno doctor` loads), reads its maps'
 * memory, and stops them. Needs the BPF privileges bpf-verify checks.
 */
export async function collectorMapMemory(
  cpuCounts: readonly number[] = DEFAULT_CPU_COUNTS,
  /** Called while the collectors are up, after the report is read (a bench cross-checks with bpftool). */
  whileLoaded?: () => void,
): Promise<MapMemoryReport> {
  const ac = new AbortController();
  const ctx: CollectorContext = { signal: ac.signal, fault: () => {}, log: () => {} };
  const started: Collector[] = [];
  const errors: MapMemoryReport['errors'] = [];
  const before = new Set(loadedObjects());
  try {
    await Promise.all(
      collectorDefs()
        .filter((d) => d.bpf)
        .map(async (d) => {
          const c = d.factory();
          started.push(c);
          try {
            await c.start(ctx);
          } catch (err) {
            errors.push({ collector: d.name, error: (err as Error).message });
          }
        }),
    );
    const objects = loadedObjects()
      .filter((l) => !before.has(l))
      .map((l) => loadedMapMemory(l, cpuCounts))
      .sort((a, b) => a.object.localeCompare(b.object));
    whileLoaded?.();
    return mapMemoryReport(objects, cpuCounts, errors);
  } finally {
    ac.abort();
    await Promise.allSettled(started.map((c) => c.stop()));
  }
}
