// Loads one trace object with its filters written into rodata before load: the verifier then sees each
// filter as a constant and drops the code of the filters that are off. Refuses an object whose record
// layouts drifted from what records.ts decodes.
import { BpfObject, type Link } from '../bpf/object.js';
import { possibleCpus } from '../bpf/map.js';
import { layoutDrift, type StructLayout } from '../bpf/layout.js';
import { bpfObjectPath } from '../bpf/paths.js';
import { BpfError, toBpfError } from '../bpf/errors.js';
import type { RodataValue } from './filters.js';

export interface TraceObjectSpec {
  /** build/bpf/<object>.bpf.o */
  object: string;
  programs: string[];
  rodata: RodataValue[];
  layouts: readonly StructLayout[];
}

export interface LoadedTrace {
  obj: BpfObject;
  links: Link[];
}

/** Kernel memory a per-CPU hash may take when full; the same budget as the collectors' loader. */
const PERCPU_MAP_BUDGET = 64 << 20;

export async function loadTraceObject(spec: TraceObjectSpec): Promise<LoadedTrace> {
  const obj = BpfObject.open(bpfObjectPath(spec.object));
  try {
    const drift = spec.layouts.flatMap((l) => layoutDrift(l, obj.btfStruct(l.struct)));
    if (drift.length > 0) {
      throw new BpfError(
        `record layout drift between bpf/trace.h and src/trace/records.ts (rebuild the BPF objects): ${drift.join('; ')}`,
        { object: obj.path },
      );
    }
    obj.selectPrograms(spec.programs);
    obj.setGlobal('self_tgid', process.pid, 4);
    for (const r of spec.rodata) obj.setGlobal(r.name, r.value);
    for (const m of obj.mapInfos()) {
      if (m.type !== 'percpu_hash') continue;
      const perKey = ((m.valueSize + 7) & ~7) * Math.max(1, possibleCpus());
      const cap = Math.max(64, Math.floor(PERCPU_MAP_BUDGET / perKey));
      if (cap < m.maxEntries) obj.setMaxEntries(m.name, cap);
    }
    await obj.load();
    return { obj, links: obj.attachAll() };
  } catch (err) {
    obj.close();
    const e = toBpfError(err, { object: obj.path });
    e.message = `trace ${spec.object}: ${e.message}`;
    throw e;
  }
}
