// Cost of one live-view frame (Collection.live(): every collector's live() through the supervisor) vs one
// full snapshot (Collection.snapshot(): what the window end pays), on the same Collection at the same
// moment, during a fork storm so the maps hold what a busy host gives them (many short-lived processes:
// syscall keys, sched procs, fd entries).
//
// The live view reads 4 times a second; the snapshot runs once per window. Rounds interleave
// live/snapshot and report medians, plus each collector's own live() time.
//
//   node --import tsx bench/live-cost/run.ts [--runs 15] [--storm-ms 4000]
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/index.js';
import { Collection } from '../../src/runtime/collection.js';
import { collectorDefs } from '../../src/collectors/registry.js';
import { createLogger } from '../../src/runtime/log.js';
import type { Collector } from '../../src/collectors/types.js';

const { values: args } = parseArgs({
  options: { runs: { type: 'string', default: '15' }, 'storm-ms': { type: 'string', default: '4000' } },
});
const RUNS = Number(args.runs);
const STORM_MS = Number(args['storm-ms']);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

/** A shell fork loop (`/bin/true` forever), killed by its PID. */
function forkStorm() {
  const child = spawn('/bin/sh', ['-c', 'while :; do /bin/true; done'], { stdio: 'ignore' });
  return { stop: () => child.kill('SIGKILL') };
}

const { config } = loadConfig({ env: process.env });
const collection = new Collection({ config, logger: createLogger({ level: 'error' }), env: process.env });
await collection.start();
const storm = forkStorm();
try {
  await new Promise((r) => setTimeout(r, STORM_MS));
  const live: number[] = [];
  const snap: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    let t = process.hrtime.bigint();
    const readings = await collection.live();
    live.push(ms(t));
    t = process.hrtime.bigint();
    await collection.snapshot();
    snap.push(ms(t));
    if (i === 0)
      for (const [name, r] of readings)
        console.log(
          `  ${name.padEnd(14)} ${String(r.events).padStart(9)}  ${r.top ? `${r.top.label} = ${r.top.value} ${r.top.unit}` : ''}`,
        );
  }
  // Each collector's live() alone, on standalone instances (same factories), during the same storm.
  const per: [string, number][] = [];
  const ctl = new AbortController();
  const ctx = { signal: ctl.signal, fault: () => {}, log: () => {} };
  for (const def of collectorDefs()) {
    const c: Collector = def.factory();
    try {
      await c.start(ctx);
    } catch {
      continue;
    }
    await new Promise((r) => setTimeout(r, 500));
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = process.hrtime.bigint();
      await c.live?.();
      times.push(ms(t));
    }
    per.push([def.name, median(times)]);
    await c.stop();
  }
  ctl.abort();
  console.log(
    `\nlive-cost: ${RUNS} interleaved rounds during a fork storm (load average ${loadavg()[0]!.toFixed(1)})`,
  );
  console.log(`| | median | min | max |`);
  console.log(`|---|---|---|---|`);
  const row = (n: string, xs: number[]) =>
    console.log(
      `| ${n} | ${median(xs).toFixed(3)} ms | ${Math.min(...xs).toFixed(3)} ms | ${Math.max(...xs).toFixed(3)} ms |`,
    );
  row('Collection.live() (one frame)', live);
  row('Collection.snapshot()', snap);
  console.log(`ratio snapshot / live: ${(median(snap) / median(live)).toFixed(0)}×`);
  console.log('\nper collector live(), median:');
  for (const [n, t] of per) console.log(`  ${n.padEnd(14)} ${t.toFixed(3)} ms`);
} finally {
  storm.stop();
  await collection.stop();
}
