// Snapshot cost with ~10 000 distinct syscall keys: how long reading the maps and building Signals takes.
//
// Keys are REAL, not synthetic: bench/snapshot-cost/keys.c forks PROCS short-lived children that each make
// PER_PROC distinct syscalls, so the kernel programs insert PROCS × PER_PROC (syscall, pid) keys (plus the
// host's own) through their normal path — per-CPU `hists`, or `hists_shared` when the per-CPU pool runs dry.
// The key count is then read back with bpftool from the maps this process holds.
//
// Two phases, each with its own fresh keys:
//   syscall     a standalone SyscallCollector: snapshot() = dump hists + hists_shared + overflow + errnos +
//               comms, sum per-CPU histograms, rank, build SyscallSignals
//   collection  the Collection `kerno doctor` uses (every collector, default config): snapshot() = every
//               collector's snapshot in parallel + assembleSignals → the whole Signals
// Each phase reports the first (cold: what `kerno doctor` pays once) and the median of the warm runs
// (what a daemon scrape pays). Target (issue #5): < 50 ms.
//
//   node --import tsx bench/snapshot-cost/run.ts [--procs 334] [--per-proc 30] [--runs 15]
//     [--phases syscall,collection,compact,per-collector,breakdown] [--hold]
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../../src/bpf/paths.js';
import { SyscallCollector } from '../../src/collectors/syscall/index.js';
import { loadBpfObject } from '../../src/collectors/bpf-loader.js';
import { readComms } from '../../src/bpf/read.js';
import { addHistogram, addHistogramDelta, emptyHistogram, HIST_MAX_OFFSET } from '../../src/bpf/histogram.js';
import type { CollectorContext } from '../../src/collectors/types.js';
import { loadConfig } from '../../src/config/index.js';
import { Collection } from '../../src/runtime/collection.js';
import { collectorDefs } from '../../src/collectors/registry.js';
import type { Collector } from '../../src/collectors/types.js';
import { createLogger } from '../../src/runtime/log.js';
import { heldMaps, mapEntries, MAP_TYPE } from '../held-maps.js';

const { values: args } = parseArgs({
  options: {
    procs: { type: 'string', default: '334' },
    'per-proc': { type: 'string', default: '30' },
    runs: { type: 'string', default: '15' },
    hold: { type: 'boolean', default: false },
    phases: { type: 'string', default: 'syscall,collection,compact,per-collector,breakdown' },
  },
});
const PHASES = new Set(args.phases.split(','));
/** Keep the key-making processes alive: their keys stay in the maps (no compaction deletes them). */
const HOLD = args.hold;
const PROCS = Number(args.procs);
const PER_PROC = Number(args['per-proc']);
const RUNS = Number(args.runs);
const ROOT = packageRoot();
const KEYS_BIN = join(ROOT, 'bench', 'out', 'snapshot-keys');
/** struct syscall_key / struct syscall_value sizes (bpf/syscall.h): how the hists maps are recognised. */
const KEY_SIZE = 8;
const VALUE_SIZE = 2224;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/**
 * Keys in the syscall `hists` (per-CPU hash) and `hists_shared` (hash) maps this process holds, read with
 * bpftool. A key may sit in both maps, so the sum can exceed the
 * distinct count slightly.
 */
function heldSyscallKeys(): { hists: number; shared: number } {
  const keys = { hists: 0, shared: 0 };
  for (const m of heldMaps()) {
    if (m.keySize !== KEY_SIZE || m.valueSize !== VALUE_SIZE) continue;
    // hists is the per-CPU hash, hists_shared the hash; the overflow array has the same sizes.
    if (m.type === MAP_TYPE.percpuHash) keys.hists += mapEntries(m.id);
    else if (m.type === MAP_TYPE.hash) keys.shared += mapEntries(m.id);
  }
  return keys;
}

/** With --hold, the key-making processes still alive (released at the end of each phase). */
const held: ChildProcess[] = [];

async function makeKeys(): Promise<number> {
  if (!HOLD)
    return Number(execFileSync(KEYS_BIN, [String(PROCS), String(PER_PROC)], { encoding: 'utf8' }).trim());
  const child = spawn(KEYS_BIN, [String(PROCS), String(PER_PROC), 'hold'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  held.push(child);
  let out = '';
  while (!out.includes('\n')) {
    const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
    out += chunk.toString();
  }
  return Number(out.trim());
}

async function releaseKeys(): Promise<void> {
  for (const child of held.splice(0)) {
    child.stdin!.end();
    if (child.exitCode === null) await once(child, 'exit');
  }
}

interface Timed {
  cold: number;
  warm: number;
  /** CPU time (user + system) of the first run and the median of the others: what neighbours do not change. */
  coldCpu: number;
  warmCpu: number;
  all: number[];
}

async function timeRuns(fn: () => Promise<unknown>): Promise<Timed> {
  const all: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const u = process.cpuUsage();
    await fn();
    all.push(performance.now() - t0);
    const du = process.cpuUsage(u);
    cpu.push((du.user + du.system) / 1000);
  }
  return {
    cold: all[0]!,
    warm: median(all.slice(1)),
    coldCpu: cpu[0]!,
    warmCpu: median(cpu.slice(1)),
    all,
  };
}

const ms = (x: number): string => `${x.toFixed(1)} ms`;

async function phaseSyscall(): Promise<void> {
  const c = new SyscallCollector();
  const abort = new AbortController();
  const ctx: CollectorContext = {
    signal: abort.signal,
    fault: (e) => console.error('fault', e),
    log: () => {},
  };
  await c.start(ctx);
  try {
    const created = await makeKeys();
    const held = heldSyscallKeys();
    let entries = 0;
    const t = await timeRuns(async () => {
      const part = await c.snapshot(1e9);
      entries = part.syscall!.entries.length;
    });
    console.log(
      `syscall collector: ${created} keys created by ${PROCS} processes; maps hold ${held.hists + held.shared} keys ` +
        `(hists ${held.hists}, hists_shared ${held.shared}) → ${entries} entries after ranking`,
    );
    console.log(
      `  snapshot(): cold ${ms(t.cold)} (CPU ${ms(t.coldCpu)}), warm median ${ms(t.warm)} (CPU ${ms(t.warmCpu)}) over ${RUNS - 1} runs (target < 50 ms)`,
    );
  } finally {
    await releaseKeys();
    abort.abort();
    await c.stop();
  }
}

async function phaseCollection(): Promise<void> {
  const { config } = loadConfig({ env: process.env });
  const collection = new Collection({ config, logger: createLogger({ level: 'error' }), env: process.env });
  await collection.start();
  try {
    const created = await makeKeys();
    const held = heldSyscallKeys();
    let collectors = 0;
    const t = await timeRuns(async () => {
      const s = await collection.snapshot();
      collectors = s.coverage.filter((c) => c.state === 'ok').length;
    });
    console.log(
      `collection (every collector, default config, ${collectors} ok): ${created} keys created; syscall maps hold ` +
        `${held.hists + held.shared} keys (hists ${held.hists}, hists_shared ${held.shared})`,
    );
    console.log(
      `  snapshot() → Signals: cold ${ms(t.cold)} (CPU ${ms(t.coldCpu)}), warm median ${ms(t.warm)} (CPU ${ms(t.warmCpu)}) over ${RUNS - 1} runs (target < 50 ms)`,
    );
  } finally {
    await releaseKeys();
    await collection.stop();
  }
}

/**
 * compact(): what the collector pays to delete the keys of exited processes under map pressure (every
 * 250 ms while the maps fill, and at each reset): the keys made by makeKeys() all belong to exited
 * processes. Each round makes fresh keys, times compact(), then one snapshot of what is left.
 */
async function phaseCompact(): Promise<void> {
  const c = new SyscallCollector();
  const abort = new AbortController();
  await c.start({ signal: abort.signal, fault: (e) => console.error('fault', e), log: () => {} });
  const wall: number[] = [];
  const cpu: number[] = [];
  try {
    for (let i = 0; i < Math.min(RUNS, 5); i++) {
      await makeKeys();
      const t = performance.now();
      const u = process.cpuUsage();
      c.compact();
      const du = process.cpuUsage(u);
      wall.push(performance.now() - t);
      cpu.push((du.user + du.system) / 1000);
    }
    console.log(
      `compact() of ~${PROCS * PER_PROC} keys of exited processes: median ${ms(median(wall))} wall, ` +
        `${ms(median(cpu))} CPU over ${wall.length} rounds`,
    );
  } finally {
    await releaseKeys();
    abort.abort();
    await c.stop();
  }
}

/**
 * What the syscall collector costs while nobody reads it, with the keys made by makeKeys() (with --hold:
 * live processes' keys, so the maps stay full and its pressure checks keep seeing overflow): process CPU
 * over 5 s of idle.
 */
async function phaseIdle(): Promise<void> {
  const c = new SyscallCollector();
  const abort = new AbortController();
  await c.start({ signal: abort.signal, fault: (e) => console.error('fault', e), log: () => {} });
  try {
    await makeKeys();
    await new Promise((r) => setTimeout(r, 1000));
    const u = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 5000));
    const du = process.cpuUsage(u);
    console.log(`idle: ${ms((du.user + du.system) / 5000)} of CPU per second (5 s, nothing read)`);
  } finally {
    await releaseKeys();
    abort.abort();
    await c.stop();
  }
}

/** Every collector on its own (same factories as the Collection), each snapshot timed separately. */
async function phasePerCollector(): Promise<void> {
  const abort = new AbortController();
  const ctx: CollectorContext = {
    signal: abort.signal,
    fault: (e) => console.error('fault', e),
    log: () => {},
  };
  const started: Collector[] = [];
  try {
    for (const def of collectorDefs()) {
      const c = def.factory();
      await c.start(ctx);
      started.push(c);
    }
    await makeKeys();
    const rows: string[] = [];
    for (const c of started) {
      const t = await timeRuns(() => c.snapshot(1e9));
      rows.push(
        `  ${c.name.padEnd(14)} cold ${ms(t.cold).padStart(9)}, warm median ${ms(t.warm).padStart(9)}`,
      );
    }
    console.log(`per collector (all started, keys created once, each snapshot timed alone):`);
    console.log(rows.join('\n'));
  } finally {
    await releaseKeys();
    abort.abort();
    for (const c of started) await c.stop();
  }
}

/**
 * Where the syscall snapshot's time goes, measured on the same maps through the facade (the collector keeps
 * its object private, so this loads its own copy with the collector's preferred program variant).
 */
async function phaseBreakdown(): Promise<void> {
  const bpf = await loadBpfObject('syscall', [
    { programs: ['sys_enter', 'sys_exit', 'sched_process_exec', 'task_rename'], unusedMaps: ['start_hash'] },
  ]);
  try {
    await makeKeys();
    const obj = bpf.obj;
    const steps: Record<string, number[]> = {};
    const time = <T>(name: string, fn: () => T): T => {
      const t0 = performance.now();
      const r = fn();
      (steps[name] ??= []).push(performance.now() - t0);
      return r;
    };
    const reduce = { max: [24 + HIST_MAX_OFFSET], first: [[8, 16]] as [number, number][] };
    for (let run = 0; run < RUNS; run++) {
      const hists = obj.map('hists');
      // Both variants read the same maps in the same run, interleaved (this machine is shared and noisy).
      const dumped = time('A. dump hists, every CPU copy (native batch)', () => hists.dump());
      time('A. decode: addHistogram per CPU copy into one per key', () => {
        for (const { value } of dumped) {
          const h = emptyHistogram();
          for (const cpu of hists.perCpuValues(value)) addHistogram(h, cpu, 24);
        }
      });
      time('B. dump hists in folded chunks (as the collector), nothing decoded', () => {
        let n = 0;
        for (const chunk of hists.chunks({ reduce })) n += chunk.length;
        return n;
      });
      time('B. the same, decoded: addHistogramDelta per key into 30 aggregates', () => {
        const aggs = new Map<number, ReturnType<typeof emptyHistogram>>();
        for (const chunk of hists.chunks({ reduce })) {
          for (const { key, value } of chunk) {
            const nr = key.readUInt32LE(0);
            let h = aggs.get(nr);
            if (!h) aggs.set(nr, (h = emptyHistogram()));
            addHistogramDelta(h, value, 24);
          }
        }
      });
      time('dump hists_shared', () => obj.map('hists_shared').dump({ reduce }));
      time('dump overflow (512 per-CPU slots, folded)', () => obj.map('overflow').dump({ reduce }));
      time('dump errnos', () => obj.map('errnos').dump());
      time('read comms', () => readComms(obj));
    }
    console.log(
      `breakdown (syscall maps, ${obj.map('hists').dump().length} keys in hists; medians of ${RUNS} runs):`,
    );
    for (const [name, xs] of Object.entries(steps)) console.log(`  ${name.padEnd(56)} ${ms(median(xs))}`);
  } finally {
    await releaseKeys();
    bpf.close();
  }
}

mkdirSync(join(ROOT, 'bench', 'out'), { recursive: true });
execFileSync('cc', ['-O2', '-o', KEYS_BIN, join(ROOT, 'bench', 'snapshot-cost', 'keys.c')]);
console.log(
  `snapshot-cost: ${PROCS} processes × ${PER_PROC} distinct syscalls each; load average ${loadavg()[0]!.toFixed(1)}`,
);
if (PHASES.has('syscall')) await phaseSyscall();
if (PHASES.has('collection')) await phaseCollection();
if (PHASES.has('compact') && !HOLD) await phaseCompact();
if (PHASES.has('idle')) await phaseIdle();
if (PHASES.has('per-collector')) await phasePerCollector();
if (PHASES.has('breakdown')) await phaseBreakdown();
console.log(`load average at the end ${loadavg()[0]!.toFixed(1)}`);
