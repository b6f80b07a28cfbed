// syscall-errors → syscall_error_rate: one process calling openat() on a path that does not exist, at a
// steady rate. openat is not on kerno's blocking-syscall list (poll, select, pause, nanosleep, accept,
// wait4, futex, epoll_wait, waitid, pselect6, ppoll, epoll_pwait, accept4, epoll_pwait2), and the pacing
// sleep is nanosleep, which is — so the process's only counted syscall fails 100 % of the time.
import { byIntensity } from '../options.js';
import { num } from '../worker.js';
import type { ChaosOptions, Intensity, Scenario } from '../types.js';
import { elapsedSince, holdUntilEnd, newResult, pct, runsFor } from './common.js';

const RULES = ['syscall_error_rate'] as const;
export const FAILING_SYSCALL = 'openat';

export function syscallErrorRate(intensity: Intensity): number {
  return byIntensity(intensity, { low: 1_000, medium: 10_000, high: 50_000 });
}

export const syscallErrorsScenario: Scenario = {
  name: 'syscall-errors',
  rules: RULES,
  description: 'one process making failing syscalls (openat → ENOENT) at a high rate',
  needsRoot: false,
  plan(opts: ChaosOptions): string[] {
    return [
      `start one process (kchaos-syserr) that calls ${FAILING_SYSCALL}() on a path that does not exist ${syscallErrorRate(opts.intensity)} times per second (every call fails with ENOENT)`,
      runsFor(opts),
    ];
  },
  async run(opts, ctx) {
    const start = performance.now();
    const result = newResult('syscall-errors', RULES, opts, ctx);
    const rate = syscallErrorRate(opts.intensity);
    const w = ctx.session.startWorker({
      mode: 'syscall-errors',
      comm: 'kchaos-syserr',
      args: { rate, path: `/nonexistent/${ctx.session.name('syserr')}` },
    });
    await w.ready();
    const subject = { kind: 'process', pid: w.pid, comm: 'kchaos-syserr' } as const;
    result.subjects.push(subject);
    ctx.onSubject(subject);
    ctx.log(`    pid ${w.pid}: ${rate} failing ${FAILING_SYSCALL}() calls per second`);
    result.aborted = await holdUntilEnd(ctx, [w]);
    const done = (await w.stop()).done;
    result.elapsedNs = elapsedSince(start);
    result.observed = {
      targetRatePerSec: rate,
      calls: num(done, 'calls'),
      errors: num(done, 'errors'),
      errorPct: pct(num(done, 'errors'), num(done, 'calls')),
      ratePerSec: num(done, 'ratePerSec'),
    };
    result.notes.push(`syscall: ${FAILING_SYSCALL} (ENOENT)`);
    return result;
  },
};
