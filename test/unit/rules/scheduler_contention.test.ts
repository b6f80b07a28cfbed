import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { schedulerContention } from '../../../rules/scheduler_contention.js';
import { DEFAULT_THRESHOLDS as D } from '../../../src/doctor/thresholds.js';
import { MS, pctl, psiWindow, quietSignals, runRule, US } from './fixtures.js';

function withRunq(p99: number, count = 50_000) {
  const s = quietSignals();
  s.sched!.runqDelay = pctl(count, 50 * US, p99 / 2, p99, p99 * 3);
  s.sched!.topDelayed = [
    // waker has the worst single waits; server, woken 10× as often, lost 16× the time: it is the victim.
    { pid: 901, comm: 'waker', runqDelay: pctl(3000, 1 * MS, 30 * MS, 60 * MS), totalDelayNs: 6_000 * MS },
    {
      pid: 900,
      comm: 'server',
      runqDelay: pctl(30_000, 2 * MS, 20 * MS, 40 * MS),
      totalDelayNs: 96_000 * MS,
    },
  ];
  // Real contention shows in PSI too: tasks were runnable but waiting for a CPU much of the window.
  s.pressure!.cpu = psiWindow(45, 0);
  return s;
}

describe('scheduler_contention', () => {
  it('stays quiet on an idle host (one 6 ms outlier among 20 000 wakeups)', () => {
    assert.deepEqual(runRule(schedulerContention, quietSignals()), []);
  });

  it('quiet just below the warning threshold; WARNING at it with the warning threshold reported', () => {
    assert.deepEqual(runRule(schedulerContention, withRunq(D.sched_delay_warning_ns - 1)), []);
    const [f] = runRule(schedulerContention, withRunq(D.sched_delay_warning_ns));
    assert.equal(f!.severity, 'warning');
    assert.equal(f!.threshold, D.sched_delay_warning_ns);
    assert.equal(f!.metric, 'sched_runq_p99');
  });

  it('CRITICAL at the critical threshold and reports the crossed (critical) threshold', () => {
    assert.equal(
      runRule(schedulerContention, withRunq(D.sched_delay_critical_ns - 1))[0]!.severity,
      'warning',
    );
    const [f] = runRule(schedulerContention, withRunq(D.sched_delay_critical_ns));
    assert.equal(f!.severity, 'critical');
    assert.equal(f!.threshold, D.sched_delay_critical_ns);
    assert.equal(f!.value, 20 * MS);
    assert.match(f!.evidence[0]!, /p99 20ms ≥ 20ms critical threshold \(warning 5ms, critical 20ms\)/);
  });

  it('names the process that lost the most time waiting (not the worst p99) in evidence and fixes', () => {
    const s = withRunq(30 * MS);
    s.pressure!.cpu = psiWindow(85, 0);
    const [f] = runRule(schedulerContention, s);
    assert.equal(f!.pid, 900);
    assert.equal(f!.process, 'server');
    assert.equal(f!.subject, '');
    assert.ok(
      f!.evidence.includes(
        'most delayed: server (pid 900) waited 1m36s in total over 30,000 wakeups, p99 40ms',
      ),
      f!.evidence.join('\n'),
    );
    assert.ok(
      f!.evidence.indexOf('most delayed: server') < f!.evidence.findIndex((e) => e.includes('waker')),
    );
    assert.ok(f!.evidence.includes('cpu pressure over the window: some 85% of the time'));
    assert.ok(f!.fix.some((c) => c.startsWith('pidstat -w -p 900 1 5')));
  });

  it('needs sched_min_slow_wakeups wakeups that slow', () => {
    const s = quietSignals();
    s.sched!.runqDelay = pctl(400, 50 * US, 1 * MS, 10 * MS); // p99 only: ≥ 5 wakeups
    assert.deepEqual(runRule(schedulerContention, s), []);
    s.sched!.runqDelay = pctl(1000, 50 * US, 1 * MS, 10 * MS); // ≥ 11 wakeups
    s.pressure!.cpu = psiWindow(45, 0);
    assert.equal(runRule(schedulerContention, s).length, 1);
  });

  it('needs CPU pressure to corroborate the delay; decides on delay alone without PSI', () => {
    const s = withRunq(D.sched_delay_warning_ns * 2);
    s.pressure!.cpu = psiWindow(D.sched_min_cpu_pressure_pct - 0.1, 0);
    assert.deepEqual(
      runRule(schedulerContention, s),
      [],
      'slow wakeups next to an idle CPU are not contention',
    );
    s.pressure!.cpu = psiWindow(D.sched_min_cpu_pressure_pct, 0);
    assert.equal(runRule(schedulerContention, s).length, 1);
    delete s.pressure!.cpu;
    assert.equal(runRule(schedulerContention, s).length, 1);
  });
});
