// Attaches kerno BPF programs the way the collectors do (default program set per object, own PID
// filtered) and holds them until SIGTERM/SIGINT. Prints "ready" once attached.
//   node --import tsx bench/syscall-overhead/attach.ts syscall [fd sched …]
// A name with a slash is an object path (e.g. build/bpf/bench/floor.bpf.o).
import { BpfObject } from '../../src/bpf/object.js';
import { bpfObjectPath } from '../../src/bpf/paths.js';

const names = process.argv.slice(2);
const objs: BpfObject[] = [];
for (const n of names) {
  const obj = BpfObject.open(n.includes('/') ? n : bpfObjectPath(n));
  // Fallback variants (suffix _hash) are alternatives, not extras.
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
process.stdout.write('ready\n');
const done = (): void => {
  for (const o of objs) o.close();
  process.exit(0);
};
process.on('SIGTERM', done);
process.on('SIGINT', done);
setInterval(() => {}, 1 << 30);
