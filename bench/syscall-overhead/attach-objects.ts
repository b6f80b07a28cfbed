// Loads and attaches kerno BPF objects the way the collectors do: each object's default program set (the
// `_hash` fallback variants are alternatives, not extras) with this process's PID filtered. A name with a
// slash is an object path (e.g. build/bpf/bench/floor.bpf.o).
import { BpfObject } from '../../src/bpf/object.js';
import { bpfObjectPath } from '../../src/bpf/paths.js';

export async function attachObjects(names: readonly string[]): Promise<BpfObject[]> {
  const objs: BpfObject[] = [];
  for (const n of names) {
    const obj = BpfObject.open(n.includes('/') ? n : bpfObjectPath(n));
    obj.selectPrograms(
      obj
        .programs()
        .map((p) => p.name)
        .filter((p) => !p.endsWith('_hash')),
    );
    try {
      obj.setGlobal('self_tgid', process.pid, 4);
    } catch {
      /* no filter global */
    }
    await obj.load();
    obj.attachAll();
    objs.push(obj);
  }
  return objs;
}
