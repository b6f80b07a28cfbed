// cpu → scheduler_contention: more runnable threads than CPUs, plus threads that wake up every millisecond
// into those full run queues. Spinners alone never wake (they are only preempted), so without the wakers a
// wakeup-to-run latency tracer would see almost nothing; each waker's nanosleep(1 ms) is a real wakeup.
import { byIntensity } from '../options.js';
import { num } from '../worker.js';
import type { ChaosOptions, HostFacts, Intensity, Scenario } from '../types.js';
import { elapsedSince, holdUntilEnd, newResult, runsFor } from './common.js';

const RULES = ['scheduler_contention'] as const;

export function cpuParams(intensity: Intensity, cpus: number): { spinners: number; wakers: number } {
  const n = Math.max(1, cpus);
  return byIntensity(intensity, {
    low: { spinners: n * 2, wakers: Math.max(4, n) },
    medium: { spinners: n * 4, wakers: Math.max(4, n * 2) },
    high: { spinners: n * 8, wakers: Math.max(8, n * 4) },
  });
}

export const cpuScenario: Scenario = {
  name: 'cpu',
  rules: RULES,
  description: 'more runnable threads than CPUs, with frequent wakeups into the full run queues',
  needsRoot: false,
  plan(opts: ChaosOptions, host: HostFacts): string[] {
    const p = cpuParams(opts.intensity, host.cpus);
    return [
      `start one process (kchaos-cpu) with ${p.spinners} busy threads (kchaos-spin) on ${host.cpus} CPUs`,
      `and ${p.wakers} waker threads (kchaos-wake) that sleep 1 ms with nanosleep, then compute for 100 µs, so every wakeup waits in a full run queue`,
      runsFor(opts),
    ];
  },
  async run(opts, ctx) {
    const start = performance.now();
    const result = newResult('cpu', RULES, opts, ctx);
    const p = cpuParams(opts.intensity, ctx.host.cpus);
    const w = ctx.session.startWorker({
      mode: 'cpu',
      comm: 'kchaos-cpu',
      args: { spinners: p.spinners, wakers: p.wakers, 'sleep-us': 1000, 'burn-us': 100 },
    });
    await w.ready();
    const subject = { kind: 'process', pid: w.pid, comm: 'kchaos-wake' } as const;
    result.subjects.push(subject);
    ctx.onSubject(subject);
    ctx.log(`    pid ${w.pid}: ${p.spinners} spinners + ${p.wakers} wakers on ${ctx.host.cpus} CPUs`);
    result.aborted = await holdUntilEnd(ctx, [w]);
    const done = (await w.stop()).done;
    result.elapsedNs = elapsedSince(start);
    result.observed = {
      spinners: p.spinners,
      wakers: p.wakers,
      wakeups: num(done, 'wakeups'),
      // Oversleep = actual − requested sleep, measured by the wakers themselves: run-queue wait + timer latency.
      oversleepP50Ns: num(done, 'oversleepP50Ns'),
      oversleepP99Ns: num(done, 'oversleepP99Ns'),
      oversleepMaxNs: num(done, 'oversleepMaxNs'),
    };
    return result;
  },
};
