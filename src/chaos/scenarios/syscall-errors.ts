// syscall-errors → syscall_error_rate: a client whose dependency is down — one process calling connect() to
// a loopback port nobody listens on, at a steady rate, each call refused (ECONNREFUSED, a failure-class
// errno: the work does not get done). connect is not a blocking syscall for kerno, and the pacing sleep is
// nanosleep, which is — so the process's connect() calls fail 100 % of the time. (It used to open a missing
// path; ENOENT answers a probe and no longer fires the rule on its own.)
import { byIntensity } from '../options.js';
import { num } from '../worker.js';
import type { ChaosOptions, Intensity, Scenario } from '../types.js';
import { elapsedSince, holdUntilEnd, newResult, pct, runsFor } from './common.js';
import { isProcess, processes } from '../match.js';

const RULES = ['syscall_error_rate'] as const;
export const FAILING_SYSCALL = 'connect';

export function syscallErrorRate(intensity: Intensity): number {
  return byIntensity(intensity, { low: 1_000, medium: 10_000, high: 50_000 });
}

export const syscallErrorsScenario: Scenario = {
  name: 'syscall-errors',
  rules: RULES,
  description:
    'one process whose connect() calls are refused (ECONNREFUSED) at a high rate: a dependency down',
  needsRoot: false,
  plan(opts: ChaosOptions): string[] {
    return [
      `start one process (kchaos-syserr) that calls ${FAILING_SYSCALL}() to a loopback port nobody listens on ${syscallErrorRate(opts.intensity)} times per second (every call is refused: ECONNREFUSED)`,
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
      args: { rate },
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
      refused: num(done, 'refused'),
      ratePerSec: num(done, 'ratePerSec'),
    };
    result.notes.push(`syscall: ${FAILING_SYSCALL} (ECONNREFUSED)`);
    return result;
  },
  verify: {
    intensity: 'low',
    seconds: 30,
    settleMs: 2000,
    ready: {
      'kerno-worker': isProcess('kchaos-syserr'),
    },
    match: {
      syscall_error_rate(f, subjects) {
        const comms = new Set(processes(subjects).map((p) => p.comm));
        if (f.process === undefined || !comms.has(f.process))
          return `process "${f.process}" is not ${[...comms].join(', ')}`;
        return f.subject === `connect(${f.process})`
          ? undefined
          : `subject "${f.subject}" is not connect(${f.process})`;
      },
    },
  },
};
