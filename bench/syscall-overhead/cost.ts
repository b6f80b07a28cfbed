// Where the syscall path's cost goes, per program, as the kernel counts it (BPF run-time statistics:
// `run_time_ns / run_cnt` of each program, the body only — not the tracepoint's call into BPF).
// Attaches the named objects as the collectors do (attach-objects.ts), enables statistics for the run
// (a BPF_ENABLE_STATS handle, closed at the end), runs the pinned getppid loop ROUNDS times and prints
// each program's median ns per run.
//   node --import tsx bench/syscall-overhead/cost.ts [--rounds 5] [--calls 3000000] syscall fd build/bpf/bench/floor.bpf.o
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { RunStatsHandle, programCounters } from '../../src/bpf/run-stats.js';
import { attachObjects } from './attach-objects.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '5' }, calls: { type: 'string', default: '3000000' } },
});
const rounds = Number(values.rounds);
const calls = Number(values.calls);
const loop = 'bench/out/getppid-loop';
execFileSync('mkdir', ['-p', 'bench/out']);
execFileSync('cc', ['-O2', '-o', loop, 'bench/syscall-overhead/getppid-loop.c']);

const objs = await attachObjects(positionals.length > 0 ? positionals : ['syscall', 'fd']);
const stats = RunStatsHandle.open();
if (!stats.counting) throw new Error(stats.reason ?? 'BPF statistics unavailable');

const perProgram = new Map<string, number[]>();
const loopNs: number[] = [];
const cpu = String(cpus().length - 1);
for (let r = 0; r < rounds; r++) {
  const before = programCounters();
  const out = execFileSync('nice', ['-n', '-20', 'taskset', '-c', cpu, loop, String(calls)], {
    encoding: 'utf8',
  });
  loopNs.push(Number(out.trim()));
  for (const [id, now] of programCounters()) {
    const base = before.get(id);
    const runs = now.runs - (base?.runs ?? 0);
    if (runs < calls) continue; // not on the syscall path
    const key = `${now.object}/${now.program}`;
    const list = perProgram.get(key) ?? [];
    list.push((now.runTimeNs - (base?.runTimeNs ?? 0)) / runs);
    perProgram.set(key, list);
  }
}
stats.close();
for (const o of objs) o.close();

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
console.log(
  `${rounds} rounds × ${calls} getppid, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(`  loop with statistics on: ${median(loopNs).toFixed(1)} ns/call (median)`);
let total = 0;
for (const [key, list] of [...perProgram].sort()) {
  const m = median(list);
  total += m;
  console.log(
    `  ${key.padEnd(28)} ${m.toFixed(1).padStart(7)} ns/run  (min ${Math.min(...list).toFixed(1)})`,
  );
}
console.log(`  sum of bodies on the path: ${total.toFixed(1)} ns/syscall`);
