// cpu → scheduler_contention and cpu_pressure_stall: more runnable threads than CPUs.
//
// kerno-worker: spinners on every CPU plus threads that wake up every millisecond into those full run
// queues. Spinners alone never wake (they are only preempted), so without the wakers a wakeup-to-run
// latency tracer would see few events; each waker's nanosleep(1 ms) is a real wakeup.
// stress-ng: its CPU hogs packed onto one CPU (--taskset 0): each hog waits for the others' slices at every
// preemption, and that CPU always has a runnable task without a CPU (cpu PSI "some"), while the other CPUs
// stay free for the rest of the host.
import { createTaskCgroup } from '../cgroup.js';
import { byIntensity } from '../options.js';
import { readPsi } from '../proc.js';
import { requireRootForStressNg, startStressNg, subjectReporter, waitForStressors } from '../stress-ng.js';
import { num } from '../worker.js';
import type {
  ChaosOptions,
  HostFacts,
  Intensity,
  Scenario,
  ScenarioContext,
  ScenarioResult,
} from '../types.js';
import { elapsedSince, holdUntilEnd, newResult, pct, runsFor } from './common.js';
import { isProcess, isStressor, processes } from '../match.js';
import { DEFAULT_THRESHOLDS } from '../../doctor/thresholds.js';

const RULES = ['scheduler_contention', 'cpu_pressure_stall'] as const;

export function cpuParams(intensity: Intensity, cpus: number): { spinners: number; wakers: number } {
  const n = Math.max(1, cpus);
  return byIntensity(intensity, {
    low: { spinners: n * 2, wakers: Math.max(4, n) },
    medium: { spinners: n * 4, wakers: Math.max(4, n * 2) },
    high: { spinners: n * 8, wakers: Math.max(8, n * 4) },
  });
}

/** stress-ng CPU hogs, all on CPU 0. */
export function stressNgCpuHogs(intensity: Intensity): number {
  return byIntensity(intensity, { low: 4, medium: 8, high: 16 });
}

export const cpuScenario: Scenario = {
  name: 'cpu',
  rules: RULES,
  description: 'more runnable threads than CPUs, with frequent wakeups into the full run queues',
  needsRoot: false,
  inducers: ['kerno-worker', 'stress-ng'],
  plan(opts: ChaosOptions, host: HostFacts): string[] {
    if (opts.inducer === 'stress-ng') {
      return [
        `create cgroup kerno-chaos-cpu-<id> to hold stress-ng and its stressors`,
        `start stress-ng --cpu ${stressNgCpuHogs(opts.intensity)} --taskset 0: that many CPU hogs (stress-ng-cpu) packed onto CPU 0 of ${host.cpus}`,
        runsFor(opts),
      ];
    }
    const p = cpuParams(opts.intensity, host.cpus);
    return [
      `start one process (kchaos-cpu) with ${p.spinners} busy threads (kchaos-spin) on ${host.cpus} CPUs`,
      `and ${p.wakers} waker threads (kchaos-wake) that sleep 1 ms with nanosleep, then compute for 100 µs, so every wakeup waits in a full run queue`,
      runsFor(opts),
    ];
  },
  async run(opts, ctx) {
    if (opts.inducer === 'stress-ng') return runStressNg(opts, ctx);
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
  verify: {
    intensity: 'medium',
    seconds: 30,
    settleMs: 2000,
    ready: {
      'kerno-worker': isProcess('kchaos-wake'),
      'stress-ng': isStressor('cpu'),
    },
    match: {
      scheduler_contention(f, subjects, report) {
        if (f.subject !== '') return `expected a host-wide finding, got subject "${f.subject}"`;
        const pids = new Set(processes(subjects).map((p) => p.pid));
        const seen = report.signals.sched?.topDelayed.find((d) => pids.has(d.pid));
        if (seen === undefined)
          return `scenario process(es) ${[...pids].join(', ')} not among the ${report.signals.sched?.topDelayed.length ?? 0} most delayed processes`;
        if (seen.runqDelay.p99 < DEFAULT_THRESHOLDS.sched_delay_warning_ns)
          return `scenario process ${seen.pid} run-queue p99 ${seen.runqDelay.p99} ns below the warning threshold`;
        return undefined;
      },
      cpu_pressure_stall(f, subjects, report) {
        if (f.subject !== '') return `expected a host-wide finding, got subject "${f.subject}"`;
        // Host-wide PSI cannot name a process: the scenario's must be among those that waited most.
        const pids = new Set(processes(subjects).map((p) => p.pid));
        return report.signals.sched?.topDelayed.some((d) => pids.has(d.pid))
          ? undefined
          : `scenario process(es) ${[...pids].join(', ')} not among the most delayed processes`;
      },
    },
  },
};

async function runStressNg(opts: ChaosOptions, ctx: ScenarioContext): Promise<ScenarioResult> {
  const start = performance.now();
  const result = newResult('cpu', RULES, opts, ctx);
  const hogs = stressNgCpuHogs(opts.intensity);
  requireRootForStressNg(ctx.host);
  const cg = createTaskCgroup(ctx.session, ctx.host, 'cpu');
  const w = startStressNg(ctx.session, [cg.procsFile], ['--cpu', String(hogs), '--taskset', '0']);
  const procs = await waitForStressors(ctx, w, cg.procsFile, 'stress-ng-cpu', hogs);
  subjectReporter(ctx.onSubject, result.subjects)(procs);
  ctx.log(`    ${cg.dir}: stress-ng pid ${w.pid}, ${procs.length} CPU hogs on CPU 0`);
  const cpuPsiFile = cg.pressureFile?.('cpu');
  const host0 = readPsi('/proc/pressure/cpu');
  const cg0 = cpuPsiFile ? readPsi(cpuPsiFile) : undefined;
  const t0 = performance.now();
  result.aborted = await holdUntilEnd(ctx, [w]);
  const windowUs = (performance.now() - t0) * 1000;
  const host1 = readPsi('/proc/pressure/cpu');
  const cg1 = cpuPsiFile ? readPsi(cpuPsiFile) : undefined;
  await w.stop();
  result.elapsedNs = elapsedSince(start);
  result.observed = { hogs, stressors: procs.length };
  if (host0 && host1) result.observed.hostCpuSomePct = pct(host1.someUs - host0.someUs, windowUs);
  if (cg0 && cg1) result.observed.cgroupCpuSomePct = pct(cg1.someUs - cg0.someUs, windowUs);
  return result;
}
