// The collector table: every collector module's `CollectorDef` (found by scripts/gen-registries.mjs, so a
// new signal adds no line here), in the report's order (COLLECTOR_SIGNALS), with the configuration bound.
import type { CollectorDef as ModuleDef, CollectorFactory, MetricFamily, RegistryOptions } from './types.js';
import { COLLECTOR_NAMES, type CollectorName } from '../signals/types.js';
import { COLLECTOR_DEFS } from './registry.gen.js';

export type { RegistryOptions };

/** A registry row: the module's definition with its factory bound to this run's options. */
export interface CollectorDef {
  name: CollectorName;
  bpf: boolean;
  factory: CollectorFactory;
  description: string;
  families: readonly MetricFamily[];
}

export function collectorDefs(opts: RegistryOptions = {}): CollectorDef[] {
  const byName = new Map<CollectorName, ModuleDef>();
  for (const d of COLLECTOR_DEFS) {
    if (byName.has(d.name)) throw new Error(`collector "${d.name}" is defined by two modules`);
    byName.set(d.name, d);
  }
  // A name in Signals with no module stays out here; test/unit/collectors/registry.test.ts points to it.
  return COLLECTOR_NAMES.flatMap((name) => {
    const d = byName.get(name);
    if (d === undefined) return [];
    const { create, ...rest } = d;
    return [{ ...rest, factory: () => create(opts) }];
  });
}
