// The cgroup memory collector at node scale: one read (snapshot()) over N memory-limited cgroups, and the
// file handles it holds. A Kubernetes node runs hundreds of containers; this measures 10 / 100 / 1 000 /
// 5 000 (--sizes). Target (issue #20): < 100 ms per read at 1 000 and 5 000, no file-handle leak.
//
// The host's memory hierarchy is cgroup v1. Each size gets its own kerno-owned subtree
// /sys/fs/cgroup/memory/kerno-bench-scale-<pid>/n<N>/c<i> with a limit on every leaf (as a container's),
// and the collector is pointed at that subtree (its `root` option: a v1 memory directory is a hierarchy
// root), so sizes can be interleaved round by round without seeing each other. A last phase reads the whole
// host hierarchy (the collector's default, every mount from mountinfo) with all subtrees present.
//
//   node --import tsx bench/cgroup-scale/run.ts [--sizes 10,100,1000,5000] [--runs 11]
//
// Everything it creates is removed at the end (rmdir, leaves first), also on error and Ctrl+C.
import { mkdirSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { CgroupMemoryCollector } from '../../src/collectors/cgroup-memory.js';
import type { CollectorContext } from '../../src/collectors/types.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10,100,1000,5000' },
    runs: { type: 'string', default: '11' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const runs = Number(values.runs);
const V1 = '/sys/fs/cgroup/memory';
const TOP = `${V1}/kerno-bench-scale-${process.pid}`;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const openFds = (): number => readdirSync('/proc/self/fd').length;

function removeTree(dir: string): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return; // already gone
  }
  for (const e of entries) if (e.isDirectory()) removeTree(`${dir}/${e.name}`);
  try {
    rmdirSync(dir);
  } catch (err) {
    console.error(`cgroup-scale: could not remove ${dir}: ${(err as Error).message}`);
  }
}
process.on('exit', () => removeTree(TOP));
process.on('SIGINT', () => process.exit(130));

/** n<N>/c0..c<N-1>, each limited to 256 MiB (a container's limit; usage stays ~0: nothing runs there). */
function makeSubtree(n: number): string {
  const root = `${TOP}/n${n}`;
  mkdirSync(root, { recursive: true });
  for (let i = 0; i < n; i++) {
    const dir = `${root}/c${i}`;
    mkdirSync(dir);
    writeFileSync(`${dir}/memory.limit_in_bytes`, String(256 << 20));
  }
  return root;
}

const ctx = (): CollectorContext => ({
  signal: new AbortController().signal,
  fault: (e) => console.error('fault', e),
  log: () => {},
});

interface Row {
  start: number[];
  read: number[];
  /** CPU time of the read (user + system): what it costs whatever the neighbours do. */
  cpu: number[];
  entries: number;
  fdsBefore: number;
  fdsAfter: number[];
}

async function measure(c: CgroupMemoryCollector, row: Row): Promise<void> {
  const t0 = performance.now();
  await c.start(ctx());
  row.start.push(performance.now() - t0);
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const u = process.cpuUsage();
    const part = await c.snapshot(1e9);
    row.read.push(performance.now() - t);
    const du = process.cpuUsage(u);
    row.cpu.push((du.user + du.system) / 1000);
    row.entries = part.cgroupMemory?.containers.length ?? 0;
  }
  await c.stop();
}

const la0 = loadavg()[0]!;
mkdirSync(TOP);
const roots = new Map<number, string>();
for (const n of sizes) {
  const t0 = performance.now();
  roots.set(n, makeSubtree(n));
  console.log(`made ${n} cgroups in ${(performance.now() - t0).toFixed(0)} ms`);
}

const rows = new Map<number, Row>(
  sizes.map((n) => [n, { start: [], read: [], cpu: [], entries: 0, fdsBefore: 0, fdsAfter: [] }]),
);
const ROUNDS = 3;
for (let round = 0; round < ROUNDS; round++) {
  for (const n of round % 2 ? [...sizes].reverse() : sizes) {
    const row = rows.get(n)!;
    const before = openFds();
    if (round === 0) row.fdsBefore = before;
    // maxEntries 256 as in production: the read walks and samples every cgroup, the output is bounded.
    await measure(new CgroupMemoryCollector({ root: roots.get(n)!, pollIntervalMs: 3_600_000 }), row);
    row.fdsAfter.push(openFds() - before);
  }
}

const host: Row = { start: [], read: [], cpu: [], entries: 0, fdsBefore: openFds(), fdsAfter: [] };
await measure(new CgroupMemoryCollector({ pollIntervalMs: 3_600_000 }), host);
host.fdsAfter.push(openFds() - host.fdsBefore);

console.log(
  `cgroup-scale: ${ROUNDS} rounds × ${runs} reads per size, interleaved; load average ${la0.toFixed(1)} → ` +
    `${loadavg()[0]!.toFixed(1)}`,
);
console.log(
  'cgroups | start (first scan) | read median | read CPU median | read max | entries | fds leaked (after stop)',
);
const line = (label: string, r: Row): string =>
  `${label} | ${median(r.start).toFixed(1)} ms | ${median(r.read).toFixed(1)} ms | ${median(r.cpu).toFixed(1)} ms | ` +
  `${Math.max(...r.read).toFixed(1)} ms | ${r.entries} | ${r.fdsAfter.join(', ')}`;
for (const n of sizes) console.log(line(String(n), rows.get(n)!));
console.log(line(`host (all ${sizes.reduce((a, b) => a + b, 0)} + the host's own)`, host));
