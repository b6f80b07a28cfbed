// Attaches kerno BPF programs the way the collectors do (attach-objects.ts) and holds them until
// SIGTERM/SIGINT. Prints "ready" once attached.
//   node --import tsx bench/syscall-overhead/attach.ts syscall [fd sched …]
// A name with a slash is an object path (e.g. build/bpf/bench/floor.bpf.o).
import { attachObjects } from './attach-objects.js';

const objs = await attachObjects(process.argv.slice(2));
process.stdout.write('ready\n');
const done = (): void => {
  for (const o of objs) o.close();
  process.exit(0);
};
process.on('SIGTERM', done);
process.on('SIGINT', done);
setInterval(() => {}, 1 << 30);
