// Cost of the doctor's per-second onset sampling (issue 18): with every collector attached as
// `kerno doctor` attaches them, take one cumulative snapshot per second and run the rules over it, as the
// onset sampler does. Reports per-tick snapshot and evaluation wall time and CPU (median, p95, max) and the process CPU
// the sampling adds, measured against a phase of the same length with the collectors attached but no
// sampling (interleaved phases, so a busy neighbour hurts both alike).
//
//   node --import tsx bench/onset-sampling/run.ts [--seconds 10] [--rounds 2]
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config/index.js';
import { Collection } from '../../src/runtime/collection.js';
import { createLogger } from '../../src/runtime/log.js';
import { evaluate } from '../../src/doctor/engine.js';
import { ALL_RULES } from '../../rules/index.js';
import { OnsetSampler } from '../../src/runtime/onset-sampler.js';
import { loadavg } from 'node:os';

const { values: args } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, rounds: { type: 'string', default: '2' } },
});
const SECONDS = Number(args.seconds);
const ROUNDS = Number(args.rounds);

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const { config } = loadConfig({ env: process.env });
const collection = new Collection({ config, logger: createLogger({ level: 'error' }), env: process.env });
await collection.start();
const snapMs: number[] = [];
const evalMs: number[] = [];
const tickCpuMs: number[] = [];
const idleCpu: number[] = [];
const sampledCpu: number[] = [];
try {
  for (let r = 0; r < ROUNDS; r++) {
    let c0 = cpuMs();
    await new Promise((res) => setTimeout(res, SECONDS * 1000));
    idleCpu.push(cpuMs() - c0);

    c0 = cpuMs();
    const stop = new AbortController();
    const sampler = new OnsetSampler({
      snapshot: () => collection.snapshot(),
      evaluate: (s) => evaluate(s, ALL_RULES, config.doctor.thresholds),
      startMs: Date.now(),
      periodMs: 1000,
      signal: stop.signal,
    });
    const run = sampler.run();
    await new Promise((res) => setTimeout(res, SECONDS * 1000));
    stop.abort();
    await run;
    sampledCpu.push(cpuMs() - c0);
    for (const t of sampler.ticks) {
      snapMs.push(t.snapshotMs);
      evalMs.push(t.evaluateMs);
      tickCpuMs.push(t.cpuMs);
    }
  }
} finally {
  await collection.stop();
}
const fmt = (xs: number[]) =>
  `median ${quantile(xs, 0.5).toFixed(1)} ms · p95 ${quantile(xs, 0.95).toFixed(1)} ms · max ${Math.max(...xs).toFixed(1)} ms`;
console.log(
  `ticks: ${snapMs.length} (${ROUNDS} rounds × ${SECONDS} s), load average ${loadavg()[0]!.toFixed(2)}`,
);
console.log(`snapshot per tick: ${fmt(snapMs)}`);
console.log(`rules per tick:    ${fmt(evalMs)}`);
console.log(`CPU per tick:      ${fmt(tickCpuMs)}`);
const per = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / (xs.length * SECONDS * 10); // % of one CPU
console.log(
  `process CPU: ${per(idleCpu).toFixed(2)} % of a core without sampling, ${per(sampledCpu).toFixed(2)} % with (+${(per(sampledCpu) - per(idleCpu)).toFixed(2)} points)`,
);
