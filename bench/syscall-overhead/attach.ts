// Attaches kerno BPF programs the way the collectors do (attach-objects.ts) and holds them until
// SIGTERM/SIGINT. Prints "ready" once attached.
//   node --import tsx bench/syscall-overhead/attach.ts syscall [fd sched …]
// A name with a slash is an object path (e.g. build/bpf/bench/floor.bpf.o).
// BPF_STATS=1 also holds BPF run-time statistics on (as kerno doctor does), to measure what they cost.
import { RunStatsHandle } from '../../src/bpf/run-stats.js';
import { attachObjects } from './attach-objects.js';

const stats = process.env.BPF_STATS === '1' ? RunStatsHandle.open() : undefined;
if (stats && !stats.counting) throw new Error(`BPF_STATS=1: ${stats.reason}`);
const objs = await attachObjects(process.argv.slice(2));
process.stdout.write('ready\n');
const done = (): void => {
  for (const o of objs) o.close();
  stats?.close();
  process.exit(0);
};
process.on('SIGTERM', done);
process.on('SIGINT', done);
setInterval(() => {}, 1 << 30);
