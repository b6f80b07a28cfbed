// The fd collector at node scale: P processes (100 / 1 000 / 10 000, --sizes) holding ~100 descriptors
// each (10 000 × 100 = 1 M open fds on the host), opened after the collector attached so every one of them
// goes through the programs. Measured per size: snapshot() (cold = first, warm = median), live() (the
// view's 4 reads a second), the entries the `procs` map holds (FD_MAX_PROCS = 8 192) and the drops counted
// when there are more processes than entries (FD_CNT_MAP_FULL → coverage map_full).
//
//   node --import tsx bench/fd-scale/run.ts [--sizes 100,1000,10000] [--fds 100] [--runs 11]
//
// Holders are bench/fd-scale/holder.c, named kerno-fdhold, killed by PID (and with their parent) at the end.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../../src/bpf/paths.js';
import { FdCollector } from '../../src/collectors/fd.js';
import { heldMaps, mapEntries, MAP_TYPE } from '../held-maps.js';
import type { CollectorContext } from '../../src/collectors/types.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100,1000,10000' },
    fds: { type: 'string', default: '100' },
    runs: { type: 'string', default: '11' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const FDS = Number(values.fds);
const RUNS = Number(values.runs);
const ROOT = packageRoot();
const HOLDER = join(ROOT, 'bench', 'out', 'fd-holder');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const ms = (x: number): string => `${x.toFixed(1)} ms`;

/** Entries in the fd `procs` map this process holds (a shared hash since the map-memory bound: key 4 B, value 40 B). */
function procsEntries(): number {
  const procs = heldMaps().find((m) => m.type === MAP_TYPE.hash && m.keySize === 4 && m.valueSize === 40);
  return procs ? mapEntries(procs.id) : -1;
}

async function holders(n: number): Promise<() => Promise<void>> {
  const child = spawn(HOLDER, [String(n), String(FDS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  while (!out.includes('\n')) {
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    out += chunk.toString();
  }
  if (!out.startsWith(`ready ${n}`)) throw new Error(`fd-scale: holder says ${out.trim()}`);
  return async () => {
    child.stdin.end();
    if (child.exitCode === null) await once(child, 'exit');
  };
}

interface Row {
  size: number;
  spawnMs: number;
  cold: number;
  warm: number;
  warmCpu: number;
  live: number;
  topEntries: number;
  mapEntries: number;
  events: number;
  mapFull: number;
}

async function measure(n: number): Promise<Row> {
  const c = new FdCollector();
  const ctx: CollectorContext = {
    signal: new AbortController().signal,
    fault: (e) => console.error('fault', e),
    log: () => {},
  };
  await c.start(ctx);
  const t0 = performance.now();
  const release = await holders(n);
  const spawnMs = performance.now() - t0;
  try {
    const snaps: number[] = [];
    const cpus: number[] = [];
    let topEntries = 0;
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const u = process.cpuUsage();
      const part = await c.snapshot(1e9);
      snaps.push(performance.now() - t);
      const du = process.cpuUsage(u);
      cpus.push((du.user + du.system) / 1000);
      topEntries = part.fd?.entries.length ?? 0;
    }
    const lives: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      c.live();
      lives.push(performance.now() - t);
    }
    const stats = c.stats();
    return {
      size: n,
      spawnMs,
      cold: snaps[0]!,
      warm: median(snaps.slice(1)),
      warmCpu: median(cpus.slice(1)),
      live: median(lives),
      topEntries,
      mapEntries: procsEntries(),
      events: stats.events,
      mapFull: stats.droppedByReason?.map_full ?? 0,
    };
  } finally {
    await release();
    await c.stop();
  }
}

mkdirSync(join(ROOT, 'bench', 'out'), { recursive: true });
execFileSync('cc', ['-O2', '-o', HOLDER, join(ROOT, 'bench', 'fd-scale', 'holder.c')]);
const la0 = loadavg()[0]!;
const rows: Row[] = [];
for (const n of sizes) rows.push(await measure(n));
console.log(
  `fd-scale: ${FDS} fds per process, ${RUNS} snapshots and live reads per size; load average ` +
    `${la0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}`,
);
console.log(
  'processes | spawn | snapshot cold | snapshot warm (CPU) | live() | procs entries | fd events | map_full drops',
);
for (const r of rows) {
  console.log(
    `${r.size} | ${(r.spawnMs / 1000).toFixed(1)} s | ${ms(r.cold)} | ${ms(r.warm)} (${ms(r.warmCpu)}) | ` +
      `${ms(r.live)} | ${r.mapEntries} | ${r.events} | ${r.mapFull}`,
  );
}
